/* A container's workload for the container tests (tests/support/containers.rs), built static
 * so that it runs alone in an image FROM scratch: PIPES threads named "pipe-reader" blocked in
 * read(2) on a pipe nobody writes, SLEEPERS threads named "sleeper" in nanosleep, and with
 * "spin" one thread named "spinner" on a CPU. Prints "ready" once every thread is named, then
 * waits for its standard input to close.
 *
 * Usage: workload PIPES SLEEPERS [spin] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];
static pthread_barrier_t named;

static void *pipe_reader(void *arg) {
    char byte;
    (void)arg;
    pthread_setname_np(pthread_self(), "pipe-reader");
    pthread_barrier_wait(&named);
    for (;;) {
        if (read(pipe_fds[0], &byte, 1) <= 0) {
            pause();
        }
    }
    return NULL;
}

static void *sleeper(void *arg) {
    struct timespec hour = {3600, 0};
    (void)arg;
    pthread_setname_np(pthread_self(), "sleeper");
    pthread_barrier_wait(&named);
    for (;;) {
        nanosleep(&hour, NULL);
    }
    return NULL;
}

static void *spinner(void *arg) {
    volatile unsigned long n = 0;
    (void)arg;
    pthread_setname_np(pthread_self(), "spinner");
    pthread_barrier_wait(&named);
    for (;;) {
        n++;
    }
    return NULL;
}

static void start(void *(*body)(void *)) {
    pthread_t t;
    if (pthread_create(&t, NULL, body, NULL) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

int main(int argc, char **argv) {
    int pipes, sleepers, spin, i;
    char byte;
    if (argc < 3) {
        fprintf(stderr, "usage: workload PIPES SLEEPERS [spin]\n");
        return 2;
    }
    pipes = atoi(argv[1]);
    sleepers = atoi(argv[2]);
    spin = argc > 3 && strcmp(argv[3], "spin") == 0;
    if (pipe(pipe_fds) != 0) {
        perror("pipe");
        return 1;
    }
    pthread_barrier_init(&named, NULL, (unsigned)(pipes + sleepers + spin + 1));
    for (i = 0; i < pipes; i++) {
        start(pipe_reader);
    }
    for (i = 0; i < sleepers; i++) {
        start(sleeper);
    }
    if (spin) {
        start(spinner);
    }
    pthread_barrier_wait(&named);
    printf("ready %d\n", getpid());
    fflush(stdout);
    while (read(0, &byte, 1) > 0) {
    }
    return 0;
}
