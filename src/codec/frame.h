/*
** frame.h: the columnar table behind a DataFrame. No Lua.
**
** A dg_frame holds named, typed columns of equal length: int (int64_t),
** float (double), bool (uint8_t) and string (bytes in one arena per column,
** with one end offset per row). Every column has a missing bitmap, allocated
** on the first missing value. No Lua value exists per cell: the CSV parser and
** the Lua constructors fill columns through a dg_colbuild, which widens the
** column type as values arrive (int -> float, anything mixed -> string).
*/
#ifndef DG_FRAME_H
#define DG_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

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
/*
** Appends every row of src to b and empties src (keeping its memory, so that
** filling it again allocates nothing new). The result is what b would be
** had each of src's values been appended to b in order, with the same calls that
** built src: the same type widening (int + float -> float, bool or string mixed
** with anything else -> string keeping each cell's text) and the same kept texts.
** This is how the parallel CSV parser joins the columns of its parts. Returns 0,
** or -1 when memory ran out (b and src are then still valid but unspecified).
*/
int dg_colbuild_append(dg_colbuild *b, dg_colbuild *src);
/*
** Moves the built column into *out (whose name is left as is) and resets b.
** A column that holds only missing values becomes float (pandas' float64 of
** NaN), or string when it has no rows at all. Returns 0 or -1 (OOM).
*/
int dg_colbuild_finish(dg_colbuild *b, dg_column *out);

#endif
