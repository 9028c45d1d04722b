//! Argument checks as a chain of word tests.
//!
//! Each 64-bit condition is split into tests of the argument's high and low
//! words. This first gives a small graph of word tests (the *chain*). The chain
//! is then walked with what the tests passed so far tell about each word (an
//! interval, excluded values, known masked values): a test whose outcome is
//! known is not emitted, so that for instance the high word of an argument
//! compared with five constants is tested once, and a rule that cannot match
//! any more on a path is skipped there.

use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use seccompy_sys::syscalls::Abi;

use super::{ArgWords, Arm, Ctx, arg_words};
use crate::compile::dag::{Dag, Interner, JmpOp, NodeId, Test, hash_of};
use crate::policy::{Cmp, Condition};

/// A successor in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Next {
    /// Chain node index.
    Node(u32),
    /// Return this value.
    Ret(u32),
}

#[derive(Clone, Copy, Debug)]
struct ChainNode {
    test: Test,
    t: Next,
    f: Next,
    /// Words (bit `(offset - 16) / 4`) tested here or after.
    words: u16,
}

struct Chain {
    nodes: Vec<ChainNode>,
}

impl Chain {
    fn words(&self, n: Next) -> u16 {
        match n {
            Next::Node(i) => self.nodes[i as usize].words,
            Next::Ret(_) => 0,
        }
    }

    fn test(&mut self, test: Test, t: Next, f: Next) -> Next {
        if t == f {
            return t;
        }
        let words = (1 << word_index(test.offset)) | self.words(t) | self.words(f);
        self.nodes.push(ChainNode { test, t, f, words });
        Next::Node(self.nodes.len() as u32 - 1)
    }

    /// `word & mask == value`, as cheaply as BPF allows.
    fn masked(&mut self, offset: u32, mask: u32, value: u32, t: Next, f: Next) -> Next {
        if value & !mask != 0 {
            f
        } else if mask == 0 {
            t
        } else if value == 0 {
            self.test(Test::word(offset, JmpOp::Set, mask), f, t)
        } else if mask == value && mask.is_power_of_two() {
            self.test(Test::word(offset, JmpOp::Set, mask), t, f)
        } else {
            let test = Test {
                offset,
                and: Some(mask),
                op: JmpOp::Eq,
                k: value,
            };
            self.test(test, t, f)
        }
    }

    /// A test of the high word, evaluated right away when it is known to be 0.
    fn hi(&mut self, w: ArgWords, op: JmpOp, k: u32, t: Next, f: Next) -> Next {
        match w.hi {
            Some(off) => self.test(Test::word(off, op, k), t, f),
            None if op.eval(0, k) => t,
            None => f,
        }
    }

    /// `arg > v` (or `>=` when `ge`) over both words.
    fn greater(&mut self, w: ArgWords, v: u64, ge: bool, t: Next, f: Next) -> Next {
        let (vh, vl) = ((v >> 32) as u32, v as u32);
        let lo_op = if ge { JmpOp::Ge } else { JmpOp::Gt };
        let lo = self.test(Test::word(w.lo, lo_op, vl), t, f);
        let eq = self.hi(w, JmpOp::Eq, vh, lo, f);
        self.hi(w, JmpOp::Gt, vh, t, eq)
    }

    /// The chain for one condition, going to `t` when it holds and `f` otherwise.
    fn condition(&mut self, w: ArgWords, cmp: Cmp, t: Next, f: Next) -> Next {
        let split = |v: u64| ((v >> 32) as u32, v as u32);
        match cmp {
            Cmp::Eq(v) => {
                let (vh, vl) = split(v);
                let lo = self.test(Test::word(w.lo, JmpOp::Eq, vl), t, f);
                self.hi(w, JmpOp::Eq, vh, lo, f)
            }
            Cmp::Ne(v) => self.condition(w, Cmp::Eq(v), f, t),
            Cmp::Gt(v) => self.greater(w, v, false, t, f),
            Cmp::Ge(v) => self.greater(w, v, true, t, f),
            Cmp::Lt(v) => self.greater(w, v, true, f, t),
            Cmp::Le(v) => self.greater(w, v, false, f, t),
            Cmp::MaskedEq { mask, value } => {
                let ((mh, ml), (vh, vl)) = (split(mask), split(value));
                let lo = self.masked(w.lo, ml, vl, t, f);
                match w.hi {
                    Some(off) => self.masked(off, mh, vh, lo, f),
                    None if vh == 0 => lo,
                    None => f,
                }
            }
            Cmp::BitsWithin(mask) => {
                let (mh, ml) = split(!mask);
                let lo = self.masked(w.lo, ml, 0, t, f);
                match w.hi {
                    Some(off) => self.masked(off, mh, 0, lo, f),
                    None => lo,
                }
            }
        }
    }
}

/// What the tests passed so far tell about one word.
///
/// The lists are kept in fixed arrays (the unused entries zero), so that facts
/// are plain values, compared and hashed whole.
#[derive(Clone, Copy, Debug, Eq)]
struct Facts {
    min: u32,
    max: u32,
    /// Values the word is known not to have (within `min..=max`), sorted: the
    /// first `ne_len`.
    ne: [u32; MAX_FACTS],
    ne_len: u8,
    /// `(mask, value)` with `holds` (bit `i` for entry `i`): whether
    /// `word & mask == value` is known to hold, sorted by `(mask, value,
    /// holds)`: the first `masks_len`. (Apart, not as triples, so that facts
    /// stay small enough to be copied without a call.)
    masks: [(u32, u32); MAX_FACTS],
    holds: u8,
    masks_len: u8,
}

const MAX_FACTS: usize = 8;

impl PartialEq for Facts {
    /// The used entries only (the others are zero).
    fn eq(&self, other: &Self) -> bool {
        (self.min, self.max) == (other.min, other.max)
            && self.excluded() == other.excluded()
            && self.masks[..usize::from(self.masks_len)]
                == other.masks[..usize::from(other.masks_len)]
            && self.holds == other.holds
    }
}

impl Hash for Facts {
    /// The used entries only (equal facts have equal ones).
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.min) << 32 | u64::from(self.max));
        for &v in self.excluded() {
            state.write_u32(v);
        }
        state.write_u8(self.ne_len);
        for (m, v, holds) in self.masks_known() {
            state.write_u64(u64::from(m) << 32 | u64::from(v));
            state.write_u8(u8::from(holds));
        }
    }
}

impl Facts {
    const fn any() -> Self {
        Self {
            min: 0,
            max: u32::MAX,
            ne: [0; MAX_FACTS],
            ne_len: 0,
            masks: [(0, 0); MAX_FACTS],
            holds: 0,
            masks_len: 0,
        }
    }

    fn excluded(&self) -> &[u32] {
        &self.ne[..usize::from(self.ne_len)]
    }

    /// The known masked values, `(mask, value, holds)`, in order.
    fn masks_known(&self) -> impl Iterator<Item = (u32, u32, bool)> + '_ {
        self.masks[..usize::from(self.masks_len)]
            .iter()
            .enumerate()
            .map(|(i, &(m, v))| (m, v, self.holds >> i & 1 == 1))
    }

    fn masked_eq(&self, mask: u32, value: u32) -> Option<bool> {
        if self.min == self.max {
            return Some(self.min & mask == value);
        }
        for (m, v, holds) in self.masks_known() {
            if m == mask && v == value {
                return Some(holds);
            }
            if holds && mask & !m == 0 {
                return Some(v & mask == value);
            }
        }
        if value == 0 && mask != 0 && self.max < 1 << mask.trailing_zeros() {
            return Some(true);
        }
        None
    }

    fn decide(&self, test: &Test) -> Option<bool> {
        if let Some(mask) = test.and {
            return if test.op == JmpOp::Eq {
                self.masked_eq(mask, test.k)
            } else {
                None
            };
        }
        match test.op {
            JmpOp::Eq => {
                let k = test.k;
                if k < self.min || k > self.max || self.excluded().contains(&k) {
                    Some(false)
                } else if self.min == self.max {
                    Some(true)
                } else if self.masks_known().any(|(m, v, holds)| holds && k & m != v) {
                    Some(false)
                } else {
                    None
                }
            }
            JmpOp::Gt if self.min > test.k => Some(true),
            JmpOp::Gt if self.max <= test.k => Some(false),
            JmpOp::Ge if self.min >= test.k => Some(true),
            JmpOp::Ge if self.max < test.k => Some(false),
            JmpOp::Set => self.masked_eq(test.k, 0).map(|zero| !zero),
            _ => None,
        }
    }

    fn learn(&mut self, test: &Test, holds: bool) {
        let (mask, value, eq) = match (test.and, test.op) {
            (Some(m), _) => (m, test.k, holds),
            (None, JmpOp::Set) => (test.k, 0, !holds),
            (None, JmpOp::Eq) if holds => {
                (self.min, self.max) = (test.k, test.k);
                self.ne = [0; MAX_FACTS];
                self.ne_len = 0;
                return;
            }
            (None, JmpOp::Eq) => {
                if usize::from(self.ne_len) < MAX_FACTS {
                    self.ne[usize::from(self.ne_len)] = test.k;
                    self.ne_len += 1;
                }
                self.tighten();
                return;
            }
            (None, JmpOp::Gt) => {
                if holds {
                    self.min = self.min.max(test.k + 1);
                } else {
                    self.max = self.max.min(test.k);
                }
                self.tighten();
                return;
            }
            (None, JmpOp::Ge) => {
                if holds {
                    self.min = self.min.max(test.k);
                } else {
                    self.max = self.max.min(test.k - 1);
                }
                self.tighten();
                return;
            }
        };
        let n = usize::from(self.masks_len);
        if n < MAX_FACTS {
            // Inserted in order.
            let fact = (mask, value, eq);
            let at = self
                .masks_known()
                .take_while(|&known| known <= fact)
                .count();
            self.masks.copy_within(at..n, at + 1);
            self.masks[at] = (mask, value);
            let holds = u16::from(self.holds);
            let (below, above) = (holds & ((1 << at) - 1), holds >> at << (at + 1));
            self.holds = (below | above | u16::from(eq) << at) as u8;
            self.masks_len += 1;
        }
    }

    /// Moves the bounds past excluded values and forgets exclusions outside them.
    fn tighten(&mut self) {
        while self.min < self.max && self.excluded().contains(&self.min) {
            self.min += 1;
        }
        while self.max > self.min && self.excluded().contains(&self.max) {
            self.max -= 1;
        }
        let (min, max) = (self.min, self.max);
        let mut kept = [0; MAX_FACTS];
        let mut n = 0;
        for &v in self.excluded() {
            if v >= min && v <= max {
                kept[n] = v;
                n += 1;
            }
        }
        kept[..n].sort_unstable();
        self.ne = kept;
        self.ne_len = n as u8;
    }
}

/// How many 32-bit words of arguments `seccomp_data` has (offsets 16 to 60).
const WORDS: usize = 12;

/// The index of the argument word at `offset` (16 to 60).
const fn word_index(offset: u32) -> usize {
    ((offset - 16) / 4) as usize
}

/// Knowledge about the argument words: for each, the id of its facts in
/// [`Tables::facts`] (0 for [`Facts::any`]).
type Knowledge = [u32; WORDS];

/// How many (chain node, knowledge) pairs one syscall may explore before the
/// walk stops using knowledge (which only removes tests, so is optional).
const WALK_BUDGET: usize = 2048;

/// What the knowledge walk remembers; cleared for each chain but kept (in a
/// [`Scratch`]) so that its memory is allocated once per compile.
#[derive(Default)]
struct Tables {
    /// The facts met so far, by id; id 0 is [`Facts::any`].
    facts: Interner<Facts>,
    /// The (chain node, knowledge) pairs explored, with their decisions.
    memo: Interner<(u32, Knowledge), NodeId>,
}

/// Memory the chains reuse from one syscall to the next (held by the
/// lowering context for the whole compile).
#[derive(Default)]
pub(crate) struct Scratch {
    chain: Vec<ChainNode>,
    tables: Tables,
}

struct Walk<'a> {
    chain: &'a Chain,
    dag: &'a mut Dag,
    tables: &'a mut Tables,
}

impl<'a> Walk<'a> {
    fn new(chain: &'a Chain, dag: &'a mut Dag, tables: &'a mut Tables) -> Self {
        tables.facts.clear();
        tables.facts.intern(Facts::any(), ());
        tables.memo.clear();
        Self { chain, dag, tables }
    }

    fn go(&mut self, next: Next, know: &Knowledge) -> NodeId {
        let i = match next {
            Next::Ret(v) => return self.dag.ret(v),
            Next::Node(i) => i,
        };
        let node = self.chain.nodes[i as usize];
        // Only what is known of the words tested from here on matters.
        let mut know_here: Knowledge = [0; WORDS];
        if self.tables.memo.len() < WALK_BUDGET {
            let mut words = node.words;
            while words != 0 {
                let w = words.trailing_zeros() as usize;
                know_here[w] = know[w];
                words &= words - 1;
            }
        }
        let key = (i, know_here);
        let hash = hash_of(&key);
        if let Some(m) = self.tables.memo.find_hashed(hash, &key) {
            return *self.tables.memo.value(m);
        }
        let know = &key.1;
        let w = word_index(node.test.offset);
        let id = match self.tables.facts.get(know[w]).decide(&node.test) {
            Some(true) => self.go(node.t, know),
            Some(false) => self.go(node.f, know),
            None => {
                let mut with = |holds: bool| {
                    let mut f = *self.tables.facts.get(know[w]);
                    f.learn(&node.test, holds);
                    let mut k = *know;
                    k[w] = self.tables.facts.intern(f, ());
                    k
                };
                let (kt, kf) = (with(true), with(false));
                let t = self.go(node.t, &kt);
                let f = self.go(node.f, &kf);
                self.dag.branch(node.test, t, f)
            }
        };
        // The pair is new: the chain has no cycle, so it was not met below.
        self.tables.memo.intern_hashed(hash, key, id);
        id
    }
}

/// The decision for `arms` (sorted) as a chain of their conditions, walked with
/// knowledge.
pub(crate) fn decision(dag: &mut Dag, scratch: &mut Scratch, ctx: &Ctx, arms: &[Arm]) -> NodeId {
    let abi = ctx.abi;
    let mut chain = Chain {
        nodes: core::mem::take(&mut scratch.chain),
    };
    chain.nodes.clear();
    // At most three tests per condition.
    chain
        .nodes
        .reserve(3 * arms.iter().map(|a| a.conds.len()).sum::<usize>());
    let mut next = Next::Ret(ctx.default);
    for arm in arms.iter().rev() {
        let mut ok = Next::Ret(arm.action.to_raw());
        for c in arm.conds.iter().rev() {
            ok = condition_chain(&mut chain, abi, c, ok, next);
        }
        next = ok;
    }
    let root = if chain.nodes.len() > ctx.max_walk {
        // Children come before parents in the chain: translate in order.
        let mut ids: Vec<NodeId> = Vec::with_capacity(chain.nodes.len());
        for node in &chain.nodes {
            let mut get = |n: Next| match n {
                Next::Node(i) => ids[i as usize],
                Next::Ret(v) => dag.ret(v),
            };
            let (t, f) = (get(node.t), get(node.f));
            ids.push(dag.branch(node.test, t, f));
        }
        match next {
            Next::Node(i) => ids[i as usize],
            Next::Ret(v) => dag.ret(v),
        }
    } else {
        Walk::new(&chain, dag, &mut scratch.tables).go(next, &[0; WORDS])
    };
    scratch.chain = chain.nodes;
    root
}

fn condition_chain(chain: &mut Chain, abi: Abi, c: &Condition, t: Next, f: Next) -> Next {
    chain.condition(arg_words(abi, c.index(), c.width()), c.cmp(), t, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_facts_are_kept_in_one_order() {
        let masked = |and, k| Test {
            offset: 16,
            and: Some(and),
            op: JmpOp::Eq,
            k,
        };
        let facts = [
            (masked(0xf0, 0x10), true),
            (masked(0x0f, 0x01), false),
            (masked(0xf0, 0x20), false),
            (masked(0x0f, 0x01), true),
            (masked(0x300, 0), true),
        ];
        let learn = |order: &[usize]| {
            let mut f = Facts::any();
            for &i in order {
                f.learn(&facts[i].0, facts[i].1);
            }
            f
        };
        let a = learn(&[0, 1, 2, 3, 4]);
        let known: Vec<(u32, u32, bool)> = a.masks_known().collect();
        let mut sorted = known.clone();
        sorted.sort_unstable();
        assert_eq!(known, sorted);
        assert_eq!(known.len(), facts.len());
        // Learnt in another order, the facts are the same (so interned once).
        for order in [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 3, 0, 4, 2]] {
            let b = learn(&order);
            assert_eq!(b, a, "{order:?}");
            assert_eq!(hash_of(&b), hash_of(&a), "{order:?}");
        }
    }

    #[test]
    fn facts_decide_what_they_know() {
        let mut f = Facts::any();
        f.learn(&Test::word(16, JmpOp::Gt, 10), false);
        assert_eq!(f.decide(&Test::word(16, JmpOp::Eq, 11)), Some(false));
        assert_eq!(f.decide(&Test::word(16, JmpOp::Ge, 11)), Some(false));
        assert_eq!(f.decide(&Test::word(16, JmpOp::Set, 16)), Some(false));
        assert_eq!(f.decide(&Test::word(16, JmpOp::Eq, 3)), None);
        f.learn(&Test::word(16, JmpOp::Eq, 10), false);
        assert_eq!((f.min, f.max), (0, 9));
        f.learn(&Test::word(16, JmpOp::Eq, 4), false);
        assert_eq!(f.decide(&Test::word(16, JmpOp::Eq, 4)), Some(false));
        f.learn(&Test::word(16, JmpOp::Set, 1), true);
        assert_eq!(f.decide(&Test::word(16, JmpOp::Eq, 8)), None);
        let masked = Test {
            offset: 16,
            and: Some(3),
            op: JmpOp::Eq,
            k: 1,
        };
        f.learn(&masked, true);
        assert_eq!(f.decide(&masked), Some(true));
        assert_eq!(f.decide(&Test::word(16, JmpOp::Eq, 8)), Some(false));
        assert_eq!(f.decide(&Test::word(16, JmpOp::Set, 1)), Some(true));
    }
}
