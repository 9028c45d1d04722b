//! `seccompy trace` 2.0: argument rules learned and enforced, merged runs, the
//! Kubernetes and Rust outputs, the tracefs mode and its fallback.

use std::process::{Command, Output};

mod support;
use support::{TempDir, require_root, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A perl one-liner making `socket(family, SOCK_DGRAM, 0)`, dying with the
/// error if it fails.
fn socket_script(family: u32) -> String {
    format!("print \"start\\n\"; socket(S, {family}, 2, 0) or die \"socket: $!\\n\"")
}

const AF_UNIX: u32 = 1;
const AF_INET: u32 = 2;
const AF_PACKET: u32 = 17;

fn trace(mode: &str, extra: &[&str], out: &str, family: u32) -> Output {
    let script = socket_script(family);
    let mut args = vec!["trace", "--mode", mode, "-o", out];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "perl", "-e", &script]);
    seccompy(&args)
}

fn run(profile: &str, family: u32) -> Output {
    seccompy(&[
        "run",
        "--profile",
        profile,
        "--",
        "perl",
        "-e",
        &socket_script(family),
    ])
}

/// Traces an AF_INET socket in `mode`, then checks that the profile lets the
/// same run pass and refuses other families.
fn learned_socket_family(mode: &str) {
    let dir = TempDir::new();
    let profile = dir.path("inet.json");
    let p = profile.to_str().unwrap();
    let out = trace(mode, &[], p, AF_INET);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = std::fs::read_to_string(&profile).unwrap();
    // socket's family (an int: low 32 bits) and type bits are conditions.
    assert!(
        json.contains(
            "{\"index\": 0, \"value\": 4294967295, \"valueTwo\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\"}"
        ),
        "{json}"
    );
    assert!(
        json.contains(
            "{\"index\": 1, \"value\": 15, \"valueTwo\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\"}"
        ),
        "{json}"
    );
    let out = run(p, AF_INET);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for family in [AF_UNIX, AF_PACKET] {
        let out = run(p, family);
        assert!(!out.status.success(), "family {family} allowed");
        assert!(
            text(&out.stderr).contains("socket: Operation not permitted"),
            "{}",
            text(&out.stderr)
        );
    }
    // --names-only: today's profile, socket whatever its arguments.
    let names = dir.path("names.json");
    let n = names.to_str().unwrap();
    let out = trace(mode, &["--names-only"], n, AF_INET);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = std::fs::read_to_string(&names).unwrap();
    assert!(
        !json.contains("\"args\"") && json.contains("\"socket\""),
        "{json}"
    );
    let out = run(n, AF_UNIX);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn notify_mode_learns_argument_rules() {
    learned_socket_family("notify");
}

#[test]
#[ignore = "needs root and tracefs"]
fn tracefs_mode_learns_argument_rules() {
    require_root("tracefs instances");
    learned_socket_family("tracefs");
}

#[test]
#[ignore = "needs root and tracefs"]
fn both_modes_learn_the_same_profile_and_leave_no_instance() {
    require_root("tracefs instances");
    let dir = TempDir::new();
    let script = "ls -R /usr/share/perl* > /dev/null; perl -e 'socket(S, 2, 1, 0)'";
    let mut profiles = Vec::new();
    let mut pids = Vec::new();
    for mode in ["notify", "tracefs"] {
        let p = dir.path(&format!("{mode}.json"));
        let child = Command::new(env!("CARGO_BIN_EXE_seccompy"))
            .args(["trace", "--mode", mode, "-o", p.to_str().unwrap()])
            .args(["--", "sh", "-c", script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        pids.push(child.id());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        // The first line counts every call: the same in both modes.
        profiles.push((
            std::fs::read_to_string(&p).unwrap(),
            text(&out.stderr).lines().next().unwrap().to_string(),
        ));
    }
    assert_eq!(profiles[0], profiles[1]);
    // The tracefs run's instance is removed (by a detached process: soon).
    let instance = format!("/sys/kernel/tracing/instances/seccompy-{}-0", pids[1]);
    let start = std::time::Instant::now();
    while std::path::Path::new(&instance).exists()
        && start.elapsed() < std::time::Duration::from_secs(10)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        !std::path::Path::new(&instance).exists(),
        "{instance} is left"
    );
}

#[test]
fn merged_runs_allow_both_and_merging_again_changes_nothing() {
    let dir = TempDir::new();
    let inet = dir.path("inet.json");
    let both = dir.path("both.json");
    let again = dir.path("again.json");
    let (i, b, a) = (
        inet.to_str().unwrap(),
        both.to_str().unwrap(),
        again.to_str().unwrap(),
    );
    assert!(trace("notify", &[], i, AF_INET).status.success());
    let out = trace("notify", &["--merge", i], b, AF_UNIX);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for family in [AF_INET, AF_UNIX] {
        let out = run(b, family);
        assert!(out.status.success(), "{family}: {}", text(&out.stderr));
    }
    assert!(!run(b, AF_PACKET).status.success());
    // The same run merged again: the same profile.
    let out = trace("notify", &["--merge", b], a, AF_UNIX);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&both).unwrap(),
        std::fs::read_to_string(&again).unwrap()
    );
    // A profile trace cannot merge with: one line, nothing run.
    let deny = dir.file(
        "deny.json",
        br#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let out = seccompy(&[
        "trace",
        "--merge",
        deny.to_str().unwrap(),
        "-o",
        "-",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot merge with this profile: rule 0 of the profile: only SCMP_ACT_ALLOW"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn kubernetes_and_rust_outputs() {
    let dir = TempDir::new();
    let yaml = dir.path("my-app.yaml");
    let out = trace(
        "notify",
        &["--format", "spo"],
        yaml.to_str().unwrap(),
        AF_INET,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let y = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        y.starts_with(
            "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n\
             metadata:\n  name: \"my-app\"\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n"
        ),
        "{y}"
    );
    assert!(y.contains("        - \"socket\"\n      args:\n"), "{y}");
    let out = trace(
        "notify",
        &["--format", "spo", "--name", "Bad_Name"],
        "-",
        AF_INET,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not a Kubernetes object name"));
    let out = trace("notify", &["--format", "rust"], "-", AF_INET);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = text(&out.stdout);
    assert!(
        r.contains("filter.add_rule(\"socket\", FilterAction::Allow, [Arg32(0).eq(0x2), Arg32(1).masked_eq(0xf, 0x2)]);"),
        "{r}"
    );
}

#[test]
#[ignore = "needs python3-yaml (/usr/bin/python3 with the yaml module)"]
fn kubernetes_output_is_yaml_with_the_operator_fields() {
    let dir = TempDir::new();
    let yaml = dir.path("app.yaml");
    let out = trace(
        "notify",
        &["--format", "spo"],
        yaml.to_str().unwrap(),
        AF_INET,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let check = r#"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1"
assert d["kind"] == "SeccompProfile"
assert d["metadata"]["name"] == "app"
s = d["spec"]
assert set(s) == {"defaultAction", "architectures", "syscalls"}, s.keys()
assert s["defaultAction"] == "SCMP_ACT_ERRNO"
assert "SCMP_ARCH_X86_64" in s["architectures"] or s["architectures"]
for r in s["syscalls"]:
    assert set(r) <= {"names", "action", "args"}, r
    assert r["action"] == "SCMP_ACT_ALLOW" and r["names"]
    for a in r.get("args", []):
        assert set(a) <= {"index", "value", "valueTwo", "op"}, a
        assert isinstance(a["value"], int) and a["op"].startswith("SCMP_CMP_")
sock = [r for r in s["syscalls"] if r["names"] == ["socket"]]
assert sock[0]["args"][0] == {"index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 4294967295, "valueTwo": 2}
print("ok")
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", check, yaml.to_str().unwrap()])
        .output()
        .expect("this test needs /usr/bin/python3 (python3-yaml)");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "ok\n");
}

#[test]
fn without_tracefs_trace_falls_back_to_notification_and_says_so() {
    // Not root (or root dropped to nobody): no tracefs instance can be made.
    let dir = TempDir::new();
    let profile = dir.path("p.json");
    let args = [
        "trace",
        "-o",
        profile.to_str().unwrap(),
        "--json",
        "-",
        "--",
        "sh",
        "-c",
        "exit 0",
    ];
    // SAFETY: geteuid cannot fail.
    let out = if unsafe { libc::geteuid() } == 0 {
        // A copy nobody can run, wherever the build directory is.
        let bin = dir.path("seccompy");
        std::fs::copy(env!("CARGO_BIN_EXE_seccompy"), &bin).unwrap();
        use std::os::unix::fs::PermissionsExt;
        // nobody writes the profile there.
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(args)
            .output()
            .expect("setpriv (util-linux) is needed to drop root")
    } else {
        seccompy(&args)
    };
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The JSON summary names the mode used and why.
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("standard output is the JSON summary alone");
    assert_eq!(doc["mode"], "notify");
    assert_eq!(doc["lost"], serde_json::Value::Null);
    let why = doc["fallback"].as_str().expect("the fallback's reason");
    assert_eq!(
        err.lines().next().unwrap(),
        format!("seccompy: {why}; every call goes through the supervisor instead (slower)"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&profile)
            .unwrap()
            .contains("\"exit_group\"")
    );
}

/// The `--json` summary of a traced `socket(AF_INET, SOCK_DGRAM, 0)` in
/// `mode`, checked against the profile written.
fn json_summary(mode: &str) -> serde_json::Value {
    let dir = TempDir::new();
    let profile = dir.path("inet.json");
    let summary = dir.path("summary.json");
    let out = trace(
        mode,
        &["--json", summary.to_str().unwrap()],
        profile.to_str().unwrap(),
        AF_INET,
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The counts go to the document, not to standard error.
    assert!(!err.contains(" calls of "), "{err}");
    assert_eq!(text(&out.stdout), "start\n");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).expect("valid JSON");
    let host = seccompy_sys::syscalls::Abi::host().unwrap().name();
    assert_eq!(doc["schema"], "seccompy.trace/1");
    assert_eq!(doc["command"], "perl");
    assert_eq!(doc["arch"], host);
    assert_eq!(doc["mode"], mode);
    assert_eq!(doc["fallback"], serde_json::Value::Null);
    assert_eq!(doc["format"], "oci");
    assert_eq!(doc["names_only"], false);
    assert_eq!(doc["merged"], serde_json::Value::Null);
    assert_eq!(doc["output"], profile.to_str().unwrap());
    assert_eq!(doc["written"], true);
    assert_eq!(doc["error"], serde_json::Value::Null);
    assert_eq!(doc["ended"], serde_json::json!({"exit": 0}));
    // Every call counted once, most frequent first; socket and exit_group seen.
    let calls = doc["calls"].as_array().unwrap();
    let counts: Vec<u64> = calls.iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert_eq!(doc["total"].as_u64().unwrap(), counts.iter().sum::<u64>());
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    for name in ["socket", "exit_group", "execve"] {
        let call = calls
            .iter()
            .find(|c| c["syscall"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {calls:?}"));
        assert_eq!(call["arch"], host);
        assert!(call["count"].as_u64().unwrap() >= 1);
    }
    assert_eq!(calls.iter().filter(|c| c["syscall"] == "socket").count(), 1);
    assert_eq!(doc["unnamed"], serde_json::json!([]));
    // The socket's family (low 32 bits) and type bits, as in the profile.
    let socket = doc["learned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["syscall"] == "socket")
        .expect("socket's arguments learned");
    assert_eq!(
        socket["allowed"],
        serde_json::json!([[
            {"index": 0, "mask": 0xffff_ffffu64, "value": AF_INET},
            {"index": 1, "mask": 15, "value": 2}
        ]])
    );
    // Every call in the document is in the profile, and no other.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    let mut in_profile: Vec<&str> = written["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["names"].as_array().unwrap())
        .map(|n| n.as_str().unwrap())
        .collect();
    in_profile.sort_unstable();
    in_profile.dedup();
    let mut in_doc: Vec<&str> = calls
        .iter()
        .map(|c| c["syscall"].as_str().unwrap())
        .collect();
    in_doc.sort_unstable();
    in_doc.dedup();
    assert_eq!(in_doc, in_profile);
    doc
}

#[test]
fn json_summary_of_a_notify_run() {
    let doc = json_summary("notify");
    assert_eq!(doc["lost"], serde_json::Value::Null);
}

#[test]
#[ignore = "needs root and tracefs"]
fn json_summary_of_a_tracefs_run() {
    require_root("tracefs instances");
    let doc = json_summary("tracefs");
    assert_eq!(doc["lost"], 0);
}

#[test]
fn json_summary_on_standard_output_alone() {
    let dir = TempDir::new();
    let profile = dir.path("p.json");
    let p = profile.to_str().unwrap();
    let out = seccompy(&[
        "trace",
        "--mode",
        "notify",
        "-o",
        p,
        "--json",
        "-",
        "--",
        "sh",
        "-c",
        "echo from the command; exit 3",
    ]);
    let err = text(&out.stderr);
    // CMD's status; its output on standard error, the document alone on
    // standard output.
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("from the command\n"), "{err}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("standard output is the JSON summary alone");
    assert_eq!(doc["ended"], serde_json::json!({"exit": 3}));
    assert_eq!(doc["written"], true);
    assert!(
        std::fs::read_to_string(&profile)
            .unwrap()
            .contains("\"write\"")
    );
    // The profile and the summary cannot share standard output, nor a file.
    for (o, j) in [("-", "-"), (p, p)] {
        let out = seccompy(&["trace", "-o", o, "--json", j, "--", "true"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).starts_with("seccompy: the profile and the JSON summary cannot"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// Set in the traced copy of the test binary: make an i386 and an x32 call.
#[cfg(target_arch = "x86_64")]
const ABI_CHILD: &str = "SECCOMPY_TRACE_ABI_CHILD";

/// In the traced copy: i386 `getpid` (20, through `int 0x80`) and x32
/// `getpid` (39 with the x32 bit; ENOSYS where the kernel lacks x32, but
/// seccomp sees it first), then exit.
#[cfg(target_arch = "x86_64")]
fn abi_child() {
    let (i386, x32): (i64, i64);
    // SAFETY: getpid takes no argument and changes nothing; the registers the
    // instructions clobber are declared.
    unsafe {
        std::arch::asm!("int 0x80", inlateout("rax") 20i64 => i386, options(nostack));
        std::arch::asm!(
            "syscall",
            inlateout("rax") 0x4000_0000i64 | 39 => x32,
            out("rcx") _,
            out("r11") _,
            options(nostack)
        );
    }
    // A thread's calls are followed too (sched_yield: only there).
    std::thread::spawn(|| {
        // SAFETY: sched_yield takes no argument.
        unsafe { libc::sched_yield() };
    })
    .join()
    .unwrap();
    println!("i386 getpid {i386}, x32 getpid {x32}");
    std::process::exit(0);
}

/// Traces this test's own binary, which makes an i386 and an x32 call, in
/// `mode`; returns the profile and the counts on stderr.
#[cfg(target_arch = "x86_64")]
fn trace_other_abis(mode: &str, test: &str) -> (String, String) {
    let me = std::env::current_exe().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seccompy"))
        .args(["trace", "--mode", mode, "-o", "-", "--"])
        .arg(me)
        .args(["--exact", test, "--include-ignored", "--test-threads=1"])
        .env(ABI_CHILD, "1")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("  getpid@i386\n"), "{err}");
    assert!(err.contains("  getpid@x32\n"), "{err}");
    assert!(err.contains("  sched_yield\n"), "{err}");
    let profile = text(&out.stdout);
    let profile = profile[profile.find('{').unwrap()..].to_string();
    assert!(
        profile.contains("\"SCMP_ARCH_X32\"") && profile.contains("\"SCMP_ARCH_X86\""),
        "{profile}"
    );
    (profile, err)
}

#[test]
#[cfg(target_arch = "x86_64")]
fn notify_mode_sees_i386_and_x32_calls() {
    if std::env::var_os(ABI_CHILD).is_some() {
        abi_child();
    }
    trace_other_abis("notify", "notify_mode_sees_i386_and_x32_calls");
}

#[test]
#[cfg(target_arch = "x86_64")]
#[ignore = "needs root and tracefs"]
fn tracefs_mode_sees_i386_and_x32_calls_as_notify_does() {
    if std::env::var_os(ABI_CHILD).is_some() {
        abi_child();
    }
    require_root("tracefs instances");
    let test = "tracefs_mode_sees_i386_and_x32_calls_as_notify_does";
    let (fast, fast_err) = trace_other_abis("tracefs", test);
    let (slow, slow_err) = trace_other_abis("notify", test);
    // i386 getpid (20) is not x86_64 writev (20): the same profile and counts.
    assert_eq!(fast, slow);
    assert_eq!(
        fast_err
            .lines()
            .filter(|l| l.contains('@'))
            .collect::<Vec<_>>(),
        slow_err
            .lines()
            .filter(|l| l.contains('@'))
            .collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs root (a pid namespace)"]
fn in_a_pid_namespace_trace_falls_back_to_notification() {
    require_root("unshare -p");
    let out = Command::new("unshare")
        .args(["-p", "-f", env!("CARGO_BIN_EXE_seccompy")])
        .args(["trace", "-o", "-", "--", "sh", "-c", "ls / > /dev/null"])
        .output()
        .expect("unshare (util-linux)");
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.lines().next().unwrap().contains(
            "seccompy runs in a pid namespace, and tracefs follows processes by their pids \
             in the initial one; every call goes through the supervisor instead (slower)"
        ),
        "{err}"
    );
    assert!(
        text(&out.stdout).contains("\"getdents64\""),
        "{}",
        text(&out.stdout)
    );
}

/// The profile whose Rust output is `tests/fixtures/learned_filter.rs`.
fn fixture_profile() -> seccompy_bpf::oci::LearnedProfile {
    use seccompy_sys::syscalls::Abi;
    let mut p = seccompy_bpf::oci::LearnedProfile::new();
    p.record(Abi::X86_64, "socket", Some(&[2, 0x80001, 0, 0, 0, 0]));
    p.record(Abi::X86_64, "mmap", Some(&[0, 4096, 3, 0x22, 0, 0]));
    p.record(Abi::X86_64, "ioctl", Some(&[1, 0x5401, 0, 0, 0, 0]));
    for name in ["read", "write", "exit_group"] {
        p.record(Abi::X86_64, name, None);
    }
    p.record(Abi::I386, "getpid", None);
    p
}

#[test]
fn the_rust_output_compiles_and_decides_as_the_profile() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/learned_filter.rs"
    );
    let written = fixture_profile().to_rust_filter(seccompy_sys::syscalls::Abi::X86_64);
    if std::env::var_os("SECCOMPY_BLESS").is_some() {
        std::fs::write(fixture, &written).unwrap();
    }
    // The fixture is the writer's output (SECCOMPY_BLESS=1 rewrites it) ...
    assert_eq!(std::fs::read_to_string(fixture).unwrap(), written);
    // ... and, compiled into this test, builds a filter deciding as learned.
    let filter: seccompy::Filter = include!("fixtures/learned_filter.rs");
    let policy = filter.to_policy().unwrap();
    use seccompy_bpf::Action;
    use seccompy_sys::syscalls::Abi;
    let decide = |abi: Abi, name: &str, args: [u64; 6]| {
        policy.decide(abi, abi.syscall_nr(name).unwrap(), &args)
    };
    assert_eq!(
        decide(Abi::X86_64, "socket", [2, 1, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        decide(Abi::X86_64, "socket", [2, 0x801, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        decide(Abi::X86_64, "socket", [17, 1, 0, 0, 0, 0]),
        Action::Errno(1)
    );
    assert_eq!(
        decide(Abi::X86_64, "socket", [2, 3, 0, 0, 0, 0]),
        Action::Errno(1)
    );
    assert_eq!(
        decide(Abi::X86_64, "mmap", [0, 4096, 3, 0x22, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        decide(Abi::X86_64, "mmap", [0, 4096, 5, 0x22, 0, 0]),
        Action::Errno(1)
    );
    assert_eq!(
        decide(Abi::X86_64, "ioctl", [1, 0x5401, 0, 0, 0, 0]),
        Action::Allow
    );
    assert_eq!(
        decide(Abi::X86_64, "ioctl", [1, 0x5402, 0, 0, 0, 0]),
        Action::Errno(1)
    );
    assert_eq!(decide(Abi::X86_64, "read", [0; 6]), Action::Allow);
    assert_eq!(decide(Abi::I386, "getpid", [0; 6]), Action::Allow);
    assert_eq!(decide(Abi::X86_64, "mkdir", [0; 6]), Action::Errno(1));
    assert!(filter.compile().is_ok());
}

#[test]
#[ignore = "needs root and tracefs"]
fn a_ring_buffer_loss_writes_no_profile() {
    require_root("tracefs instances");
    let dir = TempDir::new();
    let profile = dir.path("lost.json");
    let summary = dir.path("summary.json");
    // 4 KiB per CPU cannot hold a tree walk's calls between two reads.
    let out = seccompy(&[
        "trace",
        "--mode",
        "tracefs",
        "--buffer-kb",
        "4",
        "--json",
        summary.to_str().unwrap(),
        "-o",
        profile.to_str().unwrap(),
        "--",
        "find",
        "/usr/lib",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("seccompy: the kernel's trace buffer lost "),
        "{err}"
    );
    assert!(err.contains(" events: no profile written"), "{err}");
    assert!(!profile.exists(), "a profile was written");
    // The summary is written, with the loss.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).expect("valid JSON");
    assert!(doc["lost"].as_u64().unwrap() > 0, "{doc}");
    assert_eq!(doc["written"], false);
    assert!(
        err.contains(doc["error"].as_str().unwrap()),
        "{err} / {doc}"
    );
}
