/* Runs a program with one system call refused, as a container's seccomp profile, or an old
 * kernel, may refuse it; every other call is let through.
 *   refuse netlink PROGRAM [ARG]...  socket(AF_NETLINK, ...) fails with EPERM
 *   refuse pidfd PROGRAM [ARG]...    pidfd_send_signal fails with ENOSYS (a kernel before 5.1,
 *                                    or a profile that does not know the call) */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

/* The same number on x86_64 and aarch64. */
#define NR_PIDFD_SEND_SIGNAL 424

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RETURN(what) BPF_STMT(BPF_RET | BPF_K, what)

int main(int argc, char **argv)
{
    int netlink = argc >= 3 && !strcmp(argv[1], "netlink");
    if (argc < 3 || (!netlink && strcmp(argv[1], "pidfd"))) {
        fprintf(stderr, "usage: refuse netlink|pidfd PROGRAM [ARG]...\n");
        return 2;
    }
    /* The call refused, and what its first argument must be for it to be refused: netlink's
     * socket(AF_NETLINK, ...), or pidfd_send_signal whatever its pidfd (any value >= 0). */
    unsigned nr = netlink ? __NR_socket : NR_PIDFD_SEND_SIGNAL;
    unsigned first = netlink ? BPF_JEQ : BPF_JGE;
    unsigned value = netlink ? AF_NETLINK : 0;
    unsigned error = netlink ? EPERM : ENOSYS;
    /* A call of another architecture's numbers kills the process. */
    struct sock_filter filter[] = {
        LOAD(arch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        RETURN(SECCOMP_RET_KILL_PROCESS),
        LOAD(nr),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 3),
        LOAD(args[0]),
        BPF_JUMP(BPF_JMP | first | BPF_K, value, 0, 1),
        RETURN(SECCOMP_RET_ERRNO | error),
        RETURN(SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program)) {
        perror("seccomp");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
}
