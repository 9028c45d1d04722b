//! From the decision DAG to BPF instructions.
//!
//! - **Layout.** Test nodes are placed in reverse post-order of a depth-first walk
//!   that visits a node's true successor last, so each node comes before
//!   everything it jumps to (classic BPF only jumps forward) and the true
//!   successor (the matching arch's tree, for the arch checks) right after it.
//!   Only nodes reachable from the root are placed (dead code never exists).
//! - **Shared return blocks.** All jumps to one return value share one `RET`
//!   placed after them, close enough for an 8-bit jump offset: a pending `RET` is
//!   flushed between two nodes before the first jump to it would go out of
//!   reach, and later jumps to the same value use a new copy. The label assembler
//!   adds a `JA` trampoline for the rare jump that still does not reach.
//! - **Redundant loads.** A node loads its word only if `A` does not already hold
//!   it on every way in: the accumulator's content after each node is known (the
//!   word it tested, masked or not), and a node's input is the common value of
//!   its predecessors' outputs. So the syscall number is loaded once per arch,
//!   and an argument word tested several times in a row is loaded once.

use alloc::vec;
use alloc::vec::Vec;

use seccompy_sys::{BPF_ABS, BPF_ALU, BPF_AND, BPF_K, BPF_LD, BPF_RET, BPF_W};

use super::dag::{Dag, Node, NodeId};
use crate::assembler::{AssembleError, Assembler, Label};
use crate::program::Program;

/// What the accumulator holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AState {
    /// Not known yet (no predecessor seen).
    Unset,
    /// Nothing known.
    Unknown,
    /// The word at this offset, masked with `and` if any.
    Word(u32, Option<u32>),
}

impl AState {
    fn meet(self, other: AState) -> AState {
        match (self, other) {
            (AState::Unset, x) | (x, AState::Unset) => x,
            (a, b) if a == b => a,
            _ => AState::Unknown,
        }
    }
}

/// How far (in instructions) a pending `RET` may be from its first jump before
/// it is placed. An 8-bit offset reaches 255; the margin covers the node being
/// placed and the other pending returns.
const RET_REACH: usize = 240;

/// Places the DAG below `root` as a program.
pub(crate) fn emit(dag: &Dag, root: NodeId) -> Result<Program, AssembleError> {
    let order = layout(dag, root);
    // Each test: its jump and, when the accumulator lacks its word, a load
    // (rarely a mask too); then the returns. Room for the common case.
    let mut asm = Assembler::with_capacity(2 * order.len() + 8, order.len() + 8);
    if order.is_empty() {
        if let Node::Ret(v) = dag.node(root) {
            asm.stmt(BPF_RET | BPF_K, v);
        }
        return asm.finish();
    }
    // Accumulator content on entry to each node, by node id.
    let mut state: Vec<AState> = vec![AState::Unset; dag.len()];
    if let Some(s) = state.get_mut(root as usize) {
        *s = AState::Unknown;
    }
    for &id in &order {
        if let Node::Branch { test, t, f } = dag.node(id) {
            let out = AState::Word(test.offset, test.and);
            for c in [t, f] {
                if let Some(s) = state.get_mut(c as usize) {
                    *s = s.meet(out);
                }
            }
        }
    }
    // Each test node's label, by node id, made when first needed.
    let mut labels: Vec<Option<Label>> = vec![None; dag.len()];
    let mut label_of = |asm: &mut Assembler, n: NodeId| match labels.get_mut(n as usize) {
        Some(slot) => *slot.get_or_insert_with(|| asm.label()),
        None => asm.label(),
    };
    // Pending returns: value -> (label, position of the first jump to it).
    let mut pending: Vec<(u32, Label, usize)> = Vec::new();
    let flush = |asm: &mut Assembler, pending: &mut Vec<(u32, Label, usize)>| {
        for (v, l, _) in pending.drain(..) {
            asm.bind(l);
            asm.stmt(BPF_RET | BPF_K, v);
        }
    };
    for &id in &order {
        let Node::Branch { test, t, f } = dag.node(id) else {
            continue;
        };
        let here = asm.len();
        if pending
            .iter()
            .any(|&(_, _, first)| here + 3 + pending.len() - first > RET_REACH)
        {
            flush(&mut asm, &mut pending);
        }
        let l = label_of(&mut asm, id);
        asm.bind(l);
        match state.get(id as usize).copied().unwrap_or(AState::Unknown) {
            AState::Word(off, and) if off == test.offset && and == test.and => {}
            AState::Word(off, None) if off == test.offset => {
                if let Some(m) = test.and {
                    asm.stmt(BPF_ALU | BPF_AND | BPF_K, m);
                }
            }
            _ => {
                asm.stmt(BPF_LD | BPF_W | BPF_ABS, test.offset);
                if let Some(m) = test.and {
                    asm.stmt(BPF_ALU | BPF_AND | BPF_K, m);
                }
            }
        }
        let at = asm.len();
        let mut target = |asm: &mut Assembler, n: NodeId| match dag.node(n) {
            Node::Branch { .. } => label_of(asm, n),
            Node::Ret(v) => match pending.iter().find(|p| p.0 == v) {
                Some(p) => p.1,
                None => {
                    let l = asm.label();
                    pending.push((v, l, at));
                    l
                }
            },
        };
        let (lt, lf) = (target(&mut asm, t), target(&mut asm, f));
        asm.jump(test.op.code(), test.k, lt, lf);
    }
    flush(&mut asm, &mut pending);
    asm.finish()
}

/// The test nodes reachable from `root`, parents before children, each node's
/// true successor as close after it as the order allows.
fn layout(dag: &Dag, root: NodeId) -> Vec<NodeId> {
    let mut seen = vec![false; dag.len()];
    let mut post: Vec<NodeId> = Vec::with_capacity(dag.len());
    // Iterative depth-first walk: (node, children pushed yet).
    let mut stack: Vec<(NodeId, bool)> = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            post.push(id);
            continue;
        }
        if seen[id as usize] {
            continue;
        }
        let Node::Branch { t, f, .. } = dag.node(id) else {
            continue;
        };
        seen[id as usize] = true;
        stack.push((id, true));
        // Visited first: f; last: t, so t ends up right after the node.
        stack.push((t, false));
        stack.push((f, false));
    }
    post.reverse();
    post
}

#[cfg(test)]
mod tests {
    use super::super::dag::{JmpOp, Test};
    use super::*;
    use seccompy_sys::*;

    #[test]
    fn loads_once_and_shares_returns() {
        let mut d = Dag::new();
        let (allow, deny) = (d.ret(SECCOMP_RET_ALLOW), d.ret(SECCOMP_RET_KILL_PROCESS));
        let c = d.branch(Test::word(0, JmpOp::Eq, 3), allow, deny);
        let b = d.branch(Test::word(0, JmpOp::Eq, 2), allow, c);
        let a = d.branch(Test::word(4, JmpOp::Eq, AUDIT_ARCH_X86_64), b, deny);
        let p = emit(&d, a).unwrap();
        let i = p.insns();
        // ld arch; jeq; ld nr; jeq 2; jeq 3; ret allow; ret kill
        assert_eq!(i.len(), 7, "{p:?}");
        assert_eq!(
            i.iter()
                .filter(|x| x.code == BPF_LD | BPF_W | BPF_ABS)
                .count(),
            2
        );
        assert_eq!(i.iter().filter(|x| x.code == BPF_RET | BPF_K).count(), 2);
    }

    #[test]
    fn far_returns_get_copies() {
        let mut d = Dag::new();
        let (allow, deny) = (d.ret(SECCOMP_RET_ALLOW), d.ret(SECCOMP_RET_KILL_PROCESS));
        let mut next = deny;
        for k in 0..600 {
            next = d.branch(Test::word(0, JmpOp::Eq, k), allow, next);
        }
        let p = emit(&d, next).unwrap();
        let i = p.insns();
        let rets = i.iter().filter(|x| x.code == BPF_RET | BPF_K).count();
        assert!(rets >= 4, "{rets}");
        // No trampoline was needed.
        assert!(i.iter().all(|x| x.code != BPF_JMP | BPF_JA));
        assert_eq!(i.len(), 1 + 600 + rets);
    }
}
