//! A [`Resolved`] filter as a [`Policy`]: runc's ENOSYS stub as per-ABI number
//! ranges, libseccomp's per-ABI rules as rules restricted to their ABI.
//!
//! The numbers of each audit arch are cut into stretches on which nothing but the
//! rules of single syscalls changes, at the stub's thresholds, the x32 bit (and
//! bit 31, since the stub looks at bit 30 alone), `-1` and s390x's number 0.
//! Each stretch gets what the resolved filter gives it (`ERRNO(ENOSYS)`, the
//! bad-arch action, or libseccomp's rules for the ABI the call belongs to) as
//! rules [`only_on`](Rule::only_on) the ABI the policy sees the call as; a range
//! rule is written only where the policy would otherwise decide differently,
//! and consecutive stretches of one policy ABI with the same action share one
//! range.
//!
//! libseccomp and runc dispatch the x86 family a little differently from
//! [`Policy`] (runc's stub tells x86_64 from x32 by bit 30 alone, so
//! `0x8000_0000` is compared with x86_64's highest syscall; with x32 alone in the
//! filter, `-1` is an x32 call). Where the policy sees a call as belonging to an
//! ABI that the filter lacks but must decide something other than the bad-arch
//! action, that ABI is added to the policy, with range rules giving the
//! bad-arch action to the rest of its numbers.

use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};

use super::libseccomp::{ArgCmp, Decision, overlap, width_mask};
use super::names::{ScmpOp, libseccomp_32bit};
use super::resolved::Resolved;
use crate::action::Action;
use crate::policy::{
    Cmp, Condition, MAX_ARG_INDEX, Policy, Rule, Syscall, Width, abi_has_64bit_args,
    more_restrictive,
};

/// Why a [`Resolved`] filter cannot be written as a [`Policy`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToPolicyError {
    /// Two rules of one syscall with different actions can match the same call,
    /// and the earlier one, which decides it ([`Decision::decide`] takes the
    /// first rule that matches), is not the more restrictive, which is what a
    /// [`Policy`] picks. [`resolve`](super::resolve()) never produces such rules
    /// (it refuses them as [`ResolveError::Ambiguous`](super::ResolveError::Ambiguous));
    /// only a `Resolved` built or changed by hand can hold them.
    #[error(
        "{syscall} on {abi}: rules with different actions can match one call and the first is not the most restrictive, which Policy cannot state"
    )]
    Ambiguous {
        /// The ABI.
        abi: Abi,
        /// The syscall's name, or `#nr` for a number without one.
        syscall: String,
    },
}

/// What a stretch of numbers gets before the rules of single syscalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    /// runc's stub: `ERRNO(ENOSYS)`.
    Enosys,
    /// The call's ABI is not in the filter.
    BadArch,
    /// libseccomp's rules for this ABI, the default action where it has none.
    Filter(Abi),
}

/// Numbers `first..=last` of one audit arch, which the policy sees as calls of
/// `view`.
#[derive(Clone, Copy, Debug)]
struct Stretch {
    first: u32,
    last: u32,
    view: Abi,
    base: Base,
}

/// A range rule being built: `first..=last` of `view` get `action`.
#[derive(Clone, Copy, Debug)]
struct OpenRange {
    view: Abi,
    first: u32,
    last: u32,
    action: Action,
}

/// The policy being built. Rules go straight into it, one by one: collected
/// in a `Vec` first, [`Policy::rules`] would copy them all (about 100 KB for
/// Docker's default profile) into fresh memory.
struct Building(Policy);

impl Building {
    fn push(&mut self, rule: Rule) {
        // `Policy::rule` takes the policy by value; a policy without rules
        // stands in meanwhile (it allocates nothing).
        let policy = core::mem::replace(&mut self.0, Policy::new(Action::Allow));
        self.0 = policy.rule(rule);
    }
}

impl Extend<Rule> for Building {
    fn extend<I: IntoIterator<Item = Rule>>(&mut self, rules: I) {
        for rule in rules {
            self.push(rule);
        }
    }
}

impl OpenRange {
    fn rule(self) -> Rule {
        Rule::new(
            Syscall::Range {
                first: self.first,
                last: self.last,
            },
            self.action,
        )
        .only_on(self.view)
    }
}

impl Resolved {
    /// The same filter as a [`Policy`]: for every call (every audit arch, number
    /// and arguments), [`Policy::evaluate`] equals [`Resolved::evaluate`], so the
    /// compiled policy decides as runc's stub plus libseccomp's filter do. The
    /// stub becomes [`Syscall::Range`] rules and libseccomp's rules become rules
    /// on syscall numbers, each [`only_on`](Rule::only_on) one ABI; see the
    /// module source for the details.
    ///
    /// # Errors
    ///
    /// [`ToPolicyError::Ambiguous`] for rules that [`resolve`](super::resolve())
    /// never produces (a `Resolved` built by hand).
    pub fn to_policy(&self) -> Result<Policy, ToPolicyError> {
        let mut arches: Vec<u32> = Vec::new();
        for abi in &self.abis {
            if !arches.contains(&abi.audit_arch()) {
                arches.push(abi.audit_arch());
            }
        }
        let stretches: Vec<Stretch> = arches.iter().flat_map(|&a| self.stretches(a)).collect();
        let mut abis = self.abis.clone();
        for s in &stretches {
            if s.base != Base::BadArch && !abis.contains(&s.view) {
                abis.push(s.view);
            }
        }
        // What the policy decides on its own for a number of `view` no rule names.
        let fallback = |view: Abi| {
            if abis.contains(&view) {
                self.default_action
            } else {
                self.bad_arch_action
            }
        };

        let mut rules = Building(
            Policy::new(self.default_action)
                .bad_arch_action(self.bad_arch_action)
                .abis(&abis),
        );
        let mut open: Vec<OpenRange> = Vec::new();
        for s in &stretches {
            let action = match s.base {
                Base::Enosys => Action::Errno(self.target.enosys()),
                Base::BadArch => self.bad_arch_action,
                Base::Filter(_) => self.default_action,
            };
            let fb = fallback(s.view);
            let pos = open.iter().position(|o| o.view == s.view);
            match pos {
                Some(i) if action != fb && open[i].action == action => open[i].last = s.last,
                _ => {
                    if let Some(i) = pos {
                        rules.push(open.remove(i).rule());
                    }
                    if action != fb {
                        open.push(OpenRange {
                            view: s.view,
                            first: s.first,
                            last: s.last,
                            action,
                        });
                    }
                }
            }
            if let Base::Filter(abi) = s.base {
                // The view's names, walked along the decisions (both sorted by
                // number) instead of looked up one by one.
                let table = s.view.syscalls();
                let mut t = table.partition_point(|e| e.0 < s.first);
                for &(nr, ref decision) in self.decisions_within(abi, s.first, s.last) {
                    while table.get(t).is_some_and(|e| e.0 < nr) {
                        t += 1;
                    }
                    let name = table.get(t).filter(|e| e.0 == nr).map(|e| e.1);
                    let at = Place {
                        abi,
                        view: s.view,
                        nr,
                        name,
                    };
                    decision_rules(at, decision, fb, &mut rules)?;
                }
            }
        }
        rules.extend(open.into_iter().map(OpenRange::rule));
        Ok(rules.0)
    }

    /// The ABI a [`Policy`] with both x86_64 and x32 sees a call as (x32 for
    /// numbers with the x32 bit, but not -1); elsewhere the filter's ABI for
    /// `arch`.
    fn policy_view(&self, arch: u32, nr: u32) -> Option<Abi> {
        if arch == AUDIT_ARCH_X86_64 {
            return Abi::of_call(arch, nr);
        }
        self.abis.iter().copied().find(|a| a.audit_arch() == arch)
    }

    /// The numbers of audit arch `arch` (one of the filter's), in stretches on
    /// which the stub, the dispatch and the policy's view are constant.
    fn stretches(&self, arch: u32) -> Vec<Stretch> {
        let mut cuts: Vec<u32> = alloc::vec![0, 1, X32_SYSCALL_BIT, 0x8000_0000, 0xc000_0000];
        cuts.push(u32::MAX);
        if let Some(stub) = &self.enosys {
            cuts.extend(
                stub.highest
                    .iter()
                    .filter(|(abi, _)| abi.audit_arch() == arch)
                    .filter_map(|(_, m)| m.checked_add(1)),
            );
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::with_capacity(cuts.len());
        for (i, &first) in cuts.iter().enumerate() {
            let last = cuts.get(i + 1).map_or(u32::MAX, |&next| next - 1);
            let Some(view) = self.policy_view(arch, first) else {
                continue;
            };
            let base = if self.enosys.as_ref().is_some_and(|s| s.enosys(arch, first)) {
                Base::Enosys
            } else {
                self.abi_of(arch, first).map_or(Base::BadArch, Base::Filter)
            };
            out.push(Stretch {
                first,
                last,
                view,
                base,
            });
        }
        out
    }

    /// libseccomp's decisions on `abi` for numbers `first..=last`.
    fn decisions_within(&self, abi: Abi, first: u32, last: u32) -> &[(u32, Decision)] {
        let Some(per) = self.syscalls.iter().find(|s| s.abi == abi) else {
            return &[];
        };
        let list = per.syscalls.as_slice();
        let lo = list.partition_point(|e| e.0 < first);
        let hi = list.partition_point(|e| e.0 <= last);
        list.get(lo..hi).unwrap_or(&[])
    }
}

/// A syscall number of the filter's ABI `abi`, which the policy sees as a call
/// of `view`; `name` is `view`'s name for `nr` (`view.syscall_name(nr)`).
#[derive(Clone, Copy)]
struct Place {
    abi: Abi,
    view: Abi,
    nr: u32,
    name: Option<&'static str>,
}

/// Pushes the rules that decide number `nr` of policy ABI `view` as `decision`
/// does on the filter's ABI `abi`; `fallback` is what the policy decides without
/// them.
fn decision_rules(
    at: Place,
    decision: &Decision,
    fallback: Action,
    out: &mut Building,
) -> Result<(), ToPolicyError> {
    let Place {
        abi,
        view,
        nr,
        name,
    } = at;
    // By name where the view has one: a table's names are unique, so the name
    // gives this number back.
    let syscall = name.map_or(Syscall::Nr(nr), Syscall::from);
    match decision {
        Decision::Always(a) => {
            if *a != fallback {
                out.push(Rule::new(syscall.clone(), *a).only_on(view));
            }
        }
        Decision::Rules(rules) => {
            // A condition past argument 5 never holds: neither does its rule.
            let live = || {
                rules
                    .iter()
                    .filter(|r| r.conds.iter().all(|c| c.index <= MAX_ARG_INDEX))
            };
            let w = width_mask(abi);
            for (i, first) in live().enumerate() {
                for later in live().skip(i + 1) {
                    if more_restrictive(later.action, first.action) && overlap(first, later, w) {
                        return Err(ToPolicyError::Ambiguous {
                            abi,
                            syscall: abi
                                .syscall_name(nr)
                                .map_or_else(|| alloc::format!("#{nr}"), String::from),
                        });
                    }
                }
            }
            out.extend(live().map(|r| {
                Rule::new(syscall.clone(), r.action)
                    .when_all(r.conds.iter().map(|c| condition(abi, c)))
                    .only_on(view)
            }));
        }
    }
    Ok(())
}

/// A condition the policy evaluates as libseccomp evaluates `c` on `abi`: the
/// low 32 bits where libseccomp compares only those (on x32 and n32 the policy
/// would otherwise compare the whole register).
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

#[cfg(test)]
mod tests {
    use seccompy_sys::syscalls::Abi;

    /// `decision_rules` names a number by the view's table: every name there
    /// must give its number back.
    #[test]
    fn table_names_give_their_numbers_back() {
        for &abi in Abi::ALL {
            for &(nr, name) in abi.syscalls() {
                assert_eq!(abi.syscall_nr(name), Some(nr), "{name} on {abi}");
                assert_eq!(abi.syscall_name(nr), Some(name), "{nr} on {abi}");
            }
        }
    }
}
