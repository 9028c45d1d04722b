//! Profiles learned from runs: which calls a command made and, for the calls
//! whose arguments profiles commonly restrict, which argument values
//! ([`LearnedProfile`]); merged run by run ([`LearnedProfile::merge`]), read
//! back from their OCI form ([`LearnedProfile::from_profile`]), and written as
//! an OCI profile, a Kubernetes Security Profiles Operator `SeccompProfile`
//! resource, or Rust code building a `seccompy::Filter`.
//!
//! # Which arguments are learned, and their widths
//!
//! [`ARG_RULES`] lists them. A learned value is kept as `(arg & mask) ==
//! value`, written as `SCMP_CMP_MASKED_EQ` (`value` the mask, `valueTwo` the
//! datum), which libseccomp compares on 64 bits on 64-bit ABIs and on the low
//! 32 bits on 32-bit ones (x32 included). Arguments the kernel declares `int`
//! or `unsigned int` get the mask `0xffff_ffff`: the kernel reads their low 32
//! bits only (`socket`'s `family`, `personality`'s `personality`, `ioctl`'s
//! `cmd`, `prctl`'s `option`, `fcntl`'s `cmd`), so a caller that sign-extends
//! a negative `int` into the high half, as some language runtimes do, is
//! still matched. Flag arguments get the mask of the bits learned: the
//! namespace bits of `clone` and `unshare` flags, the type bits
//! (`SOCK_TYPE_MASK`, 0xf) of `socket`'s `type` (its `SOCK_NONBLOCK` and
//! `SOCK_CLOEXEC` bits are left free), `PROT_EXEC` of `mmap`, `mmap2`,
//! `mprotect` and `pkey_mprotect`'s `prot`; a mask within the low 32 bits
//! reads the same at any width. `clone3` takes its flags in memory, which
//! seccomp cannot read: it is learned by name only.
//!
//! Argument positions are those of the generic syscall ABI, which the x86
//! ABIs, arm, arm64, riscv64 and loongarch64 share for these calls; on the
//! other ABIs (s390x's `clone`, for one, takes the flags second), and for
//! i386's `mmap` (the old `mmap`, which takes a pointer to its arguments),
//! the call is learned by name only.
//!
//! # Merging
//!
//! A name allowed whatever its arguments absorbs its argument rules; otherwise
//! the allowed argument tuples are united, and a one-bit mask whose two values
//! were both seen (`PROT_EXEC` with and without) becomes "whatever its
//! arguments". Merging is therefore commutative, associative and idempotent.
//!
//! # References
//! - [`seccomp_rule_add(3)`](https://man7.org/linux/man-pages/man3/seccomp_rule_add.3.html)
//! - [OCI runtime spec, seccomp](https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp)
//! - Security Profiles Operator, `api/seccompprofile/v1beta1`

use alloc::borrow::ToOwned;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;

use seccompy_sys::syscalls::Abi;

use super::model::Profile;
use super::names::{ScmpAction, ScmpArch, ScmpOp};

/// `(arg[index] & mask) == value`, with `value` within `mask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArgMatch {
    /// The argument, 0 to 5.
    pub index: u8,
    /// The bits compared.
    pub mask: u64,
    /// Their value.
    pub value: u64,
}

/// What a learned profile allows of one syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// Every call, whatever its arguments.
    Any,
    /// The calls matching one of these conjunctions (each sorted by index, one
    /// condition per index).
    Only(BTreeSet<Vec<ArgMatch>>),
}

/// One argument a profile learns for a syscall: its index and the bits kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Learn {
    /// The argument, 0 to 5.
    pub index: u8,
    /// The bits learned.
    pub mask: u64,
}

const INT: u64 = 0xffff_ffff;
/// `CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
/// | CLONE_NEWPID | CLONE_NEWNET` (`clone`'s low byte is the exit signal, so
/// `CLONE_NEWTIME`, 0x80, is not a `clone` flag).
pub const CLONE_NAMESPACES: u64 = 0x7e02_0000;
/// [`CLONE_NAMESPACES`] and `CLONE_NEWTIME` (0x80), for `unshare`.
pub const UNSHARE_NAMESPACES: u64 = CLONE_NAMESPACES | 0x80;
const PROT_EXEC: u64 = 0x4;

/// The syscalls whose arguments are learned, and which arguments.
pub const ARG_RULES: &[(&str, &[Learn])] = &[
    (
        "socket",
        &[
            Learn {
                index: 0,
                mask: INT,
            },
            Learn {
                index: 1,
                mask: 0xf,
            },
        ],
    ),
    (
        "personality",
        &[Learn {
            index: 0,
            mask: INT,
        }],
    ),
    (
        "clone",
        &[Learn {
            index: 0,
            mask: CLONE_NAMESPACES,
        }],
    ),
    (
        "unshare",
        &[Learn {
            index: 0,
            mask: UNSHARE_NAMESPACES,
        }],
    ),
    (
        "ioctl",
        &[Learn {
            index: 1,
            mask: INT,
        }],
    ),
    (
        "prctl",
        &[Learn {
            index: 0,
            mask: INT,
        }],
    ),
    (
        "fcntl",
        &[Learn {
            index: 1,
            mask: INT,
        }],
    ),
    (
        "fcntl64",
        &[Learn {
            index: 1,
            mask: INT,
        }],
    ),
    (
        "mmap",
        &[Learn {
            index: 2,
            mask: PROT_EXEC,
        }],
    ),
    (
        "mmap2",
        &[Learn {
            index: 2,
            mask: PROT_EXEC,
        }],
    ),
    (
        "mprotect",
        &[Learn {
            index: 2,
            mask: PROT_EXEC,
        }],
    ),
    (
        "pkey_mprotect",
        &[Learn {
            index: 2,
            mask: PROT_EXEC,
        }],
    ),
];

/// The arguments learned for `name` called on `abi`, if any (see the
/// [module documentation](self) for the ABIs and exceptions).
#[must_use]
pub fn learned_args(abi: Abi, name: &str) -> Option<&'static [Learn]> {
    let generic = matches!(
        abi,
        Abi::X86_64
            | Abi::I386
            | Abi::X32
            | Abi::Aarch64
            | Abi::Arm
            | Abi::Riscv64
            | Abi::Loongarch64
    );
    if !generic || (abi == Abi::I386 && name == "mmap") {
        return None;
    }
    ARG_RULES.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// The filter of a fast trace on `host`: calls of other ABIs (on x86_64, x32
/// calls too), `execve` and `execveat` go to the supervisor (`UserNotif`);
/// every other call is allowed, to be counted, with its learned arguments,
/// elsewhere (see `seccompy::tracefs`) without a round trip.
#[must_use]
pub fn notify_policy(host: Abi) -> crate::Policy {
    use crate::{Action, Policy};
    let names: Vec<&str> = ["execve", "execveat"]
        .into_iter()
        .filter(|name| host.syscall_nr(name).is_some())
        .collect();
    Policy::new(Action::Allow)
        .bad_arch_action(Action::UserNotif)
        .abi(host)
        .syscalls(names, Action::UserNotif)
}

/// For each call of `abi` whose arguments are learned, its number and the
/// mask of each argument (0 for the arguments not learned).
#[must_use]
pub fn arg_masks(abi: Abi) -> Vec<(u32, [u64; 6])> {
    ARG_RULES
        .iter()
        .filter_map(|(name, _)| {
            let learn = learned_args(abi, name)?;
            let nr = abi.syscall_nr(name)?;
            let mut masks = [0; 6];
            for l in learn {
                masks[usize::from(l.index)] = l.mask;
            }
            Some((nr, masks))
        })
        .collect()
}

/// Why a profile could not be read as a learned profile, or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LearnError {
    /// A rule that a learned profile cannot hold.
    #[error("rule {rule} of the profile: {why}")]
    Rule {
        /// Its index in `syscalls`, from 0.
        rule: usize,
        /// What is wrong.
        why: String,
    },
    /// An architecture name that is not an `SCMP_ARCH_*` name.
    #[error("unknown architecture {0:?}")]
    Arch(String),
    /// A Kubernetes object name that is not a DNS-1123 subdomain.
    #[error(
        "{0:?} is not a Kubernetes object name (lower-case letters, digits, '-' and '.', \
         starting and ending with a letter or digit, at most 253 characters)"
    )]
    Name(String),
}

/// A profile learned from runs: the architectures and, per syscall name, what
/// is allowed. Everything else fails with `EPERM` (`SCMP_ACT_ERRNO`, errno 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LearnedProfile {
    arches: BTreeSet<&'static str>,
    syscalls: BTreeMap<String, Allowed>,
}

impl LearnedProfile {
    /// An empty profile (allows nothing).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The `SCMP_ARCH_*` names, sorted.
    pub fn arches(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.arches.iter().copied()
    }

    /// The syscalls, sorted by name, with what is allowed of each.
    #[must_use]
    pub fn syscalls(&self) -> &BTreeMap<String, Allowed> {
        &self.syscalls
    }

    /// Adds an ABI to the architectures (nothing for an ABI runc does not name).
    pub fn add_abi(&mut self, abi: Abi) {
        if let Some(a) = ScmpArch::of_abi(abi) {
            self.arches.insert(a.as_str());
        }
    }

    /// Records a call of `name` on `abi`: with its `args`, the learned
    /// arguments' values ([`learned_args`]); without (`None`, or with
    /// `names_only`), the name whatever its arguments.
    pub fn record(&mut self, abi: Abi, name: &str, args: Option<&[u64; 6]>) {
        self.add_abi(abi);
        let allowed = match (learned_args(abi, name), args) {
            (Some(learn), Some(args)) => {
                let conj = learn
                    .iter()
                    .map(|l| ArgMatch {
                        index: l.index,
                        mask: l.mask,
                        value: args[usize::from(l.index)] & l.mask,
                    })
                    .collect();
                Allowed::Only(BTreeSet::from([conj]))
            }
            _ => Allowed::Any,
        };
        self.allow(name, allowed);
    }

    /// Adds `allowed` to what `name` is allowed.
    fn allow(&mut self, name: &str, allowed: Allowed) {
        let entry = self
            .syscalls
            .entry(name.to_owned())
            .or_insert_with(|| Allowed::Only(BTreeSet::new()));
        let merged = match (core::mem::replace(entry, Allowed::Any), allowed) {
            (Allowed::Only(mut a), Allowed::Only(b)) => {
                a.extend(b);
                normalize(a)
            }
            _ => Allowed::Any,
        };
        *entry = merged;
    }

    /// Adds `other` to this profile: the union of architectures, names and
    /// allowed argument values. Commutative, associative and idempotent.
    pub fn merge(&mut self, other: &LearnedProfile) {
        self.arches.extend(other.arches.iter().copied());
        for (name, allowed) in &other.syscalls {
            self.allow(name, allowed.clone());
        }
    }

    /// Drops every argument rule: each name seen is allowed whatever its
    /// arguments (`trace --names-only`).
    pub fn names_only(&mut self) {
        for allowed in self.syscalls.values_mut() {
            *allowed = Allowed::Any;
        }
    }

    /// Reads a profile of the shape this module writes: `SCMP_ACT_ALLOW` rules
    /// with `names` and conditions `SCMP_CMP_EQ` or `SCMP_CMP_MASKED_EQ`. Its
    /// default action is not kept (a learned profile's is `SCMP_ACT_ERRNO`).
    /// As runc does, a rule with several conditions on one argument becomes one
    /// rule per condition (alternatives).
    ///
    /// # Errors
    /// [`LearnError`] for any other rule, or an unknown architecture.
    pub fn from_profile(profile: &Profile) -> Result<Self, LearnError> {
        let mut learned = LearnedProfile::new();
        for arch in profile.architectures.iter().flatten() {
            let a = ScmpArch::parse(arch).ok_or_else(|| LearnError::Arch(arch.clone()))?;
            learned.arches.insert(a.as_str());
        }
        for (i, rule) in profile.syscalls.iter().flatten().enumerate() {
            let bad = |why: &str| LearnError::Rule {
                rule: i,
                why: why.to_string(),
            };
            if rule.action.as_deref() != Some(ScmpAction::Allow.as_str()) {
                return Err(bad("only SCMP_ACT_ALLOW rules can be merged"));
            }
            if rule.includes.is_some() || rule.excludes.is_some() {
                return Err(bad("includes and excludes cannot be merged"));
            }
            let mut conds = Vec::new();
            for c in rule.args.iter().flatten() {
                let index = c
                    .index
                    .filter(|&i| i <= 5)
                    .ok_or_else(|| bad("an argument index must be 0 to 5"))?
                    as u8;
                let value = c.value.unwrap_or(0);
                let m = match c.op.as_deref().and_then(ScmpOp::parse) {
                    Some(ScmpOp::Eq) => ArgMatch {
                        index,
                        mask: u64::MAX,
                        value,
                    },
                    Some(ScmpOp::MaskedEq) => ArgMatch {
                        index,
                        mask: value,
                        value: c.value_two.unwrap_or(0) & value,
                    },
                    _ => {
                        return Err(bad(
                            "only SCMP_CMP_EQ and SCMP_CMP_MASKED_EQ conditions can be merged",
                        ));
                    }
                };
                conds.push(m);
            }
            conds.sort_unstable();
            let repeated = conds.windows(2).any(|w| w[0].index == w[1].index);
            let allowed = if conds.is_empty() {
                Allowed::Any
            } else if repeated {
                Allowed::Only(conds.into_iter().map(|c| alloc::vec![c]).collect())
            } else {
                Allowed::Only(BTreeSet::from([conds]))
            };
            let names = rule.names.iter().flatten().chain(rule.name.as_ref());
            for name in names {
                learned.allow(name, allowed.clone());
            }
        }
        Ok(learned)
    }

    /// The rules, in output order: one `(names, conditions)` for every name
    /// allowed whatever its arguments, then one per allowed conjunction.
    fn rules(&self) -> Vec<(Vec<&str>, &[ArgMatch])> {
        let any: Vec<&str> = self
            .syscalls
            .iter()
            .filter(|(_, a)| **a == Allowed::Any)
            .map(|(n, _)| n.as_str())
            .collect();
        let mut rules = Vec::new();
        if !any.is_empty() {
            rules.push((any, &[][..]));
        }
        for (name, allowed) in &self.syscalls {
            if let Allowed::Only(set) = allowed {
                for conj in set {
                    rules.push((alloc::vec![name.as_str()], conj.as_slice()));
                }
            }
        }
        rules
    }

    /// The OCI profile (runtime-spec `linux.seccomp`), as JSON.
    #[must_use]
    pub fn to_oci_json(&self) -> String {
        let mut s = String::from(
            "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n  \"architectures\": [",
        );
        s.push_str(&join(self.arches.iter().map(|a| quote(a)), ", "));
        s.push_str("],\n  \"syscalls\": [");
        let rules = self.rules();
        for (i, (names, conds)) in rules.iter().enumerate() {
            s.push_str(if i == 0 { "\n" } else { ",\n" });
            s.push_str("    {\n      \"names\": [");
            for (j, chunk) in names.chunks(6).enumerate() {
                s.push_str(if j == 0 { "\n        " } else { ",\n        " });
                s.push_str(&join(chunk.iter().map(|n| quote(n)), ", "));
            }
            s.push_str("\n      ],\n      \"action\": \"SCMP_ACT_ALLOW\"");
            if !conds.is_empty() {
                s.push_str(",\n      \"args\": [");
                for (j, c) in conds.iter().enumerate() {
                    s.push_str(if j == 0 { "\n" } else { ",\n" });
                    let _ = write!(s, "        {}", oci_condition(c));
                }
                s.push_str("\n      ]");
            }
            s.push_str("\n    }");
        }
        s.push_str(if rules.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        s
    }

    /// The Kubernetes Security Profiles Operator resource
    /// (`security-profiles-operator.x-k8s.io/v1beta1`, kind `SeccompProfile`)
    /// named `name`, as YAML. The operator's spec has no `defaultErrnoRet`:
    /// `SCMP_ACT_ERRNO` then fails calls with `EPERM`, as here.
    ///
    /// # Errors
    /// [`LearnError::Name`] if `name` is not a DNS-1123 subdomain (see
    /// [`is_kubernetes_name`]).
    pub fn to_spo_yaml(&self, name: &str) -> Result<String, LearnError> {
        if !is_kubernetes_name(name) {
            return Err(LearnError::Name(name.to_owned()));
        }
        let mut s = format!(
            "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n\
             metadata:\n  name: {}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n",
            quote(name)
        );
        if !self.arches.is_empty() {
            s.push_str("  architectures:\n");
            for a in &self.arches {
                let _ = writeln!(s, "    - {a}");
            }
        }
        let rules = self.rules();
        if !rules.is_empty() {
            s.push_str("  syscalls:\n");
        }
        for (names, conds) in rules {
            s.push_str("    - action: SCMP_ACT_ALLOW\n      names:\n");
            for n in names {
                let _ = writeln!(s, "        - {}", quote(n));
            }
            if !conds.is_empty() {
                s.push_str("      args:\n");
                for c in conds {
                    let (op, value, two) = oci_parts(c);
                    let _ = writeln!(s, "        - index: {}", c.index);
                    let _ = writeln!(s, "          op: {}", op.as_str());
                    let _ = writeln!(s, "          value: {value}");
                    if let Some(two) = two {
                        let _ = writeln!(s, "          valueTwo: {two}");
                    }
                }
            }
        }
        Ok(s)
    }

    /// Rust code building the same filter with `seccompy::Filter` for
    /// `native` (its [`FilterArgs::arch`](https://docs.rs/seccompy)), the
    /// other architectures added with `add_abi`: a block that evaluates to
    /// the `Filter`.
    #[must_use]
    pub fn to_rust_filter(&self, native: Abi) -> String {
        let rules = self.rules();
        let conds: Vec<String> = rules
            .iter()
            .flat_map(|(_, c)| c.iter().map(rust_condition))
            .collect();
        let mut imports = Vec::new();
        if conds.iter().any(|c| c.starts_with("Arg(")) {
            imports.push("Arg");
        }
        if conds.iter().any(|c| c.starts_with("Arg32(")) {
            imports.push("Arg32");
        }
        imports.extend(["Filter", "FilterAction", "FilterArgs"]);
        let mut s = format!(
            "// Learned by `seccompy trace`.\n{{\n    use seccompy::sys::syscalls::Abi;\n    \
             use seccompy::{{{}}};\n\n    \
             let mut filter = Filter::new(FilterArgs {{\n        \
             default_action: FilterAction::Errno {{ errno: 1 }},\n",
            imports.join(", ")
        );
        let _ = write!(
            s,
            "        arch: Abi::{native:?},\n        arch_mismatch_action: FilterAction::KillProcess,\n        \
             ..FilterArgs::default()\n    }});\n"
        );
        for a in &self.arches {
            if let Some(abi) = ScmpArch::parse(a).and_then(ScmpArch::abi)
                && abi != native
            {
                let _ = writeln!(s, "    filter.add_abi(Abi::{abi:?});");
            }
        }
        for (names, conds) in rules {
            if conds.is_empty() {
                s.push_str("    for name in [");
                for chunk in names.chunks(6) {
                    s.push_str("\n        ");
                    s.push_str(&join(chunk.iter().map(|n| format!("{},", quote(n))), " "));
                }
                s.push_str(
                    "\n    ] {\n        filter.add_syscall(name, FilterAction::Allow);\n    }\n",
                );
            } else {
                let conds = join(conds.iter().map(rust_condition), ", ");
                let _ = writeln!(
                    s,
                    "    filter.add_rule({}, FilterAction::Allow, [{conds}]);",
                    quote(names[0])
                );
            }
        }
        s.push_str("    filter\n}\n");
        s
    }
}

/// Collapses a set of conjunctions that allows everything: one condition on a
/// one-bit mask, both of whose values are in the set.
fn normalize(set: BTreeSet<Vec<ArgMatch>>) -> Allowed {
    let mut single: BTreeMap<(u8, u64), Vec<u64>> = BTreeMap::new();
    for conj in &set {
        if let [c] = conj.as_slice() {
            single.entry((c.index, c.mask)).or_default().push(c.value);
        }
    }
    let covers = single
        .iter()
        .any(|(&(_, mask), values)| mask.count_ones() == 1 && values.len() == 2);
    if covers || set.iter().any(Vec::is_empty) {
        Allowed::Any
    } else {
        Allowed::Only(set)
    }
}

/// The operator, `value` and `valueTwo` of a condition in a profile.
fn oci_parts(c: &ArgMatch) -> (ScmpOp, u64, Option<u64>) {
    if c.mask == u64::MAX {
        (ScmpOp::Eq, c.value, None)
    } else {
        (ScmpOp::MaskedEq, c.mask, Some(c.value))
    }
}

fn oci_condition(c: &ArgMatch) -> String {
    let (op, value, two) = oci_parts(c);
    let two = two
        .map(|t| format!(", \"valueTwo\": {t}"))
        .unwrap_or_default();
    format!(
        "{{\"index\": {}, \"value\": {value}{two}, \"op\": \"{}\"}}",
        c.index,
        op.as_str()
    )
}

fn rust_condition(c: &ArgMatch) -> String {
    let i = c.index;
    match c.mask {
        u64::MAX => format!("Arg({i}).eq({:#x})", c.value),
        INT => format!("Arg32({i}).eq({:#x})", c.value),
        m if m <= INT => format!("Arg32({i}).masked_eq({m:#x}, {:#x})", c.value),
        m => format!("Arg({i}).masked_eq({m:#x}, {:#x})", c.value),
    }
}

/// A JSON string, which is also a YAML double-quoted scalar.
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

fn join(items: impl Iterator<Item = String>, sep: &str) -> String {
    items.collect::<Vec<_>>().join(sep)
}

/// Whether `s` is a DNS-1123 subdomain, as Kubernetes requires of object
/// names (and [`LearnedProfile::to_spo_yaml`] of its `name`).
#[must_use]
pub fn is_kubernetes_name(s: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && alnum(b[0])
                && alnum(b[b.len() - 1])
                && b.iter().all(|&c| alnum(c) || c == b'-')
        })
}

/// A Kubernetes object name made from `s` (a file or command name): lower
/// case, every other character than letters, digits, '-' and '.' replaced by
/// '-', trimmed to start and end with a letter or digit; `"seccomp-profile"`
/// if nothing is left.
#[must_use]
pub fn kubernetes_name(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = String::new();
    for part in mapped.split('-').filter(|p| !p.is_empty()) {
        if !name.is_empty() {
            name.push('-');
        }
        name.push_str(part);
    }
    name.truncate(253);
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        String::from("seccomp-profile")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;
    use alloc::vec;

    fn socket(family: u64, ty: u64) -> [u64; 6] {
        [family, ty, 0, 0, 0, 0]
    }

    #[test]
    fn arguments_are_learned_with_their_masks() {
        let mut p = LearnedProfile::new();
        // SOCK_STREAM | SOCK_CLOEXEC: the type bits only.
        p.record(Abi::X86_64, "socket", Some(&socket(2, 0x80001)));
        // A sign-extended int: the low 32 bits only.
        p.record(
            Abi::X86_64,
            "ioctl",
            Some(&[1, 0xffff_ffff_8000_5401, 0, 0, 0, 0]),
        );
        p.record(Abi::X86_64, "read", Some(&[0; 6]));
        p.record(Abi::X86_64, "clone", Some(&[0x1200011, 0, 0, 0, 0, 0]));
        assert_eq!(p.syscalls()["read"], Allowed::Any);
        let only = |v: Vec<ArgMatch>| Allowed::Only(BTreeSet::from([v]));
        assert_eq!(
            p.syscalls()["socket"],
            only(vec![
                ArgMatch {
                    index: 0,
                    mask: INT,
                    value: 2
                },
                ArgMatch {
                    index: 1,
                    mask: 0xf,
                    value: 1
                },
            ])
        );
        assert_eq!(
            p.syscalls()["ioctl"],
            only(vec![ArgMatch {
                index: 1,
                mask: INT,
                value: 0x8000_5401
            }])
        );
        assert_eq!(
            p.syscalls()["clone"],
            only(vec![ArgMatch {
                index: 0,
                mask: CLONE_NAMESPACES,
                value: 0
            }])
        );
        // PROT_EXEC seen with and without: mmap whatever its arguments.
        p.record(Abi::X86_64, "mmap", Some(&[0, 4096, 1, 2, 0, 0]));
        assert!(matches!(p.syscalls()["mmap"], Allowed::Only(_)));
        p.record(Abi::X86_64, "mmap", Some(&[0, 4096, 5, 2, 0, 0]));
        assert_eq!(p.syscalls()["mmap"], Allowed::Any);
        // i386's old mmap takes a pointer; s390x's clone its flags second.
        assert_eq!(learned_args(Abi::I386, "mmap"), None);
        assert_eq!(learned_args(Abi::S390x, "clone"), None);
        assert!(learned_args(Abi::I386, "mmap2").is_some());
        // Without arguments (or names only), the name whatever its arguments.
        p.record(Abi::X86_64, "prctl", None);
        assert_eq!(p.syscalls()["prctl"], Allowed::Any);
        p.names_only();
        assert!(p.syscalls().values().all(|a| *a == Allowed::Any));
    }

    /// A random learned profile over a few names, values and ABIs.
    fn random_profile(rng: &mut Rng) -> LearnedProfile {
        let mut p = LearnedProfile::new();
        let names = ["socket", "ioctl", "mmap", "read", "unshare", "prctl"];
        let abis = [Abi::X86_64, Abi::I386, Abi::X32];
        for _ in 0..rng.below(8) {
            let mut args = [0u64; 6];
            for a in &mut args {
                *a = rng.pick(&[0, 1, 2, 4, 5, 10, 0x1000_0000, 0xffff_ffff_0000_0002]);
            }
            let with_args = rng.below(5) != 0;
            p.record(
                rng.pick(&abis),
                rng.pick(&names),
                with_args.then_some(&args),
            );
        }
        p
    }

    #[test]
    fn merge_is_commutative_associative_and_idempotent() {
        let mut rng = Rng(15);
        for _ in 0..500 {
            let (a, b, c) = (
                random_profile(&mut rng),
                random_profile(&mut rng),
                random_profile(&mut rng),
            );
            let merged = |x: &LearnedProfile, y: &LearnedProfile| {
                let mut m = x.clone();
                m.merge(y);
                m
            };
            assert_eq!(merged(&a, &b), merged(&b, &a));
            assert_eq!(merged(&a, &a), a);
            assert_eq!(merged(&merged(&a, &b), &b), merged(&a, &b));
            assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
            // What a merge allows: exactly what either allowed.
            let ab = merged(&a, &b);
            for (name, allowed) in ab.syscalls() {
                for args in [[2u64, 1, 4, 0, 0, 0], [10, 2, 0, 0, 0, 0], [0; 6]] {
                    let allows = |p: &LearnedProfile| {
                        p.syscalls().get(name).is_some_and(|x| allows(x, &args))
                    };
                    assert_eq!(allows(&ab), allows(&a) || allows(&b), "{name} {allowed:?}");
                }
            }
        }
    }

    fn allows(a: &Allowed, args: &[u64; 6]) -> bool {
        match a {
            Allowed::Any => true,
            Allowed::Only(set) => set.iter().any(|conj| {
                conj.iter()
                    .all(|c| args[usize::from(c.index)] & c.mask == c.value)
            }),
        }
    }

    #[test]
    fn oci_json_reads_back_to_the_same_profile() {
        let mut rng = Rng(16);
        for _ in 0..300 {
            let p = random_profile(&mut rng);
            let json = p.to_oci_json();
            let parsed = Profile::from_json(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
            assert_eq!(LearnedProfile::from_profile(&parsed).unwrap(), p, "{json}");
        }
    }

    #[test]
    fn the_written_profile_allows_exactly_what_was_seen() {
        use crate::Action;
        use crate::oci::{KernelVersion, ResolveOptions};
        let mut p = LearnedProfile::new();
        p.record(Abi::X86_64, "socket", Some(&socket(2, 1)));
        p.record(Abi::X86_64, "ioctl", Some(&[1, 0x5401, 0, 0, 0, 0]));
        p.record(Abi::X86_64, "exit_group", None);
        let profile = Profile::from_json(&p.to_oci_json()).unwrap();
        let opts = ResolveOptions::new(Abi::X86_64, KernelVersion::new(6, 18));
        let filter = profile.resolve(&opts).unwrap().unwrap();
        let decide = |name, args: [u64; 6]| filter.decide_name(Abi::X86_64, name, &args);
        assert_eq!(decide("socket", socket(2, 1)), Some(Action::Allow));
        // SOCK_NONBLOCK | SOCK_CLOEXEC are free; the type and family are not.
        assert_eq!(decide("socket", socket(2, 0x80801)), Some(Action::Allow));
        assert_eq!(decide("socket", socket(2, 3)), Some(Action::Errno(1)));
        assert_eq!(decide("socket", socket(17, 1)), Some(Action::Errno(1)));
        // An int's high half is not compared.
        assert_eq!(
            decide("ioctl", [1, 0xffff_ffff_0000_5401, 0, 0, 0, 0]),
            Some(Action::Allow)
        );
        assert_eq!(
            decide("ioctl", [1, 0x5402, 0, 0, 0, 0]),
            Some(Action::Errno(1))
        );
    }

    #[test]
    fn other_profiles_are_refused_with_the_rule() {
        let deny = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}"#;
        let e = LearnedProfile::from_profile(&Profile::from_json(deny).unwrap()).unwrap_err();
        assert!(matches!(e, LearnError::Rule { rule: 1, .. }), "{e}");
        let lt = r#"{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW",
            "args":[{"index":0,"value":3,"op":"SCMP_CMP_LT"}]}]}"#;
        assert!(LearnedProfile::from_profile(&Profile::from_json(lt).unwrap()).is_err());
        let arch = r#"{"architectures":["SCMP_ARCH_VAX"]}"#;
        assert_eq!(
            LearnedProfile::from_profile(&Profile::from_json(arch).unwrap()),
            Err(LearnError::Arch("SCMP_ARCH_VAX".into()))
        );
        // Two conditions on one argument: alternatives, as runc reads them.
        let two = r#"{"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW",
            "args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}"#;
        let p = LearnedProfile::from_profile(&Profile::from_json(two).unwrap()).unwrap();
        let Allowed::Only(set) = &p.syscalls()["personality"] else {
            panic!("{p:?}")
        };
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn the_fast_filter_notifies_other_abis_and_execve() {
        use crate::Action;
        use seccompy_sys::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, seccomp_data};
        let p = notify_policy(Abi::X86_64);
        let at = |arch, nr: u32| {
            p.evaluate(&seccomp_data {
                nr: nr as i32,
                arch,
                ..seccomp_data::default()
            })
        };
        let nr = |n| Abi::X86_64.syscall_nr(n).unwrap();
        for n in ["read", "socket", "ioctl"] {
            assert_eq!(at(AUDIT_ARCH_X86_64, nr(n)), Action::Allow, "{n}");
        }
        for n in ["execve", "execveat"] {
            assert_eq!(at(AUDIT_ARCH_X86_64, nr(n)), Action::UserNotif, "{n}");
        }
        assert_eq!(at(AUDIT_ARCH_I386, 20), Action::UserNotif);
        assert_eq!(at(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT), Action::UserNotif);
        assert!(p.compile().is_ok());
        let masks = arg_masks(Abi::X86_64);
        assert!(masks.contains(&(nr("socket"), [INT, 0xf, 0, 0, 0, 0])));
        assert!(masks.contains(&(nr("mmap"), [0, 0, PROT_EXEC, 0, 0, 0])));
        assert_eq!(masks.len(), 10, "{masks:?}");
    }

    #[test]
    fn kubernetes_names() {
        assert_eq!(kubernetes_name("My_Profile.json"), "my-profile-json");
        assert_eq!(kubernetes_name("--"), "seccomp-profile");
        assert!(is_kubernetes_name(&kubernetes_name(&"x".repeat(300))));
        assert!(is_kubernetes_name("a.b-c"));
        assert!(
            !is_kubernetes_name("a..b") && !is_kubernetes_name("-a") && !is_kubernetes_name("A")
        );
        let p = LearnedProfile::new();
        assert_eq!(p.to_spo_yaml("Bad"), Err(LearnError::Name("Bad".into())));
    }

    #[test]
    fn spo_yaml_has_the_operator_fields() {
        let mut p = LearnedProfile::new();
        p.record(Abi::X86_64, "socket", Some(&socket(2, 1)));
        p.record(Abi::X86_64, "read", None);
        let y = p.to_spo_yaml("ls").unwrap();
        assert_eq!(
            y,
            "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n\
             metadata:\n  name: \"ls\"\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures:\n\
             \x20   - SCMP_ARCH_X86_64\n  syscalls:\n    - action: SCMP_ACT_ALLOW\n      names:\n\
             \x20       - \"read\"\n    - action: SCMP_ACT_ALLOW\n      names:\n        - \"socket\"\n\
             \x20     args:\n        - index: 0\n          op: SCMP_CMP_MASKED_EQ\n\
             \x20         value: 4294967295\n          valueTwo: 2\n        - index: 1\n\
             \x20         op: SCMP_CMP_MASKED_EQ\n          value: 15\n          valueTwo: 1\n"
        );
    }

    #[test]
    fn rust_snippet_names_every_rule() {
        let mut p = LearnedProfile::new();
        p.record(Abi::X86_64, "socket", Some(&socket(2, 1)));
        p.record(Abi::I386, "read", None);
        let r = p.to_rust_filter(Abi::X86_64);
        assert!(r.contains("arch: Abi::X86_64,"), "{r}");
        assert!(r.contains("filter.add_abi(Abi::I386);"), "{r}");
        assert!(r.contains("\"read\","), "{r}");
        assert!(
            r.contains(
                "filter.add_rule(\"socket\", FilterAction::Allow, [Arg32(0).eq(0x2), Arg32(1).masked_eq(0xf, 0x1)]);"
            ),
            "{r}"
        );
    }
}
