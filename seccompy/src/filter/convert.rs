//! [`Filter`] ↔ [`Policy`]: the documented API and the compiler's, one value
//! moved into the other without rewriting its rules.

use seccompy_bpf::Action;
use seccompy_bpf::policy::Policy;
use seccompy_sys::BPF_MAXINSNS;
use seccompy_sys::syscalls::Abi;

use super::{Filter, FilterAction, FilterArgs, FilterError};
use crate::errno::{Errno, InvalidErrno};

/// Why a [`Policy`] is not a [`Filter`] (`Filter::try_from(policy)`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FromPolicyError {
    /// The policy has no ABI, and a filter needs its native one
    /// ([`FilterArgs::arch`]).
    #[error("the policy has no ABI: a Filter decides the calls of at least one")]
    NoAbi,
    /// An `Errno` action whose data is not an error number: `Action::Errno(0)`
    /// (the kernel skips the call and returns 0) or above 4095. A filter fails
    /// calls with an [`Errno`] only.
    #[error("the policy's {action} is not a Filter action")]
    Errno {
        /// The action.
        action: Action,
        /// Why its data is no errno.
        #[source]
        source: InvalidErrno,
    },
    /// An action `seccompy` does not know yet (`Action` is non-exhaustive).
    #[error("the policy's {action} is not a Filter action")]
    UnknownAction {
        /// The action.
        action: Action,
    },
    /// A rule restricted to ABIs other than exactly the filter's native one: a
    /// filter's rule applies on every ABI of the filter, or (a number) on the
    /// native ABI only.
    #[error(
        "rule {rule} of the policy applies on {abis:?} only, which a Filter (native ABI {arch}) \
         cannot express"
    )]
    RuleAbis {
        /// The rule's index in [`Policy::rule_list`].
        rule: usize,
        /// The ABIs it is restricted to.
        abis: Vec<Abi>,
        /// The policy's first ABI, the filter's native one.
        arch: Abi,
    },
}

fn filter_action(action: Action) -> Result<FilterAction, FromPolicyError> {
    let converted = FilterAction::from(action);
    if let Action::Errno(data) = action {
        Errno::try_from(data).map_err(|source| FromPolicyError::Errno { action, source })?;
    }
    // `From<Action>` stands an unknown action for `KillProcess`: refuse it here.
    if converted.to_action() != Ok(action) {
        return Err(FromPolicyError::UnknownAction { action });
    }
    Ok(converted)
}

impl Filter {
    /// The filter that decides as `policy` does, for the documented API's
    /// methods: its first ABI is [`FilterArgs::arch`], its default and bad-arch
    /// actions are the filter's, every rule, condition and hot syscall is kept
    /// in order, and [`FilterArgs::max_instruction_count`] is the kernel's 4096.
    /// `Filter::try_from(policy)` is the same.
    ///
    /// [`Filter::to_policy`] (or `Policy::try_from(&filter)`) goes back:
    /// `Filter::from_policy(&p)?.to_policy()? == p` for every policy this
    /// accepts.
    ///
    /// ```
    /// use seccompy::bpf::{Action, Policy, Rule};
    /// use seccompy::sys::syscalls::Abi;
    /// use seccompy::{Filter, FilterAction};
    ///
    /// let policy = Policy::new(Action::Errno(1))
    ///     .abi(Abi::X86_64)
    ///     .rule(Rule::new("read", Action::Allow));
    /// let mut filter = Filter::try_from(&policy)?;
    /// filter.add_syscall("write", FilterAction::Allow);
    /// assert_eq!(filter.args().default_action, FilterAction::Errno { errno: 1 });
    /// assert_eq!(Policy::try_from(&filter)?.rule_list().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FromPolicyError`]: a policy without ABI, an action that is not a
    /// [`FilterAction`] (`Errno(0)`), a rule restricted to ABIs a filter cannot
    /// express.
    pub fn from_policy(policy: &Policy) -> Result<Filter, FromPolicyError> {
        let &arch = policy.abi_list().first().ok_or(FromPolicyError::NoAbi)?;
        let args = FilterArgs {
            default_action: filter_action(policy.default_action())?,
            arch,
            arch_mismatch_action: filter_action(policy.bad_arch())?,
            max_instruction_count: BPF_MAXINSNS,
        };
        let rules = policy
            .rule_list()
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let native_only = match rule.abis() {
                    [] => false,
                    [only] if *only == arch => true,
                    abis => {
                        return Err(FromPolicyError::RuleAbis {
                            rule: i,
                            abis: abis.to_vec(),
                            arch,
                        });
                    }
                };
                Ok((
                    rule.syscall().clone(),
                    native_only,
                    filter_action(rule.action())?,
                    rule.conditions().to_vec(),
                ))
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter {
            args,
            abis: policy.abi_list().to_vec(),
            rules,
            hot: policy.hot_list().to_vec(),
        })
    }
}

impl TryFrom<&Policy> for Filter {
    type Error = FromPolicyError;
    /// [`Filter::from_policy`].
    fn try_from(policy: &Policy) -> Result<Filter, FromPolicyError> {
        Filter::from_policy(policy)
    }
}

impl TryFrom<Policy> for Filter {
    type Error = FromPolicyError;
    /// [`Filter::from_policy`].
    fn try_from(policy: Policy) -> Result<Filter, FromPolicyError> {
        Filter::from_policy(&policy)
    }
}

impl TryFrom<&Filter> for Policy {
    type Error = FilterError;
    /// [`Filter::to_policy`].
    fn try_from(filter: &Filter) -> Result<Policy, FilterError> {
        filter.to_policy()
    }
}

impl TryFrom<Filter> for Policy {
    type Error = FilterError;
    /// [`Filter::to_policy`].
    fn try_from(filter: Filter) -> Result<Policy, FilterError> {
        filter.to_policy()
    }
}

#[cfg(test)]
mod tests {
    use seccompy_bpf::policy::{Arg, Arg32, Rule, Syscall};

    use super::*;

    fn documented_filter() -> Filter {
        let mut filter = Filter::new(FilterArgs {
            default_action: FilterAction::Errno { errno: 1 },
            arch: Abi::X86_64,
            arch_mismatch_action: FilterAction::Trap { data: 7 },
            ..FilterArgs::default()
        });
        filter
            .add_abi(Abi::I386)
            .add_syscall("read", FilterAction::Allow)
            .add_syscall_group(&[1, 0x3fff_0000], FilterAction::Log)
            .add_syscall(
                Syscall::Range {
                    first: 400,
                    last: 410,
                },
                FilterAction::UserNotif,
            )
            .add_rule("openat", FilterAction::Allow, [Arg32(0).eq(-100i32 as u32)])
            .add_rule(
                "lseek",
                FilterAction::Trace { data: 3 },
                [Arg(1).lt(1 << 32)],
            )
            .add_hot_syscalls(&[0]);
        filter
    }

    #[test]
    fn a_filter_round_trips_through_its_policy() {
        let filter = documented_filter();
        let policy = Policy::try_from(&filter).unwrap();
        assert_eq!(Filter::try_from(&policy).unwrap(), filter);
        // And the other way: a policy through a filter.
        assert_eq!(
            Policy::try_from(Filter::try_from(policy.clone()).unwrap()).unwrap(),
            policy
        );
        let program = Filter::from_policy(&policy).unwrap().compile().unwrap();
        assert_eq!(program, policy.compile().unwrap());
    }

    #[test]
    fn a_policy_a_filter_cannot_express_is_refused_by_name() {
        assert_eq!(
            Filter::try_from(Policy::new(Action::Allow)),
            Err(FromPolicyError::NoAbi)
        );
        let skip = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .rule(Rule::new("getpid", Action::Errno(0)));
        assert_eq!(
            Filter::try_from(&skip),
            Err(FromPolicyError::Errno {
                action: Action::Errno(0),
                source: InvalidErrno(0)
            })
        );
        let big = Policy::new(Action::Errno(4096)).abi(Abi::X86_64);
        assert!(matches!(
            Filter::try_from(&big),
            Err(FromPolicyError::Errno {
                source: InvalidErrno(4096),
                ..
            })
        ));
        let elsewhere = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .abi(Abi::I386)
            .rule(Rule::new("read", Action::Allow))
            .rule(Rule::new("getpid", Action::Allow).only_on(Abi::I386));
        let e = Filter::try_from(&elsewhere).unwrap_err();
        assert_eq!(
            e,
            FromPolicyError::RuleAbis {
                rule: 1,
                abis: vec![Abi::I386],
                arch: Abi::X86_64
            }
        );
        assert!(e.to_string().contains("rule 1"), "{e}");
        // Restricted to the native ABI: a filter's number rule.
        let native = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .abi(Abi::I386)
            .rule(Rule::new(0x3fff_0000u32, Action::Log).only_on(Abi::X86_64));
        let filter = Filter::try_from(&native).unwrap();
        assert_eq!(filter.to_policy().unwrap(), native);
    }
}
