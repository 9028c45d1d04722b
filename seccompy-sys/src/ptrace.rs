//! The `ptrace(2)` requests, events and options that concern seccomp
//! (`linux/ptrace.h`).
//!
//! # References
//! - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html), on `SECCOMP_RET_TRACE`

use core::ffi::c_int;

/// Request: copy a stopped tracee's classic BPF filter number `addr` (0 is the
/// most recently installed) into the `struct sock_filter` array at `data`, or with a
/// null `data` only return its length in instructions. Needs `CAP_SYS_ADMIN` and a
/// tracer that is not itself under seccomp (Linux 4.4).
pub const PTRACE_SECCOMP_GET_FILTER: c_int = 0x420c;
/// Request: fill the [`seccomp_metadata`] at `data`, whose `filter_off` selects
/// the filter as for [`PTRACE_SECCOMP_GET_FILTER`]; `addr` is the size of the
/// structure. Needs `CAP_SYS_ADMIN` (Linux 4.16).
pub const PTRACE_SECCOMP_GET_METADATA: c_int = 0x420d;

/// Event: a filter returned `SECCOMP_RET_TRACE`; the tracee stops with
/// `status >> 8 == SIGTRAP | PTRACE_EVENT_SECCOMP << 8`, and `PTRACE_GETEVENTMSG`
/// gives the action's data (Linux 3.5).
pub const PTRACE_EVENT_SECCOMP: c_int = 7;
/// Option: stop the tracee at [`PTRACE_EVENT_SECCOMP`] (Linux 3.5).
pub const PTRACE_O_TRACESECCOMP: c_int = 1 << PTRACE_EVENT_SECCOMP;
/// Option: suspend the tracee's seccomp protections, for checkpoint/restore. Needs
/// `CAP_SYS_ADMIN`, a kernel built with checkpoint/restore support, and a tracer
/// that is not itself under seccomp (Linux 4.3).
pub const PTRACE_O_SUSPEND_SECCOMP: c_int = 1 << 21;

/// `op` of a `struct ptrace_syscall_info` read with `PTRACE_GET_SYSCALL_INFO` at a
/// [`PTRACE_EVENT_SECCOMP`] stop: the `seccomp` member of its union is valid
/// (Linux 5.3).
pub const PTRACE_SYSCALL_INFO_SECCOMP: u8 = 3;

/// The metadata of one seccomp filter of a tracee, read with
/// [`PTRACE_SECCOMP_GET_METADATA`] (`struct seccomp_metadata`, Linux 4.16).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct seccomp_metadata {
    /// Input: which filter, counted from the most recently installed (0).
    pub filter_off: u64,
    /// Output: the flags the filter was installed with that the kernel keeps
    /// (only `SECCOMP_FILTER_FLAG_LOG` today).
    pub flags: u64,
}

/// Request: fill the [`ptrace_syscall_info`] at `data` (of `addr` bytes) with what
/// the stopped tracee is doing: the call's arch, number and arguments at a
/// syscall-entry stop, its return value at a syscall-exit stop (Linux 5.3).
pub const PTRACE_GET_SYSCALL_INFO: c_int = 0x420e;

/// `op` of a [`ptrace_syscall_info`]: not a syscall stop.
pub const PTRACE_SYSCALL_INFO_NONE: u8 = 0;
/// `op` of a [`ptrace_syscall_info`]: a syscall-entry stop (`data` is the
/// call's number and its six arguments).
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;
/// `op` of a [`ptrace_syscall_info`]: a syscall-exit stop (`data[0]` is the
/// return value, the low byte of `data[1]` whether it is an error).
pub const PTRACE_SYSCALL_INFO_EXIT: u8 = 2;

/// What a tracee in a syscall stop is doing, read with
/// [`PTRACE_GET_SYSCALL_INFO`] (`struct ptrace_syscall_info`, Linux 5.3). The
/// kernel's union is `data`: at an entry stop `[nr, args[0], ..., args[5], _]`,
/// at an exit stop `[rval, is_error, ...]`, at a seccomp stop
/// `[nr, args[0], ..., args[5], ret_data]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub struct ptrace_syscall_info {
    /// [`PTRACE_SYSCALL_INFO_ENTRY`], [`PTRACE_SYSCALL_INFO_EXIT`],
    /// [`PTRACE_SYSCALL_INFO_SECCOMP`] or [`PTRACE_SYSCALL_INFO_NONE`].
    pub op: u8,
    /// Padding (the kernel's `pad[3]` and `reserved`).
    pub pad: [u8; 3],
    /// The call's `AUDIT_ARCH_*`.
    pub arch: u32,
    /// The instruction pointer.
    pub instruction_pointer: u64,
    /// The stack pointer.
    pub stack_pointer: u64,
    /// The union of the entry, exit and seccomp members.
    pub data: [u64; 8],
}
