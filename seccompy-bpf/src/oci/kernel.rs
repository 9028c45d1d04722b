//! Kernel versions as Docker compares them for `minKernel`. The version type is
//! [`seccompy_sys::KernelVersion`], the one the whole toolkit uses.

pub use seccompy_sys::KernelVersion;

/// Why a profile's `minKernel` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelVersionError {
    /// A `minKernel` that is not `"<kernel>.<major>"` with each part a decimal
    /// number from 0 to 255, or that is `"0.0"`.
    #[error("invalid kernel version {}, expected \"<kernel>.<major>\" (each 0 to 255, not 0.0)", crate::excerpt::Excerpt(.0))]
    MinKernel(alloc::string::String),
}

/// Parses a profile's `minKernel` the way Docker does: exactly two dot-separated
/// decimal parts of 0 to 255 each (leading zeros allowed, no sign), not `0.0`.
/// The empty string is accepted as `0.0`, which every kernel satisfies (Docker
/// leaves the version zero for `""`, yet still applies the filter). Docker
/// ignores minor revisions and suffixes of the running kernel, so `3.12.25-gentoo`
/// satisfies `"3.12"` (moby/profiles `seccomp/kernel_linux.go`);
/// [`KernelVersion::parse_release`] reads a release that way.
pub fn parse_min_kernel(s: &str) -> Result<KernelVersion, KernelVersionError> {
    if s.is_empty() {
        return Ok(KernelVersion::default());
    }
    let bad = || KernelVersionError::MinKernel(s.into());
    let (k, m) = s.split_once('.').ok_or_else(bad)?;
    let part = |p: &str| -> Option<u32> {
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
            v.parse::<u32>().ok()?
        };
        (n <= 255).then_some(n)
    };
    let (major, minor) = (part(k).ok_or_else(bad)?, part(m).ok_or_else(bad)?);
    if major == 0 && minor == 0 {
        return Err(bad());
    }
    Ok(KernelVersion::new(major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_kernel_rules() {
        assert_eq!(parse_min_kernel("4.8"), Ok(KernelVersion::new(4, 8)));
        assert_eq!(parse_min_kernel("04.018"), Ok(KernelVersion::new(4, 18)));
        assert_eq!(parse_min_kernel(""), Ok(KernelVersion::new(0, 0)));
        assert_eq!(parse_min_kernel("255.0"), Ok(KernelVersion::new(255, 0)));
        for bad in [
            "0.0", "4", "4.8.1", "256.1", "-1.2", "+4.8", "a.b", "4.", ".8", "4 .8",
        ] {
            assert!(parse_min_kernel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_ignores_what_follows_major_minor() {
        let min = parse_min_kernel("3.12").unwrap();
        for release in ["3.12.25-gentoo", "3.12-1-amd64", "3.12"] {
            assert!(KernelVersion::parse_release(release).unwrap() >= min);
        }
        assert!(KernelVersion::new(4, 8) < KernelVersion::new(4, 10));
        assert!(KernelVersion::new(3, 99) < KernelVersion::new(4, 0));
    }
}
