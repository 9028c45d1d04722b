//! Test support: run a case in a forked child and observe it from outside.
//!
//! The test harness is multithreaded; after `fork` only the forking thread exists
//! in the child, so the child does little: system calls, atomics, raw threads
//! (`pthread_create`), no printing. It reports through its exit code and a pipe.
//! Every filter and strict-mode case runs in such a child, never in the harness.
#![allow(dead_code)]

use std::ffi::c_void;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

pub mod audit;

use seccompy::bpf::{Assembler, Program};
use seccompy::sys::syscalls::Abi;
use seccompy::sys::*;

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `_exit(code)`.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

/// What the parent saw of a child.
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
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
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

/// How long a child may run before the parent kills it.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Forks, runs `f` in the child and `_exit`s with 0 for `Ok(())` or the code of
/// `Err(code)` (101 on a panic); the parent waits (killing the child after
/// [`TIMEOUT`]) and returns what it saw.
pub fn in_child(f: impl FnOnce(&Report) -> Result<(), i32>) -> Outcome {
    in_child_with(f, |_| ())
}

/// [`in_child`], and `parent` runs in the parent with the child's pid while the
/// child runs.
pub fn in_child_with<R>(
    f: impl FnOnce(&Report) -> Result<(), i32>,
    parent: impl FnOnce(libc::pid_t) -> R,
) -> Outcome {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2");
    // SAFETY: pipe2 gave us these two fds.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child only runs `f` and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        no_core_dumps();
        let report = Report(wr.as_raw_fd());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&report)));
        let code = match result {
            Ok(Ok(())) => 0,
            Ok(Err(code)) => code,
            Err(_) => 101,
        };
        // SAFETY: ends the child without running the harness's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    drop(wr);
    parent(pid);
    let exit = wait(pid, TIMEOUT);
    Outcome {
        exit,
        report: drain(&rd),
        pid,
    }
}

/// Waits for the child `pid`, killing it after `timeout`.
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
            r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR),
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

/// The host ABI's audit arch.
pub fn host_arch() -> u32 {
    Abi::host().expect("a known ABI").audit_arch()
}

/// `errno` after a failed call.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A raw system call without arguments: the result, or `-errno`.
pub fn sys0(nr: libc::c_long) -> i64 {
    // SAFETY: the calls used here take no pointer.
    let r = unsafe { libc::syscall(nr) };
    if r < 0 { -i64::from(errno()) } else { r }
}

/// `getppid` through `syscall(2)`, so that no C library cache answers: the result
/// or `-errno`.
pub fn getppid() -> i64 {
    sys0(libc::SYS_getppid)
}

/// The calling thread's id.
pub fn gettid() -> i64 {
    sys0(libc::SYS_gettid)
}

/// A program: on the host arch, `nr` gets `hit` and everything else `miss`; other
/// arches are killed.
pub fn on_syscall(nr: libc::c_long, hit: u32, miss: u32) -> Program {
    let mut a = Assembler::new();
    let (native, bad_arch, yes, no) = (a.label(), a.label(), a.label(), a.label());
    a.stmt(BPF_LD | BPF_W | BPF_ABS, 4);
    a.jump(BPF_JMP | BPF_JEQ | BPF_K, host_arch(), native, bad_arch);
    a.bind(bad_arch);
    a.stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    a.bind(native);
    a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
    a.jump(BPF_JMP | BPF_JEQ | BPF_K, nr as u32, yes, no);
    a.bind(yes);
    a.stmt(BPF_RET | BPF_K, hit);
    a.bind(no);
    a.stmt(BPF_RET | BPF_K, miss);
    a.finish().expect("a valid program")
}

/// A program that allows everything.
pub fn allow_all() -> Program {
    Program::new(vec![bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)])
}

/// Runs `f` on a raw `pthread` while `main` runs on the calling thread, then joins
/// it. Nothing is allocated but the thread's stack (by the C library).
pub fn with_thread<F: FnOnce() + Send, R>(f: F, main: impl FnOnce(libc::pthread_t) -> R) -> R {
    extern "C" fn trampoline<F: FnOnce()>(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the `Option<F>` below, alive until the join.
        let f = unsafe { &mut *arg.cast::<Option<F>>() };
        if let Some(f) = f.take() {
            f();
        }
        std::ptr::null_mut()
    }
    let mut slot = Some(f);
    // SAFETY: an all-zero pthread_t is a valid placeholder.
    let mut thread: libc::pthread_t = unsafe { std::mem::zeroed() };
    // SAFETY: the slot outlives the thread, which is joined before returning.
    let r = unsafe {
        libc::pthread_create(
            &mut thread,
            std::ptr::null(),
            trampoline::<F>,
            (&raw mut slot).cast(),
        )
    };
    assert_eq!(r, 0, "pthread_create");
    let out = main(thread);
    // SAFETY: joining the thread made above, once.
    unsafe { libc::pthread_join(thread, std::ptr::null_mut()) };
    out
}

/// Spins (yielding) until `cond` holds or about 10 s have passed; whether it held.
pub fn spin_until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..1_000_000 {
        if cond() {
            return true;
        }
        // SAFETY: sched_yield takes no argument.
        unsafe { libc::sched_yield() };
        if cond() {
            return true;
        }
        // SAFETY: a valid timespec.
        unsafe {
            libc::nanosleep(
                &libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 10_000,
                },
                std::ptr::null_mut(),
            )
        };
    }
    false
}

/// Panics unless the tests run as root. For the tests marked
/// `#[ignore = "needs root…"]`: run with `--ignored`, they fail loudly instead of
/// passing without having run.
pub fn require_root(what: &str) {
    // SAFETY: geteuid takes no argument and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test needs root ({what}); it runs as uid {euid}"
    );
}
