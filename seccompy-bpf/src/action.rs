//! Seccomp actions: what a filter's return value tells the kernel to do.

use core::fmt;

use seccompy_sys::*;

/// A seccomp action with its data (the 32-bit value a filter returns).
///
/// The kernel applies the most restrictive action of all installed filters, in
/// the order of [`Action::precedence`]: `KillProcess`, `KillThread`, `Trap`, `Errno`,
/// `UserNotif`, `Trace`, `Log`, `Allow`.
///
/// # References
/// - [`seccomp(2)`, "Filter return values"](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Kill the whole process, as by an uncatchable `SIGSYS` (Linux 4.14).
    #[doc(alias = "SECCOMP_RET_KILL_PROCESS")]
    KillProcess,
    /// Kill the calling thread (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_KILL_THREAD")]
    #[doc(alias = "SECCOMP_RET_KILL")]
    KillThread,
    /// Send `SIGSYS` to the thread; the value is delivered in `si_errno` (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_TRAP")]
    Trap(u16),
    /// Fail the call with this errno, which must be in `0..=4095` (Linux 3.5).
    /// `Errno(0)` skips the call and makes it return 0, a success that did not
    /// happen (libseccomp's `SCMP_ACT_ERRNO(0)`, runc's `errnoRet: 0`).
    #[doc(alias = "SECCOMP_RET_ERRNO")]
    Errno(u16),
    /// Ask the user-notification listener; `ENOSYS` without one (Linux 5.0).
    #[doc(alias = "SECCOMP_RET_USER_NOTIF")]
    UserNotif,
    /// Notify a ptrace tracer with this value; `ENOSYS` without a tracer (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_TRACE")]
    Trace(u16),
    /// Allow the call and log it (Linux 4.14).
    #[doc(alias = "SECCOMP_RET_LOG")]
    Log,
    /// Allow the call (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_ALLOW")]
    Allow,
}

/// Why an [`Action`] cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The errno is out of range: above 4095 (`MAX_ERRNO`, where the kernel
    /// clamps), or a value a caller refuses on top of that (`seccompy`'s
    /// `FilterAction` refuses 0 and negative numbers).
    #[error("errno {0} is out of range")]
    Errno(u16),
}

/// The largest errno an `Errno` action may carry (`MAX_ERRNO` in the kernel).
pub const MAX_ERRNO: u16 = 4095;

impl Action {
    /// Checks the action's data: an errno must be at most 4095. Errno 0 is
    /// valid: the kernel skips the call and returns 0 (`__seccomp_filter` sets
    /// the return value to `-data`).
    pub const fn check(self) -> Result<Self, ActionError> {
        match self {
            Action::Errno(e) if e > MAX_ERRNO => Err(ActionError::Errno(e)),
            a => Ok(a),
        }
    }

    /// The value a filter returns for this action (action bits | data).
    #[must_use]
    pub const fn to_raw(self) -> u32 {
        match self {
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap(d) => SECCOMP_RET_TRAP | d as u32,
            Action::Errno(d) => SECCOMP_RET_ERRNO | d as u32,
            Action::UserNotif => SECCOMP_RET_USER_NOTIF,
            Action::Trace(d) => SECCOMP_RET_TRACE | d as u32,
            Action::Log => SECCOMP_RET_LOG,
            Action::Allow => SECCOMP_RET_ALLOW,
        }
    }

    /// Decodes a filter's return value as the kernel does, or `None` for an action
    /// value the kernel does not define (the kernel kills the process for those).
    /// The data of actions that carry none is ignored, as the kernel ignores it.
    #[must_use]
    pub const fn from_raw(ret: u32) -> Option<Self> {
        let data = (ret & SECCOMP_RET_DATA) as u16;
        Some(match ret & SECCOMP_RET_ACTION_FULL {
            SECCOMP_RET_KILL_PROCESS => Action::KillProcess,
            SECCOMP_RET_KILL_THREAD => Action::KillThread,
            SECCOMP_RET_TRAP => Action::Trap(data),
            SECCOMP_RET_ERRNO => Action::Errno(data),
            SECCOMP_RET_USER_NOTIF => Action::UserNotif,
            SECCOMP_RET_TRACE => Action::Trace(data),
            SECCOMP_RET_LOG => Action::Log,
            SECCOMP_RET_ALLOW => Action::Allow,
            _ => return None,
        })
    }

    /// The rank of the action, 0 for the most restrictive (`KillProcess`) to 7 for
    /// `Allow`, as the kernel orders the actions of stacked filters.
    #[must_use]
    pub const fn precedence(self) -> u8 {
        match self {
            Action::KillProcess => 0,
            Action::KillThread => 1,
            Action::Trap(_) => 2,
            Action::Errno(_) => 3,
            Action::UserNotif => 4,
            Action::Trace(_) => 5,
            Action::Log => 6,
            Action::Allow => 7,
        }
    }

    /// Whether the action lets the call run in the kernel without anyone deciding
    /// (`Allow` or `Log`).
    #[must_use]
    pub const fn allows(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }

    /// The kernel's name of the action without the `SECCOMP_RET_` prefix.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Action::KillProcess => "KILL_PROCESS",
            Action::KillThread => "KILL_THREAD",
            Action::Trap(_) => "TRAP",
            Action::Errno(_) => "ERRNO",
            Action::UserNotif => "USER_NOTIF",
            Action::Trace(_) => "TRACE",
            Action::Log => "LOG",
            Action::Allow => "ALLOW",
        }
    }
}

/// Formats as the disassembler prints it: `ALLOW`, `ERRNO(1)`, `TRAP(5)`, ...
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Trap(d) | Action::Errno(d) | Action::Trace(d) => {
                write!(f, "{}({d})", self.name())
            }
            a => f.write_str(a.name()),
        }
    }
}

/// Formats any filter return value: a known action as [`Action`]'s `Display` does,
/// anything else as its hex value with a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetValue(pub u32);

impl fmt::Display for RetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Action::from_raw(self.0) {
            Some(a) => a.fmt(f),
            None => write!(f, "{:#010x} (undefined action: kills the process)", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn raw_round_trip_and_names() {
        let all = [
            Action::KillProcess,
            Action::KillThread,
            Action::Trap(7),
            Action::Errno(1),
            Action::UserNotif,
            Action::Trace(0xffff),
            Action::Log,
            Action::Allow,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(Action::from_raw(a.to_raw()), Some(*a));
            assert_eq!(a.precedence() as usize, i);
        }
        assert_eq!(Action::Errno(13).to_raw(), 0x0005_000d);
        assert_eq!(Action::Errno(13).to_string(), "ERRNO(13)");
        assert_eq!(Action::from_raw(0x7fff_1234), Some(Action::Allow));
        assert_eq!(Action::from_raw(0x0001_0000), None);
        assert_eq!(
            RetValue(0x0001_0000).to_string(),
            "0x00010000 (undefined action: kills the process)"
        );
        assert_eq!(Action::Errno(0).check(), Ok(Action::Errno(0)));
        assert_eq!(Action::from_raw(SECCOMP_RET_ERRNO), Some(Action::Errno(0)));
        assert_eq!(Action::Errno(0).to_string(), "ERRNO(0)");
        assert_eq!(Action::Errno(4096).check(), Err(ActionError::Errno(4096)));
        assert_eq!(Action::Errno(4095).check(), Ok(Action::Errno(4095)));
    }
}
