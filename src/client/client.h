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
#include "http.h"

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

/*
** One server operation described as data. client.c turns each entry of an
** area's dg_op array (listed in its OP_AREAS) into a session method: a C
** closure that builds the request from its arguments, performs it with
** dg_http_call_json / dg_http_call and pushes the result. Arguments after the
** session, in this order:
**   - one per '%' in path: a non-empty string, appended as a name (':' to '.',
**     escaped by dg_http_add_name);
**   - one per key in query: nil (left out), a string, a boolean ("true" /
**     "false"), a number, or an array of strings (comma-joined);
**   - with body: a table sent as JSON (nil sends {}).
** Misuse raises "bad argument"; the request's failures raise datagrok.Error.
*/
typedef struct dg_op {
  const char *name;         /* the session method: "get_user" */
  const char *method;       /* "GET", "POST", "DELETE" */
  const char *path;         /* "/public/v1/users/%" */
  const char *const *query; /* NULL-terminated query keys, or NULL */
  int body;                 /* takes a JSON body argument */
  int retry;                /* safe to repeat: retried on transient failures (reads, deletes) */
  int ignore_result;        /* the answer is ignored: returns true */
  int text_ok;              /* an answer that is not JSON is returned as a string */
  int secret_body;          /* the string values of every "parameters" table in the body
                               are secrets (http.h: dg_request.secrets) */
  int expect;               /* the JSON answer's shape (http.h: DG_EXPECT_*); another
                               shape raises PROTOCOL naming what came */
} dg_op;

/*
** Collects the secrets of a JSON body argument at arg (the string values of
** every table under a "parameters" key, at any depth up to 8) into a NULL-terminated array kept
** in a userdata pushed on the stack (with an anchoring table below it); returns
** the array (never NULL). The strings live as long as the two stack slots.
*/
const char *const *dg_client_secrets(lua_State *L, int arg);

int luaopen_datagrok_client_core(lua_State *L);

#endif
