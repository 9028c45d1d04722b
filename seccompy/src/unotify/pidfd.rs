//! The caller of a notification as a process: [`Listener::pidfd`] and
//! [`Listener::kill`].
//!
//! A notification names its caller by thread id, and a number can be reused
//! as soon as the caller is gone: a signal sent with `kill(2)` to that number
//! may hit an unrelated process. A pidfd refers to one process for its whole
//! life. It is opened from the thread id and then checked against the
//! notification (`SECCOMP_IOCTL_NOTIF_ID_VALID`): if the call still waits, its
//! thread lived through the opening, so the pidfd is its process's.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use seccompy_sys::raw;

use super::error::PidfdError;
use super::listener::Listener;
use super::notification::Notification;

impl Listener {
    /// A pidfd (close-on-exec) of the process that made the call of
    /// `notification`, opened while the call was pending (Linux 5.3).
    ///
    /// The notification's pid is a thread id: when it is not the thread-group
    /// leader's, the process is found through `/proc/<tid>/status`. Either way,
    /// the call is checked to still wait once the pidfd is open, so the pidfd
    /// cannot refer to a process that reused the number.
    ///
    /// # Errors
    /// [`PidfdError::NotVisible`] (pid 0), [`PidfdError::Gone`] when the call no
    /// longer waits, [`PidfdError::Io`] for the rest (`pidfd_open` missing
    /// before Linux 5.3).
    ///
    /// # References
    /// - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    pub fn pidfd(&self, notification: &Notification) -> Result<OwnedFd, PidfdError> {
        let id = notification.id;
        let tid = notification.tid().ok_or(PidfdError::NotVisible { id })?;
        let pidfd = match open_pidfd(tid) {
            Ok(fd) => fd,
            // The thread is gone (or was not a leader and has no /proc entry now).
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                return Err(PidfdError::Gone { id });
            }
            Err(source) => {
                return Err(if self.id_valid(id).unwrap_or(true) {
                    PidfdError::Io { source }
                } else {
                    PidfdError::Gone { id }
                });
            }
        };
        match self.id_valid(id) {
            Ok(true) => Ok(pidfd),
            Ok(false) => Err(PidfdError::Gone { id }),
            Err(e) => Err(PidfdError::Io {
                source: io::Error::other(e),
            }),
        }
    }

    /// Kills the process that made the call of `notification` with `SIGKILL`,
    /// through a validated [`pidfd`](Self::pidfd): never another process that
    /// reused its number. The call needs no answer afterwards.
    ///
    /// # Errors
    /// Those of [`pidfd`](Self::pidfd), and [`PidfdError::Io`] if
    /// `pidfd_send_signal(2)` fails (Linux 5.1).
    ///
    /// # References
    /// - [`pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    pub fn kill(&self, notification: &Notification) -> Result<(), PidfdError> {
        let pidfd = self.pidfd(notification)?;
        // SAFETY: a pidfd we own; no memory is involved.
        if unsafe { raw::pidfd_send_signal(pidfd.as_raw_fd(), libc::SIGKILL) } != 0 {
            let source = io::Error::last_os_error();
            return Err(if source.raw_os_error() == Some(libc::ESRCH) {
                PidfdError::Gone {
                    id: notification.id,
                }
            } else {
                PidfdError::Io { source }
            });
        }
        Ok(())
    }
}

/// A pidfd of the process of thread `tid`.
fn open_pidfd(tid: libc::pid_t) -> io::Result<OwnedFd> {
    match pidfd_open(tid) {
        // Not a thread-group leader: EINVAL, or ENOENT on recent kernels.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOENT)) => {
            pidfd_open(thread_group_of(tid)?)
        }
        other => other,
    }
}

/// A pidfd (close-on-exec) of process `pid`.
pub(super) fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: no memory is involved; the fd returned is ours.
    let fd = unsafe { raw::pidfd_open(pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The thread-group id of thread `tid`, from `/proc/<tid>/status` (read up to
/// a bound: the `Tgid:` line comes within the first few hundred bytes).
fn thread_group_of(tid: libc::pid_t) -> io::Result<libc::pid_t> {
    let file = std::fs::File::open(format!("/proc/{tid}/status")).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            io::Error::from_raw_os_error(libc::ESRCH)
        } else {
            e
        }
    })?;
    let mut text = String::new();
    file.take(4096).read_to_string(&mut text)?;
    parse_tgid(&text).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

/// The `Tgid:` of a `/proc/<pid>/status` text.
fn parse_tgid(status: &str) -> Option<libc::pid_t> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
        .filter(|&p: &libc::pid_t| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_group_is_read_from_status() {
        assert_eq!(
            parse_tgid("Name:\tx\nUmask:\t0022\nTgid:\t4242\nPid:\t4243\n"),
            Some(4242)
        );
        assert_eq!(parse_tgid("Name:\tx\n"), None);
        assert_eq!(parse_tgid("Tgid:\t0\n"), None);
        // Our own process, through a thread that is not the leader.
        let me = std::process::id() as libc::pid_t;
        let tid = std::thread::spawn(|| {
            // SAFETY: gettid has no preconditions.
            unsafe { libc::gettid() }
        })
        .join()
        .unwrap();
        assert_ne!(tid, me);
        // The thread has exited by now: its entry may be gone; the leader's is not.
        assert_eq!(thread_group_of(me).unwrap(), me);
        let pidfd = open_pidfd(me).unwrap();
        assert!(pidfd.as_raw_fd() >= 0);
    }
}
