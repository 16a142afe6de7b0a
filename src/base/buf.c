/*
** buf.c: the growable byte buffer of buf.h.
*/
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dg_buf_init(dg_buf *b) { memset(b, 0, sizeof *b); }

void dg_buf_free(dg_buf *b) {
  free(b->data);
  dg_buf_init(b);
}

void dg_buf_reset(dg_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

char *dg_buf_reserve(dg_buf *b, size_t n) {
  if (b->failed) return NULL;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) {
      if (cap > ((size_t)-1) / 2) { b->failed = 1; return NULL; }
      cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) { b->failed = 1; return NULL; }
    b->data = p;
    b->cap = cap;
  }
  return b->data + b->len;
}

int dg_buf_add(dg_buf *b, const void *p, size_t n) {
  char *dst = dg_buf_reserve(b, n);
  if (!dst) return -1;
  if (n) memcpy(dst, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int dg_buf_addc(dg_buf *b, char c) { return dg_buf_add(b, &c, 1); }

int dg_buf_adds(dg_buf *b, const char *s) { return dg_buf_add(b, s, strlen(s)); }

int dg_buf_printf(dg_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return -1;
  char *dst = dg_buf_reserve(b, (size_t)n);
  if (!dst) return -1;
  va_start(ap, fmt);
  vsnprintf(dst, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}
