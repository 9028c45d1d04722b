//! OCI/Docker profiles from arbitrary bytes: parsing, resolving (for a machine
//! chosen by the first bytes), to_policy and compiling never panic; a compiled
//! program passes validate() and decides a few calls as Resolved::decide does.
#![no_main]

mod bytes;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::oci::{CapSet, KernelVersion, Profile, ResolveOptions};
use seccompy_bpf::validate;
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

/// The machines runc supports first, so that most inputs resolve.
const TARGETS: [Abi; 8] = [
    Abi::X86_64,
    Abi::Aarch64,
    Abi::X32,
    Abi::I386,
    Abi::S390x,
    Abi::Mips64n32,
    Abi::Ppc64le,
    Abi::Riscv64,
];

fuzz_target!(|data: &[u8]| {
    // 4 bytes of options, then the JSON text.
    if data.len() < 4 {
        return;
    }
    let (head, json) = data.split_at(4);
    let Ok(json) = core::str::from_utf8(json) else {
        return;
    };
    let target = if head[0] < 224 {
        TARGETS[usize::from(head[0]) % TARGETS.len()]
    } else {
        Abi::ALL[usize::from(head[0]) % Abi::ALL.len()]
    };
    let caps = match head[1] % 3 {
        0 => CapSet::docker_default(),
        1 => CapSet::all(),
        _ => CapSet::none(),
    };
    let opts = ResolveOptions::new(
        target,
        KernelVersion::new(u32::from(head[2] % 8), u32::from(head[3])),
    )
    .with_caps(caps);
    // Both entry points: a profile, and an OCI config.json holding one.
    let profile = match Profile::from_json(json) {
        Ok(p) => p,
        Err(_) => match Profile::from_oci_config_json(json) {
            Ok(Some(p)) => p,
            _ => return,
        },
    };
    let Ok(Some(resolved)) = profile.resolve(&opts) else {
        return;
    };
    let Ok(policy) = resolved.to_policy() else {
        return;
    };
    let Ok(prog) = policy.compile() else {
        return;
    };
    if let Err(e) = validate(prog.insns()) {
        panic!("program fails validate: {e}\n{resolved:#?}");
    }
    // A few calls: each ABI's first numbers, its last, and beyond.
    let mut b = Bytes(json.as_bytes());
    for &abi in &resolved.abis {
        let table = abi.syscalls();
        let mut numbers = vec![0, u32::MAX, 0x4000_0000, 0x8000_0000];
        if let (Some(first), Some(last)) = (table.first(), table.last()) {
            numbers.extend([first.0, last.0, last.0 + 1, b.pick(table).0]);
        }
        for nr in numbers {
            let args = [b.u64(), u64::from(b.u32()), 0, 0, 0, b.u64()];
            let d = seccomp_data {
                nr: nr as i32,
                arch: abi.audit_arch(),
                instruction_pointer: 0,
                args,
            };
            let out =
                emulate_for(prog.insns(), &d, ByteOrder::of(target)).expect("a valid program runs");
            let want = resolved.evaluate(&d);
            assert_eq!(out.ret, want.to_raw(), "{d:x?} wants {want}\n{resolved:#?}");
        }
    }
});
