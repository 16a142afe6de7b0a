/*
** client.c: "datagrok.client.core", the C half of the Client object
** (lua/datagrok/client.lua is "datagrok.client").
**
**   client.session{base_url=, authorization=, timeout=, connect_timeout=,
**                  low_speed_time=, retries=, max_backoff=, ca_file=, allow_http=,
**                  progress=}
**     -> a "datagrok.Session" (http.h): one libcurl handle, reused by every call.
**
** The session's methods are the client operations, one C binding each, grouped
** by area. To add an area (e.g. src/tables.c):
**   1. define `const luaL_Reg dg_table_methods[] = {{"download_table", fn}, ..., {NULL, NULL}};`
**      in src/tables.c (see client.h for the helpers and the conventions);
**   2. add one line `X(table)` to SESSION_AREAS below.
** An operation that is one JSON request (most of the P4/P5 and CLI surface) is
** instead one row of the area's `const dg_op dg_<area>_ops[]` (client.h), listed
** in OP_AREAS: l_op below is the one binding that performs every such row.
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
  X(login)               \
  X(raw)                 \
  X(sync)                \
  X(table)

/* Areas whose operations are rows of a dg_op table (dg_<area>_ops). */
#define OP_AREAS(X) \
  X(connection)     \
  X(credential)     \
  X(function)       \
  X(group)          \
  X(package)        \
  X(server)         \
  X(share)          \
  X(user)

#define DECLARE_AREA(area) extern const luaL_Reg dg_##area##_methods[];
SESSION_AREAS(DECLARE_AREA)
#define LIST_AREA(area) dg_##area##_methods,
static const luaL_Reg *const session_areas[] = {SESSION_AREAS(LIST_AREA) NULL};
#define DECLARE_OPS(area) extern const dg_op dg_##area##_ops[];
OP_AREAS(DECLARE_OPS)
#define LIST_OPS(area) dg_##area##_ops,
static const dg_op *const op_areas[] = {OP_AREAS(LIST_OPS) NULL};

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

/*
** Appends to the array table at out the string values of every table found
** under a "parameters" key inside the table at idx, at any depth up to 8
** (a connection's parameters, its credentials' parameters, those of the
** connections inside a batch's operations).
*/
static void collect_secrets(lua_State *L, int idx, int out, int depth) {
  if (depth > 8 || !lua_checkstack(L, 4)) return;
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -1) == LUA_TTABLE) {
      if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "parameters") == 0) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          if (lua_type(L, -1) == LUA_TSTRING) lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
          else lua_pop(L, 1);
        }
      } else {
        collect_secrets(L, -1, out, depth + 1);
      }
    }
    lua_pop(L, 1);
  }
}

const char *const *dg_client_secrets(lua_State *L, int arg) {
  arg = lua_absindex(L, arg);
  lua_newtable(L); /* anchors the strings */
  int out = lua_gettop(L);
  if (lua_istable(L, arg)) collect_secrets(L, arg, out, 0);
  size_t n = lua_rawlen(L, out);
  dg_buf *list = dg_buf_newud(L); /* the pointer array; its __gc frees it */
  for (size_t i = 0; i <= n; i++) {
    const char *p = NULL; /* the last entry ends the list */
    if (i < n) {
      lua_rawgeti(L, out, (lua_Integer)i + 1);
      p = lua_tostring(L, -1); /* anchored by the table at out */
      lua_pop(L, 1);
    }
    dg_buf_add(list, (const char *)&p, sizeof p);
  }
  if (list->failed) luaL_error(L, "out of memory");
  return (const char *const *)(void *)list->data;
}

/* Appends the query value at arg under key (see dg_op); nil adds nothing. */
static void add_query_arg(lua_State *L, dg_buf *q, const char *key, int arg) {
  switch (lua_type(L, arg)) {
  case LUA_TNIL:
    return;
  case LUA_TBOOLEAN:
    dg_http_add_query(q, key, lua_toboolean(L, arg) ? "true" : "false");
    return;
  case LUA_TNUMBER:
  case LUA_TSTRING:
    dg_http_add_query(q, key, lua_tostring(L, arg));
    return;
  case LUA_TTABLE: {
    luaL_Buffer b;
    lua_Integer n = luaL_len(L, arg);
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) luaL_addchar(&b, ',');
      if (lua_geti(L, arg, i) != LUA_TSTRING)
        luaL_argerror(L, arg, lua_pushfstring(L, "item %I of '%s' is not a string", i, key));
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    dg_http_add_query(q, key, lua_tostring(L, -1));
    lua_pop(L, 1);
    return;
  }
  default:
    luaL_typeerror(L, arg, "string, boolean, number or array of strings");
  }
}

/*
** The binding of every dg_op row (upvalue 1: a light userdata pointing at the
** row): session:<name>(path args..., query args..., [body]) -> decoded JSON (nil
** for an empty answer); true for an op whose answer is ignored; the answer's text
** for a text_ok op whose answer is not JSON. Raises datagrok.Error.
*/
static int l_op(lua_State *L) {
  const dg_op *op = lua_touserdata(L, lua_upvalueindex(1));
  dg_session *s = dg_session_check(L, 1);
  int nargs = 1 + (op->body != 0); /* the session, the body */
  for (const char *p = op->path; *p; p++) nargs += *p == '%';
  for (const char *const *k = op->query; k && *k; k++) nargs++;
  lua_settop(L, nargs); /* absent arguments read as nil, buffers go above them */
  int arg = 2;
  dg_buf *path = dg_buf_newud(L);
  for (const char *p = op->path; *p; p++) {
    if (*p != '%') {
      dg_buf_addc(path, *p);
      continue;
    }
    size_t n;
    const char *name = luaL_checklstring(L, arg, &n);
    luaL_argcheck(L, n > 0 && strlen(name) == n, arg, "a non-empty name without NUL expected");
    dg_http_add_name(path, name, 0);
    arg++;
  }
  dg_buf *query = dg_buf_newud(L);
  for (const char *const *k = op->query; k && *k; k++) add_query_arg(L, query, *k, arg++);
  dg_request rq = {.method = op->method, .path = path->data, .idempotent = op->retry,
                   .expect = op->expect};
  if (op->body) {
    if (!lua_isnoneornil(L, arg)) luaL_checktype(L, arg, LUA_TTABLE);
    dg_buf *body = dg_client_json_arg(L, arg);
    rq.content_type = "application/json";
    rq.body = body->data;
    rq.body_len = body->len;
    if (op->secret_body) rq.secrets = dg_client_secrets(L, arg);
  } else if (strcmp(op->method, "POST") == 0) {
    rq.content_type = "application/json";
  }
  if (path->failed || query->failed) return luaL_error(L, "out of memory");
  if (query->len) rq.query = query->data;
  if (op->ignore_result) {
    dg_http_call(L, s, &rq);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (!op->text_ok) return dg_http_call_json(L, s, &rq);
  dg_response *rsp = dg_response_newud(L);
  if (dg_http_perform(L, s, &rq, rsp) != 0) {
    dg_response_free(rsp);
    return lua_error(L);
  }
  if (dg_http_push_json(L, s, &rq, rsp) != 0) { /* not JSON: the text as it is */
    lua_pop(L, 1);
    lua_pushlstring(L, rsp->body.data ? rsp->body.data : "", rsp->body.len);
  }
  dg_response_free(rsp);
  return 1;
}

/* Sets one l_op closure per row of ops into the table on top. */
static void set_ops(lua_State *L, const dg_op *ops) {
  for (; ops->name; ops++) {
    lua_pushlightuserdata(L, (void *)ops);
    lua_pushcclosure(L, l_op, 1);
    lua_setfield(L, -2, ops->name);
  }
}

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
  lua_getfield(L, 1, "progress"); /* default on: only an explicit false turns it off */
  int explicit_off = lua_type(L, -1) != LUA_TNIL;
  lua_pop(L, 1);
  o.no_progress = explicit_off && !opt_bool(L, "progress");
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

/* client.note_key(authorization) -> nothing: dg_session_note_key (non-strings ignored). */
static int l_note_key(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING) dg_session_note_key(L, lua_tostring(L, 1));
  return 0;
}

int luaopen_datagrok_client_core(lua_State *L) {
  static const luaL_Reg funcs[] = {{"session", l_session}, {"note_key", l_note_key}, {NULL, NULL}};
  static const luaL_Reg own_methods[] = {{"close", l_close}, {"url", l_url}, {NULL, NULL}};
  dg_session_push_metatable(L);
  lua_createtable(L, 0, 64);
  luaL_setfuncs(L, own_methods, 0);
  for (int i = 0; session_areas[i]; i++) luaL_setfuncs(L, session_areas[i], 0);
  for (int i = 0; op_areas[i]; i++) set_ops(L, op_areas[i]);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
