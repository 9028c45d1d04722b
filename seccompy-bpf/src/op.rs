//! Decoded instructions: the classic BPF a seccomp filter may use, read once
//! from a `sock_filter` into an [`Op`] that every reader of programs (the
//! validator, the emulator, the disassembler, the cache and outcome analyses,
//! the lints) matches on instead of opcode bits, and [`InsnError`], the one
//! error for an instruction the kernel refuses.
//!
//! [`Op::decode`] accepts exactly the opcodes `seccomp_check_filter` accepts
//! (the [`SECCOMP_OPCODES`]) with the constants the kernel accepts for them;
//! [`Op::decode_opcode`] checks the opcode only, for tools that show or analyse
//! programs the kernel would refuse. [`Op::encode`] gives the instruction back,
//! with the fields the opcode ignores set to 0 (its canonical form).
//!
//! ```
//! use seccompy_bpf::op::{Cond, InsnError, Op, Src};
//! use seccompy_sys::*;
//!
//! let insn = bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1);
//! let op = Op::decode(&insn).unwrap();
//! assert_eq!(op, Op::Jump { cond: Cond::Eq, src: Src::K(39), jt: 0, jf: 1 });
//! assert_eq!(op.encode(), insn);
//! let half = bpf_stmt(BPF_LD | BPF_H | BPF_ABS, 0);
//! assert_eq!(Op::decode(&half), Err(InsnError::NotForSeccomp { code: half.code }));
//! ```
//!
//! # References
//! - the kernel's `seccomp_check_filter` (`kernel/seccomp.c`) and
//!   `bpf_check_classic` (`net/core/filter.c`)
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use seccompy_sys::*;

use crate::emulate::SECCOMP_DATA_SIZE;
use crate::program::Insn;

/// A register: the accumulator `A` or the index register `X`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    /// The accumulator.
    A,
    /// The index register.
    X,
}

/// The source operand of an ALU operation or a conditional jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Src {
    /// The constant `k` (`BPF_K`).
    K(u32),
    /// The index register (`BPF_X`; `k` is ignored).
    X,
}

/// An ALU operation with a source operand: `A = A op src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// `BPF_ADD`.
    Add,
    /// `BPF_SUB`.
    Sub,
    /// `BPF_MUL`.
    Mul,
    /// `BPF_DIV`.
    Div,
    /// `BPF_OR`.
    Or,
    /// `BPF_AND`.
    And,
    /// `BPF_LSH`.
    Lsh,
    /// `BPF_RSH`.
    Rsh,
    /// `BPF_XOR`.
    Xor,
    /// `BPF_MOD`: classic BPF that seccomp refuses. [`Op::decode`] and
    /// [`Op::decode_opcode`] never give it; [`Op::decode_classic_alu`] does, for
    /// tools that show such programs.
    Mod,
}

impl AluOp {
    /// Every operation, in opcode order.
    pub const ALL: [AluOp; 10] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::Or,
        AluOp::And,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Mod,
        AluOp::Xor,
    ];

    /// The `BPF_*` operation bits.
    #[must_use]
    pub const fn bits(self) -> u16 {
        match self {
            AluOp::Add => BPF_ADD,
            AluOp::Sub => BPF_SUB,
            AluOp::Mul => BPF_MUL,
            AluOp::Div => BPF_DIV,
            AluOp::Or => BPF_OR,
            AluOp::And => BPF_AND,
            AluOp::Lsh => BPF_LSH,
            AluOp::Rsh => BPF_RSH,
            AluOp::Xor => BPF_XOR,
            AluOp::Mod => BPF_MOD,
        }
    }
}

/// The test of a conditional jump: `A cond src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `BPF_JEQ`: `A == src`.
    Eq,
    /// `BPF_JGT`: `A > src` (unsigned).
    Gt,
    /// `BPF_JGE`: `A >= src` (unsigned).
    Ge,
    /// `BPF_JSET`: `A & src != 0`.
    Set,
}

impl Cond {
    /// Every test, in opcode order.
    pub const ALL: [Cond; 4] = [Cond::Eq, Cond::Gt, Cond::Ge, Cond::Set];

    /// The `BPF_*` operation bits.
    #[must_use]
    pub const fn bits(self) -> u16 {
        match self {
            Cond::Eq => BPF_JEQ,
            Cond::Gt => BPF_JGT,
            Cond::Ge => BPF_JGE,
            Cond::Set => BPF_JSET,
        }
    }

    /// Whether the test holds for `a` and `src`.
    #[must_use]
    pub const fn holds(self, a: u32, src: u32) -> bool {
        match self {
            Cond::Eq => a == src,
            Cond::Gt => a > src,
            Cond::Ge => a >= src,
            Cond::Set => a & src != 0,
        }
    }
}

/// One instruction of a seccomp filter, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `A = ` the 32-bit word at offset `k` of `seccomp_data`
    /// (`BPF_LD | BPF_W | BPF_ABS`).
    LoadAbs(u32),
    /// The register `= 64`, the length of `seccomp_data` (`BPF_W | BPF_LEN`).
    LoadLen(Reg),
    /// The register `= k` (`BPF_IMM`).
    LoadImm(Reg, u32),
    /// The register `= M[k]` (`BPF_MEM`).
    LoadMem(Reg, u32),
    /// `M[k] =` the register (`BPF_ST`, `BPF_STX`).
    Store(Reg, u32),
    /// `X = A` (`BPF_MISC | BPF_TAX`).
    Tax,
    /// `A = X` (`BPF_MISC | BPF_TXA`).
    Txa,
    /// `A = -A` (`BPF_ALU | BPF_NEG`).
    Neg,
    /// `A = A op src`.
    Alu(AluOp, Src),
    /// Jump `k` instructions forward (`BPF_JMP | BPF_JA`).
    Ja(u32),
    /// Jump `jt` instructions forward if `A cond src` holds, else `jf`.
    Jump {
        /// The test.
        cond: Cond,
        /// What `A` is compared with.
        src: Src,
        /// The offset when the test holds.
        jt: u8,
        /// The offset when it does not.
        jf: u8,
    },
    /// Return the constant `k` (`BPF_RET | BPF_K`).
    RetK(u32),
    /// Return `A` (`BPF_RET | BPF_A`).
    RetA,
}

/// Why the kernel refuses an instruction of a seccomp filter. The messages
/// follow `instruction N: ` in [`ValidateError`](crate::validate::ValidateError)
/// and [`EmulateError`](crate::emulate::EmulateError).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InsnError {
    /// An opcode that is not classic BPF at all.
    #[error("{code:#06x} is not a classic BPF opcode")]
    UnknownOpcode {
        /// The opcode.
        code: u16,
    },
    /// A classic BPF opcode that seccomp filters may not use (`BPF_MOD`, byte and
    /// half-word loads, `BPF_IND` and `BPF_MSH` loads).
    #[error("opcode {code:#06x} is classic BPF but not allowed in a seccomp filter")]
    NotForSeccomp {
        /// The opcode.
        code: u16,
    },
    /// A word load at an offset past `seccomp_data` or not a multiple of 4.
    #[error("load at offset {offset} is outside seccomp_data (64 bytes) or not 4-byte aligned")]
    BadLoad {
        /// The offset `k`.
        offset: u32,
    },
    /// A division by the constant 0.
    #[error("division by the constant 0")]
    DivisionByZero,
    /// A shift by a constant of 32 or more.
    #[error("shift by the constant {k}, 32 or more")]
    ShiftTooFar {
        /// The shift amount.
        k: u32,
    },
    /// A scratch slot index of 16 or more.
    #[error("scratch slot M[{slot}] does not exist (there are 16)")]
    BadScratchSlot {
        /// The slot index `k`.
        slot: u32,
    },
    /// A jump whose target is past the last instruction.
    #[error("jump to instruction {target}, past the end of the program (length {len})")]
    JumpOutOfRange {
        /// Index of the target (`pc + 1 + offset`).
        target: u64,
        /// The program's length.
        len: usize,
    },
    /// A load of a scratch slot that may not have been written.
    #[error("M[{slot}] may be read before anything is stored in it")]
    UninitializedScratch {
        /// The slot index.
        slot: u32,
    },
}

/// Every opcode the kernel accepts in a seccomp filter, sorted: what
/// [`Op::decode_opcode`] accepts.
pub const SECCOMP_OPCODES: &[u16] = &[
    BPF_LD | BPF_IMM,
    BPF_LDX | BPF_IMM,
    BPF_ST,
    BPF_STX,
    BPF_ALU | BPF_ADD | BPF_K,
    BPF_JMP | BPF_JA,
    BPF_RET | BPF_K,
    BPF_MISC | BPF_TAX,
    BPF_ALU | BPF_ADD | BPF_X,
    BPF_ALU | BPF_SUB | BPF_K,
    BPF_JMP | BPF_JEQ | BPF_K,
    BPF_RET | BPF_A,
    BPF_ALU | BPF_SUB | BPF_X,
    BPF_JMP | BPF_JEQ | BPF_X,
    BPF_LD | BPF_W | BPF_ABS,
    BPF_ALU | BPF_MUL | BPF_K,
    BPF_JMP | BPF_JGT | BPF_K,
    BPF_ALU | BPF_MUL | BPF_X,
    BPF_JMP | BPF_JGT | BPF_X,
    BPF_ALU | BPF_DIV | BPF_K,
    BPF_JMP | BPF_JGE | BPF_K,
    BPF_ALU | BPF_DIV | BPF_X,
    BPF_JMP | BPF_JGE | BPF_X,
    BPF_ALU | BPF_OR | BPF_K,
    BPF_JMP | BPF_JSET | BPF_K,
    BPF_ALU | BPF_OR | BPF_X,
    BPF_JMP | BPF_JSET | BPF_X,
    BPF_ALU | BPF_AND | BPF_K,
    BPF_ALU | BPF_AND | BPF_X,
    BPF_LD | BPF_MEM,
    BPF_LDX | BPF_MEM,
    BPF_ALU | BPF_LSH | BPF_K,
    BPF_ALU | BPF_LSH | BPF_X,
    BPF_ALU | BPF_RSH | BPF_K,
    BPF_ALU | BPF_RSH | BPF_X,
    BPF_LD | BPF_W | BPF_LEN,
    BPF_LDX | BPF_W | BPF_LEN,
    BPF_ALU | BPF_NEG,
    BPF_MISC | BPF_TXA,
    BPF_ALU | BPF_XOR | BPF_K,
    BPF_ALU | BPF_XOR | BPF_X,
];

/// The classic BPF opcodes the kernel knows for socket filters but refuses in
/// seccomp filters, sorted.
pub const SOCKET_ONLY_OPCODES: &[u16] = &[
    BPF_LD | BPF_H | BPF_ABS,
    BPF_LD | BPF_B | BPF_ABS,
    BPF_LD | BPF_W | BPF_IND,
    BPF_LD | BPF_H | BPF_IND,
    BPF_LD | BPF_B | BPF_IND,
    BPF_ALU | BPF_MOD | BPF_K,
    BPF_ALU | BPF_MOD | BPF_X,
    BPF_LDX | BPF_B | BPF_MSH,
];

/// Whether seccomp filters may use opcode `code` (ignoring `k`: see
/// [`Op::decode`] for the checks on it).
#[must_use]
pub fn is_seccomp_opcode(code: u16) -> bool {
    SECCOMP_OPCODES.contains(&code)
}

/// The register a load or store class names.
const fn reg_of(class: u16) -> Reg {
    if class == BPF_LD || class == BPF_ST {
        Reg::A
    } else {
        Reg::X
    }
}

/// The source an opcode's `BPF_X` bit names.
const fn src_of(code: u16, k: u32) -> Src {
    if bpf_src(code) == BPF_X {
        Src::X
    } else {
        Src::K(k)
    }
}

impl Op {
    /// Decodes `insn` as the kernel checks it alone: its opcode is one seccomp
    /// accepts and its constant one the kernel accepts for it (a load inside
    /// `seccomp_data`, a scratch slot below 16, no division by the constant 0,
    /// no shift by a constant of 32 or more). Whether jumps stay inside the
    /// program and scratch slots are written before they are read depends on
    /// the program: see [`validate`](crate::validate::validate).
    pub fn decode(insn: &Insn) -> Result<Op, InsnError> {
        let op = Op::decode_opcode(insn)?;
        op.check_constant()?;
        Ok(op)
    }

    /// Decodes `insn`'s opcode, taking its constant as it is (a load at offset
    /// 64 decodes as `LoadAbs(64)`). The fields the opcode ignores are not
    /// looked at: [`encode`](Op::encode) sets them to 0.
    pub fn decode_opcode(insn: &Insn) -> Result<Op, InsnError> {
        let (code, k) = (insn.code, insn.k);
        if !is_seccomp_opcode(code) {
            return Err(if SOCKET_ONLY_OPCODES.contains(&code) {
                InsnError::NotForSeccomp { code }
            } else {
                InsnError::UnknownOpcode { code }
            });
        }
        let class = bpf_class(code);
        Ok(match class {
            BPF_LD | BPF_LDX => match bpf_mode(code) {
                BPF_ABS => Op::LoadAbs(k),
                BPF_LEN => Op::LoadLen(reg_of(class)),
                BPF_IMM => Op::LoadImm(reg_of(class), k),
                _ => Op::LoadMem(reg_of(class), k),
            },
            BPF_ST | BPF_STX => Op::Store(reg_of(class), k),
            BPF_RET if bpf_rval(code) == BPF_A => Op::RetA,
            BPF_RET => Op::RetK(k),
            BPF_MISC if bpf_miscop(code) == BPF_TAX => Op::Tax,
            BPF_MISC => Op::Txa,
            BPF_JMP => match Cond::ALL.into_iter().find(|c| c.bits() == bpf_op(code)) {
                Some(cond) => Op::Jump {
                    cond,
                    src: src_of(code, k),
                    jt: insn.jt,
                    jf: insn.jf,
                },
                None => Op::Ja(k),
            },
            _ => match AluOp::ALL.into_iter().find(|o| o.bits() == bpf_op(code)) {
                Some(op) => Op::Alu(op, src_of(code, k)),
                None => Op::Neg,
            },
        })
    }

    /// Decodes an ALU instruction with a source operand whose opcode is
    /// classic BPF, `BPF_MOD` included (which seccomp refuses), for tools that
    /// show such programs; `None` for any other opcode.
    #[must_use]
    pub fn decode_classic_alu(insn: &Insn) -> Option<Op> {
        let code = insn.code;
        if code & !(0xf0 | BPF_X) != BPF_ALU {
            return None;
        }
        let op = AluOp::ALL.into_iter().find(|o| o.bits() == bpf_op(code))?;
        Some(Op::Alu(op, src_of(code, insn.k)))
    }

    /// The kernel's checks on the constant of an instruction whose opcode
    /// decoded.
    pub fn check_constant(self) -> Result<(), InsnError> {
        match self {
            Op::LoadAbs(k) if k >= SECCOMP_DATA_SIZE || k & 3 != 0 => {
                Err(InsnError::BadLoad { offset: k })
            }
            Op::Alu(AluOp::Div, Src::K(0)) => Err(InsnError::DivisionByZero),
            Op::Alu(AluOp::Lsh | AluOp::Rsh, Src::K(k)) if k >= 32 => {
                Err(InsnError::ShiftTooFar { k })
            }
            Op::LoadMem(_, k) | Op::Store(_, k) if k as usize >= BPF_MEMWORDS => {
                Err(InsnError::BadScratchSlot { slot: k })
            }
            _ => Ok(()),
        }
    }

    /// The opcode.
    #[must_use]
    pub const fn code(self) -> u16 {
        const fn src(s: Src) -> u16 {
            match s {
                Src::K(_) => BPF_K,
                Src::X => BPF_X,
            }
        }
        const fn class(reg: Reg, a: u16, x: u16) -> u16 {
            match reg {
                Reg::A => a,
                Reg::X => x,
            }
        }
        match self {
            Op::LoadAbs(_) => BPF_LD | BPF_W | BPF_ABS,
            Op::LoadLen(r) => class(r, BPF_LD, BPF_LDX) | BPF_W | BPF_LEN,
            Op::LoadImm(r, _) => class(r, BPF_LD, BPF_LDX) | BPF_IMM,
            Op::LoadMem(r, _) => class(r, BPF_LD, BPF_LDX) | BPF_MEM,
            Op::Store(r, _) => class(r, BPF_ST, BPF_STX),
            Op::Tax => BPF_MISC | BPF_TAX,
            Op::Txa => BPF_MISC | BPF_TXA,
            Op::Neg => BPF_ALU | BPF_NEG,
            Op::Alu(op, s) => BPF_ALU | op.bits() | src(s),
            Op::Ja(_) => BPF_JMP | BPF_JA,
            Op::Jump { cond, src: s, .. } => BPF_JMP | cond.bits() | src(s),
            Op::RetK(_) => BPF_RET | BPF_K,
            Op::RetA => BPF_RET | BPF_A,
        }
    }

    /// The instruction, with the fields the opcode ignores set to 0:
    /// `Op::decode_opcode(&op.encode()) == Ok(op)` for every `op` but
    /// [`AluOp::Mod`].
    #[must_use]
    pub const fn encode(self) -> Insn {
        let k = match self {
            Op::LoadAbs(k)
            | Op::LoadImm(_, k)
            | Op::LoadMem(_, k)
            | Op::Store(_, k)
            | Op::Alu(_, Src::K(k))
            | Op::Ja(k)
            | Op::Jump { src: Src::K(k), .. }
            | Op::RetK(k) => k,
            _ => 0,
        };
        let (jt, jf) = match self {
            Op::Jump { jt, jf, .. } => (jt, jf),
            _ => (0, 0),
        };
        Insn {
            code: self.code(),
            jt,
            jf,
            k,
        }
    }

    /// Where control may go after this instruction.
    #[must_use]
    pub const fn flow(self) -> Flow {
        match self {
            Op::RetA | Op::RetK(_) => Flow::Return,
            Op::Ja(k) => Flow::Goto(k),
            Op::Jump { jt, jf, .. } => Flow::Branch { jt, jf },
            _ => Flow::Next,
        }
    }
}

/// Where control may go after an instruction, as offsets from the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// To the next instruction.
    Next,
    /// Nowhere: the program returns.
    Return,
    /// `k` instructions past the next one, always.
    Goto(u32),
    /// `jt` or `jf` instructions past the next one.
    Branch {
        /// The offset when the test holds.
        jt: u8,
        /// The offset when it does not.
        jf: u8,
    },
}

impl Flow {
    /// The flow of any instruction, even one the kernel refuses, by its class
    /// alone: `BPF_RET` returns, `BPF_JMP | BPF_JA` goes to `k`, any other
    /// `BPF_JMP` opcode branches, anything else goes on. For an instruction
    /// that decodes this is [`Op::flow`].
    #[must_use]
    pub const fn of(insn: &Insn) -> Flow {
        match bpf_class(insn.code) {
            BPF_RET => Flow::Return,
            BPF_JMP if insn.code == BPF_JMP | BPF_JA => Flow::Goto(insn.k),
            BPF_JMP => Flow::Branch {
                jt: insn.jt,
                jf: insn.jf,
            },
            _ => Flow::Next,
        }
    }
}

/// The C name of any opcode, valid or not, as `<linux/filter.h>` spells it (`BPF_LD | BPF_W | BPF_ABS`), or its hexadecimal value
/// when the names cannot spell it exactly.
pub fn c_opcode(code: u16) -> String {
    let class = bpf_class(code);
    let (class_name, parts): (&str, Vec<(&str, u16)>) = match class {
        BPF_LD | BPF_LDX => {
            let size = match bpf_size(code) {
                BPF_W => ("BPF_W", BPF_W),
                BPF_H => ("BPF_H", BPF_H),
                BPF_B => ("BPF_B", BPF_B),
                _ => return format!("{code:#06x}"),
            };
            let mode = match bpf_mode(code) {
                BPF_IMM => ("BPF_IMM", BPF_IMM),
                BPF_ABS => ("BPF_ABS", BPF_ABS),
                BPF_IND => ("BPF_IND", BPF_IND),
                BPF_MEM => ("BPF_MEM", BPF_MEM),
                BPF_LEN => ("BPF_LEN", BPF_LEN),
                BPF_MSH => ("BPF_MSH", BPF_MSH),
                _ => return format!("{code:#06x}"),
            };
            let name = if class == BPF_LD { "BPF_LD" } else { "BPF_LDX" };
            (name, alloc::vec![size, mode])
        }
        BPF_ST => ("BPF_ST", Vec::new()),
        BPF_STX => ("BPF_STX", Vec::new()),
        BPF_ALU => {
            let op = match bpf_op(code) {
                BPF_ADD => "BPF_ADD",
                BPF_SUB => "BPF_SUB",
                BPF_MUL => "BPF_MUL",
                BPF_DIV => "BPF_DIV",
                BPF_OR => "BPF_OR",
                BPF_AND => "BPF_AND",
                BPF_LSH => "BPF_LSH",
                BPF_RSH => "BPF_RSH",
                BPF_NEG => "BPF_NEG",
                BPF_MOD => "BPF_MOD",
                BPF_XOR => "BPF_XOR",
                _ => return format!("{code:#06x}"),
            };
            ("BPF_ALU", alloc::vec![(op, bpf_op(code)), c_src(code)])
        }
        BPF_JMP => {
            let op = match bpf_op(code) {
                BPF_JA => "BPF_JA",
                BPF_JEQ => "BPF_JEQ",
                BPF_JGT => "BPF_JGT",
                BPF_JGE => "BPF_JGE",
                BPF_JSET => "BPF_JSET",
                _ => return format!("{code:#06x}"),
            };
            let mut parts = alloc::vec![(op, bpf_op(code))];
            if bpf_op(code) != BPF_JA {
                parts.push(c_src(code));
            }
            ("BPF_JMP", parts)
        }
        BPF_RET => {
            let rval = match bpf_rval(code) {
                BPF_K => ("BPF_K", BPF_K),
                BPF_X => ("BPF_X", BPF_X),
                BPF_A => ("BPF_A", BPF_A),
                _ => return format!("{code:#06x}"),
            };
            ("BPF_RET", alloc::vec![rval])
        }
        _ => {
            let op = match bpf_miscop(code) {
                BPF_TAX => ("BPF_TAX", BPF_TAX),
                BPF_TXA => ("BPF_TXA", BPF_TXA),
                _ => return format!("{code:#06x}"),
            };
            ("BPF_MISC", alloc::vec![op])
        }
    };
    // Only names that add up to the exact opcode: any other bit set means the
    // value is shown raw.
    let value = parts.iter().fold(class, |v, &(_, bits)| v | bits);
    if value != code {
        return format!("{code:#06x}");
    }
    let mut s = class_name.to_string();
    for (name, _) in parts {
        s.push_str(" | ");
        s.push_str(name);
    }
    s
}

/// `BPF_K` or `BPF_X`.
fn c_src(code: u16) -> (&'static str, u16) {
    if bpf_src(code) == BPF_X {
        ("BPF_X", BPF_X)
    } else {
        ("BPF_K", BPF_K)
    }
}

/// Whether an instruction needs `BPF_JUMP` (it has jump offsets).
const fn is_c_jump(insn: &Insn) -> bool {
    insn.jt != 0 || insn.jf != 0 || (bpf_class(insn.code) == BPF_JMP && bpf_op(insn.code) != BPF_JA)
}

/// The instruction as C writes it with `<linux/filter.h>`'s macros:
/// `BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0x4)`, or `BPF_JUMP(...)` with its
/// offsets when it has any or is a jump; opcodes the names cannot spell
/// exactly are hexadecimal.
#[must_use]
pub fn c_macro(insn: &Insn) -> String {
    let code = c_opcode(insn.code);
    if is_c_jump(insn) {
        format!("BPF_JUMP({code}, {:#x}, {}, {})", insn.k, insn.jt, insn.jf)
    } else {
        format!("BPF_STMT({code}, {:#x})", insn.k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn every_seccomp_opcode_round_trips() {
        assert!(SECCOMP_OPCODES.windows(2).all(|w| w[0] < w[1]));
        assert!(SOCKET_ONLY_OPCODES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(SECCOMP_OPCODES.len(), 41);
        let mut ops = Vec::new();
        for &code in SECCOMP_OPCODES {
            // Canonical fields: a constant every opcode accepts, offsets on jumps.
            let jump = bpf_class(code) == BPF_JMP && code != BPF_JMP | BPF_JA;
            let x_or_none = bpf_src(code) == BPF_X && bpf_class(code) != BPF_LD
                || matches!(
                    code,
                    c if c == BPF_ALU | BPF_NEG
                        || c == BPF_MISC | BPF_TAX
                        || c == BPF_MISC | BPF_TXA
                        || c == BPF_RET | BPF_A
                        || c == BPF_LD | BPF_W | BPF_LEN
                        || c == BPF_LDX | BPF_W | BPF_LEN
                );
            let k = if x_or_none { 0 } else { 4 };
            let insn = if jump {
                bpf_jump(code, k, 2, 3)
            } else {
                bpf_stmt(code, k)
            };
            let op = Op::decode(&insn).unwrap_or_else(|e| panic!("{code:#x}: {e}"));
            assert_eq!(op.code(), code);
            assert_eq!(op.encode(), insn, "{op:?}");
            assert_eq!(Op::decode_opcode(&op.encode()), Ok(op));
            assert_eq!(op.flow(), Flow::of(&insn), "{op:?}");
            ops.push(op);
        }
        // Forty-one different meanings.
        for (i, a) in ops.iter().enumerate() {
            assert!(!ops[i + 1..].contains(a), "{a:?} twice");
        }
    }

    #[test]
    fn every_other_opcode_is_refused_with_its_reason() {
        for code in 0..=u16::MAX {
            let r = Op::decode_opcode(&bpf_stmt(code, 0));
            if is_seccomp_opcode(code) {
                assert!(r.is_ok(), "{code:#x}");
            } else if SOCKET_ONLY_OPCODES.contains(&code) {
                assert_eq!(r, Err(InsnError::NotForSeccomp { code }));
            } else {
                assert_eq!(r, Err(InsnError::UnknownOpcode { code }));
            }
        }
        // The classic ALU decoding adds BPF_MOD and nothing else.
        let mod_k = bpf_stmt(BPF_ALU | BPF_MOD | BPF_K, 7);
        assert_eq!(
            Op::decode_classic_alu(&mod_k),
            Some(Op::Alu(AluOp::Mod, Src::K(7)))
        );
        assert_eq!(Op::Alu(AluOp::Mod, Src::K(7)).encode(), mod_k);
        assert_eq!(
            Op::decode_classic_alu(&bpf_stmt(BPF_ALU | BPF_NEG, 0)),
            None
        );
        assert_eq!(
            Op::decode_classic_alu(&bpf_stmt(BPF_ALU | BPF_ADD | 0x100, 0)),
            None
        );
    }

    #[test]
    fn constants_are_checked_by_decode_only() {
        let cases = [
            (
                bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 64),
                InsnError::BadLoad { offset: 64 },
            ),
            (
                bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 6),
                InsnError::BadLoad { offset: 6 },
            ),
            (
                bpf_stmt(BPF_ALU | BPF_DIV | BPF_K, 0),
                InsnError::DivisionByZero,
            ),
            (
                bpf_stmt(BPF_ALU | BPF_LSH | BPF_K, 32),
                InsnError::ShiftTooFar { k: 32 },
            ),
            (
                bpf_stmt(BPF_LDX | BPF_MEM, 16),
                InsnError::BadScratchSlot { slot: 16 },
            ),
            (bpf_stmt(BPF_ST, 99), InsnError::BadScratchSlot { slot: 99 }),
        ];
        for (insn, e) in cases {
            assert_eq!(Op::decode(&insn), Err(e));
            let op = Op::decode_opcode(&insn).unwrap();
            assert_eq!(op.encode(), insn);
        }
        // The same opcodes with an accepted constant, or X sources, are fine.
        for insn in [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 60),
            bpf_stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
            bpf_stmt(BPF_ALU | BPF_RSH | BPF_K, 31),
            bpf_stmt(BPF_STX, 15),
        ] {
            assert!(Op::decode(&insn).is_ok(), "{insn:?}");
        }
        // Ignored fields are dropped by encode.
        let odd = Insn {
            code: BPF_RET | BPF_A,
            jt: 1,
            jf: 2,
            k: 3,
        };
        assert_eq!(Op::decode(&odd), Ok(Op::RetA));
        assert_eq!(Op::RetA.encode(), bpf_stmt(BPF_RET | BPF_A, 0));
    }

    #[test]
    fn conditions() {
        assert!(Cond::Eq.holds(3, 3) && !Cond::Eq.holds(3, 4));
        assert!(Cond::Gt.holds(u32::MAX, 1) && !Cond::Gt.holds(1, 1));
        assert!(Cond::Ge.holds(1, 1) && !Cond::Ge.holds(0, 1));
        assert!(Cond::Set.holds(6, 2) && !Cond::Set.holds(6, 1));
    }

    #[test]
    fn c_opcode_names() {
        for (code, name) in [
            (BPF_LD | BPF_W | BPF_ABS, "BPF_LD | BPF_W | BPF_ABS"),
            (BPF_LDX | BPF_W | BPF_MEM, "BPF_LDX | BPF_W | BPF_MEM"),
            (BPF_JMP | BPF_JEQ | BPF_K, "BPF_JMP | BPF_JEQ | BPF_K"),
            (BPF_JMP | BPF_JSET | BPF_X, "BPF_JMP | BPF_JSET | BPF_X"),
        ] {
            assert_eq!(c_opcode(code), name);
        }
        assert_eq!(c_opcode(BPF_JMP | BPF_JA), "BPF_JMP | BPF_JA");
        assert_eq!(c_opcode(BPF_RET | BPF_A), "BPF_RET | BPF_A");
        assert_eq!(c_opcode(BPF_ALU | BPF_NEG), "BPF_ALU | BPF_NEG | BPF_K");
        assert_eq!(c_opcode(BPF_MISC | BPF_TXA), "BPF_MISC | BPF_TXA");
        assert_eq!(c_opcode(BPF_ST), "BPF_ST");
        // Opcodes the names cannot spell are shown raw.
        assert_eq!(c_opcode(BPF_JMP | 0x50), "0x0055");
        assert_eq!(c_opcode(BPF_ST | 0x100), "0x0102");
        assert_eq!(c_opcode(BPF_JMP | BPF_JA | BPF_X), "0x000d");
        assert_eq!(c_opcode(BPF_MISC | 0x08), "0x000f");
        assert_eq!(
            c_macro(&bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1)),
            "BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x27, 0, 1)"
        );
        assert_eq!(
            c_macro(&bpf_stmt(BPF_RET | BPF_K, 0x7fff_0000)),
            "BPF_STMT(BPF_RET | BPF_K, 0x7fff0000)"
        );
        // Offsets on a non-jump need BPF_JUMP to be kept.
        let odd = Insn {
            code: BPF_LD | BPF_IMM,
            jt: 1,
            jf: 0,
            k: 2,
        };
        assert_eq!(
            c_macro(&odd),
            "BPF_JUMP(BPF_LD | BPF_W | BPF_IMM, 0x2, 1, 0)"
        );
    }
}
