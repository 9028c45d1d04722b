//! Running a command under a filter whose notifications come to this process:
//! [`spawn`].

use std::io;
use std::process::{Child, Command};

use seccompy_sys::sock_filter;

use super::listener::Listener;
use crate::{CommandSeccompExt, SeccompOptions};

/// A child whose filter reports to [`listener`](Self::listener).
#[derive(Debug)]
#[non_exhaustive]
pub struct Supervised {
    /// The child. Wait for it: until it is reaped, its filter lives on and a
    /// [`Supervisor`](super::Supervisor) keeps running.
    pub child: Child,
    /// The listener of the child's filter, with synchronous wake-up on where the
    /// kernel has it.
    pub listener: Listener,
}

/// Spawns `command` with `program` installed in the child (with
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`) between `fork` and `exec`, and returns
/// the child and the listener, ready to supervise.
///
/// The program must allow what the child does after the installation:
/// `sendmsg(2)` and `close(2)` to pass the listener back, then `execve(2)` (see
/// [`CommandSeccompExt::spawn_with_listener`], which this wraps). Calls the
/// program sends to the listener wait until they are answered, so supervise
/// them, on another thread if this one is to wait for the child.
///
/// # Errors
/// The errors of [`CommandSeccompExt::spawn_with_listener`].
pub fn spawn<P>(
    command: &mut Command,
    program: P,
    options: SeccompOptions,
) -> io::Result<Supervised>
where
    P: AsRef<[sock_filter]> + Send + Sync + 'static,
{
    let spawned = command.spawn_with_listener(program, options)?;
    Ok(Supervised {
        child: spawned.child,
        listener: Listener::from(spawned.listener),
    })
}
