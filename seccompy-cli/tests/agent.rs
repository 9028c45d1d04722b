//! `seccompy agent` end to end with real runtimes: Debian's runc (1.1.5) and
//! crun (1.8), a busybox-static root filesystem built by the test, each
//! runtime with its own state folder. Root only; ignored otherwise (CI runs
//! them as root with the packages installed).

mod agent_support;
mod support;

use std::time::Duration;

use agent_support::{
    Runtime, Scratch, agent, keeper, log_lines, notify, require, text, wait_for, wait_output,
};

const T: Duration = Duration::from_secs(60);

/// The decisions logged for `syscall` in `container`.
fn decisions(log: &std::path::Path, container: &str, syscall: &str) -> Vec<String> {
    log_lines(log)
        .iter()
        .filter(|l| l["container"] == container && l["syscall"] == syscall)
        .map(|l| {
            format!(
                "{} {}",
                l["args"].as_str().unwrap_or(""),
                l["decision"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_mknod_emulated_mkdir_refused_and_logged() {
    require(false);
    basic(Runtime::Runc, "1.0.2-dev");
}

/// `mknod /dev/null c 1 3` works, `mknod x c 8 0` is refused, a notified
/// `mkdir` is refused and logged, a FIFO is left to the kernel.
fn basic(rt: Runtime, version: &str) {
    let id = format!("agent-{rt:?}-basic").to_lowercase();
    let s = Scratch::new(&id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let metrics = s.path("agent.prom");
    let _agent = agent(&sock, &log, &["--metrics", metrics.to_str().unwrap()]);
    let script = "rm /dev/null; mknod /dev/null c 1 3; echo null=$?; echo x > /dev/null; echo write=$?; \
                  stat -c %t:%T:%a /dev/null; \
                  mknod x c 8 0; echo sda=$?; mkdir /tmp/d; echo mkdir=$?; mkfifo /tmp/f; echo fifo=$?; \
                  cd /tmp && mknod rel c 1 5; echo rel=$?; stat -c %t:%T /tmp/rel; \
                  ln -s /proc/1/cwd /tmp/magic; mknod /tmp/magic/m c 1 3; echo magic=$?";
    let bundle = s.bundle(
        "b1",
        script,
        notify(&["mknod", "mknodat", "mkdir", "mkdirat"], &sock, "anything"),
        None,
    );
    let c = rt.container(&s, &id);
    let out = c.run(&bundle, T);
    let o = text(&out);
    assert!(out.status.success(), "{o}");
    assert!(o.contains("null=0\n"), "{o}");
    assert!(o.contains("write=0\n"), "{o}");
    // Major 1, minor 3, mode 0666 less the umask 022.
    assert!(o.contains("1:3:644\n"), "{o}");
    assert!(
        o.contains("sda=1\n") && o.contains("x: Operation not permitted"),
        "{o}"
    );
    assert!(
        o.contains("mkdir=1\n") && o.contains("Operation not permitted"),
        "{o}"
    );
    assert!(o.contains("fifo=0\n"), "{o}");
    // Relative to the caller's cwd.
    assert!(o.contains("rel=0\n1:5\n"), "{o}");
    // Through a magic link (/proc/1/cwd, the container's root): refused
    // (openat2 RESOLVE_NO_MAGICLINKS), nothing made.
    assert!(o.contains("magic=1\n"), "{o}");
    assert!(!bundle.join("rootfs/m").exists());
    let id = id.as_str();
    assert_eq!(
        decisions(&log, id, "mknodat"),
        [
            "AT_FDCWD, \"/dev/null\", 0o20666, 1:3 emulated",
            "AT_FDCWD, \"x\", 0o20666, 8:0 errno EPERM (not a safe device)",
            "AT_FDCWD, \"/tmp/f\", 0o10666, 0:0 continue (no device: the kernel decides)",
            "AT_FDCWD, \"rel\", 0o20666, 1:5 emulated",
            "AT_FDCWD, \"/tmp/magic/m\", 0o20666, 1:3 errno ELOOP (emulated)",
        ]
    );
    assert_eq!(
        decisions(&log, id, "mkdir"),
        ["\"/tmp/d\", 0x1ff errno EPERM (policy)"]
    );
    // The counters, once the agent has written them (at most once a second).
    let counter = |syscall: &str, kind: &str, n: u32| {
        format!(
            "seccompy_agent_decisions_total{{container=\"{id}\",syscall=\"{syscall}\",decision=\"{kind}\"}} {n}\n"
        )
    };
    let expected = [
        counter("mkdir", "errno", 1),
        counter("mknodat", "emulated", 2),
        counter("mknodat", "errno", 2),
        counter("mknodat", "continue", 1),
    ];
    wait_for("the metrics", T, || {
        let text = std::fs::read_to_string(&metrics).unwrap_or_default();
        expected.iter().all(|e| text.contains(e.as_str()))
    });
    let lines = log_lines(&log);
    let listener = lines
        .iter()
        .find(|l| l["event"] == "listener")
        .expect("listener logged");
    assert_eq!(listener["container"], id);
    assert_eq!(listener["status"], "creating");
    assert_eq!(listener["runtimeVersion"], version);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "listener-end" && l["container"] == id)
    );
}

/// A container that waits for the file `/go` in its root, then runs `then`.
fn after_go(then: &str) -> String {
    format!("while [ ! -e /go ]; do sleep 0.05; done; touch /before; {then}")
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_exec_gets_its_own_listener() {
    require(false);
    exec(Runtime::Runc);
}

/// An exec'd process hands its own listener over (status `running`), and is
/// served with the container's profile.
fn exec(rt: Runtime) {
    let id = format!("agent-{rt:?}-exec").to_lowercase();
    let s = Scratch::new(&id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let _agent = agent(&sock, &log, &[]);
    let bundle = s.bundle(
        "b",
        &after_go("echo done"),
        notify(&["mknod", "mknodat", "mkdir", "mkdirat"], &sock, ""),
        None,
    );
    let c = rt.container(&s, &id);
    let init = c.spawn(&bundle);
    c.wait_running(T);
    let out = c.exec("mkdir /e; echo e=$?; mknod /dev/zero2 c 1 5; echo z=$?", T);
    let o = text(&out);
    assert!(o.contains("e=1\n") && o.contains("z=0\n"), "{o}");
    std::fs::write(bundle.join("rootfs/go"), b"").unwrap();
    let o = text(&wait_output(init, T));
    assert!(o.contains("done"), "{o}");
    let lines = log_lines(&log);
    let listeners: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "listener" && l["container"] == id.as_str())
        .collect();
    assert_eq!(listeners.len(), 2, "{lines:?}");
    assert_eq!(listeners[0]["status"], "creating");
    assert_eq!(listeners[1]["status"], "running");
    assert_ne!(listeners[0]["pid"], listeners[1]["pid"]);
    assert_eq!(decisions(&log, &id, "mknodat").len(), 1);
    let ends = lines
        .iter()
        .filter(|l| l["event"] == "listener-end" && l["container"] == id.as_str())
        .count();
    assert_eq!(ends, 2, "{lines:?}");
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_agent_restarted_while_a_call_waits_answers_it() {
    require(false);
    restart(Runtime::Runc);
}

/// The agent is killed; a call is made while no agent runs; a new agent,
/// given the same keeper, takes the listener back and answers the call.
fn restart(rt: Runtime) {
    let id = format!("agent-{rt:?}-restart").to_lowercase();
    let s = Scratch::new(&id);
    let sock = s.path("agent.sock");
    let ksock = s.path("keeper.sock");
    let log1 = s.path("agent1.log");
    let log2 = s.path("agent2.log");
    let _keeper = keeper(&ksock);
    let k = ksock.to_str().unwrap();
    let agent1 = agent(&sock, &log1, &["--keeper", k]);
    let bundle = s.bundle(
        "b",
        &after_go("mknod /dev/zz c 1 5; echo zz=$?; mkdir /m; echo mkdir=$?"),
        notify(&["mknod", "mknodat", "mkdir", "mkdirat"], &sock, ""),
        None,
    );
    let c = rt.container(&s, &id);
    let init = c.spawn(&bundle);
    wait_for("the listener", T, || {
        log_lines(&log1).iter().any(|l| l["event"] == "listener")
    });
    agent1.kill();
    std::fs::write(bundle.join("rootfs/go"), b"").unwrap();
    wait_for("the call", T, || bundle.join("rootfs/before").exists());
    // The call now waits, with no agent.
    std::thread::sleep(Duration::from_millis(300));
    let _agent2 = agent(&sock, &log2, &["--keeper", k]);
    let o = text(&wait_output(init, T));
    assert!(o.contains("zz=0\n"), "{o}");
    assert!(
        o.contains("mkdir=1\n") && o.contains("Operation not permitted"),
        "{o}"
    );
    let lines = log_lines(&log2);
    assert!(
        lines.iter().any(|l| l["event"] == "listener"
            && l["how"] == "recovered"
            && l["container"] == id.as_str()),
        "{lines:?}"
    );
    assert_eq!(decisions(&log2, &id, "mknodat").len(), 1, "{lines:?}");
    assert!(decisions(&log1, &id, "mknodat").is_empty());
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_agent_gone_without_keeper_means_enosys() {
    require(false);
    let id = "agent-runc-enosys";
    let s = Scratch::new(id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let agent1 = agent(&sock, &log, &[]);
    let bundle = s.bundle(
        "b",
        &after_go("mknod /dev/zz c 1 5; echo zz=$?"),
        notify(&["mknod", "mknodat"], &sock, ""),
        None,
    );
    let c = Runtime::Runc.container(&s, id);
    let init = c.spawn(&bundle);
    wait_for("the listener", T, || {
        log_lines(&log).iter().any(|l| l["event"] == "listener")
    });
    agent1.kill();
    std::fs::write(bundle.join("rootfs/go"), b"").unwrap();
    let o = text(&wait_output(init, T));
    // The kernel's answer once the listener's last copy is closed.
    assert!(
        o.contains("zz=1\n") && o.contains("Function not implemented"),
        "{o}"
    );
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn crun_mknod_emulated_mkdir_refused_and_logged() {
    require(true);
    basic(Runtime::Crun, "0.2.0");
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn crun_exec_gets_its_own_listener() {
    require(true);
    exec(Runtime::Crun);
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn crun_agent_restarted_while_a_call_waits_answers_it() {
    require(true);
    restart(Runtime::Crun);
}

/// A policy giving the profile `p` the `sysinfo` and `mount` handlers, and the
/// built-in mknod emulation.
const POLICY: &str = r#"{
  "profiles": {
    "p": {
      "sysinfo": "sysinfo",
      "mount": {"mount": ["proc"]},
      "mknod": "mknod",
      "mknodat": "mknod",
      "*": {"errno": "EPERM"}
    }
  }
}"#;

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_free_shows_the_container_memory_limit() {
    require(false);
    let id = "agent-runc-free";
    let s = Scratch::new(id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let policy = s.path("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let _agent = agent(&sock, &log, &["--policy", policy.to_str().unwrap()]);
    let bundle = s.bundle(
        "b",
        "free",
        notify(&["sysinfo"], &sock, "p"),
        Some(64 << 20),
    );
    let c = Runtime::Runc.container(&s, id);
    let out = c.run(&bundle, T);
    let o = text(&out);
    assert!(out.status.success(), "{o}");
    // busybox free counts KiB: 64 MiB. (Its "cache" and "available" columns
    // come from /proc/meminfo, the host's: only sysinfo's figures change.)
    // The columns are right-aligned under the header's words; a long "used"
    // may touch "total".
    let header = o
        .lines()
        .find(|l| l.contains("total"))
        .unwrap_or_else(|| panic!("{o}"));
    let end = header.find("total").unwrap() + "total".len();
    let mem = o
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .unwrap_or_else(|| panic!("{o}"));
    let total = mem.get(4..end).unwrap_or_else(|| panic!("{o}")).trim();
    assert_eq!(total, "65536", "{o}");
    let d = decisions(&log, id, "sysinfo");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains("emulated (totalram 67108864"), "{d:?}");
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_mount_follows_the_policy() {
    require(false);
    let id = "agent-runc-mount";
    let s = Scratch::new(id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let policy = s.path("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let _agent = agent(&sock, &log, &["--policy", policy.to_str().unwrap()]);
    // With CAP_SYS_ADMIN (in its own, here the initial, user namespace): proc,
    // which the policy allows, is mounted by the agent in the container's
    // mount and pid namespaces (its pid 1 is the container's init); tmpfs,
    // which it does not, and a bind mount are refused.
    let script = "mkdir -p /tmp/p /tmp/t; mount -t proc -o nosuid proc /tmp/p; echo proc=$?; \
                  cat /tmp/p/1/cmdline | grep -q sh && echo init-is-ours; \
                  grep -c ' /tmp/p proc ' /proc/mounts; \
                  mount -t tmpfs tmpfs /tmp/t; echo tmpfs=$?; mount --bind /tmp /tmp/t; echo bind=$?";
    let bundle = s.bundle_with_caps(
        "b1",
        script,
        notify(&["mount"], &sock, "p"),
        None,
        &["CAP_SYS_ADMIN"],
        false,
    );
    let c = Runtime::Runc.container(&s, &format!("{id}-admin"));
    let o = text(&c.run(&bundle, T));
    assert!(o.contains("proc=0\n"), "{o} {:?}", log_lines(&log));
    assert!(o.contains("init-is-ours\n"), "{o}");
    assert!(o.contains("\n1\n"), "one proc mount at /tmp/p: {o}");
    assert!(o.contains("tmpfs=255\n") || o.contains("tmpfs=1\n"), "{o}");
    assert!(o.contains("bind=255\n") || o.contains("bind=1\n"), "{o}");
    let d = decisions(&log, &format!("{id}-admin"), "mount");
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(
        d[0].starts_with("\"proc\", \"/tmp/p\", \"proc\", 0x8002") && d[0].ends_with(" emulated"),
        "{d:?}"
    );
    assert!(
        d[1].ends_with("errno EPERM (filesystem type not allowed)"),
        "{d:?}"
    );
    assert!(d[2].ends_with("errno EPERM (flags not emulated)"), "{d:?}");

    // Without CAP_SYS_ADMIN: refused.
    let bundle = s.bundle(
        "b2",
        "mkdir -p /tmp/p; mount -t proc proc /tmp/p; echo proc=$?",
        notify(&["mount"], &sock, "p"),
        None,
    );
    let c = Runtime::Runc.container(&s, &format!("{id}-user"));
    let o = text(&c.run(&bundle, T));
    assert!(o.contains("proc=255\n") || o.contains("proc=1\n"), "{o}");
    let d = decisions(&log, &format!("{id}-user"), "mount");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].ends_with("errno EPERM (caller lacks CAP_SYS_ADMIN in its user namespace)"),
        "{d:?}"
    );
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_mount_of_proc_in_a_user_namespace_is_emulated() {
    require(false);
    let id = "agent-runc-mount-userns";
    let s = Scratch::new(id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let policy = s.path("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let script = "mkdir -p /tmp/p; mount -t proc proc /tmp/p; echo proc=$?; \
                  cat /tmp/p/1/cmdline | grep -q sh && echo init-is-ours; \
                  mkdir -p /tmp/t; mount -t tmpfs tmpfs /tmp/t; echo tmpfs=$?";
    // Root of a user namespace (100000 outside) with CAP_SYS_ADMIN there,
    // under the agent, whose policy allows proc: mounted in its namespaces.
    let _agent = agent(&sock, &log, &["--policy", policy.to_str().unwrap()]);
    let bundle = s.bundle_with_caps(
        "b1",
        script,
        notify(&["mount"], &sock, "p"),
        None,
        &["CAP_SYS_ADMIN"],
        true,
    );
    let c = Runtime::Runc.container(&s, id);
    let o = text(&c.run(&bundle, T));
    assert!(
        o.contains("proc=0\n") && o.contains("init-is-ours\n"),
        "{o} {:?}",
        log_lines(&log)
    );
    assert!(o.contains("tmpfs=255\n") || o.contains("tmpfs=1\n"), "{o}");
    let d = decisions(&log, id, "mount");
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].ends_with(" emulated"), "{d:?}");
    assert!(
        d[1].ends_with("errno EPERM (filesystem type not allowed)"),
        "{d:?}"
    );
}

/// `seccompy audit --agent-policy`: the runtimes' quirks and the notified
/// calls without a fitting handler, found by running the program. No root.
#[test]
fn audit_gives_the_agents_view_of_a_profile() {
    let dir = support::TempDir::new();
    let profile = dir.file(
        "profile.json",
        br#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/a.sock",
             "listenerMetadata": "web", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
             "syscalls": [{"names": ["getpid", "mknodat", "mkdir", "sysinfo"], "action": "SCMP_ACT_NOTIFY"}]}"#,
    );
    let policy = dir.file(
        "policy.json",
        br#"{"profiles": {"web": {"mknodat": "mknod", "mkdir": {"errno": "EROFS"}, "sysinfo": "mknod"}}}"#,
    );
    let out = support::seccompy(&[
        std::ffi::OsStr::new("audit"),
        profile.as_os_str(),
        "--arch".as_ref(),
        "x86_64".as_ref(),
        "--agent-policy".as_ref(),
        policy.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let agent_lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains(": runtime quirk: ")
                || l.contains(" handler: ")
                || l.contains(": no handler: ")
        })
        .collect();
    assert_eq!(agent_lines.len(), 3, "{text}");
    assert!(
        text.contains(
            "high: runtime quirk: flags [\"SECCOMP_FILTER_FLAG_LOG\"]: runc 1.1.5 refuses"
        ),
        "{text}"
    );
    assert!(
        text.contains("high: wrong handler: sysinfo is given the mknod handler"),
        "{text}"
    );
    assert!(text.contains("medium: no handler: getpid is notified but profile \"web\" has no handler for it: the agent answers with errno EPERM"), "{text}");

    // The built-in policy handles mknodat only.
    let out = support::seccompy(&[
        std::ffi::OsStr::new("audit"),
        profile.as_os_str(),
        "--arch".as_ref(),
        "x86_64".as_ref(),
        "--agent".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    for call in ["getpid", "mkdir", "sysinfo"] {
        assert!(
            text.contains(&format!(
                "medium: fallback handler: {call} is notified but profile \"default\""
            )),
            "{text}"
        );
    }
    assert!(!text.contains("mknodat is notified"), "{text}");

    // NOTIFY on write and as the default: the profile loader already refuses
    // them, as runc does, naming the quirk.
    for (json, message) in [
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x",
                "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}"#,
            "SCMP_ACT_NOTIFY cannot be used for write",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x"}"#,
            "SCMP_ACT_NOTIFY cannot be the default action",
        ),
    ] {
        let p = dir.file("quirk.json", json.as_bytes());
        let out = support::seccompy(&[
            std::ffi::OsStr::new("audit"),
            p.as_os_str(),
            "--agent".as_ref(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(message), "{err}");
    }
}

#[test]
#[ignore = "needs root and runc/crun/busybox-static (Debian packages)"]
fn runc_mknod_is_done_with_the_callers_capabilities() {
    require(false);
    let id = "agent-runc-mknod-caps";
    let s = Scratch::new(id);
    let sock = s.path("agent.sock");
    let log = s.path("agent.log");
    let _agent = agent(&sock, &log, &[]);
    let script = "mknod /locked/n c 1 3; echo locked=$?";
    // A directory of uid 1000, mode 0755: container root may create in it
    // only with CAP_DAC_OVERRIDE, and so may the agent on its behalf.
    let mut outputs = Vec::new();
    for (name, caps) in [("with", &[][..]), ("without", &["-CAP_DAC_OVERRIDE"][..])] {
        let bundle = s.bundle_with_caps(
            name,
            script,
            notify(&["mknod", "mknodat"], &sock, ""),
            None,
            caps,
            false,
        );
        let locked = bundle.join("rootfs/locked");
        std::fs::create_dir(&locked).unwrap();
        std::os::unix::fs::chown(&locked, Some(1000), Some(1000)).unwrap();
        let c = Runtime::Runc.container(&s, &format!("{id}-{name}"));
        outputs.push(text(&c.run(&bundle, T)));
        assert_eq!(locked.join("n").exists(), name == "with", "{outputs:?}");
    }
    assert!(outputs[0].contains("locked=0\n"), "{outputs:?}");
    assert!(
        outputs[1].contains("locked=1\n") && outputs[1].contains("Permission denied"),
        "{outputs:?}"
    );
    let d = decisions(&log, &format!("{id}-without"), "mknodat");
    assert_eq!(
        d,
        ["AT_FDCWD, \"/locked/n\", 0o20666, 1:3 errno EACCES (emulated)"]
    );
}
