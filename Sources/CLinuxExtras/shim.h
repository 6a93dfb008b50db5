#include <sys/types.h>
#include <sys/xattr.h>

/* Declared by <unistd.h> only under _GNU_SOURCE, which the Glibc module is not built with. */
int syncfs(int fd);
