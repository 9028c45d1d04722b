//! Syscall-number ranges: the decision for every `nr` of one audit arch, as a
//! sorted list of maximal ranges of numbers with the same decision.
//!
//! Numbers that no rule names get the default action, so ranges merge across
//! numbers unknown to the ABI. Under `AUDIT_ARCH_X86_64`, x86_64 and x32 calls
//! are told apart by the x32 bit, so one list covers both: numbers of an ABI the
//! policy lacks get the bad-arch action.

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};

use super::dag::NodeId;

/// A maximal range of numbers with one decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    /// First number.
    pub lo: u32,
    /// Last number (inclusive).
    pub hi: u32,
    /// The decision.
    pub node: NodeId,
}

/// Whether, under its audit arch, a call numbered `nr` is one of `abi`.
pub(crate) fn abi_owns(abi: Abi, nr: u32) -> bool {
    match abi {
        Abi::X86_64 => !Abi::is_x32_nr(nr),
        Abi::X32 => Abi::is_x32_nr(nr),
        _ => true,
    }
}

/// Whether every number of `lo..=hi` belongs to `abi` (see [`abi_owns`]).
pub(crate) fn abi_owns_all(abi: Abi, lo: u32, hi: u32) -> bool {
    match abi {
        Abi::X86_64 => hi < X32_SYSCALL_BIT || lo == u32::MAX,
        Abi::X32 => lo >= X32_SYSCALL_BIT && hi < u32::MAX,
        _ => true,
    }
}

/// The numbers a call of `abi` can have under its audit arch, as inclusive
/// intervals.
pub(crate) fn owned(abi: Abi) -> &'static [(u32, u32)] {
    match abi {
        Abi::X86_64 => &[(0, X32_SYSCALL_BIT - 1), (u32::MAX, u32::MAX)],
        Abi::X32 => &[(X32_SYSCALL_BIT, u32::MAX - 1)],
        _ => &[(0, u32::MAX)],
    }
}

/// The ranges for one audit arch.
///
/// `abis` are the policy's ABIs with this arch; `decisions` the decisions of the
/// numbers some rule is about, as sorted disjoint inclusive intervals (within
/// the numbers of the ABI they belong to); `default` and `bad_arch` the nodes
/// returning those actions.
pub(crate) fn ranges(
    arch: u32,
    abis: &[Abi],
    decisions: &[(u32, u32, NodeId)],
    default: NodeId,
    bad_arch: NodeId,
) -> Vec<Range> {
    // The decision of numbers that no rule names, in pieces [lo, next lo).
    let has = |a: Abi| abis.contains(&a);
    let (x64, x32) = (
        if has(Abi::X86_64) { default } else { bad_arch },
        if has(Abi::X32) { default } else { bad_arch },
    );
    let base: &[(u32, NodeId)] = if arch == AUDIT_ARCH_X86_64 {
        &[(0, x64), (X32_SYSCALL_BIT, x32), (u32::MAX, x64)]
    } else {
        &[(0, default)]
    };
    let mut out: Vec<Range> = Vec::with_capacity(2 * decisions.len() + base.len());
    let mut push = |lo: u32, hi: u32, node: NodeId| match out.last_mut() {
        Some(last) if last.node == node => last.hi = hi,
        _ => out.push(Range { lo, hi, node }),
    };
    // The base pieces over `from..=to`.
    let fill = |push: &mut dyn FnMut(u32, u32, NodeId), from: u32, to: u32| {
        for (i, &(lo, node)) in base.iter().enumerate() {
            let hi = base.get(i + 1).map_or(u32::MAX, |&(next, _)| next - 1);
            let (a, b) = (lo.max(from), hi.min(to));
            if a <= b {
                push(a, b, node);
            }
        }
    };
    // One merge of the decided intervals (sorted and disjoint; anything
    // overlapping an earlier one is clipped) with the base pieces between them.
    let mut next = Some(0u32);
    for &(lo, hi, node) in decisions {
        let Some(from) = next else { break };
        if hi < from {
            continue;
        }
        let lo = lo.max(from);
        if lo > from {
            fill(&mut push, from, lo - 1);
        }
        push(lo, hi, node);
        next = hi.checked_add(1);
    }
    if let Some(from) = next {
        fill(&mut push, from, u32::MAX);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_across_gaps_and_splits_x32() {
        let (d, b, allow, deny) = (10, 11, 12, 13);
        let mut dec = alloc::vec![(0, 2, allow), (3, 3, d), (5, 6, allow), (7, 7, deny)];
        // (3 has a rule whose decision is the default.)
        let r = ranges(AUDIT_ARCH_X86_64, &[Abi::X86_64], &dec, d, b);
        let want = [
            (0, 2, allow),
            (3, 4, d),
            (5, 6, allow),
            (7, 7, deny),
            (8, X32_SYSCALL_BIT - 1, d),
            (X32_SYSCALL_BIT, u32::MAX - 1, b),
            (u32::MAX, u32::MAX, d),
        ];
        let got: Vec<_> = r.iter().map(|r| (r.lo, r.hi, r.node)).collect();
        assert_eq!(got, want);

        dec.push((X32_SYSCALL_BIT + 1, X32_SYSCALL_BIT + 1, allow));
        let r = ranges(AUDIT_ARCH_X86_64, &[Abi::X32, Abi::X86_64], &dec, d, b);
        assert_eq!(r.len(), 7);
        assert_eq!(
            (r[5].lo, r[5].hi, r[5].node),
            (X32_SYSCALL_BIT + 1, X32_SYSCALL_BIT + 1, allow)
        );
        assert_eq!(
            (r[6].lo, r[6].hi, r[6].node),
            (X32_SYSCALL_BIT + 2, u32::MAX, d)
        );

        let r = ranges(seccompy_sys::AUDIT_ARCH_I386, &[Abi::I386], &[], d, b);
        assert_eq!(
            r,
            [Range {
                lo: 0,
                hi: u32::MAX,
                node: d
            }]
        );
    }
}
