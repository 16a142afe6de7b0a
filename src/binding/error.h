/*
** error.h: datagrok.Error, the structured error every operation raises.
** An Error is a Lua table {code=, message=, status=, method=, url=, body=, ...}
** whose metatable is the registry's "datagrok.Error" (tostring: one readable line).
** Codes are stable upper-case strings: HTTP_<status>, API_ERROR, TIMEOUT, CONNECT,
** TLS, PROTOCOL, IO, USAGE, CONFIG, JSON, CSV, UNSAFE_SYNC, PARTIAL, LOCKED,
** INTERRUPTED, ...
*/
#ifndef DG_ERROR_H
#define DG_ERROR_H

#include <lua.h>

/*
** Every string these put into an Error (its message, dg_error_setstr fields, and
** the message of Error.new) goes through the state's scrub (secrets.h): one line,
** no recorded key, no control character, valid UTF-8.
*/
/* Pushes a new Error with code and a printf-formatted message. */
void dg_error_push(lua_State *L, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets a field of the Error on top of the stack (no-op for a NULL string). */
void dg_error_setstr(lua_State *L, const char *key, const char *value);
void dg_error_setint(lua_State *L, const char *key, lua_Integer value);
/* Pushes a new Error and raises it; never returns. */
int dg_error_raise(lua_State *L, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
** Raises Error{code="OUT_OF_MEMORY", message="out of memory"}: the one way C
** code reports that an allocation failed. Never returns.
*/
int dg_error_oom(lua_State *L);
/* True when the value at idx is a datagrok.Error. */
int dg_error_is(lua_State *L, int idx);
/* The process exit code for the error value at idx (any Lua value): see README. */
int dg_error_exit_code(lua_State *L, int idx);
/*
** True when the value at idx is a datagrok.Error for an expected failure rather than a
** bug: one with an exit code other than 1 (configuration, authentication, the server or
** network failing, a sync guard, partial, locked, interrupted) or an HTTP or ApiError
** status in 400..499. The host reports such an error as one line, without a traceback.
*/
int dg_error_expected(lua_State *L, int idx);
/* Opens the module "datagrok.error": {new=, is=, exit_code=, expected=, metatable}. */
int luaopen_datagrok_error(lua_State *L);

#endif
