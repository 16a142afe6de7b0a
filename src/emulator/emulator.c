/*
** emulator.c: the emulator's HTTP server (see emulator.h).
**
** Threads: libmicrohttpd's one internal polling thread runs every callback and the
** emulator's lua_State; a "waker" thread only resumes connections suspended by stall
** faults when their time is up. Lua runs under lua_pcall inside dispatch(), and every
** value crossing from Lua to the MHD callbacks is first copied into C memory (a
** `reply`), so no Lua error can unwind through a libmicrohttpd frame.
**
** What Lua returns (lua/datagrok/emulator/init.lua builds it):
**   {status=, headers={name=value}, body=string}
**   {status=, headers=, file=path}                 served from the descriptor
**   {status=, headers=, parts={{headers=|raw_headers=, body=|file=}, ...}
**    [, multipart="form-data"]
**    [, boundary=]}  streamed part by part; raw_headers = the header lines verbatim
**                    ("Name: value\r\n" each), any bytes
**   fault = {action="reset"|"stall"|"truncate", after_bytes=, stall_seconds=}
**     reset: the connection is closed without a response;
**     stall without after_bytes: nothing is sent for stall_seconds, then the
**     connection is closed; with after_bytes (or truncate): the response is promised
**     in full (Content-Length) but only after_bytes of its body are sent before the
**     connection stalls (stall) or is closed (truncate).
*/
#include "emulator.h"
#include "owned.h"
#include "error.h"
#include "clock.h"
#include "longopt.h"
#include "buf.h"
#include "core.h"
#include "embedded.h"
#include "log.h"
#include "crypto_lazy.h"
#include "mhd_lazy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lualib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_THRESHOLD ((size_t)1 << 20) /* request bodies above this go to a file */

/*
** Connection limits (README, "The emulator"): a connection with no request in progress
** (before its first request, or kept alive between requests) is closed after
** IDLE_TIMEOUT quiet seconds; while a request is read or answered the limit is
** REQUEST_TIMEOUT quiet seconds. At most MAX_CONNECTIONS are open at once: a further
** connection is accepted and closed at once (refused fast, never left hanging).
*/
#define IDLE_TIMEOUT 10
#define REQUEST_TIMEOUT 120
#define MAX_CONNECTIONS 256

enum { STALL_NONE = 0, STALL_ACTIVE, STALL_OVER };

/* A connection suspended by a stall fault, resumed by the waker at `deadline`. */
typedef struct stall {
  struct stall *next;
  struct MHD_Connection *con;
  struct timespec deadline; /* CLOCK_MONOTONIC */
  int *state;               /* the owner's flag: STALL_ACTIVE, set to STALL_OVER on resume */
} stall;

struct dg_emulator {
  struct MHD_Daemon *daemon;
  lua_State *L;
  int server_ref;       /* registry ref of the Lua server object */
  char url[64];
  char *key;
  char *data_dir;
  char *spool_dir;      /* <data>/tmp: spooled request bodies */
  char *tls_cert;       /* PEM texts for https (NULL for http), alive as long as the daemon */
  char *tls_key;
  int temp_data;        /* data_dir was created by us: removed by dg_emulator_stop */
  pthread_mutex_t mu;   /* guards stalls, stopping and every stall state flag */
  pthread_cond_t cv;
  pthread_t waker;
  int waker_started;
  int stopping;
  stall *stalls;
  int connections;      /* open connections (MHD's thread only) */
};

/* One request, from its headers to the end of its response (MHD's con_cls). */
typedef struct request {
  dg_buf body;          /* the body while it is at most SPOOL_THRESHOLD bytes */
  int spool_fd;         /* -1 until the body is spooled */
  char *spool_path;
  uint64_t body_len;
  int spool_errno;      /* the body could not be stored */
  int stall;            /* STALL_* of a stall before any byte */
  int answered;         /* refused from its headers alone; the body is not read */
} request;

/* One piece of a streamed body: bytes in memory or a file region [0, size). */
typedef struct segment {
  char *mem;            /* owned; NULL for a file segment */
  char *file;           /* owned path */
  uint64_t size;
} segment;

enum { R_BODY, R_FILE, R_PARTS };
enum { F_NONE, F_RESET, F_STALL, F_TRUNCATE };

/* What Lua answered, copied into C memory. */
typedef struct reply {
  int status;
  dg_buf headers;       /* "name\0value\0" pairs */
  int kind;             /* R_* */
  char *body;           /* R_BODY (malloc'd, may be NULL for empty) */
  size_t body_len;
  char *file;           /* R_FILE */
  segment *segs;        /* R_PARTS */
  size_t nsegs, capsegs;
  int fault;            /* F_* */
  int64_t after_bytes;  /* -1: none */
  int stall_seconds;
} reply;

/* The content reader's state for streamed bodies. */
typedef struct stream {
  dg_emulator *emu;
  struct MHD_Connection *con;
  segment *segs;
  size_t nsegs, idx;
  uint64_t off;         /* offset inside segs[idx] */
  int fd;               /* open file of segs[idx], or -1 */
  uint64_t pos, total;
  int64_t limit;        /* bytes to send before the fault, -1 for none */
  int stall;            /* stall at the limit (else close) */
  int stall_seconds;
  int stall_state;
} stream;

/* ---- small helpers ------------------------------------------------------ */

static char *dup_mem(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s into b ('+' is a space when plus). */
static void pct_decode(dg_buf *b, const char *s, size_t n, int plus) {
  for (size_t i = 0; i < n; i++) {
    int h, l;
    if (s[i] == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
        (l = hexval((unsigned char)s[i + 2])) >= 0) {
      dg_buf_addc(b, (char)(h * 16 + l));
      i += 2;
    } else if (plus && s[i] == '+') {
      dg_buf_addc(b, ' ');
    } else {
      dg_buf_addc(b, s[i]);
    }
  }
}

/*
** The route path: percent-decoded, runs of '/' collapsed, and an "/api" prefix
** (the server's API root, as in https://host/api/public/v1/...) removed.
*/
static void normalize_path(dg_buf *out, const char *url) {
  dg_buf d;
  dg_buf_init(&d);
  pct_decode(&d, url, strlen(url), 0);
  const char *s = d.data ? d.data : "";
  for (size_t i = 0; i < d.len; i++) {
    if (s[i] == '/' && out->len > 0 && out->data[out->len - 1] == '/') continue;
    dg_buf_addc(out, s[i]);
  }
  dg_buf_free(&d);
  if (out->len == 0) dg_buf_addc(out, '/');
  static const char *const roots[] = {"/api/public/", "/api/users/", "/api/info/", NULL};
  for (int i = 0; roots[i]; i++) {
    if (out->len >= strlen(roots[i]) && memcmp(out->data, roots[i], strlen(roots[i])) == 0) {
      memmove(out->data, out->data + 4, out->len - 4);
      out->len -= 4;
      out->data[out->len] = '\0';
      break;
    }
  }
}

/* ---- stalls --------------------------------------------------------------- */

/*
** Registers con (already suspended by the caller right after) to be resumed after
** seconds; *state becomes STALL_ACTIVE. Returns -1 when the emulator is stopping.
*/
static int stall_add(dg_emulator *e, struct MHD_Connection *con, int *state, int seconds) {
  stall *s = calloc(1, sizeof *s);
  if (!s) return -1;
  int64_t at = dg_clock_ns() + (int64_t)(seconds > 0 ? seconds : 0) * 1000000000;
  s->deadline.tv_sec = (time_t)(at / 1000000000);
  s->deadline.tv_nsec = (long)(at % 1000000000);
  s->con = con;
  s->state = state;
  pthread_mutex_lock(&e->mu);
  if (e->stopping) {
    pthread_mutex_unlock(&e->mu);
    free(s);
    return -1;
  }
  *state = STALL_ACTIVE;
  MHD_suspend_connection(con);
  s->next = e->stalls;
  e->stalls = s;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
  return 0;
}

static int stall_state(dg_emulator *e, const int *state) {
  pthread_mutex_lock(&e->mu);
  int v = *state;
  pthread_mutex_unlock(&e->mu);
  return v;
}

/* Resumes every stall that is due (all of them when all); called with e->mu held. */
static void stalls_resume(dg_emulator *e, int all) {
  int64_t now = dg_clock_ns();
  for (stall **p = &e->stalls; *p;) {
    stall *s = *p;
    int64_t at = (int64_t)s->deadline.tv_sec * 1000000000 + s->deadline.tv_nsec;
    if (all || at <= now) {
      *p = s->next;
      *s->state = STALL_OVER;
      MHD_resume_connection(s->con);
      free(s);
    } else {
      p = &s->next;
    }
  }
}

static void *waker_main(void *arg) {
  dg_emulator *e = arg;
  pthread_mutex_lock(&e->mu);
  while (!e->stopping) {
    stalls_resume(e, 0);
    if (!e->stalls) {
      pthread_cond_wait(&e->cv, &e->mu);
      continue;
    }
    struct timespec next = e->stalls->deadline;
    for (stall *s = e->stalls->next; s; s = s->next)
      if (s->deadline.tv_sec < next.tv_sec ||
          (s->deadline.tv_sec == next.tv_sec && s->deadline.tv_nsec < next.tv_nsec))
        next = s->deadline;
    pthread_cond_timedwait(&e->cv, &e->mu, &next);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

/* ---- replies -------------------------------------------------------------- */

static void reply_init(reply *r) {
  memset(r, 0, sizeof *r);
  dg_buf_init(&r->headers);
  r->status = 200;
  r->after_bytes = -1;
}

static void segments_free(segment *segs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(segs[i].mem);
    free(segs[i].file);
  }
  free(segs);
}

static void reply_free(reply *r) {
  dg_buf_free(&r->headers);
  free(r->body);
  free(r->file);
  segments_free(r->segs, r->nsegs);
  r->body = r->file = NULL;
  r->segs = NULL;
  r->nsegs = 0;
}

static void reply_header(reply *r, const char *name, const char *value) {
  dg_buf_add(&r->headers, name, strlen(name) + 1);
  dg_buf_add(&r->headers, value, strlen(value) + 1);
}

/* A reply made in C when Lua could not make one: an ApiError with this status. */
static void reply_api_error(reply *r, int status, const char *message) {
  reply_free(r);
  reply_init(r);
  r->status = status;
  reply_header(r, "Content-Type", "application/json");
  reply_header(r, "api-error", "true");
  dg_buf b;
  dg_buf_init(&b);
  dg_buf_printf(&b, "{\"#type\":\"ApiError\",\"message\":\"%s\",\"errorCode\":%d}", message, status);
  r->kind = R_BODY;
  r->body = b.data;
  r->body_len = b.len;
}

/* Appends a segment; returns it (NULL on memory failure). */
static segment *add_segment(reply *r) {
  if (r->nsegs == r->capsegs) {
    size_t cap = r->capsegs ? r->capsegs * 2 : 16;
    segment *p = realloc(r->segs, cap * sizeof *p);
    if (!p) return NULL;
    r->segs = p;
    r->capsegs = cap;
  }
  segment *s = &r->segs[r->nsegs++];
  memset(s, 0, sizeof *s);
  return s;
}

static int add_mem_segment(reply *r, const char *p, size_t n) {
  segment *s = add_segment(r);
  if (!s || !(s->mem = dup_mem(p, n))) return -1;
  s->size = n;
  return 0;
}

static int add_file_segment(lua_State *L, reply *r, const char *path) {
  struct stat st;
  if (stat(path, &st) || !S_ISREG(st.st_mode))
    return luaL_error(L, "response file %s: %s", path, strerror(errno ? errno : EISDIR));
  segment *s = add_segment(r);
  if (!s || !(s->file = dup_mem(path, strlen(path)))) return dg_error_oom(L);
  s->size = (uint64_t)st.st_size;
  return 0;
}

/* Copies the headers table at idx into dg_buf pairs (CRLF and NUL refused). */
static void copy_headers(lua_State *L, int idx, dg_buf *out, int *count) {
  if (lua_isnil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "response header names must be strings");
    size_t kl, vl;
    const char *k = lua_tolstring(L, -2, &kl);
    const char *v = luaL_tolstring(L, -1, &vl);
    if (strcspn(k, "\r\n:") != kl || strcspn(v, "\r\n") != vl || strlen(v) != vl)
      luaL_error(L, "response header %s has a bad character", k);
    dg_buf_add(out, k, kl + 1);
    dg_buf_add(out, v, vl + 1);
    if (count) (*count)++;
    lua_pop(L, 2);
  }
}

/*
** Converts the multipart parts array at idx into segments of r. The scratch buffers
** are userdata (freed by the GC) because any step may raise.
*/
static void copy_parts(lua_State *L, int idx, reply *r, const char *boundary) {
  lua_Integer n = luaL_len(L, idx);
  dg_buf *pre = dg_buf_newud(L);
  dg_buf *hb = dg_buf_newud(L);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    int part = lua_gettop(L);
    if (!lua_istable(L, part)) luaL_error(L, "multipart part %d is not a table", (int)i);
    dg_buf_reset(pre);
    dg_buf_printf(pre, "--%s\r\n", boundary);
    lua_getfield(L, part, "raw_headers");
    if (lua_type(L, -1) == LUA_TSTRING) { /* sent verbatim: any bytes, for hostile tests */
      size_t rl;
      const char *raw = lua_tolstring(L, -1, &rl);
      dg_buf_add(pre, raw, rl);
    } else {
      dg_buf_reset(hb);
      lua_getfield(L, part, "headers");
      copy_headers(L, lua_gettop(L), hb, NULL);
      for (size_t o = 0; o < hb->len;) {
        const char *k = hb->data + o;
        const char *v = k + strlen(k) + 1;
        dg_buf_printf(pre, "%s: %s\r\n", k, v);
        o = (size_t)(v - hb->data) + strlen(v) + 1;
      }
    }
    dg_buf_adds(pre, "\r\n");
    if (pre->failed || add_mem_segment(r, pre->data, pre->len)) dg_error_oom(L);
    lua_getfield(L, part, "file");
    lua_getfield(L, part, "body");
    if (lua_type(L, -2) == LUA_TSTRING) {
      add_file_segment(L, r, lua_tostring(L, -2));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      size_t bl;
      const char *b = lua_tolstring(L, -1, &bl);
      if (add_mem_segment(r, b, bl)) dg_error_oom(L);
    } else if (!lua_isnil(L, -1)) {
      luaL_error(L, "multipart part %d: body must be a string", (int)i);
    }
    if (add_mem_segment(r, "\r\n", 2)) dg_error_oom(L);
    lua_settop(L, part - 1);
  }
  dg_buf_reset(pre);
  dg_buf_printf(pre, "--%s--\r\n", boundary);
  if (pre->failed || add_mem_segment(r, pre->data, pre->len)) dg_error_oom(L);
  dg_buf_free(pre);
  dg_buf_free(hb);
  lua_pop(L, 2);
}

/* Reads the Lua response table at idx into r (raises on a malformed one). */
static void copy_reply(lua_State *L, int idx, reply *r) {
  if (!lua_istable(L, idx))
    luaL_error(L, "the emulator handler returned a %s, not a response table", luaL_typename(L, idx));
  lua_getfield(L, idx, "status");
  if (!lua_isnil(L, -1)) {
    lua_Integer st = lua_tointeger(L, -1);
    if (st < 100 || st > 599) luaL_error(L, "bad response status");
    r->status = (int)st;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "headers");
  copy_headers(L, lua_gettop(L), &r->headers, NULL);
  lua_pop(L, 1);

  lua_getfield(L, idx, "fault");
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "action");
    const char *a = lua_tostring(L, -1);
    if (a && strcmp(a, "reset") == 0) r->fault = F_RESET;
    else if (a && strcmp(a, "stall") == 0) r->fault = F_STALL;
    else if (a && strcmp(a, "truncate") == 0) r->fault = F_TRUNCATE;
    else luaL_error(L, "unknown fault action %s", a ? a : "(none)");
    lua_getfield(L, -2, "after_bytes");
    if (lua_isinteger(L, -1)) r->after_bytes = lua_tointeger(L, -1) < 0 ? 0 : lua_tointeger(L, -1);
    lua_getfield(L, -3, "stall_seconds");
    r->stall_seconds = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : 30;
    if (r->fault == F_TRUNCATE && r->after_bytes < 0) r->after_bytes = 0;
    lua_pop(L, 3);
  }
  lua_pop(L, 1);

  lua_getfield(L, idx, "parts");
  if (lua_istable(L, -1)) {
    char boundary[80], uuid[37];
    lua_getfield(L, idx, "boundary");
    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) < 70) {
      snprintf(boundary, sizeof boundary, "%s", lua_tostring(L, -1));
    } else {
      if (dg_uuid4(uuid)) luaL_error(L, "no randomness for a multipart boundary");
      snprintf(boundary, sizeof boundary, "datagrok-%s", uuid);
    }
    lua_getfield(L, idx, "multipart");
    const char *sub = lua_isstring(L, -1) ? lua_tostring(L, -1) : "form-data";
    char ct[160];
    snprintf(ct, sizeof ct, "multipart/%s; boundary=%s", sub, boundary);
    reply_header(r, "Content-Type", ct);
    lua_pop(L, 2);
    r->kind = R_PARTS;
    copy_parts(L, lua_gettop(L), r, boundary);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "file");
  if (lua_type(L, -1) == LUA_TSTRING) {
    r->kind = R_FILE;
    if (!(r->file = dup_mem(lua_tostring(L, -1), lua_rawlen(L, -1))))
      dg_error_oom(L);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "body");
  r->kind = R_BODY;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n;
    const char *b = lua_tolstring(L, -1, &n);
    if (!(r->body = dup_mem(b, n))) dg_error_oom(L);
    r->body_len = n;
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "response body must be a string");
  }
  lua_pop(L, 1);
}

/* ---- calling Lua ---------------------------------------------------------- */

/* Everything dispatch() needs, gathered in C before the Lua call. */
typedef struct call {
  dg_emulator *emu;
  const char *method;
  const dg_buf *path;   /* normalized; may hold a NUL (%00), so it travels with its length */
  dg_buf *query_raw;    /* reconstructed "k=v&k2=v2" as sent */
  dg_buf *args;         /* decoded pairs (see add_pair) */
  dg_buf *headers;      /* pairs, names lower-cased */
  request *rq;
  const char *fn;       /* the server's method: "handle", or "precheck" (may answer nil) */
  reply *out;
  int replied;          /* fn returned a response (copied into *out) */
} call;

/*
** Pairs are stored length-prefixed (a size_t, then the bytes; key then value), because
** a decoded query argument may contain any byte, NUL included.
*/
static void add_string(dg_buf *b, const char *s, size_t n) {
  dg_buf_add(b, &n, sizeof n);
  dg_buf_add(b, s, n);
}

static const char *next_string(const dg_buf *b, size_t *o, size_t *n) {
  memcpy(n, b->data + *o, sizeof *n);
  const char *s = b->data + *o + sizeof *n;
  *o += sizeof *n + *n;
  return s;
}

/* Pushes a table {key = value} of the pairs in b (a repeated key keeps its last value). */
static void push_pairs(lua_State *L, const dg_buf *b) {
  lua_newtable(L);
  for (size_t o = 0; o < b->len;) {
    size_t kl, vl;
    const char *k = next_string(b, &o, &kl);
    const char *v = next_string(b, &o, &vl);
    lua_pushlstring(L, k, kl);
    lua_pushlstring(L, v, vl);
    lua_rawset(L, -3);
  }
}

/* Runs under lua_pcall: builds the request table, calls server:<c->fn>(req), copies the reply. */
static int dispatch(lua_State *L) {
  call *c = lua_touserdata(L, 1);
  int precheck = strcmp(c->fn, "precheck") == 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->emu->server_ref);
  lua_getfield(L, -1, c->fn);
  lua_insert(L, -2);
  lua_createtable(L, 0, 10);
  lua_pushstring(L, c->method);
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, c->path->data, c->path->len);
  lua_setfield(L, -2, "path");
  lua_pushlstring(L, c->query_raw->data ? c->query_raw->data : "", c->query_raw->len);
  lua_setfield(L, -2, "query");
  push_pairs(L, c->args);
  lua_setfield(L, -2, "args");
  push_pairs(L, c->headers);
  lua_setfield(L, -2, "headers");
  if (precheck) { /* no body yet */
    lua_call(L, 2, 1);
    if (lua_isnil(L, -1)) return 0;
    copy_reply(L, lua_gettop(L), c->out);
    c->replied = 1;
    return 0;
  }
  lua_pushinteger(L, (lua_Integer)c->rq->body_len);
  lua_setfield(L, -2, "body_size");
  if (c->rq->spool_path) {
    lua_pushstring(L, c->rq->spool_path);
    lua_setfield(L, -2, "body_file");
  } else {
    lua_pushlstring(L, c->rq->body.data ? c->rq->body.data : "", c->rq->body.len);
    lua_setfield(L, -2, "body");
  }
  lua_call(L, 2, 1);
  copy_reply(L, lua_gettop(L), c->out);
  c->replied = 1;
  return 0;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* MHD key/value iterators: copy into a dg_buf (no Lua inside MHD frames). */
static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
  dg_buf *b = cls;
  (void)kind;
  char name[128];
  size_t n = 0;
  for (const char *k = key; *k && n < sizeof name; k++)
    name[n++] = (char)(*k >= 'A' && *k <= 'Z' ? *k + 32 : *k);
  add_string(b, name, n);
  add_string(b, value ? value : "", value ? strlen(value) : 0);
  return MHD_YES;
}

typedef struct query_bufs { dg_buf *raw, *args; } query_bufs;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
  query_bufs *q = cls;
  (void)kind;
  if (q->raw->len) dg_buf_addc(q->raw, '&');
  dg_buf_adds(q->raw, key);
  if (value) {
    dg_buf_addc(q->raw, '=');
    dg_buf_adds(q->raw, value);
  }
  dg_buf d;
  dg_buf_init(&d);
  pct_decode(&d, key, strlen(key), 1);
  add_string(q->args, d.data ? d.data : "", d.len);
  dg_buf_reset(&d);
  if (value) pct_decode(&d, value, strlen(value), 1);
  add_string(q->args, d.data ? d.data : "", d.len);
  if (d.failed) q->args->failed = 1;
  dg_buf_free(&d);
  return MHD_YES;
}

/* ---- streaming ------------------------------------------------------------ */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  stream *s = cls;
  (void)pos;
  if (s->limit >= 0 && s->pos >= (uint64_t)s->limit) {
    if (!s->stall) return MHD_CONTENT_READER_END_WITH_ERROR;
    int st = stall_state(s->emu, &s->stall_state);
    if (st == STALL_NONE) {
      if (stall_add(s->emu, s->con, &s->stall_state, s->stall_seconds))
        return MHD_CONTENT_READER_END_WITH_ERROR;
      return 0;
    }
    return st == STALL_ACTIVE ? 0 : MHD_CONTENT_READER_END_WITH_ERROR;
  }
  if (s->limit >= 0 && (uint64_t)max > (uint64_t)s->limit - s->pos)
    max = (size_t)((uint64_t)s->limit - s->pos);
  size_t got = 0; /* fill the buffer across segments: fewer, larger writes */
  while (s->idx < s->nsegs && got < max) {
    segment *g = &s->segs[s->idx];
    if (s->off >= g->size) {
      if (s->fd >= 0) close(s->fd);
      s->fd = -1;
      s->idx++;
      s->off = 0;
      continue;
    }
    uint64_t left = g->size - s->off;
    size_t n = left < max - got ? (size_t)left : max - got;
    if (g->mem) {
      memcpy(buf + got, g->mem + s->off, n);
    } else {
      if (s->fd < 0 && (s->fd = open(g->file, O_RDONLY | O_CLOEXEC)) < 0)
        return got ? (ssize_t)got : MHD_CONTENT_READER_END_WITH_ERROR;
      ssize_t r = pread(s->fd, buf + got, n, (off_t)s->off);
      if (r <= 0) /* an error, or the file shrank: the promised length cannot be kept */
        return got ? (ssize_t)got : MHD_CONTENT_READER_END_WITH_ERROR;
      n = (size_t)r;
    }
    s->off += n;
    s->pos += n;
    got += n;
  }
  return got ? (ssize_t)got : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls) {
  stream *s = cls;
  if (s->fd >= 0) close(s->fd);
  segments_free(s->segs, s->nsegs);
  free(s);
}

/* Moves the body of r into segments (for faults on plain responses). */
static int reply_to_segments(reply *r) {
  if (r->kind == R_BODY) {
    segment *g = add_segment(r);
    if (!g) return -1;
    g->mem = r->body;
    g->size = r->body_len;
    r->body = NULL;
    if (!g->mem && !(g->mem = dup_mem("", 0))) return -1;
  } else if (r->kind == R_FILE) {
    struct stat st;
    if (stat(r->file, &st)) return -1;
    segment *g = add_segment(r);
    if (!g) return -1;
    g->file = r->file;
    g->size = (uint64_t)st.st_size;
    r->file = NULL;
  }
  r->kind = R_PARTS;
  return 0;
}

/* Builds the MHD response for r (NULL on failure). */
static struct MHD_Response *make_response(dg_emulator *e, struct MHD_Connection *con, reply *r) {
  struct MHD_Response *resp = NULL;
  if (r->fault == F_STALL || r->fault == F_TRUNCATE) {
    if (r->kind != R_PARTS && reply_to_segments(r)) return NULL;
  }
  if (r->kind == R_BODY) {
    char *body = r->body ? r->body : dup_mem("", 0);
    if (!body) return NULL;
    resp = MHD_create_response_from_buffer(r->body_len, body, MHD_RESPMEM_MUST_FREE);
    if (resp) r->body = NULL;
    else if (body != r->body) free(body);
  } else if (r->kind == R_FILE) {
    int fd = open(r->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
      close(fd);
      return NULL;
    }
    resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) close(fd);
  } else {
    stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->emu = e;
    s->con = con;
    s->fd = -1;
    s->segs = r->segs;
    s->nsegs = r->nsegs;
    for (size_t i = 0; i < s->nsegs; i++) s->total += s->segs[i].size;
    s->limit = (r->fault == F_STALL || r->fault == F_TRUNCATE) ? r->after_bytes : -1;
    if (s->limit >= 0 && (uint64_t)s->limit > s->total) s->limit = (int64_t)s->total;
    s->stall = r->fault == F_STALL;
    s->stall_seconds = r->stall_seconds;
    resp = MHD_create_response_from_callback(s->total, 64 * 1024, stream_read, s, stream_free);
    if (!resp) {
      free(s);
      return NULL;
    }
    r->segs = NULL; /* owned by the stream now */
    r->nsegs = r->capsegs = 0;
  }
  if (!resp) return NULL;
  for (size_t o = 0; o < r->headers.len;) {
    const char *k = r->headers.data + o;
    const char *v = k + strlen(k) + 1;
    MHD_add_response_header(resp, k, v);
    o = (size_t)(v - r->headers.data) + strlen(v) + 1;
  }
  return resp;
}

/*
** Asks the Lua server's `fn` ("handle" or "precheck") about the request and fills *r.
** Returns 1 when there is an answer in *r (always for "handle": a failure becomes a 500),
** 0 when "precheck" let the request through.
*/
static int ask_lua(dg_emulator *e, struct MHD_Connection *con, request *rq, const char *url,
                   const char *method, const char *fn, reply *r) {
  dg_buf path, raw, args, headers;
  dg_buf_init(&path);
  dg_buf_init(&raw);
  dg_buf_init(&args);
  dg_buf_init(&headers);
  normalize_path(&path, url);
  query_bufs qb = {&raw, &args};
  MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, collect_arg, &qb);
  MHD_get_connection_values(con, MHD_HEADER_KIND, collect_header, &headers);
  int answered = 1;
  if (path.failed || raw.failed || args.failed || headers.failed) {
    reply_api_error(r, 500, "out of memory reading the request");
  } else if (rq->spool_errno) {
    reply_api_error(r, 500, "the emulator could not store the request body");
  } else {
    call c = {e, method, &path, &raw, &args, &headers, rq, fn, r, 0};
    lua_State *L = e->L;
    lua_settop(L, 0);
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, dispatch);
    lua_pushlightuserdata(L, &c);
    if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
      dg_log(L, DG_LOG_ERROR, "emulator", "%s %s: %s", method, path.data, lua_tostring(L, -1));
      reply_free(r);
      reply_init(r);
      reply_api_error(r, 500, "internal emulator error (see the emulator's log)");
    } else {
      answered = c.replied;
    }
    lua_settop(L, 0);
  }
  if (rq->spool_path) { /* the handler has moved it into place, or it is not wanted */
    unlink(rq->spool_path);
    free(rq->spool_path);
    rq->spool_path = NULL;
  }
  dg_buf_free(&path);
  dg_buf_free(&raw);
  dg_buf_free(&args);
  dg_buf_free(&headers);
  return answered;
}

/* Queues the answer in *r (or injects its fault), then frees *r. */
static enum MHD_Result send_reply(dg_emulator *e, struct MHD_Connection *con, request *rq,
                                  reply *r) {
  enum MHD_Result res = MHD_NO;
  if (r->fault == F_RESET) {
    res = MHD_NO; /* MHD closes the connection without a response */
  } else if (r->fault == F_STALL && r->after_bytes < 0) {
    res = stall_add(e, con, &rq->stall, r->stall_seconds) ? MHD_NO : MHD_YES;
  } else {
    struct MHD_Response *resp = make_response(e, con, r);
    if (!resp) {
      reply_api_error(r, 500, "the emulator could not build the response");
      resp = make_response(e, con, r);
    }
    if (resp) {
      res = MHD_queue_response(con, (unsigned)r->status, resp);
      MHD_destroy_response(resp);
    }
  }
  reply_free(r);
  return res;
}

/* The last call for a request: asks Lua, then answers (or injects the fault). */
static enum MHD_Result respond(dg_emulator *e, struct MHD_Connection *con, request *rq,
                               const char *url, const char *method) {
  reply r;
  reply_init(&r);
  ask_lua(e, con, rq, url, method, "handle", &r);
  return send_reply(e, con, rq, &r);
}

/* Whether the request announces a body (a Content-Length above 0, or chunked). */
static int has_body(struct MHD_Connection *con) {
  const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char *te = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  if (te && *te) return 1;
  return cl && strspn(cl, " 0") != strlen(cl);
}

/* Appends n bytes to the spool file (a failure is kept in rq->spool_errno). */
static void spool_write(request *rq, const char *p, size_t n) {
  while (n > 0 && !rq->spool_errno) {
    ssize_t w = write(rq->spool_fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      rq->spool_errno = errno;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Stores a piece of the request body: in memory up to SPOOL_THRESHOLD, then in a file. */
static void take_body(dg_emulator *e, request *rq, const char *data, size_t n) {
  if (rq->spool_errno) return;
  rq->body_len += n;
  if (rq->spool_fd < 0 && rq->body.len + n <= SPOOL_THRESHOLD) {
    if (dg_buf_add(&rq->body, data, n)) rq->spool_errno = ENOMEM;
    return;
  }
  if (rq->spool_fd < 0) {
    size_t plen = strlen(e->spool_dir) + 32;
    if (!(rq->spool_path = malloc(plen))) {
      rq->spool_errno = ENOMEM;
      return;
    }
    snprintf(rq->spool_path, plen, "%s/upload-XXXXXX", e->spool_dir);
    if ((rq->spool_fd = mkstemp(rq->spool_path)) < 0) {
      rq->spool_errno = errno;
      free(rq->spool_path);
      rq->spool_path = NULL;
      return;
    }
    spool_write(rq, rq->body.data, rq->body.len);
    dg_buf_free(&rq->body);
  }
  spool_write(rq, data, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
  dg_emulator *e = cls;
  request *rq = *con_cls;
  (void)version;
  if (!rq) {
    if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
    dg_buf_init(&rq->body);
    rq->spool_fd = -1;
    *con_cls = rq;
    /* a request in progress may be quiet for longer than an idle connection */
    MHD_set_connection_option(con, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)REQUEST_TIMEOUT);
    if (has_body(con)) {
      /* refuse a request that fails authentication before reading (or spooling) its body */
      reply r;
      reply_init(&r);
      if (ask_lua(e, con, rq, url, method, "precheck", &r)) {
        rq->answered = 1;
        return send_reply(e, con, rq, &r);
      }
      reply_free(&r);
    }
    return MHD_YES;
  }
  if (rq->answered) { /* answered before the body: whatever still comes is dropped */
    *upload_size = 0;
    return MHD_YES;
  }
  if (*upload_size) {
    take_body(e, rq, upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  int st = stall_state(e, &rq->stall);
  if (st == STALL_OVER) return MHD_NO;
  if (st == STALL_ACTIVE) return MHD_YES;
  if (rq->spool_fd >= 0) {
    close(rq->spool_fd);
    rq->spool_fd = -1;
  }
  return respond(e, con, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  request *rq = *con_cls;
  (void)cls; (void)toe;
  if (!rq) return;
  if (con) MHD_set_connection_option(con, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT);
  if (rq->spool_fd >= 0) close(rq->spool_fd);
  if (rq->spool_path) { /* a request that never got its answer */
    unlink(rq->spool_path);
    free(rq->spool_path);
  }
  dg_buf_free(&rq->body);
  free(rq);
  *con_cls = NULL;
}

/* Counts open connections (MHD's thread). */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  dg_emulator *e = cls;
  (void)con; (void)socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) e->connections++;
  else if (code == MHD_CONNECTION_NOTIFY_CLOSED) e->connections--;
}

/* Refuses a new connection at once (closed, nothing sent) while MAX_CONNECTIONS are open. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
  dg_emulator *e = cls;
  (void)addr; (void)addrlen;
  return e->connections < MAX_CONNECTIONS ? MHD_YES : MHD_NO;
}

/* Leaves the URL as sent: the emulator decodes paths and arguments itself. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls; (void)c;
  return strlen(s);
}

/* ---- start and stop --------------------------------------------------------- */

/* The emulator's Lua modules (lua/datagrok/emulator/), generated by cmake/embed_lua.cmake. */
extern const dg_embedded_module dg_emulator_lua_modules[];

/* Registers what the emulator's own state can require: the binding's modules and its own. */
static void preload(lua_State *L, int use_env) {
  static const luaL_Reg own[] = {{"datagrok.emulator.fs", luaopen_datagrok_emulator_fs},
                                 {"datagrok.emulator.token", luaopen_datagrok_emulator_token},
                                 {NULL, NULL}};
  dg_preload_state(L, own, dg_emulator_lua_modules, use_env);
}

/* Runs under lua_pcall: opens the state and creates the Lua server object. */
static int init_lua(lua_State *L) {
  dg_emulator *e = lua_touserdata(L, 1);
  const dg_emulator_opts *o = lua_touserdata(L, 2);
  luaL_openlibs(L);
  preload(L, o->use_env);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "datagrok.emulator");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  lua_createtable(L, 0, 6);
  lua_pushstring(L, e->data_dir);
  lua_setfield(L, -2, "data");
  lua_pushstring(L, e->key);
  lua_setfield(L, -2, "key");
  lua_pushstring(L, e->url);
  lua_setfield(L, -2, "url");
  lua_pushboolean(L, o->demo);
  lua_setfield(L, -2, "demo");
  lua_pushboolean(L, o->faults);
  lua_setfield(L, -2, "faults");
  lua_call(L, 1, 1);
  e->server_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* Reads a whole (small, PEM) file into *out; returns 0 or an errno. */
static int read_small_file(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno;
  dg_buf b;
  dg_buf_init(&b);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1u << 20)) dg_buf_add(&b, chunk, n);
  int err = ferror(f) ? EIO : b.failed ? ENOMEM : b.len >= (1u << 20) ? EFBIG : 0;
  fclose(f);
  if (!err && dg_buf_addc(&b, '\0')) err = ENOMEM;
  if (err) {
    dg_buf_free(&b);
    return err;
  }
  *out = b.data;
  return 0;
}

/* Binds 127.0.0.1:port and listens; returns the socket or -1 (errno set). */
static int listen_loopback(int port, int *bound_port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 128) ||
      getsockname(fd, (struct sockaddr *)&sa, &len)) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  *bound_port = ntohs(sa.sin_port);
  return fd;
}

/* The steps of dg_emulator_start: each returns 0, or -1 with a message in err. */

/* The key clients must send: the given one, or 64 random hex digits. */
static int make_key(dg_emulator *e, const dg_emulator_opts *o, char *err, size_t errlen) {
  if (o->key && *o->key) {
    e->key = strdup(o->key);
  } else {
    char a[37], b[37];
    if (dg_uuid4(a) || dg_uuid4(b)) {
      snprintf(err, errlen, "no randomness available for a key");
      return -1;
    }
    if ((e->key = malloc(65))) { /* 64 hex digits, dashes dropped */
      size_t k = 0;
      for (const char *p = a; *p; p++) if (*p != '-') e->key[k++] = *p;
      for (const char *p = b; *p; p++) if (*p != '-') e->key[k++] = *p;
      e->key[k] = '\0';
    }
  }
  if (!e->key) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* The data directory (given, or a fresh temporary one) and its spool directory, 0700. */
static int make_dirs(dg_emulator *e, const dg_emulator_opts *o, char *err, size_t errlen) {
  if (o->data_dir) {
    e->data_dir = strdup(o->data_dir);
    if (e->data_dir && mkdir(e->data_dir, 0700) && errno != EEXIST) {
      snprintf(err, errlen, "cannot create the data directory %s: %s", o->data_dir, strerror(errno));
      return -1;
    }
  } else {
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/datagrok-emulator-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
      snprintf(err, errlen, "cannot create a temporary data directory: %s", strerror(errno));
      return -1;
    }
    e->data_dir = strdup(tmpl);
    e->temp_data = 1;
  }
  size_t sl = e->data_dir ? strlen(e->data_dir) + 8 : 0;
  if (!e->data_dir || !(e->spool_dir = malloc(sl))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  snprintf(e->spool_dir, sl, "%s/tmp", e->data_dir);
  if (mkdir(e->spool_dir, 0700) && errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", e->spool_dir, strerror(errno));
    return -1;
  }
  return 0;
}

/* The certificate and key for https, when both are given. */
static int read_tls(dg_emulator *e, const dg_emulator_opts *o, char *err, size_t errlen) {
  if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
    snprintf(err, errlen, "https needs both a certificate and its key");
    return -1;
  }
  if (!o->tls_cert) return 0;
  int rc = read_small_file(o->tls_cert, &e->tls_cert);
  if (rc) {
    snprintf(err, errlen, "cannot read the certificate %s: %s", o->tls_cert, strerror(rc));
    return -1;
  }
  if ((rc = read_small_file(o->tls_key, &e->tls_key))) {
    snprintf(err, errlen, "cannot read the private key %s: %s", o->tls_key, strerror(rc));
    return -1;
  }
  return 0;
}

/* The emulator's own Lua state, with its modules and the server object. */
static int start_lua(dg_emulator *e, const dg_emulator_opts *o, char *err, size_t errlen) {
  if (!(e->L = luaL_newstate())) {
    snprintf(err, errlen, "cannot create the Lua state: out of memory");
    return -1;
  }
  lua_pushcfunction(e->L, traceback);
  lua_pushcfunction(e->L, init_lua);
  lua_pushlightuserdata(e->L, e);
  lua_pushlightuserdata(e->L, (void *)o);
  if (lua_pcall(e->L, 2, 0, 1) != LUA_OK) {
    snprintf(err, errlen, "the emulator's Lua half failed: %s", lua_tostring(e->L, -1));
    return -1;
  }
  lua_settop(e->L, 0);
  return 0;
}

/*
** The waker thread and libmicrohttpd's polling thread on the listening socket
** lfd (owned by the daemon once it started). The threads inherit a mask blocking
** SIGINT/SIGTERM (they belong to the main thread: the script's Ctrl-C, the
** command's sigwait) and SIGPIPE (a write to a closed connection, sendfile
** included, fails with EPIPE instead of killing us).
*/
static int start_threads(dg_emulator *e, int lfd, char *err, size_t errlen) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  struct MHD_OptionItem tls[] = {
    {MHD_OPTION_HTTPS_MEM_CERT, 0, e->tls_cert},
    {MHD_OPTION_HTTPS_MEM_KEY, 0, e->tls_key},
    {MHD_OPTION_END, 0, NULL}};
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
  if (e->tls_cert) flags |= MHD_USE_TLS;
  else tls[0].option = MHD_OPTION_END;
  if (pthread_create(&e->waker, NULL, waker_main, e) == 0) e->waker_started = 1;
  if (e->waker_started)
    e->daemon = MHD_start_daemon(
      flags, 0, accept_policy, e, on_request, e, MHD_OPTION_ARRAY, tls,
      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)e,
      MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, (void *)e,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)e,
      /* MHD's own limit is never reached (accept_policy refuses first): at its limit MHD
         stops accepting, and new connections would wait in the backlog instead */
      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(MAX_CONNECTIONS + 64),
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT, MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!e->waker_started) {
    snprintf(err, errlen, "cannot start a thread");
    return -1;
  }
  if (!e->daemon) {
    snprintf(err, errlen, "libmicrohttpd could not start%s",
             e->tls_cert ? " (is the certificate or key malformed?)" : "");
    return -1;
  }
  return 0;
}

dg_emulator *dg_emulator_start(const dg_emulator_opts *o, char *err, size_t errlen) {
  /* the first emulator opens libmicrohttpd and libcrypto (its session tokens) */
  if (dg_mhd_load(err, errlen) != 0 || dg_crypto_load(err, errlen) != 0) return NULL;
  dg_emulator *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  e->server_ref = LUA_NOREF;
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cv, &ca);
  pthread_condattr_destroy(&ca);
  int lfd = -1, port = 0;
  if (make_key(e, o, err, errlen) || make_dirs(e, o, err, errlen) || read_tls(e, o, err, errlen))
    goto fail;
  if ((lfd = listen_loopback(o->port, &port)) < 0) {
    snprintf(err, errlen, "cannot listen on 127.0.0.1:%d: %s", o->port, strerror(errno));
    goto fail;
  }
  snprintf(e->url, sizeof e->url, "%s://127.0.0.1:%d", e->tls_cert ? "https" : "http", port);
  if (start_lua(e, o, err, errlen) || start_threads(e, lfd, err, errlen)) goto fail;
  return e;

fail:
  if (lfd >= 0 && !e->daemon) close(lfd);
  dg_emulator_stop(e);
  return NULL;
}

const char *dg_emulator_url(const dg_emulator *e) { return e->url; }
const char *dg_emulator_key(const dg_emulator *e) { return e->key; }
void dg_emulator_stop(dg_emulator *e) {
  if (!e) return;
  pthread_mutex_lock(&e->mu);
  e->stopping = 1;
  stalls_resume(e, 1); /* MHD must not be stopped with suspended connections */
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
  if (e->waker_started) pthread_join(e->waker, NULL);
  if (e->daemon) MHD_stop_daemon(e->daemon);
  if (e->L) lua_close(e->L);
  if (e->temp_data && e->data_dir) dg_emulator_remove_tree(e->data_dir);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e->spool_dir);
  free(e->data_dir);
  free(e->tls_cert);
  if (e->tls_key) {
    memset(e->tls_key, 0, strlen(e->tls_key));
    free(e->tls_key);
  }
  if (e->key) {
    memset(e->key, 0, strlen(e->key));
    free(e->key);
  }
  free(e);
}

/* ---- the `emulate` command -------------------------------------------------- */

/* Prints a problem (what [arg]; none when what is NULL) and the usage; returns 2. */
static int emulate_usage(FILE *out, const char *progname, const char *what, const char *arg) {
  if (what) fprintf(out, "%s emulate: %s%s%s\n", progname, what, arg ? " " : "", arg ? arg : "");
  fprintf(out,
          "usage: %s emulate [--port N] [--data DIR] [--key KEY] [--demo] [--faults]\n"
          "                  [--tls-cert PEM --tls-key PEM]\n"
          "  --port N     listen on 127.0.0.1:N (default: a free port)\n"
          "  --data DIR   keep the state in DIR (default: a temporary directory)\n"
          "  --key KEY    the API key clients must send (default: a random key)\n"
          "  --demo       seed demo users, groups, the demog table and System:DemoFiles\n"
          "  --faults     enable fault injection and request recording (/_emulator/...)\n"
          "  --tls-cert PEM, --tls-key PEM  serve https with this certificate and key\n",
          progname);
  return 2;
}

int dg_emulator_command(int argc, char **argv, const char *progname) {
  dg_emulator_opts o;
  memset(&o, 0, sizeof o);
  o.use_env = 1;
  enum { E_PORT, E_DATA, E_KEY, E_TLS_CERT, E_TLS_KEY, E_DEMO, E_FAULTS, E_HELP };
  static const dg_longopt opts[] = {
    {"--port", 1, E_PORT}, {"--data", 1, E_DATA}, {"--key", 1, E_KEY},
    {"--tls-cert", 1, E_TLS_CERT}, {"--tls-key", 1, E_TLS_KEY}, {"--demo", 0, E_DEMO},
    {"--faults", 0, E_FAULTS}, {"--help", 0, E_HELP}, {NULL, 0, 0}};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val;
    int id = dg_longopt_match(opts, argc, argv, &i, &val);
    switch (id) {
      case E_PORT: {
        char *end;
        long p = strtol(val, &end, 10);
        if (!*val || *end || p < 0 || p > 65535)
          return emulate_usage(stderr, progname, "--port needs a number 0..65535, not", val);
        o.port = (int)p;
        break;
      }
      case E_DATA: o.data_dir = val; break;
      case E_KEY:
        if (!*val) return emulate_usage(stderr, progname, "--key must not be empty", NULL);
        o.key = val;
        break;
      case E_TLS_CERT: o.tls_cert = val; break;
      case E_TLS_KEY: o.tls_key = val; break;
      case E_DEMO: o.demo = 1; break;
      case E_FAULTS: o.faults = 1; break;
      case E_HELP: emulate_usage(stdout, progname, NULL, NULL); return 0;
      case DG_LONGOPT_MISSING: return emulate_usage(stderr, progname, "missing value for", a);
      case DG_LONGOPT_EXTRA: return emulate_usage(stderr, progname, "takes no value:", a);
      default: return emulate_usage(stderr, progname, "unrecognized argument", a);
    }
  }
  if ((o.tls_cert != NULL) != (o.tls_key != NULL))
    return emulate_usage(stderr, progname, "--tls-cert and --tls-key go together", NULL);
  /* SIGINT/SIGTERM are taken by sigwait below; the server threads inherit the mask */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  char err[512];
  dg_emulator *e = dg_emulator_start(&o, err, sizeof err);
  if (!e) {
    fprintf(stderr, "%s emulate: %s\n", progname, err);
    return 1;
  }
  printf("DATAGROK_URL=%s\nDATAGROK_API_KEY=%s\n", dg_emulator_url(e), dg_emulator_key(e));
  fflush(stdout);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  dg_emulator_stop(e);
  return 0;
}
