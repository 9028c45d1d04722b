//! Test support for the user-notification tests.
//!
//! Each case runs in a forked child, the *case process*, which never installs a
//! filter itself: it forks *targets* that install one (with a listener), pass the
//! listener back over a socket, close their copy and run their body. The case
//! process supervises them with `seccompy::unotify`, from its main thread or
//! threads it starts after the fork. A panic in the case process (a failed
//! assertion) is sent to the test harness through a pipe and fails the test with
//! its message.
#![allow(dead_code)]

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use seccompy::FilterFlags;
use seccompy::bpf::Program;
use seccompy::sys::SECCOMP_RET_USER_NOTIF;
use seccompy::unotify::Listener;

use crate::support::{self, Exit};

// Each test file uses some of these.
#[allow(unused_imports)]
pub use seccompy_testing::{
    case, case_with_timeout, pipe, read_byte, recv_fd, send_fd, socket_pair, write_byte,
};

/// What a target's body returns when it saw what it expected.
pub const OK: i32 = 0;

/// A program notifying on `getppid` and allowing everything else.
pub fn notify_getppid() -> Program {
    support::on_syscall(
        libc::SYS_getppid,
        SECCOMP_RET_USER_NOTIF,
        seccompy::sys::SECCOMP_RET_ALLOW,
    )
}

/// A forked target and the listener of its filter.
#[derive(Debug)]
pub struct Target {
    /// Its pid (in the case process's namespace).
    pub pid: libc::pid_t,
    /// The listener (sync wake-up on).
    pub listener: Listener,
}

impl Target {
    /// Waits for the target (20 s at most) and returns how it ended.
    pub fn wait(&self) -> Exit {
        support::wait(self.pid, Duration::from_secs(20))
    }

    /// Waits and asserts that the body returned [`OK`].
    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(self.wait(), Exit::Code(OK), "target failed");
    }

    /// Sends `sig` to the target.
    pub fn kill(&self, sig: i32) {
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(self.pid, sig) }, 0);
    }
}

/// Forks a target that installs `program` with `flags | NEW_LISTENER` (after
/// `no_new_privs`), sends the listener here, closes its copy and runs `body`,
/// leaving with its result. The target dies with the case process.
#[track_caller]
pub fn spawn_target(flags: FilterFlags, program: &Program, body: impl FnOnce() -> i32) -> Target {
    let (pid, fd) = spawn_target_raw(flags, program, body);
    Target {
        pid,
        listener: Listener::from(fd),
    }
}

/// [`spawn_target`], with the listener as the plain fd the target sent.
#[track_caller]
pub fn spawn_target_raw(
    flags: FilterFlags,
    program: &Program,
    body: impl FnOnce() -> i32,
) -> (libc::pid_t, OwnedFd) {
    let (ours, theirs) = socket_pair();
    let ours_in_target = ours.as_raw_fd();
    // The target installs its filter, sends the listener, and runs `body` (a panic
    // in it is exit code 101: it never unwinds into the case's code).
    let pid = seccompy_testing::fork(move || {
        // SAFETY: closes the target's copy of the case's end, which nothing in
        // the target uses (the target leaves with `_exit`, dropping nothing).
        unsafe { libc::close(ours_in_target) };
        // SAFETY: no memory involved; dies with the case process.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        match install(flags, program) {
            Ok(listener) => {
                send_fd(theirs.as_raw_fd(), Some(listener.as_raw_fd()), 0);
                drop(listener);
                drop(theirs);
                body()
            }
            Err(errno) => {
                send_fd(theirs.as_raw_fd(), None, errno as u8);
                120
            }
        }
    })
    .expect("fork");
    match recv_fd(ours.as_raw_fd()) {
        (Some(fd), _) => (pid, fd),
        (None, errno) => {
            let _ = support::wait(pid, Duration::from_secs(5));
            panic!(
                "the target could not install its filter: {}",
                std::io::Error::from_raw_os_error(i32::from(errno))
            );
        }
    }
}

/// `no_new_privs`, then the filter with a listener; the errno on failure.
fn install(flags: FilterFlags, program: &Program) -> Result<OwnedFd, i32> {
    seccompy::set_no_new_privileges().map_err(|_| libc::EPERM)?;
    seccompy::set_filter_with_listener(flags, program)
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EINVAL))
}

/// `getppid` with arguments (which the filter ignores, but the notification
/// carries): the result or `-errno`.
pub fn getppid_with(args: [u64; 3]) -> i64 {
    // SAFETY: getppid ignores its arguments.
    let r = unsafe { libc::syscall(libc::SYS_getppid, args[0], args[1], args[2]) };
    if r < 0 {
        -i64::from(support::errno())
    } else {
        r as i64
    }
}

/// The state letter of `/proc/<pid>/stat` (`S` sleeping, `R`, `Z`, ...).
pub fn proc_state(pid: libc::pid_t) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

/// The syscall number a task is blocked in (first field of
/// `/proc/<pid>/syscall`), if any.
pub fn blocked_syscall(pid: libc::pid_t) -> Option<libc::c_long> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Waits until task `pid` sleeps in system call `nr` (10 s at most).
#[track_caller]
pub fn wait_blocked_in(pid: libc::pid_t, nr: libc::c_long) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if proc_state(pid) == Some('S') && blocked_syscall(pid) == Some(nr) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("task {pid} never blocked in syscall {nr}");
}

/// Sleeps a little, to let a racing party run.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(50));
}
