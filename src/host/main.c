/*
** main.c: the `datagrok` executable. Command-line compatible with lua.c:
**   datagrok [datagrok options] [-e stat] [-l mod] [-i] [-v] [-E] [-W] [--] [script [args]]
** plus the subcommand `datagrok emulate ...` (the local Datagrok API emulator).
** Exit codes: 0 success, 1 unhandled error, 2 usage/configuration, 3 auth refused,
** 4 server kept failing, 5 safety stop, 6 partial, 7 locked, 130 interrupted.
*/
#include "emulator.h"
#include "error.h"
#include "host.h"
#include "log.h"
#include "longopt.h"
#include "repl.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGNAME "datagrok"

static const char usage_text[] =
  "usage: " PROGNAME " [options] [script [args]]\n"
  "       " PROGNAME " emulate [--port N] [--data DIR] [--key KEY] [--demo] [--faults]\n"
  "Datagrok options (before the script):\n"
  "  --log-level LEVEL  error, warn (default), info, debug or trace; debug traces requests\n"
  "  --log-file FILE    write log lines to FILE (created 0600) instead of stderr\n"
  "  --profile NAME     use the server profile NAME of ~/.grok/config.yaml\n"
  "                     (sets DATAGROK_PROFILE for the run)\n"
  "  --emulate          run the script against a local emulator with demo content\n"
  "                     (sets DATAGROK_URL and DATAGROK_API_KEY for the run)\n"
  "  --help             show this help and exit\n"
  "  --version          show the version and the commit built from, and exit\n"
  "Lua options (as lua5.4):\n"
  "  -e stat   execute string 'stat'\n"
  "  -i        enter interactive mode after executing 'script'\n"
  "  -l mod    require library 'mod' into global 'mod' (-l g=mod: into global 'g')\n"
  "  -v        show version information\n"
  "  -E        ignore environment variables (LUA_INIT, LUA_PATH, DATAGROK_LUA_DIR)\n"
  "  -W        turn warnings on\n"
  "  --        stop handling options\n"
  "  -         execute stdin and stop handling options\n"
  "With no script: an interactive REPL on a terminal, otherwise stdin runs as a script.\n"
  "Exit codes: 0 ok, 1 error, 2 usage/config, 3 auth refused, 4 server kept failing,\n"
  "            5 safety stop, 6 partial, 7 locked, 130 interrupted.\n";

/* What the command line asked for. */
typedef struct {
  int argc;
  char **argv;
  int script;        /* index of the script in argv, 0 if none */
  int interactive;   /* -i */
  int version;       /* -v */
  int no_env;        /* -E */
  int warnings;      /* -W */
  int has_exec;      /* some -e or -l */
  const char *log_level;
  const char *log_file;
  const char *profile; /* --profile NAME: DATAGROK_PROFILE for the run */
  int emulate;       /* --emulate: an in-process emulator for the run */
  int exit_code;     /* set by pmain */
} options;

#ifndef DATAGROK_COMMIT
#define DATAGROK_COMMIT "unknown"
#endif

/* "datagrok 0.1.0 (commit 449a4c7ab12c) -- Lua 5.4.4  Copyright ..." for -v and --version. */
static void print_version(void) {
  printf("%s %s (commit %s) -- %s\n", PROGNAME, DATAGROK_VERSION, DATAGROK_COMMIT, LUA_COPYRIGHT);
  fflush(stdout);
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", PROGNAME);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage_text);
  return -1;
}

/* The long options before the script. */
enum { OPT_HELP, OPT_VERSION, OPT_EMULATE, OPT_LOG_LEVEL, OPT_LOG_FILE, OPT_PROFILE };
static const dg_longopt long_options[] = {
  {"--help", 0, OPT_HELP},
  {"--version", 0, OPT_VERSION},
  {"--emulate", 0, OPT_EMULATE},
  {"--log-level", 1, OPT_LOG_LEVEL},
  {"--log-file", 1, OPT_LOG_FILE},
  {"--profile", 1, OPT_PROFILE},
  {NULL, 0, 0}};

/*
** Parses options up to the script. Returns 0, 1 for --help/--version (done),
** -1 on a usage error (already reported).
*/
static int parse_args(options *o) {
  char **argv = o->argv;
  int i;
  for (i = 1; i < o->argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') break;                       /* the script */
    if (strcmp(a, "-") == 0) break;               /* stdin as the script */
    if (strcmp(a, "--") == 0) { i++; break; }
    if (a[1] == '-') {
      const char *val;
      switch (dg_longopt_match(long_options, o->argc, argv, &i, &val)) {
        case OPT_HELP: fputs(usage_text, stdout); return 1;
        case OPT_VERSION: print_version(); return 1;
        case OPT_EMULATE: o->emulate = 1; continue;
        case OPT_LOG_LEVEL: o->log_level = val; continue;
        case OPT_LOG_FILE: o->log_file = val; continue;
        case OPT_PROFILE:
          if (!*val) return usage_error("%s: the profile name is empty", "--profile");
          o->profile = val;
          continue;
        case DG_LONGOPT_MISSING: return usage_error("'%s' needs an argument", a);
        case DG_LONGOPT_EXTRA: return usage_error("'%s' takes no argument", a);
        default: return usage_error("unrecognized option '%s'", a);
      }
    }
    switch (a[1]) {
      case 'i': if (a[2]) return usage_error("unrecognized option '%s'", a);
        o->interactive = o->version = 1; break;
      case 'v': if (a[2]) return usage_error("unrecognized option '%s'", a);
        o->version = 1; break;
      case 'E': if (a[2]) return usage_error("unrecognized option '%s'", a);
        o->no_env = 1; break;
      case 'W': if (a[2]) return usage_error("unrecognized option '%s'", a);
        o->warnings = 1; break;
      case 'e': case 'l':
        o->has_exec = 1;
        if (a[2] == '\0') {
          if (++i >= o->argc || argv[i][0] == '-')
            return usage_error("'%s' needs an argument", a);
        }
        break;
      default: return usage_error("unrecognized option '%s'", a);
    }
  }
  o->script = i < o->argc ? i : 0;
  if (o->log_level && dg_log_level_from_name(o->log_level) < 0)
    return usage_error("--log-level: unknown level '%s' (error, warn, info, debug, trace)",
                       o->log_level);
  return 0;
}

/* The global `arg`: arg[0] = script, arg[1..] its arguments, negatives the rest. */
static void create_arg_table(lua_State *L, const options *o) {
  int script = o->script ? o->script : 0;
  int narg = o->argc - (script + 1);
  lua_createtable(L, narg > 0 ? narg : 0, script + 1);
  for (int i = 0; i < o->argc; i++) {
    lua_pushstring(L, o->argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int report_status(lua_State *L, int status) {
  if (status != LUA_OK) {
    int code = dg_error_exit_code(L, -1);
    dg_host_report(L, PROGNAME);
    return code;
  }
  return 0;
}

static int run_chunk(lua_State *L, int status) {
  if (status == LUA_OK) status = dg_host_docall(L, 0, 0);
  return report_status(L, status);
}

static int run_init(lua_State *L) {
  const char *name = "=LUA_INIT_5_4";
  const char *init = getenv(name + 1);
  if (!init) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (!init) return 0;
  if (init[0] == '@') return run_chunk(L, luaL_loadfile(L, init + 1));
  return run_chunk(L, luaL_loadbuffer(L, init, strlen(init), name));
}

/* Runs the -e and -l options in order; returns an exit code (0 = go on). */
static int run_exec_options(lua_State *L, const options *o) {
  int last = o->script ? o->script : o->argc;
  for (int i = 1; i < last; i++) {
    const char *a = o->argv[i];
    if (a[0] == '-' && a[1] == '-') { /* a long option (parse_args checked it): skip its value */
      const char *val;
      dg_longopt_match(long_options, o->argc, o->argv, &i, &val);
      continue;
    }
    if (a[0] != '-' || (a[1] != 'e' && a[1] != 'l')) continue;
    const char *val = a[2] ? a + 2 : o->argv[++i];
    int code;
    if (a[1] == 'e') {
      code = run_chunk(L, luaL_loadbuffer(L, val, strlen(val), "=(command line)"));
    } else {
      /* -l mod or -l g=mod */
      const char *eq = strchr(val, '=');
      const char *mod = eq ? eq + 1 : val;
      lua_getglobal(L, "require");
      lua_pushstring(L, mod);
      int status = dg_host_docall(L, 1, 1);
      if (status == LUA_OK) {
        if (eq) lua_pushlstring(L, val, (size_t)(eq - val));
        else lua_pushstring(L, mod);
        lua_insert(L, -2);
        lua_setglobal(L, lua_tostring(L, -2));
        lua_pop(L, 1);
      }
      code = report_status(L, status);
    }
    if (code) return code;
  }
  return 0;
}

static int run_script(lua_State *L, const options *o) {
  const char *fname = o->argv[o->script];
  if (strcmp(fname, "-") == 0 && strcmp(o->argv[o->script - 1], "--") != 0) fname = NULL;
  int status = luaL_loadfile(L, fname);
  if (status != LUA_OK) return report_status(L, status);
  int n = 0;
  lua_getglobal(L, "arg");
  if (lua_istable(L, -1)) {
    n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -n - 1);
  } else {
    lua_pop(L, 1);
  }
  return report_status(L, dg_host_docall(L, n, 0));
}

/* The whole run, in protected mode so that memory errors are reported too. */
static int pmain(lua_State *L) {
  options *o = lua_touserdata(L, 1);
  lua_pop(L, 1);
  luaL_checkversion(L);
  const char *script = o->script ? o->argv[o->script] : NULL;
  dg_host_open(L, !o->no_env, script);
  if (o->log_level) dg_log_set_level(L, dg_log_level_from_name(o->log_level));
  if (o->log_file) {
    lua_getglobal(L, "require");
    lua_pushliteral(L, "datagrok.log");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "set_file");
    lua_pushstring(L, o->log_file);
    lua_call(L, 1, 2);
    if (!lua_toboolean(L, -2)) {
      fprintf(stderr, "%s: --log-file: %s\n", PROGNAME, lua_tostring(L, -1));
      o->exit_code = 2;
      return 0;
    }
    lua_pop(L, 3);
  }
  if (o->warnings) lua_warning(L, "@on", 0);
  create_arg_table(L, o);
  if (o->version) print_version();
  if (!o->no_env && (o->exit_code = run_init(L))) return 0;
  if ((o->exit_code = run_exec_options(L, o))) return 0;
  if (o->script) {
    if ((o->exit_code = run_script(L, o))) return 0;
  }
  if (o->interactive) {
    o->exit_code = dg_repl(L, PROGNAME);
  } else if (!o->script && !o->has_exec && !o->version) {
    if (isatty(STDIN_FILENO)) {
      print_version();
      o->exit_code = dg_repl(L, PROGNAME);
    } else {
      o->exit_code = run_chunk(L, luaL_loadfile(L, NULL));
    }
  }
  return 0;
}

/* The --emulate emulator: stopped at exit, after main returns or when the script calls os.exit. */
static dg_emulator *script_emulator = NULL;

static void stop_script_emulator(void) {
  dg_emulator_stop(script_emulator); /* also removes its temporary data dir */
  script_emulator = NULL;
}

/*
** --emulate: starts an emulator with demo content in a temporary data dir and
** points DATAGROK_URL/DATAGROK_API_KEY at it. Returns NULL (reported) on failure.
*/
static dg_emulator *start_emulator(const options *o) {
  dg_emulator_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.demo = 1;
  eo.use_env = !o->no_env;
  char err[512];
  dg_emulator *e = dg_emulator_start(&eo, err, sizeof err);
  if (!e) {
    fprintf(stderr, "%s: --emulate: %s\n", PROGNAME, err);
    return NULL;
  }
  setenv("DATAGROK_URL", dg_emulator_url(e), 1);
  setenv("DATAGROK_API_KEY", dg_emulator_key(e), 1);
  script_emulator = e;
  atexit(stop_script_emulator);
  return e;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "emulate") == 0)
    return dg_emulator_command(argc - 1, argv + 1, PROGNAME);
  options o;
  memset(&o, 0, sizeof o);
  o.argc = argc;
  o.argv = argv;
  int rc = parse_args(&o);
  if (rc != 0) return rc > 0 ? 0 : 2;
  if (o.profile) setenv("DATAGROK_PROFILE", o.profile, 1);
  if (o.emulate && !start_emulator(&o)) return 1;
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create the Lua state: not enough memory\n", PROGNAME);
    return 1;
  }
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &o);
  int status = lua_pcall(L, 1, 0, 0);
  if (status != LUA_OK) {
    o.exit_code = dg_error_exit_code(L, -1);
    dg_host_report(L, PROGNAME);
  }
  lua_close(L); /* the script's clients close before the emulator stops (atexit) */
  return o.exit_code;
}
