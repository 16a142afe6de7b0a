/*
** emulator_fs.c: "datagrok.emulator.fs", the durable file operations the emulator's
** Lua state needs and stock Lua lacks: atomic writes (temp file + fsync + rename +
** fsync of the directory), directory creation, listing, stat and removal.
** Failures raise datagrok.Error{code="IO"} naming the path and the reason.
*/
#define _XOPEN_SOURCE 700 /* nftw */
#include "emulator.h"
#include "fsutil.h"
#include "owned.h"
#include "atomic_file.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fs.write_atomic(path, data) -> true. The old content or the new, never a mix (atomic_file.h). */
static int l_write_atomic(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t n;
  const char *data = luaL_checklstring(L, 2, &n);
  dg_atomic_file *a = dg_atomic_newud(L);
  char err[512];
  if (dg_atomic_open(a, path, err, sizeof err)) return dg_error_raise(L, "IO", "%s", err);
  if (n > 0 && fwrite(data, 1, n, a->fp) != n) {
    int e = errno;
    dg_atomic_abort(a);
    return dg_error_raise(L, "IO", "cannot write %s: %s", path, strerror(e));
  }
  if (dg_atomic_commit(a, err, sizeof err)) return dg_error_raise(L, "IO", "%s", err);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.commit(tmp_path, path) -> true: fsyncs a finished temporary file and renames it over path. */
static int l_commit(lua_State *L) {
  const char *tmp = luaL_checkstring(L, 1);
  const char *path = luaL_checkstring(L, 2);
  int fd = open(tmp, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return dg_error_raise(L, "IO", "cannot open %s: %s", tmp, strerror(errno));
  int err = fsync(fd) ? errno : 0;
  close(fd);
  if (!err && rename(tmp, path)) err = errno;
  if (err) return dg_error_raise(L, "IO", "cannot move a file to %s: %s", path, strerror(err));
  dg_fs_sync_parent(path);
  lua_pushboolean(L, 1);
  return 1;
}

/* fs.mkdirs(path [, mode]) -> true: creates path and its missing parents (mode 0755 by default). */
static int l_mkdirs(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  mode_t mode = (mode_t)luaL_optinteger(L, 2, 0755);
  int err = dg_fs_mkdirs(path, mode);
  if (err) return dg_error_raise(L, "IO", "cannot create directory %s: %s", path, strerror(err));
  lua_pushboolean(L, 1);
  return 1;
}

static void push_stat(lua_State *L, const struct stat *st) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, S_ISREG(st->st_mode) ? "file" : S_ISDIR(st->st_mode) ? "dir" : "other");
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, (lua_Integer)st->st_size);
  lua_setfield(L, -2, "size");
  lua_pushnumber(L, (lua_Number)st->st_mtim.tv_sec + (lua_Number)st->st_mtim.tv_nsec / 1e9);
  lua_setfield(L, -2, "mtime");
}

/* fs.stat(path) -> {type="file"|"dir"|"other", size=, mtime=} or nil when absent. */
static int l_stat(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st)) {
    if (errno == ENOENT || errno == ENOTDIR) {
      lua_pushnil(L);
      return 1;
    }
    return dg_error_raise(L, "IO", "cannot stat %s: %s", path, strerror(errno));
  }
  push_stat(L, &st);
  return 1;
}

/*
** Appends the entries of dir/rel to the array at the top of the stack (next index *n),
** descending when recursive. Symlinks are not followed. Returns 0 or an errno.
*/
static int list_into(lua_State *L, const char *root, const char *rel, int recursive,
                     lua_Integer *n) {
  char dir[4096];
  if (*rel) snprintf(dir, sizeof dir, "%s/%s", root, rel);
  else snprintf(dir, sizeof dir, "%s", root);
  DIR *d = opendir(dir);
  if (!d) return errno;
  struct dirent *de;
  int err = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char child[4096], full[8192];
    if (*rel) snprintf(child, sizeof child, "%s/%s", rel, de->d_name);
    else snprintf(child, sizeof child, "%s", de->d_name);
    snprintf(full, sizeof full, "%s/%s", root, child);
    struct stat st;
    if (lstat(full, &st)) continue; /* vanished meanwhile */
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;
    push_stat(L, &st);
    lua_pushstring(L, child);
    lua_setfield(L, -2, "path");
    lua_rawseti(L, -2, ++*n);
    if (recursive && S_ISDIR(st.st_mode) && (err = list_into(L, root, child, 1, n)) != 0) break;
  }
  closedir(d);
  return err;
}

/*
** fs.list(dir [, recursive]) -> array of {path=<relative to dir>, type=, size=, mtime=}
** in directory order; nil when dir does not exist.
*/
static int l_list(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  int recursive = lua_toboolean(L, 2);
  lua_newtable(L);
  lua_Integer n = 0;
  int err = list_into(L, dir, "", recursive, &n);
  if (err == ENOENT || err == ENOTDIR) {
    lua_pushnil(L);
    return 1;
  }
  if (err) return dg_error_raise(L, "IO", "cannot list %s: %s", dir, strerror(err));
  return 1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag; (void)ftw;
  return remove(path) ? errno : 0;
}

int dg_emulator_remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st)) return errno;
  if (!S_ISDIR(st.st_mode)) return unlink(path) ? errno : 0;
  int rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return rc > 0 ? rc : rc < 0 ? errno : 0;
}

/* fs.remove(path) -> true, or false when absent. Removes a file or a whole directory tree. */
static int l_remove(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int err = dg_emulator_remove_tree(path);
  if (err == ENOENT) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (err) return dg_error_raise(L, "IO", "cannot remove %s: %s", path, strerror(err));
  dg_fs_sync_parent(path);
  lua_pushboolean(L, 1);
  return 1;
}

int luaopen_datagrok_emulator_fs(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"write_atomic", l_write_atomic}, {"commit", l_commit}, {"mkdirs", l_mkdirs},
    {"stat", l_stat}, {"list", l_list}, {"remove", l_remove}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
