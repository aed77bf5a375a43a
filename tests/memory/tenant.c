/* A tenant of many idle threads: starts argv[1] threads parked in pause(2), with small
 * stacks and no guard pages, prints "ready STARTED" and runs until its standard input
 * closes. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *park(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv) {
    long wanted = argc > 1 ? atol(argv[1]) : 0, started = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN > 16384 ? PTHREAD_STACK_MIN : 16384);
    pthread_attr_setguardsize(&attr, 0);
    for (; started < wanted; started++) {
        pthread_t t;
        if (pthread_create(&t, &attr, park, NULL) != 0)
            break;
    }
    printf("ready %ld\n", started);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
