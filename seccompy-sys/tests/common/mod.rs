//! Helpers shared by the integration tests: running code in a forked child.

#![allow(dead_code)]

/// Forks; the child runs `child` and leaves with `_exit` and the code it returns,
/// so nothing of the test harness runs in it. The parent waits and returns the
/// child's exit code, failing the test if the child was killed by a signal.
///
/// `child` must only make async-signal-safe calls (raw system calls, no
/// allocation, no locks, no panics): the test harness is multi-threaded.
pub fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: fork has no preconditions; in the child we only run `child`, which
    // the caller keeps async-signal-safe, then `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = child();
        // SAFETY: leaving the child without running the parent's destructors or
        // atexit handlers is the point.
        unsafe { libc::_exit(code) };
    }
    let status = wait(pid);
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally: wait status {status:#x}"
    );
    libc::WEXITSTATUS(status)
}

/// Waits for `pid` (also for a stop) and returns the raw wait status.
pub fn wait(pid: libc::pid_t) -> libc::c_int {
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

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
