//! The flags of `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`.

use core::fmt;

use seccompy_sys::{
    KernelVersion, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER,
    SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

bitflags::bitflags! {
    /// Flags for installing a filter with [`set_filter`](crate::set_filter).
    ///
    /// The default is no flag: the filter applies to the calling thread (and the
    /// threads and processes it creates afterwards) only.
    ///
    /// Each flag was added in a later kernel than `seccomp(2)` itself (Linux 3.17);
    /// a kernel that lacks one refuses the whole call with `EINVAL`.
    /// [`FilterFlags::supported`] says which ones the running kernel knows, and
    /// [`FilterFlags::adapt`] drops the optional ones it lacks.
    ///
    /// # References
    /// - [`seccomp(2)`, `SECCOMP_SET_MODE_FILTER`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct FilterFlags: u32 {
        /// Install the filter on every thread of the process, atomically (Linux 3.17).
        ///
        /// Every other thread must have no filter or an ancestor of the caller's
        /// filters; otherwise nothing is installed and the call names a thread that
        /// diverged ([`SetFilterError::Tsync`](crate::SetFilterError::Tsync)).
        #[doc(alias = "SECCOMP_FILTER_FLAG_TSYNC")]
        const TSYNC = SECCOMP_FILTER_FLAG_TSYNC;
        /// Log every action the filter returns except `ALLOW`, subject to
        /// `/proc/sys/kernel/seccomp/actions_logged` (Linux 4.14).
        #[doc(alias = "SECCOMP_FILTER_FLAG_LOG")]
        const LOG = SECCOMP_FILTER_FLAG_LOG;
        /// Do not turn on the speculative store bypass mitigation that the kernel
        /// may otherwise enable for filtered threads (Linux 4.17).
        #[doc(alias = "SECCOMP_FILTER_FLAG_SPEC_ALLOW")]
        const SPEC_ALLOW = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        /// Return a user-notification listener fd for the filter's `USER_NOTIF`
        /// action (Linux 5.0). Only one filter of a thread's chain may have one.
        #[doc(alias = "SECCOMP_FILTER_FLAG_NEW_LISTENER")]
        const NEW_LISTENER = SECCOMP_FILTER_FLAG_NEW_LISTENER;
        /// With [`TSYNC`](Self::TSYNC), report a failed synchronisation as `ESRCH`
        /// rather than a thread id, so that it can be combined with
        /// [`NEW_LISTENER`](Self::NEW_LISTENER) (Linux 5.7).
        #[doc(alias = "SECCOMP_FILTER_FLAG_TSYNC_ESRCH")]
        const TSYNC_ESRCH = SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        /// Once the supervisor has received a notification, only fatal signals
        /// interrupt the waiting thread; needs [`NEW_LISTENER`](Self::NEW_LISTENER)
        /// (Linux 5.19).
        #[doc(alias = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")]
        const WAIT_KILLABLE_RECV = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
}

impl FilterFlags {
    /// The Linux version that added this flag, for a single flag; `None` for an
    /// empty set, several flags or an unknown bit.
    #[must_use]
    pub const fn since(self) -> Option<KernelVersion> {
        Some(match self.bits() {
            SECCOMP_FILTER_FLAG_TSYNC => KernelVersion::new(3, 17),
            SECCOMP_FILTER_FLAG_LOG => KernelVersion::new(4, 14),
            SECCOMP_FILTER_FLAG_SPEC_ALLOW => KernelVersion::new(4, 17),
            SECCOMP_FILTER_FLAG_NEW_LISTENER => KernelVersion::new(5, 0),
            SECCOMP_FILTER_FLAG_TSYNC_ESRCH => KernelVersion::new(5, 7),
            SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV => KernelVersion::new(5, 19),
            _ => return None,
        })
    }

    /// The flags that change only logging or performance, never what the filter
    /// decides: [`LOG`](Self::LOG), [`SPEC_ALLOW`](Self::SPEC_ALLOW) and
    /// [`WAIT_KILLABLE_RECV`](Self::WAIT_KILLABLE_RECV). [`FilterFlags::adapt`]
    /// may drop these on a kernel that lacks them.
    pub const OPTIONAL: FilterFlags = FilterFlags::LOG
        .union(FilterFlags::SPEC_ALLOW)
        .union(FilterFlags::WAIT_KILLABLE_RECV);
}

/// Lists flags with the Linux version that added each: `LOG (Linux 4.14), ...`.
pub(crate) struct WithVersions(pub(crate) FilterFlags);

impl fmt::Display for WithVersions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no flag");
        }
        let mut sep = "";
        for (name, flag) in self.0.iter_names() {
            match flag.since() {
                Some(v) => write!(f, "{sep}{name} (Linux {v})")?,
                None => write!(f, "{sep}{name}")?,
            }
            sep = ", ";
        }
        let unknown = self.0.bits() & !FilterFlags::all().bits();
        if unknown != 0 {
            write!(f, "{sep}unknown bits {unknown:#x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_a_version_and_versions_grow_with_the_bits() {
        let mut last = KernelVersion::new(0, 0);
        for flag in FilterFlags::all().iter() {
            let v = flag.since().expect("every single flag has a version");
            assert!(v >= last, "{flag:?} added in {v}, before {last}");
            last = v;
        }
        assert_eq!(FilterFlags::empty().since(), None);
        assert_eq!((FilterFlags::TSYNC | FilterFlags::LOG).since(), None);
    }

    #[test]
    fn with_versions_names_each_flag() {
        let s = WithVersions(FilterFlags::LOG | FilterFlags::NEW_LISTENER).to_string();
        assert_eq!(s, "LOG (Linux 4.14), NEW_LISTENER (Linux 5.0)");
        let s = WithVersions(FilterFlags::from_bits_retain(1 << 9)).to_string();
        assert_eq!(s, "unknown bits 0x200");
    }
}
