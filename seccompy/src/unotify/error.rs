//! The errors of the listener's operations, one type per operation.

use std::io;

use super::notification::NotifId;

/// Why [`Listener::recv`](super::Listener::recv) returned no notification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// `ENOENT` while targets remain: the call that woke the listener is gone.
    /// Its thread was killed, or a signal interrupted the call (which, if the
    /// signal handler returns with `SA_RESTART`, comes back as a new
    /// notification with a new id). Nothing is left to answer: receive again.
    #[error(
        "the notified call is gone: its thread was killed or a signal interrupted it \
         before the notification was read"
    )]
    Gone,
    /// No target is left: every thread that used the filter has exited and been
    /// reaped, so no notification can ever come again. Seen as `POLLHUP` on the
    /// listener (Linux 5.8); from Linux 6.11 a waiting receive also returns then.
    #[error("no target is left: every process using the filter has exited and been reaped")]
    Ended,
    /// Any other error of `SECCOMP_IOCTL_NOTIF_RECV` or `poll(2)`.
    #[error("receiving a seccomp notification failed")]
    Io {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl RecvError {
    /// Whether this is [`RecvError::Gone`]: receive again.
    #[must_use]
    pub fn is_gone(&self) -> bool {
        matches!(self, RecvError::Gone)
    }

    /// Whether this is [`RecvError::Ended`]: the supervision is over.
    #[must_use]
    pub fn is_ended(&self) -> bool {
        matches!(self, RecvError::Ended)
    }
}

/// Why [`Listener::respond`](super::Listener::respond) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RespondError {
    /// `ENOENT`: the call no longer waits for an answer. Its thread was killed,
    /// a signal interrupted it, or it was answered already.
    #[error(
        "notification {id} is no longer pending (its thread was killed or interrupted, or it was answered)"
    )]
    Gone {
        /// The notification.
        id: NotifId,
    },
    /// `EINPROGRESS`: the call is not waiting for an answer from the
    /// supervisor: it was not received yet, or it was answered already (the
    /// kernel takes exactly one answer).
    #[error("notification {id} is not awaiting an answer (not received yet, or answered already)")]
    NotAwaiting {
        /// The notification.
        id: NotifId,
    },
    /// `EINVAL`: the kernel refused the answer (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`
    /// needs Linux 5.5).
    #[error("the kernel refused the answer to notification {id} (continuing needs Linux 5.5)")]
    Refused {
        /// The notification.
        id: NotifId,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The response was made by [`Request::send_fd`](super::Request::send_fd)
    /// for another notification, so this one is still unanswered.
    #[error("the response answered notification {answered}, not {id}")]
    WrongNotification {
        /// The notification to answer.
        id: NotifId,
        /// The notification the response answered.
        answered: NotifId,
    },
    /// Any other error.
    #[error("answering seccomp notification {id} failed")]
    Io {
        /// The notification.
        id: NotifId,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// Why [`Listener::id_valid`](super::Listener::id_valid) could not tell.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdValidError {
    /// Neither the current nor the pre-5.9 request number worked.
    #[error("SECCOMP_IOCTL_NOTIF_ID_VALID failed")]
    Io {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// Why [`Listener::pidfd`](super::Listener::pidfd) or
/// [`Listener::kill`](super::Listener::kill) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PidfdError {
    /// The caller is not visible in the listener's pid namespace (its pid is 0).
    #[error("the caller of notification {id} is not visible in this pid namespace")]
    NotVisible {
        /// The notification.
        id: NotifId,
    },
    /// The call no longer waits: its thread was killed or interrupted, so its
    /// number may name another process by now. Nothing was signalled.
    #[error("notification {id} is no longer pending: its caller is gone")]
    Gone {
        /// The notification.
        id: NotifId,
    },
    /// Any other error of `pidfd_open(2)` (Linux 5.3), `/proc/<tid>/status`,
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID` or `pidfd_send_signal(2)` (Linux 5.1).
    #[error("cannot reach the caller's process through a pidfd")]
    Io {
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Why [`Listener::set_sync_wake_up`](super::Listener::set_sync_wake_up) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncWakeUpError {
    /// `EINVAL` or `ENOTTY`: the kernel lacks `SECCOMP_IOCTL_NOTIF_SET_FLAGS`
    /// (Linux 6.6).
    #[error("this kernel has no synchronous wake-up for seccomp listeners (Linux 6.6)")]
    Unsupported {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Any other error.
    #[error("SECCOMP_IOCTL_NOTIF_SET_FLAGS failed")]
    Io {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// Why adding an fd to a target failed
/// ([`Listener::add_fd`](super::Listener::add_fd) and friends).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddFdError {
    /// `ENOENT`: the call no longer waits (its thread was killed or interrupted,
    /// or it was answered).
    #[error("notification {id} is no longer pending")]
    Gone {
        /// The notification.
        id: NotifId,
    },
    /// `EINPROGRESS`: the notification has not been received yet, so no fd can
    /// be added for it.
    #[error("notification {id} has not been received yet")]
    NotReceived {
        /// The notification.
        id: NotifId,
    },
    /// `EBUSY`: an atomic add-and-answer while other adds for the same call are
    /// still queued.
    #[error("other fds are still being added for notification {id}")]
    Busy {
        /// The notification.
        id: NotifId,
    },
    /// `EMFILE`: the target has no free fd number below its `RLIMIT_NOFILE`.
    /// With [`add_fd_and_respond`](super::Listener::add_fd_and_respond) the call is
    /// still pending and must be answered.
    #[error("the target has no free fd number below its RLIMIT_NOFILE")]
    TooManyFiles {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// `EBADF`: the chosen fd number is at or above the target's
    /// `RLIMIT_NOFILE`.
    #[error("the chosen fd number is not below the target's RLIMIT_NOFILE")]
    BadTargetFd {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// `EINVAL`: the kernel lacks the request (Linux 5.9) or the atomic
    /// add-and-answer (Linux 5.14), or refused the fd number.
    #[error(
        "the kernel refused the request (adding fds needs Linux 5.9, adding and answering \
         at once Linux 5.14)"
    )]
    Refused {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Any other error.
    #[error("SECCOMP_IOCTL_NOTIF_ADDFD failed")]
    Io {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

impl AddFdError {
    pub(crate) fn from_errno(errno: i32, id: NotifId) -> AddFdError {
        let source = io::Error::from_raw_os_error(errno);
        match errno {
            libc::ENOENT => AddFdError::Gone { id },
            libc::EINPROGRESS => AddFdError::NotReceived { id },
            libc::EBUSY => AddFdError::Busy { id },
            libc::EMFILE => AddFdError::TooManyFiles { source },
            libc::EBADF => AddFdError::BadTargetFd { source },
            libc::EINVAL | libc::ENOTTY => AddFdError::Refused { source },
            _ => AddFdError::Io { source },
        }
    }

    /// The kernel's errno, where there is one.
    #[must_use]
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            AddFdError::Gone { .. } => Some(libc::ENOENT),
            AddFdError::NotReceived { .. } => Some(libc::EINPROGRESS),
            AddFdError::Busy { .. } => Some(libc::EBUSY),
            AddFdError::TooManyFiles { source }
            | AddFdError::BadTargetFd { source }
            | AddFdError::Refused { source }
            | AddFdError::Io { source } => source.raw_os_error(),
        }
    }
}

/// Why reading (or writing) a target's memory failed
/// ([`TargetMemory`](super::TargetMemory)).
///
/// Whatever was read before the failure is discarded: a caller's buffer is
/// zeroed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryError {
    /// The notification is no longer pending, so the pid may name another
    /// process by now: what was read cannot be trusted and was discarded.
    #[error("notification {id} is no longer pending: what was read was discarded")]
    Invalid {
        /// The notification.
        id: NotifId,
    },
    /// The caller is not visible in the listener's pid namespace (its pid is 0),
    /// so its memory cannot be named.
    #[error("the target of notification {id} is not visible in this pid namespace")]
    NotVisible {
        /// The notification.
        id: NotifId,
    },
    /// The range is not (entirely) mapped readable (writable) in the target.
    #[error("{len} bytes at {addr:#x} are not accessible in the target")]
    Fault {
        /// Start of the range.
        addr: u64,
        /// Its length.
        len: usize,
    },
    /// No NUL within the limit given to
    /// [`read_c_string`](super::TargetMemory::read_c_string).
    #[error("no NUL within {max} bytes at {addr:#x}")]
    TooLong {
        /// Where the string starts.
        addr: u64,
        /// The limit, in bytes without the NUL.
        max: usize,
    },
    /// `EPERM` or `EACCES`: the supervisor may not read the target's memory
    /// (ptrace access mode checks: same user and no `PR_SET_DUMPABLE` 0, or
    /// `CAP_SYS_PTRACE`; Yama may restrict further).
    #[error("the supervisor may not access the target's memory (ptrace access checks)")]
    Denied {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Any other error of `process_vm_readv(2)`, `/proc/pid/mem` or the
    /// validation.
    #[error("accessing the target's memory failed")]
    Io {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_fd_errnos_name_their_cause() {
        let id = NotifId::from_raw(3);
        for (errno, check) in [
            (libc::ENOENT, "no longer pending"),
            (libc::EINPROGRESS, "not been received"),
            (libc::EBUSY, "still being added"),
            (libc::EMFILE, "no free fd"),
            (libc::EBADF, "chosen fd number"),
            (libc::EINVAL, "Linux 5.9"),
            (libc::EPERM, "ADDFD failed"),
        ] {
            let e = AddFdError::from_errno(errno, id);
            assert!(e.to_string().contains(check), "{errno}: {e}");
            assert_eq!(e.raw_os_error(), Some(errno));
        }
        assert!(RecvError::Gone.is_gone());
        assert!(RecvError::Ended.is_ended());
        assert!(!RecvError::Gone.is_ended());
    }
}
