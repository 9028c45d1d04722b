//! The search tree over syscall-number ranges.
//!
//! The tree's internal nodes compare the number with a constant: `nr >= k`
//! splits a run of ranges in two. (Peeling a one-number range off with
//! `nr == k` would cost as much as the split next to it, so it is not used.) A
//! range with a one-number hole of another decision (`[X][s][X]`, common when a
//! policy allows everything around one denied call or an argument-checked one)
//! is a single leaf behind one `nr == s` test. The shape minimises the expected
//! number of comparisons under the caller's weights (the classic optimal
//! alphabetic-tree dynamic programme with Knuth's bound on the root, O(n²)),
//! within a bound on the depth of each leaf that counts the instructions the leaf
//! itself runs, so that argument-checked syscalls are not put at the bottom.

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
            // `last.cost` is still its decision's cost.
            last.cost = 1 + last.cost.max(cost(r.node));
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

/// The memory of the trees' tables, reused from one tree to the next (held by
/// the lowering context for the whole compile, so that a compile allocates it
/// once). Its content between two trees means nothing: every cell a plan
/// reads, it wrote first.
#[derive(Default)]
pub(crate) struct Memory {
    /// The weight tables: the whole one or the left triangle, and the right one.
    tables: [Vec<u64>; 2],
    /// The programme's row, its roots, and the leaves' prefix weights.
    row: Vec<u64>,
    root: Vec<usize>,
    prefix: Vec<u64>,
    /// [`Reach`]'s levels and ends, and the leaves' depths.
    levels: Vec<i32>,
    ends: Vec<u32>,
    depths: Vec<i32>,
}

/// Makes `v` at least `n` long, without keeping what it held (fresh zeroed
/// memory costs the allocator less than moving or clearing the old).
fn grow<T: Copy + Default>(v: &mut Vec<T>, n: usize) {
    if v.len() < n {
        *v = alloc::vec![T::default(); n];
    }
}

/// The tree's root node, built in `dag`, comparing the word at `offset` of
/// `seccomp_data` (the syscall number, or an argument word). The tree is as
/// shallow as possible (counting each leaf's own cost), plus `slack` levels that
/// frequent leaves may use to rise.
pub(crate) fn build(
    dag: &mut Dag,
    mem: &mut Memory,
    leaves: &[Leaf],
    slack: i32,
    offset: u32,
) -> NodeId {
    let n = leaves.len();
    if n == 0 {
        // Ranges always cover every number; an empty list is a caller bug, and
        // the safest decision is the first node ever built.
        return 0;
    }
    if n > MAX_DP {
        return bisect(dag, leaves, offset);
    }
    let mut plan = Plan::new(leaves, offset, slack, mem);
    let root = plan.emit(dag, mem, 0, n - 1, plan.budget);
    plan.give_back(mem);
    root
}

fn leaf_node(dag: &mut Dag, l: &Leaf, offset: u32) -> NodeId {
    match l.except {
        Some((s, node)) => dag.branch(Test::word(offset, JmpOp::Eq, s), node, l.node),
        None => l.node,
    }
}

/// What the tree is chosen from, for runs of leaves `i..=j`:
///
/// - `weight(i, j)`: the least weighted number of comparisons of a tree over
///   the run (no depth bound), by the classic dynamic programme with Knuth's
///   bound on the root, in O(n²) ([`Plan::weights`]).
/// - `depth(i, j)`: the least possible *depth* of such a tree, where a leaf's
///   depth counts the comparisons above it plus its own instructions (less its
///   slack), given by [`Reach`].
///
/// (Peeling a one-number leaf off with `nr == k` costs exactly what the split
/// next to it costs, in depth and in weight, so only splits are considered.)
///
/// The tree is then built from the top within the least depth of the whole:
/// each node takes, among the splits that keep both sides within the
/// remaining depth, the first one whose sides weigh least.
///
/// Only a node with more than one such split needs weights, and only of the
/// runs within the leaves up to its last candidate's left side, and within
/// those from its first candidate's right side: two triangles of the table
/// (or the run's whole triangle, when they overlap much), which also hold
/// every run compared below it. So the tables are filled at the highest
/// nodes with a choice only ([`Plan::tables_for`]): often much less than the
/// whole table, none at all when the depth bound leaves every node one split.
struct Plan<'a> {
    leaves: &'a [Leaf],
    /// The word compared.
    offset: u32,
    /// Tables of `weight(i, j)` for the runs the nodes being built compare.
    tables: [Table; 2],
    reach: Reach,
    /// The depth the whole tree may take.
    budget: i32,
}

/// A table of `weight(i, j)` for the runs within leaves `start..end`, each at
/// `column(j - start) + i - start`.
#[derive(Default)]
struct Table {
    start: usize,
    end: usize,
    cells: Vec<u64>,
}

impl Table {
    /// Whether the table holds the run `i..=j`.
    fn holds(&self, i: usize, j: usize) -> bool {
        self.start <= i && j < self.end
    }

    /// `weight(i, j)`, for a run the table holds.
    fn get(&self, i: usize, j: usize) -> u64 {
        self.cells[column(j - self.start) + (i - self.start)]
    }

    /// Fills the table for the runs within `start..end`.
    fn fill(&mut self, leaves: &[Leaf], start: usize, end: usize, mem: &mut Memory) {
        (self.start, self.end) = (start, end);
        Plan::weights(&leaves[start..end], &mut self.cells, mem);
    }
}

/// The splits `k` of the run `i..=j` (sides `i..k` and `k..=j`) whose sides
/// both fit within depth `v`, in order.
///
/// The right side's depth only falls as `k` moves right, the left side's only
/// rises: the splits that fit are a run, whose two ends are found by bisection.
fn fitting_splits(reach: &Reach, i: usize, j: usize, v: i32) -> core::ops::Range<usize> {
    // `a..=b` fits when `b < ends[a]`.
    let ends = reach.within(v);
    let fits = |a: usize, b: usize| ends.get(a).is_some_and(|&e| b < e as usize);
    let first = first_true(i + 1, j + 1, |k| fits(k, j));
    let end = first_true(first, j + 1, |k| !fits(i, k - 1));
    first..end
}

/// The first `k` of `lo..hi` for which `holds(k)` (false, then true over the
/// range), or `hi`.
fn first_true(lo: usize, hi: usize, holds: impl Fn(usize) -> bool) -> usize {
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let m = a + (b - a) / 2;
        if holds(m) { b = m } else { a = m + 1 }
    }
    a
}

/// Where column `j` of a triangular table starts: after the columns before
/// it, of lengths `1, 2, ...`.
fn column(j: usize) -> usize {
    j * (j + 1) / 2
}

impl<'a> Plan<'a> {
    /// The plan of a tree `slack` levels deeper than the least depth, its
    /// tables in `mem`'s memory (until [`Plan::give_back`]).
    fn new(leaves: &'a [Leaf], offset: u32, slack: i32, mem: &mut Memory) -> Self {
        let reach = Reach::new(leaves, mem);
        let budget = reach.top() + slack;
        let [left, right] = core::mem::take(&mut mem.tables);
        Self {
            leaves,
            offset,
            tables: [
                Table {
                    cells: left,
                    ..Table::default()
                },
                Table {
                    cells: right,
                    ..Table::default()
                },
            ],
            reach,
            budget,
        }
    }

    /// Returns the tables' memory to `mem`.
    fn give_back(self, mem: &mut Memory) {
        let [left, right] = self.tables;
        mem.tables = [left.cells, right.cells];
        (mem.levels, mem.ends) = (self.reach.levels, self.reach.ends);
    }

    /// Fills `weight` with the table of `weight(i, j)` (growing it if it is
    /// too short; cells past the table are left as they are).
    ///
    /// The programme fills the rows from the last one up, each from left to
    /// right. A cell is the weight of its leaves plus the least sum of the
    /// cells `(i, k - 1)` and `(k, j)` over the roots `k` between those of
    /// `(i, j - 1)` and `(i + 1, j)`: cells of the row being filled, also
    /// kept apart in a row, and of the cell's column, both in order of `k`.
    /// Every cell is written before it is read, so the memory needs no
    /// clearing.
    fn weights(leaves: &[Leaf], weight: &mut Vec<u64>, mem: &mut Memory) {
        let n = leaves.len();
        let prefix = &mut mem.prefix;
        prefix.clear();
        prefix.reserve(n + 1);
        prefix.push(0u64);
        let mut sum = 0;
        for l in leaves {
            sum += l.weight;
            prefix.push(sum);
        }
        // Slices, not the vectors: their bounds stay in registers.
        grow(weight, column(n));
        let weight = &mut weight[..column(n)];
        // The row being filled: `(i, j)` at `j`.
        grow(&mut mem.row, n);
        let row = &mut mem.row[..n];
        // `root[j]`: the root of `i + 1..=j` until row `i` replaces it with
        // the one of `i..=j`; `root[i]` is `i + 1`, the only root of
        // `i..=i + 1`, where the search for the row's roots starts.
        grow(&mut mem.root, n);
        let root = &mut mem.root[..n];
        let prefix = &mem.prefix[..];
        for i in (0..n).rev() {
            let l = &leaves[i];
            let w = if l.except.is_some() { l.weight } else { 0 };
            (row[i], root[i]) = (w, i + 1);
            // Cell `(i, j)`.
            let mut c = column(i) + i;
            weight[c] = w;
            for j in i + 1..n {
                c += j;
                // Cell `(k, j)`.
                let cell = |k: usize| c - i + k;
                let lo = root[j - 1];
                let hi = root[j].max(lo).min(j);
                let (mut best, mut best_k) = (row[lo - 1] + weight[cell(lo)], lo);
                for k in lo + 1..hi + 1 {
                    let sum = row[k - 1] + weight[cell(k)];
                    if sum < best {
                        (best, best_k) = (sum, k);
                    }
                }
                root[j] = best_k;
                let w = prefix[j + 1] - prefix[i] + best;
                (row[j], weight[c]) = (w, w);
            }
        }
    }

    /// `weight(i, j)`, for a run a table holds.
    fn weight(&self, i: usize, j: usize) -> u64 {
        match &self.tables {
            [t, _] if t.holds(i, j) => t.get(i, j),
            [_, t] => t.get(i, j),
        }
    }

    /// Makes the tables hold the sides of the splits `first..=last` of the
    /// run `i..=j`: the runs within `i..last` and within `first..=j`, as two
    /// tables or, when they overlap too much, as one. Tables made for a run
    /// hold the sides of every split below it, so they are made only at the
    /// highest runs with a choice.
    fn tables_for(&mut self, i: usize, j: usize, first: usize, last: usize, mem: &mut Memory) {
        let [a, b] = &self.tables;
        let holds = |x: usize, y: usize| a.holds(x, y) || b.holds(x, y);
        if holds(i, last - 1) && holds(first, j) {
            return;
        }
        let [a, b] = &mut self.tables;
        if column(last - i) + column(j + 1 - first) < column(j + 1 - i) {
            a.fill(self.leaves, i, last, mem);
            b.fill(self.leaves, first, j + 1, mem);
        } else {
            a.fill(self.leaves, i, j + 1, mem);
            (b.start, b.end) = (0, 0);
        }
    }

    /// Builds the tree over leaves `i..=j` within `budget` (at least
    /// `depth(i, j)`).
    fn emit(&mut self, dag: &mut Dag, mem: &mut Memory, i: usize, j: usize, budget: i32) -> NodeId {
        let leaves = self.leaves;
        if i == j {
            return leaf_node(dag, &leaves[i], self.offset);
        }
        let splits = fitting_splits(&self.reach, i, j, budget - 1);
        let k = match splits.len() {
            // The budget is never below depth(i, j), so some split fits; if
            // not (a bug), split in the middle, which is still a correct tree.
            0 => (i + j).div_ceil(2),
            1 => splits.start,
            // The first of the splits whose sides weigh least.
            _ => {
                self.tables_for(i, j, splits.start, splits.end - 1, mem);
                let mut best: Option<(u64, usize)> = None;
                for k in splits {
                    let c = self.weight(i, k - 1) + self.weight(k, j);
                    if best.is_none_or(|b| c < b.0) {
                        best = Some((c, k));
                    }
                }
                best.map_or(i + 1, |b| b.1)
            }
        };
        let left = self.emit(dag, mem, i, k - 1, budget - 1);
        let right = self.emit(dag, mem, k, j, budget - 1);
        dag.branch(
            Test::word(self.offset, JmpOp::Ge, leaves[k].lo),
            right,
            left,
        )
    }
}

/// The least depths of the trees over runs of leaves, depth by depth: for a
/// depth `v` and a first leaf `i`, the end (exclusive) of the longest run
/// from `i` that a tree of depth at most `v` can hold. As a run's least depth
/// only grows with the run, `depth(i, j) <= v` exactly when `j` is before
/// that end.
///
/// A run from `i` fits in depth `v` when it is leaf `i` alone, of depth at
/// most `v`, or splits in two runs that fit in `v - 1`. The longest left run
/// from `i` is the best, since the runs from a later leaf reach at least as
/// far: the end at `v` is the end at `v - 1` of the run from where the one at
/// `v - 1` ends (O(n) per depth). Between the depths of the leaves, once the
/// ends stop changing they stay until another leaf fits; those depths are
/// skipped.
struct Reach {
    /// The depths with ends computed, ascending: the first is less than any
    /// leaf's (no run fits), the last is the least depth of the whole tree
    /// (every run fits); a depth in between has the ends of the one below.
    levels: Vec<i32>,
    /// The ends at `levels[l]` for the runs from `0..n`, at `l * n`.
    ends: Vec<u32>,
}

impl Reach {
    /// The ends for `leaves`, in `mem`'s memory.
    fn new(leaves: &[Leaf], mem: &mut Memory) -> Self {
        let n = leaves.len();
        let depths = &mut mem.depths;
        depths.clear();
        depths.extend(leaves.iter().map(Leaf::depth));
        depths.sort_unstable();
        depths.dedup();
        let depths = &*depths;
        // A balanced tree's depth plus the spread of the leaves' own depths
        // bounds the levels; most trees need few more than log2(n).
        let guess = (usize::BITS - n.leading_zeros()) as usize + depths.len() + 2;
        let (mut levels, mut ends) = (
            core::mem::take(&mut mem.levels),
            core::mem::take(&mut mem.ends),
        );
        levels.clear();
        ends.clear();
        levels.reserve(guess);
        ends.reserve(guess * n);
        // One depth less than the shallowest leaf: nothing fits.
        let (mut v, mut next) = (depths.first().copied().unwrap_or(0), 1);
        levels.push(v - 1);
        ends.extend(0..n as u32);
        if n == 0 {
            return Self { levels, ends };
        }
        loop {
            let prev = ends.len() - n;
            let mut changed = false;
            for (i, l) in leaves.iter().enumerate() {
                let m = ends[prev + i] as usize;
                let e = if m == i {
                    if l.depth() <= v { m + 1 } else { m }
                } else if m == n {
                    n
                } else {
                    ends[prev + m] as usize
                };
                changed |= e != m;
                ends.push(e as u32);
            }
            levels.push(v);
            if ends[prev + n] as usize == n {
                return Self { levels, ends };
            }
            v = if changed {
                v + 1
            } else {
                // Nothing changes until the next leaf fits.
                while depths.get(next).is_some_and(|&d| d <= v) {
                    next += 1;
                }
                match depths.get(next) {
                    Some(&d) => d,
                    // Every leaf fits and yet the ends stopped short: not
                    // possible (with every leaf in, each depth reaches
                    // further until the end).
                    None => return Self { levels, ends },
                }
            };
        }
    }

    /// The least depth of the tree over all the leaves.
    fn top(&self) -> i32 {
        self.levels.last().copied().unwrap_or(0)
    }

    /// The ends of the runs from each leaf within depth `v`.
    fn within(&self, v: i32) -> &[u32] {
        let l = self.levels.partition_point(|&lv| lv <= v).max(1) - 1;
        let n = self.ends.len() / self.levels.len();
        &self.ends[l * n..(l + 1) * n]
    }
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
    use alloc::vec;

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

    use crate::test_rng::Rng;

    /// Random leaves over `0..`: some one number, some with an exception,
    /// light and heavy, cheap and costly, some with slack.
    fn random_leaves(rng: &mut Rng, dag: &mut Dag, n: usize) -> Vec<Leaf> {
        let nodes: Vec<NodeId> = (0..4).map(|v| dag.ret(v)).collect();
        let mut lo = 0;
        (0..n)
            .map(|_| {
                let len = match rng.below(3) {
                    0 => 1,
                    1 => 3 + rng.below(4) as u32,
                    _ => 1 + rng.below(40) as u32,
                };
                let hi = lo + len - 1;
                let except = (len >= 3 && rng.below(4) == 0)
                    .then(|| (lo + 1 + rng.below(u64::from(len - 2)) as u32, nodes[3]));
                let weight = match rng.below(4) {
                    0 => 1 << (10 + rng.below(11)),
                    _ => 1 + rng.below(20),
                };
                let leaf = Leaf {
                    lo,
                    hi,
                    node: nodes[rng.below(3) as usize],
                    except,
                    weight,
                    cost: 1 + rng.below(6) as u32 + u32::from(except.is_some()),
                    slack: if rng.below(4) == 0 { 2 } else { 0 },
                };
                lo = hi + 1 + rng.below(3) as u32;
                leaf
            })
            .collect()
    }

    fn single(l: &Leaf) -> bool {
        l.lo == l.hi && l.except.is_none()
    }

    /// `weight(i, j)` and `depth(i, j)` by the plain O(n³) recurrences over
    /// every split and every peel of a one-number leaf.
    fn plain_tables(leaves: &[Leaf]) -> (Vec<Vec<u64>>, Vec<Vec<i32>>) {
        let n = leaves.len();
        let mut w = vec![vec![0u64; n]; n];
        let mut d = vec![vec![0i32; n]; n];
        for (i, l) in leaves.iter().enumerate() {
            w[i][i] = if l.except.is_some() { l.weight } else { 0 };
            d[i][i] = l.depth();
        }
        for len in 1..n {
            for i in 0..n - len {
                let j = i + len;
                let (mut bw, mut bd) = (u64::MAX, i32::MAX);
                for k in i + 1..=j {
                    bw = bw.min(w[i][k - 1] + w[k][j]);
                    bd = bd.min(d[i][k - 1].max(d[k][j]));
                }
                if single(&leaves[i]) {
                    bw = bw.min(w[i + 1][j]);
                    bd = bd.min(d[i][i].max(d[i + 1][j]));
                }
                if single(&leaves[j]) {
                    bw = bw.min(w[i][j - 1]);
                    bd = bd.min(d[j][j].max(d[i][j - 1]));
                }
                w[i][j] = leaves[i..=j].iter().map(|l| l.weight).sum::<u64>() + bw;
                d[i][j] = 1 + bd;
            }
        }
        (w, d)
    }

    /// The tree over `i..=j` from the plain tables: at each node, of every
    /// split and peel whose sides fit in the depth left, the first that
    /// weighs least.
    fn plain_emit(
        dag: &mut Dag,
        leaves: &[Leaf],
        tables: &(Vec<Vec<u64>>, Vec<Vec<i32>>),
        (i, j): (usize, usize),
        budget: i32,
    ) -> NodeId {
        let (w, d) = tables;
        if i == j {
            return leaf_node(dag, &leaves[i], NR);
        }
        let fits = |a: usize, b: usize| d[a][b] < budget;
        let mut shapes: Vec<(u64, u8, usize)> = Vec::new();
        for k in i + 1..=j {
            if fits(i, k - 1) && fits(k, j) {
                shapes.push((w[i][k - 1] + w[k][j], 0, k));
            }
        }
        if single(&leaves[i]) && fits(i, i) && fits(i + 1, j) {
            shapes.push((w[i + 1][j], 1, i));
        }
        if single(&leaves[j]) && fits(j, j) && fits(i, j - 1) {
            shapes.push((w[i][j - 1], 2, j));
        }
        let least = shapes.iter().map(|s| s.0).min().expect("some shape fits");
        let &(_, shape, k) = shapes.iter().find(|s| s.0 == least).unwrap();
        let (test, t, f) = match shape {
            0 => {
                let left = plain_emit(dag, leaves, tables, (i, k - 1), budget - 1);
                let right = plain_emit(dag, leaves, tables, (k, j), budget - 1);
                (Test::word(NR, JmpOp::Ge, leaves[k].lo), right, left)
            }
            1 => {
                let rest = plain_emit(dag, leaves, tables, (i + 1, j), budget - 1);
                let first = leaf_node(dag, &leaves[i], NR);
                (Test::word(NR, JmpOp::Eq, leaves[i].lo), first, rest)
            }
            _ => {
                let rest = plain_emit(dag, leaves, tables, (i, j - 1), budget - 1);
                let last = leaf_node(dag, &leaves[j], NR);
                (Test::word(NR, JmpOp::Eq, leaves[j].lo), last, rest)
            }
        };
        dag.branch(test, t, f)
    }

    #[test]
    fn tables_match_the_plain_recurrences() {
        let mut rng = Rng(0x5eed_0001);
        // One memory for every case: what earlier tables left in it is never read.
        let mut mem = Memory::default();
        let mut whole = Vec::new();
        let mut part = Table::default();
        for case in 0..300 {
            let mut dag = Dag::new();
            let n = 1 + rng.below(if case % 10 == 0 { 60 } else { 24 }) as usize;
            let leaves = random_leaves(&mut rng, &mut dag, n);
            let (w, d) = plain_tables(&leaves);
            let plan = Plan::new(&leaves, NR, rng.below(3) as i32, &mut mem);
            Plan::weights(&leaves, &mut whole, &mut mem);
            // A table for a part of the leaves, as a node with a choice fills it.
            let start = rng.below(n as u64) as usize;
            let end = start + 1 + rng.below((n - start) as u64) as usize;
            part.fill(&leaves, start, end, &mut mem);
            assert_eq!(plan.reach.top(), d[0][n - 1], "case {case}");
            for j in 0..n {
                for i in 0..=j {
                    assert_eq!(
                        whole[column(j) + i],
                        w[i][j],
                        "case {case}: weight({i}, {j})"
                    );
                    if part.holds(i, j) {
                        assert_eq!(part.get(i, j), w[i][j], "case {case}: part ({i}, {j})");
                    }
                    let v = d[i][j];
                    assert!(
                        j < plan.reach.within(v)[i] as usize,
                        "case {case}: ({i}, {j})"
                    );
                    assert!(
                        j >= plan.reach.within(v - 1)[i] as usize,
                        "case {case}: ({i}, {j})"
                    );
                }
            }
            plan.give_back(&mut mem);
        }
    }

    #[test]
    fn trees_match_the_plain_programme() {
        let mut rng = Rng(0x5eed_0002);
        // One memory for every tree, as in a compile.
        let mut mem = Memory::default();
        for case in 0..300 {
            let mut dag = Dag::new();
            let n = 1 + rng.below(if case % 10 == 0 { 60 } else { 24 }) as usize;
            let leaves = random_leaves(&mut rng, &mut dag, n);
            let slack = rng.below(3) as i32;
            let tables = plain_tables(&leaves);
            let budget = tables.1[0][n - 1] + slack;
            let want = plain_emit(&mut dag, &leaves, &tables, (0, n - 1), budget);
            // The DAG shares equal nodes: the same tree is the same node.
            assert_eq!(
                build(&mut dag, &mut mem, &leaves, slack, NR),
                want,
                "case {case}"
            );
        }
    }

    #[test]
    fn exceptions_become_one_leaf() {
        let mut dag = Dag::new();
        let mut mem = Memory::default();
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
        let root = build(&mut dag, &mut mem, &l, 0, NR);
        // Two comparisons to find the leaf, one for its exception.
        assert_eq!(check_tree(&dag, root, &r), 3);
    }

    #[test]
    fn dp_and_bisection_agree_on_decisions() {
        let mut dag = Dag::new();
        let mut mem = Memory::default();
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
        let root = build(&mut dag, &mut mem, &l, 0, NR);
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
        let root = build(&mut dag, &mut mem, &l, 0, NR);
        // 100 ranges need 7 levels; the depth bound allows one more.
        assert!(check_tree(&dag, root, &small) <= 8);
    }

    #[test]
    fn heavy_leaves_are_shallow() {
        let mut dag = Dag::new();
        let mut mem = Memory::default();
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
        let root = build(&mut dag, &mut mem, &l, 0, NR);
        assert_eq!(dag.run(root, |_| heavy).1, 6);
        assert_eq!(check_tree(&dag, root, &r), 6);
        // With two levels of slack, the heavy leaf rises to the top.
        let root = build(&mut dag, &mut mem, &l, 2, NR);
        let (_, steps) = dag.run(root, |_| heavy);
        assert!(steps <= 2, "{steps}");
        assert!(check_tree(&dag, root, &r) <= 8);
    }
}
