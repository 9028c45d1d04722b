//! `seccompy dump`: the filters installed in a running process, read with
//! `PTRACE_SECCOMP_GET_FILTER` ([`seccompy::inspect`]) and disassembled; or
//! those a command installs, as it installs them ([`seccompy::watch`]).

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use lexopt::prelude::*;
use seccompy::inspect::{self, thread_filters};
use seccompy::watch::{Ended as WatchEnded, Via, WatchError, Watched};
use seccompy::{FilterFlags, Mode};
use seccompy_bpf::disasm::{DisasmOptions, disassemble_with};
use seccompy_sys::sock_filter;
use seccompy_sys::syscalls::Abi;

use crate::args;
use crate::error::{Error, Result};
use crate::spec;
use crate::{json, supervise};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "print the filters a running process has, or those a command installs";

/// `seccompy dump`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "dump",
    summary: SUMMARY,
    intro: "\
seccompy dump: print the seccomp filters of a process, or those a command installs

Usage: seccompy dump PID [--all] [--arch ARCH] [--json]
       seccompy dump [--limit N] [--arch ARCH] [--json] -- CMD [ARG...]

With PID: reads every filter stacked on the process's main thread (or, with
--all, on each of its threads: filters installed without TSYNC differ between
threads) with ptrace(PTRACE_SECCOMP_GET_FILTER) and disassembles each, the first
installed first. The kernel runs them all on every call, newest first, and the
action of highest precedence wins. The process is stopped for the time of the
reading (PTRACE_SEIZE and PTRACE_INTERRUPT) and let go after. Needs ptrace
access to the process (the same user and Yama's ptrace_scope allowing it, or
CAP_SYS_PTRACE), no other tracer on it (strace, gdb), and, to read the
filters, CAP_SYS_ADMIN and no seccomp filter on seccompy itself.

With -- CMD: runs CMD under ptrace and prints each filter it (or any process
or thread it starts) installs, as it installs it: the program is read from
CMD's memory at the entry of each seccomp(SECCOMP_SET_MODE_FILTER) and
prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) call, as seccomp-tools dump does.
Needs no privilege. CMD's standard output goes to seccompy's standard error,
so that standard output holds the filters only. With --limit N, CMD is killed
at its Nth installation (before the filter is installed): --limit 1 stops it
at the first. seccompy exits with 0 (125, 126, 127 when CMD cannot run, as
seccompy run).
",
    options: &[&[
        spec::Opt::flag(
            "all",
            "every thread of the process, not only the main thread",
        ),
        spec::Opt::value(
            "arch",
            "ARCH",
            spec::Complete::Arch,
            "the ABI to name syscalls with (default: the ABI of the
             process's executable or of the call, else this machine's)",
        ),
        spec::Opt::value(
            "limit",
            "N",
            spec::Complete::Nothing,
            "with CMD: kill CMD at its Nth filter (default: no limit)",
        ),
        spec::json("one JSON document (schema seccompy.dump/1, see the README)"),
    ]],
    outro: "\
Example:
  seccompy dump $(pidof containerd-shim) --all | less
  seccompy dump --limit 1 -- ./sandboxed-server",
    positional: spec::Complete::Command,
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut pid: Option<String> = None;
    let mut all = false;
    let mut json = false;
    let mut limit: Option<usize> = None;
    let mut abi: Option<Abi> = None;
    let mut command: Option<(OsString, Vec<OsString>)> = None;
    loop {
        // `-- CMD`: whatever follows is the command, even a number.
        let mut raw = parser.raw_args()?;
        if raw.peek() == Some(OsStr::new("--")) {
            raw.next();
            let mut rest = raw.collect::<Vec<_>>().into_iter();
            let cmd = args::required(rest.next(), "the command to run after --")?;
            command = Some((cmd, rest.collect()));
            break;
        }
        let Some(arg) = parser.next()? else { break };
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Long("all") => all = true,
            Long("json") => json = true,
            Long("limit") => {
                let text = args::text(parser)?;
                limit = match text.parse::<usize>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        return Err(Error::new(format!(
                            "--limit takes a count of filters from 1, not '{text}'"
                        )));
                    }
                }
            }
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Value(v) if pid.is_none() && command.is_none() => {
                let v = v.string()?;
                if v.bytes().all(|b| b.is_ascii_digit()) {
                    pid = Some(v);
                } else {
                    command = Some((v.into(), parser.raw_args()?.collect()));
                    break;
                }
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if let Some((cmd, rest)) = command {
        if pid.is_some() || all {
            return Err(Error::new(
                "give a PID or -- CMD, not both (--all is for a PID)",
            ));
        }
        return installs(&cmd, &rest, abi, limit, json, out).map_err(|e| e.or_status(125));
    }
    if limit.is_some() {
        return Err(Error::new("--limit is for -- CMD, not a PID"));
    }
    let pid = args::required(pid, "the process id PID, or -- CMD")?;
    let pid: libc::pid_t = match pid.parse() {
        Ok(p) if p > 0 => p,
        _ => return Err(Error::new(format!("'{pid}' is not a process id"))),
    };
    let proc_dir = format!("/proc/{pid}");
    if std::fs::metadata(&proc_dir).is_err() {
        return Err(Error::new(format!("no process {pid}")));
    }
    let abi = match abi {
        Some(a) => a,
        None => inspect::exe_abi(pid).map_or_else(|| args::abi_or_host(None), Ok)?,
    };
    let threads = if all { threads(pid)? } else { vec![pid] };
    let mut documents = Vec::new();
    for (i, &tid) in threads.iter().enumerate() {
        if json {
            documents.push(thread_json(pid, tid, abi)?);
            continue;
        }
        if i > 0 {
            writeln!(out).map_err(|e| Error::stdout(&e))?;
        }
        dump_thread(pid, tid, abi, out)?;
    }
    if json {
        let doc = json::object(&[
            ("schema", json::string(SCHEMA)),
            ("pid", pid.to_string()),
            ("threads", json::array(documents)),
        ]);
        writeln!(out, "{doc}").map_err(|e| Error::stdout(&e))?;
    }
    Ok(())
}

/// The `schema` of `dump --json`.
pub const SCHEMA: &str = "seccompy.dump/1";

/// The names of a filter's `SECCOMP_FILTER_FLAG_*` flags, and its unknown bits
/// in hexadecimal.
fn flag_names(flags: u64) -> Vec<String> {
    let known = FilterFlags::from_bits_truncate(flags as u32);
    let mut names: Vec<String> = known.iter_names().map(|(n, _)| n.to_string()).collect();
    let unknown = flags & !u64::from(known.bits());
    if unknown != 0 {
        names.push(format!("{unknown:#x}"));
    }
    names
}

/// One filter as JSON: its flags, instructions and disassembly.
fn filter_json(insns: &[sock_filter], flags: u64, abi: Abi) -> Vec<(&'static str, String)> {
    let mut options = DisasmOptions::new(abi);
    options.header = false;
    vec![
        (
            "flags",
            json::strings(flag_names(flags).iter().map(String::as_str)),
        ),
        ("length", insns.len().to_string()),
        ("instructions", json::insns(insns)),
        (
            "disassembly",
            json::string(&disassemble_with(insns, &options)),
        ),
    ]
}

/// The filters of thread `tid` of `pid` as a JSON object.
fn thread_json(pid: libc::pid_t, tid: libc::pid_t, abi: Abi) -> Result<String> {
    let mode = mode_of(pid, tid)?;
    let filters = if mode == Mode::Filter {
        thread_filters(pid, tid).map_err(|e| Error::new(e.to_string()))?
    } else {
        Vec::new()
    };
    let filters = filters
        .iter()
        .map(|f| json::object(&filter_json(&f.insns, f.flags, abi)));
    Ok(json::object(&[
        ("tid", tid.to_string()),
        (
            "mode",
            json::string(match mode {
                Mode::Disabled => "none",
                Mode::Strict => "strict",
                // Filter, and any mode a later kernel adds.
                _ => "filter",
            }),
        ),
        ("arch", json::string(abi.name())),
        ("filters", json::array(filters)),
    ]))
}

/// The seccomp mode of thread `tid` of `pid`.
fn mode_of(pid: libc::pid_t, tid: libc::pid_t) -> Result<Mode> {
    inspect::thread_mode(pid, tid).map_err(|e| {
        Error::new(format!(
            "cannot read the seccomp mode of process {pid} thread {tid}: {e}"
        ))
    })
}

/// `dump -- CMD`: runs the command under ptrace and prints each filter it
/// installs.
fn installs(
    cmd: &OsString,
    rest: &[OsString],
    abi: Option<Abi>,
    limit: Option<usize>,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let program = supervise::find_program(cmd)?;
    let argv = supervise::c_args(cmd, rest)?;
    let path = std::ffi::CString::new(program.as_os_str().as_bytes())
        .map_err(|_| Error::new("the command's path holds a NUL byte"))?;
    let stderr = io::stderr();
    let mut watched =
        Watched::spawn(&path, &argv, Some(stderr.as_fd())).map_err(|e| watch_error(cmd, e))?;
    let pid = watched.pid();
    let mut seen = 0;
    let mut documents = Vec::new();
    while let Some(install) = watched.next_install().map_err(|e| watch_error(cmd, e))? {
        seen += 1;
        let call_abi = abi
            .or(install.abi)
            .map_or_else(|| args::abi_or_host(None), Ok)?;
        let via = match install.via {
            Via::Seccomp => "seccomp",
            Via::Prctl => "prctl",
        };
        if json {
            let mut fields = vec![
                ("index", seen.to_string()),
                ("tid", install.tid.to_string()),
                ("arch", json::opt_string(install.abi.map(Abi::name))),
                ("via", json::string(via)),
            ];
            match &install.program {
                Some(insns) => fields.extend(filter_json(insns, install.flags, call_abi)),
                None => fields.push(("instructions", "null".into())),
            }
            documents.push(json::object(&fields));
        } else {
            let call = match install.via {
                Via::Seccomp => {
                    let names = flag_names(install.flags);
                    let flags = if names.is_empty() {
                        "0".to_string()
                    } else {
                        names.join("|")
                    };
                    format!("seccomp(SECCOMP_SET_MODE_FILTER, {flags}, prog)")
                }
                Via::Prctl => "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog)".into(),
            };
            let who = if install.tid == pid {
                format!("process {pid}")
            } else {
                format!("process {pid} thread or child {}", install.tid)
            };
            let mut text = match &install.program {
                Some(insns) => format!(
                    "# {who}: filter {seen}: {call}, {} instructions, {}\n",
                    insns.len(),
                    call_abi.name()
                ),
                None => format!(
                    "# {who}: filter {seen}: {call}: its program cannot be read (the kernel refuses it too)\n"
                ),
            };
            if let Some(insns) = &install.program {
                let mut options = DisasmOptions::new(call_abi);
                options.header = false;
                text.push_str(&disassemble_with(insns, &options));
            }
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Error::stdout(&e))?;
        }
        if limit == Some(seen) {
            watched.kill();
            eprintln!("seccompy: {seen} filter(s) read: the command was killed (--limit)");
        }
    }
    if json {
        let ended = match watched.ended() {
            Some(WatchEnded::Exited(code)) => json::ended(false, code),
            Some(WatchEnded::Signaled(sig)) => json::ended(true, sig),
            None => "null".into(),
        };
        let doc = json::object(&[
            ("schema", json::string(SCHEMA)),
            ("pid", pid.to_string()),
            ("command", json::string(&cmd.to_string_lossy())),
            ("installs", json::array(documents)),
            ("ended", ended),
        ]);
        writeln!(out, "{doc}").map_err(|e| Error::stdout(&e))?;
    } else if seen == 0 {
        writeln!(out, "# process {pid}: installed no filter").map_err(|e| Error::stdout(&e))?;
    }
    Ok(())
}

/// The one-line error for a failure to watch the command.
fn watch_error(cmd: &OsStr, e: WatchError) -> Error {
    match e {
        WatchError::Exec(e) => supervise::cannot_run(cmd, &e),
        e => Error::new(e.to_string()),
    }
}

/// Prints the filters of thread `tid` of process `pid`.
fn dump_thread(pid: libc::pid_t, tid: libc::pid_t, abi: Abi, out: &mut dyn Write) -> Result<()> {
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::stdout(&e));
    let who = if pid == tid {
        format!("process {pid}")
    } else {
        format!("process {pid} thread {tid}")
    };
    match mode_of(pid, tid)? {
        Mode::Disabled => return w(out, format!("# {who}: no seccomp filter")),
        Mode::Strict => {
            return w(
                out,
                format!("# {who}: strict mode (only read, write, _exit and sigreturn)"),
            );
        }
        _ => {}
    }
    let filters = thread_filters(pid, tid).map_err(|e| Error::new(e.to_string()))?;
    let count = filters.len();
    w(
        out,
        format!(
            "# {who}: {count} filter{} (the first installed first; all run, newest first)",
            if count == 1 { "" } else { "s" }
        ),
    )?;
    for (i, filter) in filters.iter().enumerate() {
        let mut line = format!(
            "# filter {} of {count}: {} instructions",
            i + 1,
            filter.insns.len()
        );
        if filter.logs() {
            line.push_str(", flag LOG");
        }
        w(out, line)?;
        let mut options = DisasmOptions::new(abi);
        options.header = false;
        out.write_all(disassemble_with(&filter.insns, &options).as_bytes())
            .map_err(|e| Error::stdout(&e))?;
    }
    Ok(())
}

/// The ids of the threads of `pid`, main thread first.
fn threads(pid: libc::pid_t) -> Result<Vec<libc::pid_t>> {
    let dir = format!("/proc/{pid}/task");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| Error::new(format!("cannot list {dir}: {e}")))?;
    let mut tids: Vec<libc::pid_t> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_by_key(|&t| (t != pid, t));
    Ok(tids)
}
