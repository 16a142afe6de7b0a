/*
** core.c: "datagrok.core", the small host facts the Lua half needs:
** the version (checked against the Lua half's), random UUIDs, terminals.
*/
#include "core.h"
#include "numfmt.h"

#include <lauxlib.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <unistd.h>

int dg_uuid4(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return -1;
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
           b[13], b[14], b[15]);
  return 0;
}

/* core.uuid4() -> "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (OpenSSL's CSPRNG) */
static int l_uuid4(lua_State *L) {
  char s[37];
  if (dg_uuid4(s)) return luaL_error(L, "no randomness available for a UUID");
  lua_pushstring(L, s);
  return 1;
}

/*
** core.format_number(x) -> string: an integer in decimal, a float as Python's
** repr writes it (0.1, 3.0, 1e+16, 5e-324, inf, nan): the formatter the CSV
** writer and the JSON encoder use (base/numfmt.h).
*/
static int l_format_number(lua_State *L) {
  char s[32];
  size_t n;
  if (lua_isinteger(L, 1)) n = dg_fmt_int((int64_t)lua_tointeger(L, 1), s);
  else n = dg_fmt_double((double)luaL_checknumber(L, 1), s);
  lua_pushlstring(L, s, n);
  return 1;
}

/* core.isatty(fd) -> boolean */
static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

int luaopen_datagrok_core(lua_State *L) {
  static const luaL_Reg funcs[] = {{"uuid4", l_uuid4}, {"isatty", l_isatty}, {"format_number", l_format_number},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushstring(L, DATAGROK_VERSION);
  lua_setfield(L, -2, "VERSION");
  return 1;
}
