/*
** log.c: leveled logging (see log.h).
*/
#include "log.h"
#include "userdata.h"
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define LOG_KEY "datagrok.Log"           /* the metatable's name */
#define STATE_KEY "datagrok.Log.state"   /* the registry field holding the one log_state */

typedef struct {
  int level;
  FILE *file; /* NULL: stderr */
  char *path; /* the file's path as given, or NULL */
} log_state;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace", NULL};

static int log_gc(lua_State *L) {
  log_state *s = luaL_checkudata(L, 1, LOG_KEY);
  if (s->file) fclose(s->file);
  s->file = NULL;
  free(s->path);
  s->path = NULL;
  return 0;
}

static log_state *get_state(lua_State *L) {
  log_state *s;
  if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY) == LUA_TUSERDATA) {
    s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
  }
  lua_pop(L, 1);
  s = lua_newuserdatauv(L, sizeof *s, 0);
  s->level = DG_LOG_WARN;
  s->file = NULL;
  s->path = NULL;
  dg_userdata_set_metatable(L, LOG_KEY, log_gc);
  lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
  return s;
}

int dg_log_enabled(lua_State *L, int level) { return level <= get_state(L)->level; }

int dg_log_level_from_name(const char *name) {
  for (int i = 0; level_names[i]; i++)
    if (strcmp(name, level_names[i]) == 0) return i;
  return -1;
}

void dg_log_set_level(lua_State *L, int level) { get_state(L)->level = level; }

/* Writes one line; msg is scrubbed here (secrets.h), so no log line shows a key or a control character. */
static void write_line(lua_State *L, log_state *s, int level, const char *area, const char *msg) {
  FILE *f = s->file ? s->file : stderr;
  dg_secrets_push_scrubbed(L, msg, strlen(msg), DG_SCRUB_ONELINE);
  msg = lua_tostring(L, -1);
  char stamp[32];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(f, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L, level_names[level], area,
          msg);
  fflush(f);
  lua_pop(L, 1);
}

void dg_log(lua_State *L, int level, const char *area, const char *fmt, ...) {
  log_state *s = get_state(L);
  if (level > s->level) return;
  char small[2048], *msg = small;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n >= sizeof small) { /* whole: no cut before the scrub */
    msg = lua_newuserdatauv(L, (size_t)n + 1, 0);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  write_line(L, s, level, area, msg);
  if (msg != small) lua_pop(L, 1);
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
  char *copy = NULL;
  if (!lua_isnoneornil(L, 1)) {
    const char *path = luaL_checkstring(L, 1);
    if (!(copy = strdup(path))) return luaL_error(L, "out of memory");
    /* created 0600 without touching the process umask (other threads may be creating files) */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "a"))) {
      int e = errno;
      if (fd >= 0) close(fd);
      free(copy);
      errno = e;
      return luaL_fileresult(L, 0, path);
    }
  }
  if (s->file) fclose(s->file);
  free(s->path);
  s->file = f;
  s->path = copy;
  lua_pushboolean(L, 1);
  return 1;
}

/* log.file() -> the path set by set_file (or --log-file), or nil for standard error */
static int l_file(lua_State *L) {
  log_state *s = get_state(L);
  if (s->path) lua_pushstring(L, s->path);
  else lua_pushnil(L);
  return 1;
}

/* log.enabled(name) -> boolean */
static int l_enabled(lua_State *L) {
  int level = dg_log_level_from_name(luaL_checkstring(L, 1));
  luaL_argcheck(L, level >= 0, 1, "unknown level");
  lua_pushboolean(L, dg_log_enabled(L, level));
  return 1;
}

/* True for field names whose values are never written: key, token, password, secret,
** authorization (any letter case, anywhere in the name). */
static int secret_name(const char *k) {
  static const char *const words[] = {"key", "token", "password", "secret", "authorization", NULL};
  char low[64];
  size_t i = 0;
  for (; k[i] && i + 1 < sizeof low; i++) low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
  low[i] = '\0';
  for (int w = 0; words[w]; w++)
    if (strstr(low, words[w])) return 1;
  return 0;
}

/* A line being built in a fixed buffer; what does not fit is cut (with "...") */
typedef struct {
  char data[16384];
  size_t len;
  int cut;
} line_buf;

static void add_bytes(line_buf *b, const char *p, size_t n) {
  size_t room = sizeof b->data - 4 - b->len; /* keep room for "..." and NUL */
  if (n > room) {
    n = room;
    b->cut = 1;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void add_str(line_buf *b, const char *s) { add_bytes(b, s, strlen(s)); }

/* Appends v as a field value: bare when it is one plain word, else double-quoted with
** \" \\ \n \r \t escaped (so a line stays one line and parses back). */
static void add_value(line_buf *b, const char *v, size_t n) {
  int bare = n > 0;
  for (size_t i = 0; i < n && bare; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 127) bare = 0;
  }
  if (bare) {
    add_bytes(b, v, n);
    return;
  }
  add_str(b, "\"");
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == '"' || c == '\\') { char e[2] = {'\\', c}; add_bytes(b, e, 2); }
    else if (c == '\n') add_str(b, "\\n");
    else if (c == '\r') add_str(b, "\\r");
    else if (c == '\t') add_str(b, "\\t");
    else add_bytes(b, &c, 1);
  }
  add_str(b, "\"");
}

static int key_less(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define MAX_FIELDS 64

/*
** Writes into b the message at 2 followed by the fields of the table at 3 (if any)
** as " name=value" in name order; values of secret-looking names are "<redacted>".
** Leaves the stack as it found it.
*/
static void format_message(lua_State *L, line_buf *b) {
  int top = lua_gettop(L);
  size_t len;
  luaL_tolstring(L, 2, &len);
  /* keys go before any cut (write_line scrubs the rest): a cut key could not be matched */
  dg_secrets_push_scrubbed(L, lua_tostring(L, -1), len, DG_SCRUB_KEYS_ONLY);
  const char *msg = lua_tolstring(L, -1, &len);
  add_bytes(b, msg, len);
  if (lua_istable(L, 3)) {
    const char *names[MAX_FIELDS];
    int n = 0;
    lua_pushnil(L);
    while (n < MAX_FIELDS && lua_next(L, 3)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING) names[n++] = lua_tostring(L, -1); /* kept alive by t */
    }
    lua_settop(L, top + 1);
    qsort(names, (size_t)n, sizeof names[0], key_less);
    for (int i = 0; i < n; i++) {
      add_str(b, " ");
      add_str(b, names[i]);
      add_str(b, "=");
      if (secret_name(names[i])) {
        add_str(b, "<redacted>");
        continue;
      }
      lua_getfield(L, 3, names[i]);
      luaL_tolstring(L, -1, &len);
      dg_secrets_push_scrubbed(L, lua_tostring(L, -1), len, DG_SCRUB_KEYS_ONLY);
      const char *v = lua_tolstring(L, -1, &len);
      add_value(b, v, len);
      lua_pop(L, 3);
    }
  }
  if (b->cut) add_str(b, "...");
  b->data[b->len] = '\0';
  lua_settop(L, top);
}

/* log.<level>(area, message [, fields]) -> nothing. fields: a table written after the
** message as " name=value" pairs in name order (see format_message). */
static int emit(lua_State *L, int level) {
  log_state *s = get_state(L);
  if (level > s->level) return 0;
  const char *area = luaL_checkstring(L, 1);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  line_buf b;
  b.len = 0;
  b.cut = 0;
  format_message(L, &b);
  write_line(L, s, level, area, b.data);
  return 0;
}
static int l_error(lua_State *L) { return emit(L, DG_LOG_ERROR); }
static int l_warn(lua_State *L) { return emit(L, DG_LOG_WARN); }
static int l_info(lua_State *L) { return emit(L, DG_LOG_INFO); }
static int l_debug(lua_State *L) { return emit(L, DG_LOG_DEBUG); }
static int l_trace(lua_State *L) { return emit(L, DG_LOG_TRACE); }

int luaopen_datagrok_log(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"set_level", l_set_level}, {"level", l_level}, {"set_file", l_set_file}, {"file", l_file},
    {"enabled", l_enabled}, {"error", l_error}, {"warn", l_warn}, {"info", l_info},
    {"debug", l_debug}, {"trace", l_trace}, {NULL, NULL}};
  get_state(L);
  luaL_newlib(L, funcs);
  return 1;
}
