//! Kernel versions, as Docker compares them for `minKernel`.

use core::fmt;

/// A kernel version reduced to what Docker compares: the kernel version and the
/// major revision (`6` and `18` in `6.18.3-amd64`).
///
/// Docker ignores minor revisions and suffixes, so `3.12.25-gentoo`, `3.12-1-amd64`
/// and `3.12` are equal (moby/profiles `seccomp/kernel_linux.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KernelVersion {
    /// The kernel version (`6` in `6.18`).
    pub kernel: u64,
    /// The major revision (`18` in `6.18`).
    pub major: u64,
}

/// Why a kernel version string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelVersionError {
    /// A `minKernel` that is not `"<kernel>.<major>"` with each part a decimal
    /// number from 0 to 255, or that is `"0.0"`.
    #[error("invalid kernel version {}, expected \"<kernel>.<major>\" (each 0 to 255, not 0.0)", crate::excerpt::Excerpt(.0))]
    MinKernel(alloc::string::String),
    /// A release string (`uname -r`) that does not start with `<number>.<number>`.
    #[error("cannot parse kernel release {}", crate::excerpt::Excerpt(.0))]
    Release(alloc::string::String),
}

impl KernelVersion {
    /// A version from its two parts.
    #[must_use]
    pub const fn new(kernel: u64, major: u64) -> Self {
        Self { kernel, major }
    }

    /// Parses a profile's `minKernel` the way Docker does: exactly two dot-separated
    /// decimal parts of 0 to 255 each (leading zeros allowed, no sign), not `0.0`.
    /// The empty string is accepted as `0.0`, which every kernel satisfies (Docker
    /// leaves the version zero for `""`, yet still applies the filter).
    pub fn parse_min_kernel(s: &str) -> Result<Self, KernelVersionError> {
        if s.is_empty() {
            return Ok(Self::default());
        }
        let bad = || KernelVersionError::MinKernel(s.into());
        let (k, m) = s.split_once('.').ok_or_else(bad)?;
        let part = |p: &str| -> Option<u64> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // At most 255, as Go's ParseUint(p, 10, 8); leading zeros are fine.
            let v = p.trim_start_matches('0');
            if v.len() > 3 {
                return None;
            }
            let n = if v.is_empty() {
                0
            } else {
                v.parse::<u64>().ok()?
            };
            (n <= 255).then_some(n)
        };
        let (kernel, major) = (part(k).ok_or_else(bad)?, part(m).ok_or_else(bad)?);
        if kernel == 0 && major == 0 {
            return Err(bad());
        }
        Ok(Self { kernel, major })
    }

    /// Parses a kernel release string (`uname -r`, such as `6.18.0-1-amd64`) the
    /// way Docker reads the running kernel: a number, a dot, a number; the rest is
    /// ignored.
    pub fn parse_release(release: &str) -> Result<Self, KernelVersionError> {
        let bad = || KernelVersionError::Release(release.into());
        let s = release.trim_start();
        let (kernel, rest) = leading_number(s).ok_or_else(bad)?;
        let rest = rest.strip_prefix('.').ok_or_else(bad)?;
        let (major, _) = leading_number(rest).ok_or_else(bad)?;
        Ok(Self { kernel, major })
    }
}

fn leading_number(s: &str) -> Option<(u64, &str)> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let n = s.get(..end)?.parse().ok()?;
    Some((n, s.get(end..)?))
}

/// Formats as `6.18`.
impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kernel, self.major)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_kernel_rules() {
        assert_eq!(
            KernelVersion::parse_min_kernel("4.8"),
            Ok(KernelVersion::new(4, 8))
        );
        assert_eq!(
            KernelVersion::parse_min_kernel("04.018"),
            Ok(KernelVersion::new(4, 18))
        );
        assert_eq!(
            KernelVersion::parse_min_kernel(""),
            Ok(KernelVersion::new(0, 0))
        );
        assert_eq!(
            KernelVersion::parse_min_kernel("255.0"),
            Ok(KernelVersion::new(255, 0))
        );
        for bad in [
            "0.0", "4", "4.8.1", "256.1", "-1.2", "+4.8", "a.b", "4.", ".8", "4 .8",
        ] {
            assert!(KernelVersion::parse_min_kernel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn release_strings() {
        assert_eq!(
            KernelVersion::parse_release("3.12.25-gentoo"),
            Ok(KernelVersion::new(3, 12))
        );
        assert_eq!(
            KernelVersion::parse_release("3.12-1-amd64"),
            Ok(KernelVersion::new(3, 12))
        );
        assert_eq!(
            KernelVersion::parse_release("6.18"),
            Ok(KernelVersion::new(6, 18))
        );
        assert!(KernelVersion::parse_release("linux").is_err());
        assert!(KernelVersion::parse_release("6").is_err());
        assert!(KernelVersion::new(4, 8) < KernelVersion::new(4, 10));
        assert!(KernelVersion::new(3, 99) < KernelVersion::new(4, 0));
    }
}
