//! What the agent learns about a calling thread through `/proc`, and the
//! short-lived helper thread that acts in the caller's root, cwd and
//! credentials.
//!
//! Everything is opened through `/proc/<tid>/…` and then the notification is
//! checked to be still pending (`SECCOMP_IOCTL_NOTIF_ID_VALID`): while it is, the
//! tid names the caller and no other thread, so what was opened belongs to the
//! caller.
//!
//! # References
//! - [`proc_pid_status(5)`](https://man7.org/linux/man-pages/man5/proc_pid_status.5.html)
//! - [`unshare(2)`](https://man7.org/linux/man-pages/man2/unshare.2.html)
//! - [`setfsuid(2)`](https://man7.org/linux/man-pages/man2/setfsuid.2.html)
//! - [`capset(2)`](https://man7.org/linux/man-pages/man2/capset.2.html)
//! - [`openat2(2)`](https://man7.org/linux/man-pages/man2/openat2.2.html)

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::unotify::{Errno, Listener, Notification};

/// The caller's filesystem identity, from `/proc/<tid>/status` (ids as the
/// agent's user namespace sees them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Creds {
    pub fsuid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
    pub umask: u32,
    /// Effective capabilities (in the caller's own user namespace).
    pub cap_eff: u64,
}

/// Parses the lines of `/proc/<tid>/status` the agent needs.
pub(crate) fn parse_status(text: &str) -> Option<Creds> {
    let mut fsuid = None;
    let mut fsgid = None;
    let mut groups = Vec::new();
    let mut umask = 0o022;
    let mut cap_eff = 0;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let mut fields = value.split_whitespace();
        match key {
            // Real, effective, saved, filesystem.
            "Uid" => fsuid = fields.nth(3).and_then(|v| v.parse().ok()),
            "Gid" => fsgid = fields.nth(3).and_then(|v| v.parse().ok()),
            "Groups" => groups = fields.filter_map(|v| v.parse().ok()).collect(),
            "Umask" => umask = u32::from_str_radix(value.trim(), 8).ok()?,
            "CapEff" => cap_eff = u64::from_str_radix(value.trim(), 16).ok()?,
            _ => {}
        }
    }
    Some(Creds {
        fsuid: fsuid?,
        fsgid: fsgid?,
        groups,
        umask,
        cap_eff,
    })
}

/// The caller's root, start directory and credentials, opened while its call
/// was pending.
#[derive(Debug)]
pub(crate) struct Caller {
    pub root: OwnedFd,
    pub start: OwnedFd,
    pub creds: Creds,
    /// Whether the caller is in the agent's user namespace, where its
    /// capabilities mean what they would mean for the agent.
    pub same_userns: bool,
}

/// Why the caller could not be looked at.
#[derive(Debug)]
pub(crate) enum CallerError {
    /// The call is no longer pending (the thread went, or was interrupted).
    Gone,
    /// Something else; the call should fail with this errno.
    Failed(Errno),
}

/// Opens the caller's root, the directory a path of the call starts from
/// (`dirfd` of an `*at` call, its cwd for `AT_FDCWD`), and reads its
/// credentials; then checks that the call is still pending.
pub(crate) fn open_caller(
    listener: &Listener,
    n: &Notification,
    dirfd: Option<i64>,
) -> Result<Caller, CallerError> {
    let tid = n.tid().ok_or(CallerError::Failed(Errno::EPERM))?;
    let at = |what: &str| -> Result<OwnedFd, CallerError> {
        open_path(&format!("/proc/{tid}/{what}")).map_err(|e| {
            if e.raw_os_error() == Some(libc::ENOENT) {
                CallerError::Gone
            } else {
                CallerError::Failed(Errno::from_io_error(&e).unwrap_or(Errno::EPERM))
            }
        })
    };
    let root = at("root")?;
    let start = match dirfd {
        None => at("cwd")?,
        Some(fd) if fd == i64::from(libc::AT_FDCWD) => at("cwd")?,
        Some(fd) if (0..=i64::from(i32::MAX)).contains(&fd) => {
            at(&format!("fd/{fd}")).map_err(|e| match e {
                // The caller's fd does not exist: its own EBADF.
                CallerError::Gone => CallerError::Failed(Errno::EBADF),
                e => e,
            })?
        }
        Some(_) => return Err(CallerError::Failed(Errno::EBADF)),
    };
    let mut text = String::new();
    File::open(format!("/proc/{tid}/status"))
        .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
        .map_err(|_| CallerError::Gone)?;
    let creds = parse_status(&text).ok_or(CallerError::Failed(Errno::EPERM))?;
    let ns = |path: String| {
        std::fs::metadata(path).map(|m| {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        })
    };
    let theirs = ns(format!("/proc/{tid}/ns/user")).map_err(|_| CallerError::Gone)?;
    let ours = ns("/proc/self/ns/user".into()).map_err(|_| CallerError::Failed(Errno::EPERM))?;
    match listener.id_valid(n.id) {
        Ok(true) => Ok(Caller {
            root,
            start,
            creds,
            same_userns: theirs == ours,
        }),
        Ok(false) => Err(CallerError::Gone),
        Err(_) => Err(CallerError::Failed(Errno::EPERM)),
    }
}

/// `open(path, O_PATH | O_CLOEXEC)`.
fn open_path(path: &str) -> io::Result<OwnedFd> {
    let c = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `c` is a valid C string.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `CAP_MKNOD`'s bit.
pub(crate) const CAP_MKNOD: u32 = 27;

/// Runs `work` on a new thread that has its own filesystem context
/// (`unshare(CLONE_FS)`), is chrooted to the caller's root with the caller's
/// start directory as cwd and its umask, and has the caller's filesystem
/// uid, gid and groups. Its effective capabilities are the caller's when the
/// caller is in the agent's user namespace (none otherwise: the caller's mean
/// something else there), plus `extra_cap`, the one the emulation needs. The
/// thread ends with `work`, and its credentials with it. Returns what `work`
/// returned, or the errno of a preparation step.
pub(crate) fn as_caller<T: Send>(
    caller: &Caller,
    extra_cap: Option<u32>,
    work: impl FnOnce() -> Result<T, Errno> + Send,
) -> Result<T, Errno> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("seccompy-agent-act".into())
            .spawn_scoped(s, || {
                enter(caller, extra_cap)?;
                work()
            })
            .map_err(|_| Errno::EAGAIN)?;
        handle.join().unwrap_or(Err(Errno::EPERM))
    })
}

/// The thread-local preparation of [`as_caller`]: only raw system calls, which
/// act on the calling thread alone (the C library's wrappers of `set*id` would
/// change every thread of the agent).
fn enter(caller: &Caller, extra_cap: Option<u32>) -> Result<(), Errno> {
    let check = |r: libc::c_long| {
        if r < 0 { Err(last_errno()) } else { Ok(()) }
    };
    // SAFETY: plain system calls on this thread with valid fds and a valid
    // string; unshare(CLONE_FS) gives the thread its own root, cwd and umask, so
    // chroot/fchdir/umask below change nothing else.
    unsafe {
        check(libc::syscall(libc::SYS_unshare, libc::CLONE_FS))?;
        check(libc::syscall(libc::SYS_fchdir, caller.root.as_raw_fd()))?;
        check(libc::syscall(libc::SYS_chroot, c".".as_ptr()))?;
        check(libc::syscall(libc::SYS_fchdir, caller.start.as_raw_fd()))?;
        libc::syscall(libc::SYS_umask, caller.creds.umask & 0o777);
        check(libc::syscall(
            libc::SYS_setgroups,
            caller.creds.groups.len(),
            caller.creds.groups.as_ptr(),
        ))?;
        // setfsuid/setfsgid return the previous id and cannot report errors:
        // check by calling again.
        libc::syscall(libc::SYS_setfsgid, caller.creds.fsgid);
        if libc::syscall(libc::SYS_setfsgid, u32::MAX) as u32 != caller.creds.fsgid {
            return Err(Errno::EPERM);
        }
        libc::syscall(libc::SYS_setfsuid, caller.creds.fsuid);
        if libc::syscall(libc::SYS_setfsuid, u32::MAX) as u32 != caller.creds.fsuid {
            return Err(Errno::EPERM);
        }
    }
    let mut effective = if caller.same_userns {
        caller.creds.cap_eff
    } else {
        0
    };
    if let Some(cap) = extra_cap {
        effective |= 1 << cap;
    }
    set_effective(effective)
}

/// Sets this thread's effective capabilities to `mask`, less what is not
/// permitted.
fn set_effective(mask: u64) -> Result<(), Errno> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: a v3 header and two data records, as capget(2) wants.
    if unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) } < 0 {
        return Err(last_errno());
    }
    for (k, d) in data.iter_mut().enumerate() {
        d.effective = (mask >> (32 * k)) as u32 & d.permitted;
    }
    // SAFETY: as above; pid 0 is this thread.
    if unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) } < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// Opens the directory that holds the last component of `path`, resolved as
/// the thread's own lookups would (root, cwd) but refusing magic links
/// (`openat2` with `RESOLVE_NO_MAGICLINKS`), and returns it with that last
/// component.
pub(crate) fn open_parent(path: &CStr) -> Result<(OwnedFd, CString), Errno> {
    let bytes = path.to_bytes();
    if bytes.is_empty() {
        return Err(Errno::ENOENT);
    }
    let trimmed_len = bytes.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    let (dir, name) = match bytes[..trimmed_len].iter().rposition(|&b| b == b'/') {
        Some(i) => (&bytes[..=i], &bytes[i + 1..trimmed_len]),
        None => (&b"."[..], &bytes[..trimmed_len]),
    };
    if name.is_empty() || name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    if trimmed_len != bytes.len() {
        // "name/": the kernel wants a directory there; a node is none.
        return Err(Errno::ENOENT);
    }
    let dir = CString::new(dir).map_err(|_| Errno::EINVAL)?;
    let name = CString::new(name).map_err(|_| Errno::EINVAL)?;
    // struct open_how (openat2(2)): flags, mode, resolve.
    let how: [u64; 3] = [
        (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64,
        0,
        libc::RESOLVE_NO_MAGICLINKS,
    ];
    // SAFETY: a valid C string and open_how of the size given.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            dir.as_ptr(),
            &how,
            size_of_val(&how),
        )
    };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: a new fd we own.
    Ok((unsafe { OwnedFd::from_raw_fd(fd as i32) }, name))
}

pub(crate) fn last_errno() -> Errno {
    Errno::from_io_error(&io::Error::last_os_error()).unwrap_or(Errno::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        let text = "Name:\tsh\nUmask:\t0027\nUid:\t0\t1\t2\t1000\nGid:\t5\t6\t7\t100\n\
                    Groups:\t4 24 27 \nCapEff:\t00000000a80425fb\n";
        let c = parse_status(text).unwrap();
        assert_eq!(
            c,
            Creds {
                fsuid: 1000,
                fsgid: 100,
                groups: vec![4, 24, 27],
                umask: 0o027,
                cap_eff: 0xa80425fb,
            }
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn parents_split_like_the_kernel() {
        let split = |p: &CStr| {
            open_parent(p)
                .map(|(_, n)| n.into_string().unwrap())
                .map_err(Errno::get)
        };
        assert_eq!(split(c"/tmp/x"), Ok("x".into()));
        assert_eq!(split(c"/"), Err(libc::EEXIST));
        assert_eq!(split(c""), Err(libc::ENOENT));
        assert_eq!(split(c"/tmp/."), Err(libc::EEXIST));
        assert_eq!(split(c"/tmp/x/"), Err(libc::ENOENT));
        assert_eq!(split(c"/proc/self/cwd/x"), Err(libc::ELOOP));
        assert_eq!(split(c"/nonexistent-dir-xyz/x"), Err(libc::ENOENT));
    }
}
