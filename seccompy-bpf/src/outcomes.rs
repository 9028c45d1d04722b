//! What a program may return for a system call whatever its arguments:
//! [`possible_returns`].
//!
//! The emulator answers for one call; this answers for every call with a given
//! `arch` and `nr`, whatever its arguments and instruction pointer. It follows
//! the program with the accumulator, `X` and the scratch words either known or
//! unknown: `nr` and `arch` are known, the arguments and the instruction
//! pointer are not, and a jump on an unknown value may go either way. Jumps only
//! go forward, so one pass over the instructions, merging the states that meet
//! at an instruction, visits every path. The answer is an over-approximation:
//! every return the kernel could give is in it, and a return is left out only
//! when no input with that `arch` and `nr` can reach it.
//!
//! ```
//! use seccompy_bpf::outcomes::possible_returns;
//! use seccompy_sys::*;
//!
//! let prog = [
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 59, 0, 3), // execve
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),        // args[0]: unknown
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
//! ];
//! let execve = possible_returns(&prog, AUDIT_ARCH_X86_64, 59);
//! assert!(execve.may(|r| r == SECCOMP_RET_USER_NOTIF));
//! assert!(execve.may(|r| r == SECCOMP_RET_ALLOW));
//! let read = possible_returns(&prog, AUDIT_ARCH_X86_64, 0);
//! assert!(!read.may(|r| r == SECCOMP_RET_USER_NOTIF));
//! ```

use alloc::vec;
use alloc::vec::Vec;

use seccompy_sys::*;

use crate::emulate::{SECCOMP_DATA_SIZE, alu};
use crate::op::{AluOp, Op, Reg, Src};
use crate::program::Insn;

/// The returns a program may give for one `(arch, nr)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Returns {
    /// The values it may return, sorted, without repeats.
    values: Vec<u32>,
    /// Whether it may return a value it computed from the arguments (or
    /// something this analysis does not follow): any value at all.
    any: bool,
}

impl Returns {
    /// Whether some return the program may give satisfies `pred`; always true
    /// when it may return [any](Self::is_any) value.
    pub fn may(&self, pred: impl Fn(u32) -> bool) -> bool {
        self.any || self.values.iter().any(|&v| pred(v))
    }

    /// The known values it may return, sorted.
    #[must_use]
    pub fn values(&self) -> &[u32] {
        &self.values
    }

    /// Whether it may return any value at all (a return of a value computed
    /// from the arguments, or an instruction the kernel would refuse).
    #[must_use]
    pub fn is_any(&self) -> bool {
        self.any
    }

    fn add(&mut self, v: u32) {
        if let Err(at) = self.values.binary_search(&v) {
            self.values.insert(at, v);
        }
    }
}

/// A value: known, or unknown (`None`).
type Val = Option<u32>;

/// The machine at the start of an instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
struct State {
    a: Val,
    x: Val,
    mem: [Val; BPF_MEMWORDS],
}

impl State {
    /// Where two paths meet: what both agree on stays known.
    fn join(self, other: State) -> State {
        let same = |p: Val, q: Val| if p == q { p } else { None };
        let mut mem = self.mem;
        for (m, o) in mem.iter_mut().zip(other.mem) {
            *m = same(*m, o);
        }
        State {
            a: same(self.a, other.a),
            x: same(self.x, other.x),
            mem,
        }
    }

    /// A register.
    fn reg(&mut self, r: Reg) -> &mut Val {
        match r {
            Reg::A => &mut self.a,
            Reg::X => &mut self.x,
        }
    }
}

/// Every return `prog` may give for a call with this `arch` and `nr`, whatever
/// its arguments and instruction pointer. Never panics, for any program; for a
/// program the kernel would refuse (see [`validate`](crate::validate::validate)),
/// what it cannot follow counts as [any](Returns::is_any) value.
#[must_use]
pub fn possible_returns(prog: &[Insn], arch: u32, nr: u32) -> Returns {
    let mut out = Returns::default();
    // Memory starts unknown: the kernel's checker refuses a read of a word
    // not written on every path, and this need not be stricter.
    let start = State {
        a: Some(0),
        x: Some(0),
        mem: [None; BPF_MEMWORDS],
    };
    let mut states: Vec<Option<State>> = vec![None; prog.len()];
    if let Some(first) = states.first_mut() {
        *first = Some(start);
    }
    let flow = |states: &mut [Option<State>], out: &mut Returns, to: u64, s: State| {
        match usize::try_from(to).ok().and_then(|i| states.get_mut(i)) {
            Some(slot) => *slot = Some(slot.map_or(s, |t| t.join(s))),
            // A jump out of the program: the kernel refuses such a program.
            None => out.any = true,
        }
    };
    for pc in 0..prog.len() {
        let Some(mut s) = states[pc] else { continue };
        let next = pc as u64 + 1;
        // An instruction the kernel refuses: anything may come of it.
        let Ok(op) = Op::decode_opcode(&prog[pc]) else {
            out.any = true;
            continue;
        };
        let known = |src: Src, x: Val| match src {
            Src::K(k) => Some(k),
            Src::X => x,
        };
        let slot = |k: u32| (k as usize) < BPF_MEMWORDS;
        match op {
            Op::LoadAbs(k) => {
                s.a = match k {
                    0 => Some(nr),
                    4 => Some(arch),
                    _ => None,
                };
            }
            Op::LoadLen(r) => *s.reg(r) = Some(SECCOMP_DATA_SIZE),
            Op::LoadImm(r, k) => *s.reg(r) = Some(k),
            Op::LoadMem(r, k) if slot(k) => *s.reg(r) = s.mem[k as usize],
            Op::Store(r, k) if slot(k) => s.mem[k as usize] = *s.reg(r),
            Op::LoadMem(..) | Op::Store(..) => {
                out.any = true;
                continue;
            }
            Op::Tax => s.x = s.a,
            Op::Txa => s.a = s.x,
            Op::RetK(k) => {
                out.add(k);
                continue;
            }
            Op::RetA => {
                match s.a {
                    Some(v) => out.add(v),
                    None => out.any = true,
                }
                continue;
            }
            Op::Neg => s.a = s.a.map(u32::wrapping_neg),
            Op::Alu(alu_op, src) => {
                let v = known(src, s.x);
                // A division by an X of 0 ends the program with 0.
                if alu_op == AluOp::Div && src == Src::X && v.is_none_or(|v| v == 0) {
                    out.add(0);
                }
                s.a = match (s.a, v) {
                    (Some(a), Some(v)) => {
                        if op.check_constant().is_err() {
                            out.any = true;
                            continue;
                        }
                        match alu(alu_op, a, v) {
                            Some(r) => Some(r),
                            None => continue,
                        }
                    }
                    _ => None,
                };
            }
            Op::Ja(k) => {
                flow(&mut states, &mut out, next + u64::from(k), s);
                continue;
            }
            Op::Jump { cond, src, jt, jf } => {
                let taken = s.a.zip(known(src, s.x)).map(|(a, v)| cond.holds(a, v));
                if taken != Some(false) {
                    flow(&mut states, &mut out, next + u64::from(jt), s);
                }
                if taken != Some(true) {
                    flow(&mut states, &mut out, next + u64::from(jf), s);
                }
                continue;
            }
        }
        flow(&mut states, &mut out, next, s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::emulate::{ByteOrder, emulate_for};
    use crate::policy::{Arg, Policy, Rule};
    use crate::test_rng::Rng;
    use seccompy_sys::syscalls::Abi;

    fn st(code: u16, k: u32) -> Insn {
        bpf_stmt(code, k)
    }

    #[test]
    fn known_paths_are_followed_and_unknown_ones_both_ways() {
        let prog = [
            st(BPF_LD | BPF_W | BPF_ABS, 4),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
            st(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            st(BPF_LD | BPF_W | BPF_ABS, 0),
            st(BPF_ALU | BPF_AND | BPF_K, 0xff),
            st(BPF_ST, 3),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 4),
            st(BPF_LD | BPF_W | BPF_ABS, 24), // args[1]: unknown
            bpf_jump(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
            st(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 13),
            st(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            st(BPF_LD | BPF_MEM, 3),
            st(BPF_RET | BPF_A, 0),
        ];
        let r = possible_returns(&prog, AUDIT_ARCH_I386, 2);
        assert_eq!(r.values(), [SECCOMP_RET_KILL_PROCESS]);
        let r = possible_returns(&prog, AUDIT_ARCH_X86_64, 0x102);
        assert_eq!(r.values(), [SECCOMP_RET_ERRNO | 13, SECCOMP_RET_USER_NOTIF]);
        assert!(!r.is_any());
        // nr & 0xff, kept in memory and returned.
        let r = possible_returns(&prog, AUDIT_ARCH_X86_64, 0x107);
        assert_eq!(r.values(), [7]);
        // A return of an argument: anything.
        let prog = [st(BPF_LD | BPF_W | BPF_ABS, 16), st(BPF_RET | BPF_A, 0)];
        assert!(possible_returns(&prog, 0, 0).may(|v| v == 12345));
        // A division by an unknown X may end the program with 0.
        let prog = [
            st(BPF_LD | BPF_W | BPF_ABS, 16),
            st(BPF_MISC | BPF_TAX, 0),
            st(BPF_LD | BPF_IMM, 8),
            st(BPF_ALU | BPF_DIV | BPF_X, 0),
            st(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ];
        let r = possible_returns(&prog, 0, 0);
        assert_eq!(r.values(), [0, SECCOMP_RET_ALLOW]);
        assert!(!r.is_any());
    }

    #[test]
    fn every_emulated_return_is_among_the_possible_ones() {
        // Compiled policies with argument conditions: whatever the arguments,
        // the emulator's answer is in the set.
        let abi = Abi::X86_64;
        let policy = Policy::new(Action::Errno(1))
            .abi(abi)
            .rule(Rule::new("execve", Action::UserNotif).when(Arg(0).eq(0x1000)))
            .rule(Rule::new("execve", Action::Allow).when(Arg(1).gt(5)))
            .rule(Rule::new("write", Action::Log))
            .syscalls(["read", "close"], Action::Allow);
        let prog = policy.compile().unwrap();
        let mut rng = Rng(7);
        let nrs: Vec<u32> = ["execve", "write", "read", "close", "openat"]
            .iter()
            .map(|n| abi.syscall_nr(n).unwrap())
            .collect();
        for &nr in &nrs {
            let possible = possible_returns(prog.insns(), abi.audit_arch(), nr);
            for round in 0..200 {
                let mut args = [0u64; 6];
                for a in &mut args {
                    *a = match round % 3 {
                        0 => rng.next(),
                        1 => rng.next() % 8,
                        _ => 0x1000,
                    };
                }
                let data = seccomp_data {
                    nr: nr as i32,
                    arch: abi.audit_arch(),
                    instruction_pointer: rng.next(),
                    args,
                };
                let got = emulate_for(prog.insns(), &data, ByteOrder::Little).unwrap();
                assert!(
                    possible.may(|v| v == got.ret),
                    "nr {nr}: {:#x} not in {possible:?}",
                    got.ret
                );
            }
        }
        let execve = possible_returns(prog.insns(), abi.audit_arch(), nrs[0]);
        assert!(execve.may(|v| v == SECCOMP_RET_USER_NOTIF));
        let read = possible_returns(prog.insns(), abi.audit_arch(), nrs[2]);
        assert!(!read.may(|v| v == SECCOMP_RET_USER_NOTIF));
        assert!(!read.is_any());
    }
}
