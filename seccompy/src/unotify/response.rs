//! The supervisor's answer to a call: [`Response`].

use seccompy_sys::{SECCOMP_USER_NOTIF_FLAG_CONTINUE, seccomp_notif_resp};

use super::addfd::TargetFd;
use super::notification::NotifId;
pub use crate::errno::{Errno, InvalidErrno};

impl From<Errno> for Response {
    /// [`Response::errno`].
    fn from(errno: Errno) -> Response {
        Response::errno(errno)
    }
}

/// How the supervisor answers a call.
///
/// - [`Response::value`]: the call returns this value, as if it had run.
/// - [`Response::errno`]: the call fails with this error.
/// - [`Response::continue_unchecked`]: the kernel runs the call after all.
///
/// A fourth kind comes only from
/// [`Request::send_fd`](super::Request::send_fd): the call was already answered
/// with the number of an fd the supervisor added to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Response(pub(crate) Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Value(i64),
    Errno(Errno),
    Continue,
    /// Already answered by an `ADDFD` with `SECCOMP_ADDFD_FLAG_SEND`.
    Sent {
        id: NotifId,
        fd: TargetFd,
    },
}

impl Response {
    /// The call succeeds and returns `value`.
    ///
    /// The kernel hands `value` over as the raw return value: on the target's
    /// side, a value from -4095 to -1 reads as a failure with that errno (the C
    /// library sets `errno` and returns -1). Use [`Response::errno`] for errors.
    #[must_use]
    pub const fn value(value: i64) -> Response {
        Response(Kind::Value(value))
    }

    /// The call fails with `errno`.
    #[must_use]
    pub const fn errno(errno: Errno) -> Response {
        Response(Kind::Errno(errno))
    }

    /// The call fails with the raw error number `errno`: the same as
    /// `Errno::new(errno).map(Response::errno)`.
    ///
    /// # Errors
    /// [`InvalidErrno`] if `errno` is not between 1 and 4095.
    pub const fn fail(errno: i32) -> Result<Response, InvalidErrno> {
        match Errno::new(errno) {
            Ok(e) => Ok(Response::errno(e)),
            Err(e) => Err(e),
        }
    }

    /// Let the kernel run the call as if no filter had asked
    /// (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5).
    ///
    /// # Never a security decision
    ///
    /// The name says it: what the supervisor checked is not what the kernel will
    /// run.
    ///
    /// - **The target can change its memory after the check.** A path or a
    ///   structure that an argument points to lives in the target's memory; another
    ///   thread of the target, or a process sharing that memory, can rewrite it
    ///   between the supervisor's read and the kernel's, so the kernel may open a
    ///   different path than the one the supervisor approved. Only the register
    ///   arguments themselves are fixed.
    /// - **A later filter can win.** The call goes on through the rest of the
    ///   target's filters: a filter installed after the notifying one (the target
    ///   can install its own) is consulted again, and a filter returning an action
    ///   of higher precedence decides; continuing never overrides them.
    ///
    /// So use it to let a call through after the supervisor has only *looked* (to
    /// log, count or decide to emulate other calls), or for calls where no answer
    /// could be unsafe; never to allow a call the filter would otherwise deny.
    /// To enforce a decision, perform the operation in the supervisor and answer
    /// with its result ([`Response::value`], or an fd with
    /// [`Request::send_fd`](super::Request::send_fd)).
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html),
    ///   "Design goals; use of `SECCOMP_USER_NOTIF_FLAG_CONTINUE`"
    #[doc(alias = "SECCOMP_USER_NOTIF_FLAG_CONTINUE")]
    #[must_use]
    pub const fn continue_unchecked() -> Response {
        Response(Kind::Continue)
    }

    /// The errno this response fails the call with, if it does.
    #[must_use]
    pub const fn as_errno(&self) -> Option<Errno> {
        match self.0 {
            Kind::Errno(e) => Some(e),
            _ => None,
        }
    }

    /// The fd number the call returned, for a response made by
    /// [`Request::send_fd`](super::Request::send_fd).
    #[must_use]
    pub const fn sent_fd(&self) -> Option<TargetFd> {
        match self.0 {
            Kind::Sent { fd, .. } => Some(fd),
            _ => None,
        }
    }

    /// The `seccomp_notif_resp` for notification `id`, or `None` for a response
    /// that was already sent.
    pub(crate) const fn to_raw(self, id: NotifId) -> Option<seccomp_notif_resp> {
        let (val, error, flags) = match self.0 {
            Kind::Value(v) => (v, 0, 0),
            Kind::Errno(e) => (0, -e.get(), 0),
            Kind::Continue => (0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE),
            Kind::Sent { .. } => return None,
        };
        Some(seccomp_notif_resp {
            id: id.get(),
            val,
            error,
            flags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_responses_follow_the_kernel_encoding() {
        let id = NotifId::from_raw(9);
        let r = Response::value(-7).to_raw(id).unwrap();
        assert_eq!((r.id, r.val, r.error, r.flags), (9, -7, 0, 0));
        let r = Response::errno(Errno::EACCES).to_raw(id).unwrap();
        assert_eq!((r.val, r.error, r.flags), (0, -libc::EACCES, 0));
        // CONTINUE needs val and error both zero, or the kernel refuses it.
        let r = Response::continue_unchecked().to_raw(id).unwrap();
        assert_eq!(
            (r.val, r.error, r.flags),
            (0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
        );
        assert_eq!(Response::fail(4096), Err(InvalidErrno(4096)));
        assert_eq!(Response::fail(2).unwrap().as_errno(), Some(Errno::ENOENT));
        let sent = Response(Kind::Sent {
            id,
            fd: TargetFd::from_raw(5),
        });
        assert_eq!(sent.to_raw(id), None);
        assert_eq!(sent.sent_fd(), Some(TargetFd::from_raw(5)));
        assert_eq!(Response::value(1).sent_fd(), None);
    }
}
