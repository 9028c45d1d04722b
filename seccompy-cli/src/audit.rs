//! `seccompy audit`: weaknesses of a profile or a program, found by running the
//! program in the emulator.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::Insn;
use seccompy_bpf::harden::wide_conditions;
use seccompy_bpf::lint;
use seccompy_bpf::oci::{Profile, Resolved};
use seccompy_bpf::policy::{Cmp, Condition, Policy, Width};
use seccompy_sys::syscalls::Abi;

use crate::args;
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

pub use seccompy_bpf::lint::Severity;

/// Reads `--fail-on`'s severity.
fn parse_severity(s: &str) -> Result<Severity> {
    Severity::from_name(s).ok_or_else(|| {
        Error::new(format!(
            "unknown severity '{s}' (severities: info, low, medium, high, critical)"
        ))
    })
}

/// One finding.
#[derive(Debug)]
pub struct Finding {
    pub severity: Severity,
    pub kind: &'static str,
    pub detail: String,
}

impl From<lint::Finding> for Finding {
    fn from(f: lint::Finding) -> Self {
        Finding {
            severity: f.severity,
            kind: f.kind.name(),
            detail: f.message,
        }
    }
}

/// The library's findings on the program ([`seccompy_bpf::lint`]).
fn program_findings(insns: &[Insn], abi: Abi) -> Vec<Finding> {
    lint::lint(insns, abi)
        .into_iter()
        .map(Finding::from)
        .collect()
}

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
            Long("fail-on") => fail_on = parse_severity(&args::text(parser)?)?,
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
    let loaded = source.with_input(bytes).load()?;
    let mut findings = program_findings(loaded.prog.insns(), loaded.abi);
    if loaded.resolved.is_none() {
        // A profile's rules are judged by high_word_findings below, by name.
        let bypasses = lint::high_word_bypasses(loaded.prog.insns(), loaded.abi);
        findings.extend(bypasses.into_iter().map(Finding::from));
    }
    if let Some((profile, resolved)) = &loaded.resolved {
        findings.extend(profile_findings(profile, resolved));
        let policy = resolved
            .to_policy()
            .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
        findings.extend(high_word_findings(&policy));
        if let Some(policy) = &agent {
            findings.extend(crate::agent::audit_findings(
                profile,
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
                rule.action(),
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
                w.witness.crafted_action,
                w.witness.intended_action,
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
                                lint::seen_value(w.abi, nr, i, intended)
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
            lint::some(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 3)
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
    use seccompy_bpf::action::Action;
    use seccompy_bpf::policy::{Arg, Arg32, Rule};

    fn kinds(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.kind, f.severity)).collect()
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
    fn misspelled_names_get_suggestions() {
        assert_eq!(
            misspelled(&["sockte", "zzzzzz"], &[Abi::X86_64]),
            " (did you mean 'socket' for 'sockte'?)"
        );
        assert_eq!(misspelled(&["zzzzzz"], &[Abi::X86_64]), "");
    }

    #[test]
    fn severities() {
        assert!(parse_severity("critical").unwrap() > Severity::High);
        assert!(parse_severity("bad").is_err());
    }
}
