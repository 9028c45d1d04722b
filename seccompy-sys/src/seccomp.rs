//! Seccomp modes, operations, filter flags, actions and structures (`linux/seccomp.h`).
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
//! - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)

/// Mode: seccomp is not in use (Linux 2.6.12).
pub const SECCOMP_MODE_DISABLED: u32 = 0;
/// Mode: strict, only `read`, `write`, `_exit` and `sigreturn` (Linux 2.6.12).
pub const SECCOMP_MODE_STRICT: u32 = 1;
/// Mode: user-supplied BPF filters (Linux 3.5).
pub const SECCOMP_MODE_FILTER: u32 = 2;

/// Operation of `seccomp(2)`: enter strict mode (Linux 3.17).
pub const SECCOMP_SET_MODE_STRICT: u32 = 0;
/// Operation of `seccomp(2)`: install a filter (Linux 3.17).
pub const SECCOMP_SET_MODE_FILTER: u32 = 1;
/// Operation of `seccomp(2)`: ask whether an action is supported (Linux 4.14).
pub const SECCOMP_GET_ACTION_AVAIL: u32 = 2;
/// Operation of `seccomp(2)`: get the sizes of the notification structures (Linux 5.0).
pub const SECCOMP_GET_NOTIF_SIZES: u32 = 3;

/// Filter flag: synchronise all threads of the process to this filter tree (Linux 3.17).
pub const SECCOMP_FILTER_FLAG_TSYNC: u32 = 1 << 0;
/// Filter flag: log every action but `SECCOMP_RET_ALLOW` (Linux 4.14).
pub const SECCOMP_FILTER_FLAG_LOG: u32 = 1 << 1;
/// Filter flag: do not enable the speculative store bypass mitigation (Linux 4.17).
pub const SECCOMP_FILTER_FLAG_SPEC_ALLOW: u32 = 1 << 2;
/// Filter flag: return a user-notification listener fd (Linux 5.0).
pub const SECCOMP_FILTER_FLAG_NEW_LISTENER: u32 = 1 << 3;
/// Filter flag: with TSYNC, report a failed synchronisation as `ESRCH` instead of a
/// thread id, so that it can be combined with `NEW_LISTENER` (Linux 5.7).
pub const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: u32 = 1 << 4;
/// Filter flag: once a notification has been received, only fatal signals interrupt
/// the waiting target (Linux 5.19).
pub const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: u32 = 1 << 5;

/// Action: kill the whole process (Linux 4.14).
pub const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
/// Action: kill the calling thread (Linux 3.5, named `SECCOMP_RET_KILL` until 4.14).
pub const SECCOMP_RET_KILL_THREAD: u32 = 0x0000_0000;
/// Old name of [`SECCOMP_RET_KILL_THREAD`].
pub const SECCOMP_RET_KILL: u32 = SECCOMP_RET_KILL_THREAD;
/// Action: send `SIGSYS` to the thread, with the data in `si_errno` (Linux 3.5).
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
/// Action: fail the call with the errno in the data (Linux 3.5).
pub const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
/// Action: ask the user-notification listener (Linux 5.0).
pub const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
/// Action: notify a ptrace tracer, or fail with `ENOSYS` without one (Linux 3.5).
pub const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
/// Action: allow after logging (Linux 4.14).
pub const SECCOMP_RET_LOG: u32 = 0x7ffc_0000;
/// Action: allow (Linux 3.5).
pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;

/// Mask of the full action, sign bit included (Linux 4.14).
pub const SECCOMP_RET_ACTION_FULL: u32 = 0xffff_0000;
/// Mask of the action without the sign bit (Linux 3.5).
pub const SECCOMP_RET_ACTION: u32 = 0x7fff_0000;
/// Mask of the action's data (Linux 3.5).
pub const SECCOMP_RET_DATA: u32 = 0x0000_ffff;

/// Response flag: let the notified syscall continue in the kernel (Linux 5.5).
pub const SECCOMP_USER_NOTIF_FLAG_CONTINUE: u32 = 1 << 0;

/// Listener flag for `SECCOMP_IOCTL_NOTIF_SET_FLAGS`: wake the supervisor on the
/// same CPU, synchronously (Linux 6.6).
pub const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1 << 0;

/// `seccomp_notif_addfd` flag: install the fd at `newfd` (Linux 5.9).
pub const SECCOMP_ADDFD_FLAG_SETFD: u32 = 1 << 0;
/// `seccomp_notif_addfd` flag: add the fd and answer the call with its number,
/// atomically (Linux 5.14).
pub const SECCOMP_ADDFD_FLAG_SEND: u32 = 1 << 1;

/// The input of a seccomp filter: what the kernel knows of the call (Linux 3.5).
///
/// Arguments are always 64 bits wide here; on 32-bit ABIs the upper half is zero
/// (or sign-extended on some). A BPF program loads them as two 32-bit words, the low
/// word first on little-endian ABIs and second on big-endian ones.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_data {
    /// The system call number, as the ABI numbers it.
    pub nr: i32,
    /// The ABI of the call: one of the `AUDIT_ARCH_*` values.
    pub arch: u32,
    /// The instruction pointer at the time of the call.
    pub instruction_pointer: u64,
    /// The six system call arguments.
    pub args: [u64; 6],
}

/// The sizes of the user-notification structures the running kernel uses (Linux 5.0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_notif_sizes {
    /// Size of `struct seccomp_notif`.
    pub seccomp_notif: u16,
    /// Size of `struct seccomp_notif_resp`.
    pub seccomp_notif_resp: u16,
    /// Size of `struct seccomp_data`.
    pub seccomp_data: u16,
}

/// A notification read with `SECCOMP_IOCTL_NOTIF_RECV` (Linux 5.0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_notif {
    /// Unique id of this notification, to answer it.
    pub id: u64,
    /// Thread id of the target, in the listener's pid namespace (0 if not visible).
    pub pid: u32,
    /// No flags are defined; zero.
    pub flags: u32,
    /// The call.
    pub data: seccomp_data,
}

/// The answer to a notification, sent with `SECCOMP_IOCTL_NOTIF_SEND` (Linux 5.0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_notif_resp {
    /// The id of the notification answered.
    pub id: u64,
    /// The return value of the call when `error` is zero.
    pub val: i64,
    /// A negated errno, or zero for success.
    pub error: i32,
    /// `SECCOMP_USER_NOTIF_FLAG_CONTINUE` or zero.
    pub flags: u32,
}

/// Asks the kernel to install an fd in the target, with
/// `SECCOMP_IOCTL_NOTIF_ADDFD` (Linux 5.9).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_notif_addfd {
    /// The id of the notification.
    pub id: u64,
    /// `SECCOMP_ADDFD_FLAG_*`.
    pub flags: u32,
    /// The supervisor's fd to copy.
    pub srcfd: u32,
    /// The fd number to use in the target with `SECCOMP_ADDFD_FLAG_SETFD`, else zero.
    pub newfd: u32,
    /// Flags for the new fd: only `O_CLOEXEC` is accepted.
    pub newfd_flags: u32,
}
