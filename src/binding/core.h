/*
** core.h: "datagrok.core" (version, UUIDs, terminals) and the module table.
*/
#ifndef DG_CORE_H
#define DG_CORE_H

#include <lua.h>

/* Writes a random (version 4) UUID; returns -1 when no randomness is available. */
int dg_uuid4(char out[37]);
int luaopen_datagrok_core(lua_State *L);

#endif
