//! Installing one of the supervisor's fds in the target: [`AddFd`]
//! (`SECCOMP_IOCTL_NOTIF_ADDFD`).

use core::fmt;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use seccompy_sys::{SECCOMP_ADDFD_FLAG_SEND, SECCOMP_ADDFD_FLAG_SETFD, raw, seccomp_notif_addfd};

use super::error::AddFdError;
use super::listener::Listener;
use super::notification::NotifId;

/// An fd number in the target's fd table, returned by an added fd.
///
/// It names an fd of *another process*: it is not open in the supervisor, and
/// the supervisor must not close or use it as its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetFd(RawFd);

impl TargetFd {
    /// A number as the kernel returned it.
    #[must_use]
    pub const fn from_raw(fd: RawFd) -> TargetFd {
        TargetFd(fd)
    }

    /// The number, in the target's fd table.
    #[must_use]
    pub const fn get(self) -> RawFd {
        self.0
    }
}

impl fmt::Display for TargetFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What to add to the target: one of the supervisor's open files, borrowed for
/// the call, at the lowest free number or a chosen one, close-on-exec or not.
///
/// The kernel installs a new reference to the same open file description (like
/// `dup(2)` across processes, or `SCM_RIGHTS`): the supervisor's fd stays its
/// own and may be closed afterwards.
///
/// ```no_run
/// # fn demo(listener: &seccompy::unotify::Listener, n: &seccompy::unotify::Notification)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use std::os::fd::AsFd;
/// use seccompy::unotify::AddFd;
///
/// let file = std::fs::File::open("/etc/hostname")?;
/// // Add it and answer the call with its number, in one step.
/// let fd = listener.add_fd_and_respond(n.id, AddFd::new(file.as_fd()))?;
/// println!("the target got fd {fd}");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AddFd<'fd> {
    src: BorrowedFd<'fd>,
    at: Option<RawFd>,
    cloexec: bool,
}

impl<'fd> AddFd<'fd> {
    /// Adds `src` at the lowest free number, close-on-exec.
    #[must_use]
    pub fn new(src: BorrowedFd<'fd>) -> AddFd<'fd> {
        AddFd {
            src,
            at: None,
            cloexec: true,
        }
    }

    /// Installs the fd at number `fd` instead (`SECCOMP_ADDFD_FLAG_SETFD`),
    /// replacing (closing) whatever the target had open there, as `dup2(2)`
    /// would.
    #[doc(alias = "SECCOMP_ADDFD_FLAG_SETFD")]
    #[must_use]
    pub fn at(mut self, fd: RawFd) -> AddFd<'fd> {
        self.at = Some(fd);
        self
    }

    /// Whether the target's new fd is close-on-exec (`O_CLOEXEC`, the default)
    /// or survives the target's `execve(2)`. When emulating `openat(2)`, follow
    /// the `O_CLOEXEC` bit the target asked for.
    #[must_use]
    pub fn cloexec(mut self, on: bool) -> AddFd<'fd> {
        self.cloexec = on;
        self
    }

    fn to_raw(self, id: NotifId, send: bool) -> Result<seccomp_notif_addfd, AddFdError> {
        let mut flags = if send { SECCOMP_ADDFD_FLAG_SEND } else { 0 };
        let newfd = match self.at {
            Some(fd) => {
                flags |= SECCOMP_ADDFD_FLAG_SETFD;
                // A negative number can never be installed; the kernel would
                // refuse it as too large.
                u32::try_from(fd).map_err(|_| AddFdError::from_errno(libc::EBADF, id))?
            }
            None => 0,
        };
        let srcfd = u32::try_from(self.src.as_raw_fd())
            .map_err(|_| AddFdError::from_errno(libc::EBADF, id))?;
        Ok(seccomp_notif_addfd {
            id: id.get(),
            flags,
            srcfd,
            newfd,
            newfd_flags: if self.cloexec {
                libc::O_CLOEXEC as u32
            } else {
                0
            },
        })
    }
}

impl Listener {
    /// Installs an fd in the target of notification `id`, which must have been
    /// received and not yet answered (`SECCOMP_IOCTL_NOTIF_ADDFD`, Linux 5.9).
    ///
    /// Returns the fd's number in the target. The call still waits for its
    /// answer: usually [`respond`](Self::respond) next with
    /// `Response::value(fd.get().into())`, or use
    /// [`add_fd_and_respond`](Self::add_fd_and_respond) to do both at once.
    ///
    /// # Errors
    /// See [`AddFdError`]: [`Gone`](AddFdError::Gone) if the call no longer
    /// waits, [`NotReceived`](AddFdError::NotReceived) before it was received,
    /// [`TooManyFiles`](AddFdError::TooManyFiles) or
    /// [`BadTargetFd`](AddFdError::BadTargetFd) for the target's fd limit.
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_ADDFD")]
    pub fn add_fd(&self, id: NotifId, add: AddFd<'_>) -> Result<TargetFd, AddFdError> {
        self.add_fd_raw(id, add.to_raw(id, false)?)
    }

    /// Installs an fd in the target and answers the call with its number, in
    /// one atomic step (`SECCOMP_ADDFD_FLAG_SEND`, Linux 5.14): there is no
    /// moment when the target has the fd but the call has no answer, nor the
    /// reverse.
    ///
    /// # Errors
    /// As [`add_fd`](Self::add_fd), and [`AddFdError::Busy`] while other adds
    /// for the call are under way. **If the fd cannot be installed
    /// ([`TooManyFiles`](AddFdError::TooManyFiles),
    /// [`BadTargetFd`](AddFdError::BadTargetFd)), the call was not answered**:
    /// answer it, typically with that errno.
    #[doc(alias = "SECCOMP_ADDFD_FLAG_SEND")]
    pub fn add_fd_and_respond(&self, id: NotifId, add: AddFd<'_>) -> Result<TargetFd, AddFdError> {
        self.add_fd_raw(id, add.to_raw(id, true)?)
    }

    fn add_fd_raw(&self, id: NotifId, req: seccomp_notif_addfd) -> Result<TargetFd, AddFdError> {
        loop {
            // SAFETY: `req` is a valid `seccomp_notif_addfd` on the stack; its
            // `srcfd` is borrowed, so open across the call.
            let r = unsafe { raw::seccomp_ioctl_notif_addfd(self.as_raw_fd(), &req) };
            if r >= 0 {
                return Ok(TargetFd(r));
            }
            match std::io::Error::last_os_error().raw_os_error() {
                // Interrupted before the target installed the fd: nothing was
                // done (the kernel reports the result if it was).
                Some(libc::EINTR) => continue,
                Some(errno) => return Err(AddFdError::from_errno(errno, id)),
                None => return Err(AddFdError::from_errno(libc::EIO, id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn requests_carry_the_kernel_flags() {
        let file = std::fs::File::open("/dev/null").unwrap();
        let id = NotifId::from_raw(11);
        let src = file.as_fd();
        let raw = AddFd::new(src).to_raw(id, false).unwrap();
        assert_eq!(raw.id, 11);
        assert_eq!(raw.flags, 0);
        assert_eq!(raw.newfd, 0);
        assert_eq!(raw.srcfd as RawFd, file.as_raw_fd());
        assert_eq!(raw.newfd_flags, libc::O_CLOEXEC as u32);

        let raw = AddFd::new(src)
            .at(42)
            .cloexec(false)
            .to_raw(id, true)
            .unwrap();
        assert_eq!(
            raw.flags,
            SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND
        );
        assert_eq!(raw.newfd, 42);
        assert_eq!(raw.newfd_flags, 0);

        let e = AddFd::new(src).at(-1).to_raw(id, false).unwrap_err();
        assert!(matches!(e, AddFdError::BadTargetFd { .. }));
        assert_eq!(TargetFd::from_raw(3).to_string(), "3");
    }
}
