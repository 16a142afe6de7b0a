/*
** signals.h: SIGINT handling shared by the interpreter and the C core.
** A first Ctrl-C sets dg_interrupted and asks the running Lua code to stop with an
** INTERRUPTED error (exit 130); long C loops (transfers) poll dg_interrupted.
*/
#ifndef DG_SIGNALS_H
#define DG_SIGNALS_H

#include <lua.h>
#include <signal.h>

extern volatile sig_atomic_t dg_interrupted;

/* Installs the SIGINT handler for the duration of running Lua code in L. */
void dg_signals_arm(lua_State *L);
/* Restores the default SIGINT action. */
void dg_signals_disarm(void);
/*
** Takes a pending interrupt for C code that reports it itself (after freeing its
** temporaries): clears the flag and the stop hook, and re-arms the handler so a
** later Ctrl-C interrupts again instead of killing the process.
*/
void dg_signals_consume(lua_State *L);

#endif
