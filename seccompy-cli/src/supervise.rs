//! Starting a command under a filter whose notifications come to `seccompy`,
//! without any system call between the installation and `execve` that the
//! filter would have to allow.
//!
//! The child installs the filter with a listener, publishes the listener's fd
//! number in memory shared with the parent (an anonymous `MAP_SHARED` page),
//! and spins on that page until the parent has copied the listener with
//! `pidfd_getfd(2)`; then it calls `execve(2)`, which the filter sees like any
//! other call. Between `fork` and `execve` the child makes only `prctl`,
//! `seccomp` and `execve` (and `_exit` if one fails): the filter need not allow
//! anything for `seccompy`'s sake.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use seccompy::unotify::Listener;
use seccompy::{FilterFlags, set_filter_with_listener, set_no_new_privileges};
use seccompy_sys::sock_filter;

use crate::error::{Error, Result};

/// The exit status of a child whose preparation failed (the shell's "cannot
/// execute").
const PREP_FAILED: i32 = 126;

/// What the child publishes: its state, and the listener's fd or an errno.
#[repr(C)]
struct Shared {
    /// 0 waiting, 1 listener ready (`value` is its fd), 2 failed (`value` is the
    /// errno, `step` says which call), 3 the parent has the listener.
    state: AtomicI32,
    value: AtomicI32,
    step: AtomicI32,
}

/// A started child: its pid and the listener of its filter.
pub struct Started {
    /// The child's process id.
    pub pid: libc::pid_t,
    /// The listener of the child's filter.
    pub listener: Listener,
}

/// Resolves a command name through `PATH` as `execvp` would.
pub fn find_program(cmd: &OsStr) -> Result<PathBuf> {
    let name = Path::new(cmd);
    let executable = |p: &Path| {
        CString::new(p.as_os_str().as_bytes()).is_ok_and(|c| {
            // SAFETY: `c` is a valid C string.
            unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
        }) && p.is_file()
    };
    if cmd.as_bytes().contains(&b'/') {
        return if executable(name) {
            Ok(name.to_path_buf())
        } else {
            Err(Error::new(format!(
                "cannot run {}: not an executable file",
                name.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
        .ok_or_else(|| Error::new(format!("command not found: {}", name.display())))
}

/// Starts `argv` (the program at `program`) with `filter` installed (with
/// `flags` besides the listener's) and `no_new_privs` set; the caller
/// supervises the listener and reaps the pid.
pub fn start(
    program: &Path,
    argv: &[CString],
    filter: &[sock_filter],
    flags: FilterFlags,
) -> Result<Started> {
    let path = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| Error::new("the command's path holds a NUL byte"))?;
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let page = SharedPage::new()?;
    let shared = page.shared();

    // SAFETY: the child below only makes async-signal-safe calls (prctl,
    // seccomp, execve, _exit) and touches memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::new(format!(
            "cannot start the command: {}",
            io::Error::last_os_error()
        )));
    }
    if pid == 0 {
        child(shared, &path, &ptrs, filter, flags);
    }
    match wait_for_listener(pid, shared) {
        Ok(listener) => Ok(Started { pid, listener }),
        Err(e) => {
            // SAFETY: our own child, killed and reaped.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            Err(e)
        }
    }
}

/// The child's side. Never returns.
fn child(
    shared: &Shared,
    path: &CStr,
    argv: &[*const libc::c_char],
    filter: &[sock_filter],
    flags: FilterFlags,
) -> ! {
    let fail = |step: i32, errno: i32| -> ! {
        shared.value.store(errno, Ordering::SeqCst);
        shared.step.store(step, Ordering::SeqCst);
        shared.state.store(2, Ordering::SeqCst);
        // SAFETY: ends the child without running the parent's atexit handlers.
        unsafe { libc::_exit(PREP_FAILED) }
    };
    if set_no_new_privileges().is_err() {
        fail(
            1,
            io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EPERM),
        );
    }
    let listener = match set_filter_with_listener(flags, filter) {
        Ok(fd) => fd,
        Err(e) => fail(2, e.raw_os_error().unwrap_or(libc::EINVAL)),
    };
    shared
        .value
        .store(std::os::fd::AsRawFd::as_raw_fd(&listener), Ordering::SeqCst);
    shared.state.store(1, Ordering::SeqCst);
    // No system call here: the filter is in force. Wait for the parent's copy.
    while shared.state.load(Ordering::SeqCst) != 3 {
        std::hint::spin_loop();
    }
    // The listener is close-on-exec: execve closes the child's copy.
    std::mem::forget(listener);
    unsafe extern "C" {
        static environ: *const *const libc::c_char;
    }
    // SAFETY: `path` and `argv` are valid and null-terminated; `environ` is the
    // process's environment, unchanged since the fork.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), environ) };
    fail(
        3,
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::ENOEXEC),
    )
}

/// The parent's side: waits for the child's listener and copies it.
fn wait_for_listener(pid: libc::pid_t, shared: &Shared) -> Result<Listener> {
    let start = Instant::now();
    loop {
        match shared.state.load(Ordering::SeqCst) {
            1 => break,
            2 => {
                let errno = shared.value.load(Ordering::SeqCst);
                let what = match shared.step.load(Ordering::SeqCst) {
                    1 => "set no_new_privs",
                    _ => "install the filter",
                };
                return Err(Error::new(format!(
                    "the command could not {what}: {}",
                    io::Error::from_raw_os_error(errno)
                )));
            }
            _ if start.elapsed() > Duration::from_secs(10) => {
                return Err(Error::new("the command did not install its filter in 10 s"));
            }
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    let target = shared.value.load(Ordering::SeqCst);
    // SAFETY: pidfd_open on our own unreaped child; no memory involved.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        return Err(Error::new(format!(
            "pidfd_open: {} (needs Linux 5.6)",
            io::Error::last_os_error()
        )));
    }
    // SAFETY: the kernel just returned this fd to us.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as i32) };
    // SAFETY: pidfd_getfd copies the child's fd `target` into this process.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_pidfd_getfd,
            std::os::fd::AsRawFd::as_raw_fd(&pidfd),
            target,
            0,
        )
    };
    if fd < 0 {
        return Err(Error::new(format!(
            "cannot take the command's seccomp listener (pidfd_getfd, Linux 5.6): {}",
            io::Error::last_os_error()
        )));
    }
    shared.state.store(3, Ordering::SeqCst);
    // SAFETY: the kernel just installed this fd (close-on-exec) in this process.
    Ok(Listener::from(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
}

/// One anonymous page shared between the parent and the child.
struct SharedPage(*mut libc::c_void);

impl SharedPage {
    fn new() -> Result<Self> {
        // SAFETY: a fresh anonymous mapping, owned by the returned value.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::new(format!(
                "cannot map a shared page: {}",
                io::Error::last_os_error()
            )));
        }
        Ok(SharedPage(p))
    }

    fn shared(&self) -> &Shared {
        // SAFETY: the page is zeroed (every atomic 0), aligned and large enough
        // for `Shared`, and lives as long as `self`.
        unsafe { &*self.0.cast::<Shared>() }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe { libc::munmap(self.0, 4096) };
    }
}

/// How a waited-for process ended.
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
}

/// Waits for `pid` (retrying `EINTR`).
pub fn wait(pid: libc::pid_t) -> Result<Ended> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid int.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::new(format!("waiting for the command: {e}")));
        }
    }
    Ok(if libc::WIFSIGNALED(status) {
        Ended::Signaled(libc::WTERMSIG(status))
    } else {
        Ended::Exited(libc::WEXITSTATUS(status))
    })
}

/// The command line as C strings.
pub fn c_args(cmd: &OsStr, rest: &[std::ffi::OsString]) -> Result<Vec<CString>> {
    std::iter::once(cmd)
        .chain(rest.iter().map(|a| a.as_os_str()))
        .map(|a| {
            CString::new(a.as_bytes())
                .map_err(|_| Error::new("an argument of the command holds a NUL byte"))
        })
        .collect()
}
