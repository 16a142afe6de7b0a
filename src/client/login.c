/*
** login.c: exchanging a developer key for a session token, as the grok CLI
** does (POST /users/login/dev/<key> answers {"isSuccess": true, "token": ...}),
** as a session method (see client.c).
*/
#include "client.h"
#include "error.h"
#include "http.h"

#include <string.h>

/*
** session:login_dev(key) -> true
** Sends the key in the path (shown as "***" in logs and errors, and scrubbed from
** the server's text), then makes the token the session's Authorization value,
** sent bare as the CLI sends it. The token never reaches Lua. Raises CONFIG when
** the key would go over plain http:// to another host (see allow_http),
** API_ERROR with api_code 401 (exit code 3) when the answer holds no token, and
** the HTTP errors (a refused key: HTTP_401).
** Retried when transient: a second login only mints another token.
*/
static int l_login_dev(lua_State *L) {
  dg_session *s = dg_session_check(L, 1);
  size_t n;
  const char *key = luaL_checklstring(L, 2, &n);
  luaL_argcheck(L, n > 0 && strlen(key) == n, 2, "a non-empty developer key without NUL expected");
  if (dg_session_check_secret_transport(L, s) != 0) return lua_error(L);
  dg_buf *path = dg_client_path(L, "/users/login/dev/", 2);
  if (path->failed) return luaL_error(L, "out of memory");
  const char *const secrets[] = {key, NULL};
  dg_request rq = {.method = "POST", .path = path->data, .display_path = "/users/login/dev/***",
                   .secrets = secrets, .idempotent = 1};
  dg_http_call_json(L, s, &rq);
  const char *token = NULL;
  if (lua_istable(L, -1) && lua_getfield(L, -1, "token") == LUA_TSTRING) token = lua_tostring(L, -1);
  if (!token || !*token) {
    dg_error_push(L, "API_ERROR", "the server gave no token for the developer key "
                                  "(POST /users/login/dev/***): check the key");
    dg_error_setint(L, "api_code", 401);
    return lua_error(L);
  }
  if (dg_session_set_authorization(L, s, token) != 0) return lua_error(L);
  lua_pushboolean(L, 1);
  return 1;
}

const luaL_Reg dg_login_methods[] = {{"login_dev", l_login_dev}, {NULL, NULL}};
