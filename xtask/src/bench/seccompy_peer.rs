//! The seccompy peer: a [`Spec`] turned into a seccompy-bpf [`Policy`] with the
//! meaning libseccomp gives it under runc (so that decisions can be compared), then
//! compiled.
//!
//! As runc does: rules whose action is the default are left out, a rule that tests
//! one argument twice becomes one rule per condition, and a name unknown on every
//! ABI of the spec is left out; a known name is the syscall table's own
//! `&'static str`, as in a policy written in Rust, not a copy of the spec's. Conditions compare the whole 64-bit argument
//! ([`Arg`]), which the policy reads as its low word on 32-bit ABIs, as libseccomp.

use seccompy_bpf::Action;
use seccompy_bpf::policy::{Arg, Condition, Policy, Rule, Syscall};
use seccompy_sys::SECCOMP_RET_KILL_THREAD;

use super::spec::{CmpOp, Cond, Spec};

fn action(raw: u32) -> Result<Action, String> {
    Action::from_raw(raw).ok_or_else(|| format!("{raw:#x} is not a seccomp action"))
}

fn condition(c: &Cond) -> Condition {
    let arg = Arg(c.arg);
    match c.op {
        CmpOp::Ne => arg.ne(c.a),
        CmpOp::Lt => arg.lt(c.a),
        CmpOp::Le => arg.le(c.a),
        CmpOp::Eq => arg.eq(c.a),
        CmpOp::Ge => arg.ge(c.a),
        CmpOp::Gt => arg.gt(c.a),
        CmpOp::MaskedEq => arg.masked_eq(c.a, c.b),
    }
}

/// The policy `spec` means.
pub fn policy(spec: &Spec) -> Result<Policy, String> {
    let p = Policy::new(action(spec.default)?)
        .bad_arch_action(action(spec.bad_arch.unwrap_or(SECCOMP_RET_KILL_THREAD))?)
        .abis(&spec.abis);
    let mut rules = Vec::with_capacity(spec.rules.len());
    for r in &spec.rules {
        if r.action == spec.default {
            continue;
        }
        // The name as the syscall table spells it (`&'static`, as a policy
        // written in Rust names its calls: no copy of the spec's string), or
        // left out when no ABI of the spec knows it.
        let Some(name) = spec.abis.iter().find_map(|abi| {
            abi.syscall_nr(&r.name)
                .and_then(|nr| abi.syscall_name(nr))
                .map(|table| -> Syscall {
                    if table == r.name {
                        table.into()
                    } else {
                        // (An alias: the spec's spelling, copied.)
                        r.name.clone().into()
                    }
                })
        }) else {
            continue;
        };
        let act = action(r.action)?;
        let mut seen = [false; 6];
        let repeated = r
            .conds
            .iter()
            .any(|c| std::mem::replace(&mut seen[usize::from(c.arg)], true));
        if repeated {
            for c in &r.conds {
                rules.push(Rule::new(name.clone(), act).when(condition(c)));
            }
        } else {
            rules.push(Rule::new(name, act).when_all(r.conds.iter().map(condition)));
        }
    }
    let p = p.rules(rules);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::spec::Rule as SpecRule;
    use seccompy_sys::syscalls::Abi;
    use seccompy_sys::*;
    use std::borrow::Cow;

    fn rule(action: u32, name: &str, conds: Vec<Cond>) -> SpecRule {
        SpecRule {
            action,
            name: name.into(),
            conds,
        }
    }

    #[test]
    fn runc_mapping_rules_hold() {
        let spec = Spec {
            abis: vec![Abi::X86_64, Abi::I386],
            default: SECCOMP_RET_ERRNO | 1,
            bad_arch: None,
            rules: vec![
                // Same action as the default: left out, so no rule overrides clone3.
                rule(SECCOMP_RET_ERRNO | 1, "clone3", vec![]),
                rule(
                    SECCOMP_RET_ERRNO | 38,
                    "clone3",
                    vec![Cond::new(0, CmpOp::Eq, 5)],
                ),
                // Two tests of arg 0: OR-ed after the split.
                rule(
                    SECCOMP_RET_ALLOW,
                    "personality",
                    vec![Cond::new(0, CmpOp::Eq, 8), Cond::new(0, CmpOp::Eq, 9)],
                ),
                rule(SECCOMP_RET_ALLOW, "no_such_call", vec![]),
                rule(SECCOMP_RET_ALLOW, "chown32", vec![]),
            ],
        };
        let p = policy(&spec).unwrap();
        assert_eq!(p.rule_list().len(), 4);
        assert_eq!(p.bad_arch(), Action::KillThread);
        let nr = |abi: Abi, n: &str| abi.syscall_nr(n).unwrap();
        let pers = nr(Abi::X86_64, "personality");
        assert_eq!(
            p.decide(Abi::X86_64, pers, &[8, 0, 0, 0, 0, 0]),
            Action::Allow
        );
        assert_eq!(
            p.decide(Abi::X86_64, pers, &[9, 0, 0, 0, 0, 0]),
            Action::Allow
        );
        assert_eq!(
            p.decide(Abi::X86_64, pers, &[7, 0, 0, 0, 0, 0]),
            Action::Errno(1)
        );
        let clone3 = nr(Abi::X86_64, "clone3");
        assert_eq!(
            p.decide(Abi::X86_64, clone3, &[5, 0, 0, 0, 0, 0]),
            Action::Errno(38)
        );
        assert_eq!(p.decide(Abi::X86_64, clone3, &[0; 6]), Action::Errno(1));
        assert_eq!(
            p.decide(Abi::I386, nr(Abi::I386, "chown32"), &[0; 6]),
            Action::Allow
        );
        assert!(p.compile().is_ok());
        // Known names are the tables' own strings, not copies of the spec's
        // (what the compile benchmarks count is the compiler's work).
        for rule in p.rule_list() {
            assert!(
                matches!(rule.syscall(), Syscall::Name(Cow::Borrowed(_))),
                "{}",
                rule.syscall()
            );
        }
    }

    #[test]
    fn every_operator_maps_to_its_comparison() {
        let x = 0x1_0000_0010u64;
        for (op, a, b, hit, miss) in [
            (CmpOp::Ne, x, 0, 0, x),
            (CmpOp::Lt, x, 0, x - 1, x),
            (CmpOp::Le, x, 0, x, x + 1),
            (CmpOp::Eq, x, 0, x, x ^ (1 << 32)),
            (CmpOp::Ge, x, 0, x, x - 1),
            (CmpOp::Gt, x, 0, x + 1, x),
            (CmpOp::MaskedEq, 0xff, 0x10, x, x + 1),
        ] {
            let c = condition(&Cond { arg: 2, op, a, b });
            let mut args = [0u64; 6];
            args[2] = hit;
            assert!(c.matches(&args, true), "{op:?} {hit:#x}");
            args[2] = miss;
            assert!(!c.matches(&args, true), "{op:?} {miss:#x}");
        }
    }
}
