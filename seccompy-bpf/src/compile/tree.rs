//! The search tree over syscall-number ranges.
//!
//! The tree's internal nodes compare the number with a constant: `nr >= k`
//! splits a run of ranges in two, `nr == k` peels off a one-number range. A
//! range with a one-number hole of another decision (`[X][s][X]`, common when a
//! policy allows everything around one denied call or an argument-checked one)
//! is a single leaf behind one `nr == s` test. The shape minimises the expected
//! number of comparisons under the caller's weights (the classic optimal
//! alphabetic-tree dynamic programme with Knuth's bound on the root, O(n²)),
//! within a bound on the depth of each leaf that counts the instructions the leaf
//! itself runs, so that argument-checked syscalls are not put at the bottom.

use alloc::vec;
use alloc::vec::Vec;

use super::dag::{Dag, JmpOp, NodeId, Test};
use super::ranges::Range;

/// Above this many leaves, the tree is built by weight bisection instead of the
/// quadratic programme.
const MAX_DP: usize = 512;

/// A leaf of the tree: a range, possibly with a one-number exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    /// First number.
    pub lo: u32,
    /// Last number (inclusive).
    pub hi: u32,
    /// The decision.
    pub node: NodeId,
    /// A number inside with another decision.
    pub except: Option<(u32, NodeId)>,
    /// The expected frequency of the leaf's numbers.
    pub weight: u64,
    /// Instructions the leaf runs once reached (its own test(s) and decision).
    pub cost: u32,
    /// How much deeper than the others the leaf may go (for numbers expected
    /// to be rare, such as those of a secondary ABI).
    pub slack: u32,
}

impl Leaf {
    /// The leaf's contribution to the depth of the tree it is in.
    fn depth(&self) -> i32 {
        self.cost as i32 - self.slack as i32
    }
}

/// Groups `[X][s][X]` with `s` a single number into one leaf with an exception.
/// `weight` gives the weight of a range of numbers, `slack` how much deeper it
/// may go, `cost` the instructions a decision node runs.
pub(crate) fn leaves(
    ranges: &[Range],
    weight: impl Fn(u32, u32) -> u64,
    slack: impl Fn(u32, u32) -> u32,
    mut cost: impl FnMut(NodeId) -> u32,
) -> Vec<Leaf> {
    let mut out: Vec<Leaf> = Vec::with_capacity(ranges.len());
    let mut i = 0;
    while i < ranges.len() {
        let r = &ranges[i];
        if let (Some(last), Some(next)) = (out.last_mut(), ranges.get(i + 1))
            && r.lo == r.hi
            && last.except.is_none()
            && last.node == next.node
        {
            last.except = Some((r.lo, r.node));
            last.hi = next.hi;
            last.weight += weight(r.lo, next.hi);
            last.cost = 1 + cost(last.node).max(cost(r.node));
            last.slack = slack(last.lo, last.hi);
            i += 2;
            continue;
        }
        out.push(Leaf {
            lo: r.lo,
            hi: r.hi,
            node: r.node,
            except: None,
            weight: weight(r.lo, r.hi),
            cost: cost(r.node),
            slack: slack(r.lo, r.hi),
        });
        i += 1;
    }
    out
}

/// The tree's root node, built in `dag`, comparing the word at `offset` of
/// `seccomp_data` (the syscall number, or an argument word). The tree is as
/// shallow as possible (counting each leaf's own cost), plus `slack` levels that
/// frequent leaves may use to rise.
pub(crate) fn build(dag: &mut Dag, leaves: &[Leaf], slack: i32, offset: u32) -> NodeId {
    let n = leaves.len();
    if n == 0 {
        // Ranges always cover every number; an empty list is a caller bug, and
        // the safest decision is the first node ever built.
        return 0;
    }
    if n > MAX_DP {
        return bisect(dag, leaves, offset);
    }
    let plan = Plan::new(leaves, offset);
    let budget = plan.depth.get(0, n - 1) + slack;
    plan.emit(dag, 0, n - 1, budget)
}

fn leaf_node(dag: &mut Dag, l: &Leaf, offset: u32) -> NodeId {
    match l.except {
        Some((s, node)) => dag.branch(Test::word(offset, JmpOp::Eq, s), node, l.node),
        None => l.node,
    }
}

/// An upper-triangular table indexed by `(i, j)` with `i <= j`.
struct Table<T> {
    n: usize,
    cells: Vec<T>,
}

impl<T: Copy> Table<T> {
    fn new(n: usize, fill: T) -> Self {
        Self {
            n,
            cells: vec![fill; n * n],
        }
    }
    fn get(&self, i: usize, j: usize) -> T {
        self.cells[i * self.n + j]
    }
    fn set(&mut self, i: usize, j: usize, v: T) {
        self.cells[i * self.n + j] = v;
    }
}

/// The two tables the tree is chosen from.
///
/// - `weight(i, j)`: the least weighted number of comparisons of a tree over
///   leaves `i..=j` (no depth bound), by the classic dynamic programme with
///   Knuth's bound on the root (`root`), in O(n²).
/// - `depth(i, j)`: the least possible *depth* of such a tree, where a leaf's
///   depth counts the comparisons above it plus its own instructions (less its
///   slack). The depth of a split is the larger of its two sides', which are
///   monotonic in the split point, so a binary search finds the best split.
///
/// The tree is then built from the top within the least depth of the whole:
/// each node takes, among the splits (and peels) that keep both sides within
/// the remaining depth, the one whose sides weigh least.
struct Plan<'a> {
    leaves: &'a [Leaf],
    /// The word compared.
    offset: u32,
    weight: Table<u64>,
    depth: Table<i32>,
}

impl<'a> Plan<'a> {
    fn new(leaves: &'a [Leaf], offset: u32) -> Self {
        let n = leaves.len();
        let mut prefix = Vec::with_capacity(n + 1);
        prefix.push(0u64);
        for l in leaves {
            prefix.push(prefix.last().copied().unwrap_or(0) + l.weight);
        }
        let mut weight = Table::new(n, 0u64);
        let mut depth = Table::new(n, 0i32);
        let mut root = Table::new(n, 0u32);
        let mut cross = Table::new(n, 0u32);
        // Which leaves are one number (looked up four times per cell).
        let one: Vec<bool> = leaves.iter().map(single).collect();
        for (i, l) in leaves.iter().enumerate() {
            weight.set(i, i, if l.except.is_some() { l.weight } else { 0 });
            depth.set(i, i, l.depth());
            root.set(i, i, i as u32);
            cross.set(i, i, i as u32 + 1);
        }
        for len in 1..n {
            for i in 0..n - len {
                let j = i + len;
                // Weighted cost.
                let lo = (root.get(i, j - 1) as usize).max(i + 1);
                let hi = (root.get(i + 1, j) as usize).clamp(lo, j);
                let (mut best, mut best_k) = (u64::MAX, lo);
                for k in lo..=hi {
                    let c = weight.get(i, k - 1) + weight.get(k, j);
                    if c < best {
                        (best, best_k) = (c, k);
                    }
                }
                root.set(i, j, best_k as u32);
                if one[i] {
                    best = best.min(weight.get(i + 1, j));
                }
                if one[j] {
                    best = best.min(weight.get(i, j - 1));
                }
                weight.set(i, j, prefix[j + 1] - prefix[i] + best);
                // Least depth: the first split point where the left side is at
                // least as deep as the right one, or the one before. That point
                // only moves right as `j` grows, so scan from where it was for
                // `j - 1`: O(n) per `i` in all.
                let mut a = (cross.get(i, j - 1) as usize).max(i + 1);
                while a < j && depth.get(i, a - 1) < depth.get(a, j) {
                    a += 1;
                }
                cross.set(i, j, a as u32);
                let split = |k: usize| depth.get(i, k - 1).max(depth.get(k, j));
                let mut d = split(a);
                if a > i + 1 {
                    d = d.min(split(a - 1));
                }
                if one[i] {
                    d = d.min(depth.get(i, i).max(depth.get(i + 1, j)));
                }
                if one[j] {
                    d = d.min(depth.get(j, j).max(depth.get(i, j - 1)));
                }
                depth.set(i, j, 1 + d);
            }
        }
        Self {
            leaves,
            offset,
            weight,
            depth,
        }
    }

    /// Builds the tree over leaves `i..=j` within `budget` (at least
    /// `depth(i, j)`).
    fn emit(&self, dag: &mut Dag, i: usize, j: usize, budget: i32) -> NodeId {
        let leaves = self.leaves;
        if i == j {
            return leaf_node(dag, &leaves[i], self.offset);
        }
        let fits = |a: usize, b: usize| self.depth.get(a, b) < budget;
        // (cost, shape): 0 = split at k, 1 = peel first, 2 = peel last.
        let mut best: Option<(u64, u8, usize)> = None;
        let mut consider = |c: u64, shape: u8, k: usize| {
            if best.is_none_or(|b| c < b.0) {
                best = Some((c, shape, k));
            }
        };
        for k in i + 1..=j {
            if fits(i, k - 1) && fits(k, j) {
                consider(self.weight.get(i, k - 1) + self.weight.get(k, j), 0, k);
            }
        }
        if single(&leaves[i]) && fits(i, i) && fits(i + 1, j) {
            consider(self.weight.get(i + 1, j), 1, i);
        }
        if single(&leaves[j]) && fits(j, j) && fits(i, j - 1) {
            consider(self.weight.get(i, j - 1), 2, j);
        }
        // The budget is never below depth(i, j), so some shape fits; if not
        // (a bug), split in the middle, which is still a correct tree.
        let (_, shape, k) = best.unwrap_or((0, 0, (i + j).div_ceil(2)));
        let b = budget - 1;
        match shape {
            0 => {
                let left = self.emit(dag, i, k - 1, b);
                let right = self.emit(dag, k, j, b);
                dag.branch(
                    Test::word(self.offset, JmpOp::Ge, leaves[k].lo),
                    right,
                    left,
                )
            }
            1 => {
                let rest = self.emit(dag, i + 1, j, b);
                let first = leaf_node(dag, &leaves[i], self.offset);
                dag.branch(
                    Test::word(self.offset, JmpOp::Eq, leaves[i].lo),
                    first,
                    rest,
                )
            }
            _ => {
                let rest = self.emit(dag, i, j - 1, b);
                let last = leaf_node(dag, &leaves[j], self.offset);
                dag.branch(Test::word(self.offset, JmpOp::Eq, leaves[j].lo), last, rest)
            }
        }
    }
}

/// Whether a leaf is one number without exception (so `nr == lo` finds it).
fn single(l: &Leaf) -> bool {
    l.lo == l.hi && l.except.is_none()
}

/// A weight-balanced tree, for very many leaves.
fn bisect(dag: &mut Dag, leaves: &[Leaf], offset: u32) -> NodeId {
    if leaves.len() == 1 {
        return leaf_node(dag, &leaves[0], offset);
    }
    let total: u64 = leaves.iter().map(|l| l.weight).sum();
    let mut acc = 0;
    let mut k = 1;
    for (i, l) in leaves.iter().enumerate().take(leaves.len() - 1) {
        acc += l.weight;
        k = i + 1;
        if acc * 2 >= total {
            break;
        }
    }
    let left = bisect(dag, &leaves[..k], offset);
    let right = bisect(dag, &leaves[k..], offset);
    dag.branch(Test::word(offset, JmpOp::Ge, leaves[k].lo), right, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offset of `seccomp_data.nr`.
    const NR: u32 = 0;

    fn ranges(bounds: &[(u32, NodeId)]) -> Vec<Range> {
        bounds
            .iter()
            .enumerate()
            .map(|(i, &(lo, node))| Range {
                lo,
                hi: bounds.get(i + 1).map_or(u32::MAX, |b| b.0 - 1),
                node,
            })
            .collect()
    }

    fn check_tree(dag: &Dag, root: NodeId, r: &[Range]) -> usize {
        let mut max = 0;
        for range in r {
            for nr in [range.lo, range.hi, range.lo + (range.hi - range.lo) / 2] {
                let (v, steps) = dag.run(root, |_| nr);
                let want = match dag.node(range.node) {
                    super::super::dag::Node::Ret(v) => v,
                    _ => unreachable!(),
                };
                assert_eq!(v, want, "nr {nr}");
                max = max.max(steps);
            }
        }
        max
    }

    #[test]
    fn exceptions_become_one_leaf() {
        let mut dag = Dag::new();
        let (a, d, x) = (dag.ret(1), dag.ret(2), dag.ret(3));
        let r = ranges(&[(0, a), (5, d), (6, a), (10, x), (11, d), (12, x), (20, a)]);
        let l = leaves(
            &r,
            |lo, hi| u64::from(hi.min(1000) - lo.min(1000)) + 1,
            |_, _| 0,
            |_| 1,
        );
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].except, Some((5, d)));
        assert_eq!((l[0].lo, l[0].hi), (0, 9));
        assert_eq!(l[1].except, Some((11, d)));
        assert_eq!((l[1].lo, l[1].hi), (10, 19));
        assert_eq!(l[2].except, None);
        let root = build(&mut dag, &l, 0, NR);
        // Two comparisons to find the leaf, one for its exception.
        assert_eq!(check_tree(&dag, root, &r), 3);
    }

    #[test]
    fn dp_and_bisection_agree_on_decisions() {
        let mut dag = Dag::new();
        let nodes: Vec<NodeId> = (0..4).map(|v| dag.ret(v)).collect();
        let bounds: Vec<(u32, NodeId)> = (0..700u32)
            .map(|i| (i * 6 + (i % 5), nodes[(i % 4) as usize]))
            .collect();
        let mut b = bounds.clone();
        b[0].0 = 0;
        let r = ranges(&b);
        let l = leaves(
            &r,
            |lo, hi| u64::from(hi.min(4096).saturating_sub(lo)) + 1,
            |_, _| 0,
            |_| 1,
        );
        assert!(l.len() > MAX_DP);
        let root = build(&mut dag, &l, 0, NR);
        assert!(check_tree(&dag, root, &r) <= 12);
        let small = &r[..100];
        let mut small = small.to_vec();
        small.last_mut().unwrap().hi = u32::MAX;
        let l = leaves(
            &small,
            |lo, hi| u64::from(hi.min(4096).saturating_sub(lo)) + 1,
            |_, _| 0,
            |_| 1,
        );
        let root = build(&mut dag, &l, 0, NR);
        // 100 ranges need 7 levels; the depth bound allows one more.
        assert!(check_tree(&dag, root, &small) <= 8);
    }

    #[test]
    fn heavy_leaves_are_shallow() {
        let mut dag = Dag::new();
        let nodes: Vec<NodeId> = (0..2).map(|v| dag.ret(v)).collect();
        let b: Vec<(u32, NodeId)> = (0..64u32)
            .map(|i| (i * 2, nodes[(i % 2) as usize]))
            .collect();
        let r = ranges(&b);
        let heavy = r[40].lo;
        let l = leaves(
            &r,
            |lo, _| if lo == heavy { 1 << 20 } else { 1 },
            |_, _| 0,
            |_| 1,
        );
        // Without slack, every leaf is at the least depth: 64 leaves, 6 levels.
        let root = build(&mut dag, &l, 0, NR);
        assert_eq!(dag.run(root, |_| heavy).1, 6);
        assert_eq!(check_tree(&dag, root, &r), 6);
        // With two levels of slack, the heavy leaf rises to the top.
        let root = build(&mut dag, &l, 2, NR);
        let (_, steps) = dag.run(root, |_| heavy);
        assert!(steps <= 2, "{steps}");
        assert!(check_tree(&dag, root, &r) <= 8);
    }
}
