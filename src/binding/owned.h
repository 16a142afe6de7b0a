/*
** owned.h: base objects owned by a userdata, for C code that can raise while
** it holds them. Each push leaves the userdata on the stack; its __gc/__close
** releases the object, so a Lua error between acquire and release leaks nothing.
*/
#ifndef DG_OWNED_H
#define DG_OWNED_H

#include <lua.h>
#include "atomic_file.h"
#include "buf.h"

/* Pushes a userdata ("datagrok.Buffer") holding an empty dg_buf, freed by __gc/__close. */
dg_buf *dg_buf_newud(lua_State *L);
/*
** Pushes a closed AtomicFile userdata ("datagrok.AtomicFile"); __gc/__close
** aborts an unfinished write (the temporary file is removed).
*/
dg_atomic_file *dg_atomic_newud(lua_State *L);

#endif
