//! `seccompy run`: a command under a profile or a program.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lexopt::prelude::*;
use seccompy::audit::{AuditLog, Record};
use seccompy::foreground::{Ended, Foreground, Relay};
use seccompy::unotify::{self, Errno, PidfdError, Request, Response, Standby, Supervisor};
use seccompy::{CommandSeccompExt, FilterFlags, SeccompOptions};
use seccompy_bpf::action::Action;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::{Insn, decode};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_K, BPF_RET, SECCOMP_RET_USER_NOTIF};

use crate::args;
use crate::error::{Error, Result};
use crate::source::Source;
use crate::spec;
use crate::supervise;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a command under a profile or a program";

/// `seccompy run`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "run",
    summary: SUMMARY,
    intro: "\
seccompy run: run a command under a seccomp profile or program

Usage: seccompy run [--profile PROFILE | --bpf FILE] [OPTIONS] [--] CMD [ARG...]

The filter is installed in the command's process (with no_new_privs) just
before it executes CMD; CMD's threads and children inherit it. Without
--profile or --bpf, CMD runs under no filter of seccompy's: a death by the
filters CMD installs itself is named (what killed me?).

Exit status: CMD's, or 128 + N when signal N killed it; 125 when seccompy
itself fails, 126 when CMD cannot be executed, 127 when it is not found (as
env, timeout and docker run).

CMD runs in its own process group (given the terminal if seccompy had it).
HUP, INT, QUIT, USR1, USR2, ALRM, TERM, WINCH, CONT, TSTP and URG sent to
seccompy are passed on to CMD; as PID 1, seccompy also reaps orphans. CMD is
killed if seccompy dies. With --log-denied, seccompy goes on supervising the
children CMD leaves running after it ends; HUP, INT, QUIT or TERM then end
seccompy with CMD's status.

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
returns: the decisions are the program's. A standby copy of seccompy holds the
listener too: if seccompy dies (even killed by CMD), the standby kills CMD's
process group and answers any other caller as the program would, so a refused
call never gets ENOSYS instead. The kernel allows one listener per filter
chain: --log-denied cannot run under another seccomp supervisor (a trace, a
--log-denied, a container runtime's notifier); plain run can.
",
    options: &[
        crate::source::SOURCE_OPTIONS,
        &[spec::Opt::flag(
            "log-denied",
            "report each refused call by name on standard error",
        )],
    ],
    outro: "\
Example:
  seccompy run --profile docker-default.json -- ls /
  seccompy run --profile docker-default.json --log-denied -- unshare -U true
  seccompy run -- ./locked-down-program",
    positional: spec::Complete::Command,
};

/// Runs the command: exits with the command's status, or 125 for a failure of
/// seccompy's own, 126 when the command cannot be executed, 127 when it is not
/// found.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    run_command(parser, out).map_err(|e| e.or_status(125))
}

/// [`run`], whose errors without a status of their own are seccompy's.
fn run_command(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut source = Source::default();
    let mut log_denied = false;
    let mut command: Option<(OsString, Vec<OsString>)> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
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
    // No program: the command runs under no filter of seccompy's, and a kill
    // by its own filters is named.
    let loaded = if source.profile.is_none() && source.bpf.is_none() {
        if log_denied {
            return Err(Error::new(
                "--log-denied reports the refusals of a program: give --profile or --bpf",
            ));
        }
        if source.has_program_options() {
            return Err(Error::new(
                "--arch, --caps, --kernel, --oci-config and --harden go with a program: give \
                 --profile or --bpf (without one, the command runs under no filter of seccompy's)",
            ));
        }
        None
    } else {
        Some(source.load()?)
    };
    let program = supervise::find_program(&cmd)?;
    // Before any thread: every thread inherits the mask, and only the waiting
    // loop takes the signals, to pass them on.
    let signals = supervise::block_signals()?;
    let name = cmd.to_string_lossy().into_owned();
    let (ended, report) = match loaded {
        Some(loaded) => {
            let insns = loaded.prog.insns().to_vec();
            let flags = loaded
                .resolved
                .as_ref()
                .map_or(FilterFlags::empty(), |(_, r)| {
                    seccompy::oci::profile_flags(r)
                });
            if log_denied {
                run_logged(&signals, &program, &cmd, &rest, insns, loaded.abi, flags)?
            } else {
                run_plain(&signals, &program, &cmd, &rest, Some((insns, flags)))?
            }
        }
        None => run_plain(&signals, &program, &cmd, &rest, None)?,
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
            Ended::Signaled(sig).code()
        }
    };
    Err(Error::Exit(code))
}

/// Runs the command with the program as it is (or with no filter of
/// seccompy's: `None`); on a death by SIGSYS, the report that names the call
/// from the kernel's audit record.
fn run_plain(
    signals: &Relay,
    program: &std::path::Path,
    cmd: &OsString,
    rest: &[OsString],
    filter: Option<(Vec<Insn>, FilterFlags)>,
) -> Result<(Ended, Option<String>)> {
    let own_filters = filter.is_none();
    let mut log = AuditLog::open();
    let mut command = Command::new(program);
    command.arg0(cmd).args(rest);
    // Before the filter, which might refuse the preparation's calls.
    Foreground::new().prepare(&mut command);
    // The command's own handle is not used to wait: `signals` reaps it.
    if let Some((insns, flags)) = filter {
        command.seccomp(insns, SeccompOptions::with_flags(flags));
    }
    let child = command
        .spawn()
        .map_err(|e| supervise::cannot_run(cmd, &e))?;
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
        let ended = supervise::wait(signals, pid as libc::pid_t);
        running.store(false, Ordering::Relaxed);
        (ended, drain.join().ok().flatten())
    });
    drop(child);
    Ok(match status? {
        Ended::Signaled(sig) if sig == libc::SIGSYS => {
            let record = early.or_else(|| log.find(Duration::from_millis(500), ours));
            let report = sigsys_report(record, log.is_readable(), own_filters);
            (Ended::Signaled(sig), Some(report))
        }
        ended => (ended, None),
    })
}

/// The one-line report of a death by SIGSYS, from the kernel's audit record
/// of the call if there is one; otherwise why there is none (`readable`: the
/// log could be read; `own_filters`: the filters were the command's own, with
/// no program of seccompy's to run with --log-denied).
fn sigsys_report(record: Option<Record>, readable: bool, own_filters: bool) -> String {
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
        None if !readable => "killed by SIGSYS (a seccomp KILL or TRAP); cannot name the call: \
                 the kernel's audit log is unreadable here (the audit socket needs root or \
                 CAP_AUDIT_READ, /dev/kmsg read access)"
            .into(),
        None if own_filters => "killed by SIGSYS (a seccomp KILL or TRAP); the kernel's audit \
                 log has no record of the call (a TRAP is logged only by a filter installed \
                 with SECCOMP_FILTER_FLAG_LOG; kills unless kernel.seccomp.actions_logged \
                 leaves them out)"
            .into(),
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

/// What `--log-denied` answers: the original program's decision on each
/// refused call, reported on standard error.
struct Refusals<'a> {
    insns: &'a [Insn],
    abi: Abi,
    /// The call a KILL stopped, for the last line.
    killed: Mutex<Option<String>>,
}

impl Refusals<'_> {
    fn answer(&self, req: &Request<'_>) -> Response {
        let order = req.abi().map_or(ByteOrder::of(self.abi), ByteOrder::of);
        let action = emulate_for(self.insns, &req.data(), order)
            .ok()
            .and_then(|o| Action::from_raw(o.ret));
        let label = syscall_label(req.abi(), req.arch, req.nr as u32);
        let call = match req.abi() {
            // Decoded, with the ABI when it is not the host's.
            Some(abi) => {
                let decoded = decode::format_call(abi, req.nr as u32, &req.args);
                match decoded.split_once('(') {
                    Some((_, args)) => format!("{label}({args}"),
                    None => decoded,
                }
            }
            None => {
                let shown: Vec<String> = req.args.iter().map(|a| format!("{a:#x}")).collect();
                format!("{label}({})", shown.join(", "))
            }
        };
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
                *self.killed.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("{label} ({a})"));
                // Through a pidfd checked against the notification: never a
                // process that reused the number.
                match req.kill() {
                    Ok(()) | Err(PidfdError::Gone { .. }) => {}
                    Err(e) => eprintln!("seccompy: cannot kill process {}: {e}", req.pid),
                }
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
    }
}

/// Runs the command with refusals reported; the report of the call a KILL
/// stopped, if one did.
fn run_logged(
    signals: &Relay,
    program: &std::path::Path,
    cmd: &OsString,
    rest: &[OsString],
    insns: Vec<Insn>,
    abi: Abi,
    flags: FilterFlags,
) -> Result<(Ended, Option<String>)> {
    let argv = supervise::c_args(cmd, rest)?;
    let variant = notify_refusals(&insns);
    let refusals = Refusals {
        insns: &insns,
        abi,
        killed: Mutex::new(None),
    };
    let child = supervise::start(Foreground::new(), program, &argv, &variant, flags)?;
    // A standby copy of seccompy holds the listener too, so that the kernel
    // never fails a notified call with ENOSYS because seccompy died (killed by
    // the command itself, say): it kills the command's process group and
    // answers any other caller as seccompy would have. Forked while seccompy
    // has one thread.
    let standby = match Standby::start(&child.listener, child.pid, |req| refusals.answer(req)) {
        Ok(standby) => standby,
        Err(e) => {
            child.abort();
            return Err(Error::new(supervise::with_sources(&e)));
        }
    };
    let unotify::ExecChild {
        pid,
        listener,
        exec,
        ..
    } = child;
    let done = AtomicBool::new(false);
    let (ended, result) = std::thread::scope(|s| {
        let waiter = s.spawn(|| supervise::wait_and_linger(signals, pid, &done));
        let result = Supervisor::new(listener)
            .workers(2)
            .run(|req| refusals.answer(req));
        done.store(true, Ordering::Release);
        (waiter.join(), result)
    });
    // The standby ends with the last target; reap it (as PID 1 the waiting loop
    // may have already).
    standby
        .wait()
        .map_err(|e| Error::new(supervise::with_sources(&e)))?;
    let ended = ended.map_err(|_| Error::new("internal error: the waiting thread panicked"))??;
    if let Err(e) = result {
        return Err(Error::new(format!("supervising the command: {e}")));
    }
    if ended == Ended::Exited(126)
        && let Some(e) = exec.error()
    {
        return Err(supervise::cannot_run(cmd, &e));
    }
    let killed = refusals
        .killed
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    Ok((ended, killed.map(|k| format!("killed by seccomp on {k}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigsys_reports_say_why_the_call_is_not_named() {
        let record =
            Record::parse("audit(1.2:3): pid=7 arch=c000003e syscall=110 code=0x80000000").unwrap();
        assert_eq!(
            sigsys_report(Some(record), true, true),
            "killed by SIGSYS: getppid (KILL_PROCESS)"
        );
        let unreadable = sigsys_report(None, false, true);
        assert!(
            unreadable.contains("the kernel's audit log is unreadable here"),
            "{unreadable}"
        );
        let own = sigsys_report(None, true, true);
        assert!(
            own.contains("a TRAP is logged only by a filter installed"),
            "{own}"
        );
        assert!(!own.contains("--log-denied"), "{own}");
        let ours = sigsys_report(None, true, false);
        assert!(ours.contains("run with --log-denied to name it"), "{ours}");
    }

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
