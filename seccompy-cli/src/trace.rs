//! `seccompy trace`: learn the smallest profile that lets a command run.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::Duration;

use lexopt::prelude::*;
use seccompy::foreground::{Ended, Foreground};
use seccompy::tracefs::{self, SyscallRecorder};
use seccompy::unotify::{self, Response, Supervisor};
use seccompy_bpf::oci::Profile;
use seccompy_bpf::oci::learn::{self, Allowed, LearnError, LearnedProfile, kubernetes_name};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_K, BPF_RET, SECCOMP_RET_USER_NOTIF, sock_filter};

use crate::args;
use crate::error::{Error, Result};
use crate::supervise;
use crate::{json, spec};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a command and write the smallest profile allowing that run";

/// `seccompy trace`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "trace",
    summary: SUMMARY,
    intro: "\
seccompy trace: learn a seccomp profile from a run of a command

Usage: seccompy trace -o FILE [--format oci|spo|rust] [--merge PROFILE.json]
                      [--names-only] [--mode auto|tracefs|notify] [--arch ARCH]
                      [--name NAME] [--json FILE] [--] CMD [ARG...]

Runs CMD under a filter installed just before execve (which is counted too);
CMD's threads and children inherit it, so they are followed. Nothing else runs
under the filter: seccompy's own calls between fork and exec are not in the
profile. Two ways to see the calls:

  tracefs  (root) the calls whose arguments are learned, execve, and every
           call of another ABI (i386, x32) go to seccompy's supervisor (user
           notification, SECCOMP_USER_NOTIF_FLAG_CONTINUE); the others are
           allowed and counted by the kernel (raw_syscalls:sys_enter in a
           private tracefs instance following CMD's process tree), without a
           round trip each. If the kernel's trace buffer loses events, no
           profile is written.
  notify   every call goes to the supervisor (slower: a round trip per call).
  auto     (default) tracefs, or notify when tracefs cannot be used (not root,
           no tracefs), saying so on standard error.

Then writes the smallest profile that lets the same run happen:
defaultAction SCMP_ACT_ERRNO (EPERM), the architectures seen and ARCH, the
names seen, and for the calls profiles commonly restrict, exactly the argument
values seen: socket family and type, personality, clone and unshare namespace
flags, ioctl request, prctl option, fcntl command, PROT_EXEC of mmap, mmap2,
mprotect and pkey_mprotect. int arguments are compared on their low 32 bits
(SCMP_CMP_MASKED_EQ with 0xffffffff), as the kernel reads them.

Prints the count of each call on standard error (with --json FILE, writes
them as one JSON document to FILE instead: schema seccompy.trace/1, see the
README; --json - is standard output, CMD's own output then going to standard
error, and cannot be used with -o -). Exits with CMD's status
(128 + N for a signal). The output file is opened before CMD runs; if CMD
cannot be executed, nothing is written. Signals are passed on to CMD as by
`seccompy run`. The kernel allows one listener per filter chain: trace cannot
run under another seccomp supervisor.

Tracing is for learning, not for enforcement: calls run unchecked, and what
one run does is not all a program may do (error paths, other inputs): merge
several runs.
",
    options: &[&[
        spec::Opt::value(
            "output",
            "FILE",
            spec::Complete::File,
            "where to write (- is standard output)",
        )
        .short('o'),
        spec::Opt::value(
            "format",
            "FORMAT",
            spec::Complete::Words(&["oci", "spo", "rust"]),
            "oci (default): an OCI/Docker profile (JSON);
             spo: a Kubernetes Security Profiles Operator
             SeccompProfile resource (YAML, v1beta1);
             rust: a block building the seccompy::Filter",
        ),
        spec::Opt::value(
            "merge",
            "FILE",
            spec::Complete::File,
            "add this run to an OCI profile written by trace (the
             union of names and of allowed argument values)",
        ),
        spec::Opt::flag(
            "names-only",
            "names only: every call seen, whatever its arguments",
        ),
        spec::Opt::value(
            "mode",
            "MODE",
            spec::Complete::Words(&["auto", "tracefs", "notify"]),
            "auto (default), tracefs or notify",
        ),
        spec::Opt::value(
            "buffer-kb",
            "N",
            spec::Complete::Nothing,
            "tracefs: the ring buffer per CPU, in KiB (default 8192)",
        ),
        spec::Opt::value(
            "name",
            "NAME",
            spec::Complete::Nothing,
            "the SeccompProfile's name (default: from FILE)",
        ),
        spec::Opt::value(
            "arch",
            "ARCH",
            spec::Complete::Arch,
            "the ABI the profile is for (default: this machine's)",
        ),
        spec::Opt::value(
            "json",
            "FILE",
            spec::Complete::File,
            "write the summary to FILE as one JSON document (schema
             seccompy.trace/1, see the README; - is standard output)",
        ),
    ]],
    outro: "\
Example:
  seccompy trace -o ls.json -- ls /
  seccompy trace --merge ls.json -o ls.json -- ls -l /tmp
  seccompy run --profile ls.json -- ls /
  seccompy trace --format spo -o ls.yaml -- ls /
  seccompy trace -o ls.json --json - -- ls / | jq .calls",
    positional: spec::Complete::Command,
};

/// The `schema` of `--json`.
const SCHEMA: &str = "seccompy.trace/1";

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Oci,
    Spo,
    Rust,
}

/// How calls are seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Auto,
    Tracefs,
    Notify,
}

/// The ring buffer of a tracefs recording, per CPU, by default.
const BUFFER_KB: usize = 8 * 1024;

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut output: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut format = Format::Oci;
    let mut mode = Mode::Auto;
    let mut merge: Option<PathBuf> = None;
    let mut names_only = false;
    let mut name: Option<String> = None;
    let mut buffer_kb = BUFFER_KB;
    let mut json: Option<PathBuf> = None;
    let mut command: Option<(OsString, Vec<OsString>)> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Short('o') | Long("output") => output = Some(args::path(parser.value()?)),
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("format") => {
                format = match args::text(parser)?.as_str() {
                    "oci" => Format::Oci,
                    "spo" => Format::Spo,
                    "rust" => Format::Rust,
                    other => {
                        return Err(Error::new(format!(
                            "unknown format '{other}' (oci, spo or rust)"
                        )));
                    }
                }
            }
            Long("mode") => {
                mode = match args::text(parser)?.as_str() {
                    "auto" => Mode::Auto,
                    "tracefs" => Mode::Tracefs,
                    "notify" => Mode::Notify,
                    other => {
                        return Err(Error::new(format!(
                            "unknown mode '{other}' (auto, tracefs or notify)"
                        )));
                    }
                }
            }
            Long("merge") => merge = Some(args::path(parser.value()?)),
            Long("names-only") => names_only = true,
            Long("json") => json = Some(args::path(parser.value()?)),
            Long("name") => name = Some(args::text(parser)?),
            Long("buffer-kb") => {
                buffer_kb = args::text(parser)?
                    .parse()
                    .ok()
                    .filter(|&kb| kb > 0)
                    .ok_or_else(|| Error::new("--buffer-kb takes a number of KiB above 0"))?;
            }
            Value(cmd) => {
                command = Some((cmd, parser.raw_args()?.collect()));
                break;
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let output = args::required(output, "the profile to write (-o PROFILE.json)")?;
    if let Some(j) = &json {
        if args::is_dash(j) && args::is_dash(&output) {
            return Err(Error::new(
                "the profile and the JSON summary cannot both go to standard output \
                 (-o - and --json -)",
            ));
        }
        if !args::is_dash(j) && *j == output {
            return Err(Error::new(
                "the profile and the JSON summary cannot go to the same file",
            ));
        }
    }
    let (cmd, rest) = args::required(command, "the command to trace (-- CMD [ARG...])")?;
    let abi = args::abi_or_host(abi)?;
    let host = Abi::host().ok_or_else(|| Error::new("this machine's seccomp ABI is unknown"))?;
    let base = match &merge {
        Some(path) => Some(read_learned(path)?),
        None => None,
    };
    // The SeccompProfile's name: given, or from the output file (the command
    // for standard output); checked before the run.
    let k8s_name = match &name {
        Some(n) if learn::is_kubernetes_name(n) => n.clone(),
        Some(n) => return Err(Error::new(LearnError::Name(n.clone()).to_string())),
        None if args::is_dash(&output) => kubernetes_name(&args::file_name(Path::new(&cmd))),
        None => kubernetes_name(&args::file_name(&output.with_extension(""))),
    };
    let program = supervise::find_program(&cmd)?;
    let argv = supervise::c_args(&cmd, &rest)?;
    // The profile's file is opened before the command runs: a run whose
    // profile cannot be written is not started.
    let output_name = output.display().to_string();
    let mut output = Output::open(&output)?;
    let mut json = json.as_deref().map(Output::open).transpose()?;
    // The native calls whose arguments are learned: counted with them.
    let masks: BTreeMap<u64, [u64; 6]> = learn::arg_masks(host)
        .into_iter()
        .filter(|_| !names_only)
        .map(|(nr, m)| (u64::from(nr), m))
        .collect();
    let mask_list: Vec<(u64, [u64; 6])> = masks.iter().map(|(&n, &m)| (n, m)).collect();
    // Why tracefs was not used, in auto mode.
    let mut fallback: Option<String> = None;
    let recorder = match mode {
        Mode::Notify => None,
        Mode::Tracefs => Some(
            SyscallRecorder::new(buffer_kb, &mask_list)
                .map_err(|e| Error::new(format!("cannot record with tracefs: {e}")))?,
        ),
        Mode::Auto => match SyscallRecorder::new(buffer_kb, &mask_list) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("seccompy: {e}; every call goes through the supervisor instead (slower)");
                fallback = Some(e.to_string());
                None
            }
        },
    };
    // Before any thread: every thread inherits the mask, and only the waiting
    // loop takes the signals, to pass them on.
    let signals = supervise::block_signals()?;
    let used = if recorder.is_some() {
        "tracefs"
    } else {
        "notify"
    };
    let filter: Vec<sock_filter> = if recorder.is_some() {
        let program = learn::notify_policy(host)
            .compile()
            .map_err(|e| Error::new(format!("internal error: the trace filter: {e}")))?;
        program.insns().to_vec()
    } else {
        // Every call of every ABI goes to the supervisor.
        vec![sock_filter {
            code: BPF_RET | BPF_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_USER_NOTIF,
        }]
    };
    // -o - or --json -: the profile or the summary alone on standard output,
    // the command's own output on standard error.
    let stdout_taken = output.file.is_none() || json.as_ref().is_some_and(|j| j.file.is_none());
    let foreground = Foreground::new().stdout_to_stderr(stdout_taken);
    let child = supervise::start(
        foreground,
        &program,
        &argv,
        &filter,
        seccompy::FilterFlags::empty(),
    )?;
    if let Some(r) = &recorder {
        // The command waits at its notified execve until the supervisor runs.
        if let Err(e) = r.follow(child.pid) {
            child.abort();
            return Err(Error::new(format!("cannot record with tracefs: {e}")));
        }
    }
    let unotify::ExecChild {
        pid,
        listener,
        exec,
        ..
    } = child;
    let state = Mutex::new(Seen::default());
    let done = AtomicBool::new(false);
    let (ended, result, recorded) = std::thread::scope(|s| {
        let waiter = s.spawn(|| supervise::wait_and_linger(&signals, pid, &done));
        let reader = recorder.map(|mut r| {
            let done = &done;
            s.spawn(move || {
                while !done.load(Ordering::Acquire) {
                    r.pump(Duration::from_millis(10))?;
                }
                // Not waiting for the instance's removal (RCU grace periods).
                r.finish_detached()
            })
        });
        let result = Supervisor::new(listener).workers(2).run(|req| {
            let mut seen = state.lock().unwrap_or_else(|e| e.into_inner());
            *seen.counts.entry((req.arch, req.nr as u32)).or_default() += 1;
            // As the tracepoint will count it, to take out.
            let nr = u64::from(req.nr as u32);
            let mask = masks.get(&nr).copied().unwrap_or_default();
            let args: [u64; 6] = std::array::from_fn(|i| req.args[i] & mask[i]);
            *seen.notified.entry((nr, args)).or_default() += 1;
            if !names_only
                && let Some(abi) = Abi::of_call(req.arch, req.nr as u32)
                && let Some(name) = abi.syscall_name(req.nr as u32)
                && learn::learned_args(abi, name).is_some()
            {
                seen.profile.record(abi, name, Some(&req.args));
            }
            Response::continue_unchecked()
        });
        done.store(true, Ordering::Release);
        let recorded = reader.map(|r| r.join());
        (waiter.join(), result, recorded)
    });
    let ended = ended.map_err(|_| Error::new("internal error: the waiting thread panicked"))??;
    if let Err(e) = result {
        return Err(Error::new(format!("supervising the command: {e}")));
    }
    if ended == Ended::Exited(126)
        && let Some(e) = exec.error()
    {
        // What ran was seccompy's own failure path, not the command: no profile.
        return Err(supervise::cannot_run(&cmd, &e));
    }
    let mut seen = state.into_inner().unwrap_or_else(|e| e.into_inner());
    // Events the trace buffer lost (tracefs), and why no profile is written.
    let mut lost = None;
    let mut failure: Option<String> = None;
    if let Some(recorded) = recorded {
        let recorded = recorded
            .map_err(|_| Error::new("internal error: the tracefs reader panicked"))?
            .map_err(|e| Error::new(format!("recording with tracefs: {e}")))?;
        lost = Some(recorded.lost);
        if recorded.counts.is_empty() && !seen.counts.is_empty() {
            // The tracepoint saw none of the calls the supervisor let continue.
            failure = Some(
                "the kernel's trace recorded none of the command's calls: no profile written \
                 (run again with --mode notify)"
                    .into(),
            );
        } else if recorded.lost > 0 {
            failure = Some(format!(
                "the kernel's trace buffer lost {} events: no profile written (run again, or \
                 with --mode notify)",
                recorded.lost
            ));
        }
        let notified = std::mem::take(&mut seen.notified);
        for ((nr, args), count) in tracefs::residual(&recorded.counts, notified) {
            // Not notified: a call of this machine's ABI (x32 numbers keep their bit).
            let nr = u32::try_from(nr).unwrap_or(u32::MAX);
            *seen.counts.entry((host.audit_arch(), nr)).or_default() += count;
            if masks.contains_key(&u64::from(nr))
                && let Some(name) = host.syscall_name(nr)
            {
                seen.profile.record(host, name, Some(&args));
            }
        }
    }
    let (calls, unnamed) = named_calls(&seen.counts);
    if json.is_none() {
        for line in summary_lines(abi, &calls, &unnamed) {
            eprintln!("{line}");
        }
    }
    let report = |written: bool, failure: Option<&str>| {
        json::object(&[
            ("schema", json::string(SCHEMA)),
            ("command", json::string(&cmd.to_string_lossy())),
            ("arch", json::string(abi.name())),
            ("mode", json::string(used)),
            ("fallback", json::opt_string(fallback.as_deref())),
            (
                "lost",
                lost.map_or_else(|| "null".into(), |n: u64| n.to_string()),
            ),
            (
                "total",
                calls.iter().map(|c| c.count).sum::<u64>().to_string(),
            ),
            ("calls", json::array(calls.iter().map(Call::json))),
            ("unnamed", json::array(unnamed.iter().map(Unnamed::json))),
            ("learned", learned_json(&seen.profile)),
            (
                "merged",
                json::opt_string(merge.as_ref().map(|m| m.display().to_string()).as_deref()),
            ),
            ("names_only", names_only.to_string()),
            (
                "format",
                json::string(match format {
                    Format::Oci => "oci",
                    Format::Spo => "spo",
                    Format::Rust => "rust",
                }),
            ),
            ("output", json::string(&output_name)),
            ("written", written.to_string()),
            ("error", json::opt_string(failure)),
            (
                "ended",
                match ended {
                    Ended::Exited(code) => json::ended(false, code),
                    Ended::Signaled(sig) => json::ended(true, sig),
                },
            ),
        ]) + "\n"
    };
    if let Some(failure) = failure {
        if let Some(j) = &mut json {
            j.write(report(false, Some(&failure)).as_bytes(), out)?;
        }
        return Err(Error::new(failure));
    }
    let document = json.as_ref().map(|_| report(true, None));
    let mut profile = seen.profile;
    profile.add_abi(abi);
    for c in &calls {
        if names_only || learn::learned_args(c.abi, c.name).is_none() {
            profile.record(c.abi, c.name, None);
        }
    }
    if let Some(base) = &base {
        profile.merge(base);
    }
    if names_only {
        profile.names_only();
    }
    let text = match format {
        Format::Oci => profile.to_oci_json(),
        Format::Spo => profile
            .to_spo_yaml(&k8s_name)
            .map_err(|e| Error::new(e.to_string()))?,
        Format::Rust => profile.to_rust_filter(abi),
    };
    output.write(text.as_bytes(), out)?;
    if let (Some(j), Some(document)) = (&mut json, document) {
        j.write(document.as_bytes(), out)?;
    }
    match ended {
        Ended::Exited(0) => Ok(()),
        other => Err(Error::Exit(other.code())),
    }
}

/// What the supervisor saw.
#[derive(Default)]
struct Seen {
    /// (audit arch, nr) → count.
    counts: BTreeMap<(u32, u32), u64>,
    /// The notified calls as the tracepoint counts them (number, masked
    /// arguments) → count.
    notified: BTreeMap<tracefs::CallKey, u64>,
    /// The arguments of the calls whose arguments are learned.
    profile: LearnedProfile,
}

/// Reads a profile to merge with.
fn read_learned(path: &std::path::Path) -> Result<LearnedProfile> {
    let json = args::read_text(path, args::Input::Profile)?;
    let profile =
        Profile::from_json(&json).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    LearnedProfile::from_profile(&profile).map_err(|e| {
        Error::new(format!(
            "{}: cannot merge with this profile: {e}",
            path.display()
        ))
    })
}

/// The profile's destination, opened before the run.
struct Output {
    /// The file (`None`: standard output) and its path.
    file: Option<(std::fs::File, PathBuf)>,
    /// Whether this run created the file, to remove if no profile comes.
    created: bool,
}

impl Output {
    fn open(path: &std::path::Path) -> Result<Output> {
        if args::is_dash(path) {
            return Ok(Output {
                file: None,
                created: false,
            });
        }
        let created = !path.exists();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
        Ok(Output {
            file: Some((file, path.to_path_buf())),
            created,
        })
    }

    /// Replaces the file's contents with `bytes` (or writes them to `out`).
    fn write(&mut self, bytes: &[u8], out: &mut dyn Write) -> Result<()> {
        let Some((file, path)) = &mut self.file else {
            return out.write_all(bytes).map_err(|e| Error::stdout(&e));
        };
        self.created = false;
        file.set_len(0)
            .and_then(|()| file.write_all(bytes))
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.created
            && let Some((_, path)) = &self.file
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One named call of the run, with its count.
#[derive(Debug, PartialEq, Eq)]
struct Call {
    abi: Abi,
    name: &'static str,
    nr: u32,
    count: u64,
}

impl Call {
    /// `{"arch", "syscall", "nr", "count"}`.
    fn json(&self) -> String {
        json::object(&[
            ("arch", json::string(self.abi.name())),
            ("syscall", json::string(self.name)),
            ("nr", self.nr.to_string()),
            ("count", self.count.to_string()),
        ])
    }
}

/// A call with no name (of an unknown arch, or a number the table lacks):
/// not in the profile.
#[derive(Debug, PartialEq, Eq)]
struct Unnamed {
    /// Its audit arch.
    arch: u32,
    abi: Option<Abi>,
    nr: u32,
    count: u64,
}

impl Unnamed {
    /// `{"audit_arch", "arch", "nr", "count"}`.
    fn json(&self) -> String {
        json::object(&[
            ("audit_arch", self.arch.to_string()),
            ("arch", json::opt_string(self.abi.map(Abi::name))),
            ("nr", self.nr.to_string()),
            ("count", self.count.to_string()),
        ])
    }
}

/// The calls in `seen` ((audit arch, nr) → count): those with a name, most
/// frequent first, and the others.
fn named_calls(seen: &BTreeMap<(u32, u32), u64>) -> (Vec<Call>, Vec<Unnamed>) {
    let mut calls = Vec::new();
    let mut unnamed = Vec::new();
    for (&(arch, nr), &count) in seen {
        let abi = Abi::of_call(arch, nr);
        match abi.and_then(|a| a.syscall_name(nr).map(|n| (a, n))) {
            Some((abi, name)) => calls.push(Call {
                abi,
                name,
                nr,
                count,
            }),
            None => unnamed.push(Unnamed {
                arch,
                abi,
                nr,
                count,
            }),
        }
    }
    calls.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.abi.name().cmp(b.abi.name()))
            .then(a.name.cmp(b.name))
    });
    (calls, unnamed)
}

/// The summary's lines for standard error, `target`'s calls labelled by name
/// alone, the others `name@abi`.
fn summary_lines(target: Abi, calls: &[Call], unnamed: &[Unnamed]) -> Vec<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for c in calls {
        let label = if c.abi == target {
            c.name.to_string()
        } else {
            format!("{}@{}", c.name, c.abi.name())
        };
        *counts.entry(label).or_default() += c.count;
    }
    let total: u64 = counts.values().sum();
    let mut by_count: Vec<(String, u64)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut summary = vec![format!(
        "seccompy: {total} calls of {} syscalls:",
        by_count.len()
    )];
    summary.extend(by_count.iter().map(|(n, c)| format!("{c:>9}  {n}")));
    summary.extend(unnamed.iter().map(|u| match u.abi {
        None => format!(
            "seccompy: call {} of unknown arch {:#x} ({}x) is not in the profile",
            u.nr, u.arch, u.count
        ),
        Some(abi) => format!(
            "seccompy: {} call number {} has no name ({}x) and is not in the profile",
            abi.name(),
            u.nr,
            u.count
        ),
    }));
    summary
}

/// The argument values this run's calls were seen with:
/// `[{"syscall", "allowed"}]`, `allowed` the alternatives (each a list of
/// `{"index", "mask", "value"}`), or null for "whatever its arguments".
fn learned_json(profile: &LearnedProfile) -> String {
    json::array(profile.syscalls().iter().map(|(name, allowed)| {
        let allowed = match allowed {
            Allowed::Any => "null".to_string(),
            Allowed::Only(alternatives) => json::array(alternatives.iter().map(|conj| {
                json::array(conj.iter().map(|m| {
                    json::object(&[
                        ("index", m.index.to_string()),
                        ("mask", m.mask.to_string()),
                        ("value", m.value.to_string()),
                    ])
                }))
            })),
        };
        json::object(&[("syscall", json::string(name)), ("allowed", allowed)])
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};

    #[test]
    fn minus_one_is_counted_as_x86_64() {
        let seen = BTreeMap::from([((AUDIT_ARCH_X86_64, u32::MAX), 1)]);
        let (calls, unnamed) = named_calls(&seen);
        let summary = summary_lines(Abi::X86_64, &calls, &unnamed);
        assert_eq!(
            summary.last().unwrap(),
            "seccompy: x86_64 call number 4294967295 has no name (1x) and is not in the profile"
        );
        assert!(calls.is_empty());
    }

    #[test]
    fn every_named_call_is_summarized() {
        let read = Abi::X86_64.syscall_nr("read").unwrap();
        let exit = Abi::X86_64.syscall_nr("exit_group").unwrap();
        let i386_getpid = Abi::I386.syscall_nr("getpid").unwrap();
        let seen = BTreeMap::from([
            ((AUDIT_ARCH_X86_64, read), 5),
            ((AUDIT_ARCH_X86_64, exit), 1),
            ((AUDIT_ARCH_I386, i386_getpid), 2),
            ((AUDIT_ARCH_X86_64, 5000), 1),
        ]);
        let (calls, unnamed) = named_calls(&seen);
        let summary = summary_lines(Abi::X86_64, &calls, &unnamed);
        // Most frequent first.
        assert_eq!(
            calls
                .iter()
                .map(|c| (c.abi, c.name, c.count))
                .collect::<Vec<_>>(),
            [
                (Abi::X86_64, "read", 5),
                (Abi::I386, "getpid", 2),
                (Abi::X86_64, "exit_group", 1)
            ]
        );
        // In the JSON summary, each call names its ABI.
        assert_eq!(
            calls[1].json(),
            format!(r#"{{"arch":"i386","syscall":"getpid","nr":{i386_getpid},"count":2}}"#)
        );
        assert_eq!(
            unnamed[0].json(),
            format!(r#"{{"audit_arch":{AUDIT_ARCH_X86_64},"arch":"x86_64","nr":5000,"count":1}}"#)
        );
        assert_eq!(summary[0], "seccompy: 8 calls of 3 syscalls:");
        assert_eq!(summary[1].trim(), "5  read");
        assert!(summary.iter().any(|l| l.trim() == "2  getpid@i386"));
        assert!(summary.last().unwrap().contains("number 5000 has no name"));
    }
}
