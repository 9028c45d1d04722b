//! `seccompy audit`: weaknesses of a profile or a program, found by running the
//! program in the emulator.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::Insn;
use seccompy_bpf::action::Action;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::harden::{extend, wide_conditions};
use seccompy_bpf::oci::{Profile, Resolved};
use seccompy_bpf::policy::more_restrictive;
use seccompy_bpf::policy::{Cmp, Condition, Policy, Width};
use seccompy_sys::signatures::signature_of_nr;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::args;
use crate::compile;
use crate::error::{Error, Result};
use crate::source::Source;
use crate::spec;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "find weaknesses in a profile or a program";

/// `seccompy audit`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "audit",
    summary: SUMMARY,
    intro: "\
seccompy audit: find weaknesses in a seccomp profile or program

Usage: seccompy audit PROFILE|FILE.bpf [--arch ARCH] [--fail-on SEVERITY]
                      [--caps SET] [--kernel X.Y] [--oci-config]
                      [--agent | --agent-policy FILE] [--json]

The input is a profile (JSON: compiled first, as `seccompy compile` does) or
a raw program. The program is run in the emulator for every system call of
ARCH, so a raw program and a profile are judged alike:

  no arch check       calls under an unknown audit arch are
                      allowed (their numbers mean other calls
                      on another ABI)                                     high
  x32 bypass          on x86_64, a call refused by number is
                      allowed under its x32 number
                      (0x40000000 + n)                                    high
  permissive default  numbers no table names are allowed                  high
  dangerous syscall   ptrace, bpf, mount, kexec_load, init_module,
                      unshare, setns, io_uring_setup, userfaultfd,
                      perf_event_open, keyctl, ... allowed
                      whatever their arguments                 critical to low
  high word bypass    a profile rule compares all 64 bits of an
                      argument the kernel reads 32 (or 16) bits of
                      (int, pid_t, umode_t, ...): setting bits the
                      kernel ignores gets a call a less restrictive
                      action than the one the kernel sees (shown:
                      the call, argument, rule and a value; fix:
                      `seccompy compile --harden`)                        high
  high word ignored   the same comparison where the ignored bits
                      can only make the call more restricted               low
                      (for a raw program, the bypass is found by
                      running it on the values it compares)
  low word only       an argument of a 64-bit ABI compared on its
                      low 32 bits only for some syscall whose
                      argument is not known to be 32 bits wide
                      (right only for int arguments)                    medium
  never matches       a profile rule none of whose names exists on
                      the target's ABIs, or a raw program's
                      instructions no path reaches                         low
  no effect           a profile rule whose action is the
                      default                                             info

Each finding is one line, `SEVERITY: KIND: details`, most severe first.
Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on
an error.
",
    options: &[&[
        spec::ARCH,
        spec::Opt::value(
            "fail-on",
            "SEVERITY",
            spec::Complete::Words(&["info", "low", "medium", "high", "critical"]),
            "info, low, medium, high (default) or critical",
        ),
        spec::Opt::value(
            "caps",
            "SET",
            spec::Complete::Nothing,
            "for a profile: default, all, none or a list (as compile)",
        ),
        spec::Opt::value(
            "kernel",
            "X.Y",
            spec::Complete::Nothing,
            "for a profile: the kernel version for minKernel (as compile)",
        ),
        spec::Opt::flag(
            "oci-config",
            "the profile is an OCI bundle's config.json (as compile)",
        ),
        spec::Opt::flag(
            "agent",
            "also the view of `seccompy agent` (built-in policy):
             runtime quirks (NOTIFY on write or as the default,
             flags runc 1.1.5 refuses, no listenerPath) and every
             notified call without a handler able to answer it",
        ),
        spec::Opt::value(
            "agent-policy",
            "FILE",
            spec::Complete::File,
            "the same with the agent's policy FILE",
        ),
        spec::json(
            "one JSON document (schema seccompy.audit/1, see the README);
             the exit status is the same",
        ),
    ]],
    outro: "\
Example:
  seccompy audit docker-default.json --arch x86_64 --fail-on medium",
    positional: spec::Complete::File,
};

/// The `schema` of `audit --json`.
pub const SCHEMA: &str = "seccompy.audit/1";

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => {
                return Err(Error::new(format!(
                    "unknown severity '{s}' (severities: info, low, medium, high, critical)"
                )));
            }
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// One finding.
#[derive(Debug)]
pub struct Finding {
    pub severity: Severity,
    pub kind: &'static str,
    pub detail: String,
}

/// Dangerous system calls, by severity when allowed unconditionally.
const DANGEROUS: &[(&str, Severity)] = &[
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

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut fail_on = Severity::High;
    let mut json = false;
    let mut source = Source::default();
    let mut agent: Option<Option<PathBuf>> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        let long = crate::source::long_name(&arg);
        match arg {
            Long("fail-on") => fail_on = Severity::parse(&args::text(parser)?)?,
            Long("json") => json = true,
            Long("agent") => agent = Some(None),
            Long("agent-policy") => agent = Some(Some(args::path(parser.value()?))),
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => {
                let unexpected = other.unexpected();
                let ours = matches!(
                    long.as_deref(),
                    Some("arch" | "caps" | "kernel" | "oci-config")
                );
                if !ours || !source.option(long.as_deref(), parser)? {
                    return Err(unexpected.into());
                }
            }
        }
    }
    let file = args::required(file, "the profile or program to audit")?;
    // A profile or a program: the larger limit, a profile's, until it is known.
    let bytes = args::read_file(&file, args::Input::Profile)?;
    // JSON (an object, or an array the profile parser refuses with a clear
    // error) or a raw program: a valid program's first non-blank byte is the
    // low byte of an opcode (`[` and `{` are none) or the zero high byte after
    // a blank one (0x20, `ld [0]`).
    let is_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[');
    if is_json {
        source.profile = Some(file.clone());
    } else {
        source.bpf = Some(file.clone());
    }
    let oci_config = source.oci_config();
    let loaded = source.load()?;
    let mut findings = program_findings(loaded.prog.insns(), loaded.abi);
    if loaded.resolved.is_none() {
        // A profile's rules are judged by high_word_findings below, by name.
        findings.extend(program_high_word(loaded.prog.insns(), loaded.abi));
    }
    if let Some(resolved) = &loaded.resolved {
        let profile = compile::read_profile(&file, oci_config)?;
        findings.extend(profile_findings(&profile, resolved));
        let policy = resolved
            .to_policy()
            .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
        findings.extend(high_word_findings(&policy));
        if let Some(policy) = &agent {
            findings.extend(crate::agent::audit_findings(
                &profile,
                &loaded,
                policy.as_deref(),
            )?);
        }
    } else if agent.is_some() {
        return Err(Error::new(
            "--agent needs a profile (JSON), not a raw program",
        ));
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(b.kind)));
    let failing = findings.iter().filter(|f| f.severity >= fail_on).count();
    if json {
        let items = findings.iter().map(|f| {
            crate::json::object(&[
                ("severity", crate::json::string(&f.severity.to_string())),
                ("kind", crate::json::string(f.kind)),
                ("detail", crate::json::string(&f.detail)),
            ])
        });
        let input = if is_json { "profile" } else { "program" };
        let doc = crate::json::object(&[
            ("schema", crate::json::string(SCHEMA)),
            ("input", crate::json::string(input)),
            ("arch", crate::json::string(loaded.abi.name())),
            ("fail_on", crate::json::string(&fail_on.to_string())),
            ("findings", crate::json::array(items)),
            ("failing", failing.to_string()),
            ("failed", (failing > 0).to_string()),
        ]);
        writeln!(out, "{doc}").map_err(|e| Error::stdout(&e))?;
    } else {
        for f in &findings {
            writeln!(out, "{}: {}: {}", f.severity, f.kind, f.detail)
                .map_err(|e| Error::stdout(&e))?;
        }
        writeln!(
            out,
            "{} finding{}, {failing} at or above {fail_on}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        )
        .map_err(|e| Error::stdout(&e))?;
    }
    if failing > 0 {
        out.flush().map_err(|e| Error::stdout(&e))?;
        return Err(Error::Exit(1));
    }
    Ok(())
}

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

/// Names, at most `max` of them, then how many more.
fn some(names: &[String], max: usize) -> String {
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
    let mut rng = seccompy_bpf::rng::Rng::new(0x5ecc_0b1e);
    let mut v = vec![[0; 6], [u64::MAX; 6], [1; 6]];
    for _ in 0..8 {
        v.push(std::array::from_fn(|_| rng.next()));
    }
    v
}

/// The findings on the program.
pub fn program_findings(insns: &[Insn], abi: Abi) -> Vec<Finding> {
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
            kind: "no arch check",
            detail: format!(
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
                kind: "x32 bypass",
                detail: format!(
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
            kind: "permissive default",
            detail: format!(
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
                kind: "dangerous syscall",
                detail: format!("{name} is allowed whatever its arguments"),
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
    let loads: BTreeSet<u32> = r
        .insns
        .iter()
        .filter(|i| i.code == BPF_LD | BPF_W | BPF_ABS)
        .map(|i| i.k)
        .collect();
    let constants: BTreeSet<u32> = r
        .insns
        .iter()
        .filter(|i| bpf_class(i.code) == BPF_JMP && bpf_op(i.code) != BPF_JA)
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
                kind: "low word only",
                detail: format!(
                    "args[{i}] is compared on its low 32 bits only (its high word changes no \
                     decision): right for int arguments, a bypass for 64-bit ones; for {}",
                    some(&names, 6)
                ),
            });
        }
    }
    findings
}

/// For a raw program: calls whose decision a value with bits set above those
/// the kernel reads of an argument makes less restrictive than the decision on
/// the value the kernel sees (sign- or zero-extended as the argument's type
/// says). The low words tried are the constants the program compares that
/// argument's low word with (and their neighbours, 0, the largest, the sign bit).
fn program_high_word(insns: &[Insn], abi: Abi) -> Vec<Finding> {
    if !seccompy_sys::signatures::has_64bit_registers(abi) {
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
        let loads = |k: u32| {
            insns
                .iter()
                .any(|n| n.code == BPF_LD | BPF_W | BPF_ABS && n.k == k)
        };
        if !loads(hi) {
            continue;
        }
        // The constants compared after a load of the low word, in program order.
        let mut constants = BTreeSet::new();
        let mut last_load = None;
        for n in insns {
            if n.code == BPF_LD | BPF_W | BPF_ABS {
                last_load = Some(n.k);
            } else if bpf_class(n.code) == BPF_JMP
                && bpf_op(n.code) != BPF_JA
                && last_load == Some(lo)
            {
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
                    action_text(got),
                    param.c_type,
                    seen_value(abi, nr, index, intended),
                    action_text(want)
                );
                if found.len() > 1 {
                    let others: Vec<String> =
                        found[1..].iter().map(|f| format!("{:#x}", f.1)).collect();
                    detail.push_str(&format!("; also for {pname} = {}", some(&others, 5)));
                }
                findings.push(Finding {
                    severity: Severity::High,
                    kind: "high word bypass",
                    detail,
                });
            }
        }
    }
    findings
}

/// The value the kernel sees for argument `index` of call `nr`: `40 (0x28,
/// AF_VSOCK)`, the constant's name when the argument has one
/// ([`seccompy_bpf::decode`]).
fn seen_value(abi: Abi, nr: u32, index: usize, value: u64) -> String {
    let decoded = seccompy_bpf::decode::format_arg(abi, nr, index, value);
    let named = decoded.starts_with(|c: char| c.is_ascii_alphabetic());
    if named {
        format!("{value} ({value:#x}, {decoded})")
    } else {
        format!("{value} ({value:#x})")
    }
}

/// `" (did you mean 'X' for 'Y'?)"`: the syscalls of `abis` closest to
/// `names` (none of which exists), or nothing.
fn misspelled(names: &[&str], abis: &[Abi]) -> String {
    let known: BTreeSet<&str> = abis
        .iter()
        .flat_map(|a| a.syscalls().iter().map(|&(_, n)| n))
        .collect();
    let guesses: Vec<String> = names
        .iter()
        .filter_map(|n| {
            args::did_you_mean(n, known.iter().copied()).map(|g| format!("'{g}' for '{n}'"))
        })
        .collect();
    if guesses.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", guesses.join(", "))
    }
}

/// Instructions no path from the first reaches.
fn unreachable(insns: &[Insn]) -> Vec<Finding> {
    let mut seen = vec![false; insns.len()];
    let mut todo = vec![0usize];
    while let Some(pc) = todo.pop() {
        if pc >= insns.len() || seen[pc] {
            continue;
        }
        seen[pc] = true;
        let i = insns[pc];
        match bpf_class(i.code) {
            BPF_RET => {}
            BPF_JMP if bpf_op(i.code) == BPF_JA => todo.push(pc + 1 + i.k as usize),
            BPF_JMP => {
                todo.push(pc + 1 + usize::from(i.jt));
                todo.push(pc + 1 + usize::from(i.jf));
            }
            _ => todo.push(pc + 1),
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
    vec![Finding {
        severity: Severity::Low,
        kind: "never matches",
        detail: format!(
            "{} instruction{} no path reaches: {}",
            dead.len(),
            if dead.len() == 1 { "" } else { "s" },
            some(&dead, 10)
        ),
    }]
}

/// A condition as a profile states it: `args[0] > 40`.
fn condition_text(c: &Condition) -> String {
    let i = c.index();
    let arg = match c.width() {
        Width::U64 => format!("args[{i}]"),
        Width::Low32 => format!("args[{i}].lo"),
    };
    match c.cmp() {
        Cmp::Eq(v) => format!("{arg} == {v:#x}"),
        Cmp::Ne(v) => format!("{arg} != {v:#x}"),
        Cmp::Lt(v) => format!("{arg} < {v:#x}"),
        Cmp::Le(v) => format!("{arg} <= {v:#x}"),
        Cmp::Gt(v) => format!("{arg} > {v:#x}"),
        Cmp::Ge(v) => format!("{arg} >= {v:#x}"),
        Cmp::MaskedEq { mask, value } => format!("{arg} & {mask:#x} == {value:#x}"),
        Cmp::BitsWithin(m) => format!("{arg} & !{m:#x} == 0"),
    }
}

/// An action as the findings name it: `ALLOW`, `ERRNO(1)`.
fn action_text(a: Action) -> String {
    match a {
        Action::Errno(n) | Action::Trap(n) | Action::Trace(n) => format!("{}({n})", a.name()),
        _ => a.name().to_string(),
    }
}

/// The policy's 64-bit comparisons of arguments the kernel reads fewer bits of
/// ([`seccompy_bpf::harden::wide_conditions`]): a bypass when the ignored bits get
/// a call a less restrictive action than the kernel's reading of it gets.
fn high_word_findings(policy: &Policy) -> Vec<Finding> {
    let rules = policy.rule_list();
    wide_conditions(policy)
        .into_iter()
        .filter_map(|w| {
            let rule = rules.get(w.rule)?;
            let cond = rule.conditions().get(w.condition)?;
            let i = usize::from(cond.index());
            let (crafted, intended) = (*w.witness.crafted.get(i)?, *w.witness.intended.get(i)?);
            let rule_text = format!(
                "{} if {}",
                action_text(rule.action()),
                rule.conditions()
                    .iter()
                    .map(condition_text)
                    .collect::<Vec<_>>()
                    .join(" && ")
            );
            let call = format!(
                "{}({}={crafted:#x}) on {}",
                w.syscall, w.param.name, w.abi
            );
            let name = w.param.name;
            let rule_text = format!("{}: {rule_text}", w.syscall);
            let field = format!("`{} {name}`", w.param.c_type);
            let (crafted_action, intended_action) = (
                action_text(w.witness.crafted_action),
                action_text(w.witness.intended_action),
            );
            let (severity, kind, detail) = if w.witness.is_bypass() {
                (
                    Severity::High,
                    "high word bypass",
                    format!(
                        "{call} gets {crafted_action}: the kernel reads {} bits of {field} and sees \
                         {name} = {}, which gets {intended_action}; the rule `{rule_text}` \
                         compares all 64 bits (compile with --harden){}",
                        w.kernel_bits,
                        w.abi
                            .syscall_nr(w.syscall)
                            .map_or_else(|| format!("{intended} ({intended:#x})"), |nr| {
                                seen_value(w.abi, nr, i, intended)
                            }),
                        if w.also.is_empty() {
                            String::new()
                        } else {
                            let also: Vec<String> = w.also.iter().map(|v| format!("{v:#x}")).collect();
                            format!("; also for {name} = {}", also.join(", "))
                        }
                    ),
                )
            } else {
                (
                    Severity::Low,
                    "high word ignored",
                    format!(
                        "the rule `{rule_text}` compares all 64 bits of {field}, of which the \
                         kernel reads {}: {call} gets {crafted_action} where {name} = \
                         {intended:#x} gets {intended_action}; the ignored bits get no call a less \
                         restrictive action",
                        w.kernel_bits
                    ),
                )
            };
            Some(Finding {
                severity,
                kind,
                detail,
            })
        })
        .collect()
}

/// The findings on the profile's rules.
fn profile_findings(profile: &Profile, resolved: &Resolved) -> Vec<Finding> {
    let mut findings = Vec::new();
    let default = profile.default_action.as_deref().unwrap_or("");
    for (index, rule) in profile.syscalls.iter().flatten().enumerate() {
        let names: Vec<&str> = rule
            .names
            .iter()
            .flatten()
            .map(String::as_str)
            .chain(rule.name.as_deref())
            .collect();
        if names.is_empty() {
            continue;
        }
        let label = format!(
            "rule {} ({})",
            index + 1,
            some(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 3)
        );
        let exists = |n: &str| resolved.abis.iter().any(|a| a.syscall_nr(n).is_some());
        if !names.iter().any(|n| exists(n)) {
            let abis: Vec<&str> = resolved.abis.iter().map(|a| a.name()).collect();
            findings.push(Finding {
                severity: Severity::Low,
                kind: "never matches",
                detail: format!(
                    "{label}: no name exists on {}{}",
                    abis.join(", "),
                    misspelled(&names, &resolved.abis)
                ),
            });
        }
        let same_errno = rule.errno_ret.is_none() || rule.errno_ret == profile.default_errno_ret;
        if rule.action.as_deref() == Some(default) && same_errno {
            findings.push(Finding {
                severity: Severity::Info,
                kind: "no effect",
                detail: format!("{label}: its action {default} is the default action"),
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_bpf::policy::{Arg, Arg32, Rule};

    fn kinds(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.kind, f.severity)).collect()
    }

    #[test]
    fn a_tight_policy_has_no_finding() {
        let p = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .syscalls(["read", "write", "exit_group"], Action::Allow)
            .compile()
            .unwrap();
        assert!(program_findings(p.insns(), Abi::X86_64).is_empty());
    }

    #[test]
    fn defaults_and_dangerous_calls() {
        let p = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("ptrace", Action::Errno(1)))
            .compile()
            .unwrap();
        let f = program_findings(p.insns(), Abi::X86_64);
        let k = kinds(&f);
        assert!(k.contains(&("permissive default", Severity::High)), "{f:?}");
        assert!(
            k.contains(&("dangerous syscall", Severity::Critical)),
            "{f:?}"
        );
        // ptrace is refused, and the compiler's program guards x32 and the arch.
        assert!(!f.iter().any(|f| f.detail.starts_with("ptrace ")), "{f:?}");
        assert!(
            !k.iter()
                .any(|(k, _)| *k == "x32 bypass" || *k == "no arch check")
        );
    }

    #[test]
    fn missing_arch_check_and_x32_bypass() {
        // A hand-written deny list: no arch check, no x32 guard.
        let ptrace = Abi::X86_64.syscall_nr("ptrace").unwrap();
        let ret = |k: u32| Insn {
            code: BPF_RET | BPF_K,
            jt: 0,
            jf: 0,
            k,
        };
        let prog = [
            Insn {
                code: BPF_LD | BPF_W | BPF_ABS,
                jt: 0,
                jf: 0,
                k: 0,
            },
            Insn {
                code: BPF_JMP | BPF_JEQ | BPF_K,
                jt: 0,
                jf: 1,
                k: ptrace,
            },
            ret(Action::Errno(1).to_raw()),
            ret(Action::Allow.to_raw()),
        ];
        let f = program_findings(&prog, Abi::X86_64);
        let k = kinds(&f);
        assert!(k.contains(&("no arch check", Severity::High)), "{f:?}");
        let x32 = f
            .iter()
            .find(|f| f.kind == "x32 bypass")
            .expect("x32 bypass");
        assert!(x32.detail.ends_with(": ptrace"), "{}", x32.detail);
    }

    #[test]
    fn low_word_checks() {
        // lseek's offset (args[1]) is 64 bits wide.
        let low = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("lseek", Action::Allow).when(Arg32(1).eq(8)))
            .compile()
            .unwrap();
        let f = program_findings(low.insns(), Abi::X86_64);
        let lw = f
            .iter()
            .find(|f| f.kind == "low word only")
            .expect("low word");
        assert!(lw.detail.starts_with("args[1]") && lw.detail.ends_with("for lseek"));
        let full = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("lseek", Action::Allow).when(Arg(1).eq(8)))
            .compile()
            .unwrap();
        let f = program_findings(full.insns(), Abi::X86_64);
        assert!(!f.iter().any(|f| f.kind == "low word only"), "{f:?}");
        // The whole args[1] for lseek, its low word alone for pread64 (a
        // 64-bit count) and for read (an unsigned int fd in args[0], rightly):
        // pread64 is named, lseek and read are not.
        let mixed = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("lseek", Action::Allow).when(Arg(1).eq(8)))
            .rule(Rule::new("pread64", Action::Allow).when(Arg32(2).eq(1)))
            .rule(Rule::new("read", Action::Allow).when(Arg32(0).eq(1)))
            .compile()
            .unwrap();
        let f = program_findings(mixed.insns(), Abi::X86_64);
        let lw: Vec<&Finding> = f.iter().filter(|f| f.kind == "low word only").collect();
        assert_eq!(lw.len(), 1, "{f:?}");
        assert!(lw[0].detail.starts_with("args[2]"), "{}", lw[0].detail);
        assert!(lw[0].detail.ends_with("for pread64"), "{}", lw[0].detail);
        // A 32-bit argument on its low word: nothing (socket's int family).
        let int = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Allow).when(Arg32(0).eq(1)))
            .compile()
            .unwrap();
        let f = program_findings(int.insns(), Abi::X86_64);
        assert!(!f.iter().any(|f| f.kind == "low word only"), "{f:?}");
        // A mask of the lower bits means the same on the whole argument.
        let masked = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("clone", Action::Allow).when(Arg(0).masked_eq(0x7e02_0000, 0)))
            .compile()
            .unwrap();
        let f = program_findings(masked.insns(), Abi::X86_64);
        assert!(!f.iter().any(|f| f.kind == "low word only"), "{f:?}");
    }

    #[test]
    fn high_word_comparisons() {
        // A deny rule on AF_VSOCK compared on 64 bits: bypassed with a high word.
        let deny = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)));
        let f = high_word_findings(&deny);
        assert_eq!(kinds(&f), [("high word bypass", Severity::High)], "{f:?}");
        assert!(
            f[0].detail.starts_with(
                "socket(family=0x100000028) on x86_64 gets ALLOW: the kernel reads 32 bits of \
                 `int family` and sees family = 40 (0x28, AF_VSOCK), which gets ERRNO(97); the rule \
                 `socket: ERRNO(97) if args[0] == 0x28` compares all 64 bits"
            ),
            "{}",
            f[0].detail
        );
        // An allow on equality: the high word only refuses.
        let allow = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("personality", Action::Allow).when(Arg(0).eq(8)));
        let f = high_word_findings(&allow);
        assert_eq!(kinds(&f), [("high word ignored", Severity::Low)], "{f:?}");
        // The low word compared, or a 64-bit argument: nothing.
        let fine = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg32(0).eq(40)))
            .rule(Rule::new("lseek", Action::Errno(1)).when(Arg(1).gt(1 << 40)));
        assert!(high_word_findings(&fine).is_empty());
        // 32-bit registers have no high word.
        let i386 = Policy::new(Action::Allow)
            .abi(Abi::I386)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)));
        assert!(high_word_findings(&i386).is_empty());
    }

    #[test]
    fn high_word_in_a_raw_program() {
        let deny = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)))
            .compile()
            .unwrap();
        let f = program_high_word(deny.insns(), Abi::X86_64);
        assert_eq!(kinds(&f), [("high word bypass", Severity::High)], "{f:?}");
        assert!(
            f[0].detail.starts_with(
                "socket(family=0x100000028) on x86_64 gets ALLOW: the kernel reads 32 bits of \
                 `int family` and sees family = 40 (0x28, AF_VSOCK), which gets ERRNO(97)"
            ),
            "{}",
            f[0].detail
        );
        // Hardened, or on the low word: nothing.
        let (hard, _) = seccompy_bpf::harden::harden(
            &Policy::new(Action::Allow)
                .abi(Abi::X86_64)
                .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40))),
        );
        assert!(program_high_word(hard.compile().unwrap().insns(), Abi::X86_64).is_empty());
        // An allow on equality only refuses: no bypass.
        let allow = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("personality", Action::Allow).when(Arg(0).eq(8)))
            .compile()
            .unwrap();
        assert!(program_high_word(allow.insns(), Abi::X86_64).is_empty());
    }

    #[test]
    fn dead_code() {
        let ret = |k: u32| Insn {
            code: BPF_RET | BPF_K,
            jt: 0,
            jf: 0,
            k,
        };
        let f = unreachable(&[ret(0), ret(1), ret(2)]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].detail
                .starts_with("2 instructions no path reaches: 1, 2")
        );
        assert!(unreachable(&[ret(0)]).is_empty());
    }

    #[test]
    fn misspelled_names_get_suggestions() {
        assert_eq!(
            misspelled(&["sockte", "zzzzzz"], &[Abi::X86_64]),
            " (did you mean 'socket' for 'sockte'?)"
        );
        assert_eq!(misspelled(&["zzzzzz"], &[Abi::X86_64]), "");
    }

    #[test]
    fn severities() {
        assert!(Severity::parse("critical").unwrap() > Severity::High);
        assert!(Severity::parse("bad").is_err());
    }
}
