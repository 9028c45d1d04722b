//! runc's ENOSYS stub (`libcontainer/seccomp/patchbpf/enosys_linux.go`).
//!
//! runc prepends to libseccomp's filter a few instructions that return
//! `ERRNO(ENOSYS)` for syscall numbers above the highest syscall the profile
//! names, per architecture, so that programs probing newer syscalls fall back
//! instead of failing with the default `EPERM`. The errno is `ENOSYS` as the
//! host runc runs on numbers it ([`Abi::enosys`]: 38, but 89 on MIPS).

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};

/// The stub: per ABI, the highest syscall number the profile names there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnosysStub {
    /// The errno it returns: `ENOSYS` of the host runc runs on, the profile's
    /// target ([`Abi::enosys`] of [`Resolved::target`](super::Resolved::target)).
    pub errno: u16,
    /// `(abi, highest number)`, in the order the ABIs were considered.
    pub highest: Vec<(Abi, u32)>,
}

impl EnosysStub {
    /// The highest number for `abi`, if the stub covers it.
    #[must_use]
    pub fn highest_on(&self, abi: Abi) -> Option<u32> {
        self.highest
            .iter()
            .find(|(a, _)| *a == abi)
            .map(|&(_, n)| n)
    }

    /// Whether the stub answers `ERRNO(ENOSYS)` for a call of audit arch `arch` and
    /// number `nr` before the filter proper runs:
    ///
    /// - x86_64 and x32 share `AUDIT_ARCH_X86_64`: a number with bit 30 set is
    ///   compared with x32's highest, one without with x86_64's; when only one of
    ///   the two is covered, numbers of the other kind go to the filter.
    /// - s390x: number 0 (the `setup` slot the kernel uses for unknown syscalls
    ///   of the multiplexed range) too.
    /// - otherwise: numbers above the ABI's highest.
    ///
    /// Numbers compare unsigned, as BPF's `jgt` does.
    #[must_use]
    pub fn enosys(&self, arch: u32, nr: u32) -> bool {
        if arch == AUDIT_ARCH_X86_64 {
            let amd64 = self.highest_on(Abi::X86_64);
            let x32 = self.highest_on(Abi::X32);
            return if nr & X32_SYSCALL_BIT != 0 {
                x32.is_some_and(|m| nr > m)
            } else {
                amd64.is_some_and(|m| nr > m)
            };
        }
        self.highest
            .iter()
            .find(|(abi, _)| abi.audit_arch() == arch)
            .is_some_and(|&(abi, m)| (abi == Abi::S390x && nr == 0) || nr > m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_family() {
        let both = EnosysStub {
            errno: 38,
            highest: alloc::vec![
                (Abi::X86_64, 462),
                (Abi::X32, 0x4000_0221),
                (Abi::I386, 462)
            ],
        };
        let a = AUDIT_ARCH_X86_64;
        assert!(!both.enosys(a, 462) && both.enosys(a, 463));
        assert!(both.enosys(a, 0x3fff_ffff));
        assert!(!both.enosys(a, 0x4000_0221) && both.enosys(a, 0x4000_0222));
        assert!(both.enosys(a, u32::MAX));
        // 0x8000_0000 has bit 30 clear: compared with x86_64's highest.
        assert!(both.enosys(a, 0x8000_0000));
        assert!(both.enosys(Abi::I386.audit_arch(), 463));
        assert!(!both.enosys(Abi::Aarch64.audit_arch(), 10_000));
        let only64 = EnosysStub {
            errno: 38,
            highest: alloc::vec![(Abi::X86_64, 462)],
        };
        assert!(!only64.enosys(a, u32::MAX) && !only64.enosys(a, 0x4000_0000));
        assert!(only64.enosys(a, 0x8000_0000));
        let s390 = EnosysStub {
            errno: 38,
            highest: alloc::vec![(Abi::S390x, 462)],
        };
        assert!(
            s390.enosys(Abi::S390x.audit_arch(), 0) && !s390.enosys(Abi::S390x.audit_arch(), 1)
        );
    }
}
