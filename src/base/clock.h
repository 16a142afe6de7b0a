/*
** clock.h: the monotonic clock, for timeouts, backoff, checkpoints and
** progress (never wall time, which can jump). No Lua.
*/
#ifndef DG_CLOCK_H
#define DG_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double dg_clock_seconds(void);
/* The same clock in nanoseconds. */
int64_t dg_clock_ns(void);

#endif
