//! What libseccomp 2.5 makes of runc's rules on one architecture: name
//! resolution (with the socket/ipc multiplexing of i386, s390x, ppc and MIPS o32), the 32-bit truncation of
//! arguments and constants, and how several rules for one syscall combine.

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::names::{ScmpOp, libseccomp_32bit};
use crate::action::Action;

/// A comparison as libseccomp evaluates it on one ABI. On libseccomp's 32-bit ABIs
/// the argument, `value` and `mask` are the low 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgCmp {
    /// The argument index, 0 to 5.
    pub index: u8,
    /// The operator.
    pub op: ScmpOp,
    /// The constant; for `MaskedEq` the datum, already ANDed with the mask (as
    /// libseccomp does, so `(arg & mask) == (valueTwo & mask)`).
    pub value: u64,
    /// The mask of `MaskedEq`; all ones of the width for other operators.
    pub mask: u64,
}

impl ArgCmp {
    /// Whether `arg` (already reduced to the ABI's width) satisfies the comparison.
    #[must_use]
    pub const fn matches(&self, arg: u64) -> bool {
        match self.op {
            ScmpOp::Eq => arg == self.value,
            ScmpOp::Ne => arg != self.value,
            ScmpOp::Lt => arg < self.value,
            ScmpOp::Le => arg <= self.value,
            ScmpOp::Gt => arg > self.value,
            ScmpOp::Ge => arg >= self.value,
            ScmpOp::MaskedEq => arg & self.mask == self.value,
        }
    }
}

/// One rule as libseccomp holds it for one syscall of one ABI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LibRule {
    /// The action.
    pub action: Action,
    /// At most one comparison per argument, all of which must hold.
    pub conds: Vec<ArgCmp>,
}

impl LibRule {
    /// Whether every comparison holds for `args` on `abi`.
    #[must_use]
    pub fn matches(&self, abi: Abi, args: &[u64; 6]) -> bool {
        let width = width_mask(abi);
        self.conds.iter().all(|c| {
            args.get(usize::from(c.index))
                .is_some_and(|&a| c.matches(a & width))
        })
    }
}

/// How a syscall of one ABI is decided.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Every call gets this action, whatever its arguments.
    Always(Action),
    /// The action of the rules that match, the default action if none does (no
    /// two rules with different actions can match one call).
    Rules(Vec<LibRule>),
}

impl Decision {
    /// The action for a call with `args` on `abi`, `default` when no rule matches.
    #[must_use]
    pub fn decide(&self, abi: Abi, args: &[u64; 6], default: Action) -> Action {
        match self {
            Decision::Always(a) => *a,
            Decision::Rules(rules) => rules
                .iter()
                .find(|r| r.matches(abi, args))
                .map_or(default, |r| r.action),
        }
    }
}

/// The bits libseccomp compares on `abi`.
#[must_use]
pub const fn width_mask(abi: Abi) -> u64 {
    if libseccomp_32bit(abi) {
        0xffff_ffff
    } else {
        u64::MAX
    }
}

/// Lowers one of runc's conditions to what libseccomp compares on `abi`, or `None`
/// when libseccomp drops it as always true (a `MaskedEq` whose mask is zero on the
/// compared bits).
#[must_use]
pub fn lower(abi: Abi, index: u8, op: ScmpOp, value: u64, value_two: u64) -> Option<ArgCmp> {
    let w = width_mask(abi);
    let (mask, datum) = match op {
        ScmpOp::MaskedEq => (value & w, value_two & value & w),
        _ => (w, value & w),
    };
    (mask != 0).then_some(ArgCmp {
        index,
        op,
        value: datum,
        mask,
    })
}

/// The ABIs on which libseccomp 2.5 multiplexes the socket and SysV IPC calls
/// (`src/arch-x86.c`, `arch-s390x.c`, `arch-ppc.c`, `arch-ppc64.c`,
/// `arch-mips.c`): i386, s390x, ppc, ppc64 (both byte orders) and MIPS o32 (both
/// byte orders). libseccomp's 31-bit s390 does too, but seccompy has no table for
/// it. The 64-bit MIPS ABIs, arm and the others have direct calls only.
pub const MULTIPLEXING_ABIS: [Abi; 7] = [
    Abi::I386,
    Abi::S390x,
    Abi::Ppc,
    Abi::Ppc64,
    Abi::Ppc64le,
    Abi::Mips,
    Abi::Mipsel,
];

/// The socket and SysV IPC calls that libseccomp 2.5 resolves to pseudo numbers
/// on the [`MULTIPLEXING_ABIS`] and rewrites: each rule becomes one on the
/// multiplexer (`socketcall` or `ipc`, by that ABI's number) with
/// `arg0 == call` (replacing any condition on argument 0), plus one on the
/// direct syscall when the ABI has it. `(name, multiplexer, call)`.
pub const MULTIPLEXED: [(&str, &str, u64); 32] = [
    ("socket", "socketcall", 1),
    ("bind", "socketcall", 2),
    ("connect", "socketcall", 3),
    ("listen", "socketcall", 4),
    ("accept", "socketcall", 5),
    ("getsockname", "socketcall", 6),
    ("getpeername", "socketcall", 7),
    ("socketpair", "socketcall", 8),
    ("send", "socketcall", 9),
    ("recv", "socketcall", 10),
    ("sendto", "socketcall", 11),
    ("recvfrom", "socketcall", 12),
    ("shutdown", "socketcall", 13),
    ("setsockopt", "socketcall", 14),
    ("getsockopt", "socketcall", 15),
    ("sendmsg", "socketcall", 16),
    ("recvmsg", "socketcall", 17),
    ("accept4", "socketcall", 18),
    ("recvmmsg", "socketcall", 19),
    ("sendmmsg", "socketcall", 20),
    ("semop", "ipc", 1),
    ("semget", "ipc", 2),
    ("semctl", "ipc", 3),
    ("semtimedop", "ipc", 4),
    ("msgsnd", "ipc", 11),
    ("msgrcv", "ipc", 12),
    ("msgget", "ipc", 13),
    ("msgctl", "ipc", 14),
    ("shmat", "ipc", 21),
    ("shmdt", "ipc", 22),
    ("shmget", "ipc", 23),
    ("shmctl", "ipc", 24),
];

/// The multiplexer's number on `abi` and the call number of `name`, for the
/// socket and IPC calls ([`MULTIPLEXED`]) on the [`MULTIPLEXING_ABIS`]; `None`
/// for every other name and ABI.
#[must_use]
pub fn multiplexed(abi: Abi, name: &str) -> Option<(u32, u64)> {
    if !MULTIPLEXING_ABIS.contains(&abi) {
        return None;
    }
    let &(_, mux, call) = MULTIPLEXED.iter().find(|m| m.0 == name)?;
    Some((abi.syscall_nr(mux)?, call))
}

/// Where libseccomp puts a rule for a name on an ABI: `(number, multiplexed
/// call)` pairs, where a multiplexed call replaces the condition on argument 0
/// with `arg0 == call`. Empty when the name does not exist on the ABI.
/// `mux` is [`multiplexed`]`(abi, name)` and `nr` is `abi.syscall_nr(name)`.
pub fn placements(
    mux: Option<(u32, u64)>,
    nr: Option<u32>,
) -> impl Iterator<Item = (u32, Option<u64>)> {
    mux.map(|(m, call)| (m, Some(call)))
        .into_iter()
        .chain(nr.map(|nr| (nr, None)))
}

/// The number libseccomp gives a name on an ABI when runc looks for the
/// profile's highest syscall (`seccomp_syscall_resolve_name_arch`): `None` for
/// names the ABI lacks and for the multiplexed calls, which resolve to
/// negative pseudo numbers on the [`MULTIPLEXING_ABIS`] (libseccomp 2.5 does so
/// whether or not the ABI also has the direct call). `mux` and `nr` as for [`placements`].
#[must_use]
pub fn resolve_number(mux: Option<(u32, u64)>, nr: Option<u32>) -> Option<u32> {
    if mux.is_some() { None } else { nr }
}

/// Combines the rules of one syscall, in the order runc added them, the way
/// libseccomp's rule database does: the first rule without conditions decides
/// every call (libseccomp clears earlier conditional rules when it arrives and
/// drops every later rule); otherwise the conditional rules stand, provided the
/// result does not depend on the shape of libseccomp's rule tree.
pub fn combine(abi: Abi, rules: Vec<LibRule>) -> Result<Decision, &'static str> {
    if let Some(first) = rules.iter().find(|r| r.conds.is_empty()) {
        return Ok(Decision::Always(first.action));
    }
    let w = width_mask(abi);
    for (i, a) in rules.iter().enumerate() {
        for b in rules.iter().skip(i + 1) {
            // A rule no call satisfies still shapes libseccomp's tree: refuse it
            // next to rules with another action too.
            if a.action != b.action
                && (overlap(a, b, w) || unsatisfiable(a, w) || unsatisfiable(b, w))
            {
                return Err("rules with different actions can match the same call");
            }
        }
    }
    if !libseccomp_32bit(abi) && lossy_range_merge(&rules) {
        return Err(
            "range comparisons on one argument with the same high word, one ending the rule and one followed by more conditions",
        );
    }
    Ok(Decision::Rules(rules))
}

/// libseccomp 2.5's tree merge (`_db_tree_add`) stops merging a new rule at a node
/// where the existing tree already decides on "greater than the high word", and
/// so loses the new rule's "equal high word" branch: for example `a0 > 5` then
/// `a0 >= 3 && a1 == 1` leaves `a0 == 4, a1 == 1` to the default action. This
/// flags every pair of rules that could meet that way (a `>`/`>=` comparison
/// ending one rule, a `>`/`>=` comparison with the same high word and later
/// conditions in another), whatever their order.
fn lossy_range_merge(rules: &[LibRule]) -> bool {
    let range = |c: &ArgCmp| matches!(c.op, ScmpOp::Gt | ScmpOp::Ge);
    rules.iter().enumerate().any(|(i, x)| {
        let Some(last) = x.conds.iter().max_by_key(|c| c.index) else {
            return false;
        };
        if !range(last) {
            return false;
        }
        rules.iter().enumerate().any(|(j, n)| {
            i != j
                && n.conds.iter().any(|c| {
                    c.index == last.index
                        && range(c)
                        && c.value >> 32 == last.value >> 32
                        && n.conds.iter().any(|d| d.index > c.index)
                })
        })
    })
}

/// Whether no argument vector satisfies the rule.
fn unsatisfiable(r: &LibRule, w: u64) -> bool {
    r.conds.iter().any(|c| Set::of(c, w).is_empty())
}

/// Whether some argument vector satisfies both rules (arguments reduced by `w`).
pub(super) fn overlap(a: &LibRule, b: &LibRule, w: u64) -> bool {
    (0..6u8).all(|i| {
        let ca = a.conds.iter().find(|c| c.index == i);
        let cb = b.conds.iter().find(|c| c.index == i);
        match (ca, cb) {
            (Some(x), Some(y)) => Set::of(x, w).meets(&Set::of(y, w), w),
            (Some(x), None) | (None, Some(x)) => !Set::of(x, w).is_empty(),
            (None, None) => true,
        }
    })
}

/// The values a comparison accepts, within `0..=w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    /// `lo..=hi`, empty when `lo > hi`.
    Range(u64, u64),
    /// Everything but one value.
    AllBut(u64),
    /// `x & mask == value`.
    Masked(u64, u64),
}

impl Set {
    fn of(c: &ArgCmp, w: u64) -> Set {
        match c.op {
            ScmpOp::Eq => Set::Range(c.value, c.value),
            ScmpOp::Ne => Set::AllBut(c.value),
            // An empty range for `< 0` and `> max`.
            ScmpOp::Lt => c
                .value
                .checked_sub(1)
                .map_or(Set::Range(1, 0), |hi| Set::Range(0, hi)),
            ScmpOp::Le => Set::Range(0, c.value),
            ScmpOp::Gt => {
                if c.value >= w {
                    Set::Range(1, 0)
                } else {
                    Set::Range(c.value + 1, w)
                }
            }
            ScmpOp::Ge => Set::Range(c.value, w),
            ScmpOp::MaskedEq => Set::Masked(c.mask, c.value),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(*self, Set::Range(lo, hi) if lo > hi)
    }

    fn meets(&self, other: &Set, w: u64) -> bool {
        use Set::*;
        if self.is_empty() || other.is_empty() {
            return false;
        }
        match (*self, *other) {
            (Range(a, b), Range(c, d)) => a.max(c) <= b.min(d),
            (Range(lo, hi), AllBut(v)) | (AllBut(v), Range(lo, hi)) => !(lo == hi && lo == v),
            // The domain has at least 2^32 values.
            (AllBut(_), AllBut(_)) => true,
            (Masked(m1, d1), Masked(m2, d2)) => (d1 ^ d2) & m1 & m2 == 0,
            (Masked(m, d), AllBut(v)) | (AllBut(v), Masked(m, d)) => m & w != w || d != v,
            (Masked(m, d), Range(lo, hi)) | (Range(lo, hi), Masked(m, d)) => {
                next_masked(m, d, lo, w).is_some_and(|x| x <= hi)
            }
        }
    }
}

/// The smallest `x` with `lo <= x <= w` and `x & mask == datum` (`datum` within
/// `mask`, `w` all ones of the width), if any.
fn next_masked(mask: u64, datum: u64, lo: u64, w: u64) -> Option<u64> {
    let free = !mask & w;
    if datum >= lo {
        return Some(datum);
    }
    if lo > w {
        return None;
    }
    // Walk from the top bit, keeping x's prefix equal to lo's; remember the lowest
    // free bit where lo has 0 (setting it gives a larger prefix).
    let bits = 64 - w.leading_zeros();
    let mut candidate: Option<u32> = None;
    for b in (0..bits).rev() {
        let bit = 1u64 << b;
        let lo_bit = lo & bit != 0;
        if free & bit != 0 {
            if !lo_bit {
                candidate = Some(b);
            }
            continue;
        }
        let fixed = datum & bit != 0;
        if fixed == lo_bit {
            continue;
        }
        if fixed {
            // Fixed 1 where lo has 0: lo's prefix above, then datum's fixed bits.
            let above = lo & !((bit << 1).wrapping_sub(1));
            return Some(above | (datum & ((bit << 1).wrapping_sub(1))));
        }
        // Fixed 0 where lo has 1: raise the lowest free 0 above.
        return candidate.map(|c| raise(lo, datum, c));
    }
    // Every bit matched lo's: lo itself.
    Some(lo)
}

/// lo's bits above `c`, a 1 at free bit `c`, then datum's fixed bits below.
fn raise(lo: u64, datum: u64, c: u32) -> u64 {
    let bit = 1u64 << c;
    let below = bit - 1;
    (lo & !(below | bit)) | bit | (datum & below)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(index: u8, op: ScmpOp, value: u64, mask: u64) -> ArgCmp {
        ArgCmp {
            index,
            op,
            value,
            mask,
        }
    }

    #[test]
    fn next_masked_matches_brute_force() {
        let w = 0xff;
        for mask in 0..=0xffu64 {
            for datum in [0u64, 0x5a, 0xa5, 0xff, 0x01, 0x80].map(|d| d & mask) {
                for lo in [0u64, 1, 3, 0x40, 0x7f, 0x80, 0x81, 0xc3, 0xfe, 0xff] {
                    let want = (lo..=w).find(|x| x & mask == datum);
                    assert_eq!(
                        next_masked(mask, datum, lo, w),
                        want,
                        "{mask:#x} {datum:#x} {lo:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn set_meets_matches_brute_force() {
        // Compare with enumeration on an 8-bit domain.
        let w = 0xffu64;
        let ops = ScmpOp::ALL;
        let values = [0u64, 1, 7, 0x40, 0xfe, 0xff];
        let mut conds = Vec::new();
        for &op in ops {
            for &v in &values {
                if op == ScmpOp::MaskedEq {
                    for m in [0x0fu64, 0xf0, 0xff, 0x81] {
                        conds.push(cmp(0, op, v & m, m));
                    }
                } else {
                    conds.push(cmp(0, op, v, w));
                }
            }
        }
        for a in &conds {
            for b in &conds {
                let brute = (0..=w).any(|x| a.matches(x) && b.matches(x));
                assert_eq!(Set::of(a, w).meets(&Set::of(b, w), w), brute, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn lowering() {
        // 32-bit ABIs keep the low words of value and mask.
        let c = lower(Abi::I386, 0, ScmpOp::Eq, 0x1_0000_0005, 0).unwrap();
        assert_eq!((c.value, c.mask), (5, 0xffff_ffff));
        let c = lower(Abi::X86_64, 0, ScmpOp::Eq, 0x1_0000_0005, 0).unwrap();
        assert_eq!(c.value, 0x1_0000_0005);
        // The datum is masked; a mask without compared bits drops the condition.
        let c = lower(Abi::X86_64, 1, ScmpOp::MaskedEq, 0xf0, 0x1ff).unwrap();
        assert_eq!((c.mask, c.value), (0xf0, 0xf0));
        assert_eq!(lower(Abi::X86_64, 1, ScmpOp::MaskedEq, 0, 7), None);
        assert_eq!(
            lower(Abi::X32, 1, ScmpOp::MaskedEq, 0xffff_0000_0000, 0),
            None
        );
        assert!(lower(Abi::X86_64, 1, ScmpOp::MaskedEq, 0xffff_0000_0000, 0).is_some());
    }

    #[test]
    fn combining() {
        let allow = |conds: Vec<ArgCmp>| LibRule {
            action: Action::Allow,
            conds,
        };
        let errno = |conds: Vec<ArgCmp>| LibRule {
            action: Action::Errno(5),
            conds,
        };
        let m = u64::MAX;
        // First unconditional rule wins, before or after conditional ones.
        let d = combine(
            Abi::X86_64,
            alloc::vec![
                errno(alloc::vec![cmp(0, ScmpOp::Eq, 1, m)]),
                allow(alloc::vec![]),
                errno(alloc::vec![])
            ],
        );
        assert_eq!(d, Ok(Decision::Always(Action::Allow)));
        // Disjoint rules with different actions are fine; overlapping ones are not.
        let d = combine(
            Abi::X86_64,
            alloc::vec![
                allow(alloc::vec![cmp(0, ScmpOp::Eq, 1, m)]),
                errno(alloc::vec![cmp(0, ScmpOp::Ne, 1, m)])
            ],
        )
        .unwrap();
        assert_eq!(
            d.decide(Abi::X86_64, &[1, 0, 0, 0, 0, 0], Action::KillThread),
            Action::Allow
        );
        assert_eq!(
            d.decide(Abi::X86_64, &[2, 0, 0, 0, 0, 0], Action::KillThread),
            Action::Errno(5)
        );
        assert!(
            combine(
                Abi::X86_64,
                alloc::vec![
                    allow(alloc::vec![cmp(0, ScmpOp::Gt, 5, m)]),
                    errno(alloc::vec![cmp(0, ScmpOp::Eq, 7, m)])
                ],
            )
            .is_err()
        );
        // Different arguments: both can hold.
        assert!(
            combine(
                Abi::X86_64,
                alloc::vec![
                    allow(alloc::vec![cmp(0, ScmpOp::Eq, 1, m)]),
                    errno(alloc::vec![cmp(1, ScmpOp::Eq, 1, m)])
                ],
            )
            .is_err()
        );
        // The lossy range merge.
        assert!(
            combine(
                Abi::X86_64,
                alloc::vec![
                    allow(alloc::vec![cmp(0, ScmpOp::Gt, 5, m)]),
                    allow(alloc::vec![
                        cmp(0, ScmpOp::Ge, 3, m),
                        cmp(1, ScmpOp::Eq, 1, m)
                    ]),
                ],
            )
            .is_err()
        );
        // ... which 32-bit ABIs do not have.
        assert!(
            combine(
                Abi::I386,
                alloc::vec![
                    allow(alloc::vec![cmp(0, ScmpOp::Gt, 5, 0xffff_ffff)]),
                    allow(alloc::vec![
                        cmp(0, ScmpOp::Ge, 3, 0xffff_ffff),
                        cmp(1, ScmpOp::Eq, 1, 0xffff_ffff)
                    ]),
                ],
            )
            .is_ok()
        );
    }

    #[test]
    fn multiplexing() {
        let places = |abi: Abi, name: &str| {
            placements(multiplexed(abi, name), abi.syscall_nr(name)).collect::<Vec<_>>()
        };
        let number =
            |abi: Abi, name: &str| resolve_number(multiplexed(abi, name), abi.syscall_nr(name));
        assert_eq!(places(Abi::I386, "socket"), [(102, Some(1)), (359, None)]);
        assert_eq!(places(Abi::I386, "accept"), [(102, Some(5))]);
        assert_eq!(places(Abi::I386, "semop"), [(117, Some(1))]);
        assert_eq!(places(Abi::I386, "read"), [(3, None)]);
        assert_eq!(places(Abi::X86_64, "socket"), [(41, None)]);
        assert_eq!(places(Abi::X86_64, "socketcall"), []);
        assert_eq!(multiplexed(Abi::X86_64, "socket"), None);
        assert_eq!(number(Abi::I386, "socket"), None);
        assert_eq!(number(Abi::I386, "socketcall"), Some(102));
        assert_eq!(number(Abi::X86_64, "socket"), Some(41));
        // The other multiplexing ABIs: the multiplexer by the ABI's number, the
        // direct call besides it where there is one (numbers as libseccomp
        // 2.5.4 places them).
        assert_eq!(places(Abi::S390x, "socket"), [(102, Some(1)), (359, None)]);
        assert_eq!(
            places(Abi::S390x, "accept4"),
            [(102, Some(18)), (364, None)]
        );
        assert_eq!(places(Abi::S390x, "accept"), [(102, Some(5))]);
        assert_eq!(places(Abi::S390x, "semop"), [(117, Some(1))]);
        assert_eq!(
            places(Abi::S390x, "semtimedop"),
            [(117, Some(4)), (392, None)]
        );
        for ppc in [Abi::Ppc, Abi::Ppc64, Abi::Ppc64le] {
            assert_eq!(
                places(ppc, "socket"),
                [(102, Some(1)), (326, None)],
                "{ppc}"
            );
            assert_eq!(
                places(ppc, "accept"),
                [(102, Some(5)), (330, None)],
                "{ppc}"
            );
            assert_eq!(places(ppc, "semop"), [(117, Some(1))], "{ppc}");
            assert_eq!(
                places(ppc, "shmctl"),
                [(117, Some(24)), (396, None)],
                "{ppc}"
            );
        }
        for mips in [Abi::Mips, Abi::Mipsel] {
            assert_eq!(places(mips, "socket"), [(4102, Some(1)), (4183, None)]);
            assert_eq!(places(mips, "semget"), [(4117, Some(2)), (4393, None)]);
            assert_eq!(places(mips, "semop"), [(4117, Some(1))]);
            assert_eq!(number(mips, "socket"), None);
        }
        // libseccomp resolves the multiplexed names to pseudo numbers there,
        // direct call or not.
        for abi in MULTIPLEXING_ABIS {
            assert_eq!(number(abi, "accept4"), None, "{abi}");
            assert_eq!(number(abi, "shmctl"), None, "{abi}");
            assert!(number(abi, "socketcall").is_some(), "{abi}");
            assert!(number(abi, "ipc").is_some(), "{abi}");
        }
        // The 64-bit MIPS ABIs and arm have only the direct calls.
        assert_eq!(places(Abi::Mips64, "socket"), [(5040, None)]);
        assert_eq!(places(Abi::Mips64n32, "semop"), [(6063, None)]);
        assert_eq!(places(Abi::Arm, "socket"), [(281, None)]);
        assert_eq!(number(Abi::Arm, "accept4"), Some(366));
    }
}
