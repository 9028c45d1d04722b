//! Linux capability names and sets, for Docker's `caps` includes and excludes.

use core::fmt;

/// Every capability the kernel defines, by number (`include/uapi/linux/capability.h`,
/// `CAP_CHOWN` = 0 to `CAP_CHECKPOINT_RESTORE` = 40).
pub const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The capabilities Docker gives a container by default, in Docker's order
/// (moby `oci/caps/defaults.go`, `DefaultCapabilities`).
pub const DOCKER_DEFAULT: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// A set of capabilities: the container's bounding set, against which Docker
/// checks a rule's `includes.caps` (all must be present) and `excludes.caps` (any
/// present excludes the rule).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapSet(u64);

/// A capability name that is not one of [`CAPABILITIES`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability {}", crate::excerpt::Excerpt(.0))]
pub struct UnknownCapability(pub alloc::string::String);

impl CapSet {
    /// No capability.
    #[must_use]
    pub const fn none() -> Self {
        Self(0)
    }

    /// Every capability of [`CAPABILITIES`].
    #[must_use]
    pub const fn all() -> Self {
        Self((1u64 << CAPABILITIES.len()) - 1)
    }

    /// Docker's default set ([`DOCKER_DEFAULT`]).
    #[must_use]
    pub fn docker_default() -> Self {
        DOCKER_DEFAULT
            .iter()
            .filter_map(|n| number(n))
            .fold(Self::none(), |s, n| s.with_number(n))
    }

    /// The set with capability number `n` added (numbers past 40 are ignored).
    #[must_use]
    pub const fn with_number(self, n: u32) -> Self {
        if (n as usize) < CAPABILITIES.len() {
            Self(self.0 | 1 << n)
        } else {
            self
        }
    }

    /// Parses capability names, as `docker run --cap-add` accepts them: case does
    /// not matter and the `CAP_` prefix may be left out (`sys_admin`).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownCapability> {
        names.into_iter().try_fold(Self::none(), |set, name| {
            let upper = name.trim().to_ascii_uppercase();
            let full = if upper.starts_with("CAP_") {
                upper
            } else {
                alloc::format!("CAP_{upper}")
            };
            number(&full)
                .map(|n| set.with_number(n))
                .ok_or_else(|| UnknownCapability(name.into()))
        })
    }

    /// Whether the set holds the capability spelled exactly `name` (`CAP_SYS_ADMIN`).
    /// Docker compares a profile's strings with the bounding set as is, so any other
    /// spelling is never present.
    #[must_use]
    pub fn contains_name(&self, name: &str) -> bool {
        number(name).is_some_and(|n| self.0 & 1 << n != 0)
    }

    /// The names in the set, by number.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        CAPABILITIES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & 1 << i != 0)
            .map(|(_, n)| *n)
    }
}

/// Reads a set as a person gives one: `default` (Docker's,
/// [`CapSet::docker_default`]), `all`, `none` (or nothing), or a
/// comma-separated list of names as [`CapSet::parse`] takes them
/// (`sys_admin,CAP_NET_RAW`).
///
/// ```
/// use seccompy_bpf::oci::CapSet;
///
/// assert_eq!("default".parse(), Ok(CapSet::docker_default()));
/// assert_eq!("sys_admin,".parse(), CapSet::parse(["CAP_SYS_ADMIN"]));
/// ```
impl core::str::FromStr for CapSet {
    type Err = UnknownCapability;
    fn from_str(text: &str) -> Result<Self, UnknownCapability> {
        match text.trim() {
            "default" => Ok(Self::docker_default()),
            "all" => Ok(Self::all()),
            "none" | "" => Ok(Self::none()),
            list => Self::parse(list.split(',').filter(|c| !c.trim().is_empty())),
        }
    }
}

fn number(name: &str) -> Option<u32> {
    CAPABILITIES
        .iter()
        .position(|c| *c == name)
        .and_then(|i| u32::try_from(i).ok())
}

impl fmt::Debug for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        let d = CapSet::docker_default();
        assert_eq!(d.names().count(), 14);
        assert!(d.contains_name("CAP_CHOWN") && d.contains_name("CAP_AUDIT_WRITE"));
        assert!(!d.contains_name("CAP_SYS_ADMIN") && !d.contains_name("cap_chown"));
        assert_eq!(CapSet::all().names().count(), 41);
        assert!(!CapSet::none().contains_name("CAP_CHOWN"));
        let p = CapSet::parse(["sys_admin", "CAP_BPF", " Net_Raw "]).unwrap();
        assert_eq!(
            p.names().collect::<alloc::vec::Vec<_>>(),
            ["CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_BPF"]
        );
        assert_eq!(
            CapSet::parse(["CAP_NOPE"]),
            Err(UnknownCapability("CAP_NOPE".into()))
        );
        assert_eq!(CapSet::none().with_number(99), CapSet::none());
    }

    #[test]
    fn sets_from_text() {
        assert_eq!("default".parse(), Ok(CapSet::docker_default()));
        assert_eq!("all".parse(), Ok(CapSet::all()));
        assert_eq!("none".parse(), Ok(CapSet::none()));
        assert_eq!("".parse(), Ok(CapSet::none()));
        assert_eq!(
            "sys_admin, CAP_BPF,".parse(),
            CapSet::parse(["CAP_SYS_ADMIN", "CAP_BPF"])
        );
        assert_eq!(
            "chown,frob".parse::<CapSet>(),
            Err(UnknownCapability("frob".into()))
        );
    }
}
