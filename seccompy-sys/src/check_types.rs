//! Compile-time checks of every structure's layout: size, alignment and the offset
//! of each field, as the kernel headers define them, and the same layout as `libc`
//! where `libc` defines the structure too. A wrong layout fails the build.

use core::mem::{align_of, size_of};

use memoffset::offset_of;
use static_assertions::const_assert_eq;

use crate::bpf::{sock_filter, sock_fprog};
use crate::ptrace::{ptrace_syscall_info, seccomp_metadata};
use crate::seccomp::{
    seccomp_data, seccomp_notif, seccomp_notif_addfd, seccomp_notif_resp, seccomp_notif_sizes,
};

/// Asserts a structure's size, alignment and field offsets.
macro_rules! layout {
    ($t:ty: size $size:expr, align $align:expr; $($field:ident @ $off:expr),+ $(,)?) => {
        const_assert_eq!(size_of::<$t>(), $size);
        const_assert_eq!(align_of::<$t>(), $align);
        $(const_assert_eq!(offset_of!($t, $field), $off);)+
    };
}

/// Asserts that our structure and `libc`'s have the same size, alignment and
/// field offsets (on the targets where `libc` is a dependency: Linux and Android).
#[cfg(any(target_os = "linux", target_os = "android"))]
macro_rules! same_as_libc {
    ($ours:ty, $theirs:ty; $($field:ident),+ $(,)?) => {
        const_assert_eq!(size_of::<$ours>(), size_of::<$theirs>());
        const_assert_eq!(align_of::<$ours>(), align_of::<$theirs>());
        $(const_assert_eq!(offset_of!($ours, $field), offset_of!($theirs, $field));)+
    };
}

// `__u64` is 8-aligned on most ABIs but 4-aligned on i386 and 2-aligned on m68k;
// Rust's `u64` follows the C ABI of each target, so its alignment is the header's.
// Used only inside `const_assert_eq!`, which rustc before 1.89 does not count
// as a use.
#[allow(dead_code)]
const U64_ALIGN: usize = align_of::<u64>();
#[allow(dead_code)]
const PTR: usize = size_of::<usize>();

// linux/filter.h
layout!(sock_filter: size 8, align 4; code @ 0, jt @ 2, jf @ 3, k @ 4);
// 16 bytes on 64-bit ABIs, 8 on 32-bit ones: the pointer follows the padded `len`.
layout!(sock_fprog: size 2 * PTR, align PTR; len @ 0, filter @ PTR);

// linux/seccomp.h
layout!(seccomp_data: size 64, align U64_ALIGN;
    nr @ 0, arch @ 4, instruction_pointer @ 8, args @ 16);
layout!(seccomp_notif_sizes: size 6, align 2;
    seccomp_notif @ 0, seccomp_notif_resp @ 2, seccomp_data @ 4);
layout!(seccomp_notif: size 80, align U64_ALIGN; id @ 0, pid @ 8, flags @ 12, data @ 16);
layout!(seccomp_notif_resp: size 24, align U64_ALIGN; id @ 0, val @ 8, error @ 16, flags @ 20);
layout!(seccomp_notif_addfd: size 24, align U64_ALIGN;
    id @ 0, flags @ 8, srcfd @ 12, newfd @ 16, newfd_flags @ 20);

// linux/ptrace.h
layout!(seccomp_metadata: size 16, align U64_ALIGN; filter_off @ 0, flags @ 8);
layout!(ptrace_syscall_info: size 88, align U64_ALIGN;
    op @ 0, pad @ 1, arch @ 4, instruction_pointer @ 8, stack_pointer @ 16, data @ 24);

// The same structures in libc.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod libc_layout {
    use super::*;
    same_as_libc!(sock_filter, libc::sock_filter; code, jt, jf, k);
    same_as_libc!(sock_fprog, libc::sock_fprog; len, filter);
    same_as_libc!(seccomp_data, libc::seccomp_data; nr, arch, instruction_pointer, args);
    same_as_libc!(seccomp_notif_sizes, libc::seccomp_notif_sizes;
    seccomp_notif, seccomp_notif_resp, seccomp_data);
    same_as_libc!(seccomp_notif, libc::seccomp_notif; id, pid, flags, data);
    same_as_libc!(seccomp_notif_resp, libc::seccomp_notif_resp; id, val, error, flags);
    same_as_libc!(seccomp_notif_addfd, libc::seccomp_notif_addfd;
    id, flags, srcfd, newfd, newfd_flags);
}
