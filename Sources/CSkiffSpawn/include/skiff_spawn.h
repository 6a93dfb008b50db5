#ifndef SKIFF_SPAWN_H
#define SKIFF_SPAWN_H

/* Starting a process runtime container in a mount namespace of its own, where its volumes are at their
   mountPaths: fork, then (before exec, in the single-threaded child) unshare, build the root, pivot_root.
   posix_spawn has no hook between fork and exec, and unsharing a user namespace needs a single thread. */

/* One step of building the container's root, run in order in the child. */
enum skiff_root_step_kind {
    /* mkdir -p target (0755). */
    SKIFF_STEP_MKDIR = 0,
    /* An empty file at target (a mount point for a file). */
    SKIFF_STEP_MKFILE = 1,
    /* A symlink at target pointing to source. */
    SKIFF_STEP_SYMLINK = 2,
    /* A recursive bind mount of source on target. */
    SKIFF_STEP_BIND = 3,
    /* As BIND, then made read-only (keeping the flags the source's mount has). */
    SKIFF_STEP_BIND_READONLY = 4,
    /* A tmpfs on target. */
    SKIFF_STEP_TMPFS = 5,
    /* target becomes the root (pivot_root), the old one is detached. */
    SKIFF_STEP_PIVOT_ROOT = 6,
    /* Detaches the mount at target, if there is one (the copy of the new root an earlier bind took). */
    SKIFF_STEP_DETACH = 7,
};

struct skiff_root_step {
    int kind;
    const char *source;
    const char *target;
};

/* What to start and where. Descriptors are the parent's; -1 means none. */
struct skiff_spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    /* stdin (-1: /dev/null), stdout, stderr; ignored when `terminal` is set. */
    int stdin_fd, stdout_fd, stderr_fd;
    /* A pseudo-terminal's slave, opened as 0, 1 and 2 after setsid (the controlling terminal). */
    const char *terminal;
    /* The working directory, in the new root. */
    const char *directory;
    int new_session;
    /* 0: none; 1: a mount namespace; 2: a user namespace and a mount namespace. */
    int namespaces;
    /* With a user namespace: the lines for /proc/self/uid_map and gid_map ("1000 1000 1\n"). */
    const char *uid_map, *gid_map;
    const struct skiff_root_step *steps;
    int step_count;
    /* To enter a container instead (exec): its user and mount namespace descriptors (-1: not that one). */
    int enter_user_fd, enter_mount_fd;
};

/* What failed, when not a root step (whose index is reported instead). */
enum {
    SKIFF_FAILED_NAMESPACES = -1,
    SKIFF_FAILED_DIRECTORY = -2,
    SKIFF_FAILED_STDIO = -3,
    SKIFF_FAILED_EXEC = -4,
    SKIFF_FAILED_FORK = -5,
};

/* Starts the request's program. Returns its pid, or -errno when it did not start; `failed_step` receives
   the index of the root step that failed, or one of SKIFF_FAILED_*. */
int skiff_spawn(const struct skiff_spawn_request *request, int *failed_step);

#endif
