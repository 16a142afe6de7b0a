/*
** csv_parallel.c: a large CSV input parsed on several threads (csv_parts.h).
**
** The feeding thread (the owner's) appends input to the current block and scans
** the new bytes for quotes and LFs, tracking whether it is inside quotes, so it
** knows the last row end in the block. Once the block holds `block` bytes and a
** row end, the rows before it become a part: a job in a ring, taken by the first
** free thread, which parses it into a row parser of its own. The feeding thread
** joins finished parts into the owner strictly in input order (and only it
** touches the owner), so the result is the serial one. A full ring makes the
** feeding thread wait for the oldest part: memory stays bounded whatever the
** input size. The threads touch nothing but their jobs: no Lua, no owner.
*/
#define _GNU_SOURCE /* memrchr */
#include "csv_parts.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { J_FREE, J_QUEUED, J_RUNNING, J_DONE };

typedef struct {
  char *data;        /* the part's input, owned; freed once parsed */
  size_t len;
  int last;          /* the end of the input */
  int state;
  dg_csv *part;      /* the result (NULL: out of memory) */
} job;

struct dg_csvpar {
  dg_csv *owner;
  size_t ncols, block;
  pthread_mutex_t mu;
  pthread_cond_t work;   /* a job was queued, or stop */
  pthread_cond_t done;   /* a job finished */
  pthread_t *threads;
  int nthreads;
  int stop;
  job *ring;
  size_t cap;            /* ring size */
  size_t head;           /* the oldest job not joined yet */
  size_t take;           /* the next job for a thread */
  size_t tail;           /* the next job to queue */
  int failed;
  /* the block being filled, and the scan of it */
  dg_buf cur;
  size_t scanned;        /* bytes of cur scanned */
  int inq;               /* inside quotes at `scanned` */
  size_t row_end;        /* just past the last row end found in cur, 0 if none */
};

static void *worker(void *arg) {
  dg_csvpar *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->stop && s->take == s->tail) pthread_cond_wait(&s->work, &s->mu);
    if (s->stop) break;
    job *j = &s->ring[s->take++ % s->cap];
    j->state = J_RUNNING;
    pthread_mutex_unlock(&s->mu);
    dg_csv *part = dg_csv_rows_new(s->ncols);
    if (part) dg_csv_rows_parse(part, j->data, j->len, j->last);
    free(j->data);
    j->data = NULL;
    pthread_mutex_lock(&s->mu);
    j->part = part;
    j->state = J_DONE;
    pthread_cond_broadcast(&s->done);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

dg_csvpar *dg_csvpar_new(dg_csv *p, size_t ncols, int threads, size_t block) {
  dg_csvpar *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->owner = p;
  s->ncols = ncols;
  s->block = block;
  s->cap = (size_t)threads + 1;
  dg_buf_init(&s->cur);
  s->ring = calloc(s->cap, sizeof *s->ring);
  s->threads = calloc((size_t)threads, sizeof *s->threads);
  if (!s->ring || !s->threads) {
    dg_csvpar_free(s);
    return NULL;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->work, NULL);
  pthread_cond_init(&s->done, NULL);
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&s->threads[i], NULL, worker, s) != 0) break;
    s->nthreads++;
  }
  if (s->nthreads == 0) {
    dg_csvpar_free(s);
    return NULL;
  }
  return s;
}

/* Joins finished parts in order; with wait, first waits for the oldest one. */
static void join_ready(dg_csvpar *s, int wait) {
  pthread_mutex_lock(&s->mu);
  for (;;) {
    if (s->head == s->tail) break;
    job *j = &s->ring[s->head % s->cap];
    if (j->state != J_DONE) {
      if (!wait) break;
      pthread_cond_wait(&s->done, &s->mu);
      continue;
    }
    wait = 0;
    dg_csv *part = j->part;
    j->part = NULL;
    j->state = J_FREE;
    s->head++;
    pthread_mutex_unlock(&s->mu);
    /* the owner is this thread's alone: join without the lock */
    if (!s->failed && dg_csv_rows_join(s->owner, part) < 0) s->failed = 1;
    dg_csv_free(part);
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
}

/* Queues data[0..len) (owned from now on) as the next part. */
static void queue(dg_csvpar *s, char *data, size_t len, int last) {
  while (s->tail - s->head == s->cap) join_ready(s, 1);
  pthread_mutex_lock(&s->mu);
  job *j = &s->ring[s->tail % s->cap];
  j->data = data;
  j->len = len;
  j->last = last;
  j->part = NULL;
  j->state = J_QUEUED;
  s->tail++;
  pthread_cond_signal(&s->work);
  pthread_mutex_unlock(&s->mu);
}

/*
** Scans cur from `scanned` on: a '"' toggles inq (opening, doubled and closing
** quotes all do, in valid input), and a LF outside quotes ends a row. Text with
** a stray quote fails in the part that holds it, before any row end the toggling
** got wrong matters: parts are joined in order and the first error stops.
*/
static void scan(dg_csvpar *s) {
  const char *d = s->cur.data;
  size_t i = s->scanned, n = s->cur.len;
  while (i < n) {
    const char *q = memchr(d + i, '"', n - i);
    size_t end = q ? (size_t)(q - d) : n;
    if (!s->inq && end > i) {
      const char *lf = memrchr(d + i, '\n', end - i);
      if (lf) s->row_end = (size_t)(lf - d) + 1;
    }
    if (!q) break;
    s->inq = !s->inq;
    i = end + 1;
  }
  s->scanned = n;
}

int dg_csvpar_feed(dg_csvpar *s, const char *data, size_t n) {
  if (s->failed) return -1;
  if (n && dg_buf_add(&s->cur, data, n) < 0) {
    s->failed = 1;
    dg_csv_rows_join(s->owner, NULL); /* the owner fails: out of memory */
    return -1;
  }
  scan(s);
  while (s->cur.len >= s->block && s->row_end > 0) {
    /* the rows before row_end go; the unfinished row after it starts the next block */
    dg_buf rest;
    dg_buf_init(&rest);
    size_t tail = s->cur.len - s->row_end;
    if (tail && dg_buf_add(&rest, s->cur.data + s->row_end, tail) < 0) {
      s->failed = 1;
      dg_csv_rows_join(s->owner, NULL);
      return -1;
    }
    queue(s, s->cur.data, s->row_end, 0);
    s->cur = rest;
    s->scanned = tail; /* inq stays: it is the state at the end of the old block */
    s->row_end = 0;
  }
  join_ready(s, 0);
  return s->failed ? -1 : 0;
}

int dg_csvpar_finish(dg_csvpar *s) {
  if (!s->failed) {
    /* the last part may be empty: it still ends the input (nothing to end then) */
    if (s->cur.len) {
      queue(s, s->cur.data, s->cur.len, 1);
      dg_buf_init(&s->cur);
    }
    while (s->head != s->tail) join_ready(s, 1);
  }
  return s->failed ? -1 : 0;
}

void dg_csvpar_free(dg_csvpar *s) {
  if (!s) return;
  if (s->nthreads) {
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++) pthread_join(s->threads[i], NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->done);
  }
  for (size_t k = 0; s->ring && k < s->cap; k++) {
    free(s->ring[k].data);
    dg_csv_free(s->ring[k].part);
  }
  free(s->ring);
  free(s->threads);
  dg_buf_free(&s->cur);
  free(s);
}
