//! Thin `unsafe` wrappers of the system calls that seccomp uses, through `libc`.
//!
//! Each function makes exactly one call and returns its raw result: `-1` with the
//! error left in `errno` on failure, as the C library returns it. Nothing is
//! checked or converted; the safe `seccompy` crate builds on these.
//!
//! They call the running thread's C library, so they act on the calling thread
//! (seccomp filters and `no_new_privs` are per thread; `SECCOMP_FILTER_FLAG_TSYNC`
//! extends a filter to the whole process).

use core::ffi::{c_int, c_long, c_uint, c_ulong, c_void};

use crate::bpf::{sock_filter, sock_fprog};
use crate::ioctl::{
    SECCOMP_IOCTL_NOTIF_ADDFD, SECCOMP_IOCTL_NOTIF_ID_VALID,
    SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR, SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND,
    SECCOMP_IOCTL_NOTIF_SET_FLAGS,
};
use crate::prctl::{PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP};
use crate::ptrace::{
    PTRACE_GET_SYSCALL_INFO, PTRACE_SECCOMP_GET_FILTER, PTRACE_SECCOMP_GET_METADATA,
    ptrace_syscall_info, seccomp_metadata,
};
use crate::seccomp::{
    SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES, SECCOMP_SET_MODE_FILTER,
    SECCOMP_SET_MODE_STRICT, seccomp_notif, seccomp_notif_addfd, seccomp_notif_resp,
    seccomp_notif_sizes,
};

use libc::pid_t;

/// The number of the `seccomp(2)` system call on the host (Linux 3.17), as
/// `libc` defines it (`__NR_seccomp` in `asm/unistd.h`).
///
/// The number under another ABI comes from the syscall tables:
/// `Abi::syscall_nr("seccomp")` in [`syscalls`](crate::syscalls).
#[doc(alias = "__NR_seccomp")]
#[allow(non_upper_case_globals)]
pub const SYS_seccomp: c_long = libc::SYS_seccomp;

/// The `seccomp(2)` system call: `op` is a `SECCOMP_SET_MODE_*` or `SECCOMP_GET_*`
/// operation, `flags` its flags and `args` its argument (Linux 3.17).
///
/// Returns the system call's result: 0 or a non-negative value (a listener fd for
/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`, a thread id for a failed
/// `SECCOMP_FILTER_FLAG_TSYNC`) on success, -1 with `errno` set on failure.
///
/// # Safety
/// `args` must be what `op` expects: null for `SECCOMP_SET_MODE_STRICT`, a valid
/// `sock_fprog` whose `filter` points to `len` instructions for
/// `SECCOMP_SET_MODE_FILTER`, a readable `u32` for `SECCOMP_GET_ACTION_AVAIL`, a
/// writable `seccomp_notif_sizes` for `SECCOMP_GET_NOTIF_SIZES`. Installing a
/// filter or entering strict mode restricts every later system call of the
/// thread (of the process with `TSYNC`), including those the Rust runtime and the
/// allocator make: the caller must know the filter allows what the program needs.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[doc(alias = "SYS_seccomp")]
#[doc(alias = "__NR_seccomp")]
#[inline]
pub unsafe fn seccomp(op: c_uint, flags: c_uint, args: *mut c_void) -> c_long {
    // SAFETY: the caller guarantees that `args` matches `op`; the C library's
    // `syscall` reads three `long` arguments, which is what we pass.
    unsafe { libc::syscall(SYS_seccomp, c_ulong::from(op), c_ulong::from(flags), args) }
}

/// `seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL)`: from now on the thread may only
/// call `read`, `write`, `_exit` (not `exit_group`) and `sigreturn`; anything else
/// kills it with `SIGKILL` (Linux 3.17).
///
/// Returns 0, or -1 with `errno` set.
///
/// # Safety
/// After success, any other system call kills the thread, including the ones the
/// Rust standard library and allocator make and the `exit_group` of a normal
/// process exit: the caller must only call the four allowed system calls, and
/// leave with `_exit`, from then on.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[doc(alias = "SECCOMP_SET_MODE_STRICT")]
#[inline]
pub unsafe fn seccomp_set_mode_strict() -> c_long {
    // SAFETY: strict mode takes no argument; the consequences are the caller's
    // (see `# Safety`).
    unsafe { seccomp(SECCOMP_SET_MODE_STRICT, 0, core::ptr::null_mut()) }
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`: installs a classic BPF filter
/// on the thread (Linux 3.17).
///
/// Returns 0, a listener fd with `SECCOMP_FILTER_FLAG_NEW_LISTENER`, the id of a
/// thread that could not be synchronised with `SECCOMP_FILTER_FLAG_TSYNC`, or -1
/// with `errno` set. The thread needs `no_new_privs` or `CAP_SYS_ADMIN`.
///
/// # Safety
/// `prog` must point to a valid `sock_fprog` whose `filter` points to `len`
/// readable instructions. The filter then decides every later system call of the
/// thread (of the process with `TSYNC`) and of its children, including those the
/// Rust runtime makes: the caller must know it allows what the program needs.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[doc(alias = "SECCOMP_SET_MODE_FILTER")]
#[inline]
pub unsafe fn seccomp_set_mode_filter(flags: c_uint, prog: *const sock_fprog) -> c_long {
    // SAFETY: the caller guarantees `prog`; the kernel only reads through it.
    unsafe { seccomp(SECCOMP_SET_MODE_FILTER, flags, prog.cast_mut().cast()) }
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, action)`: asks whether the kernel knows
/// the action `*action` (a `SECCOMP_RET_*` value without data) (Linux 4.14).
///
/// Returns 0 if it does, or -1 with `errno` set: `EOPNOTSUPP` for an unknown
/// action.
///
/// # Safety
/// `action` must point to a readable `u32`.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
#[doc(alias = "SECCOMP_GET_ACTION_AVAIL")]
#[inline]
pub unsafe fn seccomp_get_action_avail(action: *const u32) -> c_long {
    // SAFETY: the caller guarantees `action` is readable; the kernel only reads it.
    unsafe { seccomp(SECCOMP_GET_ACTION_AVAIL, 0, action.cast_mut().cast()) }
}

/// `seccomp(SECCOMP_GET_NOTIF_SIZES, 0, sizes)`: fills `*sizes` with the sizes of
/// the user-notification structures the running kernel uses (Linux 5.0).
///
/// Returns 0, or -1 with `errno` set.
///
/// # Safety
/// `sizes` must point to a writable `seccomp_notif_sizes`.
///
/// # References
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
#[doc(alias = "SECCOMP_GET_NOTIF_SIZES")]
#[inline]
pub unsafe fn seccomp_get_notif_sizes(sizes: *mut seccomp_notif_sizes) -> c_long {
    // SAFETY: the caller guarantees `sizes` is writable for the whole structure.
    unsafe { seccomp(SECCOMP_GET_NOTIF_SIZES, 0, sizes.cast()) }
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)`: sets the thread's `no_new_privs` bit
/// for good (Linux 3.5).
///
/// Returns 0, or -1 with `errno` set.
///
/// # Safety
/// No memory is involved. The bit can never be cleared, and is inherited by
/// children and kept across `execve(2)`, which then grants no set-user-id,
/// set-group-id or file capability privileges: the caller must own that decision
/// for the thread.
///
/// # References
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
/// - [`PR_SET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_NO_NEW_PRIVS.2const.html)
#[doc(alias = "PR_SET_NO_NEW_PRIVS")]
#[inline]
pub unsafe fn prctl_set_no_new_privs() -> c_int {
    let one: c_ulong = 1;
    let zero: c_ulong = 0;
    // SAFETY: every argument is an integer; the C library reads four `unsigned
    // long` after the option, which is what we pass.
    unsafe { libc::prctl(PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) }
}

/// `prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)`: the thread's `no_new_privs` bit
/// (Linux 3.5).
///
/// Returns 0 or 1, or -1 with `errno` set.
///
/// # Safety
/// No memory is involved and nothing changes; this is `unsafe` only like every
/// function of this raw layer.
///
/// # References
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
/// - [`PR_GET_NO_NEW_PRIVS(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_NO_NEW_PRIVS.2const.html)
#[doc(alias = "PR_GET_NO_NEW_PRIVS")]
#[inline]
pub unsafe fn prctl_get_no_new_privs() -> c_int {
    let zero: c_ulong = 0;
    // SAFETY: integer arguments only, which the kernel requires to be zero.
    unsafe { libc::prctl(PR_GET_NO_NEW_PRIVS, zero, zero, zero, zero) }
}

/// `prctl(PR_GET_SECCOMP)`: the thread's seccomp mode, a `SECCOMP_MODE_*` value
/// (Linux 2.6.23).
///
/// Returns the mode, or -1 with `errno` set.
///
/// # Safety
/// No memory is involved, but a thread in strict mode is killed by `SIGKILL` when
/// it calls this: the caller must know the thread is not in strict mode.
///
/// # References
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
/// - [`PR_GET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_GET_SECCOMP.2const.html)
#[doc(alias = "PR_GET_SECCOMP")]
#[inline]
pub unsafe fn prctl_get_seccomp() -> c_int {
    let zero: c_ulong = 0;
    // SAFETY: integer arguments only, which the kernel ignores.
    unsafe { libc::prctl(PR_GET_SECCOMP, zero, zero, zero, zero) }
}

/// `prctl(PR_SET_SECCOMP, mode, prog)`: enters `SECCOMP_MODE_STRICT` (with a null
/// `prog`) or installs a filter (`SECCOMP_MODE_FILTER`), like [`seccomp`] without
/// flags (Linux 2.6.23; filters since Linux 3.5).
///
/// Returns 0, or -1 with `errno` set.
///
/// # Safety
/// As for [`seccomp_set_mode_strict`] or [`seccomp_set_mode_filter`]: `prog` must be
/// null for strict mode or point to a valid `sock_fprog` for filter mode, and the
/// caller must know the program can live with the result.
///
/// # References
/// - [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
/// - [`PR_SET_SECCOMP(2const)`](https://man7.org/linux/man-pages/man2/PR_SET_SECCOMP.2const.html)
#[doc(alias = "PR_SET_SECCOMP")]
#[inline]
pub unsafe fn prctl_set_seccomp(mode: c_ulong, prog: *const sock_fprog) -> c_int {
    let zero: c_ulong = 0;
    // SAFETY: the caller guarantees `prog` matches `mode`; the kernel only reads it.
    unsafe { libc::prctl(PR_SET_SECCOMP, mode, prog, zero, zero) }
}

/// `ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, buf)`: copies the tracee's filter
/// number `index` (0 is the most recent) into `buf`, or with a null `buf` only
/// counts its instructions (Linux 4.4).
///
/// Returns the filter's length in instructions, or -1 with `errno` set. `pid` must
/// be a tracee of the calling thread in a ptrace-stop; the caller needs
/// `CAP_SYS_ADMIN` and must not be under seccomp itself.
///
/// # Safety
/// `buf` must be null or point to room for as many `sock_filter` as the filter has
/// (ask with a null `buf` first; the filter cannot change while the tracee is
/// stopped).
///
/// # References
/// - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
#[doc(alias = "PTRACE_SECCOMP_GET_FILTER")]
#[inline]
pub unsafe fn ptrace_seccomp_get_filter(
    pid: pid_t,
    index: c_ulong,
    buf: *mut sock_filter,
) -> c_long {
    // SAFETY: the caller guarantees `buf`; `addr` carries an integer, as the
    // request defines.
    unsafe {
        libc::ptrace(
            PTRACE_SECCOMP_GET_FILTER as _,
            pid,
            index as *mut c_void,
            buf.cast::<c_void>(),
        )
    }
}

/// `ptrace(PTRACE_SECCOMP_GET_METADATA, pid, sizeof *meta, meta)`: fills
/// `meta.flags` for the tracee's filter number `meta.filter_off` (Linux 4.16).
///
/// Returns the number of bytes the kernel wrote, or -1 with `errno` set. The
/// same conditions as [`ptrace_seccomp_get_filter`] apply.
///
/// # Safety
/// `meta` must point to a readable and writable `seccomp_metadata`.
///
/// # References
/// - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
#[doc(alias = "PTRACE_SECCOMP_GET_METADATA")]
#[inline]
pub unsafe fn ptrace_seccomp_get_metadata(pid: pid_t, meta: *mut seccomp_metadata) -> c_long {
    let size = core::mem::size_of::<seccomp_metadata>();
    // SAFETY: the caller guarantees `meta`; the kernel reads and writes at most
    // `size` bytes of it.
    unsafe {
        libc::ptrace(
            PTRACE_SECCOMP_GET_METADATA as _,
            pid,
            size as *mut c_void,
            meta.cast::<c_void>(),
        )
    }
}

/// `ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof *info, info)`: fills `*info`
/// with what the stopped tracee `pid` is doing (Linux 5.3).
///
/// Returns the number of bytes the kernel has to give (it copies at most
/// `sizeof *info`), or -1 with `errno` set. `pid` must be a tracee of the
/// calling thread in a ptrace-stop.
///
/// # Safety
/// `info` must point to a writable `ptrace_syscall_info`.
///
/// # References
/// - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
#[doc(alias = "PTRACE_GET_SYSCALL_INFO")]
#[inline]
pub unsafe fn ptrace_get_syscall_info(pid: pid_t, info: *mut ptrace_syscall_info) -> c_long {
    let size = core::mem::size_of::<ptrace_syscall_info>();
    // SAFETY: the caller guarantees `info`; the kernel writes at most `size`
    // bytes of it.
    unsafe {
        libc::ptrace(
            PTRACE_GET_SYSCALL_INFO as _,
            pid,
            size as *mut c_void,
            info.cast::<c_void>(),
        )
    }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notif)`: waits for the next notification on
/// the listener `fd` and stores it in `*notif` (Linux 5.0).
///
/// Returns 0, or -1 with `errno` set (`ENOENT` if the target died before the
/// notification could be read, `EINTR` on a signal). `*notif` must be zeroed first.
///
/// # Safety
/// `notif` must point to a writable `seccomp_notif`.
/// `fd` must be a seccomp listener: another driver may give the same request
/// number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_RECV")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_recv(fd: c_int, notif: *mut seccomp_notif) -> c_int {
    // SAFETY: the caller guarantees `notif`; the kernel writes one `seccomp_notif`.
    unsafe { libc::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV as libc::Ioctl, notif) }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)`: answers a notification on the
/// listener `fd` (Linux 5.0).
///
/// Returns 0, or -1 with `errno` set (`ENOENT` if the notification is gone).
///
/// # Safety
/// `resp` must point to a readable `seccomp_notif_resp`.
/// `fd` must be a seccomp listener: another driver may give the same request
/// number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_SEND")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_send(fd: c_int, resp: *const seccomp_notif_resp) -> c_int {
    // SAFETY: the caller guarantees `resp`; the kernel only reads it.
    unsafe { libc::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND as libc::Ioctl, resp) }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, id)`: checks that the notification
/// `*id` is still pending on the listener `fd`, that is, its target still waits
/// (Linux 5.0; this number since 5.9).
///
/// Returns 0 if it is, or -1 with `errno` set (`ENOENT` if it is not). Kernels
/// before 5.9 fail with `EINVAL`; use [`seccomp_ioctl_notif_id_valid_wrong_dir`]
/// there.
///
/// # Safety
/// `id` must point to a readable `u64`.
/// `fd` must be a seccomp listener: another driver may give the same request
/// number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_ID_VALID")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_id_valid(fd: c_int, id: *const u64) -> c_int {
    // SAFETY: the caller guarantees `id`; the kernel only reads it.
    unsafe { libc::ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID as libc::Ioctl, id) }
}

/// [`seccomp_ioctl_notif_id_valid`] with the number the request had before Linux
/// 5.9 (`SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR`), which every kernel since 5.0
/// accepts.
///
/// Returns 0 if the notification is pending, or -1 with `errno` set.
///
/// # Safety
/// `id` must point to a readable `u64`.
/// `fd` must be a seccomp listener: another driver may give the same request
/// number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_id_valid_wrong_dir(fd: c_int, id: *const u64) -> c_int {
    // SAFETY: the caller guarantees `id`; the kernel only reads it.
    unsafe {
        libc::ioctl(
            fd,
            SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR as libc::Ioctl,
            id,
        )
    }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, addfd)`: copies the supervisor's
/// `addfd.srcfd` into the target of notification `addfd.id` (Linux 5.9;
/// `SECCOMP_ADDFD_FLAG_SEND` since 5.14).
///
/// Returns the fd number in the target, or -1 with `errno` set. With
/// `SECCOMP_ADDFD_FLAG_SEND` it also answers the notification with that number.
///
/// # Safety
/// `addfd` must point to a readable `seccomp_notif_addfd`. `srcfd` is only read,
/// but the new fd belongs to another process from then on.
/// `fd` must be a seccomp listener: another driver may give the same request
/// number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_ADDFD")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_addfd(fd: c_int, addfd: *const seccomp_notif_addfd) -> c_int {
    // SAFETY: the caller guarantees `addfd`; the kernel only reads it.
    unsafe { libc::ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD as libc::Ioctl, addfd) }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags)`: sets the listener's flags,
/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` or 0, passed by value (Linux 6.6).
///
/// Returns 0, or -1 with `errno` set (`EINVAL` for an unknown flag).
///
/// # Safety
/// No memory is involved here, but `fd` must be a seccomp listener: another
/// driver may give the same request number another meaning.
///
/// # References
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
/// - [`ioctl(2)`](https://man7.org/linux/man-pages/man2/ioctl.2.html)
#[doc(alias = "SECCOMP_IOCTL_NOTIF_SET_FLAGS")]
#[inline]
pub unsafe fn seccomp_ioctl_notif_set_flags(fd: c_int, flags: u64) -> c_int {
    // SAFETY: the argument is an integer, which the kernel takes by value.
    unsafe {
        libc::ioctl(
            fd,
            SECCOMP_IOCTL_NOTIF_SET_FLAGS as libc::Ioctl,
            flags as c_ulong,
        )
    }
}

/// `pidfd_open(pid, flags)`: a file descriptor (close-on-exec) that refers to
/// the process `pid` and keeps referring to it, never to a later process that
/// reuses the number (Linux 5.3).
///
/// Returns the fd, or -1 with `errno` set (`ESRCH`: no such process; `EINVAL`,
/// or `ENOENT` on recent kernels: `pid` is not a thread-group leader; `EINVAL`:
/// unknown `flags`).
///
/// # Safety
/// No memory is involved; the caller owns the returned fd and must close it.
///
/// # References
/// - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
#[doc(alias = "SYS_pidfd_open")]
#[inline]
pub unsafe fn pidfd_open(pid: pid_t, flags: c_uint) -> c_int {
    // SAFETY: both arguments are integers; the kernel returns a new fd or an error.
    unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) as c_int }
}

/// `pidfd_send_signal(pidfd, sig, NULL, 0)`: sends `sig` to the process the pidfd
/// refers to, as `kill(2)` would, but never to a process that reused its number
/// (Linux 5.1).
///
/// Returns 0, or -1 with `errno` set (`ESRCH`: the process has exited).
///
/// # Safety
/// No memory is involved (no `siginfo_t` is passed); `pidfd` must be a pidfd.
///
/// # References
/// - [`pidfd_send_signal(2)`](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
#[doc(alias = "SYS_pidfd_send_signal")]
#[inline]
pub unsafe fn pidfd_send_signal(pidfd: c_int, sig: c_int) -> c_int {
    // SAFETY: integers and a null siginfo, which the kernel accepts.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd,
            sig,
            core::ptr::null::<c_void>(),
            0 as c_uint,
        ) as c_int
    }
}

/// `pidfd_getfd(pidfd, targetfd, 0)`: a copy, in the calling process, of the fd
/// `targetfd` of the process the pidfd refers to (Linux 5.6), close-on-exec.
///
/// Returns the new fd, or -1 with `errno` set (`EPERM`: no ptrace access to the
/// process, `EBADF`: no such fd there).
///
/// # Safety
/// No memory is involved; the caller owns the returned fd and must close it.
///
/// # References
/// - [`pidfd_getfd(2)`](https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html)
#[doc(alias = "SYS_pidfd_getfd")]
#[inline]
pub unsafe fn pidfd_getfd(pidfd: c_int, targetfd: c_int) -> c_int {
    // SAFETY: integers only; the kernel returns a new fd or an error.
    unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, targetfd, 0 as c_uint) as c_int }
}
