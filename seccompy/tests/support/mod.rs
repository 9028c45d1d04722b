//! Test support: run a case in a forked child and observe it from outside.
//!
//! The test harness is multithreaded; after `fork` only the forking thread exists
//! in the child, so the child does little: system calls, atomics, raw threads
//! (`pthread_create`), no printing. It reports through its exit code and a pipe.
//! Every filter and strict-mode case runs in such a child, never in the harness.
//! The forking, waiting and reporting come from `seccompy-testing` (re-exported
//! here); what is seccompy's own (programs, raw calls, threads) is below.
#![allow(dead_code)]

use std::ffi::c_void;

pub mod audit;

use seccompy::bpf::{Assembler, Program};
use seccompy::sys::syscalls::Abi;
use seccompy::sys::*;

// Each test file uses some of these.
#[allow(unused_imports)]
pub use seccompy_testing::{
    Exit, Outcome, Report, SharedI64, TIMEOUT, ensure, errno, in_child, in_child_with, long,
    require_root, wait,
};

/// The host ABI's audit arch.
pub fn host_arch() -> u32 {
    Abi::host().expect("a known ABI").audit_arch()
}

/// A raw system call without arguments: the result, or `-errno`.
pub fn sys0(nr: libc::c_long) -> i64 {
    // SAFETY: the calls used here take no pointer.
    let r = unsafe { libc::syscall(nr) };
    if r < 0 { -i64::from(errno()) } else { r as i64 }
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
