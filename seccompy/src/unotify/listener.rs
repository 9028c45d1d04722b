//! The listener: an owned seccomp user-notification fd and its ioctls.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use seccompy_sys::{KernelVersion, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, raw, seccomp_notif};

use super::error::{IdValidError, RecvError, RespondError, SyncWakeUpError};
use super::notification::{NotifId, Notification};
use super::response::{Kind, Response};

/// A seccomp user-notification listener: the fd the kernel returns for a filter
/// installed with `SECCOMP_FILTER_FLAG_NEW_LISTENER` (Linux 5.0).
///
/// Calls for which the filter returns `SECCOMP_RET_USER_NOTIF` wait until the
/// supervisor holding the listener answers them. Get one from
/// [`set_filter_with_listener`](crate::set_filter_with_listener), from
/// [`unotify::spawn`](super::spawn()) (a child whose filter reports here), or from any
/// [`OwnedFd`] received from elsewhere.
///
/// All methods take `&self`: a listener can be shared between threads
/// (`Send + Sync`). Receiving is best left to one thread at a time (the
/// [`Supervisor`](super::Supervisor) does so): answers, validity checks and
/// added fds can come from any thread.
///
/// Dropping the listener closes it. When its last copy is closed, the kernel
/// fails every waiting call, and every later notified call, with `ENOSYS`.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
    /// Bytes the kernel writes on `RECV`: the larger of its `seccomp_notif` and ours.
    recv_len: usize,
    /// Before Linux 6.11 a waiting `RECV` does not return when the last target
    /// goes: poll first, so that the end is seen.
    poll_before_recv: bool,
    sync_wake_up: AtomicBool,
}

/// What [`Listener::poll`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Readiness {
    /// `POLLIN`: a notification waits to be received.
    pub pending: bool,
    /// `POLLOUT`: a received notification waits for its answer.
    pub unanswered: bool,
    /// `POLLHUP`: no target is left (Linux 5.8).
    pub hung_up: bool,
}

impl Readiness {
    fn from_revents(revents: libc::c_short) -> Readiness {
        Readiness {
            pending: revents & libc::POLLIN != 0,
            unanswered: revents & libc::POLLOUT != 0,
            hung_up: revents & libc::POLLHUP != 0,
        }
    }

    /// Hung up with nothing left to receive: the end.
    pub(crate) fn is_end(self) -> bool {
        self.hung_up && !self.pending
    }
}

impl From<OwnedFd> for Listener {
    /// Takes over a listener fd and turns on synchronous wake-up where the kernel
    /// has it (see [`Listener::set_sync_wake_up`]).
    ///
    /// The fd must be a seccomp listener: the listener's ioctl numbers may mean
    /// something else to another driver.
    fn from(fd: OwnedFd) -> Self {
        Listener::new(fd)
    }
}

impl From<Listener> for OwnedFd {
    fn from(listener: Listener) -> Self {
        listener.fd
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Listener {
    /// Takes over a listener fd and turns on synchronous wake-up where the kernel
    /// has it; the same as `Listener::from(fd)`.
    ///
    /// The fd must be a seccomp listener: the listener's ioctl numbers may mean
    /// something else to another driver.
    #[must_use]
    pub fn new(fd: OwnedFd) -> Listener {
        let listener = Listener {
            fd,
            recv_len: recv_len(),
            poll_before_recv: !kernel_at_least(6, 11),
            sync_wake_up: AtomicBool::new(false),
        };
        // Best effort: kernels before 6.6 lack the request, and a listener
        // works without it.
        let _ = listener.set_sync_wake_up(true);
        listener
    }

    /// The size of the buffer [`recv`](Self::recv) gives the kernel: the larger
    /// of the running kernel's `struct seccomp_notif` (`SECCOMP_GET_NOTIF_SIZES`)
    /// and the one seccompy was compiled with.
    #[must_use]
    pub fn recv_buffer_len(&self) -> usize {
        self.recv_len
    }

    /// Waits for the next notification and returns it
    /// (`SECCOMP_IOCTL_NOTIF_RECV`).
    ///
    /// The buffer is zeroed before every attempt (the kernel refuses one that is
    /// not), and a call interrupted by a signal in the supervisor (`EINTR`) is
    /// retried.
    ///
    /// The notification must be answered ([`respond`](Self::respond)): the
    /// target's thread waits until then, or until it is killed (or, without
    /// [`FilterFlags::WAIT_KILLABLE_RECV`](crate::FilterFlags::WAIT_KILLABLE_RECV),
    /// interrupted by a signal).
    ///
    /// # Errors
    /// - [`RecvError::Gone`]: the call that woke the listener vanished before it
    ///   was read; receive again.
    /// - [`RecvError::Ended`]: no target is left. It never blocks once there:
    ///   the hang-up is checked with `poll(2)` (before each receive on kernels
    ///   before 6.11, whose receive would otherwise wait forever).
    /// - [`RecvError::Io`] for anything else.
    ///
    /// Two threads receiving at once each get a different notification, but
    /// before Linux 6.11 only a thread polling first sees the end; receive from
    /// one thread at a time.
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_RECV")]
    pub fn recv(&self) -> Result<Notification, RecvError> {
        loop {
            if self.poll_before_recv
                && self
                    .poll_events(libc::POLLIN, -1)
                    .map_err(recv_io)?
                    .is_end()
            {
                return Err(RecvError::Ended);
            }
            match self.recv_once() {
                Ok(n) => return Ok(n),
                Err(libc::EINTR) => continue,
                Err(libc::ENOENT) => {
                    let now = self.poll_now().map_err(recv_io)?;
                    return Err(if now.is_end() {
                        RecvError::Ended
                    } else {
                        RecvError::Gone
                    });
                }
                Err(errno) => return Err(recv_io(io::Error::from_raw_os_error(errno))),
            }
        }
    }

    /// One receive, for a caller that knows a notification is pending and that
    /// nobody else receives (so it cannot block). `EINTR` is returned as
    /// [`RecvError::Io`], for the caller to poll again.
    #[cfg_attr(not(any(feature = "tokio", feature = "agent")), allow(dead_code))]
    pub(crate) fn recv_ready(&self) -> Result<Notification, RecvError> {
        match self.recv_once() {
            Ok(n) => Ok(n),
            Err(libc::ENOENT) => {
                let now = self.poll_now().map_err(recv_io)?;
                Err(if now.is_end() {
                    RecvError::Ended
                } else {
                    RecvError::Gone
                })
            }
            Err(errno) => Err(recv_io(io::Error::from_raw_os_error(errno))),
        }
    }

    /// Whether a waiting [`recv_ready`](Self::recv_ready) returns when the
    /// last target goes (Linux 6.11); before, only `poll` sees the end.
    #[cfg_attr(not(feature = "agent"), allow(dead_code))]
    pub(crate) fn recv_sees_the_end(&self) -> bool {
        !self.poll_before_recv
    }

    /// What is ready now, without waiting (`POLLIN` and `POLLHUP`).
    pub(crate) fn poll_now(&self) -> io::Result<Readiness> {
        self.poll_events(libc::POLLIN, 0)
    }

    /// One `RECV` into a zeroed buffer of `recv_len` bytes; the errno on failure.
    fn recv_once(&self) -> Result<Notification, i32> {
        /// The buffer, 8-aligned like `seccomp_notif`.
        #[repr(C, align(8))]
        struct Buf([u8; STACK_LEN]);
        const STACK_LEN: usize = 256;
        const _: () = assert!(size_of::<seccomp_notif>() <= STACK_LEN);

        if self.recv_len <= STACK_LEN {
            let mut buf = Buf([0; STACK_LEN]);
            // SAFETY: `buf` is 8-aligned, holds at least `recv_len` bytes, which is
            // at least the kernel's and our `seccomp_notif`, and is zeroed.
            unsafe { self.recv_into(buf.0.as_mut_ptr()) }
        } else {
            let mut buf = vec![0u64; self.recv_len.div_ceil(8)];
            // SAFETY: as above, on the heap.
            unsafe { self.recv_into(buf.as_mut_ptr().cast()) }
        }
    }

    /// # Safety
    /// `buf` must be 8-aligned, writable for `recv_len` bytes and zeroed.
    unsafe fn recv_into(&self, buf: *mut u8) -> Result<Notification, i32> {
        // SAFETY: the caller guarantees `buf`; the kernel writes at most its own
        // `seccomp_notif`, which is no larger than `recv_len`.
        let r = unsafe { raw::seccomp_ioctl_notif_recv(self.fd.as_raw_fd(), buf.cast()) };
        if r != 0 {
            return Err(errno());
        }
        // SAFETY: `buf` is aligned for and starts with the `seccomp_notif` the
        // kernel just wrote; every bit pattern is a valid `seccomp_notif`.
        let raw = unsafe { buf.cast::<seccomp_notif>().read() };
        Ok(Notification::from_raw(&raw))
    }

    /// Answers notification `id` (`SECCOMP_IOCTL_NOTIF_SEND`).
    ///
    /// A [`Response`] made by [`Request::send_fd`](super::Request::send_fd)
    /// already answered its notification: for that one id this returns `Ok`
    /// without asking the kernel.
    ///
    /// # Errors
    /// [`RespondError::Gone`] when the call no longer waits (killed or
    /// interrupted), [`RespondError::NotAwaiting`] when it was not received yet
    /// or was answered already; see [`RespondError`] for the others.
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_SEND")]
    pub fn respond(&self, id: NotifId, response: Response) -> Result<(), RespondError> {
        let Some(resp) = response.to_raw(id) else {
            return match response.0 {
                Kind::Sent { id: answered, .. } if answered != id => {
                    Err(RespondError::WrongNotification { id, answered })
                }
                _ => Ok(()),
            };
        };
        loop {
            // SAFETY: `resp` is a valid `seccomp_notif_resp` on the stack.
            let r = unsafe { raw::seccomp_ioctl_notif_send(self.fd.as_raw_fd(), &resp) };
            if r == 0 {
                return Ok(());
            }
            let source = io::Error::last_os_error();
            return Err(match source.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ENOENT) => RespondError::Gone { id },
                Some(libc::EINPROGRESS) => RespondError::NotAwaiting { id },
                Some(libc::EINVAL) => RespondError::Refused { id, source },
                _ => RespondError::Io { id, source },
            });
        }
    }

    /// Whether notification `id` is still pending: its thread still waits in the
    /// call (`SECCOMP_IOCTL_NOTIF_ID_VALID`).
    ///
    /// While it is, the notification's pid names the caller and no other process:
    /// check after looking at anything reachable through the pid (its memory,
    /// `/proc/<pid>/…`), before trusting it. [`TargetMemory`](super::TargetMemory)
    /// does so for memory.
    ///
    /// Uses the request number of Linux 5.9 and, if the kernel refuses it
    /// (`EINVAL` or `ENOTTY`), the number Linux 5.0 to 5.8 used, from then on.
    ///
    /// # Errors
    /// [`IdValidError::Io`] if neither number works.
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_ID_VALID")]
    pub fn id_valid(&self, id: NotifId) -> Result<bool, IdValidError> {
        let raw_id = id.get();
        let fd = self.fd.as_raw_fd();
        let call = |r: libc::c_int| if r == 0 { 0 } else { errno() };
        id_valid_with(
            &ID_VALID_OLD_NUMBER,
            // SAFETY: `raw_id` is a readable u64 on the stack.
            || call(unsafe { raw::seccomp_ioctl_notif_id_valid(fd, &raw_id) }),
            // SAFETY: as above.
            || call(unsafe { raw::seccomp_ioctl_notif_id_valid_wrong_dir(fd, &raw_id) }),
        )
        .map_err(|errno| IdValidError::Io {
            source: io::Error::from_raw_os_error(errno),
        })
    }

    /// Turns synchronous wake-up on or off (`SECCOMP_IOCTL_NOTIF_SET_FLAGS` with
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, passed by value; Linux 6.6).
    ///
    /// With it, the kernel wakes the supervisor on the target's CPU and the
    /// target on the supervisor's, as a hand-off: a round trip costs a few
    /// microseconds instead of tens, when the supervisor answers at once. A new
    /// `Listener` has it on where the kernel has it.
    ///
    /// # Errors
    /// [`SyncWakeUpError::Unsupported`] before Linux 6.6.
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_SET_FLAGS")]
    #[doc(alias = "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP")]
    pub fn set_sync_wake_up(&self, on: bool) -> Result<(), SyncWakeUpError> {
        let flags = if on {
            SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
        } else {
            0
        };
        loop {
            // SAFETY: the flags go by value; no memory is involved.
            let r = unsafe { raw::seccomp_ioctl_notif_set_flags(self.fd.as_raw_fd(), flags) };
            if r == 0 {
                self.sync_wake_up.store(on, Ordering::Relaxed);
                return Ok(());
            }
            let source = io::Error::last_os_error();
            return Err(match source.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EINVAL | libc::ENOTTY) => SyncWakeUpError::Unsupported { source },
                _ => SyncWakeUpError::Io { source },
            });
        }
    }

    /// Whether synchronous wake-up is on (as far as this `Listener` set it).
    #[must_use]
    pub fn sync_wake_up(&self) -> bool {
        self.sync_wake_up.load(Ordering::Relaxed)
    }

    /// Polls the listener: waits up to `timeout` (`None`: without limit) until a
    /// notification is pending or no target is left, then says what is ready,
    /// including whether received notifications wait for answers (which alone
    /// does not end the wait).
    ///
    /// # Errors
    /// The error of `poll(2)`; `EINTR` is retried.
    ///
    /// # References
    /// - [`poll(2)`](https://man7.org/linux/man-pages/man2/poll.2.html)
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<Readiness> {
        let ms = match timeout {
            None => -1,
            Some(t) => libc::c_int::try_from(t.as_millis()).unwrap_or(libc::c_int::MAX),
        };
        if ms != 0 {
            let r = self.poll_events(libc::POLLIN, ms)?;
            if !r.pending && !r.hung_up {
                return Ok(r);
            }
        }
        self.poll_events(libc::POLLIN | libc::POLLOUT, 0)
    }

    /// One `poll(2)` for `events` (`POLLHUP` is always reported), retried on
    /// `EINTR`.
    fn poll_events(&self, events: libc::c_short, ms: libc::c_int) -> io::Result<Readiness> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut pfd, 1, ms) };
            if r >= 0 {
                return Ok(Readiness::from_revents(pfd.revents));
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e);
            }
        }
    }
}

fn recv_io(source: io::Error) -> RecvError {
    RecvError::Io { source }
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Set once the kernel refused the Linux 5.9 `ID_VALID` number.
static ID_VALID_OLD_NUMBER: AtomicBool = AtomicBool::new(false);

/// Asks whether a notification is pending: `current` and `old` each make the
/// request once, with the Linux 5.9 number and with the number of Linux 5.0 to
/// 5.8, and return 0 or the errno. `use_old` remembers that only the old number
/// works. `EINTR` is retried; `ENOENT` means "no longer pending".
fn id_valid_with(
    use_old: &AtomicBool,
    current: impl Fn() -> i32,
    old: impl Fn() -> i32,
) -> Result<bool, i32> {
    loop {
        let with_old = use_old.load(Ordering::Relaxed);
        let errno = if with_old { old() } else { current() };
        match errno {
            0 => return Ok(true),
            libc::ENOENT => return Ok(false),
            libc::EINTR => continue,
            libc::EINVAL | libc::ENOTTY if !with_old => {
                // A kernel before 5.9 does not know this number: try the old one,
                // and keep it if it works.
                let e = loop {
                    match old() {
                        libc::EINTR => continue,
                        e => break e,
                    }
                };
                return match e {
                    0 => {
                        use_old.store(true, Ordering::Relaxed);
                        Ok(true)
                    }
                    libc::ENOENT => {
                        use_old.store(true, Ordering::Relaxed);
                        Ok(false)
                    }
                    // The old number did not help either: report the first error.
                    _ => Err(errno),
                };
            }
            e => return Err(e),
        }
    }
}

/// The receive buffer's size: the larger of the kernel's and our `seccomp_notif`.
fn recv_len() -> usize {
    let ours = size_of::<seccomp_notif>();
    match crate::notif_sizes() {
        Ok(sizes) => ours.max(usize::from(sizes.seccomp_notif)),
        Err(_) => ours,
    }
}

/// The running kernel's version, read once; `None` if unknown.
static KERNEL: OnceLock<Option<KernelVersion>> = OnceLock::new();

/// Whether the running kernel is at least `major.minor` (by `uname(2)`); an
/// unreadable version counts as old.
pub(crate) fn kernel_at_least(major: u32, minor: u32) -> bool {
    KERNEL
        .get_or_init(KernelVersion::running)
        .is_some_and(|k| k >= KernelVersion::new(major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_reads_poll_bits() {
        let r = Readiness::from_revents(libc::POLLHUP);
        assert!(r.hung_up && !r.pending && r.is_end());
        let r = Readiness::from_revents(libc::POLLHUP | libc::POLLIN);
        assert!(!r.is_end());
        let r = Readiness::from_revents(libc::POLLOUT);
        assert!(r.unanswered && !r.is_end());
    }

    #[test]
    fn id_valid_falls_back_to_the_old_number_and_keeps_it() {
        use std::cell::Cell;
        // A kernel before 5.9: the new number is unknown, the old one works.
        let flag = AtomicBool::new(false);
        let new_calls = Cell::new(0);
        let new = || {
            new_calls.set(new_calls.get() + 1);
            libc::EINVAL
        };
        assert_eq!(id_valid_with(&flag, new, || 0), Ok(true));
        assert!(flag.load(Ordering::Relaxed));
        assert_eq!(id_valid_with(&flag, new, || libc::ENOENT), Ok(false));
        assert_eq!(new_calls.get(), 1, "the new number is not tried again");

        // ENOTTY counts the same; ENOENT through the old number is an answer.
        let flag = AtomicBool::new(false);
        assert_eq!(
            id_valid_with(&flag, || libc::ENOTTY, || libc::ENOENT),
            Ok(false)
        );
        assert!(flag.load(Ordering::Relaxed));

        // Neither works: the first error, and the new number stays in use.
        let flag = AtomicBool::new(false);
        assert_eq!(
            id_valid_with(&flag, || libc::ENOTTY, || libc::EBADF),
            Err(libc::ENOTTY)
        );
        assert!(!flag.load(Ordering::Relaxed));

        // A current kernel: the new number answers, the old one is never used.
        let flag = AtomicBool::new(false);
        let old = || panic!("the old number is not needed");
        assert_eq!(id_valid_with(&flag, || 0, old), Ok(true));
        assert_eq!(id_valid_with(&flag, || libc::ENOENT, old), Ok(false));
        assert_eq!(id_valid_with(&flag, || libc::EBADF, old), Err(libc::EBADF));

        // EINTR is retried on either number.
        let tries = Cell::new(0);
        let flaky = || {
            tries.set(tries.get() + 1);
            if tries.get() < 3 { libc::EINTR } else { 0 }
        };
        assert_eq!(id_valid_with(&AtomicBool::new(false), flaky, old), Ok(true));
    }

    #[test]
    fn a_listener_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Listener>();
        check::<Notification>();
        check::<Response>();
    }

    #[test]
    fn the_buffer_holds_at_least_our_notif() {
        assert!(recv_len() >= size_of::<seccomp_notif>());
    }
}
