//! The compiler's intermediate form: a hash-consed decision DAG.
//!
//! A node is either a return value or a test of one 32-bit word of
//! `seccomp_data` with a true and a false successor. Nodes are unique: building
//! a node equal to an existing one returns the existing one, and a test whose two
//! successors are equal is never built (its successor is returned instead). So
//! equal decisions have equal ids (which is how syscall ranges merge), identical
//! return blocks and argument checks are shared, and useless tests vanish.
//! Children are always built before their parents, so a child's id is smaller
//! than its parent's: decreasing ids are a topological order.

use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

/// Index of a node in a [`Dag`].
pub(crate) type NodeId = u32;

/// A conditional jump's comparison (`BPF_JMP | op | BPF_K`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum JmpOp {
    /// `A == k`
    Eq,
    /// `A > k`
    Gt,
    /// `A >= k`
    Ge,
    /// `A & k != 0`
    Set,
}

impl JmpOp {
    /// The BPF opcode bits of the comparison.
    pub(crate) const fn code(self) -> u16 {
        use seccompy_sys::*;
        BPF_JMP
            | BPF_K
            | match self {
                JmpOp::Eq => BPF_JEQ,
                JmpOp::Gt => BPF_JGT,
                JmpOp::Ge => BPF_JGE,
                JmpOp::Set => BPF_JSET,
            }
    }

    /// Evaluates the comparison.
    pub(crate) const fn eval(self, a: u32, k: u32) -> bool {
        match self {
            JmpOp::Eq => a == k,
            JmpOp::Gt => a > k,
            JmpOp::Ge => a >= k,
            JmpOp::Set => a & k != 0,
        }
    }
}

/// A test: load the word at `offset`, optionally AND it with `and`, compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Test {
    /// Byte offset of the word in `seccomp_data`.
    pub offset: u32,
    /// A mask applied to the word before the comparison (`BPF_ALU | BPF_AND`).
    pub and: Option<u32>,
    /// The comparison.
    pub op: JmpOp,
    /// Its constant.
    pub k: u32,
}

impl Test {
    /// A comparison of the plain word.
    pub(crate) const fn word(offset: u32, op: JmpOp, k: u32) -> Self {
        Self {
            offset,
            and: None,
            op,
            k,
        }
    }

    /// The test's outcome on a word value.
    pub(crate) const fn eval(&self, word: u32) -> bool {
        let a = match self.and {
            Some(m) => word & m,
            None => word,
        };
        self.op.eval(a, self.k)
    }

    /// The outcome if it does not depend on the word.
    fn constant(&self) -> Option<bool> {
        let max = self.and.unwrap_or(u32::MAX);
        match self.op {
            _ if max == 0 => Some(self.op.eval(0, self.k)),
            JmpOp::Eq if self.k & !max != 0 => Some(false),
            JmpOp::Gt if self.k >= max => Some(false),
            JmpOp::Ge if self.k == 0 => Some(true),
            JmpOp::Ge if self.k > max => Some(false),
            JmpOp::Set if self.k & max == 0 => Some(false),
            _ => None,
        }
    }
}

/// A DAG node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Node {
    /// Return this value.
    Ret(u32),
    /// Go to `t` if the test holds, to `f` otherwise.
    Branch {
        /// The test.
        test: Test,
        /// Successor when true.
        t: NodeId,
        /// Successor when false.
        f: NodeId,
    },
}

/// How many nodes a DAG has room for before it grows (a small policy's).
const INITIAL_NODES: usize = 256;

/// A hash-consed DAG of decisions.
#[derive(Default)]
pub(crate) struct Dag {
    nodes: Interner<Node>,
    /// Return nodes by a hash of their value (most decisions return one of a
    /// few actions): `(value, id)`.
    rets: [Option<(u32, NodeId)>; RET_CACHE],
}

/// How many return nodes [`Dag::ret`] finds without hashing.
const RET_CACHE: usize = 8;

/// A multiply-rotate hash over the words of a value (the compiler hashes a
/// few integers at a time).
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes at a time (arrays of integers come as their bytes).
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// The hash an [`Interner`] files `value` under.
pub(crate) fn hash_of<T: Hash>(value: &T) -> usize {
    let mut h = WordHasher(0);
    value.hash(&mut h);
    // The high bits are the best mixed.
    (h.finish() >> 32) as usize
}

/// Unique keys, each with a dense id (its rank of insertion) and a value,
/// found by hash: the DAG's nodes, and the memos of modules `args` and
/// `argtree`.
#[derive(Clone, Debug)]
pub(crate) struct Interner<K, V = ()> {
    keys: Vec<K>,
    values: Vec<V>,
    /// Open-addressing index of `keys` by hash, power-of-two sized (or
    /// empty), at most half full: `0` is empty, else a key's id plus one.
    slots: Vec<u32>,
}

impl<K, V> Default for Interner<K, V> {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            values: Vec::new(),
            slots: Vec::new(),
        }
    }
}

impl<K: Hash + Eq, V> Interner<K, V> {
    /// An interner with room for `n` keys before it grows.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            keys: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            slots: alloc::vec![0; (2 * n).next_power_of_two().max(64)],
        }
    }

    /// The key with this id.
    pub(crate) fn get(&self, id: u32) -> &K {
        &self.keys[id as usize]
    }

    /// The value of the key with this id.
    pub(crate) fn value(&self, id: u32) -> &V {
        &self.values[id as usize]
    }

    /// How many keys were added.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Forgets every key (keeping the memory).
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.values.clear();
        self.slots.fill(0);
    }

    /// The id of `key`, if it was added, for a key of hash `hash`
    /// ([`hash_of`]; a caller that then interns the key hashes it once).
    pub(crate) fn find_hashed(&self, hash: usize, key: &K) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            if self.keys[slot as usize - 1] == *key {
                return Some(slot - 1);
            }
            at = (at + 1) & mask;
        }
    }

    /// The id of `key`, added with `value` if it is new (else `value` is
    /// dropped).
    pub(crate) fn intern(&mut self, key: K, value: V) -> u32 {
        self.intern_hashed(hash_of(&key), key, value)
    }

    /// [`Interner::intern`] for a key of hash `hash` ([`hash_of`]).
    pub(crate) fn intern_hashed(&mut self, hash: usize, key: K, value: V) -> u32 {
        if 2 * (self.keys.len() + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = hash & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if self.keys[slot as usize - 1] == key {
                return slot - 1;
            }
            at = (at + 1) & mask;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key);
        self.values.push(value);
        self.slots[at] = id + 1;
        id
    }

    /// Doubles the index (at least 64 slots) and re-inserts every value; the
    /// values get room for as many as the index takes.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(64);
        self.slots = alloc::vec![0; size];
        self.keys.reserve_exact(size / 2 - self.keys.len());
        self.values.reserve_exact(size / 2 - self.values.len());
        let mask = size - 1;
        for (i, key) in self.keys.iter().enumerate() {
            let mut at = hash_of(key) & mask;
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = i as u32 + 1;
        }
    }
}

impl Dag {
    pub(crate) fn new() -> Self {
        Self {
            nodes: Interner::with_capacity(INITIAL_NODES),
            rets: [None; RET_CACHE],
        }
    }

    /// The node with this id.
    pub(crate) fn node(&self, id: NodeId) -> Node {
        *self.nodes.get(id)
    }

    /// How many nodes were built.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    fn intern(&mut self, node: Node) -> NodeId {
        self.nodes.intern(node, ())
    }

    /// The node returning `value`.
    pub(crate) fn ret(&mut self, value: u32) -> NodeId {
        let slot = (value ^ value >> 16) as usize % RET_CACHE;
        match self.rets[slot] {
            Some((v, id)) if v == value => id,
            _ => {
                let id = self.intern(Node::Ret(value));
                self.rets[slot] = Some((value, id));
                id
            }
        }
    }

    /// The node testing `test`, or a successor if the test is useless.
    pub(crate) fn branch(&mut self, mut test: Test, t: NodeId, f: NodeId) -> NodeId {
        if t == f {
            return t;
        }
        if test.and == Some(u32::MAX) {
            test.and = None;
        }
        match test.constant() {
            Some(true) => t,
            Some(false) => f,
            None => self.intern(Node::Branch { test, t, f }),
        }
    }

    /// Follows the DAG from `root` for the words `word(offset)` gives, returning
    /// the value reached and the number of tests on the way.
    #[cfg(test)]
    pub(crate) fn run(&self, root: NodeId, word: impl Fn(u32) -> u32) -> (u32, usize) {
        let mut id = root;
        let mut steps = 0;
        loop {
            match self.node(id) {
                Node::Ret(v) => return (v, steps),
                Node::Branch { test, t, f } => {
                    steps += 1;
                    id = if test.eval(word(test.offset)) { t } else { f };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_consing_and_reductions() {
        let mut d = Dag::new();
        let a = d.ret(1);
        let b = d.ret(2);
        assert_eq!(d.ret(1), a);
        let t = Test::word(0, JmpOp::Eq, 5);
        let n = d.branch(t, a, b);
        assert_eq!(d.branch(t, a, b), n);
        assert_eq!(d.branch(t, a, a), a);
        // Constant tests disappear.
        assert_eq!(d.branch(Test::word(0, JmpOp::Ge, 0), a, b), a);
        assert_eq!(d.branch(Test::word(0, JmpOp::Set, 0), a, b), b);
        assert_eq!(d.branch(Test::word(0, JmpOp::Gt, u32::MAX), a, b), b);
        let masked = Test {
            offset: 16,
            and: Some(0xf0),
            op: JmpOp::Eq,
            k: 0x01,
        };
        assert_eq!(d.branch(masked, a, b), b);
        let full = Test {
            offset: 16,
            and: Some(u32::MAX),
            op: JmpOp::Eq,
            k: 7,
        };
        let plain = d.branch(Test::word(16, JmpOp::Eq, 7), a, b);
        assert_eq!(d.branch(full, a, b), plain);
        assert_eq!(d.len(), 4);
        assert_eq!(d.run(plain, |_| 7), (1, 1));
        assert_eq!(d.run(plain, |_| 8), (2, 1));
    }
}
