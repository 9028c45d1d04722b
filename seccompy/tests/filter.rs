//! `Filter`, live: rules with argument conditions on real system calls, several
//! ABIs, the x32 guard, and every action through the compiled program.
mod support;

use std::os::fd::AsRawFd;

#[cfg(target_arch = "x86_64")]
use seccompy::Abi;
use seccompy::bpf::Action;
use seccompy::sys::seccomp_data;
use seccompy::{Arg, Arg32, Condition, Filter, FilterAction, FilterArgs, FilterError, FilterFlags};
use support::*;

const EXDEV: FilterAction = FilterAction::Errno { errno: libc::EXDEV };

/// A filter that refuses everything with EXDEV but what a forked test child
/// needs to report and leave (`write`, `close`, `exit_group`).
fn allow_list() -> Filter {
    let mut f = Filter::new(FilterArgs {
        default_action: EXDEV,
        ..FilterArgs::default()
    });
    f.add_syscall_group(
        &[libc::SYS_write, libc::SYS_close, libc::SYS_exit_group].map(|n| n as u32),
        FilterAction::Allow,
    );
    f
}

fn install(filter: &Filter) -> Result<(), i32> {
    let program = filter.compile().map_err(|_| 95)?;
    seccompy::set_no_new_privileges().map_err(|_| 96)?;
    seccompy::set_filter(FilterFlags::empty(), &program).map_err(|_| 97)?;
    Ok(())
}

/// Argument values around the 32-bit boundary: several differ only in the high word.
const VALUES: [u64; 12] = [
    0,
    5,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0004,
    0x1_0000_0005,
    0x2_0000_0005,
    0xffff_ffff_0000_0005,
    0xffff_ffff_ffff_ff9c, // AT_FDCWD, sign-extended
    0x0000_0000_ffff_ff9c, // AT_FDCWD, zero-extended
    0x8000_0000_0000_0000,
    u64::MAX,
];

#[test]
fn argument_conditions_compare_both_words_as_documented() {
    let conditions: [Condition; 12] = [
        Arg(0).eq(0x1_0000_0005),
        Arg(0).ne(0x1_0000_0005),
        Arg(1).gt(0x1_0000_0000),
        Arg(2).ge(0x1_0000_0005),
        Arg(3).lt(0x1_0000_0005),
        Arg(4).le(0xffff_ffff),
        Arg(5).masked_eq(0xffff_ffff_0000_0000, 0xffff_ffff_0000_0000),
        Arg(0).bits_within(0x1_ffff_ffff),
        Arg32(1).eq(5),
        Arg32(2).eq(libc::AT_FDCWD as u32),
        Arg(3).eq(libc::AT_FDCWD as i64 as u64),
        Arg32(4).gt(0x7fff_ffff),
    ];
    let parent = i64::from(std::process::id());
    for cond in conditions {
        let mut filter = allow_list();
        filter.add_rule("getppid", FilterAction::Allow, [cond]);
        let out = in_child(|r| {
            install(&filter)?;
            for v in VALUES {
                let mut args = [0u64; 6];
                args[usize::from(cond.index())] = v;
                // SAFETY: getppid ignores its arguments; the filter reads them.
                let ret = unsafe {
                    libc::syscall(
                        libc::SYS_getppid,
                        args[0],
                        args[1],
                        args[2],
                        args[3],
                        args[4],
                        args[5],
                    )
                };
                r.num(if ret < 0 {
                    -i64::from(errno())
                } else {
                    ret as i64
                });
            }
            Ok(())
        });
        out.assert_ok();
        for (v, got) in VALUES.iter().zip(out.numbers()) {
            let mut args = [0u64; 6];
            args[usize::from(cond.index())] = *v;
            let want = if cond.matches(&args, true) {
                parent
            } else {
                -i64::from(libc::EXDEV)
            };
            assert_eq!(got, want, "{cond:?} with {v:#x}");
        }
    }
}

#[test]
#[cfg_attr(
    not(target_pointer_width = "64"),
    ignore = "needs a 64-bit ABI: on a 32-bit one lseek's offset is a 32-bit argument"
)]
fn lseek_offsets_that_differ_only_in_the_high_word() {
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"seccompy-lseek".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0);
    let mut filter = allow_list();
    filter.add_rule("lseek", FilterAction::Allow, [Arg(1).le(0x1_0000_0000)]);
    let out = in_child(|r| {
        install(&filter)?;
        for off in [0x1_0000_0000_i64, 0x2_0000_0000, 0, 0x1_0000_0001] {
            // SAFETY: seeking an fd we own (the raw call: the C library's may
            // take another on a 32-bit ABI, where the test does not run).
            let ret = unsafe { libc::syscall(libc::SYS_lseek, fd, off, libc::SEEK_SET) };
            r.num(if ret < 0 {
                -i64::from(errno())
            } else {
                ret as i64
            });
        }
        Ok(())
    });
    // SAFETY: closing our fd.
    unsafe { libc::close(fd) };
    out.assert_ok();
    let exdev = -i64::from(libc::EXDEV);
    assert_eq!(out.numbers(), [0x1_0000_0000, exdev, 0, exdev]);
}

#[test]
fn at_fdcwd_matches_as_a_32_bit_int() {
    let dir = std::fs::File::open("/").unwrap();
    let dirfd = dir.as_raw_fd();
    let openat = |fd: i64| -> i64 {
        // SAFETY: opening "." read-only as a directory; the fd is closed at once.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_openat,
                fd,
                c".".as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if ret < 0 {
            return -i64::from(errno());
        }
        // SAFETY: closing the fd just opened.
        unsafe { libc::close(ret as i32) };
        1
    };
    // All 64 bits of the int: refused, naming the argument.
    let mut wide = allow_list();
    wide.add_rule(
        "openat",
        FilterAction::Allow,
        [Arg(0).eq(libc::AT_FDCWD as i64 as u64)],
    );
    let e = wide.compile().unwrap_err();
    assert!(
        matches!(
            e,
            FilterError::WideCondition {
                syscall: "openat",
                index: 0,
                name: "dfd",
                c_type: "int",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("compare the low word with Arg32"),
        "{e}"
    );
    let cases = [("Arg32", Arg32(0).eq(libc::AT_FDCWD as u32))];
    let mut seen = Vec::new();
    for (name, cond) in cases {
        let mut filter = allow_list();
        filter.add_rule("openat", FilterAction::Allow, [cond]);
        let out = in_child(|r| {
            install(&filter)?;
            // The C library's call: the int -100, sign-extended in the register.
            // SAFETY: a NUL-terminated path; the fd is closed at once.
            let ret = unsafe {
                libc::openat(
                    libc::AT_FDCWD,
                    c".".as_ptr(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if ret >= 0 {
                // SAFETY: closing it.
                unsafe { libc::close(ret) };
                r.num(1);
            } else {
                r.num(-i64::from(errno()));
            }
            r.num(openat(i64::from(libc::AT_FDCWD))); // sign-extended
            r.num(openat(0xffff_ff9c)); // zero-extended: the kernel still reads -100
            r.num(openat(i64::from(dirfd))); // a real directory fd
            Ok(())
        });
        out.assert_ok();
        seen.push((name, out.numbers()));
    }
    let x = -i64::from(libc::EXDEV);
    // Low 32 bits: every spelling of AT_FDCWD matches, the real fd does not.
    assert_eq!(seen, [("Arg32", vec![1, 1, 1, x])]);
}

/// `syscall` with a raw number, through inline assembly (x86_64).
#[cfg(target_arch = "x86_64")]
fn raw_syscall(nr: u64) -> i64 {
    let ret: i64;
    // SAFETY: a system call without arguments; the kernel clobbers rcx and r11.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") nr as i64 => ret,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

#[cfg(target_arch = "x86_64")]
#[test]
fn an_x32_call_is_refused_by_a_filter_that_allows_the_plain_number() {
    const X32: u64 = 0x4000_0000;
    let getppid = libc::SYS_getppid as u64;
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        arch_mismatch_action: EXDEV,
        ..FilterArgs::default()
    });
    filter.add_syscall_group(&[getppid as u32], FilterAction::Allow);
    let out = in_child(|r| {
        install(&filter)?;
        r.num(raw_syscall(getppid));
        r.num(raw_syscall(getppid | X32));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(
        out.numbers(),
        [i64::from(std::process::id()), -i64::from(libc::EXDEV)]
    );

    // With the default arguments, the x32 call kills the thread.
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    filter.add_syscall_group(&[getppid as u32], FilterAction::Allow);
    let out = in_child(|_| {
        install(&filter)?;
        raw_syscall(getppid | X32);
        Ok(())
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
}

/// An i386 system call through `int 0x80` (x86_64 with IA-32 emulation).
#[cfg(target_arch = "x86_64")]
fn int80(nr: u32) -> i64 {
    let ret: i32;
    // SAFETY: a system call without arguments; the kernel may clobber r8-r11.
    unsafe {
        std::arch::asm!(
            "int 0x80",
            inlateout("eax") nr as i32 => ret,
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    i64::from(ret)
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "needs IA-32 emulation in the kernel (CONFIG_IA32_EMULATION, not disabled at boot)"]
fn several_abis_share_the_rules_by_name() {
    let i386_getpid = Abi::I386.syscall_nr("getpid").unwrap();
    let i386_getppid = Abi::I386.syscall_nr("getppid").unwrap();
    // Does this kernel run i386 calls at all?
    let probe = in_child(|r| {
        r.num(int80(i386_getpid));
        r.num(gettid());
        Ok(())
    });
    probe.assert_ok();
    let n = probe.numbers();
    assert_eq!(
        n[0], n[1],
        "this kernel runs no i386 calls (int 0x80 gave {}): IA-32 emulation is off",
        n[0]
    );
    let parent = i64::from(std::process::id());
    // x86_64's number, read as the name "getppid" on every ABI, whichever
    // method takes it.
    let getppid_nr = libc::SYS_getppid as u32;
    let entry_points: [fn(&mut Filter); 3] = [
        |f| {
            f.add_syscall_group(&[libc::SYS_getppid as u32], EXDEV);
        },
        |f| {
            f.add_syscall(libc::SYS_getppid as u32, EXDEV);
        },
        |f| {
            f.add_rule(libc::SYS_getppid as u32, EXDEV, []);
        },
    ];
    assert_eq!(Abi::X86_64.syscall_name(getppid_nr), Some("getppid"));
    let filter_for = |abis: &[Abi], add: fn(&mut Filter)| {
        let mut f = Filter::new(FilterArgs {
            default_action: FilterAction::Allow,
            arch_mismatch_action: FilterAction::Errno { errno: libc::EDOM },
            ..FilterArgs::default()
        });
        add(&mut f);
        for &abi in abis {
            f.add_abi(abi);
        }
        f
    };
    let run = |filter: Filter| {
        let out = in_child(|r| {
            install(&filter)?;
            r.num(getppid());
            r.num(int80(i386_getppid));
            r.num(int80(i386_getpid));
            Ok(())
        });
        out.assert_ok();
        out.numbers()
    };
    let (exdev, edom) = (-i64::from(libc::EXDEV), -i64::from(libc::EDOM));
    for (i, add) in entry_points.into_iter().enumerate() {
        // x86_64 only: i386 calls are an arch mismatch.
        let only = run(filter_for(&[], add));
        assert_eq!(only, [exdev, edom, edom], "entry point {i}");
        // With i386: its getppid (another number) gets the rule, its getpid
        // (i386 number 20, x86_64's getppid is 110) runs.
        let both = run(filter_for(&[Abi::I386], add));
        assert_eq!(both[..2], [exdev, exdev], "entry point {i}");
        assert!(
            both[2] > 0 && both[2] != parent,
            "entry point {i}: i386 getpid ran: {both:?}"
        );
    }
}

#[test]
fn every_action_through_a_compiled_filter() {
    let parent = i64::from(std::process::id());
    let enosys = -i64::from(libc::ENOSYS);
    let cases: [(FilterAction, Exit, Option<i64>); 8] = [
        (FilterAction::Allow, Exit::Code(0), Some(parent)),
        (FilterAction::Log, Exit::Code(0), Some(parent)),
        (EXDEV, Exit::Code(0), Some(-i64::from(libc::EXDEV))),
        (FilterAction::Trace { data: 1 }, Exit::Code(0), Some(enosys)),
        (FilterAction::UserNotif, Exit::Code(0), Some(enosys)),
        (
            FilterAction::Trap { data: 1 },
            Exit::Signal(libc::SIGSYS),
            None,
        ),
        (FilterAction::KillThread, Exit::Signal(libc::SIGSYS), None),
        (FilterAction::KillProcess, Exit::Signal(libc::SIGSYS), None),
    ];
    for (action, exit, value) in cases {
        let mut filter = Filter::new(FilterArgs {
            default_action: FilterAction::Allow,
            ..FilterArgs::default()
        });
        filter.add_syscall("getppid", action);
        let out = in_child(|r| {
            install(&filter)?;
            r.num(getppid());
            Ok(())
        });
        assert_eq!(out.exit, exit, "{action}");
        assert_eq!(out.numbers().first().copied(), value, "{action}");
    }
}

#[test]
fn the_most_restrictive_matching_rule_wins() {
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    filter
        .add_syscall("getppid", FilterAction::Allow)
        .add_rule("getppid", EXDEV, [Arg(0).eq(1)])
        .add_rule(
            "getppid",
            FilterAction::Errno { errno: libc::EDOM },
            [Arg(1).eq(1)],
        );
    let policy = filter.to_policy().unwrap();
    let out = in_child(|r| {
        install(&filter)?;
        for (a, b) in [(0u64, 0u64), (1, 0), (0, 1), (1, 1)] {
            // SAFETY: getppid ignores its arguments.
            let ret = unsafe { libc::syscall(libc::SYS_getppid, a, b) };
            r.num(if ret < 0 {
                -i64::from(errno())
            } else {
                ret as i64
            });
        }
        Ok(())
    });
    out.assert_ok();
    // The kernel agrees with the policy's own reading of the rules.
    let expect: Vec<i64> = [(0u64, 0u64), (1, 0), (0, 1), (1, 1)]
        .iter()
        .map(|&(a, b)| {
            let data = seccomp_data {
                nr: libc::SYS_getppid as i32,
                arch: host_arch(),
                instruction_pointer: 0,
                args: [a, b, 0, 0, 0, 0],
            };
            match policy.evaluate(&data) {
                Action::Allow => i64::from(std::process::id()),
                Action::Errno(e) => -i64::from(e),
                other => panic!("unexpected {other}"),
            }
        })
        .collect();
    assert_eq!(out.numbers(), expect);
    // Allowed; each condition alone; both: two ERRNOs, the smaller data wins.
    let (exdev, edom) = (-i64::from(libc::EXDEV), -i64::from(libc::EDOM));
    assert_eq!(expect, [i64::from(std::process::id()), exdev, edom, exdev]);
}

#[test]
fn hot_syscalls_change_the_speed_not_the_decisions() {
    let build = |hot: bool| {
        let mut f = allow_list();
        f.add_syscall_group(
            &[
                libc::SYS_getppid,
                libc::SYS_getpid,
                libc::SYS_gettid,
                libc::SYS_getuid,
                libc::SYS_getgid,
                libc::SYS_geteuid,
                libc::SYS_getegid,
            ]
            .map(|n| n as u32),
            FilterAction::Allow,
        );
        if hot {
            f.add_hot_syscalls(&[libc::SYS_getegid as u32]);
        }
        f
    };
    let (cold, hot) = (build(false), build(true));
    let steps = |f: &Filter| {
        let program = f.compile().unwrap();
        let data = seccomp_data {
            nr: libc::SYS_getegid as i32,
            arch: host_arch(),
            instruction_pointer: 0,
            args: [0; 6],
        };
        let outcome = seccompy::bpf::emulate(program.insns(), &data).unwrap();
        (outcome.ret, outcome.executed)
    };
    let (cold_ret, cold_steps) = steps(&cold);
    let (hot_ret, hot_steps) = steps(&hot);
    assert_eq!(cold_ret, hot_ret);
    assert!(
        hot_steps <= cold_steps,
        "hot {hot_steps} vs cold {cold_steps}"
    );
    let out = in_child(|r| {
        install(&hot)?;
        r.num(i64::from(sys0(libc::SYS_getegid) >= 0));
        // Not in the list (and a call every ABI has).
        r.num(sys0(libc::SYS_sched_yield));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [1, -i64::from(libc::EXDEV)]);
}
