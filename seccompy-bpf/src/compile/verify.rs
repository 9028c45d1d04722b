//! Phase 5: the emitted program checked against what the compiler promises of
//! its shape (on every compile of a debug build, so on every test policy; a
//! release build skips it).
//!
//! - Only the instructions the code generator emits: word loads of
//!   `seccomp_data` (`nr`, `arch`, argument words), `A &= k`, comparisons with a
//!   constant, `JA` (the assembler's trampolines) and `RET k`.
//! - The program starts by loading `arch` (or is a single `RET`).
//! - Every jump lands inside the program, and the last instruction is a `RET`,
//!   so every path ends in one.
//! - Every `RET` returns one of the expected actions (the policy's default,
//!   bad-arch and rule actions).
//! - Every instruction is reachable (no dead code).
//! - Arguments are loaded only once the syscall number was, on every path:
//!   only the number tree's leaves check arguments (which is what lets the
//!   kernel cache the decisions that do not depend on them).

use alloc::vec;

use seccompy_sys::{
    BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD,
    BPF_RET, BPF_W,
};

use crate::program::Insn;

/// Offset of `seccomp_data.nr`.
const NR: u32 = 0;

/// Offset of `seccomp_data.arch`.
const ARCH: u32 = 4;

/// Offset of the first argument word in `seccomp_data`, and the end of the
/// argument words.
const ARGS: core::ops::Range<u32> = 16..64;

/// Which invariant a program breaks, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// An instruction the compiler never emits.
    #[error("instruction {at}: not one the compiler emits")]
    Foreign {
        /// Its index.
        at: usize,
    },
    /// The program neither loads `arch` first nor is a single `RET`.
    #[error("the program does not start by loading arch")]
    NoArchFirst,
    /// A jump lands past the end.
    #[error("instruction {at}: jumps past the end")]
    OutOfRange {
        /// Its index.
        at: usize,
    },
    /// The last instruction is not a `RET`.
    #[error("the last instruction is not a return")]
    NoFinalReturn,
    /// A `RET` of an action the policy does not name.
    #[error("instruction {at}: returns {value:#010x}, not one of the policy's actions")]
    UnexpectedReturn {
        /// Its index.
        at: usize,
        /// The value returned.
        value: u32,
    },
    /// No path reaches the instruction.
    #[error("instruction {at}: unreachable")]
    Unreachable {
        /// Its index.
        at: usize,
    },
    /// An argument is loaded on a path that did not load the syscall number.
    #[error("instruction {at}: loads an argument before the syscall number")]
    ArgumentBeforeNumber {
        /// Its index.
        at: usize,
    },
}

/// What flows into an instruction: nothing yet (no predecessor seen), or
/// whether the syscall number was loaded on every way in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Unreached,
    Reached { nr: bool },
}

impl Flow {
    fn meet(self, nr: bool) -> Flow {
        match self {
            Flow::Unreached => Flow::Reached { nr },
            Flow::Reached { nr: n } => Flow::Reached { nr: n && nr },
        }
    }
}

/// Checks `insns` against the invariants; `returns` are the actions the
/// program may return, sorted.
pub(crate) fn verify(insns: &[Insn], returns: &[u32]) -> Result<(), Violation> {
    const LOAD: u16 = BPF_LD | BPF_W | BPF_ABS;
    const AND: u16 = BPF_ALU | BPF_AND | BPF_K;
    const RET: u16 = BPF_RET | BPF_K;
    const JA: u16 = BPF_JMP | BPF_JA;
    let Some(last) = insns.last() else {
        return Err(Violation::NoFinalReturn);
    };
    if last.code != RET {
        return Err(Violation::NoFinalReturn);
    }
    let first = insns[0];
    if !(first.code == LOAD && first.k == ARCH || insns.len() == 1) {
        return Err(Violation::NoArchFirst);
    }
    // Jumps only go forward: one pass in order sees every way into an
    // instruction before the instruction.
    let mut flow = vec![Flow::Unreached; insns.len()];
    flow[0] = Flow::Reached { nr: false };
    for (at, insn) in insns.iter().enumerate() {
        let Flow::Reached { nr } = flow[at] else {
            return Err(Violation::Unreachable { at });
        };
        let mut to = |next: usize, nr: bool| match flow.get_mut(next) {
            Some(f) => {
                *f = f.meet(nr);
                Ok(())
            }
            None => Err(Violation::OutOfRange { at }),
        };
        match insn.code {
            LOAD if insn.k == NR || insn.k == ARCH => to(at + 1, nr || insn.k == NR)?,
            LOAD if ARGS.contains(&insn.k) && insn.k % 4 == 0 => {
                if !nr {
                    return Err(Violation::ArgumentBeforeNumber { at });
                }
                to(at + 1, nr)?;
            }
            AND => to(at + 1, nr)?,
            RET if returns.binary_search(&insn.k).is_ok() => {}
            RET => {
                return Err(Violation::UnexpectedReturn { at, value: insn.k });
            }
            JA => to(at + 1 + insn.k as usize, nr)?,
            code if code & 0x07 == BPF_JMP
                && code & 0x08 == BPF_K
                && [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].contains(&(code & 0xf0)) =>
            {
                to(at + 1 + usize::from(insn.jt), nr)?;
                to(at + 1 + usize::from(insn.jf), nr)?;
            }
            _ => return Err(Violation::Foreign { at }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::{AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS};

    const LOAD: u16 = BPF_LD | BPF_W | BPF_ABS;
    const JEQ: u16 = BPF_JMP | BPF_JEQ | BPF_K;
    const RET: u16 = BPF_RET | BPF_K;

    fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }

    /// ld arch; jeq x86_64; ld nr; jeq 0 allow; ld arg0.lo; jeq 7; ret allow; ret kill
    fn good() -> alloc::vec::Vec<Insn> {
        alloc::vec![
            insn(LOAD, 0, 0, ARCH),
            insn(JEQ, 0, 5, AUDIT_ARCH_X86_64),
            insn(LOAD, 0, 0, 0),
            insn(JEQ, 3, 0, 0),
            insn(LOAD, 0, 0, 16),
            insn(JEQ, 0, 1, 7),
            insn(RET, 0, 0, SECCOMP_RET_ALLOW),
            insn(RET, 0, 0, SECCOMP_RET_KILL_PROCESS),
        ]
    }

    const RETURNS: &[u32] = &[SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ALLOW];

    #[test]
    fn each_invariant_is_checked() {
        let mut returns = RETURNS.to_vec();
        returns.sort_unstable();
        assert_eq!(verify(&good(), &returns), Ok(()));
        let broken = |edit: &dyn Fn(&mut alloc::vec::Vec<Insn>)| {
            let mut p = good();
            edit(&mut p);
            verify(&p, &returns)
        };
        // An action the policy does not name.
        assert_eq!(
            broken(&|p| p[6].k = 0x0005_0001),
            Err(Violation::UnexpectedReturn {
                at: 6,
                value: 0x0005_0001
            })
        );
        // A load past the argument words, and an indirect load.
        assert_eq!(broken(&|p| p[4].k = 64), Err(Violation::Foreign { at: 4 }));
        assert_eq!(
            broken(&|p| p[4].code = BPF_LD | BPF_W | seccompy_sys::BPF_IND),
            Err(Violation::Foreign { at: 4 })
        );
        // The arch not loaded first.
        assert_eq!(broken(&|p| p[0].k = 0), Err(Violation::NoArchFirst));
        // A jump past the end.
        assert_eq!(
            broken(&|p| p[5].jf = 9),
            Err(Violation::OutOfRange { at: 5 })
        );
        // No final return.
        assert_eq!(
            broken(&|p| p[7] = insn(LOAD, 0, 0, 0)),
            Err(Violation::NoFinalReturn)
        );
        // Dead code: the allow return is skipped by both branches.
        assert_eq!(
            broken(&|p| {
                p[3].jt = 1;
                p[5].jt = 1;
            }),
            Err(Violation::Unreachable { at: 6 })
        );
        // An argument loaded on a way that skipped the number's load.
        assert_eq!(
            broken(&|p| p[1].jf = 2),
            Err(Violation::ArgumentBeforeNumber { at: 4 })
        );
        let mut p = good();
        p.insert(0, insn(RET, 0, 0, SECCOMP_RET_ALLOW));
        assert_eq!(verify(&p, &returns), Err(Violation::NoArchFirst));
        // A single return is a whole program.
        assert_eq!(
            verify(&[insn(RET, 0, 0, SECCOMP_RET_ALLOW)], &returns),
            Ok(())
        );
    }
}
