/*
** csv.h: the incremental CSV parser and the pandas-compatible CSV writer.
**
** Parser: fed chunk by chunk (dg_csv_feed), never needing the whole input,
** it builds a dg_frame (frame.h) with typed columns as it goes. Rules
** (pandas.read_csv defaults, pandas 1.5):
**   - RFC 4180: ',' separator, '"' quoting with "" for a quote, quoted fields
**     may hold commas, quotes, CR and LF; rows end with LF, CRLF or a lone CR;
**     a UTF-8 BOM at the start is skipped;
**   - the first row names the columns ("" becomes "Unnamed: <i>", duplicates
**     become "a.1", "a.2" as pandas mangles them);
**   - blank lines (empty or only spaces/tabs, unquoted) are skipped;
**   - missing values: the fields "", "#N/A", "#N/A N/A", "#NA", "-1.#IND",
**     "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
**     "NULL", "NaN", "n/a", "nan", "null", quoted or not;
**   - types per column: all integers (int64; surrounding spaces and a '+' allowed)
**     -> int; integers and floats (1.5, 1e-300, .5, inf, -Infinity) -> float;
**     true/false in any letter case -> bool; anything else -> string. An integer
**     beyond int64 counts as a float (pandas would use uint64 or object); a
**     float beyond double's range ("1e999") is a string, as in pandas. Columns
**     with missing values keep their type (pandas' Int64/boolean dtypes); an
**     all-missing column is float, a column of a header-only file is string.
**     When a column widens to string, earlier cells keep their exact text.
**     Floats are read correctly rounded (as Python's float() and pandas'
**     float_precision="round_trip"; pandas' default parser can be 1 ulp off);
**   - errors (never a crash) name the line and column (1-based, bytes): an
**     unterminated quoted field, a row with more fields than the header, a
**     quote inside an unquoted field, text after a closing quote. A row with
**     fewer fields is padded with missing values. A column name may not hold a
**     NUL byte (names are C strings).
**
** Writer: what pandas' DataFrame.to_csv(index=False) writes for the same values
** (int columns with missing values as pandas' Int64, bools as boolean): header
** row, ',' separator, "\n" line ends, QUOTE_MINIMAL (a field is quoted when it
** holds ',', '"', LF or CR, with quotes doubled; a row of one empty field is
** written as ""), floats in Python's repr form (0.1, 1e-300, 3.0, 1e+16, inf),
** bools True/False, missing values empty. One deliberate difference: pandas 1.5
** on Python 3.11 leaves a field holding a lone CR unquoted, which its own reader
** then splits; this writer quotes it.
*/
#ifndef DG_CSV_H
#define DG_CSV_H

#include <stddef.h>
#include "buf.h"
#include "frame.h"

typedef struct dg_csv dg_csv;

/* A new parser, or NULL when memory ran out. */
dg_csv *dg_csv_new(void);
void dg_csv_free(dg_csv *p);
/* Back to the state of a new parser (a retried download starts over). */
void dg_csv_reset(dg_csv *p);
/* Parses n more bytes. Returns 0, or -1 on malformed input or OOM (see dg_csv_error). */
int dg_csv_feed(dg_csv *p, const char *data, size_t n);
/* Ends the input. Returns 0, or -1 (an unterminated quote, OOM). */
int dg_csv_finish(dg_csv *p);
/* After a successful finish: the frame, now owned by the caller (NULL if taken already). */
dg_frame *dg_csv_take(dg_csv *p);
/* The error message ("unterminated quoted field at line 3, column 5 (field 2)") and place. */
const char *dg_csv_error(const dg_csv *p);
/* Line and column of the error (1-based), 0 for an error without a place (OOM). */
void dg_csv_error_at(const dg_csv *p, size_t *line, size_t *column);

/*
** Parallel parsing. A parser that has read `block` bytes (256 KiB by default) of a
** larger input splits the rest at row ends (a LF outside quotes) into parts of about
** `block` bytes, parses them on up to `threads` threads (by default the processors
** online, at most 8) and joins their columns in order with the same type widening
** (dg_colbuild_append): the frame, an error and its line and column are those the
** serial parser gives. Smaller inputs, and threads <= 1, stay serial. Call before
** the first feed; the setting survives dg_csv_reset. threads < 0: the default;
** block 0: the default. Memory stays bounded: the feeding thread waits while
** threads + 1 parts are unjoined.
*/
void dg_csv_set_parallel(dg_csv *p, int threads, size_t block);
/* How many parts were parsed in parallel and joined (0: the input was parsed serially). */
size_t dg_csv_parts(const dg_csv *p);

/* Where the writer's output goes: return 0, or -1 to stop (the writer returns -1). */
typedef int (*dg_csv_out)(void *ctx, const char *data, size_t n);

/*
** Incremental writer: each dg_csv_writer_next call appends the header or a
** batch of rows (about 64 KiB) to out and returns 1, or returns 0 at the end.
** A large frame (4096 rows or more) is formatted on every processor: a call that
** finds no formatted batch left formats the next few batches of rows at once, one
** per thread, and returns them in order over the following calls; the bytes are
** the serial writer's. Threads run only inside dg_csv_writer_next, so the frame
** only has to stay alive and unchanged during the calls. dg_csv_writer_free
** releases the threads and batches (and returns the writer to its initial state).
*/
typedef struct dg_csv_wpar dg_csv_wpar;
typedef struct dg_csv_writer {
  const dg_frame *f;
  size_t row;        /* next row to format */
  int header_done;
  /* set by init, may be changed before the first call (tests make them tiny): */
  int threads;       /* formatting threads (<= 1: serial) */
  size_t min_rows;   /* frames with fewer rows are formatted serially (4096) */
  size_t batch;      /* bytes per serial batch (64 KiB); a parallel batch is 4 times that */
  dg_csv_wpar *par;  /* batches formatted ahead, NULL while serial */
} dg_csv_writer;

void dg_csv_writer_init(dg_csv_writer *w, const dg_frame *f);
/* Returns 1 (bytes appended), 0 (done) or -1 (out of memory). */
int dg_csv_writer_next(dg_csv_writer *w, dg_buf *out);
/* Frees what the writer holds (threads, batches); it may then be initialised again. */
void dg_csv_writer_free(dg_csv_writer *w);
/* Writes the whole frame through fn. Returns 0, -1 when fn stopped or memory ran out.
   threads: as dg_csv_writer.threads, < 0 for the default (the processors online). */
int dg_csv_write(const dg_frame *f, dg_csv_out fn, void *ctx);
int dg_csv_write_threads(const dg_frame *f, dg_csv_out fn, void *ctx, int threads);

#endif
