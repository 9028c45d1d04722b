#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Installs two filters (seccomp(2), then prctl(2)); the second kills getppid.
   With "die", calls getppid. */
int main(int argc, char **argv) {
    struct sock_filter allow[] = {
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter kill_getppid[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog first = { 1, allow };
    struct sock_fprog second = { 4, kill_getppid };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return 10;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &first)) return 11;
    printf("installed one\n");
    fflush(stdout);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &second)) return 12;
    printf("installed two\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "die") == 0) syscall(SYS_getppid);
    return 0;
}
