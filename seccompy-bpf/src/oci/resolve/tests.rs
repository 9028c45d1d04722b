//! The errors of [`resolve`](super::resolve): their JSON paths and messages,
//! and which one wins when a profile has several faults.

use alloc::string::{String, ToString};

use seccompy_sys::syscalls::Abi;

use crate::oci::{KernelVersion, Profile, ResolveError, ResolveOptions};

/// The error resolving `json` for x86_64 gives, as its message.
fn message(json: &str) -> String {
    let profile = Profile::from_json(json).expect("valid JSON");
    let opts = ResolveOptions::new(Abi::X86_64, KernelVersion::new(6, 18));
    profile.resolve(&opts).expect_err("refused").to_string()
}

/// A profile defaulting to `SCMP_ACT_ERRNO` with these rules, the first of
/// which Docker drops on amd64 (so indices count the profile's rules, not the
/// ones left).
fn rules(body: &str) -> String {
    alloc::format!(
        r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {{"names": ["read"], "action": "SCMP_ACT_BOGUS", "args": [{{"index": 9, "op": "x"}}],
              "excludes": {{"arches": ["amd64"]}}}},
            {body}]}}"#
    )
}

#[test]
fn rule_paths_and_messages() {
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_NOPE"}"#
        )),
        r#"syscalls[2].action: unknown action "SCMP_ACT_NOPE""#
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_BOGUS"}]}"#
        )),
        r#"syscalls[1].args[1].op: unknown operator "SCMP_CMP_BOGUS""#
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
               {"names": ["no_such_syscall", "write"], "action": "SCMP_ACT_ALLOW", "args": [
                {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}"#
        )),
        "syscalls[2].args[1].index: argument index 7 is past 5"
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 69631}"#
        )),
        "syscalls[2].errnoRet: errno 69631 is not usable (runc keeps the low 16 bits; 0 to 4094 work)"
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write", ""], "action": "SCMP_ACT_ALLOW"}"#
        )),
        "syscalls[2].names: empty syscall name"
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["read", "write"], "action": "SCMP_ACT_NOTIFY"}"#
        )),
        "syscalls[2]: SCMP_ACT_NOTIFY cannot be used for write"
    );
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}"#
        )),
        "syscalls[2]: both name and names are specified"
    );
    let m = message(&rules(
        r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4"}}"#,
    ));
    assert!(m.starts_with("syscalls[1].excludes.minKernel: "), "{m}");
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GT"}]},
               {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]}"#
        )),
        "read on x86_64: rules with different actions can match the same call; libseccomp's decision depends on its rule-tree merge, which seccompy does not reproduce"
    );
}

#[test]
fn profile_paths_and_messages() {
    assert_eq!(
        message(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE"]}"#
        ),
        r#"flags[1]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NOPE""#
    );
    assert_eq!(
        message(r#"{"defaultAction": "SCMP_ACT_NOPE"}"#),
        r#"defaultAction: unknown action "SCMP_ACT_NOPE""#
    );
    assert_eq!(
        message(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_VAX"]},
                {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_VAX"]}]}"#
        ),
        r#"archMap[1].subArchitectures[1]: unknown architecture "SCMP_ARCH_VAX""#
    );
    assert_eq!(
        message(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_S390X"]}"#
        ),
        "architectures[1]: architecture SCMP_ARCH_S390X has another byte order than x86_64"
    );
}

#[test]
fn which_error_wins() {
    // runc converts every rule (actions, then operators per name) before it
    // looks for NOTIFY on write, and that before the default action's errno.
    assert_eq!(
        message(&rules(
            r#"{"names": ["write"], "action": "SCMP_ACT_NOTIFY"},
               {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"op": "SCMP_CMP_BOGUS"}]}"#
        )),
        r#"syscalls[2].args[0].op: unknown operator "SCMP_CMP_BOGUS""#
    );
    // Unknown flags come first of all.
    assert_eq!(
        message(
            r#"{"defaultAction": "SCMP_ACT_NOPE", "flags": ["SECCOMP_FILTER_FLAG_NOPE"], "syscalls": [
                {"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}"#
        ),
        r#"flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NOPE""#
    );
    // A rule with the default action, or naming only unknown syscalls, is
    // skipped before its argument indices and errno are checked; an empty
    // name is refused even there.
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]},
               {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095},
               {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]},
               {"names": [""], "action": "SCMP_ACT_ERRNO"}"#
        )),
        "syscalls[4].names: empty syscall name"
    );
    // In one rule, the index is checked before the errno.
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095, "args": [{"index": 8, "op": "SCMP_CMP_EQ"}]}"#
        )),
        "syscalls[1].args[0].index: argument index 8 is past 5"
    );
    // Errors of later rules give way to the first rule's.
    assert_eq!(
        message(&rules(
            r#"{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 4095, "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]},
               {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}"#
        )),
        "syscalls[2].errnoRet: errno 4095 is not usable (runc keeps the low 16 bits; 0 to 4094 work)"
    );
    assert!(matches!(
        Profile::from_json(&rules(r#"{"names": [""], "action": "SCMP_ACT_ALLOW"}"#))
            .expect("valid JSON")
            .resolve(&ResolveOptions::new(Abi::X86_64, KernelVersion::new(6, 18))),
        Err(ResolveError::EmptyName { .. })
    ));
}
