/*
** json.h: the project's JSON codec.
** Debian's lua-cjson 2.1.0 decodes every number as a float under Lua 5.4, loses
** integers above 2^53 on encode and cannot tell an empty array from an empty
** object; this codec keeps integers as Lua integers (exactly, to 64 bits), encodes
** floats in shortest round-trip form, and marks arrays with a shared metatable
** (json.array) so that an empty one goes out as [].
** JSON null is the sentinel datagrok.null (a userdata that prints as "null").
*/
#ifndef DG_JSON_H
#define DG_JSON_H

#include <lua.h>
#include "buf.h"

enum {
  DG_JSON_ASCII = 1,      /* escape every non-ASCII character as \uXXXX (Python's default) */
  DG_JSON_SPACED = 2,     /* ", " and ": " separators (Python's json.dumps default) */
  DG_JSON_PRETTY = 8      /* two-space indentation, one member per line */
};

/*
** Decodes s[0..len) and pushes the value. On malformed input pushes nothing,
** writes "what at line L column C" into err and returns -1.
*/
int dg_json_decode(lua_State *L, const char *s, size_t len, char *err, size_t errlen);
/*
** Appends the JSON text of the value at idx to out; object keys in byte order, so a
** table's text does not depend on the process. Returns -1 (with err set:
** what could not be encoded and where) on a value JSON cannot carry.
*/
int dg_json_encode(lua_State *L, int idx, dg_buf *out, int flags, char *err, size_t errlen);
/* Pushes the null sentinel / the array-marker metatable. */
void dg_json_push_null(lua_State *L);
int dg_json_is_null(lua_State *L, int idx);
void dg_json_push_array_mt(lua_State *L);
/* Opens "datagrok.json": decode, encode, array, is_array, null. */
int luaopen_datagrok_json(lua_State *L);

#endif
