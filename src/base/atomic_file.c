/*
** atomic_file.c: temp + fsync + rename writes (atomic_file.h).
*/
#include "atomic_file.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dg_atomic_abort(dg_atomic_file *a) {
  if (a->fp) fclose(a->fp);
  a->fp = NULL;
  if (a->tmp) unlink(a->tmp);
  free(a->tmp);
  free(a->path);
  a->tmp = a->path = NULL;
}

int dg_atomic_open(dg_atomic_file *a, const char *path, char *err, size_t errlen) {
  dg_atomic_abort(a);
  size_t n = strlen(path);
  a->path = malloc(n + 1);
  a->tmp = malloc(n + 16);
  if (!a->path || !a->tmp) {
    snprintf(err, errlen, "out of memory");
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    return -1;
  }
  memcpy(a->path, path, n + 1);
  snprintf(a->tmp, n + 16, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(a->tmp);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create a temporary file next to %s: %s", path, strerror(errno));
    free(a->tmp);
    a->tmp = NULL;
    dg_atomic_abort(a);
    return -1;
  }
  fchmod(fd, 0666 & ~dg_fs_umask()); /* mkstemp makes 0600; a written file gets 0666 minus the umask */
  a->fp = fdopen(fd, "wb");
  if (!a->fp) {
    snprintf(err, errlen, "cannot open %s: %s", a->tmp, strerror(errno));
    close(fd);
    dg_atomic_abort(a);
    return -1;
  }
  return 0;
}

int dg_atomic_commit(dg_atomic_file *a, char *err, size_t errlen) {
  if (!a->fp) {
    snprintf(err, errlen, "no file is open");
    return -1;
  }
  int bad = fflush(a->fp) != 0 || fsync(fileno(a->fp)) != 0;
  int e = errno;
  if (fclose(a->fp) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  a->fp = NULL;
  if (bad) {
    snprintf(err, errlen, "cannot write %s: %s", a->path, strerror(e));
    dg_atomic_abort(a);
    return -1;
  }
  if (rename(a->tmp, a->path) != 0) {
    snprintf(err, errlen, "cannot rename into %s: %s", a->path, strerror(errno));
    dg_atomic_abort(a);
    return -1;
  }
  dg_fs_sync_parent(a->path);
  free(a->tmp);
  a->tmp = NULL;
  dg_atomic_abort(a);
  return 0;
}
