//! The agent's threads: one receiving thread per container's listener, and a
//! pool of workers on one epoll set holding the runtimes' socket.
//!
//! A listener's receiving thread waits in `ppoll(2)` on the listener (and the
//! stop event): `poll`, unlike epoll, is woken on the caller's CPU by the
//! listener's synchronous wake-up, so a container's call goes from its thread
//! to the agent and back without a trip through the scheduler's load balancing.
//! The thread alone receives from its listener, so a receive after `POLLIN`
//! never blocks (a call withdrawn meanwhile makes it fail with `ENOENT`). A
//! quick handler (errno, continue) is answered there and then, its log line
//! queued (see [`logger`](super::logger)); a handler that works (mknod, mount,
//! sysinfo, kill) is handed to the workers, and the receiving thread goes
//! back to the container's next calls. The thread also sees the listener's
//! end (`POLLHUP`).
//!
//! A worker woken for the socket accepts one connection, re-arms the socket
//! (`EPOLLONESHOT`), reads the runtime's state and starts the listener's
//! receiving thread; a worker woken for the job queue runs one job.
//!
//! # References
//! - [`epoll(7)`](https://man7.org/linux/man-pages/man7/epoll.7.html)
//! - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html) (`SO_PEERCRED`)
//! - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::CString;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::Scope;
use std::time::{Duration, Instant};

use super::describe::Shape;
use super::fdpass::{cvt, peer_cred, remove_stale_socket, sockaddr};
use super::fdstore::{self, FdStore};
use super::handlers::{Call, Decision, decide};
use super::keeper::{Journal, JournalSlot, KeeperClient};
use super::logger::{DecisionRecord, Lane, Log, Stamp, Syscall, same_str};
use super::metrics::Metrics;
use super::policy::{Handler, Policy, Profile};
use super::state::{ContainerProcessState, IntakeError, read_process_state};
use crate::counter::Counter;
use crate::unotify::{Errno, Listener, Notification, RecvError, RespondError, Response};

/// The stack of a listener's receiving thread: it runs only quick handlers.
const RECEIVER_STACK: usize = 256 * 1024;

/// How long a runtime may take to send its state.
const INTAKE_TIMEOUT: Duration = Duration::from_secs(5);

const TOKEN_STOP: u64 = 0;
const TOKEN_SOCKET: u64 = 1;
const TOKEN_JOBS: u64 = 2;
const FIRST_LISTENER_TOKEN: u64 = 16;

/// How the agent runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AgentConfig {
    /// The handlers, chosen per container by `listenerMetadata`.
    pub policy: Policy,
    /// Worker threads (at least one): they take the runtimes' connections and
    /// run the handlers that work (mknod, mount, sysinfo, kill). Each listener
    /// also has a thread of its own, which receives its calls and answers those
    /// of quick handlers (errno, continue) itself.
    pub workers: usize,
    /// Peer uids allowed to hand over listeners, besides root and the agent's
    /// own effective uid.
    pub allowed_uids: Vec<u32>,
    /// The fd keeper's socket: listeners are deposited there, and taken back at
    /// start (see [`keeper`](super::keeper)).
    pub keeper: Option<PathBuf>,
    /// A file the counters are written to (Prometheus text format, replaced
    /// atomically at most once a second).
    pub metrics: Option<PathBuf>,
    /// systemd's file-descriptor store, where listeners are kept as by the
    /// keeper (see [`fdstore`]).
    pub fd_store: Option<FdStore>,
    /// The signal that interrupts the receiving threads when serving stops
    /// (default: `SIGRTMAX - 1`). With it, and from Linux 6.11 (where a
    /// waiting receive returns when the last target goes), a receiving thread
    /// waits in `SECCOMP_IOCTL_NOTIF_RECV` itself, which is the quickest way;
    /// [`serve`](Agent::serve) then gives the signal a handler that does
    /// nothing (without `SA_RESTART`) unless it has one of another's, and
    /// sends it to each receiving thread to stop it. `None`, an older kernel or
    /// a signal handled by someone else: the threads wait in `ppoll(2)` first,
    /// which costs a system call per call.
    pub wake_signal: Option<i32>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            policy: Policy::builtin(),
            workers: 4,
            allowed_uids: Vec::new(),
            keeper: None,
            metrics: None,
            fd_store: None,
            wake_signal: Some(libc::SIGRTMAX() - 1),
        }
    }
}

/// Why the agent could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// Creating, binding or listening on the socket failed.
    #[error("cannot listen on {path}")]
    Socket {
        /// The socket's path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// epoll or eventfd failed.
    #[error("the event loop failed")]
    EventLoop {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The keeper could not be reached or answered nonsense.
    #[error("the fd keeper at {path} failed")]
    Keeper {
        /// The keeper's socket.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// One listener being served.
struct Entry {
    listener: Listener,
    container: Arc<str>,
    /// The process the runtime named (init or an exec'd process).
    pid: i32,
    profile_name: Arc<str>,
    profile: Profile,
    init_pidfd: Option<Arc<OwnedFd>>,
    /// The keeper's id of its copy.
    keeper_id: Option<u64>,
    /// Its journal, shared with the keeper (`None` with a keeper: journaled
    /// in messages to it).
    journal: Option<Journal>,
    /// Its number in systemd's fd store.
    store_id: Option<u64>,
    /// Its decisions by system call and kind, counted here (no lock shared
    /// with other listeners on the path of an answer).
    counts: Mutex<Vec<(Syscall, &'static str, u64)>>,
    /// Where its counts go when it is dropped.
    retired: Arc<Mutex<Metrics>>,
    /// Its queue of log lines.
    lane: Arc<Lane>,
}

impl Entry {
    fn count(&self, syscall: Syscall, kind: &'static str) {
        let mut counts = lock(&self.counts);
        match counts
            .iter_mut()
            .find(|c| c.0 == syscall && same_str(c.1, kind))
        {
            Some(c) => c.2 += 1,
            None => counts.push((syscall, kind, 1)),
        }
    }

    fn add_counts_to(&self, metrics: &mut Metrics) {
        for &(syscall, kind, n) in lock(&self.counts).iter() {
            metrics.add(&self.container, &syscall.to_string(), kind, n);
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut retired = lock(&self.retired);
        self.add_counts_to(&mut retired);
    }
}

/// Where a listener is kept outside the agent.
#[derive(Default)]
struct KeptBy {
    /// The keeper's id of its copy.
    keeper_id: Option<u64>,
    /// Its journal shared with the keeper.
    journal: Option<Journal>,
    /// Its number in systemd's fd store.
    store_id: Option<u64>,
}

/// What a receiving thread knows of a system call, found the first time.
#[derive(Clone)]
struct Seen {
    /// Its name (`None`: a number its ABI has no name for).
    name: Option<&'static str>,
    /// How its arguments are logged.
    shape: Shape,
    /// Its container's handler for it.
    handler: Handler,
}

/// The system calls a receiving thread has seen, by (arch, nr).
#[derive(Default)]
struct Known(Vec<(u32, i32, Seen)>);

impl Known {
    /// The most calls kept (a profile notifies a few kinds of calls).
    const MAX: usize = 64;

    /// What is known of `n`'s system call.
    fn get(&mut self, profile: &Profile, n: &Notification) -> &Seen {
        let at = match self.0.iter().position(|k| k.0 == n.arch && k.1 == n.nr) {
            Some(at) => at,
            None => {
                let name = n.syscall_name();
                if self.0.len() == Self::MAX {
                    self.0.pop();
                }
                let seen = Seen {
                    name,
                    shape: Shape::of(n, name),
                    handler: profile.handler(name),
                };
                self.0.push((n.arch, n.nr, seen));
                self.0.len() - 1
            }
        };
        &self.0[at].2
    }
}

/// A receiving thread, as known to whoever stops it.
struct Receiver {
    thread: libc::pthread_t,
    done: AtomicBool,
}

/// A call received by a listener's thread, for a worker to answer.
struct Job {
    entry: Arc<Entry>,
    notification: Notification,
    seen: Seen,
    slot: Option<JournalSlot>,
}

/// An OCI seccomp agent: receives containers' listeners from runtimes on a
/// socket and answers their notified calls by policy. See the
/// [module documentation](super).
pub struct Agent {
    path: PathBuf,
    socket: OwnedFd,
    epoll: OwnedFd,
    stop: Arc<OwnedFd>,
    /// Set when serving stops: receiving threads waiting in `RECV` (sent
    /// [`AgentConfig::wake_signal`]) return.
    stopping: AtomicBool,
    /// The receiving threads, to stop them.
    receivers: Mutex<Vec<Arc<Receiver>>>,
    config: AgentConfig,
    log: Log,
    /// Calls for the workers, and an eventfd counting them (a semaphore).
    jobs: Mutex<VecDeque<Job>>,
    jobs_ready: OwnedFd,
    entries: Mutex<HashMap<u64, Arc<Entry>>>,
    next_token: Counter,
    /// The counts of listeners gone (the others count their own).
    metrics: Arc<Mutex<Metrics>>,
    metrics_written: Mutex<Instant>,
    keeper: Option<KeeperClient>,
    next_store_id: Counter,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Stops a running [`Agent::serve`] from any thread.
#[derive(Debug, Clone)]
pub struct Stopper(Arc<OwnedFd>);

impl Stopper {
    /// Makes every worker and receiving thread return: listeners stay open (and deposited with the
    /// keeper, if any) until the [`Agent`] is dropped.
    pub fn stop(&self) {
        let one: u64 = 1;
        // SAFETY: an eventfd and an 8-byte value.
        let _ = unsafe { libc::write(self.0.as_raw_fd(), (&raw const one).cast(), 8) };
    }
}

impl Agent {
    /// Creates the runtimes' socket at `path` (mode 0600; a stale socket there is
    /// replaced), the event loop, and takes back the listeners the keeper holds.
    /// Decisions are logged to `log`, one JSON object a line.
    ///
    /// # Errors
    /// See [`AgentError`].
    pub fn bind(
        path: impl AsRef<Path>,
        config: AgentConfig,
        log: Box<dyn Write + Send>,
    ) -> Result<Agent, AgentError> {
        let path = path.as_ref().to_path_buf();
        let socket = listen_socket(&path).map_err(|source| AgentError::Socket {
            path: path.clone(),
            source,
        })?;
        let event_loop = |source| AgentError::EventLoop { source };
        // SAFETY: plain calls; the fds are checked and owned below.
        let epoll = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }).map_err(event_loop)?;
        // SAFETY: as above.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        // SAFETY: as above.
        let stop = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })
            .map_err(event_loop)?;
        // SAFETY: as above.
        let stop = Arc::new(unsafe { OwnedFd::from_raw_fd(stop) });
        // SAFETY: as above.
        let jobs_ready = cvt(unsafe {
            libc::eventfd(
                0,
                libc::EFD_CLOEXEC | libc::EFD_NONBLOCK | libc::EFD_SEMAPHORE,
            )
        })
        .map_err(event_loop)?;
        // SAFETY: as above.
        let jobs_ready = unsafe { OwnedFd::from_raw_fd(jobs_ready) };
        // Ready for as many workers as there are jobs: level-triggered.
        epoll_ctl(
            &epoll,
            libc::EPOLL_CTL_ADD,
            jobs_ready.as_raw_fd(),
            libc::EPOLLIN as u32,
            TOKEN_JOBS,
        )
        .map_err(event_loop)?;
        // The stop event stays ready for every worker: level-triggered.
        epoll_ctl(
            &epoll,
            libc::EPOLL_CTL_ADD,
            stop.as_raw_fd(),
            libc::EPOLLIN as u32,
            TOKEN_STOP,
        )
        .map_err(event_loop)?;
        epoll_ctl(
            &epoll,
            libc::EPOLL_CTL_ADD,
            socket.as_raw_fd(),
            oneshot(),
            TOKEN_SOCKET,
        )
        .map_err(event_loop)?;
        let keeper = match &config.keeper {
            None => None,
            Some(p) => Some(
                KeeperClient::connect(p).map_err(|source| AgentError::Keeper {
                    path: p.clone(),
                    source,
                })?,
            ),
        };
        let agent = Agent {
            path,
            socket,
            epoll,
            stop,
            stopping: AtomicBool::new(false),
            receivers: Mutex::new(Vec::new()),
            config,
            log: Log::new(log),
            jobs: Mutex::new(VecDeque::new()),
            jobs_ready,
            entries: Mutex::new(HashMap::new()),
            next_token: Counter::new(FIRST_LISTENER_TOKEN),
            metrics: Arc::new(Mutex::new(Metrics::default())),
            metrics_written: Mutex::new(Instant::now()),
            keeper,
            next_store_id: Counter::new(1),
        };
        if let (Some(keeper), Some(p)) = (&agent.keeper, &agent.config.keeper) {
            let kept = keeper.take_back().map_err(|source| AgentError::Keeper {
                path: p.clone(),
                source,
            })?;
            for k in kept {
                let kept = KeptBy {
                    keeper_id: Some(k.id),
                    journal: k.journal,
                    store_id: None,
                };
                let (_, entry) = agent.add_listener(k.state, k.listener, "recovered", kept);
                // Calls the previous agent received and never answered.
                let mut known = Known::default();
                for n in k.pending {
                    if entry.listener.id_valid(n.id).unwrap_or(false) {
                        agent.answer(&entry, n, known.get(&entry.profile, &n));
                    }
                }
                // Answered (or gone): this agent journals in the same slots.
                if let Some(journal) = &entry.journal {
                    journal.clear();
                }
            }
        }
        Ok(agent)
    }

    /// Serves the listeners systemd's fd store passed back to a restarted
    /// agent (`fds`: names and fds, as
    /// [`listen_fds_from_env`](super::fdstore::listen_fds_from_env) gives them);
    /// returns how many. Fds of other names are closed.
    ///
    /// # Errors
    /// None at present: each listener gets its receiving thread when
    /// [`serve`](Self::serve) starts (one that cannot is logged as ended).
    pub fn recover(&self, fds: Vec<(String, OwnedFd)>) -> Result<usize, AgentError> {
        let (paired, other) = fdstore::pair(fds);
        for (name, _) in &other {
            self.log
                .event(&serde_json::json!({"event": "unknown-stored-fd", "name": name}));
        }
        let count = paired.len();
        for (n, state, listener) in paired {
            self.next_store_id.fetch_max(n + 1);
            let kept = KeptBy {
                store_id: Some(n),
                ..KeptBy::default()
            };
            self.add_listener(state, listener, "recovered", kept);
        }
        Ok(count)
    }

    fn log_kept_failed(&self, state: &ContainerProcessState, what: &str, e: &io::Error) {
        self.log.event(&serde_json::json!({
            "event": "not-kept",
            "container": state.state.id,
            "pid": state.pid,
            "reason": format!("the {what} refused the listener: {e}"),
        }));
    }

    /// The socket's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle that stops [`serve`](Self::serve).
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.stop))
    }

    /// The counters, in Prometheus text format.
    #[must_use]
    pub fn metrics_text(&self) -> String {
        let live = self.live_listeners();
        let mut metrics = lock(&self.metrics).clone();
        for e in lock(&self.entries).values() {
            e.add_counts_to(&mut metrics);
        }
        metrics.render(&live)
    }

    fn live_listeners(&self) -> BTreeMap<String, u64> {
        let mut live = BTreeMap::new();
        for e in lock(&self.entries).values() {
            *live.entry(e.container.to_string()).or_insert(0) += 1;
        }
        live
    }

    /// Serves until [`Stopper::stop`]: runs the workers (the calling thread and
    /// `workers - 1` more) on the event loop, a receiving thread per listener,
    /// and the log's flusher.
    ///
    /// # Errors
    /// [`AgentError::EventLoop`] if waiting for events fails.
    pub fn serve(&self) -> Result<(), AgentError> {
        let error = Mutex::new(None);
        self.stopping.store(false, Ordering::Relaxed);
        let signal = self
            .config
            .wake_signal
            .filter(|&sig| install_wake_handler(sig).is_ok());
        std::thread::scope(|outer| {
            let flusher = std::thread::Builder::new()
                .name("seccompy-log".into())
                .spawn_scoped(outer, || self.log.run_flusher());
            std::thread::scope(|s| {
                let kept: Vec<(u64, Arc<Entry>)> = lock(&self.entries)
                    .iter()
                    .map(|(t, e)| (*t, Arc::clone(e)))
                    .collect();
                for (token, entry) in kept {
                    self.start_receiver(s, token, entry, signal);
                }
                for i in 1..self.config.workers.max(1) {
                    let spawned = std::thread::Builder::new()
                        .name(format!("seccompy-agent-{i}"))
                        .spawn_scoped(s, || self.work(s, &error, signal));
                    if spawned.is_err() {
                        break;
                    }
                }
                self.work(s, &error, signal);
                self.stop_receivers(signal);
            });
            // Calls received and not yet answered by a worker.
            while let Some(job) = lock(&self.jobs).pop_front() {
                self.run(job);
            }
            match flusher {
                Ok(flusher) => {
                    self.log.stop_flusher();
                    let _ = flusher.join();
                }
                // No thread for it: nothing waits in the lanes.
                Err(_) => {
                    self.log.flush();
                }
            }
        });
        self.write_metrics(true);
        match error.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Some(source) => Err(AgentError::EventLoop { source }),
            None => Ok(()),
        }
    }

    fn work<'s>(
        &'s self,
        s: &'s Scope<'s, '_>,
        error: &Mutex<Option<io::Error>>,
        signal: Option<i32>,
    ) {
        loop {
            // SAFETY: an all-zero epoll_event is valid.
            let mut event: libc::epoll_event = unsafe { std::mem::zeroed() };
            // SAFETY: one event's room.
            let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, 1000) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                *lock(error) = Some(e);
                self.stopper().stop();
                return;
            }
            if n == 0 {
                self.write_metrics(false);
                continue;
            }
            match event.u64 {
                TOKEN_STOP => return,
                TOKEN_SOCKET => self.accept_one(s, signal),
                TOKEN_JOBS => self.run_one(),
                _ => {}
            }
        }
    }

    /// Takes one job, if another worker has not taken it.
    fn run_one(&self) {
        let mut count = 0u64;
        // SAFETY: an eventfd (semaphore: takes one) and an 8-byte buffer.
        let r = unsafe { libc::read(self.jobs_ready.as_raw_fd(), (&raw mut count).cast(), 8) };
        if r != 8 {
            return;
        }
        let job = lock(&self.jobs).pop_front();
        if let Some(job) = job {
            self.run(job);
        }
    }

    fn run(&self, job: Job) {
        self.answer(&job.entry, job.notification, &job.seen);
        self.journal_answered(&job.entry, &job.notification, job.slot);
    }

    /// Hands a call to the workers.
    fn submit(&self, job: Job) {
        lock(&self.jobs).push_back(job);
        let one: u64 = 1;
        // SAFETY: an eventfd and an 8-byte value.
        let _ = unsafe { libc::write(self.jobs_ready.as_raw_fd(), (&raw const one).cast(), 8) };
    }

    /// Accepts one runtime connection, re-arms the socket, takes the listener.
    fn accept_one<'s>(&'s self, s: &'s Scope<'s, '_>, signal: Option<i32>) {
        // SAFETY: accept4 with no address wanted.
        let fd = unsafe {
            libc::accept4(
                self.socket.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        };
        self.rearm(self.socket.as_raw_fd(), TOKEN_SOCKET);
        if fd < 0 {
            return;
        }
        // SAFETY: a new fd we own.
        let stream = UnixStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
        match self.intake(&stream) {
            Ok((token, entry)) => self.start_receiver(s, token, entry, signal),
            Err(why) => self
                .log
                .event(&serde_json::json!({"event": "refused", "reason": why})),
        }
    }

    fn intake(&self, stream: &UnixStream) -> Result<(u64, Arc<Entry>), String> {
        let (uid, pid) = peer_cred(stream).map_err(|e| format!("no peer credentials: {e}"))?;
        // SAFETY: geteuid cannot fail.
        let me = unsafe { libc::geteuid() };
        if uid != 0 && uid != me && !self.config.allowed_uids.contains(&uid) {
            return Err(format!("peer pid {pid} uid {uid} is not allowed"));
        }
        stream
            .set_read_timeout(Some(INTAKE_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let mut message = read_process_state(stream).map_err(|e| error_chain(&e))?;
        let fd = message
            .take_listener()
            .map_err(|e: IntakeError| e.to_string())?;
        // Kept outside the agent first: from then on the listener outlives it.
        // Should that fail, the container is served all the same.
        let mut kept = KeptBy::default();
        if let Some(keeper) = &self.keeper {
            // With its journal (unless no memfd can be had, or the keeper does
            // not take it: journaled in messages then).
            let deposited = match Journal::new() {
                Ok(journal) => keeper
                    .deposit_journaled(&message.state, &fd, &journal)
                    .map(|(id, held)| (id, held.then_some(journal))),
                Err(_) => keeper.deposit(&message.state, &fd).map(|id| (id, None)),
            };
            match deposited {
                Ok((id, journal)) => {
                    kept.keeper_id = Some(id);
                    kept.journal = journal;
                }
                Err(e) => self.log_kept_failed(&message.state, "keeper", &e),
            }
        }
        kept.store_id = self.config.fd_store.as_ref().and_then(|store| {
            let n = self.next_store_id.fetch_add(1);
            store
                .store(n, &message.state, fd.as_fd())
                .map(|()| n)
                .map_err(|e| self.log_kept_failed(&message.state, "fd store", &e))
                .ok()
        });
        Ok(self.add_listener(message.state, fd, "new", kept))
    }

    /// Adds a listener to those served (its receiving thread is started by
    /// [`serve`](Self::serve), or by the worker that took it in).
    fn add_listener(
        &self,
        state: ContainerProcessState,
        fd: OwnedFd,
        how: &str,
        kept: KeptBy,
    ) -> (u64, Arc<Entry>) {
        let (profile_name, profile) = self.config.policy.profile_for(&state.metadata);
        let init = state.state.pid.unwrap_or(state.pid);
        let init_pidfd = pidfd_open(init).ok().map(Arc::new);
        let lane = self.log.lane(&state.state.id, profile_name);
        let entry = Arc::new(Entry {
            listener: Listener::new(fd),
            container: state.state.id.as_str().into(),
            pid: state.pid,
            profile_name: profile_name.into(),
            profile,
            init_pidfd,
            keeper_id: kept.keeper_id,
            journal: kept.journal,
            store_id: kept.store_id,
            counts: Mutex::new(Vec::new()),
            retired: Arc::clone(&self.metrics),
            lane,
        });
        self.log.event(&serde_json::json!({
            "event": "listener",
            "how": how,
            "container": &*entry.container,
            "pid": state.pid,
            "status": state.state.status,
            "profile": &*entry.profile_name,
            "runtimeVersion": state.oci_version,
        }));
        let token = self.next_token.fetch_add(1);
        lock(&self.entries).insert(token, Arc::clone(&entry));
        (token, entry)
    }

    /// Starts a listener's receiving thread: waiting in `RECV` itself when
    /// `signal` can interrupt it and a waiting `RECV` sees the listener's end,
    /// in `ppoll` first otherwise.
    fn start_receiver<'s>(
        &'s self,
        s: &'s Scope<'s, '_>,
        token: u64,
        entry: Arc<Entry>,
        signal: Option<i32>,
    ) {
        let theirs = Arc::clone(&entry);
        let direct = signal.filter(|_| entry.listener.recv_sees_the_end());
        let spawned = std::thread::Builder::new()
            .name(format!("seccompy-rx-{token}"))
            .stack_size(RECEIVER_STACK)
            .spawn_scoped(s, move || match direct {
                Some(sig) => {
                    let me = Arc::new(Receiver {
                        // SAFETY: plain call.
                        thread: unsafe { libc::pthread_self() },
                        done: AtomicBool::new(false),
                    });
                    lock(&self.receivers).push(Arc::clone(&me));
                    unblock(sig);
                    self.receive_direct(token, &theirs);
                    me.done.store(true, Ordering::Release);
                }
                None => self.receive(token, &theirs),
            });
        if spawned.is_err() {
            self.remove(token, &entry, "no thread to receive its calls");
        }
    }

    /// Stops the receiving threads waiting in `RECV`: sends them `signal` until
    /// each has returned (a thread may be about to wait when it is sent).
    fn stop_receivers(&self, signal: Option<i32>) {
        self.stopping.store(true, Ordering::Release);
        let Some(sig) = signal else {
            return;
        };
        loop {
            let mut waiting = false;
            for r in lock(&self.receivers).iter() {
                if !r.done.load(Ordering::Acquire) {
                    waiting = true;
                    // SAFETY: a thread of this scope, not yet joined.
                    unsafe { libc::pthread_kill(r.thread, sig) };
                }
            }
            if !waiting {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        lock(&self.receivers).clear();
    }

    /// A listener's receiving thread, waiting in `RECV`: a signal (with
    /// [`stopping`](Self::stopping) set) interrupts it.
    fn receive_direct(&self, token: u64, entry: &Arc<Entry>) {
        let mut known = Known::default();
        while !self.stopping.load(Ordering::Acquire) {
            match entry.listener.recv_ready() {
                Ok(n) => self.handle(entry, n, &mut known),
                Err(RecvError::Gone) => {}
                Err(RecvError::Ended) => {
                    self.remove(token, entry, "hang-up");
                    return;
                }
                Err(RecvError::Io { source }) if source.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.remove(token, entry, "receive failed");
                    return;
                }
            }
        }
    }

    /// A listener's receiving thread, waiting in `ppoll`: waits for a call (or
    /// the listener's end, or the agent's stop), then receives it.
    fn receive(&self, token: u64, entry: &Arc<Entry>) {
        let mut known = Known::default();
        let mut fds = [
            libc::pollfd {
                fd: entry.listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stop.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            fds[0].revents = 0;
            fds[1].revents = 0;
            // SAFETY: two valid pollfds, no timeout, no signal mask.
            let r = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, std::ptr::null(), std::ptr::null()) };
            if r < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                self.remove(token, entry, "poll failed");
                return;
            }
            if fds[1].revents != 0 {
                return;
            }
            let ready = fds[0].revents;
            if ready & libc::POLLIN == 0 {
                if ready & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                    self.remove(token, entry, "hang-up");
                    return;
                }
                continue;
            }
            // This thread alone receives from the listener: after POLLIN the
            // receive cannot block (a call that went away meanwhile makes it
            // fail with ENOENT, not wait).
            let notification = match entry.listener.recv_ready() {
                Ok(n) => n,
                Err(RecvError::Gone) => continue,
                Err(RecvError::Ended) => {
                    self.remove(token, entry, "hang-up");
                    return;
                }
                Err(RecvError::Io { source }) if source.kind() == io::ErrorKind::Interrupted => {
                    continue;
                }
                Err(_) => {
                    self.remove(token, entry, "receive failed");
                    return;
                }
            };
            self.handle(entry, notification, &mut known);
        }
    }

    /// Answers a received call when its handler is quick, or hands it to the
    /// workers.
    fn handle(&self, entry: &Arc<Entry>, notification: Notification, known: &mut Known) {
        let seen = known.get(&entry.profile, &notification);
        let slot = self.journal_received(entry, &notification);
        if seen.handler.is_quick() {
            self.answer(entry, notification, seen);
            self.journal_answered(entry, &notification, slot);
        } else {
            // A handler that works (creates, mounts, reads cgroups): the
            // receiving thread goes back to the container's next calls.
            self.submit(Job {
                entry: Arc::clone(entry),
                notification,
                seen: seen.clone(),
                slot,
            });
        }
    }

    /// Journals a received notification for the keeper (if any) until it is
    /// answered: should the agent die meanwhile, the next one answers it. In
    /// the shared journal (a few stores) or, without one, in a message.
    fn journal_received(&self, entry: &Entry, notification: &Notification) -> Option<JournalSlot> {
        if let Some(journal) = &entry.journal {
            return journal.received(notification);
        }
        if let Some((keeper, id)) = self.keeper.as_ref().zip(entry.keeper_id) {
            let _ = keeper.journal_received(id, notification);
        }
        None
    }

    fn journal_answered(
        &self,
        entry: &Entry,
        notification: &Notification,
        slot: Option<JournalSlot>,
    ) {
        match (&entry.journal, slot) {
            (Some(journal), Some(slot)) => journal.answered(slot),
            (Some(_), None) => {}
            (None, _) => {
                if let Some((keeper, id)) = self.keeper.as_ref().zip(entry.keeper_id) {
                    let _ = keeper.journal_answered(id, notification.id);
                }
            }
        }
    }

    /// Decides a notification with its container's profile, answers, logs and
    /// counts.
    fn answer(&self, entry: &Entry, notification: Notification, seen: &Seen) {
        let Seen {
            name,
            shape,
            ref handler,
        } = *seen;
        let call = Call {
            listener: &entry.listener,
            notification,
            name,
            shape,
            init_pidfd: entry.init_pidfd.as_deref(),
        };
        let decision: Decision = decide(handler, &call);
        let syscall = name.map_or(Syscall::Number(notification.nr), Syscall::Named);
        // Logged before the answer: the log follows the order of the calls (a
        // quick handler's line is queued, the others' written).
        self.log.decision(
            &entry.lane,
            DecisionRecord {
                time: Stamp::now(),
                pid: notification.pid,
                syscall,
                args: decision.args,
                what: decision.what,
            },
            handler.is_quick(),
        );
        let mut kind = decision.kind;
        if let Some(response) = decision.response {
            let sent = match entry.listener.respond(notification.id, response) {
                Err(RespondError::Refused { .. }) => {
                    self.log_answer_failed(
                        entry,
                        &notification,
                        "refused by the kernel; EPERM instead",
                    );
                    entry
                        .listener
                        .respond(notification.id, Response::errno(Errno::EPERM))
                }
                other => other,
            };
            if sent.is_err() {
                kind = "gone";
                self.log_answer_failed(entry, &notification, "the call went away");
            }
        }
        entry.count(syscall, kind);
    }

    fn log_answer_failed(&self, entry: &Entry, n: &Notification, why: &str) {
        self.log.event(&serde_json::json!({
            "event": "answer-failed",
            "container": &*entry.container,
            "pid": n.pid,
            "reason": why,
        }));
    }

    fn remove(&self, token: u64, entry: &Entry, why: &str) {
        if lock(&self.entries).remove(&token).is_none() {
            return;
        }
        if let Some((keeper, id)) = self.keeper.as_ref().zip(entry.keeper_id) {
            let _ = keeper.release(id);
        }
        if let Some((store, n)) = self.config.fd_store.as_ref().zip(entry.store_id) {
            let _ = store.remove(n);
        }
        self.log.event(&serde_json::json!({
            "event": "listener-end",
            "container": &*entry.container,
            "pid": entry.pid,
            "reason": why,
        }));
    }

    fn rearm(&self, fd: RawFd, token: u64) {
        let _ = epoll_ctl(&self.epoll, libc::EPOLL_CTL_MOD, fd, oneshot(), token);
    }

    fn write_metrics(&self, now: bool) {
        let Some(path) = &self.config.metrics else {
            return;
        };
        {
            let mut written = lock(&self.metrics_written);
            if !now && written.elapsed() < Duration::from_secs(1) {
                return;
            }
            *written = Instant::now();
        }
        let text = self.metrics_text();
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let path = CString::new(self.path.as_os_str().as_bytes()).ok();
        if let Some(p) = path {
            // SAFETY: a valid C string.
            unsafe { libc::unlink(p.as_ptr()) };
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn oneshot() -> u32 {
    (libc::EPOLLIN | libc::EPOLLONESHOT) as u32
}

fn epoll_ctl(
    epoll: &OwnedFd,
    op: libc::c_int,
    fd: RawFd,
    events: u32,
    token: u64,
) -> io::Result<()> {
    let mut event = libc::epoll_event { events, u64: token };
    // SAFETY: a valid epoll fd, fd and event.
    cvt(unsafe { libc::epoll_ctl(epoll.as_raw_fd(), op, fd, &mut event) }).map(drop)
}

/// A listening AF_UNIX stream socket at `path`, mode 0600 from the start
/// (`fchmod` before `bind` sets the mode the socket file is created with).
pub(crate) fn listen_socket(path: &Path) -> io::Result<OwnedFd> {
    remove_stale_socket(path, libc::SOCK_STREAM)?;
    let addr = sockaddr(path)?;
    // SAFETY: plain call.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    })?;
    // SAFETY: a new fd we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: plain calls on our fd with a valid address.
    unsafe {
        cvt(libc::fchmod(fd.as_raw_fd(), 0o600))?;
        cvt(libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            size_of::<libc::sockaddr_un>() as libc::socklen_t,
        ))?;
        cvt(libc::listen(fd.as_raw_fd(), 128))?;
    }
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(fd)
}

/// Does nothing: the signal only interrupts a receiving thread's `RECV`.
extern "C" fn wake(_: libc::c_int) {}

/// Gives `sig` the handler [`wake`], without `SA_RESTART` (so that a waiting
/// `RECV` fails with `EINTR`), unless it has a handler of someone else's.
fn install_wake_handler(sig: i32) -> io::Result<()> {
    // SAFETY: an all-zero sigaction is valid; sigaction only reads the new
    // one and writes the old one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        cvt(libc::sigaction(sig, std::ptr::null(), &mut old))?;
        let ours = wake as extern "C" fn(libc::c_int) as libc::sighandler_t;
        if old.sa_sigaction == ours {
            return Ok(());
        }
        if old.sa_sigaction != libc::SIG_DFL {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = ours;
        libc::sigemptyset(&mut new.sa_mask);
        cvt(libc::sigaction(sig, &new, std::ptr::null_mut())).map(drop)
    }
}

/// Unblocks `sig` in the calling thread.
fn unblock(sig: i32) {
    // SAFETY: a local signal set, filled before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// `pidfd_open(pid, 0)`.
pub(crate) fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain call.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
