//! System calls as a person reads them: `socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)`.
//!
//! [`format_call`] writes a call with its arguments decoded: named constants for the
//! common enumerations and flag sets (socket families and types, `open` flags,
//! `clone`/`unshare`/`setns` namespace flags, `mmap`/`mprotect` protections,
//! `personality`, `prctl` options, `fcntl` commands, terminal `ioctl` requests,
//! `AT_FDCWD`), and the other arguments by what [`seccompy_sys::signatures`] says
//! they are: file descriptors and signed numbers in decimal, pointers and flags in
//! hexadecimal, modes in octal. Only the bits the kernel reads are decoded; an
//! argument whose other bits are set shows its whole value too
//! (`AF_VSOCK (0x100000028)`). [`parse_arg`] reads such a name back.
//!
//! The constants are those of the kernel's UAPI headers. Where an architecture
//! gives a constant another value (MIPS's socket types and `open` flags, PowerPC's
//! terminal requests, ARM's `O_DIRECTORY`), the table of that ABI has it, or the
//! ABI has no table and the value is shown as a number.
//!
//! ```
//! use seccompy_bpf::decode::{format_call, parse_arg};
//! use seccompy_sys::syscalls::Abi;
//!
//! let socket = Abi::X86_64.syscall_nr("socket").unwrap();
//! let call = format_call(Abi::X86_64, socket, &[40, 1 | 0o2000000, 0, 0, 0, 0]);
//! assert_eq!(call, "socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)");
//! assert_eq!(parse_arg(Abi::X86_64, socket, 1, "SOCK_DGRAM|SOCK_NONBLOCK"), Some(2 | 0o4000));
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use seccompy_sys::signatures::{ArgKind, Param, TypeWidth, signature_of_nr};
use seccompy_sys::syscalls::Abi;

/// How an argument's value maps to names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// The bits that hold a choice among [`choices`](Self::choices) (0: none).
    pub choice_mask: u64,
    /// The named values of the bits under `choice_mask`.
    pub choices: &'static [(u64, &'static str)],
    /// Named single bits (or bit groups) outside `choice_mask`.
    pub flags: &'static [(u64, &'static str)],
    /// Whether the choice is written after the flags (`clone`'s exit signal).
    pub choice_last: bool,
}

const fn choice(choices: &'static [(u64, &'static str)]) -> Table {
    Table {
        choice_mask: u64::MAX,
        choices,
        flags: &[],
        choice_last: false,
    }
}

const AF: Table = choice(&[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (6, "AF_NETROM"),
    (7, "AF_BRIDGE"),
    (8, "AF_ATMPVC"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (11, "AF_ROSE"),
    (12, "AF_DECnet"),
    (13, "AF_NETBEUI"),
    (14, "AF_SECURITY"),
    (15, "AF_KEY"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (18, "AF_ASH"),
    (19, "AF_ECONET"),
    (20, "AF_ATMSVC"),
    (21, "AF_RDS"),
    (22, "AF_SNA"),
    (23, "AF_IRDA"),
    (24, "AF_PPPOX"),
    (25, "AF_WANPIPE"),
    (26, "AF_LLC"),
    (27, "AF_IB"),
    (28, "AF_MPLS"),
    (29, "AF_CAN"),
    (30, "AF_TIPC"),
    (31, "AF_BLUETOOTH"),
    (32, "AF_IUCV"),
    (33, "AF_RXRPC"),
    (34, "AF_ISDN"),
    (35, "AF_PHONET"),
    (36, "AF_IEEE802154"),
    (37, "AF_CAIF"),
    (38, "AF_ALG"),
    (39, "AF_NFC"),
    (40, "AF_VSOCK"),
    (41, "AF_KCM"),
    (42, "AF_QIPCRTR"),
    (43, "AF_SMC"),
    (44, "AF_XDP"),
    (45, "AF_MCTP"),
]);

/// `SOCK_*` types and the `SOCK_NONBLOCK`/`SOCK_CLOEXEC` flags (asm-generic's
/// `O_NONBLOCK` and `O_CLOEXEC`).
const SOCK_TYPE: Table = Table {
    choice_mask: 0xf,
    choices: &[
        (1, "SOCK_STREAM"),
        (2, "SOCK_DGRAM"),
        (3, "SOCK_RAW"),
        (4, "SOCK_RDM"),
        (5, "SOCK_SEQPACKET"),
        (6, "SOCK_DCCP"),
        (10, "SOCK_PACKET"),
    ],
    flags: &[(0o4000, "SOCK_NONBLOCK"), (0o2000000, "SOCK_CLOEXEC")],
    choice_last: false,
};

/// `O_*` flags of asm-generic (x86, s390, RISC-V, LoongArch, ...).
const OPEN: Table = Table {
    choice_mask: 3,
    choices: &[(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR")],
    flags: &[
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        // O_SYNC is __O_SYNC | O_DSYNC: named first, so that both bits go to it.
        (0o4010000, "O_SYNC"),
        (0o10000, "O_DSYNC"),
        (0o20000, "FASYNC"),
        (0o40000, "O_DIRECT"),
        (0o100000, "O_LARGEFILE"),
        (0o200000, "O_DIRECTORY"),
        (0o400000, "O_NOFOLLOW"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY.
        (0o20200000, "O_TMPFILE"),
        (0o10000000, "O_PATH"),
    ],
    choice_last: false,
};

/// `O_*` flags of ARM, AArch64, PowerPC and m68k: `O_DIRECTORY`, `O_NOFOLLOW`,
/// `O_DIRECT` and `O_LARGEFILE` move.
const OPEN_ARM: Table = Table {
    choice_mask: 3,
    choices: OPEN.choices,
    flags: &[
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o4010000, "O_SYNC"),
        (0o10000, "O_DSYNC"),
        (0o20000, "FASYNC"),
        (0o40000, "O_DIRECTORY"),
        (0o100000, "O_NOFOLLOW"),
        (0o200000, "O_DIRECT"),
        (0o400000, "O_LARGEFILE"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
        (0o20040000, "O_TMPFILE"),
        (0o10000000, "O_PATH"),
    ],
    choice_last: false,
};

/// `CLONE_*` flags (the low byte of `clone`'s flags is the exit signal).
const CLONE: Table = Table {
    choice_mask: 0,
    choices: &[],
    flags: &[
        (0x100, "CLONE_VM"),
        (0x200, "CLONE_FS"),
        (0x400, "CLONE_FILES"),
        (0x800, "CLONE_SIGHAND"),
        (0x1000, "CLONE_PIDFD"),
        (0x2000, "CLONE_PTRACE"),
        (0x4000, "CLONE_VFORK"),
        (0x8000, "CLONE_PARENT"),
        (0x10000, "CLONE_THREAD"),
        (0x20000, "CLONE_NEWNS"),
        (0x40000, "CLONE_SYSVSEM"),
        (0x80000, "CLONE_SETTLS"),
        (0x100000, "CLONE_PARENT_SETTID"),
        (0x200000, "CLONE_CHILD_CLEARTID"),
        (0x400000, "CLONE_DETACHED"),
        (0x800000, "CLONE_UNTRACED"),
        (0x1000000, "CLONE_CHILD_SETTID"),
        (0x2000000, "CLONE_NEWCGROUP"),
        (0x4000000, "CLONE_NEWUTS"),
        (0x8000000, "CLONE_NEWIPC"),
        (0x10000000, "CLONE_NEWUSER"),
        (0x20000000, "CLONE_NEWPID"),
        (0x40000000, "CLONE_NEWNET"),
        (0x80000000, "CLONE_IO"),
        (0x80, "CLONE_NEWTIME"),
    ],
    choice_last: false,
};

/// `clone`'s flags: `CLONE_*` and the exit signal in the low byte.
const CLONE_WITH_SIGNAL: Table = Table {
    choice_mask: 0xff,
    choices: &[(0, "0"), (17, "SIGCHLD")],
    flags: CLONE.flags,
    choice_last: true,
};

const PROT: Table = Table {
    choice_mask: 0,
    choices: &[],
    flags: &[
        (1, "PROT_READ"),
        (2, "PROT_WRITE"),
        (4, "PROT_EXEC"),
        (0x0100_0000, "PROT_GROWSDOWN"),
        (0x0200_0000, "PROT_GROWSUP"),
    ],
    choice_last: false,
};

const PERSONALITY: Table = Table {
    choice_mask: 0xff,
    choices: &[
        (0, "PER_LINUX"),
        (1, "PER_SVR4"),
        (2, "PER_SVR3"),
        (3, "PER_SCOSVR3"),
        (4, "PER_IRIX32"),
        (5, "PER_IRIXN32"),
        (6, "PER_IRIX64"),
        (7, "PER_RISCOS"),
        (8, "PER_LINUX32"),
        (0xf, "PER_HPUX"),
        (0x10, "PER_OSF4"),
    ],
    flags: &[
        (0x0020000, "UNAME26"),
        (0x0040000, "ADDR_NO_RANDOMIZE"),
        (0x0080000, "FDPIC_FUNCPTRS"),
        (0x0100000, "MMAP_PAGE_ZERO"),
        (0x0200000, "ADDR_COMPAT_LAYOUT"),
        (0x0400000, "READ_IMPLIES_EXEC"),
        (0x0800000, "ADDR_LIMIT_32BIT"),
        (0x1000000, "SHORT_INODE"),
        (0x2000000, "WHOLE_SECONDS"),
        (0x4000000, "STICKY_TIMEOUTS"),
        (0x8000000, "ADDR_LIMIT_3GB"),
    ],
    choice_last: false,
};

const PRCTL: Table = choice(&[
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (5, "PR_GET_UNALIGN"),
    (6, "PR_SET_UNALIGN"),
    (7, "PR_GET_KEEPCAPS"),
    (8, "PR_SET_KEEPCAPS"),
    (9, "PR_GET_FPEMU"),
    (10, "PR_SET_FPEMU"),
    (11, "PR_GET_FPEXC"),
    (12, "PR_SET_FPEXC"),
    (13, "PR_GET_TIMING"),
    (14, "PR_SET_TIMING"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (19, "PR_GET_ENDIAN"),
    (20, "PR_SET_ENDIAN"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (25, "PR_GET_TSC"),
    (26, "PR_SET_TSC"),
    (27, "PR_GET_SECUREBITS"),
    (28, "PR_SET_SECUREBITS"),
    (29, "PR_SET_TIMERSLACK"),
    (30, "PR_GET_TIMERSLACK"),
    (31, "PR_TASK_PERF_EVENTS_DISABLE"),
    (32, "PR_TASK_PERF_EVENTS_ENABLE"),
    (33, "PR_MCE_KILL"),
    (34, "PR_MCE_KILL_GET"),
    (35, "PR_SET_MM"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (40, "PR_GET_TID_ADDRESS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (45, "PR_SET_FP_MODE"),
    (46, "PR_GET_FP_MODE"),
    (47, "PR_CAP_AMBIENT"),
    (50, "PR_SVE_SET_VL"),
    (51, "PR_SVE_GET_VL"),
    (52, "PR_GET_SPECULATION_CTRL"),
    (53, "PR_SET_SPECULATION_CTRL"),
    (54, "PR_PAC_RESET_KEYS"),
    (55, "PR_SET_TAGGED_ADDR_CTRL"),
    (56, "PR_GET_TAGGED_ADDR_CTRL"),
    (57, "PR_SET_IO_FLUSHER"),
    (58, "PR_GET_IO_FLUSHER"),
    (59, "PR_SET_SYSCALL_USER_DISPATCH"),
    (62, "PR_SCHED_CORE"),
    (65, "PR_SET_MDWE"),
    (66, "PR_GET_MDWE"),
    (0x5356_4d41, "PR_SET_VMA"),
    (0x5961_6d61, "PR_SET_PTRACER"),
]);

/// `fcntl` commands with the same value on every architecture.
const FCNTL_COMMON: &[(u64, &str)] = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
];

const FCNTL: Table = choice(FCNTL_COMMON);

/// asm-generic's `fcntl` commands: the common ones and the locks, owners and
/// signals MIPS, SPARC, Alpha and PA-RISC number otherwise.
const FCNTL_GENERIC: Table = choice(&[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
]);

/// Terminal and file `ioctl` requests of asm-generic's `ioctls.h` (x86, ARM,
/// AArch64, s390, RISC-V, LoongArch, ...).
const IOCTL_GENERIC: Table = choice(&[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x5405, "TCGETA"),
    (0x5406, "TCSETA"),
    (0x5409, "TCSBRK"),
    (0x540A, "TCXONC"),
    (0x540B, "TCFLSH"),
    (0x540C, "TIOCEXCL"),
    (0x540D, "TIOCNXCL"),
    (0x540E, "TIOCSCTTY"),
    (0x540F, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5411, "TIOCOUTQ"),
    (0x5412, "TIOCSTI"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x5415, "TIOCMGET"),
    (0x541B, "FIONREAD"),
    (0x541C, "TIOCLINUX"),
    (0x541D, "TIOCCONS"),
    (0x5420, "TIOCPKT"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5429, "TIOCGSID"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x5460, "FIOQSIZE"),
    (0x8004_5430, "TIOCGPTN"),
    (0x4004_5431, "TIOCSPTLCK"),
    (0x5441, "TIOCGPTPEER"),
    (0x4004_9409, "FICLONE"),
    (0x4020_940d, "FICLONERANGE"),
]);

const AT_FDCWD: Table = choice(&[(0xffff_ff9c, "AT_FDCWD")]);

/// Which constants an ABI has for the tables whose values differ between
/// architectures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// asm-generic's values.
    Generic,
    /// ARM, AArch64, m68k: asm-generic but for `O_DIRECTORY` and its
    /// neighbours.
    Arm,
    /// PowerPC: ARM's `open` flags, its own terminal requests.
    Ppc,
    /// MIPS, SPARC, Alpha, PA-RISC: their own `open` flags, socket types,
    /// `fcntl` commands and terminal requests.
    Other,
}

const fn family(abi: Abi) -> Family {
    match abi {
        Abi::Aarch64 | Abi::Arm | Abi::Armeb | Abi::M68k => Family::Arm,
        Abi::Ppc | Abi::Ppc64 | Abi::Ppc64le => Family::Ppc,
        Abi::Mips
        | Abi::Mipsel
        | Abi::Mips64
        | Abi::Mipsel64
        | Abi::Mips64n32
        | Abi::Mipsel64n32
        | Abi::Sparc
        | Abi::Sparc64
        | Abi::Alpha
        | Abi::Parisc
        | Abi::Parisc64 => Family::Other,
        _ => Family::Generic,
    }
}

/// The table of argument `index` of syscall `name` on `abi`, if it has one.
#[must_use]
pub fn table(abi: Abi, name: &str, index: usize) -> Option<&'static Table> {
    let fam = family(abi);
    let generic = fam == Family::Generic;
    let open = match fam {
        Family::Generic => Some(&OPEN),
        Family::Arm | Family::Ppc => Some(&OPEN_ARM),
        Family::Other => None,
    };
    // s390's clone takes the stack first (CONFIG_CLONE_BACKWARDS2).
    let clone_flags = if matches!(abi, Abi::S390x) { 1 } else { 0 };
    match (name, index) {
        ("socket" | "socketpair", 0) => Some(&AF),
        ("socket" | "socketpair", 1) if fam != Family::Other => Some(&SOCK_TYPE),
        ("open", 1) | ("openat" | "open_by_handle_at", 2) => open,
        ("clone", i) if i == clone_flags => Some(&CLONE_WITH_SIGNAL),
        ("unshare", 0) | ("setns", 1) => Some(&CLONE),
        ("mmap" | "mmap2" | "mprotect" | "pkey_mprotect", 2) => Some(&PROT),
        ("personality", 0) => Some(&PERSONALITY),
        ("prctl", 0) => Some(&PRCTL),
        ("fcntl" | "fcntl64", 1) => Some(if generic || fam == Family::Arm {
            &FCNTL_GENERIC
        } else {
            &FCNTL
        }),
        ("ioctl", 1) if generic || fam == Family::Arm => Some(&IOCTL_GENERIC),
        _ => None,
    }
}

/// `value` with `table`'s names, or `None` when some of its bits have no
/// name (it is then better shown as a number).
fn names(table: &Table, value: u64) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let mut rest = value;
    let mut chosen_name = None;
    if table.choice_mask != 0 {
        let chosen = value & table.choice_mask;
        let (_, name) = table.choices.iter().find(|&&(v, _)| v == chosen)?;
        rest &= !table.choice_mask;
        if *name != "0" || table.flags.is_empty() || rest == 0 {
            chosen_name = Some(*name);
        }
    }
    if !table.choice_last {
        parts.extend(chosen_name);
    }
    for &(bits, name) in table.flags {
        if bits != 0 && rest & bits == bits {
            parts.push(name);
            rest &= !bits;
        }
    }
    if rest != 0 {
        return None;
    }
    if table.choice_last {
        parts.extend(chosen_name);
    }
    if parts.is_empty() {
        return Some("0".into());
    }
    Some(parts.join("|"))
}

/// The low `bits` bits of `value`.
const fn low(value: u64, bits: u32) -> u64 {
    if bits >= 64 {
        value
    } else {
        value & ((1 << bits) - 1)
    }
}

/// How many bits the kernel reads of a parameter on `abi` (64 without a
/// signature: all the filter sees).
fn read_bits(abi: Abi, param: Option<&Param>) -> u32 {
    match param {
        Some(p) => p.ty.kernel_bits(abi),
        None if seccompy_sys::signatures::has_64bit_registers(abi) => 64,
        None => 32,
    }
}

/// Argument `index` of syscall `nr` on `abi`, decoded (see the module).
#[must_use]
pub fn format_arg(abi: Abi, nr: u32, index: usize, value: u64) -> String {
    let name = abi.syscall_name(nr);
    let param = signature_of_nr(abi, nr).and_then(|s| s.params().get(index));
    let bits = read_bits(abi, param);
    let read = low(value, bits);
    let shown = shown(abi, name, index, param, read, bits);
    // A signed argument comes sign-extended in its register: that is no
    // extra bit.
    let extended = param.is_some_and(|p| p.ty.signed) && signed(read, bits) as u64 == value;
    if read == value || extended {
        shown
    } else {
        format!("{shown} ({value:#x})")
    }
}

/// The value the kernel reads, as text.
fn shown(
    abi: Abi,
    name: Option<&str>,
    index: usize,
    param: Option<&Param>,
    read: u64,
    bits: u32,
) -> String {
    if let Some(t) = name.and_then(|n| table(abi, n, index))
        && let Some(s) = names(t, read)
    {
        return s;
    }
    let Some(p) = param else {
        return hex(read);
    };
    match p.ty.kind {
        ArgKind::Fd if bits >= 32 && low(read, 32) == 0xffff_ff9c => {
            names(&AT_FDCWD, low(read, 32)).unwrap_or_default()
        }
        ArgKind::Fd | ArgKind::Integer | ArgKind::Enum => {
            if p.ty.signed {
                signed(read, bits).to_string()
            } else if read < 0x1_0000 {
                read.to_string()
            } else {
                hex(read)
            }
        }
        ArgKind::Mode => format!("0{read:o}"),
        ArgKind::Pointer | ArgKind::Flags => hex(read),
    }
}

/// `read` as a signed number of `bits` bits.
fn signed(read: u64, bits: u32) -> i64 {
    if bits >= 64 {
        read as i64
    } else {
        let shift = 64 - bits;
        ((read << shift) as i64) >> shift
    }
}

fn hex(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// The number of arguments syscall `nr` takes on `abi`: its signature's, or 6
/// without one.
#[must_use]
pub fn arg_count(abi: Abi, nr: u32) -> usize {
    signature_of_nr(abi, nr).map_or(6, |s| s.params().len())
}

/// The name of argument `index` of syscall `nr` on `abi`, from its signature.
#[must_use]
pub fn param_name(abi: Abi, nr: u32, index: usize) -> Option<&'static str> {
    signature_of_nr(abi, nr)?
        .params()
        .get(index)
        .map(|p| p.name)
}

/// Syscall `nr` of `abi` with its arguments decoded:
/// `socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)`. The name is `syscall_N`
/// for a number `abi`'s table does not have.
#[must_use]
pub fn format_call(abi: Abi, nr: u32, args: &[u64; 6]) -> String {
    let name = abi
        .syscall_name(nr)
        .map_or_else(|| format!("syscall_{nr}"), ToString::to_string);
    let shown: Vec<String> = args
        .iter()
        .take(arg_count(abi, nr))
        .enumerate()
        .map(|(i, &v)| format_arg(abi, nr, i, v))
        .collect();
    format!("{name}({})", shown.join(", "))
}

/// Reads the names of argument `index` of syscall `nr` on `abi` back: names of
/// its table joined by `|` (`SOCK_STREAM|SOCK_CLOEXEC`), each possibly a
/// number instead, or `AT_FDCWD` for a file descriptor. `None` if a part is no
/// name of the argument's table (numbers alone are for the caller to read).
#[must_use]
pub fn parse_arg(abi: Abi, nr: u32, index: usize, text: &str) -> Option<u64> {
    let name = abi.syscall_name(nr)?;
    let table = table(abi, name, index);
    let is_fd = signature_of_nr(abi, nr)
        .and_then(|s| s.params().get(index))
        .is_some_and(|p| p.ty.kind == ArgKind::Fd);
    let mut value = 0u64;
    for part in text.split('|').map(str::trim) {
        let named = table
            .iter()
            .flat_map(|t| t.choices.iter().chain(t.flags))
            .find(|&&(_, n)| n == part)
            .map(|&(v, _)| v);
        let v = match named {
            Some(v) => v,
            None if is_fd && part == "AT_FDCWD" => {
                if seccompy_sys::signatures::has_64bit_registers(abi) {
                    // An int: the kernel reads 32 bits; the caller's register
                    // holds it sign-extended.
                    (-100i64) as u64
                } else {
                    0xffff_ff9c
                }
            }
            None => parse_number(part)?,
        };
        value |= v;
    }
    Some(value)
}

/// Every name argument `index` of syscall `nr` on `abi` may be given with
/// ([`parse_arg`]): for suggestions.
#[must_use]
pub fn arg_names(abi: Abi, nr: u32, index: usize) -> Vec<&'static str> {
    let Some(name) = abi.syscall_name(nr) else {
        return Vec::new();
    };
    table(abi, name, index)
        .iter()
        .flat_map(|t| t.choices.iter().chain(t.flags))
        .map(|&(_, n)| n)
        .filter(|n| *n != "0")
        .collect()
}

/// A plain number: decimal, or `0x` hexadecimal.
fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `A = args[i].lo` comments: the parameter's name for argument `index` of
/// syscall `nr` on `abi`, as `disasm` shows it.
#[must_use]
pub fn arg_comment(abi: Abi, nr: u32, index: usize) -> Option<String> {
    let p = signature_of_nr(abi, nr)?.params().get(index)?;
    let width = match p.ty.width {
        TypeWidth::Bits8 => " (8-bit)",
        TypeWidth::Bits16 => " (16-bit)",
        TypeWidth::Bits32 if seccompy_sys::signatures::has_64bit_registers(abi) => " (32-bit)",
        _ => "",
    };
    Some(format!("{}{width}", p.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nr(abi: Abi, name: &str) -> u32 {
        abi.syscall_nr(name).unwrap()
    }

    #[test]
    fn calls_read_as_a_person_writes_them() {
        let x = Abi::X86_64;
        let call = |name: &str, args: [u64; 6]| format_call(x, nr(x, name), &args);
        assert_eq!(
            call("socket", [40, 1 | 0o2000000, 0, 0, 0, 0]),
            "socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)"
        );
        assert_eq!(
            call(
                "openat",
                [
                    (-100i64) as u64,
                    0x7fff_0000,
                    0o2000000 | 0o100 | 1,
                    0o644,
                    0,
                    0
                ]
            ),
            "openat(AT_FDCWD, 0x7fff0000, O_WRONLY|O_CREAT|O_CLOEXEC, 0644)"
        );
        assert_eq!(
            call("unshare", [0x1000_0000 | 0x2000_0000, 0, 0, 0, 0, 0]),
            "unshare(CLONE_NEWUSER|CLONE_NEWPID)"
        );
        assert_eq!(
            call("mprotect", [0x1000, 4096, 5, 0, 0, 0]),
            "mprotect(4096, 4096, PROT_READ|PROT_EXEC)"
        );
        assert_eq!(
            call("prctl", [38, 1, 0, 0, 0, 0]),
            "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)"
        );
        assert_eq!(
            call("personality", [0x0040000, 0, 0, 0, 0, 0]),
            "personality(PER_LINUX|ADDR_NO_RANDOMIZE)"
        );
        assert_eq!(
            call("ioctl", [1, 0x5412, 0x7ffc_0000, 0, 0, 0]),
            "ioctl(1, TIOCSTI, 0x7ffc0000)"
        );
        assert_eq!(call("fcntl", [3, 1, 0, 0, 0, 0]), "fcntl(3, F_GETFD, 0)");
        // clone has no signature: six arguments, the flags decoded.
        assert_eq!(
            call("clone", [0x0100_0000 | 0x0020_0000 | 17, 0, 0, 0, 0x10, 0]),
            "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, 0, 0, 0, 0x10, 0)"
        );
        // Bits the kernel ignores: decoded as it reads them, the value shown.
        assert_eq!(
            call("socket", [0x1_0000_0028, 1, 0, 0, 0, 0]),
            "socket(AF_VSOCK (0x100000028), SOCK_STREAM, 0)"
        );
        // Bits without a name: a number.
        assert_eq!(
            call("socket", [40, 0x100, 0, 0, 0, 0]),
            "socket(AF_VSOCK, 256, 0)"
        );
        assert_eq!(
            format_call(x, 9999, &[1, 2, 3, 4, 5, 6]),
            "syscall_9999(1, 2, 3, 4, 5, 6)"
        );
    }

    // Foreign ABIs' tables.
    #[test]
    #[cfg_attr(
        not(feature = "all-abis"),
        ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
    )]
    fn tables_follow_the_architecture() {
        // ARM's O_DIRECTORY is asm-generic's O_DIRECT.
        let openat = |abi: Abi| format_arg(abi, nr(abi, "openat"), 2, 0o40000);
        assert_eq!(openat(Abi::X86_64), "O_RDONLY|O_DIRECT");
        assert_eq!(openat(Abi::Aarch64), "O_RDONLY|O_DIRECTORY");
        // MIPS numbers socket types otherwise: no names rather than wrong ones.
        assert_eq!(format_arg(Abi::Mips, nr(Abi::Mips, "socket"), 1, 1), "1");
        // On i386 there is no high word.
        assert_eq!(
            format_arg(Abi::I386, nr(Abi::I386, "socket"), 0, 40),
            "AF_VSOCK"
        );
    }

    #[test]
    fn names_read_back() {
        let x = Abi::X86_64;
        let socket = nr(x, "socket");
        assert_eq!(parse_arg(x, socket, 0, "AF_VSOCK"), Some(40));
        assert_eq!(
            parse_arg(x, socket, 1, "SOCK_STREAM|SOCK_CLOEXEC"),
            Some(1 | 0o2000000)
        );
        assert_eq!(parse_arg(x, socket, 1, "SOCK_STREAM|0x100"), Some(0x101));
        assert_eq!(parse_arg(x, socket, 0, "AF_NOPE"), None);
        assert_eq!(
            parse_arg(x, nr(x, "openat"), 0, "AT_FDCWD"),
            Some((-100i64) as u64)
        );
        assert!(arg_names(x, socket, 0).contains(&"AF_INET6"));
        assert_eq!(param_name(x, socket, 0), Some("family"));
        assert_eq!(
            arg_comment(x, socket, 0).as_deref(),
            Some("family (32-bit)")
        );
        // Every name of every table reads back to its value.
        for name in [
            "socket",
            "openat",
            "unshare",
            "mmap",
            "personality",
            "prctl",
            "fcntl",
            "ioctl",
        ] {
            for i in 0..6 {
                if let Some(t) = table(x, name, i) {
                    for &(v, n) in t.choices.iter().chain(t.flags) {
                        if n != "0" {
                            assert_eq!(parse_arg(x, nr(x, name), i, n), Some(v), "{name} {n}");
                        }
                    }
                }
            }
        }
    }
}
