/*
** fsutil.h: the file-system steps several layers need, each written once.
** No Lua. Functions return 0 or an errno value (never set a global) unless
** noted.
*/
#ifndef DG_FSUTIL_H
#define DG_FSUTIL_H

#include <sys/types.h>

/*
** mkdir -p: creates path and its missing parents with mode (before the umask).
** Symlinks along the way are followed (the path is the caller's own choice).
** Returns 0 when path is then a directory, ENOTDIR when it is something else,
** or the errno of the mkdir that failed.
*/
int dg_fs_mkdirs(const char *path, mode_t mode);
/*
** fsyncs the directory that holds path, so a rename or unlink in it survives
** a crash. Returns 0 or an errno.
*/
int dg_fs_sync_parent(const char *path);
/*
** The process umask, read without changing it (umask(2) can only be read by
** setting it, which races with other threads creating files). Reads
** /proc/self/status; where that is unavailable, assumes 022.
*/
mode_t dg_fs_umask(void);

#endif
