//! Argument checks: the rules of one syscall on one ABI, turned into DAG nodes.
//!
//! The rules are sorted from the most to the least restrictive action and tried
//! in that order (as *arms*), so the first one whose conditions all hold is the
//! most restrictive matching one; if none holds, the default action applies.
//! Two ways to test them share the types of this module:
//!
//! - [`chain`]: each condition split into tests of the argument's high and low
//!   words, walked with what the tests passed so far tell about each word;
//! - [`tree`]: a search tree over one argument compared with many constants,
//!   whose pieces are decided again over the remaining conditions.
//!
//! The lowering context (module `lower`) builds both and keeps the better one;
//! it decides a tree's pieces through [`Lower`], so neither way calls the other.

pub(crate) mod chain;
pub(crate) mod tree;

use seccompy_sys::syscalls::Abi;

use super::cost::Paths;
use super::dag::{Dag, NodeId};
use super::tree::Memory;
use crate::action::Action;
use crate::emulate::ByteOrder;
use crate::policy::{Condition, Width, abi_has_64bit_args};

/// Where a 64-bit argument lives for one ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArgWords {
    /// Offset of the low word.
    pub lo: u32,
    /// Offset of the high word; `None` when the high word is taken as 0 (32-bit
    /// comparisons).
    pub hi: Option<u32>,
}

/// The word offsets of argument `index` on `abi` for a condition of `width`.
pub(crate) fn arg_words(abi: Abi, index: u8, width: Width) -> ArgWords {
    let order = ByteOrder::of(abi);
    let lo = order.arg_low_offset(index);
    let hi = (width == Width::U64 && abi_has_64bit_args(abi)).then(|| order.arg_high_offset(index));
    ArgWords { lo, hi }
}

/// One rule as the argument checks see it: its action and the conditions
/// still to test.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arm<'a> {
    /// The rule's action.
    pub action: Action,
    /// The conditions left (all must hold).
    pub conds: &'a [Condition],
}

/// What every decision of one syscall on one ABI shares.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    /// The ABI.
    pub abi: Abi,
    /// The raw action when no rule matches.
    pub default: u32,
    /// Chains longer than this are translated without the knowledge walk.
    pub max_walk: usize,
    /// How many argument search trees may still nest (module [`tree`]).
    pub nest: u8,
}

/// What the argument checks build with: the lowering context, which owns the
/// DAG and the scratch memory, and decides a smaller set of arms again (a
/// search tree's pieces) as it decides a syscall's.
pub(crate) trait Lower {
    /// The DAG, the longest paths memoised over it, and the search trees'
    /// memory.
    fn tree_parts(&mut self) -> (&mut Dag, &mut Paths, &mut Memory);

    /// The decision for `arms`, sorted from the most to the least restrictive
    /// action.
    fn arms(&mut self, ctx: &Ctx, arms: &[Arm]) -> NodeId;
}
