//! `seccompy dump -- CMD` and `seccompy run -- CMD` (no profile) on a C program
//! that installs its own filters (`tests/programs/installs_filters.c`): the
//! first with `seccomp(2)` (flag LOG) allowing everything, the second with
//! `prctl(2)` killing `getppid`, which it calls when given `die`; given
//! `trap`, a third (flag LOG) traps `getsid`, which it calls; given `fork`, a
//! child installs that third one.

use std::path::PathBuf;
use std::process::Command;

mod support;
use support::{TempDir, require_root, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Compiles the test program into `dir` with `cc` (what rustc links with on
/// Linux: where these tests were built, it exists).
fn build(dir: &TempDir) -> PathBuf {
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/programs/installs_filters.c"
    );
    let exe = dir.path("installs_filters");
    let out = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(src)
        .output()
        .expect("no C compiler named cc on the PATH");
    assert!(out.status.success(), "cc failed: {}", text(&out.stderr));
    exe
}

#[test]
fn dump_shows_each_filter_a_command_installs() {
    let dir = TempDir::new();
    let exe = build(&dir);
    let out = seccompy(&["dump", "--", exe.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let first = stdout
        .find("filter 1: seccomp(SECCOMP_SET_MODE_FILTER, LOG, prog), 1 instructions")
        .unwrap_or_else(|| panic!("{stdout}"));
    let second = stdout
        .find("filter 2: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog), 4 instructions")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(first < second);
    assert!(stdout.contains("if A != getppid goto"), "{stdout}");
    assert!(stdout.contains("return KILL_PROCESS"), "{stdout}");
    // The command's output goes to standard error, never into the dump.
    assert!(
        stderr.contains("installed one\ninstalled two\n"),
        "{stderr}"
    );
    assert!(!stdout.contains("installed"), "{stdout}");
}

#[test]
fn dump_limit_stops_the_command_before_the_install() {
    let dir = TempDir::new();
    let exe = build(&dir);
    let out = seccompy(&["dump", "--limit", "1", "--", exe.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("filter 1: "), "{stdout}");
    assert!(!stdout.contains("filter 2"), "{stdout}");
    // Killed at the entry of its first install: it never printed.
    assert!(!stderr.contains("installed one"), "{stderr}");
    assert!(stderr.contains("killed (--limit)"), "{stderr}");
}

#[test]
fn dump_json_parses() {
    let dir = TempDir::new();
    let exe = build(&dir);
    let out = seccompy(&["dump", "--json", "--", exe.to_str().unwrap(), "die"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "seccompy.dump/1");
    let installs = doc["installs"].as_array().unwrap();
    assert_eq!(installs.len(), 2);
    assert_eq!(installs[0]["via"], "seccomp");
    assert_eq!(installs[0]["flags"], serde_json::json!(["LOG"]));
    assert_eq!(installs[1]["via"], "prctl");
    assert_eq!(installs[1]["length"], 4);
    let insns = installs[1]["instructions"].as_array().unwrap();
    assert_eq!(insns.len(), 4);
    // [code, jt, jf, k]: BPF_RET|BPF_K, SECCOMP_RET_KILL_PROCESS.
    assert_eq!(insns[2], serde_json::json!([6, 0, 0, 0x8000_0000u32]));
    // The command then died on getppid.
    assert_eq!(doc["ended"]["signal"], libc::SIGSYS);
}

#[test]
fn dump_follows_children() {
    let dir = TempDir::new();
    let exe = build(&dir);
    let out = seccompy(&["dump", "--", exe.to_str().unwrap(), "fork"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = stdout
        .lines()
        .find(|l| l.contains("filter 3: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    // Installed by the child, not the process started.
    assert!(line.contains(" thread or child "), "{line}");
    assert!(
        line.contains("seccomp(SECCOMP_SET_MODE_FILTER, LOG, prog), 4 instructions"),
        "{line}"
    );
    assert!(stdout.contains("return TRAP(0)"), "{stdout}");
}

#[test]
fn dump_of_a_missing_command_exits_127() {
    let out = seccompy(&["dump", "--", "/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).starts_with("seccompy: cannot run '/nonexistent/program'"));
}

#[test]
fn run_without_a_profile_reports_a_kill_by_the_commands_own_filter() {
    let dir = TempDir::new();
    let exe = build(&dir);
    let out = seccompy(&["run", "--", exe.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = seccompy(&["run", "--", exe.to_str().unwrap(), "die"]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGSYS));
    let err = text(&out.stderr);
    let line = err.lines().last().unwrap_or_default();
    assert!(line.contains(" killed by SIGSYS"), "{err}");
}

#[test]
#[ignore = "needs root (the kernel's audit log: the audit socket or /dev/kmsg)"]
fn run_without_a_profile_names_the_call() {
    require_root("reading the kernel's audit records");
    let dir = TempDir::new();
    let exe = build(&dir);
    for (mode, report) in [
        ("die", "killed by SIGSYS: getppid (KILL_PROCESS)\n"),
        // A TRAP is logged by a filter installed with SECCOMP_FILTER_FLAG_LOG.
        ("trap", "killed by SIGSYS: getsid (TRAP(0))\n"),
    ] {
        let out = seccompy(&["run", "--", exe.to_str().unwrap(), mode]);
        assert_eq!(out.status.code(), Some(128 + libc::SIGSYS), "{mode}");
        let err = text(&out.stderr);
        assert!(err.ends_with(report), "{mode}: {err}");
    }
}
