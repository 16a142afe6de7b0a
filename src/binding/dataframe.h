/*
** dataframe.h: the Lua binding of a frame, "datagrok.DataFrame".
**
** The storage is codec/frame.h (no Lua); this is the Lua side: a "datagrok.DataFrame" userdata owns one dg_frame (NULL once
** closed); the module "datagrok.dataframe" holds the constructors (docs/lua-api.md,
** "DataFrame").
*/
#ifndef DG_DATAFRAME_H
#define DG_DATAFRAME_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include "csv.h"
#include "frame.h"

/*
** Pushes a closed DataFrame userdata and returns its frame slot: store the
** frame there at once (it is then owned, and freed by __gc/__close).
*/
dg_frame **dg_dataframe_newud(lua_State *L);
/* The frame of the DataFrame at idx; raises a usage error when it is not one or is closed. */
dg_frame *dg_dataframe_check(lua_State *L, int idx);
/* True when the value at idx is a DataFrame userdata (open or closed). */
int dg_dataframe_is(lua_State *L, int idx);

/* ---- the CSV parser as a Lua-owned object (for downloads) ---- */
/* Pushes a "datagrok.CsvParser" userdata owning a new parser (freed by __gc). */
dg_csv *dg_csv_newud(lua_State *L);
/*
** Ends the input of p and pushes the DataFrame (returns 0), or pushes a
** datagrok.Error with code CSV and fields line, column (returns -1; the caller
** raises it after freeing its temporaries). `what` names the input in messages.
*/
int dg_csv_push_result(lua_State *L, dg_csv *p, const char *what);
/* Opens "datagrok.dataframe": from_csv, read_csv, from_rows, from_columns, is. */
int luaopen_datagrok_dataframe(lua_State *L);

#endif
