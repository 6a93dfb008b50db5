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

/* The runc runtime. prctl and ioctl are variadic, which Swift cannot call, and the Glibc module does not
   import them: non-variadic declarations of the same symbols (integer arguments pass the same way). No
   system header is included here, so nothing the Glibc module exports is declared twice. */
int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5);
int ioctl(int fd, unsigned long request, void *argument);

/* Makes this process the reaper of its orphaned descendants (containers whose runc exited). */
static inline int skiff_set_child_subreaper(void) { return prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0); }

struct skiff_winsize { unsigned short rows, columns, xpixels, ypixels; };

/* Sets a terminal's size (TIOCSWINSZ). */
static inline int skiff_set_window_size(int fd, unsigned short columns, unsigned short rows) {
    struct skiff_winsize size = { rows, columns, 0, 0 };
    return ioctl(fd, 0x5414 /* TIOCSWINSZ */, &size);
}

/* Unlocks a pseudo-terminal master (TIOCSPTLCK) and returns its number (TIOCGPTN), or -1. */
static inline int skiff_unlock_pty(int master) {
    int unlock = 0;
    unsigned int number = 0;
    if (ioctl(master, 0x40045431 /* TIOCSPTLCK */, &unlock) < 0) return -1;
    if (ioctl(master, 0x80045430 /* TIOCGPTN */, &number) < 0) return -1;
    return (int)number;
}

/* setns (port-forward into a pod's network namespace) is _GNU_SOURCE too. */
int setns(int fd, int nstype);

/* memfd_create (runc's sealed in-memory copy) is _GNU_SOURCE too; fcntl is variadic. */
int memfd_create(const char *name, unsigned int flags);
int fcntl(int fd, int command, ...);
/* Seals a memfd as runc's own copies are sealed (F_ADD_SEALS: seal, shrink, grow, write). */
static inline int skiff_seal_memfd(int fd) { return fcntl(fd, 1033, 0x1 | 0x2 | 0x4 | 0x8); }

/* unshare (pod sandboxes: the calling thread's network, IPC and UTS namespaces) is _GNU_SOURCE too. */
int unshare(int flags);

/* The runc runtime's console socket: runc sends a container terminal's master as SCM_RIGHTS, whose
   control-message macros Swift cannot use. <sys/socket.h> is not included (it would hide the Glibc module's
   SOCK_* constants from Swift), so glibc's Linux layouts are spelled out and recvmsg is reached under a
   name of its own. Returns the descriptor (close-on-exec), or -1. */
struct skiff_iovec { void *base; unsigned long length; };
struct skiff_msghdr {
    void *name; unsigned int name_length; struct skiff_iovec *iov; unsigned long iov_length;
    void *control; unsigned long control_length; int flags;
};
struct skiff_cmsghdr { unsigned long length; int level; int type; };
long skiff_recvmsg(int socket, struct skiff_msghdr *message, int flags) __asm__("recvmsg");
static inline int skiff_receive_fd(int socket) {
    char data[256];
    struct skiff_iovec io = { data, sizeof(data) };
    /* CMSG_SPACE(sizeof(int)): the header, then the int, each aligned to a long. */
    union { struct skiff_cmsghdr header; unsigned long align; char space[sizeof(struct skiff_cmsghdr) + sizeof(long)]; } control;
    struct skiff_msghdr message = { 0, 0, &io, 1, control.space, sizeof(control.space), 0 };
    if (skiff_recvmsg(socket, &message, 0x40000000 /* MSG_CMSG_CLOEXEC */) < 0) return -1;
    if (message.control_length < sizeof(struct skiff_cmsghdr) + sizeof(int)) return -1;
    /* SOL_SOCKET = 1, SCM_RIGHTS = 1 */
    if (control.header.level != 1 || control.header.type != 1) return -1;
    int fd;
    __builtin_memcpy(&fd, control.space + sizeof(struct skiff_cmsghdr), sizeof(int));
    return fd;
}
