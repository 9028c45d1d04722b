//! Asks the running kernel about the ABI, in process: none of these calls installs
//! a filter or changes the process.

use core::mem::size_of;

use seccompy_sys::raw;
use seccompy_sys::*;
use seccompy_testing::errno;

/// A `Name:\tvalue` field of `/proc/self/status`.
fn proc_status_field(name: &str) -> i32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {name} in /proc/self/status"));
    line.trim().parse().expect("a number")
}

#[test]
fn notif_sizes_of_the_kernel_are_ours() {
    let mut sizes = seccomp_notif_sizes::default();
    // SAFETY: `sizes` is a writable seccomp_notif_sizes.
    let r = unsafe { raw::seccomp_get_notif_sizes(&mut sizes) };
    assert_eq!(r, 0, "SECCOMP_GET_NOTIF_SIZES: errno {}", errno());
    assert_eq!(usize::from(sizes.seccomp_notif), size_of::<seccomp_notif>());
    assert_eq!(
        usize::from(sizes.seccomp_notif_resp),
        size_of::<seccomp_notif_resp>()
    );
    assert_eq!(usize::from(sizes.seccomp_data), size_of::<seccomp_data>());
}

#[test]
fn no_new_privs_reads_as_proc_status_says() {
    // SAFETY: a query without memory arguments.
    let r = unsafe { raw::prctl_get_no_new_privs() };
    assert!(
        r == 0 || r == 1,
        "PR_GET_NO_NEW_PRIVS returned {r}, errno {}",
        errno()
    );
    assert_eq!(r, proc_status_field("NoNewPrivs"));
}

#[test]
fn seccomp_mode_reads_as_proc_status_says() {
    // SAFETY: a query without memory arguments; the test process is not in strict
    // mode (it could not run the harness if it were).
    let r = unsafe { raw::prctl_get_seccomp() };
    assert!(r >= 0, "PR_GET_SECCOMP: errno {}", errno());
    assert_eq!(r, proc_status_field("Seccomp"));
}

#[test]
fn every_action_is_available() {
    let actions = [
        ("KILL_PROCESS", SECCOMP_RET_KILL_PROCESS),
        ("KILL_THREAD", SECCOMP_RET_KILL_THREAD),
        ("TRAP", SECCOMP_RET_TRAP),
        ("ERRNO", SECCOMP_RET_ERRNO),
        ("USER_NOTIF", SECCOMP_RET_USER_NOTIF),
        ("TRACE", SECCOMP_RET_TRACE),
        ("LOG", SECCOMP_RET_LOG),
        ("ALLOW", SECCOMP_RET_ALLOW),
    ];
    for (name, action) in actions {
        // SAFETY: `action` is a readable u32.
        let r = unsafe { raw::seccomp_get_action_avail(&action) };
        assert_eq!(r, 0, "SECCOMP_RET_{name}: errno {}", errno());
    }
}

#[test]
fn unknown_actions_are_not_available() {
    // Between the defined actions, and an action with data bits set: the kernel
    // only knows the exact action values.
    for action in [0x0001_0000, 0x7ff8_0000, SECCOMP_RET_ERRNO | 1, 0xffff_0000] {
        // SAFETY: `action` is a readable u32.
        let r = unsafe { raw::seccomp_get_action_avail(&action) };
        assert_eq!(r, -1, "action {action:#x} reported available");
        assert_eq!(errno(), libc::EOPNOTSUPP, "action {action:#x}");
    }
}

#[test]
fn unknown_operation_fails_with_einval() {
    // SAFETY: an unknown operation never touches `args`.
    let r = unsafe { raw::seccomp(0xdead, 0, core::ptr::null_mut()) };
    assert_eq!(r, -1);
    assert_eq!(errno(), libc::EINVAL);
}

#[test]
fn listener_ioctls_are_refused_by_other_files() {
    // A pipe is no seccomp listener: the request must be refused, not misread.
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let mut notif = seccomp_notif::default();
    // SAFETY: `notif` is writable; a pipe does not implement this request.
    let r = unsafe { raw::seccomp_ioctl_notif_recv(fds[0], &mut notif) };
    let e = errno();
    for fd in fds {
        // SAFETY: closing the fds we opened.
        unsafe { libc::close(fd) };
    }
    assert_eq!(r, -1);
    assert_eq!(e, libc::ENOTTY);
}
