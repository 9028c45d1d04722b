//! A resolved profile: what runc's filter decides, per ABI and syscall.

use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, seccomp_data};

use super::enosys::{ENOSYS, EnosysStub};
use super::libseccomp::{ArgCmp, Decision, LibRule};
use super::names::{ScmpOp, libseccomp_32bit};
use crate::action::Action;
use crate::policy::{Cmp, Condition, Policy, Rule, Width, abi_has_64bit_args};

/// Why a [`Resolved`] filter cannot be written as a [`Policy`] yet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToPolicyError {
    /// runc's ENOSYS stub needs rules over ranges of numbers, per ABI, which
    /// [`Policy`] cannot state.
    #[error("runc's ENOSYS stub needs per-ABI number ranges, which Policy cannot express")]
    EnosysStub,
    /// The rules for this syscall differ between ABIs (libseccomp compares only the
    /// low 32 bits on x32 and n32, or a name exists on one ABI without rules there),
    /// and [`Policy`] applies a name's rules to every ABI.
    #[error("{0}: the rules differ between ABIs, which Policy cannot express")]
    PerAbiRules(String),
}

/// The syscalls libseccomp has rules for on one ABI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AbiSyscalls {
    /// The ABI.
    pub abi: Abi,
    /// `(number, decision)`, sorted by number; other numbers get the default action.
    pub syscalls: Vec<(u32, Decision)>,
}

/// A profile resolved for one machine: the decisions of the filter runc would
/// install. See the [module documentation](super) for how it is derived.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    /// The architecture runc runs on (libseccomp's native one, first in `abis`).
    pub target: Abi,
    /// The action for calls no rule decides.
    pub default_action: Action,
    /// The action for calls of architectures outside `abis`: libseccomp's default,
    /// `SCMP_ACT_KILL`, which is `KillThread` (runc does not change it).
    pub bad_arch_action: Action,
    /// The filter's ABIs: the target, then the profile's architectures.
    pub abis: Vec<Abi>,
    /// The rules, per ABI, in the order of `abis`.
    pub syscalls: Vec<AbiSyscalls>,
    /// runc's ENOSYS stub, if runc adds one.
    pub enosys: Option<EnosysStub>,
    /// The profile's `flags` (they change logging and speculation, not decisions).
    pub flags: Vec<String>,
    /// The profile's `listenerPath`.
    pub listener_path: Option<String>,
    /// The profile's `listenerMetadata`.
    pub listener_metadata: Option<String>,
}

impl Resolved {
    /// The decision for `nr` on `abi`, if libseccomp has rules for it.
    #[must_use]
    pub fn decision(&self, abi: Abi, nr: u32) -> Option<&Decision> {
        let list = &self.syscalls.iter().find(|s| s.abi == abi)?.syscalls;
        let i = list.binary_search_by_key(&nr, |e| e.0).ok()?;
        list.get(i).map(|e| &e.1)
    }

    /// The ABI whose rules decide a call of audit arch `arch` and number `nr`, as
    /// libseccomp dispatches: under `AUDIT_ARCH_X86_64`, numbers with the x32 bit
    /// (but not -1) belong to x32 and get the bad-arch action when x32 is not in
    /// the filter, and x86_64's numbers get it when only x32 is.
    #[must_use]
    pub fn abi_of(&self, arch: u32, nr: u32) -> Option<Abi> {
        if arch == AUDIT_ARCH_X86_64 {
            let has = |a| self.abis.contains(&a);
            let x32_bit = nr >= X32_SYSCALL_BIT;
            return match (has(Abi::X86_64), has(Abi::X32)) {
                (true, true) => Some(if x32_bit && nr != u32::MAX {
                    Abi::X32
                } else {
                    Abi::X86_64
                }),
                (true, false) => (!x32_bit || nr == u32::MAX).then_some(Abi::X86_64),
                (false, true) => x32_bit.then_some(Abi::X32),
                (false, false) => None,
            };
        }
        self.abis.iter().copied().find(|a| a.audit_arch() == arch)
    }

    /// What the filter decides for a call of audit arch `arch`, number `nr` and
    /// arguments `args`: runc's ENOSYS stub first, then libseccomp's filter.
    #[must_use]
    pub fn decide(&self, arch: u32, nr: u32, args: &[u64; 6]) -> Action {
        if self.enosys.as_ref().is_some_and(|s| s.enosys(arch, nr)) {
            return Action::Errno(ENOSYS);
        }
        let Some(abi) = self.abi_of(arch, nr) else {
            return self.bad_arch_action;
        };
        self.decision(abi, nr).map_or(self.default_action, |d| {
            d.decide(abi, args, self.default_action)
        })
    }

    /// [`decide`](Self::decide) for a `seccomp_data`.
    #[must_use]
    pub fn evaluate(&self, data: &seccomp_data) -> Action {
        #[allow(clippy::cast_sign_loss)]
        self.decide(data.arch, data.nr as u32, &data.args)
    }

    /// The same filter as a [`Policy`], when the policy model can state it
    /// exactly: one set of rules per syscall name, valid on every ABI where the
    /// name exists, and no ENOSYS stub.
    pub fn to_policy(&self) -> Result<Policy, ToPolicyError> {
        if self.enosys.as_ref().is_some_and(|s| !s.highest.is_empty()) {
            return Err(ToPolicyError::EnosysStub);
        }
        // name -> rules, with the ABIs that produced them.
        let mut by_name: Vec<(&'static str, Vec<Rule>)> = Vec::new();
        for per in &self.syscalls {
            for (nr, decision) in &per.syscalls {
                let Some(name) = per.abi.syscall_name(*nr) else {
                    return Err(ToPolicyError::PerAbiRules(alloc::format!(
                        "#{nr} on {}",
                        per.abi
                    )));
                };
                let rules = policy_rules(per.abi, name, decision);
                match by_name.iter().find(|(n, _)| *n == name) {
                    Some((_, existing)) if *existing != rules => {
                        return Err(ToPolicyError::PerAbiRules(name.into()));
                    }
                    Some(_) => {}
                    None => by_name.push((name, rules)),
                }
            }
        }
        // Every ABI where a name exists must have had the same rules for it.
        for (name, _) in &by_name {
            for per in &self.syscalls {
                if let Some(nr) = per.abi.syscall_nr(name)
                    && per.syscalls.binary_search_by_key(&nr, |e| e.0).is_err()
                {
                    return Err(ToPolicyError::PerAbiRules((*name).into()));
                }
            }
        }
        Ok(Policy::new(self.default_action)
            .bad_arch_action(self.bad_arch_action)
            .abis(&self.abis)
            .rules(by_name.into_iter().flat_map(|(_, r)| r)))
    }

    /// What the filter decides for `name` called on `abi` with `args`, or `None`
    /// if the ABI has no such syscall.
    #[must_use]
    pub fn decide_name(&self, abi: Abi, name: &str, args: &[u64; 6]) -> Option<Action> {
        Some(self.decide(abi.audit_arch(), abi.syscall_nr(name)?, args))
    }
}

/// The policy rules that decide like `decision` on `abi`.
fn policy_rules(abi: Abi, name: &'static str, decision: &Decision) -> Vec<Rule> {
    match decision {
        Decision::Always(a) => alloc::vec![Rule::new(name, *a)],
        Decision::Rules(rules) => rules
            .iter()
            .map(|r: &LibRule| {
                Rule::new(name, r.action).when_all(r.conds.iter().map(|c| condition(abi, c)))
            })
            .collect(),
    }
}

/// A condition the policy evaluates on `abi` as libseccomp evaluates `c`: the low
/// 32 bits where libseccomp compares only those (the policy compares the whole
/// register on x32 and n32 otherwise).
fn condition(abi: Abi, c: &ArgCmp) -> Condition {
    let width = if libseccomp_32bit(abi) && abi_has_64bit_args(abi) {
        Width::Low32
    } else {
        Width::U64
    };
    let cmp = match c.op {
        ScmpOp::Eq => Cmp::Eq(c.value),
        ScmpOp::Ne => Cmp::Ne(c.value),
        ScmpOp::Lt => Cmp::Lt(c.value),
        ScmpOp::Le => Cmp::Le(c.value),
        ScmpOp::Gt => Cmp::Gt(c.value),
        ScmpOp::Ge => Cmp::Ge(c.value),
        ScmpOp::MaskedEq => Cmp::MaskedEq {
            mask: c.mask,
            value: c.value,
        },
    };
    Condition::new(c.index, width, cmp)
}
