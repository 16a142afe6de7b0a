/*
** progress.c: the progress line of long transfers (see progress.h).
*/
#include "progress.h"
#include "clock.h"

#include <stdio.h>
#include <unistd.h>

static void size_text(char *out, size_t n, double bytes) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    u++;
  }
  if (u == 0) snprintf(out, n, "%.0f B", bytes);
  else snprintf(out, n, "%.1f %s", bytes, units[u]);
}

char *dg_progress_format(char *out, size_t n, const char *label, uint64_t done, uint64_t total,
                         double elapsed, int final) {
  char d[32], t[32], r[32];
  double rate = elapsed > 0 ? (double)done / elapsed : 0;
  size_text(d, sizeof d, (double)done);
  size_text(r, sizeof r, rate);
  if (final) {
    snprintf(out, n, "%s: %s in %.1f s, %s/s", label, d, elapsed, r);
  } else if (total > 0 && done <= total) {
    size_text(t, sizeof t, (double)total);
    int pct = (int)((double)done * 100.0 / (double)total);
    if (rate > 0) {
      double left = (double)(total - done) / rate;
      if (left > 359999) left = 359999;
      long s = (long)(left + 0.5);
      if (s >= 3600)
        snprintf(out, n, "%s: %s of %s (%d%%), %s/s, %ld:%02ld:%02ld left", label, d, t, pct, r,
                 s / 3600, s / 60 % 60, s % 60);
      else
        snprintf(out, n, "%s: %s of %s (%d%%), %s/s, %ld:%02ld left", label, d, t, pct, r, s / 60,
                 s % 60);
    } else {
      snprintf(out, n, "%s: %s of %s (%d%%)", label, d, t, pct);
    }
  } else {
    snprintf(out, n, "%s: %s, %s/s", label, d, r);
  }
  return out;
}

void dg_progress_begin(dg_progress *p, const char *label, int allowed) {
  p->label = label ? label : "transfer";
  p->on = allowed && isatty(STDERR_FILENO);
  p->drawn = 0;
  p->start = dg_clock_seconds();
  p->last = 0;
}

static void draw(dg_progress *p, uint64_t done, uint64_t total, int final) {
  char line[512];
  double elapsed = dg_clock_seconds() - p->start;
  dg_progress_format(line, sizeof line, p->label, done, total, elapsed, final);
  fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
  fflush(stderr);
  p->drawn = 1;
}

void dg_progress_update(dg_progress *p, uint64_t done, uint64_t total) {
  if (!p->on) return;
  double now = dg_clock_seconds();
  if (!p->drawn && done < PROGRESS_MIN_BYTES && now - p->start < PROGRESS_MIN_SECONDS) return;
  if (p->drawn && now - p->last < PROGRESS_INTERVAL) return;
  p->last = now;
  draw(p, done, total, 0);
}

void dg_progress_end(dg_progress *p, uint64_t done) {
  if (p->on && p->drawn) draw(p, done, 0, 1);
  p->on = 0;
}
