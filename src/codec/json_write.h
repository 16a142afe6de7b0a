/*
** json_write.h: JSON text output without Lua: the one string escaper of the
** project (the Lua encoder and the sync metadata both use it).
*/
#ifndef DG_JSON_WRITE_H
#define DG_JSON_WRITE_H

#include <stddef.h>
#include "buf.h"

/*
** Appends s[0..n) as a JSON string literal, quotes included, escaped as
** Python's json.dumps escapes: \" \\ \n \r \t \b \f, other control characters
** as \u00XX; with ascii, every non-ASCII character as \uXXXX (a surrogate pair
** above U+FFFF) and a malformed UTF-8 byte as \ufffd. Without ascii, bytes of
** 0x80 and above are copied as they are. Returns 0, or -1 when memory ran out
** (out->failed is set).
*/
int dg_json_write_string(dg_buf *out, const char *s, size_t n, int ascii);

#endif
