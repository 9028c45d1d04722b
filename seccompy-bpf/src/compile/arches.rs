//! Phases 2 and 3: a search tree over the syscall numbers of each audit arch,
//! then the arch dispatch in front of them.
//!
//! Under `AUDIT_ARCH_X86_64` the tree covers x86_64 and x32 numbers together:
//! the x32 bit is just one more range boundary (module `ranges`), and the
//! numbers of an ABI the policy lacks form ranges with the bad-arch action.

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::cost;
use super::dag::{Dag, JmpOp, NodeId, Test};
use super::lower::Lowering;
use super::numbers::Numbers;
use super::ranges;
use super::tree;
use crate::policy::{Policy, Syscall};

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

/// The policy's ABIs that share one audit arch.
pub(crate) struct Arch {
    /// The audit arch.
    pub audit_arch: u32,
    /// Indexes of the ABIs in the policy's list, in policy order.
    pub abis: Vec<usize>,
}

/// The policy's ABIs grouped by audit arch, in policy order.
pub(crate) fn group(abis: &[Abi]) -> Vec<Arch> {
    let mut arches: Vec<Arch> = Vec::new();
    for (i, &abi) in abis.iter().enumerate() {
        match arches.iter_mut().find(|a| a.audit_arch == abi.audit_arch()) {
            Some(arch) => arch.abis.push(i),
            None => arches.push(Arch {
                audit_arch: abi.audit_arch(),
                abis: alloc::vec![i],
            }),
        }
    }
    arches
}

/// The search tree over the numbers of `arch`: each ABI's decisions (module
/// `lower`), merged into ranges (module `ranges`), shaped by the expected
/// frequencies of the numbers (module `tree`).
pub(crate) fn number_tree(
    low: &mut Lowering,
    policy: &Policy,
    numbers: &Numbers,
    arch: &Arch,
    default: NodeId,
    bad_arch: NodeId,
) -> NodeId {
    let abis = policy.abi_list();
    let rules = policy.rule_list();
    let default_raw = policy.default_action().to_raw();
    let arch_abis: Vec<Abi> = arch.abis.iter().map(|&i| abis[i]).collect();
    let mut decisions: Vec<(u32, u32, NodeId)> = Vec::new();
    let mut weights = Weights::default();
    for (rank, &a) in arch.abis.iter().enumerate() {
        let abi = abis[a];
        low.decided(
            abi,
            rules,
            |r| numbers.on(r, a),
            default_raw,
            &mut decisions,
        );
        let tier = if rank == 0 { 8 } else { 1 };
        weights.add_abi(abi, 2 * tier);
        weights.add_hot(abi, policy.hot_list(), tier);
    }
    // Each ABI's decisions come sorted, and their numbers are disjoint: a
    // merge of those runs (which the stable sort finds) sorts them all.
    decisions.sort();
    let ranges = ranges::ranges(arch.audit_arch, &arch_abis, &decisions, default, bad_arch);
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
    let slack = if policy.hot_list().is_empty() {
        0
    } else {
        HOT_SLACK
    };
    tree::build(&mut low.dag, &mut low.tree, &leaves, slack, NR)
}

/// The arch dispatch: compare `arch` with each audit arch in turn and go to
/// its tree; another arch gets `bad_arch`.
pub(crate) fn dispatch(dag: &mut Dag, trees: &[(u32, NodeId)], bad_arch: NodeId) -> NodeId {
    let mut root = bad_arch;
    for &(arch, tree) in trees.iter().rev() {
        root = dag.branch(Test::word(ARCH, JmpOp::Eq, arch), tree, root);
    }
    root
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
        let first = abi.syscall_numbers().first().copied().unwrap_or(0);
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
