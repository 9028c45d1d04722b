//! The `mount` handler: new mounts of allow-listed pseudo filesystems,
//! performed by the agent in the caller's namespaces, for callers that have
//! `CAP_SYS_ADMIN` in their own user namespace (but perhaps not the right to
//! mount, which a container in a user namespace lacks for `proc` over a
//! masked `/proc`, for example).
//!
//! What is checked, on the copies read once through
//! [`TargetMemory`](crate::unotify::TargetMemory):
//! - the filesystem type is among the profile's (themselves among
//!   [`ALLOWED_TYPES`]);
//! - the flags are only `MS_RDONLY`, `MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`,
//!   `MS_NOATIME`, `MS_NODIRATIME`, `MS_RELATIME`, `MS_STRICTATIME`,
//!   `MS_SILENT` (no bind, move, remount or propagation change);
//! - the caller's effective capabilities (`/proc/<tid>/status`, relative to its
//!   own user namespace) include `CAP_SYS_ADMIN`.
//!
//! How it is done: a helper process enters the caller's pid namespace, forks a
//! second one (whose active pid namespace is then the caller's, as `proc`
//! needs), which enters the caller's mount namespace, chroots to the caller's
//! root and changes to its cwd; it opens the mount point with `openat2`
//! (`RESOLVE_NO_MAGICLINKS`), builds the filesystem with `fsopen`/`fsconfig`
//! from the caller's options and attaches it with `fsmount` and `move_mount`
//! onto that fd. `uid=`/`gid=` options of `tmpfs` and `devpts`, which the
//! kernel reads in the mounter's user namespace, are translated through the
//! caller's `uid_map`/`gid_map`; without them, the caller's filesystem uid and
//! gid are given, so that the new root belongs to the caller.
//!
//! # References
//! - [`mount(2)`](https://man7.org/linux/man-pages/man2/mount.2.html)
//! - [`fsopen(2)`](https://man7.org/linux/man-pages/man2/fsopen.2.html),
//!   [`fsconfig(2)`](https://man7.org/linux/man-pages/man2/fsconfig.2.html),
//!   [`fsmount(2)`](https://man7.org/linux/man-pages/man2/fsmount.2.html),
//!   [`move_mount(2)`](https://man7.org/linux/man-pages/man2/move_mount.2.html)
//! - [`setns(2)`](https://man7.org/linux/man-pages/man2/setns.2.html)
//! - [`user_namespaces(7)`](https://man7.org/linux/man-pages/man7/user_namespaces.7.html)

// `MS_*` are `c_ulong`: the casts to `u64` matter on 32-bit targets.
#![allow(clippy::unnecessary_cast)]

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use super::describe::Args;
use super::handlers::{Call, Decision};
use super::target::{self, Caller, CallerError, open_caller};
use crate::unotify::{Errno, Response};

/// Filesystem types the `mount` handler can mount: pseudo filesystems whose
/// new instances show only what the caller's namespaces hold.
pub const ALLOWED_TYPES: &[&str] = &["proc", "tmpfs", "mqueue", "devpts"];

/// `mount(2)` flags the handler carries out; any other is refused.
const PASSED_FLAGS: u64 = (libc::MS_RDONLY
    | libc::MS_NOSUID
    | libc::MS_NODEV
    | libc::MS_NOEXEC
    | libc::MS_NOATIME
    | libc::MS_NODIRATIME
    | libc::MS_RELATIME
    | libc::MS_STRICTATIME
    | libc::MS_SILENT) as u64;

/// The old magic number in the high bits of `mount(2)`'s flags.
const MS_MGC_VAL: u64 = 0xC0ED_0000;
const MS_MGC_MSK: u64 = 0xFFFF_0000;

// The new mount API's numbers (linux/mount.h).
const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_SET_FLAG: libc::c_uint = 0;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 0x01;
const MOUNT_ATTR_NOSUID: libc::c_uint = 0x02;
const MOUNT_ATTR_NODEV: libc::c_uint = 0x04;
const MOUNT_ATTR_NOEXEC: libc::c_uint = 0x08;
const MOUNT_ATTR_NOATIME: libc::c_uint = 0x10;
const MOUNT_ATTR_STRICTATIME: libc::c_uint = 0x20;
const MOUNT_ATTR_NODIRATIME: libc::c_uint = 0x80;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x04;
const MOVE_MOUNT_T_EMPTY_PATH: libc::c_uint = 0x40;

/// `CAP_SYS_ADMIN`'s bit.
const CAP_SYS_ADMIN: u32 = 21;

pub(crate) fn mount(call: &Call<'_>, types: &[String]) -> Decision {
    let n = &call.notification;
    let memory = call.listener.memory(n);
    let read = |addr: u64, max: usize| -> Result<Option<CString>, Errno> {
        if addr == 0 {
            return Ok(None);
        }
        memory
            .read_c_string(addr, max)
            .map(Some)
            .map_err(|_| Errno::EFAULT)
    };
    let fields = (|| {
        Ok::<_, Errno>((
            read(n.args[0], libc::PATH_MAX as usize)?,
            read(n.args[1], libc::PATH_MAX as usize)?,
            read(n.args[2], 64)?,
            read(n.args[4], 4096)?,
        ))
    })();
    let (source, target, fstype, data) = match fields {
        Ok(f) => f,
        Err(e) => {
            return Decision::errno(
                super::describe::describe(call.listener, n),
                e,
                "arguments unreadable",
            );
        }
    };
    let mut flags = n.args[3];
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    let show = |s: &Option<CString>| {
        s.as_ref()
            .map_or_else(|| "NULL".to_string(), |s| format!("{s:?}"))
    };
    let args = Args::from(format!(
        "{}, {}, {}, {flags:#x}, {}",
        show(&source),
        show(&target),
        show(&fstype),
        show(&data)
    ));
    if flags & !PASSED_FLAGS != 0 {
        return Decision::errno(args, Errno::EPERM, "flags not emulated");
    }
    let Some(fstype) = fstype.and_then(|t| t.into_string().ok()) else {
        return Decision::errno(args, Errno::EPERM, "no filesystem type");
    };
    if !types.contains(&fstype) || !ALLOWED_TYPES.contains(&fstype.as_str()) {
        return Decision::errno(args, Errno::EPERM, "filesystem type not allowed");
    }
    let Some(target_path) = target else {
        return Decision::errno(args, Errno::EFAULT, "no mount point");
    };
    let caller = match open_caller(call.listener, n, None) {
        Ok(c) => c,
        Err(CallerError::Gone) => return gone(args),
        Err(CallerError::Failed(e)) => return Decision::errno(args, e, "caller unreadable"),
    };
    if caller.creds.cap_eff & (1 << CAP_SYS_ADMIN) == 0 {
        return Decision::errno(
            args,
            Errno::EPERM,
            "caller lacks CAP_SYS_ADMIN in its user namespace",
        );
    }
    let Some(tid) = n.tid() else {
        return Decision::errno(args, Errno::EPERM, "caller not visible");
    };
    let ns = match open_namespaces(call, tid) {
        Ok(ns) => ns,
        Err(CallerError::Gone) => return gone(args),
        Err(CallerError::Failed(e)) => return Decision::errno(args, e, "namespaces unreadable"),
    };
    // Capabilities count over the namespaces the caller's user namespace owns:
    // its mount namespace (to mount) and its pid namespace (for proc).
    if !owned_by(&ns.mnt, &ns.user) || !owned_by(&ns.pid, &ns.user) {
        return Decision::errno(
            args,
            Errno::EPERM,
            "namespaces not owned by the caller's user namespace",
        );
    }
    let options = match options(&fstype, data.as_ref(), &caller, &ns) {
        Ok(o) => o,
        Err(e) => return Decision::errno(args, e, "options refused"),
    };
    let plan = Plan {
        fstype: CString::new(fstype).unwrap_or_default(),
        source,
        target: target_path,
        options,
        attrs: attrs(flags),
    };
    match run_helper(&caller, &ns, &plan) {
        Ok(()) => Decision {
            response: Some(Response::value(0)),
            args,
            kind: "emulated",
            what: "emulated".into(),
        },
        Err(e) => Decision::errno(args, e, "emulated"),
    }
}

fn gone(args: Args) -> Decision {
    Decision {
        response: None,
        args,
        kind: "gone",
        what: "gone".into(),
    }
}

/// The caller's namespaces and id maps.
struct Namespaces {
    mnt: OwnedFd,
    pid: OwnedFd,
    user: OwnedFd,
    uid_map: String,
    gid_map: String,
}

fn open_namespaces(call: &Call<'_>, tid: libc::pid_t) -> Result<Namespaces, CallerError> {
    let open = |what: &str| {
        std::fs::File::open(format!("/proc/{tid}/{what}"))
            .map(OwnedFd::from)
            .map_err(|_| CallerError::Gone)
    };
    let mnt = open("ns/mnt")?;
    let pid = open("ns/pid")?;
    let user = open("ns/user")?;
    let uid_map =
        std::fs::read_to_string(format!("/proc/{tid}/uid_map")).map_err(|_| CallerError::Gone)?;
    let gid_map =
        std::fs::read_to_string(format!("/proc/{tid}/gid_map")).map_err(|_| CallerError::Gone)?;
    match call.listener.id_valid(call.notification.id) {
        Ok(true) => Ok(Namespaces {
            mnt,
            pid,
            user,
            uid_map,
            gid_map,
        }),
        Ok(false) => Err(CallerError::Gone),
        Err(_) => Err(CallerError::Failed(Errno::EPERM)),
    }
}

/// Whether namespace `ns` is owned by user namespace `user`
/// (`NS_GET_USERNS`, Linux 4.9; compared by device and inode).
///
/// # References
/// - [`ioctl_ns(2)`](https://man7.org/linux/man-pages/man2/ioctl_ns.2.html)
fn owned_by(ns: &OwnedFd, user: &OwnedFd) -> bool {
    const NS_GET_USERNS: libc::c_ulong = 0xb701;
    // SAFETY: an ioctl without argument on a namespace fd; a new fd or -1.
    let owner = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_USERNS) };
    if owner < 0 {
        return false;
    }
    // SAFETY: a new fd we own.
    let owner = unsafe { OwnedFd::from_raw_fd(owner) };
    let id = |fd: &OwnedFd| {
        std::fs::File::from(fd.try_clone().ok()?)
            .metadata()
            .ok()
            .map(|m| (m.dev(), m.ino()))
    };
    matches!((id(&owner), id(user)), (Some(a), Some(b)) if a == b)
}

/// Maps id `id` of the caller's user namespace to the agent's through `map`
/// (`/proc/<tid>/uid_map` as the agent reads it: inside, outside, count).
pub(crate) fn map_id(map: &str, id: u32) -> Option<u32> {
    map.lines().find_map(|line| {
        let mut f = line.split_whitespace().map(|v| v.parse::<u64>().ok());
        let (Some(Some(inside)), Some(Some(outside)), Some(Some(count))) =
            (f.next(), f.next(), f.next())
        else {
            return None;
        };
        let id = u64::from(id);
        (inside <= id && id < inside + count)
            .then(|| u32::try_from(outside + (id - inside)).ok())
            .flatten()
    })
}

/// The `fsconfig` parameters: the caller's comma-separated options, with
/// `uid=`/`gid=` of `tmpfs` and `devpts` translated to the agent's user
/// namespace (and the caller's own ids added when absent).
fn options(
    fstype: &str,
    data: Option<&CString>,
    caller: &Caller,
    ns: &Namespaces,
) -> Result<Vec<(CString, Option<CString>)>, Errno> {
    let translate = matches!(fstype, "tmpfs" | "devpts");
    let mut out = Vec::new();
    let (mut has_uid, mut has_gid) = (false, false);
    let text = data
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    for opt in text.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = match opt.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (opt, None),
        };
        let value = match (translate, key, value) {
            (true, "uid", Some(v)) => {
                has_uid = true;
                let id = v.parse().map_err(|_| Errno::EINVAL)?;
                Some(map_id(&ns.uid_map, id).ok_or(Errno::EINVAL)?.to_string())
            }
            (true, "gid", Some(v)) => {
                has_gid = true;
                let id = v.parse().map_err(|_| Errno::EINVAL)?;
                Some(map_id(&ns.gid_map, id).ok_or(Errno::EINVAL)?.to_string())
            }
            (_, _, v) => v,
        };
        out.push((
            CString::new(key).map_err(|_| Errno::EINVAL)?,
            value
                .map(CString::new)
                .transpose()
                .map_err(|_| Errno::EINVAL)?,
        ));
    }
    if translate && fstype == "tmpfs" {
        if !has_uid {
            out.push((
                c"uid".into(),
                Some(CString::new(caller.creds.fsuid.to_string()).map_err(|_| Errno::EINVAL)?),
            ));
        }
        if !has_gid {
            out.push((
                c"gid".into(),
                Some(CString::new(caller.creds.fsgid.to_string()).map_err(|_| Errno::EINVAL)?),
            ));
        }
    }
    Ok(out)
}

/// `MOUNT_ATTR_*` of `mount(2)` flags.
fn attrs(flags: u64) -> libc::c_uint {
    let mut a = 0;
    for (ms, attr) in [
        (libc::MS_RDONLY, MOUNT_ATTR_RDONLY),
        (libc::MS_NOSUID, MOUNT_ATTR_NOSUID),
        (libc::MS_NODEV, MOUNT_ATTR_NODEV),
        (libc::MS_NOEXEC, MOUNT_ATTR_NOEXEC),
        (libc::MS_NOATIME, MOUNT_ATTR_NOATIME),
        (libc::MS_STRICTATIME, MOUNT_ATTR_STRICTATIME),
        (libc::MS_NODIRATIME, MOUNT_ATTR_NODIRATIME),
    ] {
        if flags & ms as u64 != 0 {
            a |= attr;
        }
    }
    a
}

/// What the helper mounts, prepared before `fork` (the helper allocates
/// nothing).
struct Plan {
    fstype: CString,
    source: Option<CString>,
    target: CString,
    options: Vec<(CString, Option<CString>)>,
    attrs: libc::c_uint,
}

/// Forks the helper, which enters the caller's pid namespace and forks the
/// mounter; returns the mounter's errno.
fn run_helper(caller: &Caller, ns: &Namespaces, plan: &Plan) -> Result<(), Errno> {
    // SAFETY: fork; the child makes only raw system calls on memory prepared
    // before (no allocation, no lock) and ends with _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(target::last_errno());
    }
    if pid == 0 {
        // SAFETY: in the child, as above.
        unsafe { helper(caller, ns, plan) }
    }
    let mut status = 0;
    loop {
        // SAFETY: our child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(Errno::EPERM);
        }
    }
    exit_errno(status)
}

/// The errno an exit status stands for (0: success).
fn exit_errno(status: libc::c_int) -> Result<(), Errno> {
    if !libc::WIFEXITED(status) {
        return Err(Errno::EPERM);
    }
    match libc::WEXITSTATUS(status) {
        0 => Ok(()),
        e => Err(Errno::new(e).unwrap_or(Errno::EPERM)),
    }
}

/// The first helper: into the caller's pid namespace, fork the mounter, pass
/// its status on.
///
/// # Safety
/// Only in a child just forked from a multithreaded process: raw system calls
/// only.
unsafe fn helper(caller: &Caller, ns: &Namespaces, plan: &Plan) -> ! {
    // SAFETY: raw system calls on valid fds; the status pointer is on our stack.
    unsafe {
        if libc::setns(ns.pid.as_raw_fd(), libc::CLONE_NEWPID) < 0 {
            libc::_exit(errno_now());
        }
        let pid = libc::fork();
        if pid < 0 {
            libc::_exit(errno_now());
        }
        if pid == 0 {
            libc::_exit(mounter(caller, ns, plan));
        }
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 {
            if errno_now() != libc::EINTR {
                libc::_exit(libc::ECHILD);
            }
        }
        libc::_exit(if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            libc::EPERM
        })
    }
}

/// The mounter, in the caller's pid namespace: returns 0 or the errno.
///
/// # Safety
/// As [`helper`].
unsafe fn mounter(caller: &Caller, ns: &Namespaces, plan: &Plan) -> libc::c_int {
    macro_rules! check {
        ($e:expr) => {{
            let r = $e;
            if r < 0 {
                return errno_now();
            }
            r
        }};
    }
    // SAFETY: raw system calls with valid fds and C strings prepared before
    // the fork; the open_how is on our stack.
    unsafe {
        check!(libc::setns(ns.mnt.as_raw_fd(), libc::CLONE_NEWNS));
        check!(libc::fchdir(caller.root.as_raw_fd()));
        check!(libc::chroot(c".".as_ptr()));
        check!(libc::fchdir(caller.start.as_raw_fd()));
        let how: [u64; 3] = [
            (libc::O_PATH | libc::O_CLOEXEC) as u64,
            0,
            libc::RESOLVE_NO_MAGICLINKS,
        ];
        let target = check!(libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            plan.target.as_ptr(),
            &how,
            size_of_val(&how)
        )) as libc::c_int;
        let fs = check!(libc::syscall(
            libc::SYS_fsopen,
            plan.fstype.as_ptr(),
            FSOPEN_CLOEXEC
        )) as libc::c_int;
        if let Some(source) = &plan.source {
            check!(libc::syscall(
                libc::SYS_fsconfig,
                fs,
                FSCONFIG_SET_STRING,
                c"source".as_ptr(),
                source.as_ptr(),
                0
            ));
        }
        for (key, value) in &plan.options {
            match value {
                Some(v) => check!(libc::syscall(
                    libc::SYS_fsconfig,
                    fs,
                    FSCONFIG_SET_STRING,
                    key.as_ptr(),
                    v.as_ptr(),
                    0
                )),
                None => check!(libc::syscall(
                    libc::SYS_fsconfig,
                    fs,
                    FSCONFIG_SET_FLAG,
                    key.as_ptr(),
                    std::ptr::null::<libc::c_char>(),
                    0
                )),
            };
        }
        check!(libc::syscall(
            libc::SYS_fsconfig,
            fs,
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_char>(),
            0
        ));
        let mnt = check!(libc::syscall(
            libc::SYS_fsmount,
            fs,
            FSMOUNT_CLOEXEC,
            plan.attrs
        )) as libc::c_int;
        check!(libc::syscall(
            libc::SYS_move_mount,
            mnt,
            c"".as_ptr(),
            target,
            c"".as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH
        ));
    }
    0
}

fn errno_now() -> libc::c_int {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_through_the_callers_maps() {
        let map = "         0     100000      65536\n     65536       1000          1\n";
        assert_eq!(map_id(map, 0), Some(100_000));
        assert_eq!(map_id(map, 5), Some(100_005));
        assert_eq!(map_id(map, 65536), Some(1000));
        assert_eq!(map_id(map, 65537), None);
        // The initial namespace's identity map.
        assert_eq!(map_id("0 0 4294967295\n", 42), Some(42));
    }

    #[test]
    fn flags_become_mount_attributes() {
        let f = (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC) as u64;
        assert_eq!(attrs(f), 0x0f);
        assert_eq!(attrs(libc::MS_RELATIME as u64), 0);
        assert_eq!(
            attrs(libc::MS_NOATIME as u64 | libc::MS_NODIRATIME as u64),
            0x90
        );
        assert_eq!(libc::MS_BIND as u64 & PASSED_FLAGS, 0);
        assert_eq!(libc::MS_REMOUNT as u64 & PASSED_FLAGS, 0);
        assert_eq!(libc::MS_MOVE as u64 & PASSED_FLAGS, 0);
        assert_eq!(libc::MS_SHARED as u64 & PASSED_FLAGS, 0);
    }

    #[test]
    fn exit_statuses_carry_errnos() {
        assert_eq!(exit_errno(0), Ok(()));
        assert_eq!(exit_errno(libc::EBUSY << 8), Err(Errno::EBUSY));
        // Killed by a signal.
        assert_eq!(exit_errno(9), Err(Errno::EPERM));
    }
}
