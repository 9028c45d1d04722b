//! What the running kernel supports: filter flags, actions and the
//! user-notification structure sizes, probed once and cached; and how to live
//! with what it lacks ([`CompatLevel`]).
//!
//! Like Landlock's compatibility model, a caller says whether a feature is a
//! hard requirement or whether the best the kernel offers will do.
//! [`FilterFlags::adapt`] and [`adapt_action`] apply that choice.

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use seccompy_bpf::Action;
use seccompy_sys::{SECCOMP_RET_ACTION_FULL, raw, seccomp_notif_sizes};

use crate::flags::{FilterFlags, WithVersions};
use seccompy_sys::KernelVersion;

/// How to treat a feature that the running kernel lacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CompatLevel {
    /// Use what the kernel has: drop an optional flag, fall back to the nearest
    /// action the kernel knows; fail only when there is no sound substitute.
    BestEffort,
    /// Fail if the kernel lacks anything asked for.
    #[default]
    HardRequirement,
}

/// Why [`FilterFlags::adapt`] failed: the kernel lacks flags with no substitute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this kernel lacks the seccomp filter flags {}", WithVersions(*missing))]
#[non_exhaustive]
pub struct UnsupportedFlags {
    /// The flags the kernel lacks and that could not be dropped.
    pub missing: FilterFlags,
}

/// Bit of [`SUPPORTED_FLAGS`] meaning "probed".
const PROBED: u32 = 1 << 31;
static SUPPORTED_FLAGS: AtomicU32 = AtomicU32::new(0);

impl FilterFlags {
    /// The flags the running kernel knows, probed once and cached.
    ///
    /// Each flag is probed with `seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL)`: the
    /// kernel checks the flags before it reads the program, so it answers `EINVAL`
    /// for an unknown flag and `EFAULT` for a known one, and installs nothing.
    /// `WAIT_KILLABLE_RECV` is probed together with `NEW_LISTENER`, which it needs.
    /// A flag whose probe gives any other answer (say, a filter of the thread
    /// refuses `seccomp(2)`) counts as unsupported.
    ///
    /// # References
    /// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
    #[must_use]
    pub fn supported() -> FilterFlags {
        let cached = SUPPORTED_FLAGS.load(Ordering::Relaxed);
        if cached & PROBED != 0 {
            return FilterFlags::from_bits_truncate(cached);
        }
        let mut found = FilterFlags::empty();
        for flag in FilterFlags::all().iter() {
            let probe = if flag == FilterFlags::WAIT_KILLABLE_RECV {
                flag | FilterFlags::NEW_LISTENER
            } else {
                flag
            };
            // SAFETY: a null program makes the kernel fail with EFAULT after it has
            // checked the flags, before anything is installed.
            let ret = unsafe { raw::seccomp_set_mode_filter(probe.bits(), core::ptr::null()) };
            if ret < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT) {
                found |= flag;
            }
        }
        SUPPORTED_FLAGS.store(found.bits() | PROBED, Ordering::Relaxed);
        found
    }

    /// The flags to install with on this kernel.
    ///
    /// With [`CompatLevel::HardRequirement`], `self` if the kernel knows every
    /// flag. With [`CompatLevel::BestEffort`], `self` without the
    /// [optional](FilterFlags::OPTIONAL) flags the kernel lacks, and without
    /// `TSYNC_ESRCH` unless it is needed to combine `TSYNC` with `NEW_LISTENER`.
    ///
    /// # Errors
    /// [`UnsupportedFlags`] names the flags the kernel lacks that could not be
    /// dropped.
    pub fn adapt(self, level: CompatLevel) -> Result<FilterFlags, UnsupportedFlags> {
        self.adapt_to(FilterFlags::supported(), level)
    }

    fn adapt_to(
        self,
        supported: FilterFlags,
        level: CompatLevel,
    ) -> Result<FilterFlags, UnsupportedFlags> {
        let missing = self.difference(supported);
        let droppable = match level {
            CompatLevel::HardRequirement => FilterFlags::empty(),
            CompatLevel::BestEffort
                if self.contains(FilterFlags::TSYNC | FilterFlags::NEW_LISTENER) =>
            {
                FilterFlags::OPTIONAL
            }
            CompatLevel::BestEffort => FilterFlags::OPTIONAL | FilterFlags::TSYNC_ESRCH,
        };
        let fatal = missing.difference(droppable);
        if fatal.is_empty() {
            Ok(self.difference(missing))
        } else {
            Err(UnsupportedFlags { missing: fatal })
        }
    }
}

/// The Linux version that added an action.
#[must_use]
pub const fn action_since(action: Action) -> KernelVersion {
    match action {
        Action::KillProcess | Action::Log => KernelVersion::new(4, 14),
        Action::UserNotif => KernelVersion::new(5, 0),
        _ => KernelVersion::new(3, 5),
    }
}

/// Why [`action_available`] could not tell.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionAvailError {
    /// The kernel gave an unexpected error (such as an errno that a seccomp filter
    /// of the thread returned for `seccomp(2)` itself).
    #[error("seccomp(SECCOMP_GET_ACTION_AVAIL) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

/// Per action (indexed by precedence): 0 not probed, 1 available, 2 not.
static ACTIONS: [AtomicU8; 8] = [const { AtomicU8::new(0) }; 8];

/// Whether the running kernel knows `action` (its data is ignored); probed once
/// per action and cached.
///
/// Asks with `SECCOMP_GET_ACTION_AVAIL` (Linux 4.14). Older kernels lack the
/// question, and the answer then follows from the version that added the action
/// ([`action_since`]): the actions of Linux 3.5 are there, the others are not.
///
/// # Errors
/// [`ActionAvailError::Other`] for an unexpected answer, which is not cached.
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_GET_ACTION_AVAIL`](https://man7.org/linux/man-pages/man2/seccomp.2.html) (Linux 4.14)
#[doc(alias = "SECCOMP_GET_ACTION_AVAIL")]
pub fn action_available(action: impl Into<Action>) -> Result<bool, ActionAvailError> {
    let action = action.into();
    let slot = &ACTIONS[usize::from(action.precedence())];
    match slot.load(Ordering::Relaxed) {
        1 => return Ok(true),
        2 => return Ok(false),
        _ => {}
    }
    let code = action.to_raw() & SECCOMP_RET_ACTION_FULL;
    // SAFETY: `code` is a readable u32 that lives across the call.
    let ret = unsafe { raw::seccomp_get_action_avail(&code) };
    let available = if ret == 0 {
        true
    } else {
        let source = io::Error::last_os_error();
        match source.raw_os_error() {
            Some(libc::EOPNOTSUPP) => false,
            // Before Linux 4.14 the operation is unknown (EINVAL), before 3.17 the
            // system call is (ENOSYS).
            Some(libc::EINVAL | libc::ENOSYS) => action_since(action) <= KernelVersion::new(3, 5),
            _ => return Err(ActionAvailError::Other { source }),
        }
    };
    slot.store(if available { 1 } else { 2 }, Ordering::Relaxed);
    Ok(available)
}

/// The best action this kernel offers for `action`.
///
/// With [`CompatLevel::BestEffort`], an action the kernel lacks falls back to
/// the nearest older one: `KillProcess` to `KillThread` (Linux 4.14 made the
/// old `SECCOMP_RET_KILL` kill only the thread) and `Log` to `Allow`.
/// `UserNotif` has no substitute.
///
/// # Errors
/// [`UnsupportedAction`] if the kernel lacks the action and, with
/// [`CompatLevel::BestEffort`], its substitute; or the query failed.
pub fn adapt_action(action: Action, level: CompatLevel) -> Result<Action, UnsupportedAction> {
    adapt_action_with(action, level, |a| action_available(a).unwrap_or(false))
}

fn adapt_action_with(
    action: Action,
    level: CompatLevel,
    available: impl Fn(Action) -> bool,
) -> Result<Action, UnsupportedAction> {
    if available(action) {
        return Ok(action);
    }
    let fallback = match (level, action) {
        (CompatLevel::BestEffort, Action::KillProcess) => Some(Action::KillThread),
        (CompatLevel::BestEffort, Action::Log) => Some(Action::Allow),
        _ => None,
    };
    match fallback {
        Some(f) if available(f) => Ok(f),
        _ => Err(UnsupportedAction { action }),
    }
}

/// Why [`adapt_action`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this kernel lacks the seccomp action {action} (Linux {}) and has no substitute for it", action_since(*action))]
#[non_exhaustive]
pub struct UnsupportedAction {
    /// The action asked for.
    pub action: Action,
}

/// Why [`notif_sizes`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifSizesError {
    /// `EINVAL` or `ENOSYS`: the kernel predates user notification (Linux 5.0).
    #[error("this kernel does not support seccomp user notification (Linux 5.0)")]
    Unsupported {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// Any other error.
    #[error("seccomp(SECCOMP_GET_NOTIF_SIZES) failed")]
    Other {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
}

static NOTIF_SIZES: OnceLock<Result<seccomp_notif_sizes, i32>> = OnceLock::new();

/// The sizes of the user-notification structures the running kernel uses, asked
/// once and cached.
///
/// A supervisor must give `SECCOMP_IOCTL_NOTIF_RECV` a buffer of at least
/// `seccomp_notif` bytes: a newer kernel may use larger structures than the
/// ones this crate declares.
///
/// # Errors
/// [`NotifSizesError::Unsupported`] before Linux 5.0.
///
/// # References
/// - [`seccomp(2)`, `SECCOMP_GET_NOTIF_SIZES`](https://man7.org/linux/man-pages/man2/seccomp.2.html) (Linux 5.0)
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
#[doc(alias = "SECCOMP_GET_NOTIF_SIZES")]
pub fn notif_sizes() -> Result<seccomp_notif_sizes, NotifSizesError> {
    let cached = NOTIF_SIZES.get_or_init(|| {
        let mut sizes = seccomp_notif_sizes::default();
        // SAFETY: `sizes` is a writable seccomp_notif_sizes.
        if unsafe { raw::seccomp_get_notif_sizes(&mut sizes) } == 0 {
            Ok(sizes)
        } else {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    });
    cached.map_err(|errno| {
        let source = io::Error::from_raw_os_error(errno);
        match errno {
            libc::EINVAL | libc::ENOSYS => NotifSizesError::Unsupported { source },
            _ => NotifSizesError::Other { source },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapt_drops_only_optional_flags() {
        let old = FilterFlags::TSYNC | FilterFlags::LOG | FilterFlags::NEW_LISTENER; // a 5.0 kernel
        let want = FilterFlags::NEW_LISTENER
            | FilterFlags::WAIT_KILLABLE_RECV
            | FilterFlags::SPEC_ALLOW
            | FilterFlags::LOG;
        assert_eq!(
            want.adapt_to(old, CompatLevel::BestEffort),
            Ok(FilterFlags::NEW_LISTENER | FilterFlags::LOG)
        );
        assert_eq!(
            want.adapt_to(old, CompatLevel::HardRequirement),
            Err(UnsupportedFlags {
                missing: FilterFlags::WAIT_KILLABLE_RECV | FilterFlags::SPEC_ALLOW
            })
        );
        // TSYNC_ESRCH can go unless TSYNC and NEW_LISTENER need it.
        let esrch = FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH;
        assert_eq!(
            esrch.adapt_to(old, CompatLevel::BestEffort),
            Ok(FilterFlags::TSYNC)
        );
        let both = esrch | FilterFlags::NEW_LISTENER;
        assert_eq!(
            both.adapt_to(old, CompatLevel::BestEffort),
            Err(UnsupportedFlags {
                missing: FilterFlags::TSYNC_ESRCH
            })
        );
        // Essential flags are never dropped.
        assert_eq!(
            FilterFlags::NEW_LISTENER.adapt_to(FilterFlags::TSYNC, CompatLevel::BestEffort),
            Err(UnsupportedFlags {
                missing: FilterFlags::NEW_LISTENER
            })
        );
        let msg = UnsupportedFlags {
            missing: FilterFlags::NEW_LISTENER,
        }
        .to_string();
        assert!(msg.contains("NEW_LISTENER (Linux 5.0)"), "{msg}");
    }

    #[test]
    fn adapt_action_falls_back_to_older_actions() {
        let linux_4_9 = |a: Action| action_since(a) <= KernelVersion::new(3, 5);
        let best = CompatLevel::BestEffort;
        let hard = CompatLevel::HardRequirement;
        assert_eq!(
            adapt_action_with(Action::KillProcess, best, linux_4_9),
            Ok(Action::KillThread)
        );
        assert_eq!(
            adapt_action_with(Action::Log, best, linux_4_9),
            Ok(Action::Allow)
        );
        assert_eq!(
            adapt_action_with(Action::Errno(1), hard, linux_4_9),
            Ok(Action::Errno(1))
        );
        assert_eq!(
            adapt_action_with(Action::Log, hard, linux_4_9),
            Err(UnsupportedAction {
                action: Action::Log
            })
        );
        assert_eq!(
            adapt_action_with(Action::UserNotif, best, linux_4_9),
            Err(UnsupportedAction {
                action: Action::UserNotif
            })
        );
    }
}
