/*
** preload.c: registration of C modules and embedded Lua modules in
** package.preload (see embedded.h). No globals are set.
*/
#include "embedded.h"
#include "core.h"
#include "dataframe.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "multipart_lua.h"
#include "yaml_lua.h"

#include <stdlib.h>

void dg_preload_cmodules(lua_State *L, const luaL_Reg *list) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *c = list; c->name; c++) {
    lua_pushcfunction(L, c->func);
    lua_setfield(L, -2, c->name);
  }
  lua_pop(L, 1);
}

void dg_binding_preload(lua_State *L) {
  static const luaL_Reg modules[] = {
    {"datagrok.core", luaopen_datagrok_core},
    {"datagrok.dataframe", luaopen_datagrok_dataframe},
    {"datagrok.error", luaopen_datagrok_error},
    {"datagrok.json", luaopen_datagrok_json},
    {"datagrok.log", luaopen_datagrok_log},
    {"datagrok.multipart", luaopen_datagrok_multipart},
    {"datagrok.yaml", luaopen_datagrok_yaml},
    {NULL, NULL}};
  dg_preload_cmodules(L, modules);
}

void dg_preload_state(lua_State *L, const luaL_Reg *own, const dg_embedded_module *mods,
                      int use_env) {
  dg_binding_preload(L);
  if (own) dg_preload_cmodules(L, own);
  dg_embedded_preload(L, mods, use_env);
}

/* preload loader for an embedded module: upvalue 1 = its dg_embedded_module (light userdata) */
static int load_embedded(lua_State *L) {
  const dg_embedded_module *m = lua_touserdata(L, lua_upvalueindex(1));
  lua_pushfstring(L, "@%s", m->path);
  if (luaL_loadbufferx(L, m->source, m->len, lua_tostring(L, -1), "t") != LUA_OK)
    return lua_error(L);
  lua_pushstring(L, m->module);
  lua_pushstring(L, m->path);
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

void dg_embedded_preload(lua_State *L, const dg_embedded_module *mods, int use_env) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  const char *dir = use_env ? getenv("DATAGROK_LUA_DIR") : NULL;
  for (const dg_embedded_module *m = mods; m->module; m++) {
    if (dir && *dir) {
      /* m->path is "lua/<rest>": the override directory stands for "lua/" */
      lua_pushfstring(L, "%s/%s", dir, m->path + 4);
      lua_pushcclosure(L, load_from_dir, 1);
    } else {
      lua_pushlightuserdata(L, (void *)m);
      lua_pushcclosure(L, load_embedded, 1);
    }
    lua_setfield(L, -2, m->module);
  }
  lua_pop(L, 1);
}
