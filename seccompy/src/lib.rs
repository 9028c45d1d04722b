//! Safe Linux seccomp: strict mode, `no_new_privs`, filters with every flag and
//! action, queries of what the kernel supports, and filters installed in a child
//! between `fork` and `exec`.
#![deny(missing_docs)]

pub use seccompy_bpf as bpf;
pub use seccompy_sys as sys;

mod command;
pub mod embed;
mod features;
mod filter;
mod flags;
mod install;
mod no_new_privs;
mod status;
mod strict;

pub use command::{CommandSeccompExt, SeccompOptions, SpawnedWithListener};
pub use embed::EmbedError;
pub use features::{
    ActionAvailError, CompatLevel, NotifSizesError, UnsupportedAction, UnsupportedFlags,
    action_available, action_since, adapt_action, notif_sizes,
};
pub use filter::{Filter, FilterAction, FilterArgs, FilterError};
pub use flags::{FilterFlags, LinuxVersion};
pub use install::{SetFilterError, set_filter, set_filter_with_listener};
pub use no_new_privs::{NoNewPrivsError, no_new_privileges, set_no_new_privileges};
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
