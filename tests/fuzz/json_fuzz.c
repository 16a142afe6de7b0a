/*
** json_fuzz.c: libFuzzer target for the JSON text parser and the string escaper
** (src/codec/json_parse.c, src/codec/json_write.c). It links only the base and
** codec libraries: no Lua.
** Checks: a parse either succeeds or fails with a message that names a line and
** column; a parsed document written back as canonical JSON (compact, strings
** escaped by dg_json_write_string, numbers by base/numfmt) parses again, and
** writing that gives the same bytes (a fixed point). Documents holding a number
** beyond double's range (written "inf") are only checked for the first parse.
*/
#include "json_parse.h"
#include "json_write.h"
#include "numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  dg_buf out;
  int depth;        /* containers open */
  int first[DG_JSON_MAX_DEPTH + 2]; /* no member/item written yet at this depth */
  int key_pending;  /* a key was written: the next value follows ':' */
  int nonfinite;
} writer;

/* Writes the separator a value needs in its container. */
static void before_value(writer *w) {
  if (w->key_pending) {
    w->key_pending = 0;
    return;
  }
  if (w->depth > 0) {
    if (!w->first[w->depth]) dg_buf_addc(&w->out, ',');
    w->first[w->depth] = 0;
  }
}

static int on_null(void *ctx) {
  writer *w = ctx;
  before_value(w);
  return dg_buf_adds(&w->out, "null");
}
static int on_boolean(void *ctx, int v) {
  writer *w = ctx;
  before_value(w);
  return dg_buf_adds(&w->out, v ? "true" : "false");
}
static int on_integer(void *ctx, int64_t v) {
  writer *w = ctx;
  char s[24];
  before_value(w);
  return dg_buf_add(&w->out, s, dg_fmt_int(v, s));
}
static int on_number(void *ctx, double v) {
  writer *w = ctx;
  char s[32];
  before_value(w);
  if (!isfinite(v)) w->nonfinite = 1;
  return dg_buf_add(&w->out, s, dg_fmt_double(v, s));
}
static int on_string(void *ctx, const char *s, size_t n) {
  writer *w = ctx;
  before_value(w);
  return dg_json_write_string(&w->out, s, n, 0);
}
static int open_container(writer *w, char c) {
  before_value(w);
  if (w->depth > DG_JSON_MAX_DEPTH) abort(); /* the parser must stop nesting first */
  w->depth++;
  w->first[w->depth] = 1;
  return dg_buf_addc(&w->out, c);
}
static int close_container(writer *w, char c) {
  if (w->depth <= 0) abort();
  w->depth--;
  return dg_buf_addc(&w->out, c);
}
static int on_begin_array(void *ctx) { return open_container(ctx, '['); }
static int on_end_array(void *ctx) { return close_container(ctx, ']'); }
static int on_begin_object(void *ctx) { return open_container(ctx, '{'); }
static int on_end_object(void *ctx) { return close_container(ctx, '}'); }
static int on_item(void *ctx, size_t index) {
  if (index == 0) abort();
  return 0;
}
static int on_member(void *ctx) { return 0; }
static int on_key(void *ctx, const char *s, size_t n) {
  writer *w = ctx;
  before_value(w);
  if (dg_json_write_string(&w->out, s, n, 0)) return -1;
  w->key_pending = 1;
  return dg_buf_addc(&w->out, ':');
}

static const dg_json_handler canonical = {
    on_null, on_boolean, on_integer, on_number, on_string, on_begin_array, on_item,
    on_end_array, on_begin_object, on_key, on_member, on_end_object};

/* Parses text and writes it canonically into w->out; returns the parse result. */
static int rewrite(const char *text, size_t len, writer *w, char *err, size_t errlen) {
  dg_buf scratch;
  dg_buf_init(&scratch);
  memset(w, 0, sizeof *w);
  dg_buf_init(&w->out);
  int rc = dg_json_parse(text, len, &canonical, w, &scratch, err, errlen);
  dg_buf_free(&scratch);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[200];
  writer a, b;
  if (rewrite((const char *)data, size, &a, err, sizeof err) != 0) {
    /* a refusal says what and where */
    if (!err[0] || !strstr(err, "line ")) abort();
    dg_buf_free(&a.out);
    return 0;
  }
  if (a.depth != 0 || a.out.failed) abort();
  if (!a.nonfinite) {
    if (rewrite(a.out.data ? a.out.data : "", a.out.len, &b, err, sizeof err) != 0) abort();
    if (b.out.len != a.out.len || memcmp(a.out.data, b.out.data, a.out.len) != 0) abort();
    dg_buf_free(&b.out);
  }
  dg_buf_free(&a.out);
  return 0;
}
