//! A supervision loop: [`Supervisor`] runs a handler for every notification,
//! on several threads, until no target is left.

use std::num::NonZeroUsize;
use std::ops::Deref;
use std::os::fd::OwnedFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use super::addfd::{AddFd, TargetFd};
use super::error::{AddFdError, IdValidError, PidfdError, RecvError, RespondError};
use super::listener::Listener;
use super::memory::TargetMemory;
use super::notification::Notification;
use super::response::{Errno, Kind, Response};
use crate::counter::Counter;

/// One notification handed to a [`Supervisor`]'s handler, with what the handler
/// may do about it besides answering: read the caller's memory, add fds.
///
/// Derefs to the [`Notification`], so `request.nr` and `request.args` work, and
/// a function of `&Notification` accepts `&request`.
#[derive(Debug)]
pub struct Request<'l> {
    listener: &'l Listener,
    notification: Notification,
}

impl Deref for Request<'_> {
    type Target = Notification;
    fn deref(&self) -> &Notification {
        &self.notification
    }
}

impl<'l> Request<'l> {
    /// The notification.
    #[must_use]
    pub fn notification(&self) -> &Notification {
        &self.notification
    }

    /// The listener it came from.
    #[must_use]
    pub fn listener(&self) -> &'l Listener {
        self.listener
    }

    /// The caller's memory, validated after each read.
    #[must_use]
    pub fn memory(&self) -> TargetMemory<'l> {
        self.listener.memory(&self.notification)
    }

    /// Whether the call still waits for its answer.
    ///
    /// # Errors
    /// See [`Listener::id_valid`].
    pub fn is_pending(&self) -> Result<bool, IdValidError> {
        self.listener.id_valid(self.notification.id)
    }

    /// A pidfd of the caller's process, validated against the notification. See
    /// [`Listener::pidfd`].
    ///
    /// # Errors
    /// See [`PidfdError`].
    pub fn pidfd(&self) -> Result<OwnedFd, PidfdError> {
        self.listener.pidfd(&self.notification)
    }

    /// Kills the caller's process with `SIGKILL` through a validated pidfd, never
    /// another process that reused its number. See [`Listener::kill`].
    ///
    /// # Errors
    /// See [`PidfdError`].
    pub fn kill(&self) -> Result<(), PidfdError> {
        self.listener.kill(&self.notification)
    }

    /// Adds an fd to the caller; the call still needs an answer (the returned
    /// response). See [`Listener::add_fd`].
    ///
    /// # Errors
    /// See [`AddFdError`].
    pub fn add_fd(&self, add: AddFd<'_>) -> Result<TargetFd, AddFdError> {
        self.listener.add_fd(self.notification.id, add)
    }

    /// Adds an fd to the caller and answers the call with its number, atomically
    /// (see [`Listener::add_fd_and_respond`]). Return the response from the
    /// handler: it records that the call is answered.
    ///
    /// # Errors
    /// See [`AddFdError`]. On [`TooManyFiles`](AddFdError::TooManyFiles) or
    /// [`BadTargetFd`](AddFdError::BadTargetFd) the call is still unanswered:
    /// return an errno response.
    pub fn send_fd(&self, add: AddFd<'_>) -> Result<Response, AddFdError> {
        let id = self.notification.id;
        let fd = self.listener.add_fd_and_respond(id, add)?;
        Ok(Response(Kind::Sent { id, fd }))
    }
}

/// What a [`Supervisor`] did, counted when [`run`](Supervisor::run) returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Notifications received.
    pub received: u64,
    /// Notifications answered (including those answered with the errno of a
    /// panic or of a refused response).
    pub answered: u64,
    /// Calls that went away: before they were received, or before the answer
    /// reached them (the thread was killed or interrupted).
    pub gone: u64,
    /// Handler calls that panicked.
    pub panics: u64,
    /// Responses the kernel refused, answered with the fallback errno instead.
    pub refused: u64,
}

/// Why [`Supervisor::run`] stopped before the end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// Receiving failed with an unexpected error. Notifications already received
    /// were answered; the listener is closed on return, so the kernel fails the
    /// calls still waiting with `ENOSYS`.
    #[error("the supervisor stopped: receiving a notification failed")]
    Recv {
        /// The error.
        #[source]
        source: RecvError,
        /// What was done until then.
        stats: Stats,
    },
}

/// Runs a handler for every notification of a listener, on one or more worker
/// threads, until no target is left.
///
/// One worker at a time receives; it hands the receiving role to the next idle
/// worker and handles what it received itself, so a notification never waits
/// in a queue while a worker is free, and no second receiver blocks beside the
/// first. Every received notification is answered exactly once: with the
/// handler's response; with an errno (default `EPERM`) if the handler panics —
/// the loop keeps serving; with the same errno if the kernel refuses the
/// response (say, `continue` on a kernel before 5.5). When `run` returns, the
/// listener is closed: calls still waiting then fail with `ENOSYS`.
///
/// `run` returns once every target has exited and been reaped (its parent has
/// waited for it: a zombie still holds the filter).
///
/// ```no_run
/// use seccompy::unotify::{Response, Supervisor, Errno};
/// # fn demo(listener: seccompy::unotify::Listener) -> Result<(), Box<dyn std::error::Error>> {
/// let stats = Supervisor::new(listener)
///     .workers(4)
///     .run(|req| match req.syscall_name() {
///         Some("mkdir") => Response::errno(Errno::EROFS),
///         _ => Response::errno(Errno::ENOSYS),
///     })?;
/// println!("{} calls answered", stats.answered);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Supervisor {
    listener: Listener,
    workers: NonZeroUsize,
    fallback: Errno,
}

/// The state the workers share.
struct Shared {
    /// Held by the one worker that receives.
    receiver: Mutex<()>,
    /// Set once receiving is over (the end, or an error).
    done: AtomicBool,
    error: Mutex<Option<RecvError>>,
    received: Counter,
    answered: Counter,
    gone: Counter,
    panics: Counter,
    refused: Counter,
}

impl Supervisor {
    /// A supervisor of `listener`, with one worker (the thread calling
    /// [`run`](Self::run)).
    ///
    /// `listener` is a [`Listener`] or anything that becomes one: the
    /// [`OwnedFd`] of
    /// [`SpawnedWithListener`](crate::SpawnedWithListener) or
    /// [`set_filter_with_listener`](crate::set_filter_with_listener) is taken
    /// over as [`Listener::new`] does (synchronous wake-up on where the kernel
    /// has it), so every way of spawning leads here without conversion:
    ///
    /// ```no_run
    /// use std::process::Command;
    ///
    /// use seccompy::unotify::{Errno, Response, Supervisor};
    /// use seccompy::{CommandSeccompExt, SeccompOptions};
    /// # fn demo(program: seccompy_bpf::Program) -> Result<(), Box<dyn std::error::Error>> {
    /// let spawned = Command::new("mkdir")
    ///     .arg("/tmp/never")
    ///     .spawn_with_listener(program, SeccompOptions::default())?;
    /// let mut child = spawned.child;
    /// let waiter = std::thread::spawn(move || child.wait());
    /// Supervisor::new(spawned.listener).run(|_| Response::errno(Errno::EROFS))?;
    /// # let _ = waiter.join(); Ok(()) }
    /// ```
    #[must_use]
    pub fn new(listener: impl Into<Listener>) -> Supervisor {
        Supervisor {
            listener: listener.into(),
            workers: NonZeroUsize::MIN,
            fallback: Errno::EPERM,
        }
    }

    /// Runs the handler on `n` threads (at least one): the calling thread and
    /// `n - 1` more, so that a slow answer does not hold up other calls.
    #[must_use]
    pub fn workers(mut self, n: usize) -> Supervisor {
        self.workers = NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// The errno a call gets when the handler panics or the kernel refuses its
    /// response (default `EPERM`).
    #[must_use]
    pub fn fallback_errno(mut self, errno: Errno) -> Supervisor {
        self.fallback = errno;
        self
    }

    /// The listener.
    #[must_use]
    pub fn listener(&self) -> &Listener {
        &self.listener
    }

    /// Answers every notification with `handler` until no target is left, then
    /// closes the listener.
    ///
    /// `handler` runs on up to [`workers`](Self::workers) threads at once.
    ///
    /// # Errors
    /// [`SupervisorError::Recv`] if receiving fails otherwise than by the end of
    /// the targets or a vanished call.
    pub fn run<H>(self, handler: H) -> Result<Stats, SupervisorError>
    where
        H: Fn(&Request<'_>) -> Response + Sync,
    {
        let shared = Shared {
            receiver: Mutex::new(()),
            done: AtomicBool::new(false),
            error: Mutex::new(None),
            received: Counter::new(0),
            answered: Counter::new(0),
            gone: Counter::new(0),
            panics: Counter::new(0),
            refused: Counter::new(0),
        };
        let extra = self.workers.get() - 1;
        std::thread::scope(|scope| {
            for i in 0..extra {
                let spawned = std::thread::Builder::new()
                    .name(format!("seccompy-unotify-{}", i + 1))
                    .spawn_scoped(scope, || self.work(&shared, &handler));
                if spawned.is_err() {
                    // Out of threads: serve with those there are.
                    break;
                }
            }
            self.work(&shared, &handler);
        });
        let stats = Stats {
            received: shared.received.into_inner(),
            answered: shared.answered.into_inner(),
            gone: shared.gone.into_inner(),
            panics: shared.panics.into_inner(),
            refused: shared.refused.into_inner(),
        };
        let error = shared
            .error
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match error {
            None => Ok(stats),
            Some(source) => Err(SupervisorError::Recv { source, stats }),
        }
    }

    /// One worker: take the receiving role, receive one notification, give the
    /// role up, handle it; until receiving is over.
    fn work<H>(&self, shared: &Shared, handler: &H)
    where
        H: Fn(&Request<'_>) -> Response + Sync,
    {
        loop {
            let notification = {
                let _role = shared
                    .receiver
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if shared.done.load(Ordering::Acquire) {
                    return;
                }
                match self.listener.recv() {
                    Ok(n) => n,
                    Err(RecvError::Gone) => {
                        shared.gone.fetch_add(1);
                        continue;
                    }
                    Err(RecvError::Ended) => {
                        shared.done.store(true, Ordering::Release);
                        return;
                    }
                    Err(e) => {
                        *shared.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                        shared.done.store(true, Ordering::Release);
                        return;
                    }
                }
            };
            shared.received.fetch_add(1);
            self.handle(shared, notification, handler);
        }
    }

    /// Runs the handler and answers, whatever happens.
    fn handle<H>(&self, shared: &Shared, notification: Notification, handler: &H)
    where
        H: Fn(&Request<'_>) -> Response + Sync,
    {
        let id = notification.id;
        let request = Request {
            listener: &self.listener,
            notification,
        };
        let response = match catch_unwind(AssertUnwindSafe(|| handler(&request))) {
            Ok(r) => r,
            Err(_) => {
                shared.panics.fetch_add(1);
                Response::errno(self.fallback)
            }
        };
        let result = match self.listener.respond(id, response) {
            Err(RespondError::Refused { .. } | RespondError::WrongNotification { .. }) => {
                shared.refused.fetch_add(1);
                self.listener.respond(id, Response::errno(self.fallback))
            }
            other => other,
        };
        match result {
            Ok(()) => shared.answered.fetch_add(1),
            // Killed or interrupted meanwhile, or a panicking handler had already
            // answered it: nothing waits any more.
            Err(RespondError::Gone { .. } | RespondError::NotAwaiting { .. }) => {
                shared.gone.fetch_add(1)
            }
            // Even the fallback failed; closing the listener at the end answers
            // it with ENOSYS.
            Err(_) => shared.refused.fetch_add(1),
        };
    }
}
