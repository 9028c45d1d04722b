//! The kernel's own user-notification selftests
//! (`tools/testing/selftests/seccomp/seccomp_bpf.c`, `user_notification_*`),
//! restated against `seccompy::unotify`. Every case runs in a forked case
//! process; the targets are its children and install the filters.
mod support;
mod unotify_support;

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use seccompy::sys::ioctl::IocEncoding;
use seccompy::sys::syscalls::Abi;
use seccompy::sys::{
    SECCOMP_IOC_MAGIC, SECCOMP_IOCTL_NOTIF_ADDFD, SECCOMP_IOCTL_NOTIF_RECV,
    SECCOMP_IOCTL_NOTIF_SEND, SECCOMP_USER_NOTIF_FLAG_CONTINUE, raw, seccomp_data, seccomp_notif,
    seccomp_notif_addfd, seccomp_notif_resp, seccomp_notif_sizes,
};
use seccompy::unotify::{
    AddFd, AddFdError, Errno, Listener, MemoryError, NotifId, RecvError, RespondError, Response,
};
use seccompy::{FilterFlags, SetFilterError};
use support::{Exit, errno, getppid, in_child, require_root};
use unotify_support::*;

/// What the supervisor answers with (the selftests' `USER_NOTIF_MAGIC`).
const MAGIC: i64 = i32::MAX as i64;

/// The fd a signal handler writes to.
static HANDLED: AtomicI32 = AtomicI32::new(-1);

extern "C" fn note_signal(_: libc::c_int) {
    write_byte(HANDLED.load(Ordering::Relaxed), b's');
}

/// Installs `note_signal` for `sig`, with or without `SA_RESTART`.
fn on_signal(sig: i32, restart: bool, fd: RawFd) -> bool {
    HANDLED.store(fd, Ordering::Relaxed);
    // SAFETY: an all-zero sigaction is valid; we set the handler and flags.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = note_signal as extern "C" fn(libc::c_int) as usize;
    sa.sa_flags = if restart { libc::SA_RESTART } else { 0 };
    // SAFETY: a valid sigaction.
    unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) == 0 }
}

/// A raw ioctl on the listener: the result, or `-errno`.
fn ioctl<T>(fd: &impl AsRawFd, request: u32, arg: *const T) -> i64 {
    // SAFETY: every `arg` passed here is null or points to a live value of the
    // size the request number encodes.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as libc::Ioctl, arg) };
    if r < 0 {
        -i64::from(errno())
    } else {
        i64::from(r)
    }
}

fn ok_if(cond: bool, code: i32) -> i32 {
    if cond { OK } else { code }
}

#[test]
fn basic() {
    case(|| {
        let program = notify_getppid();

        // ENOSYS when the filter has no listener.
        let out = in_child(|_| {
            seccompy::set_no_new_privileges().map_err(|_| 2)?;
            seccompy::set_filter(FilterFlags::empty(), &program).map_err(|_| 3)?;
            if getppid() == -i64::from(libc::ENOSYS) {
                Ok(())
            } else {
                Err(4)
            }
        });
        out.assert_ok();

        let t = spawn_target(FilterFlags::empty(), &program, || {
            // A few no-op filters on top, for grins, then a second listener in
            // the same chain: EBUSY.
            for _ in 0..4 {
                if seccompy::set_filter(FilterFlags::empty(), &support::allow_all()).is_err() {
                    return 2;
                }
            }
            match seccompy::set_filter_with_listener(FilterFlags::empty(), &notify_getppid()) {
                Err(SetFilterError::ListenerBusy { .. }) => {}
                _ => return 3,
            }
            ok_if(getppid() == MAGIC, 4)
        });

        // POLLIN once the call waits, POLLOUT once it is received.
        let r = t.listener.poll(Some(Duration::from_secs(10))).unwrap();
        assert!(r.pending && !r.hung_up, "{r:?}");
        let n = t.listener.recv().unwrap();
        let r = t.listener.poll(Some(Duration::ZERO)).unwrap();
        assert!(r.unanswered && !r.pending, "{r:?}");

        assert_eq!(libc::c_long::from(n.nr), libc::SYS_getppid);
        assert_eq!(n.arch, support::host_arch());
        assert_eq!(n.abi(), Abi::host());
        assert_eq!(n.syscall_name(), Some("getppid"));
        assert_eq!(n.tid(), Some(t.pid));
        assert!(t.listener.id_valid(n.id).unwrap());

        // An invalid response is refused and leaves the call pending.
        let bad_flags = seccomp_notif_resp {
            id: n.id.get(),
            val: 0,
            error: 0,
            flags: 0x2,
        };
        assert_eq!(
            ioctl(&t.listener, SECCOMP_IOCTL_NOTIF_SEND, &bad_flags),
            -i64::from(libc::EINVAL)
        );
        assert!(Response::fail(0).is_err() && Response::fail(4096).is_err());
        assert!(t.listener.id_valid(n.id).unwrap());

        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        // Exactly one answer: a second is refused (EINPROGRESS while the
        // target has not yet picked up the first, ENOENT after).
        let again = t.listener.respond(n.id, Response::value(MAGIC));
        assert!(
            matches!(
                again,
                Err(RespondError::NotAwaiting { .. } | RespondError::Gone { .. })
            ),
            "{again:?}"
        );
        t.assert_ok();
    });
}

#[test]
fn with_tsync() {
    case(|| {
        let out = in_child(|_| {
            seccompy::set_no_new_privileges().map_err(|_| 2)?;
            let p = notify_getppid();
            // Exclusive without TSYNC_ESRCH...
            match seccompy::set_filter_with_listener(FilterFlags::TSYNC, &p) {
                Err(SetFilterError::ListenerWithTsync { .. }) => {}
                _ => return Err(3),
            }
            // ...but not with it.
            let flags = FilterFlags::TSYNC | FilterFlags::TSYNC_ESRCH;
            let fd = seccompy::set_filter_with_listener(flags, &p).map_err(|_| 4)?;
            let listener = Listener::from(fd);
            if listener.poll(Some(Duration::ZERO)).map_err(|_| 5)?.pending {
                return Err(6);
            }
            Ok(())
        });
        out.assert_ok();
    });
}

#[test]
fn kill_in_middle() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            getppid();
            1
        });
        let n = t.listener.recv().unwrap();
        assert!(t.listener.id_valid(n.id).unwrap());
        t.kill(libc::SIGKILL);
        assert_eq!(t.wait(), Exit::Signal(libc::SIGKILL));

        assert!(!t.listener.id_valid(n.id).unwrap());
        assert!(matches!(
            t.listener.respond(n.id, Response::value(MAGIC)),
            Err(RespondError::Gone { .. })
        ));
        let null = std::fs::File::open("/dev/null").unwrap();
        assert!(matches!(
            t.listener.add_fd(n.id, AddFd::new(null.as_fd())),
            Err(AddFdError::Gone { .. })
        ));
        // The only target is gone and reaped: the end, at once.
        assert!(matches!(t.listener.recv(), Err(RecvError::Ended)));
    });
}

#[test]
fn signal_interrupts_and_the_restart_is_a_new_notification() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            if !on_signal(libc::SIGUSR1, true, wr.as_raw_fd()) {
                return 2;
            }
            ok_if(getppid() == MAGIC, 3)
        });
        let first = t.listener.recv().unwrap();
        t.kill(libc::SIGUSR1);
        // The handler ran, so the call is no longer in the notification.
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b's'));
        assert!(matches!(
            t.listener.respond(first.id, Response::errno(Errno::EPERM)),
            Err(RespondError::Gone { .. })
        ));
        // SA_RESTART: the same call again, under a new id.
        let second = t.listener.recv().unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(second.nr, first.nr);
        assert_eq!(second.pid, first.pid);
        t.listener
            .respond(second.id, Response::value(MAGIC))
            .unwrap();
        t.assert_ok();
    });
}

#[test]
fn closed_listener_gives_enosys() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            // Wait until the supervisor has closed the listener.
            read_byte(rd.as_raw_fd());
            ok_if(getppid() == -i64::from(libc::ENOSYS), 2)
        });
        let Target { pid, listener } = t;
        drop(listener);
        write_byte(wr.as_raw_fd(), b'c');
        assert_eq!(support::wait(pid, Duration::from_secs(20)), Exit::Code(OK));
    });
}

#[test]
#[ignore = "needs root (a new pid namespace needs CAP_SYS_ADMIN)"]
fn pid_in_a_child_pid_namespace_is_translated() {
    require_root("a new pid namespace needs CAP_SYS_ADMIN");
    case(|| {
        // Children of the case process go into a new pid namespace; the case
        // process itself stays in the outer one.
        // SAFETY: no memory involved.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWPID) }, 0, "unshare");
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            // SAFETY: getpid takes no argument.
            let inner = unsafe { libc::getpid() };
            ok_if(inner == 1 && getppid() == MAGIC, 2)
        });
        let n = t.listener.recv().unwrap();
        // The notification names the target as the case process sees it.
        assert_eq!(n.tid(), Some(t.pid));
        assert_ne!(t.pid, 1);
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        t.assert_ok();
    });
}

#[test]
#[ignore = "needs root (a new pid namespace needs CAP_SYS_ADMIN)"]
fn pid_in_a_sibling_pid_namespace_is_zero() {
    require_root("a new pid namespace needs CAP_SYS_ADMIN");
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            ok_if(getppid() == MAGIC, 2)
        });
        // The supervisor lives in a new pid namespace, where the target (in
        // the outer one) is invisible.
        // SAFETY: no memory involved.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWPID) }, 0, "unshare");
        let out = in_child(|_| {
            let n = t.listener.recv().map_err(|_| 2)?;
            if n.pid != 0 || n.tid().is_some() {
                return Err(3);
            }
            match t.listener.memory(&n).read_vec(n.instruction_pointer, 1) {
                Err(MemoryError::NotVisible { .. }) => {}
                _ => return Err(4),
            }
            t.listener
                .respond(n.id, Response::value(MAGIC))
                .map_err(|_| 5)
        });
        out.assert_ok();
        t.assert_ok();
    });
}

#[test]
fn fault_in_recv_keeps_the_notification() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            ok_if(getppid() == MAGIC, 2)
        });
        assert!(
            t.listener
                .poll(Some(Duration::from_secs(10)))
                .unwrap()
                .pending
        );
        // A receive into a bad buffer fails with EFAULT...
        assert_eq!(
            ioctl(
                &t.listener,
                SECCOMP_IOCTL_NOTIF_RECV,
                std::ptr::null::<seccomp_notif>()
            ),
            -i64::from(libc::EFAULT)
        );
        // ...and the notification can still be received.
        let n = t.listener.recv().unwrap();
        assert_eq!(n.tid(), Some(t.pid));
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        t.assert_ok();
    });
}

#[test]
fn get_notif_sizes_sizes_the_receive_buffer() {
    let mut kernel = seccomp_notif_sizes::default();
    // SAFETY: a writable seccomp_notif_sizes.
    assert_eq!(unsafe { raw::seccomp_get_notif_sizes(&mut kernel) }, 0);
    assert_eq!(seccompy::notif_sizes().unwrap(), kernel);
    assert!(usize::from(kernel.seccomp_notif) >= size_of::<seccomp_notif>());
    assert!(usize::from(kernel.seccomp_notif_resp) >= size_of::<seccomp_notif_resp>());
    assert_eq!(usize::from(kernel.seccomp_data), size_of::<seccomp_data>());
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            ok_if(getppid() == MAGIC, 2)
        });
        let want = usize::from(kernel.seccomp_notif).max(size_of::<seccomp_notif>());
        assert_eq!(t.listener.recv_buffer_len(), want);
        let n = t.listener.recv().unwrap();
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        t.assert_ok();
    });
}

#[test]
fn continue_runs_the_call_and_refuses_a_value() {
    case(|| {
        // SAFETY: getpid takes no argument.
        let me = i64::from(unsafe { libc::getpid() });
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), move || {
            ok_if(getppid() == me, 2)
        });
        let n = t.listener.recv().unwrap();
        // CONTINUE with a value is refused, and the call still waits.
        let with_value = seccomp_notif_resp {
            id: n.id.get(),
            val: 1,
            error: 0,
            flags: SECCOMP_USER_NOTIF_FLAG_CONTINUE,
        };
        assert_eq!(
            ioctl(&t.listener, SECCOMP_IOCTL_NOTIF_SEND, &with_value),
            -i64::from(libc::EINVAL)
        );
        assert!(t.listener.id_valid(n.id).unwrap());
        // Continuing runs the real getppid: the target sees its parent.
        t.listener
            .respond(n.id, Response::continue_unchecked())
            .unwrap();
        t.assert_ok();
    });
}

#[test]
fn filter_empty_hangs_up_once_the_targets_are_gone() {
    case(|| {
        // A target that never calls anything notified, and leaves.
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || OK);
        t.assert_ok();
        let r = t.listener.poll(None).unwrap();
        assert!(r.hung_up && !r.pending, "{r:?}");
        // The end, every time, without blocking.
        for _ in 0..3 {
            assert!(t.listener.recv().unwrap_err().is_ended());
        }
    });
}

#[test]
fn a_waiting_receive_ends_when_the_last_target_goes() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            read_byte(rd.as_raw_fd());
            OK
        });
        std::thread::scope(|s| {
            let waiting = s.spawn(|| t.listener.recv());
            settle();
            write_byte(wr.as_raw_fd(), b'g');
            t.assert_ok();
            let r = waiting.join().unwrap();
            assert!(matches!(r, Err(RecvError::Ended)), "{r:?}");
        });
    });
}

/// A memfd holding `text`.
fn memfd(text: &[u8]) -> OwnedFd {
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"seccompy-test".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create");
    // SAFETY: a new fd of ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: writing a valid buffer.
    let n = unsafe { libc::write(fd.as_raw_fd(), text.as_ptr().cast(), text.len()) };
    assert_eq!(n, text.len() as isize);
    fd
}

/// Whether fd `fd` of `pid` is the same file as our `ours`.
fn same_file(pid: libc::pid_t, fd: RawFd, ours: &OwnedFd) -> bool {
    use std::os::unix::fs::MetadataExt;
    let theirs = std::fs::metadata(format!("/proc/{pid}/fd/{fd}")).unwrap();
    let ours = std::fs::File::from(ours.try_clone().unwrap())
        .metadata()
        .unwrap();
    (theirs.dev(), theirs.ino()) == (ours.dev(), ours.ino())
}

/// The lowest fd number `pid` has not open.
fn lowest_free_fd(pid: libc::pid_t) -> RawFd {
    let open: Vec<RawFd> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    (0..).find(|n| !open.contains(n)).unwrap()
}

/// Whether fd `fd` of `pid` is close-on-exec (from `/proc/<pid>/fdinfo`).
fn cloexec_in(pid: libc::pid_t, fd: RawFd) -> bool {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .map(|v| i64::from_str_radix(v.trim(), 8).unwrap())
        .unwrap();
    flags & i64::from(libc::O_CLOEXEC) != 0
}

/// Reads 5 bytes at offset 0 of fd `fd` (in the target, raw).
fn reads_hello(fd: i64) -> bool {
    let mut buf = [0u8; 5];
    // SAFETY: reading into a valid buffer.
    let n = unsafe { libc::pread(fd as RawFd, buf.as_mut_ptr().cast(), 5, 0) };
    n == 5 && &buf == b"hello"
}

#[test]
fn addfd() {
    case(|| {
        let mem = memfd(b"hello");
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            if getppid() != MAGIC {
                return 2;
            }
            // Fd 42 was added while the first call waited.
            if !reads_hello(42) {
                return 3;
            }
            // The second call is answered with the number of an added fd.
            let fd = getppid();
            ok_if(fd > 2 && fd != 42 && reads_hello(fd), 4)
        });
        let n = t.listener.recv().unwrap();
        let id = n.id.get();

        let base = seccomp_notif_addfd {
            id,
            flags: 0,
            srcfd: mem.as_raw_fd() as u32,
            newfd: 0,
            newfd_flags: 0,
        };
        let einval = -i64::from(libc::EINVAL);
        // Bad newfd_flags, bad flags, a number without SETFD: EINVAL.
        let bad = seccomp_notif_addfd {
            newfd_flags: !(libc::O_CLOEXEC as u32),
            ..base
        };
        assert_eq!(ioctl(&t.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), einval);
        let bad = seccomp_notif_addfd {
            flags: 0xff,
            ..base
        };
        assert_eq!(ioctl(&t.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), einval);
        let bad = seccomp_notif_addfd { newfd: 1, ..base };
        assert_eq!(ioctl(&t.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &bad), einval);
        // A structure too small: EINVAL; larger with non-zero tail: E2BIG.
        let enc = IocEncoding::host();
        let small = enc.iow(SECCOMP_IOC_MAGIC, 3, 16);
        assert_eq!(ioctl(&t.listener, small, &base), einval);
        #[repr(C)]
        struct Big {
            addfd: seccomp_notif_addfd,
            tail: [u64; 2],
        }
        let big_nr = enc.iow(SECCOMP_IOC_MAGIC, 3, size_of::<Big>() as u32);
        let junk = Big {
            addfd: base,
            tail: [0xaaaa_aaaa_aaaa_aaaa; 2],
        };
        assert_eq!(ioctl(&t.listener, big_nr, &junk), -i64::from(libc::E2BIG));
        // Zeroed, the larger structure works.
        let zero_tail = Big {
            addfd: base,
            tail: [0; 2],
        };
        let free = lowest_free_fd(t.pid);
        let big_fd = ioctl(&t.listener, big_nr, &zero_tail);
        assert_eq!(big_fd, i64::from(free));

        // Through the API: the lowest free number, then a chosen one.
        let free = lowest_free_fd(t.pid);
        let low = t.listener.add_fd(n.id, AddFd::new(mem.as_fd())).unwrap();
        assert_eq!(low.get(), free);
        assert!(same_file(t.pid, low.get(), &mem));
        assert!(cloexec_in(t.pid, low.get()));
        let at = t
            .listener
            .add_fd(n.id, AddFd::new(mem.as_fd()).at(42).cloexec(false))
            .unwrap();
        assert_eq!(at.get(), 42);
        assert!(same_file(t.pid, 42, &mem));
        assert!(!cloexec_in(t.pid, 42));

        // No fd for a notification not received yet (ids grow by one).
        let next = NotifId::from_raw(id + 1);
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        assert!(
            t.listener
                .poll(Some(Duration::from_secs(10)))
                .unwrap()
                .pending
        );
        assert!(matches!(
            t.listener.add_fd(next, AddFd::new(mem.as_fd())),
            Err(AddFdError::NotReceived { .. })
        ));
        // Add and answer at once; the call is then answered.
        let n2 = t.listener.recv().unwrap();
        assert_eq!(n2.id, next);
        let sent = t
            .listener
            .add_fd_and_respond(n2.id, AddFd::new(mem.as_fd()))
            .unwrap();
        assert!(!t.listener.id_valid(n2.id).unwrap_or(true));
        assert!(matches!(
            t.listener.respond(n2.id, Response::value(0)),
            Err(RespondError::NotAwaiting { .. } | RespondError::Gone { .. })
        ));
        assert!(sent.get() > 2);
        t.assert_ok();
    });
}

#[test]
fn addfd_rlimit() {
    case(|| {
        let mem = memfd(b"hello");
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            ok_if(getppid() == MAGIC, 2)
        });
        let n = t.listener.recv().unwrap();
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit; the target is our child.
        let r = unsafe { libc::prlimit(t.pid, libc::RLIMIT_NOFILE, &zero, std::ptr::null_mut()) };
        assert_eq!(r, 0, "prlimit");

        let e = t
            .listener
            .add_fd(n.id, AddFd::new(mem.as_fd()))
            .unwrap_err();
        assert!(matches!(e, AddFdError::TooManyFiles { .. }), "{e:?}");
        // The atomic form fails the same way, and leaves the call unanswered.
        let e = t
            .listener
            .add_fd_and_respond(n.id, AddFd::new(mem.as_fd()))
            .unwrap_err();
        assert!(matches!(e, AddFdError::TooManyFiles { .. }), "{e:?}");
        assert!(t.listener.id_valid(n.id).unwrap());
        let e = t
            .listener
            .add_fd(n.id, AddFd::new(mem.as_fd()).at(100))
            .unwrap_err();
        assert!(matches!(e, AddFdError::BadTargetFd { .. }), "{e:?}");

        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        t.assert_ok();
    });
}

#[test]
fn sync_wake_up_is_on_by_default_and_refuses_bad_flags() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            ok_if(getppid() == MAGIC && getppid() == MAGIC + 1, 2)
        });
        // Linux 6.6 added it; this machine has it.
        assert!(t.listener.sync_wake_up());
        // Unknown flags are refused (the kernel takes the flags by value: a
        // pointer would be refused the same way).
        // SAFETY: a listener fd; the flags go by value.
        let r = unsafe { raw::seccomp_ioctl_notif_set_flags(t.listener.as_raw_fd(), 0xff) };
        assert_eq!((r, errno()), (-1, libc::EINVAL));
        let n = t.listener.recv().unwrap();
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        // Off, then the same again.
        t.listener.set_sync_wake_up(false).unwrap();
        assert!(!t.listener.sync_wake_up());
        let n = t.listener.recv().unwrap();
        t.listener
            .respond(n.id, Response::value(MAGIC + 1))
            .unwrap();
        t.assert_ok();
    });
}

#[test]
fn notifications_come_in_fifo_order() {
    case(|| {
        const KIDS: u64 = 4;
        let (rd, wr) = pipe();
        // The target forks children that inherit its filter, one at a time,
        // each blocked in its call before the next one starts.
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let mut kids = Vec::new();
            for i in 0..KIDS {
                // The child makes one call and leaves.
                let pid = seccompy_testing::fork(|| {
                    ok_if(getppid_with([i, 0, 0]) == MAGIC + i as i64, 1)
                })
                .expect("fork");
                wait_blocked_in(pid, libc::SYS_getppid);
                kids.push(pid);
            }
            write_byte(wr.as_raw_fd(), b'r');
            let all_ok = kids
                .iter()
                .all(|&pid| support::wait(pid, Duration::from_secs(20)) == Exit::Code(OK));
            ok_if(all_ok, 2)
        });
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b'r'));
        let mut last = None;
        for i in 0..KIDS {
            let n = t.listener.recv().unwrap();
            assert_eq!(n.args[0], i, "notifications out of order");
            if let Some(prev) = last {
                assert!(n.id > prev);
            }
            last = Some(n.id);
            t.listener
                .respond(n.id, Response::value(MAGIC + i as i64))
                .unwrap();
        }
        t.assert_ok();
    });
}

#[test]
fn wait_killable_a_signal_before_receipt_interrupts() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::WAIT_KILLABLE_RECV, &notify_getppid(), || {
            if !on_signal(libc::SIGUSR1, false, wr.as_raw_fd()) {
                return 2;
            }
            ok_if(getppid() == -i64::from(libc::EINTR), 3)
        });
        // Queued, not received: a plain signal still interrupts.
        assert!(
            t.listener
                .poll(Some(Duration::from_secs(10)))
                .unwrap()
                .pending
        );
        t.kill(libc::SIGUSR1);
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b's'));
        t.assert_ok();
        let r = t.listener.recv();
        assert!(
            matches!(r, Err(RecvError::Gone | RecvError::Ended)),
            "{r:?}"
        );
    });
}

#[test]
fn wait_killable_a_signal_after_receipt_waits_for_the_answer() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::WAIT_KILLABLE_RECV, &notify_getppid(), || {
            if !on_signal(libc::SIGUSR1, false, wr.as_raw_fd()) {
                return 2;
            }
            ok_if(getppid() == MAGIC, 3)
        });
        let n = t.listener.recv().unwrap();
        t.kill(libc::SIGUSR1);
        settle();
        // The handler has not run: the call still waits.
        let mut pfd = libc::pollfd {
            fd: rd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 0) }, 0);
        assert!(t.listener.id_valid(n.id).unwrap());
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        // The signal is handled once the call has returned.
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b's'));
        t.assert_ok();
    });
}

#[test]
fn wait_killable_a_fatal_signal_after_receipt_kills() {
    case(|| {
        let t = spawn_target(FilterFlags::WAIT_KILLABLE_RECV, &notify_getppid(), || {
            getppid();
            2
        });
        let n = t.listener.recv().unwrap();
        t.kill(libc::SIGTERM);
        assert_eq!(t.wait(), Exit::Signal(libc::SIGTERM));
        assert!(matches!(
            t.listener.respond(n.id, Response::value(MAGIC)),
            Err(RespondError::Gone { .. })
        ));
    });
}
