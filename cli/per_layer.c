/* per_layer.c — `dlc bench MODEL --per-layer`: where the time goes.
 *
 * cmd_bench.c compiles the model twice with one schedule, once with
 * --profile (codegen/cg_profile.c) and once without, and hands both here.
 * Each of warm-up + N iterations runs the profiled build once under the
 * runtime's default hook (the copy of libdlcrt inside the loaded model,
 * reached by dlsym: that is the copy the model calls) and the plain build
 * once, interleaved so that a change of clock speed hits both alike. Per
 * node the median over the N runs is reported with its share of the sum
 * of the nodes, and judged against this core: GFLOP/s and the percentage
 * of the FMA peak that the profiled build's own peak kernel reaches in the
 * same process, or GB/s for memory-bound nodes. The sum of the nodes is
 * set against the plain build's median, so the hook's cost is visible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "codegen/codegen.h"
#include "runtime/dlcrt.h"

/* Nodes doing fewer FLOPs per byte of their tensors than this are judged
 * by bandwidth: depthwise convolutions (about 2), pooling, element-wise
 * ops and matrix-vector products; a 1x1 convolution over 64 channels does
 * 16. */
#define MEMORY_BOUND_FLOPS_PER_BYTE 4.0

typedef struct layer {
  double ms; /* median over the runs */
  double gflops, gbps, peak_share;
  bool memory_bound;
} layer;

typedef struct profile_result {
  const struct dlc_profile *p;
  layer *layers;
  double nodes_ms;    /* sum of the medians */
  double profiled_ms; /* median of the profiled runs, hook included */
  double plain_ms;    /* median of the plain runs */
  double peak_gflops;
} profile_result;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts t[0..n). */
static double median(double *t, int64_t n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* The best of five timed calls, each long enough (>= 2 ms: iterations
 * are doubled until then) that the clock's resolution does not matter.
 * The best, not the median: the peak is what the core can do. */
static double measure_peak(const struct dlc_profile *p) {
  int64_t iters = 1024;
  double best = 0;
  for (int timed = 0; timed < 5;) {
    float io[2] = {1.0f, 0.5f};
    double t0 = now_ns();
    int64_t flops = p->fma_peak(iters, io);
    double dt = now_ns() - t0;
    if (dt < 2e6 && iters < (INT64_C(1) << 40)) {
      iters *= 2;
      continue;
    }
    timed++;
    best = dt > 0 && (double)flops / dt > best ? (double)flops / dt : best;
  }
  return best; /* FLOPs per ns: GFLOP/s */
}

/* The runtime functions of the loaded model's own libdlcrt. */
typedef int (*table_init_fn)(struct dlcrt_profile_table *,
                             const struct dlc_profile *, uint64_t *,
                             uint64_t *);
typedef void (*table_fn)(struct dlcrt_profile_table *);

static bool run_timed(dlc_compiled *m, const dlc_per_layer_run *r,
                      double *ms) {
  double t0 = now_ns();
  bool ok = dlc_compiled_run_batch_raw(m, r->batch, r->in, r->out) == DLCRT_OK;
  *ms = (now_ns() - t0) * 1e-6;
  return ok;
}

/* samples[node * repeat + run]: per-node ms of every timed run. */
static bool collect(const dlc_per_layer_run *r, profile_result *res,
                    double *samples, double *prof, double *plain,
                    dlc_diag *d) {
  table_init_fn init;
  table_fn record;
  *(void **)&init = dlc_compiled_symbol(r->profiled, "dlcrt_profile_table_init");
  *(void **)&record = dlc_compiled_symbol(r->profiled, "dlcrt_profile_record");
  int32_t n = res->p->n_nodes;
  uint64_t *ns = calloc((size_t)n + 1, sizeof *ns);
  uint64_t *calls = calloc((size_t)n + 1, sizeof *calls);
  struct dlcrt_profile_table t;
  bool ok = init && record && ns && calls &&
            init(&t, res->p, ns, calls) == DLCRT_OK;
  if (!ok)
    dlc_diag_error(d, "", "the profiled model lacks the runtime's profile "
                   "table (dlcrt_profile_table_init)");
  for (int64_t i = 0; ok && i < r->warmup + r->repeat; i++) {
    int64_t k = i - r->warmup;
    double pm, qm;
    init(&t, res->p, ns, calls); /* zeroes the table */
    record(&t);
    ok = run_timed(r->profiled, r, &pm);
    record(NULL);
    ok = ok && run_timed(r->plain, r, &qm) && t.dropped == 0;
    for (int32_t j = 0; ok && k >= 0 && j < n; j++)
      samples[j * r->repeat + k] = (double)ns[j] * 1e-6;
    if (ok && k >= 0) {
      prof[k] = pm;
      plain[k] = qm;
    }
  }
  free(ns);
  free(calls);
  return ok;
}

/* Per node: median, rates, the bound that judges it. */
static void judge(const dlc_per_layer_run *r, profile_result *res,
                  double *samples) {
  for (int32_t j = 0; j < res->p->n_nodes; j++) {
    const struct dlc_profile_node *pn = &res->p->nodes[j];
    layer *l = &res->layers[j];
    l->ms = median(samples + j * r->repeat, r->repeat);
    double s = l->ms > 0 ? l->ms * 1e-3 : 0;
    double flops = 2.0 * (double)pn->macs * (double)r->batch;
    double bytes = (double)pn->bytes * (double)r->batch;
    l->gflops = s > 0 ? flops / s * 1e-9 : 0;
    l->gbps = s > 0 ? bytes / s * 1e-9 : 0;
    l->peak_share = res->peak_gflops > 0 ? l->gflops / res->peak_gflops : 0;
    l->memory_bound = flops < MEMORY_BOUND_FLOPS_PER_BYTE * bytes;
    res->nodes_ms += l->ms;
  }
}

static bool measure(const dlc_per_layer_run *r, profile_result *res,
                    dlc_diag *d) {
  res->p = dlc_compiled_profile(r->profiled);
  if (!res->p) {
    dlc_diag_error(d, "", "the instrumented build has no profile tables");
    return false;
  }
  int32_t n = res->p->n_nodes;
  size_t runs = (size_t)r->repeat;
  double *samples = calloc((size_t)n * runs + 1, sizeof *samples);
  double *prof = calloc(runs, sizeof *prof), *plain = calloc(runs, sizeof *plain);
  res->layers = calloc((size_t)n + 1, sizeof *res->layers);
  DLC_ASSERT(samples && prof && plain && res->layers);
  bool ok = collect(r, res, samples, prof, plain, d);
  if (!ok && dlc_diag_count(d) == 0)
    dlc_diag_error(d, "", "the compiled model failed while profiling");
  if (ok) {
    res->peak_gflops = measure_peak(res->p);
    res->profiled_ms = median(prof, r->repeat);
    res->plain_ms = median(plain, r->repeat);
    judge(r, res, samples);
  }
  free(samples);
  free(prof);
  free(plain);
  return ok;
}

/* ------------------------------------------------------------ reports */

/* The schedule line without its reason: "conv_nchwc rw=6 nb=2 kc=8". */
static int schedule_len(const char *line) {
  const char *why = strstr(line, " (");
  return why ? (int)(why - line) : (int)strlen(line);
}

static int widest(const struct dlc_profile *p, bool names) {
  int w = names ? 4 : 2;
  for (int32_t j = 0; j < p->n_nodes; j++) {
    int k = (int)strlen(names ? p->nodes[j].name : p->nodes[j].op);
    w = k > w ? k : w;
  }
  return w;
}

static void print_table(const dlc_per_layer_run *r, const profile_result *res,
                        const char *model, const char *cpu) {
  const struct dlc_profile *p = res->p;
  int wn = widest(p, true), wo = widest(p, false);
  printf("%s: per-layer profile, batch %lld, medians of %lld runs after %lld "
         "warm-up; cpu %s, FMA peak %.1f GFLOP/s (measured now)\n", model,
         (long long)r->batch, (long long)r->repeat, (long long)r->warmup, cpu,
         res->peak_gflops);
  printf("%4s %10s %7s %8s %6s %7s  %-*s  %-*s  %s\n", "#", "ms", "share",
         "GFLOP/s", "peak", "GB/s", wo, "op", wn, "node", "schedule");
  for (int32_t j = 0; j < p->n_nodes; j++) {
    const layer *l = &res->layers[j];
    char gf[16] = "-", pk[16] = "-", gb[16] = "-";
    if (l->memory_bound) {
      snprintf(gb, sizeof gb, "%.1f", l->gbps);
    } else {
      snprintf(gf, sizeof gf, "%.1f", l->gflops);
      snprintf(pk, sizeof pk, "%.0f%%", 100 * l->peak_share);
    }
    const struct dlc_profile_node *pn = &p->nodes[j];
    printf("%4d %10.4f %6.1f%% %8s %6s %7s  %-*s  %-*s  %.*s\n", (int)j, l->ms,
           res->nodes_ms > 0 ? 100 * l->ms / res->nodes_ms : 0, gf, pk, gb, wo,
           pn->op, wn, pn->name, schedule_len(pn->schedule), pn->schedule);
  }
  printf("nodes sum to %.4f ms; the instrumented run %.4f ms; the model "
         "without instrumentation %.4f ms (nodes = %.1f%% of it)\n",
         res->nodes_ms, res->profiled_ms, res->plain_ms,
         res->plain_ms > 0 ? 100 * res->nodes_ms / res->plain_ms : 0);
  printf("GFLOP/s = 2 x MACs / time, peak = share of the FMA peak; GB/s "
         "(bytes of the node's tensors / time) where a node does fewer than "
         "%.0f FLOPs per byte\n", MEMORY_BOUND_FLOPS_PER_BYTE);
}

static cJSON *node_json(const struct dlc_profile_node *pn, const layer *l,
                        int32_t j, double nodes_ms) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "index", j);
  cJSON_AddStringToObject(e, "name", pn->name);
  cJSON_AddStringToObject(e, "op", pn->op);
  cJSON_AddStringToObject(e, "schedule", pn->schedule);
  cJSON_AddNumberToObject(e, "median_ms", l->ms);
  cJSON_AddNumberToObject(e, "share", nodes_ms > 0 ? l->ms / nodes_ms : 0);
  cJSON_AddNumberToObject(e, "macs", (double)pn->macs);
  cJSON_AddNumberToObject(e, "bytes", (double)pn->bytes);
  cJSON_AddNumberToObject(e, "gflops", l->gflops);
  cJSON_AddNumberToObject(e, "peak_fraction", l->peak_share);
  cJSON_AddNumberToObject(e, "gbps", l->gbps);
  cJSON_AddBoolToObject(e, "memory_bound", l->memory_bound);
  return e;
}

static void print_json(const dlc_per_layer_run *r, const profile_result *res,
                       const char *model, const char *cpu) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "model", model);
  cJSON_AddStringToObject(root, "cpu", cpu);
  cJSON_AddNumberToObject(root, "batch", (double)r->batch);
  cJSON_AddNumberToObject(root, "runs", (double)r->repeat);
  cJSON_AddNumberToObject(root, "warmup", (double)r->warmup);
  cJSON_AddNumberToObject(root, "fma_peak_gflops", res->peak_gflops);
  cJSON_AddNumberToObject(root, "memory_bound_flops_per_byte",
                          MEMORY_BOUND_FLOPS_PER_BYTE);
  cJSON_AddNumberToObject(root, "nodes_ms", res->nodes_ms);
  cJSON_AddNumberToObject(root, "profiled_ms", res->profiled_ms);
  cJSON_AddNumberToObject(root, "total_ms", res->plain_ms);
  cJSON *arr = cJSON_AddArrayToObject(root, "nodes");
  for (int32_t j = 0; j < res->p->n_nodes; j++)
    cJSON_AddItemToArray(arr, node_json(&res->p->nodes[j], &res->layers[j], j,
                                        res->nodes_ms));
  char *text = cJSON_Print(root);
  puts(text);
  free(text);
  cJSON_Delete(root);
}

bool dlc_bench_per_layer(const dlc_per_layer_run *r, const char *model,
                         bool json, dlc_diag *d) {
  profile_result res = {0};
  bool ok = measure(r, &res, d);
  const char *cpu = dlc_compiled_model(r->profiled)->target_cpu;
  if (ok && json)
    print_json(r, &res, model, cpu);
  else if (ok)
    print_table(r, &res, model, cpu);
  free(res.layers);
  return ok;
}
