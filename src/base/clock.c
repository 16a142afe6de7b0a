/*
** clock.c: the monotonic clock (clock.h).
*/
#include "clock.h"

#include <time.h>

int64_t dg_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double dg_clock_seconds(void) { return (double)dg_clock_ns() / 1e9; }
