//! Running a command under a filter whose notifications come to this process:
//! [`spawn`].

use std::io;
use std::process::{Child, Command};

use seccompy_sys::sock_filter;

use super::listener::Listener;
use crate::command::{NotifiedBeforeExec, check_before_exec};
use crate::{CommandSeccompExt, SeccompOptions, SpawnedWithListener};

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

impl From<SpawnedWithListener> for Supervised {
    /// The child and its listener, taken over as [`Listener::new`] does: what
    /// [`CommandSeccompExt::spawn_with_listener`] returns, ready to supervise.
    fn from(spawned: SpawnedWithListener) -> Supervised {
        Supervised {
            child: spawned.child,
            listener: Listener::from(spawned.listener),
        }
    }
}

/// Why [`spawn()`] returned no child.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The program may send a call the child makes before `exec` to the
    /// listener; nothing was spawned.
    #[error(transparent)]
    NotifiedBeforeExec(#[from] NotifiedBeforeExec),
    /// Spawning failed: the errors of
    /// [`CommandSeccompExt::spawn_with_listener`].
    #[error("cannot spawn the command under its filter")]
    Io {
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Spawns `command` with `program` installed in the child (with
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`) between `fork` and `exec`, and returns
/// the child and the listener, ready to supervise.
///
/// The program must not send to the listener what the child does after the
/// installation and before `exec` returns in the parent: `sendmsg(2)` and
/// `close(2)` to pass the listener back, `execve(2)`, and `write(2)` and
/// `exit_group(2)` to report a failed `execve` (see
/// [`CommandSeccompExt::spawn_with_listener`], which this wraps). Nobody could
/// answer them, so such a program is refused before anything is spawned
/// ([`SpawnError::NotifiedBeforeExec`]); [`spawn_exec`](super::spawn_exec)
/// runs such a program. Calls the program sends to the
/// listener after `exec` wait until they are answered, so supervise them, on
/// another thread if this one is to wait for the child.
///
/// # Errors
/// [`SpawnError::NotifiedBeforeExec`], or [`SpawnError::Io`] with the errors
/// of [`CommandSeccompExt::spawn_with_listener`].
pub fn spawn<P>(
    command: &mut Command,
    program: P,
    options: SeccompOptions,
) -> Result<Supervised, SpawnError>
where
    P: AsRef<[sock_filter]> + Send + Sync + 'static,
{
    check_before_exec(program.as_ref())?;
    command
        .spawn_with_listener(program, options)
        .map(Supervised::from)
        .map_err(|source| SpawnError::Io { source })
}
