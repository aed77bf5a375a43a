/*
 * A FUSE filesystem that never answers a lookup, mounted at MOUNTPOINT for PROGRAM: what a
 * hostile container can put under its own /tmp to hold whoever looks a name up there.
 *
 *   tarpit MOUNTPOINT SECONDS PROGRAM [ARG]...
 *
 * It mounts the filesystem (its root is an empty directory; every lookup in it is read and
 * left unanswered), runs PROGRAM as its child and serves the mount until the child ends, then
 * unmounts. Whatever happens, it exits after SECONDS, which aborts the connection and ends
 * every request still waiting: a test that fails leaves nothing stuck. Run it in a mount
 * namespace of its own (unshare -m) so that the mount is seen by nothing else.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct fuse_session *session;
static unsigned long lookups;

static void on_child(int sig) {
    (void)sig;
    fuse_session_exit(session);
}

static void on_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    (void)parent;
    (void)name;
    /* Read, never answered: the caller waits until the connection ends. */
    (void)req;
    lookups++;
}

static void on_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)fi;
    if (ino != FUSE_ROOT_ID) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st = {.st_ino = FUSE_ROOT_ID, .st_mode = S_IFDIR | 01777, .st_nlink = 2};
    fuse_reply_attr(req, &st, 3600);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tarpit MOUNTPOINT SECONDS PROGRAM [ARG]...\n");
        return 2;
    }
    char *fuse_argv[] = {argv[0], "-o", "allow_other,fsname=tarpit,subtype=tarpit", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
    struct fuse_lowlevel_ops ops = {.lookup = on_lookup, .getattr = on_getattr};
    session = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!session || fuse_session_mount(session, argv[1])) {
        fprintf(stderr, "tarpit: cannot mount at %s\n", argv[1]);
        return 111;
    }
    alarm((unsigned)atoi(argv[2]));
    struct sigaction sa = {.sa_handler = on_child};
    sigaction(SIGCHLD, &sa, NULL);
    pid_t child = fork();
    if (child < 0)
        return 111;
    if (child == 0) {
        execvp(argv[3], argv + 3);
        perror(argv[3]);
        _exit(127);
    }
    fuse_session_loop(session);
    fprintf(stderr, "tarpit: %lu lookups left unanswered\n", lookups);
    fuse_session_unmount(session);
    fuse_session_destroy(session);
    int status;
    waitpid(child, &status, 0);
    return 0;
}
