/* Threads in D on one file: the first reads the file into memory whose page faults a
 * userfaultfd never serves, so it sleeps inside read() holding the file's position lock;
 * the N others read the same file description and wait for that lock in D. Prints "ready"
 * once they are started; ends when killed (the sleeping reader is woken, and the others
 * then get the lock). Usage: fpos FILE N. Needs root (or vm.unprivileged_userfaultfd=1). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fd;
static char *trap;

static void *holder(void *arg) {
    (void)arg;
    /* The copy to `trap` faults, and the fault waits for the userfaultfd. */
    if (read(fd, trap, 4096) < 0)
        perror("read");
    return NULL;
}

static void *waiter(void *arg) {
    char buf[64];
    (void)arg;
    if (read(fd, buf, sizeof buf) < 0)
        perror("read");
    pause();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    fd = open(argv[1], O_RDONLY);
    int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd < 0 || uffd < 0) {
        perror("open/userfaultfd");
        return 1;
    }
    struct uffdio_api api = {.api = UFFD_API};
    trap = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {
        .range = {.start = (unsigned long)trap, .len = 4096},
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(uffd, UFFDIO_API, &api) < 0 || trap == MAP_FAILED ||
        ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
        perror("userfaultfd setup");
        return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    usleep(200000);
    for (int i = 0; i < atoi(argv[2]); i++)
        pthread_create(&t, NULL, waiter, NULL);
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}
