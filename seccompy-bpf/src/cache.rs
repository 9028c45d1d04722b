//! A model of the kernel's seccomp action cache (Linux 5.11): which syscalls a
//! filter allows whatever their arguments, so that the kernel skips running it.
//!
//! When a filter is installed, the kernel runs a small constant evaluator over it
//! once for every syscall number of the native ABI (and of the compat ABI, if the
//! architecture has one), knowing only `nr` and `arch`. If the evaluation reaches
//! `RET` of exactly `SECCOMP_RET_ALLOW` through instructions it understands, the
//! syscall is marked "always allowed" and later calls skip the filter: a fast path
//! worth aiming for when writing filters.
//!
//! The evaluator understands only:
//! - `BPF_LD | BPF_W | BPF_ABS` of `nr` (offset 0) or `arch` (offset 4); any other
//!   load (arguments, instruction pointer) makes the result unknown;
//! - `BPF_JMP | BPF_JA` and the conditional jumps `JEQ`, `JGT`, `JGE`, `JSET`
//!   against a constant `k` (not against `X`);
//! - `BPF_ALU | BPF_AND | BPF_K`;
//! - `BPF_RET | BPF_K`: the result is allowed only if `k == SECCOMP_RET_ALLOW`
//!   exactly (not `SECCOMP_RET_LOG`, not `ALLOW` with data bits).
//!
//! Anything else on the path (`RET A`, `LD #k`, other ALU operations, `TAX`,
//! scratch memory, a jump on `X`) makes the kernel give up: not cached, even if the
//! instruction could not change the outcome. The accumulator starts at 0 here too.
//!
//! Facts around the model that [`cached_syscalls`] does not decide for you:
//! - only some architectures have the cache (those that define
//!   `SECCOMP_ARCH_NATIVE`: x86, arm64, arm, s390, powerpc, riscv, parisc, ...);
//! - the bitmaps cover numbers below the architecture's syscall count, so x32
//!   calls (numbers with [`X32_SYSCALL_BIT`]) and ARM's private calls are never
//!   cached;
//! - with several filters stacked, a syscall is cached only if every filter
//!   allows it constantly ([`cached_syscalls_stacked`]);
//! - recent kernels let `uretprobe` and `uprobe` (x86_64) through without running
//!   any filter at all, so their verdict here does not matter.
//!
//! ```
//! use seccompy_bpf::cache::is_const_allow;
//! use seccompy_sys::*;
//!
//! let prog = [
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1), // getpid
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16), // args[0]: not constant
//!     bpf_stmt(BPF_RET | BPF_A, 0),
//! ];
//! assert!(is_const_allow(&prog, AUDIT_ARCH_X86_64, 39));
//! assert!(!is_const_allow(&prog, AUDIT_ARCH_X86_64, 0));
//! assert!(!is_const_allow(&prog, AUDIT_ARCH_I386, 39));
//! ```
//!
//! # References
//! - `seccomp_is_const_allow` and `seccomp_cache_prepare_bitmap` in the kernel's
//!   `kernel/seccomp.c` (Linux 5.11, "seccomp: cache result of syscall filtering")

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::op::{AluOp, Op, Src};
use crate::program::Insn;

/// What the kernel's constant evaluator finds for one `(arch, nr)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstResult {
    /// The path reached `RET k` using only what the evaluator understands; the
    /// syscall is cached exactly when `k` is `SECCOMP_RET_ALLOW`.
    Constant(u32),
    /// The instruction at `pc` is one the evaluator does not model: the result
    /// depends on more than `nr` and `arch` (as far as the kernel can tell).
    Unknown {
        /// Index of the instruction.
        pc: usize,
    },
    /// The path left the program without a `RET` (only for programs the kernel
    /// would reject).
    RanOffEnd,
}

impl ConstResult {
    /// Whether the kernel caches the syscall as allowed.
    #[must_use]
    pub const fn is_allow(self) -> bool {
        matches!(self, ConstResult::Constant(SECCOMP_RET_ALLOW))
    }
}

/// Runs the kernel's constant evaluator on `prog` for a call with this `arch`
/// and `nr`. Never panics; for programs [`validate`](crate::validate::validate)
/// accepts it follows the kernel step by step.
#[must_use]
pub fn const_result(prog: &[Insn], arch: u32, nr: u32) -> ConstResult {
    let mut a: u32 = 0;
    let mut pc: u64 = 0;
    while let Some(insn) = prog.get(pc as usize) {
        // The kernel's evaluator knows these instructions only.
        match Op::decode_opcode(insn) {
            Ok(Op::LoadAbs(0)) => a = nr,
            Ok(Op::LoadAbs(4)) => a = arch,
            Ok(Op::RetK(k)) => return ConstResult::Constant(k),
            Ok(Op::Ja(k)) => pc += u64::from(k),
            Ok(Op::Jump {
                cond,
                src: Src::K(k),
                jt,
                jf,
            }) => pc += u64::from(if cond.holds(a, k) { jt } else { jf }),
            Ok(Op::Alu(AluOp::And, Src::K(k))) => a &= k,
            _ => return ConstResult::Unknown { pc: pc as usize },
        }
        pc += 1;
    }
    ConstResult::RanOffEnd
}

/// Whether the kernel would cache `(arch, nr)` as always allowed by `prog`
/// (the kernel's `seccomp_is_const_allow`).
#[must_use]
pub fn is_const_allow(prog: &[Insn], arch: u32, nr: u32) -> bool {
    const_result(prog, arch, nr).is_allow()
}

/// The syscalls of `abi` (from its table) that `prog` allows constantly, sorted by
/// number. See the module documentation for which ABIs the kernel caches at all.
#[must_use]
pub fn cached_syscalls(prog: &[Insn], abi: Abi) -> Vec<(u32, &'static str)> {
    cached_syscalls_stacked(&[prog], abi)
}

/// Like [`cached_syscalls`] for a stack of filters: a syscall is cached only if
/// every filter allows it constantly.
#[must_use]
pub fn cached_syscalls_stacked(progs: &[&[Insn]], abi: Abi) -> Vec<(u32, &'static str)> {
    let arch = abi.audit_arch();
    abi.syscalls()
        .iter()
        .copied()
        .filter(|&(nr, _)| progs.iter().all(|p| is_const_allow(p, arch, nr)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: Insn = bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

    fn ld(k: u32) -> Insn {
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, k)
    }

    /// x86_64 only: read, write, and openat when args[2] is 0.
    fn allow_list() -> [Insn; 11] {
        [
            ld(4),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            ld(0),
            bpf_jump(BPF_JMP | BPF_JGE | BPF_K, 2, 1, 0), // read=0, write=1
            ALLOW,
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 257, 0, 3), // openat
            ld(32),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            ALLOW,
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ]
    }

    #[test]
    fn evaluator_follows_the_path() {
        let p = allow_list();
        assert_eq!(
            const_result(&p, AUDIT_ARCH_X86_64, 0),
            ConstResult::Constant(SECCOMP_RET_ALLOW)
        );
        assert_eq!(
            const_result(&p, AUDIT_ARCH_X86_64, 1),
            ConstResult::Constant(SECCOMP_RET_ALLOW)
        );
        assert_eq!(
            const_result(&p, AUDIT_ARCH_X86_64, 2),
            ConstResult::Constant(SECCOMP_RET_ERRNO | 1)
        );
        assert_eq!(
            const_result(&p, AUDIT_ARCH_X86_64, 257),
            ConstResult::Unknown { pc: 7 }
        );
        assert_eq!(
            const_result(&p, AUDIT_ARCH_I386, 0),
            ConstResult::Constant(SECCOMP_RET_KILL_PROCESS)
        );
        let cached = cached_syscalls(&p, Abi::X86_64);
        assert_eq!(cached, [(0, "read"), (1, "write")]);
        assert!(cached_syscalls(&p, Abi::I386).is_empty());
        // x32 numbers carry the x32 bit, so they are never below 2.
        assert!(cached_syscalls(&p, Abi::X32).is_empty());
    }

    #[test]
    fn what_the_evaluator_does_not_model() {
        // AND with a constant is modelled: nr & 0xff == 1.
        let and = [
            ld(0),
            bpf_stmt(BPF_ALU | BPF_AND | BPF_K, 0xff),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
            ALLOW,
            bpf_stmt(BPF_RET | BPF_K, 0),
        ];
        assert!(is_const_allow(&and, 0, 0x101));
        assert!(!is_const_allow(&and, 0, 0x102));
        // JSET and JGT with constants.
        let jset = [
            ld(0),
            bpf_jump(BPF_JMP | BPF_JSET | BPF_K, 4, 1, 0),
            ALLOW,
            bpf_jump(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 1),
            ALLOW,
            bpf_stmt(BPF_RET | BPF_K, 0),
        ];
        assert!(is_const_allow(&jset, 0, 3));
        assert!(is_const_allow(&jset, 0, 6));
        assert!(!is_const_allow(&jset, 0, 4));
        // Instructions that cannot change the result still stop the evaluator.
        for insn in [
            bpf_stmt(BPF_LD | BPF_IMM, 0),
            bpf_stmt(BPF_MISC | BPF_TAX, 0),
            bpf_stmt(BPF_ALU | BPF_OR | BPF_K, 0),
            bpf_stmt(BPF_ST, 0),
            bpf_stmt(BPF_LD | BPF_W | BPF_LEN, 0),
            ld(8),
        ] {
            assert_eq!(
                const_result(&[insn, ALLOW], 0, 0),
                ConstResult::Unknown { pc: 0 }
            );
        }
        assert_eq!(
            const_result(&[bpf_jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0), ALLOW], 0, 0),
            ConstResult::Unknown { pc: 0 }
        );
        // RET A, LOG and ALLOW with data are not cached.
        assert_eq!(
            const_result(&[bpf_stmt(BPF_RET | BPF_A, 0)], 0, 0),
            ConstResult::Unknown { pc: 0 }
        );
        assert!(!is_const_allow(
            &[bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_LOG)],
            0,
            0
        ));
        assert!(!is_const_allow(
            &[bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW | 1)],
            0,
            0
        ));
        // JA skips, and invalid programs do not panic.
        assert!(is_const_allow(
            &[
                bpf_stmt(BPF_JMP | BPF_JA, 1),
                bpf_stmt(BPF_RET | BPF_K, 0),
                ALLOW
            ],
            0,
            0
        ));
        assert_eq!(
            const_result(&[bpf_stmt(BPF_JMP | BPF_JA, u32::MAX)], 0, 0),
            ConstResult::RanOffEnd
        );
        assert_eq!(const_result(&[], 0, 0), ConstResult::RanOffEnd);
        assert_eq!(const_result(&[ld(0)], 0, 0), ConstResult::RanOffEnd);
    }

    #[test]
    fn stacked_filters_intersect() {
        let p = allow_list();
        let only_write = [
            ld(0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
            ALLOW,
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        assert_eq!(
            cached_syscalls_stacked(&[&p, &only_write], Abi::X86_64),
            [(1, "write")]
        );
    }

    #[test]
    fn cached_means_allowed_for_every_argument() {
        // Soundness against the emulator: when the model says "cached", running the
        // filter on any arguments and instruction pointer returns ALLOW.
        use crate::emulate::{ByteOrder, emulate_for};
        let mut seed = 5;
        let mut cached = 0;
        for _ in 0..20_000 {
            let mut p = crate::validate::tests::random_program(&mut seed);
            // Bias towards loads of nr and arch and towards ALLOW.
            for insn in &mut p {
                if insn.code == BPF_LD | BPF_W | BPF_ABS && insn.k > 4 && seed % 3 == 0 {
                    insn.k %= 8;
                }
                if insn.code == BPF_RET | BPF_K && seed % 2 == 0 {
                    insn.k = SECCOMP_RET_ALLOW;
                }
            }
            if crate::validate::validate(&p).is_err() {
                continue;
            }
            for (arch, nr) in [
                (0, 0),
                (AUDIT_ARCH_X86_64, 1),
                (seed as u32, (seed >> 32) as u32),
            ] {
                if !is_const_allow(&p, arch, nr) {
                    continue;
                }
                cached += 1;
                for salt in 0..4u64 {
                    let v = seed.rotate_left(salt as u32 * 13) ^ salt;
                    let d = seccomp_data {
                        nr: nr as i32,
                        arch,
                        instruction_pointer: v,
                        args: [v, !v, v >> 7, 0, u64::MAX, salt],
                    };
                    for order in [ByteOrder::Little, ByteOrder::Big] {
                        let out = emulate_for(&p, &d, order).unwrap();
                        assert_eq!(out.ret, SECCOMP_RET_ALLOW, "{p:?}");
                    }
                }
            }
        }
        assert!(cached > 300, "only {cached} cached cases");
    }
}
