/*
 * A hostile target for tsnap's tests: a process that looks like a HotSpot JVM (it maps a
 * file named libjvm.so and catches SIGQUIT) and uses what a container controls against the
 * root tsnap that looks at it.
 *
 *   fakejvm ROOT MODE [ARG]
 *
 * It enters a mount namespace of its own (and with FAKE_PIDNS=1 a pid namespace, where it is
 * pid 1), chroots into ROOT and prints "ready PID" (its pid in its own namespace), then:
 *
 *   silent        catches SIGQUIT and never listens
 *   listen        listens on /tmp/.java_pid<PID> at once and answers every request
 *   quit-listen   listens once a SIGQUIT arrives, as HotSpot does
 *   swap          on SIGQUIT makes /tmp a symlink to ARG (keeping the old /tmp aside)
 *   backlog       listens with a full backlog and never accepts
 *
 * The answer (FAKE_REPLY): "dump" (default) a small thread dump whose one thread has the
 * fake's own id as its nid and FAKE_JAVA_NAME as its name; "flood" status 0, then data
 * without end; "error" a failed status followed by terminal control sequences; "many" a
 * dump of FAKE_ENTRIES threads that are none of its own; "deadlock" the dump with a deadlock
 * report whose lines start with tabs; "newlines" status 0 and FAKE_SIZE bytes of newlines;
 * "deep" a dump of one thread (its own) whose entry is FAKE_SIZE bytes of two-byte lines.
 *
 * It prints "quit" for every SIGQUIT it sees. Other settings: FAKE_COMM (its thread name), FAKE_UID (uid and gid to run as after the
 * chroot), FAKE_CWD (its working directory in ROOT; "gone" for one that was removed),
 * FAKE_NOJVM=1 (map no libjvm.so), FAKE_THREADS (that many more threads, idle). It ends when
 * its standard input closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t quits;

static void on_quit(int sig) {
    (void)sig;
    quits++;
}

static void die(const char *what) {
    fprintf(stderr, "fakejvm: %s: %s\n", what, strerror(errno));
    exit(111);
}

static const char *env(const char *name, const char *otherwise) {
    const char *v = getenv(name);
    return v && *v ? v : otherwise;
}

/* Writes all of buf; gives up quietly when the peer goes away. */
static int put(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int puts_fd(int fd, const char *s) { return put(fd, s, strlen(s)); }

static void thread_entry(int fd, const char *name, long nid) {
    char line[512];
    snprintf(line, sizeof line,
             "\"%s\" #1 prio=5 os_prio=0 cpu=1.00ms elapsed=1.00s tid=0x0000000000000001 "
             "nid=0x%lx waiting on condition  [0x00007f0000000000]\n"
             "   java.lang.Thread.State: WAITING (parking)\n"
             "\tat jdk.internal.misc.Unsafe.park(java.base@17/Native Method)\n\n",
             name, nid);
    puts_fd(fd, line);
}

static void answer(int fd) {
    char request[256];
    ssize_t got = read(fd, request, sizeof request);
    (void)got;
    const char *reply = env("FAKE_REPLY", "dump");
    if (!strcmp(reply, "flood")) {
        static char junk[65536];
        memset(junk, 'x', sizeof junk);
        puts_fd(fd, "0\n");
        while (put(fd, junk, sizeof junk) == 0) {
        }
        return;
    }
    long size = atol(env("FAKE_SIZE", "67100000"));
    if (!strcmp(reply, "newlines") || !strcmp(reply, "deep")) {
        static char lines[65536];
        int deep = !strcmp(reply, "deep");
        for (size_t i = 0; i < sizeof lines; i++)
            lines[i] = deep && i % 2 == 0 ? 'a' : '\n';
        puts_fd(fd, "0\n");
        if (deep) {
            char line[160];
            snprintf(line, sizeof line,
                     "\"deep\" #1 prio=5 os_prio=0 tid=0x1 nid=0x%lx runnable\n",
                     (long)getpid());
            puts_fd(fd, line);
        }
        for (long sent = 0; sent < size; sent += (long)sizeof lines) {
            size_t n = size - sent < (long)sizeof lines ? (size_t)(size - sent) : sizeof lines;
            if (put(fd, lines, n))
                return;
        }
        return;
    }
    if (!strcmp(reply, "error")) {
        puts_fd(fd, "101\n\x1b]0;owned\x07\x1b[2J\rerror: \x1b[31mevil\xc2\x9b" "6n\n");
        return;
    }
    puts_fd(fd, "0\n2026-11-30 12:00:00\nFull thread dump Fake VM (0 mixed mode):\n\n");
    if (!strcmp(reply, "many")) {
        char line[256];
        long entries = atol(env("FAKE_ENTRIES", "1000000"));
        for (long i = 1; i <= entries; i++) {
            /* As long as HotSpot's own header lines. */
            int n = snprintf(line, sizeof line,
                             "\"w%ld\" #%ld prio=5 os_prio=0 cpu=0.00ms elapsed=1.00s "
                             "tid=0x00007f0000000000 nid=0x%lx runnable  [0x00007f0000000000]\n",
                             i, i, i + 100000);
            if (put(fd, line, (size_t)n))
                return;
        }
        return;
    }
    thread_entry(fd, env("FAKE_JAVA_NAME", "main"), (long)getpid());
    if (!strcmp(reply, "deadlock")) {
        puts_fd(fd, "JNI global refs: 1, weak refs: 0\n\n"
                    "Found one Java-level deadlock:\n"
                    "=============================\n"
                    "\"a\":\n"
                    "  waiting to lock monitor 0x1 (object 0x2, a java.lang.Object),\n"
                    "  which is held by \"b\"\n\n"
                    "Java stack information for the threads listed above:\n"
                    "===================================================\n"
                    "\"a\":\n"
                    "\tat Deadlock.run(Deadlock.java:9)\n"
                    "\t- waiting to lock <0x2> (a java.lang.Object)\n\n"
                    "Found 1 deadlock.\n");
    }
}

static void *idle(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static int listener(int backlog) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/.java_pid%d", (int)getpid());
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr))
        die("bind");
    chmod(path, 0666);
    if (listen(fd, backlog))
        die("listen");
    return fd;
}

/* Connections of its own until connect would block: a listener nobody else gets into. */
static void fill_backlog(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/.java_pid%d", (int)getpid());
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    for (int i = 0; i < 64; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(c, (struct sockaddr *)&addr, sizeof addr))
            return;
    }
}

/* Serves the listener, or just waits, until standard input closes. */
static void run(int listen_fd, const char *mode, const char *arg) {
    int served_quit = 0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = listen_fd, .events = POLLIN}};
        int n = poll(fds, listen_fd >= 0 ? 2 : 1, 50);
        if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
            char c;
            if (read(0, &c, 1) <= 0)
                return;
        }
        if (quits > served_quit) {
            served_quit = quits;
            printf("quit\n");
            fflush(stdout);
            if (!strcmp(mode, "quit-listen") && listen_fd < 0)
                listen_fd = listener(8);
            if (!strcmp(mode, "swap")) {
                if (rename("/tmp", "/tmp.before") || symlink(arg, "/tmp"))
                    die("swap /tmp");
            }
        }
        if (listen_fd >= 0 && strcmp(mode, "backlog") && n > 0 && (fds[1].revents & POLLIN)) {
            int c = accept(listen_fd, NULL, NULL);
            if (c >= 0) {
                answer(c);
                close(c);
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: fakejvm ROOT MODE [ARG]\n");
        return 2;
    }
    const char *root = argv[1], *mode = argv[2], *arg = argc > 3 ? argv[3] : "";
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(env("FAKE_PIDNS", "0"), "1")) {
        if (unshare(CLONE_NEWPID))
            die("unshare(CLONE_NEWPID)");
        pid_t child = fork();
        if (child < 0)
            die("fork");
        if (child > 0) {
            int status;
            waitpid(child, &status, 0);
            return 0;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    if (unshare(CLONE_NEWNS))
        die("unshare(CLONE_NEWNS)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
        die("make / private");
    if (strcmp(env("FAKE_NOJVM", "0"), "1")) {
        char lib[4096];
        snprintf(lib, sizeof lib, "%s/lib/libjvm.so", root);
        int fd = open(lib, O_RDONLY);
        if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
            die(lib);
    }
    if (chroot(root) || chdir("/"))
        die("chroot");
    const char *cwd = env("FAKE_CWD", "/");
    if (!strcmp(cwd, "gone")) {
        if (mkdir("/gone", 0755) || chdir("/gone") || rmdir("/gone"))
            die("a working directory that is gone");
    } else if (chdir(cwd)) {
        die("chdir");
    }
    struct sigaction sa = {.sa_handler = on_quit};
    sigaction(SIGQUIT, &sa, NULL);
    prctl(PR_SET_NAME, env("FAKE_COMM", "fakejvm"));
    int listen_fd = -1;
    if (!strcmp(mode, "listen") || !strcmp(mode, "backlog"))
        listen_fd = listener(!strcmp(mode, "backlog") ? 0 : 8);
    const char *uid = getenv("FAKE_UID");
    if (uid) {
        gid_t id = (gid_t)atoi(uid);
        if (setgroups(0, NULL) || setgid(id) || setuid((uid_t)id))
            die("drop to FAKE_UID");
        /* As a process started as that user would be: its /proc files are its user's. */
        prctl(PR_SET_DUMPABLE, 1);
    }
    if (!strcmp(mode, "backlog"))
        fill_backlog();
    for (int i = atoi(env("FAKE_THREADS", "0")); i > 0; i--) {
        pthread_t t;
        if (pthread_create(&t, NULL, idle, NULL))
            die("pthread_create");
    }
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    run(listen_fd, mode, arg);
    return 0;
}
