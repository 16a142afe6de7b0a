/*
** core.c: "datagrok.core", the small host facts the Lua half needs:
** the version (checked against the Lua half's), random UUIDs, terminals,
** file modes, a monotonic clock.
*/
#include "core.h"
#include "clock.h"
#include "numfmt.h"
#include "random.h"
#include "secrets.h"

#include <lauxlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dg_uuid4(char out[37]) {
  unsigned char b[16];
  if (dg_random_bytes(b, sizeof b) != 0) return -1;
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
           b[13], b[14], b[15]);
  return 0;
}

/* core.uuid4() -> "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (the kernel's CSPRNG) */
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

/*
** core.stat(path) -> {type=, mode=, uid=, size=} | nil, message, errno
** Follows symlinks. type: "file", "directory" or "other"; mode: the permission
** bits (e.g. 0600 = 384); uid: the owner's user id.
*/
static int l_stat(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    lua_pushinteger(L, e);
    return 3;
  }
  lua_createtable(L, 0, 4);
  lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory" : "other");
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, (lua_Integer)st.st_uid);
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, (lua_Integer)st.st_size);
  lua_setfield(L, -2, "size");
  return 1;
}

/* core.monotonic() -> seconds (a float) on a clock that never jumps, for durations */
static int l_monotonic(lua_State *L) {
  lua_pushnumber(L, dg_clock_seconds());
  return 1;
}

/*
** core.holds_secret(text) -> boolean: whether text holds a key a client of this
** state has used (secrets.h); the REPL keeps such lines out of its history.
** The keys themselves are never handed to Lua.
*/
static int l_holds_secret(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_pushboolean(L, dg_secrets_holds(L, s, n));
  return 1;
}

/*
** core.scrub(text [, keep_lines]) -> text through the state's scrub (secrets.h):
** keys as "***", control characters and invalid UTF-8 as \xNN; one line unless
** keep_lines (then line breaks and tabs stay). For Lua code that prints what C
** code did not make (datagrok.main's report of a plain Lua error).
*/
static int l_scrub(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  dg_secrets_push_scrubbed(L, s, n, lua_toboolean(L, 2) ? 0 : DG_SCRUB_ONELINE);
  return 1;
}

int luaopen_datagrok_core(lua_State *L) {
  static const luaL_Reg funcs[] = {{"uuid4", l_uuid4}, {"isatty", l_isatty}, {"format_number", l_format_number},
                                   {"stat", l_stat}, {"monotonic", l_monotonic},
                                   {"holds_secret", l_holds_secret}, {"scrub", l_scrub},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushstring(L, DATAGROK_VERSION);
  lua_setfield(L, -2, "VERSION");
  return 1;
}
