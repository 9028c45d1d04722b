//! OCI runtime-spec and Docker seccomp profiles: parsing, resolution as Docker,
//! runc and libseccomp apply them, and the errors.

use seccompy_bpf::Action;
use seccompy_bpf::oci::{
    CapSet, Decision, KernelVersion, Profile, ResolveError, ResolveOptions, Resolved, ScmpOp,
    ToPolicyError, resolve,
};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, seccomp_data};

const DOCKER_DEFAULT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/profiles/docker-default.json"
);

const EPERM: Action = Action::Errno(1);
const ENOSYS: Action = Action::Errno(38);

fn docker_profile() -> Option<Profile> {
    match std::fs::read_to_string(DOCKER_DEFAULT) {
        Ok(text) => Some(Profile::from_json(&text).expect("docker-default.json parses")),
        Err(e) => {
            eprintln!(
                "skipping: {DOCKER_DEFAULT} is not readable ({e}); the shared/ folder is missing"
            );
            None
        }
    }
}

fn docker(arch: Abi, caps: CapSet, kernel: (u64, u64)) -> Option<Resolved> {
    let p = docker_profile()?;
    let opts = ResolveOptions::new(arch, KernelVersion::new(kernel.0, kernel.1)).with_caps(caps);
    Some(
        resolve(&p, &opts)
            .expect("resolves")
            .expect("installs a filter"),
    )
}

fn call(r: &Resolved, abi: Abi, name: &str, args: [u64; 6]) -> Action {
    r.decide_name(abi, name, &args)
        .unwrap_or_else(|| panic!("{name} exists on {abi}"))
}

fn a0(v: u64) -> [u64; 6] {
    [v, 0, 0, 0, 0, 0]
}

fn resolve_json(json: &str, arch: Abi) -> Result<Option<Resolved>, ResolveError> {
    let p = Profile::from_json(json).expect("valid JSON");
    resolve(&p, &ResolveOptions::new(arch, KernelVersion::new(6, 18)))
}

fn filter(json: &str, arch: Abi) -> Resolved {
    resolve_json(json, arch)
        .expect("resolves")
        .expect("a filter")
}

/// The highest number the profile's names have on `abi`, computed from the JSON
/// directly (every name, which includes the highest ones of the default list).
fn highest_named(abi: Abi) -> Option<u32> {
    let text = std::fs::read_to_string(DOCKER_DEFAULT).ok()?;
    let v: serde_json_free::Names = serde_json_free::names(&text);
    v.0.iter().filter_map(|n| abi.syscall_nr(n)).max()
}

/// A tiny scan of `"names": [...]` lists, independent of the crate's parser.
mod serde_json_free {
    pub struct Names(pub Vec<String>);
    pub fn names(text: &str) -> Names {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("\"names\"") {
            rest = &rest[i + 7..];
            let open = rest.find('[').unwrap();
            let close = rest.find(']').unwrap();
            for item in rest[open + 1..close].split(',') {
                let item = item.trim().trim_matches('"');
                if !item.is_empty() {
                    out.push(item.to_string());
                }
            }
            rest = &rest[close..];
        }
        Names(out)
    }
}

#[test]
fn docker_default_x86_64_with_default_caps() {
    let Some(r) = docker(Abi::X86_64, CapSet::docker_default(), (6, 18)) else {
        return;
    };
    let x = Abi::X86_64;
    assert_eq!(
        r.abis,
        [Abi::X86_64, Abi::I386, Abi::X32],
        "archMap: x86_64 with x86 and x32"
    );
    assert_eq!(r.default_action, EPERM, "defaultErrnoRet 1");
    assert_eq!(r.bad_arch_action, Action::KillThread);
    for name in [
        "read",
        "write",
        "openat",
        "mmap",
        "execve",
        "futex",
        "arch_prctl",
        "modify_ldt",
    ] {
        assert_eq!(call(&r, x, name, [0; 6]), Action::Allow, "{name}");
    }
    // Capability-gated: CAP_SYS_CHROOT is a default capability, the others are not.
    assert_eq!(call(&r, x, "chroot", [0; 6]), Action::Allow);
    for name in [
        "mount",
        "umount2",
        "bpf",
        "reboot",
        "init_module",
        "kexec_load",
        "open_by_handle_at",
    ] {
        assert_eq!(call(&r, x, name, [0; 6]), EPERM, "{name}");
    }
    // ptrace: CAP_SYS_PTRACE, or any kernel from 4.8.
    assert_eq!(call(&r, x, "ptrace", [0; 6]), Action::Allow);
    // clone3 gets ENOSYS without CAP_SYS_ADMIN (an explicit rule of the profile).
    assert_eq!(call(&r, x, "clone3", [0; 6]), ENOSYS);
    // personality: only the listed personas.
    for p in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
        assert_eq!(call(&r, x, "personality", a0(p)), Action::Allow, "{p:#x}");
    }
    for p in [1, 0x0040_0000, 0x1_0000_0000] {
        assert_eq!(call(&r, x, "personality", a0(p)), EPERM, "{p:#x}");
    }
    // socket: families below 38, 39 and above 40; so not 38 nor AF_VSOCK (40).
    for family in [1, 2, 10, 16, 37, 39, 41, 45, 0x1_0000_0028] {
        assert_eq!(call(&r, x, "socket", a0(family)), Action::Allow, "{family}");
    }
    assert_eq!(call(&r, x, "socket", a0(38)), EPERM);
    assert_eq!(call(&r, x, "socket", a0(40)), EPERM);
    // clone: no namespace flags (mask 0x7e020000).
    let thread_flags = 0x003d_0f00;
    assert_eq!(call(&r, x, "clone", a0(thread_flags)), Action::Allow);
    assert_eq!(call(&r, x, "clone", a0(0x11)), Action::Allow);
    for ns in [
        0x0002_0000,
        0x0200_0000,
        0x0400_0000,
        0x0800_0000,
        0x1000_0000,
        0x2000_0000,
        0x4000_0000,
    ] {
        assert_eq!(
            call(&r, x, "clone", a0(thread_flags | ns)),
            EPERM,
            "{ns:#x}"
        );
    }
    // x32 is covered too, comparing low words (libseccomp treats x32 as 32-bit).
    assert_eq!(call(&r, Abi::X32, "socket", a0(40)), EPERM);
    assert_eq!(call(&r, Abi::X32, "socket", a0(0x1_0000_0028)), EPERM);
    assert_eq!(
        call(&r, Abi::X32, "personality", a0(0x1_0000_0000)),
        Action::Allow
    );
    // i386: the direct socket call checks the family; socketcall is allowed as a whole.
    assert_eq!(call(&r, Abi::I386, "socket", a0(40)), EPERM);
    assert_eq!(call(&r, Abi::I386, "socket", a0(2)), Action::Allow);
    assert_eq!(call(&r, Abi::I386, "socketcall", a0(1)), Action::Allow);
    // Other architectures: killed.
    assert_eq!(
        r.decide(AUDIT_ARCH_AARCH64, 63, &[0; 6]),
        Action::KillThread
    );
    // x86_64 numbers with the x32 bit that x32 lacks get the default action.
    let data = seccomp_data {
        nr: Abi::X32.syscall_nr("mount").unwrap() as i32,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args: [0; 6],
    };
    assert_eq!(r.evaluate(&data), EPERM);
}

#[test]
fn docker_default_enosys_stub() {
    let Some(r) = docker(Abi::X86_64, CapSet::docker_default(), (6, 18)) else {
        return;
    };
    let stub = r
        .enosys
        .as_ref()
        .expect("the default action is ERRNO: runc adds its stub");
    for abi in [Abi::X86_64, Abi::I386, Abi::X32] {
        let highest = stub.highest_on(abi).expect("every ABI of the filter");
        // i386's multiplexed socket calls do not count, the others do.
        if abi != Abi::I386 {
            assert_eq!(Some(highest), highest_named(abi), "{abi}");
        }
        let arch = abi.audit_arch();
        assert_ne!(r.decide(arch, highest, &[0; 6]), ENOSYS, "{abi} {highest}");
        assert_eq!(r.decide(arch, highest + 1, &[0; 6]), ENOSYS, "{abi}");
        assert_eq!(r.decide(arch, highest + 1000, &[0; 6]), ENOSYS, "{abi}");
    }
    // A number below the highest that no rule names: the default EPERM.
    let mount = Abi::X86_64.syscall_nr("mount").unwrap();
    assert_eq!(r.decide(AUDIT_ARCH_X86_64, mount, &[0; 6]), EPERM);
    // -1 and 0x8000_0000 on x86_64: bit 30 decides which highest applies.
    assert_eq!(r.decide(AUDIT_ARCH_X86_64, u32::MAX, &[0; 6]), ENOSYS);
    assert_eq!(r.decide(AUDIT_ARCH_X86_64, 0x8000_0000, &[0; 6]), ENOSYS);
    assert_eq!(r.decide(AUDIT_ARCH_I386, 0x3fff_ffff, &[0; 6]), ENOSYS);
    // The stub needs per-ABI ranges: no Policy for it yet.
    assert_eq!(r.to_policy(), Err(ToPolicyError::EnosysStub));
}

#[test]
fn docker_default_caps_all_and_none() {
    let (Some(all), Some(none)) = (
        docker(Abi::X86_64, CapSet::all(), (6, 18)),
        docker(Abi::X86_64, CapSet::none(), (6, 18)),
    ) else {
        return;
    };
    let x = Abi::X86_64;
    for name in [
        "mount",
        "bpf",
        "reboot",
        "init_module",
        "clone3",
        "ptrace",
        "open_by_handle_at",
        "perf_event_open",
        "syslog",
        "acct",
    ] {
        assert_eq!(
            call(&all, x, name, [0; 6]),
            Action::Allow,
            "all caps: {name}"
        );
    }
    // With CAP_SYS_ADMIN, clone is allowed with namespace flags.
    assert_eq!(call(&all, x, "clone", a0(0x1000_0000)), Action::Allow);
    assert!(matches!(
        all.decision(x, 56),
        Some(Decision::Always(Action::Allow))
    ));
    // Without capabilities: chroot refused, clone3 ENOSYS, bpf refused.
    assert_eq!(call(&none, x, "chroot", [0; 6]), EPERM);
    assert_eq!(call(&none, x, "clone3", [0; 6]), ENOSYS);
    assert_eq!(call(&none, x, "bpf", [0; 6]), EPERM);
    assert_eq!(call(&none, x, "clone", a0(0x1000_0000)), EPERM);
    // Only CAP_BPF: bpf allowed (its own rule), mount still refused.
    let Some(bpf) = docker(x, CapSet::parse(["CAP_BPF"]).unwrap(), (6, 18)) else {
        return;
    };
    assert_eq!(call(&bpf, x, "bpf", [0; 6]), Action::Allow);
    assert_eq!(call(&bpf, x, "mount", [0; 6]), EPERM);
}

#[test]
fn docker_default_min_kernel() {
    let (Some(old), Some(edge), Some(ptracer)) = (
        docker(Abi::X86_64, CapSet::docker_default(), (4, 7)),
        docker(Abi::X86_64, CapSet::docker_default(), (4, 8)),
        docker(Abi::X86_64, CapSet::parse(["SYS_PTRACE"]).unwrap(), (4, 7)),
    ) else {
        return;
    };
    for name in ["ptrace", "process_vm_readv", "process_vm_writev"] {
        assert_eq!(call(&old, Abi::X86_64, name, [0; 6]), EPERM, "4.7: {name}");
        assert_eq!(
            call(&edge, Abi::X86_64, name, [0; 6]),
            Action::Allow,
            "4.8: {name}"
        );
        assert_eq!(
            call(&ptracer, Abi::X86_64, name, [0; 6]),
            Action::Allow,
            "CAP_SYS_PTRACE: {name}"
        );
    }
}

#[test]
fn docker_default_aarch64() {
    let Some(r) = docker(Abi::Aarch64, CapSet::docker_default(), (6, 18)) else {
        return;
    };
    assert_eq!(r.abis, [Abi::Aarch64, Abi::Arm]);
    // includes.arches ["arm", "arm64"]: kept on arm64 Docker, so arm calls get it.
    assert_eq!(
        call(&r, Abi::Arm, "arm_fadvise64_64", [0; 6]),
        Action::Allow
    );
    assert_eq!(call(&r, Abi::Aarch64, "read", [0; 6]), Action::Allow);
    assert_eq!(r.decide(AUDIT_ARCH_X86_64, 0, &[0; 6]), Action::KillThread);
    // arch_prctl only for amd64/x32: not on arm64 (and the name does not exist there).
    assert_eq!(Abi::Aarch64.syscall_nr("arch_prctl"), None);
}

const OCI: &str = r#"{
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "listenerPath": "/run/agent.sock",
    "listenerMetadata": "meta",
    "syscalls": [
        {"names": ["mount", "umount2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS",
         "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
        {"names": ["ptrace"], "action": "SCMP_ACT_KILL"},
        {"names": ["reboot"], "action": "SCMP_ACT_TRAP"},
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"}
    ]
}"#;

#[test]
fn runtime_spec_profile() {
    let r = filter(OCI, Abi::X86_64);
    assert_eq!(r.abis, [Abi::X86_64, Abi::I386]);
    assert_eq!(r.flags, ["SECCOMP_FILTER_FLAG_LOG"]);
    assert_eq!(r.listener_path.as_deref(), Some("/run/agent.sock"));
    assert_eq!(r.listener_metadata.as_deref(), Some("meta"));
    assert_eq!(r.enosys, None, "no stub under a permissive default action");
    let x = Abi::X86_64;
    assert_eq!(call(&r, x, "mount", [0; 6]), Action::Errno(13));
    assert_eq!(call(&r, Abi::I386, "umount2", [0; 6]), Action::Errno(13));
    assert_eq!(call(&r, x, "kill", [1, 9, 0, 0, 0, 0]), Action::KillProcess);
    assert_eq!(call(&r, x, "kill", [1, 15, 0, 0, 0, 0]), Action::Allow);
    assert_eq!(
        call(&r, x, "ptrace", [0; 6]),
        Action::KillThread,
        "SCMP_ACT_KILL is KILL_THREAD"
    );
    assert_eq!(call(&r, x, "reboot", [0; 6]), Action::Trap(0));
    // The ALLOW rule equals the default action: skipped, so read has no rule.
    assert!(r.decision(x, 0).is_none());
    assert_eq!(call(&r, x, "read", [0; 6]), Action::Allow);
    // An OCI bundle's config.json carries the same object.
    let config = format!(r#"{{"ociVersion": "1.2.0", "linux": {{"seccomp": {OCI}}}}}"#);
    assert_eq!(
        Profile::from_oci_config_json(&config).unwrap(),
        Some(Profile::from_json(OCI).unwrap())
    );
    assert_eq!(
        Profile::from_oci_config_json(r#"{"linux": {}}"#).unwrap(),
        None
    );
}

#[test]
fn runtime_spec_profile_compiles_and_emulates() {
    let r = filter(OCI, Abi::X86_64);
    let policy = r
        .to_policy()
        .expect("expressible: no stub, same rules on both ABIs");
    let program = policy.compile().expect("compiles");
    let mut checked = 0;
    for (arch, abi) in [
        (AUDIT_ARCH_X86_64, Abi::X86_64),
        (AUDIT_ARCH_I386, Abi::I386),
    ] {
        for name in [
            "mount", "umount2", "kill", "ptrace", "reboot", "read", "write",
        ] {
            for args in [
                [0; 6],
                [1, 9, 0, 0, 0, 0],
                [1, 15, 0, 0, 0, 0],
                [7, 0x1_0000_0009, 0, 0, 0, 0],
            ] {
                let nr = abi.syscall_nr(name).unwrap();
                let data = seccomp_data {
                    nr: nr as i32,
                    arch,
                    instruction_pointer: 0,
                    args,
                };
                let got = seccompy_bpf::emulate(program.insns(), &data).unwrap().ret;
                assert_eq!(got, r.evaluate(&data).to_raw(), "{abi} {name} {args:x?}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 56);
    let data = seccomp_data {
        nr: 0,
        arch: AUDIT_ARCH_AARCH64,
        instruction_pointer: 0,
        args: [0; 6],
    };
    assert_eq!(
        seccompy_bpf::emulate(program.insns(), &data).unwrap().ret,
        Action::KillThread.to_raw()
    );
}

/// A profile with one rule on `read`'s argument 1.
fn one_condition(op: &str, value: u64, value_two: u64) -> String {
    format!(
        r#"{{"defaultAction": "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{{"names": ["read"], "action": "SCMP_ACT_ALLOW",
              "args": [{{"index": 1, "value": {value}, "valueTwo": {value_two}, "op": "{op}"}}]}}]}}"#
    )
}

#[test]
fn every_operator() {
    let big = 0x1_0000_0005u64;
    let probes = [
        0u64,
        4,
        5,
        6,
        0xffff_ffff,
        0x1_0000_0004,
        big,
        0x1_0000_0006,
        u64::MAX,
    ];
    for op in ScmpOp::ALL {
        let r = filter(&one_condition(op.as_str(), big, 0), Abi::X86_64);
        for &v in &probes {
            let args = [0, v, 0, 0, 0, 0];
            // x86_64 compares all 64 bits.
            let want64 = match op {
                ScmpOp::Ne => v != big,
                ScmpOp::Lt => v < big,
                ScmpOp::Le => v <= big,
                ScmpOp::Eq => v == big,
                ScmpOp::Ge => v >= big,
                ScmpOp::Gt => v > big,
                // mask `big`, datum 0
                ScmpOp::MaskedEq => v & big == 0,
                _ => unreachable!(),
            };
            let got = call(&r, Abi::X86_64, "read", args);
            assert_eq!(got == Action::Allow, want64, "x86_64 {op} {v:#x}");
            // i386 and x32 compare low words with the low word of the value (5).
            let (lo, small) = (v & 0xffff_ffff, 5u64);
            let want32 = match op {
                ScmpOp::Ne => lo != small,
                ScmpOp::Lt => lo < small,
                ScmpOp::Le => lo <= small,
                ScmpOp::Eq => lo == small,
                ScmpOp::Ge => lo >= small,
                ScmpOp::Gt => lo > small,
                ScmpOp::MaskedEq => lo & small == 0,
                _ => unreachable!(),
            };
            for abi in [Abi::I386, Abi::X32] {
                assert_eq!(
                    call(&r, abi, "read", args) == Action::Allow,
                    want32,
                    "{abi} {op} {v:#x}"
                );
            }
        }
    }
}

#[test]
fn masked_eq_operands() {
    // value is the mask, valueTwo the datum; libseccomp ANDs the datum with the mask.
    let r = filter(
        &one_condition("SCMP_CMP_MASKED_EQ", 0xf0, 0x1f3),
        Abi::X86_64,
    );
    let read = |v| call(&r, Abi::X86_64, "read", [0, v, 0, 0, 0, 0]);
    assert_eq!(read(0xf0), Action::Allow);
    assert_eq!(read(0xff), Action::Allow);
    assert_eq!(read(0x1f0), Action::Allow);
    assert_eq!(read(0x70), EPERM);
    // A zero mask: always true, the rule is unconditional.
    let r = filter(&one_condition("SCMP_CMP_MASKED_EQ", 0, 7), Abi::X86_64);
    assert!(matches!(
        r.decision(Abi::X86_64, 0),
        Some(Decision::Always(Action::Allow))
    ));
}

#[test]
fn conditions_on_one_argument_are_alternatives() {
    // runc splits the rule: (a0 > 10) OR (a0 < 5) OR (a1 == 3).
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_GT"},
                     {"index": 0, "value": 5, "op": "SCMP_CMP_LT"},
                     {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}]}]}"#,
        Abi::X86_64,
    );
    let read = |a: u64, b: u64| call(&r, Abi::X86_64, "read", [a, b, 0, 0, 0, 0]);
    assert_eq!(read(20, 0), Action::Allow);
    assert_eq!(read(2, 0), Action::Allow);
    assert_eq!(read(7, 0), EPERM);
    assert_eq!(read(7, 3), Action::Allow, "the a1 condition alone suffices");
    // On different arguments, the conditions of one rule are ANDed.
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_GT"},
                     {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}]}]}"#,
        Abi::X86_64,
    );
    assert_eq!(
        call(&r, Abi::X86_64, "read", [20, 3, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(call(&r, Abi::X86_64, "read", [20, 4, 0, 0, 0, 0]), EPERM);
    assert_eq!(call(&r, Abi::X86_64, "read", [7, 3, 0, 0, 0, 0]), EPERM);
}

#[test]
fn first_unconditional_rule_wins() {
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5,
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["read"], "action": "SCMP_ACT_KILL_PROCESS"},
            {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": ["write"], "action": "SCMP_ACT_LOG"}]}"#,
        Abi::X86_64,
    );
    assert_eq!(call(&r, Abi::X86_64, "read", a0(1)), Action::Allow);
    assert_eq!(call(&r, Abi::X86_64, "read", a0(2)), Action::Allow);
    // The ERRNO(1) rule on write equals the default: skipped, so LOG is first.
    assert_eq!(call(&r, Abi::X86_64, "write", [0; 6]), Action::Log);
}

#[test]
fn errno_and_trace_data() {
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 77, "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["write"], "action": "SCMP_ACT_TRACE"},
            {"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65549}]}"#,
        Abi::X86_64,
    );
    assert_eq!(r.default_action, Action::Trace(77));
    assert_eq!(
        call(&r, Abi::X86_64, "read", [0; 6]),
        Action::Errno(1),
        "EPERM without errnoRet"
    );
    assert_eq!(call(&r, Abi::X86_64, "write", [0; 6]), Action::Trace(1));
    assert_eq!(
        call(&r, Abi::X86_64, "openat", [0; 6]),
        Action::Errno(13),
        "runc keeps the low 16 bits"
    );
    assert_eq!(r.enosys, None, "TRACE counts as permissive for the stub");
}

#[test]
fn i386_socket_multiplexing() {
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "syscalls": [
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["semget"], "action": "SCMP_ACT_ALLOW"}]}"#,
        Abi::X86_64,
    );
    let i = Abi::I386;
    // Direct socket(2): the family is checked.
    assert_eq!(call(&r, i, "socket", a0(1)), Action::Allow);
    assert_eq!(call(&r, i, "socket", a0(2)), EPERM);
    // socketcall(SYS_SOCKET, ...): argument 0 is the call number; the family is not checked.
    assert_eq!(
        call(&r, i, "socketcall", [1, 0xdead, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        call(&r, i, "socketcall", a0(2)),
        EPERM,
        "SYS_BIND is not allowed"
    );
    assert_eq!(call(&r, i, "ipc", a0(2)), Action::Allow, "ipc(SEMGET)");
    assert_eq!(call(&r, i, "ipc", a0(1)), EPERM, "ipc(SEMOP)");
    assert_eq!(call(&r, i, "semget", [0; 6]), Action::Allow);
    // x86_64 has neither socketcall nor ipc.
    assert_eq!(call(&r, Abi::X86_64, "socket", a0(2)), EPERM);
}

#[test]
fn no_filter_and_docker_filtering() {
    assert_eq!(resolve_json("{}", Abi::X86_64), Ok(None));
    assert_eq!(resolve_json(r#"{"syscalls": []}"#, Abi::X86_64), Ok(None));
    // Every rule filtered out and no default action: no filter either.
    let json = r#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}}]}"#;
    assert_eq!(resolve_json(json, Abi::X86_64), Ok(None));
    // excludes by arch; an empty minKernel counts as 0.0 (always met); name (Docker).
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
            {"names": ["write"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": ""}},
            {"name": "close", "action": "SCMP_ACT_ALLOW", "comment": "old spelling"}]}"#,
        Abi::X86_64,
    );
    assert_eq!(call(&r, Abi::X86_64, "read", [0; 6]), EPERM);
    assert_eq!(call(&r, Abi::X86_64, "write", [0; 6]), Action::Allow);
    assert_eq!(call(&r, Abi::X86_64, "close", [0; 6]), Action::Allow);
}

fn err(json: &str) -> ResolveError {
    resolve_json(json, Abi::X86_64).expect_err("refused")
}

#[test]
fn errors() {
    let e = Profile::from_json("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",,\n}").unwrap_err();
    assert_eq!((e.line, e.column > 0), (2, true));
    assert!(Profile::from_json(r#"{"syscalls": [{"names": "read"}]}"#).is_err());
    assert!(Profile::from_json(r#"{"defaultErrnoRet": -1}"#).is_err());
    assert!(Profile::from_json(r#"{"syscalls": [{"args": [{"value": 1.5}]}]}"#).is_err());

    let rule =
        |body: &str| format!(r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{body}]}}"#);
    assert_eq!(
        err(r#"{"defaultAction": "SCMP_ACT_NOPE"}"#),
        ResolveError::UnknownAction {
            path: "defaultAction".into(),
            value: "SCMP_ACT_NOPE".into()
        }
    );
    assert_eq!(
        err(r#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#),
        ResolveError::MissingDefaultAction
    );
    assert_eq!(
        err(&rule(r#"{"names": ["read"], "action": "allow"}"#)),
        ResolveError::UnknownAction {
            path: "syscalls[0].action".into(),
            value: "allow".into()
        }
    );
    assert_eq!(
        err(&rule(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}"#
        )),
        ResolveError::UnknownOperator {
            path: "syscalls[0].args[0].op".into(),
            value: "SCMP_CMP_FOO".into()
        }
    );
    assert_eq!(
        err(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_VAX"]}"#
        ),
        ResolveError::UnknownArch {
            path: "architectures[1]".into(),
            value: "SCMP_ARCH_VAX".into()
        }
    );
    assert!(matches!(
        err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_S390X"]}"#),
        ResolveError::ArchByteOrder { .. }
    ));
    assert!(matches!(
        err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}"#),
        ResolveError::UnknownFlag { .. }
    ));
    for bad in [0u64, 4095, 70000] {
        assert_eq!(
            err(&rule(&format!(
                r#"{{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": {bad}}}"#
            ))),
            ResolveError::BadErrno {
                path: "syscalls[0].errnoRet".into(),
                value: bad
            },
            "{bad}"
        );
    }
    assert_eq!(
        err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}"#),
        ResolveError::BadErrno {
            path: "defaultErrnoRet".into(),
            value: 5000
        }
    );
    assert_eq!(
        err(&rule(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}"#
        )),
        ResolveError::ArgIndex {
            path: "syscalls[0].args[0].index".into(),
            index: 6
        }
    );
    assert_eq!(
        err(&rule(
            r#"{"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}"#
        )),
        ResolveError::NameAndNames {
            path: "syscalls[0]".into()
        }
    );
    assert_eq!(
        err(&rule(r#"{"names": [""], "action": "SCMP_ACT_ALLOW"}"#)),
        ResolveError::EmptyName {
            path: "syscalls[0].names".into()
        }
    );
    assert!(matches!(
        err(&rule(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.x"}}"#
        )),
        ResolveError::MinKernel { .. }
    ));
    assert_eq!(
        err(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#
        ),
        ResolveError::ArchitecturesAndArchMap
    );
    assert_eq!(
        err(r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#),
        ResolveError::NotifyDefault
    );
    assert_eq!(
        err(&rule(
            r#"{"names": ["read", "write"], "action": "SCMP_ACT_NOTIFY"}"#
        )),
        ResolveError::NotifyWrite {
            path: "syscalls[0]".into()
        }
    );
    // Conditional rules with different actions that can both match.
    assert!(matches!(
        err(&rule(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GT"}]},
                    {"names": ["read"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"}]}"#
        )),
        ResolveError::Ambiguous {
            abi: Abi::X86_64,
            ..
        }
    ));
    // s390x needs SCMP_ARCH_S390, which seccompy has no table for.
    if let Some(p) = docker_profile() {
        let opts = ResolveOptions::new(Abi::S390x, KernelVersion::new(6, 1));
        assert!(matches!(
            resolve(&p, &opts),
            Err(ResolveError::UnsupportedArch { .. })
        ));
    }
    assert_eq!(
        resolve(
            &Profile::default(),
            &ResolveOptions::new(Abi::Sparc64, KernelVersion::new(6, 1))
        ),
        Err(ResolveError::UnsupportedTarget(Abi::Sparc64))
    );
    // Bad strings in a rule that names nothing are never converted (as in runc).
    assert!(
        resolve_json(
            &rule(r#"{"names": [], "action": "SCMP_ACT_ALLOW", "args": [{"op": "bogus"}]}"#),
            Abi::X86_64
        )
        .is_ok()
    );
    // Unknown syscall names are skipped silently.
    let r = filter(
        &rule(r#"{"names": ["no_such_syscall", "read"], "action": "SCMP_ACT_ALLOW"}"#),
        Abi::X86_64,
    );
    assert_eq!(call(&r, Abi::X86_64, "read", [0; 6]), Action::Allow);
}
