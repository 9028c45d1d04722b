//! Starting a command under a filter whose notifications come to `seccompy`,
//! without any system call between the installation and `execve` that the
//! filter would have to allow: [`Foreground::spawn_exec`] (the library's
//! [`seccompy::unotify::spawn_exec`], with the command prepared to run in the
//! foreground: its own process group, the terminal, `SIGKILL` when `seccompy`
//! dies). While the command runs, `seccompy` forwards the usual signals to it
//! and, as PID 1, reaps every orphan ([`seccompy::foreground::Relay`]); this
//! module turns the library's errors into the CLI's lines and statuses.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use seccompy::foreground::{Ended, Foreground, LookupError, Relay};
use seccompy::unotify::{ExecChild, ExecError};
use seccompy::{FilterFlags, SeccompOptions, SetFilterError};
use seccompy_sys::sock_filter;

use crate::error::{Error, Result};

/// The one-line error for a command that could not be executed, with the
/// status `env(1)`, `timeout(1)` and `docker run` give it: 127 when it is not
/// found (`ENOENT`), 126 when it cannot be executed (permission, format, a
/// directory, ...); any other failure (such as the filter's installation
/// failing between `fork` and `exec`) is seccompy's own: 125.
pub fn cannot_run(cmd: &OsStr, why: &io::Error) -> Error {
    let code = match why.raw_os_error() {
        Some(libc::ENOENT) => 127,
        Some(
            libc::EACCES
            | libc::EPERM
            | libc::ENOEXEC
            | libc::EISDIR
            | libc::ENOTDIR
            | libc::ETXTBSY
            | libc::ELIBBAD
            | libc::ELOOP
            | libc::ENAMETOOLONG
            | libc::E2BIG,
        ) => 126,
        _ => 125,
    };
    Error::Status(
        code,
        format!("cannot run '{}': {why}", cmd.to_string_lossy()),
    )
}

/// Resolves a command name through `PATH` as `execvp` would: a name that is
/// not found is status 127, a file that is not executable 126.
pub fn find_program(cmd: &OsStr) -> Result<PathBuf> {
    let has_slash = cmd.as_bytes().contains(&b'/');
    let name = Path::new(cmd);
    seccompy::foreground::find_program(cmd).map_err(|e| match e {
        LookupError::NotFound { .. } if has_slash => {
            cannot_run(cmd, &io::Error::from_raw_os_error(libc::ENOENT))
        }
        LookupError::NotFound { .. } => {
            Error::Status(127, format!("command not found: {}", name.display()))
        }
        // Found but not executable (as a shell says, 126).
        LookupError::NotExecutable { .. } if has_slash => Error::Status(
            126,
            format!(
                "cannot run '{}': not an executable file",
                cmd.to_string_lossy()
            ),
        ),
        _ => Error::Status(
            126,
            format!("cannot run '{}': permission denied", name.display()),
        ),
    })
}

/// Starts `argv` (the program at `program`) with `filter` installed (with
/// `flags` besides the listener's) and `no_new_privs` set, prepared by
/// `foreground` to run in the foreground; the caller supervises the listener
/// at once and reaps the pid.
pub fn start(
    foreground: Foreground,
    program: &Path,
    argv: &[CString],
    filter: &[sock_filter],
    flags: FilterFlags,
) -> Result<ExecChild> {
    let path = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| Error::new("the command's path holds a NUL byte"))?;
    let options = SeccompOptions::with_flags(flags);
    foreground
        .spawn_exec(&path, argv, filter, options)
        .map_err(|e| match e {
            ExecError::Install {
                source: SetFilterError::ListenerBusy { .. },
            } => Error::new(NESTED_LISTENER),
            e => Error::new(with_sources(&e)),
        })
}

/// Blocks the signals `seccompy` forwards to the command (before any thread:
/// every thread inherits the mask, and only the waiting loop takes them).
pub fn block_signals() -> Result<Relay> {
    Relay::block().map_err(|e| Error::new(with_sources(&e)))
}

/// An error and its sources, on one line.
pub fn with_sources(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        line.push_str(": ");
        line.push_str(&s.to_string());
        source = s.source();
    }
    line
}

/// The one-line report of `EBUSY` from the kernel for a second listener.
pub const NESTED_LISTENER: &str = "cannot supervise the command: seccompy already runs under a \
     seccomp supervisor (user notification), and the kernel allows one listener per filter \
     chain; run --log-denied and trace cannot nest (plain run can)";

/// The command line as C strings.
pub fn c_args(cmd: &OsStr, rest: &[std::ffi::OsString]) -> Result<Vec<CString>> {
    std::iter::once(cmd)
        .chain(rest.iter().map(|a| a.as_os_str()))
        .map(|a| {
            CString::new(a.as_bytes())
                .map_err(|_| Error::new("an argument of the command holds a NUL byte"))
        })
        .collect()
}

/// Waits for the command `pid` to end, forwarding signals and reaping.
pub fn wait(relay: &Relay, pid: libc::pid_t) -> Result<Ended> {
    relay.wait(pid).map_err(|e| Error::new(with_sources(&e)))
}

/// The waiting thread of a supervised run: waits for the command `pid`, then,
/// while its children still run under the supervisor, until `done`; a HUP,
/// INT, QUIT or TERM then ends `seccompy` with the command's status (under
/// `run --log-denied` the standby supervisor answers them from then on).
pub fn wait_and_linger(relay: &Relay, pid: libc::pid_t, done: &AtomicBool) -> Result<Ended> {
    let ended = wait(relay, pid)?;
    if relay.linger(done).is_some() {
        std::process::exit(i32::from(ended.code()));
    }
    Ok(ended)
}
