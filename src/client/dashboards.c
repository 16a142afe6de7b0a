/*
** dashboards.c: the dashboard (project) operations of the seed client
** (docs/protocol.md, "Dashboards"), as session methods (see client.c).
*/
#include "client.h"
#include "owned.h"
#include "error.h"
#include "http.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
** Pushes the comma-joined list at arg: a string as it is, or an array of
** strings joined with ','. Raises a usage error otherwise.
*/
static const char *comma_list(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TSTRING) {
    lua_pushvalue(L, arg);
  } else {
    luaL_argexpected(L, lua_istable(L, arg), arg, "string or array of strings");
    luaL_Buffer b;
    lua_Integer n = luaL_len(L, arg);
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) luaL_addchar(&b, ',');
      if (lua_geti(L, arg, i) != LUA_TSTRING)
        luaL_argerror(L, arg, lua_pushfstring(L, "item %I is not a string", i));
      luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
  }
  luaL_argcheck(L, lua_rawlen(L, -1) > 0, arg, "empty list");
  return lua_tostring(L, -1);
}

/*
** session:share_dashboard(id, groups [, access]) -> true
** GET /public/v1/dashboards/{id}/shares?groups=&access= ; groups a comma-separated
** string or an array of names; access "View" (default) or "Edit". Raises Error.
*/
static int l_share_dashboard(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/dashboards/", 2);
  dg_buf_adds(path, "/shares");
  const char *groups = comma_list(L, 3);
  const char *access = luaL_optstring(L, 4, "View");
  luaL_argcheck(L, strcmp(access, "View") == 0 || strcmp(access, "Edit") == 0, 4,
                "access must be \"View\" or \"Edit\"");
  dg_buf *query = dg_buf_newud(L);
  dg_http_add_query(query, "groups", groups);
  dg_http_add_query(query, "access", access);
  if (path->failed || query->failed) return dg_error_oom(L);
  dg_request rq = {.method = "GET", .path = path->data, .query = query->data, .idempotent = 1};
  dg_http_call(L, s, &rq);
  lua_pushboolean(L, 1);
  return 1;
}

/* Pushes a buffer with the bytes of the file at path; raises Error{code="IO"} or {code="JSON"}. */
static dg_buf *read_layout(lua_State *L, const char *file) {
  dg_buf *b = dg_buf_newud(L);
  FILE *f = fopen(file, "rb");
  if (!f) dg_error_raise(L, "IO", "cannot read the layout file '%s': %s", file, strerror(errno));
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) dg_buf_add(b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) dg_error_raise(L, "IO", "cannot read the layout file '%s'", file);
  if (b->failed) dg_error_oom(L);
  char err[200];
  if (dg_json_decode(L, b->data ? b->data : "", b->len, err, sizeof err) != 0)
    dg_error_raise(L, "JSON", "the layout file '%s' is not valid JSON: %s", file, err);
  lua_pop(L, 1);
  return b;
}

/*
** session:create_dashboard(name, table_ids [, layout_filename]) -> decoded JSON (e.g. .ID)
** POST /public/v1/dashboards/{name}/{table_ids}: the layout file's JSON as the
** body, or no body. table_ids: comma-separated string or array. Not retried.
*/
static int l_create_dashboard(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/dashboards/", 2);
  dg_buf_addc(path, '/');
  dg_http_add_name(path, comma_list(L, 3), 0);
  const char *layout = luaL_optstring(L, 4, NULL);
  dg_buf *body = layout ? read_layout(L, layout) : NULL;
  if (path->failed) return dg_error_oom(L);
  dg_request rq = {.method = "POST", .path = path->data, .content_type = "application/json",
                   .expect = DG_EXPECT_OBJECT};
  if (body) {
    rq.body = body->data;
    rq.body_len = body->len;
  }
  return dg_http_call_json(L, s, &rq);
}

const luaL_Reg dg_dashboard_methods[] = {
  {"share_dashboard", l_share_dashboard},
  {"create_dashboard", l_create_dashboard},
  {NULL, NULL}};
