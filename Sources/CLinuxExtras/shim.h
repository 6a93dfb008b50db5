#include <sys/types.h>
#include <sys/xattr.h>

/* Declared by <unistd.h> only under _GNU_SOURCE, which the Glibc module is not built with. */
int syncfs(int fd);

/* posix_spawn extensions glibc declares only under _GNU_SOURCE (the process runtime starts containers
   in their own session, in their directory, without the kubelet's descriptors). */
#include <spawn.h>
#ifndef POSIX_SPAWN_SETSID
#define POSIX_SPAWN_SETSID 0x80
#endif
int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/* pipe2 (pipes made close-on-exec atomically, so no other spawn inherits them) is _GNU_SOURCE too. */
int pipe2(int pipefd[2], int flags);

/* setns (port-forward into a pod's network namespace) is _GNU_SOURCE too. */
int setns(int fd, int nstype);
