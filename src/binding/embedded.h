/*
** embedded.h: Lua modules compiled into the binary and their registration in
** package.preload. Each library that ships Lua modules gets a table generated
** by cmake/embed_lua.cmake from its part of the lua/ tree; this file only knows
** how to register such a table, never which table (so the emulator's modules
** are registered in the emulator's own state, and the client's in scripts').
*/
#ifndef DG_EMBEDDED_H
#define DG_EMBEDDED_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

typedef struct {
  const char *module; /* "datagrok.group" */
  const char *path;   /* "lua/datagrok/group.lua", also the chunk name after '@' */
  const char *source;
  size_t len;
} dg_embedded_module;

/*
** Puts every module of mods (ended by a zero entry) into package.preload.
** With DATAGROK_LUA_DIR set (and use_env true), the modules are read from
** $DATAGROK_LUA_DIR/<path below lua/> instead, for development.
*/
void dg_embedded_preload(lua_State *L, const dg_embedded_module *mods, int use_env);
/*
** Puts the C modules of this layer into package.preload: datagrok.core,
** datagrok.dataframe, datagrok.error, datagrok.json, datagrok.log,
** datagrok.multipart, datagrok.yaml.
*/
void dg_binding_preload(lua_State *L);
/* Puts the C functions of list (ended by {NULL, NULL}) into package.preload. */
void dg_preload_cmodules(lua_State *L, const luaL_Reg *list);
/*
** What a Lua state of this program can require: the binding's C modules, the
** caller's own C modules (own, may be NULL) and its embedded Lua modules (see
** dg_embedded_preload for use_env).
*/
void dg_preload_state(lua_State *L, const luaL_Reg *own, const dg_embedded_module *mods,
                      int use_env);

#endif
