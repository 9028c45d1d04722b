//! A disassembler that prints a program in the syntax [`asm`](crate::asm) reads:
//! `assemble(&disassemble(p, abi)) == p` for every program, valid or not.
//!
//! The output is meant for people: loads of `seccomp_data` are named (`A = nr`,
//! `A = arch`, `A = args[1].hi` with the ABI's byte order), a comparison of a
//! loaded syscall number uses the syscall's name (`read`, or `read@i386` once the
//! program has checked that the arch is i386), a comparison of the arch uses its
//! `AUDIT_ARCH_*` name, returns name their action (`return ERRNO(1)`), and jumps go
//! to labels named after what they reach (`allow`, `errno_1`, or `L0012`). An
//! instruction whose fields the syntax cannot show (an unknown opcode, a non-zero
//! jump offset on a non-jump, ...) is printed raw as `.insn CODE, JT, JF, K`.
//!
//! Where every path to a load of an argument has tested the syscall number, the
//! load names the parameter in a comment (`A = args[0].lo  ; family`, from
//! [`seccompy_sys::signatures`]), and a comparison of its low word with a named
//! constant names it (`if A == 40 goto errno_1  ; AF_VSOCK`, from
//! [`decode`](crate::decode)). [`DisasmOptions::raw`] adds the raw
//! `code jt jf k` columns.
//!
//! ```
//! use seccompy_bpf::disasm::disassemble;
//! use seccompy_bpf::asm::assemble;
//! use seccompy_sys::{syscalls::Abi, *};
//!
//! let prog = [
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
//!     bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
//!     bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
//!     bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
//! ];
//! let text = disassemble(&prog, Abi::X86_64);
//! assert_eq!(text, "\
//! ; 6 instructions
//! .abi x86_64
//! 0000  A = arch
//! 0001  if A != AUDIT_ARCH_X86_64 goto kill_process
//! 0002  A = nr
//! 0003  if A != getpid goto kill_process
//! 0004  return ALLOW
//! kill_process:
//! 0005  return KILL_PROCESS
//! ");
//! assert_eq!(assemble(&text).unwrap().insns(), &prog);
//! ```

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::action::{Action, RetValue};
use crate::asm::{ALU_OPS, action_label};
use crate::emulate::ByteOrder;
use crate::op::{Cond, Flow, Op, Reg, Src};
use crate::program::Insn;
use crate::validate::validate;

/// Options for [`disassemble_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DisasmOptions {
    /// The ABI: byte order of the argument words, names of syscalls.
    pub abi: Abi,
    /// Print each instruction's index at the start of its line.
    pub indices: bool,
    /// Print the header comment (length, and the kernel's objection if any).
    pub header: bool,
    /// Print each instruction's raw fields (`code jt jf k`, hexadecimal) before
    /// its text, as `seccomp-tools disasm` does. The assembler does not read
    /// these columns back.
    pub raw: bool,
}

impl DisasmOptions {
    /// Indices and header on.
    #[must_use]
    pub const fn new(abi: Abi) -> Self {
        Self {
            abi,
            indices: true,
            header: true,
            raw: false,
        }
    }
}

/// Disassembles `prog` for `abi`, with indices and a header.
#[must_use]
pub fn disassemble(prog: &[Insn], abi: Abi) -> String {
    disassemble_with(prog, &DisasmOptions::new(abi))
}

/// What the accumulator or X is known to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Nr,
    Arch,
    /// The low word of argument `i`.
    ArgLo(u8),
    Other,
}

/// What is known before an instruction, on every path to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    a: Val,
    x: Val,
    /// The value of `arch`, once a test has pinned it.
    arch: Option<u32>,
    /// The syscall number, once a test has pinned it.
    nr: Option<u32>,
}

impl State {
    const UNKNOWN: State = State {
        a: Val::Other,
        x: Val::Other,
        arch: None,
        nr: None,
    };

    fn meet(self, o: State) -> State {
        let pick = |a: Val, b: Val| if a == b { a } else { Val::Other };
        State {
            a: pick(self.a, o.a),
            x: pick(self.x, o.x),
            arch: if self.arch == o.arch { self.arch } else { None },
            nr: if self.nr == o.nr { self.nr } else { None },
        }
    }

    /// The ABI and number of the syscall pinned on every path here, if any.
    fn call(self, abi: Abi) -> Option<(Abi, u32)> {
        let nr = self.nr?;
        let abi = match self.arch {
            Some(arch) => Abi::of_call(arch, nr)?,
            None => abi,
        };
        Some((abi, nr))
    }
}

/// Forward analysis: the state before each instruction (jumps only go forward, so
/// one pass in order sees every predecessor first).
fn analyse(prog: &[Insn]) -> Vec<State> {
    let n = prog.len();
    let mut into: Vec<Option<State>> = alloc::vec![None; n];
    if n > 0 {
        into[0] = Some(State::UNKNOWN);
    }
    let mut out = Vec::with_capacity(n);
    for (pc, insn) in prog.iter().enumerate() {
        let s = into[pc].unwrap_or(State::UNKNOWN);
        out.push(s);
        let mut flow = |off: u64, st: State| {
            let t = pc as u64 + 1 + off;
            if t < n as u64 {
                let slot = &mut into[t as usize];
                *slot = Some(slot.map_or(st, |old| old.meet(st)));
            }
        };
        let op = Op::decode_opcode(insn);
        let mut next = s;
        match Flow::of(insn) {
            Flow::Return => continue,
            Flow::Goto(k) => {
                flow(u64::from(k), s);
                continue;
            }
            Flow::Branch { jt, jf } => {
                let mut on_true = s;
                if let Ok(Op::Jump {
                    cond: Cond::Eq,
                    src: Src::K(k),
                    ..
                }) = op
                {
                    match s.a {
                        Val::Arch => on_true.arch = Some(k),
                        Val::Nr => on_true.nr = Some(k),
                        _ => {}
                    }
                }
                flow(u64::from(jt), on_true);
                flow(u64::from(jf), s);
                continue;
            }
            Flow::Next => {}
        }
        match op {
            Ok(Op::LoadAbs(0)) => next.a = Val::Nr,
            Ok(Op::LoadAbs(4)) => next.a = Val::Arch,
            Ok(Op::LoadAbs(k)) => {
                next.a = match arg_word(k) {
                    Some((i, true)) => Val::ArgLo(i),
                    _ => Val::Other,
                }
            }
            Ok(
                Op::LoadLen(Reg::A)
                | Op::LoadImm(Reg::A, _)
                | Op::LoadMem(Reg::A, _)
                | Op::Alu(..)
                | Op::Neg,
            ) => next.a = Val::Other,
            Ok(Op::LoadLen(Reg::X) | Op::LoadImm(Reg::X, _) | Op::LoadMem(Reg::X, _)) => {
                next.x = Val::Other;
            }
            Ok(Op::Tax) => next.x = s.a,
            Ok(Op::Txa) => next.a = s.x,
            Ok(_) => {}
            // An instruction the kernel refuses changes the register its class
            // loads or computes into, as far as this analysis says.
            Err(_) => match bpf_class(insn.code) {
                BPF_LD | BPF_ALU => next.a = Val::Other,
                BPF_LDX => next.x = Val::Other,
                _ => {}
            },
        }
        flow(0, next);
    }
    out
}

/// The argument a word load at offset `k` reads, and whether it is the low
/// word on a little-endian ABI (the analysis is made for that order; the
/// comments it feeds are dropped on big-endian ABIs, see [`arg_comment`]).
fn arg_word(k: u32) -> Option<(u8, bool)> {
    let off = k
        .checked_sub(16)
        .filter(|&o| o < 48 && o.is_multiple_of(4))?;
    Some(((off / 8) as u8, off.is_multiple_of(8)))
}

/// The comment of an instruction: the parameter a load of an argument reads,
/// or the constant a comparison of an argument's low word names, when the
/// syscall is known on every path to it.
fn arg_comment(insn: &Insn, s: State, abi: Abi, order: ByteOrder) -> Option<String> {
    let (call_abi, nr) = s.call(abi)?;
    let (cond, k) = match Op::decode_opcode(insn).ok()? {
        Op::LoadAbs(k) => {
            let (i, _) = arg_word(k)?;
            return crate::decode::param_name(call_abi, nr, usize::from(i))
                .map(ToString::to_string);
        }
        Op::Jump {
            cond,
            src: Src::K(k),
            ..
        } => (cond, k),
        _ => return None,
    };
    // The analysis takes the low word at the lower offset.
    if order != ByteOrder::Little {
        return None;
    }
    let Val::ArgLo(i) = s.a else { return None };
    let name = call_abi.syscall_name(nr)?;
    let table = crate::decode::table(call_abi, name, usize::from(i))?;
    let k = u64::from(k);
    match cond {
        Cond::Eq => table
            .choices
            .iter()
            .chain(table.flags)
            .find(|&&(v, n)| v == k && n != "0")
            .map(|&(_, n)| n.to_string()),
        // A test of flag bits: named when every bit tested has a name.
        Cond::Set => {
            let mut rest = k;
            let mut names: Vec<&str> = Vec::new();
            for &(v, n) in table.flags {
                if v != 0 && rest & v == v {
                    names.push(n);
                    rest &= !v;
                }
            }
            (rest == 0 && !names.is_empty()).then(|| names.join("|"))
        }
        Cond::Gt | Cond::Ge => None,
    }
}

/// A number as the disassembler writes it: decimal below 4096, else hex.
fn num(k: u32) -> String {
    if k < 4096 {
        k.to_string()
    } else {
        format!("{k:#x}")
    }
}

/// The name of syscall `nr` as the assembler will read it back, if it has one.
fn syscall_text(nr: u32, arch: Option<u32>, abi: Abi) -> Option<String> {
    let arch = arch.unwrap_or(abi.audit_arch());
    let round_trips = |a: Abi, name: &str| a.syscall_nr(name) == Some(nr);
    if arch == abi.audit_arch()
        && let Some(name) = abi.syscall_name(nr).filter(|n| round_trips(abi, n))
    {
        return Some(name.to_string());
    }
    Abi::ALL
        .iter()
        .filter(|a| **a != abi && a.audit_arch() == arch)
        .find_map(|a| {
            a.syscall_name(nr)
                .filter(|n| round_trips(*a, n))
                .map(|n| format!("{n}@{a}"))
        })
}

/// The operand of a comparison with the constant `k`, named when A's content is known.
fn operand(k: u32, cond: Cond, s: State, abi: Abi) -> String {
    match s.a {
        Val::Nr => {
            let x86 = matches!(abi, Abi::X86_64 | Abi::X32);
            if x86 && k == X32_SYSCALL_BIT && cond != Cond::Eq {
                return "X32_SYSCALL_BIT".into();
            }
            if cond == Cond::Eq
                && let Some(name) = syscall_text(k, s.arch, abi)
            {
                return name;
            }
            num(k)
        }
        Val::Arch if cond == Cond::Eq => AUDIT_ARCHES
            .iter()
            .find(|(_, v)| *v == k)
            .map_or_else(|| num(k), |(n, _)| (*n).to_string()),
        _ => num(k),
    }
}

/// The text of a `BPF_LD | BPF_W | BPF_ABS` operand.
fn load_text(k: u32, order: ByteOrder) -> String {
    let half = |off: u32| {
        let low_first = order == ByteOrder::Little;
        if off.is_multiple_of(8) == low_first {
            "lo"
        } else {
            "hi"
        }
    };
    match k {
        0 => "nr".into(),
        4 => "arch".into(),
        8 | 12 => format!("ip.{}", half(k)),
        16..=63 if k.is_multiple_of(4) => format!("args[{}].{}", (k - 16) / 8, half(k)),
        _ => format!("data[{}]", num(k)),
    }
}

/// Disassembles `prog` with `options`.
#[must_use]
pub fn disassemble_with(prog: &[Insn], options: &DisasmOptions) -> String {
    let abi = options.abi;
    let order = ByteOrder::of(abi);
    let n = prog.len();
    let states = analyse(prog);

    // Label every jump target inside the program, by what it reaches.
    let mut targets: BTreeMap<usize, String> = BTreeMap::new();
    for (pc, insn) in prog.iter().enumerate() {
        let offs: &[u32] = match Flow::of(insn) {
            Flow::Goto(k) => &[k],
            Flow::Branch { jt, jf } => &[jt as u32, jf as u32],
            Flow::Next | Flow::Return => &[],
        };
        for &off in offs {
            let t = pc as u64 + 1 + u64::from(off);
            if off > 0 && t < n as u64 {
                targets.insert(t as usize, String::new());
            }
        }
    }
    let width = n.saturating_sub(1).to_string().len().max(4);
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for (&t, name) in targets.iter_mut() {
        let base = match Op::decode_opcode(&prog[t])
            .ok()
            .zip(Action::from_raw(prog[t].k))
        {
            Some((Op::RetK(k), a)) if a.to_raw() == k => action_label(a),
            _ => format!("L{t:0width$}"),
        };
        let count = used.entry(base.clone()).or_insert(0);
        *count += 1;
        *name = if *count == 1 {
            base
        } else {
            format!("{base}_{count}")
        };
    }
    let target = |pc: usize, off: u32| -> String {
        let t = pc as u64 + 1 + u64::from(off);
        match targets.get(&(t as usize)) {
            Some(name) if off > 0 && t < n as u64 => name.clone(),
            _ => format!("+{off}"),
        }
    };

    let mut out = String::new();
    if options.header {
        let _ = writeln!(out, "; {n} instructions");
        if let Err(e) = validate(prog) {
            let _ = writeln!(out, "; the kernel would refuse this program: {e}");
        }
    }
    let _ = writeln!(out, ".abi {abi}");
    for (pc, insn) in prog.iter().enumerate() {
        if let Some(name) = targets.get(&pc) {
            let _ = writeln!(out, "{name}:");
        }
        let mut text = render(pc, insn, states[pc], abi, order, &target).unwrap_or_else(|| {
            format!(
                ".insn {:#04x}, {}, {}, {}",
                insn.code,
                insn.jt,
                insn.jf,
                num(insn.k)
            )
        });
        if let Some(comment) = arg_comment(insn, states[pc], abi, order)
            && !text.contains(';')
        {
            let _ = write!(text, "  ; {comment}");
        }
        if options.raw {
            text = format!(
                "{:#06x} {:#04x} {:#04x} {:#010x}  {text}",
                insn.code, insn.jt, insn.jf, insn.k
            );
        }
        if options.indices {
            let _ = writeln!(out, "{pc:0width$}  {text}");
        } else {
            let _ = writeln!(out, "  {text}");
        }
    }
    out
}

/// The text of one instruction, or `None` if only `.insn` can show all its fields.
fn render(
    pc: usize,
    insn: &Insn,
    s: State,
    abi: Abi,
    order: ByteOrder,
    target: &dyn Fn(usize, u32) -> String,
) -> Option<String> {
    // `BPF_MOD` is classic BPF the syntax has, refused by seccomp.
    let op = Op::decode_opcode(insn)
        .ok()
        .or_else(|| Op::decode_classic_alu(insn))?;
    // The syntax shows the fields an opcode reads, the others only when 0.
    if op.encode() != *insn {
        return None;
    }
    let text = match op {
        Op::LoadAbs(k) => format!("A = {}", load_text(k, order)),
        Op::LoadLen(Reg::A) => "A = len".into(),
        Op::LoadLen(Reg::X) => "X = len".into(),
        Op::LoadImm(Reg::A, k) => format!("A = {}", num(k)),
        Op::LoadImm(Reg::X, k) => format!("X = {}", num(k)),
        Op::LoadMem(Reg::A, k) => format!("A = M[{}]", num(k)),
        Op::LoadMem(Reg::X, k) => format!("X = M[{}]", num(k)),
        Op::Store(Reg::A, k) => format!("M[{}] = A", num(k)),
        Op::Store(Reg::X, k) => format!("M[{}] = X", num(k)),
        Op::Tax => "X = A".into(),
        Op::Txa => "A = X".into(),
        Op::Neg => "A = -A".into(),
        Op::RetA => "return A".into(),
        Op::RetK(k) => match Action::from_raw(k) {
            Some(a) if a.to_raw() == k => format!("return {a}"),
            _ => format!("return {k:#010x}  ; {}", RetValue(k)),
        },
        Op::Ja(k) => format!("goto {}", target(pc, k)),
        Op::Alu(alu, src) => {
            let &(_, op) = ALU_OPS.iter().find(|(op, _)| *op == alu.bits())?;
            let v = match src {
                Src::K(k) => num(k),
                Src::X => "X".into(),
            };
            format!("A {op} {v}")
        }
        Op::Jump { cond, src, jt, jf } => {
            let v = match src {
                Src::K(k) => operand(k, cond, s, abi),
                Src::X => "X".into(),
            };
            let (pos, neg) = match cond {
                Cond::Eq => (format!("A == {v}"), format!("A != {v}")),
                Cond::Gt => (format!("A > {v}"), format!("A <= {v}")),
                Cond::Ge => (format!("A >= {v}"), format!("A < {v}")),
                Cond::Set => (format!("A & {v}"), format!("!(A & {v})")),
            };
            match (jt, jf) {
                (0, 0) => format!("if {pos} goto +0"),
                (t, 0) => format!("if {pos} goto {}", target(pc, t.into())),
                (0, f) => format!("if {neg} goto {}", target(pc, f.into())),
                (t, f) => format!(
                    "if {pos} goto {} else {}",
                    target(pc, t.into()),
                    target(pc, f.into())
                ),
            }
        }
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_named_where_the_call_is_known() {
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 41, 0, 3),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 40, 4, 0),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            bpf_jump(BPF_JMP | BPF_JSET | BPF_K, 0x1000_0000, 1, 0),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        let text = disassemble(&prog, Abi::X86_64);
        assert!(text.contains("0004  A = args[0].lo  ; family\n"), "{text}");
        assert!(
            text.contains("0005  if A == 40 goto errno_1  ; AF_VSOCK\n"),
            "{text}"
        );
        // Reached from socket and from any other call: not named.
        assert!(text.contains("0007  A = args[0].lo\n"), "{text}");
        assert!(
            text.contains("0008  if A & 0x10000000 goto errno_1\n"),
            "{text}"
        );
        // The comments do not change the program.
        assert_eq!(assemble(&text).unwrap().insns(), &prog);
        let raw = disassemble_with(
            &prog,
            &DisasmOptions {
                raw: true,
                ..DisasmOptions::new(Abi::X86_64)
            },
        );
        assert!(
            raw.contains("0000  0x0020 0x00 0x00 0x00000004  A = arch\n"),
            "{raw}"
        );
        assert!(
            raw.contains("0005  0x0015 0x04 0x00 0x00000028  if A == 40"),
            "{raw}"
        );
    }
    use crate::asm::{AsmOptions, assemble, assemble_with};
    use crate::op::SECCOMP_OPCODES;

    use crate::test_rng::Rng;

    fn round_trip(prog: &[Insn], abi: Abi) {
        for options in [
            DisasmOptions::new(abi),
            DisasmOptions {
                abi,
                indices: false,
                header: false,
                raw: false,
            },
        ] {
            let text = disassemble_with(prog, &options);
            let back = match assemble(&text) {
                Ok(p) => p,
                Err(e) => panic!(
                    "{}\n{text}",
                    crate::asm::ShowError {
                        text: &text,
                        error: &e
                    }
                ),
            };
            assert_eq!(back.insns(), prog, "{text}");
        }
    }

    #[test]
    fn random_programs_round_trip_on_every_abi() {
        let mut rng = Rng(7);
        for round in 0..4000 {
            let abi = Abi::ALL[round % Abi::ALL.len()];
            let len = 1 + (rng.next() % 24) as usize;
            let prog: Vec<Insn> = (0..len)
                .map(|pc| {
                    let r = rng.next();
                    let code = match r % 8 {
                        0 => r as u16 >> 3,
                        1 => (r >> 8) as u16 & 0xff,
                        _ => SECCOMP_OPCODES[(r >> 8) as usize % SECCOMP_OPCODES.len()],
                    };
                    let rest = (len - pc) as u64;
                    let small = |x: u64| (x % (rest + 2)) as u8;
                    let k = match (r >> 20) % 5 {
                        0 => (r >> 24) as u32 % 64,
                        1 => (r >> 32) as u32,
                        2 => (r >> 24) as u32 % 500,
                        3 => Abi::ALL[(r >> 40) as usize % Abi::ALL.len()].audit_arch(),
                        _ => [
                            SECCOMP_RET_ALLOW,
                            SECCOMP_RET_ERRNO | 1,
                            0x7fff_0001,
                            X32_SYSCALL_BIT,
                        ][(r >> 44) as usize % 4],
                    };
                    let (jt, jf) = match (r >> 50) % 4 {
                        0 => (0, 0),
                        1 => (small(r >> 8), 0),
                        2 => (0, small(r >> 16)),
                        _ => (small(r >> 8), small(r >> 16)),
                    };
                    Insn { code, jt, jf, k }
                })
                .collect();
            round_trip(&prog, abi);
        }
    }

    #[test]
    fn names_follow_the_known_arch() {
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 3, 1, 0), // read on i386
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 1), // close on x86_64 (arch unknown here)
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ];
        let text = disassemble(&prog, Abi::X86_64);
        assert!(
            text.contains("0003  if A == read@i386 goto L0005\n"),
            "{text}"
        );
        assert!(text.contains("0006  if A != close goto allow\n"), "{text}");
        round_trip(&prog, Abi::X86_64);
    }

    #[test]
    fn arguments_follow_the_byte_order() {
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 24),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 8),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 6),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 64),
            bpf_stmt(BPF_RET | BPF_A, 0),
        ];
        let le = disassemble_with(
            &prog,
            &DisasmOptions {
                abi: Abi::Aarch64,
                indices: false,
                header: false,
                raw: false,
            },
        );
        let be = disassemble_with(
            &prog,
            &DisasmOptions {
                abi: Abi::S390x,
                indices: false,
                header: false,
                raw: false,
            },
        );
        assert_eq!(
            le,
            ".abi aarch64\n  A = args[1].lo\n  A = ip.lo\n  A = data[6]\n  A = data[64]\n  return A\n"
        );
        assert_eq!(
            be,
            ".abi s390x\n  A = args[1].hi\n  A = ip.hi\n  A = data[6]\n  A = data[64]\n  return A\n"
        );
        // The text carries its ABI, whatever the assembler's default.
        let back = assemble_with(
            &be,
            &AsmOptions {
                abi: Some(Abi::X86_64),
            },
        )
        .unwrap();
        assert_eq!(back.insns(), &prog);
    }

    #[test]
    fn odd_encodings_are_raw() {
        let prog = [
            Insn {
                code: BPF_LD | BPF_IMM,
                jt: 1,
                jf: 0,
                k: 5,
            },
            Insn {
                code: BPF_RET | BPF_A,
                jt: 0,
                jf: 0,
                k: 9,
            },
            Insn {
                code: BPF_ALU | BPF_ADD | BPF_X,
                jt: 0,
                jf: 0,
                k: 1,
            },
            Insn {
                code: BPF_LD | BPF_H | BPF_ABS,
                jt: 0,
                jf: 0,
                k: 2,
            },
            Insn {
                code: 0xffff,
                jt: 0,
                jf: 0,
                k: 0,
            },
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW | 5),
            bpf_stmt(BPF_JMP | BPF_JA, 100),
        ];
        let text = disassemble(&prog, Abi::X86_64);
        assert!(text.contains("0000  .insn 0x00, 1, 0, 5\n"), "{text}");
        assert!(text.contains("0001  .insn 0x16, 0, 0, 9\n"), "{text}");
        assert!(text.contains("0004  .insn 0xffff, 0, 0, 0\n"), "{text}");
        assert!(
            text.contains("0005  return 0x7fff0005  ; ALLOW\n"),
            "{text}"
        );
        assert!(text.contains("0006  goto +100\n"), "{text}");
        assert!(
            text.contains("; the kernel would refuse this program: "),
            "{text}"
        );
        round_trip(&prog, Abi::X86_64);
        round_trip(&[], Abi::X86_64);
    }
}
