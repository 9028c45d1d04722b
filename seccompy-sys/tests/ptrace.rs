//! The seccomp ptrace requests, events and options against the running kernel.
//! The tracee is a forked child that installs the filter itself; this test's
//! thread is its tracer.

use core::ffi::c_void;
use core::ptr::null_mut;

use seccompy_sys::raw;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;
use seccompy_testing::{errno, require_root, wait_status as wait};

const TRACE_DATA: u32 = 0x42;

/// Sends `getppid` of the host ABI to the tracer with data [`TRACE_DATA`] and
/// allows the rest.
fn program() -> [sock_filter; 6] {
    let arch = Abi::host().expect("a seccomp ABI").audit_arch();
    let nr = libc::SYS_getppid as u32;
    [
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 3),
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE | TRACE_DATA),
        bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]
}

/// The tracee: asks to be traced, installs the filter with the LOG flag, stops,
/// then calls `getppid` (a seccomp event for the tracer) and exits with 0.
fn tracee(mut prog: [sock_filter; 6]) -> i32 {
    let null: *mut c_void = null_mut();
    // SAFETY: PTRACE_TRACEME takes no memory arguments.
    if unsafe { libc::ptrace(libc::PTRACE_TRACEME, 0, null, null) } != 0 {
        return 10;
    }
    // SAFETY: no memory arguments.
    if unsafe { raw::prctl_set_no_new_privs() } != 0 {
        return 11;
    }
    let fprog = sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: `fprog` points to `len` instructions; the filter only diverts getppid.
    if unsafe { raw::seccomp_set_mode_filter(SECCOMP_FILTER_FLAG_LOG, &fprog) } != 0 {
        return 12;
    }
    // SAFETY: raw system calls without memory arguments.
    unsafe {
        libc::raise(libc::SIGSTOP);
        libc::syscall(libc::SYS_getppid);
    }
    0
}

/// Kills and reaps the tracee if the test fails half-way.
struct Reap(libc::pid_t);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0 > 0 {
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
                libc::waitpid(self.0, null_mut(), libc::__WALL);
            }
        }
    }
}

fn ptrace(request: libc::c_uint, pid: libc::pid_t, data: usize) -> libc::c_long {
    // SAFETY: used only with requests whose `data` is an integer.
    unsafe { libc::ptrace(request, pid, null_mut::<c_void>(), data as *mut c_void) }
}

#[test]
#[ignore = "needs root (PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN)"]
fn tracer_reads_the_filter_and_gets_the_seccomp_event() {
    require_root("CAP_SYS_ADMIN");
    let prog = program();
    // The child runs only raw system calls.
    let pid = seccompy_testing::fork(|| tracee(prog)).expect("fork");
    let mut guard = Reap(pid);

    let status = wait(pid);
    assert!(
        libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == libc::SIGSTOP,
        "tracee did not stop: status {status:#x} (exit code {} if it exited)",
        libc::WEXITSTATUS(status)
    );

    // The filter, instruction by instruction.
    // SAFETY: a null buffer only asks for the length.
    let len = unsafe { raw::ptrace_seccomp_get_filter(pid, 0, null_mut()) };
    assert_eq!(len, prog.len() as libc::c_long, "errno {}", errno());
    let mut copy = [sock_filter::default(); 6];
    // SAFETY: `copy` has room for the filter's `len` instructions.
    let got = unsafe { raw::ptrace_seccomp_get_filter(pid, 0, copy.as_mut_ptr()) };
    assert_eq!(got, len, "errno {}", errno());
    assert_eq!(copy, prog);
    // There is no second filter.
    // SAFETY: a null buffer only asks for the length.
    let r = unsafe { raw::ptrace_seccomp_get_filter(pid, 1, null_mut()) };
    assert_eq!((r, errno()), (-1, libc::ENOENT));

    // Its metadata: the LOG flag it was installed with.
    let mut meta = seccomp_metadata::default();
    // SAFETY: `meta` is a readable and writable seccomp_metadata.
    let r = unsafe { raw::ptrace_seccomp_get_metadata(pid, &mut meta) };
    assert_eq!(
        r,
        core::mem::size_of::<seccomp_metadata>() as libc::c_long,
        "errno {}",
        errno()
    );
    assert_eq!(meta.flags, u64::from(SECCOMP_FILTER_FLAG_LOG));

    // The SECCOMP_RET_TRACE of getppid stops the tracee with the seccomp event.
    let opts = PTRACE_O_TRACESECCOMP as usize;
    assert_eq!(
        ptrace(libc::PTRACE_SETOPTIONS, pid, opts),
        0,
        "errno {}",
        errno()
    );
    assert_eq!(ptrace(libc::PTRACE_CONT, pid, 0), 0, "errno {}", errno());
    let status = wait(pid);
    assert!(libc::WIFSTOPPED(status), "status {status:#x}");
    assert_eq!(
        status >> 8,
        libc::SIGTRAP | (PTRACE_EVENT_SECCOMP << 8),
        "status {status:#x}"
    );
    let mut msg: libc::c_ulong = 0;
    // SAFETY: `msg` is a writable unsigned long.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            pid,
            null_mut::<c_void>(),
            (&raw mut msg).cast::<c_void>(),
        )
    };
    assert_eq!(r, 0, "errno {}", errno());
    assert_eq!(msg, libc::c_ulong::from(TRACE_DATA));

    assert_eq!(ptrace(libc::PTRACE_CONT, pid, 0), 0, "errno {}", errno());
    let status = wait(pid);
    guard.0 = 0;
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status:#x}"
    );
}
