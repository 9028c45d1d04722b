//! Filters for a child process, installed between `fork` and `exec`:
//! [`CommandSeccompExt`].
//!
//! The hook that [`CommandSeccompExt::seccomp`] adds to a
//! [`Command`] runs in the child after `fork`, where only
//! async-signal-safe work is allowed: it sets `no_new_privs` and installs the
//! precompiled program with two system calls, building `sock_fprog` on the stack.
//! It allocates nothing and takes no lock. With a user-notification listener, the
//! child sends the listener to the parent over a socket pair with `SCM_RIGHTS`
//! (`sendmsg(2)` is async-signal-safe) before `exec`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use seccompy_bpf::outcomes::possible_returns;
use seccompy_sys::{SECCOMP_RET_ACTION_FULL, SECCOMP_RET_USER_NOTIF, raw, sock_filter};

use crate::flags::FilterFlags;
use crate::install::{SetFilterError, install};

/// How [`CommandSeccompExt`] installs a program in the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeccompOptions {
    /// The flags to install the filter with. [`FilterFlags::NEW_LISTENER`] is
    /// only accepted by [`CommandSeccompExt::spawn_with_listener`], which adds it
    /// anyway.
    pub flags: FilterFlags,
    /// Set the child's `no_new_privs` bit first, which an unprivileged parent
    /// needs to install a filter at all. Default: `true`.
    pub no_new_privs: bool,
}

impl Default for SeccompOptions {
    fn default() -> Self {
        Self {
            flags: FilterFlags::empty(),
            no_new_privs: true,
        }
    }
}

impl SeccompOptions {
    /// The default options with these flags.
    #[must_use]
    pub fn with_flags(flags: FilterFlags) -> Self {
        Self {
            flags,
            ..Self::default()
        }
    }
}

/// The calls the child of [`CommandSeccompExt::spawn_with_listener`] makes
/// under its filter before `exec` returns in the parent: the hand-off of the
/// listener (`sendmsg(2)`, or `socketcall(2)` on ABIs that multiplex it, then
/// `close(2)`), `execve(2)`, and, if `execve` fails, the report of the error
/// (`write(2)`) and `exit_group(2)`.
const BEFORE_EXEC: [&str; 6] = [
    "sendmsg",
    "socketcall",
    "close",
    "execve",
    "write",
    "exit_group",
];

/// A program refused by [`CommandSeccompExt::spawn_with_listener`] and
/// [`unotify::spawn`](crate::unotify::spawn()): it may send a call the child
/// makes before `exec` to the listener, which the parent cannot answer until
/// the spawn has returned, so the spawn would wait forever.
///
/// The check runs the program on each such call of the host's ABI for every
/// argument at once ([`possible_returns`]):
/// a notification that depends on arguments counts. To supervise `execve`
/// (or any of the others), use [`unotify::spawn_exec`](crate::unotify::spawn_exec),
/// whose child makes no system call between the installation and `execve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the filter may send {syscall}(2) to the listener: the child calls it before exec, \
     when nobody can answer yet, so spawning would wait forever"
)]
pub struct NotifiedBeforeExec {
    /// The call.
    pub syscall: &'static str,
}

/// Checks that `program` sends none of the calls of [`BEFORE_EXEC`] to the
/// listener, for the host's ABI (a host seccompy has no table for is not
/// checked).
pub(crate) fn check_before_exec(program: &[sock_filter]) -> Result<(), NotifiedBeforeExec> {
    let Some(abi) = seccompy_sys::syscalls::Abi::host() else {
        return Ok(());
    };
    for syscall in BEFORE_EXEC {
        let Some(nr) = abi.syscall_nr(syscall) else {
            continue;
        };
        let returns = possible_returns(program, abi.audit_arch(), nr);
        if returns.may(|r| r & SECCOMP_RET_ACTION_FULL == SECCOMP_RET_USER_NOTIF) {
            return Err(NotifiedBeforeExec { syscall });
        }
    }
    Ok(())
}

/// A child spawned with a filter whose user notifications go to `listener`.
#[derive(Debug)]
#[non_exhaustive]
pub struct SpawnedWithListener {
    /// The child process.
    pub child: Child,
    /// The listener of the child's filter (close-on-exec): the supervisor reads
    /// notifications from it and answers them.
    pub listener: OwnedFd,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::process::Command {}
}

/// Installs a seccomp filter in a [`Command`]'s child, after `fork` and before
/// `exec`.
///
/// The filter is in force from the hook on, so it must allow what the child does
/// next: `execve(2)` (and, if `exec` fails, `write(2)` and `exit_group(2)` to
/// report it), and with a listener `sendmsg(2)` and `close(2)`. Hooks run in the
/// order they were added: add other `pre_exec` hooks before this one if they need
/// system calls the filter refuses.
///
/// ```no_run
/// use std::process::Command;
///
/// use seccompy::{CommandSeccompExt, Filter, FilterAction, FilterArgs, SeccompOptions};
///
/// let mut filter = Filter::new(FilterArgs {
///     default_action: FilterAction::Allow,
///     ..FilterArgs::default()
/// });
/// filter.add_syscall("ptrace", FilterAction::Errno { errno: libc::EPERM });
/// let status = Command::new("true")
///     .seccomp(filter.compile()?, SeccompOptions::default())
///     .status()?;
/// assert!(status.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// - [`CommandExt::pre_exec`]
/// - [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
/// - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html)
/// - [`unix(7)`, `SCM_RIGHTS`](https://man7.org/linux/man-pages/man7/unix.7.html)
pub trait CommandSeccompExt: sealed::Sealed {
    /// Installs `program` in the child before `exec`, with `no_new_privs` first if
    /// `options` asks.
    ///
    /// If the installation fails, [`Command::spawn`] fails with the errno of the
    /// failing call (`EINVAL` for a program of a bad length or for
    /// [`FilterFlags::NEW_LISTENER`], which needs
    /// [`spawn_with_listener`](Self::spawn_with_listener)).
    fn seccomp<P>(&mut self, program: P, options: SeccompOptions) -> &mut Self
    where
        P: AsRef<[sock_filter]> + Send + Sync + 'static;

    /// Spawns the command with `program` installed in the child with
    /// [`FilterFlags::NEW_LISTENER`], and returns the child and the listener.
    ///
    /// The child sends its listener to the parent over a socket pair before
    /// `exec`, so the parent holds the listener once this returns. The hook stays
    /// on the command and refuses to run again (`EBADF`): spawn such a command
    /// only once.
    ///
    /// The program must not send to the listener what the child calls before
    /// `exec`: `sendmsg(2)` and `close(2)` (the hand-off), `execve(2)`, and
    /// `write(2)` and `exit_group(2)` (the report of a failed `execve`). Nobody
    /// can answer them yet, and the spawn would wait forever: such a program
    /// is refused before anything is spawned.
    ///
    /// # Errors
    /// An [`io::ErrorKind::InvalidInput`] error holding a
    /// [`NotifiedBeforeExec`] (see [`io::Error::get_ref`]) for a program that
    /// may notify one of those calls; the errors of [`Command::spawn`],
    /// including the errno of a failed installation in the child, and of
    /// receiving the listener (the child is then killed and reaped).
    fn spawn_with_listener<P>(
        &mut self,
        program: P,
        options: SeccompOptions,
    ) -> io::Result<SpawnedWithListener>
    where
        P: AsRef<[sock_filter]> + Send + Sync + 'static;
}

impl CommandSeccompExt for Command {
    fn seccomp<P>(&mut self, program: P, options: SeccompOptions) -> &mut Self
    where
        P: AsRef<[sock_filter]> + Send + Sync + 'static,
    {
        let hook = move || -> io::Result<()> {
            if options.flags.contains(FilterFlags::NEW_LISTENER) {
                return Err(io::Error::from_raw_os_error(libc::EINVAL));
            }
            prepare(options)?;
            install(options.flags, program.as_ref()).map_err(into_io)?;
            Ok(())
        };
        // SAFETY: the hook only makes async-signal-safe system calls (prctl,
        // seccomp) and builds everything on the stack; it neither allocates nor
        // locks, and its errors are plain errnos.
        unsafe { self.pre_exec(hook) }
    }

    fn spawn_with_listener<P>(
        &mut self,
        program: P,
        options: SeccompOptions,
    ) -> io::Result<SpawnedWithListener>
    where
        P: AsRef<[sock_filter]> + Send + Sync + 'static,
    {
        check_before_exec(program.as_ref())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let (parent_end, child_end) = UnixStream::pair()?;
        // The child's end, for the hook; -1 once this spawn is over, so that a
        // later spawn of the same command cannot use a stale fd number.
        let slot = Arc::new(AtomicI32::new(child_end.as_raw_fd()));
        let hook_slot = Arc::clone(&slot);
        let flags = options.flags | FilterFlags::NEW_LISTENER;
        let hook = move || -> io::Result<()> {
            let sock = hook_slot.load(Ordering::SeqCst);
            if sock < 0 {
                return Err(io::Error::from_raw_os_error(libc::EBADF));
            }
            prepare(options)?;
            let listener = install(flags, program.as_ref())
                .map_err(into_io)?
                .ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))?;
            send_fd(sock, listener.as_raw_fd())
            // `listener` is closed here; the parent holds its copy.
        };
        // SAFETY: the hook makes only async-signal-safe system calls (prctl,
        // seccomp, sendmsg, close), reads an atomic, and builds everything on the
        // stack; it neither allocates nor locks, and its errors are plain errnos.
        unsafe { self.pre_exec(hook) };
        let spawned = self.spawn();
        slot.store(-1, Ordering::SeqCst);
        // Close our copy of the child's end: if the child is gone, reading gives EOF.
        drop(child_end);
        let mut child = spawned?;
        match recv_fd(&parent_end) {
            Ok(listener) => Ok(SpawnedWithListener { child, listener }),
            Err(e) => {
                // Without its listener, the child's notified calls would wait forever.
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }
}

/// The part of a hook before the installation. Async-signal-safe.
fn prepare(options: SeccompOptions) -> io::Result<()> {
    // SAFETY: no memory is involved; setting the bit is what the caller asked for.
    if options.no_new_privs && unsafe { raw::prctl_set_no_new_privs() } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Turns an installation error into a plain errno, without allocating.
fn into_io(e: SetFilterError) -> io::Error {
    let errno = match e {
        SetFilterError::Tsync { .. } => libc::ESRCH,
        e => e.raw_os_error().unwrap_or(libc::EINVAL),
    };
    io::Error::from_raw_os_error(errno)
}

/// Room for one `cmsghdr` carrying one fd, aligned as `cmsghdr` needs.
#[repr(C, align(8))]
struct CmsgBuf([u8; 32]);

// SAFETY: CMSG_SPACE is pure arithmetic on its argument.
const FD_SPACE: usize = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
const _: () = assert!(FD_SPACE <= size_of::<CmsgBuf>());

/// A `msghdr` for one byte (`iov`) and `control` bytes of `buf` for the
/// ancillary data; on the stack, so async-signal-safe.
fn one_byte_message(iov: &mut libc::iovec, buf: &mut CmsgBuf, control: usize) -> libc::msghdr {
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.0.as_mut_ptr().cast();
    msg.msg_controllen = control as _;
    msg
}

/// Sends `fd` over the socket `sock` with `SCM_RIGHTS`. Async-signal-safe: one
/// `sendmsg(2)`, everything on the stack.
fn send_fd(sock: RawFd, fd: RawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: byte.len(),
    };
    let mut buf = CmsgBuf([0; 32]);
    let msg = one_byte_message(&mut iov, &mut buf, FD_SPACE);
    // SAFETY: `msg` describes `buf`, which has room for one header with one fd
    // (FD_SPACE bytes, checked above), so CMSG_FIRSTHDR is non-null and CMSG_DATA
    // points inside `buf`.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
        libc::CMSG_DATA(cmsg).cast::<RawFd>().write_unaligned(fd);
    }
    loop {
        // SAFETY: `msg` and everything it points to live across the call.
        let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
        if n == 1 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if n < 0 && e.raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return Err(if n < 0 {
            e
        } else {
            io::Error::from_raw_os_error(libc::EIO)
        });
    }
}

/// Receives one fd sent by [`send_fd`], close-on-exec.
fn recv_fd(sock: &UnixStream) -> io::Result<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: byte.len(),
    };
    let mut buf = CmsgBuf([0; 32]);
    let mut msg = one_byte_message(&mut iov, &mut buf, size_of::<CmsgBuf>());
    let n = loop {
        // SAFETY: `msg` and everything it points to live across the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n;
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    };
    // Take every fd that arrived, so that none leaks, then check the message.
    let mut received: Option<OwnedFd> = None;
    let mut extra = false;
    // SAFETY: the kernel filled `msg_control` with `msg_controllen` bytes of
    // well-formed headers; the CMSG_* functions walk them within that length.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg);
                let bytes =
                    ((*cmsg).cmsg_len as usize).saturating_sub(data as usize - cmsg as usize);
                for i in 0..bytes / size_of::<RawFd>() {
                    let fd = data.cast::<RawFd>().add(i).read_unaligned();
                    let owned = OwnedFd::from_raw_fd(fd);
                    if received.is_none() {
                        received = Some(owned);
                    } else {
                        extra = true;
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    match received {
        Some(fd) if n == 1 && !extra && msg.msg_flags & libc::MSG_CTRUNC == 0 => Ok(fd),
        _ if n == 0 => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the child exited before sending its seccomp listener",
        )),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the child sent something other than one seccomp listener",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_passing_round_trip() {
        let (a, b) = UnixStream::pair().unwrap();
        let (r, w) = std::io::pipe().unwrap();
        send_fd(b.as_raw_fd(), w.as_raw_fd()).unwrap();
        drop(b);
        let got = recv_fd(&a).unwrap();
        assert_ne!(got.as_raw_fd(), w.as_raw_fd());
        // SAFETY: F_GETFD on an fd we own.
        let fd_flags = unsafe { libc::fcntl(got.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        drop(w);
        // The received fd is the pipe's write end: writing through it reaches `r`.
        let mut w2 = std::fs::File::from(got);
        std::io::Write::write_all(&mut w2, b"x").unwrap();
        drop(w2);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut &r, &mut s).unwrap();
        assert_eq!(s, "x");
        // Nothing more: EOF is reported as such.
        let e = recv_fd(&a).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
