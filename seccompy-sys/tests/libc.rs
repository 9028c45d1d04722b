//! Our constants against `libc`'s for the host, where `libc` defines them. The
//! names come from `shared/libc_constants.rs`, which `cargo xtask check-abi`
//! checks against the kernel headers too.

use seccompy_sys::*;

include!("shared/libc_constants.rs");

fn wide<T: TryInto<i128>>(v: T) -> i128 {
    v.try_into().ok().expect("every integer fits in i128")
}

macro_rules! same_as_libc {
    ($($name:ident),+ $(,)?) => {{
        let mut mismatches = Vec::new();
        $(
            if wide($name) != wide(libc::$name) {
                mismatches.push(format!(
                    "{}: ours {:#x}, libc {:#x}",
                    stringify!($name), wide($name), wide(libc::$name)
                ));
            }
        )+
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }};
}

/// Each name, our value and `libc`'s, as 32-bit patterns.
macro_rules! ioctl_pairs {
    ($($name:ident),+ $(,)?) => {
        [$((stringify!($name), $name, libc::$name as u32)),+]
    };
}

#[test]
fn seccomp_constants_match_libc() {
    libc_constants!(seccomp, same_as_libc);
}

#[test]
fn listener_ioctl_numbers_match_libc() {
    // Compared as 32-bit patterns: some C libraries type the request as `int`.
    for (name, ours, theirs) in libc_constants!(ioctl, ioctl_pairs) {
        assert_eq!(ours, theirs, "{name}: ours {ours:#x}, libc {theirs:#x}");
    }
}

#[test]
fn prctl_and_ptrace_constants_match_libc() {
    libc_constants!(prctl_ptrace, same_as_libc);
}

#[test]
fn bpf_constants_match_libc() {
    libc_constants!(bpf, same_as_libc);
}
