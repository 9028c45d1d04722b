//! Receiving on readiness in a tokio runtime: [`AsyncListener`] (feature
//! `tokio`).

use std::io;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::error::RecvError;
use super::listener::Listener;
use super::notification::Notification;

/// A [`Listener`] registered with the tokio reactor, whose
/// [`recv`](Self::recv) waits for readiness instead of blocking a thread.
///
/// `SECCOMP_IOCTL_NOTIF_RECV` ignores `O_NONBLOCK`: it blocks until a
/// notification comes. So `recv` receives only after `poll(2)` said one is
/// pending, and receiving takes `&mut self`: with a single receiver, a pending
/// notification cannot be taken by another receiver between the poll and the
/// receive (a call that vanishes meanwhile makes the receive return
/// [`RecvError::Gone`], never block). Do not receive from the same listener
/// elsewhere (through [`listener`](Self::listener) or a duplicated fd).
///
/// Answers, validity checks, memory reads and added fds do not block for long:
/// call them through [`listener`](Self::listener), from any task.
///
/// ```no_run
/// # async fn demo(listener: seccompy::unotify::Listener) -> Result<(), Box<dyn std::error::Error>> {
/// use seccompy::unotify::{AsyncListener, Errno, RecvError, Response};
///
/// let mut listener = AsyncListener::new(listener)?;
/// loop {
///     match listener.recv().await {
///         Ok(n) => listener.listener().respond(n.id, Response::errno(Errno::EPERM))?,
///         Err(RecvError::Gone) => continue,
///         Err(RecvError::Ended) => break,
///         Err(e) => return Err(e.into()),
///     }
/// }
/// # Ok(()) }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Debug)]
pub struct AsyncListener {
    inner: AsyncFd<Listener>,
}

impl AsyncListener {
    /// Registers `listener` with the current tokio runtime's reactor: a
    /// [`Listener`], or an [`OwnedFd`](std::os::fd::OwnedFd) of a listener (as
    /// [`Listener::new`] takes it).
    ///
    /// # Errors
    /// The reactor's registration error; the listener is then closed (its
    /// targets' notified calls fail with `ENOSYS`).
    ///
    /// # Panics
    /// Outside a tokio runtime with I/O enabled (as
    /// [`AsyncFd::register_with_interest`]).
    pub fn new(listener: impl Into<Listener>) -> io::Result<AsyncListener> {
        let listener = listener.into();
        // SAFETY: a `Listener` owns its fd: `as_raw_fd` always returns the same
        // open fd, which stays open until the listener is dropped (after the
        // `AsyncFd` deregisters it) or given back by `into_inner`.
        let inner = unsafe { AsyncFd::register_with_interest(listener, Interest::READABLE) };
        match inner {
            Ok(inner) => Ok(AsyncListener { inner }),
            Err(e) => Err(e.into_parts().1),
        }
    }

    /// The listener, for answers and everything but receiving.
    #[must_use]
    pub fn listener(&self) -> &Listener {
        self.inner.get_ref()
    }

    /// Deregisters the listener and gives it back.
    #[must_use]
    pub fn into_inner(self) -> Listener {
        self.inner.into_inner()
    }

    /// Waits until a notification is pending, then receives it.
    ///
    /// # Errors
    /// As [`Listener::recv`]: [`RecvError::Gone`], [`RecvError::Ended`] once no
    /// target is left (seen as hang-up, never spinning), [`RecvError::Io`].
    pub async fn recv(&mut self) -> Result<Notification, RecvError> {
        let io = |source| RecvError::Io { source };
        loop {
            let mut guard = self.inner.readable().await.map_err(io)?;
            let listener = self.inner.get_ref();
            let now = listener.poll_now().map_err(io)?;
            if now.is_end() {
                return Err(RecvError::Ended);
            }
            if !now.pending {
                // Nothing to receive: wait for the next edge. Readiness that
                // arrived meanwhile is kept by tokio.
                guard.clear_ready();
                continue;
            }
            // POLLIN, and nobody else receives: this receive cannot block.
            match listener.recv_ready() {
                Err(RecvError::Io { source }) if source.raw_os_error() == Some(libc::EINTR) => {
                    continue;
                }
                other => return other,
            }
        }
    }
}
