//! The `prctl(2)` options that concern seccomp (`PR_*` in `linux/prctl.h`).
//!
//! # References
//! - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
//! - [`PR_SET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_NO_NEW_PRIVS.2const.html)
//! - [`PR_GET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_NO_NEW_PRIVS.2const.html)
//! - [`PR_SET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_SECCOMP.2const.html)
//! - [`PR_GET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_SECCOMP.2const.html)

use core::ffi::c_int;

/// Returns the calling thread's seccomp mode (`SECCOMP_MODE_*`) as the result
/// (Linux 2.6.23). A thread in strict mode is killed by `SIGKILL` when it asks.
pub const PR_GET_SECCOMP: c_int = 21;
/// Sets the calling thread's seccomp mode: `SECCOMP_MODE_STRICT`, or
/// `SECCOMP_MODE_FILTER` with a `struct sock_fprog *` as third argument
/// (Linux 2.6.23; filter mode since Linux 3.5).
pub const PR_SET_SECCOMP: c_int = 22;
/// Sets the thread's `no_new_privs` bit, which `execve(2)` can no longer grant
/// privileges past, and which lets an unprivileged thread install seccomp filters.
/// The second argument must be 1 and the others 0. It cannot be unset (Linux 3.5).
pub const PR_SET_NO_NEW_PRIVS: c_int = 38;
/// Returns the thread's `no_new_privs` bit (0 or 1) as the result (Linux 3.5).
pub const PR_GET_NO_NEW_PRIVS: c_int = 39;
