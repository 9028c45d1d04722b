//! Test support for the seccompy workspace (not published): every crate's tests
//! use it as a dev-dependency.
//!
//! - [`in_child`], [`in_child_with`], [`exit_code`], [`case`] and [`fork`] run code
//!   in a forked child, which is where every test that installs a filter (an
//!   irreversible step) does it; [`wait`] and [`wait_status`] observe children.
//! - [`socket_pair`], [`send_fd`] and [`recv_fd`] pass a descriptor between
//!   processes (`SCM_RIGHTS`), as a filter's listener is passed.
//! - [`long`]: a C `long` (32 or 64 bits) as 64, for results of `syscall(3)`;
//!   [`SharedI64`]: an `i64` threads share, on targets without 64-bit atomics too.
//! - [`require_root`] makes a test marked `#[ignore = "needs root…"]` fail loudly,
//!   not pass without having run, when the requirement is missing.
//! - `Rng` (feature `rng`): the workspace's deterministic generator.
//!
//! The test harness is multithreaded; after `fork` only the forking thread exists
//! in the child, so a child does little: system calls, atomics, raw threads, no
//! printing. It reports through its exit code and a pipe.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

#[cfg(feature = "rng")]
pub use seccompy_bpf::rng::Rng;

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `_exit(code)`.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

/// What the parent saw of a child run by [`in_child`].
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// What it wrote with [`Report`].
    pub report: Vec<u8>,
    /// The child's pid.
    pub pid: libc::pid_t,
}

impl Outcome {
    /// The report as 8-byte little-endian numbers.
    pub fn numbers(&self) -> Vec<i64> {
        self.report
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    }

    /// Asserts a clean exit with code 0 (the child's `Ok(())`).
    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(
            self.exit,
            Exit::Code(0),
            "child failed; report {:?}",
            self.numbers()
        );
    }
}

/// The child's side of the report pipe: write numbers or bytes, no allocation.
pub struct Report(RawFd);

impl Report {
    /// Writes raw bytes.
    pub fn bytes(&self, b: &[u8]) {
        // SAFETY: writing from a valid buffer to our pipe.
        unsafe { libc::write(self.0, b.as_ptr().cast(), b.len()) };
    }

    /// Writes one number as 8 little-endian bytes.
    pub fn num(&self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    /// The raw fd, for a child that must write by hand (strict mode).
    pub fn fd(&self) -> RawFd {
        self.0
    }
}

/// Fails the child with `code` unless `cond` holds.
pub fn ensure(cond: bool, code: i32) -> Result<(), i32> {
    if cond { Ok(()) } else { Err(code) }
}

/// How long a child of [`in_child`] or [`exit_code`] may run before the parent
/// kills it.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Forks; the child runs `f` and leaves with `_exit(f())` (101 if `f` panics), so
/// nothing of the test harness (destructors, `atexit` handlers) runs in it.
/// Returns the child's pid, or why `fork` failed (without allocating, so a
/// forked child may fork in turn).
///
/// Before `f`, the child unblocks every signal and sets every ignored one but
/// `SIGPIPE` (which Rust's runtime ignores on purpose) back to its default: the
/// runner may have started the tests with `SIGINT` or `SIGQUIT` ignored, and a
/// test that sends a signal to a child must see it act.
pub fn fork(f: impl FnOnce() -> i32) -> std::io::Result<libc::pid_t> {
    // SAFETY: the child only resets its signals, runs `f` (which the caller keeps
    // to what a forked child of a multithreaded process may do) and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        default_signals();
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
        // SAFETY: ends the child without running the harness's exit handlers.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

/// No signal blocked, and every ignored signal but `SIGPIPE` at its default
/// disposition (async-signal-safe).
fn default_signals() {
    // SAFETY: an all-zero sigset is valid storage for sigemptyset to fill.
    let mut none: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `none` is a valid sigset; a null old set is allowed.
    unsafe {
        libc::sigemptyset(&mut none);
        libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
    for sig in 1..libc::SIGRTMIN() {
        if matches!(sig, libc::SIGKILL | libc::SIGSTOP | libc::SIGPIPE) {
            continue;
        }
        // SAFETY: an all-zero sigaction is valid storage for the old action.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only reads the current one into `old`.
        let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
        if r == 0 && old.sa_sigaction == libc::SIG_IGN {
            // SAFETY: setting a valid disposition of a valid signal.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
}

/// Forks, runs `f` in the child and `_exit`s with 0 for `Ok(())` or the code of
/// `Err(code)` (101 on a panic); the parent waits (killing the child after
/// [`TIMEOUT`]) and returns what it saw. The child dumps no core.
pub fn in_child(f: impl FnOnce(&Report) -> Result<(), i32>) -> Outcome {
    in_child_with(f, |_| ())
}

/// [`in_child`], and `parent` runs in the parent with the child's pid while the
/// child runs.
pub fn in_child_with<R>(
    f: impl FnOnce(&Report) -> Result<(), i32>,
    parent: impl FnOnce(libc::pid_t) -> R,
) -> Outcome {
    let (rd, wr) = pipe();
    let pid = fork(|| {
        no_core_dumps();
        match f(&Report(wr.as_raw_fd())) {
            Ok(()) => 0,
            Err(code) => code,
        }
    })
    .expect("fork");
    drop(wr);
    parent(pid);
    let exit = wait(pid, TIMEOUT);
    Outcome {
        exit,
        report: drain(&rd),
        pid,
    }
}

/// Forks, runs `f` in the child and returns the code it left with (`f()`), failing
/// the test if the child was killed by a signal or ran longer than [`TIMEOUT`].
pub fn exit_code(f: impl FnOnce() -> i32) -> i32 {
    let pid = fork(f).expect("fork");
    match wait(pid, TIMEOUT) {
        Exit::Code(code) => code,
        Exit::Signal(sig) => panic!("child {pid} was killed by signal {sig}"),
    }
}

/// Runs `case` in a forked child and fails the test with the child's panic
/// message, or if it does not finish within `timeout`. In the child `case` may
/// use threads and everything a test does, as long as what it starts ends with it.
#[track_caller]
pub fn case_with_timeout(timeout: Duration, case: impl FnOnce()) {
    let (rd, wr) = pipe();
    let pid = fork(|| {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(case));
        match result {
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
        }
    })
    .expect("fork");
    drop(wr);
    let exit = wait(pid, timeout);
    let mut msg = String::new();
    let _ = std::fs::File::from(rd).read_to_string(&mut msg);
    assert_eq!(exit, Exit::Code(0), "case process failed: {msg}");
}

/// [`case_with_timeout`] with 60 s.
#[track_caller]
pub fn case(case: impl FnOnce()) {
    case_with_timeout(Duration::from_secs(60), case);
}

/// Waits for the child `pid` to end, killing it after `timeout`.
pub fn wait(pid: libc::pid_t, timeout: Duration) -> Exit {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG | libc::__WALL) };
        if r == pid {
            if libc::WIFEXITED(status) {
                return Exit::Code(libc::WEXITSTATUS(status));
            }
            if libc::WIFSIGNALED(status) {
                return Exit::Signal(libc::WTERMSIG(status));
            }
            continue;
        }
        assert!(
            r == 0 || errno() == libc::EINTR,
            "waitpid: {}",
            std::io::Error::last_os_error()
        );
        if start.elapsed() > timeout {
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let mut status = 0;
            // SAFETY: reaping it.
            unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
            panic!("child {pid} timed out after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits for `pid` to change state (also to stop, for a tracer) and returns the
/// raw wait status.
pub fn wait_status(pid: libc::pid_t) -> libc::c_int {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r == pid {
            return status;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::Interrupted,
            "waitpid: {err}"
        );
    }
}

/// Reads what the (dead) child wrote, without waiting for writers that other
/// tests' children may have inherited.
fn drain(rd: &OwnedFd) -> Vec<u8> {
    // SAFETY: F_SETFL on our own fd.
    unsafe { libc::fcntl(rd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(rd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    out
}

/// Core dumps off, so that SIGSYS deaths leave no files behind.
fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Panics unless the tests run as root. For the tests marked
/// An `i64` shared between threads: an `AtomicI64` (sequentially consistent)
/// where the target has 64-bit atomics, a mutex on the others (32-bit PowerPC
/// and MIPS have none).
#[derive(Debug)]
pub struct SharedI64 {
    #[cfg(target_has_atomic = "64")]
    v: std::sync::atomic::AtomicI64,
    #[cfg(not(target_has_atomic = "64"))]
    v: std::sync::Mutex<i64>,
}

impl SharedI64 {
    /// Holding `v`.
    #[must_use]
    pub const fn new(v: i64) -> SharedI64 {
        SharedI64 {
            #[cfg(target_has_atomic = "64")]
            v: std::sync::atomic::AtomicI64::new(v),
            #[cfg(not(target_has_atomic = "64"))]
            v: std::sync::Mutex::new(v),
        }
    }

    /// Sets it to `v`.
    pub fn store(&self, v: i64) {
        #[cfg(target_has_atomic = "64")]
        self.v.store(v, std::sync::atomic::Ordering::SeqCst);
        #[cfg(not(target_has_atomic = "64"))]
        {
            *self
                .v
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = v;
        }
    }

    /// What it holds.
    #[must_use]
    pub fn load(&self) -> i64 {
        #[cfg(target_has_atomic = "64")]
        return self.v.load(std::sync::atomic::Ordering::SeqCst);
        #[cfg(not(target_has_atomic = "64"))]
        *self
            .v
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A C `long` (what `syscall(3)` returns and takes) as 64 bits, whatever the
/// ABI's width of it.
#[allow(
    clippy::useless_conversion,
    reason = "c_long is i64 on 64-bit ABIs, i32 on 32-bit ones"
)]
#[must_use]
pub fn long(v: libc::c_long) -> i64 {
    i64::from(v)
}

/// `#[ignore = "needs root…"]`: run with `--ignored`, they fail loudly instead of
/// passing without having run. `what` says what needs root.
#[track_caller]
pub fn require_root(what: &str) {
    // SAFETY: geteuid takes no argument and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test needs root ({what}); it runs as uid {euid}"
    );
}

/// A pipe (both ends close-on-exec): (read, write).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 made them.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
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

/// Room for one control message with one fd, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct CmsgBuf([u8; 64]);

/// Sends `data` (not empty) on the Unix socket `sock` in one `sendmsg`, with `fd`
/// attached (`SCM_RIGHTS`) if given; how many bytes went. Async-signal-safe;
/// panics if `sendmsg` fails.
pub fn send_with_fd(sock: RawFd, data: &[u8], fd: Option<RawFd>) -> usize {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
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
    // SAFETY: `msg` and what it points to live across the call; the kernel only
    // reads the data.
    let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
    assert!(n > 0, "sendmsg: {}", std::io::Error::last_os_error());
    n as usize
}

/// Receives into `buf` from the Unix socket `sock` (retrying `EINTR`): how many
/// bytes came (0 at the end of a stream) and the fd attached (`SCM_RIGHTS`,
/// close-on-exec), if any. Panics if `recvmsg` fails.
pub fn recv_with_fd(sock: RawFd, buf: &mut [u8]) -> (usize, Option<OwnedFd>) {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = CmsgBuf([0; 64]);
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len() as _;
    let n = loop {
        // SAFETY: `msg` and what it points to live across the call.
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 || errno() != libc::EINTR {
            break n;
        }
    };
    assert!(n >= 0, "recvmsg: {}", std::io::Error::last_os_error());
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
    (n as usize, fd)
}

/// Sends one byte and, if given, one fd (a forked child sending its filter's
/// listener, or an errno byte when it has none).
pub fn send_fd(sock: RawFd, fd: Option<RawFd>, byte: u8) {
    send_with_fd(sock, &[byte], fd);
}

/// Receives what [`send_fd`] sent: the fd (close-on-exec) if any, and the byte.
/// Panics if the sender closed its end without sending (it died).
pub fn recv_fd(sock: RawFd) -> (Option<OwnedFd>, u8) {
    let mut byte = [0u8];
    let (n, fd) = recv_with_fd(sock, &mut byte);
    assert_eq!(n, 1, "recvmsg: the sender died before sending");
    (fd, byte[0])
}

/// Writes one byte (raw, async-signal-safe); whether it went.
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
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        return None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_reports_its_code_numbers_and_signal() {
        let out = in_child(|r| {
            r.num(-7);
            Err(3)
        });
        assert_eq!((out.exit, out.numbers()), (Exit::Code(3), vec![-7]));
        in_child(|_| Ok(())).assert_ok();
        let out = in_child(|_| {
            // SAFETY: the child kills itself.
            unsafe { libc::raise(libc::SIGUSR1) };
            Ok(())
        });
        assert_eq!(out.exit, Exit::Signal(libc::SIGUSR1));
        assert_eq!(exit_code(|| 42), 42);
        assert_eq!(in_child(|_| panic!("in the child")).exit, Exit::Code(101));
    }

    #[test]
    fn a_child_sees_ignored_signals_at_their_default() {
        // A child ignores SIGQUIT, as a runner started in the background may,
        // and forks the child observed: that one has SIGQUIT at its default.
        let code = exit_code(|| {
            // SAFETY: setting a valid disposition in this forked child.
            unsafe { libc::signal(libc::SIGQUIT, libc::SIG_IGN) };
            let inner = fork(|| {
                // SAFETY: an all-zero sigaction is valid storage.
                let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
                // SAFETY: only reads the current action.
                unsafe { libc::sigaction(libc::SIGQUIT, std::ptr::null(), &mut old) };
                i32::from(old.sa_sigaction != libc::SIG_DFL)
            });
            match inner.map(|pid| wait(pid, TIMEOUT)) {
                Ok(Exit::Code(c)) => c,
                _ => 2,
            }
        });
        assert_eq!(code, 0, "SIGQUIT stayed ignored in the child");
    }

    #[test]
    fn a_case_fails_with_its_panic_message() {
        case(|| assert_eq!(1 + 1, 2));
        let failed = std::panic::catch_unwind(|| case(|| panic!("the message")));
        let payload = failed.expect_err("the case failed");
        let msg = payload.downcast_ref::<String>().expect("a formatted panic");
        assert!(msg.contains("the message"), "{msg}");
    }

    #[test]
    fn an_fd_and_a_byte_cross_a_socket_pair() {
        let (a, b) = socket_pair();
        let (rd, wr) = pipe();
        send_fd(a.as_raw_fd(), Some(wr.as_raw_fd()), 9);
        drop(wr);
        let (got, byte) = recv_fd(b.as_raw_fd());
        let got = got.expect("an fd");
        assert_eq!(byte, 9);
        assert!(write_byte(got.as_raw_fd(), b'x'));
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b'x'));
        send_fd(a.as_raw_fd(), None, 4);
        assert_eq!(recv_fd(b.as_raw_fd()).1, 4);
        drop(a);
        assert_eq!(recv_with_fd(b.as_raw_fd(), &mut [0; 4]).0, 0);
    }
}
