//! The seccompiler (rust-vmm) peer: a [`Spec`] mapped onto seccompiler's model.
//!
//! seccompiler has one ABI per filter (x86_64 here), one action for calls that a
//! rule matches and one for the others; its arch check kills the process. So the
//! mapping keeps the x86_64 part of the spec, takes the most frequent non-default
//! action as the match action, and leaves out rules with any other action (they
//! are listed, and their calls get the default action). Rules with the default
//! action are left out as runc does; a rule testing one argument twice is split
//! into one rule per condition, as runc does, so that the meaning is the spec's.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use seccompy_bpf::Insn;
use seccompy_sys::syscalls::Abi;

use super::spec::{CmpOp, Cond, Spec};

/// A spec in seccompiler's terms, ready to be compiled (and timed).
#[derive(Clone, Debug)]
pub struct Mapped {
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
    /// Rules left out because seccompiler has a single match action: `name action`.
    pub dropped: Vec<String>,
    /// Names unknown on x86_64 (left out).
    pub unknown: Vec<String>,
}

/// seccompiler's action for a raw return value, if it has one.
fn action(raw: u32) -> Option<SeccompAction> {
    use seccompy_sys::*;
    let data = raw & SECCOMP_RET_DATA;
    Some(match raw & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_ALLOW => SeccompAction::Allow,
        SECCOMP_RET_ERRNO => SeccompAction::Errno(data),
        SECCOMP_RET_KILL_THREAD => SeccompAction::KillThread,
        SECCOMP_RET_KILL_PROCESS => SeccompAction::KillProcess,
        SECCOMP_RET_LOG => SeccompAction::Log,
        SECCOMP_RET_TRACE => SeccompAction::Trace(data),
        SECCOMP_RET_TRAP if data == 0 => SeccompAction::Trap,
        _ => return None,
    })
}

fn condition(c: &Cond) -> Result<SeccompCondition, String> {
    let (op, value) = match c.op {
        CmpOp::Ne => (SeccompCmpOp::Ne, c.a),
        CmpOp::Lt => (SeccompCmpOp::Lt, c.a),
        CmpOp::Le => (SeccompCmpOp::Le, c.a),
        CmpOp::Eq => (SeccompCmpOp::Eq, c.a),
        CmpOp::Ge => (SeccompCmpOp::Ge, c.a),
        CmpOp::Gt => (SeccompCmpOp::Gt, c.a),
        CmpOp::MaskedEq => (SeccompCmpOp::MaskedEq(c.a), c.b),
    };
    SeccompCondition::new(c.arg, SeccompCmpArgLen::Qword, op, value)
        .map_err(|e| format!("seccompiler condition: {e}"))
}

/// The match action seccompiler gets: the most frequent non-default action
/// (ties go to the one seen first).
pub fn match_action(spec: &Spec) -> Option<u32> {
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for r in spec.rules.iter().filter(|r| r.action != spec.default) {
        match counts.iter_mut().find(|(a, _)| *a == r.action) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.action, 1)),
        }
    }
    let best = counts.iter().map(|&(_, n)| n).max()?;
    counts.iter().find(|&&(_, n)| n == best).map(|&(a, _)| a)
}

/// Maps the x86_64 part of `spec`; fails if `spec` has no x86_64 ABI or an action
/// seccompiler lacks.
pub fn map(spec: &Spec) -> Result<Mapped, String> {
    if !spec.abis.contains(&Abi::X86_64) {
        return Err("seccompiler is run on the x86_64 part only, and the spec has none".into());
    }
    let mismatch = action(spec.default)
        .ok_or_else(|| format!("seccompiler has no action {:#x}", spec.default))?;
    let Some(matched_raw) = match_action(spec) else {
        return Err("seccompiler needs at least one rule with a non-default action".into());
    };
    let matched =
        action(matched_raw).ok_or_else(|| format!("seccompiler has no action {matched_raw:#x}"))?;
    // None: unconditional; Some(list): OR of AND-ed conditions.
    let mut per_nr: BTreeMap<i64, Option<Vec<SeccompRule>>> = BTreeMap::new();
    let mut dropped = Vec::new();
    let mut unknown = Vec::new();
    for r in &spec.rules {
        if r.action == spec.default {
            continue;
        }
        if r.action != matched_raw {
            dropped.push(format!("{} {:#x}", r.name, r.action));
            continue;
        }
        let Some(nr) = Abi::X86_64.syscall_nr(&r.name) else {
            unknown.push(r.name.clone());
            continue;
        };
        let entry = per_nr
            .entry(i64::from(nr))
            .or_insert_with(|| Some(Vec::new()));
        if r.conds.is_empty() {
            *entry = None;
            continue;
        }
        let Some(list) = entry else { continue };
        let mut seen = [false; 6];
        let repeated = r
            .conds
            .iter()
            .any(|c| std::mem::replace(&mut seen[usize::from(c.arg)], true));
        let groups: Vec<Vec<Cond>> = if repeated {
            r.conds.iter().map(|c| vec![*c]).collect()
        } else {
            vec![r.conds.clone()]
        };
        for g in groups {
            let conds = g.iter().map(condition).collect::<Result<Vec<_>, _>>()?;
            list.push(SeccompRule::new(conds).map_err(|e| format!("seccompiler rule: {e}"))?);
        }
    }
    let rules = per_nr
        .into_iter()
        .map(|(nr, r)| (nr, r.unwrap_or_default()))
        .collect();
    Ok(Mapped {
        rules,
        mismatch,
        matched,
        dropped,
        unknown,
    })
}

impl Mapped {
    /// Builds the filter and compiles it (the part that is timed).
    pub fn compile(&self) -> Result<Vec<Insn>, String> {
        let filter = SeccompFilter::new(
            self.rules.clone(),
            self.mismatch.clone(),
            self.matched.clone(),
            TargetArch::x86_64,
        )
        .map_err(|e| format!("seccompiler filter: {e}"))?;
        let prog: BpfProgram = filter
            .try_into()
            .map_err(|e| format!("seccompiler compile: {e}"))?;
        Ok(prog
            .iter()
            .map(|i| Insn {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::spec::Rule;

    const ALLOW: u32 = 0x7fff_0000;
    const EPERM: u32 = 0x0005_0001;

    fn rule(action: u32, name: &str, conds: Vec<Cond>) -> Rule {
        Rule {
            action,
            name: name.into(),
            conds,
        }
    }

    #[test]
    fn match_action_is_the_most_frequent_non_default_one() {
        let spec = Spec {
            abis: vec![Abi::X86_64],
            default: EPERM,
            bad_arch: None,
            rules: vec![
                rule(EPERM, "read", vec![]),
                rule(EPERM, "write", vec![]),
                rule(EPERM, "close", vec![]),
                rule(0x0005_0026, "clone3", vec![]),
                rule(ALLOW, "getpid", vec![]),
                rule(ALLOW, "gettid", vec![]),
            ],
        };
        assert_eq!(match_action(&spec), Some(ALLOW));
        let only_default = Spec {
            rules: vec![rule(EPERM, "read", vec![])],
            ..spec
        };
        assert_eq!(match_action(&only_default), None);
    }

    #[test]
    fn mapping_keeps_x86_64_and_reports_what_it_leaves_out() {
        let spec = Spec {
            abis: vec![Abi::X86_64, Abi::I386],
            default: EPERM,
            bad_arch: None,
            rules: vec![
                rule(ALLOW, "read", vec![]),
                rule(ALLOW, "read", vec![Cond::new(0, CmpOp::Eq, 3)]),
                rule(ALLOW, "chown32", vec![]),
                rule(0x0005_0026, "clone3", vec![]),
                rule(
                    ALLOW,
                    "socket",
                    vec![Cond::new(0, CmpOp::Ge, 1), Cond::new(0, CmpOp::Le, 2)],
                ),
                rule(ALLOW, "personality", vec![Cond::new(0, CmpOp::Eq, 8)]),
                rule(ALLOW, "personality", vec![Cond::masked(0, 0xff, 0)]),
            ],
        };
        let m = map(&spec).unwrap();
        assert_eq!(m.unknown, ["chown32"]);
        assert_eq!(m.dropped, ["clone3 0x50026"]);
        let nr = |n: &str| i64::from(Abi::X86_64.syscall_nr(n).unwrap());
        // The unconditional read rule wins over the conditional one.
        assert!(m.rules[&nr("read")].is_empty());
        // Two tests of arg 0 in one rule are split as runc splits them.
        assert_eq!(m.rules[&nr("socket")].len(), 2);
        assert_eq!(m.rules[&nr("personality")].len(), 2);
        assert_eq!(m.rules.len(), 3);
        let prog = m.compile().unwrap();
        assert!(prog.len() > 10);
    }

    #[test]
    fn specs_without_x86_64_are_refused() {
        let spec = Spec {
            abis: vec![Abi::I386],
            default: EPERM,
            bad_arch: None,
            rules: vec![rule(ALLOW, "read", vec![])],
        };
        assert!(map(&spec).is_err());
    }
}
