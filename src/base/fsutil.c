/*
** fsutil.c: mkdir -p, directory fsync and the umask (fsutil.h).
*/
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dg_fs_mkdirs(const char *path, mode_t mode) {
  size_t n = strlen(path);
  if (n == 0) return ENOENT;
  char *p = malloc(n + 1);
  if (!p) return ENOMEM;
  memcpy(p, path, n + 1);
  int err = 0;
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, mode) && errno != EEXIST) {
      err = errno;
      break;
    }
    p[i] = c;
  }
  struct stat st;
  if (!err && (stat(path, &st) || !S_ISDIR(st.st_mode))) err = ENOTDIR;
  free(p);
  return err;
}

int dg_fs_sync_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  if (!dir) return ENOMEM;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  free(dir);
  if (fd >= 0) {
    if (fsync(fd)) err = errno;
    close(fd);
  }
  return err;
}

mode_t dg_fs_umask(void) {
  FILE *f = fopen("/proc/self/status", "re");
  mode_t mask = 022;
  if (!f) return mask;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Umask:", 6) == 0) {
      mask = (mode_t)(strtoul(line + 6, NULL, 8) & 0777);
      break;
    }
  }
  fclose(f);
  return mask;
}
