/*
** log.h: leveled logging to stderr or a file, shared by the C core and Lua
** (datagrok.log). The configuration lives in the Lua registry, not in C globals.
** Callers never pass secrets: URLs are logged without credentials, headers never.
*/
#ifndef DG_LOG_H
#define DG_LOG_H

#include <lua.h>

enum { DG_LOG_ERROR = 0, DG_LOG_WARN, DG_LOG_INFO, DG_LOG_DEBUG, DG_LOG_TRACE };

/* True when messages of this level would be written. */
int dg_log_enabled(lua_State *L, int level);
void dg_log(lua_State *L, int level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses "error".."trace"; -1 for an unknown name. */
int dg_log_level_from_name(const char *name);
void dg_log_set_level(lua_State *L, int level);
/* Opens "datagrok.log": set_level, level, set_file, error/warn/info/debug/trace, enabled. */
int luaopen_datagrok_log(lua_State *L);

#endif
