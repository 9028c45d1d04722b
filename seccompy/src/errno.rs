//! [`Errno`]: the error number a filter or a supervisor fails a call with.

use core::fmt;
use core::num::NonZeroU16;

use seccompy_bpf::Action;
use seccompy_bpf::action::MAX_ERRNO;

use crate::FilterAction;

/// An error number a call can fail with: 1 to 4095, the range the kernel (and
/// every C library) reads as an error when a system call returns `-errno`.
///
/// The one errno type of this crate: a supervisor's answer
/// ([`Response::errno`](crate::unotify::Response::errno), also
/// `Response::from(errno)`), a filter's action (`FilterAction::from(errno)`,
/// which is `FilterAction::Errno { errno: errno.get() }`) and a policy's
/// (`Action::from(errno)`, which is `Action::Errno(errno.get() as u16)`).
/// Back from the raw shapes: `Errno::try_from` an `i32` or a `u16` (the data of
/// [`Action::Errno`]), or [`FilterAction::errno_value`].
///
/// `Action::Errno(0)` is not an `Errno`: the kernel accepts the data 0 (the
/// call is skipped and returns 0, libseccomp's `SCMP_ACT_ERRNO(0)`, OCI's
/// `errnoRet: 0`), so [`Action`] keeps the kernel's `u16` and its own check
/// ([`Action::check`]), while a failure with "error 0" is no failure at all.
///
/// ```
/// use seccompy::bpf::Action;
/// use seccompy::unotify::Response;
/// use seccompy::{Errno, FilterAction, InvalidErrno};
///
/// let e = Errno::try_from(libc::EROFS)?;
/// assert_eq!(FilterAction::from(e), FilterAction::Errno { errno: libc::EROFS });
/// assert_eq!(Action::from(e), Action::Errno(libc::EROFS as u16));
/// assert_eq!(Response::from(e), Response::errno(Errno::EROFS));
/// assert_eq!(Errno::try_from(0u16), Err(InvalidErrno(0)));
/// # Ok::<(), InvalidErrno>(())
/// ```
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_RET_ERRNO`](https://man7.org/linux/man-pages/man2/seccomp.2.html):
///   the kernel caps the filter's data at `MAX_ERRNO` (4095)
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html):
///   a response's `error` (0 means "return `val`")
/// - [`errno(3)`](https://man7.org/linux/man-pages/man3/errno.3.html)
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
    /// The largest error number, 4095 (`MAX_ERRNO`, the largest data of an
    /// [`Action::Errno`]).
    pub const MAX: i32 = MAX_ERRNO as i32;

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

impl TryFrom<u16> for Errno {
    type Error = InvalidErrno;
    /// The data of an [`Action::Errno`], if it is an error (not 0).
    fn try_from(errno: u16) -> Result<Self, Self::Error> {
        Errno::new(i32::from(errno))
    }
}

impl From<Errno> for i32 {
    fn from(errno: Errno) -> i32 {
        errno.get()
    }
}

impl From<Errno> for u16 {
    fn from(errno: Errno) -> u16 {
        errno.0.get()
    }
}

impl From<Errno> for Action {
    /// `Action::Errno` with the number: always within [`Action::check`]'s range.
    fn from(errno: Errno) -> Action {
        Action::Errno(errno.0.get())
    }
}

impl From<Errno> for FilterAction {
    /// `FilterAction::Errno { errno }`: always accepted by
    /// [`FilterAction::to_action`].
    fn from(errno: Errno) -> FilterAction {
        FilterAction::Errno { errno: errno.get() }
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
    fn converts_between_every_errno_shape() {
        for n in [1, 13, 4095] {
            let e = Errno::new(n).unwrap();
            assert_eq!(i32::from(e), n);
            assert_eq!(Errno::try_from(u16::from(e)), Ok(e));
            let action = Action::from(e);
            assert_eq!(action, Action::Errno(n as u16));
            assert_eq!(action.check(), Ok(action));
            let filter = FilterAction::from(e);
            assert_eq!(filter, FilterAction::Errno { errno: n });
            assert_eq!(filter.to_action(), Ok(action));
            assert_eq!(filter.errno_value(), Some(Ok(e)));
            assert_eq!(FilterAction::from(action), filter);
        }
        // The kernel's ERRNO(0) is an action, not an error number.
        assert_eq!(Errno::try_from(0u16), Err(InvalidErrno(0)));
        assert_eq!(Errno::try_from(4096u16), Err(InvalidErrno(4096)));
        assert_eq!(
            FilterAction::Errno { errno: -5 }.errno_value(),
            Some(Err(InvalidErrno(-5)))
        );
        assert_eq!(FilterAction::Allow.errno_value(), None);
    }
}
