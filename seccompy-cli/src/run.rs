//! `seccompy run`: a command under a profile or a program.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lexopt::prelude::*;
use seccompy::audit::{AuditLog, Record};
use seccompy::unotify::{Errno, Response, Supervisor};
use seccompy::{CommandSeccompExt, FilterFlags, SeccompOptions};
use seccompy_bpf::Insn;
use seccompy_bpf::action::Action;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_K, BPF_RET, SECCOMP_RET_USER_NOTIF, seccomp_data};

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
seccompy reads that record from the audit netlink socket (as root) or from
/dev/kmsg. When neither has it, the line says so: --log-denied names every
refusal instead.

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
    let (ended, report) = if log_denied {
        run_logged(&program, &cmd, &rest, insns, loaded.abi, flags)?
    } else {
        run_plain(&program, &cmd, &rest, insns, flags)?
    };
    out.flush().map_err(|e| Error::stdout(&e))?;
    let code = match ended {
        Ended::Exited(code) => code as u8,
        Ended::Signaled(sig) => {
            // A kill the supervisor carried out (with SIGKILL) stands for the
            // kernel's, which is by SIGSYS.
            let sig = if log_denied && report.is_some() {
                libc::SIGSYS
            } else {
                sig
            };
            if let Some(report) = report {
                eprintln!("seccompy: {name} {report}");
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

/// Runs the command with the program as it is; on a death by SIGSYS, the
/// report that names the call from the kernel's audit record.
fn run_plain(
    program: &std::path::Path,
    cmd: &OsString,
    rest: &[OsString],
    insns: Vec<Insn>,
    flags: FilterFlags,
) -> Result<(Ended, Option<String>)> {
    let mut log = AuditLog::open();
    let mut child = Command::new(program)
        .arg0(cmd)
        .args(rest)
        .seccomp(insns, SeccompOptions::with_flags(flags))
        .spawn()
        .map_err(|e| Error::new(format!("cannot run {}: {e}", cmd.to_string_lossy())))?;
    let pid = child.id();
    // The record of the command's death: a kill or a trap of its process.
    let ours = |r: &Record| {
        r.pid == pid
            && matches!(
                r.action(),
                Some(Action::KillProcess | Action::KillThread | Action::Trap(_))
            )
    };
    // While the command runs, the log is drained until that record comes: the
    // netlink socket's buffer would otherwise fill with the machine's other
    // audit records and drop the newest, the one wanted.
    let running = AtomicBool::new(true);
    let (status, early) = std::thread::scope(|s| {
        let drain = s.spawn(|| {
            while log.is_readable() && running.load(Ordering::Relaxed) {
                if let Some(found) = log.find(Duration::from_millis(10), ours) {
                    return Some(found);
                }
            }
            None
        });
        let status = child.wait();
        running.store(false, Ordering::Relaxed);
        (status, drain.join().ok().flatten())
    });
    let status = status.map_err(|e| Error::new(format!("waiting for the command: {e}")))?;
    Ok(match status.signal() {
        Some(sig) if sig == libc::SIGSYS => {
            let record = early.or_else(|| log.find(Duration::from_millis(500), ours));
            (Ended::Signaled(sig), Some(sigsys_report(record)))
        }
        Some(sig) => (Ended::Signaled(sig), None),
        None => (Ended::Exited(status.code().unwrap_or(1)), None),
    })
}

/// The one-line report of a death by SIGSYS, from the kernel's audit record
/// of the call if there is one.
fn sigsys_report(record: Option<Record>) -> String {
    match record {
        Some(r) => {
            let action = r
                .action()
                .map_or_else(|| format!("{:#x}", r.code), |a| a.to_string());
            format!(
                "killed by SIGSYS: {} ({action})",
                syscall_label(r.abi(), r.arch, r.nr)
            )
        }
        None => "killed by SIGSYS (a seccomp KILL or TRAP; the kernel's audit log has no record \
                 of the call: run with --log-denied to name it)"
            .into(),
    }
}

/// `name` for a call of ABI `abi` (from the call's arch and number), with the ABI
/// when it is not the host's, or its number.
fn syscall_label(abi: Option<Abi>, arch: u32, nr: u32) -> String {
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

/// Runs the command with refusals reported; the report of the call a KILL
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
        let label = syscall_label(req.abi(), req.arch, req.nr as u32);
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
    let killed = killed.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((ended, killed.map(|k| format!("killed by seccomp on {k}"))))
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
