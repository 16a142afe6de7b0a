/*
** dataframe.c: the columnar storage of dataframe.h, the column builder that
** widens types as pandas does, and the Lua binding "datagrok.DataFrame" /
** "datagrok.dataframe" (lua-api.md section 4).
*/
#include "dataframe.h"
#include "userdata.h"
#include "atomic_file.h"
#include "csv.h"
#include "error.h"
#include "json.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATAFRAME_MT "datagrok.DataFrame"
#define BUILDER_MT "datagrok.FrameBuilder"
#define PARSER_MT "datagrok.CsvParser"
#define SOURCE_MT "datagrok.CsvSource"

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

typedef struct {
  size_t row, off, len;
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
  exc_entry *exc;      /* sorted by row */
  size_t nexc, capexc;
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

size_t dg_colbuild_rows(const dg_colbuild *b) { return b->n; }

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

/* The first value of a column of missing values: allocate its storage. */
static int set_kind(dg_colbuild *b, int kind) {
  b->data = calloc(b->cap ? b->cap : 1, elem_size(kind)); /* a column without rows has cap 0 */
  if (!b->data) return -1;
  b->kind = kind;
  return 0;
}

static int add_exc(dg_colbuild *b, size_t row, const char *raw, size_t len) {
  if (b->nexc == b->capexc) {
    size_t cap = b->capexc ? b->capexc * 2 : 16;
    exc_entry *e = realloc(b->exc, cap * sizeof *e);
    if (!e) return -1;
    b->exc = e;
    b->capexc = cap;
  }
  exc_entry *e = &b->exc[b->nexc++];
  e->row = row;
  e->off = b->exctext.len;
  e->len = len;
  return dg_buf_add(&b->exctext, raw, len);
}

static int cmp_exc(const void *x, const void *y) {
  const exc_entry *a = x, *b = y;
  return a->row < b->row ? -1 : a->row > b->row;
}

static const char *const bool_text[3][2] = {{"False", "True"}, {"false", "true"},
                                            {"FALSE", "TRUE"}};

/* The canonical text of a typed cell (the writer's form). */
static size_t cell_text(const dg_colbuild *b, size_t r, char buf[32], const char **s) {
  *s = buf;
  switch (b->kind) {
    case DG_INT: return dg_csv_format_int(((int64_t *)b->data)[r], buf);
    case DG_FLOAT: {
      double d = ((double *)b->data)[r];
      if (r < b->float_from) return dg_csv_format_int((int64_t)d, buf);
      return dg_csv_format_float(d, buf);
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
        dg_buf_add(&b->text, b->exctext.data + b->exc[ei].off, b->exc[ei].len);
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
  size_t before = b->nexc;
  for (size_t r = 0; r < b->n; r++) {
    int64_t v = iv[r];
    if ((v > (1LL << 53) || v < -(1LL << 53)) && !((b->missing[r >> 3] >> (r & 7)) & 1)) {
      int has = 0;
      for (size_t k = 0; k < before; k++)
        if (b->exc[k].row == r) { has = 1; break; }
      if (!has) {
        char buf[24];
        if (add_exc(b, r, buf, dg_csv_format_int(v, buf)) < 0) return -1;
      }
    }
    dv[r] = (double)v;
  }
  if (b->nexc != before) qsort(b->exc, b->nexc, sizeof *b->exc, cmp_exc);
  b->kind = DG_FLOAT;
  b->float_from = b->n;
  return 0;
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
      if (!raw) rawlen = dg_csv_format_int(v, buf);
      if (add_exc(b, b->n, raw ? raw : buf, rawlen) < 0) return -1;
      ((double *)b->data)[b->n++] = (double)v;
      return 0;
    default:
      if (!raw) rawlen = dg_csv_format_int(v, buf);
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
  if (!raw) rawlen = dg_csv_format_float(v, buf);
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

/* ======================================================================== */
/* Lua: the DataFrame userdata                                              */
/* ======================================================================== */

typedef struct {
  dg_frame *f; /* NULL once closed */
} dataframe_ud;

static int df_close(lua_State *L) {
  dataframe_ud *ud = luaL_checkudata(L, 1, DATAFRAME_MT);
  dg_frame_free(ud->f);
  ud->f = NULL;
  return 0;
}

static void push_metatable(lua_State *L);

dg_frame **dg_dataframe_newud(lua_State *L) {
  dataframe_ud *ud = lua_newuserdatauv(L, sizeof *ud, 0);
  ud->f = NULL;
  push_metatable(L);
  lua_setmetatable(L, -2);
  return &ud->f;
}

int dg_dataframe_is(lua_State *L, int idx) {
  return luaL_testudata(L, idx, DATAFRAME_MT) != NULL;
}

dg_frame *dg_dataframe_check(lua_State *L, int idx) {
  dataframe_ud *ud = luaL_checkudata(L, idx, DATAFRAME_MT);
  if (!ud->f) luaL_argerror(L, idx, "DataFrame is closed");
  return ud->f;
}

/* Pushes a DataFrame of the given rows and columns of f (dg_frame_take). */
static void push_take(lua_State *L, const dg_frame *f, const size_t *rows, size_t nrows,
                      const size_t *cols, size_t ncols) {
  dg_frame **slot = dg_dataframe_newud(L);
  if (!(*slot = dg_frame_take(f, rows, nrows, cols, ncols))) luaL_error(L, "out of memory");
}

/*
** The column named (or 1-based indexed) by the value at idx; raises a usage
** error about argument arg otherwise.
*/
static size_t col_at(lua_State *L, const dg_frame *f, int idx, int arg) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    if (!lua_isinteger(L, idx)) return (size_t)luaL_argerror(L, arg, "column index is not an integer");
    lua_Integer i = lua_tointeger(L, idx);
    if (i < 1 || (lua_Unsigned)i > f->ncols)
      return (size_t)luaL_argerror(
          L, arg, lua_pushfstring(L, "column %I out of range (1..%I)", i, (lua_Integer)f->ncols));
    return (size_t)(i - 1);
  }
  if (lua_type(L, idx) != LUA_TSTRING)
    return (size_t)luaL_typeerror(L, arg, "column name or index");
  const char *name = lua_tostring(L, idx);
  for (size_t j = 0; j < f->ncols; j++)
    if (strcmp(f->cols[j].name, name) == 0) return j;
  return (size_t)luaL_argerror(L, arg, lua_pushfstring(L, "no column named '%s'", name));
}

static size_t check_col(lua_State *L, const dg_frame *f, int arg) {
  return col_at(L, f, arg, arg);
}

static size_t check_row(lua_State *L, const dg_frame *f, int arg) {
  lua_Integer i = luaL_checkinteger(L, arg);
  if (i < 1 || (lua_Unsigned)i > f->nrows)
    return (size_t)luaL_argerror(
        L, arg, lua_pushfstring(L, "row %I out of range (1..%I)", i, (lua_Integer)f->nrows));
  return (size_t)(i - 1);
}

/* Pushes one cell: nil (or datagrok.null when null_missing) for a missing value. */
static void push_cell(lua_State *L, const dg_column *c, size_t r, int null_missing) {
  if (dg_column_missing(c, r)) {
    if (null_missing) dg_json_push_null(L);
    else lua_pushnil(L);
    return;
  }
  switch (c->type) {
    case DG_INT: lua_pushinteger(L, ((const int64_t *)c->data)[r]); break;
    case DG_FLOAT: lua_pushnumber(L, ((const double *)c->data)[r]); break;
    case DG_BOOL: lua_pushboolean(L, ((const uint8_t *)c->data)[r]); break;
    case DG_STRING: {
      size_t n;
      const char *s = dg_column_str(c, r, &n);
      lua_pushlstring(L, s, n);
      break;
    }
  }
}

/* Pushes row r as a record {name = value}; missing values are absent. */
static void push_record(lua_State *L, const dg_frame *f, size_t r) {
  lua_createtable(L, 0, (int)f->ncols);
  for (size_t j = 0; j < f->ncols; j++) {
    if (dg_column_missing(&f->cols[j], r)) continue;
    push_cell(L, &f->cols[j], r, 0);
    lua_setfield(L, -2, f->cols[j].name);
  }
}

/* df:nrows() / #df -> integer */
static int df_nrows(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)dg_dataframe_check(L, 1)->nrows);
  return 1;
}

/* df:ncols() -> integer */
static int df_ncols(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)dg_dataframe_check(L, 1)->ncols);
  return 1;
}

/* df:names() -> {"a", "b", ...} */
static int df_names(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  lua_createtable(L, (int)f->ncols, 0);
  for (size_t j = 0; j < f->ncols; j++) {
    lua_pushstring(L, f->cols[j].name);
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 1;
}

/* df:types() -> {"int", "string", ...} (parallel to names) */
static int df_types(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  lua_createtable(L, (int)f->ncols, 0);
  for (size_t j = 0; j < f->ncols; j++) {
    lua_pushstring(L, dg_type_name(f->cols[j].type));
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 1;
}

/* df:get(row, col) -> value or nil (missing); raises for a row or column out of range */
static int df_get(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  size_t r = check_row(L, f, 2);
  size_t j = check_col(L, f, 3);
  push_cell(L, &f->cols[j], r, 0);
  return 1;
}

/* df:column(col) -> array copy, datagrok.null for missing values */
static int df_column(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  size_t j = check_col(L, f, 2);
  lua_createtable(L, f->nrows > INT32_MAX ? 0 : (int)f->nrows, 0);
  for (size_t r = 0; r < f->nrows; r++) {
    push_cell(L, &f->cols[j], r, 1);
    lua_rawseti(L, -2, (lua_Integer)r + 1);
  }
  return 1;
}

/* df:row(i) -> {name = value, ...} (missing values absent) */
static int df_row(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  push_record(L, f, check_row(L, f, 2));
  return 1;
}

/* iterator of df:rows(): upvalue 1 = the DataFrame, state = previous index */
static int rows_next(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, lua_upvalueindex(1));
  lua_Integer i = luaL_optinteger(L, 2, 0);
  if (i < 0 || (lua_Unsigned)i >= f->nrows) return 0;
  lua_pushinteger(L, i + 1);
  push_record(L, f, (size_t)i);
  return 2;
}

/* df:rows() -> iterator: for i, rec in df:rows() do ... end */
static int df_rows(lua_State *L) {
  dg_dataframe_check(L, 1);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, rows_next, 1);
  lua_pushnil(L);
  lua_pushinteger(L, 0);
  return 3;
}

/* Pushes a "datagrok.Buffer" of n size_t values 0..n-1 (owned by Lua). */
static size_t *push_index(lua_State *L, dg_buf **keep, size_t n) {
  dg_buf *b = dg_buf_newud(L);
  if (!dg_buf_reserve(b, (n ? n : 1) * sizeof(size_t))) luaL_error(L, "out of memory");
  size_t *idx = (size_t *)b->data;
  for (size_t i = 0; i < n; i++) idx[i] = i;
  *keep = b;
  return idx;
}

/* df:head([n = 5]) -> DataFrame of the first n rows (n < 0: all but the last -n) */
static int df_head(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 5);
  if (n < 0) n = (lua_Integer)f->nrows + n;
  if (n < 0) n = 0;
  if ((lua_Unsigned)n > f->nrows) n = (lua_Integer)f->nrows;
  dg_buf *rb, *cb;
  size_t *rows = push_index(L, &rb, (size_t)n);
  size_t *cols = push_index(L, &cb, f->ncols);
  push_take(L, f, rows, (size_t)n, cols, f->ncols);
  return 1;
}

/* df:select(names) -> DataFrame of those columns (names or indices), in that order */
static int df_select(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  dg_buf *rb, *cb;
  size_t *cols = push_index(L, &cb, (size_t)n);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 2, i);
    cols[i - 1] = col_at(L, f, lua_gettop(L), 2);
    lua_pop(L, 1);
  }
  size_t *rows = push_index(L, &rb, f->nrows);
  push_take(L, f, rows, f->nrows, cols, (size_t)n);
  return 1;
}

/* df:filter(fn) -> DataFrame of the rows where fn(record, i) is truthy */
static int df_filter(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  dg_buf *keep = dg_buf_newud(L); /* 3: the kept row indices */
  size_t kept = 0;
  for (size_t r = 0; r < f->nrows; r++) {
    lua_pushvalue(L, 2);
    push_record(L, f, r);
    lua_pushinteger(L, (lua_Integer)r + 1);
    lua_call(L, 2, 1);
    if (lua_toboolean(L, -1)) {
      if (dg_buf_add(keep, &r, sizeof r) < 0) return luaL_error(L, "out of memory");
      kept++;
    }
    lua_pop(L, 1);
    f = dg_dataframe_check(L, 1); /* fn may have closed it */
  }
  dg_buf *cb;
  size_t *cols = push_index(L, &cb, f->ncols);
  push_take(L, f, (size_t *)keep->data, kept, cols, f->ncols);
  return 1;
}

static int add_to_luabuf(void *ctx, const char *data, size_t n) {
  luaL_addlstring((luaL_Buffer *)ctx, data, n);
  return 0;
}

static int write_file(void *ctx, const char *data, size_t n) {
  return fwrite(data, 1, n, (FILE *)ctx) == n ? 0 : -1;
}

/*
** df:to_csv([path]) -> the CSV text, or true after writing path (through a
** temporary file and a rename). Raises IO when the file cannot be written.
*/
static int df_to_csv(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  if (lua_isnoneornil(L, 2)) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (dg_csv_write(f, add_to_luabuf, &b) < 0) return luaL_error(L, "out of memory");
    luaL_pushresult(&b);
    return 1;
  }
  const char *path = luaL_checkstring(L, 2);
  dg_atomic_file *a = dg_atomic_newud(L);
  char err[512];
  if (dg_atomic_open(a, path, err, sizeof err) < 0) return dg_error_raise(L, "IO", "%s", err);
  if (dg_csv_write(f, write_file, a->fp) < 0) {
    snprintf(err, sizeof err, "cannot write %s: %s", path, strerror(errno));
    dg_atomic_abort(a);
    return dg_error_raise(L, "IO", "%s", err);
  }
  if (dg_atomic_commit(a, err, sizeof err) < 0) return dg_error_raise(L, "IO", "%s", err);
  lua_pushboolean(L, 1);
  return 1;
}

/* ---- tostring: an aligned preview ---- */

#define PREVIEW_ROWS 10
#define PREVIEW_WIDTH 24

/* Display width of UTF-8 text (one per code point). */
static size_t width(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) w++;
  return w;
}

/* Appends a cell's display text (control characters escaped, cut to PREVIEW_WIDTH). */
static void display_cell(dg_buf *out, const dg_column *c, size_t r) {
  char tmp[32];
  const char *s;
  size_t n;
  if (dg_column_missing(c, r)) {
    dg_buf_adds(out, "null");
    return;
  }
  switch (c->type) {
    case DG_INT: n = dg_csv_format_int(((const int64_t *)c->data)[r], tmp); s = tmp; break;
    case DG_FLOAT: n = dg_csv_format_float(((const double *)c->data)[r], tmp); s = tmp; break;
    case DG_BOOL: s = ((const uint8_t *)c->data)[r] ? "true" : "false"; n = strlen(s); break;
    default: s = dg_column_str(c, r, &n); break;
  }
  size_t keep = width(s, n) > PREVIEW_WIDTH ? PREVIEW_WIDTH - 1 : PREVIEW_WIDTH;
  size_t chars = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if ((ch & 0xC0) != 0x80 && ++chars > keep) {
      dg_buf_adds(out, "\xE2\x80\xA6"); /* an ellipsis */
      return;
    }
    if (ch == '\n') dg_buf_adds(out, "\\n");
    else if (ch == '\r') dg_buf_adds(out, "\\r");
    else if (ch == '\t') dg_buf_adds(out, "\\t");
    else dg_buf_addc(out, (char)ch);
  }
}


static void pad_to(dg_buf *out, const char *s, size_t n, size_t w, int right) {
  size_t have = width(s, n);
  if (right)
    for (size_t k = have; k < w; k++) dg_buf_addc(out, ' ');
  dg_buf_add(out, s, n);
  if (!right)
    for (size_t k = have; k < w; k++) dg_buf_addc(out, ' ');
}

/*
** tostring(df):
**   DataFrame: 3 rows x 2 columns
**      id  name
**     int  string
**   1   1  Alice
** numbers right-aligned, text left-aligned, missing shown as null, the first
** 10 rows, then "... (N more rows)".
*/
static int df_tostring(lua_State *L) {
  dataframe_ud *ud = luaL_checkudata(L, 1, DATAFRAME_MT);
  if (!ud->f) {
    lua_pushliteral(L, "DataFrame (closed)");
    return 1;
  }
  const dg_frame *f = ud->f;
  size_t shown = f->nrows < PREVIEW_ROWS ? f->nrows : PREVIEW_ROWS;
  /* every cell's text, then widths per column */
  dg_buf *cells = dg_buf_newud(L);
  dg_buf *index = dg_buf_newud(L); /* size_t end offsets into cells */
  for (size_t r = 0; r < shown + 2; r++) {
    for (size_t j = 0; j <= f->ncols; j++) {
      if (j == 0) {
        if (r >= 2) dg_buf_printf(cells, "%zu", r - 1);
      } else if (r == 0) {
        dg_buf_adds(cells, f->cols[j - 1].name);
      } else if (r == 1) {
        dg_buf_adds(cells, dg_type_name(f->cols[j - 1].type));
      } else {
        display_cell(cells, &f->cols[j - 1], r - 2);
      }
      size_t end = cells->len;
      dg_buf_add(index, &end, sizeof end);
    }
  }
  if (cells->failed || index->failed) return luaL_error(L, "out of memory");
  const size_t *ends = (const size_t *)index->data;
  dg_buf *widths = dg_buf_newud(L);
  for (size_t j = 0; j <= f->ncols; j++) {
    size_t w = 0;
    for (size_t r = 0; r < shown + 2; r++) {
      size_t k = r * (f->ncols + 1) + j;
      size_t start = k ? ends[k - 1] : 0;
      size_t cw = width(cells->data + start, ends[k] - start);
      if (cw > w) w = cw;
    }
    dg_buf_add(widths, &w, sizeof w);
  }
  if (widths->failed) return luaL_error(L, "out of memory");
  const size_t *wd = (const size_t *)widths->data;
  dg_buf *out = dg_buf_newud(L);
  dg_buf_printf(out, "DataFrame: %zu row%s x %zu column%s", f->nrows, f->nrows == 1 ? "" : "s",
                f->ncols, f->ncols == 1 ? "" : "s");
  for (size_t r = 0; r < shown + 2 && f->ncols > 0; r++) {
    dg_buf_addc(out, '\n');
    size_t line_start = out->len;
    for (size_t j = 0; j <= f->ncols; j++) {
      size_t k = r * (f->ncols + 1) + j;
      size_t start = k ? ends[k - 1] : 0;
      int right = j == 0 || f->cols[j - 1].type == DG_INT || f->cols[j - 1].type == DG_FLOAT;
      if (j) dg_buf_add(out, "  ", 2);
      pad_to(out, cells->data + start, ends[k] - start, wd[j], right);
    }
    while (out->len > line_start && out->data[out->len - 1] == ' ') out->len--;
  }
  if (f->nrows > shown) dg_buf_printf(out, "\n... (%zu more rows)", f->nrows - shown);
  if (out->failed) return luaL_error(L, "out of memory");
  lua_pushlstring(L, out->data, out->len);
  return 1;
}

/* ======================================================================== */
/* Lua: constructors                                                        */
/* ======================================================================== */

typedef struct {
  dg_colbuild **cols;
  size_t n;
} builder_ud;

static int builder_gc(lua_State *L) {
  builder_ud *b = luaL_checkudata(L, 1, BUILDER_MT);
  for (size_t i = 0; i < b->n; i++) dg_colbuild_free(b->cols[i]);
  free(b->cols);
  b->cols = NULL;
  b->n = 0;
  return 0;
}

/* Pushes a builder of n columns (freed by __gc if a raise interrupts). */
static builder_ud *push_builder(lua_State *L, size_t n) {
  builder_ud *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->cols = NULL;
  b->n = 0;
  dg_userdata_set_metatable(L, BUILDER_MT, builder_gc);
  b->cols = calloc(n ? n : 1, sizeof *b->cols);
  if (!b->cols) luaL_error(L, "out of memory");
  for (; b->n < n; b->n++)
    if (!(b->cols[b->n] = dg_colbuild_new())) luaL_error(L, "out of memory");
  return b;
}

/* Appends the Lua value at idx to a column; raises for a value a DataFrame cannot hold. */
static void build_value(lua_State *L, dg_colbuild *c, int idx, const char *colname, size_t row,
                        int arg) {
  int rc;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: rc = dg_colbuild_missing(c); break;
    case LUA_TBOOLEAN: rc = dg_colbuild_bool(c, lua_toboolean(L, idx), NULL, 0); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        rc = dg_colbuild_int(c, lua_tointeger(L, idx), NULL, 0, 1);
      } else {
        double d = lua_tonumber(L, idx);
        rc = isnan(d) ? dg_colbuild_missing(c) : dg_colbuild_float(c, d, NULL, 0, 1);
      }
      break;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      rc = dg_colbuild_string(c, s, n);
      break;
    }
    default:
      if (dg_json_is_null(L, idx)) {
        rc = dg_colbuild_missing(c);
        break;
      }
      luaL_argerror(L, arg,
                    lua_pushfstring(L, "column '%s' row %I: a DataFrame cannot hold a %s",
                                    colname, (lua_Integer)row, luaL_typename(L, idx)));
      return;
  }
  if (rc < 0) luaL_error(L, "out of memory");
}

/* Makes the frame from a builder and the names array at names_idx; pushes the DataFrame. */
static void finish_builder(lua_State *L, builder_ud *b, int names_idx, size_t nrows) {
  dg_frame **slot = dg_dataframe_newud(L);
  dg_frame *f = dg_frame_new(b->n);
  if (!f) luaL_error(L, "out of memory");
  *slot = f;
  f->nrows = nrows;
  for (size_t j = 0; j < b->n; j++) {
    lua_geti(L, names_idx, (lua_Integer)j + 1);
    const char *name = lua_tostring(L, -1);
    f->cols[j].name = strdup(name);
    lua_pop(L, 1);
    if (!f->cols[j].name || dg_colbuild_finish(b->cols[j], &f->cols[j]) < 0)
      luaL_error(L, "out of memory");
  }
}

/* Checks that the table at arg is an array of distinct strings; returns its length. */
static size_t check_names(lua_State *L, int arg) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Integer n = luaL_len(L, arg);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, arg, i) != LUA_TSTRING)
      luaL_argerror(L, arg, lua_pushfstring(L, "names[%I] is not a string", i));
    for (lua_Integer k = 1; k < i; k++) {
      lua_geti(L, arg, k);
      if (lua_rawequal(L, -1, -2))
        luaL_argerror(L, arg, lua_pushfstring(L, "duplicate name '%s'", lua_tostring(L, -1)));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return (size_t)n;
}

/* Pushes the sorted keys of every record (string keys) as the names array. */
static void record_names(lua_State *L, int rows, lua_Integer nrows) {
  lua_newtable(L); /* set */
  int set = lua_gettop(L);
  for (lua_Integer i = 1; i <= nrows; i++) {
    lua_geti(L, rows, i);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 1, lua_pushfstring(L, "row %I: record keys must be strings", i));
      lua_pushvalue(L, -1);
      lua_pushboolean(L, 1);
      lua_rawset(L, set);
    }
    lua_pop(L, 1);
  }
  lua_getglobal(L, "table"); /* sort with the standard library */
  lua_getfield(L, -1, "sort");
  lua_remove(L, -2);
  lua_newtable(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, set)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ++n);
  }
  lua_pushvalue(L, -1);
  lua_insert(L, -3); /* names, sort, names */
  lua_call(L, 1, 0);
  lua_remove(L, set);
}

/*
** DataFrame.from_rows(rows [, names]) -> DataFrame
** rows: an array of arrays (column i = names[i]; without names the columns are
** "1", "2", ...) or of records {name = value} (names default to the sorted keys).
** nil / datagrok.null are missing values. Raises "bad argument" for other values.
*/
static int df_from_rows(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer nrows = luaL_len(L, 1);
  int records = 0;
  if (nrows > 0) {
    lua_geti(L, 1, 1);
    if (!lua_istable(L, -1)) return luaL_argerror(L, 1, "rows[1] is not a table");
    records = lua_rawlen(L, -1) == 0 && (lua_pushnil(L), lua_next(L, -2) != 0);
    if (records) lua_pop(L, 2);
    lua_pop(L, 1);
  }
  if (lua_isnoneornil(L, 2)) {
    lua_settop(L, 1);
    if (records) {
      record_names(L, 1, nrows);
    } else {
      lua_Integer width = 0;
      for (lua_Integer i = 1; i <= nrows; i++) {
        lua_geti(L, 1, i);
        if (lua_istable(L, -1) && (lua_Integer)lua_rawlen(L, -1) > width)
          width = (lua_Integer)lua_rawlen(L, -1);
        lua_pop(L, 1);
      }
      lua_createtable(L, (int)width, 0);
      for (lua_Integer j = 1; j <= width; j++) {
        lua_pushfstring(L, "%I", j);
        lua_rawseti(L, -2, j);
      }
    }
  } else {
    lua_settop(L, 2);
  }
  size_t ncols = check_names(L, 2);
  builder_ud *b = push_builder(L, ncols); /* 3 */
  for (lua_Integer i = 1; i <= nrows; i++) {
    if (lua_geti(L, 1, i) != LUA_TTABLE)
      return luaL_argerror(L, 1, lua_pushfstring(L, "rows[%I] is not a table", i));
    for (size_t j = 0; j < ncols; j++) {
      lua_geti(L, 2, (lua_Integer)j + 1);
      const char *name = lua_tostring(L, -1);
      if (records) lua_getfield(L, -2, name);
      else lua_geti(L, -2, (lua_Integer)j + 1);
      build_value(L, b->cols[j], lua_gettop(L), name, (size_t)i, 1);
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
  }
  finish_builder(L, b, 2, (size_t)nrows);
  return 1;
}

/*
** DataFrame.from_columns(names, columns) -> DataFrame
** columns[name] is an array per column (datagrok.null or nil for missing; the
** length is the table's border); all columns must have the same length.
*/
static int df_from_columns(lua_State *L) {
  size_t ncols = check_names(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  builder_ud *b = push_builder(L, ncols); /* 3 */
  lua_Integer nrows = -1;
  const char *first = NULL;
  for (size_t j = 0; j < ncols; j++) {
    lua_geti(L, 1, (lua_Integer)j + 1);
    const char *name = lua_tostring(L, -1);
    if (lua_getfield(L, 2, name) != LUA_TTABLE)
      return luaL_argerror(L, 2, lua_pushfstring(L, "columns['%s'] is not an array", name));
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (nrows < 0) {
      nrows = n;
      first = name;
    } else if (n != nrows) {
      return luaL_argerror(L, 2,
                           lua_pushfstring(L, "column '%s' has %I values but '%s' has %I", name,
                                           n, first, nrows));
    }
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, -1, i);
      build_value(L, b->cols[j], lua_gettop(L), name, (size_t)i, 2);
      lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the array; the name stays on the stack (keeps `first` alive) */
  }
  finish_builder(L, b, 1, nrows < 0 ? 0 : (size_t)nrows);
  return 1;
}

/* ---- the parser as a Lua object ---- */

typedef struct {
  dg_csv *p;
} parser_ud;

static int parser_gc(lua_State *L) {
  parser_ud *u = luaL_checkudata(L, 1, PARSER_MT);
  dg_csv_free(u->p);
  u->p = NULL;
  return 0;
}

dg_csv *dg_csv_newud(lua_State *L) {
  parser_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->p = NULL;
  dg_userdata_set_metatable(L, PARSER_MT, parser_gc);
  if (!(u->p = dg_csv_new())) luaL_error(L, "out of memory");
  return u->p;
}

static int sink_begin(void *ctx, long status, const char *content_type) {
  dg_csv_reset(ctx);
  return 0;
}

static int sink_write(void *ctx, const char *data, size_t n) {
  return dg_csv_feed(ctx, data, n);
}

void dg_csv_sink(dg_csv *p, dg_sink *sink) {
  sink->begin = sink_begin;
  sink->write = sink_write;
  sink->ctx = p;
}

int dg_csv_push_result(lua_State *L, dg_csv *p, const char *what) {
  if (dg_csv_finish(p) < 0) {
    size_t line, col;
    dg_csv_error_at(p, &line, &col);
    dg_error_push(L, "CSV", "%s: %s", what, dg_csv_error(p));
    if (line) {
      dg_error_setint(L, "line", (lua_Integer)line);
      dg_error_setint(L, "column", (lua_Integer)col);
    }
    return -1;
  }
  dg_frame **slot = dg_dataframe_newud(L);
  *slot = dg_csv_take(p);
  return 0;
}

int dg_csv_download_result(lua_State *L, dg_csv *p, int rc, const char *what) {
  if (rc < 0) {
    lua_getfield(L, -1, "sink_aborted");
    int aborted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!aborted) return -1;
    lua_pop(L, 1); /* the parser knows why it stopped: its error replaces this one */
  }
  return dg_csv_push_result(L, p, what);
}

/*
** DataFrame.from_csv(text [, chunk_size]) -> DataFrame; raises datagrok.Error
** CSV (fields line, column). chunk_size feeds the parser that many bytes at a
** time, as a download does (for tests; default: all at once).
*/
static int df_from_csv(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  lua_Integer chunk = luaL_optinteger(L, 2, (lua_Integer)(n ? n : 1));
  luaL_argcheck(L, chunk > 0, 2, "chunk size must be positive");
  dg_csv *p = dg_csv_newud(L);
  for (size_t off = 0; off < n; off += (size_t)chunk) {
    size_t k = n - off < (size_t)chunk ? n - off : (size_t)chunk;
    if (dg_csv_feed(p, text + off, k) < 0) break;
  }
  if (dg_csv_push_result(L, p, "CSV text") < 0) return lua_error(L);
  return 1;
}

/*
** datagrok.read_csv(path) -> DataFrame, streamed from the file in 64 KiB
** chunks. Raises IO (cannot open/read) or CSV (line, column).
*/
static int df_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  dg_csv *p = dg_csv_newud(L);
  dg_buf *chunk = dg_buf_newud(L);
  if (!dg_buf_reserve(chunk, 65536)) return luaL_error(L, "out of memory");
  FILE *fp = fopen(path, "rb");
  if (!fp) return dg_error_raise(L, "IO", "cannot open %s: %s", path, strerror(errno));
  size_t got;
  int bad = 0;
  while ((got = fread(chunk->data, 1, 65536, fp)) > 0)
    if (dg_csv_feed(p, chunk->data, got) < 0) break;
  if (ferror(fp)) bad = errno ? errno : EIO;
  fclose(fp);
  if (bad) return dg_error_raise(L, "IO", "cannot read %s: %s", path, strerror(bad));
  if (dg_csv_push_result(L, p, path) < 0) return lua_error(L);
  return 1;
}

/* DataFrame.is(v) -> boolean */
static int df_is(lua_State *L) {
  lua_pushboolean(L, dg_dataframe_is(L, 1));
  return 1;
}

/* ---- streaming a DataFrame as an upload body ---- */

typedef struct {
  dg_csv_writer w;
  dg_buf pending;
  size_t pos;
} source_ud;

static int source_gc(lua_State *L) {
  source_ud *s = luaL_checkudata(L, 1, SOURCE_MT);
  dg_buf_free(&s->pending);
  return 0;
}

static int source_rewind(void *ctx) {
  source_ud *s = ctx;
  dg_csv_writer_init(&s->w, s->w.f);
  dg_buf_reset(&s->pending);
  s->pos = 0;
  return 0;
}

static size_t source_read(void *ctx, char *buf, size_t n) {
  source_ud *s = ctx;
  while (s->pos == s->pending.len) {
    dg_buf_reset(&s->pending);
    s->pos = 0;
    int rc = dg_csv_writer_next(&s->w, &s->pending);
    if (rc == 0) return 0;
    if (rc < 0) return (size_t)-1;
  }
  size_t k = s->pending.len - s->pos;
  if (k > n) k = n;
  memcpy(buf, s->pending.data + s->pos, k);
  s->pos += k;
  return k;
}

void dg_dataframe_source(lua_State *L, int idx, dg_source *src) {
  idx = lua_absindex(L, idx);
  dg_frame *f = dg_dataframe_check(L, idx);
  source_ud *s = lua_newuserdatauv(L, sizeof *s, 1);
  dg_buf_init(&s->pending);
  s->pos = 0;
  dg_csv_writer_init(&s->w, f);
  dg_userdata_set_metatable(L, SOURCE_MT, source_gc);
  lua_pushvalue(L, idx); /* the source keeps the DataFrame alive */
  lua_setiuservalue(L, -2, 1);
  src->rewind = source_rewind;
  src->read = source_read;
  src->ctx = s;
  src->length = -1;
}

/* ---- registration ---- */

static const luaL_Reg df_methods[] = {
  {"nrows", df_nrows}, {"ncols", df_ncols}, {"names", df_names}, {"types", df_types},
  {"get", df_get}, {"column", df_column}, {"row", df_row}, {"rows", df_rows},
  {"head", df_head}, {"select", df_select}, {"filter", df_filter}, {"to_csv", df_to_csv},
  {"close", df_close}, {NULL, NULL}};

static void push_metatable(lua_State *L) {
  if (dg_userdata_metatable(L, DATAFRAME_MT, df_close)) {
    lua_pushcfunction(L, df_nrows);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, df_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, df_methods);
    lua_setfield(L, -2, "__index");
  }
}

int luaopen_datagrok_dataframe(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"from_csv", df_from_csv}, {"read_csv", df_read_csv}, {"from_rows", df_from_rows},
    {"from_columns", df_from_columns}, {"is", df_is}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  push_metatable(L);
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "methods");
  lua_pop(L, 1);
  return 1;
}
