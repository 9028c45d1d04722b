//! Classic BPF: the instruction format and opcode fields that seccomp filters use.
//!
//! Where each item is defined:
//! - `linux/bpf_common.h`: the class, size, mode, operation and source fields, their
//!   accessor macros (`BPF_CLASS`, ...) and [`BPF_MAXINSNS`]. This header was split
//!   out of `linux/filter.h` when eBPF got its user-space API (Linux 3.18); the
//!   values themselves are older.
//! - `linux/filter.h`: [`sock_filter`], [`sock_fprog`], the `BPF_STMT`/`BPF_JUMP`
//!   macros, [`BPF_A`], [`BPF_TAX`], [`BPF_TXA`], `BPF_RVAL`, `BPF_MISCOP` and
//!   [`BPF_MEMWORDS`].
//!
//! Every item predates Linux 2.6.12 (where the kernel's git history starts), except
//! [`BPF_MOD`] and [`BPF_XOR`] (Linux 3.7). Seccomp filters use classic BPF since
//! Linux 3.5, and accept only a subset of it: loads are 32-bit, aligned and within
//! `struct seccomp_data` (`BPF_ABS` or `BPF_LEN`), never `BPF_IND` or `BPF_MSH`.
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
//! - [`bpf(4)`-style documentation in the kernel tree](https://www.kernel.org/doc/html/latest/networking/filter.html)

/// One classic BPF instruction (`struct sock_filter` in `linux/filter.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct sock_filter {
    /// Opcode: class, size/operation, mode/source bits.
    pub code: u16,
    /// Jump offset when the condition is true (relative to the next instruction).
    pub jt: u8,
    /// Jump offset when the condition is false (relative to the next instruction).
    pub jf: u8,
    /// The generic multi-use field: constant, offset or jump distance.
    pub k: u32,
}

/// A classic BPF program as passed to the kernel (`struct sock_fprog` in `linux/filter.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct sock_fprog {
    /// Number of instructions in `filter`.
    pub len: u16,
    /// Pointer to the first instruction.
    pub filter: *mut sock_filter,
}

/// Builds a non-jump instruction (the `BPF_STMT` macro of `linux/filter.h`).
#[doc(alias = "BPF_STMT")]
#[must_use]
pub const fn bpf_stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// Builds a jump instruction (the `BPF_JUMP` macro of `linux/filter.h`).
#[doc(alias = "BPF_JUMP")]
#[must_use]
pub const fn bpf_jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// The instruction class of an opcode (`BPF_CLASS`).
#[doc(alias = "BPF_CLASS")]
#[must_use]
pub const fn bpf_class(code: u16) -> u16 {
    code & 0x07
}
/// The size field of a load or store opcode (`BPF_SIZE`).
#[doc(alias = "BPF_SIZE")]
#[must_use]
pub const fn bpf_size(code: u16) -> u16 {
    code & 0x18
}
/// The addressing-mode field of a load or store opcode (`BPF_MODE`).
#[doc(alias = "BPF_MODE")]
#[must_use]
pub const fn bpf_mode(code: u16) -> u16 {
    code & 0xe0
}
/// The operation field of an ALU or jump opcode (`BPF_OP`).
#[doc(alias = "BPF_OP")]
#[must_use]
pub const fn bpf_op(code: u16) -> u16 {
    code & 0xf0
}
/// The source field of an ALU or jump opcode (`BPF_SRC`).
#[doc(alias = "BPF_SRC")]
#[must_use]
pub const fn bpf_src(code: u16) -> u16 {
    code & 0x08
}
/// The return-value source of a `BPF_RET` opcode (`BPF_RVAL`).
#[doc(alias = "BPF_RVAL")]
#[must_use]
pub const fn bpf_rval(code: u16) -> u16 {
    code & 0x18
}
/// The operation of a `BPF_MISC` opcode (`BPF_MISCOP`).
#[doc(alias = "BPF_MISCOP")]
#[must_use]
pub const fn bpf_miscop(code: u16) -> u16 {
    code & 0xf8
}

/// Class: load into the accumulator A.
pub const BPF_LD: u16 = 0x00;
/// Class: load into the index register X.
pub const BPF_LDX: u16 = 0x01;
/// Class: store A into a scratch memory slot.
pub const BPF_ST: u16 = 0x02;
/// Class: store X into a scratch memory slot.
pub const BPF_STX: u16 = 0x03;
/// Class: arithmetic and logic on A.
pub const BPF_ALU: u16 = 0x04;
/// Class: jumps.
pub const BPF_JMP: u16 = 0x05;
/// Class: return from the program.
pub const BPF_RET: u16 = 0x06;
/// Class: miscellaneous register transfers (TAX, TXA).
pub const BPF_MISC: u16 = 0x07;

/// Size: 32-bit word.
pub const BPF_W: u16 = 0x00;
/// Size: 16-bit half word.
pub const BPF_H: u16 = 0x08;
/// Size: byte.
pub const BPF_B: u16 = 0x10;

/// Mode: immediate constant `k`.
pub const BPF_IMM: u16 = 0x00;
/// Mode: absolute offset `k` into the input (`seccomp_data` for seccomp).
pub const BPF_ABS: u16 = 0x20;
/// Mode: offset `X + k` into the input (rejected by seccomp).
pub const BPF_IND: u16 = 0x40;
/// Mode: scratch memory slot `k`.
pub const BPF_MEM: u16 = 0x60;
/// Mode: length of the input (`sizeof(struct seccomp_data)` for seccomp).
pub const BPF_LEN: u16 = 0x80;
/// Mode: IP header length helper (rejected by seccomp).
pub const BPF_MSH: u16 = 0xa0;

/// ALU op: addition.
pub const BPF_ADD: u16 = 0x00;
/// ALU op: subtraction.
pub const BPF_SUB: u16 = 0x10;
/// ALU op: multiplication.
pub const BPF_MUL: u16 = 0x20;
/// ALU op: unsigned division.
pub const BPF_DIV: u16 = 0x30;
/// ALU op: bitwise or.
pub const BPF_OR: u16 = 0x40;
/// ALU op: bitwise and.
pub const BPF_AND: u16 = 0x50;
/// ALU op: left shift.
pub const BPF_LSH: u16 = 0x60;
/// ALU op: logical right shift.
pub const BPF_RSH: u16 = 0x70;
/// ALU op: negation (unary).
pub const BPF_NEG: u16 = 0x80;
/// ALU op: unsigned remainder (Linux 3.7).
pub const BPF_MOD: u16 = 0x90;
/// ALU op: bitwise exclusive or (Linux 3.7).
pub const BPF_XOR: u16 = 0xa0;

/// Jump op: unconditional jump by `k`.
pub const BPF_JA: u16 = 0x00;
/// Jump op: `A == src`.
pub const BPF_JEQ: u16 = 0x10;
/// Jump op: `A > src` (unsigned).
pub const BPF_JGT: u16 = 0x20;
/// Jump op: `A >= src` (unsigned).
pub const BPF_JGE: u16 = 0x30;
/// Jump op: `A & src != 0`.
pub const BPF_JSET: u16 = 0x40;

/// Source: the constant `k`.
pub const BPF_K: u16 = 0x00;
/// Source: the index register X.
pub const BPF_X: u16 = 0x08;

/// Return value source: the accumulator A.
pub const BPF_A: u16 = 0x10;

/// Misc op: copy A into X.
pub const BPF_TAX: u16 = 0x00;
/// Misc op: copy X into A.
pub const BPF_TXA: u16 = 0x80;

/// The most instructions one classic BPF program may have.
pub const BPF_MAXINSNS: usize = 4096;
/// The number of 32-bit scratch memory slots (`M[0]` to `M[15]`).
pub const BPF_MEMWORDS: usize = 16;
