/* A program that installs its own seccomp filters, for tests/installs.rs:
 *   filter 1, with seccomp(2) and SECCOMP_FILTER_FLAG_LOG: allows everything;
 *   filter 2, with prctl(2): kills the process on getppid.
 * Then, as its first argument says:
 *   die:  calls getppid (killed: KILL_PROCESS);
 *   trap: installs filter 3 with seccomp(2) and SECCOMP_FILTER_FLAG_LOG,
 *         trapping getsid, and calls getsid (no handler: dies by SIGSYS);
 *   fork: a child installs filter 3 and exits; the parent waits for it.
 * It prints "installed one" and "installed two" on standard output. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sock_filter allow[] = {
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static struct sock_filter kill_getppid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static struct sock_filter trap_getsid[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static int install_trap(void) {
    struct sock_fprog third = { 4, trap_getsid };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &third);
}

int main(int argc, char **argv) {
    struct sock_fprog first = { 1, allow };
    struct sock_fprog second = { 4, kill_getppid };
    const char *mode = argc > 1 ? argv[1] : "";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return 10;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &first)) return 11;
    printf("installed one\n");
    fflush(stdout);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &second)) return 12;
    printf("installed two\n");
    fflush(stdout);
    if (strcmp(mode, "die") == 0) syscall(SYS_getppid);
    if (strcmp(mode, "trap") == 0) {
        if (install_trap()) return 13;
        syscall(SYS_getsid, 0);
    }
    if (strcmp(mode, "fork") == 0) {
        int status;
        pid_t child = fork();
        if (child < 0) return 14;
        if (child == 0) _exit(install_trap() ? 15 : 0);
        if (waitpid(child, &status, 0) != child || status != 0) return 16;
    }
    return 0;
}
