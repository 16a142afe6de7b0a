/*
** body.c: request and response bodies of the client (body.h): a local file or
** a DataFrame as an upload body, the CSV parser as a download sink.
*/
#include "body.h"
#include "csv.h"
#include "dataframe.h"
#include "error.h"
#include "secrets.h"
#include "userdata.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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
  dg_csv_writer_free(&s->w); /* its formatting threads, when the frame was large */
  dg_buf_free(&s->pending);
  return 0;
}

static int source_rewind(void *ctx) {
  source_ud *s = ctx;
  dg_csv_writer_free(&s->w);
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

#define HEAD_MAX 80 /* bytes of a refused body quoted in the error */

typedef struct csv_download {
  dg_csv *p;
  int refused;                         /* the answer is not a table: why is in ct/head */
  int started;                         /* the first non-blank byte was seen */
  char ct[DG_CONTENT_TYPE_MAX];        /* the answer's Content-Type */
  char head[HEAD_MAX + 1];             /* its first bytes, from the first non-blank one */
} csv_download;

/* True when the media type of ct (before any ';') is type, case-insensitively. */
static int media_is(const char *ct, const char *type) {
  size_t n = strlen(type);
  return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* True when the media type of ct ends in suffix ("+json") before any ';'. */
static int media_suffix(const char *ct, const char *suffix) {
  size_t end = strcspn(ct, "; "), n = strlen(suffix);
  return end >= n && strncasecmp(ct + end - n, suffix, n) == 0;
}

/* A Content-Type that is never a CSV table: markup or JSON. */
static int not_a_table_type(const char *ct) {
  return media_is(ct, "text/html") || media_is(ct, "application/xhtml+xml") ||
         media_is(ct, "application/json") || media_is(ct, "text/json") ||
         media_is(ct, "text/xml") || media_is(ct, "application/xml") ||
         media_suffix(ct, "+json") || media_suffix(ct, "+xml");
}

static int sink_begin(void *ctx, long status, const char *content_type) {
  csv_download *d = ctx;
  (void)status;
  dg_csv_reset(d->p);
  d->started = 0;
  d->head[0] = '\0';
  snprintf(d->ct, sizeof d->ct, "%s", content_type ? content_type : "");
  d->refused = not_a_table_type(d->ct); /* stopped at the first byte, which the error quotes */
  return 0;
}

/*
** The first non-blank byte decides the shape: '<' is markup (an HTML login page),
** '[' or '{' is JSON unless the server said text/csv. Such a body is refused
** before the parser sees it.
*/
static int sink_write(void *ctx, const char *data, size_t n) {
  csv_download *d = ctx;
  if (!d->started) {
    size_t i = 0;
    while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) i++;
    if (i < n) {
      d->started = 1;
      size_t k = n - i < HEAD_MAX ? n - i : HEAD_MAX;
      memcpy(d->head, data + i, k);
      d->head[k] = '\0';
      char c = data[i];
      if (c == '<' || ((c == '[' || c == '{') && !media_is(d->ct, "text/csv"))) d->refused = 1;
    }
  }
  if (d->refused) return -1;
  return dg_csv_feed(d->p, data, n);
}

void dg_csv_sink(lua_State *L, struct dg_csv *p, dg_sink *sink) {
  csv_download *d = lua_newuserdatauv(L, sizeof *d, 0); /* plain memory */
  memset(d, 0, sizeof *d);
  d->p = p;
  sink->begin = sink_begin;
  sink->write = sink_write;
  sink->ctx = d;
}

int dg_csv_download_result(lua_State *L, const dg_sink *sink, int rc, const char *what) {
  csv_download *d = sink->ctx;
  if (rc == 0 && d->refused) { /* an empty body of a type that is no table */
    dg_error_push(L, "PROTOCOL", "%s: the server's answer is not a CSV table: Content-Type '%s', "
                  "empty", what, d->ct);
    return -1;
  }
  if (rc < 0) {
    lua_getfield(L, -1, "sink_aborted");
    int aborted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!aborted) return -1;
    if (d->refused) { /* the transport's Error (method, url, status) says what it is */
      lua_pushliteral(L, "PROTOCOL");
      lua_setfield(L, -2, "code");
      lua_pushnil(L);
      lua_setfield(L, -2, "sink_aborted");
      const char *msg = lua_pushfstring(L, "%s: the server's answer is not a CSV table: "
                                        "Content-Type '%s'%s%s%s", what, d->ct[0] ? d->ct : "(none)",
                                        d->head[0] ? ", starting '" : "", d->head,
                                        d->head[0] ? "'" : "");
      dg_secrets_push_scrubbed(L, msg, strlen(msg), DG_SCRUB_ONELINE);
      lua_setfield(L, -3, "message");
      lua_pop(L, 1);
      if (d->head[0]) {
        dg_secrets_push_scrubbed(L, d->head, strlen(d->head), 0);
        lua_setfield(L, -2, "body");
      }
      return -1;
    }
    lua_pop(L, 1); /* the parser knows why it stopped: its error replaces this one */
  }
  return dg_csv_push_result(L, d->p, what);
}
