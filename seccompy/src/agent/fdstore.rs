//! systemd's file-descriptor store: when the agent runs as a systemd service
//! (with `FileDescriptorStoreMax=`), systemd can keep the listeners instead of
//! [`keeper`](super::keeper).
//!
//! Each listener is stored as `seccompy-l-<n>` with a memfd `seccompy-s-<n>`
//! holding the runtime's state (`FDSTORE=1`, `FDNAME=` on `$NOTIFY_SOCKET`);
//! both are removed when the listener hangs up (`FDSTOREREMOVE=1`). When the
//! service restarts, systemd passes them back (`$LISTEN_FDS`,
//! `$LISTEN_FDNAMES`) and [`Agent::recover`](super::Agent::recover) serves
//! them again. Unlike the keeper, the store keeps no journal: a call the old
//! agent had received but not answered is not answered (it waits until its
//! container ends).
//!
//! # References
//! - [`sd_notify(3)`](https://man7.org/linux/man-pages/man3/sd_notify.3.html)
//!   (`FDSTORE=1`, `FDNAME=`, `FDSTOREREMOVE=1`)
//! - [`sd_listen_fds(3)`](https://man7.org/linux/man-pages/man3/sd_listen_fds.3.html)
//! - [`memfd_create(2)`](https://man7.org/linux/man-pages/man2/memfd_create.2.html)

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::fdpass::cvt;
use super::state::{ContainerProcessState, MAX_STATE_LEN};

/// The first fd systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: i32 = 3;

/// systemd's notification socket, where fds are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdStore {
    /// `$NOTIFY_SOCKET`: a path, or `@name` for the abstract namespace.
    socket: PathBuf,
}

impl FdStore {
    /// The store at `$NOTIFY_SOCKET`, if the variable is set.
    #[must_use]
    pub fn from_env() -> Option<FdStore> {
        std::env::var_os("NOTIFY_SOCKET").map(|s| FdStore {
            socket: PathBuf::from(s),
        })
    }

    /// The store behind notification socket `socket` (`@name`: abstract).
    #[must_use]
    pub fn new(socket: impl Into<PathBuf>) -> FdStore {
        FdStore {
            socket: socket.into(),
        }
    }

    /// Stores listener `n` and its state.
    pub(crate) fn store(
        &self,
        n: u64,
        state: &ContainerProcessState,
        listener: BorrowedFd<'_>,
    ) -> io::Result<()> {
        let memfd = state_memfd(state)?;
        self.send(
            &format!("FDSTORE=1\nFDNAME=seccompy-s-{n}\n"),
            Some(memfd.as_fd()),
        )?;
        self.send(
            &format!("FDSTORE=1\nFDNAME=seccompy-l-{n}\n"),
            Some(listener),
        )
    }

    /// Removes listener `n` and its state.
    pub(crate) fn remove(&self, n: u64) -> io::Result<()> {
        self.send(&format!("FDSTOREREMOVE=1\nFDNAME=seccompy-l-{n}\n"), None)?;
        self.send(&format!("FDSTOREREMOVE=1\nFDNAME=seccompy-s-{n}\n"), None)
    }

    /// One datagram to the notification socket, with `fd` attached.
    fn send(&self, text: &str, fd: Option<BorrowedFd<'_>>) -> io::Result<()> {
        // SAFETY: plain call.
        let sock =
            cvt(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
        // SAFETY: a new fd we own.
        let sock = unsafe { OwnedFd::from_raw_fd(sock) };
        let bytes = self.socket.as_os_str().as_bytes();
        // SAFETY: an all-zero sockaddr_un is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        if bytes.is_empty() || bytes.len() >= addr.sun_path.len() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, &s) in addr.sun_path.iter_mut().zip(bytes) {
            *d = s as libc::c_char;
        }
        // "@name": the abstract namespace, whose names start with a NUL.
        if bytes[0] == b'@' {
            addr.sun_path[0] = 0;
        }
        let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + bytes.len();
        let mut iov = libc::iovec {
            iov_base: text.as_ptr().cast_mut().cast(),
            iov_len: text.len(),
        };
        let mut control = [0u64; 4];
        // SAFETY: an all-zero msghdr is valid; the pointers are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&raw mut addr).cast();
        msg.msg_namelen = len as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(fd) = fd {
            msg.msg_control = control.as_mut_ptr().cast();
            // SAFETY: CMSG_SPACE is a constant computation.
            msg.msg_controllen = unsafe { libc::CMSG_SPACE(4) } as usize;
            // SAFETY: `control` has room for one header and one int, aligned.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
                libc::CMSG_DATA(c)
                    .cast::<i32>()
                    .write_unaligned(fd.as_raw_fd());
            }
        }
        // SAFETY: `msg` points at live buffers.
        if unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A sealed-size memfd holding `state` as JSON.
fn state_memfd(state: &ContainerProcessState) -> io::Result<OwnedFd> {
    let json = serde_json::to_vec(state).map_err(io::Error::other)?;
    // SAFETY: a valid C string; a new fd or -1.
    let fd = cvt(unsafe { libc::memfd_create(c"seccompy-state".as_ptr(), libc::MFD_CLOEXEC) })?;
    // SAFETY: a new fd we own.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all_at(&json, 0)?;
    Ok(file.into())
}

/// The fds systemd passed to this process (`$LISTEN_PID` is ours), with their
/// names (`$LISTEN_FDNAMES`), taken over (close-on-exec set). Empty if none.
///
/// The variables stay set (changing the environment of a running, threaded
/// process is unsound): call this once.
#[must_use]
pub fn listen_fds_from_env() -> Vec<(String, OwnedFd)> {
    let var = |name: &str| std::env::var(name).ok();
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() };
    if var("LISTEN_PID").and_then(|p| p.parse::<i32>().ok()) != Some(me) {
        return Vec::new();
    }
    let Some(count) = var("LISTEN_FDS").and_then(|n| n.parse::<i32>().ok()) else {
        return Vec::new();
    };
    let names = var("LISTEN_FDNAMES").unwrap_or_default();
    let mut names = names.split(':');
    (0..count.clamp(0, 4096))
        .map(|k| {
            let fd = LISTEN_FDS_START + k;
            // SAFETY: systemd passed this fd to us; setting FD_CLOEXEC on it.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            // SAFETY: the fd is ours from now on (systemd's protocol).
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            (names.next().unwrap_or("unknown").to_string(), owned)
        })
        .collect()
}

/// A listener from the store: its number, its state, the listener.
pub(crate) type Stored = (u64, ContainerProcessState, OwnedFd);

/// Pairs stored fds into (store number, state, listener); fds of other names
/// are returned apart.
pub(crate) fn pair(fds: Vec<(String, OwnedFd)>) -> (Vec<Stored>, Vec<(String, OwnedFd)>) {
    let mut states = std::collections::BTreeMap::new();
    let mut listeners = std::collections::BTreeMap::new();
    let mut other = Vec::new();
    for (name, fd) in fds {
        let number = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<u64>().ok())
        };
        if let Some(n) = number("seccompy-s-") {
            states.insert(n, fd);
        } else if let Some(n) = number("seccompy-l-") {
            listeners.insert(n, fd);
        } else {
            other.push((name, fd));
        }
    }
    let mut out = Vec::new();
    for (n, listener) in listeners {
        let Some(state_fd) = states.remove(&n) else {
            other.push((format!("seccompy-l-{n}"), listener));
            continue;
        };
        match read_state(state_fd) {
            Some(state) => out.push((n, state, listener)),
            None => other.push((format!("seccompy-l-{n}"), listener)),
        }
    }
    other.extend(
        states
            .into_iter()
            .map(|(n, fd)| (format!("seccompy-s-{n}"), fd)),
    );
    (out, other)
}

fn read_state(fd: OwnedFd) -> Option<ContainerProcessState> {
    let file = std::fs::File::from(fd);
    let len = file.metadata().ok()?.len();
    if len > MAX_STATE_LEN as u64 {
        return None;
    }
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, 0).ok()?;
    serde_json::from_slice(&buf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_listeners_pair_by_number() {
        let state = ContainerProcessState::new("c", 7, "m");
        let memfd = state_memfd(&state).unwrap();
        let (r, _w) = std::io::pipe().unwrap();
        let (x, _y) = std::io::pipe().unwrap();
        let (paired, other) = pair(vec![
            ("seccompy-l-4".into(), OwnedFd::from(r)),
            ("seccompy-s-4".into(), memfd),
            ("seccompy-l-5".into(), OwnedFd::from(x)),
        ]);
        assert_eq!(paired.len(), 1);
        assert_eq!(paired[0].0, 4);
        assert_eq!(paired[0].1, state);
        // A listener without its state is returned apart.
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].0, "seccompy-l-5");
    }
}
