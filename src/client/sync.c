/*
** sync.c: dg:sync_dir (see sync.h).
**
** One run, in order:
**   1. open (creating) the target dir and flock it (LOCK_NB: a second run fails
**      at once with LOCKED and touches nothing);
**   2. read the metadata file (the Python client's {"rel/path": "eTag"}), drop
**      keys whose files are gone (and names it would refuse), remove stray
**      temporary files of earlier runs that are no longer running;
**   3. POST the map; the multipart answer streams through the parser: each part
**      to be written goes into a temporary file ".dgsync-<pid>-<n>.tmp" in its
**      destination directory, reached from the target dir fd by openat with
**      O_NOFOLLOW on every component (mkdirat for missing ones; a tracked file
**      where a folder must be is replaced: replace_tracked_file);
**   4. checkpoints (every CHECKPOINT_FILES parts or CHECKPOINT_BYTES, when a part
**      ends CHECKPOINT_SECONDS after the last checkpoint, and at the end): one
**      syncfs for the batch's data, renameat of each temporary file into place
**      (a folder of tracked files where the file goes is replaced first:
**      replace_tracked_dir), syncfs again for the renames, then the eTags go
**      into the map and the metadata file is replaced atomically (temp, fsync,
**      rename);
**   5. guards (empty remote, max_delete), then deletes, only when every part
**      applied, only of tracked files, never through a symlink;
**   6. the final metadata write and the report.
** Every metadata key is a name this sync wrote, byte for byte: names that JSON
** text could not carry exactly (not UTF-8) are refused like unsafe ones.
** All state lives in a "datagrok.SyncRun" userdata marked to-be-closed, so an
** error anywhere releases the lock and removes this run's temporary files.
** Parser and sink callbacks run inside libcurl: they touch C state only (the
** metadata is encoded in C); no Lua runs until the transfer has returned.
*/
#define _GNU_SOURCE /* syncfs */
#include "sync.h"
#include "userdata.h"
#include "buf.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "json_parse.h"
#include "json_write.h"
#include "log.h"
#include "multipart.h"
#include "strmap.h"
#include "clock.h"
#include "fsutil.h"
#include "owned.h"
#include "utf8.h"
#include "secrets.h"

#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_MT "datagrok.SyncRun"
#define TMP_PREFIX ".dgsync-"
#define TMP_SUFFIX ".tmp"
#define CHECKPOINT_FILES 256
#define CHECKPOINT_SECONDS 2.0
#define CHECKPOINT_BYTES ((unsigned long long)64 << 20) /* bounds the dirty data per batch */
#define MAX_NAME 4096
#define MAX_DEPTH 128

/* ---- the run ------------------------------------------------------------- */

typedef struct {
  char *name;  /* relative path */
  char *tmp;   /* temporary file name in the destination directory */
  char *etag;  /* NULL when the part had no X-File-E-Tag */
} pending_file;

typedef enum { PART_SKIP, PART_WRITE, PART_COUNT } part_kind;

typedef struct sync_run {
  int root;              /* the target directory (flocked), -1 when closed */
  int dir_fd;            /* cached destination directory of dir_path, or -1 */
  char *dir_path;        /* relative path of dir_fd ("" for root) */
  int tmp_fd;            /* the temporary file being written, or -1 */
  char wbuf[65536];      /* body bytes not yet written to tmp_fd (the parser hands
                            over small pieces: one write per piece would dominate) */
  size_t wlen;
  char tmp_name[64];
  char *meta_name;
  char *created_dir;     /* the target, when this run created it (removed again, if still
                            empty, by a run that fails before anything lands) */
  int dry_run;
  dg_strmap meta;             /* the metadata map */
  int meta_dirty;        /* the map changed: the file must be rewritten */
  int meta_missing;      /* there was no file: it is written when the run ends cleanly */
  size_t tracked;        /* keys in the map when the request was sent */
  dg_strmap written, deleted, unchanged, failed; /* report (failed: name -> reason) */
  dg_strmap plan;        /* the tracked files to delete, once the answer is in */
  dg_strmap replaced;    /* tracked files removed because the server put a folder (or a
                            file) at their place: deleted, reported with the deletes */
  pending_file *pending;
  size_t npending, cappending;
  unsigned long long bytes, part_bytes, pending_bytes;
  unsigned tmp_counter;
  /* the part being parsed */
  part_kind kind;
  char cur_name[MAX_NAME + 1];
  size_t cur_len;
  char walk_path[MAX_NAME + 2]; /* replace_tracked_dir's relative paths */
  char *cur_etag;
  /* the response */
  dg_multipart *mp;      /* heap: parser state (with its header buffer) */
  int mp_ready;
  long status;
  /* guards */
  long long max_delete;  /* -1: none */
  double max_delete_pct; /* < 0: none */
  int in_transfer;
  int checkpoints_done;
  size_t checkpoint_files; /* files per checkpoint */
  int deletes_applied;   /* r->deleted now lists real deletes */
  /* a failure stashed inside a callback, raised after the transfer */
  const char *abort_code;
  char abort_msg[DG_CONTENT_TYPE_MAX + 600]; /* room for a whole Content-Type */
  double last_checkpoint, last_progress;
  int progress;          /* stderr is a terminal */
  dg_buf scratch;        /* metadata encoding */
} sync_run;

static void stash(sync_run *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stash(sync_run *r, const char *code, const char *fmt, ...) {
  if (r->abort_code) return; /* the first reason wins */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->abort_msg, sizeof r->abort_msg, fmt, ap);
  va_end(ap);
  r->abort_code = code;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void drop_dir_cache(sync_run *r) {
  close_fd(&r->dir_fd);
  free(r->dir_path);
  r->dir_path = NULL;
}

/* Closes the part being written and removes its temporary file. */
static void abandon_part(sync_run *r) {
  r->wlen = 0;
  if (r->tmp_fd >= 0) {
    close_fd(&r->tmp_fd);
    if (r->dir_fd >= 0) unlinkat(r->dir_fd, r->tmp_name, 0);
  }
  free(r->cur_etag);
  r->cur_etag = NULL;
  r->kind = PART_SKIP;
}

static int open_parent(sync_run *r, const char *name, const char **base, int create);

static void free_pending(sync_run *r, int unlink_files) {
  for (size_t i = 0; i < r->npending; i++) {
    pending_file *p = &r->pending[i];
    if (!p->name) continue; /* already renamed into place by a checkpoint that stopped */
    if (unlink_files && r->root >= 0) {
      /* the temporary file sits beside p->name */
      const char *base;
      int dfd = open_parent(r, p->name, &base, 0);
      if (dfd >= 0) unlinkat(dfd, p->tmp, 0);
    }
    free(p->name);
    free(p->tmp);
    free(p->etag);
  }
  r->npending = 0;
}

/* The one close of a run: __gc and __close; releases the lock last. */
static int run_close(lua_State *L) {
  sync_run *r = luaL_checkudata(L, 1, RUN_MT);
  abandon_part(r);
  free_pending(r, 1);
  free(r->pending);
  r->pending = NULL;
  r->cappending = 0;
  drop_dir_cache(r);
  dg_strmap_free(&r->meta);
  dg_strmap_free(&r->written);
  dg_strmap_free(&r->deleted);
  dg_strmap_free(&r->unchanged);
  dg_strmap_free(&r->failed);
  dg_strmap_free(&r->plan);
  dg_strmap_free(&r->replaced);
  free(r->mp);
  r->mp = NULL;
  free(r->meta_name);
  r->meta_name = NULL;
  free(r->created_dir);
  r->created_dir = NULL;
  dg_buf_free(&r->scratch);
  close_fd(&r->root); /* closing the descriptor releases the flock */
  return 0;
}

static sync_run *run_new(lua_State *L) {
  sync_run *r = lua_newuserdatauv(L, sizeof *r, 0);
  memset(r, 0, sizeof *r);
  r->root = r->dir_fd = r->tmp_fd = -1;
  r->max_delete = -1;
  r->max_delete_pct = -1;
  dg_buf_init(&r->scratch);
  dg_userdata_set_metatable(L, RUN_MT, run_close);
  return r;
}

/* ---- names and safe paths ------------------------------------------------ */

static int is_tmp_name(const char *base, size_t n) {
  size_t lp = sizeof TMP_PREFIX - 1, ls = sizeof TMP_SUFFIX - 1;
  return n >= lp + ls && memcmp(base, TMP_PREFIX, lp) == 0 &&
         memcmp(base + n - ls, TMP_SUFFIX, ls) == 0;
}

/*
** NULL when name (n bytes) may be written under the target, else why not:
** absolute, empty, "." or ".." components, backslash, NUL or control bytes
** (C0, DEL, C1), not valid UTF-8, the metadata file, this client's
** temporary-file pattern.
*/
static const char *name_problem(const sync_run *r, const char *name, size_t n) {
  if (n == 0) return "empty name";
  if (n > MAX_NAME) return "name too long";
  if (name[0] == '/') return "absolute path";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == 0) return "NUL byte in name";
    if (c < 0x20 || c == 0x7f) return "control character in name";
    if (c == '\\') return "backslash in name";
  }
  /* a name that is not UTF-8 would be recorded under another key (the metadata is
     JSON text): that key could later name a file this sync never wrote */
  for (size_t i = 0; i < n;) {
    unsigned cp;
    size_t k = dg_utf8_seq(name + i, n - i, &cp);
    if (!k) return "name is not valid UTF-8";
    if (cp >= 0x80 && cp <= 0x9F) return "control character in name"; /* C1: ESC [ as one */
    i += k;
  }
  const char *s = name, *end = name + n;
  while (s <= end) {
    const char *e = memchr(s, '/', (size_t)(end - s));
    if (!e) e = end;
    size_t len = (size_t)(e - s);
    if (len == 0) return "empty path component";
    if (len == 1 && s[0] == '.') return "'.' component";
    if (len == 2 && s[0] == '.' && s[1] == '.') return "'..' component";
    if (len > 255) return "path component too long";
    if (is_tmp_name(s, len)) return "name of a sync temporary file";
    s = e + 1;
  }
  if (strlen(r->meta_name) == n && memcmp(name, r->meta_name, n) == 0)
    return "names the metadata file";
  return NULL;
}

static size_t tracked_deletes(const sync_run *r);
static const char *over_max_delete(sync_run *r, size_t n, char *msg, size_t len);

/* Counts a tracked file as deleted: out of the map, into r->replaced. */
static int forget_replaced(sync_run *r, const char *rel, size_t rlen) {
  if (!dg_strmap_set(&r->replaced, rel, rlen, NULL)) return -1;
  dg_strmap_del(&r->meta, rel, rlen);
  r->meta_dirty = 1;
  return 0;
}

/*
** The server sends a file below rel (rlen bytes of a part name), so rel is a
** folder there now; locally comp (in dirfd) is not a directory. When it is a
** regular file this sync wrote (tracked in the metadata), it is removed, so the
** folder can be made: the server no longer has that file. Anything else (an
** untracked file, a symlink) is left alone. Returns 0 when it was removed, -1
** (errno ENOTDIR, or the unlink's) when not. Checks max_delete first.
*/
static int replace_tracked_file(sync_run *r, int dirfd, const char *comp, const char *rel,
                                size_t rlen) {
  struct stat st;
  if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
      !dg_strmap_get(&r->meta, rel, rlen)) {
    errno = ENOTDIR;
    return -1;
  }
  char msg[300];
  if (over_max_delete(r, tracked_deletes(r) + 1, msg, sizeof msg)) {
    stash(r, "UNSAFE_SYNC", "%s", msg);
    errno = ENOTDIR;
    return -1;
  }
  if (unlinkat(dirfd, comp, 0)) return -1;
  if (forget_replaced(r, rel, rlen)) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

/*
** Opens the directory holding relative path name (its parent), walking each
** component with O_NOFOLLOW from the target fd; creates missing ones when
** create is set (replacing a tracked file in the way: replace_tracked_file). The fd is cached in r (do not close it). Returns the fd and
** sets *base to the last component, or -1 with errno (ELOOP/ENOTDIR: a symlink
** or a file on the way).
*/
static int open_parent(sync_run *r, const char *name, const char **base, int create) {
  const char *slash = strrchr(name, '/');
  size_t dlen = slash ? (size_t)(slash - name) : 0;
  *base = slash ? slash + 1 : name;
  if (r->dir_fd >= 0 && r->dir_path && strlen(r->dir_path) == dlen &&
      memcmp(r->dir_path, name, dlen) == 0)
    return r->dir_fd;
  drop_dir_cache(r);
  int fd = dup(r->root);
  if (fd < 0) return -1;
  const char *s = name;
  while (s < name + dlen) {
    const char *e = memchr(s, '/', (size_t)(name + dlen - s));
    if (!e) e = name + dlen;
    char comp[256];
    size_t len = (size_t)(e - s);
    memcpy(comp, s, len);
    comp[len] = '\0';
    int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOTDIR && create &&
        replace_tracked_file(r, fd, comp, name, (size_t)(e - name)) == 0)
      errno = ENOENT; /* the tracked file the server turned into a folder is gone: make it */
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(fd, comp, 0777) < 0 && errno != EEXIST) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
      }
      next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int err = errno;
    close(fd);
    if (next < 0) {
      errno = err;
      return -1;
    }
    fd = next;
    s = e + 1;
  }
  r->dir_path = malloc(dlen + 1);
  if (!r->dir_path) {
    close(fd);
    errno = ENOMEM;
    return -1;
  }
  memcpy(r->dir_path, name, dlen);
  r->dir_path[dlen] = '\0';
  r->dir_fd = fd;
  return fd;
}

static const char *errno_text(int err) {
  if (err == ELOOP || err == ENOTDIR) return "a symlink or a file is in the way";
  return strerror(err);
}

/* Records a failed name (the first reason kept; logged after the transfer). */
static void fail_name(sync_run *r, const char *name, size_t n, const char *why) {
  if (!dg_strmap_get(&r->failed, name, n)) (void)dg_strmap_set(&r->failed, name, n, why);
}

/* ---- the metadata file ---------------------------------------------------- */

/*
** Encodes r->meta into r->scratch as Python's json.dumps(ensure_ascii=True)
** does: {"key": "value", ...} in insertion order. Plain C, safe inside
** callbacks. Returns 0, or -1 when memory ran out.
*/
static int encode_meta(sync_run *r) {
  dg_buf *b = &r->scratch;
  dg_buf_reset(b);
  dg_buf_addc(b, '{');
  int first = 1;
  for (size_t i = 0; i < r->meta.n; i++) {
    const dg_strmap_entry *e = &r->meta.v[i];
    if (!e->alive) continue;
    if (!first) dg_buf_add(b, ", ", 2);
    first = 0;
    const char *v = e->val ? e->val : "";
    dg_json_write_string(b, e->key, e->klen, 1);
    dg_buf_add(b, ": ", 2);
    dg_json_write_string(b, v, strlen(v), 1);
  }
  dg_buf_addc(b, '}');
  return b->failed ? -1 : 0;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The next temporary name of this process: TMP_PREFIX <pid>-<n> TMP_SUFFIX. */
static void next_tmp_name(sync_run *r, char out[64]) {
  snprintf(out, 64, TMP_PREFIX "%ld-%u" TMP_SUFFIX, (long)getpid(), ++r->tmp_counter);
}

/* Replaces the metadata file atomically. Safe inside callbacks. 0 or -1 (stashed). */
static int write_meta(sync_run *r) {
  if (encode_meta(r)) {
    stash(r, "OUT_OF_MEMORY", "out of memory encoding %s", r->meta_name);
    return -1;
  }
  char tmp[64];
  next_tmp_name(r, tmp);
  int fd = openat(r->root, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0 || write_all(fd, r->scratch.data, r->scratch.len) || fsync(fd)) {
    int err = errno;
    if (fd >= 0) {
      close(fd);
      unlinkat(r->root, tmp, 0);
    }
    stash(r, "IO", "cannot write %s: %s", r->meta_name, strerror(err));
    return -1;
  }
  close(fd);
  if (renameat(r->root, tmp, r->root, r->meta_name) || fsync(r->root)) {
    int err = errno;
    unlinkat(r->root, tmp, 0);
    stash(r, "IO", "cannot replace %s: %s", r->meta_name, strerror(err));
    return -1;
  }
  r->meta_dirty = 0;
  return 0;
}

/* ---- guards ---------------------------------------------------------------- */

/*
** Deletes the server asked for that touch tracked files, plus the tracked files
** already removed to make way for a folder or a file (r->replaced, no longer in
** the map): what max_delete limits.
*/
static size_t tracked_deletes(const sync_run *r) {
  size_t n = r->replaced.live;
  for (size_t i = 0; i < r->deleted.n; i++) {
    const dg_strmap_entry *d = &r->deleted.v[i];
    if (d->alive && dg_strmap_get(&r->meta, d->key, d->klen) &&
        !dg_strmap_get(&r->replaced, d->key, d->klen)) /* a dry run keeps replaced keys in the map */
      n++;
  }
  return n;
}

/* NULL when deleting n of the tracked files is within max_delete, else the message. */
static const char *over_max_delete(sync_run *r, size_t n, char *msg, size_t len) {
  if (r->max_delete >= 0 && (long long)n > r->max_delete) {
    snprintf(msg, len, "max_delete: the server asks to delete %zu tracked files, more than the "
             "limit of %lld; nothing was deleted", n, r->max_delete);
    return msg;
  }
  if (r->max_delete_pct >= 0 && (double)n * 100.0 > r->max_delete_pct * (double)r->tracked) {
    snprintf(msg, len, "max_delete: the server asks to delete %zu of %zu tracked files, more than "
             "%g%%; nothing was deleted", n, r->tracked, r->max_delete_pct);
    return msg;
  }
  return NULL;
}

/* ---- a folder the server turned into a file --------------------------------- */

/*
** Walks the directory dirfd whose relative path is r->walk_path[0..plen).
** WALK_CHECK checks that everything below is a directory or a regular file
** tracked in the metadata (counting in *extra the tracked files the server did
** not list as deleted); WALK_REMOVE removes them (the files through
** forget_replaced, then the emptied directories); WALK_PREDICT (a dry run) only
** lists the files in r->replaced. Returns 0, or -1 when something else is
** there (an untracked file, a symlink) or a call failed.
*/
enum { WALK_CHECK, WALK_REMOVE, WALK_PREDICT };

static int walk_tracked(sync_run *r, int dirfd, size_t plen, int mode, size_t *extra, int depth) {
  if (depth > MAX_DEPTH) return -1;
  int dfd = dup(dirfd);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    if (dfd >= 0) close(dfd);
    return -1;
  }
  rewinddir(d); /* the dup shares its offset with dirfd, which an earlier walk may have moved */
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    const char *nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) continue;
    size_t nl = strlen(nm), cl = plen + 1 + nl;
    struct stat st;
    if (cl > MAX_NAME || fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW)) {
      rc = -1;
      break;
    }
    char *path = r->walk_path;
    path[plen] = '/';
    memcpy(path + plen + 1, nm, nl + 1);
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      rc = sub < 0 ? -1 : walk_tracked(r, sub, cl, mode, extra, depth + 1);
      if (sub >= 0) close(sub);
      if (rc == 0 && mode == WALK_REMOVE && unlinkat(dirfd, nm, AT_REMOVEDIR)) rc = -1;
    } else if (S_ISREG(st.st_mode) && dg_strmap_get(&r->meta, path, cl)) {
      if (mode == WALK_CHECK && !dg_strmap_get(&r->deleted, path, cl)) (*extra)++;
      if (mode == WALK_REMOVE && (unlinkat(dirfd, nm, 0) || forget_replaced(r, path, cl))) rc = -1;
      if (mode == WALK_PREDICT && !dg_strmap_set(&r->replaced, path, cl, NULL)) rc = -1;
    } else {
      rc = -1; /* not ours: never touched */
    }
  }
  closedir(d);
  return rc;
}

/*
** The file part `name` cannot be renamed into place because base (in dfd) is a
** directory: the server turned that folder into a file. When everything in it
** is a tracked file (or a folder of them), those files are gone on the server
** too: they are removed, with the folders, within max_delete. Returns 0 when
** the way is clear; -1 with *why set (the folder holds what this sync did not
** write), or with the run's failure stashed (max_delete, memory).
*/
static int replace_tracked_dir(sync_run *r, int dfd, const char *base, const char *name,
                               const char **why) {
  struct stat st;
  if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) return -1;
  int sub = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0) return -1;
  size_t nl = strlen(name), extra = 0;
  memcpy(r->walk_path, name, nl + 1);
  if (walk_tracked(r, sub, nl, WALK_CHECK, &extra, 0)) {
    close(sub);
    *why = "a folder holding files this sync did not write is in the way";
    return -1;
  }
  char msg[300];
  if (over_max_delete(r, tracked_deletes(r) + extra, msg, sizeof msg)) {
    close(sub);
    stash(r, "UNSAFE_SYNC", "%s", msg);
    return -1;
  }
  memcpy(r->walk_path, name, nl + 1);
  int rc = walk_tracked(r, sub, nl, WALK_REMOVE, &extra, 0);
  close(sub);
  if (rc == 0) rc = unlinkat(dfd, base, AT_REMOVEDIR);
  if (rc) *why = "the folder in the way could not be removed";
  return rc;
}

/*
** A dry run's view of what the real run would do about the file part name
** beyond writing it: replace a tracked regular file where the name needs a
** folder (replace_tracked_file), or a folder of tracked files where the file
** goes (replace_tracked_dir); those are listed in r->replaced. When the real
** run would fail the part instead (an untracked file or a symlink on the way,
** a folder holding what the sync did not write), *why says so, as the real run
** would. Nothing is touched. Returns 0, or -1 when memory ran out.
*/
static int predict_part(sync_run *r, const char *name, size_t n, const char **why) {
  *why = NULL;
  if (r->root < 0) return 0;
  struct stat st;
  char *path = r->walk_path;
  memcpy(path, name, n);
  path[n] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (path[i] != '/') continue;
    path[i] = '\0';
    int found = fstatat(r->root, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
    path[i] = '/';
    if (!found) return 0; /* made by the real run */
    if (S_ISDIR(st.st_mode)) continue;
    if (S_ISREG(st.st_mode) && dg_strmap_get(&r->meta, path, i))
      return dg_strmap_set(&r->replaced, path, i, NULL) ? 0 : -1;
    *why = "cannot create the file: a symlink or a file is in the way";
    return 0;
  }
  if (fstatat(r->root, path, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) return 0;
  int sub = openat(r->root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0) return 0;
  size_t extra = 0;
  int ok = walk_tracked(r, sub, n, WALK_CHECK, &extra, 0) == 0;
  memcpy(path, name, n);
  path[n] = '\0';
  if (ok) (void)walk_tracked(r, sub, n, WALK_PREDICT, &extra, 0); /* a prediction: best effort */
  else *why = "cannot rename into place: a folder holding files this sync did not write is in the way";
  close(sub);
  return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

/*
** Makes the finished temporary files durable, renames them into place, records
** their eTags and rewrites the metadata. During the transfer it first applies
** the max_delete guard to the deletes seen so far (a stop changes nothing of
** this batch). Returns 0, or -1 with the reason stashed.
*/
static int checkpoint(sync_run *r) {
  if (r->in_transfer && r->npending) {
    char msg[300];
    if (over_max_delete(r, tracked_deletes(r), msg, sizeof msg)) {
      stash(r, "UNSAFE_SYNC", "%s", msg);
      return -1;
    }
  }
  if (r->npending) {
    if (syncfs(r->root)) {
      stash(r, "IO", "syncfs failed: %s", strerror(errno));
      return -1;
    }
    for (size_t i = 0; i < r->npending; i++) {
      pending_file *p = &r->pending[i];
      if (!p->name) continue; /* renamed by an earlier pass that stopped (memory, max_delete) */
      const char *base;
      int dfd = open_parent(r, p->name, &base, 0);
      int rc = dfd < 0 ? -1 : renameat(dfd, p->tmp, dfd, base);
      int err = rc ? errno : 0;
      const char *why = NULL;
      if (rc && (err == EISDIR || err == ENOTEMPTY || err == EEXIST)) {
        rc = replace_tracked_dir(r, dfd, base, p->name, &why);
        if (rc && r->abort_code) return -1; /* max_delete or memory: the caller drops the rest */
        if (rc == 0 && (rc = renameat(dfd, p->tmp, dfd, base)) != 0) err = errno;
      }
      if (rc) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot rename into place: %s", why ? why : errno_text(err));
        fail_name(r, p->name, strlen(p->name), msg);
        if (dfd >= 0) unlinkat(dfd, p->tmp, 0);
        free(p->name);
        free(p->tmp);
        free(p->etag);
        p->name = p->tmp = p->etag = NULL;
        continue;
      }
      if (p->etag) {
        if (!dg_strmap_set(&r->meta, p->name, strlen(p->name), p->etag)) {
          stash(r, "OUT_OF_MEMORY", "out of memory");
          return -1;
        }
        r->meta_dirty = 1;
      }
      (void)dg_strmap_set(&r->written, p->name, strlen(p->name), NULL);
      free(p->name);
      free(p->tmp);
      free(p->etag);
      p->name = p->tmp = p->etag = NULL;
    }
    r->npending = 0;
    r->pending_bytes = 0;
    if (syncfs(r->root)) {
      stash(r, "IO", "syncfs failed: %s", strerror(errno));
      return -1;
    }
  }
  r->checkpoints_done++;
  r->last_checkpoint = dg_clock_seconds();
  if (r->meta_dirty && !r->dry_run) return write_meta(r);
  return 0;
}

static void progress(sync_run *r, int final) {
  if (!r->progress) return;
  double t = dg_clock_seconds();
  if (!final && t - r->last_progress < 0.2) return;
  r->last_progress = t;
  fprintf(stderr, "\rsync_dir: %zu written, %zu unchanged, %.1f MiB%s",
          r->written.live + r->npending, r->unchanged.live, (double)r->bytes / 1048576.0,
          final ? "\n" : "");
  fflush(stderr);
}

/* ---- parser callbacks (inside libcurl: C only) ------------------------------- */

static int on_part_begin(void *ctx, const dg_multipart_part *part) {
  sync_run *r = ctx;
  size_t n = dg_multipart_filename(part, r->cur_name, sizeof r->cur_name);
  r->cur_len = n < sizeof r->cur_name ? n : sizeof r->cur_name - 1;
  r->kind = PART_SKIP;
  r->part_bytes = 0;
  size_t slen = 0, elen = 0;
  const char *status = dg_multipart_header(part, "X-File-Status", &slen);
  if (status && slen == 7 && memcmp(status, "deleted", 7) == 0) {
    if (!dg_strmap_set(&r->deleted, r->cur_name, r->cur_len, NULL)) goto oom;
    return 0;
  }
  if (status && slen == 12 && memcmp(status, "not-modified", 12) == 0) {
    if (!dg_strmap_set(&r->unchanged, r->cur_name, r->cur_len, NULL)) goto oom;
    return 0;
  }
  const char *why = n > MAX_NAME ? "name too long" : name_problem(r, r->cur_name, r->cur_len);
  if (why) {
    fail_name(r, r->cur_name, r->cur_len, why);
    return 0;
  }
  if (r->dry_run) {
    const char *fails;
    if (predict_part(r, r->cur_name, r->cur_len, &fails)) goto oom;
    if (fails) { /* the real run would fail it: listed as failed, its deletes postponed */
      fail_name(r, r->cur_name, r->cur_len, fails);
      return 0;
    }
    r->kind = PART_COUNT;
    if (!dg_strmap_set(&r->written, r->cur_name, r->cur_len, NULL)) goto oom;
    return 0;
  }
  const char *etag = dg_multipart_header(part, "X-File-E-Tag", &elen);
  if (etag) {
    if (!(r->cur_etag = malloc(elen + 1))) goto oom;
    memcpy(r->cur_etag, etag, elen);
    r->cur_etag[elen] = '\0';
  }
  const char *base;
  int dfd = open_parent(r, r->cur_name, &base, 1);
  if (dfd >= 0) {
    next_tmp_name(r, r->tmp_name);
    r->tmp_fd = openat(dfd, r->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0666);
  }
  if (dfd < 0 && r->abort_code) { /* max_delete stopped a replacement: stop the transfer */
    abandon_part(r);
    return 1;
  }
  if (dfd < 0 || r->tmp_fd < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot create the file: %s", errno_text(errno));
    fail_name(r, r->cur_name, r->cur_len, msg);
    abandon_part(r);
    return 0;
  }
  r->kind = PART_WRITE;
  return 0;
oom:
  stash(r, "OUT_OF_MEMORY", "out of memory");
  return 1;
}

static int on_part_data(void *ctx, const char *d, size_t n) {
  sync_run *r = ctx;
  if (r->kind == PART_SKIP) return 0;
  r->part_bytes += n;
  if (r->kind == PART_COUNT) return 0;
  if (r->wlen + n > sizeof r->wbuf) {
    int failed = r->wlen && write_all(r->tmp_fd, r->wbuf, r->wlen);
    r->wlen = 0;
    if (!failed && n >= sizeof r->wbuf) failed = write_all(r->tmp_fd, d, n);
    if (failed) {
      char msg[200];
      snprintf(msg, sizeof msg, "cannot write: %s", strerror(errno));
      fail_name(r, r->cur_name, r->cur_len, msg);
      abandon_part(r);
      return 0;
    }
    if (n >= sizeof r->wbuf) return 0;
  }
  memcpy(r->wbuf + r->wlen, d, n);
  r->wlen += n;
  return 0;
}

static int on_part_end(void *ctx) {
  sync_run *r = ctx;
  if (r->kind == PART_COUNT) r->bytes += r->part_bytes;
  if (r->kind != PART_WRITE) {
    r->kind = PART_SKIP;
    return 0;
  }
  int fd = r->tmp_fd;
  int werr = r->wlen && write_all(fd, r->wbuf, r->wlen);
  r->wlen = 0;
  r->tmp_fd = -1;
  if (close(fd) || werr) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot write: %s", strerror(errno));
    fail_name(r, r->cur_name, r->cur_len, msg);
    unlinkat(r->dir_fd, r->tmp_name, 0);
    abandon_part(r);
    return 0;
  }
  if (r->npending == r->cappending) {
    size_t cap = r->cappending ? r->cappending * 2 : 64;
    pending_file *np = realloc(r->pending, cap * sizeof *np);
    if (!np) goto oom;
    r->pending = np;
    r->cappending = cap;
  }
  pending_file *p = &r->pending[r->npending];
  p->name = strdup(r->cur_name);
  p->tmp = strdup(r->tmp_name);
  p->etag = r->cur_etag;
  r->cur_etag = NULL;
  if (!p->name || !p->tmp) {
    free(p->name);
    free(p->tmp);
    free(p->etag);
    goto oom;
  }
  r->npending++;
  r->bytes += r->part_bytes;
  r->pending_bytes += r->part_bytes;
  r->kind = PART_SKIP;
  progress(r, 0);
  if (r->npending >= r->checkpoint_files || r->pending_bytes >= CHECKPOINT_BYTES ||
      dg_clock_seconds() - r->last_checkpoint >= CHECKPOINT_SECONDS)
    return checkpoint(r) ? 1 : 0;
  return 0;
oom:
  unlinkat(r->dir_fd, r->tmp_name, 0);
  stash(r, "OUT_OF_MEMORY", "out of memory");
  return 1;
}

/* ---- the HTTP sink -------------------------------------------------------------- */

/* A new attempt: forget what the previous one reported (files already complete stay). */
static int sink_begin(void *ctx, long status, const char *content_type) {
  sync_run *r = ctx;
  abandon_part(r);
  dg_strmap_free(&r->deleted);
  dg_strmap_free(&r->unchanged);
  dg_strmap_free(&r->failed);
  r->abort_code = NULL;
  r->status = status;
  r->mp_ready = 0;
  if (status == 204) return 0;
  char boundary[DG_MULTIPART_MAX_BOUNDARY + 1], err[256];
  if (dg_multipart_boundary(content_type ? content_type : "", boundary, sizeof boundary, err,
                            sizeof err)) {
    stash(r, "PROTOCOL", "Incorrect response type: %s in Content-Type '%s'", err,
          content_type ? content_type : "");
    return -1;
  }
  dg_multipart_callbacks cb = {on_part_begin, on_part_data, on_part_end, r};
  dg_multipart_init(r->mp, boundary, &cb);
  r->mp_ready = 1;
  return 0;
}

static int sink_write(void *ctx, const char *data, size_t n) {
  sync_run *r = ctx;
  if (!r->mp_ready) return r->status == 204 ? 0 : -1;
  if (dg_multipart_feed(r->mp, data, n)) {
    if (!r->mp->stopped) stash(r, "PROTOCOL", "%s", r->mp->err);
    return -1;
  }
  return 0;
}

/* ---- the report ------------------------------------------------------------------ */

static int cmp_entry_ptr(const void *a, const void *b) {
  const dg_strmap_entry *x = *(dg_strmap_entry *const *)a, *y = *(dg_strmap_entry *const *)b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/*
** Pushes the sorted live keys of m (and of `also`, if given) as a Lua array marked
** as a JSON array. scrub: the server's names have any recorded key replaced
** (DG_SCRUB_KEYS_ONLY: other bytes kept, so a script sees the names as sent);
** the others are names of files on disk.
*/
static void push_sorted(lua_State *L, const dg_strmap *m, const dg_strmap *also, int scrub) {
  size_t most = m->live + (also ? also->live : 0);
  dg_strmap_entry **v = lua_newuserdatauv(L, (most ? most : 1) * sizeof *v, 0);
  size_t k = 0;
  for (size_t i = 0; i < m->n; i++)
    if (m->v[i].alive) v[k++] = &m->v[i];
  for (size_t i = 0; also && i < also->n; i++)
    if (also->v[i].alive && !dg_strmap_get(m, also->v[i].key, also->v[i].klen)) v[k++] = &also->v[i];
  qsort(v, k, sizeof *v, cmp_entry_ptr);
  lua_createtable(L, (int)k, 0);
  for (size_t i = 0; i < k; i++) {
    if (scrub) dg_secrets_push_scrubbed(L, v[i]->key, v[i]->klen, DG_SCRUB_KEYS_ONLY);
    else lua_pushlstring(L, v[i]->key, v[i]->klen);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  dg_json_push_array_mt(L); /* a JSON array, [] when empty, through datagrok.json */
  lua_setmetatable(L, -2);
  lua_remove(L, -2);
}

/*
** Pushes the report table; `deleted` is the given map (planned deletes in a dry
** run), with the tracked files replaced by a folder or a file added to it.
*/
static void push_report(lua_State *L, sync_run *r, const dg_strmap *deleted, const char *would_stop) {
  lua_createtable(L, 0, 8);
  push_sorted(L, &r->written, NULL, 0);
  lua_setfield(L, -2, "written");
  push_sorted(L, deleted, &r->replaced, 0);
  lua_setfield(L, -2, "deleted");
  push_sorted(L, &r->unchanged, NULL, 1);
  lua_setfield(L, -2, "unchanged");
  push_sorted(L, &r->failed, NULL, 1);
  lua_setfield(L, -2, "failed");
  lua_createtable(L, 0, (int)r->failed.live);
  for (size_t i = 0; i < r->failed.n; i++) {
    if (!r->failed.v[i].alive) continue;
    dg_secrets_push_scrubbed(L, r->failed.v[i].key, r->failed.v[i].klen, DG_SCRUB_KEYS_ONLY);
    lua_pushstring(L, r->failed.v[i].val ? r->failed.v[i].val : "");
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "reasons");
  lua_pushinteger(L, (lua_Integer)r->bytes);
  lua_setfield(L, -2, "bytes");
  lua_pushboolean(L, r->dry_run);
  lua_setfield(L, -2, "dry_run");
  if (would_stop) {
    lua_pushstring(L, would_stop);
    lua_setfield(L, -2, "would_stop");
  }
}

/*
** Pushes a part name as messages show it: scrubbed (no key, no control
** character, UTF-8), then cut to max bytes.
*/
static const char *push_shown_name(lua_State *L, const dg_strmap_entry *e, size_t max) {
  dg_secrets_push_excerpt(L, e->key, e->klen, DG_SCRUB_ONELINE, max);
  return lua_tostring(L, -1);
}

/* Logs the refused/failed names (outside any callback). */
static void log_failures(lua_State *L, sync_run *r) {
  if (!dg_log_enabled(L, DG_LOG_WARN)) return;
  for (size_t i = 0; i < r->failed.n; i++) {
    if (!r->failed.v[i].alive) continue;
    dg_log(L, DG_LOG_WARN, "sync", "refused or failed: '%s': %s",
           push_shown_name(L, &r->failed.v[i], 200), r->failed.v[i].val ? r->failed.v[i].val : "");
    lua_pop(L, 1);
  }
}

/*
** Raises code/message with err.report (deleted: only what was really deleted).
** The run itself is closed by its to-be-closed slot during the unwinding.
*/
static int raise_with_report(lua_State *L, sync_run *r, const char *code, const char *msg) {
  dg_strmap none = {0};
  log_failures(L, r);
  dg_error_push(L, code, "%s", msg);
  push_report(L, r, r->deletes_applied ? &r->deleted : &none, NULL);
  lua_setfield(L, -2, "report");
  return lua_error(L);
}

/* ---- steps outside the transfer (Lua may raise here) ------------------------------- */

/*
** True when the temporary file name belongs to another process that is still
** running (".dgsync-<pid>-<n>.tmp" with a live <pid> other than ours): another
** run in progress, e.g. a sync into a folder nested in this one (or holding it).
** This process has no temporary files of its own when it removes strays.
*/
static int tmp_of_live_run(const char *nm) {
  const char *p = nm + sizeof TMP_PREFIX - 1;
  char *end;
  errno = 0;
  long pid = strtol(p, &end, 10);
  if (errno || end == p || *end != '-' || pid <= 0 || pid == (long)getpid()) return 0;
  if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return 0;
  /* a killed run not yet reaped by its parent is a zombie: not running */
  char path[64], stat[256];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  ssize_t n = read(fd, stat, sizeof stat - 1);
  close(fd);
  if (n <= 0) return 1;
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')'); /* "pid (comm) S ..." */
  return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/*
** Removes temporary files of earlier runs of this client under fd (no symlinks
** followed), leaving those of runs still in progress (tmp_of_live_run).
*/
static void remove_stray_tmp(int fd, int depth) {
  if (depth > MAX_DEPTH) return;
  int dfd = dup(fd);
  if (dfd < 0) return;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *nm = e->d_name;
    if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW)) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type == DT_DIR) {
      int sub = openat(fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        remove_stray_tmp(sub, depth + 1);
        close(sub);
      }
    } else if (type == DT_REG && is_tmp_name(nm, strlen(nm)) && !tmp_of_live_run(nm)) {
      unlinkat(fd, nm, 0);
    }
  }
  closedir(d);
}

/* ---- reading the metadata file: codec/json_parse.h events into r->meta ---- */

typedef struct {
  sync_run *r;
  int depth;        /* 1 inside the top-level object */
  dg_buf *key;      /* the pending key (owned by a userdata on the stack) */
  dg_buf *val;      /* the value, NUL-terminated (likewise) */
  const char *bad;  /* why the file is refused, or NULL */
  int oom;
} meta_reader;

static int meta_refuse(meta_reader *m, const char *why) {
  if (!m->bad) m->bad = why;
  return -1;
}

#define META_NOT_OBJECT "must hold a JSON object {\"path\": \"eTag\"}"
#define META_NOT_STRINGS "must map relative paths to eTag strings"

static int meta_scalar(void *ctx) {
  meta_reader *m = ctx;
  return meta_refuse(m, m->depth == 0 ? META_NOT_OBJECT : META_NOT_STRINGS);
}
static int meta_boolean(void *ctx, int v) { return meta_scalar(ctx); }
static int meta_integer(void *ctx, int64_t v) { return meta_scalar(ctx); }
static int meta_number(void *ctx, double v) { return meta_scalar(ctx); }
static int meta_begin_array(void *ctx) { return meta_scalar(ctx); }
static int meta_item(void *ctx, size_t i) { return 0; }
static int meta_member(void *ctx) { return 0; }
static int meta_end(void *ctx) { return 0; }

static int meta_begin_object(void *ctx) {
  meta_reader *m = ctx;
  if (m->depth++ != 0) return meta_refuse(m, META_NOT_STRINGS);
  return 0;
}

static int meta_key(void *ctx, const char *s, size_t n) {
  meta_reader *m = ctx;
  dg_buf_reset(m->key);
  if (dg_buf_add(m->key, s, n)) {
    m->oom = 1;
    return -1;
  }
  return 0;
}

/*
** A value: kept when its key names a file that is there and is a name the
** sync accepts (else the key is dropped and the file rewritten).
*/
static int meta_string(void *ctx, const char *s, size_t n) {
  meta_reader *m = ctx;
  if (m->depth == 0) return meta_refuse(m, META_NOT_OBJECT);
  sync_run *r = m->r;
  const char *k = m->key->data ? m->key->data : "";
  size_t klen = m->key->len;
  struct stat st;
  if (memchr(s, '\0', n) || name_problem(r, k, klen) || fstatat(r->root, k, &st, 0) != 0) {
    r->meta_dirty = 1; /* a key dropped */
    return 0;
  }
  dg_buf_reset(m->val);
  if (dg_buf_add(m->val, s, n) || !dg_strmap_set(&r->meta, k, klen, m->val->data ? m->val->data : "")) {
    m->oom = 1;
    return -1;
  }
  return 0;
}

/*
** Reads the metadata file into r->meta in the file's own order (new keys are
** appended later), dropping keys whose files are gone, refused names and the
** file itself. Raises IO or JSON naming the file.
*/
static void load_meta(lua_State *L, sync_run *r) {
  int fd = openat(r->root, r->meta_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      /* the file exists after every run that ends cleanly, as with the Python
         client; a run that fails before anything lands leaves none behind */
      r->meta_missing = 1;
      return;
    }
    dg_error_raise(L, "IO", "cannot open %s: %s", r->meta_name, errno_text(errno));
  }
  dg_buf *b = dg_buf_newud(L);
  char chunk[65536];
  ssize_t got;
  while ((got = read(fd, chunk, sizeof chunk)) != 0) {
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      dg_error_raise(L, "IO", "cannot read %s: %s", r->meta_name, strerror(err));
    }
    if (dg_buf_add(b, chunk, (size_t)got)) {
      close(fd);
      dg_error_raise(L, "OUT_OF_MEMORY", "out of memory reading %s", r->meta_name);
    }
  }
  close(fd);
  static const dg_json_handler reader = {
      meta_scalar, meta_boolean, meta_integer, meta_number, meta_string, meta_begin_array,
      meta_item, meta_end, meta_begin_object, meta_key, meta_member, meta_end};
  dg_buf *scratch = dg_buf_newud(L);
  meta_reader m = {r, 0, dg_buf_newud(L), dg_buf_newud(L), NULL, 0};
  char err[200];
  int rc = dg_json_parse(b->data ? b->data : "", b->len, &reader, &m, scratch, err, sizeof err);
  if (m.oom) dg_error_raise(L, "OUT_OF_MEMORY", "out of memory reading %s", r->meta_name);
  if (m.bad) dg_error_raise(L, "JSON", "%s %s", r->meta_name, m.bad);
  if (rc) dg_error_raise(L, "JSON", "%s is not valid JSON: %s", r->meta_name, err);
  lua_pop(L, 4);
}

/* Encodes r->meta as the request body (pushed as a string). Raises on out of memory. */
static void push_meta_json(lua_State *L, sync_run *r) {
  if (encode_meta(r)) dg_error_oom(L);
  lua_pushlstring(L, r->scratch.data ? r->scratch.data : "{}", r->scratch.len ? r->scratch.len : 2);
}

/* Parses opts.max_delete: an integer count or "N%". */
static void parse_max_delete(lua_State *L, sync_run *r, int idx, int arg) {
  if (lua_isnil(L, idx)) return;
  if (lua_isinteger(L, idx)) {
    r->max_delete = lua_tointeger(L, idx);
    luaL_argcheck(L, r->max_delete >= 0, arg, "max_delete must not be negative");
    return;
  }
  const char *s = lua_tostring(L, idx);
  char *end = NULL;
  double pct = s ? strtod(s, &end) : -1;
  if (!s || end == s || strcmp(end, "%") != 0 || pct < 0 || pct > 100)
    luaL_argerror(L, arg, "max_delete must be a count or a percentage such as \"50%\"");
  r->max_delete_pct = pct;
}

/* Deletes the tracked files named in `which`, never through a symlink. */
static void apply_deletes(sync_run *r, const dg_strmap *which) {
  for (size_t i = 0; i < which->n; i++) {
    const dg_strmap_entry *e = &which->v[i];
    if (!e->alive || !dg_strmap_get(&r->meta, e->key, e->klen)) continue;
    const char *base;
    int dfd = open_parent(r, e->key, &base, 0);
    if (dfd < 0 && errno != ENOENT) {
      char msg[200];
      snprintf(msg, sizeof msg, "not deleted: %s", errno_text(errno));
      fail_name(r, e->key, e->klen, msg);
      continue;
    }
    if (dfd >= 0 && unlinkat(dfd, base, 0) && errno != ENOENT) {
      char msg[200];
      snprintf(msg, sizeof msg, "not deleted: %s", strerror(errno));
      fail_name(r, e->key, e->klen, msg);
      continue;
    }
    (void)dg_strmap_set(&r->deleted, e->key, e->klen, NULL); /* no-op when already listed */
    dg_strmap_del(&r->meta, e->key, e->klen);
    r->meta_dirty = 1;
  }
}

/* What the caller asked for (the strings are owned by the Lua stack). */
typedef struct {
  const char *connector, *remote, *dir, *ext, *meta_name;
  int recursive, allow_empty, dry_run;
} sync_args;

/*
** Reads the arguments (positional or an options table) into *a, the index of
** the options table (0: none) into *opts_out and checkpoint_files into *every.
** Leaves the stack at 14 slots (13: max_delete); raises "bad argument" errors.
*/
static void read_args(lua_State *L, sync_args *a, int *opts_out, lua_Integer *every) {
  a->connector = luaL_checkstring(L, 2);
  a->remote = luaL_checkstring(L, 3);
  a->dir = luaL_checkstring(L, 4);
  a->ext = NULL;
  a->meta_name = ".sync_meta.json";
  a->recursive = 1;
  a->allow_empty = a->dry_run = 0;
  int opts = lua_istable(L, 5) ? 5 : 0;
  lua_settop(L, 7);
  if (opts) {
    lua_getfield(L, opts, "ext");
    lua_getfield(L, opts, "recursive");
    lua_getfield(L, opts, "sync_meta_file");
    lua_getfield(L, opts, "dry_run");
    lua_getfield(L, opts, "allow_empty");
    lua_getfield(L, opts, "max_delete");
    lua_getfield(L, opts, "checkpoint_files");
    /* 8 ext, 9 recursive, 10 sync_meta_file, 11 dry_run, 12 allow_empty, 13 max_delete,
       14 checkpoint_files */
    if (!lua_isnil(L, 8)) a->ext = luaL_checkstring(L, 8);
    if (!lua_isnil(L, 9)) a->recursive = lua_toboolean(L, 9);
    if (!lua_isnil(L, 10)) a->meta_name = luaL_checkstring(L, 10);
    a->dry_run = lua_toboolean(L, 11);
    a->allow_empty = lua_toboolean(L, 12);
  } else {
    a->ext = luaL_optstring(L, 5, NULL);
    if (!lua_isnoneornil(L, 6)) a->recursive = lua_toboolean(L, 6);
    a->meta_name = luaL_optstring(L, 7, a->meta_name);
    lua_settop(L, 14);
  }
  *every = luaL_optinteger(L, 14, CHECKPOINT_FILES);
  luaL_argcheck(L, *every > 0, opts ? 5 : 7, "checkpoint_files must be positive");
  luaL_argcheck(L, *a->dir, 4, "dir must not be empty");
  luaL_argcheck(L, *a->meta_name && !strchr(a->meta_name, '/') && strcmp(a->meta_name, ".") &&
                strcmp(a->meta_name, ".."), opts ? 5 : 7,
                "sync_meta_file must be a plain file name inside dir");
  *opts_out = opts;
}

/* Step 1: opens (creating, unless a dry run) the target directory and locks it. */
static void open_and_lock(lua_State *L, sync_run *r, const char *dir) {
  struct stat st;
  if (!r->dry_run && stat(dir, &st) != 0 && errno == ENOENT && !(r->created_dir = strdup(dir)))
    dg_error_oom(L);
  int err = r->dry_run ? 0 : dg_fs_mkdirs(dir, 0777);
  if (err) dg_error_raise(L, "IO", "cannot create %s: %s", dir, strerror(err));
  r->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->root < 0 && !(r->dry_run && errno == ENOENT))
    dg_error_raise(L, "IO", "cannot open %s: %s", dir, strerror(errno));
  if (r->root >= 0 && flock(r->root, LOCK_EX | LOCK_NB)) {
    if (errno == EWOULDBLOCK) dg_error_raise(L, "LOCKED", "%s is being synced by another run", dir);
    dg_error_raise(L, "IO", "cannot lock %s: %s", dir, strerror(errno));
  }
}

/*
** Step 3: POSTs the metadata map; the multipart answer streams through the
** sink (parts land at checkpoints). Returns dg_http_perform's result (on -1 the
** transport's Error is on the stack) and the answer's status in *status.
*/
static int transfer(lua_State *L, dg_session *s, sync_run *r, const sync_args *a, long *status) {
  int top = lua_gettop(L);
  dg_buf *path = dg_buf_newud(L), *query = dg_buf_newud(L);
  const char *remote = a->remote;
  dg_buf_adds(path, "/public/v1/files/sync/");
  dg_http_add_name(path, a->connector, 0);
  dg_buf_addc(path, '/');
  while (*remote == '/') remote++;
  dg_http_add_name(path, remote, 1);
  dg_http_add_query(query, "recursive", a->recursive ? "true" : "false");
  if (a->ext) dg_http_add_query(query, "ext", a->ext);
  if (path->failed || query->failed) dg_error_oom(L);
  push_meta_json(L, r);
  size_t body_len;
  const char *body = lua_tolstring(L, -1, &body_len);
  dg_sink sink = {sink_begin, sink_write, r};
  dg_request rq = {.method = "POST", .path = path->data, .query = query->data,
                   .content_type = "application/json", .body = body, .body_len = body_len,
                   .sink = &sink, .idempotent = 1, .transfer = 1}; /* no progress label: the sync draws its own line */
  dg_response *rsp = dg_response_newud(L);
  r->last_checkpoint = dg_clock_seconds();
  r->in_transfer = 1;
  int rc = dg_http_perform(L, s, &rq, rsp);
  r->in_transfer = 0;
  *status = rsp->status;
  if (rc == 0 && !r->mp_ready && *status != 204 && !r->abort_code &&
      sink_begin(r, *status, rsp->content_type) == 0 && rsp->body.len)
    sink_write(r, rsp->body.data, rsp->body.len); /* the transport kept the body itself */
  dg_response_free(rsp);
  abandon_part(r);
  progress(r, 1);
  if (rc == 0 && r->mp_ready && *status != 204 && !r->abort_code && dg_multipart_finish(r->mp))
    stash(r, "PROTOCOL", "%s", r->mp->err);
  if (rc != 0) lua_replace(L, top + 1); /* keep the transport's Error, drop the temporaries */
  lua_settop(L, rc != 0 ? top + 1 : top);
  return rc;
}

/*
** After a transfer that failed or was stopped: what arrived complete still
** lands (the next run does not fetch it again), unless a guard stopped the run.
** Raises the stashed failure or the transport's Error (on top), with the report.
*/
static int raise_aborted(lua_State *L, sync_run *r, int rc) {
  const char *code = r->abort_code;
  char msg[sizeof r->abort_msg];
  memcpy(msg, r->abort_msg, sizeof msg);
  if (code && strcmp(code, "UNSAFE_SYNC") == 0) {
    free_pending(r, 1);
  } else if (!r->dry_run) {
    r->abort_code = NULL;
    if (checkpoint(r)) dg_log(L, DG_LOG_WARN, "sync", "%s", r->abort_msg);
  }
  if (r->created_dir && !r->written.live && !r->replaced.live)
    rmdir(r->created_dir); /* a folder this run made and left empty (fails if not empty) */
  if (code) {
    if (rc != 0) lua_pop(L, 1); /* the transport's error for the aborted transfer */
    return raise_with_report(L, r, code, msg);
  }
  log_failures(L, r);
  push_report(L, r, &(dg_strmap){0}, NULL);
  lua_setfield(L, -2, "report");
  return lua_error(L);
}

/*
** Step 4: fills r->plan with the tracked files to delete and checks the guards
** (empty remote, max_delete). Returns the reason to stop (in stop_msg), or NULL.
*/
static const char *plan_deletes(lua_State *L, sync_run *r, long status, int allow_empty,
                                char *stop_msg, size_t len) {
  int empty_remote = status == 204 || (r->mp_ready && dg_multipart_count(r->mp) == 0);
  int delete_all = 0;
  const char *stop = NULL;
  if (empty_remote && r->tracked > 0) {
    if (!allow_empty) {
      snprintf(stop_msg, len, "empty remote: the server reported %s while %zu files are tracked "
               "in %s; nothing was deleted (allow_empty = true deletes the tracked files)",
               status == 204 ? "an empty folder (204)" : "no files", r->tracked, r->meta_name);
      stop = stop_msg;
    }
    delete_all = 1;
  }
  if (!stop) stop = over_max_delete(r, delete_all ? r->tracked : tracked_deletes(r), stop_msg, len);
  const dg_strmap *from = delete_all ? &r->meta : &r->deleted;
  for (size_t i = 0; i < from->n; i++) {
    const dg_strmap_entry *e = &from->v[i];
    if (e->alive && dg_strmap_get(&r->meta, e->key, e->klen) &&
        !dg_strmap_set(&r->plan, e->key, e->klen, NULL))
      dg_error_oom(L);
  }
  return stop;
}

/*
** Step 6: writes the final metadata and pushes the report, or raises PARTIAL
** (some parts refused or failed; postponed: deletes were held back for them).
*/
static int finish(lua_State *L, sync_run *r, int postponed) {
  if ((r->meta_dirty || r->meta_missing) && write_meta(r))
    return raise_with_report(L, r, r->abort_code, r->abort_msg);
  if (r->failed.live) {
    char msg[400];
    const dg_strmap_entry *first = NULL;
    for (size_t i = 0; i < r->failed.n && !first; i++)
      if (r->failed.v[i].alive) first = &r->failed.v[i];
    snprintf(msg, sizeof msg, "%zu of the server's files were refused or failed (first: '%s': "
             "%s); the others were applied%s", r->failed.live, push_shown_name(L, first, 120),
             first->val ? first->val : "", postponed ? "; deletes postponed to a clean run" : "");
    lua_pop(L, 1);
    return raise_with_report(L, r, "PARTIAL", msg);
  }
  push_report(L, r, &r->deleted, NULL);
  return 1;
}

int dg_sync_dir(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  sync_args a;
  int opts;
  lua_Integer every;
  read_args(L, &a, &opts, &every);

  sync_run *r = run_new(L); /* 15: owns every C object of the run */
  lua_toclose(L, -1);
  r->dry_run = a.dry_run;
  r->checkpoint_files = (size_t)every;
  if (opts) parse_max_delete(L, r, 13, 5);
  if (!(r->meta_name = strdup(a.meta_name)) || !(r->mp = malloc(sizeof *r->mp))) dg_error_oom(L);
  r->progress = isatty(2) && dg_session_progress(s); /* `progress = false` turns it off */

  /* 1. the directory and the lock (a dry run creates nothing) */
  open_and_lock(L, r, a.dir);
  /* 2. metadata, stray temporary files */
  if (r->root >= 0) load_meta(L, r);
  r->tracked = r->meta.live;
  if (!a.dry_run) remove_stray_tmp(r->root, 0);
  /* 3. the request; the answer streams through the sink */
  long status;
  int rc = transfer(L, s, r, &a, &status);
  if (rc != 0 || r->abort_code) return raise_aborted(L, r, rc);
  /* 4. guards: checked before the last batch lands, so a stop changes nothing of it */
  char stop_msg[300];
  const char *stop = plan_deletes(L, r, status, a.allow_empty, stop_msg, sizeof stop_msg);
  if (a.dry_run) {
    /* what the real run would delete: nothing while a part is refused (step 5) */
    log_failures(L, r);
    push_report(L, r, r->failed.live ? &(dg_strmap){0} : &r->plan, stop);
    return 1;
  }
  if (stop) {
    free_pending(r, 1);
    return raise_with_report(L, r, "UNSAFE_SYNC", stop);
  }
  /* 5. the last batch lands, then the deletes, if every part applied */
  if (checkpoint(r)) return raise_with_report(L, r, r->abort_code, r->abort_msg);
  dg_strmap_free(&r->deleted);
  r->deletes_applied = 1;
  if (r->failed.live == 0) apply_deletes(r, &r->plan);
  int postponed = r->failed.live && r->plan.live && !r->deleted.live;
  /* 6. the final metadata and the report */
  return finish(L, r, postponed);
}

/* The session methods of this area (client.c SESSION_AREAS). */
const luaL_Reg dg_sync_methods[] = {{"sync_dir", dg_sync_dir}, {NULL, NULL}};
