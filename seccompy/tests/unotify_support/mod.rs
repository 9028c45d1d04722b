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

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use seccompy::FilterFlags;
use seccompy::bpf::Program;
use seccompy::sys::SECCOMP_RET_USER_NOTIF;
use seccompy::unotify::Listener;

use crate::support::{self, Exit};

/// What a target's body returns when it saw what it expected.
pub const OK: i32 = 0;

/// Runs `case` in a forked child and fails the test with the child's panic
/// message, or if it does not finish within `timeout`.
#[track_caller]
pub fn case_with_timeout(timeout: Duration, case: impl FnOnce()) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 made them.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs the case and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(rd);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(case));
        let code = match result {
            Ok(()) => 0,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("a panic without a message");
                // SAFETY: writing a valid buffer to our pipe.
                unsafe { libc::write(wr.as_raw_fd(), msg.as_ptr().cast(), msg.len()) };
                1
            }
        };
        // SAFETY: leaving the case process without the harness's exit handlers.
        unsafe { libc::_exit(code) };
    }
    drop(wr);
    let exit = support::wait(pid, timeout);
    let mut msg = String::new();
    let _ = std::fs::File::from(rd).read_to_string(&mut msg);
    assert_eq!(exit, Exit::Code(0), "case process failed: {msg}");
}

/// [`case_with_timeout`] with 60 s.
#[track_caller]
pub fn case(case: impl FnOnce()) {
    case_with_timeout(Duration::from_secs(60), case);
}

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
    // SAFETY: the target installs its filter, sends, and runs `body`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        drop(ours);
        // SAFETY: no memory involved; dies with the case process.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        let code = match install(flags, program) {
            Ok(listener) => {
                send_fd(theirs.as_raw_fd(), Some(listener.as_raw_fd()), 0);
                drop(listener);
                drop(theirs);
                // A panic must not unwind into the case's code in this process.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(101)
            }
            Err(errno) => {
                send_fd(theirs.as_raw_fd(), None, errno as u8);
                120
            }
        };
        // SAFETY: leaving the target directly.
        unsafe { libc::_exit(code) };
    }
    drop(theirs);
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

/// A connected pair of Unix stream sockets, close-on-exec.
pub fn socket_pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(r, 0, "socketpair");
    // SAFETY: socketpair made them.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

#[repr(C, align(8))]
struct CmsgBuf([u8; 64]);

/// Sends one byte and, if given, one fd.
pub fn send_fd(sock: RawFd, fd: Option<RawFd>, byte: u8) {
    let mut data = [byte];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf = CmsgBuf([0; 64]);
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(fd) = fd {
        msg.msg_control = buf.0.as_mut_ptr().cast();
        // SAFETY: arithmetic only.
        msg.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as _;
        // SAFETY: the control buffer has room for one header with one fd.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
            libc::CMSG_DATA(cmsg).cast::<RawFd>().write_unaligned(fd);
        }
    }
    // SAFETY: `msg` and what it points to live across the call.
    let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
    assert_eq!(n, 1, "sendmsg");
}

/// Receives what [`send_fd`] sent: the fd (close-on-exec) if any, and the byte.
pub fn recv_fd(sock: RawFd) -> (Option<OwnedFd>, u8) {
    let mut data = [0u8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf = CmsgBuf([0; 64]);
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.0.as_mut_ptr().cast();
    msg.msg_controllen = buf.0.len() as _;
    let n = loop {
        // SAFETY: `msg` and what it points to live across the call.
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 || support::errno() != libc::EINTR {
            break n;
        }
    };
    assert_eq!(n, 1, "recvmsg: the target died before sending");
    let mut fd = None;
    // SAFETY: the kernel filled the control buffer with valid headers.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if !cmsg.is_null()
            && (*cmsg).cmsg_level == libc::SOL_SOCKET
            && (*cmsg).cmsg_type == libc::SCM_RIGHTS
        {
            let raw = libc::CMSG_DATA(cmsg).cast::<RawFd>().read_unaligned();
            fd = Some(OwnedFd::from_raw_fd(raw));
        }
    }
    (fd, data[0])
}

/// A pipe (both ends close-on-exec): (read, write).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 made them.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Writes one byte (raw, async-signal-safe).
pub fn write_byte(fd: RawFd, b: u8) -> bool {
    // SAFETY: one byte from the stack.
    unsafe { libc::write(fd, (&raw const b).cast(), 1) == 1 }
}

/// Reads one byte (raw), `None` at EOF or on error.
pub fn read_byte(fd: RawFd) -> Option<u8> {
    let mut b = 0u8;
    loop {
        // SAFETY: one byte into the stack.
        let n = unsafe { libc::read(fd, (&raw mut b).cast(), 1) };
        if n == 1 {
            return Some(b);
        }
        if n < 0 && support::errno() == libc::EINTR {
            continue;
        }
        return None;
    }
}

/// `getppid` with arguments (which the filter ignores, but the notification
/// carries): the result or `-errno`.
pub fn getppid_with(args: [u64; 3]) -> i64 {
    // SAFETY: getppid ignores its arguments.
    let r = unsafe { libc::syscall(libc::SYS_getppid, args[0], args[1], args[2]) };
    if r < 0 {
        -i64::from(support::errno())
    } else {
        r
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
pub fn blocked_syscall(pid: libc::pid_t) -> Option<i64> {
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
