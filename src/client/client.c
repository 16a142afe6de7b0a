/*
** client.c: "datagrok.client.core", the C half of the Client object
** (lua/datagrok/client.lua is "datagrok.client").
**
**   client.session{base_url=, authorization=, timeout=, connect_timeout=,
**                  low_speed_time=, retries=, max_backoff=, ca_file=, allow_http=}
**     -> a "datagrok.Session" (http.h): one libcurl handle, reused by every call.
**
** The session's methods are the client operations, one C binding each, grouped
** by area. To add an area (e.g. src/tables.c):
**   1. define `const luaL_Reg dg_table_methods[] = {{"download_table", fn}, ..., {NULL, NULL}};`
**      in src/tables.c (see client.h for the helpers and the conventions);
**   2. add one line `X(table)` to SESSION_AREAS below.
** The Lua half (lua/datagrok/client.lua) wraps the results in objects.
*/
#include "client.h"
#include "owned.h"
#include "error.h"
#include "http.h"
#include "json.h"

#include <string.h>

#define SESSION_AREAS(X) \
  X(dashboard)           \
  X(file)                \
  X(function)            \
  X(group)               \
  X(sync)                \
  X(table)

#define DECLARE_AREA(area) extern const luaL_Reg dg_##area##_methods[];
SESSION_AREAS(DECLARE_AREA)
#define LIST_AREA(area) dg_##area##_methods,
static const luaL_Reg *const session_areas[] = {SESSION_AREAS(LIST_AREA) NULL};

dg_buf *dg_client_json_arg(lua_State *L, int arg) {
  char err[200];
  dg_buf *b = dg_buf_newud(L);
  if (lua_isnoneornil(L, arg)) {
    dg_buf_adds(b, "{}");
  } else if (dg_json_encode(L, arg, b, 0, err, sizeof err) != 0) {
    luaL_argerror(L, arg, lua_pushfstring(L, "cannot be sent as JSON: %s", err));
  }
  if (b->failed) dg_error_oom(L);
  return b;
}

dg_buf *dg_client_path(lua_State *L, const char *prefix, int arg) {
  size_t n;
  const char *name = luaL_checklstring(L, arg, &n);
  luaL_argcheck(L, n > 0 && strlen(name) == n, arg, "a non-empty name without NUL expected");
  dg_buf *b = dg_buf_newud(L);
  dg_buf_adds(b, prefix);
  dg_http_add_name(b, name, 0);
  if (b->failed) dg_error_oom(L);
  return b;
}

const char *dg_client_pybool(int b) { return b ? "True" : "False"; }

/* Reads opts[key] as a string (NULL when absent); the value stays on the stack. */
static const char *opt_string(lua_State *L, const char *key) {
  int t = lua_getfield(L, 1, key);
  if (t == LUA_TNIL) return NULL;
  if (t != LUA_TSTRING)
    luaL_argerror(L, 1, lua_pushfstring(L, "field '%s' must be a string, got %s", key,
                                        luaL_typename(L, -1)));
  return lua_tostring(L, -1);
}

/* Reads opts[key] as a number of seconds (dflt when absent), at least 0. */
static double opt_number(lua_State *L, const char *key, double dflt) {
  int t = lua_getfield(L, 1, key);
  double v = dflt;
  if (t != LUA_TNIL) {
    if (t != LUA_TNUMBER)
      luaL_argerror(L, 1, lua_pushfstring(L, "field '%s' must be a number, got %s", key,
                                          luaL_typename(L, -1)));
    v = lua_tonumber(L, -1);
    if (!(v >= 0)) luaL_argerror(L, 1, lua_pushfstring(L, "field '%s' must not be negative", key));
  }
  lua_pop(L, 1);
  return v;
}

static int opt_bool(lua_State *L, const char *key) {
  int t = lua_getfield(L, 1, key);
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_argerror(L, 1, lua_pushfstring(L, "field '%s' must be a boolean, got %s", key,
                                        luaL_typename(L, -1)));
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/*
** client.session(opts) -> Session. Raises a usage error for a malformed option
** and Error{code="CONFIG"} for a bad URL or a key that would go over plain http.
*/
static int l_session(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  dg_session_options o;
  memset(&o, 0, sizeof o);
  o.base_url = opt_string(L, "base_url");
  o.authorization = opt_string(L, "authorization");
  o.ca_file = opt_string(L, "ca_file");
  if (!o.base_url) luaL_argerror(L, 1, "field 'base_url' is required");
  o.timeout = opt_number(L, "timeout", 0);
  o.connect_timeout = opt_number(L, "connect_timeout", 0);
  o.low_speed_time = opt_number(L, "low_speed_time", 0);
  o.max_backoff = opt_number(L, "max_backoff", 0);
  double retries = opt_number(L, "retries", -1);
  luaL_argcheck(L, retries <= 100, 1, "field 'retries' must be at most 100");
  o.retries = (int)retries;
  o.allow_http = opt_bool(L, "allow_http");
  if (dg_session_new(L, &o) != 0) return lua_error(L);
  return 1;
}

/* session:close() -> nothing; later calls raise "the session is closed". Idempotent. */
static int l_close(lua_State *L) {
  dg_session_close(luaL_checkudata(L, 1, "datagrok.Session"));
  return 0;
}

/* session:url() -> the base URL without credentials, or nil when closed */
static int l_url(lua_State *L) {
  const char *u = dg_session_display_url(luaL_checkudata(L, 1, "datagrok.Session"));
  if (u) lua_pushstring(L, u);
  else lua_pushnil(L);
  return 1;
}

int luaopen_datagrok_client_core(lua_State *L) {
  static const luaL_Reg funcs[] = {{"session", l_session}, {NULL, NULL}};
  static const luaL_Reg own_methods[] = {{"close", l_close}, {"url", l_url}, {NULL, NULL}};
  dg_session_push_metatable(L);
  lua_createtable(L, 0, 32);
  luaL_setfuncs(L, own_methods, 0);
  for (int i = 0; session_areas[i]; i++) luaL_setfuncs(L, session_areas[i], 0);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
