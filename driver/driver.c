/* driver.c — the pipeline as a plain list of calls (see driver.h). */
#include <string.h>
#include <time.h>

#include "driver/driver.h"
#include "frontend/frontend.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void report(const dlc_driver_options *o, const char *stage, double t0) {
  if (o->times_to)
    fprintf(o->times_to, "dlc: %-23s %9.1f ms\n", stage, now_ms() - t0);
}

void dlc_driver_options_init(dlc_driver_options *o) {
  memset(o, 0, sizeof *o);
  dlc_codegen_options_init(&o->codegen);
  o->passes.opt_level = o->codegen.opt_level;
  o->run_passes = true;
}

static bool has_batch_symbol(const dlc_graph *g) {
  for (size_t i = 0; i < g->inputs.n; i++)
    if (g->inputs.items[i]->type.rank > 0 && g->inputs.items[i]->sym[0])
      return true;
  return false;
}

/* Binds the leading symbolic dim of every input to n and re-infers. */
static dlc_status bind_batch(dlc_graph *g, int64_t n, dlc_diag *d) {
  dlc_dim_binding binds[16];
  int nb = 0;
  for (size_t i = 0; i < g->inputs.n && nb < 16; i++) {
    const dlc_value *v = g->inputs.items[i];
    if (v->type.rank > 0 && v->sym[0])
      binds[nb++] = (dlc_dim_binding){v->sym[0], n};
  }
  return dlc_graph_infer_shapes(g, binds, nb, d);
}

/* A symbolic batch stays symbolic (PREFIX_run_batch loops over it) unless
 * the caller fixes it or the optimised graph mixes batch items. */
static dlc_status settle_batch(dlc_graph *g, const dlc_driver_options *o,
                               bool *fixed, dlc_diag *d) {
  *fixed = o->codegen.fixed_batch;
  if (o->batch <= 0 || !has_batch_symbol(g))
    return DLC_OK;
  dlc_diag quiet;
  dlc_diag_init(&quiet, "");
  *fixed = o->force_fixed_batch || !dlc_codegen_batch_separable(g, &quiet);
  dlc_diag_free(&quiet);
  return *fixed ? bind_batch(g, o->batch, d) : DLC_OK;
}

dlc_status dlc_driver_schedule(dlc_graph *g, const dlc_driver_options *o,
                               dlc_schedule **out, bool *fixed_batch,
                               dlc_diag *d) {
  *out = NULL;
  dlc_pass_options po = o->passes;
  if (!po.times_to)
    po.times_to = o->times_to;
  /* the target first: assign_layout blocks channels by its vector width */
  dlc_target_desc target;
  dlc_status st = DLC_OK;
  if (!dlc_codegen_describe_target(o->codegen.triple, o->codegen.cpu,
                                   o->codegen.features, &target, d))
    st = DLC_ERR_INVALID;
  if (!po.layout_block) /* 1: a block of one channel, the plain layout */
    po.layout_block = target.vl;
  if (st == DLC_OK && o->run_passes)
    st = dlc_passes_run(g, &po, d);
  if (st == DLC_OK)
    st = settle_batch(g, o, fixed_batch, d);
  dlc_schedule_options so = o->schedule;
  so.in_place = o->passes.opt_level >= 1;
  dlc_schedule *s = NULL;
  double t0 = now_ms();
  if (st == DLC_OK)
    st = dlc_schedule_create(g, &target, &so, &s, d);
  report(o, "schedule", t0);
  t0 = now_ms();
  if (st == DLC_OK)
    st = dlc_schedule_plan_memory(g, s, d);
  report(o, "plan_memory", t0);
  const char *dump = o->passes.dump_after;
  if (st == DLC_OK && dump &&
      (!strcmp(dump, "all") || !strcmp(dump, "schedule") ||
       !strcmp(dump, "plan_memory"))) {
    FILE *to = o->passes.dump_to ? o->passes.dump_to : stderr;
    fprintf(to, "; ---- IR after plan_memory (the schedule stage)\n");
    dlc_graph_print(g, to);
    dlc_schedule_print(s, to);
  }
  if (st != DLC_OK) {
    dlc_schedule_destroy(s);
    return st;
  }
  *out = s;
  return DLC_OK;
}

/* The codegen options for a scheduled graph: the -O level is LLVM's too,
 * and the batch is fixed where the driver bound it. */
static dlc_codegen_options codegen_options(const dlc_driver_options *o,
                                           bool fixed) {
  dlc_codegen_options co = o->codegen;
  co.opt_level = o->passes.opt_level;
  co.fixed_batch = fixed;
  return co;
}

static void report_codegen(const dlc_driver_options *o,
                           const dlc_codegen_info *info) {
  if (!o->times_to)
    return;
  fprintf(o->times_to, "dlc: %-23s %9.1f ms\n", "codegen: build module",
          info->build_ms);
  fprintf(o->times_to, "dlc: %-23s %9.1f ms\n", "codegen: LLVM optimise",
          info->optimise_ms);
  fprintf(o->times_to, "dlc: %-23s %9.1f ms\n", "codegen: emit",
          info->emit_ms);
}

dlc_status dlc_driver_compile(dlc_graph *g, const dlc_driver_options *o,
                              dlc_schedule **sched_out, dlc_diag *d) {
  dlc_schedule *s;
  bool fixed;
  dlc_status st = dlc_driver_schedule(g, o, &s, &fixed, d);
  if (st != DLC_OK)
    return st;
  dlc_codegen_options co = codegen_options(o, fixed);
  dlc_codegen_info info;
  if (!co.info)
    co.info = &info;
  st = dlc_codegen_compile(g, s, &co, d);
  if (st == DLC_OK)
    report_codegen(o, co.info);
  if (sched_out)
    *sched_out = s;
  else
    dlc_schedule_destroy(s);
  return st;
}

dlc_status dlc_driver_load(dlc_graph *g, const dlc_driver_options *o,
                           dlc_compiled **out, dlc_diag *d) {
  *out = NULL;
  dlc_schedule *s;
  bool fixed;
  dlc_status st = dlc_driver_schedule(g, o, &s, &fixed, d);
  if (st != DLC_OK)
    return st;
  dlc_codegen_options co = codegen_options(o, fixed);
  st = dlc_compiled_create(g, s, &co, out, d);
  dlc_schedule_destroy(s);
  return st;
}

dlc_status dlc_driver_compile_file(const char *path,
                                   const dlc_driver_options *o, dlc_diag *d) {
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load(path, &g, d);
  if (st == DLC_OK)
    st = dlc_driver_compile(g, o, NULL, d);
  dlc_graph_destroy(g);
  return st;
}
