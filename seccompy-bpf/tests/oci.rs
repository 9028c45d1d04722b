//! OCI runtime-spec and Docker seccomp profiles: parsing, resolution as Docker,
//! runc and libseccomp apply them, and the errors.

use seccompy_bpf::action::RetValue;
use seccompy_bpf::cache::is_const_allow;
use seccompy_bpf::oci::{
    AbiSyscalls, ArgCmp, CapSet, Decision, KernelVersion, LibRule, MULTIPLEXING_ABIS,
    ParseErrorKind, Profile, ResolveError, ResolveOptions, Resolved, ScmpArch, ScmpOp,
    ToPolicyError, resolve,
};
use seccompy_bpf::{Action, ByteOrder, Program, Syscall, emulate_for, validate};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, seccomp_data};

use seccompy_testing::Rng;

/// Docker's default profile, committed in the repository (`profiles/`).
const DOCKER_DEFAULT: &str = include_str!("../../profiles/docker-default.json");

const EPERM: Action = Action::Errno(1);
const ENOSYS: Action = Action::Errno(38);

fn docker_profile() -> Profile {
    Profile::from_json(DOCKER_DEFAULT).expect("docker-default.json parses")
}

fn docker(arch: Abi, caps: CapSet, kernel: (u32, u32)) -> Resolved {
    let opts = ResolveOptions::new(arch, KernelVersion::new(kernel.0, kernel.1)).with_caps(caps);
    resolve(&docker_profile(), &opts)
        .expect("resolves")
        .expect("installs a filter")
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
    let v: serde_json_free::Names = serde_json_free::names(DOCKER_DEFAULT);
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
    let r = docker(Abi::X86_64, CapSet::docker_default(), (6, 18));
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

/// runc's stub returns `ENOSYS` as its host numbers it: 89 on MIPS (runc
/// compiled there, resolving for a MIPS target), 38 elsewhere; in the resolved
/// decisions, the policy and the compiled program alike. A `defaultErrnoRet`
/// equal to the host's `SCMP_ACT_ERRNO(ENOSYS)` value skips the stub.
#[test]
fn the_stub_returns_the_hosts_enosys() {
    for (abi, errno) in [(Abi::Mipsel64, 89u32), (Abi::Mips, 89), (Abi::Aarch64, 38)] {
        let errno16 = errno as u16;
        let r = docker(abi, CapSet::docker_default(), (6, 18));
        let stub = r.enosys.as_ref().expect("a stub");
        assert_eq!(stub.errno, errno16, "{abi}");
        let arch = abi.audit_arch();
        let above = stub.highest_on(abi).expect("the target is covered") + 1;
        assert_eq!(
            r.decide(arch, above, &[0; 6]),
            Action::Errno(errno16),
            "{abi}"
        );
        let policy = r.to_policy().expect("expressible");
        let prog = policy.compile().expect("compiles");
        let order = if abi.is_little_endian() {
            ByteOrder::Little
        } else {
            ByteOrder::Big
        };
        let run = emulate_for(prog.insns(), &data(arch, above, [0; 6]), order).unwrap();
        assert_eq!(
            Action::from_raw(run.ret),
            Some(Action::Errno(errno16)),
            "{abi}"
        );
        // defaultErrnoRet: SCMP_ACT_ERRNO(ENOSYS) in the host's numbering.
        let json = format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":{},"syscalls":[{{"names":["read"],"action":"SCMP_ACT_ALLOW"}}]}}"#,
            0x5_0000 | errno
        );
        assert_eq!(filter(&json, abi).enosys, None, "{abi}");
        let other = format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":{},"syscalls":[{{"names":["read"],"action":"SCMP_ACT_ALLOW"}}]}}"#,
            0x5_0000 | (127 - errno)
        );
        assert!(filter(&other, abi).enosys.is_some(), "{abi}");
    }
}

#[test]
fn docker_default_enosys_stub() {
    let r = docker(Abi::X86_64, CapSet::docker_default(), (6, 18));
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
    // The policy states the stub as a range per ABI, from the highest + 1.
    let policy = r.to_policy().expect("expressible");
    for abi in [Abi::X86_64, Abi::I386, Abi::X32] {
        let first = stub.highest_on(abi).unwrap() + 1;
        let range = policy
            .rule_list()
            .iter()
            .find(|rule| {
                rule.abis() == [abi]
                    && matches!(*rule.syscall(), Syscall::Range { first: f, .. } if f == first)
            })
            .unwrap_or_else(|| panic!("a range from {first} on {abi}"));
        assert_eq!(range.action(), ENOSYS);
        assert!(range.conditions().is_empty());
    }
    for nr in [462, 463, 0x3fff_ffff, 0x4000_0000, 0x8000_0000, u32::MAX] {
        for arch in [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386] {
            let d = data(arch, nr, [0; 6]);
            assert_eq!(policy.evaluate(&d), r.evaluate(&d), "{arch:#x} {nr:#x}");
        }
    }
}

#[test]
fn docker_default_caps_all_and_none() {
    let all = docker(Abi::X86_64, CapSet::all(), (6, 18));
    let none = docker(Abi::X86_64, CapSet::none(), (6, 18));
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
    let bpf = docker(x, CapSet::parse(["CAP_BPF"]).unwrap(), (6, 18));
    assert_eq!(call(&bpf, x, "bpf", [0; 6]), Action::Allow);
    assert_eq!(call(&bpf, x, "mount", [0; 6]), EPERM);
}

#[test]
fn docker_default_min_kernel() {
    let old = docker(Abi::X86_64, CapSet::docker_default(), (4, 7));
    let edge = docker(Abi::X86_64, CapSet::docker_default(), (4, 8));
    let ptracer = docker(Abi::X86_64, CapSet::parse(["SYS_PTRACE"]).unwrap(), (4, 7));
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
    let r = docker(Abi::Aarch64, CapSet::docker_default(), (6, 18));
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
                // In the ABI's byte order, whatever the host's.
                let got = emulate_for(program.insns(), &data, ByteOrder::of(abi))
                    .unwrap()
                    .ret;
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
        emulate_for(program.insns(), &data, ByteOrder::of(Abi::Aarch64))
            .unwrap()
            .ret,
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

/// `errnoRet: 0` is `SCMP_ACT_ERRNO(0)` for runc and libseccomp: the kernel
/// skips the call and returns 0. runc keeps the low 16 bits, so 65536 is 0 too.
#[test]
fn errno_ret_zero() {
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0, "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
            {"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536},
            {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#,
        Abi::X86_64,
    );
    assert_eq!(r.default_action, Action::Errno(0));
    assert_eq!(call(&r, Abi::X86_64, "read", [0; 6]), Action::Allow);
    assert_eq!(call(&r, Abi::X86_64, "close", [0; 6]), EPERM);
    // write and openat equal the default action: libseccomp would refuse
    // them, runc skips them; the default gives the same ERRNO(0).
    assert_eq!(call(&r, Abi::X86_64, "write", [0; 6]), Action::Errno(0));
    assert_eq!(call(&r, Abi::X86_64, "getpid", [0; 6]), Action::Errno(0));
    let r = filter(
        r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
            {"names": ["read", "exit_group"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
            {"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536,
             "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_EQ"}]}]}"#,
        Abi::X86_64,
    );
    assert_eq!(call(&r, Abi::X86_64, "write", [0; 6]), Action::Errno(0));
    assert_eq!(call(&r, Abi::X86_64, "openat", [0; 6]), Action::Errno(0));
    assert_eq!(
        call(&r, Abi::X86_64, "openat", [0, 0, 1, 0, 0, 0]),
        Action::KillProcess
    );
    // The program returns SECCOMP_RET_ERRNO with data 0, and the disassembly
    // says so.
    let prog = r.to_policy().unwrap().compile().unwrap();
    validate(prog.insns()).unwrap();
    assert_decides_as(&r, &prog, "errnoRet 0");
    let write = data(AUDIT_ARCH_X86_64, 1, [0; 6]);
    let out = emulate_for(prog.insns(), &write, ByteOrder::Little).unwrap();
    assert_eq!(out.ret, seccompy_sys::SECCOMP_RET_ERRNO);
    let text = seccompy_bpf::disassemble(prog.insns(), Abi::X86_64);
    assert!(text.contains("return ERRNO(0)"), "{text}");
    assert_eq!(
        seccompy_bpf::assemble(&text).unwrap().insns(),
        prog.insns(),
        "the disassembly reads back"
    );
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

/// libseccomp multiplexes the socket and IPC calls on s390x, ppc, ppc64,
/// ppc64le and MIPS o32 too, not only on i386: a profile allowing `socket` and
/// `semop` there allows `socketcall(SYS_SOCKET)` and `ipc(SEMOP)`.
#[test]
fn socket_and_ipc_multiplexing_beyond_i386() {
    // futex_waitv (449, 4449 on MIPS o32) keeps runc's stub above the others.
    let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "socket", "semop", "accept4"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["futex_waitv"], "action": "SCMP_ACT_LOG"},
        {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
         "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]}"#;
    for abi in MULTIPLEXING_ABIS {
        let r = filter(json, abi);
        let mux = |sub: u64| call(&r, abi, "socketcall", [sub, 0xdead, 0, 0, 0, 0]);
        assert_eq!(mux(1), Action::Allow, "{abi}: socketcall(SYS_SOCKET)");
        assert_eq!(mux(18), Action::Allow, "{abi}: socketcall(SYS_ACCEPT4)");
        assert_eq!(mux(2), Action::Errno(13), "{abi}: socketcall(SYS_BIND)");
        assert_eq!(mux(3), EPERM, "{abi}: socketcall(SYS_CONNECT)");
        assert_eq!(
            call(&r, abi, "ipc", a0(1)),
            Action::Allow,
            "{abi}: ipc(SEMOP)"
        );
        assert_eq!(call(&r, abi, "ipc", a0(2)), EPERM, "{abi}: ipc(SEMGET)");
        // The direct calls keep their rules; bind's condition holds only there.
        assert_eq!(call(&r, abi, "socket", a0(2)), Action::Allow, "{abi}");
        assert_eq!(call(&r, abi, "accept4", a0(2)), Action::Allow, "{abi}");
        assert_eq!(call(&r, abi, "bind", a0(3)), Action::Errno(13), "{abi}");
        assert_eq!(call(&r, abi, "bind", a0(4)), EPERM, "{abi}");
        let prog = r.to_policy().unwrap().compile().unwrap();
        assert_decides_as(&r, &prog, &format!("{abi}"));
    }
    // x86_64, aarch64 and the 64-bit MIPS ABIs have no multiplexer rules.
    for abi in [Abi::X86_64, Abi::Aarch64, Abi::Mips64, Abi::Mips64n32] {
        let r = filter(json, abi);
        assert_eq!(call(&r, abi, "socket", a0(2)), Action::Allow, "{abi}");
        if let Some(nr) = abi.syscall_nr("socketcall") {
            assert_eq!(r.decide(abi.audit_arch(), nr, &a0(1)), EPERM, "{abi}");
        }
    }
}

/// runc's stub takes the numbers libseccomp 2.5 resolves: a multiplexed name is
/// a negative pseudo number on every multiplexing ABI, even where the ABI has
/// the direct call, so it never raises the highest number.
#[test]
fn enosys_stub_ignores_multiplexed_names() {
    let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "accept4", "shmctl"], "action": "SCMP_ACT_ALLOW"}]}"#;
    for abi in MULTIPLEXING_ABIS {
        let r = filter(json, abi);
        let read = abi.syscall_nr("read").unwrap();
        let stub = r.enosys.as_ref().expect("runc's stub");
        assert_eq!(stub.highest_on(abi), Some(read), "{abi}");
        // So the direct accept4, above read, gets ENOSYS (the target's: 89 on
        // MIPS) before the filter.
        let enosys = Action::Errno(abi.enosys());
        assert_eq!(call(&r, abi, "accept4", a0(2)), enosys, "{abi}");
    }
    // Elsewhere accept4 is an ordinary number.
    let r = filter(json, Abi::Aarch64);
    let accept4 = Abi::Aarch64.syscall_nr("accept4").unwrap();
    assert_eq!(r.enosys.unwrap().highest_on(Abi::Aarch64), Some(accept4));
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

/// A profile is a JSON object: serde alone would take `["SCMP_ACT_ALLOW"]` for
/// `{"defaultAction": "SCMP_ACT_ALLOW"}` (an allow-all filter), and runc refuses
/// it. Nested objects are objects only too, as in Go.
#[test]
fn profile_must_be_an_object() {
    let not_object = |json: &str| Profile::from_json(json).expect_err(json);
    let e = not_object(r#"["SCMP_ACT_ALLOW"]"#);
    assert_eq!(e.kind, ParseErrorKind::NotAnObject { found: "an array" });
    assert_eq!(
        e.to_string(),
        "a seccomp profile is a JSON object, not an array (line 1, column 1)"
    );
    let e = not_object("\n  [\"SCMP_ACT_ERRNO\", null, null, [], null, null, null, []]");
    assert_eq!((e.line, e.column), (2, 3));
    for (json, found) in [
        (r#""SCMP_ACT_ALLOW""#, "a string"),
        ("-1", "a number"),
        ("7", "a number"),
        (" true", "a boolean"),
        ("false", "a boolean"),
        ("null", "null"),
        ("[]", "an array"),
    ] {
        assert_eq!(
            not_object(json).kind,
            ParseErrorKind::NotAnObject { found },
            "{json}"
        );
    }
    // Not JSON at all: serde_json's syntax error.
    for json in ["", "nope", "{", "\u{feff}{}"] {
        assert_eq!(not_object(json).kind, ParseErrorKind::Json, "{json:?}");
    }
    // Arrays for nested objects: refused as Go refuses them.
    for json in [
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [[["read"], null, "SCMP_ACT_ALLOW"]]}"#,
        r#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [[0, 1, 0, "SCMP_CMP_EQ"]]}]}"#,
        r#"{"syscalls": [{"names": ["read"], "includes": [["CAP_SYS_ADMIN"]]}]}"#,
        r#"{"archMap": [["SCMP_ARCH_X86_64", []]]}"#,
    ] {
        let e = not_object(json);
        assert_eq!(e.kind, ParseErrorKind::Json, "{json}");
        assert!(e.message.contains("expected a JSON object"), "{json}: {e}");
    }
    // The OCI config.json too, and its linux and seccomp members.
    let e = Profile::from_oci_config_json(r#"[{"linux": {}}]"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "an OCI config.json is a JSON object, not an array (line 1, column 1)"
    );
    assert!(
        Profile::from_oci_config_json(r#"{"linux": {"seccomp": ["SCMP_ACT_ALLOW"]}}"#).is_err()
    );
    assert!(Profile::from_oci_config_json(r#"{"linux": [{"seccomp": {}}]}"#).is_err());
    // Objects, and null for optional ones, still parse.
    let p = Profile::from_json(
        r#" {"defaultAction": "SCMP_ACT_ERRNO", "archMap": null, "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": null, "excludes": {},
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
    )
    .unwrap();
    assert_eq!(p.syscalls.unwrap()[0].args.as_ref().unwrap().len(), 1);
    assert_eq!(
        Profile::from_oci_config_json(
            r#"{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_LOG"}}}"#
        )
        .unwrap()
        .unwrap()
        .default_action
        .as_deref(),
        Some("SCMP_ACT_LOG")
    );
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
    for bad in [4095, 70000, 0x1_0fff] {
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
    // s390x's entry adds SCMP_ARCH_S390, which seccompy has no table for: an
    // error for a kernel that still runs 31-bit programs, left out from 6.19.
    {
        let p = docker_profile();
        for kernel in [KernelVersion::new(6, 1), KernelVersion::new(6, 18)] {
            let e = resolve(&p, &ResolveOptions::new(Abi::S390x, kernel)).unwrap_err();
            assert!(matches!(e, ResolveError::S390Compat { .. }), "{e:?}");
            assert!(
                e.to_string().ends_with(
                    "SCMP_ARCH_S390 (31-bit s390) has no syscall table in seccompy; Linux 6.19 \
                     removed 31-bit s390, so resolving for kernel 6.19 or later leaves it out"
                ),
                "{e}"
            );
        }
        for kernel in [KernelVersion::new(6, 19), KernelVersion::new(7, 2)] {
            let r = resolve(&p, &ResolveOptions::new(Abi::S390x, kernel))
                .unwrap()
                .unwrap();
            assert_eq!(r.abis, [Abi::S390x]);
        }
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

// ---------------------------------------------------------------------------
// Resolved::to_policy: the compiled program decides as Resolved::decide.
// ---------------------------------------------------------------------------

/// The numbers checked on every ABI and arch: 0..1024, each ABI's own first
/// 1024 numbers (x32's and MIPS' numbers start high), the stub's thresholds and
/// the boundaries of the x86 dispatch.
fn numbers_to_check(r: &Resolved) -> Vec<u32> {
    let mut v: Vec<u32> = (0..1024).collect();
    for abi in &r.abis {
        let base = abi.syscalls().first().map_or(0, |s| s.0);
        v.extend(base..base + 1024);
    }
    if let Some(stub) = &r.enosys {
        for &(_, m) in &stub.highest {
            v.extend([
                m.saturating_sub(1),
                m,
                m.saturating_add(1),
                m.saturating_add(2),
            ]);
        }
    }
    v.extend([
        0x3fff_fffe,
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0001,
        0xbfff_ffff,
        0xc000_0000,
        0xc000_0001,
        0xffff_fffe,
        0xffff_ffff,
    ]);
    v.sort_unstable();
    v.dedup();
    v
}

/// Boundary argument vectors for a syscall decided by argument rules: each
/// compared value, its neighbours, the mask, and the same with the high word
/// changed, in each compared argument alone and in all six at once.
fn sampled_args(d: &Decision) -> Vec<[u64; 6]> {
    let mut out = vec![[0u64; 6], [u64::MAX; 6]];
    let Decision::Rules(rules) = d else {
        return out;
    };
    for c in rules.iter().flat_map(|r| &r.conds) {
        let i = usize::from(c.index);
        for base in [c.value, c.mask, c.value & c.mask, 0xffff_ffff] {
            for v in [
                base,
                base.wrapping_sub(1),
                base.wrapping_add(1),
                base ^ (1 << 32),
                base | 0xffff_ffff_0000_0000,
                base & 0xffff_ffff,
            ] {
                let mut one = [0u64; 6];
                one[i] = v;
                out.push(one);
                out.push([v; 6]);
            }
        }
    }
    out
}

fn data(arch: u32, nr: u32, args: [u64; 6]) -> seccomp_data {
    seccomp_data {
        nr: nr as i32,
        arch,
        instruction_pointer: 0x7fff_0000_1234,
        args,
    }
}

/// Checks that `prog` decides exactly as `r` on every number of
/// [`numbers_to_check`] of every arch of the filter (zero arguments, and boundary
/// arguments where rules look at them), and on other arches; in the byte order
/// of the target. Returns the number of calls checked.
fn assert_decides_as(r: &Resolved, prog: &Program, what: &str) -> usize {
    let order = ByteOrder::of(r.target);
    let mut checked = 0;
    let mut check = |d: &seccomp_data| {
        let got = emulate_for(prog.insns(), d, order)
            .unwrap_or_else(|e| panic!("{what}: {e} on {d:x?}"))
            .ret;
        let want = r.evaluate(d);
        assert!(
            got == want.to_raw(),
            "{what}: arch {:#x} nr {:#x} args {:x?}: program {}, resolved {want}",
            d.arch,
            d.nr,
            d.args,
            RetValue(got),
        );
        checked += 1;
    };
    let numbers = numbers_to_check(r);
    let mut arches: Vec<u32> = r.abis.iter().map(|a| a.audit_arch()).collect();
    arches.dedup();
    for &arch in &arches {
        for &nr in &numbers {
            check(&data(arch, nr, [0; 6]));
            // Arguments matter only where some ABI of this arch has argument rules.
            for abi in r.abis.iter().filter(|a| a.audit_arch() == arch) {
                if let Some(d @ Decision::Rules(_)) = r.decision(*abi, nr) {
                    for args in sampled_args(d) {
                        check(&data(arch, nr, args));
                    }
                }
            }
        }
    }
    let others = Abi::ALL
        .iter()
        .map(|a| a.audit_arch())
        .chain([0, 0xdead_beef])
        .filter(|a| !arches.contains(a));
    for arch in others {
        for nr in [0, 1, 59, 0x4000_0000, 0x8000_0000, u32::MAX] {
            check(&data(arch, nr, [0; 6]));
        }
    }
    checked
}

/// The ABIs docker-default resolves for on a recent kernel: every target with
/// an `archMap` entry (s390x's 31-bit sub-architecture is left out from 6.19).
fn docker_targets() -> Vec<Abi> {
    let p = docker_profile();
    Abi::ALL
        .iter()
        .copied()
        .filter(|&abi| {
            resolve(&p, &ResolveOptions::new(abi, KernelVersion::new(7, 2)))
                .is_ok_and(|r| r.is_some())
        })
        .collect()
}

/// The kernels docker-default is checked at on `target`: 6.18 and 4.4, or
/// for s390x, which resolves only without 31-bit s390, 6.19 and 7.2.
fn docker_kernels(target: Abi) -> [(u32, u32); 2] {
    if target == Abi::S390x {
        [(6, 19), (7, 2)]
    } else {
        [(6, 18), (4, 4)]
    }
}

#[test]
fn docker_default_programs_decide_as_resolved() {
    let targets = docker_targets();
    for abi in [Abi::X86_64, Abi::Aarch64, Abi::S390x] {
        assert!(targets.contains(&abi), "{abi} resolves: {targets:?}");
    }
    let mut total = 0;
    for &target in &targets {
        for (caps_name, caps) in [
            ("default caps", CapSet::docker_default()),
            ("all caps", CapSet::all()),
            ("no caps", CapSet::none()),
        ] {
            for kernel in docker_kernels(target) {
                let what = format!("{target}, {caps_name}, kernel {}.{}", kernel.0, kernel.1);
                let r = docker(target, caps, kernel);
                assert!(r.enosys.is_some(), "{what}: runc's stub");
                let policy = r.to_policy().unwrap_or_else(|e| panic!("{what}: {e}"));
                let prog = policy.compile().unwrap_or_else(|e| panic!("{what}: {e}"));
                validate(prog.insns()).unwrap_or_else(|e| panic!("{what}: {e}"));
                total += assert_decides_as(&r, &prog, &what);
                // Every syscall allowed whatever its arguments is constant for
                // the kernel's cache model (x32's included, although the kernel
                // caches only native and compat numbers).
                for &abi in &r.abis {
                    for &(nr, name) in abi.syscalls() {
                        if matches!(r.decision(abi, nr), Some(Decision::Always(Action::Allow)))
                            && !r
                                .enosys
                                .as_ref()
                                .is_some_and(|s| s.enosys(abi.audit_arch(), nr))
                        {
                            assert!(
                                is_const_allow(prog.insns(), abi.audit_arch(), nr),
                                "{what}: {abi} {name} ({nr}) is not cacheable"
                            );
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{} targets {targets:?}: {total} calls checked",
        targets.len()
    );
}

/// Instruction counts of docker-default's program for x86_64 (with x86 and x32,
/// default capabilities): its length, and the instructions executed for each
/// number 0..1024 under `AUDIT_ARCH_X86_64` with zero arguments.
#[test]
fn docker_default_x86_64_program_shape() {
    let r = docker(Abi::X86_64, CapSet::docker_default(), (6, 18));
    let prog = r.to_policy().unwrap().compile().unwrap();
    let paths: Vec<usize> = (0..1024)
        .map(|nr| {
            emulate_for(
                prog.insns(),
                &data(AUDIT_ARCH_X86_64, nr, [0; 6]),
                ByteOrder::Little,
            )
            .unwrap()
            .executed
        })
        .collect();
    let max = *paths.iter().max().unwrap();
    let mean = paths.iter().sum::<usize>() as f64 / paths.len() as f64;
    eprintln!(
        "docker-default x86_64: {} instructions, path max {max}, mean {mean:.3}",
        prog.len()
    );
    // Every syscall allowed whatever its arguments is one the kernel caches.
    let mut cached = 0;
    for abi in [Abi::X86_64, Abi::I386] {
        for &(nr, name) in abi.syscalls() {
            if matches!(r.decision(abi, nr), Some(Decision::Always(Action::Allow))) {
                assert!(
                    is_const_allow(prog.insns(), abi.audit_arch(), nr),
                    "{abi} {name} ({nr}) is allowed without argument checks but not cacheable"
                );
                cached += 1;
            }
        }
    }
    eprintln!("{cached} cacheable");
    for (abi, base) in [(Abi::I386, 0), (Abi::X32, 0x4000_0000)] {
        let paths: Vec<usize> = (base..base + 1024)
            .map(|nr| {
                let d = data(abi.audit_arch(), nr, [0; 6]);
                emulate_for(prog.insns(), &d, ByteOrder::Little)
                    .unwrap()
                    .executed
            })
            .collect();
        let mean = paths.iter().sum::<usize>() as f64 / paths.len() as f64;
        let max = paths.iter().max().unwrap();
        eprintln!("  {abi}: path max {max}, mean {mean:.3}");
    }
    assert!(prog.len() <= 360, "{} instructions", prog.len());
    assert!(max <= 12, "longest path {max}");
    assert!(mean <= 11.0, "mean path {mean}");
}

const ACTIONS: [&str; 8] = [
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_NOTIFY",
];

fn random_value(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => rng.below(64),
        1 => 0xffff_ffff,
        2 => 1 << 32 | rng.below(8),
        3 => u64::MAX,
        4 => rng.next(),
        _ => rng.next() & 0xffff_ffff,
    }
}

/// A random runtime-spec profile for `target`: a few architectures of the same
/// byte order, a default action, and rules on names from the syscall tables of
/// those ABIs (the multiplexed socket and IPC calls, high and low numbers),
/// some with conditions on arguments.
fn random_profile(rng: &mut Rng, target: Abi) -> String {
    let same_order: Vec<ScmpArch> = ScmpArch::ALL
        .iter()
        .copied()
        .filter(|a| {
            a.abi()
                .is_some_and(|b| b.is_little_endian() == target.is_little_endian())
        })
        .collect();
    let archs: Vec<ScmpArch> = (0..rng.below(4))
        .map(|_| *rng.pick_ref(&same_order))
        .collect();
    let mut abis = vec![target];
    abis.extend(archs.iter().filter_map(|a| a.abi()));
    let default = *rng.pick_ref(&ACTIONS[..7]);
    let mut rules = Vec::new();
    for _ in 0..1 + rng.below(8) {
        let mut names = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let abi = *rng.pick_ref(&abis);
            let table = abi.syscalls();
            let name = match rng.below(5) {
                0 => rng.pick_ref(&seccompy_bpf::oci::MULTIPLEXED).0,
                1 => table[table.len() - 1 - rng.index(table.len().min(5))].1,
                _ => rng.pick_ref(table).1,
            };
            names.push(format!("{name:?}"));
        }
        let mut args = Vec::new();
        for _ in 0..[0, 0, 1, 1, 2, 3][rng.index(6)] {
            let op = rng.pick_ref(ScmpOp::ALL);
            args.push(format!(
                r#"{{"index": {}, "value": {}, "valueTwo": {}, "op": "{op}"}}"#,
                rng.below(3),
                random_value(rng),
                random_value(rng)
            ));
        }
        rules.push(format!(
            r#"{{"names": [{}], "action": "{}", "errnoRet": {}, "args": [{}]}}"#,
            names.join(", "),
            rng.pick_ref(&ACTIONS),
            [1, 2, 38, 13][rng.index(4)],
            args.join(", ")
        ));
    }
    let archs: Vec<String> = archs.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"{{"defaultAction": "{default}", "defaultErrnoRet": {}, "architectures": [{}], "syscalls": [{}]}}"#,
        [1, 38, 0x5_0026][rng.index(3)],
        archs.join(", "),
        rules.join(", ")
    )
}

/// Random profiles on several targets: whatever resolves must become a policy
/// whose program decides as the resolved filter.
#[test]
fn random_profiles_compile_and_decide_as_resolved() {
    let seed = std::env::var("SECCOMPY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0c1_5eed);
    let mut rng = Rng(seed);
    let targets = [
        Abi::X86_64,
        Abi::X32,
        Abi::I386,
        Abi::Aarch64,
        Abi::S390x,
        Abi::Mips64,
        Abi::Mipsel64n32,
        Abi::Ppc64le,
        Abi::Riscv64,
    ];
    let (mut compiled, mut refused, mut stubs) = (0, 0, 0);
    for i in 0..240 {
        let target = targets[i % targets.len()];
        let json = random_profile(&mut rng, target);
        let r = match resolve_json(&json, target) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(ResolveError::Ambiguous { .. } | ResolveError::NotifyWrite { .. }) => {
                refused += 1;
                continue;
            }
            Err(e) => panic!("{e}: {json}"),
        };
        let what = format!("seed {seed:#x}, profile {i} on {target}: {json}");
        let policy = r.to_policy().unwrap_or_else(|e| panic!("{what}: {e}"));
        let prog = policy.compile().unwrap_or_else(|e| panic!("{what}: {e}"));
        validate(prog.insns()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_decides_as(&r, &prog, &what);
        compiled += 1;
        stubs += usize::from(r.enosys.as_ref().is_some_and(|s| !s.highest.is_empty()));
    }
    eprintln!("{compiled} compiled ({stubs} with runc's stub), {refused} refused as ambiguous");
    assert!(
        compiled >= 150 && stubs >= 50,
        "{compiled} compiled, {stubs} stubs"
    );
}

/// A hand-built filter whose rules for one syscall overlap with different
/// actions: first-match and most-restrictive agree only in one order.
#[test]
fn to_policy_refuses_first_match_it_cannot_state() {
    let gt5 = LibRule {
        action: Action::Allow,
        conds: vec![ArgCmp {
            index: 0,
            op: ScmpOp::Gt,
            value: 5,
            mask: u64::MAX,
        }],
    };
    let eq7 = LibRule {
        action: Action::KillThread,
        conds: vec![ArgCmp {
            index: 0,
            op: ScmpOp::Eq,
            value: 7,
            mask: u64::MAX,
        }],
    };
    let resolved = |rules: Vec<LibRule>| Resolved {
        target: Abi::X86_64,
        default_action: EPERM,
        bad_arch_action: Action::KillThread,
        abis: vec![Abi::X86_64],
        syscalls: vec![AbiSyscalls {
            abi: Abi::X86_64,
            syscalls: vec![(0, Decision::Rules(rules))],
        }],
        enosys: None,
        flags: Vec::new(),
        listener_path: None,
        listener_metadata: None,
    };
    // Allow first: a0 == 7 is allowed by decide(), killed by any policy.
    let r = resolved(vec![gt5.clone(), eq7.clone()]);
    assert_eq!(r.decide(AUDIT_ARCH_X86_64, 0, &a0(7)), Action::Allow);
    assert_eq!(
        r.to_policy(),
        Err(ToPolicyError::Ambiguous {
            abi: Abi::X86_64,
            syscall: "read".into()
        })
    );
    // Kill first: the most restrictive rule is also the first that matches.
    let r = resolved(vec![eq7, gt5]);
    let prog = r.to_policy().unwrap().compile().unwrap();
    for v in [0, 5, 6, 7, 8, u64::MAX] {
        let d = data(AUDIT_ARCH_X86_64, 0, a0(v));
        let got = emulate_for(prog.insns(), &d, ByteOrder::Little)
            .unwrap()
            .ret;
        assert_eq!(got, r.evaluate(&d).to_raw(), "{v}");
    }
}
