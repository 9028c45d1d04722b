//! The policy compiler: from a [`Policy`] to a BPF [`Program`].
//!
//! The program has this shape:
//!
//! 1. Load `arch`, and compare it with each of the policy's audit arches in the
//!    order of the policy's ABIs; another arch gets the bad-arch action.
//! 2. For each arch, load `nr` and search a tree over the ranges of numbers
//!    with the same decision (modules `ranges` and `tree`). Numbers that no rule names
//!    get the default action, so ranges merge across them. Under
//!    `AUDIT_ARCH_X86_64` the tree covers x86_64 and x32 numbers together: the
//!    x32 bit is just one more range boundary, and the numbers of an ABI the
//!    policy lacks form ranges with the bad-arch action.
//! 3. A leaf returns an action, or checks arguments (module `args`) when the
//!    syscall's decision depends on them (a chain of tests, or a search tree
//!    over an argument compared with many constants, module `argtree`). Only
//!    those leaves load arguments, so the kernel can cache every decision that
//!    does not (its `seccomp_is_const_allow` emulates the filter on the syscall
//!    number and arch alone).
//!
//! Everything goes through a hash-consed decision DAG (module `dag`) that shares
//! equal decisions and drops useless tests, and is then laid out with shared
//! return blocks and no redundant loads (module `codegen`).
//!
//! The tree's shape first minimises the longest path: the depth of a leaf counts
//! the comparisons above it plus the instructions of the leaf itself (its
//! argument checks, taken with every argument 0, the common value of flags), so
//! argument-checked syscalls sit higher; numbers of a secondary ABI sharing the
//! arch (x32 after x86_64) may go two instructions deeper. Within that bound
//! (two levels more when the policy names [hot syscalls](Policy::hot_syscalls)),
//! it minimises the expected number of comparisons when every number within
//! 1024 of an ABI's first syscall is equally likely (those of the arch's first
//! ABI eight times more than a secondary one's) and the hot syscalls far more.

mod args;
mod codegen;
mod cost;
mod dag;
mod lower;
mod ranges;
mod tree;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use crate::action::{Action, ActionError};
use crate::assembler::AssembleError;
use crate::policy::{MAX_ARG_INDEX, Policy, Syscall};
use crate::program::Program;
use dag::{JmpOp, NodeId, Test};
use lower::Lowering;

/// Why a policy could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The policy has no ABI.
    #[error("the policy has no ABI")]
    NoAbi,
    /// A syscall name is unknown on every ABI of the policy that its rule
    /// applies to.
    #[error(
        "syscall {} is unknown on every ABI of the policy it applies to",
        crate::excerpt::Excerpt(.name)
    )]
    UnknownSyscall {
        /// The name.
        name: String,
    },
    /// An action's data is invalid.
    #[error("invalid action {action}: {source}")]
    InvalidAction {
        /// The action.
        action: Action,
        /// What is wrong with it.
        source: ActionError,
    },
    /// A condition names an argument past the sixth.
    #[error(
        "condition on argument {index} of {}: seccomp passes arguments 0 to 5",
        crate::excerpt::Excerpt(.syscall)
    )]
    ArgIndex {
        /// The rule's syscall.
        syscall: String,
        /// The index.
        index: u8,
    },
    /// The program would be longer than the kernel accepts. It is never
    /// truncated.
    #[error("the program needs {len} instructions, more than the kernel's limit of 4096")]
    TooLong {
        /// The length it would have.
        len: usize,
    },
    /// The assembler failed for another reason (a compiler bug).
    #[error("internal error: {0}")]
    Internal(AssembleError),
}

/// How many more instructions the numbers of an ABI that shares its arch with
/// an earlier ABI of the policy (x32 after x86_64) may take.
const SECONDARY_SLACK: u32 = 2;

/// How many levels deeper than the least possible depth the tree may go when
/// the policy names hot syscalls, so that they can rise.
const HOT_SLACK: i32 = 2;

/// Offset of `seccomp_data.nr`.
const NR: u32 = 0;

/// Offset of `seccomp_data.arch`.
const ARCH: u32 = 4;

/// Compiles `policy` to a program that passes [`validate`](crate::validate()) and
/// decides every call as [`Policy::evaluate`] does.
///
/// ```
/// use seccompy_bpf::{Action, Arg, Policy, Rule, compile, emulate_for, ByteOrder};
/// use seccompy_sys::{AUDIT_ARCH_X86_64, seccomp_data, syscalls::Abi};
///
/// let policy = Policy::new(Action::Errno(1))
///     .abis(&[Abi::X86_64, Abi::I386, Abi::X32])
///     .syscalls(["read", "write", "exit_group"], Action::Allow)
///     .rule(Rule::new("socket", Action::Allow).when(Arg(0).ne(40)));
/// let prog = compile(&policy).unwrap();
/// let call = seccomp_data {
///     nr: 41, // socket
///     arch: AUDIT_ARCH_X86_64,
///     instruction_pointer: 0,
///     args: [40, 1, 0, 0, 0, 0],
/// };
/// let out = emulate_for(prog.insns(), &call, ByteOrder::Little).unwrap();
/// assert_eq!(out.ret, Action::Errno(1).to_raw());
/// assert_eq!(policy.evaluate(&call), Action::Errno(1));
/// ```
///
/// # Errors
///
/// [`CompileError::NoAbi`] without ABI; [`CompileError::InvalidAction`] for an
/// errno above 4095 in any action; [`CompileError::ArgIndex`] for a
/// condition on an argument past 5; [`CompileError::UnknownSyscall`] for a name
/// that no ABI of the policy its rule applies to knows; [`CompileError::TooLong`] when the program
/// would exceed 4096 instructions (it is never truncated).
pub fn compile(policy: &Policy) -> Result<Program, CompileError> {
    check(policy)?;
    let abis = policy.abi_list();
    let rules = policy.rule_list();
    // Each rule's number on each ABI it applies to, resolved once:
    // `nrs[r * abis.len() + a]` (`None` on the others; names are looked up only
    // there, which saves most lookups when rules are restricted to one ABI).
    let mut nrs: Vec<Option<u32>> = Vec::with_capacity(rules.len() * abis.len());
    for rule in rules {
        for abi in abis {
            let applies = rule.abis().is_empty() || rule.abis().contains(abi);
            nrs.push(match rule.syscall() {
                _ if !applies => None,
                Syscall::Name(name) => abi.syscall_nr(name),
                s => s.nr_on(*abi),
            });
        }
    }
    // A name must be known on one of the policy's ABIs that its rule applies to.
    for (r, rule) in rules.iter().enumerate() {
        let Syscall::Name(name) = rule.syscall() else {
            continue;
        };
        let mut applies = abis
            .iter()
            .enumerate()
            .filter(|&(_, abi)| rule.abis().is_empty() || rule.abis().contains(abi))
            .peekable();
        if applies.peek().is_some() && applies.all(|(a, _)| nrs[r * abis.len() + a].is_none()) {
            return Err(CompileError::UnknownSyscall {
                name: name.to_string(),
            });
        }
    }
    let mut low = Lowering::new();
    let default_raw = policy.default_action().to_raw();
    let default = low.dag.ret(default_raw);
    let bad = low.dag.ret(policy.bad_arch().to_raw());
    // ABI indexes grouped by audit arch, in policy order.
    let mut arches: Vec<(u32, Vec<usize>)> = Vec::new();
    for (i, &abi) in abis.iter().enumerate() {
        match arches.iter_mut().find(|(a, _)| *a == abi.audit_arch()) {
            Some((_, list)) => list.push(i),
            None => arches.push((abi.audit_arch(), alloc::vec![i])),
        }
    }
    let slack = if policy.hot_list().is_empty() {
        0
    } else {
        HOT_SLACK
    };
    let mut trees: Vec<(u32, NodeId)> = Vec::with_capacity(arches.len());
    for (arch, members) in &arches {
        let arch_abis: Vec<Abi> = members.iter().map(|&i| abis[i]).collect();
        let mut decisions: Vec<(u32, u32, NodeId)> = Vec::new();
        let mut weights = Weights::default();
        for (rank, &a) in members.iter().enumerate() {
            let abi = abis[a];
            let nr_of = |r: usize| nrs[r * abis.len() + a];
            low.decided(abi, rules, nr_of, default_raw, &mut decisions);
            let tier = if rank == 0 { 8 } else { 1 };
            weights.add_abi(abi, 2 * tier);
            weights.add_hot(abi, policy.hot_list(), tier);
        }
        decisions.sort_unstable();
        let ranges = ranges::ranges(*arch, &arch_abis, &decisions, default, bad);
        let leaves = tree::leaves(
            &ranges,
            |lo, hi| weights.of(lo, hi),
            |lo, hi| {
                let rare = arch_abis[1..]
                    .iter()
                    .any(|&a| ranges::abi_owns_all(a, lo, hi));
                if rare { SECONDARY_SLACK } else { 0 }
            },
            |n| cost::leaf_cost(&low.dag, n),
        );
        trees.push((*arch, tree::build(&mut low.dag, &leaves, slack, NR)));
    }
    let mut root = bad;
    for &(arch, tree) in trees.iter().rev() {
        root = low
            .dag
            .branch(Test::word(ARCH, JmpOp::Eq, arch), tree, root);
    }
    codegen::emit(&low.dag, root).map_err(|e| match e {
        AssembleError::TooLong { len } => CompileError::TooLong { len },
        e => CompileError::Internal(e),
    })
}

/// Checks everything but syscall names.
fn check(policy: &Policy) -> Result<(), CompileError> {
    if policy.abi_list().is_empty() {
        return Err(CompileError::NoAbi);
    }
    let action = |a: Action| {
        a.check()
            .map(|_| ())
            .map_err(|source| CompileError::InvalidAction { action: a, source })
    };
    action(policy.default_action())?;
    action(policy.bad_arch())?;
    for rule in policy.rule_list() {
        action(rule.action())?;
        if let Some(c) = rule.conditions().iter().find(|c| c.index() > MAX_ARG_INDEX) {
            return Err(CompileError::ArgIndex {
                syscall: rule.syscall().to_string(),
                index: c.index(),
            });
        }
    }
    Ok(())
}

/// Expected frequencies of syscall numbers, for the tree's shape.
#[derive(Default)]
struct Weights {
    /// `(first, last, weight of each number)`.
    windows: Vec<(u32, u32, u64)>,
    /// `(nr, weight)` of hot syscalls.
    points: Vec<(u32, u64)>,
}

/// How many numbers from an ABI's first syscall count as plausible calls.
const WINDOW: u32 = 1024;

/// The weight of the hottest syscall of a secondary ABI; the one of rank `r`
/// has `HOT / (r + 1)`, eight times more on the arch's first ABI.
const HOT: u64 = 2 * WINDOW as u64 * 8;

impl Weights {
    fn add_abi(&mut self, abi: Abi, per_number: u64) {
        let first = abi.syscalls().first().map_or(0, |&(nr, _)| nr);
        self.windows
            .push((first, first.saturating_add(WINDOW - 1), per_number));
    }

    fn add_hot(&mut self, abi: Abi, hot: &[Syscall], tier: u64) {
        for (rank, s) in hot.iter().enumerate() {
            if let Some(nr) = s.nr_on(abi)
                && ranges::abi_owns(abi, nr)
            {
                self.points.push((nr, tier * HOT / (rank as u64 + 1)));
            }
        }
    }

    /// The weight of the numbers `lo..=hi`: one for the range itself, plus the
    /// numbers' weights.
    fn of(&self, lo: u32, hi: u32) -> u64 {
        let mut w = 1;
        for &(a, b, per) in &self.windows {
            let (s, e) = (lo.max(a), hi.min(b));
            if s <= e {
                w += per * u64::from(e - s + 1);
            }
        }
        for &(nr, p) in &self.points {
            if lo <= nr && nr <= hi {
                w += p;
            }
        }
        w
    }
}

#[cfg(test)]
mod tests;
