/*
** host.h: running Lua code the way the interpreter does (protected, with a
** traceback handler and SIGINT armed) and turning the outcome into messages
** and exit codes. Used by the command line (main.c) and the REPL (repl.c).
*/
#ifndef DG_HOST_H
#define DG_HOST_H

#include <lua.h>

/*
** Calls the function below narg arguments on the stack under a message handler.
** Returns the lua_pcall status; on error the error value (a datagrok.Error keeps
** its table, with a `traceback` field added; anything else becomes a string with
** the traceback) is left on the stack.
*/
int dg_host_docall(lua_State *L, int narg, int nres);
/* Prints the error on top of the stack (one line + traceback) to stderr and pops it. */
void dg_host_report(lua_State *L, const char *progname);
/* Opens the standard libraries and the datagrok modules; fixes package.path. */
void dg_host_open(lua_State *L, int use_env, const char *script);

#endif
