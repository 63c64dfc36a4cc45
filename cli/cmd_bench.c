/* cmd_bench.c — `dlc bench MODEL`: how fast is the compiled model compared
 * with the interpreter baseline? Each engine runs the model on the same
 * random inputs (fixed seed, the declared shapes, a symbolic batch set by
 * --batch), first --warmup untimed runs, then --repeat runs timed one by one
 * with CLOCK_MONOTONIC; the median and the minimum are reported, with the
 * interpreter/engine ratio. Compilation happens before any timed run and is
 * reported on its own. The compiled engine runs the pass pipeline first
 * (-O2 by default) on its own copy of the model; `compiled@O0` ..
 * `compiled@O3` (or --compare-opt) put several levels side by side in one
 * run. --json prints one object for scripts (the schema is in
 * bench/README.md and is kept stable: fields are only ever added). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "codegen/codegen.h"
#include "runtime/dlcrt.h"
#include "cli/cli.h"

/* OpenBLAS's own thread count (the blas engine honours --threads); weak so
 * that a build against another BLAS still links. */
extern void openblas_set_num_threads(int n) __attribute__((weak));

static const char BENCH_HELP[] =
    "usage: dlc bench MODEL [--engine E ...] [--compare-opt] [--batch N]\n"
    "                 [--threads N] [--repeat N] [--warmup N] [--cpu NAME]\n"
    "                 [-O0..-O3] [--disable-pass NAME] [--per-layer] [--json]\n"
    "                 [--input-shape NAME=D0,D1,...] [--dim SYMBOL=VALUE]\n"
    "\n"
    "Times MODEL on random inputs (fixed seed) with each engine and compares\n"
    "it with the reference interpreter.\n"
    "\n"
    "  --engine E    compiled, compiled@O0 .. compiled@O3, interp or blas;\n"
    "                repeat or separate with commas (default:\n"
    "                compiled,interp). compiled@ON compiles at -ON whatever\n"
    "                -O says, so levels can be compared in one run\n"
    "  --compare-opt the compiled engine at -O0 and -O2 side by side (adds\n"
    "                compiled@O0,compiled@O2, and interp when no --engine\n"
    "                is given)\n"
    "  --batch N     size of a symbolic batch dimension (default 1)\n"
    DLC_CLI_SHAPES_HELP
    "  --threads N   threads for the blas engine (OpenBLAS); compiled and\n"
    "                interp kernels do not use threads yet (default 1)\n"
    "  --repeat N    timed runs per engine (default 20)\n"
    "  --warmup N    untimed runs first (default 3)\n"
    "  --cpu NAME    CPU the compiled engine targets (default: native)\n"
    "  -O0 .. -O3    level of the plain compiled engine (default -O2): -O0\n"
    "                compiles the model as loaded, -O1 and up after the\n"
    "                pass pipeline (dlc passes); also LLVM's level\n"
    "  --disable-pass NAME, --dump-ir after=NAME|all, --verify-each\n"
    "                pass options of the compiled engines (as for dlc MODEL\n"
    "                -o)\n"
    "  --per-layer   where the time goes: compile the model with --profile\n"
    "                and without, and print per node (in call order) its op,\n"
    "                schedule, median time and share, GFLOP/s and the share\n"
    "                of this core's FMA peak (measured in the same run), or\n"
    "                GB/s for memory-bound nodes; then the nodes' sum against\n"
    "                the uninstrumented model (not with --engine)\n"
    "  --json        print one JSON object instead of a table\n"
    "\n"
    "Exit status: 0 success, 1 bad model or an engine failed, 2 bad usage.\n";

enum { MAX_ENGINES = 8 };

typedef struct bench_opts {
  const char *model, *cpu;
  char engines[MAX_ENGINES][16];
  int n_engines;
  bool compare_opt;
  bool per_layer; /* --per-layer: the profile instead of the engines */
  int64_t batch, threads, repeat, warmup;
  bool json;
  dlc_cli_passes passes; /* -O (the plain compiled engine's level), ... */
  dlc_cli_shapes shapes; /* --input-shape, --dim */
} bench_opts;

typedef struct bench_result {
  const char *engine;
  double median_ms, min_ms, mean_ms, compile_ms; /* compile_ms < 0: none */
  double max_abs_diff;                           /* vs interp; < 0: none */
  int64_t runs;
  /* compiled only */
  char cpu[64];     /* the CPU the code was built for */
  int opt_level;
  bool profile;     /* compile with --profile (--per-layer) */
  int nodes;        /* live nodes of the graph compiled */
  int64_t lower_bound_bytes; /* dlc_plan_lower_bound of that graph */
  dlc_codegen_info info;
  dlc_tensor *outs; /* of the last run */
} bench_result;

static bool is_compiled(const char *engine) {
  return !strncmp(engine, "compiled", 8);
}

/* The -O level of a compiled engine: "compiled@ON" or the -O option. */
static int engine_level(const bench_opts *o, const char *engine) {
  const char *at = strchr(engine, '@');
  return at ? at[2] - '0' : o->passes.opt.opt_level;
}

/* ------------------------------------------------------------ arguments */

static int add_engines(bench_opts *o, const char *list) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    dlc_engine e;
    bool level = !strncmp(tok, "compiled@O", 10) && tok[10] >= '0' &&
                 tok[10] <= '3' && !tok[11];
    if (strcmp(tok, "compiled") != 0 && !level &&
        !dlc_engine_from_name(tok, &e))
      return dlc_cli_usage_error("bench: unknown engine '%s' (compiled, "
                                 "compiled@O0..3, interp, blas)", tok);
    if (o->n_engines == MAX_ENGINES)
      return dlc_cli_usage_error("bench: too many engines");
    snprintf(o->engines[o->n_engines++], sizeof o->engines[0], "%s", tok);
  }
  return -1;
}

/* Numeric options; -1 when consumed, 0 when not one of them, else exit. */
static int parse_number(int argc, char **argv, int *i, bench_opts *o) {
  static const char *const names[] = {"--batch", "--threads", "--repeat",
                                      "--warmup"};
  int64_t *dst[] = {&o->batch, &o->threads, &o->repeat, &o->warmup};
  for (int k = 0; k < 4; k++) {
    const char *v;
    int m = dlc_cli_option(argc, argv, i, names[k], &v);
    if (m < 0)
      return DLC_EXIT_USAGE;
    if (m == 0)
      continue;
    *dst[k] = k == 3 && !strcmp(v, "0") ? 0 : dlc_cli_positive(names[k], v);
    return *dst[k] < 0 ? DLC_EXIT_USAGE : -1;
  }
  return 0;
}

static int parse_option(int argc, char **argv, int *i, bench_opts *o) {
  const char *arg = argv[*i], *v;
  int m = parse_number(argc, argv, i, o);
  if (m != 0)
    return m;
  m = dlc_cli_passes_arg(argc, argv, i, &o->passes);
  if (m == 0)
    m = dlc_cli_shapes_arg(argc, argv, i, &o->shapes);
  if (m != 0)
    return m < 0 ? DLC_EXIT_USAGE : -1;
  if (!strcmp(arg, "--json"))
    o->json = true;
  else if (!strcmp(arg, "--compare-opt"))
    o->compare_opt = true;
  else if (!strcmp(arg, "--per-layer"))
    o->per_layer = true;
  else if ((m = dlc_cli_option(argc, argv, i, "--engine", &v)) == 1)
    return add_engines(o, v);
  else if (m == 0 && (m = dlc_cli_option(argc, argv, i, "--cpu", &v)) == 1)
    o->cpu = v;
  else if (m < 0)
    return DLC_EXIT_USAGE;
  else
    return dlc_cli_usage_error("bench: unknown option '%s'", arg);
  return -1;
}

/* Returns -1 to go on, else the exit status. */
static int bench_parse(int argc, char **argv, bench_opts *o) {
  *o = (bench_opts){.cpu = "native", .batch = 1, .threads = 1, .repeat = 20,
                    .warmup = 3};
  dlc_cli_passes_init(&o->passes, 2);
  for (int i = 1; i < argc; i++) {
    if (dlc_cli_is_help(argv[i])) {
      fputs(BENCH_HELP, stdout);
      return DLC_EXIT_OK;
    }
    if (argv[i][0] == '-' && argv[i][1]) {
      int rc = parse_option(argc, argv, &i, o);
      if (rc >= 0)
        return rc;
    } else if (o->model) {
      return dlc_cli_usage_error("bench: more than one model given");
    } else {
      o->model = argv[i];
    }
  }
  if (!o->model)
    return dlc_cli_usage_error("bench: no model given");
  if (o->per_layer && (o->n_engines || o->compare_opt))
    return dlc_cli_usage_error("bench: --per-layer profiles the compiled "
                               "engine: drop --engine and --compare-opt");
  if (o->per_layer)
    return -1;
  if (o->compare_opt)
    return add_engines(o, o->n_engines ? "compiled@O0,compiled@O2"
                                       : "compiled@O0,compiled@O2,interp");
  if (o->n_engines == 0)
    return add_engines(o, "compiled,interp");
  return -1;
}

/* --------------------------------------------------------------- inputs */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Uniform in [-1, 1) from a fixed-seed xorshift generator: every engine
 * and every invocation sees the same inputs. */
static float next_uniform(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return (float)((double)(*s >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* Inputs of the declared shapes, symbolic dims = batch; integer inputs are
 * zeros (valid indices for Gather-like uses). */
static dlc_tensor *make_inputs(const dlc_graph *g, int64_t batch,
                               dlc_diag *d) {
  dlc_tensor *ins = calloc(g->inputs.n + 1, sizeof *ins);
  DLC_ASSERT(ins); /* one descriptor per input: small */
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    ins[i] = v->type;
    for (int k = 0; k < v->type.rank; k++)
      if (v->sym[k])
        ins[i].dims[k] = batch;
    size_t bytes = dlc_tensor_nbytes(&ins[i]);
    ins[i].data = calloc(1, bytes ? bytes : 1);
    if (!ins[i].data) { /* sized by the model: an error, not an abort */
      dlc_diag_error(d, "", "cannot allocate input '%s' (%zu bytes)", v->name,
                     bytes);
      dlc_interp_free_tensors(ins, (int)i);
      free(ins);
      return NULL;
    }
    if (ins[i].dtype == DLC_DT_FLOAT32)
      for (int64_t e = 0; e < dlc_tensor_numel(&ins[i]); e++)
        ((float *)ins[i].data)[e] = next_uniform(&seed);
  }
  return ins;
}

/* ------------------------------------------------------------- timing */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void summarise(bench_result *r, double *t, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    sum += t[i];
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  r->runs = n;
  r->min_ms = t[0];
  r->median_ms = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  r->mean_ms = sum / (double)n;
}

/* The interpreter engines: each run allocates and fills its outputs (part
 * of their cost); the outputs are freed outside the timed region. */
static bool time_interp(const dlc_graph *g, dlc_engine e,
                        const dlc_tensor *ins, const bench_opts *o,
                        bench_result *r, dlc_diag *d) {
  size_t no = g->outputs.n;
  double *t = calloc((size_t)o->repeat, sizeof *t);
  r->outs = calloc(no + 1, sizeof *r->outs);
  DLC_ASSERT(t && r->outs);
  for (int64_t i = 0; i < o->warmup + o->repeat; i++) {
    dlc_interp_free_tensors(r->outs, (int)no);
    double t0 = now_ms();
    if (dlc_interp_run(g, e, ins, (int)g->inputs.n, r->outs, d) != DLC_OK) {
      free(t);
      return false;
    }
    if (i >= o->warmup)
      t[i - o->warmup] = now_ms() - t0;
  }
  summarise(r, t, o->repeat);
  free(t);
  return true;
}

/* Loads the model afresh (the passes rewrite it; the interpreters keep the
 * model as loaded), optimises it at the engine's level and compiles it,
 * timed together into r->compile_ms. A symbolic batch that is not separable
 * is compiled fixed at --batch; *n receives the batch to pass to run_batch.
 * *gp receives the graph compiled (free: dlc_graph_destroy). */
static dlc_compiled *compile_engine(const bench_opts *o, bench_result *r,
                                    int64_t *n, dlc_graph **gp, dlc_diag *d) {
  dlc_cli_passes p = o->passes;
  p.opt.opt_level = r->opt_level;
  dlc_driver_options opt;
  dlc_cli_driver_options(&p, &opt);
  opt.codegen.cpu = o->cpu;
  opt.codegen.info = &r->info;
  opt.codegen.profile = r->profile;
  opt.codegen.runtime_lib = dlc_cli_runtime_lib();
  opt.batch = o->batch;
  if (!opt.codegen.runtime_lib) {
    dlc_diag_error(d, "", "cannot find libdlcrt.a beside the dlc executable "
                   "(set DLC_RUNTIME_LIB)");
    return NULL;
  }
  double t0 = now_ms();
  dlc_graph *g = *gp = dlc_cli_load_shaped(o->model, &o->shapes, true);
  if (!g)
    return NULL;
  dlc_schedule *s = NULL;
  bool fixed = false;
  dlc_compiled *m = NULL;
  if (dlc_driver_schedule(g, &opt, &s, &fixed, d) != DLC_OK)
    return NULL;
  *n = fixed ? 1 : o->batch;
  opt.codegen.fixed_batch = fixed;
  opt.codegen.opt_level = r->opt_level;
  dlc_compiled_create(g, s, &opt.codegen, &m, d);
  r->compile_ms = now_ms() - t0;
  dlc_plan_stats st;
  dlc_plan_stats_compute(g, s, &st);
  r->nodes = st.nodes;
  r->lower_bound_bytes = st.arena_lower_bound_bytes;
  dlc_schedule_destroy(s);
  if (m)
    snprintf(r->cpu, sizeof r->cpu, "%s", dlc_compiled_model(m)->target_cpu);
  return m;
}

/* The raw buffers of a timing loop: *in borrows the inputs' data; one run
 * through the generic path (output shapes) fills r->outs, kept for the
 * diff, whose data *out points to. Free *in and *out with free(). */
static bool raw_buffers(dlc_compiled *m, const dlc_graph *g,
                        const dlc_tensor *ins, bench_result *r,
                        const float ***in, float ***out, dlc_diag *d) {
  size_t no = g->outputs.n;
  r->outs = calloc(no + 1, sizeof *r->outs);
  *in = calloc(g->inputs.n + 1, sizeof **in);
  *out = calloc(no + 1, sizeof **out);
  DLC_ASSERT(r->outs && *in && *out);
  bool ok = dlc_compiled_run(m, ins, (int)g->inputs.n, r->outs, d) == DLC_OK;
  for (size_t i = 0; i < g->inputs.n; i++)
    (*in)[i] = ins[i].data;
  for (size_t j = 0; ok && j < no; j++)
    (*out)[j] = r->outs[j].data;
  return ok;
}

/* Runs once through the generic path, then times run_batch on those
 * buffers. */
static bool time_compiled(const dlc_tensor *ins, const bench_opts *o,
                          bench_result *r, dlc_diag *d) {
  int64_t n = 1;
  dlc_graph *g = NULL;
  dlc_compiled *m = compile_engine(o, r, &n, &g, d);
  if (!m) {
    dlc_graph_destroy(g);
    return false;
  }
  const float **in = NULL;
  float **out = NULL;
  double *t = calloc((size_t)o->repeat, sizeof *t);
  DLC_ASSERT(t);
  bool ok = raw_buffers(m, g, ins, r, &in, &out, d);
  for (int64_t i = 0; ok && i < o->warmup + o->repeat; i++) {
    double s = now_ms();
    ok = dlc_compiled_run_batch_raw(m, n, in, out) == DLCRT_OK;
    if (i >= o->warmup)
      t[i - o->warmup] = now_ms() - s;
  }
  if (ok)
    summarise(r, t, o->repeat);
  else
    dlc_diag_error(d, "", "the compiled model failed while timing");
  free(t);
  free(in);
  free(out);
  dlc_compiled_destroy(m);
  dlc_graph_destroy(g);
  return ok;
}

/* --per-layer: the model compiled with and without --profile (the same
 * passes and schedule: both are made from the same model and options),
 * profiled over both (cli/per_layer.c). */
static bool time_per_layer(const dlc_tensor *ins, const bench_opts *o,
                           dlc_diag *d) {
  bench_result plain = {.opt_level = o->passes.opt.opt_level};
  bench_result prof = plain;
  prof.profile = true;
  int64_t n = 1, n_prof = 1;
  dlc_graph *g = NULL, *g_prof = NULL;
  dlc_compiled *mq = compile_engine(o, &plain, &n, &g, d);
  dlc_compiled *mp = mq ? compile_engine(o, &prof, &n_prof, &g_prof, d) : NULL;
  const float **in = NULL;
  float **out = NULL;
  bool ok = mp && raw_buffers(mq, g, ins, &plain, &in, &out, d);
  if (ok) {
    dlc_per_layer_run run = {mp, mq, n, in, out, o->warmup, o->repeat};
    ok = dlc_bench_per_layer(&run, o->model, o->json, d);
  }
  if (plain.outs)
    dlc_interp_free_tensors(plain.outs, (int)g->outputs.n);
  free(plain.outs);
  free(in);
  free(out);
  dlc_compiled_destroy(mp);
  dlc_compiled_destroy(mq);
  dlc_graph_destroy(g_prof);
  dlc_graph_destroy(g);
  return ok;
}

/* Largest |a - b| over the outputs of two engines (-1: shapes differ). */
static double max_diff(const dlc_tensor *a, const dlc_tensor *b, size_t n) {
  double m = 0;
  for (size_t j = 0; j < n; j++) {
    if (!a[j].data || !b[j].data || !dlc_tensor_same_shape(&a[j], &b[j]))
      return -1;
    for (int64_t i = 0; i < dlc_tensor_numel(&a[j]); i++) {
      double e = fabs(dlc_tensor_get_f64(&a[j], i) - dlc_tensor_get_f64(&b[j], i));
      m = e > m || isnan(e) ? e : m;
    }
  }
  return m;
}

/* ------------------------------------------------------------- reports */

static const bench_result *find(const bench_result *r, int n, const char *e) {
  for (int i = 0; i < n; i++)
    if (!strcmp(r[i].engine, e))
      return &r[i];
  return NULL;
}

static void print_table(const bench_opts *o, const bench_result *r, int n) {
  const bench_result *ref = find(r, n, "interp");
  printf("%s: batch %lld, %lld runs after %lld warm-up; threads %lld "
         "(blas only: compiled and interp kernels do not use threads yet)\n",
         o->model, (long long)o->batch, (long long)o->repeat,
         (long long)o->warmup, (long long)o->threads);
  printf("%-12s %12s %12s %12s  %s\n", "engine", "median ms", "min ms",
         "vs interp", "notes");
  for (int i = 0; i < n; i++) {
    char ratio[32] = "-", notes[256] = "";
    if (ref)
      snprintf(ratio, sizeof ratio, "%.2fx", ref->median_ms / r[i].median_ms);
    if (r[i].compile_ms >= 0)
      snprintf(notes, sizeof notes, "compiled in %.0f ms (-O%d, cpu %s); "
               "%d nodes, %d calls, workspace %lld B; ", r[i].compile_ms,
               r[i].opt_level, r[i].cpu, r[i].nodes, r[i].info.kernel_calls,
               (long long)r[i].info.workspace_bytes);
    if (r[i].max_abs_diff >= 0)
      snprintf(notes + strlen(notes), sizeof notes - strlen(notes),
               "max |diff| vs interp %.2g", r[i].max_abs_diff);
    printf("%-12s %12.4f %12.4f %12s  %s\n", r[i].engine, r[i].median_ms,
           r[i].min_ms, ratio, notes);
  }
}

static void print_json(const bench_opts *o, const bench_result *r, int n) {
  const bench_result *ref = find(r, n, "interp");
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "model", o->model);
  cJSON_AddNumberToObject(root, "batch", (double)o->batch);
  cJSON_AddNumberToObject(root, "warmup", (double)o->warmup);
  cJSON_AddStringToObject(root, "note", "threads apply to blas only: "
                          "compiled and interp kernels are single-threaded");
  cJSON *arr = cJSON_AddArrayToObject(root, "results");
  for (int i = 0; i < n; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "engine", r[i].engine);
    cJSON_AddNumberToObject(e, "threads", (double)o->threads);
    cJSON_AddNumberToObject(e, "median_ms", r[i].median_ms);
    cJSON_AddNumberToObject(e, "min_ms", r[i].min_ms);
    cJSON_AddNumberToObject(e, "mean_ms", r[i].mean_ms);
    cJSON_AddNumberToObject(e, "runs", (double)r[i].runs);
    if (r[i].compile_ms >= 0) {
      cJSON_AddNumberToObject(e, "compile_ms", r[i].compile_ms);
      cJSON_AddNumberToObject(e, "opt_level", r[i].opt_level);
      cJSON_AddStringToObject(e, "cpu", r[i].cpu);
      cJSON_AddNumberToObject(e, "nodes", r[i].nodes);
      cJSON_AddNumberToObject(e, "kernel_calls", r[i].info.kernel_calls);
      cJSON_AddNumberToObject(e, "workspace_bytes",
                              (double)r[i].info.workspace_bytes);
      cJSON_AddNumberToObject(e, "arena_bytes",
                              (double)r[i].info.arena_bytes);
      cJSON_AddNumberToObject(e, "arena_lower_bound_bytes",
                              (double)r[i].lower_bound_bytes);
    }
    if (ref)
      cJSON_AddNumberToObject(e, "speedup_vs_interp",
                              ref->median_ms / r[i].median_ms);
    if (r[i].max_abs_diff >= 0)
      cJSON_AddNumberToObject(e, "max_abs_diff_vs_interp", r[i].max_abs_diff);
    cJSON_AddItemToArray(arr, e);
  }
  char *text = cJSON_Print(root);
  puts(text);
  free(text);
  cJSON_Delete(root);
}

/* ------------------------------------------------------------- command */

static bool run_engines(dlc_graph *g, const bench_opts *o,
                        const dlc_tensor *ins, bench_result *r, dlc_diag *d) {
  for (int j = 0; j < o->n_engines; j++) {
    bench_result *x = &r[j];
    dlc_engine e = DLC_ENGINE_INTERP;
    x->compile_ms = x->max_abs_diff = -1;
    if (is_compiled(x->engine)) {
      x->opt_level = engine_level(o, x->engine);
      if (!time_compiled(ins, o, x, d))
        return false;
    } else if (!dlc_engine_from_name(x->engine, &e) ||
               !time_interp(g, e, ins, o, x, d)) {
      return false;
    }
  }
  const bench_result *ref = find(r, o->n_engines, "interp");
  for (int i = 0; ref && i < o->n_engines; i++)
    if (&r[i] != ref)
      r[i].max_abs_diff = max_diff(r[i].outs, ref->outs, g->outputs.n);
  return true;
}

static int bench_model(bench_opts *o) {
  dlc_graph *g = dlc_cli_load_shaped(o->model, &o->shapes, true);
  if (!g)
    return DLC_EXIT_BAD_INPUT;
  dlc_diag d;
  dlc_diag_init(&d, o->model);
  dlc_tensor *ins = make_inputs(g, o->batch, &d);
  if (openblas_set_num_threads)
    openblas_set_num_threads((int)o->threads);
  bench_result r[MAX_ENGINES];
  memset(r, 0, sizeof r);
  for (int i = 0; i < o->n_engines; i++)
    r[i].engine = o->engines[i];
  bool ok = ins && (o->per_layer ? time_per_layer(ins, o, &d)
                                 : run_engines(g, o, ins, r, &d));
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  if (ok && !o->per_layer && o->json) /* --per-layer printed its own */
    print_json(o, r, o->n_engines);
  else if (ok && !o->per_layer)
    print_table(o, r, o->n_engines);
  for (int i = 0; i < o->n_engines; i++) {
    if (r[i].outs)
      dlc_interp_free_tensors(r[i].outs, (int)g->outputs.n);
    free(r[i].outs);
  }
  if (ins)
    dlc_interp_free_tensors(ins, (int)g->inputs.n);
  free(ins);
  dlc_graph_destroy(g);
  return ok ? DLC_EXIT_OK : DLC_EXIT_BAD_INPUT;
}

int dlc_cmd_bench(int argc, char **argv) {
  bench_opts o;
  int rc = bench_parse(argc, argv, &o);
  if (rc < 0)
    rc = bench_model(&o);
  dlc_cli_passes_free(&o.passes);
  dlc_cli_shapes_free(&o.shapes);
  return rc;
}
