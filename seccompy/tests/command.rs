//! `CommandSeccompExt`, live: filters installed in a child between `fork` and
//! `exec`, observed through real programs (`cat /proc/self/status`, `uname`).
//!
//! This test binary's allocator aborts a forked child that allocates or frees
//! before `exec`: every spawn here proves that the hooks (and the standard
//! library's own child code) stay away from the allocator after `fork`.
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};

use seccompy::sys::*;
use seccompy::{CommandSeccompExt, FilterFlags, SeccompOptions};
use support::*;

/// Aborts any process but the first one that uses it: a forked child that
/// allocates before `exec`.
struct NoAllocAfterFork;

static MAIN_PID: AtomicI32 = AtomicI32::new(0);

fn check_process() {
    // SAFETY: getpid takes no argument.
    let pid = unsafe { libc::getpid() };
    match MAIN_PID.compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => {}
        Err(main) if main == pid => {}
        Err(_) => {
            const MSG: &[u8] = b"allocator used between fork and exec\n";
            // SAFETY: writing a static message, then aborting.
            unsafe {
                libc::write(2, MSG.as_ptr().cast(), MSG.len());
                libc::abort();
            }
        }
    }
}

// SAFETY: forwards to the system allocator after the check.
unsafe impl GlobalAlloc for NoAllocAfterFork {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check_process();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check_process();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        check_process();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check_process();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: NoAllocAfterFork = NoAllocAfterFork;

fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn cat_status(options: SeccompOptions) -> String {
    let out = Command::new("cat")
        .arg("/proc/self/status")
        .seccomp(
            on_syscall(libc::SYS_uname, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ALLOW),
            options,
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_child_runs_under_the_filter_with_no_new_privs() {
    let ours = seccompy::Status::current().unwrap();
    let status = cat_status(SeccompOptions::default());
    assert_eq!(field(&status, "Seccomp"), Some("2"));
    assert_eq!(field(&status, "NoNewPrivs"), Some("1"));
    if let Some(n) = ours.filters {
        assert_eq!(
            field(&status, "Seccomp_filters"),
            Some((n + 1).to_string().as_str())
        );
    }
}

#[test]
#[ignore = "needs root (a child without no_new_privs installs with CAP_SYS_ADMIN)"]
fn no_new_privs_only_when_asked() {
    require_root("a child without no_new_privs installs with CAP_SYS_ADMIN");
    assert!(
        !seccompy::no_new_privileges().unwrap(),
        "the test harness runs with no_new_privs: the case cannot be shown"
    );
    let options = SeccompOptions {
        no_new_privs: false,
        ..SeccompOptions::default()
    };
    let status = cat_status(options);
    assert_eq!(field(&status, "Seccomp"), Some("2"));
    assert_eq!(field(&status, "NoNewPrivs"), Some("0"));
}

#[test]
fn the_filter_decides_the_programs_calls() {
    let out = Command::new("uname")
        .seccomp(
            on_syscall(
                libc::SYS_uname,
                SECCOMP_RET_ERRNO | libc::EXDEV as u32,
                SECCOMP_RET_ALLOW,
            ),
            SeccompOptions::default(),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let exdev = std::io::Error::from_raw_os_error(libc::EXDEV).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // uname reports strerror(EXDEV); the C library's text starts like Rust's.
    let words: String = exdev.split(" (os error").next().unwrap().to_owned();
    assert!(stderr.contains(&words), "{stderr}");
}

#[test]
fn a_failed_installation_fails_the_spawn_with_its_errno() {
    let empty: Vec<sock_filter> = Vec::new();
    let err = Command::new("true")
        .seccomp(empty, SeccompOptions::default())
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    let err = Command::new("true")
        .seccomp(
            allow_all(),
            SeccompOptions::with_flags(FilterFlags::NEW_LISTENER),
        )
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn flags_reach_the_kernel() {
    // TSYNC_ESRCH | TSYNC in a single-threaded child: accepted, installed.
    let flags = FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH | FilterFlags::LOG;
    let status = cat_status(SeccompOptions::with_flags(flags));
    assert_eq!(field(&status, "Seccomp"), Some("2"));
    // An unknown flag: the kernel's EINVAL comes back from spawn.
    let err = Command::new("true")
        .seccomp(
            allow_all(),
            SeccompOptions::with_flags(FilterFlags::from_bits_retain(1 << 20)),
        )
        .spawn()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn the_parent_gets_the_listener_and_answers() {
    let mut cmd = Command::new("uname");
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let program = on_syscall(libc::SYS_uname, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ALLOW);
    let spawned = cmd
        .spawn_with_listener(program, SeccompOptions::default())
        .unwrap();
    let (mut child, listener) = (spawned.child, spawned.listener);
    // SAFETY: F_GETFD on an fd we own.
    let fd_flags = unsafe { libc::fcntl(listener.as_raw_fd(), libc::F_GETFD) };
    assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);

    let mut notif = seccomp_notif::default();
    // SAFETY: a zeroed seccomp_notif; the listener is a seccomp listener.
    let r = unsafe { raw::seccomp_ioctl_notif_recv(listener.as_raw_fd(), &mut notif) };
    assert_eq!(r, 0, "recv: {}", std::io::Error::last_os_error());
    assert_eq!(libc::c_long::from(notif.data.nr), libc::SYS_uname);
    assert_eq!(notif.pid, child.id());
    assert_eq!(notif.data.arch, host_arch());
    let resp = seccomp_notif_resp {
        id: notif.id,
        val: 0,
        error: -libc::EXDEV,
        flags: 0,
    };
    // SAFETY: a valid response.
    let r = unsafe { raw::seccomp_ioctl_notif_send(listener.as_raw_fd(), &resp) };
    assert_eq!(r, 0, "send: {}", std::io::Error::last_os_error());

    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    let exdev = std::io::Error::from_raw_os_error(libc::EXDEV).to_string();
    let words = exdev.split(" (os error").next().unwrap();
    assert!(stderr.contains(words), "{stderr}");

    // The hook stays on the command but refuses a second spawn.
    let err = cmd.spawn().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

#[test]
fn no_listener_when_the_installation_fails() {
    let empty: Vec<sock_filter> = Vec::new();
    let err = Command::new("true")
        .spawn_with_listener(empty, SeccompOptions::default())
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn the_allocation_check_catches_an_allocating_hook() {
    // The control for every other case here: a hook that allocates is caught.
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let mut cmd = Command::new("true");
    cmd.stderr(Stdio::null());
    // SAFETY: deliberately not async-signal-safe, to be caught by the allocator.
    unsafe {
        cmd.pre_exec(|| {
            drop(std::hint::black_box(Box::new(1u64)));
            Ok(())
        })
    };
    let status = cmd.status().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?}");
}
