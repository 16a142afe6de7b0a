/*
** repl.h: the interactive read-eval-print loop (libedit).
*/
#ifndef DG_REPL_H
#define DG_REPL_H

#include <lua.h>

/*
** Runs the REPL on the terminal until end of input (Ctrl-D). Lines are
** evaluated as expressions when they compile as such (auto-return), otherwise
** as statements; incomplete chunks continue on a ">>" prompt. Results are
** pretty-printed by datagrok.repl. History persists, mode 0600, in
** $XDG_STATE_HOME/datagrok/history. Returns the exit code (0).
*/
int dg_repl(lua_State *L, const char *progname);

#endif
