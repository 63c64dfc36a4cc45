/* profile.c — the runtime side of `--profile`: the event a profiled model
 * calls around each kernel, the installed hook it forwards to, and the
 * default hook that sums per-node nanoseconds into a caller-owned table.
 *
 * Only profiled models reference dlcrt_profile_event, so an application
 * that links ordinary models never pulls this file out of libdlcrt.a. The
 * hook is process-wide (a profiled run function takes no context) and the
 * table has no locks: profiling is for one run at a time on one thread. */
/* clock_gettime is POSIX, not C11 (the runtime builds alone, without the
 * top level's _DEFAULT_SOURCE). */
#define _POSIX_C_SOURCE 200112L
#include <string.h>
#include <time.h>

#include "dlcrt.h"

static dlcrt_profile_hook_fn hook;
static void *hook_ctx;

void dlcrt_profile_event(const struct dlc_profile *model, int32_t node,
                         int32_t phase) {
  if (hook)
    hook(hook_ctx, model, node, phase);
}

void dlcrt_profile_set_hook(dlcrt_profile_hook_fn fn, void *ctx) {
  hook = fn;
  hook_ctx = ctx;
}

uint64_t dlcrt_profile_clock_ns(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
#else /* bare-metal C libraries: C11's wall clock is what there is */
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
    return 0;
#endif
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int dlcrt_profile_table_init(struct dlcrt_profile_table *t,
                             const struct dlc_profile *model, uint64_t *ns,
                             uint64_t *calls) {
  if (!t || !model || (model->n_nodes > 0 && (!ns || !calls)) ||
      model->abi_version != DLCRT_PROFILE_VERSION)
    return DLCRT_ERR_ARGUMENT;
  memset(t, 0, sizeof *t);
  t->model = model;
  t->ns = ns;
  t->calls = calls;
  dlcrt_profile_table_reset(t);
  return DLCRT_OK;
}

void dlcrt_profile_table_reset(struct dlcrt_profile_table *t) {
  size_t n = (size_t)(t->model->n_nodes > 0 ? t->model->n_nodes : 0);
  if (n) {
    memset(t->ns, 0, n * sizeof *t->ns);
    memset(t->calls, 0, n * sizeof *t->calls);
  }
  t->dropped = 0;
  t->open_node = -1;
  t->open_at = 0;
}

void dlcrt_profile_table_set_clock(struct dlcrt_profile_table *t,
                                   uint64_t (*now)(void *clock_ctx),
                                   void *clock_ctx) {
  t->clock = now;
  t->clock_ctx = clock_ctx;
}

uint64_t dlcrt_profile_table_total(const struct dlcrt_profile_table *t) {
  uint64_t sum = 0;
  for (int32_t i = 0; i < t->model->n_nodes; i++)
    sum += t->ns[i];
  return sum;
}

static uint64_t table_now(const struct dlcrt_profile_table *t) {
  return t->clock ? t->clock(t->clock_ctx) : dlcrt_profile_clock_ns();
}

/* BEFORE opens the node, AFTER closes it: kernel calls never nest, so one
 * open node is all the state there is. A BEFORE while another node is open
 * drops the open one (its AFTER went missing). The clock is read as late
 * as possible on BEFORE and as early as possible on AFTER, so that the
 * hook's own bookkeeping stays out of the node's time. */
void dlcrt_profile_default_hook(void *ctx, const struct dlc_profile *model,
                                int32_t node, int32_t phase) {
  struct dlcrt_profile_table *t = ctx;
  uint64_t now = phase == DLCRT_PROFILE_AFTER ? table_now(t) : 0;
  if (model != t->model || node < 0 || node >= model->n_nodes) {
    t->dropped++;
  } else if (phase == DLCRT_PROFILE_BEFORE) {
    t->dropped += t->open_node >= 0;
    t->open_node = node;
    t->open_at = table_now(t);
  } else if (phase == DLCRT_PROFILE_AFTER && t->open_node == node) {
    t->ns[node] += now - t->open_at;
    t->calls[node]++;
    t->open_node = -1;
  } else {
    t->dropped++;
  }
}

void dlcrt_profile_record(struct dlcrt_profile_table *t) {
  dlcrt_profile_set_hook(t ? dlcrt_profile_default_hook : NULL, t);
}
