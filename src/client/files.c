/*
** files.c: the file-share operations as session methods (see client.c):
**   download_file(connector, path [, to])  GET  /public/v1/files/{connector}/{path}
**   upload_file(connector, path, file)     POST /public/v1/files/{connector}/{path}
**   list_files(connector [, dir [, recursive]])  GET the directory (the grok CLI's listing)
**   delete_file(connector, path)           DELETE /public/v1/files/{connector}/{path}
** Connector and path go through dg_http_add_name (':' to '.', as the client's
** other paths; '/' kept in the path). Bodies stream in both directions.
*/
#define _GNU_SOURCE /* sync_file_range */
#include "body.h"
#include "owned.h"
#include "userdata.h"
#include "atomic_file.h"
#include "client.h"
#include "csv.h"
#include "dataframe.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a response body into a file ---- */

typedef struct {
  dg_atomic_file *a;
  int err;        /* errno of a failed write */
  off_t written;  /* bytes written in this attempt */
  off_t flushed;  /* bytes handed to the kernel's writeback so far */
} file_sink;

/* Writeback is started every WRITEBACK_STEP bytes, so that the fsync at the end
   finds little left to write (the disk works while the network does). */
#define WRITEBACK_STEP ((off_t)16 << 20)

static int file_sink_begin(void *ctx, long status, const char *content_type) {
  file_sink *s = ctx;
  FILE *fp = s->a->fp;
  if (fflush(fp) != 0 || ftruncate(fileno(fp), 0) != 0 || fseek(fp, 0, SEEK_SET) != 0) {
    s->err = errno;
    return -1;
  }
  s->written = s->flushed = 0;
  return 0;
}

static int file_sink_write(void *ctx, const char *data, size_t n) {
  file_sink *s = ctx;
  if (fwrite(data, 1, n, s->a->fp) != n) {
    s->err = errno ? errno : EIO;
    return -1;
  }
  s->written += (off_t)n;
  if (s->written - s->flushed >= WRITEBACK_STEP) {
    if (fflush(s->a->fp) != 0) {
      s->err = errno;
      return -1;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /* asynchronous: only starts the writeback (an error shows in the final fsync) */
    sync_file_range(fileno(s->a->fp), s->flushed, s->written - s->flushed, SYNC_FILE_RANGE_WRITE);
#endif
    s->flushed = s->written;
  }
  return 0;
}

/* Pushes "/public/v1/files/<connector>/<path>" (a buffer userdata). */
static dg_buf *file_path(lua_State *L, int conn_arg, int path_arg, int allow_empty) {
  dg_buf *b = dg_client_path(L, "/public/v1/files/", conn_arg);
  size_t n;
  const char *p = luaL_checklstring(L, path_arg, &n);
  luaL_argcheck(L, strlen(p) == n, path_arg, "a path without NUL expected");
  luaL_argcheck(L, allow_empty || n > 0, path_arg, "a non-empty path expected");
  while (*p == '/') p++; /* a leading '/' is the share's root, as sync_dir strips it */
  if (*p) {
    dg_buf_addc(b, '/');
    dg_http_add_name(b, p, 1);
  }
  if (b->failed) dg_error_oom(L);
  return b;
}

/* True when the Error on top says a sink stopped the transfer. */
static int is_sink_abort(lua_State *L) {
  lua_getfield(L, -1, "sink_aborted");
  int aborted = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return aborted;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/*
** session:download_file(connector, path [, to]) -> DataFrame (path ends in
** ".csv"), string (other paths) or, with `to`, the local path `to` after the
** body streamed into a temporary file next to it (fsync, rename; constant
** memory). Retried (GET). Raises the HTTP errors, CSV (a malformed .csv, with
** line and column), IO (the local file).
*/
static int l_download_file(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = file_path(L, 2, 3, 0);
  const char *remote = lua_tostring(L, 3);
  const char *to = luaL_optstring(L, 4, NULL);
  dg_request rq = {.method = "GET", .path = path->data, .idempotent = 1, .transfer = 1,
                   .content_type = "application/octet-stream",
                   .progress = lua_pushfstring(L, "download_file %s", remote)};
  dg_response *rsp = dg_response_newud(L);
  dg_sink sink;
  if (to) {
    dg_atomic_file *a = dg_atomic_newud(L);
    char err[512];
    if (dg_atomic_open(a, to, err, sizeof err) < 0) return dg_error_raise(L, "IO", "%s", err);
    setvbuf(a->fp, NULL, _IOFBF, 1 << 20); /* 1 MiB writes, not one per network read */
    file_sink fs = {a, 0, 0, 0};
    sink.begin = file_sink_begin;
    sink.write = file_sink_write;
    sink.ctx = &fs;
    rq.sink = &sink;
    if (dg_http_perform(L, s, &rq, rsp) < 0) {
      if (is_sink_abort(L) && fs.err) {
        lua_pop(L, 1);
        dg_error_push(L, "IO", "cannot write %s: %s", to, strerror(fs.err));
      }
      dg_atomic_abort(a);
      return lua_error(L);
    }
    if (dg_atomic_commit(a, err, sizeof err) < 0) return dg_error_raise(L, "IO", "%s", err);
    lua_pushstring(L, to);
    return 1;
  }
  if (ends_with(remote, ".csv")) {
    struct dg_csv *p = dg_csv_newud(L);
    dg_csv_sink(L, p, &sink);
    rq.sink = &sink;
    const char *what = lua_pushfstring(L, "file '%s'", remote);
    if (dg_csv_download_result(L, &sink, dg_http_perform(L, s, &rq, rsp), what) < 0)
      return lua_error(L);
    return 1;
  }
  if (dg_http_perform(L, s, &rq, rsp) < 0) return lua_error(L);
  lua_pushlstring(L, rsp->body.data ? rsp->body.data : "", rsp->body.len);
  return 1;
}

/*
** session:upload_file(connector, path, file_path) -> true. The local file is
** streamed as application/octet-stream with its length (never read whole).
** Retried (a replace). Raises IO (the local file) and the HTTP errors.
*/
static int l_upload_file(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = file_path(L, 2, 3, 0);
  const char *local = luaL_checkstring(L, 4);
  dg_source src;
  dg_file_source(L, local, &src);
  dg_request rq = {.method = "POST", .path = path->data, .idempotent = 1, .transfer = 1,
                   .content_type = "application/octet-stream", .source = &src,
                   .progress = lua_pushfstring(L, "upload_file %s", lua_tostring(L, 3))};
  dg_http_call(L, s, &rq);
  lua_pushboolean(L, 1);
  return 1;
}

/*
** session:list_files(connector [, dir [, recursive]]) -> array of entries as the
** server sends them ({path=, name=, isFile=, isDirectory=, size=, updatedOn=}).
** GET /public/v1/files/{connector}/{dir}?recursive=true|false (the grok CLI's
** listing). Raises the HTTP errors (HTTP_404 / API_ERROR for a missing dir).
*/
static int l_list_files(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  lua_settop(L, 4); /* dir and recursive are optional: slots 3 and 4 exist from here on */
  if (lua_isnil(L, 3)) {
    lua_pushliteral(L, "");
    lua_replace(L, 3);
  }
  int recursive = lua_toboolean(L, 4);
  dg_buf *path = file_path(L, 2, 3, 1);
  dg_buf_addc(path, '/');
  dg_buf *query = dg_buf_newud(L);
  dg_http_add_query(query, "recursive", recursive ? "true" : "false");
  if (path->failed || query->failed) return dg_error_oom(L);
  dg_request rq = {.method = "GET", .path = path->data, .query = query->data, .idempotent = 1,
                   .expect = DG_EXPECT_OBJECTS};
  return dg_http_call_json(L, s, &rq);
}

/* session:delete_file(connector, path) -> true. DELETE, retried. Raises the HTTP errors. */
static int l_delete_file(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = file_path(L, 2, 3, 0);
  dg_request rq = {.method = "DELETE", .path = path->data, .idempotent = 1};
  dg_http_call(L, s, &rq);
  lua_pushboolean(L, 1);
  return 1;
}

const luaL_Reg dg_file_methods[] = {
  {"download_file", l_download_file},
  {"upload_file", l_upload_file},
  {"list_files", l_list_files},
  {"delete_file", l_delete_file},
  {NULL, NULL}};
