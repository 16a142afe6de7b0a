/*
** emulator.h: the local Datagrok API emulator (`datagrok emulate`, `datagrok --emulate`).
**
** libmicrohttpd serves 127.0.0.1 from ONE internal polling thread; every request is
** handed to the Lua module "datagrok.emulator" running in the emulator's own lua_State
** (so Lua route handlers run one at a time). Request bodies over 1 MiB are spooled to
** a temporary file under the data dir; file responses are served from a descriptor and
** multipart responses are streamed part by part, so any size runs in constant memory.
** Faults (with `faults`): see README "The emulator" and lua/datagrok/emulator/init.lua.
*/
#ifndef DG_EMULATOR_H
#define DG_EMULATOR_H

#include <lua.h>
#include <stddef.h>

typedef struct dg_emulator dg_emulator;

typedef struct dg_emulator_opts {
  int port;             /* 0: any free port */
  const char *data_dir; /* NULL: a fresh temporary directory, removed by dg_emulator_stop */
  const char *key;      /* NULL: a random key */
  int demo;             /* seed the demo content (users, groups, demog, System:DemoFiles) */
  int faults;           /* enable the /_emulator control routes and request recording */
  int use_env;          /* honour DATAGROK_LUA_DIR for the Lua half */
  const char *tls_cert; /* with tls_key: serve https with this PEM certificate (chain) */
  const char *tls_key;  /* PEM private key of tls_cert */
} dg_emulator_opts;

/*
** Starts an emulator. Returns NULL with a message in err on failure (port in use,
** data dir not writable, Lua half failing to load). The key never appears in err.
*/
dg_emulator *dg_emulator_start(const dg_emulator_opts *o, char *err, size_t errlen);
/* "http://127.0.0.1:<port>" ("https://..." with TLS) */
const char *dg_emulator_url(const dg_emulator *e);
const char *dg_emulator_key(const dg_emulator *e);
/* Stops serving, closes the Lua state, removes a temporary data dir, frees e (NULL ok). */
void dg_emulator_stop(dg_emulator *e);

/*
** The `datagrok emulate` command: argv[0] is "emulate". Prints DATAGROK_URL=... and
** DATAGROK_API_KEY=... on stdout, serves until SIGINT/SIGTERM. Returns the exit code
** (0; 2 on a usage error; 1 when the emulator cannot start).
*/
int dg_emulator_command(int argc, char **argv, const char *progname);

/* Removes a file or a directory tree (symlinks not followed); 0 or an errno. */
int dg_emulator_remove_tree(const char *path);

/* Opens "datagrok.emulator.fs": the durable file helpers of the emulator's state. */
int luaopen_datagrok_emulator_fs(lua_State *L);

/* Opens "datagrok.emulator.token": mac(key, token), binding login tokens to their key. */
int luaopen_datagrok_emulator_token(lua_State *L);

#endif
