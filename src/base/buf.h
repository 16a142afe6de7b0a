/*
** buf.h: a growable byte buffer owned by C code.
** Used where a luaL_Buffer cannot be (the stack is unbalanced between appends,
** or the bytes are produced inside a libcurl/libmicrohttpd callback).
** No Lua here: a dg_buf that must survive a Lua error is owned by a userdata
** (dg_buf_newud in binding/owned.h).
*/
#ifndef DG_BUF_H
#define DG_BUF_H

#include <stddef.h>

typedef struct dg_buf {
  char *data;   /* NUL-terminated while len < cap; NULL until the first append */
  size_t len;
  size_t cap;
  int failed;   /* set once an allocation failed; later appends are no-ops */
} dg_buf;

void dg_buf_init(dg_buf *b);
void dg_buf_free(dg_buf *b);
/* Appends; return 0 on success, -1 when memory ran out (b->failed is set). */
int dg_buf_add(dg_buf *b, const void *p, size_t n);
int dg_buf_addc(dg_buf *b, char c);
int dg_buf_adds(dg_buf *b, const char *s);
int dg_buf_printf(dg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensures room for n more bytes and returns a pointer to it (or NULL). */
char *dg_buf_reserve(dg_buf *b, size_t n);
void dg_buf_reset(dg_buf *b);

#endif
