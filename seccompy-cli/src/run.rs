//! `seccompy run`: a command under a profile or a program.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::Mutex;

use lexopt::prelude::*;
use seccompy::unotify::{Errno, Response, Supervisor};
use seccompy::{CommandSeccompExt, FilterFlags, SeccompOptions};
use seccompy_bpf::Insn;
use seccompy_bpf::action::Action;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_K, BPF_RET, SECCOMP_RET_USER_NOTIF, X32_SYSCALL_BIT, seccomp_data};

use crate::args;
use crate::error::{Error, Result};
use crate::source::Source;
use crate::supervise::{self, Ended};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a command under a profile or a program";

/// `seccompy run --help`.
pub const HELP: &str = concat!(
    "\
seccompy run: run a command under a seccomp profile or program

Usage: seccompy run (--profile PROFILE | --bpf FILE) [OPTIONS] [--] CMD [ARG...]

The filter is installed in the command's process (with no_new_privs) just
before it executes CMD; CMD's threads and children inherit it. seccompy exits
with CMD's status, or 128 + N when signal N killed it.

A death by SIGSYS (a KILL or TRAP action) is reported in one line naming the
system call: the kernel logs seccomp kills (audit record type 1326), and
seccompy reads that record from /dev/kmsg. When the log is not readable or
rate-limited, the line says so: --log-denied names every refusal instead.

--log-denied installs a variant of the program in which every ERRNO and KILL
return goes to a supervisor in seccompy (user notification) instead. For each
such call, the supervisor runs the original program on the call (the
emulator) and reports `denied NAME(ARGS): ACTION` on standard error, then
answers as the original would: ERRNO(n) fails the call with n; KILL_PROCESS
and KILL_THREAD kill the whole process with SIGKILL (seccompy then exits with
128 + SIGSYS, as the kernel's kill would have). TRAP, TRACE and LOG returns
are left as they are. The variant differs from the program only in those
returns: the decisions are the program's.

Options:
",
    source_options_help!(),
    "  \
  --log-denied      report each refused call by name on standard error
  -h, --help        print this help
  -V, --version     print the version

Example:
  seccompy run --profile docker-default.json -- ls /
  seccompy run --profile docker-default.json --log-denied -- unshare -U true"
);

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut source = Source::default();
    let mut log_denied = false;
    let mut command: Option<(OsString, Vec<OsString>)> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = args::standard_option(&arg, HELP, out) {
            return done;
        }
        let long = crate::source::long_name(&arg);
        match arg {
            Long("log-denied") => log_denied = true,
            Value(cmd) => {
                command = Some((cmd, parser.raw_args()?.collect()));
                break;
            }
            other => {
                let unexpected = other.unexpected();
                if !source.option(long.as_deref(), parser)? {
                    return Err(unexpected.into());
                }
            }
        }
    }
    let (cmd, rest) = args::required(command, "the command to run (-- CMD [ARG...])")?;
    let loaded = source.load()?;
    let program = supervise::find_program(&cmd)?;
    let name = cmd.to_string_lossy().into_owned();
    let insns = loaded.prog.insns().to_vec();
    let flags = loaded
        .resolved
        .as_ref()
        .map_or(FilterFlags::empty(), |r| profile_flags(&r.flags));
    let (ended, killed) = if log_denied {
        run_logged(&program, &cmd, &rest, insns, loaded.abi, flags)?
    } else {
        (run_plain(&program, &cmd, &rest, insns, flags)?, None)
    };
    out.flush().map_err(|e| Error::stdout(&e))?;
    let code = match ended {
        Ended::Exited(code) => code as u8,
        Ended::Signaled(_) if killed.is_some() => {
            eprintln!(
                "seccompy: {name} killed by seccomp on {}",
                killed.unwrap_or_default()
            );
            128 + libc::SIGSYS as u8
        }
        Ended::Signaled(sig) => {
            if sig == libc::SIGSYS {
                eprintln!("seccompy: {name} {}", sigsys_report());
            }
            128 + sig as u8
        }
    };
    Err(Error::Exit(code))
}

/// The filter flags runc installs for a profile's `flags` (which the resolver
/// has checked are the three runc knows): TSYNC is left out, as runc does.
fn profile_flags(names: &[String]) -> FilterFlags {
    names
        .iter()
        .map(|name| match name.as_str() {
            "SECCOMP_FILTER_FLAG_LOG" => FilterFlags::LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => FilterFlags::SPEC_ALLOW,
            _ => FilterFlags::empty(),
        })
        .fold(FilterFlags::empty(), |all, f| all | f)
}

/// The kernel log, read from its end: where the kernel's seccomp audit records
/// (type 1326) of kills land when no audit daemon takes them.
struct KernelLog(Option<OwnedFd>);

/// Records of the kernel log read since the command started, kept for the report.
static KMSG: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The command's pid, for the report.
static CHILD: Mutex<u32> = Mutex::new(0);

impl KernelLog {
    fn open() -> Self {
        let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")
        else {
            return KernelLog(None);
        };
        let fd = OwnedFd::from(file);
        // SAFETY: seeking our own fd to the log's end: only new records are read.
        unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_END) };
        KernelLog(Some(fd))
    }

    /// The records written since `open`.
    fn records(self) -> Vec<String> {
        let Some(fd) = self.0 else { return Vec::new() };
        let mut file = std::fs::File::from(fd);
        let mut records = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => records.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                // EPIPE: records were overwritten before being read; go on.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        records
    }
}

use std::os::unix::fs::OpenOptionsExt;

/// Runs the command with the program as it is.
fn run_plain(
    program: &std::path::Path,
    cmd: &OsString,
    rest: &[OsString],
    insns: Vec<Insn>,
    flags: FilterFlags,
) -> Result<Ended> {
    let log = KernelLog::open();
    let child = Command::new(program)
        .arg0(cmd)
        .args(rest)
        .seccomp(insns, SeccompOptions::with_flags(flags))
        .spawn()
        .map_err(|e| Error::new(format!("cannot run {}: {e}", cmd.to_string_lossy())))?;
    *CHILD.lock().unwrap_or_else(|e| e.into_inner()) = child.id();
    let mut child = child;
    let status = child
        .wait()
        .map_err(|e| Error::new(format!("waiting for the command: {e}")))?;
    let ended = match status.signal() {
        Some(sig) => Ended::Signaled(sig),
        None => Ended::Exited(status.code().unwrap_or(1)),
    };
    if matches!(ended, Ended::Signaled(s) if s == libc::SIGSYS) {
        *KMSG.lock().unwrap_or_else(|e| e.into_inner()) = log.records();
    }
    Ok(ended)
}

/// The one-line report of a death by SIGSYS, from the kernel log's record.
fn sigsys_report() -> String {
    let pid = *CHILD.lock().unwrap_or_else(|e| e.into_inner());
    let records = KMSG.lock().unwrap_or_else(|e| e.into_inner());
    let found = records.iter().find_map(|r| {
        let (_, audit) = r.split_once("type=1326")?;
        let field = |name: &str| {
            audit
                .split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .map(str::to_string)
        };
        if field("pid=")?.parse::<u32>().ok()? != pid {
            return None;
        }
        let arch = u32::from_str_radix(&field("arch=")?, 16).ok()?;
        let nr: u32 = field("syscall=")?.parse().ok()?;
        let code = field("code=")?;
        Some((arch, nr, code))
    });
    match found {
        Some((arch, nr, code)) => {
            let action = u32::from_str_radix(code.trim_start_matches("0x"), 16)
                .ok()
                .and_then(Action::from_raw)
                .map_or(code.clone(), |a| a.to_string());
            format!("killed by SIGSYS: {} ({action})", syscall_label(arch, nr))
        }
        None => "killed by SIGSYS (a seccomp KILL or TRAP; the kernel log has no record of \
                 the call: run with --log-denied to name it)"
            .into(),
    }
}

/// `name` for a call, with the ABI when it is not the host's, or its number.
fn syscall_label(arch: u32, nr: u32) -> String {
    let abi = Abi::ALL
        .iter()
        .copied()
        .find(|a| a.audit_arch() == arch && ((nr & X32_SYSCALL_BIT != 0) == (*a == Abi::X32)));
    match abi {
        Some(abi) => {
            let name = abi
                .syscall_name(nr)
                .map_or_else(|| format!("syscall {nr}"), str::to_string);
            if Some(abi) == Abi::host() {
                name
            } else {
                format!("{name}@{}", abi.name())
            }
        }
        None => format!("syscall {nr} of arch {arch:#x}"),
    }
}

/// The program with every ERRNO and KILL return sent to the listener.
fn notify_refusals(insns: &[Insn]) -> Vec<Insn> {
    insns
        .iter()
        .map(|&i| {
            let refused = matches!(
                Action::from_raw(i.k),
                Some(Action::Errno(_) | Action::KillProcess | Action::KillThread)
            );
            if i.code == BPF_RET | BPF_K && refused {
                Insn {
                    k: SECCOMP_RET_USER_NOTIF,
                    ..i
                }
            } else {
                i
            }
        })
        .collect()
}

/// Runs the command with refusals reported; the name of the call a KILL
/// stopped, if one did.
fn run_logged(
    program: &std::path::Path,
    cmd: &OsString,
    rest: &[OsString],
    insns: Vec<Insn>,
    abi: Abi,
    flags: FilterFlags,
) -> Result<(Ended, Option<String>)> {
    let argv = supervise::c_args(cmd, rest)?;
    let variant = notify_refusals(&insns);
    let started = supervise::start(program, &argv, &variant, flags)?;
    let pid = started.pid;
    let waiter = std::thread::spawn(move || supervise::wait(pid));
    let killed: Mutex<Option<String>> = Mutex::new(None);
    let result = Supervisor::new(started.listener).workers(2).run(|req| {
        let data = seccomp_data {
            nr: req.nr,
            arch: req.arch,
            instruction_pointer: req.instruction_pointer,
            args: req.args,
        };
        let order = req.abi().map_or(ByteOrder::of(abi), ByteOrder::of);
        let action = emulate_for(&insns, &data, order)
            .ok()
            .and_then(|o| Action::from_raw(o.ret));
        let label = syscall_label(req.arch, req.nr as u32);
        let shown_args: Vec<String> = req.args.iter().map(|a| format!("{a:#x}")).collect();
        let call = format!("{label}({})", shown_args.join(", "));
        match action {
            Some(Action::Errno(n)) => {
                eprintln!("seccompy: denied {call}: ERRNO({n})");
                match Errno::try_from(i32::from(n)) {
                    Ok(e) => Response::errno(e),
                    // ERRNO(0): the call "succeeds" with 0, as the kernel does.
                    Err(_) => Response::value(0),
                }
            }
            Some(a @ (Action::KillProcess | Action::KillThread)) => {
                eprintln!("seccompy: denied {call}: {a}, killing process {}", req.pid);
                *killed.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{label} ({a})"));
                // SAFETY: kill(2) on the process that made the call (its thread id
                // names the whole process for SIGKILL).
                unsafe { libc::kill(req.pid as libc::pid_t, libc::SIGKILL) };
                Response::errno(Errno::EPERM)
            }
            Some(Action::UserNotif) => {
                eprintln!("seccompy: {call}: the profile asks a supervisor; answering ENOSYS");
                Response::errno(Errno::ENOSYS)
            }
            // Not a refusal in the original (cannot happen: only refusing
            // returns were rewritten): let it run.
            _ => Response::continue_unchecked(),
        }
    });
    let ended = waiter
        .join()
        .map_err(|_| Error::new("internal error: the waiting thread panicked"))??;
    if let Err(e) = result {
        return Err(Error::new(format!("supervising the command: {e}")));
    }
    Ok((
        ended,
        killed.into_inner().unwrap_or_else(|e| e.into_inner()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_go_to_the_supervisor() {
        let ret = |k: u32| Insn {
            code: BPF_RET | BPF_K,
            jt: 0,
            jf: 0,
            k,
        };
        let prog = [
            ret(Action::Allow.to_raw()),
            ret(Action::Errno(1).to_raw()),
            ret(Action::KillProcess.to_raw()),
            ret(Action::KillThread.to_raw()),
            ret(Action::Trap(3).to_raw()),
            ret(Action::Log.to_raw()),
        ];
        let got: Vec<u32> = notify_refusals(&prog).iter().map(|i| i.k).collect();
        let n = SECCOMP_RET_USER_NOTIF;
        assert_eq!(
            got,
            [
                Action::Allow.to_raw(),
                n,
                n,
                n,
                Action::Trap(3).to_raw(),
                Action::Log.to_raw()
            ]
        );
    }
}
