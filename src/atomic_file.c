/*
** atomic_file.c: temp + fsync + rename writes (atomic_file.h).
*/
#include "atomic_file.h"
#include "userdata.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATOMIC_MT "datagrok.AtomicFile"

void dg_atomic_abort(dg_atomic_file *a) {
  if (a->fp) fclose(a->fp);
  a->fp = NULL;
  if (a->tmp) unlink(a->tmp);
  free(a->tmp);
  free(a->path);
  a->tmp = a->path = NULL;
}

static int atomic_gc(lua_State *L) {
  dg_atomic_abort(luaL_checkudata(L, 1, ATOMIC_MT));
  return 0;
}

dg_atomic_file *dg_atomic_newud(lua_State *L) {
  dg_atomic_file *a = lua_newuserdatauv(L, sizeof *a, 0);
  memset(a, 0, sizeof *a);
  dg_userdata_set_metatable(L, ATOMIC_MT, atomic_gc);
  return a;
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
  mode_t mask = umask(0); /* mkstemp makes 0600; a written file gets 0666 minus the umask */
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  a->fp = fdopen(fd, "wb");
  if (!a->fp) {
    snprintf(err, errlen, "cannot open %s: %s", a->tmp, strerror(errno));
    close(fd);
    dg_atomic_abort(a);
    return -1;
  }
  return 0;
}

/* fsyncs the directory holding path so that the rename survives a crash. */
static void sync_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
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
  sync_dir_of(a->path);
  free(a->tmp);
  a->tmp = NULL;
  dg_atomic_abort(a);
  return 0;
}
