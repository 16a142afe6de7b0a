/*
** owned.c: userdata that own base objects (owned.h).
*/
#include "owned.h"
#include "userdata.h"

#include <lauxlib.h>
#include <string.h>

#define BUFFER_MT "datagrok.Buffer"
#define ATOMIC_MT "datagrok.AtomicFile"

static int buf_gc(lua_State *L) {
  dg_buf_free((dg_buf *)luaL_checkudata(L, 1, BUFFER_MT));
  return 0;
}

dg_buf *dg_buf_newud(lua_State *L) {
  dg_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  dg_buf_init(b);
  dg_userdata_set_metatable(L, BUFFER_MT, buf_gc);
  return b;
}

static int atomic_gc(lua_State *L) {
  dg_atomic_abort(luaL_checkudata(L, 1, ATOMIC_MT));
  return 0;
}

dg_atomic_file *dg_atomic_newud(lua_State *L) {
  dg_atomic_file *a = lua_newuserdatauv(L, sizeof *a, 0);
  memset(a, 0, sizeof *a);
  dg_userdata_set_metatable(L, ATOMIC_MT, atomic_gc);
  return a;
}
