//! The lowering context: from the rules of one syscall on one ABI to DAG
//! nodes. It owns the DAG being built and the memory the argument checks
//! reuse from one syscall to the next (module `args`).

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::args::{self, Scratch};
use super::dag::{Dag, NodeId};
use super::ranges;
use crate::action::Action;
use crate::policy::{Rule, Syscall, more_restrictive};

/// Above this many chain tests for one syscall, the argument checks are
/// translated without the knowledge walk (which recurses along the chain).
const MAX_WALK_CHAIN: usize = 512;

/// The DAG being built, and the scratch memory of the argument checks.
pub(crate) struct Lowering {
    /// The DAG.
    pub dag: Dag,
    scratch: Scratch,
}

impl Lowering {
    pub(crate) fn new() -> Self {
        Self {
            dag: Dag::new(),
            scratch: Scratch::default(),
        }
    }

    /// Appends to `out` the decisions of the numbers of `abi` that some rule is
    /// about, as disjoint intervals with the same rules. `nr_of(r)` is rule `r`'s
    /// number on `abi` (if a single one).
    pub(crate) fn decided(
        &mut self,
        abi: Abi,
        rules: &[Rule],
        nr_of: impl Fn(usize) -> Option<u32>,
        default_raw: u32,
        out: &mut Vec<(u32, u32, NodeId)>,
    ) {
        let on_abi = |r: &Rule| r.abis().is_empty() || r.abis().contains(&abi);
        // Rules about one number, as (nr, rule index), and about ranges, clipped to
        // the ABI's numbers.
        let mut points: Vec<(u32, usize)> = Vec::with_capacity(rules.len());
        let mut spans: Vec<(u32, u32, usize)> = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            if !on_abi(rule) {
                continue;
            }
            if let Syscall::Range { first, last } = *rule.syscall() {
                for &(lo, hi) in ranges::owned(abi) {
                    let (a, b) = (first.max(lo), last.min(hi));
                    if a <= b {
                        spans.push((a, b, r));
                    }
                }
            } else if let Some(nr) = nr_of(r).filter(|&nr| ranges::abi_owns(abi, nr)) {
                points.push((nr, r));
            }
        }
        points.sort_unstable();
        let mut group: Vec<&Rule> = Vec::new();
        if spans.is_empty() {
            for chunk in points.chunk_by(|x, y| x.0 == y.0) {
                group.clear();
                group.extend(chunk.iter().map(|&(_, r)| &rules[r]));
                let nr = chunk[0].0;
                out.push((nr, nr, self.decision(abi, &group, default_raw)));
            }
            return;
        }
        // Cut the numbers where the set of rules changes, and decide each piece.
        // The points' cuts come sorted (points are); the spans' few are sorted
        // apart and merged in.
        let mut span_cuts: Vec<u32> = Vec::with_capacity(2 * spans.len());
        for &(a, b, _) in &spans {
            span_cuts.push(a);
            span_cuts.extend(b.checked_add(1));
        }
        span_cuts.sort_unstable();
        let mut cut: Vec<u32> = Vec::with_capacity(2 * points.len() + span_cuts.len());
        let mut sc = span_cuts.iter().copied().peekable();
        let add = |cut: &mut Vec<u32>, n: u32| {
            if cut.last() != Some(&n) {
                cut.push(n);
            }
        };
        for chunk in points.chunk_by(|x, y| x.0 == y.0) {
            let nr = chunk[0].0;
            for n in [Some(nr), nr.checked_add(1)].into_iter().flatten() {
                while let Some(m) = sc.next_if(|&m| m <= n) {
                    add(&mut cut, m);
                }
                add(&mut cut, n);
            }
        }
        for m in sc {
            add(&mut cut, m);
        }
        // Decisions of pieces only spans are about, by their set of rules (the
        // same set recurs between points); a piece with a point's rules is
        // decided once, as each point is its own piece.
        let mut memo: Vec<(Vec<usize>, NodeId)> = Vec::new();
        let mut set: Vec<usize> = Vec::new();
        let mut at = 0;
        for (i, &lo) in cut.iter().enumerate() {
            let hi = cut.get(i + 1).map_or(u32::MAX, |&n| n - 1);
            set.clear();
            set.extend(
                spans
                    .iter()
                    .filter(|&&(a, b, _)| a <= lo && lo <= b)
                    .map(|&(_, _, r)| r),
            );
            while points.get(at).is_some_and(|&(nr, _)| nr < lo) {
                at += 1;
            }
            let spans_only = set.len();
            if hi == lo {
                set.extend(
                    points[at..]
                        .iter()
                        .take_while(|&&(nr, _)| nr == lo)
                        .map(|&(_, r)| r),
                );
            }
            if set.is_empty() {
                continue;
            }
            set.sort_unstable();
            let node = if set.len() > spans_only {
                group.clear();
                group.extend(set.iter().map(|&r| &rules[r]));
                self.decision(abi, &group, default_raw)
            } else if let Some(&(_, n)) = memo.iter().find(|(s, _)| *s == set) {
                n
            } else {
                group.clear();
                group.extend(set.iter().map(|&r| &rules[r]));
                let n = self.decision(abi, &group, default_raw);
                memo.push((set.clone(), n));
                n
            };
            out.push((lo, hi, node));
        }
    }

    /// The decision for one syscall on `abi` given the rules naming it there.
    fn decision(&mut self, abi: Abi, rules: &[&Rule], default_raw: u32) -> NodeId {
        if rules.iter().all(|r| r.conditions().is_empty()) {
            // No argument check: the most restrictive action.
            let best = rules
                .iter()
                .map(|r| r.action())
                .reduce(|best, a| if more_restrictive(a, best) { a } else { best });
            return self.dag.ret(best.map_or(default_raw, Action::to_raw));
        }
        args::decision(
            &mut self.dag,
            &mut self.scratch,
            abi,
            rules,
            default_raw,
            MAX_WALK_CHAIN,
        )
    }
}
