//! `seccompy::agent` without a container runtime (no root needed): a test
//! plays the runtime, connecting to the agent's socket and sending a
//! `ContainerProcessState` with a forked target's listener.
#![cfg(feature = "agent")]

mod support;
mod unotify_support;

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seccompy::FilterFlags;
use seccompy::agent::keeper::{KeeperClient, run_keeper};
use seccompy::agent::{Agent, AgentConfig, ContainerProcessState};
use seccompy::unotify::Listener;
use unotify_support::{OK, blocked_syscall, case, notify_getppid, spawn_target_raw, write_byte};

/// Stops an agent when dropped: a failed assertion in a scope that serves it
/// then ends the scope instead of waiting forever.
struct StopOnDrop(seccompy::agent::Stopper);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// A log the test can read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("seccompy-agent-lib-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn state(pid: i32, id: &str) -> String {
    format!(
        r#"{{"ociVersion":"1.0.2-dev","fds":["seccompFd"],"pid":{pid},"metadata":"",
            "state":{{"ociVersion":"1.0.2-dev","id":"{id}","status":"creating","pid":{pid},"bundle":"/"}}}}"#
    )
}

/// Plays the runtime: the state in two writes, the listener with the first.
fn hand_over(socket: &Path, json: &str, listener: &OwnedFd) {
    let stream = UnixStream::connect(socket).unwrap();
    let (first, rest) = json.split_at(20);
    let sent = seccompy_testing::send_with_fd(
        stream.as_raw_fd(),
        first.as_bytes(),
        Some(listener.as_raw_fd()),
    );
    assert_eq!(sent, first.len());
    (&stream).write_all(rest.as_bytes()).unwrap();
    // Like runc before 1.4, never close: leak the connection to the end of the case.
    std::mem::forget(stream);
}

/// A target whose `getppid` (which must fail with EPERM) waits for a byte
/// on the pipe returned: its pid, listener and the pipe's write end. Fork it
/// before any thread starts.
fn target_on_go() -> (libc::pid_t, OwnedFd, OwnedFd) {
    use unotify_support::{pipe, read_byte};
    let (go_r, go_w) = pipe();
    let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &notify_getppid(), || {
        read_byte(go_r.as_raw_fd());
        expects_eperm()
    });
    (pid, fd, go_w)
}

/// A keeper serving on a thread of the test.
struct Keeper {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Keeper {
    /// Starts a keeper at `path`; returns once its socket is there.
    fn start(path: &Path) -> Keeper {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let (path, stop) = (path.to_path_buf(), stop.clone());
            std::thread::spawn(move || {
                run_keeper(&path, &|| stop.load(std::sync::atomic::Ordering::Relaxed))
            })
        };
        while !path.exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
        Keeper { stop, thread }
    }

    /// Stops it; it must have served without error.
    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap().unwrap();
    }
}

/// A target whose `getppid` must fail with EPERM.
fn expects_eperm() -> i32 {
    let r = support::getppid();
    if r == -i64::from(libc::EPERM) {
        OK
    } else {
        100
    }
}

#[test]
fn an_agent_serves_a_listener_handed_over_like_runc_does() {
    case(|| {
        let dir = scratch("serve");
        let socket = dir.join("agent.sock");
        let log = Log::default();
        let agent = Agent::bind(&socket, AgentConfig::default(), Box::new(log.clone())).unwrap();
        // Mode 0600 from the start.
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A second agent on the same socket is refused while the first listens.
        match Agent::bind(&socket, AgentConfig::default(), Box::new(std::io::sink())) {
            Err(seccompy::agent::AgentError::Socket { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse)
            }
            other => panic!("{other:?}"),
        }
        let stopper = agent.stopper();
        // Forked before the agent's threads start.
        let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &notify_getppid(), expects_eperm);
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            hand_over(&socket, &state(pid, "c1"), &fd);
            drop(fd);
            assert_eq!(
                support::wait(pid, Duration::from_secs(20)),
                support::Exit::Code(OK)
            );
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        let lines = log.lines();
        assert!(
            lines
                .iter()
                .any(|l| l["event"] == "listener" && l["container"] == "c1"),
            "{lines:?}"
        );
        let decided: Vec<_> = lines.iter().filter(|l| l["syscall"] == "getppid").collect();
        assert_eq!(decided.len(), 1, "{lines:?}");
        assert_eq!(decided[0]["decision"], "errno EPERM (policy)");
        assert_eq!(decided[0]["container"], "c1");
        let metrics = agent.metrics_text();
        assert!(
            metrics.contains("seccompy_agent_decisions_total{container=\"c1\",syscall=\"getppid\",decision=\"errno\"} 1\n"),
            "{metrics}"
        );
        drop(agent);
        assert!(!socket.exists(), "the socket is removed with the agent");
        let _ = std::fs::remove_dir_all(&dir);
    });
}

#[test]
fn a_call_received_by_a_dead_agent_is_answered_by_the_next() {
    case(|| {
        let dir = scratch("journal");
        // Forked before any thread starts.
        let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &notify_getppid(), expects_eperm);
        let ksock = dir.join("keeper.sock");
        let keeper = Keeper::start(&ksock);
        let client = loop {
            match KeeperClient::connect(&ksock) {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        // The first agent: deposits the listener, receives the call, journals
        // it, and dies before answering.
        let state: ContainerProcessState = serde_json::from_str(&state(pid, "c2")).unwrap();
        let id = client.deposit(&state, &fd).unwrap();
        let listener = Listener::new(fd);
        let n = listener.recv().unwrap();
        client.journal_received(id, &n).unwrap();
        drop(listener);
        drop(client);
        // The target still waits: the keeper holds the listener.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(blocked_syscall(pid), Some(libc::SYS_getppid));
        // The next agent takes it back and answers the journaled call.
        let log = Log::default();
        let mut config = AgentConfig::default();
        config.keeper = Some(ksock.clone());
        let agent = Agent::bind(dir.join("agent.sock"), config, Box::new(log.clone())).unwrap();
        assert_eq!(
            support::wait(pid, Duration::from_secs(20)),
            support::Exit::Code(OK)
        );
        let lines = log.lines();
        assert!(
            lines
                .iter()
                .any(|l| l["event"] == "listener" && l["how"] == "recovered"),
            "{lines:?}"
        );
        assert_eq!(
            lines.iter().filter(|l| l["syscall"] == "getppid").count(),
            1,
            "{lines:?}"
        );
        drop(agent);
        keeper.stop();
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// An agent with a keeper journals each call in memory the keeper holds
/// (deposited with the listener): a call an agent received and never
/// answered is found there by the next agent, and answered.
#[test]
fn a_call_journaled_in_shared_memory_is_answered_by_the_next_agent() {
    case(|| {
        let dir = scratch("shared-journal");
        // Forked before any thread starts.
        let (pid, fd, go_w) = target_on_go();
        let ksock = dir.join("keeper.sock");
        let keeper = Keeper::start(&ksock);
        let mut config = AgentConfig::default();
        config.keeper = Some(ksock.clone());
        let socket = dir.join("agent.sock");

        // The first agent takes the listener in (deposited with its journal),
        // then stops.
        let agent = Agent::bind(&socket, config.clone(), Box::new(std::io::sink())).unwrap();
        let stopper = agent.stopper();
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            hand_over(&socket, &state(pid, "c5"), &fd);
            // Served: the agent has a listener (its receiving thread waits).
            let start = std::time::Instant::now();
            while !agent
                .metrics_text()
                .contains("seccompy_agent_listeners{container=\"c5\"} 1")
            {
                assert!(start.elapsed() < Duration::from_secs(10), "never taken in");
                std::thread::sleep(Duration::from_millis(10));
            }
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        drop(agent);
        drop(fd);

        // A second agent (played here) takes it back with its journal,
        // receives the call, journals it there and dies before answering.
        let client = KeeperClient::connect(&ksock).unwrap();
        let mut kept = client.take_back().unwrap();
        assert_eq!(kept.len(), 1);
        let kept = kept.pop().unwrap();
        let journal = kept.journal.expect("deposited with a journal");
        assert!(kept.pending.is_empty());
        assert!(write_byte(go_w.as_raw_fd(), 1));
        let listener = Listener::new(kept.listener);
        let n = listener.recv().unwrap();
        journal.received(&n).unwrap();
        drop((listener, journal, client));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(blocked_syscall(pid), Some(libc::SYS_getppid));

        // The next agent answers it from the journal.
        let log = Log::default();
        let agent = Agent::bind(&socket, config, Box::new(log.clone())).unwrap();
        assert_eq!(
            support::wait(pid, Duration::from_secs(20)),
            support::Exit::Code(OK)
        );
        let lines = log.lines();
        assert_eq!(
            lines.iter().filter(|l| l["syscall"] == "getppid").count(),
            1,
            "{lines:?}"
        );
        drop(agent);
        keeper.stop();
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// The agent's workers receive from a listener only after `poll` said a call
/// was pending, and only one at a time: this relies on the kernel failing the
/// receive with `ENOENT` (not waiting) when that call went away meanwhile
/// while the target lives on.
#[test]
fn a_call_withdrawn_after_poll_does_not_block_the_receive() {
    unotify_support::case_with_timeout(Duration::from_secs(20), || {
        extern "C" fn nothing(_: libc::c_int) {}
        let t = unotify_support::spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            // SAFETY: a handler that does nothing, without SA_RESTART: the
            // signal interrupts the notified call.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = nothing as *const () as usize;
                libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
            }
            let _ = support::getppid();
            // Alive, and never calling again.
            loop {
                // SAFETY: plain call.
                unsafe { libc::pause() };
            }
        });
        let pending = t.listener.poll(Some(Duration::from_secs(10))).unwrap();
        assert!(pending.pending);
        t.kill(libc::SIGUSR1);
        // The call is withdrawn (its thread returns EINTR), the target lives.
        let start = std::time::Instant::now();
        while t.listener.poll(Some(Duration::ZERO)).unwrap().pending {
            assert!(start.elapsed() < Duration::from_secs(10), "never withdrawn");
            std::thread::sleep(Duration::from_millis(1));
        }
        let r = t.listener.recv();
        assert!(
            matches!(r, Err(seccompy::unotify::RecvError::Gone)),
            "{r:?}"
        );
        t.kill(libc::SIGKILL);
        let _ = t.wait();
    });
}

/// The `kill` handler kills the container's init (by pidfd): here the target
/// itself, the init of its "container".
#[test]
fn the_kill_handler_kills_the_container() {
    case(|| {
        let dir = scratch("kill");
        let socket = dir.join("agent.sock");
        let log = Log::default();
        let mut config = AgentConfig::default();
        config.policy =
            seccompy::agent::Policy::parse(r#"{"profiles": {"k": {"getppid": "kill"}}}"#).unwrap();
        let agent = Agent::bind(&socket, config, Box::new(log.clone())).unwrap();
        let stopper = agent.stopper();
        let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &notify_getppid(), expects_eperm);
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            let state = ContainerProcessState::new("c3", pid, "k");
            let stream = seccompy::agent::hand_over(&socket, &state, fd.as_fd()).unwrap();
            drop(fd);
            assert_eq!(
                support::wait(pid, Duration::from_secs(20)),
                support::Exit::Signal(libc::SIGKILL)
            );
            drop(stream);
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        let lines = log.lines();
        let decided: Vec<_> = lines.iter().filter(|l| l["syscall"] == "getppid").collect();
        assert_eq!(decided.len(), 1, "{lines:?}");
        assert_eq!(decided[0]["decision"], "errno EPERM (container killed)");
        assert_eq!(decided[0]["profile"], "k");
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// One datagram from the fake systemd, and the fd it carried.
fn recv_notify(sock: &std::os::unix::net::UnixDatagram) -> (String, Option<OwnedFd>) {
    let mut buf = [0u8; 512];
    let (n, fd) = seccompy_testing::recv_with_fd(sock.as_raw_fd(), &mut buf);
    assert!(n > 0, "an empty datagram");
    (String::from_utf8_lossy(&buf[..n]).into_owned(), fd)
}

/// Under systemd, the listeners go to its fd store; a restarted agent gets them
/// back (here from a fake systemd that hands back what it was given) and
/// answers a call made while no agent ran; at the end they are removed.
#[test]
fn systemds_fd_store_keeps_the_listeners_across_a_restart() {
    case(|| {
        use seccompy::agent::fdstore::FdStore;
        let dir = scratch("fdstore");
        // Forked before any thread starts.
        let (pid, fd, go_w) = target_on_go();
        let notify = dir.join("notify.sock");
        let systemd = std::os::unix::net::UnixDatagram::bind(&notify).unwrap();
        let mut config = AgentConfig::default();
        config.fd_store = Some(FdStore::new(&notify));

        // The first agent stores the listener and its state, then stops.
        let socket = dir.join("agent.sock");
        let agent = Agent::bind(&socket, config.clone(), Box::new(std::io::sink())).unwrap();
        let stopper = agent.stopper();
        let mut stored = Vec::new();
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            let state = ContainerProcessState::new("c4", pid, "");
            let _conn = seccompy::agent::hand_over(&socket, &state, fd.as_fd()).unwrap();
            for _ in 0..2 {
                let (text, fd) = recv_notify(&systemd);
                let name = text
                    .lines()
                    .find_map(|l| l.strip_prefix("FDNAME="))
                    .unwrap()
                    .to_string();
                assert!(text.starts_with("FDSTORE=1\n"), "{text}");
                stored.push((name, fd.expect("an fd with FDSTORE=1")));
            }
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        drop(agent);
        drop(fd);
        let mut names: Vec<&str> = stored.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["seccompy-l-1", "seccompy-s-1"]);

        // No agent: the call waits (systemd's copy keeps the listener open).
        assert!(write_byte(go_w.as_raw_fd(), 1));
        unotify_support::wait_blocked_in(pid, libc::SYS_getppid);

        // The restarted agent takes them back and answers.
        let log = Log::default();
        let agent = Agent::bind(&socket, config, Box::new(log.clone())).unwrap();
        assert_eq!(agent.recover(stored).unwrap(), 1);
        let stopper = agent.stopper();
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            assert_eq!(
                support::wait(pid, Duration::from_secs(20)),
                support::Exit::Code(OK)
            );
            // The target is gone: both fds leave the store.
            let mut removed: Vec<String> = (0..2).map(|_| recv_notify(&systemd).0).collect();
            removed.sort_unstable();
            assert_eq!(
                removed,
                [
                    "FDSTOREREMOVE=1\nFDNAME=seccompy-l-1\n",
                    "FDSTOREREMOVE=1\nFDNAME=seccompy-s-1\n"
                ]
            );
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        let lines = log.lines();
        assert!(
            lines.iter().any(|l| l["event"] == "listener"
                && l["how"] == "recovered"
                && l["container"] == "c4"),
            "{lines:?}"
        );
        assert_eq!(
            lines.iter().filter(|l| l["syscall"] == "getppid").count(),
            1,
            "{lines:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// The mknod handler resolves a relative path from `mknodat`'s dirfd (the
/// caller's fd), ignores the dirfd for an absolute path, and fails with
/// ENOTDIR for a relative path from a dirfd that is no directory, as the
/// kernel does.
#[test]
#[ignore = "needs root (CAP_MKNOD, chroot)"]
fn mknodat_paths_start_where_the_kernel_starts_them() {
    seccompy_testing::require_root("CAP_MKNOD, chroot");
    case(|| {
        let dir = scratch("mknodat");
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, b"").unwrap();
        let abs = std::ffi::CString::new(dir.join("abs").as_os_str().as_encoded_bytes()).unwrap();
        let sub_c = std::ffi::CString::new(sub.as_os_str().as_encoded_bytes()).unwrap();
        let file_c = std::ffi::CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
        let program = support::on_syscall(
            libc::SYS_mknodat,
            seccompy::sys::SECCOMP_RET_USER_NOTIF,
            seccompy::sys::SECCOMP_RET_ALLOW,
        );
        let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &program, move || {
            let dev = libc::makedev(1, 3);
            let mode = libc::S_IFCHR | 0o600;
            // SAFETY: plain calls with valid C strings.
            unsafe {
                let d = libc::open(sub_c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY);
                let f = libc::open(file_c.as_ptr(), libc::O_PATH);
                let rel = libc::mknodat(d, c"rel".as_ptr(), mode, dev);
                let abs = libc::mknodat(f, abs.as_ptr(), mode, dev);
                let notdir = libc::mknodat(f, c"x".as_ptr(), mode, dev);
                let e = *libc::__errno_location();
                if rel == 0 && abs == 0 && notdir == -1 && e == libc::ENOTDIR {
                    OK
                } else {
                    1
                }
            }
        });
        let log = Log::default();
        let socket = dir.join("agent.sock");
        let agent = Agent::bind(&socket, AgentConfig::default(), Box::new(log.clone())).unwrap();
        let stopper = agent.stopper();
        std::thread::scope(|s| {
            let served = s.spawn(|| agent.serve());
            let _stop = StopOnDrop(agent.stopper());
            let state = ContainerProcessState::new("c5", pid, "");
            let _conn = seccompy::agent::hand_over(&socket, &state, fd.as_fd()).unwrap();
            drop(fd);
            assert_eq!(
                support::wait(pid, Duration::from_secs(20)),
                support::Exit::Code(OK),
                "{:?}",
                log.lines()
            );
            stopper.stop();
            served.join().unwrap().unwrap();
        });
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::metadata(sub.join("rel"))
                .unwrap()
                .file_type()
                .is_char_device()
        );
        assert!(
            std::fs::metadata(dir.join("abs"))
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Invocations of the handler a test gives a signal before the agent starts.
static FOREIGN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Stopping returns while a container lives on without calling: its
/// receiving thread waits in `RECV` (stopped by the wake-up signal) or, with
/// no signal or one handled by someone else, in `ppoll` (stopped by the stop
/// event). Meanwhile the listener's counters are in the metrics, and its
/// decision in the log once serving stops.
#[test]
fn stopping_returns_while_a_container_waits() {
    extern "C" fn foreign(_: libc::c_int) {
        FOREIGN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    case(|| {
        let other = libc::SIGRTMAX() - 2;
        // SAFETY: a handler that only counts, for a signal nobody else uses here.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = foreign as *const () as usize;
            assert_eq!(libc::sigaction(other, &sa, std::ptr::null_mut()), 0);
        }
        for (i, signal) in [AgentConfig::default().wake_signal, None, Some(other)]
            .into_iter()
            .enumerate()
        {
            let dir = scratch(&format!("stop-{i}"));
            let socket = dir.join("agent.sock");
            let log = Log::default();
            let mut config = AgentConfig::default();
            config.wake_signal = signal;
            let agent = Agent::bind(&socket, config, Box::new(log.clone())).unwrap();
            // Forked before the agent's threads start: one call, then waits.
            let (pid, fd) = spawn_target_raw(FilterFlags::empty(), &notify_getppid(), || {
                let r = expects_eperm();
                if r != OK {
                    return r;
                }
                loop {
                    // SAFETY: plain call.
                    unsafe { libc::pause() };
                }
            });
            let id = format!("s{i}");
            let counted = format!(
                "seccompy_agent_decisions_total{{container=\"{id}\",syscall=\"getppid\",decision=\"errno\"}} 1\n"
            );
            let serving = &agent;
            std::thread::scope(|s| {
                let (done, returned) = std::sync::mpsc::channel();
                let served = s.spawn(move || {
                    let r = serving.serve();
                    let _ = done.send(());
                    r
                });
                let _stop = StopOnDrop(agent.stopper());
                hand_over(&socket, &state(pid, &id), &fd);
                drop(fd);
                // Counted by the live listener.
                let start = std::time::Instant::now();
                while !agent.metrics_text().contains(&counted) {
                    assert!(start.elapsed() < Duration::from_secs(20), "never answered");
                    std::thread::sleep(Duration::from_millis(5));
                }
                agent.stopper().stop();
                let stopped = returned.recv_timeout(Duration::from_secs(10)).is_ok();
                // Should it not have stopped, the target's end ends its
                // receiving thread: the scope then ends and the test fails.
                // SAFETY: our own child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                assert!(stopped, "serve did not return (signal {signal:?})");
                served.join().unwrap().unwrap();
            });
            assert_eq!(
                support::wait(pid, Duration::from_secs(20)),
                support::Exit::Signal(libc::SIGKILL)
            );
            let lines = log.lines();
            assert_eq!(
                lines.iter().filter(|l| l["syscall"] == "getppid").count(),
                1,
                "{lines:?}"
            );
            assert!(agent.metrics_text().contains(&counted));
            drop(agent);
            let _ = std::fs::remove_dir_all(&dir);
        }
        // The agent left someone else's handler alone, and never sent it.
        assert_eq!(FOREIGN.load(std::sync::atomic::Ordering::Relaxed), 0);
    });
}
