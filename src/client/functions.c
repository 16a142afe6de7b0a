/*
** functions.c: calling a server function, the seed's call_function
** (docs/protocol.md, "Functions"), as a session method (see client.c).
*/
#include "client.h"
#include "http.h"
#include "error.h"

/*
** session:call_function(name, params) -> the decoded JSON result
** POST /public/v1/{name}/call with params as a JSON object (nil or {} -> {}).
** Never retried (a call may have side effects). Raises Error.
*/
static int l_call_function(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/", 2);
  dg_buf_adds(path, "/call");
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  dg_buf *body = dg_client_json_arg(L, 3);
  if (path->failed) return dg_error_oom(L);
  dg_request rq = {.method = "POST", .path = path->data, .content_type = "application/json",
                   .body = body->data, .body_len = body->len};
  return dg_http_call_json(L, s, &rq);
}

const luaL_Reg dg_function_methods[] = {
  {"call_function", l_call_function},
  {NULL, NULL}};

/* The resource-style client's function operations (P4+), as dg_op rows (client.h). */
const dg_op dg_function_ops[] = {
  /* session:get_function(id_or_grok_name) -> Func JSON (GET /public/v1/functions/{id}) */
  {.name = "get_function", .method = "GET", .path = "/public/v1/functions/%", .retry = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:list_functions([text]) -> array of Func JSON (GET /public/v1/functions?text=) */
  {.name = "list_functions", .method = "GET", .path = "/public/v1/functions",
   .query = (const char *const[]){"text", NULL}, .retry = 1, .expect = DG_EXPECT_OBJECTS},
  /* session:save_function(func_dict) -> the saved Func JSON (POST /public/v1/functions,
     a Script or a DataQuery). Not retried. */
  {.name = "save_function", .method = "POST", .path = "/public/v1/functions", .body = 1,
   .expect = DG_EXPECT_OBJECT},
  /* session:call_func(grok_name, params) -> the decoded result; the P4 route
     POST /public/v1/functions/{name}/call. Never retried. */
  {.name = "call_func", .method = "POST", .path = "/public/v1/functions/%/call", .body = 1},
  {.name = NULL}};
