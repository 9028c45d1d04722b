//! A label assembler: build a program with symbolic forward jumps, and let
//! [`Assembler::finish`] compute offsets, inserting `JA` trampolines where a
//! conditional jump would be farther than its 8-bit offset can reach.

use alloc::vec::Vec;

use seccompy_sys::{BPF_JA, BPF_JMP, BPF_MAXINSNS};

use crate::program::{Insn, Program};

/// A position in the program, to jump to. Made by [`Assembler::label`], placed by
/// [`Assembler::bind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(u32);

impl Label {
    /// The label's index, in the order the assembler made them.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why [`Assembler::finish`] could not make a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssembleError {
    /// A jump names a label that was never bound.
    #[error("label {} is jumped to but never bound", .0.index())]
    UnboundLabel(Label),
    /// A label was bound twice.
    #[error("label {} is bound twice", .0.index())]
    DoubleBind(Label),
    /// A jump goes backwards or to itself: classic BPF only jumps forward.
    #[error("label {} is bound before a jump to it; classic BPF jumps only forward", .0.index())]
    BackwardJump(Label),
    /// A label is bound after the last instruction, so a jump to it would leave the program.
    #[error("label {} is bound after the last instruction", .0.index())]
    PastEnd(Label),
    /// The program, trampolines included, is longer than the kernel accepts.
    #[error("the program needs {len} instructions, more than the kernel's limit of 4096")]
    TooLong {
        /// The length the program would have.
        len: usize,
    },
}

#[derive(Clone, Copy, Debug)]
enum Item {
    Insn(Insn),
    Cond {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
    Ja(Label),
}

/// Builds a program with symbolic labels.
///
/// ```
/// use seccompy_bpf::assembler::Assembler;
/// use seccompy_sys::*;
///
/// let mut a = Assembler::new();
/// let (allow, deny) = (a.label(), a.label());
/// a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
/// a.jump(BPF_JMP | BPF_JEQ | BPF_K, 39, allow, deny);
/// a.bind(allow);
/// a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
/// a.bind(deny);
/// a.stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
/// let prog = a.finish().unwrap();
/// assert_eq!(prog.insns()[1].jt, 0);
/// assert_eq!(prog.insns()[1].jf, 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Assembler {
    items: Vec<Item>,
    /// For each label, the index of the item it stands before.
    bound: Vec<Option<usize>>,
    error: Option<AssembleError>,
}

impl Assembler {
    /// An empty assembler.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty assembler with room for `insns` instructions and `labels`
    /// labels before it allocates again.
    #[must_use]
    pub fn with_capacity(insns: usize, labels: usize) -> Self {
        Self {
            items: Vec::with_capacity(insns),
            bound: Vec::with_capacity(labels),
            error: None,
        }
    }

    /// Makes a new, unbound label.
    pub fn label(&mut self) -> Label {
        let l = Label(self.bound.len() as u32);
        self.bound.push(None);
        l
    }

    /// Binds `label` to the next instruction emitted.
    pub fn bind(&mut self, label: Label) {
        match self.bound.get_mut(label.index()) {
            Some(slot @ None) => *slot = Some(self.items.len()),
            _ => {
                self.error.get_or_insert(AssembleError::DoubleBind(label));
            }
        }
    }

    /// Emits a non-jump instruction (or a jump with literal offsets).
    pub fn insn(&mut self, insn: Insn) {
        self.items.push(Item::Insn(insn));
    }

    /// Emits a non-jump instruction built from its opcode and `k`.
    pub fn stmt(&mut self, code: u16, k: u32) {
        self.insn(seccompy_sys::bpf_stmt(code, k));
    }

    /// Emits a conditional jump to `jt` when true and `jf` when false. `code` must be
    /// a `BPF_JMP` opcode other than `BPF_JA`.
    pub fn jump(&mut self, code: u16, k: u32, jt: Label, jf: Label) {
        self.items.push(Item::Cond { code, k, jt, jf });
    }

    /// Emits an unconditional jump (`JA`) to `target`.
    pub fn ja(&mut self, target: Label) {
        self.items.push(Item::Ja(target));
    }

    /// The number of instructions emitted so far, without trampolines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing has been emitted yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn target(&self, from: usize, l: Label) -> Result<usize, AssembleError> {
        let at = self
            .bound
            .get(l.index())
            .copied()
            .flatten()
            .ok_or(AssembleError::UnboundLabel(l))?;
        if at <= from {
            return Err(AssembleError::BackwardJump(l));
        }
        if at >= self.items.len() {
            return Err(AssembleError::PastEnd(l));
        }
        Ok(at)
    }

    /// Resolves every label and returns the program.
    ///
    /// A conditional jump whose target is more than 255 instructions away jumps to
    /// a `JA` placed right after it, which reaches any distance; the layout is
    /// recomputed until every offset fits.
    pub fn finish(self) -> Result<Program, AssembleError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let n = self.items.len();
        // Targets as item indices, checked once.
        let mut targets: Vec<(usize, usize)> = Vec::with_capacity(n);
        for (i, item) in self.items.iter().enumerate() {
            targets.push(match *item {
                Item::Insn(_) => (0, 0),
                Item::Cond { jt, jf, .. } => (self.target(i, jt)?, self.target(i, jf)?),
                Item::Ja(t) => {
                    let t = self.target(i, t)?;
                    (t, t)
                }
            });
        }
        // Trampolines after each item: 0, 1 (one far target, or both the same) or 2.
        let mut tramp = alloc::vec![0u8; n];
        let mut pos = alloc::vec![0usize; n + 1];
        loop {
            for i in 0..n {
                pos[i + 1] = pos[i] + 1 + tramp[i] as usize;
            }
            let mut changed = false;
            for i in 0..n {
                if let Item::Cond { .. } = self.items[i] {
                    let (t, f) = targets[i];
                    let next = pos[i] + 1;
                    let far_t = pos[t] - next > 255;
                    let far_f = pos[f] - next > 255;
                    let need = match (far_t, far_f) {
                        (false, false) => 0,
                        (true, true) if t == f => 1,
                        (true, true) => 2,
                        _ => 1,
                    };
                    if need > tramp[i] {
                        tramp[i] = need;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let len = pos[n];
        if len > BPF_MAXINSNS {
            return Err(AssembleError::TooLong { len });
        }
        let mut out = Vec::with_capacity(len);
        let ja = |from: usize, to: usize| Insn {
            code: BPF_JMP | BPF_JA,
            jt: 0,
            jf: 0,
            k: (to - from - 1) as u32,
        };
        for (i, item) in self.items.iter().enumerate() {
            let p = pos[i];
            match *item {
                Item::Insn(insn) => out.push(insn),
                Item::Ja(_) => out.push(ja(p, pos[targets[i].0])),
                Item::Cond { code, k, .. } => {
                    let (t, f) = (pos[targets[i].0], pos[targets[i].1]);
                    let next = p + 1;
                    let far_t = t - next > 255;
                    let far_f = f - next > 255;
                    // Trampoline slots right after the jump, at p+1 and p+2.
                    let (jt, jf, tramps): (usize, usize, &[usize]) = match (far_t, far_f) {
                        (false, false) => (t - next, f - next, &[]),
                        (true, false) => (0, f - next, &[t]),
                        (false, true) => (t - next, 0, &[f]),
                        (true, true) if t == f => (0, 0, &[t]),
                        (true, true) => (0, 1, &[t, f]),
                    };
                    debug_assert_eq!(tramps.len(), tramp[i] as usize);
                    out.push(Insn {
                        code,
                        jt: jt as u8,
                        jf: jf as u8,
                        k,
                    });
                    for (j, &to) in tramps.iter().enumerate() {
                        out.push(ja(next + j, to));
                    }
                }
            }
        }
        Ok(Program::new(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::*;

    #[test]
    fn far_jumps_get_trampolines() {
        let mut a = Assembler::new();
        let (far, near) = (a.label(), a.label());
        a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
        a.jump(BPF_JMP | BPF_JEQ | BPF_K, 1, far, near);
        a.bind(near);
        for _ in 0..300 {
            a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1);
        }
        a.bind(far);
        a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        let p = a.finish().unwrap();
        let i = p.insns();
        assert_eq!(i.len(), 304);
        // jt goes to the trampoline right after the jump, jf skips it.
        assert_eq!((i[1].jt, i[1].jf), (0, 1));
        assert_eq!(i[2].code, BPF_JMP | BPF_JA);
        assert_eq!(3 + i[2].k as usize, 303);
        assert_eq!(i[303].k, SECCOMP_RET_ALLOW);
    }

    #[test]
    fn both_far_and_distinct() {
        let mut a = Assembler::new();
        let (x, y) = (a.label(), a.label());
        a.jump(BPF_JMP | BPF_JGT | BPF_K, 5, x, y);
        for _ in 0..256 {
            a.stmt(BPF_RET | BPF_K, 0);
        }
        a.bind(x);
        for _ in 0..256 {
            a.stmt(BPF_RET | BPF_K, 1);
        }
        a.bind(y);
        a.stmt(BPF_RET | BPF_K, 2);
        let p = a.finish().unwrap();
        let i = p.insns();
        assert_eq!((i[0].jt, i[0].jf), (0, 1));
        assert_eq!(2 + i[1].k as usize, 3 + 256);
        assert_eq!(3 + i[2].k as usize, 3 + 512);
        assert_eq!(i[3 + 512].k, 2);
    }

    #[test]
    fn errors() {
        let mut a = Assembler::new();
        let l = a.label();
        a.ja(l);
        assert_eq!(a.clone().finish(), Err(AssembleError::UnboundLabel(l)));
        a.bind(l);
        assert_eq!(a.clone().finish(), Err(AssembleError::PastEnd(l)));
        a.bind(l);
        a.stmt(BPF_RET | BPF_K, 0);
        assert_eq!(a.finish(), Err(AssembleError::DoubleBind(l)));

        let mut b = Assembler::new();
        let l = b.label();
        b.bind(l);
        b.ja(l);
        b.stmt(BPF_RET | BPF_K, 0);
        assert_eq!(b.finish(), Err(AssembleError::BackwardJump(l)));

        let mut c = Assembler::new();
        for _ in 0..4097 {
            c.stmt(BPF_RET | BPF_K, 0);
        }
        assert_eq!(c.finish(), Err(AssembleError::TooLong { len: 4097 }));
    }
}
