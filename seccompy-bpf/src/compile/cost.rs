//! What the code generator will make of a DAG node, counted on the DAG: the
//! instructions a node runs on the common path ([`leaf_cost`]), the most it
//! can run ([`Paths`]), and how many tests it brings to the program ([`size`]).
//! The search trees are shaped with these; they count loads as module
//! `codegen` emits them.

use alloc::vec::Vec;

use super::dag::{Dag, Interner, Node, NodeId, hash_of};

/// The instructions a decision node runs once reached with the syscall number
/// in `A` (its loads, tests and `RET`) when every argument is 0, the most
/// common value of flag arguments: what the tree's depth bound counts for a
/// leaf. (Counting the longest path instead would let every plain leaf sink as
/// deep as the worst argument check.)
pub(crate) fn leaf_cost(dag: &Dag, n: NodeId) -> u32 {
    let mut a: Option<(u32, Option<u32>)> = None;
    let mut id = n;
    let mut count = 0;
    loop {
        match dag.node(id) {
            Node::Ret(_) => return count + 1,
            Node::Branch { test, t, f } => {
                let word = (test.offset, test.and);
                if a != Some(word) {
                    count += if a == Some((test.offset, None)) {
                        1
                    } else {
                        1 + u32::from(test.and.is_some())
                    };
                    a = Some(word);
                }
                count += 1;
                // Every argument is 0 (the number and arch are never tested
                // in a leaf).
                id = if test.eval(0) { t } else { f };
            }
        }
    }
}

/// The accumulator's content: the word at an offset, masked or not.
type AWord = Option<(u32, Option<u32>)>;

/// Longest paths in instructions (loads, tests, the `RET`), memoised by node
/// and accumulator. (DAG nodes never change, so the memo holds as long as
/// the DAG.)
#[derive(Default)]
pub(crate) struct Paths {
    memo: Interner<(NodeId, AWord), u32>,
}

impl Paths {
    /// The most instructions run from `id` with `a` in the accumulator (a load
    /// counted when a test needs another word, as the code generator does).
    pub(crate) fn longest(&mut self, dag: &Dag, id: NodeId, a: AWord) -> u32 {
        let Node::Branch { test, t, f } = dag.node(id) else {
            return 1;
        };
        let hash = hash_of(&(id, a));
        if let Some(m) = self.memo.find_hashed(hash, &(id, a)) {
            return *self.memo.value(m);
        }
        let word = Some((test.offset, test.and));
        let load = if a == word {
            0
        } else if a == Some((test.offset, None)) {
            1
        } else {
            1 + u32::from(test.and.is_some())
        };
        let n = load + 1 + self.longest(dag, t, word).max(self.longest(dag, f, word));
        // The pair is new: below `id` are only nodes with smaller ids.
        self.memo.intern_hashed(hash, (id, a), n);
        n
    }
}

/// The number of distinct tests reachable from `id`; `seen` (one bit per
/// node, all clear) is left with their bits set.
pub(crate) fn size(dag: &Dag, id: NodeId, seen: &mut [u64]) -> usize {
    let mut stack = Vec::with_capacity(64);
    stack.push(id);
    let mut n = 0;
    while let Some(id) = stack.pop() {
        let (word, bit) = (id as usize / 64, 1 << (id % 64));
        if let Node::Branch { t, f, .. } = dag.node(id)
            && seen[word] & bit == 0
        {
            seen[word] |= bit;
            n += 1;
            stack.extend([t, f]);
        }
    }
    n
}
