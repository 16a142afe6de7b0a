/*
** taskpool.h: run n independent tasks on a few threads and wait for them all
** (fork-join). The calling thread works too, so a pool of `threads` has
** threads - 1 helpers. Between runs the helpers sleep and touch nothing, so the
** data a run's tasks read may change or go once dg_taskpool_run has returned.
** Tasks must not touch Lua. No Lua.
*/
#ifndef DG_TASKPOOL_H
#define DG_TASKPOOL_H

#include <stddef.h>

typedef struct dg_taskpool dg_taskpool;
typedef void (*dg_task)(void *arg, size_t i);

/* A pool of `threads` workers counting the caller (>= 2), or NULL when threads
   cannot be started or memory ran out. */
dg_taskpool *dg_taskpool_new(int threads);
/* Runs fn(arg, i) for every i in [0, n), in any order and on any worker; returns
   when all have returned. */
void dg_taskpool_run(dg_taskpool *p, dg_task fn, void *arg, size_t n);
/* Stops and joins the helpers. NULL is allowed. */
void dg_taskpool_free(dg_taskpool *p);

#endif
