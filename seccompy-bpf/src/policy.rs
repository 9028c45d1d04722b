//! Seccomp policies: what a filter decides, stated independently of BPF.
//!
//! A [`Policy`] has a default action, an action for calls of other
//! architectures, one or more [`Abi`]s, and [`Rule`]s. A rule names a syscall,
//! an action, and argument [`Condition`]s that must all hold (AND). Several rules
//! for one syscall are alternatives (OR).
//!
//! # Semantics
//!
//! For a call described by a [`seccomp_data`], [`Policy::evaluate`] decides:
//!
//! 1. **ABI.** The call's ABI is the policy ABI whose `AUDIT_ARCH_*` value equals
//!    `arch`. x86_64 and x32 share `AUDIT_ARCH_X86_64`: under that arch a number
//!    with the x32 bit (`nr >= 0x4000_0000`, read unsigned) is an x32 call, except
//!    `nr == -1`, which stays an x86_64 call (the kernel's "no call" value;
//!    libseccomp treats it the same way): [`Abi::of_call`] decides. If the call's ABI is not one of the
//!    policy's, the result is the bad-arch action ([`Policy::bad_arch_action`],
//!    `KillProcess` unless set). So on an x86_64-only policy, x32 calls get the
//!    bad-arch action, as with libseccomp.
//! 2. **Rules.** A rule applies to the call when it is not restricted to other
//!    ABIs ([`Rule::only_on`]) and its syscall resolves, on the call's ABI, to
//!    `nr`: a [`Syscall::Name`] through the ABI's syscall table (a name unknown
//!    on that ABI applies nowhere on it; [`compile`](crate::compile()) fails only
//!    if the name is unknown on every ABI of the policy); a [`Syscall::Nr`] when
//!    it equals `nr` as is (so x32 numbers include `0x4000_0000`), a
//!    [`Syscall::Range`] when it contains `nr`. It matches when all its
//!    conditions hold.
//! 3. **Precedence.** If no rule matches, the result is the default action. If
//!    several match, the most restrictive action wins, in the kernel's order
//!    ([`Action::precedence`]: `KillProcess`, `KillThread`, `Trap`, `Errno`,
//!    `UserNotif`, `Trace`, `Log`, `Allow`), whatever order the rules were added
//!    in. Between two actions of the same kind with different data (say
//!    `Errno(1)` and `Errno(2)`), the smaller data wins, again independently of
//!    order. A matching rule overrides the default action even when it is less
//!    restrictive: the default only decides calls that no rule matches.
//!
//! # Arguments
//!
//! Comparisons are unsigned. A [`Width::U64`] condition compares the whole 64-bit
//! argument; a [`Width::Low32`] condition compares its low 32 bits, zero-extended,
//! with the 64-bit constant (so `Arg32(0).eq(5)` matches `0xffff_ffff_0000_0005`,
//! which is what an `int` argument means: the kernel ignores the high half). On
//! ABIs whose registers are 32 bits wide (those whose audit arch lacks
//! `__AUDIT_ARCH_64BIT`, such as i386 or arm), every condition is evaluated as a
//! `Low32` one: the filter reads only the low word, and the high word of
//! `seccomp_data.args` is not trusted. x32 and MIPS n32 pass 64-bit registers, so
//! `U64` conditions compare all 64 bits there.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

use crate::action::Action;

/// The syscall a [`Rule`] is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Syscall {
    /// A name, resolved per ABI through the syscall tables (`"socket"`).
    Name(Cow<'static, str>),
    /// A raw number, compared with `seccomp_data.nr` as is on every ABI of the
    /// policy (x32 numbers carry `0x4000_0000`; MIPS numbers their 4000/5000/6000
    /// base).
    Nr(u32),
    /// Every number from `first` to `last` inclusive, compared with
    /// `seccomp_data.nr` as is (like [`Syscall::Nr`]), known to the ABI or not:
    /// for instance everything above an ABI's last syscall, to fail unknown
    /// calls with `ENOSYS`. Empty if `first > last`.
    Range {
        /// First number.
        first: u32,
        /// Last number (inclusive).
        last: u32,
    },
}

impl Syscall {
    /// The number this syscall has on `abi`, if it is one number there (`None`
    /// for a name unknown on `abi` and for a [`Syscall::Range`]).
    #[must_use]
    pub fn nr_on(&self, abi: Abi) -> Option<u32> {
        match self {
            Syscall::Name(name) => abi.syscall_nr(name),
            Syscall::Nr(nr) => Some(*nr),
            Syscall::Range { .. } => None,
        }
    }

    /// Whether a call numbered `nr` on `abi` is this syscall.
    #[must_use]
    pub fn covers(&self, abi: Abi, nr: u32) -> bool {
        match self {
            Syscall::Range { first, last } => (*first..=*last).contains(&nr),
            s => s.nr_on(abi) == Some(nr),
        }
    }
}

impl From<&'static str> for Syscall {
    fn from(name: &'static str) -> Self {
        Syscall::Name(Cow::Borrowed(name))
    }
}

impl From<String> for Syscall {
    fn from(name: String) -> Self {
        Syscall::Name(Cow::Owned(name))
    }
}

impl From<u32> for Syscall {
    fn from(nr: u32) -> Self {
        Syscall::Nr(nr)
    }
}

/// Formats a name as is, a number as `#41`, a range as `#463..=#1073741823`.
impl fmt::Display for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Syscall::Name(n) => f.write_str(n),
            Syscall::Nr(nr) => write!(f, "#{nr}"),
            Syscall::Range { first, last } => write!(f, "#{first}..=#{last}"),
        }
    }
}

/// How much of an argument a [`Condition`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    /// All 64 bits (on ABIs with 64-bit registers; the low 32 bits elsewhere).
    U64,
    /// The low 32 bits, zero-extended: for `int`-typed arguments, whose high half
    /// the kernel ignores.
    Low32,
}

/// A comparison of an argument with constants. All comparisons are unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `arg == value`
    Eq(u64),
    /// `arg != value`
    Ne(u64),
    /// `arg < value`
    Lt(u64),
    /// `arg <= value`
    Le(u64),
    /// `arg > value`
    Gt(u64),
    /// `arg >= value`
    Ge(u64),
    /// `arg & mask == value` (never true if `value` has a bit outside `mask`).
    MaskedEq {
        /// The bits compared.
        mask: u64,
        /// The value they must have.
        value: u64,
    },
    /// `arg & !mask == 0`: no bit set outside `mask` (flags from an allowed set).
    BitsWithin(u64),
}

impl Cmp {
    /// Whether `arg` satisfies the comparison.
    #[must_use]
    pub const fn matches(self, arg: u64) -> bool {
        match self {
            Cmp::Eq(v) => arg == v,
            Cmp::Ne(v) => arg != v,
            Cmp::Lt(v) => arg < v,
            Cmp::Le(v) => arg <= v,
            Cmp::Gt(v) => arg > v,
            Cmp::Ge(v) => arg >= v,
            Cmp::MaskedEq { mask, value } => arg & mask == value,
            Cmp::BitsWithin(mask) => arg & !mask == 0,
        }
    }
}

/// The largest argument index (seccomp passes six arguments, 0 to 5).
pub const MAX_ARG_INDEX: u8 = 5;

/// A condition on one syscall argument.
///
/// Usually built with [`Arg`] or [`Arg32`]: `Arg(0).eq(40)`,
/// `Arg32(2).bits_within(0o777)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Condition {
    index: u8,
    width: Width,
    cmp: Cmp,
}

impl Condition {
    /// A condition on argument `index` (0 to 5; [`compile`](crate::compile())
    /// rejects larger ones).
    #[must_use]
    pub const fn new(index: u8, width: Width, cmp: Cmp) -> Self {
        Self { index, width, cmp }
    }

    /// The argument's index.
    #[must_use]
    pub const fn index(&self) -> u8 {
        self.index
    }

    /// How much of the argument is compared.
    #[must_use]
    pub const fn width(&self) -> Width {
        self.width
    }

    /// The comparison.
    #[must_use]
    pub const fn cmp(&self) -> Cmp {
        self.cmp
    }

    /// Whether the condition holds for `args` on an ABI whose registers are
    /// 64 bits wide (`args_64`) or not. An index past 5 never holds.
    #[must_use]
    pub fn matches(&self, args: &[u64; 6], args_64: bool) -> bool {
        let Some(&arg) = args.get(usize::from(self.index)) else {
            return false;
        };
        let arg = if args_64 && self.width == Width::U64 {
            arg
        } else {
            arg & 0xffff_ffff
        };
        self.cmp.matches(arg)
    }
}

macro_rules! arg_methods {
    ($ty:ident, $width:expr, $val:ty) => {
        #[allow(clippy::should_implement_trait)]
        impl $ty {
            /// `arg == value`
            #[must_use]
            pub fn eq(self, value: $val) -> Condition {
                self.cond(Cmp::Eq(value.into()))
            }
            /// `arg != value`
            #[must_use]
            pub fn ne(self, value: $val) -> Condition {
                self.cond(Cmp::Ne(value.into()))
            }
            /// `arg < value` (unsigned)
            #[must_use]
            pub fn lt(self, value: $val) -> Condition {
                self.cond(Cmp::Lt(value.into()))
            }
            /// `arg <= value` (unsigned)
            #[must_use]
            pub fn le(self, value: $val) -> Condition {
                self.cond(Cmp::Le(value.into()))
            }
            /// `arg > value` (unsigned)
            #[must_use]
            pub fn gt(self, value: $val) -> Condition {
                self.cond(Cmp::Gt(value.into()))
            }
            /// `arg >= value` (unsigned)
            #[must_use]
            pub fn ge(self, value: $val) -> Condition {
                self.cond(Cmp::Ge(value.into()))
            }
            /// `arg & mask == value`
            #[must_use]
            pub fn masked_eq(self, mask: $val, value: $val) -> Condition {
                self.cond(Cmp::MaskedEq {
                    mask: mask.into(),
                    value: value.into(),
                })
            }
            /// `arg & !mask == 0`: no bit set outside `mask`.
            #[must_use]
            pub fn bits_within(self, mask: $val) -> Condition {
                self.cond(Cmp::BitsWithin(mask.into()))
            }
            fn cond(self, cmp: Cmp) -> Condition {
                Condition::new(self.0, $width, cmp)
            }
        }
    };
}

/// Argument `n` (0 to 5) as a whole 64-bit value: `Arg(0).eq(40)`.
#[derive(Clone, Copy, Debug)]
pub struct Arg(pub u8);

/// The low 32 bits of argument `n` (0 to 5), for `int`-typed arguments:
/// `Arg32(1).masked_eq(0xff, 3)`.
#[derive(Clone, Copy, Debug)]
pub struct Arg32(pub u8);

arg_methods!(Arg, Width::U64, u64);
arg_methods!(Arg32, Width::Low32, u32);

impl Arg {
    /// The same argument, compared on its low 32 bits only.
    #[must_use]
    pub const fn low32(self) -> Arg32 {
        Arg32(self.0)
    }
}

/// One rule: when `syscall` is called (on one of the rule's ABIs, if it is
/// restricted with [`only_on`](Rule::only_on)) and every condition holds,
/// `action`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    syscall: Syscall,
    action: Action,
    conditions: Vec<Condition>,
    abis: AbiList,
}

/// A rule's ABIs, kept inline (an ABI appears at most once, so
/// [`Abi::ALL`]'s length bounds them): restricting a rule allocates nothing.
#[derive(Clone, Copy)]
struct AbiList {
    len: u8,
    items: [Abi; Abi::ALL.len()],
}

impl AbiList {
    const fn new() -> Self {
        Self {
            len: 0,
            items: [Abi::X86_64; Abi::ALL.len()],
        }
    }

    fn as_slice(&self) -> &[Abi] {
        self.items.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Adds `abi` unless it is there already.
    fn insert(&mut self, abi: Abi) {
        if self.as_slice().contains(&abi) {
            return;
        }
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = abi;
            self.len += 1;
        }
    }
}

impl PartialEq for AbiList {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for AbiList {}

impl core::hash::Hash for AbiList {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for AbiList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Rule {
    /// A rule that applies to every call of `syscall` (a name, a [`Syscall`], or a
    /// raw number as `u32`), until conditions are added with [`when`](Self::when).
    #[must_use]
    pub fn new(syscall: impl Into<Syscall>, action: Action) -> Self {
        Self {
            syscall: syscall.into(),
            action,
            conditions: Vec::new(),
            abis: AbiList::new(),
        }
    }

    /// Restricts the rule to calls of `abi` (calling it again adds another ABI).
    /// A rule without restriction applies on every ABI of the policy; a rule
    /// restricted to ABIs that the policy lacks applies nowhere. (x86_64 and x32
    /// calls are told apart as in the [module documentation](self).)
    #[must_use]
    pub fn only_on(mut self, abi: Abi) -> Self {
        self.abis.insert(abi);
        self
    }

    /// The ABIs the rule is restricted to; empty for every ABI.
    #[must_use]
    pub fn abis(&self) -> &[Abi] {
        self.abis.as_slice()
    }

    /// Whether the rule is about a call numbered `nr` on `abi` (its syscall and
    /// ABI restriction; conditions aside).
    #[must_use]
    pub fn applies_to(&self, abi: Abi, nr: u32) -> bool {
        (self.abis.len == 0 || self.abis.as_slice().contains(&abi)) && self.syscall.covers(abi, nr)
    }

    /// Adds a condition; all of a rule's conditions must hold (AND).
    #[must_use]
    pub fn when(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Adds several conditions (AND).
    #[must_use]
    pub fn when_all(mut self, conditions: impl IntoIterator<Item = Condition>) -> Self {
        self.conditions.extend(conditions);
        self
    }

    /// The syscall.
    #[must_use]
    pub fn syscall(&self) -> &Syscall {
        &self.syscall
    }

    /// The action.
    #[must_use]
    pub fn action(&self) -> Action {
        self.action
    }

    /// The conditions, all of which must hold.
    #[must_use]
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the rule matches a call of its syscall with `args` (see
    /// [`Condition::matches`]).
    #[must_use]
    pub fn matches_args(&self, args: &[u64; 6], args_64: bool) -> bool {
        self.conditions.iter().all(|c| c.matches(args, args_64))
    }
}

/// Whether `a` is strictly more restrictive than `b`: lower kernel precedence,
/// and between actions of one kind, smaller data.
#[must_use]
pub const fn more_restrictive(a: Action, b: Action) -> bool {
    let (pa, pb) = (a.precedence(), b.precedence());
    pa < pb || (pa == pb && (a.to_raw() & 0xffff) < (b.to_raw() & 0xffff))
}

/// Whether arguments of `abi` are 64 bits wide in `seccomp_data` (its audit
/// arch has `__AUDIT_ARCH_64BIT`, which includes x32 and MIPS n32).
#[must_use]
pub const fn abi_has_64bit_args(abi: Abi) -> bool {
    seccompy_sys::signatures::has_64bit_registers(abi)
}

/// A seccomp policy; see the [module documentation](self) for its semantics.
///
/// ```
/// use seccompy_bpf::policy::{Arg, Policy, Rule};
/// use seccompy_bpf::Action;
/// use seccompy_sys::syscalls::Abi;
///
/// let policy = Policy::new(Action::Errno(1))
///     .abi(Abi::X86_64)
///     .rule(Rule::new("read", Action::Allow))
///     .rule(Rule::new("socket", Action::Allow))
///     .rule(Rule::new("socket", Action::Errno(97)).when(Arg(0).eq(40)));
/// assert_eq!(policy.default_action(), Action::Errno(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    default_action: Action,
    bad_arch_action: Action,
    abis: Vec<Abi>,
    rules: Vec<Rule>,
    hot: Vec<Syscall>,
}

impl Policy {
    /// A policy with `default_action` for calls no rule matches, no ABI yet
    /// (add at least one with [`abi`](Self::abi)), no rule, and `KillProcess` as
    /// the bad-arch action.
    #[must_use]
    pub fn new(default_action: Action) -> Self {
        Self {
            default_action,
            bad_arch_action: Action::KillProcess,
            abis: Vec::new(),
            rules: Vec::new(),
            hot: Vec::new(),
        }
    }

    /// Sets the action for calls whose ABI is not one of the policy's.
    #[must_use]
    pub fn bad_arch_action(mut self, action: Action) -> Self {
        self.bad_arch_action = action;
        self
    }

    /// Adds an ABI (ignored if already there). The first ABI's calls are checked
    /// first by the compiled filter.
    #[must_use]
    pub fn abi(mut self, abi: Abi) -> Self {
        if !self.abis.contains(&abi) {
            self.abis.push(abi);
        }
        self
    }

    /// Adds several ABIs, in order.
    #[must_use]
    pub fn abis(self, abis: &[Abi]) -> Self {
        abis.iter().fold(self, |p, &a| p.abi(a))
    }

    /// Adds a rule.
    #[must_use]
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds several rules.
    #[must_use]
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Adds rules with `action` and no condition for each syscall of `syscalls`.
    #[must_use]
    pub fn syscalls<S: Into<Syscall>>(
        mut self,
        syscalls: impl IntoIterator<Item = S>,
        action: Action,
    ) -> Self {
        self.rules
            .extend(syscalls.into_iter().map(|s| Rule::new(s, action)));
        self
    }

    /// Names syscalls the caller expects to be frequent, in decreasing order of
    /// frequency: the compiler decides them in fewer instructions, at the cost of
    /// the others. It changes the program's speed, never its decisions.
    #[must_use]
    pub fn hot_syscalls<S: Into<Syscall>>(mut self, syscalls: impl IntoIterator<Item = S>) -> Self {
        self.hot.extend(syscalls.into_iter().map(Into::into));
        self
    }

    /// The action for calls that no rule matches.
    #[must_use]
    pub fn default_action(&self) -> Action {
        self.default_action
    }

    /// The action for calls of other ABIs.
    #[must_use]
    pub fn bad_arch(&self) -> Action {
        self.bad_arch_action
    }

    /// The ABIs, without duplicates, in the order added.
    #[must_use]
    pub fn abi_list(&self) -> &[Abi] {
        &self.abis
    }

    /// The rules, in the order added.
    #[must_use]
    pub fn rule_list(&self) -> &[Rule] {
        &self.rules
    }

    /// The hot syscalls, most frequent first.
    #[must_use]
    pub fn hot_list(&self) -> &[Syscall] {
        &self.hot
    }

    /// The policy ABI a call of audit arch `arch` and number `nr` belongs to, or
    /// `None` when it gets the bad-arch action.
    #[must_use]
    pub fn abi_of(&self, arch: u32, nr: u32) -> Option<Abi> {
        Abi::of_call(arch, nr).filter(|a| self.abis.contains(a))
    }

    /// What the policy decides for a call: a direct reading of the semantics in
    /// the [module documentation](self), with no compilation involved. It is the
    /// reference the compiled filter is tested against.
    ///
    /// Names resolve through the syscall tables: on an ABI whose table is not
    /// compiled in, a named rule matches no call. Such a policy does not compile
    /// ([`CompileError::MissingTable`](crate::CompileError::MissingTable)).
    #[must_use]
    pub fn evaluate(&self, data: &seccomp_data) -> Action {
        let nr = data.nr as u32;
        match self.abi_of(data.arch, nr) {
            Some(abi) => self.decide(abi, nr, &data.args),
            None => self.bad_arch_action,
        }
    }

    /// What the policy decides for a call of syscall `nr` on `abi` (which need not
    /// be one of the policy's: no arch check is made) with `args`. As [`evaluate`](Self::evaluate),
    /// a named rule matches nothing on an ABI whose table is not compiled in.
    #[must_use]
    pub fn decide(&self, abi: Abi, nr: u32, args: &[u64; 6]) -> Action {
        let args_64 = abi_has_64bit_args(abi);
        let mut best: Option<Action> = None;
        for rule in &self.rules {
            if rule.applies_to(abi, nr) && rule.matches_args(args, args_64) {
                best = Some(match best {
                    Some(b) if !more_restrictive(rule.action, b) => b,
                    _ => rule.action,
                });
            }
        }
        best.unwrap_or(self.default_action)
    }

    /// The conditions comparing all 64 bits of an argument the kernel reads fewer
    /// bits of, on the policy's ABIs with 64-bit registers: see
    /// [`harden::wide_conditions`](crate::harden::wide_conditions). A policy with
    /// such conditions still compiles (an OCI profile must compile as runc and
    /// libseccomp compile it); this is the warning to check, and
    /// [`harden::harden`](crate::harden::harden) the fix. `seccompy`'s `Filter`
    /// refuses those on 32-bit arguments.
    #[must_use]
    pub fn wide_conditions(&self) -> Vec<crate::harden::WideCondition> {
        crate::harden::wide_conditions(self)
    }

    /// Compiles the policy to a BPF program; see [`compile`](crate::compile::compile).
    pub fn compile(&self) -> Result<crate::program::Program, crate::compile::CompileError> {
        crate::compile::compile(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};

    fn call(arch: u32, nr: u32, args: [u64; 6]) -> seccomp_data {
        seccomp_data {
            nr: nr as i32,
            arch,
            instruction_pointer: 0,
            args,
        }
    }

    #[test]
    fn most_restrictive_wins_in_any_order() {
        let rules = [
            Rule::new("openat", Action::Allow),
            Rule::new("openat", Action::Errno(2)).when(Arg(2).bits_within(0o777)),
            Rule::new("openat", Action::Errno(1)).when(Arg(2).eq(0o644)),
            Rule::new("openat", Action::Trap(9)).when(Arg(1).eq(0)),
            Rule::new("openat", Action::Log).when(Arg(0).eq(3)),
        ];
        let nr = Abi::X86_64.syscall_nr("openat").unwrap();
        let cases = [
            ([0, 1, 0o644, 0, 0, 0], Action::Errno(1)),
            ([0, 1, 0o600, 0, 0, 0], Action::Errno(2)),
            ([0, 0, 0o644, 0, 0, 0], Action::Trap(9)),
            ([3, 1, 0o7777, 0, 0, 0], Action::Log),
            ([4, 1, 0o7777, 0, 0, 0], Action::Allow),
        ];
        // Every rotation and its reverse.
        for start in 0..rules.len() {
            for rev in [false, true] {
                let mut order: Vec<Rule> = rules[start..]
                    .iter()
                    .chain(&rules[..start])
                    .cloned()
                    .collect();
                if rev {
                    order.reverse();
                }
                let p = Policy::new(Action::KillProcess)
                    .abi(Abi::X86_64)
                    .rules(order);
                for (args, want) in cases {
                    assert_eq!(p.evaluate(&call(AUDIT_ARCH_X86_64, nr, args)), want);
                }
            }
        }
    }

    #[test]
    fn ties_take_the_smallest_data_and_rules_beat_the_default() {
        for (a, b) in [(1, 2), (2, 1)] {
            let p = Policy::new(Action::KillProcess)
                .abi(Abi::X86_64)
                .rule(Rule::new(0u32, Action::Errno(a)))
                .rule(Rule::new(0u32, Action::Errno(b)));
            let d = call(AUDIT_ARCH_X86_64, 0, [0; 6]);
            assert_eq!(p.evaluate(&d), Action::Errno(1));
            // The matching Errno overrides the more restrictive default.
            assert_eq!(
                p.evaluate(&call(AUDIT_ARCH_X86_64, 1, [0; 6])),
                Action::KillProcess
            );
        }
        assert!(more_restrictive(Action::Trace(1), Action::Log));
        assert!(!more_restrictive(Action::Trace(1), Action::Trace(1)));
        assert!(more_restrictive(Action::KillProcess, Action::KillThread));
    }

    #[test]
    fn arch_and_x32_guard() {
        let p = Policy::new(Action::Allow)
            .abi(Abi::X86_64)
            .bad_arch_action(Action::KillThread);
        let at = |arch, nr| p.evaluate(&call(arch, nr, [0; 6]));
        assert_eq!(at(AUDIT_ARCH_X86_64, 0), Action::Allow);
        assert_eq!(at(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT), Action::KillThread);
        assert_eq!(at(AUDIT_ARCH_X86_64, 0x8000_0000), Action::KillThread);
        assert_eq!(at(AUDIT_ARCH_X86_64, u32::MAX), Action::Allow);
        assert_eq!(at(AUDIT_ARCH_I386, 0), Action::KillThread);
        let p = p.abi(Abi::X32).rule(Rule::new("read", Action::Log));
        let read32 = Abi::X32.syscall_nr("read").unwrap();
        assert_eq!(p.abi_of(AUDIT_ARCH_X86_64, read32), Some(Abi::X32));
        assert_eq!(
            p.evaluate(&call(AUDIT_ARCH_X86_64, read32, [0; 6])),
            Action::Log
        );
        assert_eq!(p.evaluate(&call(AUDIT_ARCH_X86_64, 0, [0; 6])), Action::Log);
        assert_eq!(
            p.evaluate(&call(AUDIT_ARCH_X86_64, 1, [0; 6])),
            Action::Allow
        );
    }

    #[test]
    fn widths_and_32_bit_abis() {
        let high = 0xffff_ffff_0000_0005;
        assert!(Arg32(0).eq(5).matches(&[high, 0, 0, 0, 0, 0], true));
        assert!(!Arg(0).eq(5).matches(&[high, 0, 0, 0, 0, 0], true));
        // On a 32-bit ABI, the argument is its low word, zero-extended.
        assert!(Arg(0).eq(5).matches(&[high, 0, 0, 0, 0, 0], false));
        assert!(
            !Arg(0)
                .eq(0x1_0000_0005)
                .matches(&[0x1_0000_0005, 0, 0, 0, 0, 0], false)
        );
        assert!(
            Arg(0)
                .lt(1 << 32)
                .matches(&[u64::MAX, 0, 0, 0, 0, 0], false)
        );
        assert!(
            Arg(5)
                .masked_eq(0xf0, 0x30)
                .matches(&[0, 0, 0, 0, 0, 0x1234_5637], true)
        );
        assert!(
            !Cmp::MaskedEq {
                mask: 0xf0,
                value: 0x31
            }
            .matches(0x31)
        );
        assert!(
            Arg(1)
                .bits_within(0o777)
                .matches(&[0, 0o755, 0, 0, 0, 0], true)
        );
        assert!(
            !Arg(1)
                .bits_within(0o777)
                .matches(&[0, 0o1755, 0, 0, 0, 0], true)
        );
        assert!(!Condition::new(6, Width::U64, Cmp::Ge(0)).matches(&[0; 6], true));
        assert!(abi_has_64bit_args(Abi::X32));
        assert!(abi_has_64bit_args(Abi::Mips64n32));
        assert!(!abi_has_64bit_args(Abi::Arm));
    }

    #[test]
    fn ranges_and_abi_restrictions() {
        let p = Policy::new(Action::Allow)
            .abis(&[Abi::X86_64, Abi::I386, Abi::X32])
            .rule(
                Rule::new(
                    Syscall::Range {
                        first: 463,
                        last: 0x3fff_ffff,
                    },
                    Action::Errno(38),
                )
                .only_on(Abi::X86_64),
            )
            .rule(Rule::new("read", Action::Log).only_on(Abi::I386));
        let at = |arch, nr| p.evaluate(&call(arch, nr, [0; 6]));
        assert_eq!(at(AUDIT_ARCH_X86_64, 462), Action::Allow);
        assert_eq!(at(AUDIT_ARCH_X86_64, 463), Action::Errno(38));
        assert_eq!(at(AUDIT_ARCH_X86_64, 0x3fff_ffff), Action::Errno(38));
        // x32 calls are not x86_64 calls, even with the range's numbers.
        assert_eq!(at(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT + 500), Action::Allow);
        assert_eq!(at(AUDIT_ARCH_I386, 500), Action::Allow);
        assert_eq!(at(AUDIT_ARCH_I386, 3), Action::Log);
        assert_eq!(at(AUDIT_ARCH_X86_64, 0), Action::Allow);
        let r = &p.rule_list()[0];
        assert_eq!(r.abis(), [Abi::X86_64]);
        assert!(r.applies_to(Abi::X86_64, 1000));
        assert!(!r.applies_to(Abi::I386, 1000));
        assert_eq!(alloc::format!("{}", r.syscall()), "#463..=#1073741823");
        assert_eq!(r.syscall().nr_on(Abi::X86_64), None);
    }

    #[test]
    fn builders_and_display() {
        let r = Rule::new(41u32, Action::Errno(97)).when_all([Arg(0).eq(40), Arg32(1).ne(2)]);
        assert_eq!(r.conditions().len(), 2);
        assert_eq!(r.conditions()[1].width(), Width::Low32);
        assert_eq!(r.conditions()[1].cmp(), Cmp::Ne(2));
        assert_eq!(alloc::format!("{}", r.syscall()), "#41");
        assert_eq!(alloc::format!("{}", Syscall::from("read")), "read");
        let p = Policy::new(Action::Allow)
            .abis(&[Abi::X86_64, Abi::X86_64, Abi::I386])
            .syscalls(["read", "write"], Action::Log)
            .hot_syscalls(["read"]);
        assert_eq!(p.abi_list(), [Abi::X86_64, Abi::I386]);
        assert_eq!(p.rule_list().len(), 2);
        assert_eq!(p.hot_list(), [Syscall::from("read")]);
        assert_eq!(p.bad_arch(), Action::KillProcess);
    }
}
