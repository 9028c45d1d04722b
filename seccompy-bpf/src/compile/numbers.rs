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
        for rule in rules {
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
