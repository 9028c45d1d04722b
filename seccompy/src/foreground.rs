//! Running a command in the foreground, as its parent: what `tini` and
//! `timeout(1)` do for the command they run, for a supervisor that runs one.
//!
//! - [`Foreground`]: the command's preparation between `fork` and `exec`: its
//!   own process group, given the terminal if this process has it, the default
//!   signal mask and `SIGPIPE`, and `SIGKILL` when this process dies; for a
//!   [`Command`] ([`Foreground::prepare`]) or a program under a filter that
//!   notifies any call ([`Foreground::spawn_exec`]).
//! - [`Relay`]: the signals this process gets ([`FORWARDED`]) passed on to the
//!   command, the command waited for, the terminal taken back, and every
//!   orphan reaped when this process is PID 1 or a child subreaper.
//! - [`Ended`]: how the command ended, and the status to exit with
//!   ([`Ended::code`], 128 + N for a death by signal N).
//! - [`find_program`]: a command name resolved through `PATH`, as `execvp(3)`
//!   does.
//!
//! [`unotify::Standby`](crate::unotify::Standby) keeps a supervised command
//! from outliving its supervisor.
//!
//! ```no_run
//! use std::process::Command;
//!
//! use seccompy::foreground::{Foreground, Relay};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // First, while this process has one thread: threads inherit the mask.
//! let relay = Relay::block()?;
//! let mut command = Command::new("sleep");
//! command.arg("10");
//! let child = Foreground::new().prepare(&mut command).spawn()?;
//! // A SIGTERM to this process now ends `sleep`; its status is ours.
//! let ended = relay.wait(child.id() as libc::pid_t)?;
//! std::process::exit(i32::from(ended.code()));
//! # }
//! ```
//!
//! # References
//! - [`setpgid(2)`](https://man7.org/linux/man-pages/man2/setpgid.2.html)
//! - [`tcsetpgrp(3)`](https://man7.org/linux/man-pages/man3/tcsetpgrp.3.html)
//! - [`sigwaitinfo(2)`](https://man7.org/linux/man-pages/man2/sigwaitinfo.2.html)
//! - [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html)
//! - [`PR_SET_PDEATHSIG(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html)
//! - [`PR_SET_CHILD_SUBREAPER(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_CHILD_SUBREAPER.2const.html)

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use seccompy_sys::sock_filter;

use crate::command::SeccompOptions;
use crate::unotify::{ExecChild, ExecError};

/// The signals a [`Relay`] passes on to the command, as `tini` and `timeout(1)`
/// do: `SIGHUP`, `SIGINT`, `SIGQUIT`, `SIGUSR1`, `SIGUSR2`, `SIGALRM`,
/// `SIGTERM`, `SIGWINCH`, `SIGCONT`, `SIGTSTP` and `SIGURG`.
pub const FORWARDED: [libc::c_int; 11] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGWINCH,
    libc::SIGCONT,
    libc::SIGTSTP,
    libc::SIGURG,
];

/// The signals that end [`Relay::linger`]: `SIGHUP`, `SIGINT`, `SIGQUIT` and
/// `SIGTERM`.
const ENDING: [libc::c_int; 4] = [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM];

/// Whether this process's group is the foreground process group of the
/// terminal on standard input: a command run in the foreground then gets the
/// terminal.
///
/// # References
/// - [`isatty(3)`](https://man7.org/linux/man-pages/man3/isatty.3.html)
/// - [`tcgetpgrp(3)`](https://man7.org/linux/man-pages/man3/tcgetpgrp.3.html)
#[doc(alias = "isatty")]
#[doc(alias = "tcgetpgrp")]
#[must_use]
pub fn owns_terminal() -> bool {
    // SAFETY: plain queries on fd 0 and on this process; no memory is involved.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// How a command is prepared to run in the foreground under this process,
/// between `fork` and `exec` (as `tini` prepares it):
///
/// - `SIGKILL` when this process dies (`PR_SET_PDEATHSIG`), and a failed start
///   (`ESRCH`) if it already has;
/// - its own process group, given the terminal on standard input if this
///   process's group had it when the `Foreground` was made
///   ([`takes_terminal`](Self::takes_terminal));
/// - an empty signal mask (a [`Relay`] blocks the signals it forwards) and the
///   default disposition of `SIGPIPE` (Rust ignores it);
/// - with [`stdout_to_stderr`](Self::stdout_to_stderr), its standard output
///   on this process's standard error.
///
/// The preparation makes system calls only: it is async-signal-safe, and runs
/// before any filter the command is started under.
///
/// # References
/// - [`setpgid(2)`](https://man7.org/linux/man-pages/man2/setpgid.2.html)
/// - [`tcsetpgrp(3)`](https://man7.org/linux/man-pages/man3/tcsetpgrp.3.html)
/// - [`PR_SET_PDEATHSIG(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html)
/// - [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
/// - [`dup2(2)`](https://man7.org/linux/man-pages/man2/dup2.2.html)
#[doc(alias = "setpgid")]
#[doc(alias = "tcsetpgrp")]
#[doc(alias = "PR_SET_PDEATHSIG")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Foreground {
    /// This process: the command's parent.
    parent: libc::pid_t,
    /// Whether the command gets the terminal.
    terminal: bool,
    /// Whether the command's standard output is this process's standard error.
    stdout_to_stderr: bool,
}

impl Default for Foreground {
    fn default() -> Self {
        Self::new()
    }
}

impl Foreground {
    /// The preparation for a command that this process starts: the command
    /// gets the terminal if this process's group has it now
    /// ([`owns_terminal`]).
    #[must_use]
    pub fn new() -> Foreground {
        Foreground {
            parent: std::process::id() as libc::pid_t,
            terminal: owns_terminal(),
            stdout_to_stderr: false,
        }
    }

    /// Whether the command gets the terminal.
    #[must_use]
    pub fn takes_terminal(&self) -> bool {
        self.terminal
    }

    /// Points the command's standard output at this process's standard error
    /// (`dup2(2, 1)` in the child), for a parent whose own standard output
    /// carries something else.
    #[must_use]
    pub fn stdout_to_stderr(mut self, on: bool) -> Foreground {
        self.stdout_to_stderr = on;
        self
    }

    /// Adds the preparation to `command`, as a `pre_exec` hook: it runs after
    /// the hooks added before it and before those added after it (add it before
    /// [`CommandSeccompExt::seccomp`](crate::CommandSeccompExt::seccomp), whose
    /// filter might refuse its calls).
    pub fn prepare<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        let this = *self;
        // SAFETY: the hook makes async-signal-safe system calls only, and
        // allocates nothing.
        unsafe { command.pre_exec(move || this.in_child()) }
    }

    /// [`unotify::spawn_exec`](crate::unotify::spawn_exec) with this
    /// preparation: starts the program at `path` (`argv` its arguments,
    /// `argv[0]` first) under `program`, whose listener the returned
    /// [`ExecChild`] holds; the child makes no system call between the
    /// filter's installation and `execve`.
    ///
    /// # Errors
    /// See [`ExecError`]; [`ExecError::Prepare`] when the preparation fails
    /// (`ESRCH`: this process's death came first).
    ///
    /// # References
    /// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
    pub fn spawn_exec<P>(
        &self,
        path: &CStr,
        argv: &[CString],
        program: P,
        options: SeccompOptions,
    ) -> Result<ExecChild, ExecError>
    where
        P: AsRef<[sock_filter]>,
    {
        let this = *self;
        // SAFETY: the preparation makes async-signal-safe system calls only,
        // and allocates nothing.
        unsafe { crate::unotify::spawn_exec(path, argv, program, options, move || this.in_child()) }
    }

    /// The preparation, in the child.
    fn in_child(&self) -> io::Result<()> {
        let check = |r: libc::c_int| {
            if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        };
        // SAFETY: each call below is async-signal-safe, passes integers or
        // pointers to local sigsets, and changes only this (child) process.
        unsafe {
            check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0))?;
            if libc::getppid() != self.parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            check(libc::setpgid(0, 0))?;
            let mut set: libc::sigset_t = core::mem::zeroed();
            libc::sigemptyset(&mut set);
            if self.terminal {
                // A background group's tcsetpgrp stops it with SIGTTOU, unless
                // blocked.
                libc::sigaddset(&mut set, libc::SIGTTOU);
                check(libc::sigprocmask(
                    libc::SIG_SETMASK,
                    &set,
                    std::ptr::null_mut(),
                ))?;
                // No terminal after all (ENOTTY, ENXIO): nothing to give.
                let _ = libc::tcsetpgrp(0, libc::getpgrp());
                libc::sigemptyset(&mut set);
            }
            check(libc::sigprocmask(
                libc::SIG_SETMASK,
                &set,
                std::ptr::null_mut(),
            ))?;
            if libc::signal(libc::SIGPIPE, libc::SIG_DFL) == libc::SIG_ERR {
                return Err(io::Error::last_os_error());
            }
            if self.stdout_to_stderr {
                check(libc::dup2(2, 1))?;
            }
        }
        Ok(())
    }
}

/// How a waited-for process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// This signal killed it.
    Signaled(i32),
}

impl Ended {
    /// The end a `waitpid(2)` status reports (of a process that has ended).
    pub(crate) fn from_wait_status(status: libc::c_int) -> Ended {
        if libc::WIFSIGNALED(status) {
            Ended::Signaled(libc::WTERMSIG(status))
        } else {
            Ended::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The status for its parent to exit with: the process's own, or 128 + N
    /// for a death by signal N (as the shell, `tini` and `timeout(1)` report
    /// it).
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Ended::Exited(code) => code as u8,
            Ended::Signaled(sig) => 128u8.wrapping_add(sig as u8),
        }
    }
}

/// Why a [`Relay`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// `pthread_sigmask(2)` refused to block the signals.
    #[error("cannot block signals")]
    Block {
        /// The error it returned.
        #[source]
        source: io::Error,
    },
    /// `sigwaitinfo(2)` failed.
    #[error("waiting for a signal")]
    Signal {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// `waitpid(2)` failed (`ECHILD`: the command is not this process's
    /// child, or was reaped elsewhere).
    #[error("waiting for the command")]
    Wait {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// The signals a parent handles while its command runs in the foreground:
/// [`FORWARDED`], `SIGCHLD`, `SIGTTIN` and `SIGTTOU`, blocked in the thread
/// that made the relay and in the threads it starts afterwards, and taken with
/// `sigwaitinfo(2)` by [`wait`](Self::wait) and [`linger`](Self::linger).
///
/// When this process is PID 1 (of its namespace) or a child subreaper
/// (`PR_SET_CHILD_SUBREAPER`), every orphan of its descendants becomes its
/// child: the relay reaps it, and any other child of this process too. The
/// signals stay blocked when the relay is dropped.
///
/// # References
/// - [`sigwaitinfo(2)`](https://man7.org/linux/man-pages/man2/sigwaitinfo.2.html)
/// - [`pthread_sigmask(3)`](https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html)
/// - [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html)
/// - [`PR_SET_CHILD_SUBREAPER(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_CHILD_SUBREAPER.2const.html)
pub struct Relay {
    set: libc::sigset_t,
    /// Whether every orphan comes to this process, to reap.
    init: bool,
    /// Whether this process's group had the terminal, to take back.
    terminal: bool,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("reaps_orphans", &self.init)
            .field("terminal", &self.terminal)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Blocks the relay's signals in the calling thread. Call it before this
    /// process starts any thread: threads inherit the mask, so that only the
    /// relay takes the signals.
    ///
    /// # Errors
    /// [`RelayError::Block`].
    #[doc(alias = "pthread_sigmask")]
    pub fn block() -> Result<Relay, RelayError> {
        // SAFETY: an all-zero sigset is valid storage; sigemptyset initialises it.
        let mut set: libc::sigset_t = unsafe { core::mem::zeroed() };
        // SAFETY: `set` is a valid sigset; the signal numbers are valid.
        unsafe {
            libc::sigemptyset(&mut set);
            for sig in FORWARDED
                .iter()
                .chain(&[libc::SIGCHLD, libc::SIGTTIN, libc::SIGTTOU])
            {
                libc::sigaddset(&mut set, *sig);
            }
        }
        // SAFETY: `set` is initialised; the old mask is not asked for.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if r != 0 {
            return Err(RelayError::Block {
                source: io::Error::from_raw_os_error(r),
            });
        }
        Ok(Relay {
            set,
            init: std::process::id() == 1 || is_subreaper(),
            terminal: owns_terminal(),
        })
    }

    /// Whether the relay reaps every child of this process (PID 1 or a child
    /// subreaper).
    #[must_use]
    pub fn reaps_orphans(&self) -> bool {
        self.init
    }

    /// Waits for the command `pid` (a child of this process, not reaped by
    /// anything else) to end, passing each [`FORWARDED`] signal on to it and,
    /// when [`reaps_orphans`](Self::reaps_orphans), reaping every other child
    /// that ends. Then gives the terminal back to this process's group, if it
    /// had it when the relay was made.
    ///
    /// # Errors
    /// [`RelayError::Signal`], [`RelayError::Wait`].
    #[doc(alias = "sigwaitinfo")]
    #[doc(alias = "waitpid")]
    pub fn wait(&self, pid: libc::pid_t) -> Result<Ended, RelayError> {
        let ended = loop {
            if let Some(ended) = self.reap(pid)? {
                break ended;
            }
            // SAFETY: an all-zero siginfo is valid storage for the kernel to fill.
            let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
            // SAFETY: `set` is initialised and `info` writable.
            let sig = unsafe { libc::sigwaitinfo(&self.set, &mut info) };
            if sig < 0 {
                let source = io::Error::last_os_error();
                if source.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(RelayError::Signal { source });
            }
            if FORWARDED.contains(&sig) {
                // SAFETY: `pid` is our child and not yet reaped, so the number
                // is still the command's; no memory is involved.
                unsafe { libc::kill(pid, sig) };
            }
        };
        if self.terminal {
            // The terminal back to this process's group (SIGTTOU is blocked).
            // SAFETY: plain calls on fd 0 and this process.
            unsafe { libc::tcsetpgrp(0, libc::getpgrp()) };
        }
        Ok(ended)
    }

    /// After the command ended, while processes it started may still run (a
    /// supervisor answering their calls): waits until `done` is set, or until
    /// `SIGHUP`, `SIGINT`, `SIGQUIT` or `SIGTERM` comes (returned: the caller
    /// then stops waiting for them). Orphans are reaped meanwhile, when
    /// [`reaps_orphans`](Self::reaps_orphans); `done` is checked every 50 ms.
    #[doc(alias = "sigtimedwait")]
    #[must_use]
    pub fn linger(&self, done: &AtomicBool) -> Option<libc::c_int> {
        let tick = libc::timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        while !done.load(Ordering::Acquire) {
            // SAFETY: an all-zero siginfo is valid storage for the kernel to fill.
            let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
            // SAFETY: `set` is initialised, `info` writable, `tick` readable.
            let sig = unsafe { libc::sigtimedwait(&self.set, &mut info, &tick) };
            if ENDING.contains(&sig) {
                return Some(sig);
            }
            if sig == libc::SIGCHLD && self.init {
                // SAFETY: reaping orphans; the status is not asked for.
                while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
            }
        }
        None
    }

    /// Reaps what has ended without waiting: the command (its end returned)
    /// and, when reaping orphans, any other child.
    fn reap(&self, pid: libc::pid_t) -> Result<Option<Ended>, RelayError> {
        let mut ended = None;
        loop {
            let mut status = 0;
            let which = if self.init { -1 } else { pid };
            // SAFETY: `status` is a valid int.
            let got = unsafe { libc::waitpid(which, &mut status, libc::WNOHANG) };
            if got < 0 {
                let source = io::Error::last_os_error();
                match source.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    // No child left: the command was reaped above.
                    Some(libc::ECHILD) if ended.is_some() => return Ok(ended),
                    _ => return Err(RelayError::Wait { source }),
                }
            }
            if got == 0 {
                return Ok(ended);
            }
            if got == pid {
                ended = Some(Ended::from_wait_status(status));
                if !self.init {
                    return Ok(ended);
                }
            }
        }
    }
}

/// Whether this process is a child subreaper.
fn is_subreaper() -> bool {
    let mut on: libc::c_int = 0;
    // SAFETY: the kernel writes one int to `on`.
    let r = unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut on as *mut libc::c_int) };
    r == 0 && on != 0
}

/// Why [`find_program`] found no program to run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No file of that name: the path does not exist, or no directory of
    /// `PATH` holds it (the status a shell gives this is 127).
    #[error("{}: not found", .name.to_string_lossy())]
    NotFound {
        /// The name looked up.
        name: OsString,
    },
    /// A file was found but cannot be executed by this process (the status a
    /// shell gives this is 126).
    #[error("{}: not an executable file", .path.display())]
    NotExecutable {
        /// The file (the first found in `PATH`).
        path: PathBuf,
    },
}

/// The program `name` stands for, as `execvp(3)` finds it: `name` itself if it
/// holds a `/`, otherwise the first executable file of that name in a
/// directory of `PATH` (`/usr/local/bin:/usr/bin:/bin` when `PATH` is unset).
///
/// A file is executable when `access(2)` grants `X_OK` (which counts the mount's
/// `noexec` and, for root, any execute bit) and it is a regular file.
///
/// # Errors
/// See [`LookupError`].
///
/// # References
/// - [`execvp(3)`](https://man7.org/linux/man-pages/man3/execvp.3.html)
/// - [`access(2)`](https://man7.org/linux/man-pages/man2/access.2.html)
#[doc(alias = "execvp")]
#[doc(alias = "which")]
pub fn find_program(name: &OsStr) -> Result<PathBuf, LookupError> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    find_program_in(name, &path)
}

/// [`find_program`] with `path` (directories separated by `:`) for `PATH`.
///
/// # Errors
/// See [`LookupError`].
///
/// # References
/// - [`execvp(3)`](https://man7.org/linux/man-pages/man3/execvp.3.html)
/// - [`access(2)`](https://man7.org/linux/man-pages/man2/access.2.html)
#[doc(alias = "access")]
pub fn find_program_in(name: &OsStr, path: &OsStr) -> Result<PathBuf, LookupError> {
    let file = Path::new(name);
    if name.as_bytes().contains(&b'/') {
        return if is_executable(file) {
            Ok(file.to_path_buf())
        } else if file.exists() {
            Err(LookupError::NotExecutable {
                path: file.to_path_buf(),
            })
        } else {
            Err(LookupError::NotFound { name: name.into() })
        };
    }
    let candidates: Vec<PathBuf> = std::env::split_paths(path)
        .map(|dir| dir.join(file))
        .collect();
    if let Some(found) = candidates.iter().find(|p| is_executable(p)) {
        return Ok(found.clone());
    }
    match candidates.into_iter().find(|p| p.is_file()) {
        Some(path) => Err(LookupError::NotExecutable { path }),
        None => Err(LookupError::NotFound { name: name.into() }),
    }
}

/// Whether `path` is a regular file this process may execute.
fn is_executable(path: &Path) -> bool {
    CString::new(path.as_os_str().as_bytes()).is_ok_and(|c| {
        // SAFETY: `c` is a valid C string; no memory is written.
        unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
    }) && path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_by_signal_is_128_plus_the_signal() {
        assert_eq!(Ended::Exited(0).code(), 0);
        assert_eq!(Ended::Exited(3).code(), 3);
        assert_eq!(Ended::Signaled(libc::SIGTERM).code(), 143);
        assert_eq!(Ended::Signaled(libc::SIGKILL).code(), 137);
        assert_eq!(
            Ended::Signaled(libc::SIGSYS).code(),
            128 + libc::SIGSYS as u8
        );
    }

    #[test]
    fn wait_statuses_are_read_as_exits_and_signals() {
        // Exit status 5: 5 << 8; death by SIGKILL: 9 (no core dump).
        assert_eq!(Ended::from_wait_status(5 << 8), Ended::Exited(5));
        assert_eq!(Ended::from_wait_status(9), Ended::Signaled(9));
        // With a core dump (0x80).
        assert_eq!(Ended::from_wait_status(0x80 | 11), Ended::Signaled(11));
    }
}
