/*
** json_parse.h: the JSON text parser (RFC 8259), without Lua. It reports what it
** reads to a handler, one call per event, in document order; the caller builds
** whatever values it wants (the Lua binding builds tables, the fuzz target text).
**
** Numbers: an integer literal that fits int64 is reported as an integer, any
** other number as a double (correctly rounded). Strings are unescaped to UTF-8
** (a lone surrogate becomes U+FFFD). A UTF-8 byte order mark before the value is
** skipped. Nesting deeper than DG_JSON_MAX_DEPTH is an error.
*/
#ifndef DG_JSON_PARSE_H
#define DG_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

#define DG_JSON_MAX_DEPTH 1000

/*
** Each callback returns 0 to go on, or -1 to stop the parse (which then fails
** with "stopped" unless the handler wrote its own reason into err). A string
** (s, n) is valid only during the call. After each element of an array, item is
** called with its 1-based index; after each member value of an object, member.
*/
typedef struct dg_json_handler {
  int (*null_value)(void *ctx);
  int (*boolean)(void *ctx, int v);
  int (*integer)(void *ctx, int64_t v);
  int (*number)(void *ctx, double v);
  int (*string)(void *ctx, const char *s, size_t n);
  int (*begin_array)(void *ctx);
  int (*item)(void *ctx, size_t index);
  int (*end_array)(void *ctx);
  int (*begin_object)(void *ctx);
  int (*key)(void *ctx, const char *s, size_t n);
  int (*member)(void *ctx);
  int (*end_object)(void *ctx);
} dg_json_handler;

/*
** Parses s[0..len) as one JSON value. scratch is the caller's buffer for
** unescaping (so that a handler that longjmps leaks nothing the caller does not
** own). Returns 0, or -1 with "what at line L column C" in err.
*/
int dg_json_parse(const char *s, size_t len, const dg_json_handler *h, void *ctx,
                  dg_buf *scratch, char *err, size_t errlen);

#endif
