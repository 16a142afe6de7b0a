/*
** progress.h: the progress line of a long transfer on a terminal (README, "Progress").
**
** One line on standard error, redrawn in place ("\r", cleared to its end): bytes moved,
** the rate and, when the total is known, the share done and the time left. Nothing is
** drawn until the transfer has moved PROGRESS_MIN_BYTES or run PROGRESS_MIN_SECONDS, so
** short calls stay silent; redraws come at most every PROGRESS_INTERVAL seconds; the end
** leaves a final line (total, time, rate) and a newline, only when a line was drawn.
** Drawing is off unless standard error is a terminal (cron, pipes and files get nothing)
** and the session allows it (the `progress` option). C only, no Lua: update and end are
** safe inside libcurl callbacks.
*/
#ifndef DG_PROGRESS_H
#define DG_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define PROGRESS_MIN_BYTES ((uint64_t)4 << 20)
#define PROGRESS_MIN_SECONDS 1.0
#define PROGRESS_INTERVAL 0.25

typedef struct dg_progress {
  const char *label; /* "download_file big.bin": must outlive the transfer */
  int on;            /* drawing allowed */
  int drawn;         /* a line is on the screen */
  double start;      /* dg_clock_seconds() at begin */
  double last;       /* time of the last draw */
} dg_progress;

/* Starts a transfer's progress; `allowed` is the session's option (stderr is checked here). */
void dg_progress_begin(dg_progress *p, const char *label, int allowed);
/* Bytes moved so far of `total` (0: unknown); redraws when due. */
void dg_progress_update(dg_progress *p, uint64_t done, uint64_t total);
/* Ends the line (final figures and a newline) when one was drawn; then draws nothing more. */
void dg_progress_end(dg_progress *p, uint64_t done);
/*
** Formats one line (without "\r" or a newline) into out: "label: 12.0 MiB of 51.0 MiB (23%),
** 85.2 MiB/s, 0:01 left", "label: 12.0 MiB, 85.2 MiB/s" (total unknown) or, final,
** "label: 51.0 MiB in 0.6 s, 85.2 MiB/s". Returns out.
*/
char *dg_progress_format(char *out, size_t n, const char *label, uint64_t done, uint64_t total,
                         double elapsed, int final);

#endif
