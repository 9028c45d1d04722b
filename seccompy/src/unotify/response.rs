//! The supervisor's answer to a call: [`Response`] and [`Errno`].

use core::fmt;
use core::num::NonZeroU16;

use seccompy_sys::{SECCOMP_USER_NOTIF_FLAG_CONTINUE, seccomp_notif_resp};

use super::addfd::TargetFd;
use super::notification::NotifId;

/// An error number a call can fail with: 1 to 4095, the range the kernel (and
/// every C library) reads as an error when a system call returns `-errno`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(NonZeroU16);

/// Why [`Errno::new`] refused a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an errno is 1 to 4095, not {0}")]
pub struct InvalidErrno(pub i32);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: Errno = match NonZeroU16::new(libc::$name as u16) {
                    Some(v) => Errno(v),
                    None => panic!("libc errno constants are non-zero"),
                };
            )*

            /// The errno named `name` (`"EPERM"`, `"EROFS"`, ...), among those with
            /// a constant here.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Errno> {
                match name {
                    $(stringify!($name) => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// The name of this errno, if it has a constant here.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                $(if self == Errno::$name { return Some(stringify!($name)); })*
                None
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    EMFILE,
    ENOSPC,
    EROFS,
    ENAMETOOLONG,
    ENOSYS,
    ENOTSUP,
    EOPNOTSUPP,
    ELOOP,
    ENODEV,
    ENXIO,
    ECHILD,
    ENOTEMPTY,
);

impl Errno {
    /// The largest error number, 4095 (`MAX_ERRNO`).
    pub const MAX: i32 = 4095;

    /// `errno` if it is between 1 and [`Errno::MAX`].
    ///
    /// # Errors
    /// [`InvalidErrno`] for 0, negative numbers and numbers above 4095: the kernel
    /// would hand those to the target as a plain return value or a nonsense error.
    pub const fn new(errno: i32) -> Result<Errno, InvalidErrno> {
        if errno < 1 || errno > Errno::MAX {
            return Err(InvalidErrno(errno));
        }
        match NonZeroU16::new(errno as u16) {
            Some(v) => Ok(Errno(v)),
            None => Err(InvalidErrno(errno)),
        }
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> i32 {
        self.0.get() as i32
    }

    /// The errno of an I/O error, if it has one in range.
    #[must_use]
    pub fn from_io_error(e: &std::io::Error) -> Option<Errno> {
        Errno::new(e.raw_os_error()?).ok()
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({})", self.get())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            std::io::Error::from_raw_os_error(self.get()),
            self.get()
        )
    }
}

impl TryFrom<i32> for Errno {
    type Error = InvalidErrno;
    fn try_from(errno: i32) -> Result<Self, Self::Error> {
        Errno::new(errno)
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

    /// The call fails with the raw error number `errno`.
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
    fn errno_range_is_one_to_4095() {
        assert_eq!(Errno::new(0), Err(InvalidErrno(0)));
        assert_eq!(Errno::new(-1), Err(InvalidErrno(-1)));
        assert_eq!(Errno::new(4096), Err(InvalidErrno(4096)));
        assert_eq!(Errno::new(i32::MIN), Err(InvalidErrno(i32::MIN)));
        assert_eq!(Errno::new(1).map(Errno::get), Ok(1));
        assert_eq!(Errno::new(4095).map(Errno::get), Ok(4095));
        assert_eq!(Errno::EPERM.get(), libc::EPERM);
        assert_eq!(Errno::from_name("ELOOP"), Some(Errno::ELOOP));
        assert_eq!(Errno::ELOOP.name(), Some("ELOOP"));
        assert_eq!(Errno::from_name("EWHAT"), None);
        assert_eq!(Errno::new(200).unwrap().name(), None);
        assert_eq!(Errno::ENOSYS.get(), libc::ENOSYS);
        assert_eq!(Errno::try_from(libc::EXDEV), Ok(Errno::EXDEV));
        let io = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(Errno::from_io_error(&io), Some(Errno::EACCES));
        assert_eq!(Errno::from_io_error(&std::io::Error::other("x")), None);
        assert!(Errno::EPERM.to_string().contains("(1)"));
        assert!(InvalidErrno(0).to_string().contains("4095"));
    }

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
