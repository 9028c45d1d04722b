//! A call's arguments for the log: strings (paths, filesystem types) read
//! through [`TargetMemory`](crate::unotify::TargetMemory), the rest as numbers.

use crate::sys::signatures::signature_of_nr;
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
    /// The first `.1` of six numbers, shown in hexadecimal: formatted only
    /// when the log line is written, off the path of the answer.
    Hex([u64; 6], u8),
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
            Args::Hex(args, count) => {
                for (i, a) in args.iter().take(usize::from(*count)).enumerate() {
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

/// How a system call's arguments are shown: which are strings, and how many
/// there are. Found once per system call (a receiving thread keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The arguments read as strings.
    strings: &'static [usize],
    /// How many arguments are shown.
    count: u8,
}

impl Shape {
    /// The shape of `n`'s system call, named `name`: as many arguments as its
    /// kernel signature has (all six when it has none), and at least those up
    /// to its last string.
    pub(crate) fn of(n: &Notification, name: Option<&str>) -> Shape {
        let strings = name.map_or(&[][..], string_args);
        let declared = n
            .abi()
            .and_then(|abi| signature_of_nr(abi, n.nr as u32))
            .map_or(6, |s| s.arity());
        let last_string = strings.iter().max().map_or(0, |&m| m + 1);
        Shape {
            strings,
            count: declared.max(last_string).min(6) as u8,
        }
    }
}

/// The arguments of `n`: strings quoted (or the address when unreadable), the
/// others in hexadecimal; as many as its system call takes. Only a call with
/// strings costs work now (its strings must be read before it is answered).
pub(crate) fn describe(listener: &Listener, n: &Notification) -> Args {
    describe_shaped(listener, n, Shape::of(n, n.syscall_name()))
}

/// [`describe`], for a call whose shape is known.
pub(crate) fn describe_shaped(listener: &Listener, n: &Notification, shape: Shape) -> Args {
    if shape.strings.is_empty() {
        // The registers the call does not read are left out, and zero: the
        // log's text of the last arguments is reused when the shown ones are
        // the same.
        let mut args = [0; 6];
        let count = usize::from(shape.count);
        args[..count].copy_from_slice(&n.args[..count]);
        return Args::Hex(args, shape.count);
    }
    let memory = listener.memory(n);
    let text = (0..usize::from(shape.count))
        .map(|i| {
            if shape.strings.contains(&i) && n.args[i] != 0 {
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

    /// A call shows the arguments its kernel signature takes: none of the
    /// registers it leaves unread.
    #[test]
    fn a_call_shows_the_arguments_it_takes() {
        let abi = crate::sys::syscalls::Abi::X86_64;
        let shape = |name: &str| {
            let n = Notification {
                id: crate::unotify::NotifId::from_raw(1),
                pid: 1,
                arch: abi.audit_arch(),
                nr: abi.syscall_nr(name).unwrap() as i32,
                args: [0; 6],
                instruction_pointer: 0,
            };
            let shape = Shape::of(&n, Some(name));
            (shape.strings.len(), shape.count)
        };
        assert_eq!(shape("getppid"), (0, 0));
        assert_eq!(shape("kill"), (0, 2));
        assert_eq!(shape("unlinkat"), (1, 3));
        assert_eq!(shape("openat"), (1, 4));
        assert_eq!(shape("fchownat"), (1, 5));
        assert_eq!(shape("mount"), (3, 5));
        // No signature (the headers declare clone differently per
        // configuration): all six.
        assert_eq!(shape("clone"), (0, 6));
        // A call of no known ABI: all six.
        let unknown = Notification {
            id: crate::unotify::NotifId::from_raw(1),
            pid: 1,
            arch: 0,
            nr: 39,
            args: [0; 6],
            instruction_pointer: 0,
        };
        assert_eq!(Shape::of(&unknown, None).count, 6);
    }

    #[test]
    fn numbers_are_shown_in_hexadecimal_as_before() {
        assert_eq!(
            Args::Hex([0, 1, 0x1ff, 16, u64::MAX, 7], 6).to_string(),
            "0x0, 0x1, 0x1ff, 0x10, 0xffffffffffffffff, 0x7"
        );
        assert_eq!(Args::Hex([0, 1, 2, 3, 4, 5], 2).to_string(), "0x0, 0x1");
        assert_eq!(Args::Hex([9; 6], 0).to_string(), "");
        assert_eq!(
            Args::from("\"a\", 0x1".to_string()).to_string(),
            "\"a\", 0x1"
        );
    }
}
