//! The `no_new_privs` bit: [`set_no_new_privileges`] and [`no_new_privileges`].

use std::io;

use seccompy_sys::raw;

/// Why reading or setting `no_new_privs` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoNewPrivsError {
    /// `EINVAL`: the kernel predates `no_new_privs` (Linux 3.5).
    #[error("this kernel does not know no_new_privs (Linux 3.5)")]
    Unsupported {
        /// The kernel's error (`EINVAL`).
        #[source]
        source: io::Error,
    },
    /// Any other error (such as an errno that a seccomp filter of the thread
    /// returned for `prctl` itself).
    #[error("prctl(PR_SET_NO_NEW_PRIVS / PR_GET_NO_NEW_PRIVS) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl NoNewPrivsError {
    fn last() -> Self {
        let source = io::Error::last_os_error();
        match source.raw_os_error() {
            Some(libc::EINVAL) => NoNewPrivsError::Unsupported { source },
            _ => NoNewPrivsError::Other { source },
        }
    }
}

/// Sets the calling thread's `no_new_privs` bit, for good.
///
/// From now on `execve(2)` grants no new privilege to the thread or its children:
/// set-user-id and set-group-id bits and file capabilities are ignored. It lets an
/// unprivileged thread install seccomp filters. The bit is inherited by new
/// threads and children and cannot be cleared. Neither allocates nor locks.
///
/// # Errors
/// [`NoNewPrivsError::Unsupported`] on kernels older than 3.5.
///
/// # References
/// - [`PR_SET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_NO_NEW_PRIVS.2const.html) (Linux 3.5)
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
#[doc(alias = "PR_SET_NO_NEW_PRIVS")]
#[doc(alias = "no_new_privs")]
pub fn set_no_new_privileges() -> Result<(), NoNewPrivsError> {
    // SAFETY: no memory is involved; setting the bit is this function's purpose.
    if unsafe { raw::prctl_set_no_new_privs() } == 0 {
        Ok(())
    } else {
        Err(NoNewPrivsError::last())
    }
}

/// Whether the calling thread's `no_new_privs` bit is set.
///
/// # Errors
/// [`NoNewPrivsError::Unsupported`] on kernels older than 3.5.
///
/// # References
/// - [`PR_GET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_NO_NEW_PRIVS.2const.html) (Linux 3.5)
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
#[doc(alias = "PR_GET_NO_NEW_PRIVS")]
pub fn no_new_privileges() -> Result<bool, NoNewPrivsError> {
    // SAFETY: no memory is involved and nothing changes.
    match unsafe { raw::prctl_get_no_new_privs() } {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(NoNewPrivsError::last()),
    }
}
