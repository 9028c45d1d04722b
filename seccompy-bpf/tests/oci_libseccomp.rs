//! The OCI loader against libseccomp itself: for each ABI on which libseccomp
//! multiplexes the socket and SysV IPC calls, one profile is built into a filter
//! by libseccomp (Debian's python3-seccomp, through `/usr/bin/python3`) and by
//! seccompy, and both programs run in the emulator over `socketcall` and `ipc`
//! sub-calls and the direct calls. runc's stub is compared with the numbers
//! libseccomp resolves (`seccomp_syscall_resolve_name_arch`, what runc calls).

use std::io::Write;
use std::process::{Command, Stdio};

use seccompy_bpf::oci::{KernelVersion, MULTIPLEXED, MULTIPLEXING_ABIS, Profile, ResolveOptions};
use seccompy_bpf::{Action, ByteOrder, Insn, emulate_for};
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

/// Debian's python, which has the `seccomp` module of python3-seccomp (a
/// pyenv `python3` on `PATH` may not).
const PYTHON: &str = "/usr/bin/python3";

/// Reads a spec on standard input: `arch` (a `seccomp.Arch` name), `out` (the
/// file for the BPF program), `rules` (`[name, errno or null for ALLOW,
/// [[index, value], ...]]`, conditions `SCMP_CMP_EQ`) and `names`; the default
/// action is `ERRNO(1)`. Prints libseccomp's version and what
/// `seccomp_syscall_resolve_name_arch` (runc's call) gives for each name.
const SCRIPT: &str = r#"
import ctypes, json, sys
import seccomp
spec = json.load(sys.stdin)
arch = getattr(seccomp.Arch, spec["arch"])
f = seccomp.SyscallFilter(seccomp.ERRNO(1))
f.remove_arch(seccomp.Arch.NATIVE)
f.add_arch(arch)
for name, errno, args in spec["rules"]:
    action = seccomp.ALLOW if errno is None else seccomp.ERRNO(errno)
    f.add_rule(action, name, *[seccomp.Arg(i, seccomp.EQ, v) for i, v in args])
with open(spec["out"], "wb") as out:
    f.export_bpf(out)
lib = ctypes.CDLL("libseccomp.so.2")
lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
lib.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int
lib.seccomp_version.restype = ctypes.POINTER(ctypes.c_uint * 3)
print(json.dumps({
    "version": ".".join(map(str, lib.seccomp_version().contents)),
    "numbers": {n: lib.seccomp_syscall_resolve_name_arch(int(arch), n.encode()) for n in spec["names"]},
}))
"#;

/// `seccomp.Arch` names.
fn python_arch(abi: Abi) -> &'static str {
    match abi {
        Abi::I386 => "X86",
        Abi::S390x => "S390X",
        Abi::Ppc => "PPC",
        Abi::Ppc64 => "PPC64",
        Abi::Ppc64le => "PPC64LE",
        Abi::Mips => "MIPS",
        Abi::Mipsel => "MIPSEL",
        other => panic!("no multiplexing on {other}"),
    }
}

/// One rule: name, `Some(errno)` for ERRNO or `None` for ALLOW, `arg == value`
/// conditions.
type TestRule = (&'static str, Option<u16>, &'static [(u8, u64)]);

/// The profile: multiplexed names with and without direct calls, conditions on
/// argument 0 (replaced by the call number on the multiplexer) and on
/// argument 1 (kept there), several actions, and a high number (futex_waitv).
const RULES: &[TestRule] = &[
    ("read", None, &[]),
    ("socket", None, &[(0, 1)]),
    ("accept", None, &[]),
    ("accept4", None, &[]),
    ("recv", None, &[]),
    ("sendmmsg", None, &[]),
    ("getsockopt", None, &[(1, 1)]),
    ("bind", Some(13), &[]),
    ("connect", Some(13), &[(0, 3)]),
    ("semop", None, &[]),
    ("semtimedop", None, &[]),
    ("semget", Some(28), &[]),
    ("shmctl", None, &[(1, 2)]),
    ("msgget", None, &[]),
    ("futex_waitv", None, &[]),
];

/// What libseccomp made of the profile on one ABI.
struct Theirs {
    /// libseccomp's version.
    version: String,
    /// The program.
    insns: Vec<Insn>,
    /// The number of each name, as runc resolves it.
    numbers: Vec<(String, i64)>,
}

/// Runs the script for `abi`, the program written to `out`.
fn libseccomp(abi: Abi, out: &std::path::Path) -> Theirs {
    let rules: Vec<String> = RULES
        .iter()
        .map(|(name, errno, args)| {
            let errno = errno.map_or("null".to_string(), |e| e.to_string());
            let args: Vec<String> = args.iter().map(|(i, v)| format!("[{i}, {v}]")).collect();
            format!(r#"["{name}", {errno}, [{}]]"#, args.join(", "))
        })
        .collect();
    let names: Vec<String> = RULES.iter().map(|r| format!("\"{}\"", r.0)).collect();
    let spec = format!(
        r#"{{"arch": "{}", "out": "{}", "rules": [{}], "names": [{}]}}"#,
        python_arch(abi),
        out.display(),
        rules.join(", "),
        names.join(", ")
    );
    let mut child = Command::new(PYTHON)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.as_bytes())
        .unwrap();
    let result = child.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "the libseccomp script failed on {abi}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    // libseccomp writes the records in the target's byte order.
    let bytes = std::fs::read(out).unwrap();
    assert_eq!(bytes.len() % 8, 0);
    let order = ByteOrder::of(abi);
    let insns = bytes
        .chunks_exact(8)
        .map(|r| {
            let (code, k) = match order {
                ByteOrder::Little => (
                    u16::from_le_bytes([r[0], r[1]]),
                    u32::from_le_bytes([r[4], r[5], r[6], r[7]]),
                ),
                ByteOrder::Big => (
                    u16::from_be_bytes([r[0], r[1]]),
                    u32::from_be_bytes([r[4], r[5], r[6], r[7]]),
                ),
            };
            Insn {
                code,
                jt: r[2],
                jf: r[3],
                k,
            }
        })
        .collect();
    // {"version": "2.5.4", "numbers": {"read": 3, ...}}: a flat scan.
    let text = String::from_utf8(result.stdout).unwrap();
    let version = text
        .split_once("\"version\": \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.to_string())
        .unwrap_or_else(|| panic!("unexpected output: {text}"));
    let numbers = text
        .split_once("\"numbers\": {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .unwrap_or_else(|| panic!("unexpected output: {text}"))
        .split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once(": ").unwrap();
            (k.trim_matches('"').to_string(), v.parse().unwrap())
        })
        .collect();
    Theirs {
        version,
        insns,
        numbers,
    }
}

/// The same profile for the OCI loader, with the rules `keep` keeps.
fn profile_json(keep: impl Fn(&TestRule) -> bool) -> String {
    let rules: Vec<String> = RULES
        .iter()
        .filter(|r| keep(r))
        .map(|(name, errno, args)| {
            let action = match errno {
                Some(e) => format!(r#""action": "SCMP_ACT_ERRNO", "errnoRet": {e}"#),
                None => r#""action": "SCMP_ACT_ALLOW""#.to_string(),
            };
            let args: Vec<String> = args
                .iter()
                .map(|(i, v)| format!(r#"{{"index": {i}, "value": {v}, "op": "SCMP_CMP_EQ"}}"#))
                .collect();
            format!(
                r#"{{"names": ["{name}"], {action}, "args": [{}]}}"#,
                args.join(", ")
            )
        })
        .collect();
    format!(
        r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{}]}}"#,
        rules.join(", ")
    )
}

fn require_python_seccomp() {
    let ok = Command::new(PYTHON)
        .args(["-c", "import seccomp"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{PYTHON} cannot import seccomp: install Debian's python3-seccomp (apt-get install python3-seccomp)"
    );
}

#[test]
#[ignore = "needs python3-seccomp (Debian package)"]
fn multiplexing_decides_as_libseccomp() {
    require_python_seccomp();
    let dir = std::env::temp_dir().join(format!("seccompy-oci-libseccomp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = Profile::from_json(&profile_json(|_| true)).unwrap();
    // Without futex_waitv, the direct socket and IPC numbers would be the
    // highest if runc counted them; libseccomp 2.5 resolves those names to
    // pseudo numbers, so runc does not.
    let low = Profile::from_json(&profile_json(|r| r.0 != "futex_waitv")).unwrap();
    for abi in MULTIPLEXING_ABIS {
        let Theirs {
            version,
            insns: theirs,
            numbers,
        } = libseccomp(abi, &dir.join(format!("{abi}.bpf")));
        let opts = ResolveOptions::new(abi, KernelVersion::new(6, 18));
        let mut resolved = profile.resolve(&opts).unwrap().unwrap();

        // runc's stub: the highest number libseccomp resolves, pseudo numbers
        // (negative) left out.
        let highest = |keep: &dyn Fn(&str) -> bool| {
            numbers
                .iter()
                .filter(|(name, n)| keep(name) && *n > 0)
                .map(|&(_, n)| n)
                .max()
        };
        let stub = resolved.enosys.take().expect("runc's stub");
        assert_eq!(
            stub.highest_on(abi).map(i64::from),
            highest(&|_| true),
            "{abi}, libseccomp {version}: {numbers:?}"
        );
        let low_stub = low.resolve(&opts).unwrap().unwrap().enosys.unwrap();
        assert_eq!(
            low_stub.highest_on(abi).map(i64::from),
            highest(&|name| name != "futex_waitv"),
            "{abi}, libseccomp {version}: {numbers:?}"
        );
        for (name, n) in &numbers {
            let multiplexed = MULTIPLEXED.iter().any(|m| m.0 == name);
            assert_eq!(
                *n < 0,
                multiplexed,
                "{abi}, libseccomp {version}: {name} resolves to {n}"
            );
        }

        // libseccomp's filter alone (without the stub) against seccompy's.
        let ours = resolved.to_policy().unwrap().compile().unwrap();
        let order = ByteOrder::of(abi);
        let nr = |name: &str| abi.syscall_nr(name);
        let socketcall = nr("socketcall").unwrap();
        let ipc = nr("ipc").unwrap();
        let mut calls: Vec<(u32, [u64; 6])> = Vec::new();
        let firsts = [0, 1, 2, 3, 4, 18, 24, 25, 1 << 32 | 1, 0xffff_ffff];
        let seconds = [0, 1, 2, 0x1_0000_0001];
        for sub in 0..=25 {
            for a1 in seconds {
                calls.push((socketcall, [sub, a1, 0, 0, 0, 0]));
                calls.push((ipc, [sub, a1, 0, 0, 0, 0]));
            }
        }
        for name in MULTIPLEXED.iter().map(|m| m.0).chain(["read", "write"]) {
            let Some(n) = nr(name) else { continue };
            for a0 in firsts {
                for a1 in seconds {
                    calls.push((n, [a0, a1, 0, 0, 0, 0]));
                }
            }
        }
        for n in 0..500 {
            let base = abi.syscalls()[0].0 & !0xfff;
            calls.push((base + n, [1, 1, 0, 0, 0, 0]));
        }
        let mut seen = std::collections::HashSet::new();
        for (nr, args) in calls {
            let data = seccomp_data {
                nr: nr as i32,
                arch: abi.audit_arch(),
                instruction_pointer: 0,
                args,
            };
            let a = emulate_for(&theirs, &data, order).unwrap().ret;
            let b = emulate_for(ours.insns(), &data, order).unwrap().ret;
            assert_eq!(
                Action::from_raw(b),
                Action::from_raw(a),
                "{abi}: nr {nr} ({:?}) args {args:x?}: seccompy vs libseccomp {version}",
                abi.syscall_name(nr)
            );
            seen.insert(a);
        }
        // ALLOW, ERRNO(1), ERRNO(13) and ERRNO(28) all came up.
        assert_eq!(seen.len(), 4, "{abi}: {seen:x?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
