//! Tests of the whole compiler on realistic policies, with structural metrics
//! (instruction counts, never timings).

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::action::Action;
use crate::cache::is_const_allow;
use crate::emulate::{ByteOrder, emulate_for};
use crate::policy::{Arg, Policy, Rule};
use crate::validate::validate;

/// The syscalls that Docker's default profile allows unconditionally on x86
/// (its unconditional list plus the x86 arch-specific and kernel-gated entries).
pub(crate) const DOCKER_ALLOWED: &[&str] = &[
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "getxattrat",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listmount",
    "listxattr",
    "listxattrat",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "mseal",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "removexattrat",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "riscv_hwprobe",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "setxattrat",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statmount",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "uretprobe",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "arch_prctl",
    "modify_ldt",
];

/// A policy shaped like Docker's default profile for x86_64 with its i386 and
/// x32 sub-architectures, without capabilities.
pub(crate) fn docker_like() -> Policy {
    let abis = [Abi::X86_64, Abi::I386, Abi::X32];
    // Names unknown on every x86 ABI (`recv`, ...) are for other arches.
    let known = DOCKER_ALLOWED
        .iter()
        .copied()
        .filter(|n| abis.iter().any(|a| a.syscall_nr(n).is_some()));
    let mut p = Policy::new(Action::Errno(1))
        .abis(&abis)
        .syscalls(known, Action::Allow);
    for v in [0u64, 8, 0x20000, 0x20008, 0xffff_ffff] {
        p = p.rule(Rule::new("personality", Action::Allow).when(Arg(0).eq(v)));
    }
    p.rule(Rule::new("socket", Action::Allow).when(Arg(0).lt(38)))
        .rule(Rule::new("socket", Action::Allow).when(Arg(0).eq(39)))
        .rule(Rule::new("socket", Action::Allow).when(Arg(0).gt(40)))
        .rule(Rule::new("clone", Action::Allow).when(Arg(0).masked_eq(0x7e02_0000, 0)))
        .rule(Rule::new("clone3", Action::Errno(38)))
}

fn data(arch: u32, nr: u32, args: [u64; 6]) -> seccomp_data {
    seccomp_data {
        nr: nr as i32,
        arch,
        instruction_pointer: 0,
        args,
    }
}

/// Length, longest and mean path over numbers 0..1024 with zero arguments on
/// `arch`, checking every decision against the policy.
fn metrics(policy: &Policy, abi: Abi) -> (usize, usize, f64) {
    let prog = policy.compile().unwrap();
    validate(prog.insns()).unwrap();
    let (mut max, mut sum) = (0, 0);
    for nr in 0..1024 {
        let d = data(abi.audit_arch(), nr, [0; 6]);
        let out = emulate_for(prog.insns(), &d, ByteOrder::of(abi)).unwrap();
        assert_eq!(out.ret, policy.evaluate(&d).to_raw(), "nr {nr}");
        max = max.max(out.executed);
        sum += out.executed;
    }
    (prog.len(), max, sum as f64 / 1024.0)
}

#[test]
fn docker_like_policy_is_small_and_fast() {
    let p = docker_like();
    let (len, max, mean) = metrics(&p, Abi::X86_64);
    extern crate std;
    std::println!("docker-like: length {len}, max path {max}, mean path {mean:.2}");
    assert!(len <= 360, "length {len}");
    assert!(max <= 12, "max path {max}");
    assert!(mean <= 11.0, "mean path {mean}");
}

#[test]
fn unconditional_allows_are_cacheable() {
    let p = docker_like();
    let prog = p.compile().unwrap();
    let conditional = ["personality", "socket", "clone"];
    let mut cached = 0;
    for &abi in p.abi_list() {
        for &(nr, name) in abi.syscalls() {
            let allowed = DOCKER_ALLOWED.contains(&name) && !conditional.contains(&name);
            let c = is_const_allow(prog.insns(), abi.audit_arch(), nr);
            assert_eq!(c, allowed, "{abi} {name}");
            cached += usize::from(c);
        }
    }
    extern crate std;
    std::println!("docker-like: {cached} cacheable (abi, syscall) pairs");
}

const ARGS: [u64; 9] = [
    0,
    38,
    39,
    40,
    41,
    8,
    0x1_0000_0000,
    0x7e02_0000,
    0x0100_0000,
];

#[test]
fn evaluates_like_the_policy_on_every_abi() {
    let p = docker_like();
    let prog = p.compile().unwrap();
    let mut arches: Vec<u32> = AUDIT_ARCHES.iter().map(|a| a.1).collect();
    arches.push(0);
    for arch in arches {
        let order = Abi::ALL
            .iter()
            .find(|a| a.audit_arch() == arch)
            .map_or(ByteOrder::Little, |&a| ByteOrder::of(a));
        // Other arches stop at the arch check: a few numbers suffice there.
        let step = if p.abi_list().iter().any(|a| a.audit_arch() == arch) {
            1
        } else {
            97
        };
        let nrs = (0..1100).step_by(step);
        for nr in nrs.chain([X32_SYSCALL_BIT - 1, u32::MAX, u32::MAX - 1, 1 << 31]) {
            for nr in [nr, nr | X32_SYSCALL_BIT] {
                // Argument values matter only for argument-checked syscalls.
                let name = Abi::ALL
                    .iter()
                    .filter(|a| a.audit_arch() == arch)
                    .find_map(|a| a.syscall_name(nr));
                let checked = matches!(name, Some("socket" | "personality" | "clone"));
                let args: &[u64] = if checked { &ARGS } else { &[0, 40] };
                for &a0 in args {
                    let d = data(arch, nr, [a0, 0, 0, 0, 0, 0]);
                    let out = emulate_for(prog.insns(), &d, order).unwrap();
                    assert_eq!(
                        out.ret,
                        p.evaluate(&d).to_raw(),
                        "arch {arch:#x} nr {nr:#x} arg {a0:#x}"
                    );
                }
            }
        }
    }
}

/// Instructions run for `nr` under x86_64 with zero arguments.
fn path(prog: &crate::program::Program, nr: u32) -> usize {
    let d = data(AUDIT_ARCH_X86_64, nr, [0; 6]);
    emulate_for(prog.insns(), &d, ByteOrder::Little)
        .unwrap()
        .executed
}

#[test]
fn hot_syscalls_rise() {
    let hot = ["read", "write", "futex", "epoll_wait", "recvfrom"];
    let plain = docker_like().compile().unwrap();
    let tuned = docker_like().hot_syscalls(hot).compile().unwrap();
    let nr = |n| Abi::X86_64.syscall_nr(n).unwrap();
    let before: Vec<usize> = hot.iter().map(|&n| path(&plain, nr(n))).collect();
    let after: Vec<usize> = hot.iter().map(|&n| path(&tuned, nr(n))).collect();
    extern crate std;
    std::println!("hot paths: {before:?} -> {after:?}");
    for (b, a) in before.iter().zip(&after) {
        assert!(a <= b, "{before:?} -> {after:?}");
    }
    // The hottest is right under the x32 split: arch, nr, two comparisons, RET.
    assert!(after[0] <= 7, "{after:?}");
    // Decisions are the same.
    let p = docker_like();
    for nr in 0..600 {
        let d = data(AUDIT_ARCH_X86_64, nr, [0; 6]);
        let out = emulate_for(tuned.insns(), &d, ByteOrder::Little).unwrap();
        assert_eq!(out.ret, p.evaluate(&d).to_raw());
    }
}
