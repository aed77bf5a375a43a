/* What a container that can write its name=systemd hierarchy (podman --systemd=always mounts
 * it writable, whole) does to pass for another container (issue 20, item 4):
 *   cgroup into PATH   moves itself into the cgroup PATH of that hierarchy (another's);
 *   cgroup below PATH  creates PATH below its own cgroup there and moves itself into it;
 *   cgroup stay        nothing.
 * Then it prints "ready" and waits for its standard input to close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HIERARCHY "/sys/fs/cgroup/systemd"

static void fail(const char *what, const char *path) {
    printf("failed: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

/* The path of this process's cgroup in the name=systemd hierarchy. */
static void own(char *out, size_t size) {
    char line[4096];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        fail("open", "/proc/self/cgroup");
    while (fgets(line, sizeof line, f)) {
        char *at = strstr(line, ":name=systemd:");
        if (at) {
            at += strlen(":name=systemd:");
            at[strcspn(at, "\n")] = 0;
            snprintf(out, size, "%s", strcmp(at, "/") ? at : "");
            fclose(f);
            return;
        }
    }
    errno = ENOENT;
    fail("find name=systemd in", "/proc/self/cgroup");
}

static void move_into(const char *dir) {
    char procs[8192];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    FILE *f = fopen(procs, "w");
    if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0)
        fail("write", procs);
}

int main(int argc, char **argv) {
    char dir[8192];
    if (argc == 3 && !strcmp(argv[1], "into")) {
        snprintf(dir, sizeof dir, HIERARCHY "%s", argv[2]);
        move_into(dir);
    } else if (argc == 3 && !strcmp(argv[1], "below")) {
        char mine[4096];
        own(mine, sizeof mine);
        int n = snprintf(dir, sizeof dir, HIERARCHY "%s/", mine);
        /* Each component of PATH in turn. */
        for (const char *p = argv[2]; *p; p++) {
            if (*p == '/' && mkdir(dir, 0755) && errno != EEXIST)
                fail("mkdir", dir);
            dir[n++] = *p;
            dir[n] = 0;
        }
        if (mkdir(dir, 0755) && errno != EEXIST)
            fail("mkdir", dir);
        move_into(dir);
    } else if (argc != 2 || strcmp(argv[1], "stay")) {
        fprintf(stderr, "usage: cgroup into PATH | below PATH | stay\n");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    return 0;
}
