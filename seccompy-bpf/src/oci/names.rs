//! The strings of the profile format: `SCMP_ACT_*`, `SCMP_CMP_*`, `SCMP_ARCH_*`,
//! and Docker's architecture names.

use seccompy_sys::syscalls::Abi;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* #[doc = concat!("`", $s, "`")] $v,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// Looks a value up by its exact spelling (case matters, as in runc).
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// The profile spelling.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// An action name, as runc accepts them (`libcontainer/seccomp/config.go`).
    ScmpAction {
        /// Kills the thread: runc maps it to libseccomp's `SCMP_ACT_KILL_THREAD`.
        Kill = "SCMP_ACT_KILL",
        /// Fails the call with `errnoRet`, `EPERM` without one.
        Errno = "SCMP_ACT_ERRNO",
        /// Sends `SIGSYS`.
        Trap = "SCMP_ACT_TRAP",
        /// Allows the call.
        Allow = "SCMP_ACT_ALLOW",
        /// Notifies a tracer with `errnoRet`, `EPERM` without one.
        Trace = "SCMP_ACT_TRACE",
        /// Allows and logs the call.
        Log = "SCMP_ACT_LOG",
        /// Asks the user-notification listener.
        Notify = "SCMP_ACT_NOTIFY",
        /// Kills the thread.
        KillThread = "SCMP_ACT_KILL_THREAD",
        /// Kills the process.
        KillProcess = "SCMP_ACT_KILL_PROCESS",
    }
}

string_enum! {
    /// A comparison operator name.
    ScmpOp {
        /// `arg != value`
        Ne = "SCMP_CMP_NE",
        /// `arg < value`
        Lt = "SCMP_CMP_LT",
        /// `arg <= value`
        Le = "SCMP_CMP_LE",
        /// `arg == value`
        Eq = "SCMP_CMP_EQ",
        /// `arg >= value`
        Ge = "SCMP_CMP_GE",
        /// `arg > value`
        Gt = "SCMP_CMP_GT",
        /// `arg & value == valueTwo` (the mask is `value`, the datum `valueTwo`)
        MaskedEq = "SCMP_CMP_MASKED_EQ",
    }
}

string_enum! {
    /// An architecture name, as runc accepts them (`libcontainer/seccomp/config.go`).
    ScmpArch {
        /// i386.
        X86 = "SCMP_ARCH_X86",
        /// x86_64.
        X86_64 = "SCMP_ARCH_X86_64",
        /// x32.
        X32 = "SCMP_ARCH_X32",
        /// 32-bit ARM.
        Arm = "SCMP_ARCH_ARM",
        /// AArch64.
        Aarch64 = "SCMP_ARCH_AARCH64",
        /// MIPS o32, big-endian.
        Mips = "SCMP_ARCH_MIPS",
        /// MIPS n64, big-endian.
        Mips64 = "SCMP_ARCH_MIPS64",
        /// MIPS n32, big-endian.
        Mips64n32 = "SCMP_ARCH_MIPS64N32",
        /// MIPS o32, little-endian.
        Mipsel = "SCMP_ARCH_MIPSEL",
        /// MIPS n64, little-endian.
        Mipsel64 = "SCMP_ARCH_MIPSEL64",
        /// MIPS n32, little-endian.
        Mipsel64n32 = "SCMP_ARCH_MIPSEL64N32",
        /// PowerPC 32-bit.
        Ppc = "SCMP_ARCH_PPC",
        /// PowerPC 64-bit, big-endian.
        Ppc64 = "SCMP_ARCH_PPC64",
        /// PowerPC 64-bit, little-endian.
        Ppc64le = "SCMP_ARCH_PPC64LE",
        /// RISC-V 64-bit.
        Riscv64 = "SCMP_ARCH_RISCV64",
        /// s390, 31-bit (no seccompy ABI: refused when a resolution needs it).
        S390 = "SCMP_ARCH_S390",
        /// s390x.
        S390x = "SCMP_ARCH_S390X",
        /// LoongArch 64-bit.
        Loongarch64 = "SCMP_ARCH_LOONGARCH64",
    }
}

impl ScmpArch {
    /// The seccompy ABI, or `None` for `SCMP_ARCH_S390`, which seccompy-sys has no
    /// table for (Linux 6.19 removed 31-bit s390).
    #[must_use]
    pub const fn abi(self) -> Option<Abi> {
        Some(match self {
            ScmpArch::X86 => Abi::I386,
            ScmpArch::X86_64 => Abi::X86_64,
            ScmpArch::X32 => Abi::X32,
            ScmpArch::Arm => Abi::Arm,
            ScmpArch::Aarch64 => Abi::Aarch64,
            ScmpArch::Mips => Abi::Mips,
            ScmpArch::Mips64 => Abi::Mips64,
            ScmpArch::Mips64n32 => Abi::Mips64n32,
            ScmpArch::Mipsel => Abi::Mipsel,
            ScmpArch::Mipsel64 => Abi::Mipsel64,
            ScmpArch::Mipsel64n32 => Abi::Mipsel64n32,
            ScmpArch::Ppc => Abi::Ppc,
            ScmpArch::Ppc64 => Abi::Ppc64,
            ScmpArch::Ppc64le => Abi::Ppc64le,
            ScmpArch::Riscv64 => Abi::Riscv64,
            ScmpArch::S390 => return None,
            ScmpArch::S390x => Abi::S390x,
            ScmpArch::Loongarch64 => Abi::Loongarch64,
        })
    }

    /// The `SCMP_ARCH_*` name of a seccompy ABI runc supports.
    #[must_use]
    pub fn of_abi(abi: Abi) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.abi() == Some(abi))
    }
}

/// Whether libseccomp handles `abi` as a 32-bit architecture (`ARCH_SIZE_32`),
/// comparing only the low 32 bits of arguments and of rule values. That includes
/// x32 and MIPS n32, whose registers are 64 bits wide.
#[must_use]
pub const fn libseccomp_32bit(abi: Abi) -> bool {
    !abi.is_64bit()
}

/// How Docker names the architecture it runs on, for `includes.arches` and
/// `excludes.arches` (moby/profiles `seccomp/seccomp_linux.go`, `goToNative`
/// applied to the Go architecture of a Docker built for `abi`), or `None` when
/// Docker has no name for it (then no `arches` list matches).
#[must_use]
pub const fn docker_arch_name(abi: Abi) -> Option<&'static str> {
    Some(match abi {
        Abi::I386 => "x86",
        Abi::X86_64 => "amd64",
        Abi::Arm => "arm",
        Abi::Aarch64 => "arm64",
        Abi::Loongarch64 => "loongarch64",
        Abi::Mips64 => "mips64",
        Abi::Mips64n32 => "mips64n32",
        Abi::Mipsel64 => "mipsel64",
        Abi::Mipsel64n32 => "mips3l64n32",
        Abi::Mipsel => "mipsel",
        Abi::Ppc => "ppc",
        Abi::Ppc64 => "ppc64",
        Abi::Ppc64le => "ppc64le",
        Abi::Riscv64 => "riscv64",
        Abi::S390x => "s390x",
        _ => return None,
    })
}

/// The `archMap` entry Docker looks for when it runs on `abi`: moby/profiles maps
/// its own architecture name through `nativeToSeccomp`, whose keys differ from
/// the names [`docker_arch_name`] gives for MIPS o32 little-endian (`mipsle` against
/// `mipsel`) and LoongArch (`loong64` against `loongarch64`), so on those Docker
/// finds no entry and the profile gets no architecture list.
#[must_use]
pub fn docker_arch_map_key(abi: Abi) -> Option<ScmpArch> {
    let seccomp = match docker_arch_name(abi)? {
        "x86" => ScmpArch::X86,
        "amd64" => ScmpArch::X86_64,
        "arm" => ScmpArch::Arm,
        "arm64" => ScmpArch::Aarch64,
        "mips64" => ScmpArch::Mips64,
        "mips64n32" => ScmpArch::Mips64n32,
        "mipsel64" => ScmpArch::Mipsel64,
        "mips3l64n32" => ScmpArch::Mipsel64n32,
        "ppc" => ScmpArch::Ppc,
        "ppc64" => ScmpArch::Ppc64,
        "ppc64le" => ScmpArch::Ppc64le,
        "riscv64" => ScmpArch::Riscv64,
        "s390x" => ScmpArch::S390x,
        _ => return None,
    };
    Some(seccomp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for a in ScmpAction::ALL {
            assert_eq!(ScmpAction::parse(a.as_str()), Some(*a));
        }
        for o in ScmpOp::ALL {
            assert_eq!(ScmpOp::parse(o.as_str()), Some(*o));
        }
        assert_eq!(ScmpAction::parse("scmp_act_allow"), None);
        assert_eq!(ScmpOp::parse("SCMP_CMP_MASKED"), None);
        for a in ScmpArch::ALL {
            assert_eq!(ScmpArch::parse(a.as_str()), Some(*a));
            if let Some(abi) = a.abi() {
                assert_eq!(ScmpArch::of_abi(abi), Some(*a));
            }
        }
        assert_eq!(ScmpArch::parse("SCMP_ARCH_PARISC"), None);
        assert!(libseccomp_32bit(Abi::X32) && libseccomp_32bit(Abi::I386));
        assert!(!libseccomp_32bit(Abi::X86_64) && !libseccomp_32bit(Abi::Aarch64));
        assert_eq!(docker_arch_map_key(Abi::X86_64), Some(ScmpArch::X86_64));
        assert_eq!(docker_arch_map_key(Abi::Mipsel), None);
        assert_eq!(docker_arch_map_key(Abi::Loongarch64), None);
        assert_eq!(docker_arch_name(Abi::X32), None);
    }
}
