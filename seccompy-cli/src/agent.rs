//! `seccompy agent`: the OCI seccomp agent and its fd keeper. Argument parsing
//! only: the agent is `seccompy::agent`.

use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy::agent::{Agent, AgentConfig, Policy, fdstore, keeper};

use crate::args;
use crate::error::{Error, Result};
use crate::spec;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "serve containers' seccomp listeners (OCI listenerPath agent)";

/// `seccompy agent`'s command line, and its `--help`. `keeper`, the one
/// word it takes, switches to the fd keeper (which takes `--socket` only).
pub const SPEC: spec::Spec = spec::Spec {
    name: "agent",
    summary: SUMMARY,
    intro: "\
seccompy agent: an OCI seccomp agent for runc, crun and youki

Usage: seccompy agent --socket PATH [--policy FILE] [--keeper PATH]
                      [--metrics FILE] [--log FILE] [--workers N] [--allow-uid UID]...
       seccompy agent keeper --socket PATH

Listens on PATH (mode 0600; only root, this user and --allow-uid peers may
connect) for the runtimes' ContainerProcessState messages: point a profile's
linux.seccomp.listenerPath at it. Each container's notified calls are answered
by the profile its listenerMetadata names in the policy file. Without
--policy: safe mknod emulation (null, zero, full, random, urandom, tty,
console, ptmx, net/tun, fuse); every other notified call fails with EPERM.

Each decision is logged as one JSON line (container, pid, syscall, decoded
arguments, decision) on standard error or to --log FILE: before the call is
answered for the handlers that work (mknod, mount, sysinfo, kill), within
about a millisecond after for errno and continue (queued in memory, written
in batches).

Each listener has a thread of its own that receives its calls (waiting in
SECCOMP_IOCTL_NOTIF_RECV; signal SIGRTMAX-1 stops it) and answers errno and
continue itself; the workers run the other handlers and take the runtimes'
connections.

'seccompy agent keeper' holds the listeners for the agent (started with
--keeper PATH): when the agent dies, the containers' notified calls wait
instead of failing with ENOSYS, and the next agent started with the same
--keeper takes the listeners back and answers them. Run as a systemd service
without --keeper (NOTIFY_SOCKET set, FileDescriptorStoreMax= in the unit),
the agent keeps them in systemd's file-descriptor store instead and takes them
back from LISTEN_FDS when restarted (calls received but not answered by the
old agent are answered only with the keeper, which journals them).

The keeper takes --socket only (its own socket); the other options are the
agent's.
",
    options: &[&[
        spec::Opt::value(
            "socket",
            "PATH",
            spec::Complete::File,
            "the socket runtimes connect to (listenerPath); with keeper:
             the keeper's socket",
        ),
        spec::Opt::value(
            "policy",
            "FILE",
            spec::Complete::File,
            "the policy file (JSON; see docs/agent-policy.schema.json)",
        ),
        spec::Opt::value(
            "keeper",
            "PATH",
            spec::Complete::File,
            "the fd keeper's socket",
        ),
        spec::Opt::value(
            "metrics",
            "FILE",
            spec::Complete::File,
            "write per-container, per-syscall counters there (Prometheus
             text format, replaced at most once a second)",
        ),
        spec::Opt::value(
            "log",
            "FILE",
            spec::Complete::File,
            "append the decision log to FILE instead of standard error",
        ),
        spec::Opt::value(
            "workers",
            "N",
            spec::Complete::Nothing,
            "worker threads for mknod, mount, sysinfo, kill (default 4)",
        ),
        spec::Opt::value(
            "allow-uid",
            "UID",
            spec::Complete::Nothing,
            "also accept runtimes running as UID (repeatable)",
        ),
    ]],
    outro: "\
Example:
  seccompy agent keeper --socket /run/seccompy-keeper.sock &
  seccompy agent --socket /run/seccompy-agent.sock --keeper /run/seccompy-keeper.sock",
    positional: spec::Complete::Words(&["keeper"]),
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut socket: Option<PathBuf> = None;
    let mut policy: Option<PathBuf> = None;
    let mut log: Option<PathBuf> = None;
    let mut keeper_mode = false;
    let mut config = AgentConfig::default();
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Value(v) if v == "keeper" && !keeper_mode && socket.is_none() => keeper_mode = true,
            Long("socket") => socket = Some(args::path(parser.value()?)),
            Long("policy") if !keeper_mode => policy = Some(args::path(parser.value()?)),
            Long("keeper") if !keeper_mode => config.keeper = Some(args::path(parser.value()?)),
            Long("metrics") if !keeper_mode => config.metrics = Some(args::path(parser.value()?)),
            Long("log") if !keeper_mode => log = Some(args::path(parser.value()?)),
            Long("workers") if !keeper_mode => {
                config.workers = match args::parse_u32(&args::text(parser)?, "--workers")? {
                    0 => return Err(Error::new("--workers needs at least 1")),
                    n => n as usize,
                }
            }
            Long("allow-uid") if !keeper_mode => {
                config
                    .allowed_uids
                    .push(args::parse_u32(&args::text(parser)?, "--allow-uid")?);
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let socket = args::required(socket, "--socket PATH")?;
    if keeper_mode {
        return keeper::run_keeper(&socket, &|| false)
            .map_err(|e| Error::new(format!("keeper at {}: {e}", socket.display())));
    }
    if let Some(p) = &policy {
        let text = args::read_text(p, args::Input::Profile)?;
        config.policy =
            Policy::parse(&text).map_err(|e| Error::new(format!("{}: {e}", args::file_name(p))))?;
    }
    let log: Box<dyn Write + Send> = match &log {
        None => Box::new(std::io::stderr()),
        Some(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| Error::new(format!("cannot open {}: {e}", p.display())))?,
        ),
    };
    // Under systemd (and without a keeper): its fd store keeps the listeners.
    let under_systemd = config.keeper.is_none() && std::env::var_os("NOTIFY_SOCKET").is_some();
    if under_systemd {
        config.fd_store = fdstore::FdStore::from_env();
    }
    let agent = Agent::bind(&socket, config, log).map_err(|e| Error::new(chain(&e)))?;
    if under_systemd {
        agent
            .recover(fdstore::listen_fds_from_env())
            .map_err(|e| Error::new(chain(&e)))?;
    }
    agent.serve().map_err(|e| Error::new(chain(&e)))
}

/// The agent's error and its cause on one line (the causes are I/O errors).
fn chain(e: &seccompy::agent::AgentError) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// `seccompy audit --agent[-policy FILE]`: the agent's findings on a profile
/// (`seccompy::agent::lint`), as audit findings.
pub fn audit_findings(
    profile: &seccompy_bpf::oci::Profile,
    loaded: &crate::source::Loaded,
    policy: Option<&std::path::Path>,
) -> Result<Vec<crate::audit::Finding>> {
    use crate::audit::{Finding, Severity};
    use seccompy::agent::lint::{self, Level};
    let policy = match policy {
        None => Policy::builtin(),
        Some(p) => Policy::parse(&args::read_text(p, args::Input::Profile)?)
            .map_err(|e| Error::new(format!("{}: {e}", args::file_name(p))))?,
    };
    let notified = lint::notified_calls(loaded.prog.insns(), loaded.abi, Some(profile));
    let metadata = profile.listener_metadata.as_deref().unwrap_or("");
    let mut found = lint::runtime_quirks(profile);
    found.extend(lint::coverage(&notified, &policy, metadata));
    Ok(found
        .into_iter()
        .map(|f| Finding {
            severity: match f.level {
                Level::High => Severity::High,
                Level::Medium => Severity::Medium,
                _ => Severity::Info,
            },
            kind: f.kind,
            detail: f.detail,
        })
        .collect())
}
