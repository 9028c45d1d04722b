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
use crate::policy::is_x32_nr;

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
        Abi::X86_64 => !is_x32_nr(nr),
        Abi::X32 => is_x32_nr(nr),
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
    let base: Vec<(u32, NodeId)> = if arch == AUDIT_ARCH_X86_64 {
        let x64 = if has(Abi::X86_64) { default } else { bad_arch };
        let x32 = if has(Abi::X32) { default } else { bad_arch };
        alloc::vec![(0, x64), (X32_SYSCALL_BIT, x32), (u32::MAX, x64)]
    } else {
        alloc::vec![(0, default)]
    };
    let base_at = |nr: u32| {
        let i = base.partition_point(|&(lo, _)| lo <= nr) - 1;
        base[i].1
    };
    let decision_at = |nr: u32| {
        let i = decisions.partition_point(|&(lo, _, _)| lo <= nr);
        match i.checked_sub(1).map(|i| decisions[i]) {
            Some((_, hi, node)) if nr <= hi => node,
            _ => base_at(nr),
        }
    };
    let mut out: Vec<Range> = Vec::new();
    let mut push = |lo: u32, hi: u32, node: NodeId| match out.last_mut() {
        Some(last) if last.node == node => last.hi = hi,
        _ => out.push(Range { lo, hi, node }),
    };
    // Walk the base pieces and the decided intervals in order.
    let mut cut: Vec<u32> = base.iter().map(|&(lo, _)| lo).collect();
    for &(lo, hi, _) in decisions {
        cut.push(lo);
        if hi < u32::MAX {
            cut.push(hi + 1);
        }
    }
    cut.sort_unstable();
    cut.dedup();
    for (i, &lo) in cut.iter().enumerate() {
        let hi = cut.get(i + 1).map_or(u32::MAX, |&n| n - 1);
        push(lo, hi, decision_at(lo));
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
