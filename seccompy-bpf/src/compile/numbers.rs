//! Phase 1: each rule's syscall number on each ABI of the policy.

use alloc::string::ToString;
use alloc::vec::Vec;

use super::error::CompileError;
use crate::policy::{Policy, Syscall};

/// The number of each rule on each ABI of the policy it applies to (`None` on
/// the others, and where its name is unknown), resolved once.
pub(crate) struct Numbers {
    /// How many ABIs the policy has.
    abis: usize,
    /// Rule `r`'s number on ABI `a` at `r * abis + a`.
    nrs: Vec<Option<u32>>,
}

impl Numbers {
    /// Resolves the numbers of `policy`'s rules. Names are looked up only on
    /// the ABIs their rule applies to, which saves most lookups when rules are
    /// restricted to one ABI.
    ///
    /// # Errors
    ///
    /// [`CompileError::UnknownSyscall`] for a name known on none of the
    /// policy's ABIs its rule applies to.
    pub(crate) fn resolve(policy: &Policy) -> Result<Self, CompileError> {
        let abis = policy.abi_list();
        let rules = policy.rule_list();
        let mut nrs: Vec<Option<u32>> = Vec::with_capacity(rules.len() * abis.len());
        for (r, rule) in rules.iter().enumerate() {
            // Rules about one syscall often come in a row (one per argument
            // value): the numbers of the rule before, if it is about the same
            // name on the same ABIs (so its name was known).
            let before = r.checked_sub(1).map(|p| &rules[p]);
            if let Some(prev) = before
                && let (Syscall::Name(a), Syscall::Name(b)) = (prev.syscall(), rule.syscall())
                && a == b
                && prev.abis() == rule.abis()
            {
                let start = (r - 1) * abis.len();
                nrs.extend_from_within(start..start + abis.len());
                continue;
            }
            let mut applies_somewhere = false;
            let mut known = false;
            for abi in abis {
                let applies = rule.abis().is_empty() || rule.abis().contains(abi);
                let nr = match rule.syscall() {
                    _ if !applies => None,
                    Syscall::Name(name) => abi.syscall_nr(name),
                    s => s.nr_on(*abi),
                };
                applies_somewhere |= applies;
                known |= nr.is_some();
                nrs.push(nr);
            }
            if let Syscall::Name(name) = rule.syscall()
                && applies_somewhere
                && !known
            {
                return Err(CompileError::UnknownSyscall {
                    name: name.to_string(),
                });
            }
        }
        Ok(Self {
            abis: abis.len(),
            nrs,
        })
    }

    /// Rule `rule`'s number on the policy's ABI of index `abi`.
    pub(crate) fn on(&self, rule: usize, abi: usize) -> Option<u32> {
        self.nrs[rule * self.abis + abi]
    }
}

#[cfg(test)]
mod tests {
    use seccompy_sys::syscalls::Abi;

    use super::*;
    use crate::action::Action;
    use crate::policy::Rule;

    #[test]
    fn rules_in_a_row_about_one_name_get_its_numbers() {
        let abis = [Abi::X86_64, Abi::I386, Abi::X32];
        let policy = Policy::new(Action::Errno(1))
            .abis(&abis)
            .rule(Rule::new("socket", Action::Allow))
            .rule(Rule::new("socket", Action::Log))
            .rule(Rule::new("socket", Action::Allow).only_on(Abi::I386))
            .rule(Rule::new("socket", Action::Trap(1)).only_on(Abi::I386))
            .rule(Rule::new("socket", Action::Allow))
            .rule(Rule::new("read", Action::Allow).only_on(Abi::X32))
            .rule(Rule::new("read", Action::Allow))
            .rule(Rule::new(7u32, Action::Allow))
            .rule(Rule::new(7u32, Action::Log));
        let numbers = Numbers::resolve(&policy).unwrap();
        for (r, rule) in policy.rule_list().iter().enumerate() {
            for (a, &abi) in abis.iter().enumerate() {
                let applies = rule.abis().is_empty() || rule.abis().contains(&abi);
                let want = match rule.syscall() {
                    _ if !applies => None,
                    Syscall::Name(name) => abi.syscall_nr(name),
                    s => s.nr_on(abi),
                };
                assert_eq!(numbers.on(r, a), want, "rule {r} on {abi}");
                assert_eq!(want.is_some(), applies, "rule {r} on {abi}");
            }
        }
        // A name unknown on every ABI is an error, however many rules name it.
        let unknown = Policy::new(Action::Errno(1))
            .abis(&abis)
            .rule(Rule::new("no_such_call", Action::Allow))
            .rule(Rule::new("no_such_call", Action::Log));
        assert!(matches!(
            Numbers::resolve(&unknown),
            Err(CompileError::UnknownSyscall { name }) if name == "no_such_call"
        ));
    }
}
