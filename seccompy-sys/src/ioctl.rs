//! The `ioctl(2)` requests of a seccomp user-notification listener
//! (`SECCOMP_IOCTL_NOTIF_*` in `linux/seccomp.h`), for the host and for every ABI.
//!
//! An ioctl number packs a direction, a type byte, a command number and the size of
//! the argument (the `_IOC` macro). The packing is not the same everywhere:
//!
//! | encoding | architectures | header | size bits | dir bits | `_IOC_NONE` / `READ` / `WRITE` |
//! |---|---|---|---|---|---|
//! | [`IocEncoding::Generic`] | x86, arm, arm64, riscv, loongarch, s390, m68k, sh, arc, ... | `asm-generic/ioctl.h` | 14 | 2 | 0 / 2 / 1 |
//! | [`IocEncoding::Parisc`] | parisc | `asm/ioctl.h` of parisc | 14 | 2 | 0 / 1 / 2 |
//! | [`IocEncoding::Legacy`] | mips, powerpc, sparc, alpha | their `asm/ioctl.h` | 13 | 3 | 1 / 2 / 4 |
//!
//! So the same request has a different number on, say, x86_64 and ppc64le: use
//! [`notif_ioctls`] to get the numbers of any [`Abi`], and the `SECCOMP_IOCTL_NOTIF_*`
//! constants for the ABI this crate is compiled for.
//!
//! # References
//! - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
//! - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)

use crate::syscalls::Abi;

/// How an architecture packs `_IOC(dir, type, nr, size)` into an ioctl number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IocEncoding {
    /// `asm-generic/ioctl.h`: 8-bit number, 8-bit type, 14-bit size, 2-bit direction
    /// with `_IOC_NONE` 0, `_IOC_WRITE` 1, `_IOC_READ` 2.
    Generic,
    /// parisc's `asm/ioctl.h`: the generic layout with the read and write bits
    /// swapped (`_IOC_READ` 1, `_IOC_WRITE` 2).
    Parisc,
    /// mips, powerpc, sparc and alpha: 13-bit size and 3-bit direction with
    /// `_IOC_NONE` 1, `_IOC_READ` 2, `_IOC_WRITE` 4 (the OSF/1 layout).
    Legacy,
}

impl IocEncoding {
    /// The encoding the kernel uses for calls of `abi`.
    #[must_use]
    pub const fn for_abi(abi: Abi) -> IocEncoding {
        match abi {
            Abi::X86_64
            | Abi::X32
            | Abi::I386
            | Abi::Aarch64
            | Abi::Arm
            | Abi::Armeb
            | Abi::Riscv64
            | Abi::Riscv32
            | Abi::Loongarch64
            | Abi::Loongarch32
            | Abi::S390x
            | Abi::M68k
            | Abi::Sh
            | Abi::Sheb
            | Abi::Arc
            | Abi::Arceb => IocEncoding::Generic,
            Abi::Parisc | Abi::Parisc64 => IocEncoding::Parisc,
            Abi::Ppc
            | Abi::Ppc64
            | Abi::Ppc64le
            | Abi::Mips
            | Abi::Mipsel
            | Abi::Mips64
            | Abi::Mipsel64
            | Abi::Mips64n32
            | Abi::Mipsel64n32
            | Abi::Sparc
            | Abi::Sparc64
            | Abi::Alpha => IocEncoding::Legacy,
        }
    }

    /// The encoding of the architecture this crate is compiled for.
    #[must_use]
    pub const fn host() -> IocEncoding {
        if cfg!(any(
            target_arch = "mips",
            target_arch = "mips32r6",
            target_arch = "mips64",
            target_arch = "mips64r6",
            target_arch = "powerpc",
            target_arch = "powerpc64",
            target_arch = "sparc",
            target_arch = "sparc64",
        )) {
            IocEncoding::Legacy
        } else {
            IocEncoding::Generic
        }
    }

    /// Width of the size field in bits (`_IOC_SIZEBITS`).
    #[doc(alias = "_IOC_SIZEBITS")]
    #[must_use]
    pub const fn size_bits(self) -> u32 {
        match self {
            IocEncoding::Generic | IocEncoding::Parisc => 14,
            IocEncoding::Legacy => 13,
        }
    }

    /// Width of the direction field in bits (`_IOC_DIRBITS`).
    #[doc(alias = "_IOC_DIRBITS")]
    #[must_use]
    pub const fn dir_bits(self) -> u32 {
        match self {
            IocEncoding::Generic | IocEncoding::Parisc => 2,
            IocEncoding::Legacy => 3,
        }
    }

    /// Direction value of an ioctl without argument (`_IOC_NONE`).
    #[doc(alias = "_IOC_NONE")]
    #[must_use]
    pub const fn dir_none(self) -> u32 {
        match self {
            IocEncoding::Generic | IocEncoding::Parisc => 0,
            IocEncoding::Legacy => 1,
        }
    }

    /// Direction value of an ioctl whose argument the kernel writes (`_IOC_READ`:
    /// user space reads).
    #[doc(alias = "_IOC_READ")]
    #[must_use]
    pub const fn dir_read(self) -> u32 {
        match self {
            IocEncoding::Generic | IocEncoding::Legacy => 2,
            IocEncoding::Parisc => 1,
        }
    }

    /// Direction value of an ioctl whose argument the kernel reads (`_IOC_WRITE`:
    /// user space writes).
    #[doc(alias = "_IOC_WRITE")]
    #[must_use]
    pub const fn dir_write(self) -> u32 {
        match self {
            IocEncoding::Generic => 1,
            IocEncoding::Parisc => 2,
            IocEncoding::Legacy => 4,
        }
    }

    /// Packs an ioctl number (the `_IOC` macro). The type sits in bits 8..16, the
    /// number in bits 0..8, the size above them and the direction on top. A `size`
    /// wider than [`size_bits`](Self::size_bits) or a `dir` wider than
    /// [`dir_bits`](Self::dir_bits) is truncated to the field.
    #[doc(alias = "_IOC")]
    #[must_use]
    pub const fn ioc(self, dir: u32, ty: u8, nr: u8, size: u32) -> u32 {
        let size_shift = 16;
        let dir_shift = size_shift + self.size_bits();
        let size_mask = (1 << self.size_bits()) - 1;
        let dir_mask = (1 << self.dir_bits()) - 1;
        ((dir & dir_mask) << dir_shift)
            | ((size & size_mask) << size_shift)
            | ((ty as u32) << 8)
            | nr as u32
    }

    /// An ioctl without argument (`_IO`).
    #[doc(alias = "_IO")]
    #[must_use]
    pub const fn io(self, ty: u8, nr: u8) -> u32 {
        self.ioc(self.dir_none(), ty, nr, 0)
    }

    /// An ioctl whose argument of `size` bytes the kernel fills (`_IOR`).
    #[doc(alias = "_IOR")]
    #[must_use]
    pub const fn ior(self, ty: u8, nr: u8, size: u32) -> u32 {
        self.ioc(self.dir_read(), ty, nr, size)
    }

    /// An ioctl whose argument of `size` bytes the kernel reads (`_IOW`).
    #[doc(alias = "_IOW")]
    #[must_use]
    pub const fn iow(self, ty: u8, nr: u8, size: u32) -> u32 {
        self.ioc(self.dir_write(), ty, nr, size)
    }

    /// An ioctl whose argument of `size` bytes the kernel reads and fills (`_IOWR`).
    #[doc(alias = "_IOWR")]
    #[must_use]
    pub const fn iowr(self, ty: u8, nr: u8, size: u32) -> u32 {
        self.ioc(self.dir_read() | self.dir_write(), ty, nr, size)
    }
}

/// The ioctl type byte of seccomp listeners, `'!'` (Linux 5.0).
pub const SECCOMP_IOC_MAGIC: u8 = b'!';

// The argument sizes. None depends on the ABI: every field is naturally aligned
// and the structures have no padding, so even i386 and m68k agree.
const NOTIF_SIZE: u32 = core::mem::size_of::<crate::seccomp_notif>() as u32;
const RESP_SIZE: u32 = core::mem::size_of::<crate::seccomp_notif_resp>() as u32;
const ADDFD_SIZE: u32 = core::mem::size_of::<crate::seccomp_notif_addfd>() as u32;
const U64_SIZE: u32 = core::mem::size_of::<u64>() as u32;

/// The numbers of the seccomp listener ioctls under one encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NotifIoctls {
    /// `SECCOMP_IOCTL_NOTIF_RECV`: `_IOWR('!', 0, struct seccomp_notif)`.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_RECV")]
    pub recv: u32,
    /// `SECCOMP_IOCTL_NOTIF_SEND`: `_IOWR('!', 1, struct seccomp_notif_resp)`.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_SEND")]
    pub send: u32,
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID`: `_IOW('!', 2, __u64)`.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_ID_VALID")]
    pub id_valid: u32,
    /// The number `SECCOMP_IOCTL_NOTIF_ID_VALID` had before Linux 5.9:
    /// `_IOR('!', 2, __u64)`. Kernels keep accepting it.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR")]
    pub id_valid_wrong_dir: u32,
    /// `SECCOMP_IOCTL_NOTIF_ADDFD`: `_IOW('!', 3, struct seccomp_notif_addfd)`.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_ADDFD")]
    pub addfd: u32,
    /// `SECCOMP_IOCTL_NOTIF_SET_FLAGS`: `_IOW('!', 4, __u64)`.
    #[doc(alias = "SECCOMP_IOCTL_NOTIF_SET_FLAGS")]
    pub set_flags: u32,
}

impl NotifIoctls {
    /// The numbers under `enc`.
    #[must_use]
    pub const fn for_encoding(enc: IocEncoding) -> NotifIoctls {
        NotifIoctls {
            recv: enc.iowr(SECCOMP_IOC_MAGIC, 0, NOTIF_SIZE),
            send: enc.iowr(SECCOMP_IOC_MAGIC, 1, RESP_SIZE),
            id_valid: enc.iow(SECCOMP_IOC_MAGIC, 2, U64_SIZE),
            id_valid_wrong_dir: enc.ior(SECCOMP_IOC_MAGIC, 2, U64_SIZE),
            addfd: enc.iow(SECCOMP_IOC_MAGIC, 3, ADDFD_SIZE),
            set_flags: enc.iow(SECCOMP_IOC_MAGIC, 4, U64_SIZE),
        }
    }
}

/// The seccomp listener ioctl numbers of `abi`.
#[must_use]
pub const fn notif_ioctls(abi: Abi) -> NotifIoctls {
    NotifIoctls::for_encoding(IocEncoding::for_abi(abi))
}

const HOST: NotifIoctls = NotifIoctls::for_encoding(IocEncoding::host());

/// Receives a notification into a `struct seccomp_notif` (Linux 5.0).
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_RECV: u32 = HOST.recv;
/// Answers a notification with a `struct seccomp_notif_resp` (Linux 5.0).
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_SEND: u32 = HOST.send;
/// Checks that a notification id (a `__u64`) is still pending (Linux 5.0; this
/// number since Linux 5.9, see [`SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR`]).
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_ID_VALID: u32 = HOST.id_valid;
/// The number [`SECCOMP_IOCTL_NOTIF_ID_VALID`] had from Linux 5.0 to 5.8, with the
/// read direction by mistake. Not in the UAPI header: the kernel keeps it (under
/// this name, in `kernel/seccomp.c`) so that old binaries work, and it is the only
/// number that works on kernels without the fix.
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR: u32 = HOST.id_valid_wrong_dir;
/// Installs a file descriptor in the notifying process, described by a
/// `struct seccomp_notif_addfd` (Linux 5.9).
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_ADDFD: u32 = HOST.addfd;
/// Sets flags of the listener, passed by value: `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`
/// (Linux 6.6).
///
/// The number of the host architecture; see [`notif_ioctls`] for others.
pub const SECCOMP_IOCTL_NOTIF_SET_FLAGS: u32 = HOST.set_flags;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_numbers_decode_to_their_fields() {
        let enc = IocEncoding::Generic;
        let n = notif_ioctls(Abi::X86_64);
        // Decode with the generic layout: nr 0..8, type 8..16, size 16..30, dir 30..32.
        let decode = |v: u32| (v >> 30, (v >> 16) & 0x3fff, (v >> 8) & 0xff, v & 0xff);
        assert_eq!(decode(n.recv), (3, 80, u32::from(b'!'), 0));
        assert_eq!(decode(n.send), (3, 24, u32::from(b'!'), 1));
        assert_eq!(decode(n.id_valid), (1, 8, u32::from(b'!'), 2));
        assert_eq!(decode(n.id_valid_wrong_dir), (2, 8, u32::from(b'!'), 2));
        assert_eq!(decode(n.addfd), (1, 24, u32::from(b'!'), 3));
        assert_eq!(decode(n.set_flags), (1, 8, u32::from(b'!'), 4));
        assert_eq!(enc.io(b'!', 7), 0x2107);
    }

    #[test]
    fn legacy_numbers_decode_to_their_fields() {
        let n = notif_ioctls(Abi::Ppc64le);
        // Legacy layout: nr 0..8, type 8..16, size 16..29, dir 29..32.
        let decode = |v: u32| (v >> 29, (v >> 16) & 0x1fff, (v >> 8) & 0xff, v & 0xff);
        assert_eq!(decode(n.recv), (6, 80, u32::from(b'!'), 0));
        assert_eq!(decode(n.id_valid), (4, 8, u32::from(b'!'), 2));
        assert_eq!(decode(n.id_valid_wrong_dir), (2, 8, u32::from(b'!'), 2));
        assert_eq!(IocEncoding::Legacy.io(b'!', 7), (1 << 29) | 0x2107);
        assert_eq!(notif_ioctls(Abi::Mips), n);
        assert_eq!(notif_ioctls(Abi::Sparc64), n);
        assert_eq!(notif_ioctls(Abi::Alpha), n);
    }

    #[test]
    fn parisc_swaps_read_and_write() {
        let g = notif_ioctls(Abi::X86_64);
        let p = notif_ioctls(Abi::Parisc);
        // Both directions set: identical numbers.
        assert_eq!(p.recv, g.recv);
        assert_eq!(p.send, g.send);
        // One direction: the other bit.
        assert_eq!(p.id_valid, g.id_valid_wrong_dir);
        assert_eq!(p.id_valid_wrong_dir, g.id_valid);
        assert_eq!(p.addfd, (2 << 30) | (24 << 16) | 0x2103);
    }

    #[test]
    fn every_abi_has_distinct_numbers_per_request() {
        for &abi in Abi::ALL {
            let n = notif_ioctls(abi);
            let all = [
                n.recv,
                n.send,
                n.id_valid,
                n.id_valid_wrong_dir,
                n.addfd,
                n.set_flags,
            ];
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert_ne!(a, b, "{abi}");
                }
            }
        }
    }

    #[test]
    fn host_constants_follow_the_host_abi() {
        if let Some(abi) = Abi::host() {
            assert_eq!(IocEncoding::for_abi(abi), IocEncoding::host());
            assert_eq!(notif_ioctls(abi).recv, SECCOMP_IOCTL_NOTIF_RECV);
        }
    }
}
