//! Every filter flag, live, each case in a forked child.
mod support;

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use seccompy::sys::*;
use seccompy::{FilterFlags, SetFilterError};
use support::*;

const NR: libc::c_long = libc::SYS_getppid;

fn nnp() -> Result<(), i32> {
    seccompy::set_no_new_privileges().map_err(|_| 90)
}

fn errno_on_getppid(e: i32) -> seccompy::bpf::Program {
    on_syscall(NR, SECCOMP_RET_ERRNO | e as u32, SECCOMP_RET_ALLOW)
}

/// Installs, with `flags`, a filter failing `getppid` with errno `e` while a
/// second thread waits; reports [the second thread's `getppid` once the install
/// is done, the main thread's `getppid`].
fn getppid_on_two_threads(flags: FilterFlags, e: i32) -> Outcome {
    in_child(|r| {
        nnp()?;
        let go = AtomicBool::new(false);
        let seen = SharedI64::new(0);
        with_thread(
            || {
                spin_until(|| go.load(Ordering::SeqCst));
                seen.store(getppid());
            },
            |_| -> Result<(), i32> {
                let res = seccompy::set_filter(flags, &errno_on_getppid(e));
                go.store(true, Ordering::SeqCst);
                res.map(drop).map_err(|_| 1)
            },
        )?;
        r.num(seen.load());
        r.num(getppid());
        Ok(())
    })
}

#[test]
fn tsync_installs_the_filter_on_every_thread() {
    let out = getppid_on_two_threads(FilterFlags::TSYNC, libc::EXDEV);
    out.assert_ok();
    let exdev = -i64::from(libc::EXDEV);
    assert_eq!(out.numbers(), [exdev, exdev]);
}

#[test]
fn without_tsync_other_threads_are_not_filtered() {
    let parent = i64::from(std::process::id());
    let out = getppid_on_two_threads(FilterFlags::empty(), 1);
    out.assert_ok();
    assert_eq!(out.numbers(), [parent, -1]);
}

/// A thread with a filter of its own blocks TSYNC; the outcome of installing with
/// `flags` from the main thread is reported as [error code, tid in the error,
/// the diverged thread's tid, main thread's getppid afterwards].
fn diverged_thread(flags: FilterFlags) -> Outcome {
    in_child(|r| {
        nnp()?;
        let ready = AtomicBool::new(false);
        let release = AtomicBool::new(false);
        let tid = SharedI64::new(0);
        let (code, err_tid) = with_thread(
            || {
                tid.store(gettid());
                if seccompy::set_filter(FilterFlags::empty(), &allow_all()).is_ok() {
                    ready.store(true, Ordering::SeqCst);
                }
                spin_until(|| release.load(Ordering::SeqCst));
            },
            |_| {
                let ok = spin_until(|| ready.load(Ordering::SeqCst));
                let res = seccompy::set_filter(flags, &errno_on_getppid(libc::EXDEV));
                release.store(true, Ordering::SeqCst);
                if !ok {
                    return (1, 0);
                }
                match res {
                    Err(SetFilterError::Tsync { tid }) => (10, i64::from(tid)),
                    Err(SetFilterError::TsyncEsrch { source }) => {
                        (20, i64::from(source.raw_os_error().unwrap_or(0)))
                    }
                    Err(_) => (30, 0),
                    Ok(_) => (40, 0),
                }
            },
        );
        r.num(code);
        r.num(err_tid);
        r.num(tid.load());
        r.num(getppid());
        Ok(())
    })
}

#[test]
fn tsync_fails_naming_the_thread_that_diverged() {
    let out = diverged_thread(FilterFlags::TSYNC);
    out.assert_ok();
    let n = out.numbers();
    assert_eq!(n[0], 10, "a Tsync error");
    assert_eq!(n[1], n[2], "the error names the diverged thread");
    assert_eq!(n[3], i64::from(std::process::id()), "nothing was installed");
    let msg = SetFilterError::Tsync { tid: n[1] as i32 }.to_string();
    assert!(msg.contains(&format!("thread {}", n[1])), "{msg}");
}

#[test]
fn tsync_esrch_reports_esrch_instead() {
    let out = diverged_thread(FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH);
    out.assert_ok();
    let n = out.numbers();
    assert_eq!(n[..2], [20, i64::from(libc::ESRCH)]);
    assert_eq!(n[3], i64::from(std::process::id()), "nothing was installed");
}

#[test]
fn new_listener_with_tsync_needs_tsync_esrch() {
    let out = in_child(|r| {
        nnp()?;
        let prog = on_syscall(NR, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ALLOW);
        let without = seccompy::set_filter(FilterFlags::TSYNC | FilterFlags::NEW_LISTENER, &prog);
        r.num(i64::from(matches!(
            without,
            Err(SetFilterError::ListenerWithTsync { .. })
        )));
        let flags = FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH | FilterFlags::NEW_LISTENER;
        let listener = seccompy::set_filter(flags, &prog)
            .map_err(|_| 1)?
            .ok_or(2)?;
        // SAFETY: F_GETFD on an fd we own.
        let fd_flags = unsafe { libc::fcntl(listener.as_raw_fd(), libc::F_GETFD) };
        r.num(i64::from(fd_flags & libc::FD_CLOEXEC));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [1, i64::from(libc::FD_CLOEXEC)]);
}

#[test]
fn a_second_listener_is_busy() {
    let out = in_child(|r| {
        nnp()?;
        let prog = on_syscall(NR, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ALLOW);
        let _first =
            seccompy::set_filter_with_listener(FilterFlags::empty(), &prog).map_err(|_| 1)?;
        match seccompy::set_filter_with_listener(FilterFlags::empty(), &prog) {
            Err(e @ SetFilterError::ListenerBusy { .. }) => {
                r.num(e.raw_os_error().unwrap_or(0).into());
                Ok(())
            }
            _ => Err(2),
        }
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(libc::EBUSY)]);
}

#[test]
#[ignore = "needs the kernel audit log (root: CAP_AUDIT_READ, or a readable /dev/kmsg)"]
fn log_flag_logs_actions_that_are_not_logged_otherwise() {
    // ERRNO is not logged by default; with LOG it is (the record shows the action
    // without its data). A LOG action in the same child shows that the log works
    // at all.
    let run = |flags: FilterFlags| {
        move || {
            let out = in_child(|r| {
                nnp()?;
                seccompy::set_filter(flags, &errno_on_getppid(libc::EXDEV)).map_err(|_| 1)?;
                r.num(getppid());
                // gettid: a call every ABI has, and no other in this child.
                let log_gettid = on_syscall(libc::SYS_gettid, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW);
                seccompy::set_filter(FilterFlags::empty(), &log_gettid).map_err(|_| 2)?;
                r.num(i64::from(sys0(libc::SYS_gettid) > 0));
                Ok(())
            });
            out.assert_ok();
            assert_eq!(out.numbers(), [-i64::from(libc::EXDEV), 1]);
            out.pid
        }
    };
    // (nr, code): the ERRNO record shows the action without its data.
    let errno_rec = (NR, SECCOMP_RET_ERRNO);
    let log_rec = (libc::SYS_gettid, SECCOMP_RET_LOG);
    let has = |recs: &[seccompy::audit::Record], (nr, code): (libc::c_long, u32)| {
        recs.iter()
            .any(|r| (r.nr as libc::c_long, r.code) == (nr, code))
    };
    let with = support::audit::logged_records(run(FilterFlags::LOG), |recs| has(recs, log_rec));
    assert!(
        has(&with, errno_rec),
        "with LOG, the ERRNO result is logged: {with:?}"
    );
    let without =
        support::audit::logged_records(run(FilterFlags::empty()), |recs| has(recs, log_rec));
    assert!(
        !has(&without, errno_rec),
        "without LOG, ERRNO is not logged: {without:?}"
    );
}

fn speculation_line() -> Option<String> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("Speculation_Store_Bypass:"))
        .map(str::to_owned)
}

#[test]
fn spec_allow_leaves_the_speculation_state_alone() {
    // Read in the child before and after; reported as 1 if unchanged.
    let out = in_child(|r| {
        nnp()?;
        let before = speculation_line();
        seccompy::set_filter(FilterFlags::SPEC_ALLOW, &errno_on_getppid(libc::EXDEV))
            .map_err(|_| 1)?;
        let after = speculation_line();
        r.num(i64::from(before == after));
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [1, -i64::from(libc::EXDEV)]);
}

#[test]
fn an_unknown_flag_is_invalid_and_named() {
    let out = in_child(|r| {
        nnp()?;
        let bogus = FilterFlags::from_bits_retain(1 << 20);
        match seccompy::set_filter(bogus, &allow_all()) {
            Err(e @ SetFilterError::Invalid { .. }) => {
                r.num(e.raw_os_error().unwrap_or(0).into());
                r.num(i64::from(e.unsupported_flags().unwrap_or_default().bits()));
                Ok(())
            }
            _ => Err(1),
        }
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(libc::EINVAL), 1 << 20]);
}

#[test]
fn wait_killable_recv_needs_new_listener() {
    let out = in_child(|r| {
        nnp()?;
        match seccompy::set_filter(FilterFlags::WAIT_KILLABLE_RECV, &allow_all()) {
            Err(SetFilterError::KillableWithoutListener { source }) => {
                r.num(source.raw_os_error().unwrap_or(0).into());
                Ok(())
            }
            _ => Err(1),
        }
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(libc::EINVAL)]);
}

static HANDLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr1(_: i32) {
    HANDLED.store(true, Ordering::SeqCst);
}

/// A notified call is received by a supervisor thread, which then signals the
/// waiting thread and answers. Reports [the call's result, whether the handler
/// had run when the supervisor answered, the answer's result or -errno].
fn signal_after_recv(flags: FilterFlags) -> Vec<i64> {
    let out = in_child(|r| {
        nnp()?;
        // SAFETY: a plain handler without SA_RESTART.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_usr1 as extern "C" fn(i32) as usize;
            libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
        }
        let fd = AtomicI32::new(-1);
        let target = SharedI64::new(0);
        let handled_at_send = SharedI64::new(-1);
        let send = SharedI64::new(-1);
        let result = with_thread(
            || {
                if !spin_until(|| fd.load(Ordering::SeqCst) >= 0) {
                    return;
                }
                let fd = fd.load(Ordering::SeqCst);
                let mut notif = seccomp_notif::default();
                // SAFETY: a zeroed seccomp_notif.
                if unsafe { raw::seccomp_ioctl_notif_recv(fd, &mut notif) } != 0 {
                    return;
                }
                // SAFETY: signalling a thread of our own process.
                unsafe {
                    libc::syscall(
                        libc::SYS_tgkill,
                        libc::getpid(),
                        target.load() as libc::c_long,
                        libc::SIGUSR1,
                    )
                };
                if flags.contains(FilterFlags::WAIT_KILLABLE_RECV) {
                    // The signal must stay pending: give it time to (not) interrupt.
                    std::thread::sleep(std::time::Duration::from_millis(100));
                } else {
                    spin_until(|| HANDLED.load(Ordering::SeqCst));
                }
                handled_at_send.store(HANDLED.load(Ordering::SeqCst).into());
                let resp = seccomp_notif_resp {
                    id: notif.id,
                    val: 77,
                    error: 0,
                    flags: 0,
                };
                // SAFETY: a valid response.
                let ret = unsafe { raw::seccomp_ioctl_notif_send(fd, &resp) };
                send.store(if ret == 0 { 0 } else { -i64::from(errno()) });
            },
            |_| -> Result<i64, i32> {
                target.store(gettid());
                let prog = on_syscall(NR, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ALLOW);
                let listener = seccompy::set_filter_with_listener(flags, &prog).map_err(|_| 1)?;
                fd.store(listener.as_raw_fd(), Ordering::SeqCst);
                let v = getppid();
                // Let the supervisor finish before the listener closes.
                spin_until(|| send.load() != -1);
                drop(listener);
                Ok(v)
            },
        )?;
        r.num(result);
        r.num(handled_at_send.load());
        r.num(send.load());
        Ok(())
    });
    out.assert_ok();
    out.numbers()
}

#[test]
fn wait_killable_recv_keeps_non_fatal_signals_from_interrupting() {
    assert_eq!(
        signal_after_recv(FilterFlags::WAIT_KILLABLE_RECV),
        [77, 0, 0],
        "the signal waits; the supervisor's answer arrives"
    );
}

#[test]
fn without_wait_killable_recv_a_signal_interrupts_the_wait() {
    assert_eq!(
        signal_after_recv(FilterFlags::empty()),
        [-i64::from(libc::EINTR), 1, -i64::from(libc::ENOENT)],
        "the handler runs, the call fails with EINTR, the answer finds nothing"
    );
}
