//! A standby supervisor: [`Standby`], a forked copy of the supervisor holding
//! the listener too, so that a supervised command never outlives its
//! supervisor and no notified call ever fails with `ENOSYS` because the
//! supervisor died.
//!
//! When the last listener of a filter closes, every call waiting on it, and
//! every later one the filter notifies, fails with `ENOSYS`: a command that
//! can kill its supervisor (`kill(2)` is rarely refused) would turn each
//! refusal of the supervisor into `ENOSYS`, which programs take as "not
//! implemented, do it another way". The standby sleeps until the supervisor
//! is gone (a pidfd of it turns readable) or no target is left. In the first
//! case it kills the command and its process group with `SIGKILL` before any
//! waiting call can return, then answers the calls of the processes that left
//! the group, with the supervisor's own handler, until none is left.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

use seccompy_sys::raw;

use super::listener::Listener;
use super::pidfd::pidfd_open;
use super::response::Response;
use super::supervisor::{Request, Supervisor};

/// Why [`Standby::start`] started no standby, or [`Standby::wait`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StandbyError {
    /// This process has more than one thread: a forked copy of it could meet a
    /// lock another thread held (the allocator's, say) and never get it.
    #[error(
        "the standby supervisor is forked from a process with one thread, and this one has \
         {threads}"
    )]
    Threads {
        /// How many threads this process has.
        threads: usize,
    },
    /// A step of the start failed: counting this process's threads
    /// (`/proc/self/task`), duplicating the listener, `pidfd_open(2)` (Linux
    /// 5.3) or `fork(2)`.
    #[error("cannot start the standby supervisor: {what}")]
    Start {
        /// The failing step.
        what: &'static str,
        /// Its error.
        #[source]
        source: io::Error,
    },
    /// `waitpid(2)` failed, otherwise than with `ECHILD`.
    #[error("waiting for the standby supervisor")]
    Wait {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// A standby supervisor: a child of this process, forked by
/// [`start`](Self::start), that holds a duplicate of the listener.
///
/// It ends by itself once no target of the listener is left (the listener
/// hangs up). Should this process die first, it kills the command (through a
/// pidfd opened at the start: never a process that reused the number) and
/// the process group whose id is the command's pid (the group
/// [`Foreground`](crate::foreground::Foreground) gives the command), then
/// answers every call still notified with `handler`, as this process would
/// have, until no target is left. Reap it with [`wait`](Self::wait) once
/// supervision is over.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
/// - [`pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
/// - [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html)
#[doc(alias = "pidfd_send_signal")]
#[derive(Debug)]
#[must_use = "reap the standby with `wait` once supervision is over"]
pub struct Standby {
    pid: libc::pid_t,
}

impl Standby {
    /// Forks the standby of the supervision of `listener`, whose command is
    /// `command` (a process started under the listener's filter). `handler`
    /// answers in the standby, on one thread, once this process is gone.
    ///
    /// Call it while this process has one thread, before supervising: the
    /// standby is a copy of this process. The threads are counted in
    /// `/proc/self/task`, so `/proc` must be mounted.
    ///
    /// # Errors
    /// [`StandbyError::Threads`] when this process has other threads,
    /// [`StandbyError::Start`] when a step fails.
    pub fn start<H>(
        listener: &Listener,
        command: libc::pid_t,
        handler: H,
    ) -> Result<Standby, StandbyError>
    where
        H: Fn(&Request<'_>) -> Response + Sync,
    {
        let start = |what| move |source| StandbyError::Start { what, source };
        let threads = std::fs::read_dir("/proc/self/task")
            .map_err(start("counting this process's threads"))?
            .count();
        if threads != 1 {
            return Err(StandbyError::Threads { threads });
        }
        let copy = listener
            .as_fd()
            .try_clone_to_owned()
            .map_err(start("dup"))?;
        let supervisor =
            pidfd_open(std::process::id() as libc::pid_t).map_err(start("pidfd_open"))?;
        let command_fd = pidfd_open(command).map_err(start("pidfd_open"))?;
        // SAFETY: this process has one thread (counted above; only this thread
        // could have started another since): the child may run any code.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(start("fork")(io::Error::last_os_error()));
        }
        if pid == 0 {
            // The handler must not unwind into the caller's code in this copy.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                stand_by(&supervisor, &command_fd, command, copy, &handler);
            }));
            // SAFETY: leaves the copy without running the caller's exit code.
            unsafe { libc::_exit(0) }
        }
        Ok(Standby { pid })
    }

    /// The standby's process id.
    #[must_use]
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Waits for the standby to end (once no target is left), and reaps it.
    /// A standby already reaped by another wait of this process (a
    /// [`Relay`](crate::foreground::Relay) reaping orphans) counts as ended.
    ///
    /// # Errors
    /// [`StandbyError::Wait`].
    #[doc(alias = "waitpid")]
    pub fn wait(self) -> Result<(), StandbyError> {
        loop {
            // SAFETY: our own child; the status is not asked for.
            if unsafe { libc::waitpid(self.pid, std::ptr::null_mut(), 0) } >= 0 {
                return Ok(());
            }
            let source = io::Error::last_os_error();
            match source.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ECHILD) => return Ok(()),
                _ => return Err(StandbyError::Wait { source }),
            }
        }
    }
}

/// The standby's life, in the forked copy: returns when no target is left.
fn stand_by<H>(
    supervisor: &OwnedFd,
    command_fd: &OwnedFd,
    command: libc::pid_t,
    listener: OwnedFd,
    handler: &H,
) where
    H: Fn(&Request<'_>) -> Response + Sync,
{
    let mut fds = [
        libc::pollfd {
            fd: supervisor.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: listener.as_raw_fd(),
            events: 0,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: two valid pollfds.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        if r < 0 || fds[1].revents & libc::POLLHUP != 0 {
            // No target left (or nothing to watch): the supervisor does the rest.
            return;
        }
        if fds[0].revents & libc::POLLIN != 0 {
            break;
        }
    }
    // The supervisor is gone; the listener is still open here, so no call
    // waiting on it has returned.
    // SAFETY: a pidfd of the command, and its process group (named by its pid,
    // which is not reused while any member of the group is left); no memory is
    // involved.
    unsafe {
        raw::pidfd_send_signal(command_fd.as_raw_fd(), libc::SIGKILL);
        libc::kill(-command, libc::SIGKILL);
    }
    let _ = Supervisor::new(Listener::new(listener)).run(handler);
}
