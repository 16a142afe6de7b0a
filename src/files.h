/*
** files.h: the file-share operations (datagrok-api.md 5.2) as session methods
** (dg_file_methods, listed in client.c), and the streamed upload body of a
** local file, which tables.c uses too.
*/
#ifndef DG_FILES_H
#define DG_FILES_H

#include <lua.h>
#include "http.h"

/*
** Pushes a "datagrok.FileSource" userdata reading the file at path (closed by
** __gc/__close) and fills *src: known length, rewind for retries. Keep the
** userdata on the stack for the transfer. Raises Error{code="IO"} when the file
** cannot be opened or is not a regular file.
*/
void dg_file_source(lua_State *L, const char *path, dg_source *src);

#endif
