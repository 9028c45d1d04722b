//! From a profile to the decisions runc and libseccomp make: Docker's stage
//! ([`super::docker`]), then runc's conversion and rule loading, then
//! libseccomp's per-architecture database ([`super::libseccomp`]) and runc's
//! ENOSYS stub ([`super::enosys`]).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::caps::CapSet;
use super::docker::{self, SpecProfile};
use super::enosys::{ENOSYS, EnosysStub};
use super::error::ResolveError;
use super::kernel::KernelVersion;
use super::libseccomp::{self, LibRule};
use super::model::Profile;
use super::names::{ScmpAction, ScmpArch, ScmpOp};
use super::resolved::{AbiSyscalls, Resolved};
use crate::action::Action;
use crate::compile::names::NameCache;

/// What a profile is resolved for: the machine runc runs on and the container's
/// capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolveOptions {
    /// The architecture runc runs on (libseccomp's native architecture). Docker
    /// picks the `archMap` entry and matches `arches` by it.
    pub arch: Abi,
    /// The container's bounding set, for Docker's `caps` conditions.
    pub caps: CapSet,
    /// The running kernel's version, for Docker's `minKernel` conditions.
    pub kernel: KernelVersion,
}

impl ResolveOptions {
    /// Options for `arch` and `kernel` with Docker's default capabilities.
    #[must_use]
    pub fn new(arch: Abi, kernel: KernelVersion) -> Self {
        Self {
            arch,
            caps: CapSet::docker_default(),
            kernel,
        }
    }

    /// The same options with another capability set.
    #[must_use]
    pub fn with_caps(mut self, caps: CapSet) -> Self {
        self.caps = caps;
        self
    }
}

/// The flags runc knows (`libcontainer/seccomp/config.go`); TSYNC is accepted and
/// ignored.
const KNOWN_FLAGS: [&str; 3] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_LOG",
];

/// `SCMP_ACT_ERRNO(ENOSYS)` as a number: runc skips its stub when
/// `defaultErrnoRet` equals it (it means to compare with `ENOSYS`, but compares
/// with the whole action value).
const ACT_ERRNO_ENOSYS: u64 = 0x0005_0000 | ENOSYS as u64;

/// One condition after runc's conversion (`configs.Arg`).
struct RuncArg {
    index: u64,
    op: ScmpOp,
    value: u64,
    value_two: u64,
    path: String,
}

/// One rule after runc's conversion (`configs.Syscall`): one name.
struct RuncRule<'p> {
    path: String,
    name: &'p str,
    kind: ScmpAction,
    errno_ret: Option<u64>,
    args: Vec<RuncArg>,
}

/// The libseccomp action runc asks for (`getAction`): `SCMP_ACT_KILL` is
/// `KILL_THREAD`; `ERRNO` and `TRACE` take the low 16 bits of `errnoRet` and
/// default to `EPERM`.
fn action_of(kind: ScmpAction, errno_ret: Option<u64>) -> Action {
    #[allow(clippy::cast_possible_truncation)]
    let data = errno_ret.map_or(1, |e| e as u16);
    match kind {
        ScmpAction::Kill | ScmpAction::KillThread => Action::KillThread,
        ScmpAction::KillProcess => Action::KillProcess,
        ScmpAction::Errno => Action::Errno(data),
        ScmpAction::Trap => Action::Trap(0),
        ScmpAction::Allow => Action::Allow,
        ScmpAction::Trace => Action::Trace(data),
        ScmpAction::Log => Action::Log,
        ScmpAction::Notify => Action::UserNotif,
    }
}

/// libseccomp's check of an action (`sys_chk_seccomp_action`: an errno below
/// 4095), plus seccompy's refusal of errno 0.
fn check_action(a: Action, path: &str, value: Option<u64>) -> Result<(), ResolveError> {
    match a {
        Action::Errno(e) if e == 0 || e >= 4095 => Err(ResolveError::BadErrno {
            path: path.into(),
            value: value.unwrap_or(u64::from(e)),
        }),
        _ => Ok(()),
    }
}

/// Whether some ABI knows `name`: the filter's `abis` first, through `names`.
fn known_anywhere(name: &str, abis: &[Abi], names: &mut NameCache) -> bool {
    abis.iter().any(|&a| names.nr(a, name).is_some())
        || Abi::ALL.iter().any(|a| a.syscall_nr(name).is_some())
}

/// Resolves `profile` for `opts`; `Ok(None)` when it installs no filter (no default
/// action and no rule, which runc takes as "seccomp disabled").
pub fn resolve(profile: &Profile, opts: &ResolveOptions) -> Result<Option<Resolved>, ResolveError> {
    let native = opts.arch;
    if ScmpArch::of_abi(native).is_none() {
        return Err(ResolveError::UnsupportedTarget(native));
    }
    let Some(spec) = docker::to_spec(profile, native, &opts.caps, opts.kernel)? else {
        return Ok(None);
    };
    let SpecProfile {
        default_action,
        default_errno_ret,
        architectures,
        flags,
        syscalls,
    } = spec;

    // runc's specconv: flags, architectures, actions and operators.
    let flags: Vec<String> = flags.unwrap_or(&[]).to_vec();
    for (i, f) in flags.iter().enumerate() {
        if !KNOWN_FLAGS.contains(&f.as_str()) {
            return Err(ResolveError::UnknownFlag {
                path: format!("flags[{i}]"),
                value: f.clone(),
            });
        }
    }
    let mut archs = Vec::new();
    for (path, s) in &architectures {
        let a = ScmpArch::parse(s).ok_or_else(|| ResolveError::UnknownArch {
            path: path.clone(),
            value: (*s).into(),
        })?;
        archs.push((path, a));
    }
    let default_kind = ScmpAction::parse(default_action).ok_or_else(|| {
        if default_action.is_empty() {
            ResolveError::MissingDefaultAction
        } else {
            ResolveError::UnknownAction {
                path: "defaultAction".into(),
                value: default_action.into(),
            }
        }
    })?;
    let mut rules: Vec<RuncRule<'_>> = Vec::new();
    for (i, rule, names) in &syscalls {
        let path = format!("syscalls[{i}]");
        let action = rule.action.as_deref().unwrap_or("");
        let kind = ScmpAction::parse(action).ok_or_else(|| ResolveError::UnknownAction {
            path: format!("{path}.action"),
            value: action.into(),
        })?;
        for name in names {
            let mut args = Vec::new();
            for (j, arg) in rule.args.iter().flatten().enumerate() {
                let op_path = format!("{path}.args[{j}]");
                let op = arg.op.as_deref().unwrap_or("");
                let op = ScmpOp::parse(op).ok_or_else(|| ResolveError::UnknownOperator {
                    path: format!("{op_path}.op"),
                    value: op.into(),
                })?;
                args.push(RuncArg {
                    index: arg.index.unwrap_or(0),
                    op,
                    value: arg.value.unwrap_or(0),
                    value_two: arg.value_two.unwrap_or(0),
                    path: op_path,
                });
            }
            rules.push(RuncRule {
                path: path.clone(),
                name,
                kind,
                errno_ret: rule.errno_ret,
                args,
            });
        }
    }

    // runc's InitSeccomp.
    let default = action_of(default_kind, default_errno_ret);
    if let Some(r) = rules
        .iter()
        .find(|r| r.kind == ScmpAction::Notify && r.name == "write")
    {
        return Err(ResolveError::NotifyWrite {
            path: r.path.clone(),
        });
    }
    if default_kind == ScmpAction::Notify {
        return Err(ResolveError::NotifyDefault);
    }
    check_action(default, "defaultErrnoRet", default_errno_ret)?;
    let mut abis = alloc::vec![native];
    for (path, a) in &archs {
        let abi = a.abi().ok_or_else(|| ResolveError::UnsupportedArch {
            path: (*path).clone(),
            value: a.as_str().into(),
        })?;
        if abi.is_little_endian() != native.is_little_endian() {
            return Err(ResolveError::ArchByteOrder {
                path: (*path).clone(),
                value: a.as_str().into(),
                target: native,
            });
        }
        if !abis.contains(&abi) {
            abis.push(abi);
        }
    }

    let mut names = NameCache::new();
    let mut db: BTreeMap<(usize, u32), Vec<LibRule>> = BTreeMap::new();
    for r in &rules {
        if r.name.is_empty() {
            return Err(ResolveError::EmptyName {
                path: format!("{}.names", r.path),
            });
        }
        let action = action_of(r.kind, r.errno_ret);
        if action == default || !known_anywhere(r.name, &abis, &mut names) {
            continue;
        }
        let mut counts = [0u8; 6];
        for arg in &r.args {
            let i = usize::try_from(arg.index)
                .ok()
                .filter(|&i| i < 6)
                .ok_or_else(|| ResolveError::ArgIndex {
                    path: format!("{}.index", arg.path),
                    index: arg.index,
                })?;
            if let Some(c) = counts.get_mut(i) {
                *c = c.saturating_add(1);
            }
        }
        check_action(action, &format!("{}.errnoRet", r.path), r.errno_ret)?;
        // Two conditions on one argument: runc adds each condition as a rule of
        // its own (OR), as libseccomp refuses them in one rule.
        let groups: Vec<Vec<&RuncArg>> = if counts.iter().any(|&c| c > 1) {
            r.args.iter().map(|a| alloc::vec![a]).collect()
        } else {
            alloc::vec![r.args.iter().collect()]
        };
        for (k, &abi) in abis.iter().enumerate() {
            let nr = names.nr(abi, r.name);
            for (nr, mux) in libseccomp::placements(abi, r.name, nr) {
                for group in &groups {
                    let mut conds: Vec<_> = group
                        .iter()
                        .filter(|a| mux.is_none() || a.index != 0)
                        .filter_map(|a| {
                            #[allow(clippy::cast_possible_truncation)]
                            libseccomp::lower(abi, a.index as u8, a.op, a.value, a.value_two)
                        })
                        .collect();
                    if let Some(call) = mux {
                        conds.extend(libseccomp::lower(abi, 0, ScmpOp::Eq, call, 0));
                    }
                    conds.sort_by_key(|c| c.index);
                    db.entry((k, nr))
                        .or_default()
                        .push(LibRule { action, conds });
                }
            }
        }
    }

    let mut per_abi: Vec<AbiSyscalls> = abis
        .iter()
        .map(|&abi| AbiSyscalls {
            abi,
            syscalls: Vec::new(),
        })
        .collect();
    for ((k, nr), lib_rules) in db {
        let Some(slot) = per_abi.get_mut(k) else {
            continue;
        };
        let abi = slot.abi;
        let decision =
            libseccomp::combine(abi, lib_rules).map_err(|reason| ResolveError::Ambiguous {
                abi,
                syscall: abi
                    .syscall_name(nr)
                    .map_or_else(|| format!("#{nr}"), String::from),
                reason,
            })?;
        slot.syscalls.push((nr, decision));
    }

    let enosys = enosys_stub(default_kind, default_errno_ret, &abis, &rules, &mut names);
    Ok(Some(Resolved {
        target: native,
        default_action: default,
        bad_arch_action: Action::KillThread,
        abis,
        syscalls: per_abi,
        enosys,
        flags,
        listener_path: profile.listener_path.clone(),
        listener_metadata: profile.listener_metadata.clone(),
    }))
}

/// runc's `generatePatch`: no stub when the default action lets calls through
/// (`ALLOW`, `LOG`, `TRACE`) or `defaultErrnoRet` is `SCMP_ACT_ERRNO(ENOSYS)`;
/// otherwise, for each architecture of the filter, the highest number any of the
/// profile's names has there (every rule counts, even those runc skipped).
fn enosys_stub(
    default_kind: ScmpAction,
    default_errno_ret: Option<u64>,
    abis: &[Abi],
    rules: &[RuncRule<'_>],
    names: &mut NameCache,
) -> Option<EnosysStub> {
    if default_errno_ret == Some(ACT_ERRNO_ENOSYS)
        || matches!(
            default_kind,
            ScmpAction::Allow | ScmpAction::Log | ScmpAction::Trace
        )
    {
        return None;
    }
    let highest = abis
        .iter()
        .filter_map(|&abi| {
            let max = rules
                .iter()
                .filter_map(|r| {
                    let nr = names.nr(abi, r.name);
                    libseccomp::resolve_number(abi, r.name, nr)
                })
                .max()
                .filter(|&m| m != 0)?;
            Some((abi, max))
        })
        .collect();
    Some(EnosysStub { highest })
}

#[cfg(test)]
mod tests;
