/* Threads that call into a file system: run in MOUNTPOINT, it opens NSYNC files there
 * (sync-0, sync-1, ...), prints "ready", and on a line on stdin starts NOPEN threads that
 * open a file each by a path relative to it (open-0, ...) and NSYNC threads that fsync one
 * each, printing "openat TID" or "fsync TID" as each starts; it ends when stdin closes.
 * Usage: fsclient MOUNTPOINT NOPEN NSYNC */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *what)
{
    pthread_mutex_lock(&out);
    printf("%s %d\n", what, gettid());
    fflush(stdout);
    pthread_mutex_unlock(&out);
}

static void *opener(void *arg)
{
    char name[32];
    snprintf(name, sizeof name, "open-%d", (int)(intptr_t)arg);
    say("openat");
    int fd = openat(AT_FDCWD, name, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void *syncer(void *arg)
{
    say("fsync");
    fsync((int)(intptr_t)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4 || chdir(argv[1]) != 0)
        return 2;
    int nopen = atoi(argv[2]), nsync = atoi(argv[3]);
    int fds[64];
    for (int i = 0; i < nsync && i < 64; i++) {
        char name[32];
        snprintf(name, sizeof name, "sync-%d", i);
        fds[i] = open(name, O_RDWR);
        if (fds[i] < 0 || write(fds[i], "x", 1) != 1)
            return 3;
    }
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    pthread_t t;
    for (int i = 0; i < nopen; i++)
        pthread_create(&t, NULL, opener, (void *)(intptr_t)i);
    for (int i = 0; i < nsync && i < 64; i++)
        pthread_create(&t, NULL, syncer, (void *)(intptr_t)fds[i]);
    while (fgets(line, sizeof line, stdin))
        ;
    _exit(0);
}
