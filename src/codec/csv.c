/*
** csv.c: the incremental CSV parser and the CSV writer of csv.h.
**
** The parser is a byte state machine. The bytes of the current field are
** either a run inside the current chunk (used in place when the field ends in
** that chunk) or, when a field spans chunks or holds doubled quotes, collected
** in p->field. Each finished field is classified (missing, int, float, bool,
** string) and appended to its column's dg_colbuild at once: no per-cell
** allocation, no Lua value.
*/
#include "csv.h"
#include "csv_parts.h"
#include "numfmt.h"
#include "strmap.h"
#include "buf.h"
#include "taskpool.h"

#include <errno.h>
#include <stdarg.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { S_START, S_UNQ, S_Q, S_QQ, S_CR };

struct dg_csv {
  int state;
  int row_started;       /* a byte of the current row was consumed */
  int quoted;            /* the current field was quoted */
  size_t bom;            /* BOM bytes matched so far; SIZE_MAX once past the start */
  size_t base;           /* bytes consumed before the current chunk */
  size_t line;           /* current line (1-based) */
  size_t line_start;     /* offset of the current line's first byte */
  size_t field_line;     /* line where the current field started */
  size_t field_col;      /* and its column */
  size_t field_index;    /* 0-based index of the current field in its row */
  dg_buf field;          /* field bytes collected across chunks / quote pairs */
  char **names;          /* header names (ncols of them once the header is done) */
  size_t nnames, capnames;
  int header_done;
  dg_colbuild **cols;
  size_t ncols;
  size_t nrows;
  dg_frame *frame;       /* after dg_csv_finish */
  int failed;
  char err[256];
  char err_what[160];    /* the error without its place (a part's error is re-placed) */
  size_t err_line, err_col, err_field;
  dg_buf scratch;        /* NUL-terminated copy of a number for strtod */
  /* parallel parsing (csv_parts.h): settings kept across dg_csv_reset */
  int threads;           /* at most this many parsing threads; <= 1: serial only */
  size_t block;          /* bytes per part, and the input parsed serially before parts */
  int engage;            /* enough input parsed serially: split from the next row on */
  dg_csvpar *par;        /* the splitter and its threads once engaged, else NULL */
  size_t parts;          /* parts joined so far */
};

/* ---- errors ------------------------------------------------------------- */

static int fail_at(dg_csv *p, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(dg_csv *p, size_t line, size_t col, const char *fmt, ...) {
  char *what = p->err_what;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof p->err_what, fmt, ap);
  va_end(ap);
  if (line)
    snprintf(p->err, sizeof p->err, "%s at line %zu, column %zu (field %zu)", what, line, col,
             p->field_index + 1);
  else
    snprintf(p->err, sizeof p->err, "%s", what);
  p->err_line = line;
  p->err_col = col;
  p->err_field = p->field_index;
  p->failed = 1;
  return -1;
}

static int fail_oom(dg_csv *p) {
  return fail_at(p, 0, 0, "out of memory while parsing CSV");
}

const char *dg_csv_error(const dg_csv *p) { return p->failed ? p->err : NULL; }

void dg_csv_error_at(const dg_csv *p, size_t *line, size_t *column) {
  *line = p->err_line;
  *column = p->err_col;
}

/* ---- life cycle --------------------------------------------------------- */

static void release(dg_csv *p) {
  dg_csvpar_free(p->par); /* first: its threads may still be parsing parts */
  for (size_t i = 0; i < p->nnames; i++) free(p->names[i]);
  free(p->names);
  for (size_t i = 0; i < p->ncols; i++) dg_colbuild_free(p->cols[i]);
  free(p->cols);
  dg_frame_free(p->frame);
  dg_buf_free(&p->field);
  dg_buf_free(&p->scratch);
}

static void init(dg_csv *p) {
  int threads = p->threads;
  size_t block = p->block;
  memset(p, 0, sizeof *p);
  p->line = 1;
  p->field_line = 1;
  p->threads = threads;
  p->block = block;
  dg_buf_init(&p->field);
  dg_buf_init(&p->scratch);
}

/* The processors this process may use, capped: the default number of threads. */
static int default_threads(void) {
  static int n; /* 0 until computed; a race computes the same value twice */
  int v = __atomic_load_n(&n, __ATOMIC_RELAXED);
  if (v == 0) {
    long k = sysconf(_SC_NPROCESSORS_ONLN);
    v = k < 1 ? 1 : k > DG_CSV_MAX_THREADS ? DG_CSV_MAX_THREADS : (int)k;
    __atomic_store_n(&n, v, __ATOMIC_RELAXED);
  }
  return v;
}

dg_csv *dg_csv_new(void) {
  dg_csv *p = malloc(sizeof *p);
  if (p) {
    p->threads = default_threads();
    p->block = DG_CSV_DEFAULT_BLOCK;
    init(p);
  }
  return p;
}

size_t dg_csv_parts(const dg_csv *p) { return p->parts; }

void dg_csv_set_parallel(dg_csv *p, int threads, size_t block) {
  p->threads = threads < 0 ? default_threads() : threads;
  if (p->threads > DG_CSV_MAX_THREADS) p->threads = DG_CSV_MAX_THREADS;
  p->block = block ? block : DG_CSV_DEFAULT_BLOCK;
}

void dg_csv_free(dg_csv *p) {
  if (!p) return;
  release(p);
  free(p);
}

void dg_csv_reset(dg_csv *p) {
  release(p);
  init(p);
}

dg_frame *dg_csv_take(dg_csv *p) {
  dg_frame *f = p->frame;
  p->frame = NULL;
  return f;
}

/* ---- classification ----------------------------------------------------- */

#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, sizeof(lit) - 1) == 0)
/*
** pandas' default na_values (pandas._libs.parsers.STR_NA_VALUES, pandas 1.5):
** "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
** "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null".
** Dispatched on the first byte, so that numbers cost one comparison or two.
*/
static int is_na(const char *s, size_t n) {
  if (n == 0) return 1;
  switch (s[0]) {
    case '#': return IS("#N/A") || IS("#N/A N/A") || IS("#NA");
    case '-': return n >= 4 && (s[1] == '1' || s[1] == 'N' || s[1] == 'n') &&
                     (IS("-1.#IND") || IS("-1.#QNAN") || IS("-NaN") || IS("-nan"));
    case '1': return n >= 6 && s[1] == '.' && (IS("1.#IND") || IS("1.#QNAN"));
    case '<': return IS("<NA>");
    case 'N': return IS("N/A") || IS("NA") || IS("NULL") || IS("NaN");
    case 'n': return IS("n/a") || IS("nan") || IS("null");
    default: return 0;
  }
}
#undef IS

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* s[0..n) equals `lower` (a lower-case literal of length len) in any letter case. */
static int ieq(const char *s, size_t n, const char *lower, size_t len) {
  if (n != len) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lower[i]) return 0;
  }
  return 1;
}

/*
** When s[0..8) are eight ASCII digits, stores their value in *v and returns 1;
** else returns 0. The eight bytes are read as one little-endian word and
** combined pairwise (bytes -> 2-digit -> 4-digit -> 8-digit lanes), so that
** long mantissas cost a few instructions per 8 digits instead of a loop step each.
*/
static inline int eight_digits(const char *s, uint64_t *v) {
  uint64_t x;
  memcpy(&x, s, 8);
  /* every byte: high nibble 3 and low nibble <= 9 (byte + 6 keeps high nibble 3) */
  if (((x & 0xF0F0F0F0F0F0F0F0ULL) | (((x + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) !=
      0x3333333333333333ULL)
    return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  x = __builtin_bswap64(x); /* the first digit in the low byte */
#endif
  x -= 0x3030303030303030ULL;
  x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFULL;    /* 4 lanes of 2 digits */
  x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFULL;  /* 2 lanes of 4 digits */
  *v = (x & 0xFFFF) * 10000 + (x >> 32);
  return 1;
}

enum { C_STRING, C_INT, C_FLOAT };

/*
** Parses a number the way pandas' reader accepts it: optional spaces/tabs
** around, [+-], then digits (an int) or a decimal float with optional
** exponent, or inf/infinity. Returns C_INT (*iv), C_FLOAT (*fv) or C_STRING.
** *canonical: the text is exactly how the writer formats that value.
*/
static int parse_number(dg_csv *p, const char *s, size_t n, int64_t *iv, double *fv,
                        int *canonical) {
  const char *e = s + n;
  *canonical = 1;
  while (s < e && is_blank(*s)) { s++; *canonical = 0; }
  while (e > s && is_blank(e[-1])) { e--; *canonical = 0; }
  if (s == e) return C_STRING;
  const char *t = s;
  int neg = 0;
  if (*t == '+' || *t == '-') {
    neg = *t == '-';
    if (*t == '+') *canonical = 0;
    t++;
  }
  if (t == e) return C_STRING;
  if ((*t | 0x20) == 'i') {
    if (!ieq(t, (size_t)(e - t), "inf", 3) && !ieq(t, (size_t)(e - t), "infinity", 8))
      return C_STRING;
    *fv = neg ? -INFINITY : INFINITY;
    *canonical = *canonical && (size_t)(e - t) == 3 && memcmp(t, "inf", 3) == 0;
    return C_FLOAT;
  }
  /* mantissa digits: the first 19 significant ones are kept exactly (leading
     zeros are not significant), later ones only scale the exponent */
  uint64_t mant = 0;
  int sig = 0, dropped = 0, intdigits, fracdigits = 0, expo = 0;
  const char *q = t;
  uint64_t v8;
  while (q < e && *q == '0') q++;
  for (; sig <= 11 && e - q >= 8 && eight_digits(q, &v8); q += 8, sig += 8)
    mant = mant * 100000000 + v8;
  for (; q < e && (unsigned)(*q - '0') < 10 && sig < 19; q++, sig++)
    mant = mant * 10 + (uint64_t)(*q - '0');
  for (; q < e && (unsigned)(*q - '0') < 10; q++) dropped++;
  expo = dropped;
  intdigits = (int)(q - t);
  if (q == e) {
    /* an integer: exact if it fits int64 */
    if (dropped == 0 && mant <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
      *iv = neg ? (int64_t)(0 - mant) : (int64_t)mant;
      if ((t[0] == '0' && intdigits > 1) || (neg && mant == 0)) *canonical = 0;
      return C_INT;
    }
    /* beyond int64: a float (pandas would make uint64 or object) */
  }
  if (q < e && *q == '.') {
    const char *f0 = ++q;
    if (sig == 0)
      while (q < e && *q == '0') q++; /* 0.000123: zeros that only scale */
    for (; sig <= 11 && e - q >= 8 && eight_digits(q, &v8); q += 8, sig += 8)
      mant = mant * 100000000 + v8;
    for (; q < e && (unsigned)(*q - '0') < 10 && sig < 19; q++, sig++)
      mant = mant * 10 + (uint64_t)(*q - '0');
    expo -= (int)(q - f0); /* every fraction digit kept or skipped as a zero */
    for (; q < e && (unsigned)(*q - '0') < 10; q++) dropped++;
    fracdigits = (int)(q - f0);
  }
  int ndig = intdigits + fracdigits;
  if (ndig == 0) return C_STRING;
  int has_exp = 0;
  if (q < e && (*q == 'e' || *q == 'E')) {
    const char *r = q + 1;
    int eneg = 0;
    if (r < e && (*r == '+' || *r == '-')) { eneg = *r == '-'; r++; }
    if (r == e || *r < '0' || *r > '9') return C_STRING;
    int ev = 0;
    while (r < e && *r >= '0' && *r <= '9') {
      if (ev < 100000) ev = ev * 10 + (*r - '0');
      r++;
    }
    expo += eneg ? -ev : ev;
    q = r;
    has_exp = 1;
  }
  if (q != e) return C_STRING;
  /* canonical (Python repr) only in the cheap-to-check fixed form: d+.d+ without
     superfluous zeros, at most 15 significant digits, 1e-4 <= |x| < 1e16 */
  if (*canonical) {
    int ok = !has_exp && intdigits > 0 && fracdigits > 0 && sig <= 15 && dropped == 0 &&
             intdigits <= 16;
    if (ok && t[0] == '0' && intdigits > 1) ok = 0;   /* "01.5" */
    if (ok && e[-1] == '0' && fracdigits > 1) ok = 0;  /* "1.50" */
    if (ok && mant != 0 && t[0] == '0') {              /* 0.0001 is fixed, 0.00001 is 1e-05 */
      const char *d = t + 2;
      while (d < e && *d == '0') d++;
      if (d - (t + 2) > 3) ok = 0;
    }
    *canonical = ok;
  }
  /* value: without strtod where that is exact, else strtod on a NUL-terminated copy */
  double d;
  if (dropped == 0 && dg_decimal_to_double(mant, expo, &d) == 0) {
    *fv = neg ? -d : d;
    return C_FLOAT;
  }
  if (mant == 0) {
    *fv = neg ? -0.0 : 0.0;
    return C_FLOAT;
  }
  dg_buf_reset(&p->scratch);
  if (dg_buf_add(&p->scratch, t, (size_t)(e - t)) < 0) return -1;
  errno = 0;
  d = strtod(p->scratch.data, NULL);
  if (errno == ERANGE && isinf(d)) return C_STRING; /* beyond double: pandas keeps the text */
  *fv = neg ? -d : d;
  return C_FLOAT;
}

/* Appends one field's value (s[0..n)) to column i. */
static int store_field(dg_csv *p, size_t i, const char *s, size_t n) {
  dg_colbuild *b = p->cols[i];
  int rc;
  if (is_na(s, n)) {
    rc = dg_colbuild_missing(b);
  } else if ((n == 4 || n == 5) && ((s[0] | 0x20) == 't' || (s[0] | 0x20) == 'f') &&
             (ieq(s, n, "true", 4) || ieq(s, n, "false", 5))) {
    rc = dg_colbuild_bool(b, n == 4, s, n);
  } else {
    int64_t iv = 0;
    double fv = 0;
    int canonical = 0;
    char c0 = s[0];
    int kind = C_STRING;
    if ((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.' || is_blank(c0) ||
        c0 == 'i' || c0 == 'I')
      kind = parse_number(p, s, n, &iv, &fv, &canonical);
    if (kind < 0) return fail_oom(p);
    if (kind == C_INT) rc = dg_colbuild_int(b, iv, s, n, canonical);
    else if (kind == C_FLOAT) rc = dg_colbuild_float(b, fv, s, n, canonical);
    else rc = dg_colbuild_string(b, s, n);
  }
  return rc < 0 ? fail_oom(p) : 0;
}

/* ---- header ------------------------------------------------------------- */

static int add_name(dg_csv *p, const char *s, size_t n) {
  if (memchr(s, '\0', n))
    return fail_at(p, p->field_line, p->field_col, "a NUL byte in a column name");
  if (p->nnames == p->capnames) {
    size_t cap = p->capnames ? p->capnames * 2 : 16;
    char **names = realloc(p->names, cap * sizeof *names);
    if (!names) return fail_oom(p);
    p->names = names;
    p->capnames = cap;
  }
  char *name;
  if (n == 0) {
    char tmp[40];
    int len = snprintf(tmp, sizeof tmp, "Unnamed: %zu", p->nnames);
    name = malloc((size_t)len + 1);
    if (name) memcpy(name, tmp, (size_t)len + 1);
  } else {
    name = malloc(n + 1);
    if (name) {
      memcpy(name, s, n);
      name[n] = '\0';
    }
  }
  if (!name) return fail_oom(p);
  p->names[p->nnames++] = name;
  return 0;
}

/* Adds d to the count of name in m (an entry is made on first use). 0, or -1 out of memory. */
static int count_add(dg_strmap *m, const char *name, long d, size_t *now) {
  size_t len = strlen(name);
  dg_strmap_entry *e = dg_strmap_get(m, name, len);
  if (!e && !(e = dg_strmap_set(m, name, len, NULL))) return -1;
  e->count = (size_t)((long)e->count + d);
  if (now) *now = e->count;
  return 0;
}

static size_t count_of(const dg_strmap *m, const char *name) {
  dg_strmap_entry *e = dg_strmap_get(m, name, strlen(name));
  return e ? e->count : 0;
}

/*
** The name `gone` is no longer in the header: when it is "<base>.<k>" (k as
** "%zu" writes it), base's probe must start at k again (see dedup_names).
*/
static void reopen_probe(dg_strmap *next, const char *gone) {
  const char *dot = strrchr(gone, '.');
  if (!dot || !dot[1] || (dot[1] == '0' && dot[2])) return;
  size_t k = 0;
  for (const char *d = dot + 1; *d; d++) {
    if (*d < '0' || *d > '9') return;
    k = k * 10 + (size_t)(*d - '0');
  }
  dg_strmap_entry *e = dg_strmap_get(next, gone, (size_t)(dot - gone));
  if (e && e->count > k) e->count = k;
}

/*
** Renames duplicates as pandas' C reader does: the second "a" becomes "a.1"
** (or "a.2" when "a.1" is already a header name), counting per original name.
** Precisely, for each column i in order whose name `base` is also the name of
** an earlier column (as renamed): k starts at the number of earlier columns
** named exactly `base` and goes up until "<base>.<k>" is no column's current
** name; column i takes that name.
** Linear on average: hash maps count the current names of all columns and of
** the earlier ones, and `next` remembers per base where its last probe ended
** (every "<base>.<j>" from the start up to there is a current name, unless one
** left the header: reopen_probe moves the mark back), so n equal names cost
** O(n), not O(n^3).
*/
static int dedup_names(dg_csv *p) {
  size_t n = p->nnames;
  char **names = p->names;
  dg_strmap all = {0}, earlier = {0}, next = {0};
  dg_buf probe;
  dg_buf_init(&probe);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) rc = count_add(&all, names[i], 1, NULL);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const char *base = names[i];
    size_t blen = strlen(base);
    size_t k = count_of(&earlier, base);
    if (k > 0) {
      dg_strmap_entry *mark = dg_strmap_get(&next, base, blen);
      if (mark && mark->count > k) k = mark->count;
      for (;; k++) {
        dg_buf_reset(&probe);
        if (dg_buf_printf(&probe, "%s.%zu", base, k) < 0) break;
        if (count_of(&all, probe.data) == 0) break;
      }
      char *name = probe.failed ? NULL : strdup(probe.data);
      if (!name || (!mark && !(mark = dg_strmap_set(&next, base, blen, NULL)))) {
        free(name);
        rc = -1;
        break;
      }
      mark->count = k + 1;
      size_t left;
      if (count_add(&all, base, -1, &left) || count_add(&all, name, 1, NULL)) {
        free(name);
        rc = -1;
        break;
      }
      if (left == 0) reopen_probe(&next, base);
      free(names[i]);
      names[i] = name;
    }
    if (rc == 0) rc = count_add(&earlier, names[i], 1, NULL);
  }
  dg_strmap_free(&all);
  dg_strmap_free(&earlier);
  dg_strmap_free(&next);
  dg_buf_free(&probe);
  return rc ? fail_oom(p) : 0;
}

static int finish_header(dg_csv *p) {
  p->header_done = 1;
  if (dedup_names(p) < 0) return -1;
  p->cols = calloc(p->nnames ? p->nnames : 1, sizeof *p->cols);
  if (!p->cols) return fail_oom(p);
  for (size_t i = 0; i < p->nnames; i++) {
    p->cols[i] = dg_colbuild_new();
    if (!p->cols[i]) return fail_oom(p);
    p->ncols++;
  }
  return 0;
}

/* ---- fields and rows ---------------------------------------------------- */

static int end_field(dg_csv *p, const char *s, size_t n) {
  int rc;
  if (!p->header_done) {
    rc = add_name(p, s, n);
  } else if (p->field_index >= p->ncols) {
    p->field_index = p->ncols; /* the error names the first extra field */
    return fail_at(p, p->field_line, p->field_col, "row has more fields than the header's %zu",
                   p->ncols);
  } else {
    rc = store_field(p, p->field_index, s, n);
  }
  p->field_index++;
  if (p->field.len) dg_buf_reset(&p->field); /* most fields never touch it */
  p->quoted = 0;
  return rc;
}

/* The last field of a row has been read (s[0..n)): a blank line is skipped. */
static int end_row(dg_csv *p, const char *s, size_t n) {
  if (p->field_index == 0 && !p->quoted) {
    size_t i = 0;
    while (i < n && is_blank(s[i])) i++;
    if (i == n) {
      dg_buf_reset(&p->field);
      p->row_started = 0;
      return 0;
    }
  }
  if (end_field(p, s, n) < 0) return -1;
  if (!p->header_done) {
    if (finish_header(p) < 0) return -1;
  } else {
    for (size_t i = p->field_index; i < p->ncols; i++)
      if (dg_colbuild_missing(p->cols[i]) < 0) return fail_oom(p);
    p->nrows++;
  }
  p->field_index = 0;
  p->row_started = 0;
  return 0;
}

/* Bytes that end a run of an unquoted / a quoted field. */
static const unsigned char stop_unq[256] = {[','] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1};
static const unsigned char stop_q[256] = {['"'] = 1, ['\n'] = 1};

/*
** The index of the first byte of data[i..n) that ends an unquoted run (',',
** '"', '\n', '\r'), or n. With SSE2 (the x86-64 baseline) 16 bytes are compared
** per step; the tail, and other machines, use the stop_unq table.
*/
static size_t scan_unquoted(const char *data, size_t i, size_t n) {
#ifdef __SSE2__
  const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  for (; n - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    unsigned mask = (unsigned)_mm_movemask_epi8(hit);
    if (mask) return i + (size_t)__builtin_ctz(mask);
  }
#endif
  while (i < n && !stop_unq[(unsigned char)data[i]]) i++;
  return i;
}
static const char utf8_bom[3] = {'\xEF', '\xBB', '\xBF'};

static int feed_serial(dg_csv *p, const char *data, size_t n) {
  if (p->failed) return -1;
  if (p->frame) return fail_at(p, 0, 0, "CSV input after its end");
  /* a UTF-8 BOM at the very start, possibly split across chunks */
  while (p->bom < 3 && n > 0) {
    if (data[0] != utf8_bom[p->bom]) {
      size_t k = p->bom; /* a partial BOM was data after all: replay it */
      p->bom = SIZE_MAX;
      if (k && feed_serial(p, utf8_bom, k) < 0) return -1;
      break;
    }
    p->bom++;
    data++;
    n--;
    if (p->bom == 3) {
      p->bom = SIZE_MAX;
      p->base = p->line_start = 3;
    }
  }
  if (n == 0) return 0;
  size_t i = 0, run = 0, run_end = 0;
  /* field bytes so far: p->field + data[run..i) (or data[run..run_end) after a quote) */
#define FLUSH(end)                                                              \
  do {                                                                          \
    if ((end) > run && dg_buf_add(&p->field, data + run, (end) - run) < 0)      \
      return fail_oom(p);                                                       \
  } while (0)
#define FIELD_AT(end, call)                                                     \
  do {                                                                          \
    int rc_;                                                                    \
    if (p->field.len == 0) {                                                    \
      rc_ = call(p, data + run, (end) - run);                                   \
    } else {                                                                    \
      FLUSH(end);                                                               \
      rc_ = call(p, p->field.data, p->field.len);                               \
    }                                                                           \
    if (rc_ < 0) return -1;                                                     \
  } while (0)
#define NEWLINE(at)                                                             \
  do {                                                                          \
    p->line++;                                                                  \
    p->line_start = p->base + (at) + 1;                                         \
  } while (0)
  while (i < n) {
    unsigned char c = (unsigned char)data[i];
    switch (p->state) {
      case S_START:
        p->row_started = 1;
        p->field_line = p->line;
        p->field_col = p->base + i - p->line_start + 1;
        run = i;
        if (c == '"') {
          p->quoted = 1;
          p->state = S_Q;
          i++;
          run = i;
        } else if (c == ',') {
          FIELD_AT(i, end_field);
          i++;
        } else if (c == '\n') {
          FIELD_AT(i, end_row);
          NEWLINE(i);
          i++;
        } else if (c == '\r') {
          FIELD_AT(i, end_row);
          NEWLINE(i);
          p->state = S_CR;
          i++;
        } else {
          p->state = S_UNQ; /* and scan it at once, below */
          goto unquoted;
        }
        break;
      case S_UNQ:
      unquoted:
        i = scan_unquoted(data, i, n);
        if (i == n) break;
        c = (unsigned char)data[i];
        if (c == '"')
          return fail_at(p, p->line, p->base + i - p->line_start + 1,
                         "a quote inside an unquoted field");
        if (c == ',') {
          FIELD_AT(i, end_field);
          p->state = S_START;
        } else {
          FIELD_AT(i, end_row);
          NEWLINE(i);
          p->state = c == '\r' ? S_CR : S_START;
        }
        i++;
        break;
      case S_Q:
        while (i < n && !stop_q[(unsigned char)data[i]]) i++;
        if (i == n) break;
        if (data[i] == '\n') {
          NEWLINE(i);
          i++;
          break;
        }
        run_end = i; /* the quote: closing, or the first of a doubled pair */
        p->state = S_QQ;
        i++;
        break;
      case S_QQ:
        if (c == '"') {
          FLUSH(run_end);
          if (dg_buf_addc(&p->field, '"') < 0) return fail_oom(p);
          i++;
          run = i;
          p->state = S_Q;
        } else if (c == ',') {
          FIELD_AT(run_end, end_field);
          i++;
          p->state = S_START;
        } else if (c == '\n' || c == '\r') {
          FIELD_AT(run_end, end_row);
          NEWLINE(i);
          i++;
          p->state = c == '\r' ? S_CR : S_START;
        } else {
          return fail_at(p, p->line, p->base + i - p->line_start + 1,
                         "unexpected text after a closing quote");
        }
        break;
      case S_CR:
        p->state = S_START;
        if (c == '\n') {
          p->line_start = p->base + i + 1;
          i++;
        }
        break;
    }
  }
  /* keep the unfinished field's bytes for the next chunk */
  if (p->state == S_UNQ || p->state == S_Q) FLUSH(n);
  else if (p->state == S_QQ) FLUSH(run_end);
  p->base += n;
#undef FLUSH
#undef FIELD_AT
#undef NEWLINE
  return 0;
}

/*
** The offset just past the first row end of data[0..n) given the parser's state
** (0 when it stands at the start of a row), or SIZE_MAX when data ends inside the
** row. A row ends at a LF outside quotes; inside a quoted field (S_Q) every '"'
** toggles, as opening, doubled and closing quotes do in valid input.
*/
static size_t first_row_end(const dg_csv *p, const char *data, size_t n) {
  if (p->state == S_START && !p->row_started) return 0;
  int inq = p->state == S_Q;
  for (size_t i = 0; i < n; i++) {
    if (data[i] == '"') inq = !inq;
    else if (data[i] == '\n' && !inq) return i + 1;
  }
  return SIZE_MAX;
}

int dg_csv_feed(dg_csv *p, const char *data, size_t n) {
  if (p->failed) return -1;
  if (p->par) return dg_csvpar_feed(p->par, data, n);
  int may_split = p->threads > 1 && !p->frame;
  while (n > 0) {
    if (p->engage) {
      /* finish the current row serially, then hand whole rows to the parts */
      size_t b = first_row_end(p, data, n);
      if (b == SIZE_MAX) return feed_serial(p, data, n);
      if (b && feed_serial(p, data, b) < 0) return -1;
      p->engage = 0;
      if ((p->par = dg_csvpar_new(p, p->ncols, p->threads, p->block)) != NULL)
        return dg_csvpar_feed(p->par, data + b, n - b);
      return feed_serial(p, data + b, n - b); /* no threads: carry on serially */
    }
    /* serially up to `block` bytes and the header (a feed may hold the whole input),
       then split */
    size_t k = n;
    if (may_split && !p->header_done) {
      const char *lf = memchr(data, '\n', n);
      if (lf) k = (size_t)(lf - data) + 1;
    } else if (may_split && p->base < p->block && p->block - p->base < k) {
      k = p->block - p->base;
    }
    if (feed_serial(p, data, k) < 0) return -1;
    data += k;
    n -= k;
    if (may_split && p->header_done && p->base >= p->block) p->engage = 1;
  }
  return 0;
}

/* The end of the input for the rows: an unfinished last row ends, an open quote fails. */
static int finish_rows(dg_csv *p) {
  if (p->state == S_Q)
    return fail_at(p, p->field_line, p->field_col, "unterminated quoted field");
  if ((p->state == S_START && p->row_started) || p->state == S_UNQ || p->state == S_QQ) {
    if (end_row(p, p->field.data ? p->field.data : "", p->field.len) < 0) return -1;
  }
  return 0;
}

dg_csv *dg_csv_rows_new(size_t ncols) {
  dg_csv *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  init(p); /* threads 0: a part never splits again */
  p->bom = SIZE_MAX;
  p->header_done = 1;
  p->cols = calloc(ncols ? ncols : 1, sizeof *p->cols);
  if (!p->cols) {
    dg_csv_free(p);
    return NULL;
  }
  for (size_t i = 0; i < ncols; i++) {
    if (!(p->cols[i] = dg_colbuild_new())) {
      dg_csv_free(p);
      return NULL;
    }
    p->ncols++;
  }
  return p;
}

void dg_csv_rows_reuse(dg_csv *part) {
  /* the columns were emptied by the join (their memory kept); so are these buffers */
  dg_colbuild **cols = part->cols;
  size_t ncols = part->ncols;
  dg_buf field = part->field, scratch = part->scratch;
  init(part);
  dg_buf_reset(&field);
  part->field = field;
  part->scratch = scratch;
  part->cols = cols;
  part->ncols = ncols;
  part->bom = SIZE_MAX;
  part->header_done = 1;
}

int dg_csv_rows_parse(dg_csv *part, const char *data, size_t n, int last) {
  if (feed_serial(part, data, n) < 0) return -1;
  return last ? finish_rows(part) : 0;
}

int dg_csv_rows_join(dg_csv *p, dg_csv *part) {
  if (p->failed) return -1;
  if (!part) return fail_oom(p);
  if (part->failed) {
    if (part->err_line == 0) return fail_at(p, 0, 0, "%s", part->err_what);
    p->field_index = part->err_field;
    return fail_at(p, p->line + part->err_line - 1, part->err_col, "%s", part->err_what);
  }
  for (size_t i = 0; i < p->ncols; i++)
    if (dg_colbuild_append(p->cols[i], part->cols[i]) < 0) return fail_oom(p);
  p->nrows += part->nrows;
  p->line += part->line - 1;
  p->parts++;
  return 0;
}

int dg_csv_finish(dg_csv *p) {
  if (p->failed) return -1;
  if (p->frame) return 0;
  if (p->par) {
    int rc = dg_csvpar_finish(p->par); /* the last part, then every part joined in order */
    dg_csvpar_free(p->par);
    p->par = NULL;
    if (rc < 0 || p->failed) return -1;
  }
  p->engage = 0;
  if (p->bom > 0 && p->bom < 3) { /* input shorter than a BOM */
    size_t k = p->bom;
    p->bom = SIZE_MAX;
    if (feed_serial(p, utf8_bom, k) < 0) return -1;
  }
  if (finish_rows(p) < 0) return -1;
  if (!p->header_done && p->nnames == 0 && finish_header(p) < 0) return -1;
  dg_frame *f = dg_frame_new(p->ncols);
  if (!f) return fail_oom(p);
  for (size_t i = 0; i < p->ncols; i++) {
    if (dg_colbuild_finish(p->cols[i], &f->cols[i]) < 0) {
      dg_frame_free(f);
      return fail_oom(p);
    }
    f->cols[i].name = p->names[i];
    p->names[i] = NULL;
  }
  f->nrows = p->nrows;
  p->frame = f;
  return 0;
}

/* ---- writer ------------------------------------------------------------- */

/* QUOTE_MINIMAL: the separator, the quote and line-end bytes force quoting. */
static const unsigned char needs_quote[256] = {[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1};

static void add_field(dg_buf *out, const char *s, size_t n) {
  int q = 0;
  for (size_t i = 0; i < n; i++)
    if (needs_quote[(unsigned char)s[i]]) { q = 1; break; }
  if (!q) {
    dg_buf_add(out, s, n);
    return;
  }
  dg_buf_addc(out, '"');
  const char *p = s, *e = s + n;
  while (p < e) {
    const char *qt = memchr(p, '"', (size_t)(e - p));
    if (!qt) {
      dg_buf_add(out, p, (size_t)(e - p));
      break;
    }
    dg_buf_add(out, p, (size_t)(qt - p) + 1);
    dg_buf_addc(out, '"');
    p = qt + 1;
  }
  dg_buf_addc(out, '"');
}

/*
** Writes cell r of c at `at` (at least CELL_MAX bytes of room) when it is not a
** string, returning its length; a string cell returns SIZE_MAX and is left to
** add_field (its length is unbounded).
*/
#define CELL_MAX 32
static size_t put_cell(char *at, const dg_column *c, size_t r, int single) {
  if (c->missing && ((c->missing[r >> 3] >> (r & 7)) & 1)) {
    if (!single) return 0;
    memcpy(at, "\"\"", 2);
    return 2;
  }
  switch (c->type) {
    case DG_INT: return dg_fmt_int(((const int64_t *)c->data)[r], at);
    case DG_FLOAT: return dg_fmt_double(((const double *)c->data)[r], at);
    case DG_BOOL:
      if (((const uint8_t *)c->data)[r]) { memcpy(at, "True", 4); return 4; }
      memcpy(at, "False", 5);
      return 5;
    default: return SIZE_MAX;
  }
}

/* Formats rows [w->row, to) at most, stopping once `limit` bytes were added. */
static int format_rows(const dg_frame *f, size_t *row, size_t to, size_t limit, dg_buf *out) {
  int single = f->ncols == 1;
  size_t start = out->len;
  /* numbers and bools are formatted straight into room reserved per cell (a
     separator + CELL_MAX); strings go through add_field */
  while (*row < to && out->len - start < limit) {
    size_t r = *row;
    for (size_t j = 0; j < f->ncols; j++) {
      const dg_column *c = &f->cols[j];
      char *at = dg_buf_reserve(out, CELL_MAX + 2);
      if (!at) return -1;
      size_t k = 0;
      if (j) at[k++] = ',';
      size_t n = put_cell(at + k, c, r, single);
      if (n != SIZE_MAX) {
        out->len += k + n;
        continue;
      }
      out->len += k;
      size_t len;
      const char *s = dg_column_str(c, r, &len);
      if (len == 0 && single) dg_buf_add(out, "\"\"", 2);
      else add_field(out, s, len);
    }
    dg_buf_addc(out, '\n');
    (*row)++;
  }
  return out->failed ? -1 : 0;
}

#define BATCH_BYTES 65536
#define PAR_MIN_ROWS 4096    /* smaller frames are formatted serially */

/* Batches formatted ahead: bufs[next..nready) are ready, in row order. */
struct dg_csv_wpar {
  dg_taskpool *pool;
  const dg_frame *f;
  size_t rows_per_batch;
  size_t nready, next;
  size_t from[DG_CSV_MAX_THREADS], to[DG_CSV_MAX_THREADS];
  int failed[DG_CSV_MAX_THREADS];
  dg_buf bufs[DG_CSV_MAX_THREADS];
  int nthreads;
};

static void format_batch(void *arg, size_t i) {
  dg_csv_wpar *wp = arg;
  size_t row = wp->from[i];
  dg_buf_reset(&wp->bufs[i]);
  wp->failed[i] = format_rows(wp->f, &row, wp->to[i], SIZE_MAX, &wp->bufs[i]) < 0;
}

void dg_csv_writer_init(dg_csv_writer *w, const dg_frame *f) {
  memset(w, 0, sizeof *w);
  w->f = f;
  w->threads = default_threads();
  w->min_rows = PAR_MIN_ROWS;
  w->batch = BATCH_BYTES;
}

void dg_csv_writer_free(dg_csv_writer *w) {
  dg_csv_wpar *wp = w->par;
  if (wp) {
    dg_taskpool_free(wp->pool);
    for (int i = 0; i < DG_CSV_MAX_THREADS; i++) dg_buf_free(&wp->bufs[i]);
    free(wp);
  }
  dg_csv_writer keep = *w;
  memset(w, 0, sizeof *w);
  w->f = keep.f;
  w->threads = keep.threads;
  w->min_rows = keep.min_rows;
  w->batch = keep.batch;
}

/* Hands out the next ready batch: swapped into an empty out, else appended. */
static int hand_out(dg_csv_wpar *wp, dg_buf *out) {
  dg_buf *b = &wp->bufs[wp->next++];
  if (out->len == 0) {
    dg_buf t = *out;
    *out = *b;
    *b = t;
    dg_buf_reset(b);
    return 1;
  }
  return dg_buf_add(out, b->data, b->len) < 0 ? -1 : 1;
}

/* Starts formatting in parallel, sizing batches from the rows already written. */
static void start_parallel(dg_csv_writer *w, size_t bytes_per_row) {
  int n = w->threads > DG_CSV_MAX_THREADS ? DG_CSV_MAX_THREADS : w->threads;
  dg_csv_wpar *wp = calloc(1, sizeof *wp);
  if (!wp) return;
  if (!(wp->pool = dg_taskpool_new(n))) {
    free(wp);
    return; /* no threads: carry on serially */
  }
  for (int i = 0; i < DG_CSV_MAX_THREADS; i++) dg_buf_init(&wp->bufs[i]);
  wp->f = w->f;
  wp->nthreads = n;
  wp->rows_per_batch = 4 * w->batch / (bytes_per_row ? bytes_per_row : 1) + 1;
  w->par = wp;
}

int dg_csv_writer_next(dg_csv_writer *w, dg_buf *out) {
  const dg_frame *f = w->f;
  int single = f->ncols == 1;
  if (!w->header_done) {
    for (size_t j = 0; j < f->ncols; j++) {
      if (j) dg_buf_addc(out, ',');
      const char *name = f->cols[j].name ? f->cols[j].name : "";
      if (single && !*name) dg_buf_add(out, "\"\"", 2);
      else add_field(out, name, strlen(name));
    }
    dg_buf_addc(out, '\n');
    w->header_done = 1;
    return out->failed ? -1 : 1;
  }
  dg_csv_wpar *wp = w->par;
  if (wp && wp->next < wp->nready) return hand_out(wp, out);
  if (w->row >= f->nrows) {
    dg_csv_writer_free(w); /* done: no thread outlives the last call */
    w->header_done = 1;
    w->row = f->nrows;
    return 0;
  }
  if (wp) {
    /* the next batches, one per thread, formatted at once */
    size_t k = 0;
    for (; k < (size_t)wp->nthreads && w->row < f->nrows; k++) {
      wp->from[k] = w->row;
      w->row = f->nrows - w->row > wp->rows_per_batch ? w->row + wp->rows_per_batch : f->nrows;
      wp->to[k] = w->row;
    }
    dg_taskpool_run(wp->pool, format_batch, wp, k);
    for (size_t i = 0; i < k; i++)
      if (wp->failed[i]) return -1;
    wp->nready = k;
    wp->next = 0;
    return hand_out(wp, out);
  }
  size_t before = out->len, first = w->row;
  if (format_rows(f, &w->row, f->nrows, w->batch ? w->batch : BATCH_BYTES, out) < 0) return -1;
  if (w->threads > 1 && first == 0 && f->nrows >= w->min_rows && w->row < f->nrows)
    start_parallel(w, (out->len - before) / (w->row - first));
  return 1;
}

int dg_csv_write_threads(const dg_frame *f, dg_csv_out fn, void *ctx, int threads) {
  dg_csv_writer w;
  dg_buf out;
  dg_buf_init(&out);
  dg_csv_writer_init(&w, f);
  if (threads >= 0) w.threads = threads;
  int rc;
  while ((rc = dg_csv_writer_next(&w, &out)) == 1) {
    if (fn(ctx, out.data, out.len) < 0) {
      rc = -1;
      break;
    }
    dg_buf_reset(&out);
  }
  dg_csv_writer_free(&w);
  dg_buf_free(&out);
  return rc;
}

int dg_csv_write(const dg_frame *f, dg_csv_out fn, void *ctx) {
  return dg_csv_write_threads(f, fn, ctx, -1);
}
