//! An emulator that runs a classic BPF program over a `seccomp_data` as the kernel
//! runs a seccomp filter.
//!
//! # The input, byte by byte
//!
//! The kernel hands the filter a `struct seccomp_data` in memory and a
//! `BPF_LD | BPF_W | BPF_ABS` instruction loads the 32-bit word at offset `k` in the
//! **byte order of the ABI** (the kernel does no conversion). `nr` (offset 0) and
//! `arch` (offset 4) are 32-bit fields and read the same in both byte orders, but
//! each 64-bit field is split in two words whose order depends on it:
//!
//! | offset | little-endian ABI | big-endian ABI |
//! |---|---|---|
//! | 8 | `instruction_pointer` low word | `instruction_pointer` high word |
//! | 12 | `instruction_pointer` high word | `instruction_pointer` low word |
//! | 16 + 8·i | `args[i]` low word | `args[i]` high word |
//! | 20 + 8·i | `args[i]` high word | `args[i]` low word |
//!
//! [`Input`] is `seccomp_data` serialised in a given [`ByteOrder`];
//! [`emulate_for`] takes the byte order explicitly (use [`ByteOrder::of`] for an
//! [`Abi`]) and [`emulate`] uses the host's, which is what a filter installed on
//! this machine sees.
//!
//! # Semantics
//!
//! For a program that [`validate`](crate::validate::validate) accepts, the result is
//! the kernel's: A and X start at 0, `BPF_LEN` loads read 64 (the size of
//! `seccomp_data`), arithmetic is unsigned 32-bit and wraps, a shift by `X` uses
//! the low 5 bits of `X` (as the kernel's interpreter and JITs do), and a division
//! by an `X` that is zero ends the program with return value 0 (the kernel's
//! classic-BPF translation does exactly that; 0 is `SECCOMP_RET_KILL_THREAD`).
//!
//! For any other program the emulator never panics: it stops with an
//! [`EmulateError`] at the first instruction it cannot run the way the kernel
//! would (an opcode seccomp rejects, a load outside `seccomp_data`, a jump out of
//! the program, a read of a scratch slot never written, ...). Problems on paths
//! the input does not take are not reported; `validate` checks every path.
//!
//! ```
//! use seccompy_bpf::emulate::{emulate_for, ByteOrder};
//! use seccompy_sys::*;
//!
//! // Allow the call when the low word of args[1] is 7.
//! let prog = [
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 24),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
//! ];
//! let mut data = seccomp_data::default();
//! data.args[1] = 7;
//! let out = emulate_for(&prog, &data, ByteOrder::Little).unwrap();
//! assert_eq!((out.ret, out.executed), (SECCOMP_RET_ALLOW, 3));
//! // On a big-endian ABI, offset 24 is the high word of args[1].
//! let out = emulate_for(&prog, &data, ByteOrder::Big).unwrap();
//! assert_eq!(out.ret, SECCOMP_RET_ERRNO | 1);
//! ```

use alloc::vec::Vec;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::action::Action;
use crate::op::{AluOp, InsnError, Op, Reg, Src};
use crate::program::Insn;

/// `sizeof(struct seccomp_data)`: the input's length in bytes, what `BPF_LEN` loads.
pub const SECCOMP_DATA_SIZE: u32 = core::mem::size_of::<seccomp_data>() as u32;

/// The byte order in which an ABI stores `seccomp_data` in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (x86, arm, aarch64, riscv, ...).
    Little,
    /// Most significant byte first (s390x, ppc64, mips, sparc, ...).
    Big,
}

impl ByteOrder {
    /// The byte order of the machine this code runs on.
    #[cfg(target_endian = "little")]
    pub const HOST: ByteOrder = ByteOrder::Little;
    /// The byte order of the machine this code runs on.
    #[cfg(target_endian = "big")]
    pub const HOST: ByteOrder = ByteOrder::Big;

    /// The byte order of an ABI (from the little-endian bit of its audit arch).
    #[must_use]
    pub const fn of(abi: Abi) -> ByteOrder {
        if abi.is_little_endian() {
            ByteOrder::Little
        } else {
            ByteOrder::Big
        }
    }

    /// The offset of the low 32-bit word of `args[index]` (`index < 6`).
    #[must_use]
    pub const fn arg_low_offset(self, index: u8) -> u32 {
        16 + 8 * index as u32 + self.low_word_delta()
    }

    /// The offset of the high 32-bit word of `args[index]` (`index < 6`).
    #[must_use]
    pub const fn arg_high_offset(self, index: u8) -> u32 {
        16 + 8 * index as u32 + 4 - self.low_word_delta()
    }

    /// 0 if the low word of a 64-bit field comes first, 4 if it comes second.
    const fn low_word_delta(self) -> u32 {
        match self {
            ByteOrder::Little => 0,
            ByteOrder::Big => 4,
        }
    }

    fn put_u32(self, out: &mut [u8], v: u32) {
        let b = match self {
            ByteOrder::Little => v.to_le_bytes(),
            ByteOrder::Big => v.to_be_bytes(),
        };
        out.copy_from_slice(&b);
    }

    fn put_u64(self, out: &mut [u8], v: u64) {
        let b = match self {
            ByteOrder::Little => v.to_le_bytes(),
            ByteOrder::Big => v.to_be_bytes(),
        };
        out.copy_from_slice(&b);
    }

    fn get_u32(self, b: [u8; 4]) -> u32 {
        match self {
            ByteOrder::Little => u32::from_le_bytes(b),
            ByteOrder::Big => u32::from_be_bytes(b),
        }
    }
}

/// A filter's input: `seccomp_data` laid out in memory in a given byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Input {
    bytes: [u8; SECCOMP_DATA_SIZE as usize],
    order: ByteOrder,
}

impl Input {
    /// Serialises `data` as an ABI with byte order `order` stores it.
    #[must_use]
    pub fn new(data: &seccomp_data, order: ByteOrder) -> Self {
        let mut bytes = [0u8; SECCOMP_DATA_SIZE as usize];
        order.put_u32(&mut bytes[0..4], data.nr as u32);
        order.put_u32(&mut bytes[4..8], data.arch);
        order.put_u64(&mut bytes[8..16], data.instruction_pointer);
        for (i, a) in data.args.iter().enumerate() {
            order.put_u64(&mut bytes[16 + 8 * i..24 + 8 * i], *a);
        }
        Self { bytes, order }
    }

    /// Takes raw bytes, to be loaded as 32-bit words in byte order `order`.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; SECCOMP_DATA_SIZE as usize], order: ByteOrder) -> Self {
        Self { bytes, order }
    }

    /// The raw bytes.
    #[must_use]
    pub const fn bytes(&self) -> &[u8; SECCOMP_DATA_SIZE as usize] {
        &self.bytes
    }

    /// The byte order words are loaded in.
    #[must_use]
    pub const fn order(&self) -> ByteOrder {
        self.order
    }

    /// The 32-bit word at `offset`, as `BPF_LD | BPF_W | BPF_ABS` loads it, or `None`
    /// when seccomp forbids the load (not 4-byte aligned, or past the end).
    #[must_use]
    pub fn word(&self, offset: u32) -> Option<u32> {
        if offset >= SECCOMP_DATA_SIZE || offset & 3 != 0 {
            return None;
        }
        let o = offset as usize;
        let b = [
            self.bytes[o],
            self.bytes[o + 1],
            self.bytes[o + 2],
            self.bytes[o + 3],
        ];
        Some(self.order.get_u32(b))
    }
}

/// What a run of the program gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The 32-bit value the program returned.
    pub ret: u32,
    /// How many instructions ran, the final `RET` included.
    pub executed: usize,
}

impl Outcome {
    /// The returned value decoded as an action, or `None` for a value the kernel
    /// does not define (which kills the process).
    #[must_use]
    pub const fn action(&self) -> Option<Action> {
        Action::from_raw(self.ret)
    }
}

/// Why the emulator stopped without a return value: the program is not one the
/// kernel would accept, and this run met the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EmulateError {
    /// The program has no instruction.
    #[error("the program is empty")]
    Empty,
    /// The run reached an instruction the kernel refuses (an opcode seccomp
    /// rejects, a constant it rejects, a jump past the end, a read of a scratch
    /// slot this run has not written).
    #[error("instruction {pc}: {error}")]
    Insn {
        /// Index of the instruction.
        pc: usize,
        /// What is wrong with it.
        error: InsnError,
    },
    /// The last instruction ran and was not a `RET`.
    #[error("the program ran past its last instruction without returning")]
    FellOffEnd,
}

/// Runs `prog` over `data` laid out in the host's byte order, as a filter
/// installed on this machine would see it. See [`emulate_for`] for another ABI.
pub fn emulate(prog: &[Insn], data: &seccomp_data) -> Result<Outcome, EmulateError> {
    emulate_input(prog, &Input::new(data, ByteOrder::HOST))
}

/// Runs `prog` over `data` laid out in byte order `order` (see [`ByteOrder::of`]).
pub fn emulate_for(
    prog: &[Insn],
    data: &seccomp_data,
    order: ByteOrder,
) -> Result<Outcome, EmulateError> {
    emulate_input(prog, &Input::new(data, order))
}

/// Runs `prog` over an already serialised input.
pub fn emulate_input(prog: &[Insn], input: &Input) -> Result<Outcome, EmulateError> {
    run(prog, input, &mut |_| {})
}

/// One executed instruction of a run: its index and the registers after it
/// (for a `RET`, before it: it changes nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// The instruction's index.
    pub pc: usize,
    /// The accumulator after it.
    pub a: u32,
    /// The index register after it.
    pub x: u32,
}

/// Runs `prog` as [`emulate_for`] does, and returns the path it took: each
/// executed instruction in order, the final `RET` included, with the registers
/// after it (`executed` steps). On an error, the steps up to the instruction
/// that failed are lost with the outcome.
pub fn emulate_path(
    prog: &[Insn],
    data: &seccomp_data,
    order: ByteOrder,
) -> Result<(Outcome, Vec<Step>), EmulateError> {
    let mut steps = Vec::new();
    let outcome = run(prog, &Input::new(data, order), &mut |step| steps.push(step))?;
    Ok((outcome, steps))
}

/// The emulator: runs `prog` over `input`, passing each executed instruction to
/// `step`.
fn run(prog: &[Insn], input: &Input, step: &mut dyn FnMut(Step)) -> Result<Outcome, EmulateError> {
    if prog.is_empty() {
        return Err(EmulateError::Empty);
    }
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS];
    let mut written: u16 = 0;
    let mut pc: usize = 0;
    let mut executed: usize = 0;
    // The instruction that ran last, reported with the registers it left.
    let mut last: Option<usize> = None;
    let len = prog.len();
    // Jumps only go forward, so the loop runs at most `prog.len()` times.
    while let Some(insn) = prog.get(pc) {
        if let Some(ran) = last.take() {
            step(Step { pc: ran, a, x });
        }
        last = Some(pc);
        executed += 1;
        let bad = |error: InsnError| EmulateError::Insn { pc, error };
        let op = Op::decode(insn).map_err(bad)?;
        // Decoded: slots are below 16, loads inside seccomp_data.
        let slot = |k: u32| k as usize % BPF_MEMWORDS;
        match op {
            Op::LoadAbs(k) => {
                a = input.word(k).ok_or(bad(InsnError::BadLoad { offset: k }))?;
            }
            Op::LoadLen(r) => *reg(&mut a, &mut x, r) = SECCOMP_DATA_SIZE,
            Op::LoadImm(r, k) => *reg(&mut a, &mut x, r) = k,
            Op::LoadMem(r, k) => {
                if written & (1 << slot(k)) == 0 {
                    return Err(bad(InsnError::UninitializedScratch { slot: k }));
                }
                *reg(&mut a, &mut x, r) = mem[slot(k)];
            }
            Op::Store(r, k) => {
                mem[slot(k)] = *reg(&mut a, &mut x, r);
                written |= 1 << slot(k);
            }
            Op::Tax => x = a,
            Op::Txa => a = x,
            Op::Neg => a = a.wrapping_neg(),
            Op::RetK(k) => {
                step(Step { pc, a, x });
                return Ok(Outcome { ret: k, executed });
            }
            Op::RetA => {
                step(Step { pc, a, x });
                return Ok(Outcome { ret: a, executed });
            }
            Op::Alu(op, src) => {
                let src = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                match alu(op, a, src) {
                    Some(v) => a = v,
                    None => {
                        step(Step { pc, a, x });
                        return Ok(Outcome { ret: 0, executed });
                    }
                }
            }
            Op::Ja(k) => {
                pc = jump(len, pc, k).map_err(bad)?;
                continue;
            }
            Op::Jump { cond, src, jt, jf } => {
                let src = match src {
                    Src::K(k) => k,
                    Src::X => x,
                };
                let off = if cond.holds(a, src) { jt } else { jf };
                pc = jump(len, pc, off.into()).map_err(bad)?;
                continue;
            }
        }
        pc += 1;
    }
    Err(EmulateError::FellOffEnd)
}

/// The register `r` of `A` and `X`.
fn reg<'r>(a: &'r mut u32, x: &'r mut u32, r: Reg) -> &'r mut u32 {
    match r {
        Reg::A => a,
        Reg::X => x,
    }
}

/// The accumulator after `A = A op src`, or `None` when the program ends there
/// returning 0 (a division by 0, which only an `X` of 0 can be in a program
/// the kernel accepts: the kernel does exactly that). A shift uses the low 5
/// bits of `src`, as the kernel's interpreter and JITs do.
pub(crate) const fn alu(op: AluOp, a: u32, src: u32) -> Option<u32> {
    Some(match op {
        AluOp::Add => a.wrapping_add(src),
        AluOp::Sub => a.wrapping_sub(src),
        AluOp::Mul => a.wrapping_mul(src),
        AluOp::Div => match a.checked_div(src) {
            Some(v) => v,
            None => return None,
        },
        AluOp::Mod => match a.checked_rem(src) {
            Some(v) => v,
            None => return None,
        },
        AluOp::And => a & src,
        AluOp::Or => a | src,
        AluOp::Xor => a ^ src,
        AluOp::Lsh => a << (src & 31),
        AluOp::Rsh => a >> (src & 31),
    })
}

/// The index `pc + 1 + offset`, checked to be inside a program of `len`
/// instructions.
fn jump(len: usize, pc: usize, offset: u32) -> Result<usize, InsnError> {
    let target = pc as u64 + 1 + u64::from(offset);
    if target < len as u64 {
        Ok(target as usize)
    } else {
        Err(InsnError::JumpOutOfRange { target, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn st(code: u16, k: u32) -> Insn {
        bpf_stmt(code, k)
    }
    fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        bpf_jump(code, k, jt, jf)
    }
    fn run(prog: &[Insn]) -> Result<Outcome, EmulateError> {
        emulate_for(prog, &sample(), ByteOrder::Little)
    }

    #[test]
    fn the_path_is_each_executed_instruction_with_its_registers() {
        let prog = [
            st(BPF_LD | BPF_W | BPF_ABS, 0),
            jmp(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
            st(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            st(BPF_MISC | BPF_TAX, 0),
            st(BPF_RET | BPF_A, 0),
        ];
        let (out, path) = emulate_path(&prog, &sample(), ByteOrder::Little).unwrap();
        let nr = (-2i32) as u32;
        assert_eq!(out, run(&prog).unwrap());
        assert_eq!(out.executed, path.len());
        let got: Vec<(usize, u32, u32)> = path.iter().map(|s| (s.pc, s.a, s.x)).collect();
        assert_eq!(got, [(0, nr, 0), (1, nr, 0), (3, nr, nr), (4, nr, nr)]);
    }
    fn sample() -> seccomp_data {
        seccomp_data {
            nr: -2,
            arch: AUDIT_ARCH_X86_64,
            instruction_pointer: 0x1122_3344_5566_7788,
            args: [
                0x0000_0001_0000_0002,
                0xffff_ffff_8000_0000,
                3,
                4,
                5,
                0xdead_beef_cafe_f00d,
            ],
        }
    }

    #[test]
    fn input_layout_in_both_byte_orders() {
        let d = sample();
        let le = Input::new(&d, ByteOrder::Little);
        let be = Input::new(&d, ByteOrder::Big);
        for i in [&le, &be] {
            assert_eq!(i.word(0), Some(0xffff_fffe));
            assert_eq!(i.word(4), Some(AUDIT_ARCH_X86_64));
        }
        assert_eq!(le.word(8), Some(0x5566_7788));
        assert_eq!(be.word(8), Some(0x1122_3344));
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let inp = Input::new(&d, order);
            for (i, &arg) in d.args.iter().enumerate() {
                let lo = inp.word(order.arg_low_offset(i as u8)).unwrap();
                let hi = inp.word(order.arg_high_offset(i as u8)).unwrap();
                assert_eq!((u64::from(hi) << 32) | u64::from(lo), arg);
            }
        }
        assert_eq!(le.bytes()[16..24], d.args[0].to_le_bytes());
        assert_eq!(be.bytes()[56..64], d.args[5].to_be_bytes());
        assert_eq!(le.word(60), Some(0xdead_beef));
        assert_eq!(le.word(64), None);
        assert_eq!(le.word(2), None);
        assert_eq!(ByteOrder::of(Abi::S390x), ByteOrder::Big);
        assert_eq!(ByteOrder::of(Abi::X86_64), ByteOrder::Little);
    }

    #[test]
    fn alu_and_registers() {
        // ((nr + 10) * 3 - 1) / 2, then ^ 0xff, | 0x100, & 0x1f0, << 4, >> 2, neg.
        let prog = [
            st(BPF_LD | BPF_IMM, 5),
            st(BPF_ALU | BPF_ADD | BPF_K, 10),
            st(BPF_ALU | BPF_MUL | BPF_K, 3),
            st(BPF_ALU | BPF_SUB | BPF_K, 1),
            st(BPF_ALU | BPF_DIV | BPF_K, 2),
            st(BPF_ALU | BPF_XOR | BPF_K, 0xff),
            st(BPF_ALU | BPF_OR | BPF_K, 0x100),
            st(BPF_ALU | BPF_AND | BPF_K, 0x1f0),
            st(BPF_ALU | BPF_LSH | BPF_K, 4),
            st(BPF_ALU | BPF_RSH | BPF_K, 2),
            st(BPF_ALU | BPF_NEG, 0),
            st(BPF_RET | BPF_A, 0),
        ];
        let mut v: u32 = 5;
        v = ((v + 10) * 3 - 1) / 2;
        v = ((((v ^ 0xff) | 0x100) & 0x1f0) << 4) >> 2;
        let out = run(&prog).unwrap();
        assert_eq!(out.ret, v.wrapping_neg());
        assert_eq!(out.executed, prog.len());

        // X operand forms, TAX/TXA, LEN loads, scratch memory.
        let prog = [
            st(BPF_LDX | BPF_W | BPF_LEN, 0),
            st(BPF_LD | BPF_W | BPF_ABS, 16), // args[0] low = 2
            st(BPF_ALU | BPF_ADD | BPF_X, 0), // 66
            st(BPF_ST, 3),
            st(BPF_LDX | BPF_IMM, 33),
            st(BPF_ALU | BPF_LSH | BPF_X, 0), // shift by 33 & 31 = 1 -> 132
            st(BPF_MISC | BPF_TAX, 0),
            st(BPF_LD | BPF_MEM, 3), // 66
            st(BPF_ALU | BPF_SUB | BPF_X, 0),
            st(BPF_STX, 15),
            st(BPF_LDX | BPF_MEM, 15),
            st(BPF_MISC | BPF_TXA, 0),
            st(BPF_RET | BPF_A, 0),
        ];
        assert_eq!(run(&prog).unwrap().ret, 132);

        let len = [st(BPF_LD | BPF_W | BPF_LEN, 0), st(BPF_RET | BPF_A, 0)];
        assert_eq!(run(&len).unwrap().ret, 64);
    }

    #[test]
    fn division_by_x_zero_returns_zero() {
        let prog = [
            st(BPF_LD | BPF_IMM, 9),
            st(BPF_ALU | BPF_DIV | BPF_X, 0),
            st(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ];
        assert_eq!(
            run(&prog),
            Ok(Outcome {
                ret: 0,
                executed: 2
            })
        );
    }

    #[test]
    fn jumps() {
        // nr == -2 (0xfffffffe): JGT, JGE, JSET, JEQ with K and X.
        let prog = [
            st(BPF_LD | BPF_W | BPF_ABS, 0),
            jmp(BPF_JMP | BPF_JGT | BPF_K, 0xffff_fffd, 1, 0),
            st(BPF_RET | BPF_K, 1),
            jmp(BPF_JMP | BPF_JGE | BPF_K, 0xffff_ffff, 0, 1),
            st(BPF_RET | BPF_K, 2),
            jmp(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
            st(BPF_RET | BPF_K, 3),
            st(BPF_LDX | BPF_IMM, 0xffff_fffe),
            jmp(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),
            st(BPF_RET | BPF_K, 4),
            st(BPF_JMP | BPF_JA, 1),
            st(BPF_RET | BPF_K, 5),
            st(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ];
        let out = run(&prog).unwrap();
        assert_eq!(out.ret, SECCOMP_RET_ALLOW);
        assert_eq!(out.executed, 8);
        assert_eq!(out.action(), Some(Action::Allow));
    }

    #[test]
    fn errors_never_panic() {
        use EmulateError::{Empty, FellOffEnd};
        use InsnError::*;
        let bad = |pc: usize, error: InsnError| Err(EmulateError::Insn { pc, error });
        assert_eq!(run(&[]), Err(Empty));
        assert_eq!(
            run(&[st(BPF_LD | BPF_W | BPF_ABS, 64)]),
            bad(0, BadLoad { offset: 64 })
        );
        assert_eq!(
            run(&[st(BPF_LD | BPF_W | BPF_ABS, u32::MAX)]),
            bad(0, BadLoad { offset: u32::MAX })
        );
        assert_eq!(
            run(&[st(BPF_LD | BPF_H | BPF_ABS, 0)]),
            bad(
                0,
                NotForSeccomp {
                    code: BPF_LD | BPF_H | BPF_ABS
                }
            )
        );
        assert_eq!(
            run(&[st(BPF_ALU | BPF_MOD | BPF_K, 3)]),
            bad(
                0,
                NotForSeccomp {
                    code: BPF_ALU | BPF_MOD | BPF_K
                }
            )
        );
        assert_eq!(
            run(&[st(BPF_LD | BPF_MEM, 0)]),
            bad(0, UninitializedScratch { slot: 0 })
        );
        assert_eq!(run(&[st(BPF_ST, 16)]), bad(0, BadScratchSlot { slot: 16 }));
        assert_eq!(
            run(&[st(BPF_ALU | BPF_DIV | BPF_K, 0)]),
            bad(0, DivisionByZero)
        );
        assert_eq!(
            run(&[st(BPF_ALU | BPF_RSH | BPF_K, 32)]),
            bad(0, ShiftTooFar { k: 32 })
        );
        assert_eq!(
            run(&[st(BPF_JMP | BPF_JA, u32::MAX)]),
            bad(
                0,
                JumpOutOfRange {
                    target: 1 << 32,
                    len: 1
                }
            )
        );
        assert_eq!(
            run(&[jmp(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), st(BPF_RET, 0)]),
            bad(0, JumpOutOfRange { target: 6, len: 2 })
        );
        assert_eq!(run(&[st(BPF_LD | BPF_IMM, 0)]), Err(FellOffEnd));
        // Every opcode value on a one-instruction program followed by a RET.
        for code in 0..=u16::MAX {
            let p: Vec<Insn> = alloc::vec![jmp(code, 1, 0, 0), st(BPF_RET | BPF_A, 0)];
            let _ = run(&p);
        }
    }
}
