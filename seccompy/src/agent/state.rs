//! What a runtime sends on `listenerPath`: a `ContainerProcessState` JSON
//! object, with the listener among the fds passed by `SCM_RIGHTS`.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use serde::{Deserialize, Serialize};

use super::fdpass::{RecvFdsError, recv_with_fds};

/// The name of the listener among [`ContainerProcessState::fds`].
pub const SECCOMP_FD_NAME: &str = "seccompFd";

/// The most bytes a state may take ([`read_process_state`] refuses more).
pub const MAX_STATE_LEN: usize = 1 << 20;

/// The most fds one message may carry.
pub(crate) const MAX_FDS: usize = super::fdpass::MAX_FDS;

/// What the runtime says about the process whose listener it hands over
/// (runtime-spec `ContainerProcessState`). Any `ociVersion` is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContainerProcessState {
    /// The runtime's spec version (`"1.0.2-dev"` for runc 1.1, `"0.2.0"` for crun 1.8).
    pub oci_version: String,
    /// The names of the passed fds, in order; [`SECCOMP_FD_NAME`] is the listener.
    pub fds: Vec<String>,
    /// The process whose filter has this listener (the container's init, or the
    /// process of a `runc exec`), in the runtime's pid namespace.
    pub pid: i32,
    /// The profile's `listenerMetadata`, set by whoever wrote the profile.
    #[serde(default)]
    pub metadata: String,
    /// The container's state.
    pub state: ContainerState,
}

impl ContainerProcessState {
    /// The state a runtime sends for the init process `pid` of container `id`
    /// with `listenerMetadata` `metadata`: `ociVersion` 1.0.2, status
    /// `creating`, the listener as the only fd.
    #[must_use]
    pub fn new(id: &str, pid: i32, metadata: &str) -> ContainerProcessState {
        ContainerProcessState {
            oci_version: "1.0.2".into(),
            fds: vec![SECCOMP_FD_NAME.into()],
            pid,
            metadata: metadata.into(),
            state: ContainerState {
                oci_version: "1.0.2".into(),
                id: id.into(),
                status: "creating".into(),
                pid: Some(pid),
                bundle: String::new(),
                annotations: BTreeMap::new(),
            },
        }
    }
}

/// The container's runtime-spec state, as part of a [`ContainerProcessState`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContainerState {
    /// The runtime's spec version.
    pub oci_version: String,
    /// The container's id.
    pub id: String,
    /// `creating` for the container's init, `running` for an exec'd process.
    pub status: String,
    /// The container's init process, if it has one.
    #[serde(default)]
    pub pid: Option<i32>,
    /// The bundle's path.
    #[serde(default)]
    pub bundle: String,
    /// The container's annotations: set by the workload's owner, never trusted
    /// for choosing handlers.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// A state and the fds that came with it, in the order of
/// [`ContainerProcessState::fds`].
#[derive(Debug)]
pub struct ProcessStateMessage {
    /// The state.
    pub state: ContainerProcessState,
    /// The fds passed with it.
    pub fds: Vec<OwnedFd>,
}

impl ProcessStateMessage {
    /// Takes the listener out of the message: the fd named [`SECCOMP_FD_NAME`].
    ///
    /// # Errors
    /// [`IntakeError::NoListener`] when no fd has that name, or fewer fds came
    /// than named.
    pub fn take_listener(&mut self) -> Result<OwnedFd, IntakeError> {
        let index = self
            .state
            .fds
            .iter()
            .position(|n| n == SECCOMP_FD_NAME)
            .ok_or(IntakeError::NoListener)?;
        if index >= self.fds.len() {
            return Err(IntakeError::NoListener);
        }
        Ok(self.fds.remove(index))
    }
}

/// Why a runtime's message could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// Reading the socket failed (including its receive timeout).
    #[error("reading the runtime's message failed")]
    Io {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The connection ended before the object was complete.
    #[error("the runtime closed the connection after {len} bytes, before the end of its state")]
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// More than [`MAX_STATE_LEN`] bytes.
    #[error("the runtime's state is longer than {MAX_STATE_LEN} bytes")]
    TooLong,
    /// More fds than the message had room for.
    #[error("the runtime passed more than {MAX_FDS} fds")]
    TooManyFds,
    /// The bytes are not a `ContainerProcessState`.
    #[error("the runtime's state is not a ContainerProcessState: {source}")]
    Json {
        /// The error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// No fd is named `seccompFd`.
    #[error("the runtime passed no fd named \"seccompFd\"")]
    NoListener,
}

/// Finds where a JSON object ends as its bytes arrive: it counts braces and
/// brackets outside strings, across chunks.
#[derive(Debug, Default, Clone)]
pub struct ObjectEnd {
    depth: usize,
    started: bool,
    in_string: bool,
    escape: bool,
}

impl ObjectEnd {
    /// Feeds the next bytes; returns the index in `chunk` of the byte that closes
    /// the top-level value, once it does.
    pub fn feed(&mut self, chunk: &[u8]) -> Option<usize> {
        for (i, &b) in chunk.iter().enumerate() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.started && self.depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// Reads one `ContainerProcessState` from a runtime's connection: the object
/// may span several `sendmsg` calls (fds come with the first), and the runtime
/// may never close the connection (runc before 1.4), so the object is parsed
/// as soon as its closing brace arrives. Blocks up to the socket's receive
/// timeout for each read.
///
/// # Errors
/// See [`IntakeError`].
pub fn read_process_state(stream: &UnixStream) -> Result<ProcessStateMessage, IntakeError> {
    let mut data = Vec::new();
    let mut fds = Vec::new();
    let mut end = ObjectEnd::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = recv_with_fds(stream, &mut chunk, &mut fds, 0).map_err(|e| match e {
            RecvFdsError::Io(source) => IntakeError::Io { source },
            RecvFdsError::TooManyFds => IntakeError::TooManyFds,
        })?;
        if n == 0 {
            return Err(IntakeError::Truncated { len: data.len() });
        }
        let got = &chunk[..n];
        if let Some(i) = end.feed(got) {
            data.extend_from_slice(&got[..=i]);
            break;
        }
        data.extend_from_slice(got);
        if data.len() > MAX_STATE_LEN {
            return Err(IntakeError::TooLong);
        }
    }
    if data.len() > MAX_STATE_LEN {
        return Err(IntakeError::TooLong);
    }
    let state = parse_process_state(&data)?;
    Ok(ProcessStateMessage { state, fds })
}

/// The runtime's side: connects to the agent's socket at `path` and sends
/// `state` with `listener` attached (as the fd named [`SECCOMP_FD_NAME`], which
/// `state.fds` must name first). Returns the connection, which a runtime may
/// keep open (runc does) or close.
///
/// For tests, benchmarks and runtimes written in Rust.
///
/// # Errors
/// The error of `connect(2)` or `sendmsg(2)`; `InvalidInput` when `state.fds`
/// does not start with [`SECCOMP_FD_NAME`].
pub fn hand_over(
    path: &std::path::Path,
    state: &ContainerProcessState,
    listener: std::os::fd::BorrowedFd<'_>,
) -> io::Result<UnixStream> {
    if state.fds.first().map(String::as_str) != Some(SECCOMP_FD_NAME) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the state's fds must name the seccompFd first",
        ));
    }
    let stream = UnixStream::connect(path)?;
    let bytes = serde_json::to_vec(state).map_err(io::Error::other)?;
    let sent = super::fdpass::send_with_fds(&stream, &bytes, &[listener])?;
    // The rest, if the socket took only part: without fds.
    std::io::Write::write_all(&mut &stream, &bytes[sent..])?;
    Ok(stream)
}

/// Parses a `ContainerProcessState` object.
///
/// # Errors
/// [`IntakeError::Json`], with line and column.
pub fn parse_process_state(bytes: &[u8]) -> Result<ContainerProcessState, IntakeError> {
    serde_json::from_slice(bytes).map_err(|source| IntakeError::Json { source })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::agent::fdpass::send_with_fds;

    const RUNC: &str = r#"{"ociVersion":"1.0.2-dev","fds":["seccompFd"],"pid":13826,"metadata":"meta1","state":{"ociVersion":"1.0.2-dev","id":"t1","status":"creating","pid":13826,"bundle":"/tmp/agt/b"}}"#;

    #[test]
    fn runc_state_parses() {
        let s = parse_process_state(RUNC.as_bytes()).unwrap();
        assert_eq!(s.pid, 13826);
        assert_eq!(s.metadata, "meta1");
        assert_eq!(s.state.id, "t1");
        assert_eq!(s.state.status, "creating");
        assert_eq!(s.fds, [SECCOMP_FD_NAME]);
        assert!(s.state.annotations.is_empty());
    }

    #[test]
    fn object_end_is_found_across_chunks_and_strings() {
        let text = r#"{"a":"}{\"}","b":[1,{"c":2}]}trailing"#;
        let whole = text.find("trailing").unwrap() - 1;
        for split in 0..text.len() {
            let (x, y) = text.as_bytes().split_at(split);
            let mut end = ObjectEnd::default();
            let found = match end.feed(x) {
                Some(i) => i,
                None => end.feed(y).map(|i| i + split).unwrap(),
            };
            assert_eq!(found, whole, "split at {split}");
        }
    }

    #[test]
    fn a_state_in_pieces_with_an_fd_and_no_eof_is_read() {
        use std::io::Write;
        let (a, b) = UnixStream::pair().unwrap();
        let file = std::fs::File::open("/dev/null").unwrap();
        let (x, y) = RUNC.split_at(40);
        // First piece with the fd, the rest in a second write; `a` stays open.
        send_with_fds(&a, x.as_bytes(), &[file.as_fd()]).unwrap();
        (&a).write_all(y.as_bytes()).unwrap();
        let mut m = read_process_state(&b).unwrap();
        assert_eq!(m.state.state.id, "t1");
        let fd = m.take_listener().unwrap();
        use std::os::unix::fs::MetadataExt;
        let got = std::fs::File::from(fd).metadata().unwrap();
        assert_eq!(
            got.rdev(),
            file.metadata().unwrap().rdev(),
            "the fd is /dev/null"
        );
        drop(a);
    }

    #[test]
    fn truncated_and_foreign_states_are_errors() {
        use std::io::Write;
        let (a, b) = UnixStream::pair().unwrap();
        (&a).write_all(b"{\"ociVersion\":").unwrap();
        drop(a);
        assert!(matches!(
            read_process_state(&b),
            Err(IntakeError::Truncated { len: 14 })
        ));
        let e = parse_process_state(b"{\n \"pid\": \"x\"}").unwrap_err();
        let IntakeError::Json { source } = e else {
            panic!("{e:?}")
        };
        assert_eq!(source.line(), 2);
        let mut m = ProcessStateMessage {
            state: parse_process_state(RUNC.as_bytes()).unwrap(),
            fds: Vec::new(),
        };
        assert!(matches!(m.take_listener(), Err(IntakeError::NoListener)));
    }
}
