//! Linux versions: the version that added a seccomp feature, a profile's
//! `minKernel`, and the running kernel.

use core::fmt;

/// A Linux version as `major.minor` (`6.18`): what the kernel documentation
/// gives for a feature, what Docker compares for `minKernel` (it calls the two
/// parts the kernel version and the major revision), and what
/// [`running`](Self::running) reads from `uname(2)`. Later parts of a release
/// (`.3-amd64` in `6.18.3-amd64`) never matter to seccomp and are dropped.
///
/// Versions order as numbers: `4.9 < 4.14 < 5.0`. `Display` writes `6.18`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    /// The major number (`6` in `6.18`).
    pub major: u32,
    /// The minor number (`18` in `6.18`).
    pub minor: u32,
}

impl KernelVersion {
    /// `major.minor`.
    #[must_use]
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// Reads a kernel release string (`uname -r`, `/proc/sys/kernel/osrelease`,
    /// such as `6.18.0-1-amd64`) as Docker reads the running kernel's: leading
    /// blanks, a decimal number, a dot, a decimal number; the rest is ignored.
    /// `None` if it does not start so, or a number does not fit a `u32`.
    #[must_use]
    pub fn parse_release(release: &str) -> Option<Self> {
        let (major, rest) = leading_number(release.trim_start())?;
        let (minor, _) = leading_number(rest.strip_prefix('.')?)?;
        Some(Self { major, minor })
    }

    /// The running kernel's version, from `uname(2)`'s release; `None` if it
    /// cannot be read or parsed.
    ///
    /// # References
    /// - [`uname(2)`](https://man7.org/linux/man-pages/man2/uname.2.html)
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
    #[doc(alias = "uname")]
    #[must_use]
    pub fn running() -> Option<Self> {
        // SAFETY: `utsname` is plain arrays of C chars, for which all zeros is a
        // valid value.
        let mut uts: libc::utsname = unsafe { core::mem::zeroed() };
        // SAFETY: `uts` is a valid, writable `utsname`.
        if unsafe { libc::uname(&mut uts) } != 0 {
            return None;
        }
        // The release is NUL-terminated within its array; an unterminated one
        // is read to the array's end.
        let bytes = uts.release.map(|c| c as u8);
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Self::parse_release(core::str::from_utf8(&bytes[..len]).ok()?)
    }
}

/// A leading decimal number (an optional `+` first, as Go's `strconv.Atoi`
/// takes) and what follows it.
fn leading_number(s: &str) -> Option<(u32, &str)> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    Some((s.get(..end)?.parse().ok()?, s.get(end..)?))
}

/// Formats as `6.18`.
impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn release_strings_give_major_minor() {
        let v = KernelVersion::new;
        for (release, want) in [
            ("6.18.44-fc-v669", Some(v(6, 18))),
            ("3.12.25-gentoo", Some(v(3, 12))),
            ("3.12-1-amd64", Some(v(3, 12))),
            ("  5.4.0\n", Some(v(5, 4))),
            ("6.11", Some(v(6, 11))),
            ("+4.+8", Some(v(4, 8))),
            ("6", None),
            ("6.", None),
            ("", None),
            ("x.y", None),
            ("-1.2", None),
            ("99999999999.1", None),
        ] {
            assert_eq!(KernelVersion::parse_release(release), want, "{release:?}");
        }
    }

    #[test]
    fn versions_order_as_numbers() {
        let v = KernelVersion::new;
        assert!(v(4, 9) < v(4, 14) && v(4, 14) < v(5, 0) && v(5, 0) < v(6, 1));
        assert_eq!(v(6, 18).to_string(), "6.18");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_running_kernel_is_read() {
        let v = KernelVersion::running().expect("uname gives a release");
        assert!(v >= KernelVersion::new(3, 5), "{v:?}");
    }
}
