/*
** raw.c: `session:raw(method, path [, opts])`, any request to the server
** (`grok s raw`): for the routes no other operation covers.
*/
#include "client.h"
#include "http.h"
#include "json.h"
#include "owned.h"

#include <ctype.h>
#include <string.h>

/* True when the Content-Type names JSON (application/json, ...+json). */
static int is_json_type(const char *ct) {
  char low[128];
  size_t i = 0;
  for (; ct[i] && ct[i] != ';' && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)ct[i]);
  low[i] = 0;
  size_t n = strlen(low);
  while (n && low[n - 1] == ' ') low[--n] = 0;
  return strcmp(low, "application/json") == 0 || (n >= 5 && strcmp(low + n - 5, "+json") == 0);
}

/* Appends opts.query (a string as it is, or a table of key = string/number/boolean) to q. */
static void raw_query(lua_State *L, dg_buf *q) {
  int t = lua_getfield(L, 4, "query");
  if (t == LUA_TSTRING) {
    dg_buf_adds(q, lua_tostring(L, -1));
  } else if (t == LUA_TTABLE) {
    int idx = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (lua_type(L, -2) != LUA_TSTRING)
        luaL_argerror(L, 4, "query keys must be strings");
      int vt = lua_type(L, -1);
      if (vt == LUA_TBOOLEAN) {
        dg_http_add_query(q, lua_tostring(L, -2), lua_toboolean(L, -1) ? "true" : "false");
      } else if (vt == LUA_TSTRING || vt == LUA_TNUMBER) {
        lua_pushvalue(L, -1); /* tostring on a copy: lua_next needs the key unchanged */
        dg_http_add_query(q, lua_tostring(L, -3), lua_tostring(L, -1));
        lua_pop(L, 1);
      } else {
        luaL_argerror(L, 4, lua_pushfstring(L, "query value of '%s' must be a string, number or boolean",
                                            lua_tostring(L, -2)));
      }
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    luaL_argerror(L, 4, "field 'query' must be a string or a table");
  }
  lua_pop(L, 1);
}

/*
** session:raw(method, path [, opts]) -> value, status
** method: GET, POST, PUT, PATCH, DELETE or HEAD; path: below the base URL,
** starting with '/', already escaped, without '?' (use opts.query). opts:
**   query        a table {key = value} (escaped here) or an encoded string;
**   body         a string (sent as it is) or a table (sent as JSON);
**   content_type default application/json with a body;
**   retry        override whether the request may be repeated (default: GET,
**                HEAD and DELETE are, others are not).
** value is the decoded JSON when the answer says JSON, else the body as a
** string (nil when empty). Errors raise datagrok.Error like every operation.
*/
static int l_raw(lua_State *L) {
  static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL};
  dg_session *s = dg_session_check(L, 1);
  const char *method = methods[luaL_checkoption(L, 2, NULL, methods)];
  size_t n;
  const char *path = luaL_checklstring(L, 3, &n);
  luaL_argcheck(L, n > 0 && path[0] == '/', 3, "a path starting with '/' expected");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)path[i];
    luaL_argcheck(L, c > 0x20 && c < 0x7f && c != '?' && c != '#', 3,
                  "the path must be escaped, without spaces, '?' or '#' (give opts.query)");
  }
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  else {
    lua_settop(L, 3);
    lua_newtable(L);
  }
  dg_buf *query = dg_buf_newud(L);
  raw_query(L, query);
  dg_request rq = {.method = method, .path = path,
                   .idempotent = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
                                 strcmp(method, "DELETE") == 0};
  if (lua_getfield(L, 4, "retry") != LUA_TNIL) rq.idempotent = lua_toboolean(L, -1);
  lua_pop(L, 1);
  int bt = lua_getfield(L, 4, "body"), bidx = lua_gettop(L);
  if (bt == LUA_TSTRING) {
    rq.body = lua_tolstring(L, -1, &rq.body_len); /* stays on the stack */
    rq.content_type = "application/json";
  } else if (bt == LUA_TTABLE) {
    dg_buf *body = dg_client_json_arg(L, bidx);
    rq.body = body->data;
    rq.body_len = body->len;
    rq.content_type = "application/json";
    rq.secrets = dg_client_secrets(L, bidx);
  } else if (bt != LUA_TNIL) {
    return luaL_argerror(L, 4, "field 'body' must be a string or a table");
  }
  int ct = lua_getfield(L, 4, "content_type");
  if (ct == LUA_TSTRING) rq.content_type = lua_tostring(L, -1);
  else if (ct != LUA_TNIL) return luaL_argerror(L, 4, "field 'content_type' must be a string");
  if (query->failed) return luaL_error(L, "out of memory");
  if (query->len) rq.query = query->data;
  dg_response *rsp = dg_response_newud(L);
  if (dg_http_perform(L, s, &rq, rsp) != 0) {
    dg_response_free(rsp);
    return lua_error(L);
  }
  if (rsp->body.len == 0) lua_pushnil(L);
  else if (is_json_type(rsp->content_type)) {
    if (dg_http_push_json(L, s, &rq, rsp) != 0) {
      dg_response_free(rsp);
      return lua_error(L);
    }
  } else {
    lua_pushlstring(L, rsp->body.data, rsp->body.len);
  }
  lua_pushinteger(L, rsp->status);
  dg_response_free(rsp);
  return 2;
}

const luaL_Reg dg_raw_methods[] = {
  {"raw", l_raw},
  {NULL, NULL}};
