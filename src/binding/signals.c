/*
** signals.c: SIGINT handling (see signals.h). The handler only sets flags and a
** hook: the Lua error is raised from inside the interpreter, never from the handler.
*/
#include "signals.h"
#include "error.h"

#include <lauxlib.h>

volatile sig_atomic_t dg_interrupted = 0;
static lua_State *volatile armed_state = NULL; /* the state to stop; set while armed */

static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  dg_interrupted = 0;
  dg_error_raise(L, "INTERRUPTED", "interrupted");
}

static void on_sigint(int sig) {
  signal(sig, SIG_DFL); /* a second Ctrl-C kills the process */
  dg_interrupted = 1;
  if (armed_state)
    lua_sethook(armed_state, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

void dg_signals_arm(lua_State *L) {
  armed_state = L;
  dg_interrupted = 0;
  signal(SIGINT, on_sigint);
}

void dg_signals_disarm(void) {
  signal(SIGINT, SIG_DFL);
  armed_state = NULL;
}

void dg_signals_consume(lua_State *L) {
  lua_sethook(L, NULL, 0, 0);
  dg_interrupted = 0;
  if (armed_state) signal(SIGINT, on_sigint);
}

