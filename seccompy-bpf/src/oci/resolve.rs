//! From a profile to the decisions runc and libseccomp make, in their own
//! steps ([`resolve`]): Docker's stage ([`super::docker`]), runc's spec
//! conversion ([`spec_conversion`]), runc's `InitSeccomp` ([`init_seccomp`],
//! loading rules into libseccomp's per-architecture database,
//! [`super::libseccomp`], [`super::database`]), libseccomp's decisions, and
//! runc's `generatePatch` ([`generate_patch`], the ENOSYS stub of
//! [`super::enosys`]).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::caps::CapSet;
use super::database::Database;
use super::docker::{self, ArchPath, SpecProfile};
use super::enosys::EnosysStub;
use super::error::ResolveError;
use super::kernel::KernelVersion;
use super::libseccomp::{self, LibRule};
use super::model::Profile;
use super::names::{ScmpAction, ScmpArch, ScmpOp};
use super::resolved::Resolved;
use crate::action::Action;

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

/// The first Linux without 31-bit s390 programs (`SCMP_ARCH_S390`).
const NO_S390_COMPAT: KernelVersion = KernelVersion::new(6, 19);

/// `SCMP_ACT_ERRNO(ENOSYS)` as a number, with the `ENOSYS` of runc's host
/// `native`: runc skips its stub when `defaultErrnoRet` equals it (it means to
/// compare with `ENOSYS`, but compares with the whole action value).
fn act_errno_enosys(native: Abi) -> u64 {
    0x0005_0000 | u64::from(native.enosys())
}

/// One condition after runc's conversion (`configs.Arg`).
struct RuncArg {
    index: u64,
    op: ScmpOp,
    value: u64,
    value_two: u64,
}

/// One rule after runc's conversion (`configs.Syscall`), for all its names
/// (runc makes one per name, identical but for the name). Paths into the profile
/// are written only for errors, from `index`.
struct RuncRule<'p> {
    /// The rule's index in the profile's `syscalls`.
    index: usize,
    names: &'p [String],
    kind: ScmpAction,
    errno_ret: Option<u64>,
    /// Converted only when the rule has names, as runc does.
    args: Vec<RuncArg>,
}

/// A name on one ABI: libseccomp's multiplexer and call for it
/// ([`libseccomp::multiplexed`]) and its number.
#[derive(Clone, Copy, Default)]
struct Located {
    mux: Option<(u32, u64)>,
    nr: Option<u32>,
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
/// 4095; 0 is accepted, as by runc, and makes the call return 0 without
/// running); `value` is the profile's number and `path` writes where it is.
fn check_action(
    a: Action,
    value: Option<u64>,
    path: impl FnOnce() -> String,
) -> Result<(), ResolveError> {
    match a {
        Action::Errno(e) if e >= 4095 => Err(ResolveError::BadErrno {
            path: path(),
            value: value.unwrap_or(u64::from(e)),
        }),
        _ => Ok(()),
    }
}

/// Resolves `profile` for `opts`; `Ok(None)` when it installs no filter (no default
/// action and no rule, which runc takes as "seccomp disabled").
///
/// The steps are Docker's and runc's own: Docker's stage, runc's conversion of
/// the spec (`SetupSeccomp`), runc's `InitSeccomp` (the checks, the filter's
/// architectures, libseccomp's rules), libseccomp's per-architecture
/// decisions, and runc's `generatePatch` (the ENOSYS stub). Errors are
/// reported in that order, as runc would meet them.
pub fn resolve(profile: &Profile, opts: &ResolveOptions) -> Result<Option<Resolved>, ResolveError> {
    let native = opts.arch;
    if ScmpArch::of_abi(native).is_none() {
        return Err(ResolveError::UnsupportedTarget(native));
    }
    let Some(spec) = docker::to_spec(profile, native, &opts.caps, opts.kernel)? else {
        return Ok(None);
    };
    let config = spec_conversion(spec)?;
    let Filter { abis, db, highest } = init_seccomp(&config, opts)?;
    let syscalls = db.decisions(&abis)?;
    let enosys = generate_patch(&config, native, &abis, &highest);
    Ok(Some(Resolved {
        target: native,
        default_action: config.default,
        bad_arch_action: Action::KillThread,
        abis,
        syscalls,
        enosys,
        flags: config.flags,
        listener_path: profile.listener_path.clone(),
        listener_metadata: profile.listener_metadata.clone(),
    }))
}

/// The seccomp configuration after runc's conversion (`configs.Seccomp`).
struct RuncConfig<'p> {
    /// `defaultAction`.
    default_kind: ScmpAction,
    /// `defaultErrnoRet`.
    default_errno_ret: Option<u64>,
    /// The default action as libseccomp gets it.
    default: Action,
    /// `architectures`, with where each is in the profile.
    archs: Vec<(ArchPath, ScmpArch)>,
    /// `flags`.
    flags: Vec<String>,
    /// `syscalls`.
    rules: Vec<RuncRule<'p>>,
}

/// runc's conversion of the spec (`specconv.SetupSeccomp`): flags,
/// architectures, actions and operators, each checked as it is converted.
fn spec_conversion(spec: SpecProfile<'_>) -> Result<RuncConfig<'_>, ResolveError> {
    let SpecProfile {
        default_action,
        default_errno_ret,
        architectures,
        flags,
        syscalls,
    } = spec;
    let flags = flags.unwrap_or(&[]);
    if let Some((i, f)) = flags
        .iter()
        .enumerate()
        .find(|(_, f)| !KNOWN_FLAGS.contains(&f.as_str()))
    {
        return Err(ResolveError::UnknownFlag {
            path: format!("flags[{i}]"),
            value: f.clone(),
        });
    }
    let flags = flags.to_vec();
    let mut archs = Vec::with_capacity(architectures.len());
    for &(path, s) in &architectures {
        let a = ScmpArch::parse(s).ok_or_else(|| ResolveError::UnknownArch {
            path: path.to_string(),
            value: s.into(),
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
    let mut rules: Vec<RuncRule<'_>> = Vec::with_capacity(syscalls.len());
    for &(i, rule, names) in &syscalls {
        let action = rule.action.as_deref().unwrap_or("");
        let kind = ScmpAction::parse(action).ok_or_else(|| ResolveError::UnknownAction {
            path: format!("syscalls[{i}].action"),
            value: action.into(),
        })?;
        let mut args = Vec::new();
        if !names.is_empty() {
            let conditions = rule.args.as_deref().unwrap_or(&[]);
            args.reserve_exact(conditions.len());
            for (j, arg) in conditions.iter().enumerate() {
                let op = arg.op.as_deref().unwrap_or("");
                let op = ScmpOp::parse(op).ok_or_else(|| ResolveError::UnknownOperator {
                    path: format!("syscalls[{i}].args[{j}].op"),
                    value: op.into(),
                })?;
                args.push(RuncArg {
                    index: arg.index.unwrap_or(0),
                    op,
                    value: arg.value.unwrap_or(0),
                    value_two: arg.value_two.unwrap_or(0),
                });
            }
        }
        rules.push(RuncRule {
            index: i,
            names,
            kind,
            errno_ret: rule.errno_ret,
            args,
        });
    }
    Ok(RuncConfig {
        default_kind,
        default_errno_ret,
        default: action_of(default_kind, default_errno_ret),
        archs,
        flags,
        rules,
    })
}

/// The filter runc's `InitSeccomp` builds in libseccomp.
struct Filter {
    /// The filter's ABIs: the native one, then the profile's, in order.
    abis: Vec<Abi>,
    /// libseccomp's rules, per ABI.
    db: Database,
    /// Per ABI, the highest number any of the profile's names has there (for
    /// [`generate_patch`], which reads every rule, gathered here where each
    /// name is located anyway).
    highest: Vec<u32>,
}

/// runc's `InitSeccomp`: the checks of the notify and default actions, the
/// filter's architectures, then each name of each rule added to libseccomp
/// (rules with the default action and unknown names skipped, as runc does).
fn init_seccomp(config: &RuncConfig<'_>, opts: &ResolveOptions) -> Result<Filter, ResolveError> {
    if let Some(r) = config
        .rules
        .iter()
        .find(|r| r.kind == ScmpAction::Notify && r.names.iter().any(|n| n == "write"))
    {
        return Err(ResolveError::NotifyWrite {
            path: format!("syscalls[{}]", r.index),
        });
    }
    if config.default_kind == ScmpAction::Notify {
        return Err(ResolveError::NotifyDefault);
    }
    check_action(config.default, config.default_errno_ret, || {
        "defaultErrnoRet".into()
    })?;
    let abis = filter_abis(&config.archs, opts)?;

    // Per ABI of the filter, for the name at hand.
    let mut located = alloc::vec![Located::default(); abis.len()];
    let mut highest: Vec<u32> = alloc::vec![0; abis.len()];
    // About one rule per name and ABI.
    let names_count: usize = config.rules.iter().map(|r| r.names.len()).sum();
    let mut db = Database::new(abis.len(), names_count * abis.len());
    for r in &config.rules {
        let action = action_of(r.kind, r.errno_ret);
        // Whether several conditions are on one argument, once the rule's
        // indices and errno have been checked.
        let mut checked = None;
        for name in r.names {
            if name.is_empty() {
                return Err(ResolveError::EmptyName {
                    path: format!("syscalls[{}].names", r.index),
                });
            }
            for ((slot, top), &abi) in located.iter_mut().zip(&mut highest).zip(&abis) {
                let mux = libseccomp::multiplexed(abi, name);
                let nr = abi.syscall_nr(name);
                *slot = Located { mux, nr };
                if let Some(n) = libseccomp::resolve_number(mux, nr) {
                    *top = (*top).max(n);
                }
            }
            let known = located.iter().any(|l| l.nr.is_some())
                || Abi::ALL.iter().any(|a| a.syscall_nr(name).is_some());
            if action == config.default || !known {
                continue;
            }
            let split = match checked {
                Some(split) => split,
                None => *checked.insert(check_rule(r, action)?),
            };
            add_name(&mut db, &abis, &located, r, action, split);
        }
    }
    Ok(Filter { abis, db, highest })
}

/// The filter's ABIs (`seccomp_arch_add` for each of the profile's
/// architectures after the native one): libseccomp refuses an architecture it
/// cannot add to a filter for `opts.arch`.
fn filter_abis(
    archs: &[(ArchPath, ScmpArch)],
    opts: &ResolveOptions,
) -> Result<Vec<Abi>, ResolveError> {
    let native = opts.arch;
    let mut abis = alloc::vec![native];
    for &(path, a) in archs {
        let Some(abi) = a.abi() else {
            if a == ScmpArch::S390 {
                if opts.kernel >= NO_S390_COMPAT {
                    // No 31-bit s390 call exists on this kernel.
                    continue;
                }
                return Err(ResolveError::S390Compat {
                    path: path.to_string(),
                    min: NO_S390_COMPAT,
                });
            }
            return Err(ResolveError::UnsupportedArch {
                path: path.to_string(),
                value: a.as_str().into(),
            });
        };
        if abi.is_little_endian() != native.is_little_endian() {
            return Err(ResolveError::ArchByteOrder {
                path: path.to_string(),
                value: a.as_str().into(),
                target: native,
            });
        }
        if !abis.contains(&abi) {
            abis.push(abi);
        }
    }
    Ok(abis)
}

/// runc's `generatePatch`: no stub when the default action lets calls through
/// (`ALLOW`, `LOG`, `TRACE`) or `defaultErrnoRet` is `SCMP_ACT_ERRNO(ENOSYS)`;
/// otherwise, for each architecture of the filter, the highest number any of
/// the profile's names has there (every rule counts, even those runc skipped),
/// as [`init_seccomp`] gathered it. The stub returns `ENOSYS` as runc's host,
/// `native`, numbers it.
fn generate_patch(
    config: &RuncConfig<'_>,
    native: Abi,
    abis: &[Abi],
    highest: &[u32],
) -> Option<EnosysStub> {
    let stub = config.default_errno_ret != Some(act_errno_enosys(native))
        && !matches!(
            config.default_kind,
            ScmpAction::Allow | ScmpAction::Log | ScmpAction::Trace
        );
    stub.then(|| EnosysStub {
        errno: native.enosys(),
        highest: abis
            .iter()
            .zip(highest)
            .filter(|&(_, &m)| m != 0)
            .map(|(&abi, &m)| (abi, m))
            .collect(),
    })
}

/// runc's and libseccomp's checks of a rule that is added: argument indices,
/// then the errno of `action`. Returns whether several conditions are on one
/// argument.
fn check_rule(r: &RuncRule<'_>, action: Action) -> Result<bool, ResolveError> {
    let mut counts = [0u8; 6];
    for (j, arg) in r.args.iter().enumerate() {
        let c = usize::try_from(arg.index)
            .ok()
            .and_then(|i| counts.get_mut(i))
            .ok_or_else(|| ResolveError::ArgIndex {
                path: format!("syscalls[{}].args[{j}].index", r.index),
                index: arg.index,
            })?;
        *c = c.saturating_add(1);
    }
    check_action(action, r.errno_ret, || {
        format!("syscalls[{}].errnoRet", r.index)
    })?;
    Ok(counts.iter().any(|&c| c > 1))
}

/// Adds libseccomp's rules for a name of rule `r` (with `action`) on each ABI
/// of the filter, where the name is `located`; `split` as [`check_rule`] says.
fn add_name(
    db: &mut Database,
    abis: &[Abi],
    located: &[Located],
    r: &RuncRule<'_>,
    action: Action,
    split: bool,
) {
    // Two conditions on one argument: runc adds each condition as a rule of its
    // own (OR), as libseccomp refuses them in one rule.
    let groups = if split { r.args.len() } else { 1 };
    for (k, (&abi, &Located { mux, nr })) in abis.iter().zip(located).enumerate() {
        for (nr, call) in libseccomp::placements(mux, nr) {
            for g in 0..groups {
                let group = if split {
                    r.args.get(g..=g).unwrap_or(&[])
                } else {
                    &r.args
                };
                if group.is_empty() && call.is_none() {
                    // Most rules: no condition.
                    db.add(
                        k,
                        nr,
                        LibRule {
                            action,
                            conds: Vec::new(),
                        },
                    );
                    continue;
                }
                let mut conds: Vec<_> = group
                    .iter()
                    .filter(|a| call.is_none() || a.index != 0)
                    .filter_map(|a| {
                        #[allow(clippy::cast_possible_truncation)]
                        libseccomp::lower(abi, a.index as u8, a.op, a.value, a.value_two)
                    })
                    .collect();
                if let Some(call) = call {
                    conds.extend(libseccomp::lower(abi, 0, ScmpOp::Eq, call, 0));
                }
                conds.sort_by_key(|c| c.index);
                db.add(k, nr, LibRule { action, conds });
            }
        }
    }
}

#[cfg(test)]
mod tests;
