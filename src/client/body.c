/*
** body.c: request and response bodies of the client (body.h): a local file or
** a DataFrame as an upload body, the CSV parser as a download sink.
*/
#include "body.h"
#include "csv.h"
#include "dataframe.h"
#include "error.h"
#include "userdata.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SOURCE_MT "datagrok.CsvSource"
#define FILE_SOURCE_MT "datagrok.FileSource"

/* ---- a local file as an upload body ---- */

typedef struct {
  FILE *fp;
} file_source;

static int file_source_gc(lua_State *L) {
  file_source *f = luaL_checkudata(L, 1, FILE_SOURCE_MT);
  if (f->fp) fclose(f->fp);
  f->fp = NULL;
  return 0;
}

static int file_rewind(void *ctx) {
  return fseek(((file_source *)ctx)->fp, 0, SEEK_SET) == 0 ? 0 : -1;
}

static size_t file_read(void *ctx, char *buf, size_t n) {
  FILE *fp = ((file_source *)ctx)->fp;
  size_t got = fread(buf, 1, n, fp);
  if (got == 0 && ferror(fp)) return (size_t)-1;
  return got;
}

void dg_file_source(lua_State *L, const char *path, dg_source *src) {
  file_source *f = lua_newuserdatauv(L, sizeof *f, 0);
  f->fp = NULL;
  dg_userdata_set_metatable(L, FILE_SOURCE_MT, file_source_gc);
  f->fp = fopen(path, "rb");
  struct stat st;
  if (!f->fp) dg_error_raise(L, "IO", "cannot open %s: %s", path, strerror(errno));
  if (fstat(fileno(f->fp), &st) != 0 || !S_ISREG(st.st_mode))
    dg_error_raise(L, "IO", "%s is not a regular file", path);
  src->rewind = file_rewind;
  src->read = file_read;
  src->ctx = f;
  src->length = (int64_t)st.st_size;
}

/* ---- a DataFrame as an upload body (CSV) ---- */

typedef struct {
  dg_csv_writer w;
  dg_buf pending;
  size_t pos;
} source_ud;

static int source_gc(lua_State *L) {
  source_ud *s = luaL_checkudata(L, 1, SOURCE_MT);
  dg_buf_free(&s->pending);
  return 0;
}

static int source_rewind(void *ctx) {
  source_ud *s = ctx;
  dg_csv_writer_init(&s->w, s->w.f);
  dg_buf_reset(&s->pending);
  s->pos = 0;
  return 0;
}

static size_t source_read(void *ctx, char *buf, size_t n) {
  source_ud *s = ctx;
  while (s->pos == s->pending.len) {
    dg_buf_reset(&s->pending);
    s->pos = 0;
    int rc = dg_csv_writer_next(&s->w, &s->pending);
    if (rc == 0) return 0;
    if (rc < 0) return (size_t)-1;
  }
  size_t k = s->pending.len - s->pos;
  if (k > n) k = n;
  memcpy(buf, s->pending.data + s->pos, k);
  s->pos += k;
  return k;
}

void dg_dataframe_source(lua_State *L, int idx, dg_source *src) {
  idx = lua_absindex(L, idx);
  dg_frame *f = dg_dataframe_check(L, idx);
  source_ud *s = lua_newuserdatauv(L, sizeof *s, 1);
  dg_buf_init(&s->pending);
  s->pos = 0;
  dg_csv_writer_init(&s->w, f);
  dg_userdata_set_metatable(L, SOURCE_MT, source_gc);
  lua_pushvalue(L, idx); /* the source keeps the DataFrame alive */
  lua_setiuservalue(L, -2, 1);
  src->rewind = source_rewind;
  src->read = source_read;
  src->ctx = s;
  src->length = -1;
}

/* ---- a download into the CSV parser ---- */

static int sink_begin(void *ctx, long status, const char *content_type) {
  dg_csv_reset(ctx);
  return 0;
}

static int sink_write(void *ctx, const char *data, size_t n) {
  return dg_csv_feed(ctx, data, n);
}

void dg_csv_sink(dg_csv *p, dg_sink *sink) {
  sink->begin = sink_begin;
  sink->write = sink_write;
  sink->ctx = p;
}

int dg_csv_download_result(lua_State *L, dg_csv *p, int rc, const char *what) {
  if (rc < 0) {
    lua_getfield(L, -1, "sink_aborted");
    int aborted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!aborted) return -1;
    lua_pop(L, 1); /* the parser knows why it stopped: its error replaces this one */
  }
  return dg_csv_push_result(L, p, what);
}
