/*
** csv_parallel.c: a large CSV input parsed on several threads (csv_parts.h).
**
** The feeding thread (the owner's) appends input to the current block and keeps
** the parity of the quotes in it (16 bytes a step with SSE2). Once the block holds
** `block` bytes, it walks back from the end to the last LF with an even number of
** quotes before it: a row end. The rows before it become a part: a job in a ring,
** taken by the first free thread, which parses it into a row parser of its own
** (parts and blocks are reused once joined, so steady state allocates nothing). The
** feeding thread
** joins finished parts into the owner strictly in input order (and only it
** touches the owner), so the result is the serial one. A full ring makes the
** feeding thread wait for the oldest part: memory stays bounded whatever the
** input size. The threads touch nothing but their jobs: no Lua, no owner.
*/
#include "csv_parts.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { J_FREE, J_QUEUED, J_RUNNING, J_DONE };

typedef struct {
  char *data;        /* the part's input, owned (recycled as a block once joined) */
  size_t len, cap;
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
  /* memory kept for reuse: parsed-and-joined parts, and input blocks */
  dg_csv **idle_parts;
  size_t nidle_parts;
  dg_buf *idle_blocks;
  size_t nidle_blocks;
  size_t max_idle;
  /* the block being filled, and what is known of it */
  dg_buf cur;
  size_t counted;        /* bytes of cur whose quotes are counted */
  unsigned parity;       /* of the quotes in cur[0..counted) */
  size_t checked;        /* cur[0..checked) holds no row end (a LF after even quotes) */
};

static void *worker(void *arg) {
  dg_csvpar *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->stop && s->take == s->tail) pthread_cond_wait(&s->work, &s->mu);
    if (s->stop) break;
    job *j = &s->ring[s->take++ % s->cap];
    j->state = J_RUNNING;
    dg_csv *part = s->nidle_parts ? s->idle_parts[--s->nidle_parts] : NULL;
    pthread_mutex_unlock(&s->mu);
    if (!part) part = dg_csv_rows_new(s->ncols);
    if (part) dg_csv_rows_parse(part, j->data, j->len, j->last);
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
  s->max_idle = s->cap + 1;
  dg_buf_init(&s->cur);
  s->ring = calloc(s->cap, sizeof *s->ring);
  s->threads = calloc((size_t)threads, sizeof *s->threads);
  s->idle_parts = calloc(s->max_idle, sizeof *s->idle_parts);
  s->idle_blocks = calloc(s->max_idle, sizeof *s->idle_blocks);
  if (!s->ring || !s->threads || !s->idle_parts || !s->idle_blocks) {
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
    dg_buf block = {j->data, 0, j->cap, 0};
    j->part = NULL;
    j->data = NULL;
    j->state = J_FREE;
    s->head++;
    pthread_mutex_unlock(&s->mu);
    /* the owner is this thread's alone: join without the lock */
    int ok = !s->failed && dg_csv_rows_join(s->owner, part) == 0;
    if (!ok) s->failed = 1;
    if (ok) dg_csv_rows_reuse(part);
    if (s->nidle_blocks < s->max_idle) s->idle_blocks[s->nidle_blocks++] = block;
    else dg_buf_free(&block);
    pthread_mutex_lock(&s->mu);
    if (ok && s->nidle_parts < s->max_idle) s->idle_parts[s->nidle_parts++] = part;
    else dg_csv_free(part);
  }
  pthread_mutex_unlock(&s->mu);
}

/* Queues data[0..len) (a block of cap bytes, owned from now on) as the next part. */
static void queue(dg_csvpar *s, char *data, size_t len, size_t cap, int last) {
  while (s->tail - s->head == s->cap) join_ready(s, 1);
  pthread_mutex_lock(&s->mu);
  job *j = &s->ring[s->tail % s->cap];
  j->data = data;
  j->len = len;
  j->cap = cap;
  j->last = last;
  j->part = NULL;
  j->state = J_QUEUED;
  s->tail++;
  pthread_cond_signal(&s->work);
  pthread_mutex_unlock(&s->mu);
}

/* The parity of the number of '"' in data[0..n). */
static unsigned quote_parity(const char *data, size_t n) {
  unsigned acc = 0;
  size_t i = 0;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  for (; n - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
    acc ^= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)); /* XOR keeps the parity */
  }
  acc = (unsigned)__builtin_popcount(acc) & 1;
#endif
  for (; i < n; i++) acc ^= data[i] == '"';
  return acc & 1;
}

/*
** Just past the last row end of cur, or 0 when it has none: the last LF with an
** even number of quotes before it. Opening, doubled and closing quotes all flip
** the parity, so in valid input it is odd exactly inside a quoted field. Text
** with a stray quote fails in the part that holds it, before any row end the
** count got wrong matters: parts are joined in order and the first error stops.
** Positions already checked are not walked again (the parity before a position
** does not depend on what comes after it).
*/
static size_t last_row_end(dg_csvpar *s) {
  const char *d = s->cur.data;
  size_t n = s->cur.len;
  s->parity ^= quote_parity(d + s->counted, n - s->counted);
  s->counted = n;
  unsigned p = s->parity; /* of the quotes before position i + 1 */
  for (size_t i = n; i > s->checked; i--) {
    char c = d[i - 1];
    if (c == '\n' && p == 0) return i;
    if (c == '"') p ^= 1;
  }
  s->checked = n;
  return 0;
}

int dg_csvpar_feed(dg_csvpar *s, const char *data, size_t n) {
  if (s->failed) return -1;
  if (n && dg_buf_add(&s->cur, data, n) < 0) {
    s->failed = 1;
    dg_csv_rows_join(s->owner, NULL); /* the owner fails: out of memory */
    return -1;
  }
  size_t end;
  while (s->cur.len >= s->block && (end = last_row_end(s)) > 0) {
    /* the rows before `end` go; the unfinished row after it starts the next block,
       in a block's memory that earlier input used (only the feeding thread uses these) */
    dg_buf rest;
    if (s->nidle_blocks) rest = s->idle_blocks[--s->nidle_blocks];
    else dg_buf_init(&rest);
    dg_buf_reset(&rest);
    size_t tail = s->cur.len - end;
    if (tail && dg_buf_add(&rest, s->cur.data + end, tail) < 0) {
      s->failed = 1;
      dg_csv_rows_join(s->owner, NULL);
      return -1;
    }
    queue(s, s->cur.data, end, s->cur.cap, 0);
    s->cur = rest;
    /* the parity before `end` is even, so the tail's is the block's; the walk back
       to `end` found no row end in the tail */
    s->counted = s->checked = tail;
  }
  join_ready(s, 0);
  return s->failed ? -1 : 0;
}

int dg_csvpar_finish(dg_csvpar *s) {
  if (!s->failed) {
    /* the last part may be empty: it still ends the input (nothing to end then) */
    if (s->cur.len) {
      queue(s, s->cur.data, s->cur.len, s->cur.cap, 1);
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
  for (size_t k = 0; k < s->nidle_parts; k++) dg_csv_free(s->idle_parts[k]);
  for (size_t k = 0; k < s->nidle_blocks; k++) dg_buf_free(&s->idle_blocks[k]);
  free(s->idle_parts);
  free(s->idle_blocks);
  free(s->ring);
  free(s->threads);
  dg_buf_free(&s->cur);
  free(s);
}
