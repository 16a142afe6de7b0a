/*
** userdata.h: the one way a C object's metatable is made. Every userdata type has
** one named metatable ("datagrok.X") whose __gc and __close are the same
** idempotent close function, so a value closed by a to-be-closed variable is
** not freed twice and a forgotten one is still freed by the collector.
*/
#ifndef DG_USERDATA_H
#define DG_USERDATA_H

#include <lua.h>

/*
** Pushes the metatable `name`, creating it on first use with __gc = __close =
** close. Returns 1 when it was just created (the caller adds its other fields),
** 0 when it already existed.
*/
int dg_userdata_metatable(lua_State *L, const char *name, lua_CFunction close);
/* Sets that metatable (created on first use) on the value on top of the stack. */
void dg_userdata_set_metatable(lua_State *L, const char *name, lua_CFunction close);

#endif
