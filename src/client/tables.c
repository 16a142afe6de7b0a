/*
** tables.c: the table operations of the seed client (docs/protocol.md, "Tables") as
** session methods (see client.c). The download streams into the CSV parser as
** it arrives; the upload streams the CSV writer (or a CSV file) as the body.
*/
#include "client.h"
#include "csv.h"
#include "dataframe.h"
#include "error.h"
#include "body.h"
#include "http.h"

#include <lauxlib.h>

/*
** session:download_table(name) -> DataFrame
** GET /public/v1/tables/{name} (name or id, ':' to '.'), Content-Type text/plain
** as the Python client sends it. Retried (GET). Raises the HTTP errors (a missing
** table is API_ERROR) and CSV (malformed data, with line and column).
*/
static int l_download_table(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/tables/", 2);
  struct dg_csv *p = dg_csv_newud(L);
  dg_response *rsp = dg_response_newud(L);
  dg_sink sink;
  dg_csv_sink(L, p, &sink);
  dg_request rq = {.method = "GET", .path = path->data, .content_type = "text/plain",
                   .sink = &sink, .idempotent = 1, .transfer = 1,
                   .progress = lua_pushfstring(L, "download_table %s", lua_tostring(L, 2))};
  const char *what = lua_pushfstring(L, "table '%s'", lua_tostring(L, 2));
  if (dg_csv_download_result(L, &sink, dg_http_perform(L, s, &rq, rsp), what) < 0)
    return lua_error(L);
  return 1;
}

/*
** session:upload_table(name, df_or_csv_path) -> the server's identifiers (e.g. .ID)
** POST /public/v1/tables/{name}, Content-Type text/csv; the body is the
** DataFrame written as CSV while it is sent (chunked), or the CSV file streamed
** with its length. Retried (a replace). Raises IO (the file) and the HTTP errors.
*/
static int l_upload_table(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  dg_buf *path = dg_client_path(L, "/public/v1/tables/", 2);
  dg_source src;
  if (dg_dataframe_is(L, 3)) dg_dataframe_source(L, 3, &src);
  else if (lua_type(L, 3) == LUA_TSTRING) dg_file_source(L, lua_tostring(L, 3), &src);
  else return luaL_typeerror(L, 3, "DataFrame or CSV file path");
  dg_request rq = {.method = "POST", .path = path->data, .content_type = "text/csv",
                   .source = &src, .idempotent = 1, .transfer = 1, .expect = DG_EXPECT_OBJECT,
                   .progress = lua_pushfstring(L, "upload_table %s", lua_tostring(L, 2))};
  return dg_http_call_json(L, s, &rq);
}

const luaL_Reg dg_table_methods[] = {
  {"download_table", l_download_table},
  {"upload_table", l_upload_table},
  {NULL, NULL}};
