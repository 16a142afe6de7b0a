/*
** groups.c: the eleven group operations of the seed client (the older Python
** client; docs/protocol.md, "Groups"), as session methods (see client.c). Each returns the
** decoded JSON (camelCase wire form); lua/datagrok/group.lua makes objects of it.
*/
#include "client.h"
#include "owned.h"
#include "error.h"
#include "http.h"

#include <stdio.h>
#include <string.h>

/*
** Pushes the decoded JSON of GET path?query (query may be NULL), which must be of
** the shape `expect` (DG_EXPECT_OBJECT or _OBJECTS); retried when transient.
*/
static int get_json(lua_State *L, dg_session *s, const dg_buf *path, const dg_buf *query, int expect) {
  if (path->failed || (query && query->failed)) return dg_error_oom(L);
  dg_request rq = {.method = "GET", .path = path->data, .query = query ? query->data : NULL,
                   .idempotent = 1, .expect = expect};
  return dg_http_call_json(L, s, &rq);
}

/* Appends " and personal=<p>" unless the filter already ends with "personal=<p>" (as the Python client does). */
static void smart_filter(dg_buf *q, const char *filter, const char *personal) {
  char tail[32];
  snprintf(tail, sizeof tail, "personal=%s", personal);
  if (!filter || !*filter) {
    dg_http_add_query(q, "text", tail);
    return;
  }
  size_t n = strlen(filter), k = strlen(tail);
  if (n >= k && strcmp(filter + n - k, tail) == 0) {
    dg_http_add_query(q, "text", filter);
    return;
  }
  dg_buf text;
  dg_buf_init(&text);
  dg_buf_printf(&text, "%s and %s", filter, tail);
  dg_http_add_query(q, "text", text.failed ? filter : text.data);
  if (text.failed) q->failed = 1;
  dg_buf_free(&text);
}

/*
** session:list_groups([smart_filter [, include_personal [, include_members
**                     [, include_memberships]]]]) -> array of group tables
** GET /public/v1/groups?text=<filter and personal=..>[&include=children.child,parents.parent]
*/
static int l_list_groups(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  const char *filter = luaL_optstring(L, 2, NULL);
  int personal = lua_toboolean(L, 3), members = lua_toboolean(L, 4);
  int memberships = lua_toboolean(L, 5);
  dg_buf *path = dg_buf_newud(L);
  dg_buf_adds(path, "/public/v1/groups");
  dg_buf *query = dg_buf_newud(L);
  smart_filter(query, filter, personal ? "true" : "false");
  if (members || memberships) {
    const char *include = members && memberships ? "children.child,parents.parent"
                          : members              ? "children.child"
                                                 : "parents.parent";
    dg_http_add_query(query, "include", include);
  }
  return get_json(L, s, path, query, DG_EXPECT_OBJECTS);
}

/* session:lookup_groups(query) -> array of group tables (GET /public/v1/groups/lookup?query=) */
static int l_lookup_groups(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  const char *text = luaL_checkstring(L, 2);
  dg_buf *path = dg_buf_newud(L);
  dg_buf_adds(path, "/public/v1/groups/lookup");
  dg_buf *query = dg_buf_newud(L);
  dg_http_add_query(query, "query", text);
  return get_json(L, s, path, query, DG_EXPECT_OBJECTS);
}

/* session:get_group(id) -> group table with members and memberships (GET /public/v1/groups/{id}) */
static int l_get_group(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  return get_json(L, s, dg_client_path(L, "/public/v1/groups/", 2), NULL, DG_EXPECT_OBJECT);
}

/* GET /public/v1/groups/{id}/<what>[?admin=True|False] (Python renders the bool capitalised) */
static int relations(lua_State *L, const char *what) {
  dg_session *s = dg_session_check(L, 1);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TBOOLEAN);
  dg_buf *path = dg_client_path(L, "/public/v1/groups/", 2);
  dg_buf_adds(path, what);
  dg_buf *query = dg_buf_newud(L);
  if (!lua_isnoneornil(L, 3)) dg_http_add_query(query, "admin", dg_client_pybool(lua_toboolean(L, 3)));
  return get_json(L, s, path, query, DG_EXPECT_OBJECTS);
}

/* session:get_group_members(id [, admin]) -> array of group tables */
static int l_get_group_members(lua_State *L) { return relations(L, "/members"); }

/* session:get_group_memberships(id [, admin]) -> array of group tables */
static int l_get_group_memberships(lua_State *L) { return relations(L, "/memberships"); }

/* session:request_group_membership(id) -> request table (POST .../{id}/request, not retried) */
static int l_request_group_membership(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/groups/", 2);
  dg_buf_adds(path, "/request");
  if (path->failed) return dg_error_oom(L);
  dg_request rq = {.method = "POST", .path = path->data, .content_type = "application/json",
                   .expect = DG_EXPECT_OBJECT};
  return dg_http_call_json(L, s, &rq);
}

/* session:get_group_membership_requests(id) -> array of request tables (GET .../{id}/requests) */
static int l_get_group_membership_requests(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/groups/", 2);
  dg_buf_adds(path, "/requests");
  return get_json(L, s, path, NULL, DG_EXPECT_OBJECTS);
}

/* POST /public/v1/groups/requests/{id}/<verb>, the answer ignored; -> true. Not retried. */
static int resolve_request(lua_State *L, const char *verb) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/groups/requests/", 2);
  dg_buf_adds(path, verb);
  if (path->failed) return dg_error_oom(L);
  dg_request rq = {.method = "POST", .path = path->data, .content_type = "application/json"};
  dg_http_call(L, s, &rq);
  lua_pushboolean(L, 1);
  return 1;
}

/* session:approve_membership_request(request_id) -> true */
static int l_approve_membership_request(lua_State *L) { return resolve_request(L, "/approve"); }

/* session:deny_membership_request(request_id) -> true */
static int l_deny_membership_request(lua_State *L) { return resolve_request(L, "/deny"); }

/* session:get_current_user_group() -> group table (GET /public/v1/user/group, the older Python client) */
static int l_get_current_user_group(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_buf_newud(L);
  dg_buf_adds(path, "/public/v1/user/group");
  return get_json(L, s, path, NULL, DG_EXPECT_OBJECT);
}

/*
** session:save_group(group_dict [, save_relations]) -> saved group table
** POST /public/v1/groups?saveRelations=true|false with the camelCase dict as body.
*/
static int l_save_group(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  int save_relations = lua_toboolean(L, 3);
  dg_buf *body = dg_client_json_arg(L, 2);
  dg_buf *query = dg_buf_newud(L);
  dg_http_add_query(query, "saveRelations", save_relations ? "true" : "false");
  if (query->failed) return dg_error_oom(L);
  dg_request rq = {.method = "POST", .path = "/public/v1/groups", .query = query->data,
                   .content_type = "application/json", .body = body->data, .body_len = body->len,
                   .expect = DG_EXPECT_OBJECT};
  return dg_http_call_json(L, s, &rq);
}

const luaL_Reg dg_group_methods[] = {
  {"list_groups", l_list_groups},
  {"lookup_groups", l_lookup_groups},
  {"get_group", l_get_group},
  {"get_group_members", l_get_group_members},
  {"get_group_memberships", l_get_group_memberships},
  {"request_group_membership", l_request_group_membership},
  {"get_group_membership_requests", l_get_group_membership_requests},
  {"approve_membership_request", l_approve_membership_request},
  {"deny_membership_request", l_deny_membership_request},
  {"get_current_user_group", l_get_current_user_group},
  {"save_group", l_save_group},
  {NULL, NULL}};

/* The P4+ group operations with no P2/P3 twin, as dg_op rows (client.h). */
const dg_op dg_group_ops[] = {
  /* session:current_group() -> the caller's personal group JSON (GET /public/v1/groups/current) */
  {.name = "current_group", .method = "GET", .path = "/public/v1/groups/current", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:delete_group(id_or_name) -> true (DELETE /public/v1/groups/{id}; retried) */
  {.name = "delete_group", .method = "DELETE", .path = "/public/v1/groups/%", .retry = 1,
   .ignore_result = 1},
  {.name = NULL}};
