/*
** multipart_lua.h: the Lua module over the multipart parser (codec/multipart.h).
*/
#ifndef DG_MULTIPART_LUA_H
#define DG_MULTIPART_LUA_H

#include <lua.h>

/* Opens "datagrok.multipart": parse(content_type, body [, chunk]), boundary(ct). */
int luaopen_datagrok_multipart(lua_State *L);

#endif
