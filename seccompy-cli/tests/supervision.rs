//! `seccompy run` and `seccompy trace` as a parent: signals passed on to the
//! command, the command's status passed back, orphans reaped as PID 1, a
//! command that kills `seccompy` gaining nothing, and the failures that used to
//! be silent.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use seccompy_bpf::Program;
use seccompy_bpf::action::Action;
use seccompy_bpf::policy::{Policy, Rule};
use seccompy_sys::syscalls::Abi;

mod support;
use support::{TempDir, children_of, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Allows everything but `rules`.
fn program(rules: &[(&'static str, Action)]) -> Program {
    let mut policy = Policy::new(Action::Allow).abi(Abi::host().expect("a host ABI"));
    for &(name, action) in rules {
        policy = policy.rule(Rule::new(name, action));
    }
    policy.compile().unwrap()
}

/// `seccompy ARGS` in the background, with no standard streams, and with the
/// signals it forwards at their default disposition. A signal ignored when a
/// process starts stays ignored in what it runs (as `nohup` relies on), and a
/// non-interactive shell cannot trap one ignored on entry: the tests' own
/// runner may have been started with `SIGINT` and `SIGQUIT` ignored (a
/// background job of a shell without job control is).
fn start(args: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_seccompy"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: signal(2) is async-signal-safe and changes only the child.
    unsafe {
        command.pre_exec(|| {
            for sig in [
                libc::SIGHUP,
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGUSR1,
                libc::SIGTERM,
            ] {
                if libc::signal(sig, libc::SIG_DFL) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    command.spawn().unwrap()
}

/// Waits up to `limit` for `child`; kills it and fails the test if it is not
/// done by then.
#[track_caller]
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits up to 10 s for `cond`.
#[track_caller]
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn kill(pid: u32, sig: i32) {
    // SAFETY: kill(2) on a process this test started.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0);
}

/// The three ways `seccompy` runs a command, each its own code path.
fn modes(dir: &TempDir) -> Vec<Vec<String>> {
    let allow = dir.program("allow.bpf", &program(&[]));
    let allow = allow.to_str().unwrap().to_string();
    let profile = dir.path("trace.json").to_str().unwrap().to_string();
    vec![
        vec!["run".into(), "--bpf".into(), allow.clone()],
        vec!["run".into(), "--bpf".into(), allow, "--log-denied".into()],
        vec!["trace".into(), "-o".into(), profile],
    ]
}

#[test]
fn term_is_forwarded_and_the_commands_death_is_the_status() {
    let dir = TempDir::new();
    for mode in modes(&dir) {
        let mut args: Vec<&str> = mode.iter().map(String::as_str).collect();
        args.extend(["--", "sleep", "30"]);
        let mut run = start(&args);
        wait_until(&format!("{mode:?}: sleep starts"), || {
            children_of(run.id())
                .into_iter()
                .any(|c| comm(c) == "sleep")
        });
        kill(run.id(), libc::SIGTERM);
        let status = wait_bounded(&mut run, Duration::from_secs(10), &format!("{mode:?}"));
        // The command died of SIGTERM: 128 + 15, as tini and the shell say.
        assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{mode:?}");
    }
}

#[test]
fn other_signals_are_forwarded_too() {
    let dir = TempDir::new();
    let ready = dir.path("ready");
    let script = format!(
        "trap 'exit 10' USR1; trap 'exit 11' INT; trap 'exit 12' HUP; touch {}; \
         while :; do sleep 0.05; done",
        ready.display()
    );
    for mode in modes(&dir) {
        for (sig, code) in [(libc::SIGUSR1, 10), (libc::SIGINT, 11), (libc::SIGHUP, 12)] {
            let _ = std::fs::remove_file(&ready);
            let mut args: Vec<&str> = mode.iter().map(String::as_str).collect();
            args.extend(["--", "sh", "-c", &script]);
            let mut run = start(&args);
            wait_until(&format!("{mode:?}: the shell sets its traps"), || {
                ready.exists()
            });
            kill(run.id(), sig);
            let what = format!("{mode:?}, signal {sig}");
            let status = wait_bounded(&mut run, Duration::from_secs(10), &what);
            assert_eq!(status.code(), Some(code), "{what}");
        }
    }
}

/// The command kills `seccompy`, then makes a refused call; so does a process it
/// started in a session of its own, which nothing kills.
fn kill_the_supervisor_then(action: Action) -> (TempDir, std::process::ExitStatus) {
    let dir = TempDir::new();
    let prog = dir.program(
        "refuse.bpf",
        &program(&[("mkdir", action), ("mkdirat", action)]),
    );
    let d = |n: &str| dir.path(n).display().to_string();
    // The other process says when it is in its own session, and makes its
    // call once seccompy is gone.
    let script = format!(
        "p=$PPID; setsid sh -c \"touch {ready}; while kill -0 $p 2>/dev/null; do sleep 0.01; done; \
         mkdir {d1} 2>{e1}; echo \\$? > {s1}\" & \
         while [ ! -e {ready} ]; do sleep 0.01; done; \
         kill -KILL $p; sleep 0.3; mkdir {d2} 2>{e2}; echo $? > {s2}",
        ready = d("ready"),
        d1 = d("d1"),
        e1 = d("e1"),
        s1 = d("s1"),
        d2 = d("d2"),
        e2 = d("e2"),
        s2 = d("s2"),
    );
    let mut run = start(&[
        "run",
        "--bpf",
        prog.to_str().unwrap(),
        "--log-denied",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let status = wait_bounded(&mut run, Duration::from_secs(10), "seccompy");
    // The process in its own session makes its call after seccompy is gone.
    wait_until("the process in its own session ends", || {
        dir.path("s1").exists()
    });
    // Time for the command to reach its own call, had it survived.
    std::thread::sleep(Duration::from_millis(600));
    (dir, status)
}

#[test]
fn a_command_that_kills_seccompy_keeps_its_errno_refusals() {
    use std::os::unix::process::ExitStatusExt;
    let (dir, status) = kill_the_supervisor_then(Action::Errno(libc::EACCES as u16));
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let read = |n: &str| std::fs::read_to_string(dir.path(n)).unwrap_or_default();
    // The command died with seccompy: it never made its call.
    assert!(
        !dir.path("s2").exists(),
        "the command went on: {}",
        read("e2")
    );
    assert!(!dir.path("d2").exists());
    // The other process got the profile's errno, not ENOSYS.
    assert_eq!(read("s1").trim(), "1");
    assert!(read("e1").contains("Permission denied"), "{}", read("e1"));
    assert!(!dir.path("d1").exists());
}

#[test]
fn a_command_that_kills_seccompy_keeps_its_kill_refusals() {
    use std::os::unix::process::ExitStatusExt;
    let (dir, status) = kill_the_supervisor_then(Action::KillProcess);
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let read = |n: &str| std::fs::read_to_string(dir.path(n)).unwrap_or_default();
    assert!(
        !dir.path("s2").exists(),
        "the command went on: {}",
        read("e2")
    );
    assert!(!dir.path("d2").exists());
    // The other process's mkdir was killed (SIGKILL: 128 + 9 for the shell).
    assert_eq!(read("s1").trim(), "137", "{}", read("e1"));
    assert!(!dir.path("d1").exists());
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
#[ignore = "needs root (unshare --pid) and util-linux's unshare"]
fn as_pid_1_it_reaps_orphans_and_ends_on_term() {
    assert!(is_root(), "this test needs root: a new pid namespace");
    assert!(
        Path::new("/usr/bin/unshare").exists() || Path::new("/bin/unshare").exists(),
        "this test needs util-linux's unshare"
    );
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    for log_denied in [false, true] {
        let mut args = vec![
            "--pid",
            "--fork",
            "--mount-proc",
            env!("CARGO_BIN_EXE_seccompy"),
            "run",
            "--bpf",
            allow.to_str().unwrap(),
        ];
        if log_denied {
            args.push("--log-denied");
        }
        // The subshell's sleep is orphaned at once, and ends soon after.
        args.extend(["--", "sh", "-c", "(sleep 0.2 &); exec sleep 30"]);
        let mut unshare = Command::new("unshare")
            .args(&args)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut init = 0;
        wait_until("seccompy starts as PID 1", || {
            init = children_of(unshare.id())
                .into_iter()
                .find(|&c| comm(c) == "seccompy")
                .unwrap_or(0);
            init != 0 && children_of(init).into_iter().any(|c| comm(c) == "sleep")
        });
        // The orphan came to seccompy and ended: no zombie stays.
        std::thread::sleep(Duration::from_millis(800));
        let zombies: Vec<u32> = children_of(init)
            .into_iter()
            .filter(|&c| state(c) == Some('Z'))
            .collect();
        assert!(zombies.is_empty(), "unreaped: {zombies:?}");
        kill(init, libc::SIGTERM);
        let status = wait_bounded(&mut unshare, Duration::from_secs(10), "PID 1 seccompy");
        assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{log_denied}");
    }
}

#[test]
fn an_exec_failure_is_reported_and_traces_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let script = dir.file("bad", b"#!/nonexistent/interpreter\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = script.to_str().unwrap();
    let allow = dir.program("allow.bpf", &program(&[]));
    let profile = dir.path("learned.json");
    for args in [
        vec![
            "run",
            "--bpf",
            allow.to_str().unwrap(),
            "--log-denied",
            "--",
            s,
        ],
        vec!["trace", "-o", profile.to_str().unwrap(), "--", s],
    ] {
        let out = seccompy(&args);
        let err = text(&out.stderr);
        assert_eq!(
            err,
            format!("seccompy: cannot run '{s}': No such file or directory (os error 2)\n"),
            "{args:?}"
        );
        // Not found: 127, as env, timeout and docker run (trace shares the code).
        assert_eq!(out.status.code(), Some(127), "{args:?}");
    }
    // No profile of seccompy's own calls.
    assert!(!profile.exists());
}

#[test]
fn trace_checks_its_output_before_running() {
    let dir = TempDir::new();
    let marker = dir.path("ran");
    let bad = dir.path("no-such-dir/out.json");
    let out = seccompy(&[
        "trace",
        "-o",
        bad.to_str().unwrap(),
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("seccompy: cannot write {}", bad.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!marker.exists(), "the command ran");
    // An existing profile is kept until the new one is written.
    let kept = dir.file("kept.json", b"old");
    let out = seccompy(&["trace", "-o", kept.to_str().unwrap(), "--", "true"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(&kept)
            .unwrap()
            .contains("\"execve\"")
    );
}

#[test]
fn nested_supervisors_fail_in_one_line() {
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let a = allow.to_str().unwrap();
    let me = env!("CARGO_BIN_EXE_seccompy");
    let inner_profile = dir.path("inner.json");
    let ip = inner_profile.to_str().unwrap();
    // The inner seccompy fails (trace with 2, run with 125, its own failures)
    // and the outer passes that status on.
    for (outer, inner, code) in [
        (
            vec!["run", "--bpf", a, "--log-denied", "--"],
            vec![me, "trace", "-o", ip, "--", "true"],
            2,
        ),
        (
            vec!["trace", "-o", "-", "--"],
            vec![me, "run", "--bpf", a, "--log-denied", "--", "true"],
            125,
        ),
    ] {
        let args: Vec<&str> = outer.iter().chain(&inner).copied().collect();
        let out = seccompy(&args);
        let err = text(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.starts_with("seccompy: cannot supervise the command"))
            .unwrap_or_else(|| panic!("{args:?}: {err}"));
        assert!(line.contains("one listener per filter chain"), "{line}");
        assert_eq!(err.matches("cannot supervise").count(), 1, "{err}");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    }
    // Plain run nests under a supervisor.
    let out = seccompy(&[
        "run",
        "--bpf",
        a,
        "--log-denied",
        "--",
        me,
        "run",
        "--bpf",
        a,
        "--",
        "true",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn term_still_ends_seccompy_while_it_waits_for_the_commands_children() {
    // The command exits at once; its child runs on under the filter, and
    // seccompy supervises it. TERM then ends seccompy with the command's status.
    let dir = TempDir::new();
    let allow = dir.program("allow.bpf", &program(&[]));
    let pidfile = dir.path("child");
    let script = format!("sleep 30 & echo $! > {}; exit 5", pidfile.display());
    let profile = dir.path("p.json");
    for head in [
        vec!["run", "--bpf", allow.to_str().unwrap(), "--log-denied"],
        vec!["trace", "-o", profile.to_str().unwrap()],
    ] {
        let _ = std::fs::remove_file(&pidfile);
        let mut args = head.clone();
        args.extend(["--", "sh", "-c", &script]);
        let mut run = start(&args);
        let mut child = 0;
        wait_until("the command's child starts and the command ends", || {
            child = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0);
            child != 0 && !children_of(run.id()).into_iter().any(|c| comm(c) == "sh")
        });
        kill(run.id(), libc::SIGTERM);
        let status = wait_bounded(&mut run, Duration::from_secs(10), &format!("{head:?}"));
        assert_eq!(status.code(), Some(5), "{head:?}");
        kill(child, libc::SIGKILL);
    }
}
