/*
** log.c: leveled logging (see log.h).
*/
#include "log.h"
#include "userdata.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LOG_KEY "datagrok.Log"

typedef struct {
  int level;
  FILE *file; /* NULL: stderr */
} log_state;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace", NULL};

static int log_gc(lua_State *L) {
  log_state *s = luaL_checkudata(L, 1, LOG_KEY);
  if (s->file) fclose(s->file);
  s->file = NULL;
  return 0;
}

static log_state *get_state(lua_State *L) {
  log_state *s;
  if (lua_getfield(L, LUA_REGISTRYINDEX, LOG_KEY) == LUA_TUSERDATA) {
    s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
  }
  lua_pop(L, 1);
  s = lua_newuserdatauv(L, sizeof *s, 0);
  s->level = DG_LOG_WARN;
  s->file = NULL;
  dg_userdata_set_metatable(L, LOG_KEY, log_gc);
  lua_setfield(L, LUA_REGISTRYINDEX, LOG_KEY);
  return s;
}

int dg_log_enabled(lua_State *L, int level) { return level <= get_state(L)->level; }

int dg_log_level_from_name(const char *name) {
  for (int i = 0; level_names[i]; i++)
    if (strcmp(name, level_names[i]) == 0) return i;
  return -1;
}

void dg_log_set_level(lua_State *L, int level) { get_state(L)->level = level; }

static void write_line(log_state *s, int level, const char *area, const char *msg) {
  FILE *f = s->file ? s->file : stderr;
  char stamp[32];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(f, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L, level_names[level], area,
          msg);
  fflush(f);
}

void dg_log(lua_State *L, int level, const char *area, const char *fmt, ...) {
  log_state *s = get_state(L);
  if (level > s->level) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  write_line(s, level, area, msg);
}

/* log.set_level(name) -> nothing; raises on an unknown level name */
static int l_set_level(lua_State *L) {
  int level = dg_log_level_from_name(luaL_checkstring(L, 1));
  luaL_argcheck(L, level >= 0, 1, "level must be error, warn, info, debug or trace");
  get_state(L)->level = level;
  return 0;
}

/* log.level() -> name */
static int l_level(lua_State *L) {
  lua_pushstring(L, level_names[get_state(L)->level]);
  return 1;
}

/* log.set_file(path|nil) -> true | fail, message. Appends; the file is created 0600. */
static int l_set_file(lua_State *L) {
  log_state *s = get_state(L);
  FILE *f = NULL;
  if (!lua_isnoneornil(L, 1)) {
    const char *path = luaL_checkstring(L, 1);
    /* created 0600 without touching the process umask (other threads may be creating files) */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "a"))) {
      if (fd >= 0) close(fd);
      return luaL_fileresult(L, 0, path);
    }
  }
  if (s->file) fclose(s->file);
  s->file = f;
  lua_pushboolean(L, 1);
  return 1;
}

/* log.enabled(name) -> boolean */
static int l_enabled(lua_State *L) {
  int level = dg_log_level_from_name(luaL_checkstring(L, 1));
  luaL_argcheck(L, level >= 0, 1, "unknown level");
  lua_pushboolean(L, dg_log_enabled(L, level));
  return 1;
}

/* log.<level>(area, message) -> nothing */
static int emit(lua_State *L, int level) {
  log_state *s = get_state(L);
  if (level > s->level) return 0;
  const char *area = luaL_checkstring(L, 1);
  const char *msg = luaL_tolstring(L, 2, NULL);
  write_line(s, level, area, msg);
  return 0;
}
static int l_error(lua_State *L) { return emit(L, DG_LOG_ERROR); }
static int l_warn(lua_State *L) { return emit(L, DG_LOG_WARN); }
static int l_info(lua_State *L) { return emit(L, DG_LOG_INFO); }
static int l_debug(lua_State *L) { return emit(L, DG_LOG_DEBUG); }
static int l_trace(lua_State *L) { return emit(L, DG_LOG_TRACE); }

int luaopen_datagrok_log(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"set_level", l_set_level}, {"level", l_level}, {"set_file", l_set_file},
    {"enabled", l_enabled}, {"error", l_error}, {"warn", l_warn}, {"info", l_info},
    {"debug", l_debug}, {"trace", l_trace}, {NULL, NULL}};
  get_state(L);
  luaL_newlib(L, funcs);
  return 1;
}
