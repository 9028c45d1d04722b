//! An OCI seccomp agent (feature `agent`): receives containers' listeners from
//! runtimes (runc, crun, youki) on the runtime-spec's `listenerPath` socket and
//! answers their notified calls by policy.
//!
//! - [`state`]: the runtimes' `ContainerProcessState` message, read as it
//!   arrives ([`read_process_state`]).
//! - [`Policy`]: which [`Handler`] answers which call, chosen per container by
//!   its `listenerMetadata` (set by whoever wrote the profile: trusted), never
//!   by its annotations (set by the workload).
//! - The handlers: safe `mknod` emulation ([`SAFE_DEVICES`], created by the
//!   agent in the caller's root and cwd with the caller's filesystem
//!   credentials), refusal with an errno, killing the container, and `CONTINUE`
//!   where the kernel's own permission checks decide.
//! - [`Agent`]: a receiving thread per listener (waiting in the receive
//!   itself, woken on the caller's CPU by the synchronous wake-up, answering
//!   quick handlers there and then), a pool of workers on one epoll set for
//!   the runtimes' connections and the handlers that work, structured logs
//!   (one JSON line per decision, queued and written in batches for quick
//!   handlers) and Prometheus counters.
//! - [`keeper`]: the fd keeper that lets the agent survive its own restart;
//!   [`fdstore`]: the same through systemd's file-descriptor store.
//!
//! # What a handler may do
//!
//! Paths are read through [`TargetMemory`](crate::unotify::TargetMemory) once,
//! checked, and that copy is what the agent acts on; the work is done by a
//! short-lived thread chrooted to the caller's root (`/proc/<tid>/root`), in
//! its cwd (or `dirfd`), with its umask, filesystem uid, gid and groups and
//! (when it shares the agent's user namespace) its capabilities, plus the one
//! the emulation needs, the parent directory opened with
//! `openat2(RESOLVE_NO_MAGICLINKS)`; `/proc/<tid>`
//! is only trusted after the notification is checked still pending. A handler
//! never answers "check then `CONTINUE`": `CONTINUE` is only given where the
//! kernel's own checks decide (the `continue` handler, and `mknod` of FIFOs,
//! sockets and regular files, which need no privilege).
//!
//! # References
//! - [OCI runtime-spec, `listenerPath`](https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp)
//! - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)

mod describe;
mod fdpass;
pub mod fdstore;
mod handlers;
mod journal;
pub mod keeper;
pub mod lint;
mod logger;
mod metrics;
mod mount;
pub mod policy;
mod serve;
pub mod state;
mod sysinfo;
mod target;

pub use handlers::SAFE_DEVICES;
pub use policy::{Handler, Policy, PolicyError, Profile};
pub use serve::{Agent, AgentConfig, AgentError, Stopper};
pub use state::{
    ContainerProcessState, ContainerState, IntakeError, hand_over, read_process_state,
};
