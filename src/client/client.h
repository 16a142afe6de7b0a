/*
** client.h: what the operation areas of the client (src/dashboards.c,
** src/functions.c, src/groups.c, src/tables.c ...) share. Each area exports one
** luaL_Reg array of session methods, listed in client.c's SESSION_AREAS; every
** method takes the session as argument 1 (dg_session_check(L, 1)), builds its
** path and query in dg_buf_newud buffers (so a raise frees them) and calls
** dg_http_call_json / dg_http_call / dg_http_perform (http.h).
*/
#ifndef DG_CLIENT_H
#define DG_CLIENT_H

#include <lua.h>
#include <lauxlib.h>
#include "buf.h"

/*
** Pushes a "datagrok.Buffer" holding the JSON text of the value at arg (nil
** encodes as {}). Raises "bad argument #arg" naming what JSON cannot carry.
*/
dg_buf *dg_client_json_arg(lua_State *L, int arg);
/*
** Pushes a buffer "<prefix><name>" with name escaped by dg_http_add_name (':'
** to '.'); raises a usage error when argument arg is not a non-empty string.
*/
dg_buf *dg_client_path(lua_State *L, const char *prefix, int arg);
/* Python's rendering of an optional boolean query value: "True", "False". */
const char *dg_client_pybool(int b);

int luaopen_datagrok_client_core(lua_State *L);

#endif
