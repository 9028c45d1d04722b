//! Installing a filter: [`set_filter`] and [`set_filter_with_listener`].
//!
//! Both only read the program and build the kernel's `sock_fprog` on the stack:
//! they never allocate and take no lock, so they may run between `fork` and
//! `exec` (in a `pre_exec` hook). Their errors carry no heap data either.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use seccompy_sys::{BPF_MAXINSNS, SECCOMP_MODE_FILTER, raw, sock_filter, sock_fprog};

use crate::flags::{FilterFlags, WithVersions};

/// Why [`set_filter`] failed.
///
/// Each variant names the likely cause; the kernel's errno is the
/// [`source`](std::error::Error::source) where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetFilterError {
    /// The program is empty or longer than the kernel's 4096 instructions; nothing
    /// was asked of the kernel.
    #[error("a seccomp filter has 1 to 4096 instructions, this one has {len}")]
    Length {
        /// The program's length.
        len: usize,
    },
    /// `EACCES`: the thread has neither `no_new_privs` nor `CAP_SYS_ADMIN`.
    #[error(
        "permission denied: installing a seccomp filter needs no_new_privs \
         (call set_no_new_privileges first) or CAP_SYS_ADMIN in the thread's user namespace"
    )]
    PermissionDenied {
        /// The kernel's error (`EACCES`).
        #[source]
        source: io::Error,
    },
    /// `EINVAL` for `NEW_LISTENER` with `TSYNC` but without `TSYNC_ESRCH`: a
    /// failed synchronisation would return a thread id where the listener fd is
    /// expected.
    #[error(
        "NEW_LISTENER together with TSYNC needs TSYNC_ESRCH (Linux 5.7), so that a failed \
         synchronisation is not mistaken for a listener fd"
    )]
    ListenerWithTsync {
        /// The kernel's error (`EINVAL`).
        #[source]
        source: io::Error,
    },
    /// `EINVAL` for `WAIT_KILLABLE_RECV` without `NEW_LISTENER`.
    #[error("WAIT_KILLABLE_RECV applies to a listener and needs NEW_LISTENER")]
    KillableWithoutListener {
        /// The kernel's error (`EINVAL`).
        #[source]
        source: io::Error,
    },
    /// `EINVAL` otherwise: a flag this kernel lacks, a program its checker refuses
    /// (a bad opcode or offset, a jump out of the program, a path without a
    /// return), or a thread in strict mode.
    #[error(
        "the kernel refused the filter: either a flag it lacks (asked: {}), or a program its \
         BPF checker rejects, or the thread is in strict mode",
        WithVersions(*flags)
    )]
    Invalid {
        /// The flags asked for; [`FilterFlags::supported`] says which this kernel knows.
        flags: FilterFlags,
        /// The kernel's error (`EINVAL`).
        #[source]
        source: io::Error,
    },
    /// `TSYNC` failed: the thread with this id has a filter of its own that the
    /// caller's filters do not contain (or is in strict mode), so no thread got the
    /// new filter.
    #[error(
        "TSYNC failed: thread {tid} has seccomp filters that diverge from this thread's \
         (or is in strict mode), so the filter was installed on no thread"
    )]
    Tsync {
        /// The id of a thread that could not be synchronised.
        tid: libc::pid_t,
    },
    /// `ESRCH` with `TSYNC_ESRCH`: some thread could not be synchronised.
    #[error(
        "TSYNC failed: a thread has seccomp filters that diverge from this thread's \
         (or is in strict mode), so the filter was installed on no thread"
    )]
    TsyncEsrch {
        /// The kernel's error (`ESRCH`).
        #[source]
        source: io::Error,
    },
    /// `ENOMEM`: the thread's filters together would pass the kernel's limit of
    /// 32768 instructions (each filter counts its length plus 4), or the kernel is
    /// out of memory.
    #[error(
        "out of memory: the thread's seccomp filters together would exceed the kernel's \
         limit of 32768 instructions (each filter counts its length plus 4)"
    )]
    TooManyInstructions {
        /// The kernel's error (`ENOMEM`).
        #[source]
        source: io::Error,
    },
    /// `EBUSY`: `NEW_LISTENER` was asked, but a filter of the thread already has a
    /// listener.
    #[error(
        "NEW_LISTENER: a filter of this thread already has a user-notification listener, \
         and a chain may have only one"
    )]
    ListenerBusy {
        /// The kernel's error (`EBUSY`).
        #[source]
        source: io::Error,
    },
    /// `ENOSYS`, or `EINVAL` from the `prctl(2)` fallback: the kernel has no
    /// seccomp filter support (Linux 3.5, `CONFIG_SECCOMP_FILTER`).
    #[error("this kernel does not support seccomp filters (Linux 3.5, CONFIG_SECCOMP_FILTER)")]
    Unsupported {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Any other error (`EFAULT`, or an errno a seccomp filter of the thread
    /// returned for the `seccomp(2)` call itself).
    #[error("seccomp(SECCOMP_SET_MODE_FILTER) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl SetFilterError {
    /// The kernel's errno, if the kernel returned one.
    #[must_use]
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            SetFilterError::Length { .. } | SetFilterError::Tsync { .. } => None,
            SetFilterError::PermissionDenied { source }
            | SetFilterError::ListenerWithTsync { source }
            | SetFilterError::KillableWithoutListener { source }
            | SetFilterError::Invalid { source, .. }
            | SetFilterError::TsyncEsrch { source }
            | SetFilterError::TooManyInstructions { source }
            | SetFilterError::ListenerBusy { source }
            | SetFilterError::Unsupported { source }
            | SetFilterError::Other { source } => source.raw_os_error(),
        }
    }

    /// The flags of `flags` that the running kernel does not know, when the error
    /// is [`Invalid`](Self::Invalid) (probes the kernel once, see
    /// [`FilterFlags::supported`]).
    #[must_use]
    pub fn unsupported_flags(&self) -> Option<FilterFlags> {
        match self {
            SetFilterError::Invalid { flags, .. } => {
                Some(flags.difference(FilterFlags::supported()))
            }
            _ => None,
        }
    }

    /// Classifies a failed call's errno. Allocation-free.
    pub(crate) fn from_errno(errno: i32, flags: FilterFlags) -> Self {
        let source = io::Error::from_raw_os_error(errno);
        match errno {
            libc::EACCES => SetFilterError::PermissionDenied { source },
            libc::EINVAL
                if flags.contains(FilterFlags::TSYNC | FilterFlags::NEW_LISTENER)
                    && !flags.contains(FilterFlags::TSYNC_ESRCH) =>
            {
                SetFilterError::ListenerWithTsync { source }
            }
            libc::EINVAL
                if flags.contains(FilterFlags::WAIT_KILLABLE_RECV)
                    && !flags.contains(FilterFlags::NEW_LISTENER) =>
            {
                SetFilterError::KillableWithoutListener { source }
            }
            libc::EINVAL => SetFilterError::Invalid { flags, source },
            libc::ESRCH if flags.contains(FilterFlags::TSYNC) => {
                SetFilterError::TsyncEsrch { source }
            }
            libc::ENOMEM => SetFilterError::TooManyInstructions { source },
            libc::EBUSY if flags.contains(FilterFlags::NEW_LISTENER) => {
                SetFilterError::ListenerBusy { source }
            }
            libc::ENOSYS => SetFilterError::Unsupported { source },
            _ => SetFilterError::Other { source },
        }
    }
}

/// Installs a seccomp filter on the calling thread.
///
/// `program` is any contiguous list of instructions: a compiled
/// program or any [`seccompy_bpf::Program`], a slice or an array
/// of [`sock_filter`] (such as one embedded with
/// [`include_program!`](crate::include_program)). From now on the filter decides
/// every system call of the thread, and of the threads and processes it creates;
/// with [`FilterFlags::TSYNC`], of every thread of the process. Filters stack: the
/// kernel runs all of them and applies the most restrictive result. A filter can
/// never be removed.
///
/// The thread needs `no_new_privs` ([`set_no_new_privileges`](crate::set_no_new_privileges))
/// or `CAP_SYS_ADMIN`.
///
/// Returns the user-notification listener with [`FilterFlags::NEW_LISTENER`]
/// (close-on-exec), `None` otherwise.
///
/// Uses `seccomp(2)`, or `prctl(PR_SET_SECCOMP)` on kernels older than 3.17 when
/// no flag is asked. Neither allocates nor locks: safe between `fork` and `exec`.
///
/// # Errors
/// See [`SetFilterError`]: each kernel error is named with its likely cause.
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_SET_MODE_FILTER`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
///   (Linux 3.17; `PR_SET_SECCOMP` filters since Linux 3.5)
/// - [`PR_SET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_SECCOMP.2const.html)
#[doc(alias = "SECCOMP_SET_MODE_FILTER")]
#[doc(alias = "PR_SET_SECCOMP")]
#[doc(alias = "seccomp")]
pub fn set_filter<P>(flags: FilterFlags, program: &P) -> Result<Option<OwnedFd>, SetFilterError>
where
    P: AsRef<[sock_filter]> + ?Sized,
{
    install(flags, program.as_ref())
}

/// Installs a filter with [`FilterFlags::NEW_LISTENER`] added to `flags`, and
/// returns its user-notification listener (close-on-exec).
///
/// The filter's `USER_NOTIF` results are sent to the listener; a thread that makes
/// such a call waits until the supervisor answers. As [`set_filter`], it neither
/// allocates nor locks.
///
/// # Errors
/// See [`SetFilterError`]; [`SetFilterError::ListenerBusy`] if a filter of the
/// thread already has a listener.
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_FILTER_FLAG_NEW_LISTENER`](https://man7.org/linux/man-pages/man2/seccomp.2.html) (Linux 5.0)
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
#[doc(alias = "SECCOMP_FILTER_FLAG_NEW_LISTENER")]
pub fn set_filter_with_listener<P>(
    flags: FilterFlags,
    program: &P,
) -> Result<OwnedFd, SetFilterError>
where
    P: AsRef<[sock_filter]> + ?Sized,
{
    match install(flags | FilterFlags::NEW_LISTENER, program.as_ref())? {
        Some(fd) => Ok(fd),
        // `install` returns the fd whenever NEW_LISTENER is set and the call succeeds.
        None => Err(SetFilterError::Other {
            source: io::Error::from_raw_os_error(libc::EBADF),
        }),
    }
}

/// The allocation-free core of [`set_filter`].
pub(crate) fn install(
    flags: FilterFlags,
    insns: &[sock_filter],
) -> Result<Option<OwnedFd>, SetFilterError> {
    let len = match u16::try_from(insns.len()) {
        Ok(len) if len != 0 && insns.len() <= BPF_MAXINSNS => len,
        _ => return Err(SetFilterError::Length { len: insns.len() }),
    };
    let prog = sock_fprog {
        len,
        // The kernel only reads the instructions; `sock_fprog` spells the pointer `*mut`.
        filter: insns.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points to `len` valid instructions that live across the call.
    let ret = unsafe { raw::seccomp_set_mode_filter(flags.bits(), &prog) };
    if ret < 0 {
        let mut errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if errno == libc::ENOSYS && flags.is_empty() {
            // Linux 3.5 to 3.16: filters exist, `seccomp(2)` does not.
            // SAFETY: as above; the kernel only reads `prog`.
            let r = unsafe { raw::prctl_set_seccomp(SECCOMP_MODE_FILTER.into(), &prog) };
            if r == 0 {
                return Ok(None);
            }
            errno = match io::Error::last_os_error().raw_os_error().unwrap_or(0) {
                // Without CONFIG_SECCOMP_FILTER, prctl refuses the mode with EINVAL.
                libc::EINVAL => libc::ENOSYS,
                e => e,
            };
        }
        return Err(SetFilterError::from_errno(errno, flags));
    }
    if flags.contains(FilterFlags::NEW_LISTENER) {
        let fd = libc::c_int::try_from(ret).map_err(|_| SetFilterError::Other {
            source: io::Error::from_raw_os_error(libc::EBADF),
        })?;
        // SAFETY: with NEW_LISTENER, a non-negative result is a new fd that the
        // kernel opened for us and that nothing else owns.
        return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
    }
    if ret > 0 && flags.contains(FilterFlags::TSYNC) {
        return Err(SetFilterError::Tsync {
            tid: libc::pid_t::try_from(ret).unwrap_or(libc::pid_t::MAX),
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_classification_names_the_cause() {
        let f = FilterFlags::empty();
        assert!(matches!(
            SetFilterError::from_errno(libc::EACCES, f),
            SetFilterError::PermissionDenied { .. }
        ));
        let lt = FilterFlags::TSYNC | FilterFlags::NEW_LISTENER;
        assert!(matches!(
            SetFilterError::from_errno(libc::EINVAL, lt),
            SetFilterError::ListenerWithTsync { .. }
        ));
        assert!(matches!(
            SetFilterError::from_errno(libc::EINVAL, lt | FilterFlags::TSYNC_ESRCH),
            SetFilterError::Invalid { .. }
        ));
        assert!(matches!(
            SetFilterError::from_errno(libc::EINVAL, FilterFlags::WAIT_KILLABLE_RECV),
            SetFilterError::KillableWithoutListener { .. }
        ));
        assert!(matches!(
            SetFilterError::from_errno(libc::ESRCH, FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH),
            SetFilterError::TsyncEsrch { .. }
        ));
        assert!(matches!(
            SetFilterError::from_errno(libc::ESRCH, f),
            SetFilterError::Other { .. }
        ));
        assert!(matches!(
            SetFilterError::from_errno(libc::EBUSY, FilterFlags::NEW_LISTENER),
            SetFilterError::ListenerBusy { .. }
        ));
        let e = SetFilterError::from_errno(libc::ENOMEM, f);
        assert_eq!(e.raw_os_error(), Some(libc::ENOMEM));
        assert!(e.to_string().contains("32768"), "{e}");
        let e = SetFilterError::from_errno(libc::EINVAL, FilterFlags::LOG);
        assert!(e.to_string().contains("LOG (Linux 4.14)"), "{e}");
        let src = std::error::Error::source(&e).expect("the errno is the source");
        assert_eq!(
            src.downcast_ref::<io::Error>()
                .and_then(io::Error::raw_os_error),
            Some(libc::EINVAL)
        );
    }

    #[test]
    fn bad_lengths_are_refused_before_the_kernel() {
        let e = set_filter(FilterFlags::empty(), &[] as &[sock_filter]).unwrap_err();
        assert!(matches!(e, SetFilterError::Length { len: 0 }));
        let long = vec![sock_filter::default(); BPF_MAXINSNS + 1];
        let e = set_filter(FilterFlags::empty(), &long).unwrap_err();
        assert!(matches!(e, SetFilterError::Length { len: 4097 }));
        assert_eq!(e.raw_os_error(), None);
    }
}
