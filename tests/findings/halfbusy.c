/* N threads, each spinning the first half of every 100 ms of the clock and asleep the rest:
 * all of them want a CPU at the same moments. Usage: halfbusy N. Runs until killed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define PERIOD_NS 100000000LL

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *busy(void *arg) {
    (void)arg;
    for (;;) {
        long long start = now_ns() / PERIOD_NS * PERIOD_NS;
        while (now_ns() < start + PERIOD_NS / 2)
            ;
        long long next = start + PERIOD_NS;
        struct timespec t = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t t;
    for (int i = 1; i < n; i++)
        pthread_create(&t, NULL, busy, NULL);
    busy(NULL);
    return 0;
}
