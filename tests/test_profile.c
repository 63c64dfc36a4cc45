/* test_profile.c — models compiled with --profile (codegen/cg_profile.c,
 * runtime/profile.c, docs/abi.md "Profiling"):
 *
 * - a custom hook sees every node index 0..n-1 exactly once per run, BEFORE
 *   then AFTER, in schedule order, naming the model's own tables;
 * - the default hook's table counts one call per node per run, drops
 *   nothing, and a custom clock replaces CLOCK_MONOTONIC;
 * - the tables hold, per kernel call, the node's name, operator, schedule
 *   line (as `dlc show` formats it), MACs (dlc_node_macs) and bytes;
 * - a batched model repeats the events once per batch item;
 * - outputs of the profiled build are bit-identical to the plain build's;
 * - the FMA-peak kernel returns the operations it did;
 * - without --profile the object references no hook and exports no tables,
 *   the header declares none; with it, an application links the object
 *   with plain cc and runs it with the default hook, on x86-64 and on
 *   AArch64 under qemu.
 * Nothing is timed: clocks are only checked to have moved. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "driver/driver.h"
#include "helpers.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define RUNTIME_LIB DLC_BINARY_DIR "/libdlcrt.a"

typedef struct built {
  dlc_graph *g;
  dlc_schedule *s;
  dlc_compiled *m;
} built;

/* Optimises and schedules a model (-O2, generic host CPU; a symbolic batch
 * stays symbolic where it can) and loads it, profiled or not. */
static void build_path(const char *path, bool profile, built *b) {
  b->g = th_load(path);
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.codegen.runtime_lib = RUNTIME_LIB;
  o.codegen.profile = profile;
  dlc_diag d;
  dlc_diag_init(&d, path);
  bool fixed = false;
  cr_assert_eq(dlc_driver_schedule(b->g, &o, &b->s, &fixed, &d), DLC_OK);
  o.codegen.fixed_batch = fixed;
  dlc_status st = dlc_compiled_create(b->g, b->s, &o.codegen, &b->m, &d);
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s does not compile", path);
}

/* build_path on tests/fixtures/NAME/model.json. */
static void build(const char *name, bool profile, built *b) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, name);
  build_path(path, profile, b);
}

static void unbuild(built *b) {
  dlc_compiled_destroy(b->m);
  dlc_schedule_destroy(b->s);
  dlc_graph_destroy(b->g);
}

/* Random inputs of the graph's shapes (fixed seed); free with
 * dlc_interp_free_tensors. */
static dlc_tensor *inputs_for(const dlc_graph *g) {
  dlc_tensor *in = calloc(g->inputs.n + 1, sizeof *in);
  uint32_t seed = 12345;
  for (size_t i = 0; i < g->inputs.n; i++) {
    in[i] = g->inputs.items[i]->type;
    in[i].data = calloc(1, dlc_tensor_nbytes(&in[i]) + 4);
    for (int64_t e = 0; e < dlc_tensor_numel(&in[i]); e++) {
      seed = seed * 1664525u + 1013904223u;
      ((float *)in[i].data)[e] = (float)(seed >> 8) / (1 << 24) - 0.5f;
    }
  }
  return in;
}

/* The kernel nodes of the schedule, in call order. */
static int kernel_nodes(const built *b, const dlc_node **out, int max) {
  int n = 0;
  for (size_t k = 0; k < b->g->nodes.n; k++) {
    const dlc_node *node = b->g->nodes.items[k];
    if (dlc_schedule_node(b->s, node)->kind == DLC_SCHED_KERNEL && n < max)
      out[n++] = node;
  }
  return n;
}

/* The profile-API entry points of the libdlcrt copy inside the loaded
 * model (the model calls that copy, not the one in this test). */
typedef struct rt_api {
  void (*set_hook)(dlcrt_profile_hook_fn, void *);
  int (*table_init)(struct dlcrt_profile_table *, const struct dlc_profile *,
                    uint64_t *, uint64_t *);
  void (*record)(struct dlcrt_profile_table *);
  void (*set_clock)(struct dlcrt_profile_table *, uint64_t (*)(void *),
                    void *);
} rt_api;

static rt_api rt_of(const built *b) {
  rt_api r;
  *(void **)&r.set_hook = dlc_compiled_symbol(b->m, "dlcrt_profile_set_hook");
  *(void **)&r.table_init =
      dlc_compiled_symbol(b->m, "dlcrt_profile_table_init");
  *(void **)&r.record = dlc_compiled_symbol(b->m, "dlcrt_profile_record");
  *(void **)&r.set_clock =
      dlc_compiled_symbol(b->m, "dlcrt_profile_table_set_clock");
  cr_assert(r.set_hook && r.table_init && r.record && r.set_clock,
            "the model's runtime lacks the profile API");
  return r;
}

/* ------------------------------------------------------ a counting hook */

enum { MAX_EVENTS = 4096 };
typedef struct event_log {
  const struct dlc_profile *model;
  int n;
  int32_t node[MAX_EVENTS], phase[MAX_EVENTS];
  bool foreign; /* an event naming other tables */
} event_log;

static void log_hook(void *ctx, const struct dlc_profile *model, int32_t node,
                     int32_t phase) {
  event_log *l = ctx;
  l->foreign |= model != l->model;
  if (l->n < MAX_EVENTS) {
    l->node[l->n] = node;
    l->phase[l->n] = phase;
    l->n++;
  }
}

/* Events of `runs` runs: per run, for i = 0..n-1, (i, BEFORE) (i, AFTER). */
static void expect_paired_in_order(const event_log *l, int n, int runs) {
  cr_assert_eq(l->n, 2 * n * runs, "%d events for %d nodes x %d runs", l->n,
               n, runs);
  cr_expect(!l->foreign, "an event named another model's tables");
  for (int e = 0; e < l->n; e++) {
    int want_node = (e / 2) % n, want_phase = e % 2;
    cr_assert(l->node[e] == want_node && l->phase[e] == want_phase,
              "event %d: node %d phase %d, want node %d phase %d", e,
              l->node[e], l->phase[e], want_node, want_phase);
  }
}

static void run_once(built *b, const dlc_tensor *in, dlc_tensor *out) {
  dlc_diag d;
  dlc_diag_init(&d, "run");
  cr_assert_eq(dlc_compiled_run(b->m, in, (int)b->g->inputs.n, out, &d),
               DLC_OK);
  dlc_diag_free(&d);
}

static void check_hook_order(const char *fixture) {
  built b;
  build(fixture, true, &b);
  const struct dlc_profile *p = dlc_compiled_profile(b.m);
  cr_assert_not_null(p, "%s: no PREFIX_profile in a --profile build", fixture);
  const dlc_node *nodes[512];
  int n = kernel_nodes(&b, nodes, 512);
  cr_assert_eq(p->n_nodes, n, "%s: %d table rows, %d kernel calls", fixture,
               p->n_nodes, n);
  event_log *log = calloc(1, sizeof *log);
  log->model = p;
  rt_api rt = rt_of(&b);
  rt.set_hook(log_hook, log);
  dlc_tensor *in = inputs_for(b.g), out[8];
  for (int r = 0; r < 2; r++) {
    run_once(&b, in, out);
    dlc_interp_free_tensors(out, (int)b.g->outputs.n);
  }
  rt.set_hook(NULL, NULL);
  expect_paired_in_order(log, n, 2);
  free(log);
  dlc_interp_free_tensors(in, (int)b.g->inputs.n);
  free(in);
  unbuild(&b);
}

/* shufflenet's Concat is elided, the transformer's Reshapes are views:
 * neither calls a kernel, neither has an index. */
Test(profile, custom_hook_sees_each_node_once_per_run_in_order,
     .timeout = 300) {
  check_hook_order("net_shufflenetv2_unit");
  check_hook_order("net_transformer_encoder");
}

/* A symbolic batch runs the batch-1 body once per item: the events repeat
 * per item, with the same indices. */
Test(profile, batched_model_repeats_the_events_per_item, .timeout = 300) {
  built b;
  build_path(DLC_SOURCE_DIR "/examples/digits/digits.json", true, &b);
  cr_assert_eq(dlc_compiled_model(b.m)->batched, 1, "digits is not batched");
  const struct dlc_profile *p = dlc_compiled_profile(b.m);
  cr_assert_not_null(p);
  event_log *log = calloc(1, sizeof *log);
  log->model = p;
  rt_api rt = rt_of(&b);
  rt.set_hook(log_hook, log);
  dlc_tensor in = b.g->inputs.items[0]->type, out[4];
  in.dims[0] = 3;
  in.data = calloc(1, dlc_tensor_nbytes(&in));
  run_once(&b, &in, out);
  rt.set_hook(NULL, NULL);
  const dlc_node *nodes[64];
  expect_paired_in_order(log, kernel_nodes(&b, nodes, 64), 3);
  dlc_interp_free_tensors(out, (int)b.g->outputs.n);
  free(in.data);
  free(log);
  unbuild(&b);
}

/* --------------------------------------------------------------- tables */

Test(profile, tables_name_each_call_as_dlc_show_does, .timeout = 300) {
  built b;
  build("net_transformer_encoder", true, &b);
  const struct dlc_profile *p = dlc_compiled_profile(b.m);
  cr_assert_not_null(p);
  cr_expect_eq(p->abi_version, DLCRT_PROFILE_VERSION);
  cr_expect_str_eq(p->model, dlc_compiled_model(b.m)->name);
  const dlc_node *nodes[512];
  int n = kernel_nodes(&b, nodes, 512);
  cr_assert_eq(p->n_nodes, n);
  int64_t macs = 0;
  for (int i = 0; i < n; i++) {
    const struct dlc_profile_node *r = &p->nodes[i];
    char line[512];
    dlc_schedule_format(dlc_schedule_node(b.s, nodes[i]), line, sizeof line);
    cr_expect_str_eq(r->name, nodes[i]->name, "row %d", i);
    cr_expect_str_eq(r->op, dlc_op_name(nodes[i]->op), "row %d", i);
    cr_expect_str_eq(r->schedule, line, "row %d", i);
    cr_expect_eq(r->macs, dlc_node_macs(nodes[i]), "row %d (%s)", i, r->name);
    int64_t out_bytes = (int64_t)dlc_tensor_nbytes(&nodes[i]->outputs[0]->type);
    cr_expect(r->bytes > out_bytes, "row %d (%s): %lld bytes", i, r->name,
              (long long)r->bytes);
    macs += r->macs;
  }
  cr_expect(macs > 0, "the MatMuls count no MACs");
  unbuild(&b);
}

static uint64_t ticks;
static uint64_t tick_clock(void *ctx) {
  (void)ctx;
  return ticks += 10; /* each reading 10 "ns" after the last */
}

Test(profile, default_hook_fills_the_table_and_takes_a_clock,
     .timeout = 300) {
  built b;
  build("net_shufflenetv2_unit", true, &b);
  const struct dlc_profile *p = dlc_compiled_profile(b.m);
  rt_api rt = rt_of(&b);
  uint64_t ns[256], calls[256];
  struct dlcrt_profile_table t;
  cr_assert_eq(rt.table_init(&t, p, ns, calls), DLCRT_OK);
  rt.record(&t);
  dlc_tensor *in = inputs_for(b.g), out[8];
  for (int r = 0; r < 3; r++) {
    run_once(&b, in, out);
    dlc_interp_free_tensors(out, (int)b.g->outputs.n);
  }
  for (int i = 0; i < p->n_nodes; i++)
    cr_expect_eq(calls[i], 3, "node %d (%s): %llu calls", i, p->nodes[i].name,
                 (unsigned long long)calls[i]);
  cr_expect_eq(t.dropped, 0);
  uint64_t total = 0;
  for (int i = 0; i < p->n_nodes; i++)
    total += ns[i];
  cr_expect(total > 0, "CLOCK_MONOTONIC did not move over 3 runs");
  /* a clock of our own: exactly one tick between BEFORE and AFTER */
  cr_assert_eq(rt.table_init(&t, p, ns, calls), DLCRT_OK); /* resets */
  rt.set_clock(&t, tick_clock, NULL);
  run_once(&b, in, out);
  dlc_interp_free_tensors(out, (int)b.g->outputs.n);
  for (int i = 0; i < p->n_nodes; i++)
    cr_expect(ns[i] == 10 && calls[i] == 1, "node %d: %llu ticks, %llu calls",
              i, (unsigned long long)ns[i], (unsigned long long)calls[i]);
  rt.record(NULL);
  dlc_interp_free_tensors(in, (int)b.g->inputs.n);
  free(in);
  unbuild(&b);
}

/* The default hook refuses events that do not pair up. */
Test(profile, default_hook_drops_unpaired_and_foreign_events) {
  struct dlc_profile_node rows[2] = {{"a", "Relu", "unary", 0, 8},
                                     {"b", "Relu", "unary", 0, 8}};
  struct dlc_profile m = {DLCRT_PROFILE_VERSION, "m", 2, rows, NULL};
  struct dlc_profile other = m;
  uint64_t ns[2], calls[2];
  struct dlcrt_profile_table t;
  cr_assert_eq(dlcrt_profile_table_init(&t, &m, ns, calls), DLCRT_OK);
  dlcrt_profile_default_hook(&t, &m, 1, DLCRT_PROFILE_AFTER); /* no BEFORE */
  dlcrt_profile_default_hook(&t, &other, 0, DLCRT_PROFILE_BEFORE);
  dlcrt_profile_default_hook(&t, &m, 2, DLCRT_PROFILE_BEFORE); /* range */
  dlcrt_profile_default_hook(&t, &m, 0, DLCRT_PROFILE_BEFORE);
  dlcrt_profile_default_hook(&t, &m, 1, DLCRT_PROFILE_AFTER); /* wrong one */
  dlcrt_profile_default_hook(&t, &m, 0, DLCRT_PROFILE_BEFORE); /* again */
  dlcrt_profile_default_hook(&t, &m, 0, DLCRT_PROFILE_AFTER);
  cr_expect_eq(t.dropped, 5);
  cr_expect(calls[0] == 1 && calls[1] == 0);
  dlcrt_profile_table_reset(&t);
  cr_expect(t.dropped == 0 && calls[0] == 0 && ns[0] == 0);
  m.abi_version = DLCRT_PROFILE_VERSION + 1;
  cr_expect_eq(dlcrt_profile_table_init(&t, &m, ns, calls),
               DLCRT_ERR_ARGUMENT);
}

/* ------------------------------------------------------ outputs, peak */

Test(profile, outputs_equal_the_plain_build_bit_for_bit, .timeout = 300) {
  static const char *const fixtures[] = {"net_shufflenetv2_unit",
                                         "net_transformer_encoder",
                                         "net_mobilenetv2_block"};
  for (int f = 0; f < 3; f++) {
    built plain, prof;
    build(fixtures[f], false, &plain);
    build(fixtures[f], true, &prof);
    cr_expect_null(dlc_compiled_profile(plain.m), "%s: tables without "
                   "--profile", fixtures[f]);
    dlc_tensor *in = inputs_for(plain.g), a[8], b[8];
    run_once(&plain, in, a);
    run_once(&prof, in, b);
    for (size_t j = 0; j < plain.g->outputs.n; j++)
      cr_expect(!memcmp(a[j].data, b[j].data, dlc_tensor_nbytes(&a[j])),
                "%s: output %zu differs with --profile", fixtures[f], j);
    dlc_interp_free_tensors(a, (int)plain.g->outputs.n);
    dlc_interp_free_tensors(b, (int)prof.g->outputs.n);
    dlc_interp_free_tensors(in, (int)plain.g->inputs.n);
    free(in);
    unbuild(&plain);
    unbuild(&prof);
  }
}

/* Every chain converges to k / (1 - m) = 2, so after enough iterations the
 * lanes sum to 2 x chains x lanes exactly, and each iteration does a whole
 * number of FMAs per lane of every chain (2 operations each). */
Test(profile, fma_peak_kernel_reports_the_operations_it_did,
     .timeout = 300) {
  built b;
  build("net_conv_bn_relu", true, &b);
  const struct dlc_profile *p = dlc_compiled_profile(b.m);
  cr_assert(p && p->fma_peak);
  float io[2] = {1.0f, 0.5f};
  int64_t flops = p->fma_peak(1000, io);
  cr_expect(flops > 0 && flops % 1000 == 0, "%lld flops",
            (long long)flops);
  int64_t lanes2 = (int64_t)io[0], per_iter = flops / 1000;
  cr_expect(io[0] == (float)lanes2 && lanes2 >= 2 * 4 * 4 &&
                per_iter % lanes2 == 0,
            "lanes sum to %g (want 2 x chains x lanes), %lld flops per "
            "iteration", io[0], (long long)per_iter);
  io[0] = 1.0f;
  cr_expect_eq(p->fma_peak(0, io), per_iter, "iters < 1 runs once");
  unbuild(&b);
}

/* -------------------------------------------------- the object, linked */


/* An application's own profiling: the default hook, its table sized by
 * the header's PROFILE_NODES, the names read from the tables. */
static const char app_src[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"p.h\"\n"
    "#include \"dlcrt.h\"\n"
    "int main(void) {\n"
    "  const struct dlc_model *m = &p_model;\n"
    "  const float *in[8]; float *out[8];\n"
    "  for (int i = 0; i < m->n_inputs; i++)\n"
    "    in[i] = (const float *)calloc(m->inputs[i].numel + 1, 4);\n"
    "  for (int j = 0; j < m->n_outputs; j++)\n"
    "    out[j] = (float *)malloc(m->outputs[j].numel * 4 + 4);\n"
    "  void *ws = dlcrt_workspace_create(m, 1);\n"
    "  static uint64_t ns[P_PROFILE_NODES], calls[P_PROFILE_NODES];\n"
    "  struct dlcrt_profile_table t;\n"
    "  if (dlcrt_profile_table_init(&t, &p_profile, ns, calls)) return 3;\n"
    "  dlcrt_profile_record(&t);\n"
    "  int rc = p_run(in, out, ws) || p_run(in, out, ws) ? 4 : 0;\n"
    "  for (int i = 0; !rc && i < p_profile.n_nodes; i++) {\n"
    "    if (calls[i] != 2) rc = 5;\n"
    "    printf(\"%s %s\\n\", p_profile.nodes[i].name,"
    " p_profile.nodes[i].op);\n  }\n"
    /* freed, so that the sanitizer build's leak check passes */
    "  for (int i = 0; i < m->n_inputs; i++) free((void *)in[i]);\n"
    "  for (int j = 0; j < m->n_outputs; j++) free(out[j]);\n"
    "  dlcrt_free(ws);\n"
    "  return rc ? rc : t.dropped != 0;\n}\n";

/* Compiles net_shufflenetv2_unit with --profile (extra: dlc options),
 * links app_src with `cc_line` (compiler and flags) against runtime, runs
 * it with `runner` ("" or "qemu-aarch64") and checks what it printed: the
 * kernel nodes by name and op, no row for the elided Concat. */
static void link_and_run_app(const char *dir, const char *extra,
                             const char *cc_line, const char *runtime,
                             const char *runner) {
  cr_assert_eq(th_sh("%s %s/net_shufflenetv2_unit/model.json -o %s/p.o --name p "
                  "--profile %s", DLC_EXE, FIXTURES, dir, extra), 0,
               "dlc failed");
  char path[512];
  snprintf(path, sizeof path, "%s/main.c", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(app_src, f);
  fclose(f);
  cr_expect_eq(th_sh("%s -std=c11 -I%s -I%s/runtime -o %s/prog %s/main.c "
                  "%s/p.o %s -lm -lpthread && %s %s/prog > %s/out.txt",
                  cc_line, dir, DLC_SOURCE_DIR, dir, dir, dir, runtime, runner,
                  dir, dir), 0, "%s: the profiled program failed", cc_line);
  snprintf(path, sizeof path, "%s/out.txt", dir);
  char *text = th_read_file(path, NULL);
  cr_expect(text && strstr(text, "pw1 ConvNchwc\n") &&
                strstr(text, "shuffle_reshape2 ChannelShuffle\n") &&
                !strstr(text, "concat"),
            "%s: the tables as the program printed them:\n%s", cc_line, text);
  free(text);
}

Test(profile, object_links_with_the_default_hook_and_plain_has_none,
     .timeout = 300) {
  char dir[] = "/tmp/dlc-profile-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  cr_assert_eq(th_sh("%s %s/net_shufflenetv2_unit/model.json -o %s/plain.o "
                  "--name p", DLC_EXE, FIXTURES, dir), 0, "dlc failed");
  cr_expect_neq(th_sh("nm %s/plain.o | grep -q profile", dir), 0,
                "a plain object names a profile symbol");
  cr_expect_neq(th_sh("grep -q PROFILE %s/plain.h", dir), 0,
                "a plain header declares profiling");
  link_and_run_app(dir, "", "cc" SAN_FLAGS, RUNTIME_LIB, "");
  cr_expect_eq(th_sh("nm %s/p.o | grep -q ' U dlcrt_profile_event' && "
                  "nm %s/p.o | grep -q ' p_profile$'", dir, dir), 0,
               "the profiled object lacks the hook or tables");
  th_sh("rm -rf %s", dir);
}

/* The tables' layout as the AArch64 C compiler sees struct dlc_profile,
 * and the NEON peak kernel, under qemu (scripts/setup.sh installs both
 * tools; test_codegen_abi.c fails without them). */
Test(profile, aarch64_object_runs_under_qemu_with_the_default_hook,
     .timeout = 300) {
  char dir[] = "/tmp/dlc-profile-XXXXXX", lib[512];
  cr_assert_not_null(mkdtemp(dir));
  const char *rt = DLC_SOURCE_DIR "/runtime";
  cr_assert_eq(th_sh("cd %s && aarch64-linux-gnu-gcc -std=c11 -O2 "
                  "-D_DEFAULT_SOURCE -c %s/profile.c %s/cpu.c %s/status.c "
                  "%s/memory.c && ar rcs libdlcrt.a *.o", dir, rt, rt, rt, rt),
               0, "cannot cross-build the runtime");
  snprintf(lib, sizeof lib, "%s/libdlcrt.a", dir);
  link_and_run_app(dir, "--target aarch64-linux-gnu",
                   "aarch64-linux-gnu-gcc -static", lib, "qemu-aarch64");
  th_sh("rm -rf %s", dir);
}
