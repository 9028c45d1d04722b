//! Where a thread stands: its seccomp mode, how many filters it has, its
//! `no_new_privs` bit ([`mode`], [`Status`]).

use std::io;
use std::path::PathBuf;

use seccompy_sys::{SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT, raw};

/// A thread's seccomp mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// No seccomp (Linux 2.6.12).
    #[doc(alias = "SECCOMP_MODE_DISABLED")]
    Disabled,
    /// Strict mode: only `read`, `write`, `_exit` and `sigreturn` (Linux 2.6.12).
    #[doc(alias = "SECCOMP_MODE_STRICT")]
    Strict,
    /// One or more BPF filters (Linux 3.5).
    #[doc(alias = "SECCOMP_MODE_FILTER")]
    Filter,
}

impl Mode {
    /// Decodes a `SECCOMP_MODE_*` value.
    #[must_use]
    pub const fn from_raw(mode: u32) -> Option<Mode> {
        match mode {
            SECCOMP_MODE_DISABLED => Some(Mode::Disabled),
            SECCOMP_MODE_STRICT => Some(Mode::Strict),
            SECCOMP_MODE_FILTER => Some(Mode::Filter),
            _ => None,
        }
    }
}

/// Why [`mode`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModeError {
    /// `EINVAL`: the kernel lacks `CONFIG_SECCOMP`.
    #[error("this kernel does not support seccomp (CONFIG_SECCOMP)")]
    Unsupported {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The kernel returned a mode this crate does not know.
    #[error("prctl(PR_GET_SECCOMP) returned the unknown mode {mode}")]
    UnknownMode {
        /// The value returned.
        mode: i32,
    },
    /// Any other error.
    #[error("prctl(PR_GET_SECCOMP) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// The calling thread's seccomp mode.
///
/// A thread in strict mode cannot ask: `prctl` is forbidden there and kills the
/// process. [`Status::current`] reads the same from `/proc` and works everywhere
/// `open` is allowed. Neither allocates nor locks.
///
/// # Errors
/// See [`ModeError`].
///
/// # References
/// - [`PR_GET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_SECCOMP.2const.html) (Linux 2.6.23)
#[doc(alias = "PR_GET_SECCOMP")]
pub fn mode() -> Result<Mode, ModeError> {
    // SAFETY: no memory is involved. A thread in strict mode would be killed, as
    // documented above; that is not undefined behaviour.
    let ret = unsafe { raw::prctl_get_seccomp() };
    if ret < 0 {
        let source = io::Error::last_os_error();
        return Err(match source.raw_os_error() {
            Some(libc::EINVAL) => ModeError::Unsupported { source },
            _ => ModeError::Other { source },
        });
    }
    u32::try_from(ret)
        .ok()
        .and_then(Mode::from_raw)
        .ok_or(ModeError::UnknownMode { mode: ret })
}

/// A thread's seccomp state as `/proc/<pid>/status` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Status {
    /// The `Seccomp:` line (Linux 3.8).
    pub mode: Mode,
    /// The `Seccomp_filters:` line: how many filters the thread has, `None` before
    /// Linux 5.9.
    pub filters: Option<u32>,
    /// The `NoNewPrivs:` line, `None` before Linux 4.10.
    pub no_new_privs: Option<bool>,
}

/// Why [`Status`] could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The file has no `Seccomp:` line (a kernel without `CONFIG_SECCOMP`), or a
    /// line could not be parsed.
    #[error("{} has no valid `{field}` line", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The line's name.
        field: &'static str,
    },
}

impl Status {
    /// The calling thread's status, from `/proc/thread-self/status`.
    ///
    /// # Errors
    /// See [`StatusError`].
    ///
    /// # References
    /// - [`proc_pid_status(5)`](https://man7.org/linux/man-pages/man5/proc_pid_status.5.html)
    pub fn current() -> Result<Status, StatusError> {
        Self::read(PathBuf::from("/proc/thread-self/status"))
    }

    /// The status of the thread or process `tid` (for a process, of its main
    /// thread), from `/proc/<tid>/status`.
    ///
    /// # Errors
    /// See [`StatusError`].
    ///
    /// # References
    /// - [`proc_pid_status(5)`](https://man7.org/linux/man-pages/man5/proc_pid_status.5.html)
    pub fn of(tid: libc::pid_t) -> Result<Status, StatusError> {
        Self::read(PathBuf::from(format!("/proc/{tid}/status")))
    }

    fn read(path: PathBuf) -> Result<Status, StatusError> {
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|field| StatusError::Field { path, field }),
            Err(source) => Err(StatusError::Read { path, source }),
        }
    }

    /// Parses the text of a `status` file; the error is the name of the bad field.
    fn parse(text: &str) -> Result<Status, &'static str> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let mode = field("Seccomp")
            .and_then(|v| v.parse().ok())
            .and_then(Mode::from_raw)
            .ok_or("Seccomp")?;
        let filters = match field("Seccomp_filters") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| "Seccomp_filters")?),
        };
        let no_new_privs = match field("NoNewPrivs") {
            None => None,
            Some("0") => Some(false),
            Some("1") => Some(true),
            Some(_) => return Err("NoNewPrivs"),
        };
        Ok(Status {
            mode,
            filters,
            no_new_privs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines_and_tolerates_old_kernels() {
        let new = "Name:\tx\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\nSpeculation_Store_Bypass:\tthread vulnerable\n";
        assert_eq!(
            Status::parse(new),
            Ok(Status {
                mode: Mode::Filter,
                filters: Some(3),
                no_new_privs: Some(true)
            })
        );
        let old = "Name:\tx\nSeccomp:\t1\n";
        assert_eq!(
            Status::parse(old),
            Ok(Status {
                mode: Mode::Strict,
                filters: None,
                no_new_privs: None
            })
        );
        assert_eq!(Status::parse("Name:\tx\n"), Err("Seccomp"));
        assert_eq!(Status::parse("Seccomp:\t7\n"), Err("Seccomp"));
        assert_eq!(
            Status::parse("Seccomp:\t0\nSeccomp_filters:\tx\n"),
            Err("Seccomp_filters")
        );
    }

    #[test]
    fn prctl_and_proc_agree_on_this_thread() {
        // Whatever the harness runs under, the two sources describe the same thread.
        let status = Status::current().unwrap();
        assert_eq!(mode().unwrap(), status.mode);
        assert_eq!(
            status.no_new_privs,
            Some(crate::no_new_privileges().unwrap())
        );
    }
}
