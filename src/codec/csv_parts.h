/*
** csv_parts.h: the pieces of the parallel CSV parser (codec-internal).
**
** csv.c owns the parser state; csv_parallel.c splits a large input at row ends
** into parts, parses them on threads with row parsers (dg_csv_rows_*), and joins
** them into the owning parser in input order. A part starts at the start of a
** line, so its errors' columns are right as they stand and its lines only need
** the owner's line at the part's start added.
*/
#ifndef DG_CSV_PARTS_H
#define DG_CSV_PARTS_H

#include <stddef.h>
#include "csv.h"

#define DG_CSV_MAX_THREADS 8
#define DG_CSV_DEFAULT_BLOCK ((size_t)256 << 10)

/* csv.c: a parser of rows only (no BOM, no header) into ncols columns; NULL on OOM. */
dg_csv *dg_csv_rows_new(size_t ncols);
/* Parses data as rows; last: it ends the input (a last row without LF ends, an open
   quote fails). Returns 0 or -1 (the error is kept in the part). Thread-safe per part. */
int dg_csv_rows_parse(dg_csv *part, const char *data, size_t n, int last);
/* Appends the part's rows to p, or takes the part's error (its line made absolute).
   part NULL: out of memory. Returns 0, or -1 with p failed. A joined part is empty
   and keeps its memory. */
int dg_csv_rows_join(dg_csv *p, dg_csv *part);
/* Makes a successfully joined part ready to parse other rows, reusing its memory. */
void dg_csv_rows_reuse(dg_csv *part);

/* csv_parallel.c: the splitter and its threads. */
typedef struct dg_csvpar dg_csvpar;
/* Starts `threads` threads parsing parts for p (ncols columns); NULL when that fails. */
dg_csvpar *dg_csvpar_new(dg_csv *p, size_t ncols, int threads, size_t block);
/* Takes more input (starting at a row start the first time). 0, or -1 when a part failed. */
int dg_csvpar_feed(dg_csvpar *s, const char *data, size_t n);
/* Hands over the rest as the last part and joins every part. 0, or -1 (p failed). */
int dg_csvpar_finish(dg_csvpar *s);
/* Stops the threads (a part being parsed is finished first) and frees everything. */
void dg_csvpar_free(dg_csvpar *s);

#endif
