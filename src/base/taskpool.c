/*
** taskpool.c: fork-join task runs on a few threads (taskpool.h).
*/
#include "taskpool.h"

#include <pthread.h>
#include <stdlib.h>

struct dg_taskpool {
  pthread_mutex_t mu;
  pthread_cond_t work;   /* a run started, or stop */
  pthread_cond_t done;   /* the run's last task finished */
  pthread_t *helpers;
  int nhelpers;
  int stop;
  unsigned long run;     /* the current run's number: helpers join each run once */
  dg_task fn;
  void *arg;
  size_t n, next, finished;
};

/* Takes and runs tasks of the current run until none is left (called locked). */
static void drain(dg_taskpool *p) {
  while (p->next < p->n) {
    size_t i = p->next++;
    pthread_mutex_unlock(&p->mu);
    p->fn(p->arg, i);
    pthread_mutex_lock(&p->mu);
    if (++p->finished == p->n) pthread_cond_broadcast(&p->done);
  }
}

static void *helper(void *arg) {
  dg_taskpool *p = arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->run == seen) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    seen = p->run;
    drain(p);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

dg_taskpool *dg_taskpool_new(int threads) {
  if (threads < 2) return NULL;
  dg_taskpool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->helpers = calloc((size_t)threads - 1, sizeof *p->helpers);
  if (!p->helpers) {
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->done, NULL);
  for (int i = 0; i < threads - 1; i++) {
    if (pthread_create(&p->helpers[i], NULL, helper, p) != 0) break;
    p->nhelpers++;
  }
  if (p->nhelpers == 0) {
    dg_taskpool_free(p);
    return NULL;
  }
  return p;
}

void dg_taskpool_run(dg_taskpool *p, dg_task fn, void *arg, size_t n) {
  if (n == 0) return;
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  p->next = p->finished = 0;
  p->run++;
  pthread_cond_broadcast(&p->work);
  drain(p);
  while (p->finished < p->n) pthread_cond_wait(&p->done, &p->mu);
  /* every task has returned: no helper holds fn or arg past this point */
  p->n = p->next = 0;
  pthread_mutex_unlock(&p->mu);
}

void dg_taskpool_free(dg_taskpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nhelpers; i++) pthread_join(p->helpers[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->done);
  free(p->helpers);
  free(p);
}
