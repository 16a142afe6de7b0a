/*
** preload.c: registers the C modules and the embedded Lua modules in
** package.preload (see embedded.h). No globals are set.
*/
#include "embedded.h"
#include "client.h"
#include "core.h"
#include "dataframe.h"
#include "emulator.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "multipart.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

/* Every C module of the binary: add a line when a module is added. */
static const luaL_Reg c_modules[] = {
  {"datagrok.client.core", luaopen_datagrok_client_core},
  {"datagrok.core", luaopen_datagrok_core},
  {"datagrok.dataframe", luaopen_datagrok_dataframe},
  {"datagrok.emulator.fs", luaopen_datagrok_emulator_fs},
  {"datagrok.error", luaopen_datagrok_error},
  {"datagrok.json", luaopen_datagrok_json},
  {"datagrok.log", luaopen_datagrok_log},
  {"datagrok.multipart", luaopen_datagrok_multipart},
  {NULL, NULL}};

/* preload loader for an embedded module: upvalue 1 = its index in dg_embedded_modules */
static int load_embedded(lua_State *L) {
  const dg_embedded_module *m = &dg_embedded_modules[lua_tointeger(L, lua_upvalueindex(1))];
  lua_pushfstring(L, "@%s", m->path);
  if (luaL_loadbufferx(L, m->source, m->len, lua_tostring(L, -1), "t") != LUA_OK)
    return lua_error(L);
  lua_pushstring(L, m->module);
  lua_pushfstring(L, "%s", m->path);
  lua_call(L, 2, 1);
  return 1;
}

/* preload loader reading the module from $DATAGROK_LUA_DIR: upvalue 1 = file path */
static int load_from_dir(lua_State *L) {
  const char *file = lua_tostring(L, lua_upvalueindex(1));
  if (luaL_loadfilex(L, file, "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_call(L, 2, 1);
  return 1;
}

void dg_preload(lua_State *L, int use_env) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *c = c_modules; c->name; c++) {
    lua_pushcfunction(L, c->func);
    lua_setfield(L, -2, c->name);
  }
  const char *dir = use_env ? getenv("DATAGROK_LUA_DIR") : NULL;
  for (lua_Integer i = 0; dg_embedded_modules[i].module; i++) {
    const dg_embedded_module *m = &dg_embedded_modules[i];
    if (dir && *dir) {
      /* m->path is "lua/<rest>": the override directory stands for "lua/" */
      lua_pushfstring(L, "%s/%s", dir, m->path + 4);
      lua_pushcclosure(L, load_from_dir, 1);
    } else {
      lua_pushinteger(L, i);
      lua_pushcclosure(L, load_embedded, 1);
    }
    lua_setfield(L, -2, m->module);
  }
  lua_pop(L, 1);
}
