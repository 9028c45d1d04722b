//! Runs the live commands of the built `seccompy` binary for real: `run`,
//! `dump`, `trace` and `audit` on real processes.

use std::process::Command;

use seccompy::{CommandSeccompExt, SeccompOptions};
use seccompy_bpf::Program;
use seccompy_bpf::action::Action;
use seccompy_bpf::policy::{Policy, Rule};
use seccompy_sys::syscalls::Abi;

mod support;
use support::{TempDir, children_of, docker_default, require_root, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn host() -> Abi {
    Abi::host().expect("a host ABI seccomp knows")
}

/// Allows everything but `rules`.
fn program(rules: &[(&'static str, Action)]) -> Program {
    let mut policy = Policy::new(Action::Allow).abi(host());
    for &(name, action) in rules {
        policy = policy.rule(Rule::new(name, action));
    }
    policy.compile().unwrap()
}

#[test]
fn run_passes_the_exit_status_through() {
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let out = seccompy(&[
        "run",
        "--bpf",
        allow.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "exit 7",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let out = seccompy(&[
        "run",
        "--bpf",
        allow.to_str().unwrap(),
        "sh",
        "-c",
        "kill -TERM $$",
    ]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGTERM));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn run_errno_and_log_denied() {
    let dir = TempDir::new();
    let prog = dir.program(
        "nomkdir.bpf",
        &program(&[("mkdir", Action::Errno(30)), ("mkdirat", Action::Errno(30))]),
    );
    let target = dir.path("made");
    let t = target.to_str().unwrap();
    let p = prog.to_str().unwrap();
    let out = seccompy(&["run", "--bpf", p, "--", "mkdir", t]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Read-only file system"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists());
    let out = seccompy(&["run", "--bpf", p, "--log-denied", "--", "mkdir", t]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("seccompy: denied mkdir(") || err.contains("seccompy: denied mkdirat("),
        "{err}"
    );
    assert!(err.contains(": ERRNO(30)"), "{err}");
    assert!(!target.exists());
    // Allowed calls are not reported, and the command works.
    let out = seccompy(&["run", "--bpf", p, "--log-denied", "--", "ls", "/"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn run_reports_a_kill() {
    let dir = TempDir::new();
    let prog = dir.program(
        "killmkdir.bpf",
        &program(&[
            ("mkdir", Action::KillProcess),
            ("mkdirat", Action::KillProcess),
        ]),
    );
    let target = dir.path("made");
    let (p, t) = (prog.to_str().unwrap(), target.to_str().unwrap());
    let out = seccompy(&["run", "--bpf", p, "--", "mkdir", t]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGSYS));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    // Named from the kernel log when it has the record, otherwise said so.
    assert!(
        err.starts_with("seccompy: mkdir killed by SIGSYS: mkdir")
            || err.contains("run with --log-denied to name it"),
        "{err}"
    );
    let out = seccompy(&["run", "--bpf", p, "--log-denied", "--", "mkdir", t]);
    assert_eq!(out.status.code(), Some(128 + libc::SIGSYS));
    let err = text(&out.stderr);
    assert!(err.contains("KILL_PROCESS, killing process"), "{err}");
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("seccompy: mkdir killed by seccomp on mkdir"),
        "{err}"
    );
    assert!(!target.exists());
}

#[test]
fn run_under_docker_default() {
    let profile = docker_default();
    let p = profile.to_str().unwrap();
    let out = seccompy(&["run", "--profile", p, "--", "ls", "/"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // unshare needs CAP_SYS_ADMIN, not in Docker's default set: EPERM.
    let out = seccompy(&[
        "run",
        "--profile",
        p,
        "--log-denied",
        "--",
        "unshare",
        "-U",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("seccompy: denied unshare(CLONE_NEWUSER)"),
        "{err}"
    );
    assert!(err.contains("ERRNO(1)"), "{err}");
    // With every capability, the profile allows it.
    let out = seccompy(&[
        "run",
        "--profile",
        p,
        "--caps",
        "all",
        "--",
        "unshare",
        "-U",
        "true",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn run_errors() {
    for (args, msg) in [
        (
            vec!["run", "--log-denied", "--", "true"],
            "--log-denied reports the refusals of a program",
        ),
        (
            vec!["run", "--bpf", "/nonexistent.bpf", "--", "true"],
            "cannot read /nonexistent.bpf",
        ),
        (vec!["run", "--bpf", "x"], "missing the command"),
        (
            vec!["run", "--no-such-option", "--", "true"],
            "no-such-option",
        ),
    ] {
        let out = seccompy(&args);
        // seccompy's own failures: 125, as env, timeout and docker run.
        assert_eq!(out.status.code(), Some(125), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1);
    }
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let out = seccompy(&[
        "run",
        "--bpf",
        allow.to_str().unwrap(),
        "--",
        "no-such-command-here",
    ]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        text(&out.stderr),
        "seccompy: command not found: no-such-command-here\n"
    );
}

#[test]
fn run_exit_statuses_are_those_of_env() {
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let allow = allow.to_str().unwrap();
    // Not executable: a file without any execute bit (root too needs one), a
    // directory; not there at all.
    let plain = dir.file("plain.txt", b"not a program\n");
    let garbage = dir.file("garbage", b"\x7fELF not really");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o755)).unwrap();
    let missing = dir.path("missing");
    let cases: [(&std::path::Path, i32); 3] = [(&plain, 126), (&dir.0, 126), (&missing, 127)];
    for (cmd, code) in cases {
        for with_filter in [true, false] {
            let mut args = vec!["run"];
            if with_filter {
                args.extend(["--bpf", allow]);
            }
            args.extend(["--", cmd.to_str().unwrap()]);
            let out = seccompy(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
            assert!(err.starts_with("seccompy: cannot run '"), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    // --log-denied starts the command with execve itself (spawn_exec, no
    // fallback to sh as std's execvp has): a file the kernel cannot load is 126.
    let out = seccompy(&[
        "run",
        "--bpf",
        allow,
        "--log-denied",
        "--",
        garbage.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    // The command's own statuses pass through, 125 to 127 included.
    for code in ["0", "3", "125", "126", "127"] {
        let out = seccompy(&["run", "--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(out.status.code(), Some(code.parse().unwrap()));
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
}

/// A `sleep` child killed on drop.
struct Sleeper(std::process::Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs root (dump reads filters with CAP_SYS_ADMIN)"]
fn dump_reads_stacked_filters() {
    require_root("dump reads filters with CAP_SYS_ADMIN");
    let first = program(&[("mkdir", Action::Errno(1))]);
    let second = program(&[("ptrace", Action::KillProcess), ("bpf", Action::Errno(38))]);
    let (n1, n2) = (first.insns().len(), second.insns().len());
    let child = Command::new("sleep")
        .arg("30")
        .seccomp(first, SeccompOptions::default())
        .seccomp(second, SeccompOptions::default())
        .spawn()
        .unwrap();
    let sleeper = Sleeper(child);
    let pid = sleeper.0.id().to_string();
    let out = seccompy(&["dump", &pid]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.starts_with(&format!("# process {pid}: 2 filters")),
        "{stdout}"
    );
    let a = stdout
        .find(&format!("# filter 1 of 2: {n1} instructions"))
        .expect(&stdout);
    let b = stdout
        .find(&format!("# filter 2 of 2: {n2} instructions"))
        .expect(&stdout);
    // The first installed comes first: mkdir in the first, ptrace in the second.
    let mkdir = stdout.find("mkdir").unwrap();
    let ptrace = stdout.find("ptrace").unwrap();
    assert!(a < mkdir && mkdir < b && b < ptrace, "{stdout}");
    // The process goes on after the reading.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(state.contains("State:\tS"), "{state}");
    assert!(state.contains("TracerPid:\t0"), "{state}");
    // --all lists each thread (one here).
    let out = seccompy(&["dump", &pid, "--all"]);
    assert_eq!(text(&out.stdout), stdout);
    // --json: the same filters, in the same order.
    let out = seccompy(&["dump", &pid, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let filters = doc["threads"][0]["filters"].as_array().unwrap();
    assert_eq!(doc["threads"][0]["mode"], "filter");
    assert_eq!(filters.len(), 2);
    assert_eq!(filters[0]["length"], n1);
    assert_eq!(filters[1]["length"], n2);
    assert!(
        filters[0]["disassembly"]
            .as_str()
            .unwrap()
            .contains("mkdir")
    );
    assert_eq!(filters[0]["instructions"].as_array().unwrap().len(), n1);
}

/// `seccompy run ARGS -- sleep 30` in the background until `sleep` runs;
/// returns the `seccompy` process (which the caller waits for) and the `sleep`
/// pid.
#[allow(clippy::zombie_processes)]
fn run_sleep(args: &[&str]) -> (std::process::Child, u32) {
    let mut run = Command::new(env!("CARGO_BIN_EXE_seccompy"));
    run.arg("run")
        .args(args)
        .args(["--", "sleep", "30"])
        .stdin(std::process::Stdio::null());
    let mut child = run.spawn().unwrap();
    let start = std::time::Instant::now();
    loop {
        let sleeping = children_of(child.id()).into_iter().find(|&c| {
            std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|c| c == "sleep\n")
        });
        if let Some(pid) = sleeping {
            return (child, pid);
        }
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`seccompy run {args:?} -- sleep 30` did not start sleep");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
#[ignore = "needs root (reading the flags back needs CAP_SYS_ADMIN)"]
fn run_installs_the_profiles_flags() {
    require_root("reading the flags back needs CAP_SYS_ADMIN");
    let dir = TempDir::new();
    let rules = r#""syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]"#;
    let flagged = dir.file(
        "flagged.json",
        format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW",
                "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"], {rules}}}"#
        )
        .as_bytes(),
    );
    let plain = dir.file(
        "plain.json",
        format!(r#"{{"defaultAction": "SCMP_ACT_ALLOW", {rules}}}"#).as_bytes(),
    );
    let (flagged, plain) = (flagged.to_str().unwrap(), plain.to_str().unwrap());
    for (args, logged) in [
        (vec!["--profile", flagged], true),
        (vec!["--profile", flagged, "--log-denied"], true),
        (vec!["--profile", plain], false),
    ] {
        let (mut run, sleep) = run_sleep(&args);
        let out = seccompy(&["dump", &sleep.to_string()]);
        // SAFETY: kill(2) on the sleep this test started; `run` then exits.
        unsafe { libc::kill(sleep as libc::pid_t, libc::SIGKILL) };
        let status = run.wait().unwrap();
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            stdout.starts_with(&format!("# process {sleep}: 1 filter")),
            "{stdout}"
        );
        assert_eq!(stdout.contains(", flag LOG"), logged, "{args:?}: {stdout}");
        // seccompy reports the command's death by SIGKILL as 128 + 9.
        assert_eq!(status.code(), Some(128 + libc::SIGKILL), "{args:?}");
    }
}

#[test]
fn dump_without_filters_and_errors() {
    let sleeper = Sleeper(Command::new("sleep").arg("30").spawn().unwrap());
    let pid = sleeper.0.id().to_string();
    let out = seccompy(&["dump", &pid]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("# process {pid}: no seccomp filter\n")
    );
    let out = seccompy(&["dump", "999999999"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "seccompy: no process 999999999\n");
    // Not a number: a command to run (as `seccomp-tools dump CMD`).
    let out = seccompy(&["dump", "no-such-command-here"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        text(&out.stderr),
        "seccompy: command not found: no-such-command-here\n"
    );
    // A PID and a command do not go together, nor --limit with a PID.
    let out = seccompy(&["dump", &pid, "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("give a PID or -- CMD, not both"));
    let out = seccompy(&["dump", "--limit", "1", &pid]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--limit is for -- CMD"));
}

#[test]
fn dump_without_privilege() {
    // seccompy under a filter may not read filters (the kernel refuses
    // PTRACE_SECCOMP_GET_FILTER to a filtered tracer): the one-line error.
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let child = Command::new("sleep")
        .arg("30")
        .seccomp(program(&[]), SeccompOptions::default())
        .spawn()
        .unwrap();
    let sleeper = Sleeper(child);
    let pid = sleeper.0.id().to_string();
    let me = env!("CARGO_BIN_EXE_seccompy");
    let out = seccompy(&[
        "run",
        "--bpf",
        allow.to_str().unwrap(),
        "--",
        me,
        "dump",
        &pid,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    // The kernel refuses the reading itself, or, where Yama keeps a non-root
    // seccompy from attaching to a process that is not its child, the
    // attaching.
    let filtered = "seccompy: this process runs under a seccomp filter itself";
    let no_access = format!("seccompy: no ptrace access to process {pid}: ");
    assert!(
        err.starts_with(filtered) || err.starts_with(&no_access),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn dump_of_a_traced_process() {
    // A process has one tracer at a time: the kernel refuses PTRACE_SEIZE
    // with EPERM, which must not read as a missing capability.
    let child = Command::new("sleep")
        .arg("30")
        .seccomp(program(&[]), SeccompOptions::default())
        .spawn()
        .unwrap();
    let sleeper = Sleeper(child);
    let pid = sleeper.0.id();
    // SAFETY: PTRACE_SEIZE of our own child, no memory involved; this thread
    // stays its tracer until it ends (or the child is killed).
    let r = unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid as libc::pid_t, 0usize, 0usize) };
    assert_eq!(
        r,
        0,
        "this test needs to ptrace its own child (Yama ptrace_scope 0 or 1): {}",
        std::io::Error::last_os_error()
    );
    let out = seccompy(&["dump", &pid.to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let me = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:").map(|t| t.trim().to_string()))
        .unwrap();
    assert_eq!(
        text(&out.stderr),
        format!(
            "seccompy: process {pid} is already traced by process {me}, and a process has one tracer at a time: detach that tracer (strace, gdb, ...) first\n"
        )
    );
}

#[test]
fn audit_docker_default_and_a_raw_program() {
    {
        let profile = docker_default();
        let p = profile.to_str().unwrap();
        let out = seccompy(&["audit", p, "--arch", "x86_64"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("high: dangerous syscall: ptrace is allowed"),
            "{stdout}"
        );
        assert!(!stdout.contains("no arch check") && !stdout.contains("x32 bypass"));
        assert!(!stdout.contains("permissive default"), "{stdout}");
        assert!(stdout.contains("low: never matches: rule "), "{stdout}");
        // Nothing critical with Docker's default capabilities: exit 0.
        let out = seccompy(&["audit", p, "--arch", "x86_64", "--fail-on", "critical"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        assert!(text(&out.stdout).ends_with(", 0 at or above critical\n"));
    }
    // A deny list written by hand, with no arch check.
    let dir = TempDir::new();
    let src = dir.path("deny.s");
    std::fs::write(
        &src,
        ".abi x86_64\nA = nr\nif A == ptrace goto deny\nreturn ALLOW\ndeny:\nreturn ERRNO(1)\n",
    )
    .unwrap();
    let bpf = dir.path("deny.bpf");
    let out = seccompy(&["asm", src.to_str().unwrap(), "-o", bpf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = seccompy(&["audit", bpf.to_str().unwrap(), "--arch", "x86_64"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    for kind in [
        "high: no arch check",
        "high: permissive default",
        "high: x32 bypass",
        "critical: dangerous syscall: kexec_load",
    ] {
        assert!(stdout.contains(kind), "{kind}: {stdout}");
    }
    let out = seccompy(&["audit", bpf.to_str().unwrap(), "--fail-on", "severe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("seccompy: unknown severity 'severe'"));
}

#[test]
fn trace_then_run_the_learned_profile() {
    let dir = TempDir::new();
    let profile = dir.path("sh-ls.json");
    let p = profile.to_str().unwrap();
    // The shell forks ls: the child's calls (getdents64) are followed too.
    let script = "ls / > /dev/null";
    let out = seccompy(&["trace", "-o", p, "--", "sh", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("seccompy: ") && err.contains(" calls of "),
        "{err}"
    );
    let json = std::fs::read_to_string(&profile).unwrap();
    for name in ["\"execve\"", "\"getdents64\"", "\"exit_group\""] {
        assert!(json.contains(name), "{name}: {json}");
    }
    assert!(json.contains("\"defaultAction\": \"SCMP_ACT_ERRNO\""));
    assert!(!json.contains("\"mkdir\""));
    // The same run under the learned profile works.
    let out = seccompy(&["run", "--profile", p, "--", "sh", "-c", script]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A command that needs more is refused.
    let made = dir.path("made");
    let out = seccompy(&[
        "run",
        "--profile",
        p,
        "--",
        "sh",
        "-c",
        &format!("mkdir {}", made.display()),
    ]);
    assert!(!out.status.success());
    assert!(!made.exists());
    // The traced command's status is passed on.
    let out = seccompy(&["trace", "-o", p, "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3));
    let out = seccompy(&["trace", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing the profile to write"));
}
