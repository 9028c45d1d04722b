//! Docker's stage for the libseccomp and seccompiler peers: from a Docker profile
//! (parsed by seccompy-bpf's `oci` feature) to the neutral [`Spec`] that runc is
//! handed, for one machine architecture, capability set and kernel version:
//! the `archMap` entry of the machine gives the ABIs; a rule is dropped when its
//! `excludes` match (an arch listed, a capability held, a kernel at least
//! `minKernel`) or its `includes` do not (the arch not listed, a capability
//! missing, an older kernel); actions take `errnoRet`/`defaultErrnoRet` (`EPERM`
//! without one) as runc does.
//!
//! seccompy's own column goes through `seccompy_bpf::oci` from the same parsed
//! profile; its Docker stage is crate-private there, so this one is the bench's
//! (and the decision check compares two independent resolutions).

use seccompy_bpf::oci::{
    CapSet, Filter, KernelVersion, Profile, ScmpAction, ScmpArch, ScmpOp, docker_arch_map_key,
    docker_arch_name,
};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use super::spec::{CmpOp, Cond, Rule, Spec};

/// The raw action runc asks libseccomp for.
fn raw_action(name: &str, errno_ret: Option<u64>) -> Result<u32, String> {
    let kind = ScmpAction::parse(name).ok_or_else(|| format!("unknown action {name:?}"))?;
    let data = errno_ret.map_or(1, |e| (e & 0xffff) as u32);
    Ok(match kind {
        ScmpAction::Kill | ScmpAction::KillThread => SECCOMP_RET_KILL_THREAD,
        ScmpAction::KillProcess => SECCOMP_RET_KILL_PROCESS,
        ScmpAction::Errno => SECCOMP_RET_ERRNO | data,
        ScmpAction::Trap => SECCOMP_RET_TRAP,
        ScmpAction::Allow => SECCOMP_RET_ALLOW,
        ScmpAction::Trace => SECCOMP_RET_TRACE | data,
        ScmpAction::Log => SECCOMP_RET_LOG,
        ScmpAction::Notify => SECCOMP_RET_USER_NOTIF,
        other => return Err(format!("action {other} is not handled by the bench")),
    })
}

fn cmp_op(name: &str) -> Result<CmpOp, String> {
    let op = ScmpOp::parse(name).ok_or_else(|| format!("unknown operator {name:?}"))?;
    Ok(match op {
        ScmpOp::Ne => CmpOp::Ne,
        ScmpOp::Lt => CmpOp::Lt,
        ScmpOp::Le => CmpOp::Le,
        ScmpOp::Eq => CmpOp::Eq,
        ScmpOp::Ge => CmpOp::Ge,
        ScmpOp::Gt => CmpOp::Gt,
        ScmpOp::MaskedEq => CmpOp::MaskedEq,
        other => return Err(format!("operator {other} is not handled by the bench")),
    })
}

fn min_kernel(f: &Filter) -> Result<Option<KernelVersion>, String> {
    f.min_kernel
        .as_deref()
        .map(seccompy_bpf::oci::parse_min_kernel)
        .transpose()
        .map_err(|e| format!("minKernel: {e}"))
}

/// Whether a rule survives Docker's `includes`/`excludes`.
fn kept(
    includes: Option<&Filter>,
    excludes: Option<&Filter>,
    arch: &str,
    caps: &CapSet,
    kernel: KernelVersion,
) -> Result<bool, String> {
    if let Some(ex) = excludes {
        let min = min_kernel(ex)?;
        if ex.arches.iter().flatten().any(|a| a == arch)
            || ex.caps.iter().flatten().any(|c| caps.contains_name(c))
            || min.is_some_and(|m| kernel >= m)
        {
            return Ok(false);
        }
    }
    if let Some(inc) = includes {
        let min = min_kernel(inc)?;
        let arches = inc.arches.as_deref().unwrap_or(&[]);
        if !arches.is_empty() && !arches.iter().any(|a| a == arch) {
            return Ok(false);
        }
        if !inc.caps.iter().flatten().all(|c| caps.contains_name(c)) {
            return Ok(false);
        }
        if min.is_some_and(|m| kernel < m) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn abi_of(scmp: &str) -> Result<Abi, String> {
    ScmpArch::parse(scmp)
        .and_then(ScmpArch::abi)
        .ok_or_else(|| format!("architecture {scmp:?} has no seccompy ABI"))
}

/// The spec runc gets from Docker running on `target` with `caps` on `kernel`.
pub fn spec(
    profile: &Profile,
    target: Abi,
    caps: &CapSet,
    kernel: KernelVersion,
) -> Result<Spec, String> {
    let default = raw_action(
        profile.default_action.as_deref().unwrap_or(""),
        profile.default_errno_ret,
    )?;
    let mut abis = Vec::new();
    for a in profile.architectures.iter().flatten() {
        abis.push(abi_of(a)?);
    }
    if let Some(key) = docker_arch_map_key(target)
        && let Some(entry) = profile
            .arch_map
            .iter()
            .flatten()
            .find(|e| e.architecture.as_deref() == Some(key.as_str()))
    {
        abis.push(abi_of(key.as_str())?);
        for s in entry.sub_architectures.iter().flatten() {
            abis.push(abi_of(s)?);
        }
    }
    if abis.is_empty() {
        return Err("the profile gives no architecture for this machine".into());
    }
    let arch = docker_arch_name(target).unwrap_or("");
    let mut rules = Vec::new();
    for r in profile.syscalls.iter().flatten() {
        if !kept(r.includes.as_ref(), r.excludes.as_ref(), arch, caps, kernel)? {
            continue;
        }
        let action = raw_action(r.action.as_deref().unwrap_or(""), r.errno_ret)?;
        let conds = r
            .args
            .iter()
            .flatten()
            .map(|a| {
                let arg = a.index.unwrap_or(0);
                if arg > 5 {
                    return Err(format!("argument index {arg}"));
                }
                Ok(Cond {
                    arg: arg as u8,
                    op: cmp_op(a.op.as_deref().unwrap_or(""))?,
                    a: a.value.unwrap_or(0),
                    b: a.value_two.unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        for name in r.names.iter().flatten().chain(r.name.iter()) {
            rules.push(Rule {
                action,
                name: name.clone(),
                conds: conds.clone(),
            });
        }
    }
    Ok(Spec {
        abis,
        default,
        bad_arch: None,
        rules,
    })
}

/// The version of the running kernel, for `minKernel`.
pub fn running_kernel() -> Result<KernelVersion, String> {
    KernelVersion::running().ok_or_else(|| "cannot read the running kernel's version".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
        ],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["membarrier"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["newer"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["arm_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
            {"names": ["amd_only"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["old"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4.0"}}
        ]
    }"#;

    fn names(spec: &Spec) -> Vec<&str> {
        spec.rules.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn docker_stage_on_amd64_with_default_caps() {
        let p = Profile::from_json(PROFILE).unwrap();
        let s = spec(
            &p,
            Abi::X86_64,
            &CapSet::docker_default(),
            KernelVersion::new(6, 1),
        )
        .unwrap();
        assert_eq!(s.abis, [Abi::X86_64, Abi::I386, Abi::X32]);
        assert_eq!(s.default, SECCOMP_RET_ERRNO | 1);
        assert_eq!(
            names(&s),
            [
                "read",
                "write",
                "membarrier",
                "personality",
                "amd_only",
                "chroot",
                "clone",
                "clone3"
            ]
        );
        let clone = &s.rules[6];
        assert_eq!(clone.conds, [Cond::masked(0, 2_114_060_288, 0)]);
        assert_eq!(s.rules[7].action, SECCOMP_RET_ERRNO | 38);
        assert_eq!(s.rules[3].conds, [Cond::new(0, CmpOp::Eq, 8)]);
    }

    #[test]
    fn docker_stage_on_arm64_with_every_cap_and_an_old_kernel() {
        let p = Profile::from_json(PROFILE).unwrap();
        let all = CapSet::all();
        let s = spec(&p, Abi::Aarch64, &all, KernelVersion::new(3, 10)).unwrap();
        assert_eq!(s.abis, [Abi::Aarch64, Abi::Arm]);
        assert_eq!(
            names(&s),
            [
                "read",
                "write",
                "personality",
                "arm_only",
                "mount",
                "chroot",
                "old"
            ]
        );
    }

    #[test]
    fn unsupported_machines_and_bad_values_are_errors() {
        let p = Profile::from_json(PROFILE).unwrap();
        let caps = CapSet::docker_default();
        assert!(spec(&p, Abi::Riscv64, &caps, KernelVersion::new(6, 1)).is_err());
        let bad = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                              "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
        )
        .unwrap();
        assert!(spec(&bad, Abi::X86_64, &caps, KernelVersion::new(6, 1)).is_err());
    }

    #[test]
    fn the_running_kernel_is_read() {
        let k = running_kernel().unwrap();
        assert!(k >= KernelVersion::new(3, 0), "{k:?}");
    }
}
