/*
** frame.c: the columnar storage of frame.h and the column builder that widens
** types as pandas does.
*/
#include "frame.h"
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================== */
/* storage                                                                  */
/* ======================================================================== */

const char *dg_type_name(dg_type t) {
  static const char *const names[] = {"int", "float", "bool", "string"};
  return names[t];
}

static size_t elem_size(int type) { return type == DG_BOOL ? 1 : 8; }

dg_frame *dg_frame_new(size_t ncols) {
  dg_frame *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->cols = calloc(ncols ? ncols : 1, sizeof *f->cols);
  if (!f->cols) {
    free(f);
    return NULL;
  }
  f->ncols = ncols;
  for (size_t i = 0; i < ncols; i++) dg_buf_init(&f->cols[i].text);
  return f;
}

void dg_frame_free(dg_frame *f) {
  if (!f) return;
  for (size_t i = 0; i < f->ncols; i++) {
    dg_column *c = &f->cols[i];
    free(c->name);
    free(c->data);
    free(c->missing);
    dg_buf_free(&c->text);
  }
  free(f->cols);
  free(f);
}

int dg_column_missing(const dg_column *c, size_t row) {
  return c->missing && ((c->missing[row >> 3] >> (row & 7)) & 1);
}

const char *dg_column_str(const dg_column *c, size_t row, size_t *len) {
  const uint64_t *end = c->data;
  size_t start = row ? (size_t)end[row - 1] : 0;
  *len = (size_t)end[row] - start;
  return c->text.data ? c->text.data + start : "";
}

dg_frame *dg_frame_take(const dg_frame *src, const size_t *rows, size_t nrows,
                        const size_t *cols, size_t ncols) {
  dg_frame *f = dg_frame_new(ncols);
  if (!f) return NULL;
  f->nrows = nrows;
  for (size_t j = 0; j < ncols; j++) {
    const dg_column *s = &src->cols[cols[j]];
    dg_column *d = &f->cols[j];
    d->type = s->type;
    d->name = strdup(s->name ? s->name : "");
    d->cap = nrows;
    d->data = malloc((nrows ? nrows : 1) * elem_size(s->type));
    if (!d->name || !d->data) goto oom;
    for (size_t r = 0; r < nrows; r++) {
      size_t sr = rows[r];
      if (dg_column_missing(s, sr)) {
        if (!d->missing && !(d->missing = calloc((nrows + 7) / 8, 1))) goto oom;
        d->missing[r >> 3] |= (uint8_t)(1u << (r & 7));
      }
      if (s->type == DG_STRING) {
        size_t n;
        const char *p = dg_column_str(s, sr, &n);
        if (dg_buf_add(&d->text, p, n) < 0) goto oom;
        ((uint64_t *)d->data)[r] = d->text.len;
      } else if (s->type == DG_BOOL) {
        ((uint8_t *)d->data)[r] = ((const uint8_t *)s->data)[sr];
      } else {
        memcpy((char *)d->data + r * 8, (const char *)s->data + sr * 8, 8);
      }
    }
  }
  return f;
oom:
  dg_frame_free(f);
  return NULL;
}

/* ======================================================================== */
/* the column builder                                                       */
/* ======================================================================== */

#define K_NONE (-1) /* only missing values so far: no type yet */

/*
** A kept text: entries are in row order and their texts lie back to back in
** exctext in the same order, so an entry needs only its end (16 bytes, not 24:
** a table of full-precision floats keeps one per cell).
*/
typedef struct {
  size_t row, end;
} exc_entry;

struct dg_colbuild {
  int kind;            /* K_NONE or a dg_type */
  size_t n, cap;
  void *data;          /* as dg_column.data; for DG_BOOL bit 0 = value, bits 1-2 = spelling */
  uint8_t *missing;    /* always allocated for cap rows */
  int any_missing;
  dg_buf text;         /* DG_STRING bytes */
  size_t float_from;   /* DG_FLOAT: rows below this held ints when the column widened */
  dg_buf exctext;      /* raw texts of cells whose text is not the canonical one */
  exc_entry *exc;      /* sorted by row; text k is exctext[exc_start(b, k) .. exc[k].end) */
  size_t nexc, capexc;
  void *spare;         /* a data array kept from an earlier use (recycle), spare_bytes long */
  size_t spare_bytes;
};

dg_colbuild *dg_colbuild_new(void) {
  dg_colbuild *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->kind = K_NONE;
  dg_buf_init(&b->text);
  dg_buf_init(&b->exctext);
  return b;
}

static void colbuild_clear(dg_colbuild *b) {
  free(b->data);
  free(b->spare);
  free(b->missing);
  free(b->exc);
  dg_buf_free(&b->text);
  dg_buf_free(&b->exctext);
  memset(b, 0, sizeof *b);
  b->kind = K_NONE;
}

void dg_colbuild_free(dg_colbuild *b) {
  if (!b) return;
  colbuild_clear(b);
  free(b);
}

/* Room for one more row. */
static int grow(dg_colbuild *b) {
  if (b->n < b->cap) return 0;
  size_t cap = b->cap ? b->cap * 2 : 64;
  if (b->kind != K_NONE) {
    void *d = realloc(b->data, cap * elem_size(b->kind));
    if (!d) return -1;
    b->data = d;
  }
  uint8_t *m = realloc(b->missing, (cap + 7) / 8);
  if (!m) return -1;
  memset(m + (b->cap + 7) / 8, 0, (cap + 7) / 8 - (b->cap + 7) / 8);
  b->missing = m;
  b->cap = cap;
  return 0;
}

/* The first value of a column of missing values: its storage, zeroed for the rows so far. */
static int set_kind(dg_colbuild *b, int kind) {
  size_t need = (b->cap ? b->cap : 1) * elem_size(kind); /* a column without rows has cap 0 */
  if (b->spare && b->spare_bytes >= need) {
    b->data = b->spare; /* recycled: only the rows so far need zeros */
    memset(b->data, 0, b->n * elem_size(kind));
  } else {
    free(b->spare);
    b->data = calloc(need / elem_size(kind), elem_size(kind));
  }
  b->spare = NULL;
  b->spare_bytes = 0;
  if (!b->data) return -1;
  b->kind = kind;
  return 0;
}

/*
** Empties b for another use, keeping its memory: the data array becomes the spare,
** the missing bitmap is cleared, kept texts and string bytes are dropped. A
** recycled builder is as a new one, but fills without allocating or faulting in
** pages again (the parallel CSV parser reuses its parts' builders this way).
*/
static void recycle(dg_colbuild *b) {
  if (b->data) {
    size_t bytes = b->cap * elem_size(b->kind);
    if (b->spare) free(b->spare);
    b->spare = b->data;
    b->spare_bytes = bytes;
    b->data = NULL;
  }
  if (b->missing) memset(b->missing, 0, (b->cap + 7) / 8);
  b->kind = K_NONE;
  b->n = 0;
  b->any_missing = 0;
  b->float_from = 0;
  b->nexc = 0;
  dg_buf_reset(&b->text);
  dg_buf_reset(&b->exctext);
}

/* Where the text of entry k starts in exctext. */
static size_t exc_start(const dg_colbuild *b, size_t k) { return k ? b->exc[k - 1].end : 0; }

/* Keeps raw as the text of `row`, which must come after every row kept so far. */
static int add_exc(dg_colbuild *b, size_t row, const char *raw, size_t len) {
  if (b->nexc == b->capexc) {
    size_t cap = b->capexc ? b->capexc * 2 : 16;
    exc_entry *e = realloc(b->exc, cap * sizeof *e);
    if (!e) return -1;
    b->exc = e;
    b->capexc = cap;
  }
  if (dg_buf_add(&b->exctext, raw, len) < 0) return -1;
  exc_entry *e = &b->exc[b->nexc++];
  e->row = row;
  e->end = b->exctext.len;
  return 0;
}

static const char *const bool_text[3][2] = {{"False", "True"}, {"false", "true"},
                                            {"FALSE", "TRUE"}};

/* The canonical text of a typed cell (the writer's form). */
static size_t cell_text(const dg_colbuild *b, size_t r, char buf[32], const char **s) {
  *s = buf;
  switch (b->kind) {
    case DG_INT: return dg_fmt_int(((int64_t *)b->data)[r], buf);
    case DG_FLOAT: {
      double d = ((double *)b->data)[r];
      if (r < b->float_from) return dg_fmt_int((int64_t)d, buf);
      return dg_fmt_double(d, buf);
    }
    case DG_BOOL: {
      uint8_t v = ((uint8_t *)b->data)[r];
      int spelling = (v >> 1) & 3;
      *s = bool_text[spelling < 3 ? spelling : 0][v & 1];
      return strlen(*s);
    }
  }
  return 0;
}

/* Every earlier cell becomes its text: the raw one where kept, else canonical. */
static int promote_string(dg_colbuild *b) {
  if (b->kind == DG_STRING) return 0;
  if (b->kind == K_NONE) return set_kind(b, DG_STRING);
  uint64_t *ends = elem_size(b->kind) == 8 ? b->data : malloc(b->cap * sizeof *ends);
  if (!ends) return -1;
  size_t ei = 0;
  for (size_t r = 0; r < b->n; r++) {
    if (!((b->missing[r >> 3] >> (r & 7)) & 1)) {
      while (ei < b->nexc && b->exc[ei].row < r) ei++;
      if (ei < b->nexc && b->exc[ei].row == r) {
        size_t start = exc_start(b, ei);
        dg_buf_add(&b->text, b->exctext.data + start, b->exc[ei].end - start);
      } else {
        char buf[32];
        const char *s;
        size_t n = cell_text(b, r, buf, &s); /* reads data[r] before ends[r] overwrites it */
        dg_buf_add(&b->text, s, n);
      }
    }
    ends[r] = b->text.len;
  }
  if ((void *)ends != b->data) {
    free(b->data);
    b->data = ends;
  }
  b->kind = DG_STRING;
  free(b->exc);
  b->exc = NULL;
  b->nexc = b->capexc = 0;
  dg_buf_free(&b->exctext);
  return b->text.failed ? -1 : 0;
}

/* int -> float: values convert in place; ints beyond 2^53 keep their text. */
static int promote_float(dg_colbuild *b) {
  int64_t *iv = b->data;
  double *dv = b->data;
  /* the kept texts with those of big ints merged in, in row order, when there are any */
  exc_entry *old = b->exc;
  size_t nold = b->nexc, k = 0;
  dg_buf oldtext = b->exctext;
  int rebuilt = 0;
  for (size_t r = 0; r < b->n; r++) {
    int64_t v = iv[r];
    int kept = k < nold && old[k].row == r;
    int big = (v > (1LL << 53) || v < -(1LL << 53)) && !((b->missing[r >> 3] >> (r & 7)) & 1);
    if (big && !kept && !rebuilt) {
      /* the first big int without a text: new arrays, holding the entries so far */
      rebuilt = 1;
      b->exc = NULL;
      b->nexc = b->capexc = 0;
      dg_buf_init(&b->exctext);
      for (size_t j = 0; j < k; j++) {
        size_t start = j ? old[j - 1].end : 0;
        if (add_exc(b, old[j].row, oldtext.data + start, old[j].end - start) < 0) goto oom;
      }
    }
    if (kept) {
      if (rebuilt) {
        size_t start = k ? old[k - 1].end : 0;
        if (add_exc(b, r, oldtext.data + start, old[k].end - start) < 0) goto oom;
      }
      k++;
    } else if (big) {
      char buf[24];
      if (add_exc(b, r, buf, dg_fmt_int(v, buf)) < 0) goto oom;
    }
    dv[r] = (double)v;
  }
  if (rebuilt) {
    free(old);
    dg_buf_free(&oldtext);
  }
  b->kind = DG_FLOAT;
  b->float_from = b->n;
  return 0;
oom: /* b holds the new, partial arrays: consistent, and freed with b */
  if (rebuilt) {
    free(old);
    dg_buf_free(&oldtext);
  }
  return -1;
}

int dg_colbuild_missing(dg_colbuild *b) {
  if (grow(b) < 0) return -1;
  size_t r = b->n;
  b->missing[r >> 3] |= (uint8_t)(1u << (r & 7));
  b->any_missing = 1;
  switch (b->kind) {
    case DG_STRING: ((uint64_t *)b->data)[r] = b->text.len; break;
    case DG_BOOL: ((uint8_t *)b->data)[r] = 0; break;
    case DG_INT: case DG_FLOAT: ((int64_t *)b->data)[r] = 0; break;
  }
  b->n++;
  return 0;
}

static int push_text(dg_colbuild *b, const char *s, size_t len) {
  if (promote_string(b) < 0 || dg_buf_add(&b->text, s, len) < 0) return -1;
  ((uint64_t *)b->data)[b->n++] = b->text.len;
  return 0;
}

int dg_colbuild_int(dg_colbuild *b, int64_t v, const char *raw, size_t rawlen, int canonical) {
  char buf[24];
  if (grow(b) < 0) return -1;
  if (b->kind == K_NONE && set_kind(b, DG_INT) < 0) return -1;
  switch (b->kind) {
    case DG_INT:
      if (raw && !canonical && add_exc(b, b->n, raw, rawlen) < 0) return -1;
      ((int64_t *)b->data)[b->n++] = v;
      return 0;
    case DG_FLOAT:
      /* the float form of an int ("2.0") is never its text ("2") */
      if (!raw) rawlen = dg_fmt_int(v, buf);
      if (add_exc(b, b->n, raw ? raw : buf, rawlen) < 0) return -1;
      ((double *)b->data)[b->n++] = (double)v;
      return 0;
    default:
      if (!raw) rawlen = dg_fmt_int(v, buf);
      return push_text(b, raw ? raw : buf, rawlen);
  }
}

int dg_colbuild_float(dg_colbuild *b, double v, const char *raw, size_t rawlen, int canonical) {
  char buf[32];
  if (grow(b) < 0) return -1;
  if (b->kind == K_NONE) {
    if (set_kind(b, DG_FLOAT) < 0) return -1;
    b->float_from = 0;
  }
  if (b->kind == DG_INT && promote_float(b) < 0) return -1;
  if (b->kind == DG_FLOAT) {
    if (raw && !canonical && add_exc(b, b->n, raw, rawlen) < 0) return -1;
    ((double *)b->data)[b->n++] = v;
    return 0;
  }
  if (!raw) rawlen = dg_fmt_double(v, buf);
  return push_text(b, raw ? raw : buf, rawlen);
}

int dg_colbuild_bool(dg_colbuild *b, int v, const char *raw, size_t rawlen) {
  if (grow(b) < 0) return -1;
  if (b->kind == K_NONE && set_kind(b, DG_BOOL) < 0) return -1;
  if (b->kind != DG_BOOL) {
    if (!raw) {
      raw = bool_text[0][v != 0];
      rawlen = strlen(raw);
    }
    return push_text(b, raw, rawlen);
  }
  int spelling = 0;
  /* pandas' own spelling first, with constant-length compares (no memcmp call) */
  int python = raw && (v ? rawlen == 4 && memcmp(raw, "True", 4) == 0
                         : rawlen == 5 && memcmp(raw, "False", 5) == 0);
  if (raw && !python) {
    spelling = 3;
    size_t len = v ? 4 : 5; /* "True" / "False" in every spelling */
    for (int k = 0; k < 3 && rawlen == len; k++)
      if (memcmp(bool_text[k][v != 0], raw, rawlen) == 0) {
        spelling = k;
        break;
      }
    if (spelling == 3 && add_exc(b, b->n, raw, rawlen) < 0) return -1;
  }
  ((uint8_t *)b->data)[b->n++] = (uint8_t)((v != 0) | (spelling << 1));
  return 0;
}

int dg_colbuild_string(dg_colbuild *b, const char *s, size_t len) {
  if (grow(b) < 0) return -1;
  return push_text(b, s, len);
}

/* ---- joining builders (dg_colbuild_append) ------------------------------- */

/* Room for total rows in b (data of b's kind, the missing bitmap zeroed). */
static int reserve_rows(dg_colbuild *b, size_t total) {
  if (total <= b->cap) return 0;
  if (total < b->cap * 2) total = b->cap * 2; /* amortised, as grow() */
  if (b->kind != K_NONE) {
    void *d = realloc(b->data, total * elem_size(b->kind));
    if (!d) return -1;
    b->data = d;
  }
  uint8_t *m = realloc(b->missing, (total + 7) / 8);
  if (!m) return -1;
  memset(m + (b->cap + 7) / 8, 0, (total + 7) / 8 - (b->cap + 7) / 8);
  b->missing = m;
  b->cap = total;
  return 0;
}

/* Sets bits [at, at + n) of dst from bits [0, n) of src. */
static void copy_bits(uint8_t *dst, size_t at, const uint8_t *src, size_t n) {
  for (size_t i = 0; i < (n + 7) / 8; i++) {
    unsigned byte = src[i];
    while (byte) {
      unsigned k = (unsigned)__builtin_ctz(byte);
      size_t r = at + i * 8 + k;
      if (i * 8 + k < n) dst[r >> 3] |= (uint8_t)(1u << (r & 7));
      byte &= byte - 1;
    }
  }
}

/* Appends src's kept texts to b's (in one piece), their rows shifted by `shift`. */
static int append_exc(dg_colbuild *b, const dg_colbuild *src, size_t shift) {
  if (src->nexc == 0) return 0;
  if (b->nexc + src->nexc > b->capexc) {
    size_t cap = b->capexc * 2 > b->nexc + src->nexc ? b->capexc * 2 : b->nexc + src->nexc;
    exc_entry *e = realloc(b->exc, cap * sizeof *e);
    if (!e) return -1;
    b->exc = e;
    b->capexc = cap;
  }
  size_t off = b->exctext.len;
  if (dg_buf_add(&b->exctext, src->exctext.data, src->exctext.len) < 0) return -1;
  for (size_t k = 0; k < src->nexc; k++) {
    exc_entry e = src->exc[k];
    e.row += shift;
    e.end += off;
    b->exc[b->nexc++] = e;
  }
  return 0;
}

/* b and src of one kind: src's rows go after b's. */
static int append_same(dg_colbuild *b, dg_colbuild *src) {
  size_t n0 = b->n, n1 = src->n;
  if (reserve_rows(b, n0 + n1) < 0) return -1;
  if (b->kind == DG_STRING) {
    uint64_t *ends = b->data;
    const uint64_t *se = src->data;
    uint64_t off = b->text.len;
    if (src->text.len && dg_buf_add(&b->text, src->text.data, src->text.len) < 0) return -1;
    for (size_t r = 0; r < n1; r++) ends[n0 + r] = se[r] + off;
  } else if (n1) {
    memcpy((char *)b->data + n0 * elem_size(b->kind), src->data, n1 * elem_size(b->kind));
  }
  if (src->any_missing) {
    copy_bits(b->missing, n0, src->missing, n1);
    b->any_missing = 1;
  }
  if (b->kind == DG_FLOAT && src->float_from > 0) {
    /* src's first float_from rows were ints: appended to a float column, each keeps
       its text (dg_colbuild_int's DG_FLOAT case), the kept one or the canonical one */
    size_t k = 0;
    for (size_t r = 0; r < src->float_from; r++) {
      if (k < src->nexc && src->exc[k].row == r) {
        size_t start = exc_start(src, k);
        const exc_entry *e = &src->exc[k++];
        if (add_exc(b, n0 + r, src->exctext.data + start, e->end - start) < 0) return -1;
      } else if (!((src->missing[r >> 3] >> (r & 7)) & 1)) {
        char buf[24];
        size_t len = dg_fmt_int((int64_t)((const double *)src->data)[r], buf);
        if (add_exc(b, n0 + r, buf, len) < 0) return -1;
      }
    }
    for (; k < src->nexc; k++) {
      size_t start = exc_start(src, k);
      const exc_entry *e = &src->exc[k];
      if (add_exc(b, n0 + e->row, src->exctext.data + start, e->end - start) < 0) return -1;
    }
  } else if (append_exc(b, src, n0) < 0) {
    return -1;
  }
  b->n = n0 + n1;
  return 0;
}

int dg_colbuild_append(dg_colbuild *b, dg_colbuild *src) {
  size_t n0 = b->n, n1 = src->n;
  int rc = 0;
  if (n1 == 0) {
    /* nothing to add */
  } else if (src->kind == K_NONE) {
    /* only missing values: as many dg_colbuild_missing calls */
    for (size_t r = 0; r < n1 && rc == 0; r++) rc = dg_colbuild_missing(b);
  } else if (b->kind == K_NONE) {
    /* b's rows were all missing: src's first value gave the column its kind */
    if (set_kind(b, src->kind) < 0) return -1; /* zeroed: b's rows are 0 / empty */
    b->float_from = 0;
    size_t fb = src->float_from;
    src->float_from = 0; /* src's int rows (if any) stay ints: below b's float_from */
    rc = append_same(b, src);
    if (b->kind == DG_FLOAT && fb) b->float_from = n0 + fb;
  } else if (b->kind == src->kind) {
    rc = append_same(b, src);
  } else if (b->kind == DG_INT && src->kind == DG_FLOAT) {
    /* b's ints and src's leading ints were one int run until src's first float */
    size_t fb = src->float_from;
    src->float_from = 0;
    if (promote_float(b) < 0) return -1;
    rc = append_same(b, src);
    b->float_from = n0 + fb;
  } else if (b->kind == DG_FLOAT && src->kind == DG_INT) {
    /* ints appended to a float column: as src promoted to float, all its rows ints */
    if (promote_float(src) < 0) return -1;
    rc = append_same(b, src);
  } else {
    /* bool or string met another kind: every cell becomes its text */
    if (promote_string(b) < 0 || promote_string(src) < 0) return -1;
    rc = append_same(b, src);
  }
  if (rc == 0) recycle(src);
  return rc;
}

int dg_colbuild_finish(dg_colbuild *b, dg_column *out) {
  if (b->kind == K_NONE) {
    /* only missing values: float (pandas' NaN column), or string without rows */
    if (set_kind(b, b->n ? DG_FLOAT : DG_STRING) < 0) return -1;
  }
  if (b->kind == DG_BOOL)
    for (size_t r = 0; r < b->n; r++) ((uint8_t *)b->data)[r] &= 1;
  out->type = (dg_type)b->kind;
  out->data = b->data;
  out->cap = b->cap;
  if (b->any_missing) {
    out->missing = b->missing;
  } else {
    free(b->missing);
    out->missing = NULL;
  }
  dg_buf_free(&out->text);
  out->text = b->text;
  b->data = NULL;
  b->missing = NULL;
  dg_buf_init(&b->text);
  colbuild_clear(b);
  return 0;
}

