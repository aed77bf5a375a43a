/* Threads with known stacks, for tests/flame.rs: two named hot-1 and hot-2 spinning in user
 * space, one named NAME (argv[1], at most 15 bytes: a hostile name) sleeping in nanosleep,
 * and with a second argument "worker", one named worker that spins until a byte arrives on
 * standard input, then sleeps in nanosleep. The main thread prints "ready" once every thread
 * is named and waits in read(2) on standard input; it exits when that closes.
 * Usage: stacks NAME [worker] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile int worker_sleeps;
static pthread_barrier_t named;

static void sleep_forever(void)
{
    struct timespec t = {1, 0};
    for (;;)
        nanosleep(&t, NULL);
}

static void *hot(void *name)
{
    prctl(PR_SET_NAME, name);
    pthread_barrier_wait(&named);
    for (volatile unsigned long n = 0;; n++)
        ;
    return NULL;
}

static void *sleeper(void *name)
{
    prctl(PR_SET_NAME, name);
    pthread_barrier_wait(&named);
    sleep_forever();
    return NULL;
}

static void *worker(void *unused)
{
    (void)unused;
    prctl(PR_SET_NAME, "worker");
    pthread_barrier_wait(&named);
    for (volatile unsigned long n = 0; !worker_sleeps; n++)
        ;
    sleep_forever();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stacks NAME [worker]\n");
        return 2;
    }
    int with_worker = argc > 2 && strcmp(argv[2], "worker") == 0;
    pthread_t t;
    pthread_barrier_init(&named, NULL, 4 + with_worker);
    pthread_create(&t, NULL, hot, "hot-1");
    pthread_create(&t, NULL, hot, "hot-2");
    pthread_create(&t, NULL, sleeper, argv[1]);
    if (with_worker)
        pthread_create(&t, NULL, worker, NULL);
    pthread_barrier_wait(&named);
    printf("ready\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) == 1)
        worker_sleeps = 1;
    return 0;
}
