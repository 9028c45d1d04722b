//! Watching a program install its own seccomp filters: [`Watched`].
//!
//! A filter installed by a program is not announced to anyone: ptrace's
//! `PTRACE_O_TRACESECCOMP` reports the *returns* of filters, not their
//! installation, and `PTRACE_SECCOMP_GET_FILTER` reads filters afterwards only
//! with `CAP_SYS_ADMIN`. So, as `seccomp-tools dump` does, the program runs
//! under ptrace with syscall stops, and at the entry of each
//! `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)` and
//! `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog)` the `struct sock_fprog`
//! and its instructions are read from the tracee's memory (with
//! `process_vm_readv(2)`, in the layout of the call's ABI: a 32-bit ABI's
//! `sock_fprog` holds a 32-bit pointer). The call is then held until the next
//! [`Watched::next_install`] (or [`Watched::kill`]), so that a caller that has
//! seen enough can stop the program before the filter is installed.
//!
//! Every thread and child of the program is followed (`PTRACE_O_TRACECLONE`,
//! `TRACEFORK`, `TRACEVFORK`), and all of them are killed if the watching
//! process dies (`PTRACE_O_EXITKILL`). Signals reach the program as usual.
//! ptrace binds tracees to the thread that attached them: a [`Watched`] stays
//! on the thread that spawned it (it is not `Send`), and that thread waits
//! with `waitpid(-1, __WALL | __WNOTHREAD)`, which reaps its own children
//! only: it should start no other child while it watches (other threads'
//! children are left alone).
//!
//! Needs ptrace access to one's own child (Yama's `ptrace_scope` 0 or 1, not
//! 3) and Linux 5.3 (`PTRACE_GET_SYSCALL_INFO`).
//!
//! # References
//! - [`ptrace(2)`](https://man7.org/linux/man-pages/man2/ptrace.2.html)
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
//! - [`process_vm_readv(2)`](https://man7.org/linux/man-pages/man2/process_vm_readv.2.html)

use std::collections::BTreeSet;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use seccompy_sys::prctl::PR_SET_SECCOMP;
use seccompy_sys::ptrace::{PTRACE_SYSCALL_INFO_ENTRY, ptrace_syscall_info};
use seccompy_sys::seccomp::{SECCOMP_MODE_FILTER, SECCOMP_SET_MODE_FILTER};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_MAXINSNS, raw, sock_filter};

/// How a program installs a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`.
    Seccomp,
    /// `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog)`.
    Prctl,
}

/// A filter a watched program is about to install.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Install {
    /// The thread making the call.
    pub tid: libc::pid_t,
    /// The call's `AUDIT_ARCH_*`.
    pub arch: u32,
    /// The call's ABI, if seccompy knows it.
    pub abi: Option<Abi>,
    /// The call it is made with.
    pub via: Via,
    /// The `SECCOMP_FILTER_FLAG_*` flags (0 for `prctl`).
    pub flags: u64,
    /// The program, or `None` when the tracee's `sock_fprog` or its
    /// instructions cannot be read (a bad pointer, a length of 0 or over
    /// [`BPF_MAXINSNS`]: the kernel refuses such a call too).
    pub program: Option<Vec<sock_filter>>,
}

/// How the watched program ended.
pub use crate::foreground::Ended;

/// Why watching failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// An argument holds a NUL byte, or there is none.
    #[error("the program's path and arguments must be non-empty and hold no NUL byte")]
    BadArgument,
    /// `fork`, a pipe, `ptrace` or `waitpid` failed.
    #[error("cannot watch the program: {what}: {source}")]
    Os {
        /// The failing step.
        what: &'static str,
        /// The error.
        source: io::Error,
    },
    /// The program could not be executed (`execve` failed in the child).
    #[error("{0}")]
    Exec(io::Error),
}

fn os(what: &'static str) -> WatchError {
    WatchError::Os {
        what,
        source: io::Error::last_os_error(),
    }
}

/// A program started under ptrace, whose filter installations are reported by
/// [`next_install`](Self::next_install). Dropping it kills the program (every
/// process and thread it started) and reaps it.
#[derive(Debug)]
pub struct Watched {
    pid: libc::pid_t,
    /// Every tracee seen and not yet gone.
    tracees: BTreeSet<libc::pid_t>,
    /// A tracee held at the entry of an install call.
    held: Option<libc::pid_t>,
    /// The read end of the child's close-on-exec pipe: an `execve` failure's errno.
    exec_errors: Option<OwnedFd>,
    ended: Option<Ended>,
    /// Not `Send`: ptrace requests come from the tracer thread only.
    _thread: std::marker::PhantomData<*const ()>,
}

/// How the tracer thread waits: every kind of child, this thread's only.
const WAIT: libc::c_int = libc::__WALL | libc::__WNOTHREAD;

/// `PTRACE_O_*` options: syscall stops marked with `0x80`, exec, clone, fork
/// and vfork events (the new tracees attached), and the tracees killed if the
/// tracer dies.
const OPTIONS: libc::c_int = libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_EXITKILL;

impl Watched {
    /// Starts `path` with `argv` (`argv[0]` first) under ptrace, stopped
    /// before `execve`; its standard output is `stdout` if given (the caller's
    /// otherwise). Nothing runs until [`next_install`](Self::next_install).
    pub fn spawn(
        path: &CStr,
        argv: &[CString],
        stdout: Option<BorrowedFd<'_>>,
    ) -> Result<Watched, WatchError> {
        if argv.is_empty() {
            return Err(WatchError::BadArgument);
        }
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for two fds.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
            return Err(os("pipe2"));
        }
        // SAFETY: pipe2 just gave us these two fds.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let out = stdout.map(|fd| fd.as_raw_fd());
        // SAFETY: the child calls only async-signal-safe functions (ptrace,
        // dup2, raise, execv, write, _exit) on memory prepared before the fork.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os("fork"));
        }
        if pid == 0 {
            // SAFETY: see the fork above; `ptrs` is a null-terminated array of
            // valid C strings, `errno` is read through its location.
            unsafe {
                if let Some(fd) = out
                    && libc::dup2(fd, 1) < 0
                {
                    libc::_exit(125);
                }
                if libc::ptrace(libc::PTRACE_TRACEME, 0, 0usize, 0usize) < 0 {
                    libc::_exit(125);
                }
                libc::raise(libc::SIGSTOP);
                libc::execv(path.as_ptr(), ptrs.as_ptr());
                let errno = *libc::__errno_location();
                libc::write(write.as_raw_fd(), (&raw const errno).cast(), 4);
                libc::_exit(127);
            }
        }
        drop(write);
        let mut watched = Watched {
            pid,
            tracees: BTreeSet::from([pid]),
            held: None,
            exec_errors: Some(read),
            ended: None,
            _thread: std::marker::PhantomData,
        };
        // The child's SIGSTOP before execve.
        let mut status = 0;
        // SAFETY: `status` is a valid int; `pid` is our child.
        if unsafe { libc::waitpid(pid, &mut status, WAIT) } < 0 {
            return Err(os("waitpid"));
        }
        if !libc::WIFSTOPPED(status) {
            watched.tracees.clear();
            return Err(WatchError::Os {
                what: "PTRACE_TRACEME",
                source: io::Error::from_raw_os_error(libc::EPERM),
            });
        }
        // SAFETY: options for our stopped tracee; no memory involved.
        if unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0usize, OPTIONS as usize) } < 0 {
            return Err(os("PTRACE_SETOPTIONS"));
        }
        watched.resume(pid, 0)?;
        Ok(watched)
    }

    /// The program's process id.
    #[must_use]
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// How the program ended, once [`next_install`](Self::next_install) has
    /// returned `None`.
    #[must_use]
    pub fn ended(&self) -> Option<Ended> {
        self.ended
    }

    /// Lets the program run until it is about to install a filter (returned,
    /// the call held until the next call of this method), or until it and
    /// every process it started have ended (`None`; see [`ended`](Self::ended)).
    /// [`WatchError::Exec`] if the program could not be executed.
    pub fn next_install(&mut self) -> Result<Option<Install>, WatchError> {
        if let Some(tid) = self.held.take() {
            self.resume(tid, 0)?;
        }
        loop {
            let mut status = 0;
            // SAFETY: `status` is a valid int.
            let pid = unsafe { libc::waitpid(-1, &mut status, WAIT) };
            if pid < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::ECHILD) => {
                        self.tracees.clear();
                        return Ok(None);
                    }
                    _ => {
                        return Err(WatchError::Os {
                            what: "waitpid",
                            source: e,
                        });
                    }
                }
            }
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                self.tracees.remove(&pid);
                if pid == self.pid {
                    self.ended = Some(Ended::from_wait_status(status));
                    if let Some(e) = self.exec_error() {
                        return Err(WatchError::Exec(e));
                    }
                }
                continue;
            }
            if !libc::WIFSTOPPED(status) {
                continue;
            }
            let sig = libc::WSTOPSIG(status);
            let event = status >> 16;
            if sig == libc::SIGTRAP | 0x80 {
                if let Some(install) = self.install_at(pid) {
                    self.held = Some(pid);
                    return Ok(Some(install));
                }
                self.resume(pid, 0)?;
            } else if event != 0 {
                if event == libc::PTRACE_EVENT_EXEC {
                    // Executed: no failure to read from the pipe any more.
                    self.exec_errors = None;
                    // A thread other than the leader that executes takes the
                    // leader's id: its own is gone, never to be reported.
                    let mut former: libc::c_ulong = 0;
                    // SAFETY: `former` is writable; `pid` is our stopped tracee.
                    let r =
                        unsafe { libc::ptrace(libc::PTRACE_GETEVENTMSG, pid, 0usize, &mut former) };
                    if let Ok(former) = libc::pid_t::try_from(former)
                        && r == 0
                        && former != pid
                    {
                        self.tracees.remove(&former);
                    }
                }
                self.resume(pid, 0)?;
            } else if sig == libc::SIGSTOP && self.tracees.insert(pid) {
                // A new thread or child's first stop.
                self.resume(pid, 0)?;
            } else {
                // SAFETY: an all-zero siginfo is valid storage for the kernel.
                let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
                // SAFETY: `info` is writable; `pid` is our stopped tracee.
                let r = unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO, pid, 0usize, &mut info) };
                // A group-stop (EINVAL) is left; a signal is delivered.
                let deliver = if r < 0 { 0 } else { sig };
                self.resume(pid, deliver)?;
            }
        }
    }

    /// Kills the program and every process and thread it started (they are
    /// reaped by [`next_install`](Self::next_install) or on drop).
    pub fn kill(&mut self) {
        for &tid in &self.tracees {
            // SAFETY: a tracee of ours, not yet reaped, so the id is still its.
            unsafe { libc::kill(tid, libc::SIGKILL) };
        }
        self.held = None;
    }

    /// Continues tracee `tid` to its next syscall stop, delivering `sig`.
    fn resume(&self, tid: libc::pid_t, sig: libc::c_int) -> Result<(), WatchError> {
        // SAFETY: `tid` is our tracee in a stop; no memory involved.
        let r = unsafe { libc::ptrace(libc::PTRACE_SYSCALL, tid, 0usize, sig as usize) };
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
            return Err(os("PTRACE_SYSCALL"));
        }
        Ok(())
    }

    /// The errno of a failed `execve`, from the child's pipe.
    fn exec_error(&mut self) -> Option<io::Error> {
        let fd = self.exec_errors.take()?;
        let mut errno = [0u8; 4];
        // SAFETY: reading 4 bytes into `errno`.
        let n = unsafe { libc::read(fd.as_raw_fd(), errno.as_mut_ptr().cast(), 4) };
        (n == 4).then(|| io::Error::from_raw_os_error(i32::from_ne_bytes(errno)))
    }

    /// The install call tracee `tid` is entering, if it is one.
    fn install_at(&self, tid: libc::pid_t) -> Option<Install> {
        let mut info = ptrace_syscall_info::default();
        // SAFETY: `info` is a writable ptrace_syscall_info; `tid` is stopped.
        if unsafe { raw::ptrace_get_syscall_info(tid, &mut info) } < 0
            || info.op != PTRACE_SYSCALL_INFO_ENTRY
        {
            return None;
        }
        let nr = info.data[0] as u32;
        let args = &info.data[1..7];
        let abi = Abi::of_call(info.arch, nr);
        let (via, flags, addr) = match abi.and_then(|a| a.syscall_name(nr))? {
            "seccomp" if args[0] == u64::from(SECCOMP_SET_MODE_FILTER) => {
                (Via::Seccomp, args[1], args[2])
            }
            "prctl"
                if args[0] as u32 == PR_SET_SECCOMP as u32
                    && args[1] as u32 == SECCOMP_MODE_FILTER =>
            {
                (Via::Prctl, 0, args[2])
            }
            _ => return None,
        };
        let wide = abi.is_some_and(Abi::is_64bit);
        Some(Install {
            tid,
            arch: info.arch,
            abi,
            via,
            flags,
            program: read_fprog(tid, addr, wide),
        })
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.tracees.is_empty() {
            return;
        }
        self.kill();
        for &tid in &self.tracees {
            // SAFETY: reaping our own killed tracees.
            unsafe { libc::waitpid(tid, std::ptr::null_mut(), WAIT) };
        }
    }
}

/// Reads the `struct sock_fprog` at `addr` in `tid` (with a 64-bit or 32-bit
/// pointer) and its instructions.
fn read_fprog(tid: libc::pid_t, addr: u64, wide: bool) -> Option<Vec<sock_filter>> {
    // { unsigned short len; sock_filter *filter; }: the pointer is aligned.
    let (size, ptr_at) = if wide { (16, 8) } else { (8, 4) };
    let mut header = [0u8; 16];
    read_memory(tid, addr, &mut header[..size])?;
    let len = usize::from(u16::from_ne_bytes([header[0], header[1]]));
    let ptr = if wide {
        u64::from_ne_bytes(header[ptr_at..ptr_at + 8].try_into().ok()?)
    } else {
        u64::from(u32::from_ne_bytes(
            header[ptr_at..ptr_at + 4].try_into().ok()?,
        ))
    };
    if len == 0 || len > BPF_MAXINSNS {
        return None;
    }
    let mut bytes = vec![0u8; len * 8];
    read_memory(tid, ptr, &mut bytes)?;
    Some(
        bytes
            .chunks_exact(8)
            .map(|c| sock_filter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect(),
    )
}

/// Fills `buf` from address `addr` of process `tid`; `None` unless all of it
/// could be read.
fn read_memory(tid: libc::pid_t, addr: u64, buf: &mut [u8]) -> Option<()> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: usize::try_from(addr).ok()? as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` covers `buf`, writable; the remote address is only read
    // by the kernel, in the other process.
    let n = unsafe { libc::process_vm_readv(tid, &local, 1, &remote, 1, 0) };
    (usize::try_from(n).ok()? == buf.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::sock_fprog;

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    #[test]
    fn a_program_without_filters_runs_to_its_end() {
        let mut w = Watched::spawn(&c("/bin/sh"), &[c("sh"), c("-c"), c("exit 3")], None).unwrap();
        assert_eq!(w.next_install().unwrap(), None);
        assert_eq!(w.ended(), Some(Ended::Exited(3)));
    }

    #[test]
    fn an_exec_failure_is_its_errno() {
        let mut w = Watched::spawn(&c("/nonexistent/program"), &[c("program")], None).unwrap();
        match w.next_install() {
            Err(WatchError::Exec(e)) => assert_eq!(e.raw_os_error(), Some(libc::ENOENT)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Watched::spawn(&c("/bin/true"), &[], None),
            Err(WatchError::BadArgument)
        ));
    }

    #[test]
    fn a_sock_fprog_is_read_in_the_callers_layout() {
        let insns = [
            sock_filter {
                code: 0x20,
                jt: 1,
                jf: 2,
                k: 4,
            },
            sock_filter {
                code: 0x06,
                jt: 0,
                jf: 0,
                k: 0x7fff_0000,
            },
        ];
        let fprog = sock_fprog {
            len: 2,
            filter: insns.as_ptr().cast_mut(),
        };
        let me = std::process::id() as libc::pid_t;
        let addr = (&raw const fprog) as u64;
        assert_eq!(
            read_fprog(me, addr, cfg!(target_pointer_width = "64")),
            Some(insns.to_vec())
        );
        // A 32-bit ABI's layout: the pointer at offset 4.
        let ptr32 = u32::try_from(insns.as_ptr() as usize).ok();
        if let Some(ptr) = ptr32 {
            let mut compat = [0u8; 8];
            compat[..2].copy_from_slice(&2u16.to_ne_bytes());
            compat[4..].copy_from_slice(&ptr.to_ne_bytes());
            assert_eq!(
                read_fprog(me, compat.as_ptr() as u64, false),
                Some(insns.to_vec())
            );
        }
        // A bad pointer or length: nothing.
        assert_eq!(read_fprog(me, 8, true), None);
        let empty = sock_fprog {
            len: 0,
            filter: insns.as_ptr().cast_mut(),
        };
        assert_eq!(read_fprog(me, (&raw const empty) as u64, true), None);
    }
}
