/*
** body.h: the request and response bodies the client streams (see http.h for
** dg_source and dg_sink). Each pushes a userdata that owns its state (closed by
** __gc/__close); keep it on the stack for the transfer.
*/
#ifndef DG_BODY_H
#define DG_BODY_H

#include <lua.h>
#include "csv.h"
#include "http.h"

/*
** Pushes a "datagrok.FileSource" userdata reading the file at path (closed by
** __gc/__close) and fills *src: known length, rewind for retries. Keep the
** userdata on the stack for the transfer. Raises Error{code="IO"} when the file
** cannot be opened or is not a regular file.
*/
void dg_file_source(lua_State *L, const char *path, dg_source *src);

/*
** A dg_source streaming the DataFrame at idx as CSV (the writer of codec/csv.h), for
** upload bodies. Pushes a userdata that owns the writer state and must stay on
** the stack (with the DataFrame) for the transfer; *src is filled in. Length is
** unknown (-1: chunked); rewind restarts from the header.
*/
void dg_dataframe_source(lua_State *L, int idx, dg_source *src);

/*
** Fills *sink so that a response body streams into the parser p: begin resets
** it (a retry starts over), write feeds it; a malformed body aborts the
** transfer and the parser keeps the reason. An answer that is not a table is
** refused before the parser sees it: a markup or JSON Content-Type (text/html,
** application/json, ...+json, ...+xml), or a body whose first non-blank byte is
** '<', or '[' / '{' unless the type is text/csv. Pushes a userdata holding
** that check's state: keep it on the stack for the transfer.
*/
void dg_csv_sink(lua_State *L, struct dg_csv *p, dg_sink *sink);
/*
** After rc = dg_http_perform(...) of a request whose sink is dg_csv_sink(p):
** pushes the DataFrame (returns 0) or the Error to raise (returns -1): the HTTP
** error as it is, PROTOCOL naming the Content-Type and first bytes of an answer
** that is not a table, or the parser's CSV error when the parser stopped.
*/
int dg_csv_download_result(lua_State *L, const dg_sink *sink, int rc, const char *what);

#endif
