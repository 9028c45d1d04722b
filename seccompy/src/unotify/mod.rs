//! Seccomp user notification: answer a target's system calls from a supervisor
//! (Linux 5.0).
//!
//! A filter that returns `SECCOMP_RET_USER_NOTIF` for a call
//! ([`FilterAction::UserNotif`](crate::FilterAction::UserNotif)) makes the calling
//! thread wait, and sends a [`Notification`] to the filter's [`Listener`]. The
//! supervisor holding the listener answers with a [`Response`]: a return value,
//! an errno, or, unchecked, "run it after all". It can read the caller's memory
//! ([`TargetMemory`], validated) and install its own fds in the caller
//! ([`AddFd`]).
//!
//! - [`Listener`]: receive, answer, check, add fds; synchronous wake-up on by
//!   default.
//! - [`Supervisor`]: a loop running a handler on several threads until no
//!   target is left, answering every call whatever the handler does.
//! - [`spawn()`]: a [`std::process::Command`] under a filter, with its
//!   listener in the parent.
//! - [`spawn_exec`]: a program under a filter that may send any call to the
//!   listener, `execve` included
//!   ([`Foreground::spawn_exec`](crate::foreground::Foreground::spawn_exec):
//!   prepared to run in the foreground).
//! - [`Standby`]: a forked copy of the supervisor that kills the command and
//!   answers for the supervisor if it dies.
//! - `AsyncListener` (feature `tokio`): receive on readiness, single receiver.
//!
//! ```no_run
//! use std::process::Command;
//!
//! use seccompy::unotify::{self, Errno, Response, Supervisor};
//! use seccompy::{Filter, FilterAction, FilterArgs, SeccompOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Notify on mkdir and mkdirat; allow everything else.
//! let mut filter = Filter::new(FilterArgs {
//!     default_action: FilterAction::Allow,
//!     ..FilterArgs::default()
//! });
//! filter
//!     .add_syscall("mkdir", FilterAction::UserNotif)
//!     .add_syscall("mkdirat", FilterAction::UserNotif);
//! let program = filter.compile()?;
//!
//! let mut command = Command::new("mkdir");
//! command.arg("/tmp/never");
//! let unotify::Supervised { mut child, listener, .. } =
//!     unotify::spawn(&mut command, program, SeccompOptions::default())?;
//! let waiter = std::thread::spawn(move || child.wait());
//! Supervisor::new(listener).run(|req| {
//!     // mkdirat's path is its second argument.
//!     let path = req.memory().read_c_string(req.args[1], libc::PATH_MAX as usize);
//!     eprintln!("{:?} wants to create {path:?}", req.syscall_name());
//!     Response::errno(Errno::EROFS)
//! })?;
//! assert!(!waiter.join().unwrap()?.success());
//! # Ok(()) }
//! ```
//!
//! # What a supervisor can and cannot decide
//!
//! The notification's register arguments are fixed, but memory they point to
//! (paths, structures) belongs to the target, and another thread of the target
//! can change it at any time. So:
//!
//! - **Read memory only through [`TargetMemory`]**, which validates the
//!   notification after every read: the pid could otherwise name a different
//!   process by then.
//! - **Never allow a call by checking its memory and continuing.**
//!   [`Response::continue_unchecked`] lets the kernel read the memory again,
//!   perhaps changed; and later filters still decide. To enforce a policy,
//!   perform the operation in the supervisor on the copy it checked, and answer
//!   with the result (an fd with [`Request::send_fd`]).
//!
//! # Receiving and the end
//!
//! [`Listener::recv`] zeroes its buffer (sized from `SECCOMP_GET_NOTIF_SIZES`)
//! before every receive, retries `EINTR`, reports a call that vanished before it
//! was read as [`RecvError::Gone`], and the end of all targets as
//! [`RecvError::Ended`], seen through `POLLHUP` without ever spinning. Since
//! Linux 6.11 a waiting receive returns by itself when the last target goes;
//! before, `recv` polls first.
//!
//! # Signals and `WAIT_KILLABLE_RECV`
//!
//! A signal to a waiting target interrupts its call: the notification is gone
//! ([`RespondError::Gone`] when answering), and with `SA_RESTART` the call comes
//! back as a new notification. With
//! [`FilterFlags::WAIT_KILLABLE_RECV`](crate::FilterFlags::WAIT_KILLABLE_RECV)
//! (Linux 5.19), once the supervisor has received the notification only a fatal
//! signal interrupts the call: a supervisor emulating a call with side effects
//! is not left with work the target never sees.
//!
//! # References
//! - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)

mod addfd;
#[cfg(feature = "tokio")]
mod async_tokio;
mod error;
mod exec;
mod listener;
mod memory;
mod notification;
mod pidfd;
mod response;
mod spawn;
mod standby;
mod supervisor;

pub use addfd::{AddFd, TargetFd};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use async_tokio::AsyncListener;
pub use error::{
    AddFdError, IdValidError, MemoryError, PidfdError, RecvError, RespondError, SyncWakeUpError,
};
pub use exec::{EXEC_FAILED, ExecChild, ExecError, ExecReport, spawn_exec};
pub use listener::{Listener, Readiness};
pub use memory::{PendingRead, TargetMemory};
pub use notification::{NotifId, Notification};
pub use response::{Errno, InvalidErrno, Response};
pub use spawn::{SpawnError, Supervised, spawn};
pub use standby::{Standby, StandbyError};
pub use supervisor::{Request, Stats, Supervisor, SupervisorError};
