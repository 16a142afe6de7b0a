/*
** dataframe.h: the columnar table behind "datagrok.DataFrame".
**
** A dg_frame holds named, typed columns of equal length: int (int64_t),
** float (double), bool (uint8_t) and string (bytes in one arena per column,
** with one end offset per row). Every column has a missing bitmap, allocated
** on the first missing value. No Lua value exists per cell: the CSV parser and
** the Lua constructors fill columns through a dg_colbuild, which widens the
** column type as values arrive (int -> float, anything mixed -> string).
**
** The Lua side: a "datagrok.DataFrame" userdata owns one dg_frame (NULL once
** closed); the module "datagrok.dataframe" holds the constructors (lua-api.md
** section 4).
*/
#ifndef DG_DATAFRAME_H
#define DG_DATAFRAME_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "http.h"

typedef enum { DG_INT = 0, DG_FLOAT, DG_BOOL, DG_STRING } dg_type;

typedef struct dg_column {
  char *name;
  dg_type type;
  void *data;        /* int64_t[], double[], uint8_t[] (0/1) or uint64_t[] string end offsets */
  uint8_t *missing;  /* bitmap (bit r set = row r missing), NULL while nothing is missing */
  dg_buf text;       /* DG_STRING: the bytes of all cells, back to back */
  size_t cap;        /* rows allocated in data (and missing) */
} dg_column;

typedef struct dg_frame {
  size_t nrows, ncols;
  dg_column *cols;
} dg_frame;

/* The type's Lua name: "int", "float", "bool", "string". */
const char *dg_type_name(dg_type t);

/* A frame of ncols unnamed int columns and no rows, or NULL when memory ran out. */
dg_frame *dg_frame_new(size_t ncols);
void dg_frame_free(dg_frame *f);
/* Copies the given rows (indices into src, any order) of the given columns. NULL on OOM. */
dg_frame *dg_frame_take(const dg_frame *src, const size_t *rows, size_t nrows,
                        const size_t *cols, size_t ncols);

int dg_column_missing(const dg_column *c, size_t row);
/* The bytes of a string cell (not NUL-terminated). */
const char *dg_column_str(const dg_column *c, size_t row, size_t *len);

/*
** Column building: values are appended row by row; the column type widens as
** pandas widens it (int + float -> float, bool or string mixed with anything
** else -> string, where earlier cells become their text). A cell's `raw` text
** (from CSV) is kept only when it differs from how the value would be written
** back (e.g. "007", "1.50", "true"), so that a widening to string keeps the
** original text. Appends return 0, or -1 when memory ran out.
*/
typedef struct dg_colbuild dg_colbuild;

dg_colbuild *dg_colbuild_new(void);
void dg_colbuild_free(dg_colbuild *b);
int dg_colbuild_missing(dg_colbuild *b);
/* raw may be NULL (the value came from Lua): then the text is the canonical one. */
int dg_colbuild_int(dg_colbuild *b, int64_t v, const char *raw, size_t rawlen, int canonical);
int dg_colbuild_float(dg_colbuild *b, double v, const char *raw, size_t rawlen, int canonical);
int dg_colbuild_bool(dg_colbuild *b, int v, const char *raw, size_t rawlen);
int dg_colbuild_string(dg_colbuild *b, const char *s, size_t len);
/* Rows appended so far. */
size_t dg_colbuild_rows(const dg_colbuild *b);
/*
** Moves the built column into *out (whose name is left as is) and resets b.
** A column that holds only missing values becomes float (pandas' float64 of
** NaN), or string when it has no rows at all. Returns 0 or -1 (OOM).
*/
int dg_colbuild_finish(dg_colbuild *b, dg_column *out);

/*
** Pushes a closed DataFrame userdata and returns its frame slot: store the
** frame there at once (it is then owned, and freed by __gc/__close).
*/
dg_frame **dg_dataframe_newud(lua_State *L);
/* The frame of the DataFrame at idx; raises a usage error when it is not one or is closed. */
dg_frame *dg_dataframe_check(lua_State *L, int idx);
/* True when the value at idx is a DataFrame userdata (open or closed). */
int dg_dataframe_is(lua_State *L, int idx);

/*
** A dg_source streaming the DataFrame at idx as CSV (the writer of csv.h), for
** upload bodies. Pushes a userdata that owns the writer state and must stay on
** the stack (with the DataFrame) for the transfer; *src is filled in. Length is
** unknown (-1: chunked); rewind restarts from the header.
*/
void dg_dataframe_source(lua_State *L, int idx, dg_source *src);

/* ---- the CSV parser as a Lua-owned object (for downloads) ---- */
struct dg_csv;
/* Pushes a "datagrok.CsvParser" userdata owning a new parser (freed by __gc). */
struct dg_csv *dg_csv_newud(lua_State *L);
/*
** Fills *sink so that a response body streams into the parser p: begin resets
** it (a retry starts over), write feeds it; a malformed body aborts the
** transfer and the parser keeps the reason.
*/
void dg_csv_sink(struct dg_csv *p, dg_sink *sink);
/*
** Ends the input of p and pushes the DataFrame (returns 0), or pushes a
** datagrok.Error with code CSV and fields line, column (returns -1; the caller
** raises it after freeing its temporaries). `what` names the input in messages.
*/
int dg_csv_push_result(lua_State *L, struct dg_csv *p, const char *what);
/*
** After rc = dg_http_perform(...) of a request whose sink is dg_csv_sink(p):
** pushes the DataFrame (returns 0) or the Error to raise (returns -1): the HTTP
** error as it is, or the parser's CSV error when the parser stopped the transfer.
*/
int dg_csv_download_result(lua_State *L, struct dg_csv *p, int rc, const char *what);

/* Opens "datagrok.dataframe": from_csv, read_csv, from_rows, from_columns, is. */
int luaopen_datagrok_dataframe(lua_State *L);

#endif
