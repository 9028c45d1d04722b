//! Audit architecture identifiers (`AUDIT_ARCH_*` in `linux/audit.h`), the value of
//! [`seccomp_data::arch`](crate::seccomp_data::arch), and the audit record type and
//! netlink group through which the kernel's seccomp log records are read.
//!
//! Each is an ELF machine number (`EM_*` in `linux/elf-em.h`) with two flag bits:
//! [`__AUDIT_ARCH_64BIT`] for 64-bit ABIs and [`__AUDIT_ARCH_LE`] for little-endian ones.
//! A filter must check this value before it trusts the syscall number, because the
//! same number means different syscalls under different ABIs.
//!
//! Every `AUDIT_ARCH_*` constant and the `__AUDIT_ARCH_*` bits are defined in
//! `linux/audit.h` (the `EM_*` numbers in `linux/elf-em.h`); [`X32_SYSCALL_BIT`] is
//! in x86's `asm/unistd.h`. Each `AUDIT_ARCH_*` value appeared with its
//! architecture's syscall-audit support (the oldest with Linux 2.6's audit
//! subsystem, the newest with the LoongArch port); a running kernel only ever
//! reports the values of the ABIs it was built for. `cargo xtask check-abi`
//! checks that [`AUDIT_ARCHES`] holds every one the newest headers define.

/// Flag bit: the ABI is 64-bit.
pub const __AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
/// Flag bit: the ABI is little-endian.
pub const __AUDIT_ARCH_LE: u32 = 0x4000_0000;
/// Mask of the calling-convention bits (used by MIPS n32).
pub const __AUDIT_ARCH_CONVENTION_MASK: u32 = 0x3000_0000;
/// Calling convention: MIPS64 n32.
pub const __AUDIT_ARCH_CONVENTION_MIPS64_N32: u32 = 0x2000_0000;

/// The audit record type of a logged seccomp action (a kill, a `LOG` return,
/// or an action a filter installed with `SECCOMP_FILTER_FLAG_LOG` logs):
/// `type=1326` in the kernel log, the message type on the audit netlink socket.
/// Older than seccomp filters (Linux 3.5) for kills; Linux 4.14 added the
/// records of other actions (`/proc/sys/kernel/seccomp/actions_logged`).
pub const AUDIT_SECCOMP: u16 = 1326;

/// The multicast group of the audit netlink socket (`NETLINK_AUDIT`) that
/// read-only log readers join to receive every audit record
/// (`enum audit_nlgrps`; the bit to set in `sockaddr_nl::nl_groups` is
/// `1 << (AUDIT_NLGRP_READLOG - 1)`). Needs `CAP_AUDIT_READ`. Linux 3.16.
pub const AUDIT_NLGRP_READLOG: u32 = 1;

/// The bit that x32 syscall numbers carry under [`AUDIT_ARCH_X86_64`]
/// (`__X32_SYSCALL_BIT` in `asm/unistd.h` on x86).
#[doc(alias = "__X32_SYSCALL_BIT")]
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

macro_rules! audit_arches {
    ($($(#[$m:meta])* $name:ident = $em:expr, $flags:expr;)*) => {
        $( $(#[$m])* pub const $name: u32 = $em | $flags; )*
        /// Every `AUDIT_ARCH_*` constant of `linux/audit.h` with its name, in header order.
        pub const AUDIT_ARCHES: &[(&str, u32)] = &[$((stringify!($name), $name)),*];
    };
}

const B64: u32 = __AUDIT_ARCH_64BIT;
const LE: u32 = __AUDIT_ARCH_LE;

audit_arches! {
    /// ARM 64-bit (EM_AARCH64 183), little-endian.
    AUDIT_ARCH_AARCH64 = 183, B64 | LE;
    /// DEC Alpha (EM_ALPHA 0x9026).
    AUDIT_ARCH_ALPHA = 0x9026, B64 | LE;
    /// ARCompact, little-endian (EM_ARCOMPACT 93).
    AUDIT_ARCH_ARCOMPACT = 93, LE;
    /// ARCompact, big-endian.
    AUDIT_ARCH_ARCOMPACTBE = 93, 0;
    /// ARCv2, little-endian (EM_ARCV2 195).
    AUDIT_ARCH_ARCV2 = 195, LE;
    /// ARCv2, big-endian.
    AUDIT_ARCH_ARCV2BE = 195, 0;
    /// 32-bit ARM, little-endian (EM_ARM 40).
    AUDIT_ARCH_ARM = 40, LE;
    /// 32-bit ARM, big-endian.
    AUDIT_ARCH_ARMEB = 40, 0;
    /// TI C6x DSP, little-endian (EM_TI_C6000 140).
    AUDIT_ARCH_C6X = 140, LE;
    /// TI C6x DSP, big-endian.
    AUDIT_ARCH_C6XBE = 140, 0;
    /// Axis CRIS (EM_CRIS 76).
    AUDIT_ARCH_CRIS = 76, LE;
    /// C-SKY (EM_CSKY 252).
    AUDIT_ARCH_CSKY = 252, LE;
    /// Fujitsu FR-V (EM_FRV 0x5441).
    AUDIT_ARCH_FRV = 0x5441, 0;
    /// Renesas H8/300 (EM_H8_300 46).
    AUDIT_ARCH_H8300 = 46, 0;
    /// Qualcomm Hexagon (EM_HEXAGON 164).
    AUDIT_ARCH_HEXAGON = 164, 0;
    /// x86 32-bit (EM_386 3).
    AUDIT_ARCH_I386 = 3, LE;
    /// Itanium (EM_IA_64 50).
    AUDIT_ARCH_IA64 = 50, B64 | LE;
    /// Renesas M32R (EM_M32R 88).
    AUDIT_ARCH_M32R = 88, 0;
    /// Motorola 68k (EM_68K 4).
    AUDIT_ARCH_M68K = 4, 0;
    /// Xilinx MicroBlaze (EM_MICROBLAZE 189).
    AUDIT_ARCH_MICROBLAZE = 189, 0;
    /// MIPS o32, big-endian (EM_MIPS 8).
    AUDIT_ARCH_MIPS = 8, 0;
    /// MIPS o32, little-endian.
    AUDIT_ARCH_MIPSEL = 8, LE;
    /// MIPS n64, big-endian.
    AUDIT_ARCH_MIPS64 = 8, B64;
    /// MIPS n32, big-endian.
    AUDIT_ARCH_MIPS64N32 = 8, B64 | __AUDIT_ARCH_CONVENTION_MIPS64_N32;
    /// MIPS n64, little-endian.
    AUDIT_ARCH_MIPSEL64 = 8, B64 | LE;
    /// MIPS n32, little-endian.
    AUDIT_ARCH_MIPSEL64N32 = 8, B64 | LE | __AUDIT_ARCH_CONVENTION_MIPS64_N32;
    /// Andes NDS32, little-endian (EM_NDS32 167).
    AUDIT_ARCH_NDS32 = 167, LE;
    /// Andes NDS32, big-endian.
    AUDIT_ARCH_NDS32BE = 167, 0;
    /// Altera Nios II (EM_ALTERA_NIOS2 113).
    AUDIT_ARCH_NIOS2 = 113, LE;
    /// OpenRISC (EM_OPENRISC 92).
    AUDIT_ARCH_OPENRISC = 92, 0;
    /// PA-RISC 32-bit (EM_PARISC 15).
    AUDIT_ARCH_PARISC = 15, 0;
    /// PA-RISC 64-bit.
    AUDIT_ARCH_PARISC64 = 15, B64;
    /// PowerPC 32-bit (EM_PPC 20).
    AUDIT_ARCH_PPC = 20, 0;
    /// PowerPC 64-bit, big-endian (EM_PPC64 21).
    AUDIT_ARCH_PPC64 = 21, B64;
    /// PowerPC 64-bit, little-endian.
    AUDIT_ARCH_PPC64LE = 21, B64 | LE;
    /// RISC-V 32-bit (EM_RISCV 243).
    AUDIT_ARCH_RISCV32 = 243, LE;
    /// RISC-V 64-bit.
    AUDIT_ARCH_RISCV64 = 243, B64 | LE;
    /// IBM S/390 31-bit (EM_S390 22).
    AUDIT_ARCH_S390 = 22, 0;
    /// IBM z/Architecture 64-bit.
    AUDIT_ARCH_S390X = 22, B64;
    /// SuperH, big-endian (EM_SH 42).
    AUDIT_ARCH_SH = 42, 0;
    /// SuperH, little-endian.
    AUDIT_ARCH_SHEL = 42, LE;
    /// SuperH 64-bit, big-endian.
    AUDIT_ARCH_SH64 = 42, B64;
    /// SuperH 64-bit, little-endian.
    AUDIT_ARCH_SHEL64 = 42, B64 | LE;
    /// SPARC 32-bit (EM_SPARC 2).
    AUDIT_ARCH_SPARC = 2, 0;
    /// SPARC 64-bit (EM_SPARCV9 43).
    AUDIT_ARCH_SPARC64 = 43, B64;
    /// Tilera TILE-Gx (EM_TILEGX 191).
    AUDIT_ARCH_TILEGX = 191, B64 | LE;
    /// Tilera TILE-Gx 32-bit ABI.
    AUDIT_ARCH_TILEGX32 = 191, LE;
    /// Tilera TILEPro (EM_TILEPRO 188).
    AUDIT_ARCH_TILEPRO = 188, LE;
    /// UniCore-32 (EM_UNICORE 110).
    AUDIT_ARCH_UNICORE = 110, LE;
    /// x86_64 (EM_X86_64 62); x32 also reports this arch, with [`X32_SYSCALL_BIT`] in the number.
    AUDIT_ARCH_X86_64 = 62, B64 | LE;
    /// Tensilica Xtensa (EM_XTENSA 94).
    AUDIT_ARCH_XTENSA = 94, 0;
    /// LoongArch 32-bit (EM_LOONGARCH 258).
    AUDIT_ARCH_LOONGARCH32 = 258, LE;
    /// LoongArch 64-bit.
    AUDIT_ARCH_LOONGARCH64 = 258, B64 | LE;
}
