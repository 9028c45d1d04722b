//! A call's arguments for the log: strings (paths, filesystem types) read
//! through [`TargetMemory`](crate::unotify::TargetMemory), the rest as numbers.

use crate::unotify::{Listener, Notification};

/// The longest string shown in a log line.
const MAX_SHOWN: usize = 256;

/// Which arguments of a call are strings, by system call name (the calls a
/// profile commonly notifies).
fn string_args(name: &str) -> &'static [usize] {
    match name {
        "pivot_root" | "rename" | "link" | "symlink" => &[0, 1],
        "renameat" | "renameat2" | "linkat" | "move_mount" => &[1, 3],
        "symlinkat" => &[0, 2],
        "mount" => &[0, 1, 2],
        "mkdirat" | "unlinkat" | "openat" | "openat2" | "fchmodat" | "fchmodat2" | "fchownat"
        | "mknodat" | "newfstatat" | "faccessat" | "faccessat2" | "readlinkat" | "statx"
        | "utimensat" | "execveat" | "open_tree" => &[1],
        "mkdir" | "rmdir" | "unlink" | "chdir" | "chroot" | "chmod" | "chown" | "lchown"
        | "creat" | "open" | "truncate" | "acct" | "swapon" | "swapoff" | "umount2" | "execve"
        | "stat" | "lstat" | "access" | "readlink" | "mknod" | "utime" | "utimes" | "statfs"
        | "setxattr" | "getxattr" | "removexattr" | "fsopen" => &[0],
        _ => &[],
    }
}

/// A call's arguments for the log, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Args {
    /// Decoded already (strings read from the caller's memory).
    Text(String),
    /// Six numbers, shown in hexadecimal: formatted only when the log line is
    /// written, off the path of the answer.
    Hex([u64; 6]),
}

impl From<String> for Args {
    fn from(s: String) -> Args {
        Args::Text(s)
    }
}

impl std::fmt::Display for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Args::Text(s) => f.write_str(s),
            Args::Hex(args) => {
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a:#x}")?;
                }
                Ok(())
            }
        }
    }
}

/// The arguments of `n`: strings quoted (or the address when unreadable), the
/// others in hexadecimal; as many as the call has strings for, and all six
/// otherwise. Only a call with strings costs work now (its strings must be
/// read before it is answered).
pub(crate) fn describe(listener: &Listener, n: &Notification) -> Args {
    describe_named(listener, n, n.syscall_name())
}

/// [`describe`], for a call whose name (`n.syscall_name()`) is known.
pub(crate) fn describe_named(listener: &Listener, n: &Notification, name: Option<&str>) -> Args {
    let strings = name.map_or(&[][..], string_args);
    if strings.is_empty() {
        return Args::Hex(n.args);
    }
    let count = strings
        .iter()
        .max()
        .map_or(0, |&m| m + 1)
        .max(args_of(name));
    let memory = listener.memory(n);
    let text = (0..count)
        .map(|i| {
            if strings.contains(&i) && n.args[i] != 0 {
                match memory.read_c_string(n.args[i], MAX_SHOWN) {
                    Ok(s) => format!("{s:?}"),
                    Err(_) => format!("{:#x}", n.args[i]),
                }
            } else {
                format!("{:#x}", n.args[i])
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    Args::Text(text)
}

/// How many arguments to show for a call with string arguments, when more
/// than its strings: the mode or flags after them.
fn args_of(name: Option<&str>) -> usize {
    match name {
        Some("mkdir" | "chmod" | "creat" | "access") => 2,
        Some("mkdirat" | "open" | "fchmodat" | "faccessat") => 3,
        Some("openat" | "mknodat" | "fchownat" | "unlinkat") => 4,
        Some("mount") => 5,
        Some("umount2") => 2,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_named_exists() {
        let abi = crate::sys::syscalls::Abi::X86_64;
        for name in [
            "pivot_root",
            "rename",
            "link",
            "symlink",
            "renameat",
            "renameat2",
            "linkat",
            "move_mount",
            "symlinkat",
            "mount",
            "mkdirat",
            "unlinkat",
            "openat",
            "openat2",
            "fchmodat",
            "fchmodat2",
            "fchownat",
            "mknodat",
            "newfstatat",
            "faccessat",
            "faccessat2",
            "readlinkat",
            "statx",
            "utimensat",
            "execveat",
            "open_tree",
            "mkdir",
            "rmdir",
            "unlink",
            "chdir",
            "chroot",
            "chmod",
            "chown",
            "lchown",
            "creat",
            "open",
            "truncate",
            "acct",
            "swapon",
            "swapoff",
            "umount2",
            "execve",
            "stat",
            "lstat",
            "access",
            "readlink",
            "mknod",
            "utime",
            "utimes",
            "statfs",
            "setxattr",
            "getxattr",
            "removexattr",
            "fsopen",
        ] {
            assert!(abi.syscall_nr(name).is_some(), "{name}");
            assert!(!string_args(name).is_empty(), "{name}");
        }
        assert!(string_args("getpid").is_empty());
    }

    #[test]
    fn numbers_are_shown_in_hexadecimal_as_before() {
        assert_eq!(
            Args::Hex([0, 1, 0x1ff, 16, u64::MAX, 7]).to_string(),
            "0x0, 0x1, 0x1ff, 0x10, 0xffffffffffffffff, 0x7"
        );
        assert_eq!(
            Args::from("\"a\", 0x1".to_string()).to_string(),
            "\"a\", 0x1"
        );
    }
}
