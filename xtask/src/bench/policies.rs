//! The benchmark policies besides Docker's default profile, written as [`Spec`]s.
//!
//! Both are x86_64 only, allow-lists with a single match action and the
//! process killed otherwise, so that every peer (seccompiler included) can
//! express them exactly.

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS};

use super::spec::{CmpOp, Cond, Rule, Spec};

fn allow(name: &str, conds: Vec<Cond>) -> Rule {
    Rule {
        action: SECCOMP_RET_ALLOW,
        name: name.to_owned(),
        conds,
    }
}

/// A small allow-list, as an application locks itself down: the ~60 calls a
/// threaded network service makes, no argument checks.
pub fn app_lockdown() -> Spec {
    const NAMES: &[&str] = &[
        "read",
        "write",
        "close",
        "fstat",
        "newfstatat",
        "statx",
        "lseek",
        "mmap",
        "mprotect",
        "munmap",
        "brk",
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "ioctl",
        "pread64",
        "pwrite64",
        "readv",
        "writev",
        "access",
        "pipe2",
        "sched_yield",
        "mremap",
        "madvise",
        "dup",
        "dup3",
        "nanosleep",
        "clock_nanosleep",
        "clock_gettime",
        "getpid",
        "gettid",
        "socket",
        "connect",
        "accept4",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "shutdown",
        "bind",
        "listen",
        "getsockname",
        "getpeername",
        "setsockopt",
        "getsockopt",
        "clone3",
        "futex",
        "exit",
        "exit_group",
        "openat",
        "epoll_create1",
        "epoll_ctl",
        "epoll_wait",
        "epoll_pwait",
        "eventfd2",
        "getrandom",
        "sigaltstack",
        "prlimit64",
        "set_robust_list",
        "rseq",
        "arch_prctl",
        "set_tid_address",
        "fcntl",
        "uname",
        "sched_getaffinity",
    ];
    Spec {
        abis: vec![Abi::X86_64],
        default: SECCOMP_RET_KILL_PROCESS,
        bad_arch: Some(SECCOMP_RET_KILL_PROCESS),
        rules: NAMES.iter().map(|n| allow(n, vec![])).collect(),
    }
}

/// A large, argument-heavy allow-list in the style of a virtual machine
/// monitor's: ioctl requests one by one, fcntl commands, socket families,
/// memory protections without `PROT_EXEC`, futex operations, bounded sizes
/// (64-bit constants included), plus unconditional calls.
pub fn arg_heavy() -> Spec {
    use CmpOp::*;
    let eq = |arg, v| Cond::new(arg, Eq, v);
    let mut rules = Vec::new();
    // KVM, TUN and terminal ioctl requests (arg 1).
    const IOCTLS: &[u64] = &[
        0xae80,
        0x8090_ae81,
        0x4090_ae82,
        0x8138_ae83,
        0x4138_ae84,
        0x4008_ae61,
        0x4040_ae79,
        0x4020_ae76,
        0x4020_ae46,
        0x4010_ae42,
        0xae41,
        0xc008_ae88,
        0x4008_ae89,
        0x4008_ae90,
        0x8400_ae8e,
        0x4400_ae8f,
        0x8040_ae9f,
        0x4040_aea0,
        0x8004_ae98,
        0x4004_ae99,
        0x9000_aea4,
        0x5000_aea5,
        0x8188_aea6,
        0x4188_aea7,
        0x8080_aea1,
        0x4080_aea2,
        0xaead,
        0x8030_ae7c,
        0x4030_ae7b,
        0x4004_54ca,
        0x4004_54d0,
        0x4004_54d8,
        0x5401,
        0x5402,
        0x5413,
        0x5421,
        0x5451,
    ];
    for &req in IOCTLS {
        rules.push(allow("ioctl", vec![eq(1, req)]));
    }
    // fcntl: F_GETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC; F_SETFD only to FD_CLOEXEC.
    for cmd in [1, 3, 4, 1030] {
        rules.push(allow("fcntl", vec![eq(1, cmd)]));
    }
    rules.push(allow("fcntl", vec![eq(1, 2), eq(2, 1)]));
    // socket: AF_UNIX, AF_INET, AF_INET6 streams and datagrams (type without flags),
    // AF_NETLINK raw.
    for family in [1, 2, 10] {
        for ty in [1, 2] {
            rules.push(allow(
                "socket",
                vec![eq(0, family), Cond::masked(1, 0xf, ty)],
            ));
        }
    }
    rules.push(allow("socket", vec![eq(0, 16), Cond::masked(1, 0xf, 3)]));
    // No executable mappings; mmap length below 64 GiB.
    rules.push(allow(
        "mmap",
        vec![Cond::masked(2, 4, 0), Cond::new(1, Le, 0x10_0000_0000)],
    ));
    rules.push(allow("mprotect", vec![Cond::masked(2, 4, 0)]));
    for advice in [4, 8, 14, 16] {
        rules.push(allow("madvise", vec![eq(2, advice)]));
    }
    // futex: WAIT, WAKE, CMP_REQUEUE and WAIT_BITSET, private.
    for op in [128, 129, 132, 137] {
        rules.push(allow("futex", vec![eq(1, op)]));
    }
    // prctl: PR_SET_NAME, PR_GET_NAME, PR_SET_NO_NEW_PRIVS(1).
    rules.push(allow("prctl", vec![eq(0, 15)]));
    rules.push(allow("prctl", vec![eq(0, 16)]));
    rules.push(allow("prctl", vec![eq(0, 38), eq(1, 1)]));
    // Threads only: no new namespaces.
    rules.push(allow("clone", vec![Cond::masked(0, 0x7e02_0000, 0)]));
    // Read-only opens (no O_WRONLY, O_RDWR, O_CREAT, O_TRUNC).
    rules.push(allow("openat", vec![Cond::masked(2, 0x243, 0)]));
    // Bounded sizes and small enumerations.
    rules.push(allow("write", vec![Cond::new(2, Le, 1 << 20)]));
    rules.push(allow("read", vec![Cond::new(2, Le, 1 << 20)]));
    rules.push(allow("lseek", vec![Cond::new(2, Le, 2)]));
    rules.push(allow("getrandom", vec![Cond::new(2, Lt, 2)]));
    rules.push(allow("rt_sigaction", vec![Cond::new(0, Lt, 64)]));
    rules.push(allow("rt_sigprocmask", vec![Cond::new(0, Le, 2)]));
    rules.push(allow("tgkill", vec![eq(2, 6)]));
    rules.push(allow("tgkill", vec![Cond::new(2, Ge, 34)]));
    rules.push(allow("kill", vec![eq(1, 0)]));
    rules.push(allow("dup3", vec![eq(2, 0x80000)]));
    rules.push(allow("accept4", vec![Cond::masked(3, !0x80800u64, 0)]));
    rules.push(allow("sendto", vec![eq(4, 0), eq(5, 0)]));
    rules.push(allow("setsockopt", vec![eq(1, 1), eq(2, 2)]));
    rules.push(allow("setsockopt", vec![eq(1, 6), eq(2, 1)]));
    rules.push(allow("prlimit64", vec![eq(0, 0), eq(2, 0)]));
    rules.push(allow("timerfd_settime", vec![Cond::new(1, Ne, 2)]));
    rules.push(allow("munmap", vec![Cond::new(1, Gt, 0)]));
    const UNCONDITIONAL: &[&str] = &[
        "close",
        "fstat",
        "brk",
        "exit",
        "exit_group",
        "rt_sigreturn",
        "epoll_wait",
        "epoll_pwait",
        "epoll_ctl",
        "epoll_create1",
        "eventfd2",
        "timerfd_create",
        "nanosleep",
        "clock_gettime",
        "getpid",
        "gettid",
        "sched_yield",
        "restart_syscall",
        "readv",
        "writev",
        "pread64",
        "pwrite64",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "newfstatat",
        "statx",
        "sigaltstack",
        "rseq",
        "set_robust_list",
    ];
    rules.extend(UNCONDITIONAL.iter().map(|n| allow(n, vec![])));
    Spec {
        abis: vec![Abi::X86_64],
        default: SECCOMP_RET_KILL_PROCESS,
        bad_arch: Some(SECCOMP_RET_KILL_PROCESS),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_an_x86_64_syscall() {
        for spec in [app_lockdown(), arg_heavy()] {
            for r in &spec.rules {
                assert!(Abi::X86_64.syscall_nr(&r.name).is_some(), "{}", r.name);
            }
            assert!(spec.to_text().is_ok());
        }
    }

    #[test]
    fn arg_heavy_uses_every_operator_and_a_high_word() {
        let spec = arg_heavy();
        for op in CmpOp::ALL {
            assert!(
                spec.rules.iter().flat_map(|r| &r.conds).any(|c| c.op == op),
                "{op:?}"
            );
        }
        assert!(spec.constants().iter().any(|&c| c > u64::from(u32::MAX)));
    }
}
