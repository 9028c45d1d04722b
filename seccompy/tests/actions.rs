//! Every seccomp action, observed from outside the filtered child.
mod support;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

use seccompy::FilterFlags;
use seccompy::sys::*;
use support::*;

const NR: libc::c_long = libc::SYS_getppid;

/// Installs `hit` for `getppid` (everything else allowed), with no_new_privs.
fn install(hit: u32) -> Result<(), i32> {
    seccompy::set_no_new_privileges().map_err(|_| 90)?;
    seccompy::set_filter(
        FilterFlags::empty(),
        &on_syscall(NR, hit, SECCOMP_RET_ALLOW),
    )
    .map_err(|_| 91)?;
    Ok(())
}

#[test]
fn allow_lets_the_call_run() {
    let parent = i64::from(std::process::id());
    let out = in_child(|r| {
        install(SECCOMP_RET_ALLOW)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [parent]);
}

#[test]
fn errno_fails_the_call_with_the_data() {
    let out = in_child(|r| {
        install(SECCOMP_RET_ERRNO | libc::EXDEV as u32)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [-i64::from(libc::EXDEV)]);
}

#[test]
fn kill_process_is_sigsys() {
    let out = in_child(|r| {
        install(SECCOMP_RET_KILL_PROCESS)?;
        r.bytes(b"a");
        getppid();
        r.bytes(b"b");
        Ok(())
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
    assert_eq!(out.report, b"a");
}

#[test]
fn kill_process_kills_every_thread() {
    // The filter is installed on the main thread only; the other thread is
    // unfiltered, and still dies with the process.
    let out = in_child(|r| {
        let stop = AtomicBool::new(false);
        with_thread(
            || {
                while !stop.load(Ordering::Relaxed) {
                    // SAFETY: no argument.
                    unsafe { libc::sched_yield() };
                }
            },
            |_| {
                install(SECCOMP_RET_KILL_PROCESS)?;
                getppid();
                r.bytes(b"survived");
                stop.store(true, Ordering::Relaxed);
                Ok(())
            },
        )
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
    assert_eq!(out.report, b"");
}

#[test]
fn kill_thread_alone_is_sigsys_for_the_process() {
    let out = in_child(|_| {
        install(SECCOMP_RET_KILL_THREAD)?;
        getppid();
        Ok(())
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
}

#[test]
fn kill_thread_kills_only_the_calling_thread() {
    let out = in_child(|r| {
        let reached = AtomicI32::new(0);
        let tid = SharedI64::new(0);
        with_thread(
            || {
                tid.store(gettid());
                if install(SECCOMP_RET_KILL_THREAD).is_err() {
                    reached.store(-1, Ordering::SeqCst);
                    return;
                }
                reached.store(1, Ordering::SeqCst);
                getppid();
                reached.store(2, Ordering::SeqCst);
            },
            // The join below returns once the killed thread is gone.
            |_| (),
        );
        r.num(reached.load(Ordering::SeqCst).into());
        // The main thread goes on, unfiltered.
        r.num(i64::from(getppid() > 0));
        // The dead thread is gone from /proc.
        let mut path = [0u8; 64];
        let _ = write!(&mut path[..], "/proc/self/task/{}", tid.load());
        // SAFETY: a NUL-terminated path (the buffer is zeroed past the text).
        let gone = unsafe { libc::access(path.as_ptr().cast(), libc::F_OK) } != 0;
        r.num(i64::from(gone));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [1, 1, 1]);
}

static TRAP_SYSCALL: AtomicI32 = AtomicI32::new(-1);
static TRAP_ARCH: AtomicU32 = AtomicU32::new(0);
static TRAP_ERRNO: AtomicI32 = AtomicI32::new(-1);
static TRAP_CODE: AtomicI32 = AtomicI32::new(-1);

/// The start of a `SIGSYS` `siginfo_t` (`_sigsys` in the kernel's `__sifields`).
#[repr(C)]
struct SigsysInfo {
    signo: i32,
    errno: i32,
    code: i32,
    call_addr: *mut libc::c_void,
    syscall: i32,
    arch: u32,
}

extern "C" fn on_sigsys(_sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: for SIGSYS the kernel fills the `_sigsys` member, laid out as above.
    let info = unsafe { &*info.cast::<SigsysInfo>() };
    TRAP_SYSCALL.store(info.syscall, Ordering::SeqCst);
    TRAP_ARCH.store(info.arch, Ordering::SeqCst);
    TRAP_ERRNO.store(info.errno, Ordering::SeqCst);
    TRAP_CODE.store(info.code, Ordering::SeqCst);
}

#[test]
fn trap_sends_sigsys_with_the_call_the_arch_and_the_data() {
    let out = in_child(|r| {
        // SAFETY: installing a plain SA_SIGINFO handler; an all-zero sigaction is valid.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction =
                on_sigsys as extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut());
        }
        install(SECCOMP_RET_TRAP | 0x1234)?;
        getppid();
        r.num(TRAP_SYSCALL.load(Ordering::SeqCst).into());
        r.num(TRAP_ARCH.load(Ordering::SeqCst).into());
        r.num(TRAP_ERRNO.load(Ordering::SeqCst).into());
        r.num(TRAP_CODE.load(Ordering::SeqCst).into());
        Ok(())
    });
    out.assert_ok();
    const SYS_SECCOMP: i64 = 1;
    assert_eq!(
        out.numbers(),
        [long(NR), i64::from(host_arch()), 0x1234, SYS_SECCOMP]
    );
}

#[test]
fn trap_without_a_handler_kills_with_sigsys() {
    let out = in_child(|_| {
        install(SECCOMP_RET_TRAP | 1)?;
        getppid();
        Ok(())
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
}

#[test]
fn trace_without_a_tracer_is_enosys() {
    let out = in_child(|r| {
        install(SECCOMP_RET_TRACE | 5)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [-i64::from(libc::ENOSYS)]);
}

#[test]
fn trace_stops_the_tracee_with_ptrace_event_seccomp_and_the_data() {
    // The harness thread is the tracer of a forked tracee.
    let mut event = None;
    let out = in_child_with(
        |r| {
            // SAFETY: PTRACE_TRACEME takes no pointer; then stop so that the tracer
            // can set its options.
            unsafe {
                libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
                libc::raise(libc::SIGSTOP);
            }
            install(SECCOMP_RET_TRACE | 0xbeef)?;
            // The tracer lets the call run: the real parent pid comes back.
            r.num(getppid());
            Ok(())
        },
        |pid| {
            let mut status = 0;
            // SAFETY: plain ptrace and waitpid calls on our tracee.
            unsafe {
                assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                assert!(libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == libc::SIGSTOP);
                let opts = PTRACE_O_TRACESECCOMP | libc::PTRACE_O_EXITKILL;
                assert_eq!(libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, opts), 0);
                assert_eq!(libc::ptrace(libc::PTRACE_CONT, pid, 0, 0), 0);
                // Until the seccomp stop (nothing else stops it).
                assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                assert!(libc::WIFSTOPPED(status), "status {status:#x}");
                let stop = status >> 8;
                let mut msg: libc::c_ulong = 0;
                assert_eq!(libc::ptrace(libc::PTRACE_GETEVENTMSG, pid, 0, &mut msg), 0);
                event = Some((stop, msg));
                assert_eq!(libc::ptrace(libc::PTRACE_CONT, pid, 0, 0), 0);
            }
        },
    );
    out.assert_ok();
    let (stop, msg) = event.unwrap();
    assert_eq!(stop, libc::SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
    assert_eq!(msg, 0xbeef);
    assert_eq!(out.numbers(), [i64::from(std::process::id())]);
}

#[test]
fn log_allows_the_call() {
    let out = in_child(|r| {
        install(SECCOMP_RET_LOG)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(std::process::id())]);
}

#[test]
#[ignore = "needs the kernel audit log (root: CAP_AUDIT_READ, or a readable /dev/kmsg)"]
fn log_allows_the_call_and_logs_it() {
    let parent = i64::from(std::process::id());
    let run = || {
        let out = in_child(|r| {
            install(SECCOMP_RET_LOG)?;
            r.num(getppid());
            Ok(())
        });
        out.assert_ok();
        assert_eq!(out.numbers(), [parent]);
        out.pid
    };
    let want = |recs: &[seccompy::audit::Record]| {
        recs.iter().any(|r| {
            (r.arch, r.nr as libc::c_long, r.code) == (host_arch(), NR, SECCOMP_RET_LOG)
                && r.action() == Some(seccompy::bpf::Action::Log)
        })
    };
    let recs = support::audit::logged_records(run, want);
    assert!(want(&recs));
}

#[test]
fn user_notif_without_a_listener_is_enosys() {
    let out = in_child(|r| {
        install(SECCOMP_RET_USER_NOTIF)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [-i64::from(libc::ENOSYS)]);
}

#[test]
fn user_notif_asks_the_listener_which_answers() {
    // A supervisor thread, started before the filter (so unfiltered), answers the
    // main thread's notified call.
    let out = in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 92)?;
        let listener_fd = AtomicI32::new(-1);
        let seen_nr = SharedI64::new(-1);
        let seen_pid = SharedI64::new(-1);
        let seen_arch = SharedI64::new(-1);
        let answer = with_thread(
            || {
                if !spin_until(|| listener_fd.load(Ordering::SeqCst) >= 0) {
                    return;
                }
                let fd = listener_fd.load(Ordering::SeqCst);
                let mut notif = seccomp_notif::default();
                // SAFETY: a zeroed seccomp_notif, as the kernel requires.
                if unsafe { raw::seccomp_ioctl_notif_recv(fd, &mut notif) } != 0 {
                    return;
                }
                seen_nr.store(notif.data.nr.into());
                seen_pid.store(notif.pid.into());
                seen_arch.store(notif.data.arch.into());
                let resp = seccomp_notif_resp {
                    id: notif.id,
                    val: 4242,
                    error: 0,
                    flags: 0,
                };
                // SAFETY: a valid response.
                unsafe { raw::seccomp_ioctl_notif_send(fd, &resp) };
            },
            |_| -> Result<i64, i32> {
                let listener = seccompy::set_filter_with_listener(
                    FilterFlags::empty(),
                    &on_syscall(NR, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_ALLOW),
                )
                .map_err(|_| 93)?;
                use std::os::fd::AsRawFd;
                listener_fd.store(listener.as_raw_fd(), Ordering::SeqCst);
                let v = getppid();
                // Keep the listener open until the call is answered.
                drop(listener);
                Ok(v)
            },
        )?;
        r.num(answer);
        r.num(seen_nr.load());
        r.num(seen_pid.load());
        r.num(seen_arch.load());
        r.num(gettid());
        Ok(())
    });
    out.assert_ok();
    let n = out.numbers();
    assert_eq!(n[0], 4242, "the supervisor's answer");
    assert_eq!(n[1], long(NR));
    assert_eq!(n[2], n[4], "the notification names the calling thread");
    assert_eq!(n[3], i64::from(host_arch()));
}
