/* test_schedule.c — the schedule stage: which algorithm each node gets and
 * why, the target descriptions, golden schedule dumps of the fixture nets
 * (tests/schedule/NET.CPU.txt: a changed decision shows up in review; set
 * DLC_UPDATE_GOLDEN=1 to rewrite them), --schedule overrides (honoured and
 * checked against the interpreter, or refused with a located message), the
 * memory plan with scratch inside liveness, and its limits. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "helpers.h"
#include "interp/interp.h"
#include "test_codegen_util.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define GOLDEN DLC_SOURCE_DIR "/tests/schedule"


static dlc_graph *load_net(const char *net) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, net);
  return th_load(path);
}

/* assign_layout's block for schedule() and expect_matches_interpreter():
 * 0, the target's; 1, the plain layout (the tests of the NCHW kernels). */
static int layout_block;

/* Passes at -O2, then the schedule and plan for cpu (NULL: generic). */
static dlc_schedule *schedule(dlc_graph *g, const char *cpu,
                              const char *override, const char *conv_kind,
                              dlc_diag *d) {
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.passes.layout_block = layout_block;
  o.codegen.cpu = cpu;
  o.schedule.override_path = override;
  o.schedule.conv_kind = conv_kind;
  dlc_schedule *s = NULL;
  bool fixed;
  dlc_driver_schedule(g, &o, &s, &fixed, d);
  return s;
}

static const dlc_node_sched *record(const dlc_schedule *s, const char *name) {
  for (size_t k = 0; k < s->g->nodes.n; k++)
    if (!strcmp(s->g->nodes.items[k]->name, name))
      return dlc_schedule_node(s, s->g->nodes.items[k]);
  cr_assert_fail("no node '%s'", name);
  return NULL;
}

/* ------------------------------------------------------------ the table */

Test(schedule, every_algorithm_has_a_consistent_emitter) {
  dlc_algo bad = DLC_ALGO_NONE;
  cr_assert(dlc_codegen_emitters_consistent(&bad),
            "algorithm '%s': no emitter, or its compile-time inputs differ "
            "from the table's CONST_INPUTS column", dlc_algo_name(bad));
  for (int a = 1; a < DLC_ALGO_COUNT; a++)
    cr_assert_eq(dlc_algo_from_name(dlc_algo_name((dlc_algo)a)), a);
  cr_assert_eq(dlc_algo_from_name("conv_winograd"), DLC_ALGO_NONE);
}

/* ---------------------------------------------------------- the targets */

typedef struct target_case {
  const char *triple, *cpu;
  int vl, regs;
  bool fma;
} target_case;

Test(schedule, target_descriptions_follow_the_cpu_table) {
  static const target_case cases[] = {
      {NULL, NULL, 4, 16, false},         {NULL, "x86-64-v2", 4, 16, false},
      {NULL, "sandybridge", 8, 16, false}, {NULL, "haswell", 8, 16, true},
      {NULL, "znver3", 8, 16, true},       {NULL, "skylake-avx512", 16, 32, true},
      {NULL, "znver4", 16, 32, true},
      {"aarch64-linux-gnu", NULL, 4, 32, true},
      {"aarch64-linux-gnu", "cortex-a72", 4, 32, true}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const target_case *c = &cases[i];
    dlc_target_desc t;
    dlc_diag d;
    dlc_diag_init(&d, "target");
    cr_assert(dlc_codegen_describe_target(c->triple, c->cpu, NULL, &t, &d),
              "%s", d.messages.n ? d.messages.items[0] : "");
    cr_expect_eq(t.vl, c->vl, "%s: vl %d", c->cpu, t.vl);
    cr_expect_eq(t.vector_regs, c->regs, "%s: %d registers", c->cpu,
                 t.vector_regs);
    cr_expect_eq(t.fma, c->fma, "%s: fma", c->cpu);
    cr_expect(t.l1_bytes >= 32 * 1024 && t.l2_bytes >= 256 * 1024);
    dlc_diag_free(&d);
  }
  /* features change the vector unit; unknown names are errors */
  dlc_target_desc t;
  dlc_diag d;
  dlc_diag_init(&d, "target");
  cr_assert(dlc_codegen_describe_target(NULL, "znver4", "-avx512f", &t, &d));
  cr_expect_eq(t.vl, 8);
  cr_assert(!dlc_codegen_describe_target(NULL, "pentium9", NULL, &t, &d));
  cr_assert(dlc_diag_contains(&d, "unknown CPU 'pentium9'"));
  cr_assert(!dlc_codegen_describe_target(NULL, NULL, "+warp", &t, &d));
  cr_assert(dlc_diag_contains(&d, "unknown target feature '+warp'"));
  dlc_diag_free(&d);
}

/* ----------------------------------------------------------- the choice */

Test(schedule, convolutions_and_products_get_the_kernel_their_shape_needs) {
  layout_block = 1;
  dlc_diag d;
  dlc_diag_init(&d, "choice");
  dlc_graph *g = load_net("net_mobilenetv2_block");
  dlc_schedule *s = schedule(g, "znver4", NULL, NULL, &d);
  cr_assert_not_null(s, "%s", d.messages.n ? d.messages.items[0] : "");
  int dw = 0, pw = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    const dlc_node_sched *r = dlc_schedule_node(s, n);
    if (n->dead || n->op != DLC_OP_CONV)
      continue;
    bool depthwise = dlc_node_get_int(n, "group") > 1;
    cr_expect_eq(r->algo, depthwise ? DLC_ALGO_CONV_DEPTHWISE
                                    : DLC_ALGO_CONV_POINTWISE,
                 "%s: %s", n->name, dlc_algo_name(r->algo));
    dw += depthwise;
    pw += !depthwise;
    /* depthwise copies each channel into a padded plane; pointwise reads X
     * in place */
    if (depthwise) {
      cr_expect_gt(r->scratch, 0, "%s: no scratch", n->name);
      cr_expect_geq(r->scratch_offset, 0);
    } else {
      cr_expect_eq(r->scratch, 0, "%s: scratch", n->name);
    }
    if (r->algo == DLC_ALGO_CONV_POINTWISE) /* AVX-512: 32 registers */
      cr_expect(r->p.tile.mr * r->p.tile.nv + r->p.tile.nv + 2 <= 32 &&
                r->p.tile.mr > 1, "%s: tile %dx%d", n->name, r->p.tile.mr,
                r->p.tile.nv);
  }
  cr_expect(dw >= 1 && pw >= 2, "%d depthwise, %d pointwise", dw, pw);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);

  g = load_net("net_transformer_encoder");
  s = schedule(g, NULL, NULL, NULL, &d);
  cr_assert_not_null(s);
  int packed = 0, runtime_b = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node_sched *r = dlc_schedule_node(s, g->nodes.items[k]);
    packed += r->algo == DLC_ALGO_MATMUL_MK_PACKED;
    runtime_b += r->algo == DLC_ALGO_MATMUL_MK;
  }
  cr_expect_gt(packed, 0, "no MatMul with packed weights");
  cr_expect_gt(runtime_b, 0, "no attention MatMul with B at run time");
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);

  /* the legacy conv_kind forces the baseline kernels */
  g = load_net("net_spp");
  s = schedule(g, NULL, NULL, "direct", &d);
  cr_assert_not_null(s);
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    if (!n->dead && n->op == DLC_OP_CONV && !n->epilogue)
      cr_expect_eq(dlc_schedule_node(s, n)->algo, DLC_ALGO_CONV_DIRECT);
  }
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* ----------------------------------------------------------- the golden */

static char *schedule_text(const char *net, const char *cpu) {
  dlc_diag d;
  dlc_diag_init(&d, net);
  dlc_graph *g = load_net(net);
  dlc_schedule *s = schedule(g, cpu, NULL, NULL, &d);
  cr_assert_not_null(s, "%s: %s", net, d.messages.n ? d.messages.items[0] : "");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  dlc_schedule_print(s, f);
  fclose(f);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
  return buf;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *s = calloc(1, (size_t)n + 1);
  if (fread(s, 1, (size_t)n, f) != (size_t)n)
    s[0] = '\0';
  fclose(f);
  return s;
}

Test(schedule, fixture_schedules_match_their_golden_files, .timeout = 120) {
  static const char *const nets[] = {
      "net_conv_bn_relu", "net_resnet_basic_block", "net_mobilenetv2_block",
      "net_shufflenetv2_unit", "net_spp", "net_se_block",
      "net_upsample_concat", "net_transformer_encoder"};
  static const char *const cpus[] = {"x86-64", "haswell", "znver4"};
  bool update = getenv("DLC_UPDATE_GOLDEN") != NULL;
  for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
    for (size_t j = 0; j < sizeof cpus / sizeof *cpus; j++) {
      char path[512];
      snprintf(path, sizeof path, "%s/%s.%s.txt", GOLDEN, nets[i], cpus[j]);
      char *got = schedule_text(nets[i], cpus[j]);
      if (update) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f, "cannot write %s", path);
        fputs(got, f);
        fclose(f);
      }
      char *want = read_all(path);
      cr_assert_not_null(want, "missing golden file %s (DLC_UPDATE_GOLDEN=1 "
                         "writes it)", path);
      cr_expect_str_eq(got, want, "%s on %s: the schedule changed; review "
                       "and update %s\n--- got:\n%s", nets[i], cpus[j], path,
                       got);
      free(got);
      free(want);
    }
}

/* -------------------------------------------------------- the overrides */

static char *write_temp(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/dlc-sched-XXXXXX.json");
  int fd = mkstemps(path, 5);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* The compiled override still computes what the interpreter computes. */
static void expect_matches_interpreter(dlc_graph *g, const char *override) {
  dlc_graph *ref = dlc_graph_clone(g);
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.passes.layout_block = layout_block;
  o.schedule.override_path = override;
  o.codegen.runtime_lib = tcg_runtime_for_shared();
  dlc_diag d;
  dlc_diag_init(&d, "override");
  dlc_compiled *m = NULL;
  cr_assert_eq(dlc_driver_load(g, &o, &m, &d), DLC_OK, "%s",
               d.messages.n ? d.messages.items[0] : "");
  dlc_tensor in = ref->inputs.items[0]->type;
  int64_t n = dlc_tensor_numel(&in);
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n; i++)
    x[i] = (float)sin((double)i * 0.37);
  in.data = x;
  dlc_tensor want[1] = {0}, got[1] = {0};
  cr_assert_eq(dlc_interp_run(ref, DLC_ENGINE_INTERP, &in, 1, want, &d), DLC_OK);
  cr_assert_eq(dlc_compiled_run(m, &in, 1, got, &d), DLC_OK);
  int64_t k = dlc_tensor_numel(&want[0]);
  const float *a = want[0].data, *b = got[0].data;
  for (int64_t i = 0; i < k; i++)
    cr_assert(fabsf(a[i] - b[i]) <= 1e-4f + 1e-4f * fabsf(a[i]),
              "element %lld: interpreter %g, compiled %g", (long long)i, a[i],
              b[i]);
  dlc_interp_free_tensors(want, 1);
  dlc_interp_free_tensors(got, 1);
  dlc_compiled_destroy(m);
  free(x);
  dlc_graph_destroy(ref);
  dlc_diag_free(&d);
}

Test(schedule, an_override_is_honoured_and_still_correct, .timeout = 300) {
  layout_block = 1;
  const char *file = write_temp(
      "{\"nodes\": {\"conv2\": {\"algorithm\": \"conv_im2col\", \"rows\": 3, "
      "\"mr\": 3, \"nv\": 1, \"kc\": 40},"
      " \"down.conv\": {\"algorithm\": \"conv_im2col\"}}}");
  dlc_graph *g = load_net("net_resnet_basic_block");
  dlc_diag d;
  dlc_diag_init(&d, "override");
  dlc_schedule *s = schedule(g, NULL, file, NULL, &d);
  cr_assert_not_null(s, "%s", d.messages.n ? d.messages.items[0] : "");
  const dlc_node_sched *r = record(s, "conv2");
  cr_expect(r->overridden);
  cr_expect_eq(r->algo, DLC_ALGO_CONV_IM2COL);
  cr_expect_eq(r->p.rows, 3);
  cr_expect_eq(r->p.tile.mr, 3);
  cr_expect_eq(r->p.tile.nv, 1);
  cr_expect_eq(r->p.tile.kc, 40);
  cr_expect(strstr(r->why, file) != NULL, "why: %s", r->why);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  g = load_net("net_resnet_basic_block");
  expect_matches_interpreter(g, file);
  dlc_graph_destroy(g);
  unlink(file);
  dlc_diag_free(&d);
}

typedef struct bad_override {
  const char *json, *message;
} bad_override;

/* The override file `json` gives node its algorithm and the tile fields
 * of want that are set, and the compiled net still matches the
 * interpreter. */
static void expect_tile_override(const char *net, const char *node,
                                 const char *json, dlc_algo algo,
                                 const dlc_tile *want) {
  const char *file = write_temp(json);
  dlc_graph *g = load_net(net);
  dlc_diag d;
  dlc_diag_init(&d, "override");
  dlc_schedule *s = schedule(g, NULL, file, NULL, &d);
  cr_assert_not_null(s, "%s", d.messages.n ? d.messages.items[0] : "");
  const dlc_node_sched *r = record(s, node);
  cr_expect_eq(r->algo, algo);
  cr_expect(r->overridden);
  cr_expect_eq(r->p.tile.mr, want->mr);
  if (want->nv)
    cr_expect_eq(r->p.tile.nv, want->nv);
  if (want->kc)
    cr_expect_eq(r->p.tile.kc, want->kc);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  g = load_net(net);
  expect_matches_interpreter(g, file);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
  unlink(file);
}

/* Each override file is refused with its message, located. */
static void expect_overrides_refused(const char *net, const bad_override *bad,
                                     size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *file = write_temp(bad[i].json);
    dlc_graph *g = load_net(net);
    dlc_diag d;
    dlc_diag_init(&d, "model.json");
    dlc_schedule *s = schedule(g, NULL, file, NULL, &d);
    cr_expect_null(s, "%s: accepted", bad[i].json);
    cr_expect(dlc_diag_contains(&d, bad[i].message), "%s: want '%s', got '%s'",
              bad[i].json, bad[i].message,
              d.messages.n ? d.messages.items[0] : "(none)");
    dlc_schedule_destroy(s);
    dlc_graph_destroy(g);
    dlc_diag_free(&d);
    unlink(file);
  }
}

/* The blocked convolution's tile: pixels, output blocks, input chunk. */
Test(schedule, a_blocked_convolution_tile_override_is_honoured_and_correct,
     .timeout = 300) {
  dlc_tile want = {.mr = 3, .nv = 2, .kc = 1}; /* several input chunks */
  expect_tile_override("net_resnet_basic_block", "conv2",
                       "{\"nodes\": {\"conv2\": {\"mr\": 3, \"nv\": 2, "
                       "\"kc\": 1}}}",
                       DLC_ALGO_CONV_NCHWC, &want);
  static const bad_override bad[] = {
      {"{\"nodes\": {\"conv2\": {\"algorithm\": \"conv_im2col\"}}}",
       "'conv_im2col' does not compute this operator"},
      {"{\"nodes\": {\"conv2\": {\"nv\": 5}}}",
       "nodes.conv2.nv: cannot honour: at most 4 output blocks"},
      {"{\"nodes\": {\"conv2\": {\"mr\": 14, \"nv\": 2}}}",
       "nodes.conv2.mr: cannot honour: 14 pixels x 2 blocks do not fit"},
      {"{\"nodes\": {\"conv2\": {\"kc\": 1000}}}",
       "nodes.conv2.kc: cannot honour: kc must be between 1 and the"},
  };
  expect_overrides_refused("net_resnet_basic_block", bad, sizeof bad / sizeof *bad);
}

/* The blocked depthwise kernel's tile: pixels only. */
Test(schedule, a_blocked_depthwise_tile_override_is_honoured_and_correct,
     .timeout = 300) {
  layout_block = 0;
  dlc_tile want = {.mr = 3};
  expect_tile_override("net_mobilenetv2_block", "dw",
                       "{\"nodes\": {\"dw\": {\"mr\": 3}}}",
                       DLC_ALGO_CONV_NCHWC_DEPTHWISE, &want);
  static const bad_override bad[] = {
      {"{\"nodes\": {\"dw\": {\"nv\": 2}}}",
       "nodes.dw.nv: cannot honour: 'conv_nchwc_depthwise' has one block"},
      {"{\"nodes\": {\"dw\": {\"mr\": 40}}}",
       "nodes.dw.mr: cannot honour: 40 pixels do not fit"},
  };
  expect_overrides_refused("net_mobilenetv2_block", bad, sizeof bad / sizeof *bad);
}

Test(schedule, an_override_the_kernel_cannot_honour_is_a_located_error) {
  layout_block = 1;
  static const bad_override cases[] = {
      {"{\"nodes\": {\"nope\": {}}}", "nodes.nope: no node named 'nope'"},
      {"{\"nodes\": {\"conv2\": {\"algorithm\": \"conv_fft\"}}}",
       "nodes.conv2.algorithm: unknown algorithm 'conv_fft'"},
      {"{\"nodes\": {\"conv2\": {\"algorithm\": \"gemm_mk\"}}}",
       "nodes.conv2.algorithm: 'gemm_mk' does not compute this operator"},
      {"{\"nodes\": {\"conv2\": {\"algorithm\": \"conv_pointwise\"}}}",
       "nodes.conv2.algorithm: cannot honour: conv_pointwise needs a 1x1"},
      {"{\"nodes\": {\"conv2\": {\"algorithm\": \"conv_direct\"}}}",
       "cannot honour: this algorithm does not apply the node's fused"},
      {"{\"nodes\": {\"conv2\": {\"kc\": 100000}}}",
       "nodes.conv2.kc: cannot honour: kc must be between 1 and K"},
      {"{\"nodes\": {\"conv2\": {\"nv\": 9}}}", "nodes.conv2.nv: cannot honour"},
      {"{\"nodes\": {\"conv2\": {\"mr\": -2}}}",
       "nodes.conv2.mr: must be a positive integer"},
      {"{\"nodes\": {\"conv2\": {\"tile\": 4}}}",
       "nodes.conv2.tile: unknown field 'tile'"},
      {"{\"nodes\": {\"down.conv\": {\"rows\": 2, \"algorithm\": "
       "\"conv_pointwise\"}}}",
       "nodes.down.conv.algorithm: cannot honour: conv_pointwise"},
      {"[1, 2]", "nodes: missing"},
      {"{\"nodes\": ", "not valid JSON"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *file = write_temp(cases[i].json);
    dlc_graph *g = load_net("net_resnet_basic_block");
    dlc_diag d;
    dlc_diag_init(&d, "model.json");
    dlc_schedule *s = schedule(g, NULL, file, NULL, &d);
    cr_expect_null(s, "%s: accepted", cases[i].json);
    char want[256];
    snprintf(want, sizeof want, "%s: ", file);
    cr_expect(d.messages.n && !strncmp(d.messages.items[0], want,
                                       strlen(want)),
              "%s: the message does not name the schedule file: %s",
              cases[i].json, d.messages.n ? d.messages.items[0] : "(none)");
    cr_expect(dlc_diag_contains(&d, cases[i].message),
              "%s: want '%s', got '%s'", cases[i].json, cases[i].message,
              d.messages.n ? d.messages.items[0] : "(none)");
    dlc_schedule_destroy(s);
    dlc_graph_destroy(g);
    dlc_diag_free(&d);
    unlink(file);
  }
}

/* ----------------------------------------------------- the memory plan */

/* Scratch is planned with the activations: no kernel's scratch overlaps a
 * tensor live at its node (the checker), and the workspace is never larger
 * than activations plus the largest scratch after them (the old layout). */
Test(schedule, scratch_shares_the_arena_by_liveness) {
  static const char *const nets[] = {"net_resnet_basic_block",
                                     "net_mobilenetv2_block", "net_spp",
                                     "net_upsample_concat"};
  for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
    dlc_diag d;
    dlc_diag_init(&d, nets[i]);
    dlc_graph *g = load_net(nets[i]);
    dlc_schedule *s = schedule(g, "znver4", NULL, NULL, &d);
    cr_assert_not_null(s);
    cr_expect_eq(dlc_plan_check(g, s, &d), DLC_OK, "%s: %s", nets[i],
                 d.messages.n ? d.messages.items[0] : "");
    int64_t peak = 0;
    for (size_t k = 0; k < s->n_nodes; k++)
      peak = s->nodes[k].scratch > peak ? s->nodes[k].scratch : peak;
    dlc_schedule_options so = {.in_place = true};
    dlc_schedule *act = NULL;
    dlc_graph *h = load_net(nets[i]);
    dlc_pass_options po = {.opt_level = 2, .layout_block = s->target.vl};
    cr_assert_eq(dlc_passes_run(h, &po, &d), DLC_OK);
    cr_assert_eq(dlc_schedule_create(h, &s->target, &so, &act, &d), DLC_OK);
    int64_t bound = dlc_plan_lower_bound(h, act);
    cr_expect_leq(s->workspace_bytes, bound * 11 / 10 + 64,
                  "%s: workspace %lld above 1.10x its lower bound %lld",
                  nets[i], (long long)s->workspace_bytes, (long long)bound);
    cr_expect_leq(s->workspace_bytes,
                  dlc_plan_lower_bound(h, NULL) * 11 / 10 + peak + 64);
    dlc_schedule_destroy(act);
    dlc_graph_destroy(h);
    dlc_schedule_destroy(s);
    dlc_graph_destroy(g);
    dlc_diag_free(&d);
  }
}

Test(schedule, workspace_limits_name_the_node) {
  dlc_graph *g = load_net("net_resnet_basic_block");
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.schedule.max_workspace = 4096;
  dlc_diag d;
  dlc_diag_init(&d, "limit");
  dlc_schedule *s = NULL;
  bool fixed;
  cr_assert_neq(dlc_driver_schedule(g, &o, &s, &fixed, &d), DLC_OK);
  cr_expect(dlc_diag_contains(&d, "above the limit of 4096 (--max-workspace)"),
            "%s", d.messages.n ? d.messages.items[0] : "");
  cr_expect(dlc_diag_contains(&d, "node '"));
  dlc_graph_destroy(g);
  dlc_diag_free(&d);

  /* a tensor of 2^62 bytes between two nodes is refused before any offset
   * arithmetic could wrap */
  g = dlc_graph_create();
  int64_t dims[2] = {(int64_t)1 << 30, (int64_t)1 << 30};
  dlc_tensor t = th_f32(NULL, 2, dims);
  dlc_value *x = dlc_graph_add_input(g, "x", &t);
  dlc_value *a = dlc_graph_add_value(g, "a", DLC_VALUE_NODE);
  dlc_value *y = dlc_graph_add_value(g, "y", DLC_VALUE_NODE);
  dlc_graph_add_node(g, "r1", DLC_OP_RELU, 1, &x, 1, &a);
  dlc_graph_add_node(g, "r2", DLC_OP_RELU, 1, &a, 1, &y);
  y->is_output = true;
  dlc_vec_push(&g->outputs, y);
  dlc_diag_init(&d, "huge");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  cr_assert_eq(dlc_graph_infer_shapes(g, NULL, 0, &d), DLC_OK);
  s = th_plan(g, true, &d);
  cr_expect_null(s);
  cr_expect(dlc_diag_contains(&d, "tensor 'a': the workspace would exceed "
                                  "2^62 bytes"),
            "%s", d.messages.n ? d.messages.items[0] : "");
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* -O0 plans without in-place element-wise nodes or Concat elision. */
Test(schedule, no_in_place_at_O0) {
  dlc_graph *g = load_net("net_spp");
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.passes.opt_level = 0;
  dlc_diag d;
  dlc_diag_init(&d, "O0");
  dlc_schedule *s = NULL;
  bool fixed;
  cr_assert_eq(dlc_driver_schedule(g, &o, &s, &fixed, &d), DLC_OK);
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    cr_expect(!n->elided, "%s elided at -O0", n->name);
    if (dlc_op_get_info(n->op)->flags & DLC_OPF_ELEMENTWISE)
      for (int i = 0; i < n->n_inputs; i++)
        cr_expect(!n->inputs[i] || n->inputs[i]->arena_offset < 0 ||
                      n->inputs[i]->arena_offset != n->outputs[0]->arena_offset,
                  "%s in place at -O0", n->name);
  }
  cr_expect_eq(dlc_plan_check(g, s, &d), DLC_OK);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* --------------------------------------------------------------- the CLI */

static char *run_dlc(const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", DLC_EXE, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  DLC_VEC(char) out = {0};
  int c;
  while ((c = fgetc(p)) != EOF)
    dlc_vec_push(&out, (char)c);
  dlc_vec_push(&out, '\0');
  pclose(p);
  return out.items;
}

Test(schedule, show_stats_and_check_print_the_schedule) {
  char *out = run_dlc("show -O2 " FIXTURES "/net_resnet_basic_block/model.json");
  cr_expect(strstr(out, "conv2 (ConvNchwc): conv_nchwc rw=") != NULL, "%s", out);
  cr_expect(strstr(out, "y_to_nchw (NchwcToNchw): reorder_to_nchw (a graph "
                        "output is plain)") != NULL, "%s", out);
  cr_expect(strstr(out, "; schedule for x86_64") != NULL, "%s", out);
  free(out);
  out = run_dlc("stats --json -O2 " FIXTURES "/net_resnet_basic_block/model.json");
  cr_expect(strstr(out, "\"schedule\":") && strstr(out, "\"algorithm\":\t\"conv_nchwc\""),
            "%s", out);
  free(out);
  const char *file = write_temp("{\"nodes\": {\"conv2\": {\"algorithm\": \"gemm_mk\"}}}");
  char args[512];
  snprintf(args, sizeof args, "show -O2 --schedule %s %s", file,
           FIXTURES "/net_resnet_basic_block/model.json");
  out = run_dlc(args);
  cr_expect(strstr(out, "nodes.conv2.algorithm: 'gemm_mk' does not compute") != NULL,
            "%s", out);
  free(out);
  unlink(file);
  /* check runs the schedule: an operator without a kernel is reported with
   * its node (the model itself is valid: the interpreter runs it) */
  const char *mod = write_temp(
      "{\"format\": \"dlc-graph\", \"version\": 1, \"name\": \"m\","
      " \"inputs\": [{\"name\": \"a\", \"dtype\": \"float32\", \"shape\": [4]},"
      " {\"name\": \"b\", \"dtype\": \"float32\", \"shape\": [4]}],"
      " \"outputs\": [{\"name\": \"y\"}], \"initializers\": [],"
      " \"nodes\": [{\"name\": \"mod0\", \"op\": \"Mod\", \"inputs\": [\"a\", \"b\"],"
      " \"outputs\": [\"y\"], \"attrs\": {\"fmod\": 1}}]}");
  snprintf(args, sizeof args, "check %s", mod);
  out = run_dlc(args);
  cr_expect(strstr(out, "node 'mod0' (Mod): cannot compile: no code generator "
                        "for this operator yet") != NULL,
            "%s", out);
  free(out);
  unlink(mod);
  /* the picture carries each node's schedule too */
  out = run_dlc("show --format dot -O2 " FIXTURES
                "/net_resnet_basic_block/model.json");
  cr_expect(strstr(out, "digraph") && strstr(out, "\\nconv_nchwc rw="),
            "%s", out);
  free(out);
  /* --max-workspace refuses naming the node; a bad size is a usage error */
  out = run_dlc(FIXTURES "/net_resnet_basic_block/model.json -o "
                "/tmp/dlc-sched-w.o --no-header --max-workspace 8K");
  cr_expect(strstr(out, "above the limit of 8192 (--max-workspace)") &&
                strstr(out, ": node '"),
            "%s", out);
  free(out);
  out = run_dlc(FIXTURES "/net_resnet_basic_block/model.json -o "
                "/tmp/dlc-sched-w.o --max-workspace 8Q");
  cr_expect(strstr(out, "--max-workspace takes a size in bytes") != NULL,
            "%s", out);
  free(out);
  cr_expect(access("/tmp/dlc-sched-w.o", F_OK) != 0, "an object was written");
  /* -v names every stage with its time, then the object's size */
  out = run_dlc(FIXTURES "/net_resnet_basic_block/model.json -o "
                "/tmp/dlc-sched-v.o --no-header -v");
  static const char *const stages[] = {
      "dlc: load", "dlc: pass fold_batchnorm", "dlc: schedule",
      "dlc: plan_memory", "dlc: codegen: LLVM optimise", "dlc: codegen: emit",
      "dlc: wrote /tmp/dlc-sched-v.o ("};
  for (size_t i = 0; i < sizeof stages / sizeof *stages; i++)
    cr_expect(strstr(out, stages[i]) != NULL, "no '%s' in:\n%s", stages[i],
              out);
  free(out);
  unlink("/tmp/dlc-sched-v.o");
}

/* A view of an integer or bool tensor (the attention mask's Unsqueeze) is a
 * byte copy or an alias whatever its dtype: the model compiles with a fixed
 * batch, as it did before the schedule stage. */
Test(schedule, views_of_non_float_tensors_compile) {
  dlc_graph *g = th_load(DLC_SOURCE_DIR "/tests/onnx/attention_dynamic.onnx");
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.batch = 2;
  o.force_fixed_batch = true;
  dlc_diag d;
  dlc_diag_init(&d, "attention_dynamic");
  dlc_schedule *s = NULL;
  bool fixed = false;
  cr_assert_eq(dlc_driver_schedule(g, &o, &s, &fixed, &d), DLC_OK, "%s",
               d.messages.n ? d.messages.items[0] : "");
  cr_expect(fixed);
  int views = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    const dlc_node_sched *r = dlc_schedule_node(s, n);
    if (r->kind != DLC_SCHED_DEAD && r->algo == DLC_ALGO_COPY &&
        n->inputs[0]->type.dtype != DLC_DT_FLOAT32)
      views++;
  }
  cr_expect_gt(views, 0, "no view of a non-float tensor in the model");
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* ------------------------------------------------------------ geometry */

/* One geometry for everyone: dlc_window_of reads back what shape inference
 * computed (hand-computed values), and the schedule's 2-D view maps 1-D
 * windows to axis 1. */
Test(schedule, the_window_is_the_one_shape_inference_computed) {
  th_node t;
  th_begin(&t, DLC_OP_CONV);
  int64_t xd[4] = {1, 1, 5, 7}, wd[4] = {1, 1, 2, 3};
  dlc_tensor x = th_f32(NULL, 4, xd);
  float w[6] = {0};
  dlc_tensor wt = th_f32(w, 4, wd);
  th_input(&t, &x);
  th_const(&t, &wt);
  th_finish(&t, 1);
  int64_t s2[2] = {2, 2};
  dlc_node_set_ints(t.g, t.node, "strides", s2, 2);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_LOWER");
  cr_assert(th_infer(&t));
  t.node->outputs[0]->type = t.out[0];
  dlc_window win;
  cr_assert(dlc_window_of(t.node, &win));
  /* out = ceil(in / 2); total pad = (out - 1) * 2 + k - in, odd half first */
  cr_expect_eq(win.ns, 2);
  cr_expect(win.out[0] == 3 && win.out[1] == 4, "out %lld x %lld",
            (long long)win.out[0], (long long)win.out[1]);
  cr_expect(win.pb[0] == 1 && win.pe[0] == 0, "H pads %lld %lld",
            (long long)win.pb[0], (long long)win.pe[0]);
  cr_expect(win.pb[1] == 1 && win.pe[1] == 1, "W pads %lld %lld",
            (long long)win.pb[1], (long long)win.pe[1]);
  dlc_window2d w2;
  cr_assert(dlc_window2d_of(t.node, &w2));
  cr_expect(w2.k[0] == 2 && w2.k[1] == 3 && w2.s[1] == 2 && w2.pb[0] == 1);
  th_free(&t);

  /* 1-D MaxPool with ceil_mode: the window lives in axis 1 of the 2-D view */
  th_begin(&t, DLC_OP_MAX_POOL);
  int64_t x1[3] = {1, 2, 10};
  dlc_tensor x1t = th_f32(NULL, 3, x1);
  th_input(&t, &x1t);
  th_finish(&t, 1);
  int64_t k3[1] = {3}, s1[1] = {2};
  dlc_node_set_ints(t.g, t.node, "kernel_shape", k3, 1);
  dlc_node_set_ints(t.g, t.node, "strides", s1, 1);
  dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
  cr_assert(th_infer(&t));
  t.node->outputs[0]->type = t.out[0];
  cr_assert(dlc_window2d_of(t.node, &w2));
  /* ceil((10 - 3) / 2) + 1 = 5 */
  cr_expect(w2.in[0] == 1 && w2.out[0] == 1 && w2.k[0] == 1);
  cr_expect(w2.in[1] == 10 && w2.out[1] == 5 && w2.k[1] == 3 && w2.s[1] == 2,
            "1-D out %lld", (long long)w2.out[1]);
  th_free(&t);
}

/* ------------------------------------------------ long chains (item 7) */

/* x [1, 16] -> a chain of n nodes in threes: MatMul(wa) to [1, 32], an
 * Add of the output skip nodes before (skip a multiple of 3; Sigmoid while
 * there is none, or skip 0), MatMul(wb) back to [1, 16]; every keep-th
 * [1, 16] output (keep > 0) also lives to the end, where a Concat reads
 * them with the last one. The planner's conflicts then come both from
 * tensors that start inside a buffer's lifetime and from long-lived ones
 * that started before it (the two halves of its time index). */
static dlc_graph *long_chain(int n, int skip, int keep) {
  static float w[16 * 32];
  int64_t xd[2] = {1, 16}, wa[2] = {16, 32}, wb[2] = {32, 16};
  dlc_tensor tx = th_f32(NULL, 2, xd), ta = th_f32(w, 2, wa),
             tb = th_f32(w, 2, wb);
  dlc_graph *g = dlc_graph_create();
  dlc_value *prev = dlc_graph_add_input(g, "x", &tx);
  dlc_value *wav = dlc_graph_add_initializer(g, "wa", &ta, w);
  dlc_value *wbv = dlc_graph_add_initializer(g, "wb", &tb, w);
  dlc_value **out = calloc((size_t)n + 1, sizeof *out);
  dlc_value **ends = calloc((size_t)n + 2, sizeof *ends);
  cr_assert(out && ends);
  int n_ends = 0;
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "t%d", i);
    out[i] = dlc_graph_add_value(g, name, DLC_VALUE_NODE);
    bool add = i % 3 == 1 && skip > 0 && i >= skip;
    dlc_op op = i % 3 != 1 ? DLC_OP_MAT_MUL : add ? DLC_OP_ADD : DLC_OP_SIGMOID;
    dlc_value *in[2] = {prev, i % 3 == 0 ? wav : add ? out[i - skip] : wbv};
    dlc_graph_add_node(g, name, op, op == DLC_OP_SIGMOID ? 1 : 2, in, 1,
                       &out[i]);
    if (keep > 0 && i % 3 == 2 && (i / 3) % keep == keep - 1)
      ends[n_ends++] = out[i];
    prev = out[i];
  }
  if (n_ends > 0) {
    ends[n_ends++] = prev;
    prev = dlc_graph_add_value(g, "y", DLC_VALUE_NODE);
    dlc_node *c = dlc_graph_add_node(g, "cat", DLC_OP_CONCAT, n_ends, ends,
                                     1, &prev);
    dlc_node_set_int(g, c, "axis", 1);
  }
  prev->is_output = true;
  dlc_vec_push(&g->outputs, prev);
  free(out);
  free(ends);
  dlc_diag d;
  dlc_diag_init(&d, "chain");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  cr_assert_eq(dlc_graph_infer_shapes(g, NULL, 0, &d), DLC_OK, "%s",
               d.messages.n ? d.messages.items[0] : "");
  dlc_diag_free(&d);
  return g;
}

/* The -O2 plan of g (in place, Concats elided), which must pass the
 * checker; d is initialised here. */
static dlc_schedule *plan_valid(dlc_graph *g, dlc_diag *d) {
  dlc_diag_init(d, "chain");
  dlc_schedule *s = th_plan(g, true, d);
  cr_assert_not_null(s, "%s", d->messages.n ? d->messages.items[0] : "");
  cr_assert_eq(dlc_plan_check(g, s, d), DLC_OK, "%s",
               d->messages.n ? d->messages.items[0] : "");
  return s;
}

/* A plain chain needs its two neighbours' bytes and no more: [1, 32] and
 * [1, 16] floats, 128 + 64 bytes, the Sigmoid in place. (The lower bound
 * counts an in-place pair twice: 128 + 128 at the Sigmoid.) */
Test(schedule, a_long_plain_chain_needs_two_buffers) {
  dlc_graph *g = long_chain(30000, 0, 0);
  dlc_diag d;
  dlc_schedule *s = plan_valid(g, &d);
  cr_expect_eq(dlc_plan_lower_bound(g, s), 256);
  cr_expect_eq(g->arena_bytes, 192, "arena %lld", (long long)g->arena_bytes);
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* Skips and tensors that live to the end: the plan is valid, within the
 * 1.10x of the lower bound the planner aims at, and the (sweeping) checker
 * still catches two tensors live together at one offset. */
Test(schedule, a_long_chain_with_skips_is_planned_validly) {
  dlc_graph *g = long_chain(30000, 6, 500);
  dlc_diag d;
  dlc_schedule *s = plan_valid(g, &d);
  int64_t bound = dlc_plan_lower_bound(g, s);
  cr_expect_leq(g->arena_bytes, bound * 11 / 10 + 64,
                "arena %lld, lower bound %lld", (long long)g->arena_bytes,
                (long long)bound);
  /* t20000 (a MatMul's [1, 32] output) and its reader's output t20001 are
   * live together; a long-lived end tensor (t1499) is live with both. */
  dlc_value *a = dlc_graph_find_value(g, "t20001"),
            *b = dlc_graph_find_value(g, "t1499");
  cr_assert(a && b && a->arena_offset >= 0 && b->arena_offset >= 0);
  a->arena_offset = b->arena_offset;
  cr_expect_neq(dlc_plan_check(g, s, &d), DLC_OK);
  cr_expect(dlc_diag_contains(&d, "'t1499'") && dlc_diag_contains(&d, "overlap"),
            "%s", d.messages.n ? d.messages.items[0] : "");
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}
