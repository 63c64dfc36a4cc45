/* pool_serial.c — the pool interface without threads, built instead of
 * pool.c when DLCRT_THREADS is OFF (bare metal, or a target without
 * pthreads): every run executes its tasks in order on the caller, so code
 * that splits work into tasks runs unchanged, on one core. */
#include <stdlib.h>

#include "dlcrt.h"

struct dlcrt_pool {
  int unused; /* a distinct non-NULL handle per create */
};

dlcrt_pool *dlcrt_pool_create(int n_threads) {
  (void)n_threads;
  return calloc(1, sizeof(dlcrt_pool));
}

void dlcrt_pool_destroy(dlcrt_pool *p) { free(p); }

int dlcrt_pool_threads(const dlcrt_pool *p) {
  (void)p;
  return 1;
}

void dlcrt_pool_run(dlcrt_pool *p, dlcrt_task_fn fn, void *ctx,
                    int64_t n_tasks) {
  (void)p;
  for (int64_t t = 0; t < n_tasks; t++)
    fn(ctx, t);
}
