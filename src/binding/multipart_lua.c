/*
** multipart_lua.c: "datagrok.multipart", the multipart parser of
** codec/multipart.h for Lua (tests, debugging).
*/
#include "multipart_lua.h"
#include "owned.h"
#include "multipart.h"

#include "buf.h"
#include "error.h"

#include <lauxlib.h>
#include <string.h>

/* One parsed part, recorded as offsets into the shared data buffer. */
typedef struct {
  size_t index, head_off, head_len, body_off, body_len, name_off, name_len;
} part_rec;

typedef struct {
  dg_buf *data, *recs;
} collect_ctx;

static int collect_begin(void *ctx, const dg_multipart_part *part) {
  collect_ctx *c = ctx;
  char name[4096];
  size_t nlen = dg_multipart_filename(part, name, sizeof name);
  if (nlen >= sizeof name) nlen = sizeof name - 1;
  part_rec r = {part->index, c->data->len, part->headers_len, 0, 0, 0, nlen};
  dg_buf_add(c->data, part->headers, part->headers_len);
  r.name_off = c->data->len;
  dg_buf_add(c->data, name, nlen);
  r.body_off = c->data->len;
  return dg_buf_add(c->recs, &r, sizeof r) ? 1 : 0;
}

static int collect_data(void *ctx, const char *d, size_t n) {
  collect_ctx *c = ctx;
  part_rec *r = (part_rec *)(void *)(c->recs->data + c->recs->len - sizeof(part_rec));
  r->body_len += n;
  return dg_buf_add(c->data, d, n) ? 1 : 0;
}

/*
** multipart.parse(content_type, body [, chunk]) -> array of parts
** {index=, headers=, filename=, body=, status=, etag=}; the body is fed in
** pieces of `chunk` bytes (default: whole). Raises a PROTOCOL Error on a
** malformed body, naming what and where.
*/
static int l_parse(lua_State *L) {
  const char *ct = luaL_checkstring(L, 1);
  size_t len;
  const char *body = luaL_checklstring(L, 2, &len);
  lua_Integer chunk = luaL_optinteger(L, 3, (lua_Integer)(len ? len : 1));
  luaL_argcheck(L, chunk > 0, 3, "chunk size must be positive");
  char boundary[DG_MULTIPART_MAX_BOUNDARY + 1], err[256];
  if (dg_multipart_boundary(ct, boundary, sizeof boundary, err, sizeof err))
    return dg_error_raise(L, "PROTOCOL", "%s in Content-Type '%s'", err, ct);
  dg_multipart *p = lua_newuserdatauv(L, sizeof *p, 0); /* plain memory, no resources */
  dg_buf *data = dg_buf_newud(L), *recs = dg_buf_newud(L);
  collect_ctx c = {data, recs};
  dg_multipart_callbacks cb = {collect_begin, collect_data, NULL, &c};
  dg_multipart_init(p, boundary, &cb);
  int rc = 0;
  for (size_t off = 0; off < len && rc == 0; off += (size_t)chunk) {
    size_t n = len - off < (size_t)chunk ? len - off : (size_t)chunk;
    rc = dg_multipart_feed(p, body + off, n);
  }
  if (rc == 0) rc = dg_multipart_finish(p);
  if (data->failed || recs->failed) return dg_error_oom(L);
  if (rc) return dg_error_raise(L, "PROTOCOL", "%s", p->err);
  size_t count = recs->len / sizeof(part_rec);
  lua_createtable(L, (int)count, 0);
  for (size_t k = 0; k < count; k++) {
    part_rec r;
    memcpy(&r, recs->data + k * sizeof r, sizeof r);
    dg_multipart_part part = {r.index, data->data + r.head_off, r.head_len};
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)r.index);
    lua_setfield(L, -2, "index");
    lua_pushlstring(L, part.headers, part.headers_len);
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, data->data + r.name_off, r.name_len);
    lua_setfield(L, -2, "filename");
    lua_pushlstring(L, r.body_len ? data->data + r.body_off : "", r.body_len);
    lua_setfield(L, -2, "body");
    size_t vlen;
    const char *v = dg_multipart_header(&part, "X-File-Status", &vlen);
    if (v) {
      lua_pushlstring(L, v, vlen);
      lua_setfield(L, -2, "status");
    }
    v = dg_multipart_header(&part, "X-File-E-Tag", &vlen);
    if (v) {
      lua_pushlstring(L, v, vlen);
      lua_setfield(L, -2, "etag");
    }
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  return 1;
}

/* multipart.boundary(content_type) -> boundary, or nil plus the reason */
static int l_boundary(lua_State *L) {
  char boundary[DG_MULTIPART_MAX_BOUNDARY + 1], err[256];
  if (dg_multipart_boundary(luaL_checkstring(L, 1), boundary, sizeof boundary, err, sizeof err)) {
    luaL_pushfail(L);
    lua_pushstring(L, err);
    return 2;
  }
  lua_pushstring(L, boundary);
  return 1;
}

int luaopen_datagrok_multipart(lua_State *L) {
  static const luaL_Reg fns[] = {{"parse", l_parse}, {"boundary", l_boundary}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
