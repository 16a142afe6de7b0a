/*
** host.c: protected calls, error reports and the state set-up (see host.h).
*/
#include "host.h"
#include "embedded.h"
#include "error.h"
#include "signals.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Message handler: keeps datagrok.Error tables (adding a traceback), stringifies the rest. */
static int msghandler(lua_State *L) {
  if (dg_error_is(L, 1)) {
    lua_getfield(L, 1, "traceback");
    int has = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!has) {
      luaL_traceback(L, L, NULL, 1);
      lua_setfield(L, 1, "traceback");
    }
    lua_settop(L, 1);
    return 1;
  }
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int dg_host_docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  dg_signals_arm(L);
  int status = lua_pcall(L, narg, nres, base);
  dg_signals_disarm();
  lua_remove(L, base);
  return status;
}

void dg_host_report(lua_State *L, const char *progname) {
  if (dg_error_is(L, -1)) {
    lua_getfield(L, -1, "traceback");
    const char *tb = lua_tostring(L, -1);
    const char *line = luaL_tolstring(L, -2, NULL);
    fprintf(stderr, "%s: %s\n", progname, line);
    if (tb) fprintf(stderr, "%s\n", tb);
    lua_pop(L, 3);
  } else {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "%s: %s\n", progname, msg ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  fflush(stderr);
}

/* Keeps only absolute templates of a search path and puts `dir` entries first. */
static void fix_path(lua_State *L, const char *field, const char *dir, const char *ext) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, field);
  const char *path = lua_tostring(L, -1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (dir) {
    if (strcmp(ext, "lua") == 0) {
      luaL_addstring(&b, dir); luaL_addstring(&b, "/?.lua;");
      luaL_addstring(&b, dir); luaL_addstring(&b, "/?/init.lua;");
    } else {
      luaL_addstring(&b, dir); luaL_addstring(&b, "/?.so;");
    }
  }
  for (const char *p = path ? path : ""; *p;) {
    const char *e = strchr(p, ';');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n > 0 && p[0] == '/') {
      luaL_addlstring(&b, p, n);
      luaL_addchar(&b, ';');
    }
    p += n + (e ? 1 : 0);
  }
  luaL_pushresult(&b);
  /* drop the trailing ';' */
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  if (len > 0 && s[len - 1] == ';') {
    lua_pushlstring(L, s, len - 1);
    lua_remove(L, -2);
  }
  lua_setfield(L, -3, field);
  lua_pop(L, 2);
}

void dg_host_open(lua_State *L, int use_env, const char *script) {
  if (!use_env) {
    /* -E: like lua.c, ignore LUA_PATH/LUA_CPATH */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  dg_preload(L, use_env);
  char dir[PATH_MAX];
  const char *d = NULL;
  if (script && strcmp(script, "-") != 0 && realpath(script, dir)) {
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    d = dir;
  }
  fix_path(L, "path", d, "lua");
  fix_path(L, "cpath", d, "so");
}
