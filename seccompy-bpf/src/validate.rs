//! The kernel's acceptance rules for seccomp filters, offline.
//!
//! [`validate`] accepts exactly the programs that `seccomp(SECCOMP_SET_MODE_FILTER)`
//! (and `prctl(PR_SET_SECCOMP)`) accept, and for the others names the first
//! problem found. The kernel checks a filter in three steps, all reproduced here:
//!
//! 1. the classic BPF checks every socket filter gets: 1 to 4096 instructions;
//!    only known opcodes; no division by the constant 0; no shift by a constant of
//!    32 or more; scratch slots `M[0]` to `M[15]` only; every jump lands inside the
//!    program (jumps only go forward: `JA` by `k`, conditional jumps by `jt`/`jf`);
//!    the last instruction is a `RET`;
//! 2. the scratch-memory check: no `M[k]` is loaded unless a store to it comes
//!    first on every way there. The kernel does this in one linear pass, which is
//!    slightly stricter than a real data-flow analysis: the instruction after a
//!    `RET` inherits what was stored before the `RET`, even though it is reached
//!    only by jumps. This module makes the same pass, so it agrees with the kernel
//!    on such programs too;
//! 3. the seccomp-specific check: only the opcodes a seccomp filter can use (no
//!    `BPF_MOD`, no byte or half-word loads, no `BPF_IND` or `BPF_MSH` loads), and
//!    a word load `BPF_LD | BPF_W | BPF_ABS` must read inside `seccomp_data`
//!    (offset below 64) at a multiple of 4.
//!
//! The order in which this module reports problems is its own (instruction by
//! instruction, then the final `RET`, then scratch memory); the verdict is the
//! kernel's. `tests/kernel_validate.rs` compares it with the running kernel on
//! thousands of random programs.
//!
//! ```
//! use seccompy_bpf::validate::{validate, ValidateError};
//! use seccompy_sys::*;
//!
//! let ok = [
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
//! ];
//! assert_eq!(validate(&ok), Ok(()));
//! let unaligned = [bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 2), bpf_stmt(BPF_RET | BPF_A, 0)];
//! assert_eq!(validate(&unaligned), Err(ValidateError::BadLoad { pc: 0, offset: 2 }));
//! ```
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html), `EINVAL`
//! - the kernel's `bpf_check_classic` (`net/core/filter.c`) and `seccomp_check_filter`
//!   (`kernel/seccomp.c`)

use seccompy_sys::*;

use crate::emulate::SECCOMP_DATA_SIZE;
use crate::program::Insn;

/// Why the kernel would refuse a program as a seccomp filter (`EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// The program has no instruction.
    #[error("the program is empty")]
    Empty,
    /// The program has more than 4096 instructions.
    #[error("the program has {len} instructions, more than the kernel's limit of 4096")]
    TooLong {
        /// The program's length.
        len: usize,
    },
    /// An opcode that is not classic BPF at all.
    #[error("instruction {pc}: {code:#06x} is not a classic BPF opcode")]
    UnknownOpcode {
        /// Index of the instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
    /// A classic BPF opcode that seccomp filters may not use (`BPF_MOD`, byte and
    /// half-word loads, `BPF_IND` and `BPF_MSH` loads).
    #[error(
        "instruction {pc}: opcode {code:#06x} is classic BPF but not allowed in a seccomp filter"
    )]
    NotForSeccomp {
        /// Index of the instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
    /// A word load at an offset past `seccomp_data` or not a multiple of 4.
    #[error(
        "instruction {pc}: load at offset {offset} is outside seccomp_data (64 bytes) or not 4-byte aligned"
    )]
    BadLoad {
        /// Index of the instruction.
        pc: usize,
        /// The offset `k`.
        offset: u32,
    },
    /// A division (or remainder) by the constant 0.
    #[error("instruction {pc}: division by the constant 0")]
    DivisionByZero {
        /// Index of the instruction.
        pc: usize,
    },
    /// A shift by a constant of 32 or more.
    #[error("instruction {pc}: shift by the constant {k}, 32 or more")]
    ShiftTooFar {
        /// Index of the instruction.
        pc: usize,
        /// The shift amount.
        k: u32,
    },
    /// A scratch slot index of 16 or more.
    #[error("instruction {pc}: scratch slot M[{slot}] does not exist (there are 16)")]
    BadScratchSlot {
        /// Index of the instruction.
        pc: usize,
        /// The slot index `k`.
        slot: u32,
    },
    /// A jump whose target is past the last instruction.
    #[error(
        "instruction {pc}: jump to instruction {target}, past the end of the program (length {len})"
    )]
    JumpOutOfRange {
        /// Index of the jump.
        pc: usize,
        /// Index of the target (`pc + 1 + offset`).
        target: u64,
        /// The program's length.
        len: usize,
    },
    /// The last instruction is not a `RET`.
    #[error("the last instruction ({pc}) is {code:#06x}, not a RET")]
    NoFinalReturn {
        /// Index of the last instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
    /// A scratch slot may be loaded before anything is stored in it.
    #[error("instruction {pc}: M[{slot}] may be read before anything is stored in it")]
    UninitializedScratch {
        /// Index of the load.
        pc: usize,
        /// The slot index.
        slot: u32,
    },
}

/// Every opcode the kernel accepts in a seccomp filter, sorted.
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

/// Whether seccomp filters may use opcode `code` (ignoring `k`: see [`validate`]
/// for the checks on it).
#[must_use]
pub fn is_seccomp_opcode(code: u16) -> bool {
    SECCOMP_OPCODES.contains(&code)
}

/// Checks `prog` with the kernel's rules for seccomp filters: `Ok(())` exactly when
/// the kernel would install it, else the first problem found.
pub fn validate(prog: &[Insn]) -> Result<(), ValidateError> {
    let len = prog.len();
    if len == 0 {
        return Err(ValidateError::Empty);
    }
    if len > BPF_MAXINSNS {
        return Err(ValidateError::TooLong { len });
    }
    for (pc, insn) in prog.iter().enumerate() {
        check_insn(pc, insn, len)?;
    }
    let last = prog[len - 1];
    if last.code != BPF_RET | BPF_K && last.code != BPF_RET | BPF_A {
        return Err(ValidateError::NoFinalReturn {
            pc: len - 1,
            code: last.code,
        });
    }
    check_scratch(prog)
}

/// The checks on one instruction, alone and for its jump targets.
fn check_insn(pc: usize, insn: &Insn, len: usize) -> Result<(), ValidateError> {
    let (code, k) = (insn.code, insn.k);
    if !is_seccomp_opcode(code) {
        return Err(if SOCKET_ONLY_OPCODES.contains(&code) {
            ValidateError::NotForSeccomp { pc, code }
        } else {
            ValidateError::UnknownOpcode { pc, code }
        });
    }
    let out_of_range = |offset: u32| {
        let target = pc as u64 + 1 + u64::from(offset);
        (target >= len as u64).then_some(ValidateError::JumpOutOfRange { pc, target, len })
    };
    match code {
        c if c == BPF_LD | BPF_W | BPF_ABS && (k >= SECCOMP_DATA_SIZE || k & 3 != 0) => {
            return Err(ValidateError::BadLoad { pc, offset: k });
        }
        c if c == BPF_ALU | BPF_DIV | BPF_K && k == 0 => {
            return Err(ValidateError::DivisionByZero { pc });
        }
        c if (c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K) && k >= 32 => {
            return Err(ValidateError::ShiftTooFar { pc, k });
        }
        c if (c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM || c == BPF_ST || c == BPF_STX)
            && k as usize >= BPF_MEMWORDS =>
        {
            return Err(ValidateError::BadScratchSlot { pc, slot: k });
        }
        c if c == BPF_JMP | BPF_JA => {
            if let Some(e) = out_of_range(k) {
                return Err(e);
            }
        }
        c if bpf_class(c) == BPF_JMP => {
            // Every other allowed jump is conditional.
            if let Some(e) = out_of_range(insn.jt.into()).or(out_of_range(insn.jf.into())) {
                return Err(e);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The kernel's scratch-memory pass. `known` is the set of slots (one bit each)
/// surely written when control falls into the next instruction; `at[pc]` is the
/// intersection of the sets of every jump to `pc`. Must run on a program whose
/// jumps are known to be in range.
fn check_scratch(prog: &[Insn]) -> Result<(), ValidateError> {
    let mut at = alloc::vec![u16::MAX; prog.len()];
    let mut known: u16 = 0;
    for (pc, insn) in prog.iter().enumerate() {
        known &= at[pc];
        let code = insn.code;
        let slot_bit = || 1u16 << (insn.k & 15);
        if code == BPF_ST || code == BPF_STX {
            known |= slot_bit();
        } else if code == BPF_LD | BPF_MEM || code == BPF_LDX | BPF_MEM {
            if known & slot_bit() == 0 {
                return Err(ValidateError::UninitializedScratch { pc, slot: insn.k });
            }
        } else if code == BPF_JMP | BPF_JA {
            at[pc + 1 + insn.k as usize] &= known;
            known = u16::MAX;
        } else if bpf_class(code) == BPF_JMP {
            at[pc + 1 + insn.jt as usize] &= known;
            at[pc + 1 + insn.jf as usize] &= known;
            known = u16::MAX;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ValidateError::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn st(code: u16, k: u32) -> Insn {
        bpf_stmt(code, k)
    }
    fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        bpf_jump(code, k, jt, jf)
    }
    const RET_A: Insn = bpf_stmt(BPF_RET | BPF_A, 0);

    #[test]
    fn opcode_tables() {
        // The tables are sorted, disjoint, and the seccomp one has the 41 opcodes
        // seccomp_check_filter lists (38 plus the three loads it rewrites).
        assert!(SECCOMP_OPCODES.windows(2).all(|w| w[0] < w[1]));
        assert!(SOCKET_ONLY_OPCODES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(SECCOMP_OPCODES.len(), 41);
        assert!(SOCKET_ONLY_OPCODES.iter().all(|c| !is_seccomp_opcode(*c)));
        for code in 0..=u16::MAX {
            let r = validate(&[st(code, 0), RET_A]);
            match r {
                Err(UnknownOpcode { pc: 0, .. }) => {
                    assert!(!is_seccomp_opcode(code) && !SOCKET_ONLY_OPCODES.contains(&code))
                }
                Err(NotForSeccomp { pc: 0, .. }) => assert!(SOCKET_ONLY_OPCODES.contains(&code)),
                _ => assert!(is_seccomp_opcode(code), "{code:#x} gave {r:?}"),
            }
        }
    }

    #[test]
    fn lengths_and_final_return() {
        assert_eq!(validate(&[]), Err(Empty));
        assert_eq!(validate(&vec![RET_A; 4096]), Ok(()));
        assert_eq!(validate(&vec![RET_A; 4097]), Err(TooLong { len: 4097 }));
        assert_eq!(
            validate(&[st(BPF_LD | BPF_IMM, 1)]),
            Err(NoFinalReturn {
                pc: 0,
                code: BPF_LD | BPF_IMM
            })
        );
    }

    #[test]
    fn constants() {
        for k in 0..80u32 {
            let r = validate(&[st(BPF_LD | BPF_W | BPF_ABS, k), RET_A]);
            assert_eq!(r.is_ok(), k < 64 && k % 4 == 0, "offset {k}");
        }
        assert_eq!(
            validate(&[st(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A]),
            Err(DivisionByZero { pc: 0 })
        );
        assert_eq!(validate(&[st(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A]), Ok(()));
        assert_eq!(
            validate(&[st(BPF_ALU | BPF_LSH | BPF_K, 31), RET_A]),
            Ok(())
        );
        assert_eq!(
            validate(&[st(BPF_ALU | BPF_RSH | BPF_K, 32), RET_A]),
            Err(ShiftTooFar { pc: 0, k: 32 })
        );
        assert_eq!(
            validate(&[st(BPF_STX, 16), RET_A]),
            Err(BadScratchSlot { pc: 0, slot: 16 })
        );
        // LEN loads and the NEG opcode ignore k.
        assert_eq!(
            validate(&[st(BPF_LD | BPF_W | BPF_LEN, 999), RET_A]),
            Ok(())
        );
        assert_eq!(validate(&[st(BPF_ALU | BPF_NEG, 999), RET_A]), Ok(()));
    }

    #[test]
    fn jump_ranges() {
        let prog = |j: Insn| vec![j, RET_A, RET_A];
        assert_eq!(validate(&prog(st(BPF_JMP | BPF_JA, 1))), Ok(()));
        assert_eq!(
            validate(&prog(st(BPF_JMP | BPF_JA, 2))),
            Err(JumpOutOfRange {
                pc: 0,
                target: 3,
                len: 3
            })
        );
        assert_eq!(
            validate(&prog(st(BPF_JMP | BPF_JA, u32::MAX))),
            Err(JumpOutOfRange {
                pc: 0,
                target: 1 << 32,
                len: 3
            })
        );
        assert_eq!(
            validate(&prog(jmp(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0))),
            Ok(())
        );
        assert_eq!(
            validate(&prog(jmp(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 2))),
            Err(JumpOutOfRange {
                pc: 0,
                target: 3,
                len: 3
            })
        );
    }

    #[test]
    fn scratch_memory() {
        let ld0 = st(BPF_LD | BPF_MEM, 0);
        assert_eq!(
            validate(&[ld0, RET_A]),
            Err(UninitializedScratch { pc: 0, slot: 0 })
        );
        assert_eq!(validate(&[st(BPF_ST, 0), ld0, RET_A]), Ok(()));
        // Stored on one branch only.
        let one_branch: Vec<Insn> = vec![
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            st(BPF_ST, 0),
            ld0,
            RET_A,
        ];
        assert_eq!(
            validate(&one_branch),
            Err(UninitializedScratch { pc: 2, slot: 0 })
        );
        // Stored on both branches.
        let both: Vec<Insn> = vec![
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
            st(BPF_ST, 0),
            st(BPF_JMP | BPF_JA, 1),
            st(BPF_STX, 0),
            ld0,
            RET_A,
        ];
        assert_eq!(validate(&both), Ok(()));
        // Dead code that no jump reaches may read anything...
        let dead: Vec<Insn> = vec![st(BPF_JMP | BPF_JA, 1), ld0, RET_A];
        assert_eq!(validate(&dead), Ok(()));
        // ...but code after a RET inherits the state before the RET, as in the kernel.
        let after_ret: Vec<Insn> = vec![RET_A, ld0, RET_A];
        assert_eq!(
            validate(&after_ret),
            Err(UninitializedScratch { pc: 1, slot: 0 })
        );
        let after_ret_stored: Vec<Insn> = vec![st(BPF_ST, 0), RET_A, ld0, RET_A];
        assert_eq!(validate(&after_ret_stored), Ok(()));
    }

    /// A program of seccomp opcodes with small random fields: often valid, often
    /// not, always the same for a given seed.
    pub(crate) fn random_program(seed: &mut u64) -> Vec<Insn> {
        let mut next = || {
            *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let len = 1 + (next() % 16) as usize;
        let mut p: Vec<Insn> = (0..len)
            .map(|pc| {
                let r = next();
                let code = SECCOMP_OPCODES[(r % SECCOMP_OPCODES.len() as u64) as usize];
                let rest = (len - pc) as u64;
                let k = match code {
                    c if c == BPF_LD | BPF_W | BPF_ABS => 4 * ((r >> 8) % 16) as u32,
                    c if c == BPF_JMP | BPF_JA => ((r >> 8) % rest) as u32,
                    c if bpf_class(c) == BPF_ALU => ((r >> 8) % 40) as u32,
                    c if bpf_class(c) == BPF_RET => (r >> 32) as u32,
                    _ => ((r >> 8) % 18) as u32,
                };
                let jt = ((r >> 16) % rest) as u8;
                let jf = ((r >> 24) % rest) as u8;
                if bpf_class(code) == BPF_JMP && code != BPF_JMP | BPF_JA {
                    bpf_jump(code, k, jt, jf)
                } else {
                    bpf_stmt(code, k)
                }
            })
            .collect();
        if next() % 4 != 0 {
            p.push(RET_A);
        }
        p
    }

    #[test]
    fn valid_programs_always_run() {
        // The emulator never fails on a program validate() accepts, whatever the input.
        use crate::emulate::{ByteOrder, emulate_for};
        let mut seed = 11;
        let mut valid = 0;
        for _ in 0..20_000 {
            let p = random_program(&mut seed);
            let ok = validate(&p).is_ok();
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let d = seccomp_data {
                    nr: seed as i32,
                    arch: (seed >> 32) as u32,
                    instruction_pointer: seed.rotate_left(7),
                    args: [seed, !seed, 0, 1, seed >> 3, u64::MAX],
                };
                let r = emulate_for(&p, &d, order);
                if ok {
                    assert!(r.is_ok(), "{p:?}: {r:?}");
                }
            }
            valid += usize::from(ok);
        }
        assert!(valid > 2000, "only {valid} valid programs");
    }
}
