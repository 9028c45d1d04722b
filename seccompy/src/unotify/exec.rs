//! Running a program under a filter whose every call, `execve` included, may
//! go to the listener: [`spawn_exec`].
//!
//! [`spawn()`](super::spawn()) runs a [`std::process::Command`], whose `spawn`
//! returns only once the child has called `execve`: a filter that sends
//! `execve` (or the hand-off's `sendmsg` and `close`) to the listener would wait
//! for a supervisor that cannot exist yet. Here the child makes no system call
//! between the installation and `execve`: it installs the filter with a
//! listener, publishes the listener's fd number in memory shared with the
//! parent (an anonymous `MAP_SHARED` page), and spins on that page until the
//! parent has copied the listener with `pidfd_getfd(2)`. `spawn_exec` returns
//! then, before `execve`, which the filter sees like any other call.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use seccompy_sys::{BPF_MAXINSNS, raw, sock_filter};

use super::listener::Listener;
use crate::command::SeccompOptions;
use crate::flags::FilterFlags;
use crate::install::{SetFilterError, install};

/// The exit status of a child whose preparation or `execve` failed (the
/// shell's "cannot execute").
pub const EXEC_FAILED: i32 = 126;

/// How long the parent waits for the child to install its filter.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The child's steps, as it reports a failure.
const STEP_PREPARE: i32 = 1;
const STEP_NO_NEW_PRIVS: i32 = 2;
const STEP_INSTALL: i32 = 3;
const STEP_EXEC: i32 = 4;

/// The page's states (it starts zeroed: 0, waiting).
const READY: i32 = 1;
const FAILED: i32 = 2;
const TAKEN: i32 = 3;

/// What the child publishes.
#[repr(C)]
struct Shared {
    /// 0 waiting, [`READY`] (`value` is the listener's fd), [`FAILED`]
    /// (`value` is the errno, `step` the step), [`TAKEN`] (the parent has the
    /// listener).
    state: AtomicI32,
    value: AtomicI32,
    step: AtomicI32,
}

/// A child started by [`spawn_exec`], about to call `execve`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExecChild {
    /// The child's process id. It is this process's child: reap it
    /// (`waitpid(2)`); until then the number stays its own.
    pub pid: libc::pid_t,
    /// The listener of the child's filter, with synchronous wake-up on where
    /// the kernel has it. Supervise it at once: `execve` may be waiting.
    pub listener: Listener,
    /// Where the child reports a failed `execve`.
    pub exec: ExecReport,
}

/// Where the child of [`spawn_exec`] reports a failed `execve` (it then exits
/// with [`EXEC_FAILED`]).
#[derive(Debug)]
pub struct ExecReport {
    page: SharedPage,
}

impl ExecReport {
    /// Why the child's `execve` failed, once the child has exited; `None` if
    /// it did not fail (or has not failed yet).
    #[must_use]
    pub fn error(&self) -> Option<io::Error> {
        let shared = self.page.shared();
        (shared.state.load(Ordering::SeqCst) == FAILED
            && shared.step.load(Ordering::SeqCst) == STEP_EXEC)
            .then(|| io::Error::from_raw_os_error(shared.value.load(Ordering::SeqCst)))
    }
}

/// Why [`spawn_exec`] started no child (the child it forked, if any, is killed
/// and reaped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The program is empty or longer than `BPF_MAXINSNS`.
    #[error("a seccomp program has 1 to 4096 instructions, not {len}")]
    Length {
        /// Its length.
        len: usize,
    },
    /// The shared page, `fork(2)`, `pidfd_open(2)` (Linux 5.3) or
    /// `pidfd_getfd(2)` (Linux 5.6, and ptrace access to the child) failed.
    #[error("cannot start the child and take its listener: {what}")]
    Start {
        /// The failing step.
        what: &'static str,
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The caller's preparation failed in the child.
    #[error("the child's preparation failed")]
    Prepare {
        /// Its error.
        #[source]
        source: io::Error,
    },
    /// The child could not set `no_new_privs`.
    #[error("the child could not set no_new_privs")]
    NoNewPrivs {
        /// The kernel's error.
        #[source]
        source: io::Error,
    },
    /// The child could not install the filter; [`SetFilterError::ListenerBusy`]
    /// when the caller already runs under a filter with a listener (one per
    /// chain).
    #[error("the child could not install the filter")]
    Install {
        /// The installation's error.
        #[source]
        source: SetFilterError,
    },
    /// The child did not install its filter within 10 s.
    #[error("the child did not install its filter within 10 s")]
    Timeout,
}

/// Forks a child that runs `prepare`, sets `no_new_privs` if `options` asks,
/// installs `program` with a listener, and calls `execve(path, argv, environ)`;
/// returns once the parent holds the listener, before `execve`.
///
/// Between the installation and `execve` the child makes no system call, so
/// `program` may send any call to the listener, `execve` included: supervise
/// the listener at once. If `execve` fails, the child exits with
/// [`EXEC_FAILED`] and [`ExecReport::error`] says why; its `exit_group` is a
/// call like any other. The child's environment is the caller's.
///
/// # Safety
/// `prepare` runs in the forked child, where only async-signal-safe work is
/// allowed when the caller has other threads (no allocation, no lock): as for
/// [`CommandExt::pre_exec`](std::os::unix::process::CommandExt::pre_exec).
///
/// # Errors
/// See [`ExecError`].
///
/// # References
/// - [`pidfd_getfd(2)`](https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html)
/// - [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
/// - [`seccomp_unotify(2)`](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html)
pub unsafe fn spawn_exec<P, F>(
    path: &CStr,
    argv: &[CString],
    program: P,
    options: SeccompOptions,
    mut prepare: F,
) -> Result<ExecChild, ExecError>
where
    P: AsRef<[sock_filter]>,
    F: FnMut() -> io::Result<()>,
{
    let program = program.as_ref();
    if program.is_empty() || program.len() > BPF_MAXINSNS {
        return Err(ExecError::Length { len: program.len() });
    }
    let flags = options.flags | FilterFlags::NEW_LISTENER;
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let page = SharedPage::new().map_err(|source| ExecError::Start {
        what: "mmap",
        source,
    })?;
    // SAFETY: the child only makes async-signal-safe calls (the caller's
    // `prepare`, prctl, seccomp, execve, _exit) and touches memory prepared
    // before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(ExecError::Start {
            what: "fork",
            source: io::Error::last_os_error(),
        });
    }
    if pid == 0 {
        child(
            page.shared(),
            path,
            &ptrs,
            program,
            options.no_new_privs,
            flags,
            &mut prepare,
        );
    }
    match take_listener(pid, page.shared(), flags) {
        Ok(listener) => Ok(ExecChild {
            pid,
            listener: Listener::new(listener),
            exec: ExecReport { page },
        }),
        Err(e) => {
            kill_and_reap(pid);
            Err(e)
        }
    }
}

impl ExecChild {
    /// Kills the child with `SIGKILL` and reaps it, for a caller that cannot
    /// go on with it (its listener is closed too).
    ///
    /// # References
    /// - [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html)
    /// - [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html)
    #[doc(alias = "kill")]
    pub fn abort(self) {
        kill_and_reap(self.pid);
    }
}

/// Kills our unreaped child `pid` and reaps it.
fn kill_and_reap(pid: libc::pid_t) {
    // SAFETY: our own child, unreaped (so the number is its own): killed and
    // reaped; no memory is involved.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        while libc::waitpid(pid, std::ptr::null_mut(), 0) < 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
}

/// The child's side. Never returns.
fn child(
    shared: &Shared,
    path: &CStr,
    argv: &[*const libc::c_char],
    program: &[sock_filter],
    no_new_privs: bool,
    flags: FilterFlags,
    prepare: &mut dyn FnMut() -> io::Result<()>,
) -> ! {
    let fail = |step: i32, errno: i32| -> ! {
        shared.value.store(errno, Ordering::SeqCst);
        shared.step.store(step, Ordering::SeqCst);
        shared.state.store(FAILED, Ordering::SeqCst);
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(EXEC_FAILED) }
    };
    let last_errno = || {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    };
    if let Err(e) = prepare() {
        fail(STEP_PREPARE, e.raw_os_error().unwrap_or(libc::EIO));
    }
    // SAFETY: no memory is involved; the bit is what the caller asked for.
    if no_new_privs && unsafe { raw::prctl_set_no_new_privs() } != 0 {
        fail(STEP_NO_NEW_PRIVS, last_errno());
    }
    let listener = match install(flags, program) {
        Ok(Some(fd)) => fd,
        Ok(None) => fail(STEP_INSTALL, libc::EBADF),
        Err(e) => fail(STEP_INSTALL, install_errno(&e)),
    };
    shared.value.store(listener.as_raw_fd(), Ordering::SeqCst);
    shared.state.store(READY, Ordering::SeqCst);
    // No system call from here: the filter is in force. Wait for the copy.
    while shared.state.load(Ordering::SeqCst) != TAKEN {
        std::hint::spin_loop();
    }
    // Closing would be a system call: `execve` closes it (close-on-exec).
    std::mem::forget(listener);
    unsafe extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: `path` and `argv` are valid and null-terminated; `environ` is the
    // process's environment, unchanged since the fork.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), environ) };
    fail(STEP_EXEC, last_errno())
}

/// The errno of a failed installation, without allocating.
fn install_errno(e: &SetFilterError) -> i32 {
    match e {
        SetFilterError::Tsync { .. } => libc::ESRCH,
        e => e.raw_os_error().unwrap_or(libc::EINVAL),
    }
}

/// The parent's side: waits for the child's listener and copies it.
fn take_listener(
    pid: libc::pid_t,
    shared: &Shared,
    flags: FilterFlags,
) -> Result<OwnedFd, ExecError> {
    let start = Instant::now();
    loop {
        match shared.state.load(Ordering::SeqCst) {
            READY => break,
            FAILED => {
                let source = io::Error::from_raw_os_error(shared.value.load(Ordering::SeqCst));
                return Err(match shared.step.load(Ordering::SeqCst) {
                    STEP_PREPARE => ExecError::Prepare { source },
                    STEP_NO_NEW_PRIVS => ExecError::NoNewPrivs { source },
                    _ => ExecError::Install {
                        source: SetFilterError::from_errno(
                            source.raw_os_error().unwrap_or(libc::EINVAL),
                            flags,
                        ),
                    },
                });
            }
            _ if start.elapsed() > INSTALL_TIMEOUT => return Err(ExecError::Timeout),
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    let start_err = |what| ExecError::Start {
        what,
        source: io::Error::last_os_error(),
    };
    // SAFETY: no memory is involved; `pid` is our unreaped child.
    let pidfd = unsafe { raw::pidfd_open(pid, 0) };
    if pidfd < 0 {
        return Err(start_err("pidfd_open (Linux 5.3)"));
    }
    // SAFETY: the kernel just returned this fd to us.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let target = shared.value.load(Ordering::SeqCst);
    // SAFETY: no memory is involved; copies the child's fd `target` here.
    let fd = unsafe { raw::pidfd_getfd(pidfd.as_raw_fd(), target) };
    if fd < 0 {
        return Err(start_err(
            "pidfd_getfd (Linux 5.6, ptrace access to the child)",
        ));
    }
    shared.state.store(TAKEN, Ordering::SeqCst);
    // SAFETY: the kernel just installed this fd (close-on-exec) here.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One anonymous page shared between the parent and the child, unmapped when
/// dropped.
#[derive(Debug)]
struct SharedPage(*mut libc::c_void);

// SAFETY: the page holds only atomics, read and written through `&Shared`.
unsafe impl Send for SharedPage {}
// SAFETY: as above.
unsafe impl Sync for SharedPage {}

const PAGE: usize = 4096;
const _: () = assert!(size_of::<Shared>() <= PAGE);

impl SharedPage {
    fn new() -> io::Result<Self> {
        // SAFETY: a fresh anonymous mapping, owned by the returned value.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(SharedPage(p))
    }

    fn shared(&self) -> &Shared {
        // SAFETY: the page is zeroed (every atomic 0), page-aligned, large
        // enough for `Shared` (checked above), and lives as long as `self`.
        unsafe { &*self.0.cast::<Shared>() }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe { libc::munmap(self.0, PAGE) };
    }
}
