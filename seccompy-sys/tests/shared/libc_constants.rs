// The constants of `seccompy-sys` that the `libc` crate defines too, by group:
// the one list of them. `tests/libc.rs` compares each with `libc`'s value and
// `cargo xtask check-abi` (`xtask/src/abi.rs`) with the kernel headers', so a
// constant added here is checked both ways. Both files `include!` this one:
// `libc_constants!(group, m)` calls the macro `m` with the group's names.
macro_rules! libc_constants {
    // linux/seccomp.h
    (seccomp, $m:ident) => {
        $m!(
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
        )
    };
    // linux/seccomp.h: the listener ioctl requests
    (ioctl, $m:ident) => {
        $m!(
            SECCOMP_IOCTL_NOTIF_RECV,
            SECCOMP_IOCTL_NOTIF_SEND,
            SECCOMP_IOCTL_NOTIF_ID_VALID,
            SECCOMP_IOCTL_NOTIF_ADDFD,
            SECCOMP_IOCTL_NOTIF_SET_FLAGS,
        )
    };
    // linux/prctl.h, linux/ptrace.h
    (prctl_ptrace, $m:ident) => {
        $m!(
            PR_GET_SECCOMP,
            PR_SET_SECCOMP,
            PR_SET_NO_NEW_PRIVS,
            PR_GET_NO_NEW_PRIVS,
            PTRACE_EVENT_SECCOMP,
            PTRACE_O_TRACESECCOMP,
            PTRACE_O_SUSPEND_SECCOMP,
        )
    };
    // linux/bpf_common.h, linux/filter.h
    (bpf, $m:ident) => {
        $m!(
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
        )
    };
}
