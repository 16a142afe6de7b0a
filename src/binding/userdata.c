/*
** userdata.c: metatables for C objects (see userdata.h).
*/
#include "userdata.h"

#include <lauxlib.h>

int dg_userdata_metatable(lua_State *L, const char *name, lua_CFunction close) {
  if (!luaL_newmetatable(L, name)) return 0;
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  return 1;
}

void dg_userdata_set_metatable(lua_State *L, const char *name, lua_CFunction close) {
  dg_userdata_metatable(L, name, close);
  lua_setmetatable(L, -2);
}
