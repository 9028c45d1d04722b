//! The fd keeper: a tiny process that holds every listener the agent serves,
//! so that the listeners outlive the agent.
//!
//! When the last copy of a listener is closed, the kernel fails every waiting
//! and every later notified call with `ENOSYS`, for the rest of the
//! container's life. With a keeper, the agent deposits each listener (a copy,
//! by `SCM_RIGHTS`) with the container's state before serving it; when the
//! agent dies, the keeper's copy keeps the listener open and the container's
//! notified calls wait. A restarted agent takes the copies back and serves
//! them: the calls that waited are answered.
//!
//! A call the old agent had received but not answered cannot be received
//! again (the kernel marks it as sent). So the agent also journals each
//! notification it receives, and its answer: in a [`Journal`], memory shared
//! through a memfd deposited with the listener (no message to the keeper per
//! call), or, with a keeper that does not take journals, in messages to the
//! keeper. A restarted agent answers the journaled calls that are still
//! pending (`SECCOMP_IOCTL_NOTIF_ID_VALID`).
//!
//! The keeper drops a listener when it hangs up (no process is left) or when
//! the agent releases it. It accepts connections only from root and its own
//! user, and from one agent at a time (two would receive from the same
//! listeners): a second is told so and closed at once.
//!
//! # Protocol
//!
//! `SOCK_SEQPACKET`, one JSON object per message, fds by `SCM_RIGHTS`:
//! - `{"op":"deposit","state":{…}}` + the listener → `{"id":N}`;
//!   `{"op":"deposit","state":{…},"journal":true}` + the journal's memfd and
//!   the listener (the listener last: a keeper that does not take journals
//!   keeps it and drops the memfd) → `{"id":N,"journal":true}` when the keeper
//!   holds the journal too;
//! - `{"op":"received","id":N,"notif":{…}}`, `{"op":"answered","id":N,"notif":ID}`
//!   (the journal in messages, for a listener without a shared journal),
//!   `{"op":"release","id":N}`: no reply;
//! - `{"op":"take"}` → one `{"id":N,"state":{…},"pending":[…],"journal":B}` +
//!   the journal's memfd when `B` and the listener, per kept listener, then
//!   `{"end":true}`.
//!
//! # References
//! - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
//! - [`poll(2)`](https://man7.org/linux/man-pages/man2/poll.2.html)

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::fdpass::{
    RecvFdsError, peer_cred, recv_with_fds, remove_stale_socket, send_with_fds, sockaddr,
};
pub use super::journal::{Journal, JournalSlot};
use super::state::ContainerProcessState;
use crate::sys::{seccomp_data, seccomp_notif};
use crate::unotify::{NotifId, Notification};

/// The largest keeper message.
const MAX_MESSAGE: usize = 256 * 1024;
/// What a second agent gets before its connection is closed.
const REFUSED: &[u8] = br#"{"refused":"another agent is connected to the keeper"}"#;

/// The most journaled notifications per listener.
const MAX_JOURNAL: usize = 4096;

/// A notification as journaled.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct JournalEntry {
    id: u64,
    pid: u32,
    arch: u32,
    nr: i32,
    args: [u64; 6],
    ip: u64,
}

impl JournalEntry {
    fn of(n: &Notification) -> JournalEntry {
        JournalEntry {
            id: n.id.get(),
            pid: n.pid,
            arch: n.arch,
            nr: n.nr,
            args: n.args,
            ip: n.instruction_pointer,
        }
    }

    fn notification(&self) -> Notification {
        Notification::from_raw(&seccomp_notif {
            id: self.id,
            pid: self.pid,
            flags: 0,
            data: seccomp_data {
                nr: self.nr,
                arch: self.arch,
                instruction_pointer: self.ip,
                args: self.args,
            },
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request {
    Deposit {
        state: ContainerProcessState,
        /// A journal's memfd comes before the listener.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        journal: bool,
    },
    Received {
        id: u64,
        notif: JournalEntry,
    },
    Answered {
        id: u64,
        notif: u64,
    },
    Release {
        id: u64,
    },
    Take,
}

#[derive(Serialize, Deserialize)]
struct Deposited {
    id: u64,
    /// The keeper holds the journal deposited with the listener.
    #[serde(default)]
    journal: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TakeReply {
    Kept {
        id: u64,
        state: Box<ContainerProcessState>,
        pending: Vec<JournalEntry>,
        /// The journal's memfd comes before the listener.
        #[serde(default)]
        journal: bool,
    },
    End {
        end: bool,
    },
}

/// A listener handed back by the keeper.
#[derive(Debug)]
pub struct Kept {
    /// The keeper's id for it.
    pub id: u64,
    /// The state the runtime sent with it.
    pub state: ContainerProcessState,
    /// The listener.
    pub listener: OwnedFd,
    /// Calls a previous agent received and had not answered (still pending or
    /// not: check before answering), from the journal and from journal
    /// messages.
    pub pending: Vec<Notification>,
    /// The listener's shared journal (`None`: deposited without one, or the
    /// memfd the keeper handed back is not a journal).
    pub journal: Option<Journal>,
}

/// The agent's connection to its keeper.
#[derive(Debug)]
pub struct KeeperClient {
    stream: Mutex<UnixStream>,
}

impl KeeperClient {
    /// Connects to the keeper at `path`.
    ///
    /// # Errors
    /// The error of `connect(2)`.
    pub fn connect(path: &Path) -> io::Result<KeeperClient> {
        let fd = seqpacket()?;
        let addr = sockaddr(path)?;
        // SAFETY: our fd and a valid address.
        if unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_un>() as libc::socklen_t,
            )
        } < 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(KeeperClient {
            stream: Mutex::new(UnixStream::from(fd)),
        })
    }

    fn send(
        &self,
        stream: &UnixStream,
        request: &Request,
        fds: &[BorrowedFd<'_>],
    ) -> io::Result<()> {
        let bytes = serde_json::to_vec(request).map_err(io::Error::other)?;
        send_with_fds(stream, &bytes, fds).map(drop)
    }

    /// Deposits a listener; returns the keeper's id for it.
    ///
    /// # Errors
    /// A failed exchange.
    pub fn deposit(&self, state: &ContainerProcessState, listener: &OwnedFd) -> io::Result<u64> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(
            &stream,
            &Request::Deposit {
                state: state.clone(),
                journal: false,
            },
            &[listener.as_fd()],
        )?;
        Ok(deposited(&stream)?.id)
    }

    /// Deposits a listener with its shared journal; returns the keeper's id
    /// for it, and whether the keeper holds the journal too (a keeper of an
    /// older version keeps the listener only: journal its calls with
    /// [`journal_received`](Self::journal_received) then).
    ///
    /// # Errors
    /// A failed exchange.
    pub fn deposit_journaled(
        &self,
        state: &ContainerProcessState,
        listener: &OwnedFd,
        journal: &Journal,
    ) -> io::Result<(u64, bool)> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(
            &stream,
            &Request::Deposit {
                state: state.clone(),
                journal: true,
            },
            &[journal.as_fd(), listener.as_fd()],
        )?;
        let reply = deposited(&stream)?;
        Ok((reply.id, reply.journal))
    }

    /// Journals a received notification of listener `id`.
    ///
    /// # Errors
    /// A failed send.
    pub fn journal_received(&self, id: u64, n: &Notification) -> io::Result<()> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(
            &stream,
            &Request::Received {
                id,
                notif: JournalEntry::of(n),
            },
            &[],
        )
    }

    /// Journals that notification `notif` of listener `id` was answered.
    ///
    /// # Errors
    /// A failed send.
    pub fn journal_answered(&self, id: u64, notif: NotifId) -> io::Result<()> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(
            &stream,
            &Request::Answered {
                id,
                notif: notif.get(),
            },
            &[],
        )
    }

    /// Tells the keeper to close listener `id`.
    ///
    /// # Errors
    /// A failed send.
    pub fn release(&self, id: u64) -> io::Result<()> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(&stream, &Request::Release { id }, &[])
    }

    /// Takes back copies of every kept listener.
    ///
    /// # Errors
    /// A failed exchange.
    pub fn take_back(&self) -> io::Result<Vec<Kept>> {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(&stream, &Request::Take, &[])?;
        let mut out = Vec::new();
        loop {
            let (bytes, mut fds) = recv_message(&stream)?;
            match serde_json::from_slice(&bytes).map_err(io::Error::other)? {
                TakeReply::End { .. } => return Ok(out),
                TakeReply::Kept {
                    id,
                    state,
                    pending,
                    journal,
                } => {
                    let listener = fds.pop().ok_or_else(|| {
                        io::Error::other("the keeper sent a listener without its fd")
                    })?;
                    let journal = fds
                        .pop()
                        .filter(|_| journal)
                        .and_then(|fd| Journal::open(fd).ok());
                    let mut pending: Vec<Notification> =
                        pending.iter().map(JournalEntry::notification).collect();
                    for n in journal.iter().flat_map(Journal::pending) {
                        if !pending.iter().any(|p| p.id == n.id) {
                            pending.push(n);
                        }
                    }
                    out.push(Kept {
                        id,
                        state: *state,
                        listener,
                        pending,
                        journal,
                    });
                }
            }
        }
    }
}

/// The keeper's answer to a deposit.
fn deposited(stream: &UnixStream) -> io::Result<Deposited> {
    let (bytes, _) = recv_message(stream)?;
    serde_json::from_slice(&bytes).map_err(io::Error::other)
}

/// One message and its fds; end of file and the keeper's refusal are errors.
fn recv_message(stream: &UnixStream) -> io::Result<(Vec<u8>, Vec<OwnedFd>)> {
    let mut bytes = vec![0u8; MAX_MESSAGE];
    let (n, fds) = recv_message_with(stream, 0, &mut bytes)?;
    bytes.truncate(n);
    if bytes == REFUSED {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "another agent is connected to the keeper",
        ));
    }
    Ok((bytes, fds))
}

/// One message into `buf` (of [`MAX_MESSAGE`] bytes) with `recvmsg(2)`
/// flags: its length and fds; end of file is an error.
fn recv_message_with(
    stream: &UnixStream,
    flags: libc::c_int,
    buf: &mut [u8],
) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut fds = Vec::new();
    let n = recv_with_fds(stream, buf, &mut fds, flags).map_err(|e| match e {
        RecvFdsError::Io(e) => e,
        RecvFdsError::TooManyFds => io::Error::other("too many fds in a keeper message"),
    })?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the keeper closed the connection",
        ));
    }
    Ok((n, fds))
}

fn seqpacket() -> io::Result<OwnedFd> {
    // SAFETY: plain call.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One kept listener.
struct Held {
    state: ContainerProcessState,
    fd: OwnedFd,
    /// The journal in messages.
    journal: BTreeMap<u64, JournalEntry>,
    /// The shared journal's memfd.
    shared: Option<OwnedFd>,
}

/// The keeper: holds listeners deposited on the `SOCK_SEQPACKET` socket at
/// `path` (mode 0600) until they hang up or are released, and hands copies
/// back. Serves until `stop` returns true (checked at least once a second).
///
/// # Errors
/// Creating the socket, or `poll(2)`, failed.
pub fn run_keeper(path: &Path, stop: &dyn Fn() -> bool) -> io::Result<()> {
    remove_stale_socket(path, libc::SOCK_SEQPACKET)?;
    let socket = seqpacket()?;
    let addr = sockaddr(path)?;
    // SAFETY: plain calls on our fd with a valid address; fchmod before bind
    // gives the socket file its mode.
    unsafe {
        if libc::fchmod(socket.as_raw_fd(), 0o600) < 0
            || libc::bind(
                socket.as_raw_fd(),
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_un>() as libc::socklen_t,
            ) < 0
            || libc::listen(socket.as_raw_fd(), 16) < 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    let _unlink = Unlink(path);
    let mut held: BTreeMap<u64, Held> = BTreeMap::new();
    let mut clients: Vec<UnixStream> = Vec::new();
    let mut next_id = 1u64;
    // One buffer for every message (zeroing one per message would cost more
    // than the rest of its work).
    let mut buf = vec![0u8; MAX_MESSAGE];
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    while !stop() {
        let mut fds = vec![libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        fds.extend(clients.iter().map(|c| libc::pollfd {
            fd: c.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }));
        let ids: Vec<u64> = held.keys().copied().collect();
        // Listeners: only their hang-up (always reported) matters.
        fds.extend(held.values().map(|h| libc::pollfd {
            fd: h.fd.as_raw_fd(),
            events: 0,
            revents: 0,
        }));
        // SAFETY: `fds` is a valid array of its length.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 1000) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for (k, id) in ids.iter().enumerate() {
            if fds[1 + clients.len() + k].revents & libc::POLLHUP != 0 {
                held.remove(id);
            }
        }
        // Every waiting message of each client, the oldest client first: what
        // a dead agent sent is journaled before its successor takes the
        // listeners back.
        let mut closed = Vec::new();
        for (k, client) in clients.iter().enumerate() {
            if fds[1 + k].revents == 0 {
                continue;
            }
            loop {
                match recv_message_with(client, libc::MSG_DONTWAIT, &mut buf) {
                    Ok((n, received)) => {
                        if serve_request(client, &buf[..n], received, &mut held, &mut next_id)
                            .is_err()
                        {
                            closed.push(k);
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed.push(k);
                        break;
                    }
                }
            }
        }
        for k in closed.into_iter().rev() {
            clients.remove(k);
        }
        if fds[0].revents & libc::POLLIN != 0 {
            // SAFETY: accept4 with no address wanted.
            let fd = unsafe {
                libc::accept4(
                    socket.as_raw_fd(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: a new fd we own.
                let client = UnixStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
                // One agent at a time: two would receive from the same
                // listeners. A second is closed at once.
                if !peer_cred(&client).is_ok_and(|(uid, _)| uid == 0 || uid == me) {
                    continue;
                }
                if clients.is_empty() {
                    clients.push(client);
                } else {
                    let _ = send_with_fds(&client, REFUSED, &[]);
                }
            }
        }
    }
    Ok(())
}

fn serve_request(
    client: &UnixStream,
    bytes: &[u8],
    mut fds: Vec<OwnedFd>,
    held: &mut BTreeMap<u64, Held>,
    next_id: &mut u64,
) -> io::Result<()> {
    let request: Request = serde_json::from_slice(bytes).map_err(io::Error::other)?;
    match request {
        Request::Deposit { state, journal } => {
            let fd = fds
                .pop()
                .ok_or_else(|| io::Error::other("deposit without an fd"))?;
            let shared = fds.pop().filter(|_| journal);
            let id = *next_id;
            *next_id += 1;
            let journal = shared.is_some();
            held.insert(
                id,
                Held {
                    state,
                    fd,
                    journal: BTreeMap::new(),
                    shared,
                },
            );
            let reply = serde_json::to_vec(&Deposited { id, journal }).map_err(io::Error::other)?;
            send_with_fds(client, &reply, &[])?;
        }
        Request::Received { id, notif } => {
            if let Some(h) = held.get_mut(&id) {
                if h.journal.len() >= MAX_JOURNAL {
                    h.journal.pop_first();
                }
                h.journal.insert(notif.id, notif);
            }
        }
        Request::Answered { id, notif } => {
            if let Some(h) = held.get_mut(&id) {
                h.journal.remove(&notif);
            }
        }
        Request::Release { id } => {
            held.remove(&id);
        }
        Request::Take => {
            for (&id, h) in held.iter() {
                let reply = TakeReply::Kept {
                    id,
                    state: Box::new(h.state.clone()),
                    pending: h.journal.values().copied().collect(),
                    journal: h.shared.is_some(),
                };
                let bytes = serde_json::to_vec(&reply).map_err(io::Error::other)?;
                let fds: Vec<BorrowedFd<'_>> = h
                    .shared
                    .iter()
                    .map(AsFd::as_fd)
                    .chain([h.fd.as_fd()])
                    .collect();
                send_with_fds(client, &bytes, &fds)?;
            }
            let bytes =
                serde_json::to_vec(&TakeReply::End { end: true }).map_err(io::Error::other)?;
            send_with_fds(client, &bytes, &[])?;
        }
    }
    Ok(())
}

/// Removes the keeper's socket file when the keeper returns.
struct Unlink<'a>(&'a Path);

impl Drop for Unlink<'_> {
    fn drop(&mut self) {
        if let Ok(c) = CString::new(self.0.as_os_str().as_bytes()) {
            // SAFETY: a valid C string.
            unsafe { libc::unlink(c.as_ptr()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keeper_holds_hands_back_and_journals() {
        let dir = std::env::temp_dir().join(format!("seccompy-keeper-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.sock");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let keeper = {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                run_keeper(&path, &|| stop.load(std::sync::atomic::Ordering::Relaxed))
            })
        };
        let client = loop {
            match KeeperClient::connect(&path) {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        };
        let state: ContainerProcessState = serde_json::from_str(
            r#"{"ociVersion":"1","fds":["seccompFd"],"pid":1,"metadata":"m","state":{"ociVersion":"1","id":"c","status":"creating","bundle":"/"}}"#,
        )
        .unwrap();
        // Any fd stands for a listener here: one end of a pipe, whose hang-up
        // the keeper does not see while the other end is open.
        let (r, w) = std::io::pipe().unwrap();
        let r: OwnedFd = r.into();
        let id = client.deposit(&state, &r).unwrap();
        let n = Notification::from_raw(&seccomp_notif {
            id: 77,
            pid: 5,
            flags: 0,
            data: seccomp_data {
                nr: 83,
                arch: 0xc000003e,
                instruction_pointer: 9,
                args: [1, 2, 3, 4, 5, 6],
            },
        });
        client.journal_received(id, &n).unwrap();
        client
            .journal_received(
                id,
                &Notification {
                    id: NotifId::from_raw(78),
                    ..n
                },
            )
            .unwrap();
        client.journal_answered(id, NotifId::from_raw(78)).unwrap();
        drop(client);
        // A new agent takes it back, with the unanswered call.
        let client = KeeperClient::connect(&path).unwrap();
        let kept = client.take_back().unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, id);
        assert_eq!(kept[0].state, state);
        assert_eq!(kept[0].pending, vec![n]);
        // A second agent meanwhile is turned away.
        let other = KeeperClient::connect(&path).unwrap();
        // Refused, or reset when the connection closes before the refusal is read.
        let refused = other.take_back().unwrap_err();
        assert!(
            matches!(
                refused.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            "{refused}"
        );
        // A listener deposited with a shared journal: calls journaled there
        // come back with it.
        let (r2, w2) = std::io::pipe().unwrap();
        let r2: OwnedFd = r2.into();
        let journal = Journal::new().unwrap();
        let (id2, held) = client.deposit_journaled(&state, &r2, &journal).unwrap();
        assert!(held);
        let shared = Notification {
            id: NotifId::from_raw(90),
            ..n
        };
        journal.received(&shared).unwrap();
        let answered = journal
            .received(&Notification {
                id: NotifId::from_raw(91),
                ..n
            })
            .unwrap();
        journal.answered(answered);
        drop(journal);
        drop(client);
        let client = KeeperClient::connect(&path).unwrap();
        let mut kept = client.take_back().unwrap();
        kept.sort_by_key(|k| k.id);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].pending, vec![n]);
        assert!(kept[0].journal.is_none());
        assert_eq!(kept[1].id, id2);
        assert_eq!(kept[1].pending, vec![shared]);
        assert_eq!(kept[1].journal.as_ref().unwrap().pending(), vec![shared]);
        client.release(id2).unwrap();
        drop(w2);
        // Released: gone.
        client.release(id).unwrap();
        assert!(client.take_back().unwrap().is_empty());
        drop(w);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        keeper.join().unwrap().unwrap();
        assert!(!path.exists());
        let _ = std::fs::remove_dir(&dir);
    }
}
