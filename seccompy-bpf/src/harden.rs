//! Conditions that compare more of an argument than the kernel reads, and how to
//! close them.
//!
//! On an ABI with 64-bit registers a filter sees all 64 bits of every argument,
//! but the kernel reads an `int` argument's low 32 bits only
//! ([`Signature::high_bits_ignored`](seccompy_sys::signatures::Signature::high_bits_ignored)). A [`Width::U64`] condition on such an
//! argument can then be steered by the caller with bits the kernel ignores:
//! Docker's default profile allows `socket` when `args[0] > 40`, so
//! `socket(0x1_0000_0028, ...)` passes the filter and the kernel opens an
//! `AF_VSOCK` (40) socket, which the profile means to refuse. runc and libseccomp
//! compile the profile this way, and [`oci`](crate::oci) does the same by default.
//!
//! [`wide_conditions`] finds every such condition of a [`Policy`], with a concrete
//! bypass where one exists; [`harden`] rewrites them to compare what the kernel
//! reads ([`Width::Low32`]), deciding every call as the original policy decides
//! the call a conforming caller makes with the same low word (the low word
//! sign-extended for signed types, zero-extended for unsigned ones).

use alloc::vec::Vec;

use seccompy_sys::signatures::{Param, has_64bit_registers, signature_of_nr};
use seccompy_sys::syscalls::Abi;

use crate::action::Action;
use crate::policy::{Cmp, Condition, Policy, Rule, Syscall, Width, more_restrictive};

/// A [`Width::U64`] condition on an argument the kernel reads fewer bits of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WideCondition {
    /// The ABI.
    pub abi: Abi,
    /// The call's number on `abi`.
    pub nr: u32,
    /// The call's name on `abi`.
    pub syscall: &'static str,
    /// The rule's index in [`Policy::rule_list`].
    pub rule: usize,
    /// The condition's index in the rule's [`conditions`](Rule::conditions).
    pub condition: usize,
    /// The argument, as the kernel declares it.
    pub param: Param,
    /// How many low bits of the argument the kernel reads (8, 16 or 32).
    pub kernel_bits: u32,
    /// The arguments of a call whose decision the ignored bits change, and how.
    pub witness: Witness,
    /// If the witness is a bypass: the other values of the argument, as the kernel
    /// reads them, that a call can also get through this condition with a less
    /// restrictive action (at most 8), sorted.
    pub also: Vec<u64>,
}

/// A call whose decision depends on bits of an argument the kernel ignores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The arguments as a conforming caller passes them (the argument's low
    /// bits, sign- or zero-extended as its type says).
    pub intended: [u64; 6],
    /// The same arguments with other bits above the kernel's set in the
    /// condition's argument: the kernel reads the same values.
    pub crafted: [u64; 6],
    /// What the policy decides for `intended`.
    pub intended_action: Action,
    /// What it decides for `crafted`.
    pub crafted_action: Action,
}

impl Witness {
    /// Whether `crafted` gets a less restrictive action than `intended`: a bypass.
    #[must_use]
    pub fn is_bypass(&self) -> bool {
        more_restrictive(self.intended_action, self.crafted_action)
    }
}

/// The numbers `syscall` has on `abi`.
fn numbers(syscall: &Syscall, abi: Abi) -> Vec<u32> {
    match syscall {
        Syscall::Name(name) => abi.syscall_nr(name).into_iter().collect(),
        _ => abi
            .syscall_numbers()
            .iter()
            .copied()
            .filter(|&nr| syscall.covers(abi, nr))
            .collect(),
    }
}

/// The low `bits` bits of `value`, extended to 64 bits as a conforming caller
/// passes an argument of that width and signedness.
#[must_use]
pub const fn extend(value: u64, bits: u32, signed: bool) -> u64 {
    if bits >= 64 {
        return value;
    }
    let low = value & ((1u64 << bits) - 1);
    if signed && low >> (bits - 1) & 1 == 1 {
        low | (u64::MAX << bits)
    } else {
        low
    }
}

/// A value satisfying `cmp` (on the whole argument), for the other conditions of a
/// rule: the probes look at one condition with the others holding.
fn satisfying(cmp: Cmp) -> u64 {
    match cmp {
        Cmp::Eq(v) | Cmp::Ge(v) => v,
        Cmp::Ne(v) => v.wrapping_add(1),
        Cmp::Lt(_) | Cmp::Le(_) | Cmp::BitsWithin(_) => 0,
        Cmp::Gt(v) => v.wrapping_add(1),
        Cmp::MaskedEq { value, .. } => value,
    }
}

/// The low words tried for a comparison: its constants and their neighbours,
/// 0, the largest and the sign bit.
fn lows(cmp: Cmp, bits: u32) -> Vec<u64> {
    let consts: Vec<u64> = match cmp {
        Cmp::Eq(v) | Cmp::Ne(v) | Cmp::Lt(v) | Cmp::Le(v) | Cmp::Gt(v) | Cmp::Ge(v) => {
            alloc::vec![v]
        }
        Cmp::MaskedEq { mask, value } => alloc::vec![mask, value],
        Cmp::BitsWithin(mask) => alloc::vec![mask, !mask],
    };
    let mask = (1u64 << bits) - 1;
    let mut out = Vec::new();
    for c in consts {
        for v in [c, c.wrapping_add(1), c.wrapping_sub(1)] {
            out.push(v & mask);
        }
    }
    out.extend([0, mask, 1 << (bits - 1)]);
    out.sort_unstable();
    out.dedup();
    out
}

/// Every [`Width::U64`] condition of `policy` on an argument whose high bits the
/// kernel ignores, on each of the policy's ABIs with 64-bit registers, whose result
/// the ignored bits can change; with a [`Witness`], a bypass if there is one.
///
/// It reads the tables of the policy's ABIs: on an ABI whose syscall table is
/// not compiled in, it finds nothing, and the policy does not compile
/// ([`CompileError::MissingTable`](crate::CompileError::MissingTable)).
#[must_use]
pub fn wide_conditions(policy: &Policy) -> Vec<WideCondition> {
    let mut found = Vec::new();
    for (ri, rule) in policy.rule_list().iter().enumerate() {
        for &abi in policy.abi_list() {
            if !has_64bit_registers(abi) || !(rule.abis().is_empty() || rule.abis().contains(&abi))
            {
                continue;
            }
            for nr in numbers(rule.syscall(), abi) {
                let Some(sig) = signature_of_nr(abi, nr) else {
                    continue;
                };
                for (ci, cond) in rule.conditions().iter().enumerate() {
                    let i = usize::from(cond.index());
                    if cond.width() != Width::U64 || !sig.high_bits_ignored(abi, i) {
                        continue;
                    }
                    let Some(param) = sig.param(i) else {
                        continue;
                    };
                    let bits = param.ty.kernel_bits(abi);
                    if let Some((witness, also)) =
                        witness(policy, rule, abi, nr, ci, bits, param.ty.signed)
                    {
                        found.push(WideCondition {
                            abi,
                            nr,
                            syscall: abi.syscall_name(nr).unwrap_or("?"),
                            rule: ri,
                            condition: ci,
                            param,
                            kernel_bits: bits,
                            witness,
                            also,
                        });
                    }
                }
            }
        }
    }
    found
}

/// A call showing that condition `ci` of `rule` depends on the bits above `bits`:
/// the first bypass found, else the first call whose decision changes, else the
/// first whose condition result changes; with the other bypassed values. The low
/// words tried are the condition's constants first, then those of the policy's
/// other conditions on the same argument of the call.
fn witness(
    policy: &Policy,
    rule: &Rule,
    abi: Abi,
    nr: u32,
    ci: usize,
    bits: u32,
    signed: bool,
) -> Option<(Witness, Vec<u64>)> {
    let cond = rule.conditions().get(ci)?;
    let i = usize::from(cond.index());
    let mut base = [0u64; 6];
    for (k, other) in rule.conditions().iter().enumerate() {
        if k != ci
            && other.index() != cond.index()
            && let Some(slot) = base.get_mut(usize::from(other.index()))
        {
            *slot = satisfying(other.cmp());
        }
    }
    // An index past 5 matches nothing and is refused by the compiler.
    if i >= base.len() {
        return None;
    }
    let mut candidates = lows(cond.cmp(), bits);
    for other in policy.rule_list().iter().filter(|r| r.applies_to(abi, nr)) {
        for c in other
            .conditions()
            .iter()
            .filter(|c| c.index() == cond.index())
        {
            for low in lows(c.cmp(), bits) {
                if !candidates.contains(&low) {
                    candidates.push(low);
                }
            }
        }
    }
    let mut bypass: Option<Witness> = None;
    let mut also = Vec::new();
    let mut first_change: Option<Witness> = None;
    let mut first_flip: Option<Witness> = None;
    for low in candidates {
        let intended_value = extend(low, bits, signed);
        let above = u64::MAX << bits;
        for high in [1u64 << bits, 1 << 32, 1 << 63, above, above ^ (1 << bits)] {
            let crafted_value = low | (high & above);
            if crafted_value == intended_value
                || cond.cmp().matches(crafted_value) == cond.cmp().matches(intended_value)
            {
                continue;
            }
            let (mut intended, mut crafted) = (base, base);
            if let (Some(a), Some(b)) = (intended.get_mut(i), crafted.get_mut(i)) {
                (*a, *b) = (intended_value, crafted_value);
            }
            let w = Witness {
                intended,
                crafted,
                intended_action: policy.decide(abi, nr, &intended),
                crafted_action: policy.decide(abi, nr, &crafted),
            };
            if w.is_bypass() {
                match bypass {
                    None => bypass = Some(w),
                    Some(b) if b.intended[i] != intended_value => {
                        if !also.contains(&intended_value) && also.len() < 8 {
                            also.push(intended_value);
                        }
                    }
                    Some(_) => {}
                }
                continue;
            }
            if w.intended_action != w.crafted_action {
                first_change.get_or_insert(w);
            }
            first_flip.get_or_insert(w);
        }
    }
    also.sort_unstable();
    match bypass {
        Some(b) => Some((b, also)),
        None => first_change.or(first_flip).map(|w| (w, Vec::new())),
    }
}

/// Never true, on any value.
const NEVER: Cmp = Cmp::Lt(0);
/// Always true.
const ALWAYS: Cmp = Cmp::Ge(0);

/// The number of 32-bit low words `l` with `extend(l, 32, signed) < v`: they are
/// the prefix `0..k` (extension keeps the unsigned order).
fn below(v: u64, signed: bool) -> u64 {
    const SIGN_EXTENDED_MIN: u64 = 0xffff_ffff_8000_0000;
    if !signed {
        v.min(1 << 32)
    } else if v <= 0x8000_0000 {
        v
    } else if v <= SIGN_EXTENDED_MIN {
        0x8000_0000
    } else {
        0x8000_0000 + (v - SIGN_EXTENDED_MIN)
    }
}

/// `l < k` on the low word, for `k` up to 2^32.
fn low_lt(k: u64) -> Cmp {
    if k >= 1 << 32 { ALWAYS } else { Cmp::Lt(k) }
}

/// `l >= k` on the low word.
fn low_ge(k: u64) -> Cmp {
    if k >= 1 << 32 { NEVER } else { Cmp::Ge(k) }
}

/// The comparison on a 32-bit low word `l` that holds exactly when `cmp` holds
/// for `extend(l, 32, signed)`.
#[must_use]
pub fn narrow(cmp: Cmp, signed: bool) -> Cmp {
    const LO: u64 = 0xffff_ffff;
    let preimage = |v: u64| (extend(v, 32, signed) == v).then_some(v & LO);
    match cmp {
        Cmp::Eq(v) => preimage(v).map_or(NEVER, Cmp::Eq),
        Cmp::Ne(v) => preimage(v).map_or(ALWAYS, Cmp::Ne),
        Cmp::Lt(v) => low_lt(below(v, signed)),
        Cmp::Le(v) => v
            .checked_add(1)
            .map_or(ALWAYS, |w| low_lt(below(w, signed))),
        Cmp::Gt(v) => v.checked_add(1).map_or(NEVER, |w| low_ge(below(w, signed))),
        Cmp::Ge(v) => low_ge(below(v, signed)),
        Cmp::MaskedEq { mask, value } => {
            let (mask_hi, value_hi) = (mask >> 32, value >> 32);
            let (mut mask_lo, mut value_lo) = (mask & LO, value & LO);
            if value & !mask != 0 {
                return NEVER;
            }
            if mask_hi != 0 {
                if !signed {
                    if value_hi != 0 {
                        return NEVER;
                    }
                } else {
                    // The high word is all ones when bit 31 is set, else zero.
                    let bit31 = if value_hi == mask_hi {
                        1u64 << 31
                    } else if value_hi == 0 {
                        0
                    } else {
                        return NEVER;
                    };
                    if mask_lo & (1 << 31) != 0 && value_lo & (1 << 31) != bit31 {
                        return NEVER;
                    }
                    mask_lo |= 1 << 31;
                    value_lo |= bit31;
                }
            }
            Cmp::MaskedEq {
                mask: mask_lo,
                value: value_lo,
            }
        }
        Cmp::BitsWithin(mask) => {
            let mask_lo = mask & LO;
            if signed && mask >> 32 != LO {
                Cmp::BitsWithin(mask_lo & !(1 << 31))
            } else {
                Cmp::BitsWithin(mask_lo)
            }
        }
    }
}

/// Whether, on `abi`, condition `cond` of a rule on call `nr` should compare the
/// low word: `Some(signed)` if the kernel reads 32 bits of a 64-bit register,
/// `None` if not, or if the call has no signature.
fn narrow_on(abi: Abi, nr: u32, cond: &Condition) -> Option<bool> {
    let sig = signature_of_nr(abi, nr)?;
    let param = sig.params().get(usize::from(cond.index()))?;
    (has_64bit_registers(abi) && param.ty.kernel_bits(abi) == 32).then_some(param.ty.signed)
}

/// `policy` with every [`Width::U64`] condition on an argument the kernel reads 32
/// bits of (an `int`, `unsigned int`, `pid_t`, ...) compared on the low word
/// instead, as [`narrow`] maps it: the hardened policy decides a call as `policy`
/// decides the call with that argument sign- or zero-extended from its low word.
/// A rule whose condition is 32-bit on some of its ABIs and not on others is split
/// into one rule per ABI. Conditions on 8- or 16-bit arguments (`umode_t`) are kept:
/// [`wide_conditions`] still reports them. Returns the policy and how many
/// conditions were rewritten. Like [`wide_conditions`], it rewrites nothing on an
/// ABI whose syscall table is not compiled in (such a policy does not compile).
#[must_use]
pub fn harden(policy: &Policy) -> (Policy, usize) {
    let mut rules = Vec::new();
    let mut rewritten = 0;
    for rule in policy.rule_list() {
        let abis: Vec<Abi> = policy
            .abi_list()
            .iter()
            .copied()
            .filter(|a| rule.abis().is_empty() || rule.abis().contains(a))
            .collect();
        // Per ABI, the signedness of each narrowed condition (None: kept).
        let plan = |abi: Abi| -> Vec<Option<bool>> {
            let nrs = numbers(rule.syscall(), abi);
            rule.conditions()
                .iter()
                .map(|c| {
                    if c.width() != Width::U64 || nrs.is_empty() {
                        return None;
                    }
                    let per_nr: Vec<Option<bool>> =
                        nrs.iter().map(|&nr| narrow_on(abi, nr, c)).collect();
                    // Every call the rule names on this ABI must agree.
                    let first = per_nr[0];
                    per_nr
                        .iter()
                        .all(|p| *p == first)
                        .then_some(first)
                        .flatten()
                })
                .collect()
        };
        let plans: Vec<(Abi, Vec<Option<bool>>)> = abis.iter().map(|&a| (a, plan(a))).collect();
        if plans.iter().all(|(_, p)| p.iter().all(Option::is_none)) {
            rules.push(rule.clone());
            continue;
        }
        let rebuild = |plan: &[Option<bool>], only: &[Abi]| {
            let mut r = Rule::new(rule.syscall().clone(), rule.action());
            for &abi in only {
                r = r.only_on(abi);
            }
            for (c, p) in rule.conditions().iter().zip(plan) {
                r = r.when(match p {
                    Some(signed) => {
                        Condition::new(c.index(), Width::Low32, narrow(c.cmp(), *signed))
                    }
                    None => *c,
                });
            }
            r
        };
        // One rule per distinct plan, restricted to the ABIs having it.
        let mut done: Vec<&Vec<Option<bool>>> = Vec::new();
        for (_, p) in &plans {
            if done.contains(&p) {
                continue;
            }
            done.push(p);
            let only: Vec<Abi> = plans
                .iter()
                .filter(|(_, q)| q == p)
                .map(|(a, _)| *a)
                .collect();
            rewritten += p.iter().filter(|x| x.is_some()).count() * only.len();
            rules.push(rebuild(p, &only));
        }
    }
    let mut hardened = Policy::new(policy.default_action())
        .bad_arch_action(policy.bad_arch())
        .abis(policy.abi_list())
        .rules(rules);
    hardened = hardened.hot_syscalls(policy.hot_list().iter().cloned());
    (hardened, rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Arg, Arg32};
    use crate::test_rng::Rng;

    fn docker_socket() -> Policy {
        Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .abi(Abi::X32)
            .abi(Abi::I386)
            .rule(Rule::new("socket", Action::Allow).when(Arg(0).lt(38)))
            .rule(Rule::new("socket", Action::Allow).when(Arg(0).eq(39)))
            .rule(Rule::new("socket", Action::Allow).when(Arg(0).gt(40)))
    }

    #[test]
    fn the_docker_socket_bypass() {
        let p = docker_socket();
        let found = wide_conditions(&p);
        let bypass: Vec<&WideCondition> = found.iter().filter(|w| w.witness.is_bypass()).collect();
        // The `> 40` rule, on x86_64 and x32; never on i386.
        assert_eq!(bypass.len(), 2, "{found:#?}");
        for w in &bypass {
            assert_eq!((w.rule, w.param.name, w.kernel_bits), (2, "family", 32));
            assert_eq!(w.witness.crafted[0] & 0xffff_ffff, w.witness.intended[0]);
            assert_eq!(w.witness.crafted_action, Action::Allow);
            assert_eq!(w.witness.intended_action, Action::Errno(1));
        }
        assert_eq!(bypass[0].abi, Abi::X86_64);
        assert_eq!(bypass[0].witness.crafted[0], 0x1_0000_0028);
        // AF_ALG (38), which the `< 38` rule refuses, gets through `> 40` too.
        assert_eq!(bypass[0].also, [38]);
        assert_eq!(bypass[1].abi, Abi::X32);
        assert!(found.iter().all(|w| w.abi != Abi::I386));
        // Compared on the low word, nothing is found.
        let low = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("socket", Action::Allow).when(Arg32(0).gt(40)));
        assert!(wide_conditions(&low).is_empty());
        // A 64-bit argument is not reported: mmap's length, lseek's offset.
        let wide = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("lseek", Action::Allow).when(Arg(1).lt(1 << 20)));
        assert!(wide_conditions(&wide).is_empty());
    }

    // Foreign ABIs' tables.
    #[test]
    #[cfg_attr(
        not(feature = "all-abis"),
        ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
    )]
    fn a_deny_rule_is_bypassed_too() {
        let p = Policy::new(Action::Allow)
            .abi(Abi::Aarch64)
            .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)));
        let found = wide_conditions(&p);
        assert_eq!(found.len(), 1);
        let w = found[0].witness;
        assert!(w.is_bypass());
        assert_eq!(w.intended[0], 40);
        assert_eq!(w.crafted[0] & 0xffff_ffff, 40);
        // The hardened policy refuses the crafted call.
        let (hard, n) = harden(&p);
        assert_eq!(n, 1);
        let nr = Abi::Aarch64.syscall_nr("socket").unwrap();
        assert_eq!(hard.decide(Abi::Aarch64, nr, &w.crafted), Action::Errno(97));
        assert!(wide_conditions(&hard).is_empty());
    }

    #[test]
    fn an_allow_on_equality_only_refuses() {
        let p = Policy::new(Action::Errno(1))
            .abi(Abi::X86_64)
            .rule(Rule::new("personality", Action::Allow).when(Arg(0).eq(8)));
        let found = wide_conditions(&p);
        assert_eq!(found.len(), 1);
        assert!(!found[0].witness.is_bypass());
        assert_eq!(found[0].witness.crafted_action, Action::Errno(1));
    }

    #[test]
    fn narrowing_is_exact_on_extended_values() {
        let mut rng = Rng(0x6172_6773);
        let specials = [
            0u64,
            1,
            37,
            38,
            40,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0xffff_ffff_8000_0000,
            0xffff_ffff_ffff_ff9c,
            u64::MAX,
        ];
        let pick = |rng: &mut Rng| {
            let r = rng.next();
            match r % 3 {
                0 => specials[(r >> 8) as usize % specials.len()],
                1 => r >> (r % 64),
                _ => r,
            }
        };
        for _ in 0..4000 {
            let (a, b) = (pick(&mut rng), pick(&mut rng));
            let cmps = [
                Cmp::Eq(a),
                Cmp::Ne(a),
                Cmp::Lt(a),
                Cmp::Le(a),
                Cmp::Gt(a),
                Cmp::Ge(a),
                Cmp::MaskedEq {
                    mask: a,
                    value: a & b,
                },
                Cmp::MaskedEq { mask: a, value: b },
                Cmp::BitsWithin(a),
            ];
            for cmp in cmps {
                for signed in [false, true] {
                    let n = narrow(cmp, signed);
                    for low in [
                        b & 0xffff_ffff,
                        a & 0xffff_ffff,
                        pick(&mut rng) & 0xffff_ffff,
                    ] {
                        let ext = extend(low, 32, signed);
                        assert_eq!(
                            n.matches(low),
                            cmp.matches(ext),
                            "{cmp:?} signed {signed} on {low:#x}: {n:?}"
                        );
                        assert!(matches!(n, Cmp::Lt(0) | Cmp::Ge(0)) || constants_fit(n));
                    }
                }
            }
        }
    }

    fn constants_fit(c: Cmp) -> bool {
        match c {
            Cmp::Eq(v) | Cmp::Ne(v) | Cmp::Lt(v) | Cmp::Le(v) | Cmp::Gt(v) | Cmp::Ge(v) => {
                v <= 0xffff_ffff
            }
            Cmp::MaskedEq { mask, value } => mask <= 0xffff_ffff && value <= 0xffff_ffff,
            Cmp::BitsWithin(m) => m <= 0xffff_ffff,
        }
    }

    #[test]
    fn a_hardened_policy_decides_by_what_the_kernel_reads() {
        let p = docker_socket()
            .rule(Rule::new("lseek", Action::Allow).when(Arg(1).lt(1 << 33)))
            .rule(Rule::new("kill", Action::Errno(3)).when(Arg(0).eq(u64::MAX)));
        let (hard, n) = harden(&p);
        // socket's three conditions on x86_64 and x32 (kill's pid_t too); i386 has
        // 32-bit registers, lseek's offset is 64 bits.
        assert_eq!(n, 8);
        let mut rng = Rng(7);
        for &abi in p.abi_list() {
            for name in ["socket", "lseek", "kill"] {
                let nr = abi.syscall_nr(name).unwrap();
                let sig = signature_of_nr(abi, nr).unwrap();
                for _ in 0..300 {
                    let raw: [u64; 6] = core::array::from_fn(|_| rng.next() >> (rng.next() % 64));
                    // What the kernel reads, as a conforming caller passes it.
                    let intended: [u64; 6] = core::array::from_fn(|i| match sig.params().get(i) {
                        Some(param) if has_64bit_registers(abi) => {
                            extend(raw[i], param.ty.kernel_bits(abi), param.ty.signed)
                        }
                        _ => raw[i],
                    });
                    assert_eq!(
                        hard.decide(abi, nr, &raw),
                        p.decide(abi, nr, &intended),
                        "{abi} {name} {raw:x?}"
                    );
                }
            }
        }
        // And it compiles to a program deciding the same.
        let prog = hard.compile().unwrap();
        crate::validate::validate(prog.insns()).unwrap();
    }
}
