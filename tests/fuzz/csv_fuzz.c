/*
** csv_fuzz.c: libFuzzer target for the CSV parser and writer (src/codec/csv.c).
** Input layout: byte 0 picks the chunk size (1..256), the rest is CSV fed in
** chunks of that size. Checks: a parse either fails with a message and a place
** or gives a well-formed frame; the parallel parser (2 threads, parts of 1 to 13
** bytes, so that most rows are parts of their own) gives the same error, line and
** column or an identical frame, and the parallel writer (2 threads, batches of
** about a row) writes the serial writer's bytes; writing that frame and
** parsing the text again gives the same shape, and writing again gives the same
** bytes (a fixed point).
** Not checked for one-column frames, where a whitespace-only cell or name is
** written bare and read back as a blank line, nor when the first name starts
** with U+FEFF, which reads back as a BOM: both as with pandas.
*/
#include "csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int to_buf(void *ctx, const char *data, size_t n) {
  return dg_buf_add(ctx, data, n);
}

typedef struct {
  char msg[256];
  size_t line, col;
} parse_error;

/*
** Parses text in chunks with threads (1: serial) and parts of block bytes; NULL
** when it is rejected (the error must be described, and is copied to *err).
*/
static dg_frame *parse_with(const char *text, size_t len, size_t chunk, int threads, size_t block,
                            parse_error *err) {
  dg_csv *p = dg_csv_new();
  if (!p) abort();
  dg_csv_set_parallel(p, threads, block);
  for (size_t off = 0; off < len; off += chunk) {
    size_t k = len - off < chunk ? len - off : chunk;
    if (dg_csv_feed(p, text + off, k) < 0) break;
  }
  dg_frame *f = NULL;
  if (dg_csv_finish(p) == 0) {
    f = dg_csv_take(p);
    if (!f) abort();
  } else {
    const char *msg = dg_csv_error(p);
    dg_csv_error_at(p, &err->line, &err->col);
    if (!msg || !*msg || err->line == 0 || err->col == 0) abort();
    snprintf(err->msg, sizeof err->msg, "%s", msg);
  }
  dg_csv_free(p);
  return f;
}

static dg_frame *parse(const char *text, size_t len, size_t chunk) {
  parse_error err;
  return parse_with(text, len, chunk, 1, 0, &err);
}

/* a and b hold the same names, types, missing cells and values. */
static int same_frame(const dg_frame *a, const dg_frame *b) {
  if (a->ncols != b->ncols || a->nrows != b->nrows) return 0;
  for (size_t j = 0; j < a->ncols; j++) {
    const dg_column *x = &a->cols[j], *y = &b->cols[j];
    if (strcmp(x->name, y->name) != 0 || x->type != y->type) return 0;
    for (size_t r = 0; r < a->nrows; r++) {
      if (dg_column_missing(x, r) != dg_column_missing(y, r)) return 0;
      if (x->type == DG_STRING) {
        size_t n1, n2;
        const char *s1 = dg_column_str(x, r, &n1), *s2 = dg_column_str(y, r, &n2);
        if (n1 != n2 || memcmp(s1, s2, n1) != 0) return 0;
      } else if (x->type == DG_BOOL) {
        if (((const uint8_t *)x->data)[r] != ((const uint8_t *)y->data)[r]) return 0;
      } else if (memcmp((const char *)x->data + r * 8, (const char *)y->data + r * 8, 8) != 0) {
        return 0;
      }
    }
  }
  return 1;
}

/* Writes f with the parallel writer in batches of about one row on 2 threads. */
static int write_parallel(const dg_frame *f, dg_buf *out) {
  dg_csv_writer w;
  dg_buf chunk;
  dg_buf_init(&chunk);
  dg_csv_writer_init(&w, f);
  w.threads = 2;
  w.min_rows = 2;
  w.batch = 1;
  int rc;
  while ((rc = dg_csv_writer_next(&w, &chunk)) == 1) {
    if (dg_buf_add(out, chunk.data, chunk.len) < 0) rc = -1;
    dg_buf_reset(&chunk);
    if (rc < 0) break;
  }
  dg_csv_writer_free(&w);
  dg_buf_free(&chunk);
  return rc;
}

/* The parallel parser agrees with the serial one on text: the frame or the error. */
static void check_parallel(const char *text, size_t len, size_t chunk, const dg_frame *serial,
                           const parse_error *serr) {
  parse_error perr;
  dg_frame *f = parse_with(text, len, chunk, 2, chunk % 13 + 1, &perr);
  if (!serial || !f) {
    if (serial || f) abort(); /* one path failed, the other did not */
    if (strcmp(serr->msg, perr.msg) != 0 || serr->line != perr.line || serr->col != perr.col)
      abort();
    return;
  }
  if (!same_frame(serial, f)) abort();
  /* and the serial writer on the serial frame, the parallel one on the parallel frame,
     write the same bytes */
  dg_buf t1, t2;
  dg_buf_init(&t1);
  dg_buf_init(&t2);
  if (dg_csv_write_threads(serial, to_buf, &t1, 1) < 0 || write_parallel(f, &t2) < 0) abort();
  if (t1.len != t2.len || (t1.len && memcmp(t1.data, t2.data, t1.len) != 0)) abort();
  dg_buf_free(&t1);
  dg_buf_free(&t2);
  dg_frame_free(f);
}

/* Structural invariants of a frame. */
static void check(const dg_frame *f) {
  for (size_t j = 0; j < f->ncols; j++) {
    const dg_column *c = &f->cols[j];
    if (!c->name || c->type > DG_STRING) abort();
    if (c->type == DG_STRING) {
      size_t prev = 0;
      for (size_t r = 0; r < f->nrows; r++) {
        size_t n;
        dg_column_str(c, r, &n);
        size_t end = (size_t)((const uint64_t *)c->data)[r];
        if (end < prev || end > c->text.len) abort();
        if (dg_column_missing(c, r) && n != 0) abort();
        prev = end;
      }
    } else if (c->type == DG_BOOL) {
      for (size_t r = 0; r < f->nrows; r++)
        if (((const uint8_t *)c->data)[r] > 1) abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = (size_t)data[0] + 1;
  parse_error serr;
  dg_frame *f1 = parse_with((const char *)data + 1, size - 1, chunk, 1, 0, &serr);
  check_parallel((const char *)data + 1, size - 1, chunk, f1, &serr);
  if (!f1) return 0;
  check(f1);
  dg_buf t1, t2;
  dg_buf_init(&t1);
  dg_buf_init(&t2);
  if (dg_csv_write(f1, to_buf, &t1) < 0) abort();
  int bom_name = f1->ncols > 0 && strncmp(f1->cols[0].name, "\xEF\xBB\xBF", 3) == 0;
  if (bom_name || f1->ncols == 1) {
    dg_buf_free(&t1);
    dg_frame_free(f1);
    return 0;
  }
  dg_frame *f2 = parse(t1.data ? t1.data : "", t1.len, chunk);
  if (!f2) abort(); /* our own output must parse */
  check(f2);
  if (f2->ncols != f1->ncols || f2->nrows != f1->nrows) abort();
  for (size_t j = 0; j < f1->ncols; j++)
    if (strcmp(f1->cols[j].name, f2->cols[j].name) != 0) abort();
  if (dg_csv_write(f2, to_buf, &t2) < 0) abort();
  if (t1.len != t2.len || (t1.len && memcmp(t1.data, t2.data, t1.len) != 0)) abort();
  dg_buf_free(&t1);
  dg_buf_free(&t2);
  dg_frame_free(f1);
  dg_frame_free(f2);
  return 0;
}
