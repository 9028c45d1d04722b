//! Weaknesses of a seccomp program, found by running it in the emulator for
//! every system call of an ABI: what `seccompy audit` reports on a program.
//!
//! [`lint`] gives every finding but [high word
//! bypasses](high_word_bypasses), which a tool asks for on a program it has no
//! policy of. Each [`Finding`] has a [`Kind`] with a stable name, a
//! [`Severity`] and a message for people.
//!
//! ```
//! use seccompy_bpf::lint::{Kind, Severity, lint};
//! use seccompy_bpf::{Action, Policy};
//! use seccompy_sys::syscalls::Abi;
//!
//! let p = Policy::new(Action::Allow).abi(Abi::X86_64).compile().unwrap();
//! let findings = lint(p.insns(), Abi::X86_64);
//! let default = findings.iter().find(|f| f.kind == Kind::PermissiveDefault).unwrap();
//! assert_eq!(default.severity, Severity::High);
//! assert_eq!(default.kind.name(), "permissive default");
//! ```

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use seccompy_sys::signatures::{has_64bit_registers, signature_of_nr};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::action::Action;
use crate::emulate::{ByteOrder, emulate_for};
use crate::harden::extend;
use crate::op::{Flow, Op};
use crate::policy::more_restrictive;
use crate::program::Insn;

/// How serious a finding is, least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, harmless.
    Info,
    /// A small weakness.
    Low,
    /// A weakness that may be a bypass.
    Medium,
    /// A bypass.
    High,
    /// A bypass to the kernel itself.
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Its name: `info`, `low`, `medium`, `high`, `critical`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity of a name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Calls under an unknown audit arch are allowed: their numbers mean other
    /// calls on another ABI.
    NoArchCheck,
    /// On x86_64, a call refused by number is allowed under its x32 number.
    X32Bypass,
    /// Numbers no syscall table names are allowed.
    PermissiveDefault,
    /// A dangerous syscall is allowed whatever its arguments.
    DangerousSyscall,
    /// An argument of a 64-bit ABI compared on its low 32 bits only.
    LowWordOnly,
    /// Bits the kernel ignores in an argument get a call a less restrictive
    /// action than the one the kernel sees.
    HighWordBypass,
    /// Instructions no path reaches.
    Unreachable,
}

impl Kind {
    /// Its stable name, as `seccompy audit` prints it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::NoArchCheck => "no arch check",
            Kind::X32Bypass => "x32 bypass",
            Kind::PermissiveDefault => "permissive default",
            Kind::DangerousSyscall => "dangerous syscall",
            Kind::LowWordOnly => "low word only",
            Kind::HighWordBypass => "high word bypass",
            Kind::Unreachable => "never matches",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What it is about.
    pub kind: Kind,
    /// The details, for people.
    pub message: String,
}

/// Dangerous system calls, with the severity of allowing each whatever its
/// arguments ([`Kind::DangerousSyscall`]).
pub const DANGEROUS: &[(&str, Severity)] = &[
    ("kexec_load", Severity::Critical),
    ("kexec_file_load", Severity::Critical),
    ("init_module", Severity::Critical),
    ("finit_module", Severity::Critical),
    ("delete_module", Severity::High),
    ("bpf", Severity::High),
    ("ptrace", Severity::High),
    ("process_vm_writev", Severity::High),
    ("mount", Severity::High),
    ("umount2", Severity::High),
    ("fsopen", Severity::High),
    ("fsmount", Severity::High),
    ("move_mount", Severity::High),
    ("open_tree", Severity::High),
    ("mount_setattr", Severity::High),
    ("pivot_root", Severity::High),
    ("open_by_handle_at", Severity::High),
    ("iopl", Severity::High),
    ("ioperm", Severity::High),
    ("reboot", Severity::High),
    ("swapon", Severity::High),
    ("swapoff", Severity::High),
    ("unshare", Severity::Medium),
    ("setns", Severity::Medium),
    ("io_uring_setup", Severity::Medium),
    ("io_uring_enter", Severity::Medium),
    ("io_uring_register", Severity::Medium),
    ("userfaultfd", Severity::Medium),
    ("perf_event_open", Severity::Medium),
    ("keyctl", Severity::Medium),
    ("add_key", Severity::Medium),
    ("request_key", Severity::Medium),
    ("process_vm_readv", Severity::Medium),
    ("syslog", Severity::Medium),
    ("acct", Severity::Medium),
    ("settimeofday", Severity::Medium),
    ("clock_settime", Severity::Medium),
    ("clock_adjtime", Severity::Medium),
    ("adjtimex", Severity::Medium),
    ("name_to_handle_at", Severity::Low),
    ("quotactl", Severity::Low),
    ("lookup_dcookie", Severity::Low),
];

/// Runs programs on calls of one ABI.
struct Runner<'a> {
    insns: &'a [Insn],
    abi: Abi,
}

impl Runner<'_> {
    fn ret(&self, arch: u32, nr: u32, args: [u64; 6]) -> u32 {
        let data = seccomp_data {
            nr: nr as i32,
            arch,
            instruction_pointer: 0,
            args,
        };
        // The program was validated: the emulator cannot fail on it.
        emulate_for(self.insns, &data, ByteOrder::of(self.abi)).map_or(0, |o| o.ret)
    }

    fn allows(&self, arch: u32, nr: u32, args: [u64; 6]) -> bool {
        Action::from_raw(self.ret(arch, nr, args)).is_some_and(Action::allows)
    }
}

/// Names, at most `max` of them, then how many more (`a, b and 3 more`): how
/// the findings list names.
pub fn some(names: &[String], max: usize) -> String {
    let mut s = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        s.push_str(&format!(" and {} more", names.len() - max));
    }
    s
}

/// The argument vectors a call is tried with: zero, all ones, and a few
/// pseudo-random ones (splitmix64, fixed seed).
fn arg_samples() -> Vec<[u64; 6]> {
    let mut rng = crate::rng::Rng::new(0x5ecc_0b1e);
    let mut v = alloc::vec![[0; 6], [u64::MAX; 6], [1; 6]];
    for _ in 0..8 {
        v.push(core::array::from_fn(|_| rng.next()));
    }
    v
}

/// The findings on a program for `abi`: no arch check, x32 bypass,
/// permissive default, dangerous syscalls, low word only, unreachable code
/// (see [`Kind`]), in that order. Made for a program
/// [`validate`](crate::validate::validate) accepts: the emulator's errors on
/// another count as a kill.
pub fn lint(insns: &[Insn], abi: Abi) -> Vec<Finding> {
    let r = Runner { insns, abi };
    let arch = abi.audit_arch();
    let table = abi.syscalls();
    let mut findings = Vec::new();
    let zero = [0u64; 6];

    // No arch check: an arch no ABI has.
    let foreign: Vec<String> = table
        .iter()
        .filter(|(nr, _)| r.allows(0, *nr, zero))
        .map(|(_, n)| n.to_string())
        .collect();
    if !foreign.is_empty() {
        findings.push(Finding {
            severity: Severity::High,
            kind: Kind::NoArchCheck,
            message: format!(
                "{} of {} call numbers are allowed under an unknown audit arch (0), where they \
                 mean other calls: the program does not check seccomp_data.arch (numbers: {})",
                foreign.len(),
                table.len(),
                some(&foreign, 5)
            ),
        });
    }

    // x32 bypass: refused by number on x86_64, allowed by its x32 number.
    if arch == AUDIT_ARCH_X86_64 && abi == Abi::X86_64 {
        let bypass: Vec<String> = table
            .iter()
            .filter(|(nr, _)| !r.allows(arch, *nr, zero))
            .filter_map(|(_, name)| {
                let x32 = Abi::X32.syscall_nr(name)?;
                r.allows(arch, x32, zero).then(|| name.to_string())
            })
            .collect();
        if !bypass.is_empty() {
            findings.push(Finding {
                severity: Severity::High,
                kind: Kind::X32Bypass,
                message: format!(
                    "refused as x86_64 calls but allowed under their x32 numbers (0x40000000 + n, \
                     same audit arch): {}",
                    some(&bypass, 8)
                ),
            });
        }
    }

    // Permissive default: numbers no table has.
    let known: BTreeSet<u32> = table.iter().map(|(nr, _)| *nr).collect();
    let max = known
        .iter()
        .copied()
        .filter(|n| n & X32_SYSCALL_BIT == 0)
        .max()
        .unwrap_or(0);
    let base = if abi == Abi::X32 { X32_SYSCALL_BIT } else { 0 };
    let unknown: Vec<u32> = (base..base + max)
        .filter(|n| !known.contains(n))
        .chain((1..=16).map(|i| base + max + i))
        .collect();
    let allowed_unknown: Vec<String> = unknown
        .iter()
        .filter(|&&n| r.allows(arch, n, zero))
        .map(|n| n.to_string())
        .collect();
    if !allowed_unknown.is_empty() {
        findings.push(Finding {
            severity: Severity::High,
            kind: Kind::PermissiveDefault,
            message: format!(
                "{} of {} numbers that name no {} syscall are allowed (a default ALLOW lets \
                 every future syscall through): {}",
                allowed_unknown.len(),
                unknown.len(),
                abi.name(),
                some(&allowed_unknown, 5)
            ),
        });
    }

    // Dangerous calls allowed whatever their arguments.
    let samples = arg_samples();
    for &(name, severity) in DANGEROUS {
        let Some(nr) = abi.syscall_nr(name) else {
            continue;
        };
        if samples.iter().all(|a| r.allows(arch, nr, *a)) {
            findings.push(Finding {
                severity,
                kind: Kind::DangerousSyscall,
                message: format!("{name} is allowed whatever its arguments"),
            });
        }
    }

    findings.extend(low_word_only(&r, table));
    findings.extend(unreachable(insns));
    findings
}

/// Arguments of a 64-bit ABI whose low word changes some call's decision while
/// its high word never does for that call: judged per syscall, so that a
/// program checking the whole argument for one call and its low word alone
/// for another is caught on the second.
fn low_word_only(r: &Runner<'_>, table: &[(u32, &'static str)]) -> Vec<Finding> {
    if !r.abi.is_64bit() {
        return Vec::new();
    }
    let loads: BTreeSet<u32> = r.insns.iter().filter_map(load_offset).collect();
    let constants: BTreeSet<u32> = r
        .insns
        .iter()
        .filter(|i| is_test(i))
        .flat_map(|i| [i.k, i.k.wrapping_add(1), i.k.wrapping_sub(1)])
        .collect();
    let little = r.abi.is_little_endian();
    let arch = r.abi.audit_arch();
    // High words tried against each low word that matters.
    const HIGH: [u64; 4] = [1, 0x8000_0000, 0xffff_ffff, 0x1234_5678];
    let mut findings = Vec::new();
    for i in 0..6usize {
        let lo = if little { 16 + 8 * i } else { 20 + 8 * i };
        if !loads.contains(&(lo as u32)) {
            continue;
        }
        let with = |word: u64| {
            let mut a = [0u64; 6];
            a[i] = word;
            a
        };
        let names: Vec<String> = table
            .iter()
            // Arguments the kernel reads 32 bits of are rightly compared so.
            .filter(|(nr, _)| {
                !signature_of_nr(r.abi, *nr).is_some_and(|s| s.high_bits_ignored(r.abi, i))
            })
            .filter(|(nr, _)| {
                let base = r.ret(arch, *nr, [0; 6]);
                // The low words (0 and the program's constants) that decide
                // this call differently from another low word.
                let deciding: Vec<u64> = constants
                    .iter()
                    .map(|&c| u64::from(c))
                    .filter(|&c| r.ret(arch, *nr, with(c)) != base)
                    .collect();
                let points = || deciding.iter().chain(&[0]);
                // The low word decides, its high word never does, and bit 31
                // of the low word matters somewhere: a comparison of the low
                // word's value (==, <, >, ...), not a mask of its lower bits
                // (such as `flags & 0x7e020000 == 0`), which means the same on
                // the whole argument.
                !deciding.is_empty()
                    && points().all(|&low| {
                        let want = r.ret(arch, *nr, with(low));
                        HIGH.iter()
                            .all(|&h| r.ret(arch, *nr, with(h << 32 | low)) == want)
                    })
                    && points().any(|&low| {
                        r.ret(arch, *nr, with(low ^ 0x8000_0000)) != r.ret(arch, *nr, with(low))
                    })
            })
            .map(|(_, n)| n.to_string())
            .collect();
        if !names.is_empty() {
            findings.push(Finding {
                severity: Severity::Medium,
                kind: Kind::LowWordOnly,
                message: format!(
                    "args[{i}] is compared on its low 32 bits only (its high word changes no \
                     decision): right for int arguments, a bypass for 64-bit ones; for {}",
                    some(&names, 6)
                ),
            });
        }
    }
    findings
}

/// [`Kind::HighWordBypass`] for a program (a policy's rules are judged by
/// [`wide_conditions`](crate::harden::wide_conditions)): calls whose decision a value with bits set above those
/// the kernel reads of an argument makes less restrictive than the decision on
/// the value the kernel sees (sign- or zero-extended as the argument's type
/// says). The low words tried are the constants the program compares that
/// argument's low word with (and their neighbours, 0, the largest, the sign bit).
pub fn high_word_bypasses(insns: &[Insn], abi: Abi) -> Vec<Finding> {
    if !has_64bit_registers(abi) {
        return Vec::new();
    }
    let r = Runner { insns, abi };
    let arch = abi.audit_arch();
    let little = abi.is_little_endian();
    let offsets = |i: u32| {
        let (lo, hi) = (16 + 8 * i, 20 + 8 * i);
        if little { (lo, hi) } else { (hi, lo) }
    };
    let mut findings = Vec::new();
    for i in 0..6u32 {
        let (lo, hi) = offsets(i);
        let loads = |k: u32| insns.iter().any(|n| load_offset(n) == Some(k));
        if !loads(hi) {
            continue;
        }
        // The constants compared after a load of the low word, in program order.
        let mut constants = BTreeSet::new();
        let mut last_load = None;
        for n in insns {
            if let Some(k) = load_offset(n) {
                last_load = Some(k);
            } else if is_test(n) && last_load == Some(lo) {
                constants.extend([n.k, n.k.wrapping_add(1), n.k.wrapping_sub(1)]);
            }
        }
        constants.extend([0, u32::MAX, 0x8000_0000]);
        let index = i as usize;
        for &(nr, name) in abi.syscalls() {
            let Some(sig) = signature_of_nr(abi, nr) else {
                continue;
            };
            if !sig.high_bits_ignored(abi, index) {
                continue;
            }
            let Some(param) = sig.params().get(index) else {
                continue;
            };
            let bits = param.ty.kernel_bits(abi);
            let with = |v: u64| {
                let mut a = [0u64; 6];
                a[index] = v;
                a
            };
            // Every low word with a bypass, the first shown in full.
            let found: Vec<(u64, u64, Action, Action)> = constants
                .iter()
                .filter_map(|&c| {
                    let low = u64::from(c) & ((1u64 << bits) - 1);
                    let intended = extend(low, bits, param.ty.signed);
                    let want = Action::from_raw(r.ret(arch, nr, with(intended)))?;
                    [1u64 << bits, 1 << 32, u64::MAX << bits]
                        .into_iter()
                        .map(|high| low | high)
                        .filter(|&v| v != intended)
                        .find_map(|crafted| {
                            let got = Action::from_raw(r.ret(arch, nr, with(crafted)))?;
                            more_restrictive(want, got).then_some((crafted, intended, got, want))
                        })
                })
                .collect();
            if let Some(&(crafted, intended, got, want)) = found.first() {
                let pname = param.name;
                let mut detail = format!(
                    "{name}({pname}={crafted:#x}) on {abi} gets {}: the kernel reads {bits} \
                     bits of `{} {pname}` and sees {pname} = {}, which gets {}; the program \
                     compares args[{i}].hi",
                    got,
                    param.c_type,
                    seen_value(abi, nr, index, intended),
                    want
                );
                if found.len() > 1 {
                    let others: Vec<String> =
                        found[1..].iter().map(|f| format!("{:#x}", f.1)).collect();
                    detail.push_str(&format!("; also for {pname} = {}", some(&others, 5)));
                }
                findings.push(Finding {
                    severity: Severity::High,
                    kind: Kind::HighWordBypass,
                    message: detail,
                });
            }
        }
    }
    findings
}

/// The value the kernel sees for argument `index` of call `nr`: `40 (0x28,
/// AF_VSOCK)`, the constant's name when the argument has one
/// ([`decode`](crate::decode)).
pub fn seen_value(abi: Abi, nr: u32, index: usize, value: u64) -> String {
    let decoded = crate::decode::format_arg(abi, nr, index, value);
    let named = decoded.starts_with(|c: char| c.is_ascii_alphabetic());
    if named {
        format!("{value} ({value:#x}, {decoded})")
    } else {
        format!("{value} ({value:#x})")
    }
}

/// Instructions no path from the first reaches ([`Kind::Unreachable`]).
pub fn unreachable(insns: &[Insn]) -> Vec<Finding> {
    let mut seen = alloc::vec![false; insns.len()];
    let mut todo = alloc::vec![0usize];
    while let Some(pc) = todo.pop() {
        if pc >= insns.len() || seen[pc] {
            continue;
        }
        seen[pc] = true;
        match Flow::of(&insns[pc]) {
            Flow::Return => {}
            Flow::Goto(k) => todo.push(pc + 1 + k as usize),
            Flow::Branch { jt, jf } => {
                todo.push(pc + 1 + usize::from(jt));
                todo.push(pc + 1 + usize::from(jf));
            }
            Flow::Next => todo.push(pc + 1),
        }
    }
    let dead: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(pc, _)| pc.to_string())
        .collect();
    if dead.is_empty() {
        return Vec::new();
    }
    alloc::vec![Finding {
        severity: Severity::Low,
        kind: Kind::Unreachable,
        message: format!(
            "{} instruction{} no path reaches: {}",
            dead.len(),
            if dead.len() == 1 { "" } else { "s" },
            some(&dead, 10)
        ),
    }]
}

/// The offset of a word load of `seccomp_data`.
fn load_offset(insn: &Insn) -> Option<u32> {
    match Op::decode_opcode(insn) {
        Ok(Op::LoadAbs(k)) => Some(k),
        _ => None,
    }
}

/// Whether an instruction is a conditional jump (its `k` a constant compared).
fn is_test(insn: &Insn) -> bool {
    matches!(Op::decode_opcode(insn), Ok(Op::Jump { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Arg, Arg32, Policy, Rule};
    use alloc::vec::Vec;

    fn kinds(f: &[Finding]) -> Vec<(Kind, Severity)> {
        f.iter().map(|f| (f.kind, f.severity)).collect()
    }

    #[test]
    fn a_tight_policy_has_no_finding() {
        let p = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .syscalls(["read", "write", "exit_group"], Action::Allow)
            .compile()
            .unwrap();
        assert!(lint(p.insns(), Abi::X86_64).is_empty());
    }

    #[test]
    fn defaults_and_dangerous_calls() {
        let p = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("ptrace", Action::Errno(1)))
            .compile()
            .unwrap();
        let f = lint(p.insns(), Abi::X86_64);
        let k = kinds(&f);
        assert!(
            k.contains(&(Kind::PermissiveDefault, Severity::High)),
            "{f:?}"
        );
        assert!(
            k.contains(&(Kind::DangerousSyscall, Severity::Critical)),
            "{f:?}"
        );
        // ptrace is refused, and the compiler's program guards x32 and the arch.
        assert!(!f.iter().any(|f| f.message.starts_with("ptrace ")), "{f:?}");
        assert!(
            !k.iter()
                .any(|(k, _)| *k == Kind::X32Bypass || *k == Kind::NoArchCheck)
        );
    }

    #[test]
    fn missing_arch_check_and_x32_bypass() {
        // A hand-written deny list: no arch check, no x32 guard.
        let ptrace = Abi::X86_64.syscall_nr("ptrace").unwrap();
        let ret = |k: u32| bpf_stmt(BPF_RET | BPF_K, k);
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, ptrace, 0, 1),
            ret(Action::Errno(1).to_raw()),
            ret(Action::Allow.to_raw()),
        ];
        let f = lint(&prog, Abi::X86_64);
        let k = kinds(&f);
        assert!(k.contains(&(Kind::NoArchCheck, Severity::High)), "{f:?}");
        let x32 = f
            .iter()
            .find(|f| f.kind == Kind::X32Bypass)
            .expect("x32 bypass");
        assert!(x32.message.ends_with(": ptrace"), "{}", x32.message);
    }

    #[test]
    fn low_word_checks() {
        // The findings on an x86_64 policy of `rules` (ERRNO otherwise).
        let lint_rules = |rules: &[Rule]| {
            let program = Policy::new(Action::Errno(1))
                .abi(Abi::X86_64)
                .rules(rules.iter().cloned())
                .compile()
                .unwrap();
            lint(program.insns(), Abi::X86_64)
        };
        let low_word = |f: &[Finding]| {
            f.iter()
                .filter(|f| f.kind == Kind::LowWordOnly)
                .cloned()
                .collect::<Vec<_>>()
        };
        // lseek's offset (args[1]) is 64 bits wide.
        let f = lint_rules(&[Rule::new("lseek", Action::Allow).when(Arg32(1).eq(8))]);
        let lw = low_word(&f);
        assert_eq!(lw.len(), 1, "low word: {f:?}");
        assert!(lw[0].message.starts_with("args[1]") && lw[0].message.ends_with("for lseek"));
        let f = lint_rules(&[Rule::new("lseek", Action::Allow).when(Arg(1).eq(8))]);
        assert!(low_word(&f).is_empty(), "{f:?}");
        // The whole args[1] for lseek, its low word alone for pread64 (a
        // 64-bit count) and for read (an unsigned int fd in args[0], rightly):
        // pread64 is named, lseek and read are not.
        let f = lint_rules(&[
            Rule::new("lseek", Action::Allow).when(Arg(1).eq(8)),
            Rule::new("pread64", Action::Allow).when(Arg32(2).eq(1)),
            Rule::new("read", Action::Allow).when(Arg32(0).eq(1)),
        ]);
        let lw = low_word(&f);
        assert_eq!(lw.len(), 1, "{f:?}");
        assert!(lw[0].message.starts_with("args[2]"), "{}", lw[0].message);
        assert!(lw[0].message.ends_with("for pread64"), "{}", lw[0].message);
        // A 32-bit argument on its low word: nothing (socket's int family).
        let f = lint_rules(&[Rule::new("socket", Action::Allow).when(Arg32(0).eq(1))]);
        assert!(low_word(&f).is_empty(), "{f:?}");
        // A mask of the lower bits means the same on the whole argument.
        let f =
            lint_rules(&[Rule::new("clone", Action::Allow).when(Arg(0).masked_eq(0x7e02_0000, 0))]);
        assert!(low_word(&f).is_empty(), "{f:?}");
    }

    #[test]
    fn high_word_in_a_raw_program() {
        let deny = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)))
            .compile()
            .unwrap();
        let f = high_word_bypasses(deny.insns(), Abi::X86_64);
        assert_eq!(kinds(&f), [(Kind::HighWordBypass, Severity::High)], "{f:?}");
        assert!(
            f[0].message.starts_with(
                "socket(family=0x100000028) on x86_64 gets ALLOW: the kernel reads 32 bits of \
                 `int family` and sees family = 40 (0x28, AF_VSOCK), which gets ERRNO(97)"
            ),
            "{}",
            f[0].message
        );
        // Hardened, or on the low word: nothing.
        let (hard, _) = crate::harden::harden(
            &Policy::new(Action::Allow)
                .abi(Abi::X86_64)
                .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40))),
        );
        assert!(high_word_bypasses(hard.compile().unwrap().insns(), Abi::X86_64).is_empty());
        // An allow on equality only refuses: no bypass.
        let allow = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("personality", Action::Allow).when(Arg(0).eq(8)))
            .compile()
            .unwrap();
        assert!(high_word_bypasses(allow.insns(), Abi::X86_64).is_empty());
    }

    #[test]
    fn dead_code() {
        let ret = |k: u32| bpf_stmt(BPF_RET | BPF_K, k);
        let f = unreachable(&[ret(0), ret(1), ret(2)]);
        assert_eq!(kinds(&f), [(Kind::Unreachable, Severity::Low)]);
        assert!(
            f[0].message
                .starts_with("2 instructions no path reaches: 1, 2")
        );
        assert!(unreachable(&[ret(0)]).is_empty());
        // Jumps over code: the code jumped over is dead, the targets are not.
        let jumps = [
            bpf_stmt(BPF_JMP | BPF_JA, 1),
            ret(0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1),
            ret(1),
            ret(2),
        ];
        let f = unreachable(&jumps);
        assert!(
            f[0].message
                .starts_with("2 instructions no path reaches: 1, 3"),
            "{f:?}"
        );
        // And lint() reports it with the rest.
        let mut prog = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .syscalls(["read"], Action::Allow)
            .compile()
            .unwrap()
            .into_insns();
        prog.push(ret(0));
        let f = lint(&prog, Abi::X86_64);
        assert_eq!(kinds(&f), [(Kind::Unreachable, Severity::Low)], "{f:?}");
    }

    #[test]
    fn names_are_stable() {
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["info", "low", "medium", "high", "critical"]);
        assert!(Severity::ALL.windows(2).all(|w| w[0] < w[1]));
        for s in Severity::ALL {
            assert_eq!(Severity::from_name(s.name()), Some(s));
        }
        assert_eq!(Severity::from_name("severe"), None);
        assert_eq!(Kind::NoArchCheck.to_string(), "no arch check");
        assert_eq!(Kind::Unreachable.name(), "never matches");
        assert_eq!(
            some(&["a".into(), "b".into(), "c".into()], 2),
            "a, b and 1 more"
        );
    }
}
