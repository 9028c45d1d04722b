//! Syscall ABIs and their name/number tables.
//!
//! An [`Abi`] is one calling convention the kernel can report in
//! [`seccomp_data`](crate::seccomp_data): an `AUDIT_ARCH_*` value plus, for x32 and
//! MIPS, the numbering scheme. The tables are generated from the kernel's UAPI
//! `asm/unistd*.h` headers by `cargo xtask syscalls`; look-ups never allocate.
//!
//! Each numbering is one [`SyscallTable`]; ABIs differing only in byte order share
//! one ([`Abi::syscall_table`]). The tables hold what the headers define, numbers
//! exactly as `seccomp_data.nr` carries them:
//!
//! - x32 numbers include [`X32_SYSCALL_BIT`]; MIPS numbers include the ABI's base
//!   (o32 4000, n64 5000, n32 6000).
//! - The `arm` table (EABI) includes ARM's private calls under their bare names
//!   (`breakpoint`, `cacheflush`, `usr26`, `usr32`, `set_tls`, `get_tls`, at
//!   `0x0f0001` to `0x0f0006`). ARM OABI has no table: seccomp cannot tell it apart.
//! - Alternative names some headers define (Alpha's `getpid` for `getxpid`, ...) are
//!   [aliases](SyscallTable::aliases) that [`Abi::syscall_nr`] accepts.
//! - There is no s390 31-bit ABI: the headers define only the 64-bit numbering.
//!
//! The generator's exact rules are documented in `xtask/src/syscalls.rs`.

use crate::audit::*;

pub(crate) mod name_index;
mod names;
pub(crate) mod table;

pub use table::SyscallTable;

/// The generated tables, one module per numbering: each compiled in when
/// `build.rs` sets `cfg(seccompy_table = "<module>")` (the host's ABI family and
/// the tables whose feature is enabled), with its [`Module`] then, and its
/// [`TableId`] always.
macro_rules! modules {
    ($($m:ident $cfg:literal $feature:literal;)*) => {
        $(
            #[cfg(seccompy_table = $cfg)]
            mod $m;
        )*

        /// A generated table module compiled in: which constants
        /// [`SyscallTable::syscalls`] and [`SyscallTable::aliases`] return.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub(crate) enum Module {
            $(#[cfg(seccompy_table = $cfg)] $m,)*
            /// A table a test builds: no constants.
            #[cfg(test)]
            Test,
        }

        /// Every compiled-in module's `BY_NR` and `ALIASES`.
        const SOURCES: &[names::Source] = &[$(#[cfg(seccompy_table = $cfg)] ($m::BY_NR, $m::ALIASES)),*];

        impl Module {
            /// The module's `BY_NR` and `ALIASES`.
            const fn source(self) -> (&'static [(u32, &'static str)], &'static [(&'static str, &'static str)]) {
                match self {
                    $(#[cfg(seccompy_table = $cfg)] Module::$m => ($m::BY_NR, $m::ALIASES),)*
                    #[cfg(test)]
                    Module::Test => (&[], &[]),
                }
            }
        }

        /// A syscall table, compiled in or not.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        enum TableId {
            $($m,)*
        }

        impl TableId {
            /// The table's name, its module's.
            const fn name(self) -> &'static str {
                match self { $(TableId::$m => stringify!($m),)* }
            }

            /// The feature that compiles the table in.
            const fn feature(self) -> &'static str {
                match self { $(TableId::$m => $feature,)* }
            }

            /// The table, `None` if it is not compiled in.
            const fn table(self) -> Option<&'static SyscallTable> {
                match self {
                    $(TableId::$m => {
                        #[cfg(seccompy_table = $cfg)]
                        return Some(&$m::TABLE);
                        #[cfg(not(seccompy_table = $cfg))]
                        return None;
                    })*
                }
            }
        }
    };
}

modules! {
    aarch64 "aarch64" "abi-aarch64";
    alpha "alpha" "abi-alpha";
    arc "arc" "abi-arc";
    arm "arm" "abi-arm";
    i386 "i386" "abi-i386";
    loongarch32 "loongarch32" "abi-loongarch32";
    loongarch64 "loongarch64" "abi-loongarch64";
    m68k "m68k" "abi-m68k";
    mips_n32 "mips_n32" "abi-mips64n32";
    mips_n64 "mips_n64" "abi-mips64";
    mips_o32 "mips_o32" "abi-mips";
    parisc "parisc" "abi-parisc";
    parisc64 "parisc64" "abi-parisc64";
    ppc "ppc" "abi-ppc";
    ppc64 "ppc64" "abi-ppc64";
    riscv32 "riscv32" "abi-riscv32";
    riscv64 "riscv64" "abi-riscv64";
    s390x "s390x" "abi-s390x";
    sh "sh" "abi-sh";
    sparc "sparc" "abi-sparc";
    sparc64 "sparc64" "abi-sparc64";
    x32 "x32" "abi-x32";
    x86_64 "x86_64" "abi-x86_64";
}

macro_rules! abis {
    ($($(#[$m:meta])* $v:ident => $name:literal, $arch:ident;)*) => {
        /// A syscall ABI that seccomp can tell apart.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Abi {
            $($(#[$m])* $v,)*
        }

        impl Abi {
            /// Every ABI, in declaration order.
            pub const ALL: &'static [Abi] = &[$(Abi::$v),*];

            /// The ABI's short name, as the CLI and policies spell it (`x86_64`, `x32`, `i386`, ...).
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Abi::$v => $name,)* }
            }

            /// The `AUDIT_ARCH_*` value the kernel reports for calls of this ABI.
            #[must_use]
            pub const fn audit_arch(self) -> u32 {
                match self { $(Abi::$v => $arch,)* }
            }
        }
    };
}

abis! {
    /// x86_64, 64-bit.
    X86_64 => "x86_64", AUDIT_ARCH_X86_64;
    /// x32: the ILP32 ABI of x86_64; reported as `AUDIT_ARCH_X86_64` with
    /// [`X32_SYSCALL_BIT`] set in the number (the table's numbers include the bit).
    X32 => "x32", AUDIT_ARCH_X86_64;
    /// i386, 32-bit x86 (also the compat ABI of x86_64).
    I386 => "i386", AUDIT_ARCH_I386;
    /// AArch64, little-endian.
    Aarch64 => "aarch64", AUDIT_ARCH_AARCH64;
    /// 32-bit ARM EABI, little-endian.
    Arm => "arm", AUDIT_ARCH_ARM;
    /// 32-bit ARM EABI, big-endian (same table as [`Abi::Arm`]).
    Armeb => "armeb", AUDIT_ARCH_ARMEB;
    /// RISC-V 64-bit.
    Riscv64 => "riscv64", AUDIT_ARCH_RISCV64;
    /// RISC-V 32-bit.
    Riscv32 => "riscv32", AUDIT_ARCH_RISCV32;
    /// LoongArch 64-bit.
    Loongarch64 => "loongarch64", AUDIT_ARCH_LOONGARCH64;
    /// LoongArch 32-bit.
    Loongarch32 => "loongarch32", AUDIT_ARCH_LOONGARCH32;
    /// IBM z/Architecture, 64-bit, big-endian.
    S390x => "s390x", AUDIT_ARCH_S390X;
    /// PowerPC 32-bit, big-endian.
    Ppc => "ppc", AUDIT_ARCH_PPC;
    /// PowerPC 64-bit, big-endian.
    Ppc64 => "ppc64", AUDIT_ARCH_PPC64;
    /// PowerPC 64-bit, little-endian (same table as [`Abi::Ppc64`]).
    Ppc64le => "ppc64le", AUDIT_ARCH_PPC64LE;
    /// MIPS o32, big-endian.
    Mips => "mips", AUDIT_ARCH_MIPS;
    /// MIPS o32, little-endian (same table as [`Abi::Mips`]).
    Mipsel => "mipsel", AUDIT_ARCH_MIPSEL;
    /// MIPS n64, big-endian.
    Mips64 => "mips64", AUDIT_ARCH_MIPS64;
    /// MIPS n64, little-endian (same table as [`Abi::Mips64`]).
    Mipsel64 => "mipsel64", AUDIT_ARCH_MIPSEL64;
    /// MIPS n32, big-endian.
    Mips64n32 => "mips64n32", AUDIT_ARCH_MIPS64N32;
    /// MIPS n32, little-endian (same table as [`Abi::Mips64n32`]).
    Mipsel64n32 => "mipsel64n32", AUDIT_ARCH_MIPSEL64N32;
    /// PA-RISC 32-bit.
    Parisc => "parisc", AUDIT_ARCH_PARISC;
    /// PA-RISC 64-bit.
    Parisc64 => "parisc64", AUDIT_ARCH_PARISC64;
    /// Motorola 68k.
    M68k => "m68k", AUDIT_ARCH_M68K;
    /// SuperH, little-endian.
    Sh => "sh", AUDIT_ARCH_SHEL;
    /// SuperH, big-endian (same table as [`Abi::Sh`]).
    Sheb => "sheb", AUDIT_ARCH_SH;
    /// SPARC 32-bit.
    Sparc => "sparc", AUDIT_ARCH_SPARC;
    /// SPARC 64-bit.
    Sparc64 => "sparc64", AUDIT_ARCH_SPARC64;
    /// DEC Alpha.
    Alpha => "alpha", AUDIT_ARCH_ALPHA;
    /// ARCv2, little-endian.
    Arc => "arc", AUDIT_ARCH_ARCV2;
    /// ARCv2, big-endian (same table as [`Abi::Arc`]).
    Arceb => "arceb", AUDIT_ARCH_ARCV2BE;
}

impl Abi {
    /// Whether the ABI's arguments are stored little-endian, so that a filter loads
    /// an argument's low word at the lower offset.
    #[must_use]
    pub const fn is_little_endian(self) -> bool {
        self.audit_arch() & __AUDIT_ARCH_LE != 0
    }

    /// Whether the ABI's `long` and pointers are 64 bits wide (false for x32 and
    /// MIPS n32, whose audit arch carries the 64-bit flag all the same).
    #[must_use]
    pub const fn is_64bit(self) -> bool {
        !matches!(self, Abi::X32 | Abi::Mips64n32 | Abi::Mipsel64n32)
            && self.audit_arch() & __AUDIT_ARCH_64BIT != 0
    }

    /// Looks an ABI up by its [`name`](Self::name); also accepts a few common
    /// aliases (`amd64`, `x86`, `arm64`, `ppc64el`, `s390`-less spellings are not guessed).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Abi> {
        let alias = match name {
            "amd64" | "x86-64" => "x86_64",
            "x86" | "i686" | "i586" | "i486" => "i386",
            "arm64" => "aarch64",
            "armhf" | "armel" => "arm",
            "ppc64el" | "powerpc64le" => "ppc64le",
            "powerpc64" => "ppc64",
            "powerpc" => "ppc",
            "mips64el" => "mipsel64",
            "mipsn32" => "mips64n32",
            "mipseln32" | "mips64eln32" => "mipsel64n32",
            "hppa" => "parisc",
            "loong64" => "loongarch64",
            other => other,
        };
        Abi::ALL.iter().copied().find(|a| a.name() == alias)
    }

    /// The ABI this crate is compiled for, if it is one seccomp knows.
    #[must_use]
    pub const fn host() -> Option<Abi> {
        #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
        return Some(Abi::X86_64);
        #[cfg(all(target_arch = "x86_64", target_pointer_width = "32"))]
        return Some(Abi::X32);
        #[cfg(target_arch = "x86")]
        return Some(Abi::I386);
        #[cfg(target_arch = "aarch64")]
        return Some(Abi::Aarch64);
        #[cfg(all(target_arch = "arm", target_endian = "little"))]
        return Some(Abi::Arm);
        #[cfg(all(target_arch = "arm", target_endian = "big"))]
        return Some(Abi::Armeb);
        #[cfg(target_arch = "riscv64")]
        return Some(Abi::Riscv64);
        #[cfg(target_arch = "riscv32")]
        return Some(Abi::Riscv32);
        #[cfg(target_arch = "loongarch64")]
        return Some(Abi::Loongarch64);
        #[cfg(target_arch = "s390x")]
        return Some(Abi::S390x);
        #[cfg(target_arch = "powerpc")]
        return Some(Abi::Ppc);
        #[cfg(all(target_arch = "powerpc64", target_endian = "big"))]
        return Some(Abi::Ppc64);
        #[cfg(all(target_arch = "powerpc64", target_endian = "little"))]
        return Some(Abi::Ppc64le);
        #[cfg(all(target_arch = "mips", target_endian = "big"))]
        return Some(Abi::Mips);
        #[cfg(all(target_arch = "mips", target_endian = "little"))]
        return Some(Abi::Mipsel);
        #[cfg(all(
            target_arch = "mips64",
            target_pointer_width = "64",
            target_endian = "big"
        ))]
        return Some(Abi::Mips64);
        #[cfg(all(
            target_arch = "mips64",
            target_pointer_width = "64",
            target_endian = "little"
        ))]
        return Some(Abi::Mipsel64);
        #[cfg(all(
            target_arch = "mips64",
            target_pointer_width = "32",
            target_endian = "big"
        ))]
        return Some(Abi::Mips64n32);
        #[cfg(all(
            target_arch = "mips64",
            target_pointer_width = "32",
            target_endian = "little"
        ))]
        return Some(Abi::Mipsel64n32);
        #[cfg(target_arch = "m68k")]
        return Some(Abi::M68k);
        #[cfg(target_arch = "sparc")]
        return Some(Abi::Sparc);
        #[cfg(target_arch = "sparc64")]
        return Some(Abi::Sparc64);
        #[allow(unreachable_code)]
        None
    }
}

impl Abi {
    /// The ABI of a system call the kernel reports with audit arch `arch` and
    /// number `nr` (`seccomp_data.arch` and `.nr`, the number read unsigned), or
    /// `None` for an arch no [`Abi`] has.
    ///
    /// Every arch but `AUDIT_ARCH_X86_64` names one ABI. Under
    /// `AUDIT_ARCH_X86_64`, a number from [`X32_SYSCALL_BIT`] up (read unsigned,
    /// as the usual `A >= X32_SYSCALL_BIT` guard of a filter reads it) is an x32
    /// call, except `nr == -1` (`0xffff_ffff`), which is an x86_64 call although
    /// it has the bit:
    ///
    /// - `-1` is the number the kernel treats as "no system call": ptrace and
    ///   seccomp skip a call by setting its number to `-1`, and the x86_64 entry
    ///   code (`do_syscall_64` in `arch/x86/entry`) runs neither an x86_64 call
    ///   (`-1` read unsigned is past the x86_64 table) nor an x32 call (`-1` minus
    ///   the x32 bit is `0xbfff_ffff`, past the x32 table), and leaves the
    ///   `-ENOSYS` it stored on entry as the result. So no x32 call ever has this
    ///   number: it is what a 64-bit `syscall` instruction with `rax = -1` is.
    /// - libseccomp's x86_64 filters let `-1` past their x32 check for the same
    ///   reason, so a filter compiled by it, by `seccompy-bpf`, and the reading
    ///   of a notification or an audit record all agree on the number.
    ///
    /// ```
    /// use seccompy_sys::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, syscalls::Abi};
    /// assert_eq!(Abi::of_call(AUDIT_ARCH_X86_64, 0), Some(Abi::X86_64));
    /// assert_eq!(Abi::of_call(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT), Some(Abi::X32));
    /// assert_eq!(Abi::of_call(AUDIT_ARCH_X86_64, u32::MAX), Some(Abi::X86_64));
    /// assert_eq!(Abi::of_call(AUDIT_ARCH_I386, u32::MAX), Some(Abi::I386));
    /// assert_eq!(Abi::of_call(0, 0), None);
    /// ```
    ///
    /// # References
    ///
    /// - [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html), on
    ///   the x32 bit and `nr == -1`
    /// - [syscall(2)](https://man7.org/linux/man-pages/man2/syscall.2.html)
    #[must_use]
    pub const fn of_call(arch: u32, nr: u32) -> Option<Abi> {
        if arch == AUDIT_ARCH_X86_64 {
            return Some(if Abi::is_x32_nr(nr) {
                Abi::X32
            } else {
                Abi::X86_64
            });
        }
        let mut i = 0;
        while i < Abi::ALL.len() {
            if Abi::ALL[i].audit_arch() == arch {
                return Some(Abi::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// Whether, under `AUDIT_ARCH_X86_64`, number `nr` is an x32 call: it is at
    /// least [`X32_SYSCALL_BIT`] and not `-1` (see [`Abi::of_call`]). Numbers
    /// from `0x8000_0000` up run no call under either ABI; they count as x32 so
    /// that a filter's `A >= X32_SYSCALL_BIT` guard covers them.
    #[must_use]
    pub const fn is_x32_nr(nr: u32) -> bool {
        nr >= X32_SYSCALL_BIT && nr != u32::MAX
    }

    /// The table this ABI's numbering is, compiled in or not.
    const fn table_id(self) -> TableId {
        match self {
            Abi::X86_64 => TableId::x86_64,
            Abi::X32 => TableId::x32,
            Abi::I386 => TableId::i386,
            Abi::Aarch64 => TableId::aarch64,
            Abi::Arm | Abi::Armeb => TableId::arm,
            Abi::Riscv64 => TableId::riscv64,
            Abi::Riscv32 => TableId::riscv32,
            Abi::Loongarch64 => TableId::loongarch64,
            Abi::Loongarch32 => TableId::loongarch32,
            Abi::S390x => TableId::s390x,
            Abi::Ppc => TableId::ppc,
            Abi::Ppc64 | Abi::Ppc64le => TableId::ppc64,
            Abi::Mips | Abi::Mipsel => TableId::mips_o32,
            Abi::Mips64 | Abi::Mipsel64 => TableId::mips_n64,
            Abi::Mips64n32 | Abi::Mipsel64n32 => TableId::mips_n32,
            Abi::Parisc => TableId::parisc,
            Abi::Parisc64 => TableId::parisc64,
            Abi::M68k => TableId::m68k,
            Abi::Sh | Abi::Sheb => TableId::sh,
            Abi::Sparc => TableId::sparc,
            Abi::Sparc64 => TableId::sparc64,
            Abi::Alpha => TableId::alpha,
            Abi::Arc | Abi::Arceb => TableId::arc,
        }
    }

    /// The syscall table of this ABI (shared by ABIs differing only in byte
    /// order), or [`MissingTable`] if this build does not include it: the
    /// tables of the host's ABI family always are, the others with their
    /// feature ([`table_feature`](Self::table_feature), or `all-abis`).
    ///
    /// ```
    /// use seccompy_sys::syscalls::Abi;
    /// // The host's own table is always there.
    /// if let Some(host) = Abi::host() {
    ///     assert!(host.syscall_table().is_ok());
    /// }
    /// ```
    pub const fn syscall_table(self) -> Result<&'static SyscallTable, MissingTable> {
        match self.table_id().table() {
            Some(table) => Ok(table),
            None => Err(MissingTable { abi: self }),
        }
    }

    /// Whether this build includes the ABI's [syscall table](Self::syscall_table).
    #[must_use]
    pub const fn has_syscall_table(self) -> bool {
        self.table_id().table().is_some()
    }

    /// The cargo feature that compiles this ABI's syscall table in (of
    /// `seccompy-sys`, and of `seccompy-bpf` and `seccompy`, which forward it):
    /// `abi-` and the name of the first ABI that uses the table (`abi-arm` for
    /// `arm` and `armeb`, `abi-mips` for `mips` and `mipsel`, `abi-mips64n32`
    /// for `mips64n32` and `mipsel64n32`). The tables of the host's ABI family
    /// need none.
    #[must_use]
    pub const fn table_feature(self) -> &'static str {
        self.table_id().feature()
    }

    /// The name of this ABI's [syscall table](Self::syscall_table): `x86_64`, `arm`
    /// (for `arm` and `armeb`), `mips_o32`, `mips_n64`, `mips_n32`, `ppc64`, ...;
    /// whether the table is compiled in or not.
    #[must_use]
    pub const fn table_name(self) -> &'static str {
        self.table_id().name()
    }

    /// Every syscall of this ABI as `(number, name)`, sorted by number; numbers as
    /// `seccomp_data.nr` carries them. Empty if the ABI's table is not compiled
    /// in ([`syscall_table`](Self::syscall_table) says why).
    #[must_use]
    pub const fn syscalls(self) -> &'static [(u32, &'static str)] {
        match self.syscall_table() {
            Ok(table) => table.syscalls(),
            Err(_) => &[],
        }
    }

    /// Every syscall's number in this ABI, sorted: the numbers of
    /// [`syscalls`](Self::syscalls), without the names' pointers. Empty if the
    /// ABI's table is not compiled in.
    #[must_use]
    pub const fn syscall_numbers(self) -> &'static [u32] {
        match self.syscall_table() {
            Ok(table) => table.numbers(),
            Err(_) => &[],
        }
    }

    /// The number of syscall `name` in this ABI (an alias such as Alpha's `getpid`
    /// gives the number of the syscall it stands for), or `None` if the ABI has no
    /// syscall of that name or its table is not compiled in (code that must tell
    /// the two apart looks the table up with [`syscall_table`](Self::syscall_table)).
    ///
    /// ```
    /// use seccompy_sys::syscalls::Abi;
    /// // x86_64's table: built on x86_64 hosts, elsewhere with `abi-x86_64`.
    /// if Abi::X86_64.has_syscall_table() {
    ///     assert_eq!(Abi::X86_64.syscall_nr("read"), Some(0));
    ///     assert_eq!(Abi::X86_64.syscall_nr("no_such_call"), None);
    /// }
    /// if Abi::Mips.has_syscall_table() {
    ///     assert_eq!(Abi::Mips.syscall_nr("read"), Some(4003));
    /// }
    /// ```
    #[must_use]
    pub fn syscall_nr(self, name: &str) -> Option<u32> {
        self.syscall_table().ok()?.syscall_nr(name)
    }

    /// The name of syscall number `nr` in this ABI, or `None` if it has none or
    /// its table is not compiled in.
    ///
    /// ```
    /// use seccompy_sys::syscalls::Abi;
    /// if Abi::X32.has_syscall_table() {
    ///     assert_eq!(Abi::X32.syscall_name(0x4000_0000), Some("read"));
    ///     assert_eq!(Abi::X32.syscall_name(0), None);
    /// }
    /// if Abi::Aarch64.has_syscall_table() {
    ///     assert_eq!(Abi::Aarch64.syscall_name(63), Some("read"));
    /// }
    /// ```
    #[must_use]
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        self.syscall_table().ok()?.syscall_name(nr)
    }
}

/// The syscall table of an ABI this build does not include: only the host's ABI
/// family's tables are compiled in by default, the others with their feature.
///
/// ```
/// use seccompy_sys::syscalls::Abi;
/// if let Err(missing) = Abi::Alpha.syscall_table() {
///     assert_eq!(missing.feature(), "abi-alpha");
///     assert_eq!(
///         missing.to_string(),
///         "the syscall table of alpha is not compiled in: enable the feature abi-alpha (or all-abis)"
///     );
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MissingTable {
    /// The ABI.
    abi: Abi,
}

impl MissingTable {
    /// The ABI whose table is missing.
    #[must_use]
    pub const fn abi(&self) -> Abi {
        self.abi
    }

    /// The feature that compiles it in ([`Abi::table_feature`]).
    #[must_use]
    pub const fn feature(&self) -> &'static str {
        self.abi.table_feature()
    }
}

impl core::fmt::Display for MissingTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the syscall table of {} is not compiled in: enable the feature {} (or all-abis)",
            self.abi,
            self.feature()
        )
    }
}

impl core::error::Error for MissingTable {}

/// The ABIs whose syscall table this build includes: the unit tests check
/// every table compiled in (all of them with `all-abis`, as `cargo test
/// --workspace` builds the crate).
#[cfg(test)]
pub(crate) fn compiled_abis() -> impl Iterator<Item = &'static Abi> {
    Abi::ALL.iter().filter(|a| a.has_syscall_table())
}

impl core::fmt::Display for Abi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
