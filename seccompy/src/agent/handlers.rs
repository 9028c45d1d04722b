//! The handlers: each decides one notified call and, where it allows it,
//! performs it itself on the copy of the arguments it checked.

use std::borrow::Cow;
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

use super::describe::{Args, Shape, describe, describe_shaped};
use super::policy::Handler;
use super::target::{self, CallerError, as_caller, open_caller, open_parent};
use crate::unotify::{Errno, Listener, Notification, Response};

/// Device nodes the `mknod` handler creates: name, major, minor (character
/// devices). Their drivers give a container nothing it may not have.
pub const SAFE_DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
    ("console", 5, 1),
    ("ptmx", 5, 2),
    ("net/tun", 10, 200),
    ("fuse", 10, 229),
];

/// A notified call, with what its handler may need.
pub(crate) struct Call<'a> {
    pub listener: &'a Listener,
    pub notification: Notification,
    /// Its name (`notification.syscall_name()`).
    pub name: Option<&'static str>,
    /// How its arguments are shown (`Shape::of(&notification, name)`).
    pub shape: Shape,
    /// The container's init, to kill it (`None`: unknown).
    pub init_pidfd: Option<&'a OwnedFd>,
}

/// What a handler decided, for the answer and the log.
#[derive(Debug)]
pub(crate) struct Decision {
    /// The answer (`None`: the call went away; nothing to answer).
    pub response: Option<Response>,
    /// The call's arguments, decoded.
    pub args: Args,
    /// The kind of decision, a metrics label: `errno`, `emulated`, `continue`,
    /// `kill`, `gone`.
    pub kind: &'static str,
    /// The decision in words: `"errno EPERM (policy)"`, `"emulated"`, ...
    pub what: What,
}

/// A decision in words, put together only when the log line is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum What {
    /// `errno NAME (why)`, or `errno NAME` when `why` is empty.
    Errno(Errno, Cow<'static, str>),
    /// Any other.
    Text(Cow<'static, str>),
}

impl From<&'static str> for What {
    fn from(s: &'static str) -> What {
        What::Text(Cow::Borrowed(s))
    }
}

impl From<String> for What {
    fn from(s: String) -> What {
        What::Text(Cow::Owned(s))
    }
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Text(s) => f.write_str(s),
            What::Errno(errno, why) => {
                match errno.name() {
                    Some(name) => write!(f, "errno {name}")?,
                    None => write!(f, "errno {}", errno.get())?,
                }
                if why.is_empty() {
                    Ok(())
                } else {
                    write!(f, " ({why})")
                }
            }
        }
    }
}

impl Decision {
    /// Refuses with `errno`, `why` said in the log.
    pub(crate) fn errno(
        args: impl Into<Args>,
        errno: Errno,
        why: impl Into<Cow<'static, str>>,
    ) -> Decision {
        Decision {
            response: Some(Response::errno(errno)),
            args: args.into(),
            kind: "errno",
            what: What::Errno(errno, why.into()),
        }
    }
}

/// Decides `call` with `handler`.
pub(crate) fn decide(handler: &Handler, call: &Call<'_>) -> Decision {
    let name = call.name;
    match handler {
        Handler::Errno(e) => Decision::errno(
            describe_shaped(call.listener, &call.notification, call.shape),
            *e,
            "policy",
        ),
        Handler::Continue => Decision {
            // SAFETY-free by design: the kernel's own checks decide this call
            // (the policy says so for this system call).
            response: Some(Response::continue_unchecked()),
            args: describe_shaped(call.listener, &call.notification, call.shape),
            kind: "continue",
            what: "continue (the kernel decides)".into(),
        },
        Handler::Kill => kill(call),
        Handler::Mknod => match name {
            Some("mknod") => mknod(call, None, 0),
            Some("mknodat") => mknod(call, Some(call.notification.args[0] as i32 as i64), 1),
            _ => Decision::errno(
                describe(call.listener, &call.notification),
                Errno::EPERM,
                "mknod handler, other call",
            ),
        },
        Handler::Mount(types) => super::mount::mount(call, types),
        Handler::Sysinfo => super::sysinfo::sysinfo(call),
    }
}

fn kill(call: &Call<'_>) -> Decision {
    let args = describe(call.listener, &call.notification);
    let killed = call.init_pidfd.is_some_and(|fd| {
        // SAFETY: a pidfd we own; no siginfo.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        r == 0
    });
    let mut d = Decision::errno(
        args,
        Errno::EPERM,
        if killed {
            "container killed"
        } else {
            "killing the container failed"
        },
    );
    d.kind = "kill";
    d
}

/// The kernel's `new_decode_dev`: major and minor of a 32-bit device number.
pub(crate) fn decode_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// `mknod(path, mode, dev)` or `mknodat(dirfd, path, mode, dev)`: `first` is the
/// index of the path argument.
fn mknod(call: &Call<'_>, dirfd: Option<i64>, first: usize) -> Decision {
    let n = &call.notification;
    let mode = n.args[first + 1] as u32;
    let dev = n.args[first + 2] as u32;
    let (major, minor) = decode_dev(dev);
    let path = match call
        .listener
        .memory(n)
        .read_c_string(n.args[first], libc::PATH_MAX as usize)
    {
        Ok(p) => p,
        Err(e) => {
            return Decision::errno(
                format!("{:#x}, {mode:#o}, {major}:{minor}", n.args[first]),
                Errno::EFAULT,
                format!("path unreadable: {e}"),
            );
        }
    };
    let dir = match dirfd {
        Some(fd) if fd == i64::from(libc::AT_FDCWD) => "AT_FDCWD, ".to_string(),
        Some(fd) => format!("{fd}, "),
        None => String::new(),
    };
    let args = Args::from(format!("{dir}{path:?}, {mode:#o}, {major}:{minor}"));
    match mode & libc::S_IFMT {
        // Regular files, FIFOs, sockets: no privilege involved, the kernel's own
        // checks decide.
        0 | libc::S_IFREG | libc::S_IFIFO | libc::S_IFSOCK => {
            return Decision {
                response: Some(Response::continue_unchecked()),
                args,
                kind: "continue",
                what: "continue (no device: the kernel decides)".into(),
            };
        }
        libc::S_IFCHR => {}
        _ => return Decision::errno(args, Errno::EPERM, "not a safe device"),
    }
    if !SAFE_DEVICES
        .iter()
        .any(|&(_, ma, mi)| (ma, mi) == (major, minor))
    {
        return Decision::errno(args, Errno::EPERM, "not a safe device");
    }
    // An absolute path ignores dirfd, as the kernel does.
    let start = if path.to_bytes().first() == Some(&b'/') {
        None
    } else {
        dirfd
    };
    let caller = match open_caller(call.listener, n, start) {
        Ok(c) => c,
        Err(CallerError::Gone) => {
            return Decision {
                response: None,
                args,
                kind: "gone",
                what: "gone".into(),
            };
        }
        Err(CallerError::Failed(e)) => return Decision::errno(args, e, "caller unreadable"),
    };
    let done = as_caller(&caller, Some(target::CAP_MKNOD), || {
        let (parent, name): (OwnedFd, CString) = open_parent(&path)?;
        // The thread has the caller's umask: the kernel applies it.
        let perm = mode & 0o7777;
        // SAFETY: a valid dirfd and C string.
        let r = unsafe {
            libc::mknodat(
                parent.as_raw_fd(),
                name.as_ptr(),
                libc::S_IFCHR | perm,
                libc::makedev(major, minor),
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(target::last_errno())
        }
    });
    match done {
        Ok(()) => Decision {
            response: Some(Response::value(0)),
            args,
            kind: "emulated",
            what: "emulated".into(),
        },
        Err(e) => Decision::errno(args, e, "emulated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_decode_like_the_kernel() {
        // glibc's makedev truncated to 32 bits, as mknodat passes it.
        for (ma, mi) in [(1, 3), (5, 2), (10, 229), (8, 0), (259, 70000)] {
            let dev = libc::makedev(ma, mi) as u32;
            assert_eq!(decode_dev(dev), (ma, mi));
        }
    }
}
