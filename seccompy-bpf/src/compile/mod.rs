//! The policy compiler: from a [`Policy`] to a BPF [`Program`].
//!
//! [`compile`] runs these phases, each in its own module:
//!
//! 0. `check`: actions and argument indexes (everything but names).
//! 1. `numbers`: each rule's syscall number on each ABI it applies to.
//! 2. `arches`: for each audit arch, a search tree over the ranges of numbers
//!    with the same decision (`ranges`, `tree`); each decision comes from the
//!    lowering context (`lower`), which turns a syscall's rules into argument
//!    checks (`args`: a chain of tests, `args/chain.rs`, or a search tree over
//!    an argument compared with many constants, `args/tree.rs`). Only those
//!    leaves load arguments, so the kernel can cache every decision that does
//!    not (its `seccomp_is_const_allow` emulates the filter on the syscall
//!    number and arch alone).
//! 3. `arches`: the arch dispatch, comparing `arch` with each audit arch in
//!    the order of the policy's ABIs; another arch gets the bad-arch action.
//! 4. `codegen`: layout with shared return blocks and no redundant loads.
//! 5. `verify` (debug builds, so every test): the program checked against the
//!    invariants of the compiler's output ([`Violation`]): only the
//!    instructions the compiler emits, every jump inside the program, every
//!    return one of the policy's actions, no dead code, arguments loaded only
//!    after the syscall number.
//!
//! Every phase builds or reads one hash-consed decision DAG (module `dag`, the
//! IR, which depends on no other module) that shares equal decisions and drops
//! useless tests; `cost` counts what a DAG node will cost once emitted.
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

mod arches;
mod args;
mod codegen;
mod cost;
mod dag;
mod error;
mod lower;
mod numbers;
mod ranges;
mod tree;
mod verify;

use alloc::string::ToString;
use alloc::vec::Vec;

use crate::action::Action;
use crate::assembler::AssembleError;
use crate::policy::{MAX_ARG_INDEX, Policy};
use crate::program::Program;
use dag::NodeId;
use lower::Lowering;
use numbers::Numbers;

pub use error::CompileError;
pub use verify::Violation;

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
/// [`CompileError::NoAbi`] without ABI; [`CompileError::MissingTable`] for an
/// ABI whose syscall table this build does not include (it names the feature
/// that adds it); [`CompileError::InvalidAction`] for an
/// errno above 4095 in any action; [`CompileError::ArgIndex`] for a
/// condition on an argument past 5; [`CompileError::UnknownSyscall`] for a name
/// that no ABI of the policy its rule applies to knows; [`CompileError::TooLong`] when the program
/// would exceed 4096 instructions (it is never truncated).
pub fn compile(policy: &Policy) -> Result<Program, CompileError> {
    check(policy)?;
    let numbers = Numbers::resolve(policy)?;
    let mut low = Lowering::new();
    let default = low.dag.ret(policy.default_action().to_raw());
    let bad_arch = low.dag.ret(policy.bad_arch().to_raw());
    let trees: Vec<(u32, NodeId)> = arches::group(policy.abi_list())
        .iter()
        .map(|arch| {
            let tree = arches::number_tree(&mut low, policy, &numbers, arch, default, bad_arch);
            (arch.audit_arch, tree)
        })
        .collect();
    let root = arches::dispatch(&mut low.dag, &trees, bad_arch);
    let program = codegen::emit(&low.dag, root).map_err(|e| match e {
        AssembleError::TooLong { len } => CompileError::TooLong { len },
        e => CompileError::Internal(e),
    })?;
    // Debug builds (every test) check the program; release builds trust the
    // phases, which the tests checked on every policy they compile.
    if cfg!(debug_assertions) {
        verify::verify(program.insns(), &returns(policy)).map_err(CompileError::Invariant)?;
    }
    Ok(program)
}

/// The actions a program for `policy` may return, sorted.
fn returns(policy: &Policy) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let actions = [policy.default_action(), policy.bad_arch()];
    let rules = policy.rule_list().iter().map(|r| r.action());
    for raw in actions.into_iter().chain(rules).map(Action::to_raw) {
        // (Few distinct actions.)
        if let Err(at) = out.binary_search(&raw) {
            out.insert(at, raw);
        }
    }
    out
}

/// Checks everything but syscall names.
fn check(policy: &Policy) -> Result<(), CompileError> {
    if policy.abi_list().is_empty() {
        return Err(CompileError::NoAbi);
    }
    // Every phase reads the tables of the policy's ABIs: none may be missing.
    for abi in policy.abi_list() {
        abi.syscall_table().map_err(CompileError::MissingTable)?;
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

#[cfg(test)]
mod tests;
