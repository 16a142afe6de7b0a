/*
** secrets.c: the state's recorded keys and the scrub against them (see secrets.h).
*/
#include "secrets.h"
#include "userdata.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define SECRETS_MT "datagrok.Secrets"         /* the metatable (luaL_newmetatable's registry slot) */
#define SECRETS_KEY "datagrok.secrets.state"  /* the registry slot of the one userdata */

typedef struct {
  char **keys;
  size_t n, cap;
  dg_buf scratch; /* the scrubbed text; owned here so a raise while pushing it leaks nothing */
} secrets;

static int secrets_gc(lua_State *L) {
  secrets *s = luaL_checkudata(L, 1, SECRETS_MT);
  for (size_t i = 0; i < s->n; i++) {
    memset(s->keys[i], 0, strlen(s->keys[i]));
    free(s->keys[i]);
  }
  free(s->keys);
  s->keys = NULL;
  s->n = s->cap = 0;
  if (s->scratch.data) memset(s->scratch.data, 0, s->scratch.cap);
  dg_buf_free(&s->scratch);
  return 0;
}

static secrets *get(lua_State *L) {
  secrets *s;
  if (lua_getfield(L, LUA_REGISTRYINDEX, SECRETS_KEY) == LUA_TUSERDATA) {
    s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
  }
  lua_pop(L, 1);
  s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  dg_buf_init(&s->scratch);
  dg_userdata_set_metatable(L, SECRETS_MT, secrets_gc);
  lua_setfield(L, LUA_REGISTRYINDEX, SECRETS_KEY);
  return s;
}

void dg_secrets_add(lua_State *L, const char *key) {
  if (!key || strlen(key) < DG_SCRUB_MIN) return;
  secrets *s = get(L);
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->keys[i], key) == 0) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4;
    char **nk = realloc(s->keys, cap * sizeof *nk);
    if (!nk) luaL_error(L, "out of memory");
    s->keys = nk;
    s->cap = cap;
  }
  char *k = strdup(key);
  if (!k) luaL_error(L, "out of memory");
  s->keys[s->n++] = k;
}

size_t dg_secrets_count(lua_State *L) { return get(L)->n; }

int dg_secrets_holds(lua_State *L, const char *str, size_t n) {
  secrets *s = get(L);
  return dg_scrub_holds(str, n, (const char *const *)s->keys, s->n);
}

void dg_secrets_push_scrubbed(lua_State *L, const char *str, size_t n, int flags) {
  secrets *s = get(L);
  if (s->scratch.failed) { /* an earlier allocation failed: start over */
    dg_buf_free(&s->scratch);
    dg_buf_init(&s->scratch);
  }
  dg_buf_reset(&s->scratch);
  if (dg_scrub(&s->scratch, str, n, (const char *const *)s->keys, s->n, flags))
    luaL_error(L, "out of memory");
  lua_pushlstring(L, s->scratch.data ? s->scratch.data : "", s->scratch.len);
}

void dg_secrets_push_excerpt(lua_State *L, const char *str, size_t n, int flags, size_t max) {
  dg_secrets_push_scrubbed(L, str, n, flags);
  size_t len;
  const char *t = lua_tolstring(L, -1, &len);
  if (len <= max) return;
  size_t cut = max;
  while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) cut--; /* the output is UTF-8 */
  lua_pushlstring(L, t, cut);
  lua_remove(L, -2);
}
