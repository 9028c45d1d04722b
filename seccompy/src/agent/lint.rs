//! The agent's view of a profile, for `seccompy audit`: what the runtimes will
//! refuse, and whether every call the program sends to the agent has a
//! handler in the policy.
//!
//! - Runtime quirks, from the profile's JSON: runc refuses `SCMP_ACT_NOTIFY`
//!   for `write` (the runtime writes its own messages with it) and as
//!   `defaultAction`; runc 1.1.5 refuses the `flags` field (crun accepts
//!   `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV`); NOTIFY without `listenerPath`
//!   is refused.
//! - Coverage, from the compiled program run in the emulator: every system
//!   call of the ABI with zero arguments, and with the arguments each NOTIFY
//!   rule's conditions ask for; each call whose answer is `USER_NOTIF` must
//!   have a handler of its own in the profile the `listenerMetadata` selects (a
//!   `"*"` fallback counts, reported as such), and a handler that can answer it
//!   (`mknod` only `mknod`/`mknodat`, `mount` only `mount`, `sysinfo` only
//!   `sysinfo`).

use std::collections::BTreeSet;

use seccompy_bpf::action::Action;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::oci::Profile as OciProfile;
use seccompy_bpf::program::Insn;

use super::policy::{Handler, Policy};
use crate::sys::seccomp_data;
use crate::sys::syscalls::Abi;

/// How serious a finding is (the order of `seccompy audit`'s severities).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Level {
    /// Worth knowing.
    Info,
    /// A call the agent answers with its fallback.
    Medium,
    /// A runtime refuses the profile, or a notified call has no handler able to
    /// answer it.
    High,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub level: Level,
    /// What kind: `runtime quirk`, `no handler`, `fallback handler`,
    /// `wrong handler`, `agent`.
    pub kind: &'static str,
    /// Details.
    pub detail: String,
}

fn finding(level: Level, kind: &'static str, detail: String) -> Finding {
    Finding {
        level,
        kind,
        detail,
    }
}

const NOTIFY: &str = "SCMP_ACT_NOTIFY";

/// What the runtimes will say about the profile.
#[must_use]
pub fn runtime_quirks(profile: &OciProfile) -> Vec<Finding> {
    let mut out = Vec::new();
    let rules = profile.syscalls.as_deref().unwrap_or_default();
    let notify_rules: Vec<_> = rules
        .iter()
        .filter(|r| r.action.as_deref() == Some(NOTIFY))
        .collect();
    if profile.default_action.as_deref() == Some(NOTIFY) {
        out.push(finding(
            Level::High,
            "runtime quirk",
            "defaultAction SCMP_ACT_NOTIFY: runc refuses it (the runtime's own calls after the filter would wait for the agent)".into(),
        ));
    }
    let names = |r: &seccompy_bpf::oci::SyscallRule| -> Vec<String> {
        let mut v = r.names.clone().unwrap_or_default();
        v.extend(r.name.clone());
        v
    };
    if notify_rules
        .iter()
        .any(|r| names(r).iter().any(|n| n == "write"))
    {
        out.push(finding(
            Level::High,
            "runtime quirk",
            "SCMP_ACT_NOTIFY on write: runc refuses it (it writes the listener's hand-over with write)".into(),
        ));
    }
    if profile.flags.as_ref().is_some_and(|f| !f.is_empty()) {
        out.push(finding(
            Level::High,
            "runtime quirk",
            format!(
                "flags {:?}: runc 1.1.5 refuses the flags field (crun 1.8 accepts SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)",
                profile.flags.as_deref().unwrap_or_default()
            ),
        ));
    }
    let notifies = !notify_rules.is_empty() || profile.default_action.as_deref() == Some(NOTIFY);
    let has_path = profile
        .listener_path
        .as_ref()
        .is_some_and(|p| !p.is_empty());
    if notifies && !has_path {
        out.push(finding(
            Level::High,
            "runtime quirk",
            "SCMP_ACT_NOTIFY without listenerPath: the runtime has no agent to hand the listener to".into(),
        ));
    }
    if has_path && !notifies {
        out.push(finding(
            Level::Info,
            "agent",
            "listenerPath set, but no rule notifies: the agent gets a listener and no call".into(),
        ));
    }
    out
}

/// The system calls of `abi` the program sends to the agent: run on every
/// number with zero arguments, and with the arguments that each NOTIFY rule of
/// `profile` (if given) compares against.
#[must_use]
pub fn notified_calls(
    insns: &[Insn],
    abi: Abi,
    profile: Option<&OciProfile>,
) -> BTreeSet<&'static str> {
    let order = if abi.is_little_endian() {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
    let notified = |nr: u32, args: [u64; 6]| {
        let data = seccomp_data {
            nr: nr as i32,
            arch: abi.audit_arch(),
            instruction_pointer: 0,
            args,
        };
        emulate_for(insns, &data, order)
            .ok()
            .and_then(|o| Action::from_raw(o.ret))
            == Some(Action::UserNotif)
    };
    let mut out = BTreeSet::new();
    for &(nr, name) in abi.syscalls() {
        if notified(nr, [0; 6]) {
            out.insert(name);
        }
    }
    for rule in profile
        .and_then(|p| p.syscalls.as_deref())
        .unwrap_or_default()
    {
        if rule.action.as_deref() != Some(NOTIFY) {
            continue;
        }
        let mut args = [0u64; 6];
        for c in rule.args.as_deref().unwrap_or_default() {
            let (Some(i), Some(v)) = (c.index, c.value) else {
                continue;
            };
            let Some(slot) = args.get_mut(i as usize) else {
                continue;
            };
            *slot = match c.op.as_deref() {
                Some("SCMP_CMP_NE" | "SCMP_CMP_GT") => v.wrapping_add(1),
                Some("SCMP_CMP_LT") => v.wrapping_sub(1),
                Some("SCMP_CMP_MASKED_EQ") => c.value_two.unwrap_or(0),
                _ => v,
            };
        }
        let mut names = rule.names.clone().unwrap_or_default();
        names.extend(rule.name.clone());
        for name in names {
            if let Some(nr) = abi.syscall_nr(&name)
                && notified(nr, args)
                && let Some(static_name) = abi.syscall_name(nr)
            {
                out.insert(static_name);
            }
        }
    }
    out
}

/// Whether the policy's profile for `metadata` has a handler able to answer
/// each of `notified`.
#[must_use]
pub fn coverage(notified: &BTreeSet<&str>, policy: &Policy, metadata: &str) -> Vec<Finding> {
    let (name, profile) = policy.profile_for(metadata);
    let mut out = Vec::new();
    for &call in notified {
        let handler = profile.syscalls.get(call);
        let Some(handler) = handler else {
            let fallback = profile.handler(Some(call));
            out.push(finding(
                Level::Medium,
                if profile.other.is_some() { "fallback handler" } else { "no handler" },
                format!(
                    "{call} is notified but profile {name:?} has no handler for it: the agent answers with {}",
                    describe(&fallback)
                ),
            ));
            continue;
        };
        let fits = match handler {
            Handler::Mknod => matches!(call, "mknod" | "mknodat"),
            Handler::Mount(_) => call == "mount",
            Handler::Sysinfo => call == "sysinfo",
            _ => true,
        };
        if !fits {
            out.push(finding(
                Level::High,
                "wrong handler",
                format!(
                    "{call} is given the {} handler in profile {name:?}, which answers only its own calls (this one gets EPERM)",
                    handler.name()
                ),
            ));
        }
    }
    out
}

fn describe(h: &Handler) -> String {
    match h {
        Handler::Errno(e) => format!(
            "errno {}",
            e.name().map_or_else(|| e.get().to_string(), str::to_string)
        ),
        other => other.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(json: &str) -> OciProfile {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn runc_quirks_are_found() {
        let p = profile(
            r#"{"defaultAction": "SCMP_ACT_NOTIFY", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                "syscalls": [{"names": ["write", "mkdir"], "action": "SCMP_ACT_NOTIFY"}]}"#,
        );
        let f = runtime_quirks(&p);
        let details: Vec<&str> = f.iter().map(|f| f.detail.as_str()).collect();
        assert_eq!(f.len(), 4, "{details:?}");
        assert!(details[0].starts_with("defaultAction SCMP_ACT_NOTIFY"));
        assert!(details[1].starts_with("SCMP_ACT_NOTIFY on write"));
        assert!(details[2].starts_with("flags [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]"));
        assert!(details[3].starts_with("SCMP_ACT_NOTIFY without listenerPath"));
        assert!(f.iter().all(|f| f.level == Level::High));
        let fine = profile(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}"#,
        );
        assert!(runtime_quirks(&fine).is_empty());
    }

    #[test]
    fn coverage_follows_the_emulated_program() {
        let json = r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
            "listenerMetadata": "web",
            "syscalls": [
              {"names": ["mknodat", "mkdir", "sysinfo"], "action": "SCMP_ACT_NOTIFY"},
              {"names": ["personality"], "action": "SCMP_ACT_NOTIFY",
               "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
            ]}"#;
        let oci = seccompy_bpf::oci::Profile::from_json(json).unwrap();
        let opts = seccompy_bpf::oci::ResolveOptions::new(
            Abi::X86_64,
            seccompy_bpf::oci::KernelVersion::new(6, 1),
        );
        let resolved = oci.resolve(&opts).unwrap().unwrap();
        let program = resolved.to_policy().unwrap().compile().unwrap();
        let raw = profile(json);
        let calls = notified_calls(program.insns(), Abi::X86_64, Some(&raw));
        // personality only notifies with its argument 8: found through the rule.
        assert_eq!(
            calls.iter().copied().collect::<Vec<_>>(),
            ["mkdir", "mknodat", "personality", "sysinfo"]
        );
        let policy = Policy::parse(
            r#"{"profiles": {"web": {"mknodat": "mknod", "mkdir": {"errno": "EROFS"},
                "personality": "mknod", "*": {"errno": "EPERM"}}}}"#,
        )
        .unwrap();
        let f = coverage(&calls, &policy, "web");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].level, f[0].kind), (Level::High, "wrong handler"));
        assert!(
            f[0].detail
                .starts_with("personality is given the mknod handler")
        );
        assert_eq!((f[1].level, f[1].kind), (Level::Medium, "fallback handler"));
        assert!(
            f[1].detail
                .starts_with("sysinfo is notified but profile \"web\" has no handler")
        );
        assert!(f[1].detail.ends_with("errno EPERM"));
        // The built-in default: only mknod is handled.
        let f = coverage(&calls, &Policy::builtin(), "web");
        let kinds: Vec<_> = f
            .iter()
            .map(|f| f.detail.split(' ').next().unwrap())
            .collect();
        assert_eq!(kinds, ["mkdir", "personality", "sysinfo"]);
    }
}
