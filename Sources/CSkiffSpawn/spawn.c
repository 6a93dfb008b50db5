#define _GNU_SOURCE
#include "skiff_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only system calls from here to exec: the child of a multi-threaded parent may not allocate. */

struct child_failure {
    int error;
    int step;
};

static void report(int pipe_fd, int error, int step) {
    struct child_failure failure = { error, step };
    ssize_t ignored = write(pipe_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == (ssize_t)length ? 0 : -1;
}

static int make_directories(const char *path) {
    char buffer[PATH_MAX];
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof buffer) { errno = ENAMETOOLONG; return -1; }
    memcpy(buffer, path, length + 1);
    for (size_t i = 1; i <= length; i++) {
        if (buffer[i] == '/' || buffer[i] == '\0') {
            char saved = buffer[i];
            buffer[i] = '\0';
            if (mkdir(buffer, 0755) < 0 && errno != EEXIST) return -1;
            buffer[i] = saved;
        }
    }
    return 0;
}

/* A read-only remount of a bind must keep the flags the kernel locked on the source (nosuid, nodev...),
   or a user namespace is refused it. */
static int remount_read_only(const char *target) {
    struct statfs info;
    if (statfs(target, &info) < 0) return -1;
    unsigned long keep = (unsigned long)info.f_flags &
        (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    return mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL);
}

static int run_step(const struct skiff_root_step *step) {
    switch (step->kind) {
    case SKIFF_STEP_MKDIR:
        return make_directories(step->target);
    case SKIFF_STEP_MKFILE: {
        int fd = open(step->target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
        return 0;
    }
    case SKIFF_STEP_SYMLINK:
        return symlink(step->source, step->target);
    case SKIFF_STEP_BIND:
        return mount(step->source, step->target, NULL, MS_BIND | MS_REC, NULL);
    case SKIFF_STEP_BIND_READONLY:
        if (mount(step->source, step->target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return remount_read_only(step->target);
    case SKIFF_STEP_TMPFS:
        return mount("tmpfs", step->target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
    case SKIFF_STEP_PIVOT_ROOT:
        /* runc's way: the old root is stacked under the new one, then detached. */
        if (chdir(step->target) < 0) return -1;
        if (syscall(SYS_pivot_root, ".", ".") < 0) return -1;
        if (umount2(".", MNT_DETACH) < 0) return -1;
        return chdir("/");
    case SKIFF_STEP_DETACH:
        if (umount2(step->target, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) return -1;
        return 0;
    default:
        errno = EINVAL;
        return -1;
    }
}

static void close_from(int first, int except) {
    if (except >= first) {
        if (except > first) syscall(SYS_close_range, first, except - 1, 0);
        syscall(SYS_close_range, except + 1, ~0U, 0);
    } else {
        syscall(SYS_close_range, first, ~0U, 0);
    }
}

static void child(const struct skiff_spawn_request *r, int pipe_fd) {
    /* Default dispositions and an empty mask, whatever the kubelet blocks or ignores. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &action, NULL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);

    if (r->new_session && setsid() < 0) report(pipe_fd, errno, SKIFF_FAILED_STDIO);

    if (r->enter_user_fd >= 0 && setns(r->enter_user_fd, CLONE_NEWUSER) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
    if (r->enter_mount_fd >= 0 && setns(r->enter_mount_fd, CLONE_NEWNS) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);

    if (r->namespaces > 0) {
        int flags = CLONE_NEWNS | (r->namespaces > 1 ? CLONE_NEWUSER : 0);
        if (unshare(flags) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
        if (r->namespaces > 1) {
            if (write_file("/proc/self/setgroups", "deny") < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
            if (r->uid_map && write_file("/proc/self/uid_map", r->uid_map) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
            if (r->gid_map && write_file("/proc/self/gid_map", r->gid_map) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
        }
        /* Nothing mounted here may reach the host's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) report(pipe_fd, errno, SKIFF_FAILED_NAMESPACES);
        for (int i = 0; i < r->step_count; i++) {
            if (run_step(&r->steps[i]) < 0) report(pipe_fd, errno, i);
        }
    }

    if (r->terminal) {
        int fd = open(r->terminal, O_RDWR);
        if (fd < 0) report(pipe_fd, errno, SKIFF_FAILED_STDIO);
        if ((fd != 0 && dup2(fd, 0) < 0) || dup2(0, 1) < 0 || dup2(0, 2) < 0) report(pipe_fd, errno, SKIFF_FAILED_STDIO);
        if (fd > 2) close(fd);
    } else {
        if (r->stdin_fd >= 0) {
            if (dup2(r->stdin_fd, 0) < 0) report(pipe_fd, errno, SKIFF_FAILED_STDIO);
        } else {
            int fd = open("/dev/null", O_RDONLY);
            if (fd < 0 || (fd != 0 && dup2(fd, 0) < 0)) report(pipe_fd, errno, SKIFF_FAILED_STDIO);
            if (fd > 0) close(fd);
        }
        if (dup2(r->stdout_fd, 1) < 0 || dup2(r->stderr_fd, 2) < 0) report(pipe_fd, errno, SKIFF_FAILED_STDIO);
    }
    close_from(3, pipe_fd);

    if (r->directory && chdir(r->directory) < 0) report(pipe_fd, errno, SKIFF_FAILED_DIRECTORY);
    execve(r->path, r->argv, r->envp);
    report(pipe_fd, errno, SKIFF_FAILED_EXEC);
}

int skiff_spawn(const struct skiff_spawn_request *request, int *failed_step) {
    *failed_step = SKIFF_FAILED_FORK;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(fds[0]);
        close(fds[1]);
        return -error;
    }
    if (pid == 0) {
        close(fds[0]);
        child(request, fds[1]);
        _exit(127);
    }
    close(fds[1]);
    struct child_failure failure;
    ssize_t got;
    do { got = read(fds[0], &failure, sizeof failure); } while (got < 0 && errno == EINTR);
    close(fds[0]);
    if (got == (ssize_t)sizeof failure) {
        /* It never ran the program: reap it here, no one else waits for it. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        *failed_step = failure.step;
        return -failure.error;
    }
    *failed_step = 0;
    return pid;
}
