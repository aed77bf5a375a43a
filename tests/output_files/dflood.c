/* A tenant that floods the capture for tests/output_files.rs: THREADS threads named "flood",
 * each kept in uninterruptible sleep (D) by a CLONE_VFORK child of its own that only sleeps
 * (the parent waits for it in TASK_KILLABLE, shown as D; the child dies with the thread that
 * made it). Prints "ready" once every thread is started, then waits for its standard input to
 * close.
 *
 * Usage: dflood THREADS */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *flood(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "flood");
    for (;;) {
        long pid = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            sleep(120);
            _exit(0);
        }
        if (pid < 0) {
            pause();
        }
        waitpid((pid_t)pid, NULL, 0);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    char byte;
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        if (pthread_create(&t, &attr, flood, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    while (read(0, &byte, 1) > 0) {
    }
    return 0;
}
