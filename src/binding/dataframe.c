/*
** dataframe.c: the columnar storage of dataframe.h, the column builder that
** widens types as pandas does, and the Lua binding "datagrok.DataFrame" /
** "datagrok.dataframe" (docs/lua-api.md, "DataFrame").
*/
#include "dataframe.h"
#include "owned.h"
#include "userdata.h"
#include "atomic_file.h"
#include "csv.h"
#include "error.h"
#include "json.h"
#include "numfmt.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATAFRAME_MT "datagrok.DataFrame"
#define BUILDER_MT "datagrok.FrameBuilder"
#define PARSER_MT "datagrok.CsvParser"

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
  if (!(*slot = dg_frame_take(f, rows, nrows, cols, ncols))) dg_error_oom(L);
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
  if (!dg_buf_reserve(b, (n ? n : 1) * sizeof(size_t))) dg_error_oom(L);
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
      if (dg_buf_add(keep, &r, sizeof r) < 0) return dg_error_oom(L);
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

static int add_to_buf(void *ctx, const char *data, size_t n) {
  return dg_buf_add(ctx, data, n);
}

static int write_file(void *ctx, const char *data, size_t n) {
  return fwrite(data, 1, n, (FILE *)ctx) == n ? 0 : -1;
}

/*
** df:to_csv([path [, opts]]) -> the CSV text, or true after writing path (through
** a temporary file and a rename). Raises IO when the file cannot be written.
** opts.threads caps the formatting threads (1: serial; for tests and measurements).
*/
static int df_to_csv(lua_State *L) {
  dg_frame *f = dg_dataframe_check(L, 1);
  int threads = -1;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "threads");
    lua_Integer t = luaL_optinteger(L, -1, -1);
    threads = t > 64 ? 64 : (int)t;
    lua_pop(L, 1);
  }
  if (lua_isnoneornil(L, 2)) {
    /* into a buffer owned by a userdata, not a luaL_Buffer: nothing may raise while the
       writer (and its threads) is running, so that it is always freed */
    dg_buf *b = dg_buf_newud(L);
    if (dg_csv_write_threads(f, add_to_buf, b, threads) < 0) return dg_error_oom(L);
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    return 1;
  }
  const char *path = luaL_checkstring(L, 2);
  dg_atomic_file *a = dg_atomic_newud(L);
  char err[512];
  if (dg_atomic_open(a, path, err, sizeof err) < 0) return dg_error_raise(L, "IO", "%s", err);
  if (dg_csv_write_threads(f, write_file, a->fp, threads) < 0) {
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
    case DG_INT: n = dg_fmt_int(((const int64_t *)c->data)[r], tmp); s = tmp; break;
    case DG_FLOAT: n = dg_fmt_double(((const double *)c->data)[r], tmp); s = tmp; break;
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
  if (cells->failed || index->failed) return dg_error_oom(L);
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
  if (widths->failed) return dg_error_oom(L);
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
  if (out->failed) return dg_error_oom(L);
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
  if (!b->cols) dg_error_oom(L);
  for (; b->n < n; b->n++)
    if (!(b->cols[b->n] = dg_colbuild_new())) dg_error_oom(L);
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
  if (rc < 0) dg_error_oom(L);
}

/* Makes the frame from a builder and the names array at names_idx; pushes the DataFrame. */
static void finish_builder(lua_State *L, builder_ud *b, int names_idx, size_t nrows) {
  dg_frame **slot = dg_dataframe_newud(L);
  dg_frame *f = dg_frame_new(b->n);
  if (!f) dg_error_oom(L);
  *slot = f;
  f->nrows = nrows;
  for (size_t j = 0; j < b->n; j++) {
    lua_geti(L, names_idx, (lua_Integer)j + 1);
    const char *name = lua_tostring(L, -1);
    f->cols[j].name = strdup(name);
    lua_pop(L, 1);
    if (!f->cols[j].name || dg_colbuild_finish(b->cols[j], &f->cols[j]) < 0)
      dg_error_oom(L);
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

/* A string held by a Lua table, for sorting in C. */
typedef struct {
  const char *s;
  size_t len;
} name_ref;

/* Byte order, as Lua's < compares strings in the C locale. */
static int cmp_name_ref(const void *a, const void *b) {
  const name_ref *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
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
  /* sort in C (a script may rebind the global `table`): the strings stay alive in `set` */
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, set)) {
    lua_pop(L, 1);
    n++;
  }
  name_ref *v = lua_newuserdatauv(L, (n ? n : 1) * sizeof *v, 0); /* freed by the collector */
  size_t k = 0;
  lua_pushnil(L);
  while (lua_next(L, set)) {
    lua_pop(L, 1);
    v[k].s = lua_tolstring(L, -1, &v[k].len);
    k++;
  }
  qsort(v, n, sizeof *v, cmp_name_ref);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushlstring(L, v[i].s, v[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_remove(L, -2); /* the array of refs */
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
  if (!(u->p = dg_csv_new())) dg_error_oom(L);
  return u->p;
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

/*
** DataFrame.from_csv(text [, chunk_size [, parallel]]) -> DataFrame; raises
** datagrok.Error CSV (fields line, column). chunk_size feeds the parser that many
** bytes at a time, as a download does (default: all at once). parallel =
** {threads = n, block_size = bytes} sets dg_csv_set_parallel (threads = 1: serial);
** on success parallel.parts is set to the number of parts parsed in parallel.
** Both are for tests and measurements.
*/
static int df_from_csv(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  lua_Integer chunk = luaL_optinteger(L, 2, (lua_Integer)(n ? n : 1));
  luaL_argcheck(L, chunk > 0, 2, "chunk size must be positive");
  lua_Integer threads = -1, block = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "threads");
    threads = luaL_optinteger(L, -1, -1);
    lua_getfield(L, 3, "block_size");
    block = luaL_optinteger(L, -1, 0);
    lua_pop(L, 2);
    luaL_argcheck(L, block >= 0, 3, "block_size must not be negative");
  }
  dg_csv *p = dg_csv_newud(L);
  dg_csv_set_parallel(p, (int)(threads > 64 ? 64 : threads), (size_t)block);
  for (size_t off = 0; off < n; off += (size_t)chunk) {
    size_t k = n - off < (size_t)chunk ? n - off : (size_t)chunk;
    if (dg_csv_feed(p, text + off, k) < 0) break;
  }
  if (dg_csv_push_result(L, p, "CSV text") < 0) return lua_error(L);
  if (lua_istable(L, 3)) {
    lua_pushinteger(L, (lua_Integer)dg_csv_parts(p));
    lua_setfield(L, 3, "parts");
  }
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
  if (!dg_buf_reserve(chunk, 65536)) return dg_error_oom(L);
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
