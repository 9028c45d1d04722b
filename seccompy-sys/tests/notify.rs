//! The listener ioctls against the running kernel. The filter is installed in a
//! forked child, which supervises a grandchild that inherits it.

use seccompy_sys::raw;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;
use seccompy_testing::{errno, exit_code};

/// Where the supervising child failed: its exit code.
#[derive(Clone, Copy, Debug)]
#[repr(i32)]
enum Step {
    NoNewPrivs = 1,
    InstallListener,
    Pipe,
    ForkTarget,
    Recv,
    NotificationContents,
    IdValidPending,
    IdValidWrongDirPending,
    SetFlagsSyncWakeUp,
    SetFlagsUnknownIsEinval,
    AddFd,
    Send,
    IdValidAnsweredIsEnoent,
    IdValidWrongDirAnsweredIsEnoent,
    TargetGotTheAddedFd,
}

const STEPS: [Step; 15] = [
    Step::NoNewPrivs,
    Step::InstallListener,
    Step::Pipe,
    Step::ForkTarget,
    Step::Recv,
    Step::NotificationContents,
    Step::IdValidPending,
    Step::IdValidWrongDirPending,
    Step::SetFlagsSyncWakeUp,
    Step::SetFlagsUnknownIsEinval,
    Step::AddFd,
    Step::Send,
    Step::IdValidAnsweredIsEnoent,
    Step::IdValidWrongDirAnsweredIsEnoent,
    Step::TargetGotTheAddedFd,
];

fn step(s: Step) -> i32 {
    s as i32
}

/// Notifies on `getppid` of the host ABI and allows the rest.
fn program() -> [sock_filter; 6] {
    let arch = Abi::host().expect("a seccomp ABI").audit_arch();
    let nr = libc::SYS_getppid as u32;
    [
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 3),
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]
}

/// The target: its `getppid` is answered with the number of an fd the supervisor
/// added; it checks that the fd is open.
fn target() -> i32 {
    // SAFETY: raw system calls without memory arguments.
    let r = unsafe { libc::syscall(libc::SYS_getppid) };
    let Ok(fd) = i32::try_from(r as i64) else {
        return 2;
    };
    // SAFETY: F_GETFD takes no pointer.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return 3;
    }
    0
}

/// The supervisor; runs in a forked child, so only raw calls and no allocation.
fn supervisor(mut prog: [sock_filter; 6], sys_getppid: i32, arch: u32) -> i32 {
    // Die rather than hang if the kernel never notifies.
    // SAFETY: alarm has no memory arguments.
    unsafe { libc::alarm(10) };
    // SAFETY: no memory arguments.
    if unsafe { raw::prctl_set_no_new_privs() } != 0 {
        return step(Step::NoNewPrivs);
    }
    let fprog = sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: `fprog` points to `len` instructions; the filter only diverts
    // getppid, which this process does not call.
    let listener =
        unsafe { raw::seccomp_set_mode_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog) };
    let Ok(listener) = i32::try_from(listener as i64) else {
        return step(Step::InstallListener);
    };
    if listener < 0 {
        return step(Step::InstallListener);
    }
    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for two fds.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return step(Step::Pipe);
    }
    // The grandchild only makes raw calls and exits.
    let Ok(pid) = seccompy_testing::fork(target) else {
        return step(Step::ForkTarget);
    };

    let mut notif = seccomp_notif::default();
    // SAFETY: `notif` is a zeroed, writable seccomp_notif.
    if unsafe { raw::seccomp_ioctl_notif_recv(listener, &mut notif) } != 0 {
        return step(Step::Recv);
    }
    if notif.data.nr != sys_getppid || notif.data.arch != arch || notif.pid != pid as u32 {
        return step(Step::NotificationContents);
    }
    let id = notif.id;
    // SAFETY: `id` is a readable u64.
    if unsafe { raw::seccomp_ioctl_notif_id_valid(listener, &id) } != 0 {
        return step(Step::IdValidPending);
    }
    // SAFETY: `id` is a readable u64.
    if unsafe { raw::seccomp_ioctl_notif_id_valid_wrong_dir(listener, &id) } != 0 {
        return step(Step::IdValidWrongDirPending);
    }
    // SAFETY: `listener` is a seccomp listener.
    if unsafe { raw::seccomp_ioctl_notif_set_flags(listener, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) }
        != 0
    {
        return step(Step::SetFlagsSyncWakeUp);
    }
    // SAFETY: `listener` is a seccomp listener.
    let r = unsafe { raw::seccomp_ioctl_notif_set_flags(listener, 1 << 7) };
    if r != -1 || errno() != libc::EINVAL {
        return step(Step::SetFlagsUnknownIsEinval);
    }
    let addfd = seccomp_notif_addfd {
        id,
        flags: 0,
        srcfd: pipe[0] as u32,
        newfd: 0,
        newfd_flags: 0,
    };
    // SAFETY: `addfd` is a readable seccomp_notif_addfd.
    let newfd = unsafe { raw::seccomp_ioctl_notif_addfd(listener, &addfd) };
    if newfd < 0 {
        return step(Step::AddFd);
    }
    let resp = seccomp_notif_resp {
        id,
        val: i64::from(newfd),
        error: 0,
        flags: 0,
    };
    // SAFETY: `resp` is a readable seccomp_notif_resp.
    if unsafe { raw::seccomp_ioctl_notif_send(listener, &resp) } != 0 {
        return step(Step::Send);
    }
    // SAFETY: `id` is a readable u64.
    let r = unsafe { raw::seccomp_ioctl_notif_id_valid(listener, &id) };
    if r != -1 || errno() != libc::ENOENT {
        return step(Step::IdValidAnsweredIsEnoent);
    }
    // SAFETY: `id` is a readable u64.
    let r = unsafe { raw::seccomp_ioctl_notif_id_valid_wrong_dir(listener, &id) };
    if r != -1 || errno() != libc::ENOENT {
        return step(Step::IdValidWrongDirAnsweredIsEnoent);
    }
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return step(Step::TargetGotTheAddedFd);
    }
    0
}

#[test]
fn listener_ioctls_drive_a_notification_end_to_end() {
    let prog = program();
    let arch = Abi::host().expect("a seccomp ABI").audit_arch();
    let sys_getppid = libc::SYS_getppid as i32;
    let code = exit_code(|| supervisor(prog, sys_getppid, arch));
    let failed = STEPS.iter().find(|s| **s as i32 == code);
    assert_eq!(code, 0, "the supervisor failed at step {failed:?}");
}
