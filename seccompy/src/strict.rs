//! Strict mode: [`set_strict`].

use std::io;

use seccompy_sys::{SECCOMP_MODE_STRICT, raw};

/// Why [`set_strict`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StrictError {
    /// `EINVAL`: the thread already has seccomp filters (a thread cannot change
    /// its seccomp mode), or the kernel was built without `CONFIG_SECCOMP`.
    #[error(
        "cannot enter strict mode: the thread already has seccomp filters (the mode cannot \
         change), or the kernel lacks CONFIG_SECCOMP"
    )]
    Invalid {
        /// The kernel's error (`EINVAL`).
        #[source]
        source: io::Error,
    },
    /// Any other error (such as an errno that a seccomp filter of the thread
    /// returned for the call itself).
    #[error("seccomp(SECCOMP_SET_MODE_STRICT) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl StrictError {
    fn from_errno(errno: i32) -> Self {
        let source = io::Error::from_raw_os_error(errno);
        match errno {
            libc::EINVAL => StrictError::Invalid { source },
            _ => StrictError::Other { source },
        }
    }
}

/// Puts the calling thread in strict mode: from now on it may only call `read`,
/// `write`, `_exit` (the thread's `exit`, not `exit_group`) and `sigreturn`; any
/// other system call kills it with `SIGKILL`, which ends the whole process.
///
/// That includes what the Rust runtime does on its own: returning from `main`
/// calls `sigaltstack`, `munmap` and `exit_group`, so even a program that does
/// nothing forbidden after this call dies with `SIGKILL` at its end unless it
/// leaves with `libc::syscall(libc::SYS_exit, code)`. Strict mode needs no
/// privilege and cannot be left. The call neither allocates nor locks.
///
/// Uses `seccomp(SECCOMP_SET_MODE_STRICT)`, or `prctl(PR_SET_SECCOMP)` on kernels
/// older than 3.17.
///
/// # Errors
/// [`StrictError::Invalid`] if the thread already has filters. In strict mode
/// already, the call itself is forbidden and kills the process.
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_SET_MODE_STRICT`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
///   (Linux 3.17; strict mode itself since Linux 2.6.12)
/// - [`PR_SET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_SECCOMP.2const.html)
#[doc(alias = "SECCOMP_SET_MODE_STRICT")]
#[doc(alias = "SECCOMP_MODE_STRICT")]
pub fn set_strict() -> Result<(), StrictError> {
    // SAFETY: strict mode takes no memory argument. What it forbids afterwards is
    // this function's documented contract with its caller, and forbidden calls
    // kill the process rather than cause undefined behaviour.
    let ret = unsafe { raw::seccomp_set_mode_strict() };
    if ret == 0 {
        return Ok(());
    }
    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    if errno != libc::ENOSYS {
        return Err(StrictError::from_errno(errno));
    }
    // Linux 2.6.23 to 3.16.
    // SAFETY: strict mode takes a null program.
    let ret = unsafe { raw::prctl_set_seccomp(SECCOMP_MODE_STRICT.into(), core::ptr::null()) };
    if ret == 0 {
        return Ok(());
    }
    Err(StrictError::from_errno(
        io::Error::last_os_error().raw_os_error().unwrap_or(0),
    ))
}
