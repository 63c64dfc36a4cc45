/* pool.c — the thread pool behind dlcrt_pool_run.
 *
 * A fixed set of pthreads sleeping on a condition variable; a run publishes
 * (fn, ctx, n_tasks) under the lock and workers claim tasks with an atomic
 * counter. The caller works too. Simple and allocation-free after create; the
 * performance work may replace the sleeping with spinning. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "dlcrt.h"

struct dlcrt_pool {
  int n_threads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  uint64_t generation; /* bumped per run, under lock */
  int stopping;
  dlcrt_task_fn fn;
  void *ctx;
  int64_t n_tasks;
  _Atomic int64_t next_task;
  int busy; /* workers still inside the current run, under lock */
};

static void claim_tasks(dlcrt_pool *p) {
  for (;;) {
    int64_t t = atomic_fetch_add(&p->next_task, 1);
    if (t >= p->n_tasks)
      return;
    p->fn(p->ctx, t);
  }
}

static void *worker_main(void *arg) {
  dlcrt_pool *p = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->stopping && p->generation == seen)
      pthread_cond_wait(&p->wake, &p->lock);
    if (p->stopping)
      break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    claim_tasks(p);
    pthread_mutex_lock(&p->lock);
    if (--p->busy == 0)
      pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

dlcrt_pool *dlcrt_pool_create(int n_threads) {
  dlcrt_pool *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->n_threads = n_threads < 1 ? 1 : n_threads;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  if (p->n_threads > 1) {
    p->workers = calloc((size_t)p->n_threads - 1, sizeof *p->workers);
    for (int i = 0; p->workers && i < p->n_threads - 1; i++) {
      if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
        p->n_threads = i + 1; /* keep the ones that started */
        break;
      }
    }
    if (!p->workers)
      p->n_threads = 1;
  }
  return p;
}

void dlcrt_pool_destroy(dlcrt_pool *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->n_threads - 1; i++)
    pthread_join(p->workers[i], NULL);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->lock);
  free(p->workers);
  free(p);
}

int dlcrt_pool_threads(const dlcrt_pool *p) { return p ? p->n_threads : 1; }

void dlcrt_pool_run(dlcrt_pool *p, dlcrt_task_fn fn, void *ctx,
                    int64_t n_tasks) {
  if (!p || p->n_threads == 1 || n_tasks <= 1) {
    for (int64_t t = 0; t < n_tasks; t++)
      fn(ctx, t);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->n_tasks = n_tasks;
  atomic_store(&p->next_task, 0);
  p->busy = p->n_threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  claim_tasks(p);
  pthread_mutex_lock(&p->lock);
  while (p->busy > 0)
    pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
