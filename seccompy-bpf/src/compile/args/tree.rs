//! Argument search trees.
//!
//! When several rules of one syscall compare the same argument with constants
//! (`==`, `<`, `<=`, `>`, `>=`: each condition holds on one interval of values),
//! the argument's values are cut into pieces on which the same rules can still
//! match. Each piece is decided over the rules' other conditions (a chain, or
//! another tree), adjacent pieces with the same decision merge, and a search
//! tree over the pieces (module `compile::tree`, the one over syscall numbers) leads to
//! them: on the high word first, then on the low word within the high words
//! where the decision changes. A syscall with 40 allowed `ioctl` requests then
//! takes about six comparisons instead of forty.
//!
//! The tree replaces the chain only when it shortens the longest path by more
//! instructions than it adds to the program, so small sets of constants (which
//! a chain tests as fast) keep the chain.

use alloc::vec::Vec;

use super::{ArgWords, Arm, Ctx, Lower, arg_words};
use crate::action::Action;
use crate::compile::cost::{Paths, leaf_cost, size};
use crate::compile::dag::{Dag, Interner, NodeId, hash_of};
use crate::compile::ranges::Range;
use crate::compile::tree;
use crate::policy::{Cmp, Condition};

/// How many levels of argument trees may nest (a tree's pieces decided by
/// trees over another argument).
pub(crate) const MAX_NEST: u8 = 2;

/// The fewest rules with an interval condition on one argument worth a tree.
const MIN_ARMS: usize = 3;

/// The weight of the values from 0 in a tree, against 1 for other ranges: they
/// rise as high as the tree's least depth allows.
const ZERO_WEIGHT: u64 = 64;

/// The most (piece, rule) pairs one tree may consider: beyond, the chain stays.
const MAX_WORK: usize = 1 << 14;

/// The values for which `cmp` holds, as an inclusive interval (empty when
/// `lo > hi`), or `None` if they are not one interval.
fn interval(cmp: Cmp) -> Option<(u64, u64)> {
    const EMPTY: (u64, u64) = (1, 0);
    Some(match cmp {
        Cmp::Eq(v) => (v, v),
        Cmp::Lt(0) => EMPTY,
        Cmp::Lt(v) => (0, v - 1),
        Cmp::Le(v) => (0, v),
        Cmp::Gt(u64::MAX) => EMPTY,
        Cmp::Gt(v) => (v + 1, u64::MAX),
        Cmp::Ge(v) => (v, u64::MAX),
        Cmp::Ne(_) | Cmp::MaskedEq { .. } | Cmp::BitsWithin(_) => return None,
    })
}

/// The argument words a condition compares, if it holds on one interval.
fn interval_key(ctx: &Ctx, c: &Condition) -> Option<ArgWords> {
    interval(c.cmp()).map(|_| arg_words(ctx.abi, c.index(), c.width()))
}

/// The argument compared with an interval by the most arms, if at least
/// [`MIN_ARMS`] do.
fn pick_key(ctx: &Ctx, arms: &[Arm]) -> Option<ArgWords> {
    let mut counts: Vec<(ArgWords, usize)> = Vec::new();
    for arm in arms {
        for (j, c) in arm.conds.iter().enumerate() {
            let Some(key) = interval_key(ctx, c) else {
                continue;
            };
            // Count each arm once per key.
            if arm.conds[..j]
                .iter()
                .any(|d| interval_key(ctx, d) == Some(key))
            {
                continue;
            }
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => counts.push((key, 1)),
            }
        }
    }
    // The first key among those with the most arms.
    let mut best: Option<(ArgWords, usize)> = None;
    for &(k, n) in &counts {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((k, n));
        }
    }
    best.filter(|&(_, n)| n >= MIN_ARMS).map(|(k, _)| k)
}

/// The decision for `arms` (sorted, as for [`Lower::arms`]) as a search tree
/// over one argument, or `None` when no argument is compared with intervals by
/// enough arms (or nesting or work would go too far).
pub(crate) fn decision(low: &mut impl Lower, ctx: &Ctx, arms: &[Arm]) -> Option<NodeId> {
    if ctx.nest == 0 {
        return None;
    }
    let key = pick_key(ctx, arms)?;
    let max = if key.hi.is_some() {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    };
    // Each arm's interval on the key, its action, and its other conditions
    // (`rest[start..end]`).
    let mut split: Vec<(u64, u64, Action, usize, usize)> = Vec::with_capacity(arms.len());
    let mut rest: Vec<Condition> = Vec::new();
    for arm in arms {
        let (mut lo, mut hi) = (0, max);
        let start = rest.len();
        for c in arm.conds {
            match interval(c.cmp()).filter(|_| arg_words(ctx.abi, c.index(), c.width()) == key) {
                Some((a, b)) => (lo, hi) = (lo.max(a), hi.min(b)),
                None => rest.push(*c),
            }
        }
        // An arm whose interval is empty never matches.
        if lo <= hi {
            split.push((lo, hi, arm.action, start, rest.len()));
        } else {
            rest.truncate(start);
        }
    }
    let mut cuts: Vec<u64> = Vec::with_capacity(2 * split.len() + 1);
    cuts.push(0);
    for &(a, b, ..) in &split {
        cuts.push(a);
        if b < max {
            cuts.push(b + 1);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    if cuts.len().saturating_mul(split.len()) > MAX_WORK {
        return None;
    }
    let inner = Ctx {
        nest: ctx.nest - 1,
        ..*ctx
    };
    // The pieces, with their decisions, adjacent equal ones merged; the
    // decisions of the sets of arms met so far, by the set's id in `sets`.
    let mut sets: Interner<Vec<usize>, NodeId> = Interner::default();
    let mut pieces: Vec<(u64, u64, NodeId)> = Vec::with_capacity(cuts.len());
    let mut set: Vec<usize> = Vec::with_capacity(split.len());
    let mut sub: Vec<Arm> = Vec::with_capacity(split.len());
    for (i, &lo) in cuts.iter().enumerate() {
        let hi = cuts.get(i + 1).map_or(max, |&n| n - 1);
        set.clear();
        set.extend((0..split.len()).filter(|&r| split[r].0 <= lo && lo <= split[r].1));
        // A set whose first arm is unconditional (or that is empty) is
        // decided at once, without the memo.
        let at_once = set.first().is_none_or(|&r| split[r].3 == split[r].4);
        let hash = if at_once { 0 } else { hash_of(&set) };
        let known = if at_once {
            None
        } else {
            sets.find_hashed(hash, &set)
        };
        let node = match known {
            Some(id) => *sets.value(id),
            None => {
                sub.clear();
                sub.extend(set.iter().map(|&r| {
                    let (_, _, action, start, end) = split[r];
                    Arm {
                        action,
                        conds: &rest[start..end],
                    }
                }));
                let n = low.arms(&inner, &sub);
                if !at_once {
                    sets.intern_hashed(hash, set.clone(), n);
                }
                n
            }
        };
        match pieces.last_mut() {
            Some(last) if last.2 == node => last.1 = hi,
            _ => pieces.push((lo, hi, node)),
        }
    }
    let Some(hi_off) = key.hi else {
        let ranges: Vec<Range> = pieces
            .iter()
            .map(|&(lo, hi, node)| Range {
                lo: lo as u32,
                hi: hi as u32,
                node,
            })
            .collect();
        return Some(word_tree(low, &ranges, key.lo));
    };
    // High words where the decision depends on the low word get a tree over the
    // low word; between them, the decision is one piece's.
    let mut hcuts: Vec<u32> = Vec::with_capacity(2 * pieces.len());
    let mut mixed: Vec<u32> = Vec::new();
    for &(a, _, _) in &pieces {
        let h = (a >> 32) as u32;
        hcuts.push(h);
        if a as u32 != 0 {
            mixed.push(h);
            hcuts.extend(h.checked_add(1));
        }
    }
    hcuts.sort_unstable();
    hcuts.dedup();
    mixed.dedup();
    let mut hranges: Vec<Range> = Vec::with_capacity(hcuts.len());
    for (i, &h) in hcuts.iter().enumerate() {
        let hh = hcuts.get(i + 1).map_or(u32::MAX, |&n| n - 1);
        let base = u64::from(h) << 32;
        let top = base | u64::from(u32::MAX);
        let node = if mixed.binary_search(&h).is_ok() {
            let ranges: Vec<Range> = pieces
                .iter()
                .filter(|&&(a, b, _)| a <= top && b >= base)
                .map(|&(a, b, node)| Range {
                    lo: a.max(base) as u32,
                    hi: b.min(top) as u32,
                    node,
                })
                .collect();
            word_tree(low, &ranges, key.lo)
        } else {
            pieces[pieces.partition_point(|&(a, _, _)| a <= base) - 1].2
        };
        match hranges.last_mut() {
            Some(last) if last.node == node => last.hi = hh,
            _ => hranges.push(Range {
                lo: h,
                hi: hh,
                node,
            }),
        }
    }
    Some(word_tree(low, &hranges, hi_off))
}

/// A search tree on the word at `offset` over `ranges` (covering every value),
/// as shallow as possible counting each leaf's longest path.
fn word_tree(low: &mut impl Lower, ranges: &[Range], offset: u32) -> NodeId {
    if let [only] = ranges {
        return only.node;
    }
    let (dag, paths, mem) = low.tree_parts();
    // Zero, the common value of flags, weighs as much as many other values.
    let leaves = tree::leaves(
        ranges,
        |lo, _| if lo == 0 { ZERO_WEIGHT } else { 1 },
        |_, _| 0,
        |n| paths.longest(dag, n, Some((offset, None))),
    );
    tree::build(dag, mem, &leaves, 0, offset)
}

/// Whether the tree should replace the chain: its longest path is shorter by
/// more instructions than it adds tests to the program, and it is no slower
/// when every argument is 0 (the path the syscall-number tree is shaped with).
pub(crate) fn better(dag: &Dag, paths: &mut Paths, tree: NodeId, chain: NodeId) -> bool {
    if tree == chain || leaf_cost(dag, tree) > leaf_cost(dag, chain) {
        return false;
    }
    let (lt, lc) = (
        paths.longest(dag, tree, None),
        paths.longest(dag, chain, None),
    );
    if lt >= lc {
        // (Then the sizes do not matter.)
        return false;
    }
    let mut seen = alloc::vec![0; dag.len().div_ceil(64)];
    let st = size(dag, tree, &mut seen);
    seen.fill(0);
    let sc = size(dag, chain, &mut seen);
    st.saturating_sub(sc) < (lc - lt) as usize
}

// The tests compile for s390x, MIPS, ... : they need those tables.
#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use seccompy_sys::seccomp_data;
    use seccompy_sys::syscalls::Abi;

    use super::super::{Arm, Ctx, Lower};
    use super::decision;
    use crate::action::Action;
    use crate::compile::lower::Lowering;
    use crate::emulate::{ByteOrder, emulate_for};
    use crate::policy::{Arg, Arg32, Cmp, Condition, Policy, Rule, Width};
    use crate::validate::validate;

    use crate::test_rng::Rng;

    fn call(abi: Abi, nr: u32, args: [u64; 6]) -> seccomp_data {
        seccomp_data {
            nr: nr as i32,
            arch: abi.audit_arch(),
            instruction_pointer: 0,
            args,
        }
    }

    /// Every value next to the constants, with their high words changed too.
    fn near(consts: &[u64]) -> Vec<u64> {
        let mut v = Vec::new();
        for &c in consts {
            for d in [0, 1, 2, 1 << 32] {
                v.extend([
                    c.wrapping_add(d),
                    c.wrapping_sub(d),
                    c ^ (0xffff_ffff << 32),
                ]);
            }
        }
        v.extend([0, u64::from(u32::MAX), u64::MAX]);
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Compiles `policy`, checks every call of `nr` with argument `key` taking
    /// each of `values` (and the other arguments from `others`) against
    /// [`Policy::evaluate`], and returns the most instructions run.
    fn check(policy: &Policy, nr: u32, key: usize, values: &[u64], others: &[u64]) -> usize {
        let prog = policy.compile().unwrap();
        validate(prog.insns()).unwrap();
        let mut max = 0;
        for &abi in policy.abi_list() {
            for (i, &v) in values.iter().enumerate() {
                let mut args = [0u64; 6];
                for (j, a) in args.iter_mut().enumerate() {
                    *a = others[(i + 3 * j) % others.len()];
                }
                args[key] = v;
                let d = call(abi, nr, args);
                let out = emulate_for(prog.insns(), &d, ByteOrder::of(abi)).unwrap();
                assert_eq!(
                    out.ret,
                    policy.evaluate(&d).to_raw(),
                    "{abi} nr {nr} args {args:x?}"
                );
                max = max.max(out.executed);
            }
        }
        max
    }

    /// 40 ioctl request values, some with other actions or more conditions.
    fn ioctl_rules() -> (Vec<Rule>, Vec<u64>) {
        let mut rng = Rng(40);
        let mut reqs: Vec<u64> = (0..40)
            .map(|i| match i % 4 {
                0 => 0x5400 + rng.below(0x60),
                1 => 0x4000_ae00 | (rng.below(0x1000) << 16) | rng.below(0x100),
                2 => 0x8000_ae00 | (rng.below(0x1000) << 16) | rng.below(0x100),
                _ => 0xc000_0000 | rng.below(1 << 30),
            })
            .collect();
        reqs.sort_unstable();
        reqs.dedup();
        let rules = reqs
            .iter()
            .enumerate()
            .map(|(i, &req)| {
                let rule = Rule::new(16u32, Action::Allow).when(Arg(1).eq(req));
                match i % 10 {
                    3 => Rule::new(16u32, Action::Errno(25)).when(Arg(1).eq(req)),
                    5 => Rule::new(16u32, Action::Log).when(Arg(1).eq(req)),
                    7 => rule.when(Arg32(2).bits_within(0xff)),
                    _ => rule,
                }
            })
            .collect();
        (rules, reqs)
    }

    #[test]
    #[cfg_attr(
        not(feature = "all-abis"),
        ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
    )]
    fn forty_ioctl_requests_take_a_search_tree() {
        let (rules, reqs) = ioctl_rules();
        let n = reqs.len();
        assert!(n >= 38, "{n}");
        // A request that is also denied, with a precedence to respect.
        let rules = rules
            .into_iter()
            .chain([Rule::new(16u32, Action::KillThread).when(Arg(1).eq(reqs[9]))]);
        let policy = Policy::new(Action::Errno(1))
            .abis(&[Abi::X86_64, Abi::I386, Abi::X32])
            .rules(rules);
        let policy_be = Policy::new(Action::Errno(1))
            .abis(&[Abi::S390x])
            .rules(policy.rule_list().iter().cloned());
        let others = [0, 0xff, 0x100, 1 << 40];
        let max = check(&policy, 16, 1, &near(&reqs), &others);
        check(&policy_be, 16, 1, &near(&reqs), &others);
        // The bound: arch check (2) and a number tree over the three ABIs of a
        // one-syscall policy (load, at most 3 comparisons); the high word (load,
        // test); the low word (load, a tree over at most 2n + 1 pieces, its
        // exception test); arg 2 where a request has one more condition (load,
        // test); RET. A chain would take more than n tests.
        let depth = usize::BITS - (2 * n).leading_zeros();
        let bound = 2 + 4 + 2 + 1 + depth as usize + 1 + 2 + 1;
        extern crate std;
        std::println!("ioctl: {n} requests, max path {max} (bound {bound})");
        assert!(max <= bound, "max path {max} > {bound}");
        assert!(max < n, "max path {max}");
    }

    fn interval_cond(rng: &mut Rng, index: u8, consts: &[u64]) -> Condition {
        let v = rng.pick(consts);
        let arg = Arg(index);
        match rng.below(10) {
            0 => arg.lt(v),
            1 => arg.le(v),
            2 => arg.gt(v),
            3 => arg.ge(v),
            4 => Condition::new(index, Width::Low32, Cmp::Eq(v)),
            _ => arg.eq(v),
        }
    }

    fn other_cond(rng: &mut Rng, consts: &[u64]) -> Condition {
        let index = rng.below(3) as u8;
        let v = rng.pick(consts);
        match rng.below(5) {
            0 => Arg(index).ne(v),
            1 => Arg(index).masked_eq(0xff, v & 0xff),
            2 => Arg(index).bits_within(v | 0xf),
            3 => interval_cond(rng, index, consts),
            _ => Condition::new(index, Width::Low32, Cmp::Ge(v)),
        }
    }

    #[test]
    #[cfg_attr(
        not(feature = "all-abis"),
        ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
    )]
    fn random_interval_rules_decide_as_the_policy() {
        const ABIS: &[&[Abi]] = &[
            &[Abi::X86_64, Abi::I386, Abi::X32],
            &[Abi::S390x],
            &[Abi::Ppc64, Abi::Ppc],
            &[Abi::Mips64n32],
        ];
        const ACTIONS: &[Action] = &[
            Action::Allow,
            Action::Allow,
            Action::Errno(3),
            Action::Errno(2),
            Action::Log,
            Action::Trap(1),
            Action::KillProcess,
        ];
        let mut rng = Rng(2024);
        let mut trees = 0;
        let cases = 300;
        for case in 0..cases {
            let mut consts: Vec<u64> = (0..rng.below(12) + 3)
                .map(|_| match rng.below(4) {
                    0 => rng.below(16),
                    1 => rng.below(1 << 32),
                    2 => rng.next(),
                    _ => (rng.below(3) << 32) | rng.below(8),
                })
                .collect();
            consts.extend([0, u64::MAX]);
            let key = rng.below(3) as u8;
            let mut rules = Vec::new();
            for _ in 0..rng.below(30) + 3 {
                let mut rule = Rule::new(41u32, rng.pick(ACTIONS));
                if rng.below(10) < 8 {
                    rule = rule.when(interval_cond(&mut rng, key, &consts));
                }
                if rng.below(10) < 2 {
                    rule = rule.when(interval_cond(&mut rng, key, &consts));
                }
                if rng.below(10) < 3 {
                    rule = rule.when(other_cond(&mut rng, &consts));
                }
                rules.push(rule);
            }
            let abis = ABIS[case % ABIS.len()];
            let policy = Policy::new(Action::Errno(1)).abis(abis).rules(rules);
            let values = near(&consts);
            check(&policy, 41, usize::from(key), &values, &values);
            // Whether a tree replaced the chain somewhere.
            let mut arms: Vec<Arm> = policy
                .rule_list()
                .iter()
                .map(|r| Arm {
                    action: r.action(),
                    conds: r.conditions(),
                })
                .collect();
            arms.sort_by_key(|a| (a.action.precedence(), a.action.to_raw() & 0xffff));
            let ctx = Ctx {
                abi: abis[0],
                default: Action::Errno(1).to_raw(),
                max_walk: usize::MAX,
                nest: super::MAX_NEST,
            };
            let low = &mut Lowering::new();
            let chosen = low.arms(&ctx, &arms);
            // (Hash-consing gives the same node when the tree is built again.)
            if decision(low, &ctx, &arms) == Some(chosen) {
                trees += 1;
            }
        }
        // The policies exercise trees, not only chains.
        extern crate std;
        std::println!("{trees} trees in {cases} cases");
        assert!(trees >= cases / 10, "{trees} trees in {cases} cases");
    }
}
