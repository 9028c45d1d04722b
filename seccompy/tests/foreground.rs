//! `seccompy::foreground` and `unotify::Standby`, live: a command run in the
//! foreground (its own process group, the terminal handed over and taken
//! back, signals passed on, its status passed back, orphans reaped) and the
//! standby supervisor that outlives a dead supervisor. Every case that blocks
//! signals, changes a disposition, becomes a subreaper or starts a command
//! under a filter runs in a forked case process.
mod support;
mod unotify_support;

use std::ffi::{CString, OsStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use seccompy::foreground::{self, Ended, Foreground, LookupError, Relay};
use seccompy::unotify::{self, Response, Standby, StandbyError};
use seccompy::{Filter, FilterAction, FilterArgs, FilterFlags, SeccompOptions};
use unotify_support::{
    case, case_with_timeout, notify_getppid, pipe, read_byte, spawn_target, write_byte,
};

/// A fresh directory for one case, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("seccompy-foreground-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits up to about 10 s for `cond`.
#[track_caller]
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    assert!(support::spin_until(cond), "{what}: not within 10 s");
}

/// Sends a pid through a pipe.
fn send_pid(fd: &OwnedFd, pid: libc::pid_t) {
    let bytes = pid.to_ne_bytes();
    // SAFETY: writing a valid buffer to our pipe.
    unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
}

/// Receives a pid sent with [`send_pid`].
#[track_caller]
fn recv_pid(fd: &OwnedFd, what: &str) -> libc::pid_t {
    let mut bytes = [0u8; 4];
    // SAFETY: reading into a valid buffer from our pipe.
    let n = unsafe { libc::read(fd.as_raw_fd(), bytes.as_mut_ptr().cast(), bytes.len()) };
    assert_eq!(n, 4, "{what}");
    libc::pid_t::from_ne_bytes(bytes)
}

/// The pid written in `file`, once there is one.
fn pid_in(file: &Path) -> Option<libc::pid_t> {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .filter(|&p| p > 0)
}

/// Asserts that this process has no child `pid` (any child, for -1) to reap.
#[track_caller]
fn assert_reaped(pid: libc::pid_t) {
    // SAFETY: the status is not asked for.
    let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
    assert_eq!(
        (r, support::errno()),
        (-1, libc::ECHILD),
        "child {pid} left"
    );
}

/// Kills the process of `pidfd`.
fn kill_pidfd(pidfd: &OwnedFd) {
    // SAFETY: a pidfd we own; no memory is involved.
    unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), 9, 0, 0) };
}

/// In a case process: standard input from `/dev/null` (no terminal to hand
/// over: the test's own terminal is left alone), and `signals` at their
/// default disposition (the runner may have started with some ignored, which
/// a command would inherit).
fn detach(signals: &[libc::c_int]) {
    let null = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: fds 0 and `null` are valid; only this case process changes.
    assert!(unsafe { libc::dup2(null.as_raw_fd(), 0) } == 0);
    for &sig in signals {
        // SAFETY: a valid signal and disposition, in this case process only.
        assert!(unsafe { libc::signal(sig, libc::SIG_DFL) } != libc::SIG_ERR);
    }
}

/// Sends `sig` to this (case) process.
fn raise_here(sig: libc::c_int) {
    // SAFETY: a signal to this process, which has it blocked or handled.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

/// Starts `command` and returns its pid: a [`Relay`] or `waitpid` reaps it.
#[allow(clippy::zombie_processes, reason = "reaped by the relay or waitpid")]
fn spawn(command: &mut Command) -> libc::pid_t {
    command.spawn().unwrap().id() as libc::pid_t
}

fn sh(script: &str) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(script);
    command
}

#[test]
fn forwarded_signals_reach_the_command_and_its_status_comes_back() {
    case_with_timeout(Duration::from_secs(30), || {
        detach(&[libc::SIGUSR1, libc::SIGINT, libc::SIGTERM]);
        let dir = Dir::new("forward");
        let ready = dir.path("ready");
        let relay = Relay::block().unwrap();
        for (sig, ended) in [
            (libc::SIGUSR1, Ended::Exited(10)),
            (libc::SIGINT, Ended::Exited(11)),
        ] {
            let _ = std::fs::remove_file(&ready);
            let mut command = sh(&format!(
                "trap 'exit 10' USR1; trap 'exit 11' INT; touch {}; while :; do sleep 0.05; done",
                ready.display()
            ));
            let pid = spawn(Foreground::new().prepare(&mut command));
            wait_until("the shell sets its traps", || ready.exists());
            // The command has a process group of its own.
            // SAFETY: a query about our own child.
            assert_eq!(unsafe { libc::getpgid(pid) }, pid);
            // Blocked here: only the relay takes it, and passes it on.
            raise_here(sig);
            assert_eq!(relay.wait(pid).unwrap(), ended, "signal {sig}");
        }
        // A death by the forwarded signal: 128 + N.
        let mut command = Command::new("sleep");
        command.arg("30");
        let pid = spawn(Foreground::new().prepare(&mut command));
        raise_here(libc::SIGTERM);
        let ended = relay.wait(pid).unwrap();
        assert_eq!(ended, Ended::Signaled(libc::SIGTERM));
        assert_eq!(ended.code(), 128 + libc::SIGTERM as u8);
    });
}

#[test]
fn a_subreaper_reaps_the_orphans_of_its_command() {
    case_with_timeout(Duration::from_secs(30), || {
        detach(&[]);
        let dir = Dir::new("reap");
        let orphan = dir.path("orphan");
        // SAFETY: a flag of this case process; no memory is involved.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(r, 0);
        let relay = Relay::block().unwrap();
        assert!(relay.reaps_orphans());
        // The subshell leaves an orphan, which ends at once; the command waits
        // until it is gone, zombie included (kill -0 reaches a zombie): it
        // exits only if this process reaps the orphan.
        let mut command = sh(&format!(
            "(sh -c 'echo $$ > {o}' &); while [ ! -s {o} ]; do sleep 0.01; done; o=$(cat {o}); \
             while kill -0 $o 2>/dev/null; do sleep 0.01; done; exit 3",
            o = orphan.display()
        ));
        let pid = spawn(Foreground::new().prepare(&mut command));
        assert_eq!(relay.wait(pid).unwrap(), Ended::Exited(3));
        // Nothing is left to reap.
        assert_reaped(-1);
    });
}

#[test]
fn a_process_that_is_neither_init_nor_a_subreaper_reaps_only_its_command() {
    case(|| {
        detach(&[]);
        let relay = Relay::block().unwrap();
        assert!(!relay.reaps_orphans());
        // Another child, which ends before the command: left for its owner.
        let other = spawn(&mut Command::new("true"));
        let mut command = Command::new("sleep");
        command.arg("0.2");
        let pid = spawn(Foreground::new().prepare(&mut command));
        assert_eq!(relay.wait(pid).unwrap(), Ended::Exited(0));
        let mut status = 0;
        // SAFETY: our own child.
        let r = unsafe { libc::waitpid(other, &mut status, 0) };
        assert_eq!(r, other);
    });
}

/// A pseudo-terminal's secondary side, made the controlling terminal of this
/// (case) process in a new session, on standard input.
fn controlling_terminal() {
    // SAFETY: plain calls on fds this case process owns; `ptsname` is read
    // before any other call could change its buffer (one thread).
    unsafe {
        assert!(libc::setsid() > 0, "setsid");
        let primary = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(primary >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(primary), 0);
        assert_eq!(libc::unlockpt(primary), 0);
        let name = libc::ptsname(primary);
        assert!(!name.is_null());
        let secondary = libc::open(name, libc::O_RDWR);
        assert!(secondary >= 0, "open the secondary side");
        assert_eq!(libc::ioctl(secondary, libc::TIOCSCTTY, 0), 0);
        assert_eq!(libc::dup2(secondary, 0), 0);
        // The primary side stays open (leaked in this case process): closing it
        // would hang the terminal up.
    }
}

#[test]
fn the_command_gets_the_terminal_and_gives_it_back() {
    case_with_timeout(Duration::from_secs(30), || {
        detach(&[libc::SIGTERM]);
        controlling_terminal();
        assert!(foreground::owns_terminal());
        let relay = Relay::block().unwrap();
        let prepared = Foreground::new();
        assert!(prepared.takes_terminal());
        let mut command = Command::new("sleep");
        command.arg("30");
        let pid = spawn(prepared.prepare(&mut command));
        // SAFETY: a query on fd 0.
        wait_until("the command's group gets the terminal", || unsafe {
            libc::tcgetpgrp(0) == pid
        });
        assert!(!foreground::owns_terminal());
        raise_here(libc::SIGTERM);
        assert_eq!(relay.wait(pid).unwrap(), Ended::Signaled(libc::SIGTERM));
        // Taken back.
        assert!(foreground::owns_terminal());
    });
}

#[test]
fn the_commands_standard_output_can_go_to_standard_error() {
    case(|| {
        detach(&[]);
        for on in [false, true] {
            let mut command = sh("echo out; echo err >&2");
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            let prepared = Foreground::new().stdout_to_stderr(on);
            let out = prepared.prepare(&mut command).output().unwrap();
            let (stdout, stderr) = if on {
                ("", "out\nerr\n")
            } else {
                ("out\n", "err\n")
            };
            assert_eq!(String::from_utf8_lossy(&out.stdout), stdout, "{on}");
            assert_eq!(String::from_utf8_lossy(&out.stderr), stderr, "{on}");
        }
    });
}

#[test]
fn commands_are_found_as_execvp_finds_them() {
    let dir = Dir::new("lookup");
    let bin = dir.path("bin");
    let other = dir.path("other");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(other.join("sub")).unwrap();
    let file = |p: &Path, mode: u32| {
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    file(&bin.join("tool"), 0o644);
    file(&other.join("tool"), 0o755);
    file(&bin.join("plain"), 0o644);
    let path = std::env::join_paths([&bin, &other]).unwrap();
    let find = |name: &str| foreground::find_program_in(OsStr::new(name), &path);
    // The first executable one, even after a file that is not.
    assert_eq!(find("tool"), Ok(other.join("tool")));
    // Found, but nowhere executable (even for root: no execute bit).
    assert_eq!(
        find("plain"),
        Err(LookupError::NotExecutable {
            path: bin.join("plain")
        })
    );
    // A directory is not a program.
    assert_eq!(
        find("sub"),
        Err(LookupError::NotFound { name: "sub".into() })
    );
    assert_eq!(
        find("missing"),
        Err(LookupError::NotFound {
            name: "missing".into()
        })
    );
    // With a slash, the name itself.
    let direct = other.join("tool");
    assert_eq!(find(direct.to_str().unwrap()), Ok(direct));
    let plain = bin.join("plain");
    assert_eq!(
        find(plain.to_str().unwrap()),
        Err(LookupError::NotExecutable { path: plain })
    );
    let gone = bin.join("gone");
    assert!(matches!(
        find(gone.to_str().unwrap()),
        Err(LookupError::NotFound { .. })
    ));
    // The process's own PATH.
    assert!(foreground::find_program(OsStr::new("sh")).is_ok());
}

/// Notifies `mkdir` and `mkdirat`; allows everything else.
fn notify_mkdir() -> Vec<seccompy::sys::sock_filter> {
    let allow = FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    };
    let mut filter = Filter::new(allow);
    for name in ["mkdir", "mkdirat"] {
        filter.add_syscall(name, FilterAction::UserNotif);
    }
    filter.compile().unwrap().insns().to_vec()
}

/// A pidfd of `pid`.
fn pidfd(pid: libc::pid_t) -> OwnedFd {
    // SAFETY: no memory is involved.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    assert!(fd >= 0, "pidfd_open: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel just returned it.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// Whether the process of `pidfd` ends within `ms` milliseconds.
fn ends_within(pidfd: &OwnedFd, ms: i32) -> bool {
    let mut fds = [libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(fds.as_mut_ptr(), 1, ms) == 1 }
}

/// Whether the process of `pidfd` ends within 10 s.
fn ends(pidfd: &OwnedFd) -> bool {
    ends_within(pidfd, 10_000)
}

/// The supervisor dies: a case process forks a supervisor, which starts
/// `script` under [`notify_mkdir`] (in a process group of its own if
/// `own_group`, with no death signal: nothing but a standby kills it), starts
/// its standby if `standby`, says the command's pid and dies when told.
/// Returns the command's pidfd and the pid of the process it wrote to
/// `pidfile`, both opened while the supervisor lived.
fn supervisor_dies(
    script: &str,
    pidfile: &Path,
    standby: bool,
    own_group: bool,
) -> (OwnedFd, OwnedFd) {
    let (said_rd, said_wr) = pipe();
    let (die_rd, die_wr) = pipe();
    // SAFETY: the supervisor runs below and leaves with `_exit`.
    let supervisor = unsafe { libc::fork() };
    assert!(supervisor >= 0);
    if supervisor == 0 {
        let path = CString::new("/bin/sh").unwrap();
        let argv = ["sh", "-c", script].map(|a| CString::new(a).unwrap());
        // SAFETY: setpgid is async-signal-safe.
        let child = unsafe {
            unotify::spawn_exec(
                &path,
                &argv,
                notify_mkdir(),
                SeccompOptions::default(),
                || {
                    if own_group && libc::setpgid(0, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                },
            )
        }
        .unwrap();
        // Answers what the supervisor would: mkdir "succeeds", making nothing.
        let _standby = standby
            .then(|| Standby::start(&child.listener, child.pid, |_| Response::value(0)).unwrap());
        send_pid(&said_wr, child.pid);
        read_byte(die_rd.as_raw_fd());
        // SAFETY: leaving without the harness's exit handlers.
        unsafe { libc::_exit(0) };
    }
    drop(said_wr);
    let command = pidfd(recv_pid(
        &said_rd,
        "the supervisor did not start the command",
    ));
    wait_until("the command says its child's pid", || {
        pid_in(pidfile).is_some()
    });
    let grandchild = pidfd(pid_in(pidfile).unwrap());
    write_byte(die_wr.as_raw_fd(), 1);
    assert_eq!(
        support::wait(supervisor, Duration::from_secs(10)),
        support::Exit::Code(0)
    );
    (command, grandchild)
}

#[test]
fn the_standby_kills_the_command_and_its_group_when_the_supervisor_dies() {
    // (standby, the command leads its own group): does the command end, does
    // its child (in the command's group) end?
    for (standby, own_group, command_ends, child_ends) in [
        (true, true, true, true),
        (false, true, false, false),
        // Only the command's own group is killed: here it has none.
        (true, false, true, false),
    ] {
        case(|| {
            let dir = Dir::new(&format!("standby-kill-{standby}-{own_group}"));
            let pidfile = dir.path("child");
            let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
            let (command, grandchild) = supervisor_dies(&script, &pidfile, standby, own_group);
            // What nothing kills lives on: a second is plenty for the
            // standby's kill.
            let within = |ends| if ends { 10_000 } else { 1_000 };
            let what = (standby, own_group);
            assert_eq!(
                ends_within(&command, within(command_ends)),
                command_ends,
                "the command, {what:?}"
            );
            assert_eq!(
                ends_within(&grandchild, within(child_ends)),
                child_ends,
                "its child, {what:?}"
            );
            kill_pidfd(&command);
            kill_pidfd(&grandchild);
        });
    }
}

#[test]
fn the_standby_answers_the_processes_that_left_the_group() {
    case(|| {
        let dir = Dir::new("standby-answer");
        let d = |n: &str| dir.path(n).display().to_string();
        // The escaped process (its own session) waits for the supervisor's end,
        // then makes its call.
        let script = format!(
            "p=$PPID; setsid sh -c \"echo \\$\\$ > {pid}; while kill -0 $p 2>/dev/null; do sleep 0.01; \
             done; mkdir {made}; echo \\$? > {status}\" & exec sleep 30",
            pid = d("escaped"),
            made = d("made"),
            status = d("status"),
        );
        let (command, escaped) = supervisor_dies(&script, &dir.path("escaped"), true, true);
        assert!(ends(&command), "the command lives on");
        assert!(ends(&escaped), "the escaped process does not end");
        wait_until("the escaped process writes its status", || {
            std::fs::read_to_string(dir.path("status")).is_ok_and(|s| s.ends_with('\n'))
        });
        // Answered by the standby's handler (success, nothing made), not
        // ENOSYS from a closed listener.
        assert_eq!(
            std::fs::read_to_string(dir.path("status")).unwrap().trim(),
            "0"
        );
        assert!(!dir.path("made").exists());
    });
}

#[test]
fn a_standby_is_not_forked_from_a_process_with_threads() {
    case(|| {
        let target = spawn_target(FilterFlags::empty(), &notify_getppid(), || 0);
        let (rd, wr) = pipe();
        let thread = std::thread::spawn(move || read_byte(rd.as_raw_fd()));
        match Standby::start(&target.listener, target.pid, |_| Response::value(0)) {
            Err(StandbyError::Threads { threads }) => assert_eq!(threads, 2),
            other => panic!("started with two threads: {other:?}"),
        }
        write_byte(wr.as_raw_fd(), 1);
        thread.join().unwrap();
        target.assert_ok();
    });
}

#[test]
fn the_standby_ends_with_the_last_target() {
    case(|| {
        let target = spawn_target(FilterFlags::empty(), &notify_getppid(), || 0);
        let standby = Standby::start(&target.listener, target.pid, |_| Response::value(0)).unwrap();
        target.assert_ok();
        drop(target);
        // No target left: the standby ends by itself, and is reaped.
        let pid = standby.pid();
        let status = support::wait(pid, Duration::from_secs(10));
        assert_eq!(status, support::Exit::Code(0));
        // Reaped already: waiting again is no error.
        standby.wait().unwrap();
    });
}

#[test]
fn an_aborted_child_is_killed_and_reaped() {
    case(|| {
        detach(&[]);
        // Every call notified: the child waits at its execve.
        let program = [seccompy::sys::sock_filter {
            code: seccompy::sys::BPF_RET | seccompy::sys::BPF_K,
            jt: 0,
            jf: 0,
            k: seccompy::sys::SECCOMP_RET_USER_NOTIF,
        }];
        let path = CString::new("/bin/true").unwrap();
        let argv = [CString::new("true").unwrap()];
        let child = Foreground::new()
            .spawn_exec(&path, &argv, program, SeccompOptions::default())
            .unwrap();
        let pid = child.pid;
        // Prepared: a process group of its own.
        // SAFETY: a query about our own child.
        assert_eq!(unsafe { libc::getpgid(pid) }, pid);
        let pidfd = pidfd(pid);
        child.abort();
        assert!(ends_within(&pidfd, 0), "the child still runs");
        assert_reaped(pid);
    });
}

#[test]
fn a_prepared_command_dies_with_its_parent() {
    case(|| {
        detach(&[]);
        let (said_rd, said_wr) = pipe();
        // SAFETY: the parent to be starts the command and leaves with `_exit`.
        let parent = unsafe { libc::fork() };
        assert!(parent >= 0);
        if parent == 0 {
            let mut command = Command::new("sleep");
            command.arg("30");
            let code = match Foreground::new().prepare(&mut command).spawn() {
                Ok(child) => {
                    send_pid(&said_wr, child.id() as libc::pid_t);
                    0
                }
                Err(_) => 1,
            };
            // SAFETY: leaving without the harness's exit handlers.
            unsafe { libc::_exit(code) };
        }
        drop(said_wr);
        let command = pidfd(recv_pid(&said_rd, "the command did not start"));
        assert_eq!(
            support::wait(parent, Duration::from_secs(10)),
            support::Exit::Code(0)
        );
        let died = ends(&command);
        if !died {
            kill_pidfd(&command);
        }
        assert!(died, "the command outlived its parent");
    });
}

#[test]
fn lingering_ends_on_a_terminating_signal_or_when_done() {
    use std::sync::atomic::{AtomicBool, Ordering};
    case_with_timeout(Duration::from_secs(30), || {
        detach(&[libc::SIGUSR1, libc::SIGTERM]);
        let relay = Relay::block().unwrap();
        let done = AtomicBool::new(true);
        assert_eq!(relay.linger(&done), None);
        done.store(false, Ordering::Release);
        // Another forwarded signal is taken and passed over; TERM ends it.
        raise_here(libc::SIGUSR1);
        raise_here(libc::SIGTERM);
        assert_eq!(relay.linger(&done), Some(libc::SIGTERM));
        // Until another thread says it is done.
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                done.store(true, Ordering::Release);
            });
            assert_eq!(relay.linger(&done), None);
        });
    });
}
