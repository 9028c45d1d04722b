//! Helpers for the agent's end-to-end tests: a busybox root filesystem, OCI
//! bundles, the agent and keeper processes, and containers run by runc or
//! crun, each runtime with its own state folder. Everything started is
//! stopped and removed when dropped, also when a test fails.

#![allow(dead_code)]

use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The requirement of these tests, for the `#[ignore]` reason.
pub const NEEDS: &str = "needs root and runc/crun/busybox-static (Debian packages)";

/// Panics with a clear message unless the tests can run: root, `runc`,
/// `crun` (if `crun` is true) and `/bin/busybox` (busybox-static).
pub fn require(crun: bool) {
    seccompy_testing::require_root(NEEDS);
    let mut tools = vec!["runc"];
    if crun {
        tools.push("crun");
    }
    for tool in tools {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "this test {NEEDS}: `{tool}` is missing (apt-get install {tool})"
        );
    }
    assert!(
        is_static(Path::new(BUSYBOX)),
        "this test {NEEDS}: {BUSYBOX} is missing or not static (apt-get install busybox-static)"
    );
}

const BUSYBOX: &str = "/bin/busybox";

/// Whether `path` is an ELF file without a program interpreter (statically linked).
fn is_static(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return false;
    }
    // PT_INTERP is program header type 3: look for it in the 64-bit headers.
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        o + 4 <= bytes.len() && u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) != 3
    })
}

/// A scratch directory with a busybox root filesystem; removed when dropped.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = PathBuf::from(format!("/tmp/seccompy-agent-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A bundle `name` running `script` with `sh -c`, its seccomp section
    /// notifying `notify`, `listenerMetadata` `metadata`, at most `memory` bytes
    /// of memory if given.
    pub fn bundle(&self, name: &str, script: &str, seccomp: Value, memory: Option<u64>) -> PathBuf {
        self.bundle_with_caps(name, script, seccomp, memory, &[], false)
    }

    /// [`Scratch::bundle`] with capabilities added (`"CAP_X"`) or removed
    /// (`"-CAP_X"`), in a user namespace if `userns`.
    pub fn bundle_with_caps(
        &self,
        name: &str,
        script: &str,
        seccomp: Value,
        memory: Option<u64>,
        extra: &[&str],
        userns: bool,
    ) -> PathBuf {
        let bundle = self.dir.join(name);
        let rootfs = bundle.join("rootfs");
        for d in ["bin", "dev", "proc", "sys", "tmp", "etc"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).unwrap();
        for applet in [
            "sh", "mknod", "mkdir", "ls", "sleep", "mount", "umount", "free", "cat", "rm",
            "mkfifo", "stat", "echo", "touch", "grep", "true", "[", "test", "ln",
        ] {
            symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let mut caps = vec![
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_FOWNER",
            "CAP_SETUID",
            "CAP_SETGID",
            "CAP_KILL",
        ];
        // "-CAP_X" removes a capability, "CAP_X" adds one.
        for e in extra {
            match e.strip_prefix('-') {
                Some(gone) => caps.retain(|c| *c != gone),
                None => caps.push(e),
            }
        }
        let caps = json!(caps);
        let mut linux = json!({
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "seccomp": seccomp,
            "maskedPaths": [],
            "readonlyPaths": [],
        });
        if userns {
            // Root in the container is 100000 outside; /proc/kcore masked, so
            // the kernel refuses a new proc mount in the container.
            linux["namespaces"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "user"}));
            let map = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
            linux["uidMappings"] = map.clone();
            linux["gidMappings"] = map;
            linux["maskedPaths"] = json!(["/proc/kcore"]);
            chown_tree(&rootfs, 100000);
        }
        if let Some(limit) = memory {
            linux["resources"] = json!({"memory": {"limit": limit, "swap": limit}});
        }
        let config = json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": ["/bin/sh", "-c", script],
                "env": ["PATH=/bin"],
                "cwd": "/",
                "noNewPrivileges": true,
                "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            },
            "root": {"path": "rootfs", "readonly": false},
            "hostname": name,
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            ],
            "linux": linux,
        });
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
        bundle
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A seccomp section: allow by default, notify `names`, hand the listener to
/// `socket` with `metadata`.
pub fn notify(names: &[&str], socket: &Path, metadata: &str) -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": socket,
        "listenerMetadata": metadata,
        "syscalls": [{"names": names, "action": "SCMP_ACT_NOTIFY"}],
    })
}

/// A process of ours (agent or keeper), killed when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// `seccompy` with `args`, started and waited for until `socket` exists.
    pub fn seccompy(args: &[&std::ffi::OsStr], socket: &Path) -> Proc {
        let _ = std::fs::remove_file(socket);
        let child = Command::new(env!("CARGO_BIN_EXE_seccompy"))
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot start seccompy");
        let p = Proc(child);
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} never appeared",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        p
    }

    /// `SIGKILL`, and reaped.
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The agent on `socket`, logging to `log`, with `extra` arguments.
pub fn agent(socket: &Path, log: &Path, extra: &[&str]) -> Proc {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "agent".as_ref(),
        "--socket".as_ref(),
        socket.as_os_str(),
        "--log".as_ref(),
        log.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    Proc::seccompy(&args, socket)
}

/// The keeper on `socket`.
pub fn keeper(socket: &Path) -> Proc {
    Proc::seccompy(
        &[
            "agent".as_ref(),
            "keeper".as_ref(),
            "--socket".as_ref(),
            socket.as_os_str(),
        ],
        socket,
    )
}

/// The lines of the agent's log, parsed.
pub fn log_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l:?}: {e}")))
        .collect()
}

/// A container runtime with its own state folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Runc,
    Crun,
}

/// A container: deleted (`delete -f`) when dropped.
pub struct Container {
    pub runtime: Runtime,
    pub state: PathBuf,
    pub id: String,
}

impl Runtime {
    fn program(self) -> &'static str {
        match self {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
        }
    }

    /// The runtime's command with its state folder (`--root`). crun runs in a
    /// private mount namespace with its own cgroup2 mount: on this host's hybrid
    /// cgroup layout crun 1.8 needs one (and `--cgroup-manager=disabled`).
    fn command(self, state: &Path, args: &[&str]) -> Command {
        match self {
            Runtime::Runc => {
                let mut c = Command::new("runc");
                c.arg("--root").arg(state).args(args);
                c
            }
            Runtime::Crun => {
                let mut line = format!(
                    "mount --make-rprivate / && mount -t cgroup2 none /sys/fs/cgroup && exec crun --cgroup-manager=disabled --root '{}'",
                    state.display()
                );
                for a in args {
                    line.push_str(&format!(" '{a}'"));
                }
                let mut c = Command::new("unshare");
                c.args(["-m", "sh", "-c", &line]);
                c
            }
        }
    }

    /// A container `id` of `bundle`, not started yet.
    pub fn container(self, scratch: &Scratch, id: &str) -> Container {
        let state = scratch.path(&format!("{}-state", self.program()));
        std::fs::create_dir_all(&state).unwrap();
        Container {
            runtime: self,
            state,
            id: id.to_string(),
        }
    }
}

impl Container {
    /// Runs the container in the foreground; its output, within `timeout`.
    pub fn run(&self, bundle: &Path, timeout: Duration) -> Output {
        let b = bundle.to_str().unwrap();
        let child = self
            .runtime
            .command(&self.state, &["run", "--bundle", b, &self.id])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_output(child, timeout)
    }

    /// Starts the container's `run` in the background (its output comes with
    /// [`Container::wait`]).
    pub fn spawn(&self, bundle: &Path) -> Child {
        let b = bundle.to_str().unwrap();
        self.runtime
            .command(&self.state, &["run", "--bundle", b, &self.id])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `exec` of `script` in the running container; its output.
    pub fn exec(&self, script: &str, timeout: Duration) -> Output {
        let child = self
            .runtime
            .command(&self.state, &["exec", &self.id, "/bin/sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_output(child, timeout)
    }

    /// Waits until the container's state says `running`.
    pub fn wait_running(&self, timeout: Duration) {
        let start = Instant::now();
        loop {
            let out = self
                .runtime
                .command(&self.state, &["state", &self.id])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .output()
                .unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("\"running\"") {
                return;
            }
            assert!(start.elapsed() < timeout, "container {} never ran", self.id);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self
            .runtime
            .command(&self.state, &["delete", "-f", &self.id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Waits for `child` up to `timeout` (killing it then) and collects its output.
pub fn wait_output(mut child: Child, timeout: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let out = collect(child);
            panic!(
                "timed out after {timeout:?}; stdout {:?}, stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    collect(child)
}

fn collect(mut child: Child) -> Output {
    let status = child.wait().unwrap();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut stdout);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut stderr);
    }
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Standard output and error as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until `cond` holds, up to `timeout`.
pub fn wait_for(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `lchown -R id:id`.
fn chown_tree(path: &Path, id: u32) {
    std::os::unix::fs::lchown(path, Some(id), Some(id)).unwrap();
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_tree(&e.unwrap().path(), id);
        }
    }
}
