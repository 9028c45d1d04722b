//! Starting a command under a filter whose notifications come to `seccompy`,
//! without any system call between the installation and `execve` that the
//! filter would have to allow: [`seccompy::unotify::spawn_exec`] (the child
//! publishes its listener's fd number in a shared page and spins there until
//! the parent has copied it with `pidfd_getfd(2)`; then it calls `execve(2)`,
//! which the filter sees like any other call).
//!
//! Before the filter, the child prepares as `tini` does ([`prepare_child`]): its
//! own process group (the terminal's foreground if `seccompy` had it), the
//! default signal mask and `SIGPIPE`, and `SIGKILL` when `seccompy` dies. While
//! the command runs, `seccompy` forwards the usual signals to it and, as PID 1,
//! reaps every orphan ([`Signals`]).

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use seccompy::unotify::{self, ExecChild, ExecError};
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
    let name = Path::new(cmd);
    let executable = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).is_ok_and(|c| {
            // SAFETY: `c` is a valid C string.
            unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
        }) && p.is_file()
    };
    if cmd.as_bytes().contains(&b'/') {
        return if executable(name) {
            Ok(name.to_path_buf())
        } else if name.exists() {
            Err(Error::Status(
                126,
                format!(
                    "cannot run '{}': not an executable file",
                    cmd.to_string_lossy()
                ),
            ))
        } else {
            Err(cannot_run(cmd, &io::Error::from_raw_os_error(libc::ENOENT)))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .collect();
    if let Some(found) = dirs.iter().find(|p| executable(p)) {
        return Ok(found.clone());
    }
    // Found but not executable (as a shell says, 126), or not found at all.
    if dirs.iter().any(|p| p.is_file()) {
        return Err(Error::Status(
            126,
            format!("cannot run '{}': permission denied", name.display()),
        ));
    }
    Err(Error::Status(
        127,
        format!("command not found: {}", name.display()),
    ))
}

/// Starts `argv` (the program at `program`) with `filter` installed (with
/// `flags` besides the listener's) and `no_new_privs` set, prepared by
/// [`prepare_child`]; the caller supervises the listener at once and reaps the
/// pid.
pub fn start(
    program: &Path,
    argv: &[CString],
    filter: &[sock_filter],
    flags: FilterFlags,
) -> Result<ExecChild> {
    let path = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| Error::new("the command's path holds a NUL byte"))?;
    let parent = std::process::id() as libc::pid_t;
    let foreground = owns_terminal();
    let options = SeccompOptions::with_flags(flags);
    // SAFETY: `prepare_child` is async-signal-safe (system calls only).
    let started = unsafe {
        unotify::spawn_exec(&path, argv, filter, options, move || {
            prepare_child(parent, foreground)
        })
    };
    started.map_err(|e| match e {
        ExecError::Install {
            source: SetFilterError::ListenerBusy { .. },
        } => Error::new(NESTED_LISTENER),
        e => Error::new(with_sources(&e)),
    })
}

/// Runs `start` (which starts the command) with this process's standard
/// output pointing at its standard error, so that the command inherits that:
/// for `trace -o -`, whose standard output is the profile alone. Call it while
/// this process has one thread (nothing else may write to standard output
/// meanwhile); standard output is restored before returning.
pub fn with_stdout_on_stderr<T>(start: impl FnOnce() -> Result<T>) -> Result<T> {
    let os = |what: &str| Error::new(format!("{what}: {}", io::Error::last_os_error()));
    // SAFETY: dup of our own standard output; the copy is closed below.
    let saved = unsafe { libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3) };
    if saved < 0 {
        return Err(os("cannot duplicate standard output"));
    }
    // SAFETY: fds 2 and 1 are ours.
    if unsafe { libc::dup2(2, 1) } < 0 {
        let e = os("cannot redirect standard output");
        // SAFETY: closing the copy made above.
        unsafe { libc::close(saved) };
        return Err(e);
    }
    let result = start();
    // SAFETY: putting standard output back and closing the copy.
    let restored = unsafe { libc::dup2(saved, 1) >= 0 };
    // SAFETY: as above.
    unsafe { libc::close(saved) };
    if !restored {
        return Err(os("cannot restore standard output"));
    }
    result
}

/// An error and its sources, on one line.
fn with_sources(e: &dyn std::error::Error) -> String {
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

/// Whether this process's group is the foreground of the terminal on standard
/// input: the command then gets the terminal (as `tini` gives it).
pub fn owns_terminal() -> bool {
    // SAFETY: plain queries on fd 0 and on this process.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// The command's side of the preparation, between `fork` and `exec` and before
/// the filter; async-signal-safe (system calls only, nothing allocated).
///
/// - `SIGKILL` when `seccompy` dies (`PR_SET_PDEATHSIG`), and `ESRCH` if it
///   already has (`parent` is no longer the parent);
/// - its own process group, given the terminal if `foreground`;
/// - the default disposition of `SIGPIPE` (Rust ignores it) and an empty signal
///   mask (`seccompy` blocks the signals it forwards).
pub fn prepare_child(parent: libc::pid_t, foreground: bool) -> io::Result<()> {
    let check = |r: libc::c_int| {
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    };
    // SAFETY: each call below is async-signal-safe, passes integers or
    // pointers to local sigsets, and changes only this process.
    unsafe {
        check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0))?;
        if libc::getppid() != parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        check(libc::setpgid(0, 0))?;
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut set);
        if foreground {
            // A background group's tcsetpgrp stops it with SIGTTOU, unless blocked.
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
    }
    Ok(())
}

/// The signals `seccompy` passes on to the command, as `tini` and `timeout` do.
const FORWARDED: [libc::c_int; 11] = [
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

/// The signals `seccompy` handles while a command runs: blocked in every thread
/// (taken with `sigwaitinfo(2)` by [`Signals::wait`]), forwarded to the command,
/// and `SIGCHLD` for reaping.
pub struct Signals {
    set: libc::sigset_t,
    /// Whether this process is PID 1 (of its namespace): every orphan is its
    /// child, to reap.
    init: bool,
    /// Whether the command was given the terminal, to take back at the end.
    gave_terminal: bool,
}

impl Signals {
    /// Blocks the forwarded signals, `SIGCHLD`, `SIGTTIN` and `SIGTTOU` in the
    /// calling thread. Call it before any thread is started: threads inherit
    /// the mask, so only [`wait`](Self::wait) takes them.
    pub fn block() -> Result<Signals> {
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
            return Err(Error::new(format!(
                "cannot block signals: {}",
                io::Error::from_raw_os_error(r)
            )));
        }
        Ok(Signals {
            set,
            init: std::process::id() == 1,
            gave_terminal: owns_terminal(),
        })
    }

    /// Waits for the command `pid` (a child of this process) to end, passing the
    /// forwarded signals on to it and, as PID 1, reaping every other child.
    pub fn wait(&self, pid: libc::pid_t) -> Result<Ended> {
        let ended = loop {
            if let Some(ended) = self.reap(pid)? {
                break ended;
            }
            // SAFETY: an all-zero siginfo is valid storage for the kernel to fill.
            let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
            // SAFETY: `set` is initialised and `info` writable.
            let sig = unsafe { libc::sigwaitinfo(&self.set, &mut info) };
            if sig < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(Error::new(format!("waiting for a signal: {e}")));
            }
            if FORWARDED.contains(&sig) {
                // SAFETY: `pid` is our child and not yet reaped, so the number is
                // still the command's.
                unsafe { libc::kill(pid, sig) };
            }
        };
        if self.gave_terminal {
            // The terminal back to seccompy's group (SIGTTOU is blocked).
            // SAFETY: plain calls on fd 0 and this process.
            unsafe { libc::tcsetpgrp(0, libc::getpgrp()) };
        }
        Ok(ended)
    }

    /// After the command `ended`, while its children still run under the
    /// supervisor and until `done`: a HUP, INT, QUIT or TERM then makes
    /// `seccompy` exit with the command's status instead of waiting on for them
    /// (under `run --log-denied` the standby supervisor answers them from then
    /// on); as PID 1, orphans are still reaped.
    pub fn linger(&self, ended: Ended, done: &AtomicBool) {
        let tick = libc::timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        while !done.load(Ordering::Acquire) {
            // SAFETY: an all-zero siginfo is valid storage for the kernel to fill.
            let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
            // SAFETY: `set` is initialised, `info` writable, `tick` readable.
            let sig = unsafe { libc::sigtimedwait(&self.set, &mut info, &tick) };
            if matches!(
                sig,
                libc::SIGHUP | libc::SIGINT | libc::SIGQUIT | libc::SIGTERM
            ) {
                std::process::exit(i32::from(ended.code()));
            }
            if sig == libc::SIGCHLD && self.init {
                // SAFETY: reaping orphans; `status` is not asked for.
                while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
            }
        }
    }

    /// Reaps what has ended without waiting: the command (its end returned)
    /// and, as PID 1, any other child.
    fn reap(&self, pid: libc::pid_t) -> Result<Option<Ended>> {
        let mut ended = None;
        loop {
            let mut status = 0;
            let which = if self.init { -1 } else { pid };
            // SAFETY: `status` is a valid int.
            let got = unsafe { libc::waitpid(which, &mut status, libc::WNOHANG) };
            if got < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    // PID 1 with no child left: the command was reaped above.
                    Some(libc::ECHILD) if ended.is_some() => return Ok(ended),
                    _ => return Err(Error::new(format!("waiting for the command: {e}"))),
                }
            }
            if got == 0 {
                return Ok(ended);
            }
            if got == pid {
                ended = Some(Ended::from_status(status));
                if !self.init {
                    return Ok(ended);
                }
            }
        }
    }
}

/// How a waited-for process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
}

impl Ended {
    fn from_status(status: libc::c_int) -> Ended {
        if libc::WIFSIGNALED(status) {
            Ended::Signaled(libc::WTERMSIG(status))
        } else {
            Ended::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// `seccompy`'s exit status for it: the command's, or 128 + N for a
    /// death by signal N (as `tini` and the shell report it).
    pub fn code(self) -> u8 {
        match self {
            Ended::Exited(code) => code as u8,
            Ended::Signaled(sig) => 128u8.wrapping_add(sig as u8),
        }
    }
}

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
