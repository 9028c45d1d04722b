//! Reading the filters another thread has: [`thread_filters`].
//!
//! The kernel gives a tracer a stopped tracee's classic BPF filters with
//! `ptrace(PTRACE_SECCOMP_GET_FILTER)` and their flags with
//! `PTRACE_SECCOMP_GET_METADATA`. [`thread_filters`] attaches with
//! `PTRACE_SEIZE` (which does not stop the thread or change its signals),
//! stops it with `PTRACE_INTERRUPT`, reads every filter, and detaches. The
//! refusals say which of the kernel's conditions failed ([`InspectError`]).
//!
//! Needs ptrace access to the thread (the same user and Yama's `ptrace_scope`
//! allowing it, or `CAP_SYS_PTRACE`), no other tracer on it, and, to read
//! filters, `CAP_SYS_ADMIN` and no seccomp filter on the calling thread.
//!
//! # References
//! - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)

use std::io;

use seccompy_sys::ptrace::seccomp_metadata;
use seccompy_sys::syscalls::Abi;

use crate::Mode;
use seccompy_sys::{SECCOMP_FILTER_FLAG_LOG, raw, sock_filter};

/// One filter of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadFilter {
    /// Its instructions.
    pub insns: Vec<sock_filter>,
    /// The flags it was installed with that the kernel keeps
    /// (`SECCOMP_FILTER_FLAG_LOG` only; 0 when the metadata cannot be read).
    pub flags: u64,
}

impl ThreadFilter {
    /// Whether it was installed with `SECCOMP_FILTER_FLAG_LOG`.
    #[must_use]
    pub fn logs(&self) -> bool {
        self.flags & u64::from(SECCOMP_FILTER_FLAG_LOG) != 0
    }
}

/// Why [`thread_filters`] read nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// No such thread (or it exited).
    #[error("no process {pid} (or it exited)")]
    NoProcess {
        /// The process.
        pid: libc::pid_t,
    },
    /// `PTRACE_SEIZE` failed with `EPERM` and the thread has a tracer: a
    /// thread has one at a time.
    #[error(
        "process {pid} is already traced by process {tracer}, and a process has one tracer at a time: detach that tracer (strace, gdb, ...) first"
    )]
    AlreadyTraced {
        /// The process.
        pid: libc::pid_t,
        /// Its tracer.
        tracer: libc::pid_t,
    },
    /// `PTRACE_SEIZE` failed with `EPERM` otherwise: another user without
    /// `CAP_SYS_PTRACE`, Yama, an LSM.
    #[error(
        "no ptrace access to process {pid}: attaching needs the same user and ptrace allowed by Yama (/proc/sys/kernel/yama/ptrace_scope), or CAP_SYS_PTRACE: {source}"
    )]
    NoPtraceAccess {
        /// The process.
        pid: libc::pid_t,
        /// The kernel's error.
        source: io::Error,
    },
    /// `PTRACE_SECCOMP_GET_FILTER` was refused to a caller under seccomp.
    #[error(
        "this process runs under a seccomp filter itself, and the kernel gives filters only to an unfiltered reader: {source}"
    )]
    SelfFiltered {
        /// The kernel's error.
        source: io::Error,
    },
    /// `PTRACE_SECCOMP_GET_FILTER` was refused: no `CAP_SYS_ADMIN`.
    #[error("reading the filters of process {pid} needs CAP_SYS_ADMIN: {source}")]
    NeedsCapSysAdmin {
        /// The process.
        pid: libc::pid_t,
        /// The kernel's error.
        source: io::Error,
    },
    /// A filter is not a classic BPF program the kernel kept
    /// (`EMEDIUMTYPE`).
    #[error("filter {number} of process {pid} is not a classic BPF program the kernel kept")]
    NotClassic {
        /// The process.
        pid: libc::pid_t,
        /// The filter, from 1 (the first installed).
        number: u64,
    },
    /// The thread exited while it was being read.
    #[error("process {pid} exited while being read")]
    Exited {
        /// The process.
        pid: libc::pid_t,
    },
    /// Another failure.
    #[error("cannot read the filters of {pid}: {source}")]
    Os {
        /// The process.
        pid: libc::pid_t,
        /// The kernel's error.
        source: io::Error,
    },
}

/// The ptrace request that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `PTRACE_SEIZE`, `PTRACE_INTERRUPT` and the wait for the stop.
    Attach,
    /// `PTRACE_SECCOMP_GET_FILTER`.
    GetFilter,
}

/// What a refusal means, from the kernel's reasons (`kernel/ptrace.c`,
/// `kernel/seccomp.c`): `PTRACE_SEIZE` fails with `EPERM` when the thread
/// already has a tracer (`tracer`) and when the caller lacks ptrace access;
/// `PTRACE_SECCOMP_GET_FILTER` fails with `EACCES` when the caller lacks
/// `CAP_SYS_ADMIN` or runs under seccomp itself (`self_filtered`).
fn classify(
    pid: libc::pid_t,
    step: Step,
    source: io::Error,
    tracer: Option<libc::pid_t>,
    self_filtered: bool,
) -> InspectError {
    match (step, source.raw_os_error()) {
        (_, Some(libc::ESRCH)) => InspectError::NoProcess { pid },
        (Step::Attach, Some(libc::EPERM)) => match tracer {
            Some(tracer) => InspectError::AlreadyTraced { pid, tracer },
            None => InspectError::NoPtraceAccess { pid, source },
        },
        (Step::GetFilter, Some(libc::EACCES | libc::EPERM)) if self_filtered => {
            InspectError::SelfFiltered { source }
        }
        (Step::GetFilter, Some(libc::EACCES | libc::EPERM)) => {
            InspectError::NeedsCapSysAdmin { pid, source }
        }
        _ => InspectError::Os { pid, source },
    }
}

/// The refusal of `step` on thread `tid` of `pid`, with the facts that tell
/// its cause.
fn refused(pid: libc::pid_t, tid: libc::pid_t, step: Step, e: io::Error) -> InspectError {
    let tracer = status_field(&format!("/proc/{pid}/task/{tid}/status"), "TracerPid:")
        .filter(|&t| t != 0)
        .and_then(|t| libc::pid_t::try_from(t).ok());
    let self_filtered = status_field("/proc/self/status", "Seccomp:") != Some(0);
    classify(pid, step, e, tracer, self_filtered)
}

/// A numeric field of a `/proc/.../status` file.
fn status_field(path: &str, name: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(name))?
        .trim()
        .parse()
        .ok()
}

/// The seccomp mode of thread `tid` of process `pid` (the `Seccomp` field of
/// its `/proc` status; `tid == pid` for the main thread). Needs no privilege.
pub fn thread_mode(pid: libc::pid_t, tid: libc::pid_t) -> io::Result<Mode> {
    let raw = status_field(&format!("/proc/{pid}/task/{tid}/status"), "Seccomp:")
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no Seccomp field in its status"))?;
    u32::try_from(raw)
        .ok()
        .and_then(Mode::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unknown mode {raw}")))
}

/// The ABI of process `pid`'s executable, from its ELF header (`/proc/PID/exe`):
/// machine, class and byte order give the audit arch (x86_64's 32-bit class
/// is x32). `None` when it cannot be read or is no ELF file of an ABI
/// seccompy knows.
#[must_use]
pub fn exe_abi(pid: libc::pid_t) -> Option<Abi> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(format!("/proc/{pid}/exe"))
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..4] != b"\x7fELF" {
        return None;
    }
    let wide = header[4] == 2;
    let little = header[5] == 1;
    let machine = if little {
        u16::from_le_bytes([header[18], header[19]])
    } else {
        u16::from_be_bytes([header[18], header[19]])
    };
    if u32::from(machine) == libc::EM_X86_64 as u32 && !wide {
        return Some(Abi::X32);
    }
    let mut arch = u32::from(machine);
    if wide {
        arch |= seccompy_sys::__AUDIT_ARCH_64BIT;
    }
    if little {
        arch |= seccompy_sys::__AUDIT_ARCH_LE;
    }
    Abi::ALL
        .iter()
        .copied()
        .find(|a| a.audit_arch() == arch && *a != Abi::X32)
}

/// Every filter of thread `tid` of process `pid` (`tid == pid` for the main
/// thread), the first installed first: the kernel runs them all on every call,
/// newest first. The thread is stopped for the time of the reading and let go
/// after. A thread without filters has none (an empty list).
pub fn thread_filters(
    pid: libc::pid_t,
    tid: libc::pid_t,
) -> Result<Vec<ThreadFilter>, InspectError> {
    let _stopped = Stopped::attach(tid, pid)?;
    let mut filters = Vec::new();
    // A u32 whatever the width of `c_ulong`: a thread has far fewer filters
    // (their instructions add up to at most 32768, MAX_INSNS_PER_PATH).
    for index in 0u32.. {
        // SAFETY: a null buffer asks only for the filter's length.
        let n = unsafe { raw::ptrace_seccomp_get_filter(tid, index.into(), std::ptr::null_mut()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::ENOENT) => break,
                // A thread without any filter says EINVAL.
                Some(libc::EINVAL) if index == 0 => break,
                Some(libc::EMEDIUMTYPE) => {
                    return Err(InspectError::NotClassic {
                        pid,
                        number: u64::from(index) + 1,
                    });
                }
                _ => return Err(refused(pid, tid, Step::GetFilter, e)),
            }
        }
        let len = usize::try_from(n)
            .unwrap_or(0)
            .min(seccompy_sys::BPF_MAXINSNS);
        let mut insns = vec![sock_filter::default(); len];
        // SAFETY: `insns` has room for the `n` instructions the kernel reported
        // (at most BPF_MAXINSNS); the filter cannot change while the thread
        // is stopped.
        let got = unsafe { raw::ptrace_seccomp_get_filter(tid, index.into(), insns.as_mut_ptr()) };
        if got < 0 {
            return Err(refused(
                pid,
                tid,
                Step::GetFilter,
                io::Error::last_os_error(),
            ));
        }
        insns.truncate(usize::try_from(got).unwrap_or(0));
        let mut meta = seccomp_metadata {
            filter_off: u64::from(index),
            flags: 0,
        };
        // SAFETY: `meta` is a valid seccomp_metadata on the stack.
        let flags = if unsafe { raw::ptrace_seccomp_get_metadata(tid, &mut meta) } < 0 {
            0
        } else {
            meta.flags
        };
        filters.push(ThreadFilter { insns, flags });
    }
    // The kernel's index 0 is the first installed (`get_nth_filter` in
    // kernel/seccomp.c counts back from the newest by the number of filters
    // less the index).
    Ok(filters)
}

/// A thread stopped by this process with `PTRACE_SEIZE` and `PTRACE_INTERRUPT`,
/// let go on drop.
struct Stopped(libc::pid_t);

impl Stopped {
    fn attach(tid: libc::pid_t, pid: libc::pid_t) -> Result<Self, InspectError> {
        // SAFETY: PTRACE_SEIZE with no options touches no memory of ours.
        if unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0usize, 0usize) } < 0 {
            return Err(refused(pid, tid, Step::Attach, io::Error::last_os_error()));
        }
        let stopped = Stopped(tid);
        // SAFETY: as above, for a tracee of ours.
        if unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0usize, 0usize) } < 0 {
            return Err(refused(pid, tid, Step::Attach, io::Error::last_os_error()));
        }
        let mut status = 0;
        loop {
            // SAFETY: `status` is a valid int; __WALL waits for a thread tracee.
            let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
            if r >= 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(refused(pid, tid, Step::Attach, e));
            }
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            return Err(InspectError::Exited { pid });
        }
        Ok(stopped)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: detaching our tracee, no memory involved.
        unsafe { libc::ptrace(libc::PTRACE_DETACH, self.0, 0usize, 0usize) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_their_cause() {
        let err = io::Error::from_raw_os_error;
        let m = classify(7, Step::Attach, err(libc::EPERM), Some(3), false).to_string();
        assert!(
            m.starts_with("process 7 is already traced by process 3"),
            "{m}"
        );
        let m = classify(7, Step::Attach, err(libc::EPERM), None, false).to_string();
        assert!(m.starts_with("no ptrace access to process 7: "), "{m}");
        assert!(!m.contains("CAP_SYS_ADMIN"), "{m}");
        let m = classify(7, Step::GetFilter, err(libc::EACCES), None, true).to_string();
        assert!(
            m.starts_with("this process runs under a seccomp filter itself"),
            "{m}"
        );
        let m = classify(7, Step::GetFilter, err(libc::EACCES), None, false).to_string();
        assert!(
            m.starts_with("reading the filters of process 7 needs CAP_SYS_ADMIN: "),
            "{m}"
        );
        let m = classify(7, Step::Attach, err(libc::ESRCH), None, false).to_string();
        assert_eq!(m, "no process 7 (or it exited)");
    }

    #[test]
    fn modes_and_executables() {
        let me = std::process::id() as libc::pid_t;
        let mode = thread_mode(me, me).unwrap();
        assert_eq!(mode, crate::mode().unwrap());
        assert_eq!(exe_abi(me), Abi::host());
        assert!(thread_mode(me, 0).is_err());
    }

    #[test]
    fn a_child_without_filters_has_none() {
        // The kernel checks CAP_SYS_ADMIN before it looks for filters.
        // SAFETY: geteuid takes no argument and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let got = thread_filters(pid, pid);
        let _ = child.kill();
        let _ = child.wait();
        match got {
            Ok(filters) if root => assert!(filters.is_empty()),
            Err(InspectError::NeedsCapSysAdmin { pid: p, .. }) if !root => assert_eq!(p, pid),
            other => panic!("root: {root}: {other:?}"),
        }
    }
}
