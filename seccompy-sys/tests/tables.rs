//! The generated syscall tables: shape, kernel facts, look-ups, and agreement with
//! libc and the running kernel. Every table: the test needs `all-abis`
//! (`cargo test --workspace` has it; `cargo test -p seccompy-sys --features all-abis`).

use std::collections::BTreeSet;

use seccompy_sys::syscalls::{Abi, SyscallTable};
use seccompy_sys::{__AUDIT_ARCH_LE, X32_SYSCALL_BIT};

fn nr(abi: Abi, name: &str) -> u32 {
    abi.syscall_nr(name)
        .unwrap_or_else(|| panic!("{abi} has no {name}"))
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn every_abi_has_a_sorted_unique_table() {
    for &abi in Abi::ALL {
        let table = abi.syscall_table().unwrap();
        let calls = abi.syscalls();
        assert!(calls.len() > 250, "{abi}: {} syscalls", calls.len());
        assert_eq!(calls, table.syscalls());
        assert_eq!(abi.table_name(), table.name());
        assert!(
            calls.windows(2).all(|w| w[0].0 < w[1].0),
            "{abi}: numbers not strictly increasing"
        );
        let names: BTreeSet<&str> = calls.iter().map(|e| e.1).collect();
        assert_eq!(names.len(), calls.len(), "{abi}: duplicate names");
        for (_, name) in calls {
            assert!(
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{abi}: odd name {name:?}"
            );
        }
        assert!(table.header().contains("/asm/unistd"), "{}", table.header());
    }
}

/// Two ABIs share a table exactly when they differ only in byte order; x32 and
/// x86_64 share an audit arch but not a numbering.
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn tables_are_shared_by_endianness_only() {
    let key = |a: Abi| (a.audit_arch() | __AUDIT_ARCH_LE, a == Abi::X32);
    for &a in Abi::ALL {
        for &b in Abi::ALL {
            let same = core::ptr::eq(a.syscall_table().unwrap(), b.syscall_table().unwrap());
            assert_eq!(same, key(a) == key(b), "{a} vs {b}");
            assert_eq!(
                same,
                a.syscall_table().unwrap() == b.syscall_table().unwrap(),
                "{a} vs {b}"
            );
        }
    }
    let tables: BTreeSet<&str> = Abi::ALL.iter().map(|a| a.table_name()).collect();
    assert_eq!(tables.len(), 23, "{tables:?}");
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn lookups_agree_for_every_entry() {
    let mut seen = BTreeSet::new();
    for &abi in Abi::ALL {
        let table: &SyscallTable = abi.syscall_table().unwrap();
        if !seen.insert(table.name()) {
            continue;
        }
        for &(number, name) in table.syscalls() {
            assert_eq!(table.syscall_nr(name), Some(number), "{abi} {name}");
            assert_eq!(table.syscall_name(number), Some(name), "{abi} {number}");
            assert_eq!(abi.syscall_nr(name), Some(number));
            assert_eq!(abi.syscall_name(number), Some(name));
        }
        // Aliases resolve to the syscall they stand for, and are not names of their own.
        for &(alias, target) in table.aliases() {
            assert_eq!(table.syscall_nr(alias), table.syscall_nr(target), "{alias}");
            assert!(table.syscall_nr(target).is_some(), "{alias} -> {target}");
            assert!(table.syscalls().iter().all(|e| e.1 != alias), "{alias}");
        }
        assert!(table.aliases().windows(2).all(|w| w[0].0 < w[1].0));
    }
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn unknown_names_and_numbers_give_none() {
    let long = "a".repeat(10_000);
    for &abi in Abi::ALL {
        for name in [
            "",
            "no_such_syscall",
            "READ",
            "read ",
            " read",
            "re\0ad",
            "réad",
            long.as_str(),
            "__NR_read",
        ] {
            assert_eq!(abi.syscall_nr(name), None, "{abi} {name:?}");
        }
        let calls = abi.syscalls();
        let numbers: BTreeSet<u32> = calls.iter().map(|e| e.0).collect();
        let last = calls.last().unwrap().0;
        for n in [last + 1, u32::MAX, u32::MAX - 1, 0x7fff_ffff, 0x8000_0000] {
            assert_eq!(abi.syscall_name(n), None, "{abi} {n:#x}");
        }
        // Every gap in the numbering is unknown, too.
        let first = calls[0].0;
        for n in first..first + 1000 {
            assert_eq!(
                abi.syscall_name(n).is_some(),
                numbers.contains(&n),
                "{abi} {n}"
            );
        }
    }
}

/// Numbers from the kernel's `arch/x86/entry/syscalls/syscall_64.tbl`.
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn x86_64_has_the_newest_calls() {
    for (name, number) in [
        ("read", 0),
        ("seccomp", 317),
        ("uretprobe", 335),
        ("uprobe", 336),
        ("fchmodat2", 452),
        ("map_shadow_stack", 453),
        ("futex_wake", 454),
        ("futex_wait", 455),
        ("futex_requeue", 456),
        ("statmount", 457),
        ("listmount", 458),
        ("lsm_get_self_attr", 459),
        ("lsm_set_self_attr", 460),
        ("lsm_list_modules", 461),
        ("mseal", 462),
        ("setxattrat", 463),
        ("getxattrat", 464),
        ("listxattrat", 465),
        ("removexattrat", 466),
        ("open_tree_attr", 467),
        ("file_getattr", 468),
        ("file_setattr", 469),
    ] {
        assert_eq!(Abi::X86_64.syscall_nr(name), Some(number), "{name}");
        assert_eq!(Abi::X86_64.syscall_name(number), Some(name));
    }
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn x32_numbers_carry_the_x32_bit() {
    for &(number, name) in Abi::X32.syscalls() {
        assert_ne!(number & X32_SYSCALL_BIT, 0, "{name} = {number:#x}");
        let low = number & !X32_SYSCALL_BIT;
        // Below 512 x32 shares x86_64's numbering; its own variants sit at 512 and up.
        if low < 512 {
            assert_eq!(Abi::X86_64.syscall_name(low), Some(name), "{name}");
        }
    }
    assert_eq!(nr(Abi::X32, "read"), X32_SYSCALL_BIT);
    assert_eq!(nr(Abi::X32, "rt_sigaction"), X32_SYSCALL_BIT + 512);
    assert_eq!(nr(Abi::X32, "execve"), X32_SYSCALL_BIT + 520);
    assert_eq!(Abi::X32.syscall_name(0), None);
    assert_eq!(Abi::X32.syscall_name(59), None);
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn the_abi_of_a_call() {
    use seccompy_sys::{AUDIT_ARCH_MIPS64N32, AUDIT_ARCH_X86_64};
    let x86 = AUDIT_ARCH_X86_64;
    for (nr, abi) in [
        (0, Abi::X86_64),
        (X32_SYSCALL_BIT - 1, Abi::X86_64),
        (X32_SYSCALL_BIT, Abi::X32),
        (nr(Abi::X32, "execve"), Abi::X32),
        (0x8000_0000, Abi::X32),
        (u32::MAX - 1, Abi::X32),
        // -1: the "no call" number, an x86_64 call though it has the x32 bit.
        (u32::MAX, Abi::X86_64),
    ] {
        assert_eq!(Abi::of_call(x86, nr), Some(abi), "{nr:#x}");
        assert_eq!(Abi::is_x32_nr(nr), abi == Abi::X32, "{nr:#x}");
    }
    // Every other ABI is its arch alone, whatever the number.
    for &abi in Abi::ALL {
        if abi.audit_arch() != x86 {
            for nr in [0, X32_SYSCALL_BIT, u32::MAX] {
                assert_eq!(Abi::of_call(abi.audit_arch(), nr), Some(abi));
            }
        }
    }
    assert_eq!(
        Abi::of_call(AUDIT_ARCH_MIPS64N32, 6000),
        Some(Abi::Mips64n32)
    );
    assert_eq!(Abi::of_call(0x1234, 0), None);
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn mips_bases() {
    for (abis, base) in [
        ([Abi::Mips, Abi::Mipsel], 4000),
        ([Abi::Mips64, Abi::Mipsel64], 5000),
        ([Abi::Mips64n32, Abi::Mipsel64n32], 6000),
    ] {
        for abi in abis {
            let calls = abi.syscalls();
            assert!(
                calls.iter().all(|e| (base..base + 1000).contains(&e.0)),
                "{abi}"
            );
            assert_eq!(calls[0].0, base, "{abi}");
        }
    }
    assert_eq!(nr(Abi::Mips, "syscall"), 4000);
    assert_eq!(nr(Abi::Mips, "read"), 4003);
    assert_eq!(nr(Abi::Mips64, "read"), 5000);
    assert_eq!(nr(Abi::Mipsel64n32, "read"), 6000);
}

/// The generic numbering (`asm-generic/unistd.h`) is shared by the newer
/// architectures: a name they have in common has the same number everywhere.
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn generic_numbering_is_shared() {
    let generic = [
        Abi::Aarch64,
        Abi::Riscv64,
        Abi::Riscv32,
        Abi::Loongarch64,
        Abi::Loongarch32,
        Abi::Arc,
    ];
    for &(number, name) in Abi::Aarch64.syscalls() {
        for abi in generic {
            if let Some(other) = abi.syscall_nr(name) {
                assert_eq!(other, number, "{abi} {name}");
            }
        }
    }
    assert_eq!(nr(Abi::Aarch64, "read"), 63);
    assert_eq!(nr(Abi::Riscv64, "openat"), 56);
}

/// ARM's private calls, from `arm/asm/unistd.h` (`__ARM_NR_BASE` + n).
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn arm_private_calls() {
    for abi in [Abi::Arm, Abi::Armeb] {
        assert_eq!(nr(abi, "breakpoint"), 0x000f_0001);
        assert_eq!(nr(abi, "cacheflush"), 0x000f_0002);
        assert_eq!(nr(abi, "set_tls"), 0x000f_0005);
        assert_eq!(nr(abi, "get_tls"), 0x000f_0006);
        assert_eq!(abi.syscall_name(0x000f_0002), Some("cacheflush"));
        assert_eq!(nr(abi, "sync_file_range2"), nr(abi, "arm_sync_file_range"));
        assert_eq!(nr(abi, "read"), 3);
    }
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn alpha_aliases() {
    assert_eq!(nr(Abi::Alpha, "getpid"), nr(Abi::Alpha, "getxpid"));
    assert_eq!(
        Abi::Alpha.syscall_name(nr(Abi::Alpha, "getpid")),
        Some("getxpid")
    );
    assert_eq!(nr(Abi::Alpha, "umount"), nr(Abi::Alpha, "umount2"));
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn a_few_classic_numbers() {
    assert_eq!(nr(Abi::I386, "read"), 3);
    assert_eq!(nr(Abi::I386, "socketcall"), 102);
    assert_eq!(nr(Abi::S390x, "read"), 3);
    assert_eq!(nr(Abi::Ppc64le, "read"), 3);
    assert_eq!(nr(Abi::Sparc64, "read"), 3);
    assert_eq!(nr(Abi::M68k, "read"), 3);
    assert_eq!(nr(Abi::Sheb, "read"), 3);
    assert_eq!(nr(Abi::Parisc, "read"), 3);
    assert_eq!(nr(Abi::Alpha, "read"), 3);
}

/// The host's table reaches the right syscalls of the running kernel.
#[cfg(target_os = "linux")]
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn host_numbers_reach_the_right_syscalls() {
    let abi = Abi::host().expect("this Linux host runs an ABI with a syscall table");
    let call = |name: &str| {
        let n = nr(abi, name) as libc::c_long;
        // SAFETY: these syscalls take no arguments and have no side effects.
        unsafe { libc::syscall(n) }
    };
    // SAFETY: plain getters without preconditions.
    let expected = unsafe {
        [
            ("getpid", libc::getpid() as libc::c_long),
            ("getppid", libc::getppid() as libc::c_long),
            ("gettid", libc::gettid() as libc::c_long),
            ("getuid", libc::getuid() as libc::c_long),
            ("geteuid", libc::geteuid() as libc::c_long),
            ("getgid", libc::getgid() as libc::c_long),
            ("getegid", libc::getegid() as libc::c_long),
        ]
    };
    for (name, value) in expected {
        assert_eq!(call(name), value, "{abi} {name}");
    }
}

/// Every `SYS_*` constant libc has for x86_64 (glibc flavour) has the same number.
#[cfg(all(
    target_os = "linux",
    target_arch = "x86_64",
    target_pointer_width = "64",
    target_env = "gnu"
))]
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn x86_64_agrees_with_libc() {
    macro_rules! libc_sys {
        ($($sys:ident),* $(,)?) => {
            [$((stringify!($sys), libc::$sys)),*]
        };
    }
    let constants = libc_sys![
        SYS_read,
        SYS_write,
        SYS_open,
        SYS_close,
        SYS_stat,
        SYS_fstat,
        SYS_lstat,
        SYS_poll,
        SYS_lseek,
        SYS_mmap,
        SYS_mprotect,
        SYS_munmap,
        SYS_brk,
        SYS_rt_sigaction,
        SYS_rt_sigprocmask,
        SYS_rt_sigreturn,
        SYS_ioctl,
        SYS_pread64,
        SYS_pwrite64,
        SYS_readv,
        SYS_writev,
        SYS_access,
        SYS_pipe,
        SYS_select,
        SYS_sched_yield,
        SYS_mremap,
        SYS_msync,
        SYS_mincore,
        SYS_madvise,
        SYS_shmget,
        SYS_shmat,
        SYS_shmctl,
        SYS_dup,
        SYS_dup2,
        SYS_pause,
        SYS_nanosleep,
        SYS_getitimer,
        SYS_alarm,
        SYS_setitimer,
        SYS_getpid,
        SYS_sendfile,
        SYS_socket,
        SYS_connect,
        SYS_accept,
        SYS_sendto,
        SYS_recvfrom,
        SYS_sendmsg,
        SYS_recvmsg,
        SYS_shutdown,
        SYS_bind,
        SYS_listen,
        SYS_getsockname,
        SYS_getpeername,
        SYS_socketpair,
        SYS_setsockopt,
        SYS_getsockopt,
        SYS_clone,
        SYS_fork,
        SYS_vfork,
        SYS_execve,
        SYS_exit,
        SYS_wait4,
        SYS_kill,
        SYS_uname,
        SYS_semget,
        SYS_semop,
        SYS_semctl,
        SYS_shmdt,
        SYS_msgget,
        SYS_msgsnd,
        SYS_msgrcv,
        SYS_msgctl,
        SYS_fcntl,
        SYS_flock,
        SYS_fsync,
        SYS_fdatasync,
        SYS_truncate,
        SYS_ftruncate,
        SYS_getdents,
        SYS_getcwd,
        SYS_chdir,
        SYS_fchdir,
        SYS_rename,
        SYS_mkdir,
        SYS_rmdir,
        SYS_creat,
        SYS_link,
        SYS_unlink,
        SYS_symlink,
        SYS_readlink,
        SYS_chmod,
        SYS_fchmod,
        SYS_chown,
        SYS_fchown,
        SYS_lchown,
        SYS_umask,
        SYS_gettimeofday,
        SYS_getrlimit,
        SYS_getrusage,
        SYS_sysinfo,
        SYS_times,
        SYS_ptrace,
        SYS_getuid,
        SYS_syslog,
        SYS_getgid,
        SYS_setuid,
        SYS_setgid,
        SYS_geteuid,
        SYS_getegid,
        SYS_setpgid,
        SYS_getppid,
        SYS_getpgrp,
        SYS_setsid,
        SYS_setreuid,
        SYS_setregid,
        SYS_getgroups,
        SYS_setgroups,
        SYS_setresuid,
        SYS_getresuid,
        SYS_setresgid,
        SYS_getresgid,
        SYS_getpgid,
        SYS_setfsuid,
        SYS_setfsgid,
        SYS_getsid,
        SYS_capget,
        SYS_capset,
        SYS_rt_sigpending,
        SYS_rt_sigtimedwait,
        SYS_rt_sigqueueinfo,
        SYS_rt_sigsuspend,
        SYS_sigaltstack,
        SYS_utime,
        SYS_mknod,
        SYS_uselib,
        SYS_personality,
        SYS_ustat,
        SYS_statfs,
        SYS_fstatfs,
        SYS_sysfs,
        SYS_getpriority,
        SYS_setpriority,
        SYS_sched_setparam,
        SYS_sched_getparam,
        SYS_sched_setscheduler,
        SYS_sched_getscheduler,
        SYS_sched_get_priority_max,
        SYS_sched_get_priority_min,
        SYS_sched_rr_get_interval,
        SYS_mlock,
        SYS_munlock,
        SYS_mlockall,
        SYS_munlockall,
        SYS_vhangup,
        SYS_modify_ldt,
        SYS_pivot_root,
        SYS__sysctl,
        SYS_prctl,
        SYS_arch_prctl,
        SYS_adjtimex,
        SYS_setrlimit,
        SYS_chroot,
        SYS_sync,
        SYS_acct,
        SYS_settimeofday,
        SYS_mount,
        SYS_umount2,
        SYS_swapon,
        SYS_swapoff,
        SYS_reboot,
        SYS_sethostname,
        SYS_setdomainname,
        SYS_iopl,
        SYS_ioperm,
        SYS_init_module,
        SYS_delete_module,
        SYS_quotactl,
        SYS_nfsservctl,
        SYS_getpmsg,
        SYS_putpmsg,
        SYS_afs_syscall,
        SYS_tuxcall,
        SYS_security,
        SYS_gettid,
        SYS_readahead,
        SYS_setxattr,
        SYS_lsetxattr,
        SYS_fsetxattr,
        SYS_getxattr,
        SYS_lgetxattr,
        SYS_fgetxattr,
        SYS_listxattr,
        SYS_llistxattr,
        SYS_flistxattr,
        SYS_removexattr,
        SYS_lremovexattr,
        SYS_fremovexattr,
        SYS_tkill,
        SYS_time,
        SYS_futex,
        SYS_sched_setaffinity,
        SYS_sched_getaffinity,
        SYS_set_thread_area,
        SYS_io_setup,
        SYS_io_destroy,
        SYS_io_getevents,
        SYS_io_submit,
        SYS_io_cancel,
        SYS_get_thread_area,
        SYS_lookup_dcookie,
        SYS_epoll_create,
        SYS_epoll_ctl_old,
        SYS_epoll_wait_old,
        SYS_remap_file_pages,
        SYS_getdents64,
        SYS_set_tid_address,
        SYS_restart_syscall,
        SYS_semtimedop,
        SYS_fadvise64,
        SYS_timer_create,
        SYS_timer_settime,
        SYS_timer_gettime,
        SYS_timer_getoverrun,
        SYS_timer_delete,
        SYS_clock_settime,
        SYS_clock_gettime,
        SYS_clock_getres,
        SYS_clock_nanosleep,
        SYS_exit_group,
        SYS_epoll_wait,
        SYS_epoll_ctl,
        SYS_tgkill,
        SYS_utimes,
        SYS_vserver,
        SYS_mbind,
        SYS_set_mempolicy,
        SYS_get_mempolicy,
        SYS_mq_open,
        SYS_mq_unlink,
        SYS_mq_timedsend,
        SYS_mq_timedreceive,
        SYS_mq_notify,
        SYS_mq_getsetattr,
        SYS_kexec_load,
        SYS_waitid,
        SYS_add_key,
        SYS_request_key,
        SYS_keyctl,
        SYS_ioprio_set,
        SYS_ioprio_get,
        SYS_inotify_init,
        SYS_inotify_add_watch,
        SYS_inotify_rm_watch,
        SYS_migrate_pages,
        SYS_openat,
        SYS_mkdirat,
        SYS_mknodat,
        SYS_fchownat,
        SYS_futimesat,
        SYS_newfstatat,
        SYS_unlinkat,
        SYS_renameat,
        SYS_linkat,
        SYS_symlinkat,
        SYS_readlinkat,
        SYS_fchmodat,
        SYS_faccessat,
        SYS_pselect6,
        SYS_ppoll,
        SYS_unshare,
        SYS_set_robust_list,
        SYS_get_robust_list,
        SYS_splice,
        SYS_tee,
        SYS_sync_file_range,
        SYS_vmsplice,
        SYS_move_pages,
        SYS_utimensat,
        SYS_epoll_pwait,
        SYS_signalfd,
        SYS_timerfd_create,
        SYS_eventfd,
        SYS_fallocate,
        SYS_timerfd_settime,
        SYS_timerfd_gettime,
        SYS_accept4,
        SYS_signalfd4,
        SYS_eventfd2,
        SYS_epoll_create1,
        SYS_dup3,
        SYS_pipe2,
        SYS_inotify_init1,
        SYS_preadv,
        SYS_pwritev,
        SYS_rt_tgsigqueueinfo,
        SYS_perf_event_open,
        SYS_recvmmsg,
        SYS_fanotify_init,
        SYS_fanotify_mark,
        SYS_prlimit64,
        SYS_name_to_handle_at,
        SYS_open_by_handle_at,
        SYS_clock_adjtime,
        SYS_syncfs,
        SYS_sendmmsg,
        SYS_setns,
        SYS_getcpu,
        SYS_process_vm_readv,
        SYS_process_vm_writev,
        SYS_kcmp,
        SYS_finit_module,
        SYS_sched_setattr,
        SYS_sched_getattr,
        SYS_renameat2,
        SYS_seccomp,
        SYS_getrandom,
        SYS_memfd_create,
        SYS_kexec_file_load,
        SYS_bpf,
        SYS_execveat,
        SYS_userfaultfd,
        SYS_membarrier,
        SYS_mlock2,
        SYS_copy_file_range,
        SYS_preadv2,
        SYS_pwritev2,
        SYS_pkey_mprotect,
        SYS_pkey_alloc,
        SYS_pkey_free,
        SYS_statx,
        SYS_rseq,
        SYS_pidfd_send_signal,
        SYS_io_uring_setup,
        SYS_io_uring_enter,
        SYS_io_uring_register,
        SYS_open_tree,
        SYS_move_mount,
        SYS_fsopen,
        SYS_fsconfig,
        SYS_fsmount,
        SYS_fspick,
        SYS_pidfd_open,
        SYS_clone3,
        SYS_close_range,
        SYS_openat2,
        SYS_pidfd_getfd,
        SYS_faccessat2,
        SYS_process_madvise,
        SYS_epoll_pwait2,
        SYS_mount_setattr,
        SYS_quotactl_fd,
        SYS_landlock_create_ruleset,
        SYS_landlock_add_rule,
        SYS_landlock_restrict_self,
        SYS_memfd_secret,
        SYS_process_mrelease,
        SYS_futex_waitv,
        SYS_set_mempolicy_home_node,
        SYS_fchmodat2,
        SYS_mseal
    ];
    assert!(constants.len() > 350);
    for (constant, value) in constants {
        let name = constant.strip_prefix("SYS_").unwrap();
        let value = u32::try_from(value).unwrap();
        assert_eq!(Abi::X86_64.syscall_nr(name), Some(value), "{name}");
        assert_eq!(Abi::X86_64.syscall_name(value), Some(name), "{name}");
    }
}
