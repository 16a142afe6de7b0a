/*
** error.c: datagrok.Error (see error.h) and the outcome-to-exit-code table.
*/
#include "error.h"
#include "secrets.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_MT "datagrok.Error"

/* Leaves the Error metatable on the stack, creating it on first use. */
static void push_metatable(lua_State *L);

static void new_error(lua_State *L, const char *code, const char *msg) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  dg_secrets_push_scrubbed(L, msg, strlen(msg), DG_SCRUB_ONELINE);
  lua_setfield(L, -2, "message");
  push_metatable(L);
  lua_setmetatable(L, -2);
}

/* Formats the whole message (no cut before the scrub: a cut key could not be matched). */
static void push_v(lua_State *L, const char *code, const char *fmt, va_list ap) {
  char small[1024];
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof small) {
    va_end(again);
    new_error(L, code, small);
    return;
  }
  char *big = lua_newuserdatauv(L, (size_t)n + 1, 0); /* collected if the scrub raises */
  vsnprintf(big, (size_t)n + 1, fmt, again);
  va_end(again);
  new_error(L, code, big);
  lua_remove(L, -2);
}

void dg_error_push(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push_v(L, code, fmt, ap);
  va_end(ap);
}

void dg_error_setstr(lua_State *L, const char *key, const char *value) {
  if (!value) return;
  dg_secrets_push_scrubbed(L, value, strlen(value), DG_SCRUB_ONELINE);
  lua_setfield(L, -2, key);
}

void dg_error_setint(lua_State *L, const char *key, lua_Integer value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, key);
}

int dg_error_raise(lua_State *L, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  push_v(L, code, fmt, ap);
  va_end(ap);
  return lua_error(L);
}

int dg_error_oom(lua_State *L) { return dg_error_raise(L, "OUT_OF_MEMORY", "out of memory"); }

int dg_error_is(lua_State *L, int idx) {
  if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, ERROR_MT);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* The exit code table of the README ("Exit codes"); keep both in step. */
static int exit_code_for(const char *code, lua_Integer status, lua_Integer api_code) {
  static const struct { const char *code; int exit; } table[] = {
    {"USAGE", 2}, {"CONFIG", 2}, {"AMBIGUOUS", 2}, {"TIMEOUT", 4}, {"CONNECT", 4},
    {"UNSAFE_SYNC", 5}, {"PARTIAL", 6}, {"LOCKED", 7},
    {"INTERRUPTED", 130}, {NULL, 0}};
  if (status == 401 || status == 403) return 3;
  /* the server answers many refusals as 200 + ApiError{errorCode=401|403} */
  if (strcmp(code, "API_ERROR") == 0 && (api_code == 401 || api_code == 403)) return 3;
  if (status == 429 || (status >= 500 && status <= 599)) return 4;
  for (int i = 0; table[i].code; i++)
    if (strcmp(code, table[i].code) == 0) return table[i].exit;
  return 1;
}

int dg_error_exit_code(lua_State *L, int idx) {
  if (!dg_error_is(L, idx)) return 1;
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "code");
  lua_getfield(L, idx, "status");
  lua_getfield(L, idx, "api_code");
  const char *code = lua_isstring(L, -3) ? lua_tostring(L, -3) : "";
  lua_Integer status = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
  lua_Integer api_code = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
  int ec = exit_code_for(code, status, api_code);
  lua_pop(L, 3);
  return ec;
}

int dg_error_expected(lua_State *L, int idx) {
  if (!dg_error_is(L, idx)) return 0;
  if (dg_error_exit_code(L, idx) != 1) return 1;
  idx = lua_absindex(L, idx);
  lua_getfield(L, idx, "status");
  lua_getfield(L, idx, "api_code");
  lua_Integer status = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
  lua_Integer api_code = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
  lua_pop(L, 2);
  return (status >= 400 && status <= 499) || (api_code >= 400 && api_code <= 499);
}

/*
** tostring(err): "CODE: message (METHOD url -> status)"; one line, never a secret
** (urls are stored without credentials by the HTTP layer).
*/
static int error_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "code");    /* 2 */
  lua_getfield(L, 1, "message"); /* 3 */
  lua_getfield(L, 1, "method");  /* 4 */
  lua_getfield(L, 1, "url");     /* 5 */
  lua_getfield(L, 1, "status");  /* 6 */
  const char *code = lua_tostring(L, 2), *msg = lua_tostring(L, 3);
  const char *method = lua_tostring(L, 4), *url = lua_tostring(L, 5);
  luaL_Buffer b;
  luaL_buffinit(L, &b); /* pushes a placeholder: use the locals above, not the stack */
  luaL_addstring(&b, code ? code : "ERROR");
  luaL_addstring(&b, ": ");
  luaL_addstring(&b, msg ? msg : "(no message)");
  if (method && url) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, method);
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, url);
    if (lua_isinteger(L, 6)) {
      char s[32];
      snprintf(s, sizeof s, " -> %lld", (long long)lua_tointeger(L, 6));
      luaL_addstring(&b, s);
    }
    luaL_addchar(&b, ')');
  }
  luaL_pushresult(&b);
  /* fields a script set itself (Error.new's table) did not pass the scrub: the line does */
  size_t n;
  const char *line = lua_tolstring(L, -1, &n);
  dg_secrets_push_scrubbed(L, line, n, DG_SCRUB_ONELINE);
  return 1;
}

/* Copies every field of the table at `from` into the table on top of the stack. */
static void copy_fields(lua_State *L, int from) {
  lua_pushnil(L);
  while (lua_next(L, from)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -4);
  }
}

/* Error.new(code, message [, fields]) or Error.new{code=, message=, ...} -> Error */
static int error_new(lua_State *L) {
  if (lua_istable(L, 1)) {
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    new_error(L, luaL_optstring(L, -2, "ERROR"), luaL_optstring(L, -1, ""));
    copy_fields(L, 1);
    return 1;
  }
  new_error(L, luaL_checkstring(L, 1), luaL_optstring(L, 2, ""));
  if (lua_istable(L, 3)) {
    copy_fields(L, 3);
  }
  return 1;
}

/* Error.is(v) -> boolean */
static int error_is(lua_State *L) {
  lua_pushboolean(L, dg_error_is(L, 1));
  return 1;
}

/* Error.exit_code(v) -> integer, the exit code the host uses for v */
static int error_exit_code(lua_State *L) {
  lua_pushinteger(L, dg_error_exit_code(L, 1));
  return 1;
}

/* Error.expected(v) -> boolean: an expected failure, reported without a traceback */
static int error_expected(lua_State *L) {
  lua_pushboolean(L, dg_error_expected(L, 1));
  return 1;
}

static void push_metatable(lua_State *L) {
  if (luaL_newmetatable(L, ERROR_MT)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
}

int luaopen_datagrok_error(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"new", error_new}, {"is", error_is}, {"exit_code", error_exit_code},
    {"expected", error_expected}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  push_metatable(L);
  lua_setfield(L, -2, "metatable");
  return 1;
}
