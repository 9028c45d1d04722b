//! [`FilterAction`]: what a [`Filter`](crate::Filter) does with a call.

use core::fmt;

use seccompy_bpf::{Action, ActionError};

use crate::errno::{Errno, InvalidErrno};

use crate::features::{
    ActionAvailError, CompatLevel, UnsupportedAction, action_available, adapt_action,
};

/// What a filter does with a system call: every action the kernel knows, with its
/// data.
///
/// When several filters are installed, the kernel applies the most restrictive
/// result, in the order of the variants here (`KillProcess` first, `Allow` last).
///
/// # References
/// - [`seccomp(2)`, "Filter return values"](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FilterAction {
    /// Kill the whole process, as by an uncatchable `SIGSYS` (Linux 4.14).
    #[doc(alias = "SECCOMP_RET_KILL_PROCESS")]
    KillProcess,
    /// Kill the calling thread; the process too if it was the last thread
    /// (Linux 3.5, named `SECCOMP_RET_KILL` until 4.14).
    #[doc(alias = "SECCOMP_RET_KILL_THREAD")]
    #[doc(alias = "SECCOMP_RET_KILL")]
    KillThread,
    /// Send `SIGSYS` to the thread, with `data` in `si_errno`, the call number in
    /// `si_syscall` and the audit arch in `si_arch` (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_TRAP")]
    Trap {
        /// Delivered in `si_errno`.
        data: u16,
    },
    /// Fail the call with `errno`, in `1..=4095` (Linux 3.5). From an
    /// [`Errno`]: `FilterAction::from(errno)`.
    #[doc(alias = "SECCOMP_RET_ERRNO")]
    Errno {
        /// The error number the call fails with (`libc::EPERM`, ...).
        errno: i32,
    },
    /// Ask the user-notification listener; fail with `ENOSYS` if there is none
    /// (Linux 5.0).
    #[doc(alias = "SECCOMP_RET_USER_NOTIF")]
    UserNotif,
    /// Stop in a ptrace tracer with `PTRACE_EVENT_SECCOMP`, `data` being the event
    /// message; fail with `ENOSYS` if there is no tracer (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_TRACE")]
    Trace {
        /// The value `PTRACE_GETEVENTMSG` returns.
        data: u16,
    },
    /// Allow the call and log it (Linux 4.14).
    #[doc(alias = "SECCOMP_RET_LOG")]
    Log,
    /// Allow the call (Linux 3.5).
    #[doc(alias = "SECCOMP_RET_ALLOW")]
    Allow,
}

impl FilterAction {
    /// The `seccompy-bpf` action, checked: an errno outside `1..=4095` is refused.
    ///
    /// # Errors
    /// [`ActionError::Errno`] for an errno out of range.
    pub fn to_action(self) -> Result<Action, ActionError> {
        Ok(match self {
            FilterAction::KillProcess => Action::KillProcess,
            FilterAction::KillThread => Action::KillThread,
            FilterAction::Trap { data } => Action::Trap(data),
            FilterAction::Errno { errno } => match Errno::new(errno) {
                Ok(e) => Action::from(e),
                // `ActionError` carries a `u16`: a negative number reads as 0,
                // a larger one as `u16::MAX` (`errno_value` keeps the number).
                Err(_) => {
                    return Err(ActionError::Errno(
                        u16::try_from(errno).unwrap_or(if errno < 0 { 0 } else { u16::MAX }),
                    ));
                }
            },
            FilterAction::UserNotif => Action::UserNotif,
            FilterAction::Trace { data } => Action::Trace(data),
            FilterAction::Log => Action::Log,
            FilterAction::Allow => Action::Allow,
        })
    }

    /// The [`Errno`] of an `Errno` action, checked (`None` for the other
    /// actions): the number in the one errno type, with the number itself in
    /// the error if it is out of range.
    ///
    /// # Errors
    /// [`InvalidErrno`] for an errno outside `1..=4095`.
    #[must_use]
    pub const fn errno_value(self) -> Option<Result<Errno, InvalidErrno>> {
        match self {
            FilterAction::Errno { errno } => Some(Errno::new(errno)),
            _ => None,
        }
    }

    /// Whether the running kernel knows this action (see
    /// [`action_available`]).
    ///
    /// # Errors
    /// See [`ActionAvailError`].
    pub fn is_available(self) -> Result<bool, ActionAvailError> {
        action_available(self.kind())
    }

    /// The action to use on the running kernel (see
    /// [`adapt_action`]): with [`CompatLevel::BestEffort`],
    /// `KillProcess` falls back to `KillThread` and `Log` to `Allow` where the
    /// kernel lacks them.
    ///
    /// # Errors
    /// [`UnsupportedAction`] if the kernel lacks the action and its substitute.
    pub fn adapt(self, level: CompatLevel) -> Result<FilterAction, UnsupportedAction> {
        let adapted = adapt_action(self.kind(), level)?;
        Ok(if adapted == self.kind() {
            self
        } else {
            FilterAction::from(adapted)
        })
    }

    /// The action without regard to its data, for kernel queries.
    fn kind(self) -> Action {
        self.to_action().unwrap_or(Action::Errno(1))
    }
}

impl From<Action> for FilterAction {
    /// The same action with the same data. `Action::Errno(0)` (the kernel's
    /// "skip the call, return 0") becomes `FilterAction::Errno { errno: 0 }`,
    /// which [`to_action`](FilterAction::to_action) refuses: a `Filter` fails
    /// calls with an [`Errno`] only.
    fn from(a: Action) -> Self {
        match a {
            Action::KillProcess => FilterAction::KillProcess,
            Action::KillThread => FilterAction::KillThread,
            Action::Trap(data) => FilterAction::Trap { data },
            Action::Errno(e) => FilterAction::Errno { errno: e.into() },
            Action::UserNotif => FilterAction::UserNotif,
            Action::Trace(data) => FilterAction::Trace { data },
            Action::Log => FilterAction::Log,
            Action::Allow => FilterAction::Allow,
            // `Action` is non-exhaustive; a future action is the most restrictive
            // known one until this crate learns it.
            _ => FilterAction::KillProcess,
        }
    }
}

impl TryFrom<FilterAction> for Action {
    type Error = ActionError;
    /// [`FilterAction::to_action`].
    fn try_from(a: FilterAction) -> Result<Self, ActionError> {
        a.to_action()
    }
}

/// Formats as the disassembler prints actions: `ALLOW`, `ERRNO(1)`, `TRAP(5)`.
impl fmt::Display for FilterAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FilterAction::Errno { errno } => write!(f, "ERRNO({errno})"),
            a => a.kind().fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_onto_the_bpf_actions_and_back() {
        let all = [
            FilterAction::KillProcess,
            FilterAction::KillThread,
            FilterAction::Trap { data: 9 },
            FilterAction::Errno { errno: 26 },
            FilterAction::UserNotif,
            FilterAction::Trace { data: 0xffff },
            FilterAction::Log,
            FilterAction::Allow,
        ];
        for (i, a) in all.into_iter().enumerate() {
            let b = a.to_action().unwrap();
            assert_eq!(
                usize::from(b.precedence()),
                i,
                "{a:?} keeps the kernel's order"
            );
            assert_eq!(FilterAction::from(b), a);
            assert_eq!(a.to_string(), b.to_string());
        }
        assert_eq!(
            FilterAction::Errno { errno: 26 }.to_action(),
            Ok(Action::Errno(26))
        );
        assert_eq!(
            FilterAction::Errno { errno: 0 }.to_action(),
            Err(ActionError::Errno(0))
        );
        assert_eq!(
            FilterAction::Errno { errno: 4096 }.to_action(),
            Err(ActionError::Errno(4096))
        );
        assert!(FilterAction::Errno { errno: -1 }.to_action().is_err());
        assert!(FilterAction::Errno { errno: 70000 }.to_action().is_err());
        assert_eq!(FilterAction::Errno { errno: -1 }.to_string(), "ERRNO(-1)");
    }
}
