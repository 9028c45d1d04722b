//! Safe Linux seccomp: strict mode, `no_new_privs`, filters with every flag and
//! action, queries of what the kernel supports, and filters installed in a child
//! between `fork` and `exec`.
//!
//! seccomp restricts the system calls a thread may make. This crate installs the
//! restrictions; [`seccompy_bpf`] (re-exported as [`bpf`]) builds and checks the
//! BPF programs offline, and [`seccompy_sys`] (re-exported as [`sys`]) is the raw
//! kernel ABI.
//!
//! # Tour
//!
//! ## A filter
//!
//! A [`Filter`] gives system calls actions ([`FilterAction`]: allow, fail with an
//! errno, kill, trap, trace, log, ask a supervisor), possibly depending on their
//! arguments ([`Arg`], [`Arg32`]), with a default for the rest ([`FilterArgs`]).
//! [`Filter::compile`] turns it into a BPF program with `seccompy-bpf`'s
//! decision-tree compiler; [`set_filter`] installs it on the calling thread. A
//! thread needs `no_new_privs` ([`set_no_new_privileges`]) or `CAP_SYS_ADMIN` to
//! install a filter, and filters can never be removed.
//!
//! ```no_run
//! use seccompy::{Arg32, Filter, FilterAction, FilterArgs, FilterFlags};
//!
//! let mut filter = Filter::new(FilterArgs {
//!     // Whatever is not listed fails with EPERM.
//!     default_action: FilterAction::Errno { errno: libc::EPERM },
//!     ..FilterArgs::default()
//! });
//! filter
//!     .add_syscall_group(
//!         &[libc::SYS_read, libc::SYS_write, libc::SYS_close, libc::SYS_exit_group]
//!             .map(|n| n as u32),
//!         FilterAction::Allow,
//!     )
//!     // openat only relative to the working directory.
//!     .add_rule("openat", FilterAction::Allow, [Arg32(0).eq(libc::AT_FDCWD as u32)]);
//! let program = filter.compile()?;
//!
//! seccompy::set_no_new_privileges()?;
//! seccompy::set_filter(FilterFlags::TSYNC, &program)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A filter decides the calls of one ABI ([`FilterArgs::arch`], the host's by
//! default) and gives every other one [`FilterArgs::arch_mismatch_action`]; on
//! x86_64 that includes x32 calls. [`Filter::add_abi`] adds ABIs (say i386 next to
//! x86_64), and [`Filter::add_hot_syscalls`] shortens the path to the most
//! frequent calls. [`Filter::to_policy`] gives the underlying
//! [`bpf::Policy`], to evaluate or compile elsewhere.
//!
//! ## Installing
//!
//! - [`set_strict`]: strict mode, only `read`, `write`, `_exit` and `sigreturn`.
//! - [`set_no_new_privileges`], [`no_new_privileges`]: the `no_new_privs` bit.
//! - [`set_filter`]: any program (a compiled [`Filter`], a [`bpf::Program`], a
//!   slice or array of [`sys::sock_filter`]) with any [`FilterFlags`]:
//!   [`TSYNC`](FilterFlags::TSYNC) for every thread of the process,
//!   [`LOG`](FilterFlags::LOG), [`SPEC_ALLOW`](FilterFlags::SPEC_ALLOW),
//!   [`NEW_LISTENER`](FilterFlags::NEW_LISTENER) for a user-notification
//!   listener (returned as an [`OwnedFd`](std::os::fd::OwnedFd); see also
//!   [`set_filter_with_listener`]), [`TSYNC_ESRCH`](FilterFlags::TSYNC_ESRCH),
//!   [`WAIT_KILLABLE_RECV`](FilterFlags::WAIT_KILLABLE_RECV).
//!
//! Each operation has its own error type ([`SetFilterError`], [`StrictError`],
//! [`NoNewPrivsError`], ...) whose message names the likely cause, with the
//! kernel's errno as its [`source`](std::error::Error::source): `EACCES` without
//! `no_new_privs` or `CAP_SYS_ADMIN`, `EINVAL` for a flag the kernel lacks,
//! `ENOMEM` when the thread's filters exceed the kernel's total, `EBUSY` for a
//! second listener, and for `TSYNC` the id of the thread that blocked it.
//!
//! ## After `fork`, before `exec`
//!
//! [`set_filter`], [`set_filter_with_listener`], [`set_strict`],
//! [`set_no_new_privileges`], [`no_new_privileges`] and [`mode`] allocate nothing
//! and take no lock (the program is read in place, `sock_fprog` is built on the
//! stack, errors hold no heap data): they are async-signal-safe and may run in a
//! `pre_exec` hook. [`CommandSeccompExt`] does that for a
//! [`Command`](std::process::Command): [`seccomp`](CommandSeccompExt::seccomp)
//! installs a precompiled program (and `no_new_privs`) in the child, and
//! [`spawn_with_listener`](CommandSeccompExt::spawn_with_listener) also hands the
//! child's user-notification listener to the parent.
//!
//! ## Precompiled programs
//!
//! Programs are plain data, `Send + Sync`. One compiled offline (by
//! [`bpf::Program::to_bytes`]) can be loaded with
//! [`bpf::Program::from_bytes`], or embedded at compile time with
//! [`include_program!`] as a `static` array that installs without allocating.
//!
//! ## What the kernel supports
//!
//! [`mode`] and [`Status`] tell a thread's mode, filter count and `no_new_privs`;
//! [`action_available`], [`FilterFlags::supported`] and [`notif_sizes`] probe
//! the kernel once and cache the answer. Following Landlock's compatibility
//! model, [`CompatLevel`] says whether a feature is a hard requirement or whether
//! the best the kernel offers will do: [`FilterFlags::adapt`] drops optional flags
//! the kernel lacks, [`FilterAction::adapt`] falls back to older actions.
//!
//! ## Running a command in the foreground
//!
//! [`foreground`] does for a supervisor what `tini` does for the command it
//! runs: its own process group with the terminal ([`foreground::Foreground`]),
//! the signals passed on, its status passed back and orphans reaped
//! ([`foreground::Relay`]); [`unotify::Standby`] kills the command if the
//! supervisor dies.
//!
//! ## Seeing what a filter refused
//!
//! [`audit::AuditLog`] reads the kernel's seccomp audit records (from the audit
//! netlink socket and the kernel log): which process, call and action a filter
//! killed, trapped or logged.
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
//! - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
//! - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
//! - [Seccomp BPF, in the kernel's documentation](https://www.kernel.org/doc/html/latest/userspace-api/seccomp_filter.html)
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use seccompy_bpf as bpf;
pub use seccompy_sys as sys;

/// The README, whose Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// This crate's own README (the one crates.io shows), whose example runs as a
/// doctest too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
pub mod agent;
pub mod audit;
mod command;
mod counter;
pub mod embed;
mod errno;
mod features;
mod filter;
mod flags;
pub mod foreground;
pub mod inspect;
mod install;
mod no_new_privs;
#[cfg(feature = "oci")]
#[cfg_attr(docsrs, doc(cfg(feature = "oci")))]
pub mod oci;
mod status;
mod strict;
pub mod tracefs;
pub mod unotify;
pub mod watch;

pub use command::{CommandSeccompExt, NotifiedBeforeExec, SeccompOptions, SpawnedWithListener};
pub use embed::EmbedError;
pub use errno::{Errno, InvalidErrno};
pub use features::{
    ActionAvailError, CompatLevel, NotifSizesError, UnsupportedAction, UnsupportedFlags,
    action_available, action_since, adapt_action, notif_sizes,
};
pub use filter::{Filter, FilterAction, FilterArgs, FilterError, FromPolicyError};
pub use flags::FilterFlags;
pub use install::{SetFilterError, set_filter, set_filter_with_listener};
pub use no_new_privs::{NoNewPrivsError, no_new_privileges, set_no_new_privileges};
pub use seccompy_sys::KernelVersion;
pub use status::{Mode, ModeError, Status, StatusError, mode};
pub use strict::{StrictError, set_strict};

pub use seccompy_bpf::policy::{Arg, Arg32, Cmp, Condition, Syscall, Width};
pub use seccompy_sys::syscalls::Abi;

// Compiled programs can be shared between threads and installed from anywhere.
const _: () = {
    const fn send_sync<T: Send + Sync + ?Sized>() {}
    send_sync::<seccompy_bpf::Program>();
    send_sync::<[sys::sock_filter]>();
};
