/*
** json.c: the JSON codec of json.h (decode to Lua values, encode from them).
*/
#include "json.h"
#include "owned.h"
#include "error.h"
#include "json_parse.h"
#include "json_write.h"
#include "numfmt.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NULL_MT "datagrok.null"
#define ARRAY_MT "datagrok.json.array"
#define MAX_DEPTH DG_JSON_MAX_DEPTH

/* ---- sentinels ---------------------------------------------------------- */

static int null_tostring(lua_State *L) {
  lua_pushliteral(L, "null");
  return 1;
}

void dg_json_push_null(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, "datagrok.null.value") == LUA_TUSERDATA) return;
  lua_pop(L, 1);
  lua_newuserdatauv(L, 0, 0);
  luaL_newmetatable(L, NULL_MT);
  lua_pushcfunction(L, null_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "datagrok.null.value");
}

int dg_json_is_null(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TUSERDATA) return 0;
  idx = lua_absindex(L, idx);
  dg_json_push_null(L);
  int same = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

void dg_json_push_array_mt(lua_State *L) {
  if (luaL_newmetatable(L, ARRAY_MT)) {
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__jsontype");
  }
}

/* ---- decoding: Lua values from the events of codec/json_parse.h ---------- */

static int on_null(void *ctx) {
  dg_json_push_null(ctx);
  return 0;
}

static int on_boolean(void *ctx, int v) {
  lua_pushboolean(ctx, v);
  return 0;
}

static int on_integer(void *ctx, int64_t v) {
  lua_pushinteger(ctx, (lua_Integer)v);
  return 0;
}

static int on_number(void *ctx, double v) {
  lua_pushnumber(ctx, v);
  return 0;
}

static int on_string(void *ctx, const char *s, size_t n) {
  lua_pushlstring(ctx, s, n);
  return 0;
}

static int on_begin_array(void *ctx) {
  lua_State *L = ctx;
  luaL_checkstack(L, 4, "JSON nesting");
  lua_newtable(L);
  dg_json_push_array_mt(L);
  lua_setmetatable(L, -2);
  return 0;
}

static int on_item(void *ctx, size_t index) {
  lua_rawseti(ctx, -2, (lua_Integer)index);
  return 0;
}

static int on_begin_object(void *ctx) {
  lua_State *L = ctx;
  luaL_checkstack(L, 4, "JSON nesting");
  lua_newtable(L);
  return 0;
}

static int on_member(void *ctx) {
  lua_rawset(ctx, -3);
  return 0;
}

static int on_end(void *ctx) { return 0; }

int dg_json_decode(lua_State *L, const char *s, size_t len, char *err, size_t errlen) {
  static const dg_json_handler to_lua = {
      on_null, on_boolean, on_integer, on_number, on_string, on_begin_array, on_item,
      on_end, on_begin_object, on_string, on_member, on_end};
  int top = lua_gettop(L);
  dg_buf *scratch = dg_buf_newud(L); /* owned: a raise (out of memory) frees it */
  if (dg_json_parse(s, len, &to_lua, L, scratch, err, errlen) == 0) {
    lua_remove(L, top + 1); /* the scratch buffer */
    return 0;
  }
  lua_settop(L, top);
  return -1;
}

/* ---- encoding ----------------------------------------------------------- */

typedef struct {
  lua_State *L;
  dg_buf *out;
  int flags;
  char *err;
  size_t errlen;
  int depth;
} encoder;

static int enc_value(encoder *e, int idx, const char *where);

static void enc_string(encoder *e, const char *s, size_t n) {
  dg_json_write_string(e->out, s, n, e->flags & DG_JSON_ASCII);
}

static int enc_fail(encoder *e, const char *what, const char *where) {
  snprintf(e->err, e->errlen, "cannot encode %s at %s", what, where);
  return -1;
}

static void newline(encoder *e) {
  if (!(e->flags & DG_JSON_PRETTY)) return;
  dg_buf_addc(e->out, '\n');
  for (int i = 0; i < e->depth; i++) dg_buf_add(e->out, "  ", 2);
}

static void separator(encoder *e, char c) {
  dg_buf_addc(e->out, c);
  if (c == ':' && (e->flags & (DG_JSON_SPACED | DG_JSON_PRETTY))) dg_buf_addc(e->out, ' ');
  else if (c == ',' && (e->flags & DG_JSON_SPACED) && !(e->flags & DG_JSON_PRETTY))
    dg_buf_addc(e->out, ' ');
}

static int enc_array(encoder *e, int idx, lua_Integer n, const char *where) {
  char at[256];
  dg_buf_addc(e->out, '[');
  e->depth++;
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1) separator(e, ',');
    newline(e);
    lua_rawgeti(e->L, idx, i);
    snprintf(at, sizeof at, "%s[%lld]", where, (long long)i);
    int rc = enc_value(e, lua_gettop(e->L), at);
    lua_pop(e->L, 1);
    if (rc) return -1;
  }
  e->depth--;
  if (n > 0) newline(e);
  dg_buf_addc(e->out, ']');
  return 0;
}

typedef struct { const char *s; size_t n; } keyref;

static int keycmp(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->s, y->s, n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int enc_object(encoder *e, int idx, size_t count, const char *where) {
  lua_State *L = e->L;
  char at[256];
  /* owned by the stack: a raise while encoding a value (out of memory) frees it */
  luaL_checkstack(L, 4, "JSON nesting");
  keyref *keys = lua_newuserdatauv(L, (count ? count : 1) * sizeof *keys, 0);
  size_t k = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) && k < count) {
    keys[k].s = lua_tolstring(L, -2, &keys[k].n); /* keys are strings here: anchored by the table */
    k++;
    lua_pop(L, 1);
  }
  if (k == count) { /* lua_next stopped the loop itself: nothing left on the stack */ }
  /* Lua tables keep no key order and their traversal order changes from process to
     process (string hashes are seeded per state): keys are always written in byte order,
     so the same table gives the same text everywhere */
  qsort(keys, k, sizeof *keys, keycmp);
  dg_buf_addc(e->out, '{');
  e->depth++;
  int rc = 0;
  for (size_t i = 0; i < k && rc == 0; i++) {
    if (i > 0) separator(e, ',');
    newline(e);
    enc_string(e, keys[i].s, keys[i].n);
    separator(e, ':');
    lua_pushlstring(L, keys[i].s, keys[i].n);
    lua_rawget(L, idx);
    snprintf(at, sizeof at, "%s.%.*s", where, (int)(keys[i].n > 64 ? 64 : keys[i].n), keys[i].s);
    rc = enc_value(e, lua_gettop(L), at);
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* keys */
  if (rc) return -1;
  e->depth--;
  if (k > 0) newline(e);
  dg_buf_addc(e->out, '}');
  return 0;
}

static int enc_table(encoder *e, int idx, const char *where) {
  lua_State *L = e->L;
  if (e->depth >= MAX_DEPTH) return enc_fail(e, "a table nested too deeply (a cycle?)", where);
  luaL_checkstack(L, 6, "JSON nesting");
  if (lua_getmetatable(L, idx)) {
    dg_json_push_array_mt(L);
    int is_array = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (is_array) return enc_array(e, idx, (lua_Integer)lua_rawlen(L, idx), where);
  }
  size_t count = 0, strings = 0;
  lua_Integer max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (lua_type(L, -1) == LUA_TSTRING) strings++;
    else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
    } else {
      lua_pop(L, 1);
      return enc_fail(e, "a table key that is neither a string nor a positive integer", where);
    }
  }
  if (count == 0) {
    dg_buf_add(e->out, "{}", 2);
    return 0;
  }
  if (strings == count) return enc_object(e, idx, count, where);
  if (strings > 0) return enc_fail(e, "a table mixing array and object keys", where);
  if ((size_t)max != count) return enc_fail(e, "a sparse array (use datagrok.null for holes)", where);
  return enc_array(e, idx, max, where);
}

static int enc_value(encoder *e, int idx, const char *where) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: dg_buf_add(e->out, "null", 4); return 0;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) dg_buf_add(e->out, "true", 4);
      else dg_buf_add(e->out, "false", 5);
      return 0;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        dg_buf_printf(e->out, "%lld", (long long)lua_tointeger(L, idx));
      } else {
        double x = lua_tonumber(L, idx);
        if (isnan(x) || isinf(x)) return enc_fail(e, "NaN or infinity", where);
        char s[32];
        dg_buf_add(e->out, s, dg_fmt_double(x, s));
      }
      return 0;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      enc_string(e, s, n);
      return 0;
    }
    case LUA_TTABLE: return enc_table(e, idx, where);
    case LUA_TUSERDATA:
      if (dg_json_is_null(L, idx)) { dg_buf_add(e->out, "null", 4); return 0; }
      /* fallthrough */
    default: {
      char what[64];
      snprintf(what, sizeof what, "a %s", luaL_typename(L, idx));
      return enc_fail(e, what, where);
    }
  }
}

int dg_json_encode(lua_State *L, int idx, dg_buf *out, int flags, char *err, size_t errlen) {
  encoder e = {L, out, flags, err, errlen, 0};
  int top = lua_gettop(L);
  int rc = enc_value(&e, lua_absindex(L, idx), "$");
  lua_settop(L, top);
  if (rc == 0 && out->failed) {
    snprintf(err, errlen, "out of memory while encoding JSON");
    return -1;
  }
  return rc;
}

/* ---- the Lua module ----------------------------------------------------- */

/* json.decode(text) -> value; raises Error{code="JSON"} naming line and column. */
static int l_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[256];
  if (dg_json_decode(L, s, len, err, sizeof err))
    return dg_error_raise(L, "JSON", "invalid JSON: %s", err);
  return 1;
}

static int flag(lua_State *L, int opts, const char *name, int bit) {
  int on = 0;
  if (lua_istable(L, opts)) {
    lua_getfield(L, opts, name);
    on = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return on ? bit : 0;
}

/*
** json.encode(value [, opts]) -> string
** opts: ascii, spaced (Python separators), pretty. Object keys are always in byte order
** (sort_keys is accepted and changes nothing). Raises Error{code="JSON"}.
*/
static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  int flags = flag(L, 2, "ascii", DG_JSON_ASCII) | flag(L, 2, "spaced", DG_JSON_SPACED) |
              flag(L, 2, "pretty", DG_JSON_PRETTY);
  lua_settop(L, 1);
  dg_buf *b = dg_buf_newud(L);
  char err[320];
  if (dg_json_encode(L, 1, b, flags, err, sizeof err)) return dg_error_raise(L, "JSON", "%s", err);
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  dg_buf_free(b);
  return 1;
}

/* json.array([t]) -> t, marked to encode as a JSON array even when empty. */
static int l_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  dg_json_push_array_mt(L);
  lua_setmetatable(L, 1);
  return 1;
}

/* json.is_array(v) -> boolean: v carries the array mark. */
static int l_is_array(lua_State *L) {
  int yes = 0;
  if (lua_istable(L, 1) && lua_getmetatable(L, 1)) {
    dg_json_push_array_mt(L);
    yes = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, yes);
  return 1;
}

int luaopen_datagrok_json(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"decode", l_decode}, {"encode", l_encode}, {"array", l_array}, {"is_array", l_is_array},
    {NULL, NULL}};
  luaL_newlib(L, funcs);
  dg_json_push_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
