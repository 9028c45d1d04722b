//! Stacked filters, live: the kernel runs every filter and applies the most
//! restrictive result; the filters' total size is bounded.
mod support;

use seccompy::sys::*;
use seccompy::{FilterFlags, SetFilterError, Status};
use support::*;

const NR: libc::c_long = libc::SYS_getppid;

/// Installs one filter per action, in order, and reports getppid's result.
fn stack(actions: &[u32]) -> Outcome {
    let programs: Vec<_> = actions
        .iter()
        .map(|&a| on_syscall(NR, a, SECCOMP_RET_ALLOW))
        .collect();
    in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 90)?;
        for p in &programs {
            seccompy::set_filter(FilterFlags::empty(), p).map_err(|_| 91)?;
        }
        r.num(getppid());
        Ok(())
    })
}

#[test]
fn errno_beats_allow_whatever_the_order() {
    for order in [
        [SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 5],
        [SECCOMP_RET_ERRNO | 5, SECCOMP_RET_ALLOW],
    ] {
        let out = stack(&order);
        out.assert_ok();
        assert_eq!(out.numbers(), [-5], "{order:x?}");
    }
}

#[test]
fn errno_beats_trace_and_log() {
    let out = stack(&[
        SECCOMP_RET_ERRNO | 6,
        SECCOMP_RET_TRACE | 1,
        SECCOMP_RET_LOG,
    ]);
    out.assert_ok();
    assert_eq!(out.numbers(), [-6]);
}

#[test]
fn kill_beats_errno() {
    for order in [
        [SECCOMP_RET_ERRNO | 5, SECCOMP_RET_KILL_PROCESS],
        [SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO | 5],
    ] {
        let out = stack(&order);
        assert_eq!(out.exit, Exit::Signal(libc::SIGSYS), "{order:x?}");
    }
}

#[test]
fn between_equal_actions_the_newest_filter_wins() {
    // The kernel walks the filters newest first and keeps a result unless a later
    // one is strictly more restrictive.
    let out = stack(&[SECCOMP_RET_ERRNO | 5, SECCOMP_RET_ERRNO | 6]);
    out.assert_ok();
    assert_eq!(out.numbers(), [-6]);
}

#[test]
fn the_filter_count_grows_in_proc() {
    let out = in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 90)?;
        let before = Status::current().map_err(|_| 1)?;
        for _ in 0..3 {
            seccompy::set_filter(FilterFlags::empty(), &allow_all()).map_err(|_| 2)?;
        }
        let after = Status::current().map_err(|_| 3)?;
        r.num(i64::from(before.filters.unwrap_or(0)));
        r.num(i64::from(after.filters.unwrap_or(0)));
        r.num(i64::from(after.mode == seccompy::Mode::Filter));
        r.num(i64::from(
            seccompy::mode().map_err(|_| 4)? == seccompy::Mode::Filter,
        ));
        Ok(())
    });
    out.assert_ok();
    let n = out.numbers();
    let running = seccompy::KernelVersion::running().expect("the running kernel's version");
    if running >= seccompy::KernelVersion::new(5, 9) {
        assert_eq!(n[1], n[0] + 3, "Seccomp_filters counts each filter");
    }
    assert_eq!(n[2..], [1, 1]);
}

#[test]
fn too_many_instructions_in_total_is_enomem() {
    // Each filter costs its length plus 4 against a total of 32768: filters of
    // 4096 instructions fit 7 times (4096 + 7 * 4100 > 32768 for the 8th).
    let mut long = vec![bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0); 4095];
    long.push(bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    let existing = Status::current().unwrap().filters;
    let out = in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 90)?;
        for i in 0..20 {
            match seccompy::set_filter(FilterFlags::empty(), &long) {
                Ok(_) => {}
                Err(e @ SetFilterError::TooManyInstructions { .. }) => {
                    r.num(i);
                    r.num(e.raw_os_error().unwrap_or(0).into());
                    return Ok(());
                }
                Err(_) => return Err(1),
            }
        }
        Err(2)
    });
    out.assert_ok();
    if existing == Some(0) {
        assert_eq!(out.numbers(), [7, i64::from(libc::ENOMEM)]);
    } else {
        assert_eq!(out.numbers()[1], i64::from(libc::ENOMEM));
    }
}
