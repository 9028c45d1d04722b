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
//! use seccompy_bpf::op::InsnError;
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
//! let error = InsnError::BadLoad { offset: 2 };
//! assert_eq!(validate(&unaligned), Err(ValidateError::Insn { pc: 0, error }));
//! ```
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html), `EINVAL`
//! - the kernel's `bpf_check_classic` (`net/core/filter.c`) and `seccomp_check_filter`
//!   (`kernel/seccomp.c`)

use seccompy_sys::*;

use crate::op::{Flow, InsnError, Op};
use crate::program::Insn;

pub use crate::op::{SECCOMP_OPCODES, SOCKET_ONLY_OPCODES, is_seccomp_opcode};

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
    /// An instruction the kernel refuses: its opcode, its constant, a jump past
    /// the end, a scratch slot read before it is written.
    #[error("instruction {pc}: {error}")]
    Insn {
        /// Index of the instruction.
        pc: usize,
        /// What is wrong with it.
        error: InsnError,
    },
    /// The last instruction is not a `RET`.
    #[error("the last instruction ({pc}) is {code:#06x}, not a RET")]
    NoFinalReturn {
        /// Index of the last instruction.
        pc: usize,
        /// Its opcode.
        code: u16,
    },
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
        check_insn(pc, insn, len).map_err(|error| ValidateError::Insn { pc, error })?;
    }
    let last = prog[len - 1];
    if Flow::of(&last) != Flow::Return {
        return Err(ValidateError::NoFinalReturn {
            pc: len - 1,
            code: last.code,
        });
    }
    check_scratch(prog)
}

/// The checks on one instruction, alone and for its jump targets.
fn check_insn(pc: usize, insn: &Insn, len: usize) -> Result<(), InsnError> {
    let in_range = |offset: u32| {
        let target = pc as u64 + 1 + u64::from(offset);
        if target < len as u64 {
            Ok(())
        } else {
            Err(InsnError::JumpOutOfRange { target, len })
        }
    };
    match Op::decode(insn)?.flow() {
        Flow::Goto(k) => in_range(k),
        Flow::Branch { jt, jf } => in_range(jt.into()).and(in_range(jf.into())),
        Flow::Next | Flow::Return => Ok(()),
    }
}

/// The kernel's scratch-memory pass. `known` is the set of slots (one bit each)
/// surely written when control falls into the next instruction; `at[pc]` is the
/// intersection of the sets of every jump to `pc`. Must run on a program whose
/// instructions decode and whose jumps are known to be in range.
fn check_scratch(prog: &[Insn]) -> Result<(), ValidateError> {
    let mut at = alloc::vec![u16::MAX; prog.len()];
    let mut known: u16 = 0;
    for (pc, insn) in prog.iter().enumerate() {
        known &= at[pc];
        let slot_bit = |k: u32| 1u16 << (k & 15);
        let Ok(op) = Op::decode(insn) else { continue };
        match op {
            Op::Store(_, k) => known |= slot_bit(k),
            Op::LoadMem(_, slot) if known & slot_bit(slot) == 0 => {
                let error = InsnError::UninitializedScratch { slot };
                return Err(ValidateError::Insn { pc, error });
            }
            Op::Ja(k) => {
                at[pc + 1 + k as usize] &= known;
                known = u16::MAX;
            }
            Op::Jump { jt, jf, .. } => {
                at[pc + 1 + jt as usize] &= known;
                at[pc + 1 + jf as usize] &= known;
                known = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use InsnError::*;
    use ValidateError::{Empty, NoFinalReturn, TooLong};
    use alloc::vec;
    use alloc::vec::Vec;

    fn st(code: u16, k: u32) -> Insn {
        bpf_stmt(code, k)
    }
    fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        bpf_jump(code, k, jt, jf)
    }
    const RET_A: Insn = bpf_stmt(BPF_RET | BPF_A, 0);
    fn bad(pc: usize, error: InsnError) -> Result<(), ValidateError> {
        Err(ValidateError::Insn { pc, error })
    }

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
                Err(ValidateError::Insn {
                    pc: 0,
                    error: UnknownOpcode { .. },
                }) => {
                    assert!(!is_seccomp_opcode(code) && !SOCKET_ONLY_OPCODES.contains(&code))
                }
                Err(ValidateError::Insn {
                    pc: 0,
                    error: NotForSeccomp { .. },
                }) => assert!(SOCKET_ONLY_OPCODES.contains(&code)),
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
            bad(0, DivisionByZero)
        );
        assert_eq!(validate(&[st(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A]), Ok(()));
        assert_eq!(
            validate(&[st(BPF_ALU | BPF_LSH | BPF_K, 31), RET_A]),
            Ok(())
        );
        assert_eq!(
            validate(&[st(BPF_ALU | BPF_RSH | BPF_K, 32), RET_A]),
            bad(0, ShiftTooFar { k: 32 })
        );
        assert_eq!(
            validate(&[st(BPF_STX, 16), RET_A]),
            bad(0, BadScratchSlot { slot: 16 })
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
            bad(0, JumpOutOfRange { target: 3, len: 3 })
        );
        assert_eq!(
            validate(&prog(st(BPF_JMP | BPF_JA, u32::MAX))),
            bad(
                0,
                JumpOutOfRange {
                    target: 1 << 32,
                    len: 3
                }
            )
        );
        assert_eq!(
            validate(&prog(jmp(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0))),
            Ok(())
        );
        assert_eq!(
            validate(&prog(jmp(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 2))),
            bad(0, JumpOutOfRange { target: 3, len: 3 })
        );
    }

    #[test]
    fn scratch_memory() {
        let ld0 = st(BPF_LD | BPF_MEM, 0);
        assert_eq!(
            validate(&[ld0, RET_A]),
            bad(0, UninitializedScratch { slot: 0 })
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
            bad(2, UninitializedScratch { slot: 0 })
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
            bad(1, UninitializedScratch { slot: 0 })
        );
        let after_ret_stored: Vec<Insn> = vec![st(BPF_ST, 0), RET_A, ld0, RET_A];
        assert_eq!(validate(&after_ret_stored), Ok(()));
    }

    /// A program of seccomp opcodes with small random fields: often valid, often
    /// not, always the same for a given seed.
    pub(crate) fn random_program(seed: &mut u64) -> Vec<Insn> {
        let mut next = || {
            let mut rng = crate::rng::Rng(*seed);
            let v = rng.next();
            *seed = rng.0;
            v
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
