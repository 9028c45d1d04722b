//! Our constants against `libc`'s for the host, where `libc` defines them.

use seccompy_sys::*;

fn wide<T: TryInto<i128>>(v: T) -> i128 {
    v.try_into().ok().expect("every integer fits in i128")
}

macro_rules! same_as_libc {
    ($($name:ident),+ $(,)?) => {{
        let mut mismatches = Vec::new();
        $(
            if wide($name) != wide(libc::$name) {
                mismatches.push(format!(
                    "{}: ours {:#x}, libc {:#x}",
                    stringify!($name), wide($name), wide(libc::$name)
                ));
            }
        )+
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }};
}

#[test]
fn seccomp_constants_match_libc() {
    same_as_libc!(
        SECCOMP_MODE_DISABLED,
        SECCOMP_MODE_STRICT,
        SECCOMP_MODE_FILTER,
        SECCOMP_SET_MODE_STRICT,
        SECCOMP_SET_MODE_FILTER,
        SECCOMP_GET_ACTION_AVAIL,
        SECCOMP_GET_NOTIF_SIZES,
        SECCOMP_FILTER_FLAG_TSYNC,
        SECCOMP_FILTER_FLAG_LOG,
        SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        SECCOMP_FILTER_FLAG_NEW_LISTENER,
        SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
        SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        SECCOMP_RET_KILL_PROCESS,
        SECCOMP_RET_KILL_THREAD,
        SECCOMP_RET_KILL,
        SECCOMP_RET_TRAP,
        SECCOMP_RET_ERRNO,
        SECCOMP_RET_USER_NOTIF,
        SECCOMP_RET_TRACE,
        SECCOMP_RET_LOG,
        SECCOMP_RET_ALLOW,
        SECCOMP_RET_ACTION_FULL,
        SECCOMP_RET_ACTION,
        SECCOMP_RET_DATA,
        SECCOMP_USER_NOTIF_FLAG_CONTINUE,
        SECCOMP_ADDFD_FLAG_SETFD,
        SECCOMP_ADDFD_FLAG_SEND,
    );
}

#[test]
fn listener_ioctl_numbers_match_libc() {
    // Compared as 32-bit patterns: some C libraries type the request as `int`.
    let pairs = [
        (
            "RECV",
            SECCOMP_IOCTL_NOTIF_RECV,
            libc::SECCOMP_IOCTL_NOTIF_RECV as u32,
        ),
        (
            "SEND",
            SECCOMP_IOCTL_NOTIF_SEND,
            libc::SECCOMP_IOCTL_NOTIF_SEND as u32,
        ),
        (
            "ID_VALID",
            SECCOMP_IOCTL_NOTIF_ID_VALID,
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID as u32,
        ),
        (
            "ADDFD",
            SECCOMP_IOCTL_NOTIF_ADDFD,
            libc::SECCOMP_IOCTL_NOTIF_ADDFD as u32,
        ),
        (
            "SET_FLAGS",
            SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS as u32,
        ),
    ];
    for (name, ours, theirs) in pairs {
        assert_eq!(
            ours, theirs,
            "SECCOMP_IOCTL_NOTIF_{name}: ours {ours:#x}, libc {theirs:#x}"
        );
    }
}

#[test]
fn prctl_and_ptrace_constants_match_libc() {
    same_as_libc!(
        PR_GET_SECCOMP,
        PR_SET_SECCOMP,
        PR_SET_NO_NEW_PRIVS,
        PR_GET_NO_NEW_PRIVS,
        PTRACE_EVENT_SECCOMP,
        PTRACE_O_TRACESECCOMP,
        PTRACE_O_SUSPEND_SECCOMP,
    );
}

#[test]
fn bpf_constants_match_libc() {
    same_as_libc!(
        BPF_LD,
        BPF_LDX,
        BPF_ST,
        BPF_STX,
        BPF_ALU,
        BPF_JMP,
        BPF_RET,
        BPF_MISC,
        BPF_W,
        BPF_H,
        BPF_B,
        BPF_IMM,
        BPF_ABS,
        BPF_IND,
        BPF_MEM,
        BPF_LEN,
        BPF_MSH,
        BPF_ADD,
        BPF_SUB,
        BPF_MUL,
        BPF_DIV,
        BPF_OR,
        BPF_AND,
        BPF_LSH,
        BPF_RSH,
        BPF_NEG,
        BPF_MOD,
        BPF_XOR,
        BPF_JA,
        BPF_JEQ,
        BPF_JGT,
        BPF_JGE,
        BPF_JSET,
        BPF_K,
        BPF_X,
        BPF_A,
        BPF_TAX,
        BPF_TXA,
        BPF_MAXINSNS,
        BPF_MEMWORDS,
    );
}
