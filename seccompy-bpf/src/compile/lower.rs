//! The lowering context: from the rules of one syscall on one ABI to DAG
//! nodes. It owns the DAG being built and the memory the argument checks
//! reuse from one syscall to the next, and chooses for each set of arms
//! between a chain and an argument search tree (module `args`).

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::args::{self, Arm, Ctx, Lower};
use super::cost::Paths;
use super::dag::{Dag, NodeId};
use super::ranges;
use super::tree;
use crate::action::Action;
use crate::policy::{Rule, Syscall, more_restrictive};

/// Above this many chain tests for one syscall, the argument checks are
/// translated without the knowledge walk (which recurses along the chain).
const MAX_WALK_CHAIN: usize = 512;

/// The DAG being built, and the scratch memory of the argument checks.
pub(crate) struct Lowering {
    /// The DAG.
    pub dag: Dag,
    /// The chains' memory.
    chain: args::chain::Scratch,
    /// Longest paths in the DAG.
    paths: Paths,
    /// The search trees' memory (the number trees' and the argument trees').
    pub tree: tree::Memory,
    /// Chains longer than this are translated without the knowledge walk.
    pub max_walk: usize,
}

impl Lowering {
    pub(crate) fn new() -> Self {
        Self {
            dag: Dag::new(),
            chain: args::chain::Scratch::default(),
            paths: Paths::default(),
            tree: tree::Memory::default(),
            max_walk: MAX_WALK_CHAIN,
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
    pub(crate) fn decision(&mut self, abi: Abi, rules: &[&Rule], default_raw: u32) -> NodeId {
        if rules.iter().all(|r| r.conditions().is_empty()) {
            // No argument check: the most restrictive action.
            let best = rules
                .iter()
                .map(|r| r.action())
                .reduce(|best, a| if more_restrictive(a, best) { a } else { best });
            return self.dag.ret(best.map_or(default_raw, Action::to_raw));
        }
        let mut arms: Vec<Arm> = rules
            .iter()
            .map(|r| Arm {
                action: r.action(),
                conds: r.conditions(),
            })
            .collect();
        // Stable: equal actions keep their order, which does not change the result.
        arms.sort_by(|a, b| {
            if more_restrictive(a.action, b.action) {
                core::cmp::Ordering::Less
            } else if more_restrictive(b.action, a.action) {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        });
        let ctx = Ctx {
            abi,
            default: default_raw,
            max_walk: self.max_walk,
            nest: args::tree::MAX_NEST,
        };
        self.arms(&ctx, &arms)
    }
}

impl Lower for Lowering {
    fn tree_parts(&mut self) -> (&mut Dag, &mut Paths, &mut tree::Memory) {
        (&mut self.dag, &mut self.paths, &mut self.tree)
    }

    /// A chain, or a search tree over one argument when that shortens the
    /// longest path by more than it lengthens the program.
    fn arms(&mut self, ctx: &Ctx, arms: &[Arm]) -> NodeId {
        // An unconditional rule decides everything after it.
        let arms = match arms.iter().position(|a| a.conds.is_empty()) {
            // (Then the chain is that rule's action, and there is no tree.)
            Some(0) => return self.dag.ret(arms[0].action.to_raw()),
            Some(p) => &arms[..=p],
            None if arms.is_empty() => return self.dag.ret(ctx.default),
            None => arms,
        };
        let chain = args::chain::decision(&mut self.dag, &mut self.chain, ctx, arms);
        match args::tree::decision(self, ctx, arms) {
            Some(tree) if args::tree::better(&self.dag, &mut self.paths, tree, chain) => tree,
            _ => chain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulate::ByteOrder;
    use crate::policy::{Arg, Arg32};

    fn args_word(abi: Abi, args: &[u64; 6]) -> impl Fn(u32) -> u32 {
        let order = ByteOrder::of(abi);
        let args = *args;
        move |off| {
            let i = ((off - 16) / 8) as u8;
            if off == order.arg_low_offset(i) {
                args[i as usize] as u32
            } else {
                (args[i as usize] >> 32) as u32
            }
        }
    }

    fn check(abi: Abi, rules: &[Rule], values: &[u64]) -> (NodeId, Dag) {
        let default = Action::Errno(1);
        let refs: Vec<&Rule> = rules.iter().collect();
        let mut low = Lowering::new();
        low.max_walk = usize::MAX;
        let root = low.decision(abi, &refs, default.to_raw());
        let mut plain = Lowering::new();
        plain.max_walk = 0;
        let proot = plain.decision(abi, &refs, default.to_raw());
        let (dag, plain) = (low.dag, plain.dag);
        let policy = crate::policy::Policy::new(default)
            .abi(abi)
            .rules(rules.iter().cloned());
        let nr = match rules[0].syscall() {
            crate::policy::Syscall::Nr(n) => *n,
            _ => unreachable!(),
        };
        for &a in values {
            for &b in values {
                let args = [a, b, a ^ b, 0, 0, 0];
                let want = policy.decide(abi, nr, &args).to_raw();
                let (got, _) = dag.run(root, args_word(abi, &args));
                assert_eq!(got, want, "{abi} args {args:x?}");
                let (plain_got, _) = plain.run(proot, args_word(abi, &args));
                assert_eq!(plain_got, want, "{abi} args {args:x?} (no walk)");
            }
        }
        (root, dag)
    }

    fn interesting(consts: &[u64]) -> Vec<u64> {
        let mut v = Vec::new();
        for &c in consts {
            for d in [0u64, 1, 2, 1 << 32, 0xffff_ffff] {
                v.push(c.wrapping_add(d));
                v.push(c.wrapping_sub(d));
                v.push(c ^ d);
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn personality_tests_the_high_word_once() {
        let vals = [0u64, 8, 0x20000, 0x20008, 0xffff_ffff];
        let rules: Vec<Rule> = vals
            .iter()
            .map(|&v| Rule::new(135u32, Action::Allow).when(Arg(0).eq(v)))
            .collect();
        let (root, dag) = check(Abi::X86_64, &rules, &interesting(&vals));
        // Low word 1, high word 0: one high-word test, five low-word tests.
        let (_, steps) = dag.run(root, |off| if off == 20 { 0 } else { 1 });
        assert_eq!(steps, 6);
        // High word 1: the high-word test decides.
        let (_, steps) = dag.run(root, |_| 1);
        assert_eq!(steps, 1);
    }

    #[test]
    fn ranges_masks_and_precedence() {
        let rules = [
            Rule::new(41u32, Action::Allow).when(Arg(0).lt(38)),
            Rule::new(41u32, Action::Allow).when(Arg(0).eq(39)),
            Rule::new(41u32, Action::Allow).when(Arg(0).gt(40)),
            Rule::new(41u32, Action::Trap(3))
                .when(Arg(1).masked_eq(0xff00_0000_00ff, 0x1200_0000_0034))
                .when(Arg32(2).bits_within(0x0f0f)),
            Rule::new(41u32, Action::Errno(2)).when(Arg(1).ge(1 << 40)),
            Rule::new(41u32, Action::Errno(3)).when(Arg(1).le(7)),
            Rule::new(41u32, Action::Log).when(Arg(0).ne(0x1_0000_0000)),
        ];
        let consts = [
            38,
            39,
            40,
            0xff00_0000_00ff,
            0x1200_0000_0034,
            0x0f0f,
            1 << 40,
            7,
        ];
        for abi in [Abi::X86_64, Abi::I386, Abi::S390x, Abi::Ppc, Abi::X32] {
            check(abi, &rules, &interesting(&consts));
        }
    }
}
