//! Docker's stage: from a Docker profile to the runtime-spec profile it hands to
//! runc (moby/profiles `seccomp/seccomp_linux.go`, `setupSeccomp`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::caps::CapSet;
use super::error::ResolveError;
use super::kernel::KernelVersion;
use super::model::{Filter, Profile, SyscallRule};
use super::names::{docker_arch_map_key, docker_arch_name};

/// A runtime-spec profile after Docker's filtering, borrowing from the original.
#[derive(Debug)]
pub(crate) struct SpecProfile<'p> {
    pub default_action: &'p str,
    pub default_errno_ret: Option<u64>,
    /// `(where, SCMP_ARCH_* string)`.
    pub architectures: Vec<(ArchPath, &'p str)>,
    pub flags: Option<&'p [String]>,
    /// `(index in the profile's syscalls, rule, its names)`.
    pub syscalls: Vec<(usize, &'p SyscallRule, &'p [String])>,
}

/// Where an architecture string is in the profile; its JSON path is written
/// only for an error.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ArchPath {
    /// `architectures[i]`.
    Architectures(usize),
    /// `archMap[i].architecture`.
    ArchMap(usize),
    /// `archMap[i].subArchitectures[j]`.
    SubArchitecture(usize, usize),
}

impl core::fmt::Display for ArchPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ArchPath::Architectures(i) => write!(f, "architectures[{i}]"),
            ArchPath::ArchMap(i) => write!(f, "archMap[{i}].architecture"),
            ArchPath::SubArchitecture(i, j) => write!(f, "archMap[{i}].subArchitectures[{j}]"),
        }
    }
}

/// Applies Docker's `archMap`, `includes` and `excludes` for a Docker running on
/// `target` with bounding set `caps` on kernel `kernel`. `None` means no filter at
/// all (no default action and no rule left).
pub(crate) fn to_spec<'p>(
    profile: &'p Profile,
    target: Abi,
    caps: &CapSet,
    kernel: KernelVersion,
) -> Result<Option<SpecProfile<'p>>, ResolveError> {
    let default_action = profile.default_action.as_deref().unwrap_or("");
    let rules = profile.syscalls.as_deref().unwrap_or(&[]);
    if default_action.is_empty() && rules.is_empty() {
        return Ok(None);
    }
    let archs = profile.architectures.as_deref().unwrap_or(&[]);
    let arch_map = profile.arch_map.as_deref().unwrap_or(&[]);
    if !archs.is_empty() && !arch_map.is_empty() {
        return Err(ResolveError::ArchitecturesAndArchMap);
    }
    let mut architectures: Vec<(ArchPath, &str)> = archs
        .iter()
        .enumerate()
        .map(|(i, a)| (ArchPath::Architectures(i), a.as_str()))
        .collect();
    if let Some(key) = docker_arch_map_key(target) {
        let found = arch_map
            .iter()
            .enumerate()
            .find(|(_, e)| e.architecture.as_deref() == Some(key.as_str()));
        if let Some((i, e)) = found {
            architectures.push((ArchPath::ArchMap(i), key.as_str()));
            for (j, s) in e.sub_architectures.iter().flatten().enumerate() {
                architectures.push((ArchPath::SubArchitecture(i, j), s.as_str()));
            }
        }
    }
    let arch = docker_arch_name(target).unwrap_or("");
    let mut syscalls = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let mut names: &[String] = rule.names.as_deref().unwrap_or(&[]);
        if let Some(name) = rule.name.as_ref().filter(|n| !n.is_empty()) {
            if !names.is_empty() {
                return Err(ResolveError::NameAndNames {
                    path: format!("syscalls[{i}]"),
                });
            }
            names = core::slice::from_ref(name);
        }
        // Docker parses every minKernel when it decodes the profile, so a bad one
        // fails whether or not its rule would be filtered out.
        let ex_kernel = match &rule.excludes {
            Some(f) => min_kernel(f, i, "excludes")?,
            None => None,
        };
        let inc_kernel = match &rule.includes {
            Some(f) => min_kernel(f, i, "includes")?,
            None => None,
        };
        if let Some(ex) = &rule.excludes
            && excluded(ex, arch, caps, kernel, ex_kernel)
        {
            continue;
        }
        if let Some(inc) = &rule.includes
            && !included(inc, arch, caps, kernel, inc_kernel)
        {
            continue;
        }
        syscalls.push((i, rule, names));
    }
    // runc treats "no default action and no rule" as "no seccomp", after Docker's
    // filtering.
    if default_action.is_empty() && syscalls.is_empty() {
        return Ok(None);
    }
    Ok(Some(SpecProfile {
        default_action,
        default_errno_ret: profile.default_errno_ret,
        architectures,
        flags: profile.flags.as_deref(),
        syscalls,
    }))
}

/// The `minKernel` of `syscalls[i].<key>`.
fn min_kernel(f: &Filter, i: usize, key: &str) -> Result<Option<KernelVersion>, ResolveError> {
    f.min_kernel
        .as_deref()
        .map(super::kernel::parse_min_kernel)
        .transpose()
        .map_err(|source| ResolveError::MinKernel {
            path: format!("syscalls[{i}].{key}.minKernel"),
            source,
        })
}

/// `excludes`: any arch listed matches, any cap present, or a kernel at least
/// `minKernel`.
fn excluded(
    f: &Filter,
    arch: &str,
    caps: &CapSet,
    kernel: KernelVersion,
    min: Option<KernelVersion>,
) -> bool {
    f.arches.iter().flatten().any(|a| a == arch)
        || f.caps.iter().flatten().any(|c| caps.contains_name(c))
        || min.is_some_and(|m| kernel >= m)
}

/// `includes`: the arch listed (if any are), every cap present, and a kernel at
/// least `minKernel`.
fn included(
    f: &Filter,
    arch: &str,
    caps: &CapSet,
    kernel: KernelVersion,
    min: Option<KernelVersion>,
) -> bool {
    let arches = f.arches.as_deref().unwrap_or(&[]);
    (arches.is_empty() || arches.iter().any(|a| a == arch))
        && f.caps.iter().flatten().all(|c| caps.contains_name(c))
        && min.is_none_or(|m| kernel >= m)
}
