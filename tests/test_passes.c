/* test_passes.c — the optimisation passes against the interpreter.
 *
 * Property: for every fixture model (tests/fixtures/index.json) and the
 * digits example, each pass run alone after the frontend, and the whole -O2
 * pipeline, leave the interpreter's outputs equal to the unoptimised graph's
 * within the case's tolerance (|got - want| <= atol + rtol*|want|), with
 * verify_each on; at -O2 the memory plan passes dlc_plan_check and the arena
 * is within 1.10x of the lower bound. Structural tests check that each pass
 * changed what it should (fusions, folds, recognised patterns, arena size).
 * Synthetic graphs (built in code, random weights, the unoptimised graph
 * as the oracle) cover what the fixtures do not. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "passes/passes.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define DIGITS DLC_SOURCE_DIR "/examples/digits"

/* ---------------------------------------------------------------- helpers */

typedef struct tl_outputs {
  dlc_tensor t[16];
  int n;
} tl_outputs;

static void tl_outputs_free(tl_outputs *o) {
  dlc_interp_free_tensors(o->t, o->n);
  o->n = 0;
}

static bool tl_run(const dlc_graph *g, const dlc_tensor *ins, int n_ins,
                   tl_outputs *out, char *why, size_t size) {
  dlc_diag d;
  dlc_diag_init(&d, "run");
  out->n = (int)g->outputs.n;
  cr_assert_leq(out->n, 16);
  dlc_status st = dlc_interp_run(g, DLC_ENGINE_INTERP, ins, n_ins, out->t, &d);
  if (st != DLC_OK) {
    snprintf(why, size, "run: %s", d.messages.n ? d.messages.items[0] : "?");
    out->n = 0;
  }
  dlc_diag_free(&d);
  return st == DLC_OK;
}

static bool tl_compare(const tl_outputs *got, const tl_outputs *want,
                       double atol, double rtol, char *why, size_t size) {
  if (got->n != want->n)
    return snprintf(why, size, "%d outputs, want %d", got->n, want->n), false;
  for (int i = 0; i < got->n; i++) {
    const dlc_tensor *a = &got->t[i], *b = &want->t[i];
    if (a->dtype != b->dtype || !dlc_tensor_same_shape(a, b))
      return snprintf(why, size, "output %d: type or shape differs", i), false;
    int64_t n = dlc_tensor_numel(b);
    for (int64_t k = 0; k < n; k++) {
      double x = dlc_tensor_get_f64(a, k), w = dlc_tensor_get_f64(b, k);
      bool ok = isnan(w) ? isnan(x) : fabs(x - w) <= atol + rtol * fabs(w);
      if (!ok)
        return snprintf(why, size, "output %d index %lld: got %.9g, want %.9g",
                        i, (long long)k, x, w), false;
    }
  }
  return true;
}

static int tl_live_nodes(const dlc_graph *g) {
  int n = 0;
  for (size_t i = 0; i < g->nodes.n; i++)
    n += !g->nodes.items[i]->dead;
  return n;
}

static int tl_count_op(const dlc_graph *g, dlc_op op) {
  int n = 0;
  for (size_t i = 0; i < g->nodes.n; i++)
    n += !g->nodes.items[i]->dead && g->nodes.items[i]->op == op;
  return n;
}

/* Steps called name in the FusedElementwise nodes. */
static int tl_count_step(const dlc_graph *g, const char *name) {
  int n = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *x = g->nodes.items[i];
    const dlc_attr *a = dlc_node_find_attr(x, "ops");
    if (x->dead || x->op != DLC_OP_FUSED_ELEMENTWISE || !a)
      continue;
    for (int k = 0; k < a->n; k++)
      n += strcmp(a->strings[k], name) == 0;
  }
  return n;
}

/* -------------------------------------------------------- fixture cases */

typedef struct fcase {
  char name[128];
  char model[1024];
  dlc_tensor ins[8];
  int n_ins;
  double atol, rtol;
} fcase;

static void read_npy(const char *path, dlc_tensor *t) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_status st = dlc_npy_read(path, t, &d);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "cannot read %s", path);
}

/* Every fixture case plus digits (its 8x8 test images, N symbolic). */
static int load_cases(fcase *out, int cap) {
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cr_assert_not_null(text);
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
    cr_assert(n < cap);
    fcase *f = &out[n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s",
             cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
    snprintf(f->model, sizeof f->model, "%s/%s", FIXTURES,
             cJSON_GetObjectItemCaseSensitive(c, "model")->valuestring);
    f->atol = cJSON_GetObjectItemCaseSensitive(c, "atol")->valuedouble;
    f->rtol = cJSON_GetObjectItemCaseSensitive(c, "rtol")->valuedouble;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "inputs")) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", FIXTURES, p->valuestring);
      read_npy(path, &f->ins[f->n_ins++]);
    }
  }
  cJSON_Delete(root);
  cr_assert(n < cap);
  fcase *f = &out[n++];
  memset(f, 0, sizeof *f);
  snprintf(f->name, sizeof f->name, "digits");
  snprintf(f->model, sizeof f->model, "%s", DIGITS "/digits.json");
  f->atol = f->rtol = 1e-4;
  read_npy(DIGITS "/test_images.npy", &f->ins[f->n_ins++]);
  return n;
}

static void free_cases(fcase *c, int n) {
  for (int i = 0; i < n; i++)
    for (int k = 0; k < c[i].n_ins; k++)
      free(c[i].ins[k].data);
}

static dlc_graph *load(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load(path, &g, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "cannot load %s", path);
  return g;
}

/* Runs pass `name` (or the -O2 pipeline for NULL) with verify_each; false
 * and a message in why on failure. */
/* The schedule of the graph optimise() planned last (its scratch is in
 * the arena). */
static dlc_schedule *last_sched;

/* name NULL: -O2 and the memory plan; "plan_memory": the plan only (the
 * schedule stage's planner); else that one pass. */
/* assign_layout's block in optimise (0: the layout stays plain, as the
 * structural tests below expect). */
static int layout_block;

static bool optimise(dlc_graph *g, const char *name, char *why, size_t size) {
  dlc_pass_options o = {.opt_level = 2, .verify_each = true,
                        .layout_block = layout_block};
  dlc_diag d;
  dlc_diag_init(&d, "passes");
  bool plan = !name || !strcmp(name, "plan_memory");
  dlc_status st = !name ? dlc_passes_run(g, &o, &d)
                  : plan ? DLC_OK
                         : dlc_passes_run_one(g, name, &o, &d);
  if (st == DLC_OK && plan) {
    dlc_schedule_destroy(last_sched);
    last_sched = th_plan(g, true, &d);
    st = last_sched ? DLC_OK : DLC_ERR_INVALID;
  }
  if (st != DLC_OK)
    snprintf(why, size, "%s", d.messages.n ? d.messages.items[0] : "failed");
  dlc_diag_free(&d);
  return st == DLC_OK;
}

/* The largest scratch of any node of the last plan, aligned. */
static int64_t peak_scratch(void) {
  int64_t peak = 0;
  for (size_t i = 0; last_sched && i < last_sched->n_nodes; i++)
    if (last_sched->nodes[i].scratch > peak)
      peak = last_sched->nodes[i].scratch;
  return (peak + DLC_PLAN_ALIGN - 1) / DLC_PLAN_ALIGN * DLC_PLAN_ALIGN;
}

/* One case under one pass: false (and why) if the outputs moved. */
static bool check_case(const fcase *c, const char *pass, char *why,
                       size_t size) {
  dlc_graph *ref = load(c->model), *opt = load(c->model);
  tl_outputs want, got;
  bool ok = tl_run(ref, c->ins, c->n_ins, &want, why, size) &&
            optimise(opt, pass, why, size) &&
            tl_run(opt, c->ins, c->n_ins, &got, why, size);
  if (ok) {
    ok = tl_compare(&got, &want, c->atol, c->rtol, why, size);
    tl_outputs_free(&got);
  }
  if (ok && !pass) {
    dlc_diag d;
    dlc_diag_init(&d, "plan");
    ok = dlc_plan_check(opt, last_sched, &d) == DLC_OK;
    if (!ok)
      snprintf(why, size, "plan_check: %s", d.messages.items[0]);
    dlc_diag_free(&d);
  }
  tl_outputs_free(&want);
  dlc_graph_destroy(ref);
  dlc_graph_destroy(opt);
  return ok;
}

/* With AVX-512's block (16): assign_layout alone and at the end of -O2. */
Test(passes, every_pass_alone_and_O2_keep_every_fixture_output) {
  static fcase cases[128];
  int n = load_cases(cases, 128), failed = 0, runs = 0;
  int np = dlc_passes_count();
  cr_assert_geq(n, 90, "only %d cases", n);
  layout_block = 16;
  for (int i = 0; i < n; i++)
    for (int p = 0; p <= np; p++) {
      const char *pass = p < np ? dlc_pass_name(p) : NULL;
      char why[1024] = "";
      runs++;
      if (!check_case(&cases[i], pass, why, sizeof why)) {
        failed++;
        cr_log_error("%s after %s: %s", cases[i].name, pass ? pass : "-O2",
                     why);
      }
    }
  free_cases(cases, n);
  layout_block = 0;
  cr_assert_eq(failed, 0, "%d of %d (case, pass) runs changed the outputs",
               failed, runs);
}

/* AVX2's and NEON's blocks, and a block no channel count of the fixtures
 * is a multiple of (3: padding lanes everywhere), after -O2. */
Test(passes, blocked_layout_keeps_every_fixture_output_at_blocks_3_4_8) {
  static fcase cases[128];
  int n = load_cases(cases, 128), failed = 0;
  static const int blocks[] = {3, 4, 8};
  for (int b = 0; b < 3; b++)
    for (int i = 0; i < n; i++) {
      char why[1024] = "";
      layout_block = blocks[b];
      if (!check_case(&cases[i], "assign_layout", why, sizeof why) ||
          !check_case(&cases[i], NULL, why, sizeof why)) {
        failed++;
        cr_log_error("%s at block %d: %s", cases[i].name, blocks[b], why);
      }
    }
  layout_block = 0;
  free_cases(cases, n);
  cr_assert_eq(failed, 0, "%d (case, block) runs changed the outputs", failed);
}

/* Every convolution of a residual net is blocked, and the only reorder is
 * the one before the classifier head. */
Test(passes, resnet_convs_are_blocked_with_one_reorder_before_the_head) {
  char path[1024], why[1024];
  snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, "net_resnet_basic_block");
  dlc_graph *g = load(path);
  layout_block = 16;
  cr_assert(optimise(g, NULL, why, sizeof why), "%s", why);
  layout_block = 0;
  int convs = 0, blocked = 0, to_plain = 0, to_blocked = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *nd = g->nodes.items[i];
    if (nd->dead)
      continue;
    convs += nd->op == DLC_OP_CONV;
    blocked += nd->op == DLC_OP_CONV_NCHWC;
    to_plain += nd->op == DLC_OP_NCHWC_TO_NCHW;
    to_blocked += nd->op == DLC_OP_NCHW_TO_NCHWC;
    if (nd->op == DLC_OP_CONV_NCHWC)
      cr_assert_eq(nd->outputs[0]->type.rank, 5, "%s", nd->name);
  }
  cr_assert_eq(convs, 0, "%d plain Convs left", convs);
  cr_assert_geq(blocked, 2);
  cr_assert_eq(to_plain, 1, "%d reorders to NCHW", to_plain);
  cr_assert_eq(to_blocked, 0, "%d reorders to NCHWc", to_blocked);
  dlc_graph_destroy(g);
}

/* Depthwise convolutions and pools run on the blocks too: in an inverted
 * residual block and a spatial pyramid pooling block nothing stays plain
 * but the graph output. */
static int count_live(const dlc_graph *g, dlc_op op) {
  int n = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *nd = g->nodes.items[i];
    n += !nd->dead && nd->op == op;
  }
  return n;
}

Test(passes, depthwise_convs_and_pools_are_blocked) {
  static const char *const nets[] = {"net_mobilenetv2_block", "net_spp"};
  static const dlc_op plain[] = {DLC_OP_CONV, DLC_OP_MAX_POOL,
                                 DLC_OP_AVERAGE_POOL,
                                 DLC_OP_GLOBAL_AVERAGE_POOL};
  for (int k = 0; k < 2; k++) {
    char path[1024], why[1024];
    snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, nets[k]);
    dlc_graph *g = load(path);
    layout_block = 8;
    cr_assert(optimise(g, NULL, why, sizeof why), "%s", why);
    layout_block = 0;
    for (int i = 0; i < 4; i++)
      cr_expect_eq(count_live(g, plain[i]), 0, "%s: %d plain %s left",
                   nets[k], count_live(g, plain[i]), dlc_op_name(plain[i]));
    cr_expect_eq(count_live(g, DLC_OP_NCHWC_TO_NCHW), 1, "%s", nets[k]);
    cr_expect_geq(count_live(g, DLC_OP_CONV_NCHWC) +
                      count_live(g, DLC_OP_POOL_NCHWC), 3, "%s", nets[k]);
    dlc_graph_destroy(g);
  }
}

/* ------------------------------------------------------------ structure */

static dlc_graph *load_o2(const char *fixture) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, fixture);
  dlc_graph *g = load(path);
  char why[1024];
  cr_assert(optimise(g, NULL, why, sizeof why), "%s: %s", fixture, why);
  return g;
}

static void assert_fused(const dlc_node *n, int count, const char *const *names) {
  cr_assert_not_null(n->epilogue, "node '%s' has no epilogue", n->name);
  cr_assert_eq(n->epilogue->n_fused, count, "node '%s': %d fused ops, want %d",
               n->name, n->epilogue->n_fused, count);
  for (int i = 0; i < count; i++)
    cr_assert_str_eq(n->epilogue->fused[i], names[i], "node '%s' fused[%d]",
                     n->name, i);
}

Test(passes, conv_bn_relu_is_one_node_per_conv_with_bn_and_relu_fused) {
  dlc_graph *g = load_o2("net_conv_bn_relu");
  cr_assert_eq(tl_live_nodes(g), 2, "%d nodes left", tl_live_nodes(g));
  static const char *const want[] = {"BatchNormalization", "Relu"};
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    cr_assert_eq(n->op, DLC_OP_CONV);
    assert_fused(n, 2, want);
    cr_assert_eq(n->epilogue->act1.kind, DLC_ACT_RELU);
  }
  dlc_graph_destroy(g);
}

Test(passes, resnet_block_add_relu_fuses_into_the_second_conv) {
  dlc_graph *g = load_o2("net_resnet_basic_block");
  cr_assert_eq(tl_live_nodes(g), 3, "%d nodes left", tl_live_nodes(g));
  cr_assert_eq(tl_count_op(g, DLC_OP_CONV), 3);
  const dlc_node *y = dlc_graph_find_value(g, "y")->producer;
  cr_assert_eq(y->op, DLC_OP_CONV);
  const int64_t *k;
  cr_assert_eq(dlc_node_get_ints(y, "kernel_shape", &k), 2);
  cr_assert(k[0] == 3 && k[1] == 3, "the fused conv should be conv2 (3x3)");
  cr_assert_eq(y->inputs[0]->producer->op, DLC_OP_CONV,
               "conv2 reads conv1's fused output");
  static const char *const want[] = {"BatchNormalization", "Add", "Relu"};
  assert_fused(y, 3, want);
  cr_assert_geq(y->epilogue->residual_input, 0);
  cr_assert_eq(y->epilogue->act2.kind, DLC_ACT_RELU);
  cr_assert_eq(y->epilogue->n_extra_inputs, 1);
  dlc_graph_destroy(g);
}

Test(passes, no_dropout_or_identity_survives_in_nets) {
  const char *nets[] = {"net_conv_bn_relu", "net_resnet_basic_block",
                        "net_mobilenetv2_block", "net_shufflenetv2_unit",
                        "net_spp", "net_upsample_concat", "net_se_block",
                        "net_transformer_encoder"};
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
    dlc_graph *g = load_o2(nets[i]);
    cr_expect_eq(tl_count_op(g, DLC_OP_DROPOUT) + tl_count_op(g, DLC_OP_IDENTITY),
                 0, "%s", nets[i]);
    dlc_graph_destroy(g);
  }
  dlc_graph *g = load(DIGITS "/digits.json");
  char why[1024];
  cr_assert(optimise(g, NULL, why, sizeof why), "%s", why);
  cr_expect_eq(tl_count_op(g, DLC_OP_DROPOUT), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_IDENTITY), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_BATCH_NORMALIZATION), 0);
  cr_expect_eq(tl_live_nodes(g), 5, "digits: Conv, Conv, MaxPool, Flatten, "
               "Gemm expected, got %d nodes", tl_live_nodes(g));
  dlc_graph_destroy(g);
}

Test(passes, shape_chain_folds_to_a_constant_reshape) {
  dlc_graph *g = load(FIXTURES "/shape_chain/model.json");
  char why[1024];
  cr_assert(optimise(g, "fold_constants", why, sizeof why), "%s", why);
  cr_expect_eq(tl_count_op(g, DLC_OP_SHAPE), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_GATHER), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_UNSQUEEZE), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_CONCAT), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_CONSTANT), 0);
  cr_assert_eq(tl_live_nodes(g), 1, "%d nodes left", tl_live_nodes(g));
  const dlc_node *r = g->nodes.items[0];
  cr_assert_eq(r->op, DLC_OP_RESHAPE);
  cr_assert_eq(r->inputs[1]->kind, DLC_VALUE_INITIALIZER);
  cr_assert_eq(dlc_tensor_get_int(&r->inputs[1]->type, 0), 2);
  cr_assert_eq(dlc_tensor_get_int(&r->inputs[1]->type, 1), -1);
  dlc_graph_destroy(g);
}

Test(passes, transformer_gelu_is_recognised) {
  dlc_graph *g = load(FIXTURES "/net_transformer_encoder/model.json");
  char why[1024];
  cr_assert(optimise(g, "simplify_patterns", why, sizeof why), "%s", why);
  cr_expect_eq(tl_count_op(g, DLC_OP_GELU), 1);
  cr_expect_eq(tl_count_op(g, DLC_OP_ERF), 0);
  dlc_graph_destroy(g);
  g = load_o2("net_transformer_encoder");
  cr_expect_eq(tl_count_op(g, DLC_OP_ERF), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_GELU) + tl_count_step(g, "Gelu"), 1);
  dlc_graph_destroy(g);
}

Test(passes, shufflenet_shuffle_becomes_channel_shuffle) {
  dlc_graph *g = load_o2("net_shufflenetv2_unit");
  cr_expect_eq(tl_count_op(g, DLC_OP_CHANNEL_SHUFFLE), 1);
  cr_expect_eq(tl_count_op(g, DLC_OP_TRANSPOSE), 0);
  cr_expect_eq(tl_count_op(g, DLC_OP_RESHAPE), 0);
  const dlc_node *s = dlc_graph_find_value(g, "y")->producer;
  cr_assert_eq(s->op, DLC_OP_CHANNEL_SHUFFLE);
  cr_assert_eq(dlc_node_get_int(s, "group"), 2);
  dlc_graph_destroy(g);
}

Test(passes, spp_concat_is_elided_and_the_plan_checks) {
  dlc_graph *g = load_o2("net_spp");
  const dlc_node *c = dlc_graph_find_value(g, "concat")->producer;
  cr_assert(c->elided, "SPP's Concat should be written in place");
  int64_t base = c->outputs[0]->arena_offset;
  cr_assert_geq(base, 0);
  int64_t slice = (int64_t)dlc_tensor_nbytes(&c->inputs[0]->type);
  cr_assert_eq(slice * 4, (int64_t)dlc_tensor_nbytes(&c->outputs[0]->type));
  for (int k = 0; k < c->n_inputs; k++)
    cr_expect_eq(c->inputs[k]->arena_offset, base + k * slice,
                 "input %d of the Concat at %lld, want %lld", k,
                 (long long)c->inputs[k]->arena_offset,
                 (long long)(base + k * slice));
  dlc_graph_destroy(g);
  g = load_o2("net_upsample_concat");
  c = dlc_graph_find_value(g, "concat")->producer;
  cr_expect(!c->elided, "a Concat of a graph input cannot be elided");
  dlc_graph_destroy(g);
}

/* The figures of docs/passes.md. */
Test(passes, arena_within_110_percent_of_the_lower_bound_on_every_net) {
  const char *nets[] = {"net_conv_bn_relu", "net_resnet_basic_block",
                        "net_mobilenetv2_block", "net_shufflenetv2_unit",
                        "net_spp", "net_upsample_concat", "net_se_block",
                        "net_transformer_encoder", NULL};
  for (int i = 0; i < 9; i++) {
    char path[1024];
    if (nets[i])
      snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, nets[i]);
    else
      snprintf(path, sizeof path, "%s", DIGITS "/digits.json");
    dlc_graph *g = load(path);
    int before = tl_live_nodes(g);
    char why[1024];
    cr_assert(optimise(g, NULL, why, sizeof why), "%s", why);
    dlc_plan_stats s;
    dlc_plan_stats_compute(g, last_sched, &s);
    const char *name = nets[i] ? nets[i] : "digits (N=1)";
    cr_log_info("| %s | %d | %d | %lld | %lld | %lld | %lld |", name, before,
                s.nodes, (long long)s.arena_bytes,
                (long long)s.arena_lower_bound_bytes,
                (long long)s.naive_bytes, (long long)s.weights_bytes);
    printf("PLAN | %s | %d | %d | %lld | %lld | %lld | %lld |\n", name, before,
           s.nodes, (long long)s.arena_bytes,
           (long long)s.arena_lower_bound_bytes, (long long)s.naive_bytes,
           (long long)s.weights_bytes);
    cr_expect_leq((double)s.arena_bytes, 1.10 * (double)s.arena_lower_bound_bytes,
                  "%s: arena %lld > 1.10 x lower bound %lld", name,
                  (long long)s.arena_bytes,
                  (long long)s.arena_lower_bound_bytes);
    cr_expect_leq(s.nodes, before, "%s", name);
    dlc_graph_destroy(g);
  }
}

/* -------------------------------------------------------- synthetic graphs */

/* Deterministic pseudo-random floats in [lo, hi). */
static void fill(float *x, int64_t n, unsigned seed, float lo, float hi) {
  uint32_t s = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float)(s >> 8) / (float)(1u << 24);
  }
}

static dlc_tensor f32_type(int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  return t;
}

static void sg_input(dlc_graph *g, const char *name, int rank,
                     const int64_t *dims) {
  dlc_tensor t = f32_type(rank, dims);
  cr_assert_not_null(dlc_graph_add_input(g, name, &t));
}

/* A random float32 initializer in [lo, hi). */
static void sg_const(dlc_graph *g, const char *name, int rank,
                     const int64_t *dims, float lo, float hi) {
  dlc_tensor t = f32_type(rank, dims);
  int64_t n = dlc_tensor_numel(&t);
  float *x = malloc(sizeof *x * (size_t)(n ? n : 1));
  fill(x, n, (unsigned)strlen(name) * 31u + (unsigned)n, lo, hi);
  cr_assert_not_null(dlc_graph_add_initializer(g, name, &t, x));
  free(x);
}

static void sg_scalar(dlc_graph *g, const char *name, float v) {
  dlc_tensor t = f32_type(0, NULL);
  cr_assert_not_null(dlc_graph_add_initializer(g, name, &t, &v));
}

/* Node `name` of op reading the named values ("" = omitted), producing one
 * value called out. */
static dlc_node *sg_node(dlc_graph *g, dlc_op op, const char *name,
                         const char *out, int n_in, const char *const *in) {
  dlc_value *ins[8];
  for (int i = 0; i < n_in; i++) {
    ins[i] = in[i][0] ? dlc_graph_find_value(g, in[i]) : NULL;
    cr_assert(!in[i][0] || ins[i], "no value '%s'", in[i]);
  }
  dlc_value *o = dlc_graph_add_value(g, out, DLC_VALUE_NODE);
  cr_assert_not_null(o);
  return dlc_graph_add_node(g, name, op, n_in, ins, 1, &o);
}

#define NODE(g, op, name, out, ...)                                            \
  sg_node(g, op, name, out,                                                    \
          (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),       \
          (const char *[]){__VA_ARGS__})

static dlc_node *sg_conv(dlc_graph *g, const char *name, const char *out,
                         const char *x, const char *w, const char *b, int pad) {
  dlc_node *n = b ? NODE(g, DLC_OP_CONV, name, out, x, w, b)
                  : NODE(g, DLC_OP_CONV, name, out, x, w);
  int64_t pads[4] = {pad, pad, pad, pad};
  dlc_node_set_ints(g, n, "pads", pads, 4);
  return n;
}

static void sg_finish(dlc_graph *g, const char *out) {
  dlc_value *y = dlc_graph_find_value(g, out);
  y->is_output = true;
  dlc_vec_push(&g->outputs, y);
  dlc_diag d;
  dlc_diag_init(&d, "synthetic");
  dlc_status st = dlc_graph_sort(g, &d);
  if (st == DLC_OK)
    st = dlc_graph_infer_shapes(g, NULL, 0, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK);
}

/* Builds the graph twice (build is deterministic), optimises one copy with
 * pass (NULL: -O2) and compares the interpreter's outputs on random inputs
 * within 1e-5 + 1e-4 relative. Returns the optimised graph. */
static dlc_graph *sg_check(void (*build)(dlc_graph *), const char *pass) {
  dlc_graph *ref = dlc_graph_create(), *opt = dlc_graph_create();
  build(ref);
  build(opt);
  char why[1024] = "";
  cr_assert(optimise(opt, pass, why, sizeof why), "%s", why);
  dlc_tensor ins[4];
  float *data[4];
  for (size_t i = 0; i < ref->inputs.n; i++) {
    ins[i] = ref->inputs.items[i]->type;
    int64_t n = dlc_tensor_numel(&ins[i]);
    data[i] = malloc(sizeof(float) * (size_t)n);
    fill(data[i], n, 7u + (unsigned)i, -3.0f, 3.0f);
    ins[i].data = data[i];
  }
  tl_outputs want, got;
  int n_in = (int)ref->inputs.n;
  cr_assert(tl_run(ref, ins, n_in, &want, why, sizeof why), "%s", why);
  cr_assert(tl_run(opt, ins, n_in, &got, why, sizeof why), "%s", why);
  cr_assert(tl_compare(&got, &want, 1e-5, 1e-4, why, sizeof why), "%s", why);
  tl_outputs_free(&got);
  tl_outputs_free(&want);
  for (int i = 0; i < n_in; i++)
    free(data[i]);
  dlc_graph_destroy(ref);
  return opt;
}

static const int64_t x8[4] = {1, 8, 16, 16}, w8[4] = {8, 8, 3, 3};
static const int64_t c8[1] = {8}, w8x1[4] = {8, 8, 1, 1};

/* x -> 10 x Conv 3x3 (8 -> 8 channels, same size) -> y */
static void build_conv_chain(dlc_graph *g) {
  sg_input(g, "x", 4, x8);
  char prev[32] = "x";
  for (int i = 0; i < 10; i++) {
    char w[32], out[32], name[32];
    snprintf(w, sizeof w, "w%d", i);
    snprintf(name, sizeof name, "conv%d", i);
    snprintf(out, sizeof out, i == 9 ? "y" : "t%d", i);
    sg_const(g, w, 4, w8, -0.2f, 0.2f);
    sg_conv(g, name, out, prev, w, NULL, 1);
    snprintf(prev, sizeof prev, "%s", out);
  }
  sg_finish(g, "y");
}

Test(passes, chain_of_ten_equal_convs_needs_two_buffers) {
  dlc_graph *g = sg_check(build_conv_chain, NULL);
  int64_t one = 8 * 16 * 16 * 4, scratch = peak_scratch();
  /* two activation buffers, plus one scratch region every conv reuses */
  cr_assert_eq(g->arena_bytes, 2 * one + scratch, "arena %lld, want %lld",
               (long long)g->arena_bytes, (long long)(2 * one + scratch));
  cr_assert_eq(dlc_plan_lower_bound(g, NULL), 2 * one);
  cr_assert_eq(dlc_plan_naive_bytes(g, NULL), 9 * one);
  dlc_diag d;
  dlc_diag_init(&d, "plan");
  cr_assert_eq(dlc_plan_check(g, last_sched, &d), DLC_OK);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

/* x -> Conv -> a -> Relu -> b -> Conv -> y: Relu may overwrite a. */
static void build_conv_relu_conv(dlc_graph *g) {
  sg_input(g, "x", 4, x8);
  sg_const(g, "w1", 4, w8, -0.2f, 0.2f);
  sg_const(g, "w2", 4, w8, -0.2f, 0.2f);
  sg_conv(g, "c1", "a", "x", "w1", NULL, 1);
  NODE(g, DLC_OP_RELU, "r", "b", "a");
  sg_conv(g, "c2", "y", "b", "w2", NULL, 1);
  sg_finish(g, "y");
}

Test(passes, relu_runs_in_place_when_its_input_dies) {
  dlc_graph *g = sg_check(build_conv_relu_conv, "plan_memory");
  cr_assert_eq(dlc_graph_find_value(g, "a")->arena_offset,
               dlc_graph_find_value(g, "b")->arena_offset);
  cr_assert_eq(g->arena_bytes, 8 * 16 * 16 * 4 + peak_scratch());
  dlc_diag d;
  dlc_diag_init(&d, "plan");
  cr_assert_eq(dlc_plan_check(g, last_sched, &d), DLC_OK);
  /* The checker catches a plan that breaks the rule. */
  dlc_graph_find_value(g, "b")->producer->op = DLC_OP_CONV;
  cr_assert_neq(dlc_plan_check(g, last_sched, &d), DLC_OK);
  cr_assert(dlc_diag_contains(&d, "overlap"));
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

/* Gemm (transB) -> BN; MatMul + Add -> BN; MatMul -> BN. */
static void build_gemm_bn(dlc_graph *g, int variant) {
  int64_t xd[2] = {3, 5}, wt[2] = {4, 5}, w[2] = {5, 4}, c4[1] = {4};
  sg_input(g, "x", 2, xd);
  sg_const(g, "wt", 2, wt, -1, 1);
  sg_const(g, "w", 2, w, -1, 1);
  sg_const(g, "b", 1, c4, -1, 1);
  const char *bn_in = "h";
  if (variant == 0) {
    dlc_node *n = NODE(g, DLC_OP_GEMM, "fc", "h", "x", "wt", "b");
    dlc_node_set_int(g, n, "transB", 1);
    dlc_node_set_float(g, n, "beta", 0.5);
  } else if (variant == 1) {
    NODE(g, DLC_OP_MAT_MUL, "mm", "m", "x", "w");
    NODE(g, DLC_OP_ADD, "add", "h", "b", "m");
  } else {
    NODE(g, DLC_OP_MAT_MUL, "mm", "h", "x", "w");
  }
  sg_const(g, "s", 1, c4, 0.5f, 1.5f);
  sg_const(g, "o", 1, c4, -1, 1);
  sg_const(g, "mu", 1, c4, -1, 1);
  sg_const(g, "var", 1, c4, 0.1f, 2);
  NODE(g, DLC_OP_BATCH_NORMALIZATION, "bn", "y", bn_in, "s", "o", "mu", "var");
  sg_finish(g, "y");
}
static void build_gemm_bn0(dlc_graph *g) { build_gemm_bn(g, 0); }
static void build_gemm_bn1(dlc_graph *g) { build_gemm_bn(g, 1); }
static void build_gemm_bn2(dlc_graph *g) { build_gemm_bn(g, 2); }

Test(passes, batchnorm_folds_into_gemm_and_matmul) {
  void (*builds[3])(dlc_graph *) = {build_gemm_bn0, build_gemm_bn1,
                                    build_gemm_bn2};
  for (int i = 0; i < 3; i++) {
    dlc_graph *g = sg_check(builds[i], "fold_batchnorm");
    cr_assert_eq(tl_live_nodes(g), 1, "variant %d: %d nodes", i,
                 tl_live_nodes(g));
    const dlc_node *n = dlc_graph_find_value(g, "y")->producer;
    cr_assert_eq(n->op, DLC_OP_GEMM, "variant %d", i);
    cr_assert_str_eq(n->epilogue->fused[n->epilogue->n_fused - 1],
                     "BatchNormalization");
    dlc_graph_destroy(g);
  }
}

/* x -> BN -> Conv (pad p): a lone BN, absorbed by a Conv without padding. */
static void build_bn_conv(dlc_graph *g, int pad) {
  sg_input(g, "x", 4, x8);
  sg_const(g, "s", 1, c8, 0.5f, 1.5f);
  sg_const(g, "o", 1, c8, -1, 1);
  sg_const(g, "mu", 1, c8, -1, 1);
  sg_const(g, "var", 1, c8, 0.1f, 2);
  sg_const(g, "w", 4, pad ? w8 : w8x1, -0.3f, 0.3f);
  sg_const(g, "b", 1, c8, -1, 1);
  NODE(g, DLC_OP_BATCH_NORMALIZATION, "bn", "z", "x", "s", "o", "mu", "var");
  sg_conv(g, "conv", "y", "z", "w", "b", pad);
  sg_finish(g, "y");
}
static void build_bn_conv1x1(dlc_graph *g) { build_bn_conv(g, 0); }
static void build_bn_conv3x3(dlc_graph *g) { build_bn_conv(g, 1); }

Test(passes, lone_batchnorm_is_absorbed_by_a_following_unpadded_conv) {
  dlc_graph *g = sg_check(build_bn_conv1x1, "fold_batchnorm");
  cr_assert_eq(tl_live_nodes(g), 1);
  cr_assert_eq(tl_count_op(g, DLC_OP_CONV), 1);
  dlc_graph_destroy(g);
  g = sg_check(build_bn_conv3x3, "fold_batchnorm");
  cr_assert_eq(tl_count_op(g, DLC_OP_SCALE_SHIFT), 1,
               "padding sees zeros, not the shift: ScaleShift stays");
  cr_assert_eq(tl_count_op(g, DLC_OP_BATCH_NORMALIZATION), 0);
  dlc_graph_destroy(g);
}

/* The association orders of x * 0.5 * (1 + erf(x / sqrt 2)). */
static void build_gelu(dlc_graph *g, int variant) {
  int64_t d[2] = {4, 6};
  sg_input(g, "x", 2, d);
  sg_scalar(g, "sqrt2", sqrtf(2.0f));
  sg_scalar(g, "rsqrt2", sqrtf(0.5f));
  sg_scalar(g, "one", 1.0f);
  sg_scalar(g, "half", 0.5f);
  if (variant == 3)
    NODE(g, DLC_OP_MUL, "scale", "u", "rsqrt2", "x");
  else
    NODE(g, DLC_OP_DIV, "div", "u", "x", "sqrt2");
  NODE(g, DLC_OP_ERF, "erf", "e", "u");
  NODE(g, DLC_OP_ADD, "add", "p", "one", "e");
  if (variant == 0 || variant == 3) { /* (x * p) * 0.5 */
    NODE(g, DLC_OP_MUL, "m1", "q", "x", "p");
    NODE(g, DLC_OP_MUL, "m2", "y", "q", "half");
  } else if (variant == 1) { /* x * (p * 0.5) */
    NODE(g, DLC_OP_MUL, "m1", "q", "p", "half");
    NODE(g, DLC_OP_MUL, "m2", "y", "x", "q");
  } else { /* (x * 0.5) * p */
    NODE(g, DLC_OP_MUL, "m0", "h", "half", "x");
    NODE(g, DLC_OP_MUL, "m1", "y", "p", "h");
  }
  sg_finish(g, "y");
}
static void build_gelu0(dlc_graph *g) { build_gelu(g, 0); }
static void build_gelu1(dlc_graph *g) { build_gelu(g, 1); }
static void build_gelu2(dlc_graph *g) { build_gelu(g, 2); }
static void build_gelu3(dlc_graph *g) { build_gelu(g, 3); }

Test(passes, gelu_is_recognised_in_every_association_order) {
  void (*builds[4])(dlc_graph *) = {build_gelu0, build_gelu1, build_gelu2,
                                    build_gelu3};
  for (int i = 0; i < 4; i++) {
    dlc_graph *g = sg_check(builds[i], "simplify_patterns");
    cr_assert_eq(tl_live_nodes(g), 1, "variant %d: %d nodes", i,
                 tl_live_nodes(g));
    cr_assert_eq(tl_count_op(g, DLC_OP_GELU), 1, "variant %d", i);
    dlc_graph_destroy(g);
  }
}

/* Conv -> x * sigmoid(x); Conv -> PRelu; Conv -> Clip(0, 6) -> Add -> Relu */
static void build_activations(dlc_graph *g) {
  int64_t slope_d[3] = {8, 1, 1};
  sg_input(g, "x", 4, x8);
  sg_const(g, "w1", 4, w8, -0.2f, 0.2f);
  sg_const(g, "w2", 4, w8, -0.2f, 0.2f);
  sg_const(g, "w3", 4, w8, -0.2f, 0.2f);
  sg_const(g, "slope", 3, slope_d, 0.05f, 0.3f);
  sg_scalar(g, "zero", 0.0f);
  sg_scalar(g, "six", 6.0f);
  sg_conv(g, "c1", "a", "x", "w1", NULL, 1);
  NODE(g, DLC_OP_SIGMOID, "sig", "s", "a");
  NODE(g, DLC_OP_MUL, "silu", "b", "s", "a");
  sg_conv(g, "c2", "c", "b", "w2", NULL, 1);
  NODE(g, DLC_OP_PRELU, "prelu", "d", "c", "slope");
  sg_conv(g, "c3", "e", "d", "w3", NULL, 1);
  NODE(g, DLC_OP_CLIP, "relu6", "f", "e", "zero", "six");
  NODE(g, DLC_OP_ADD, "res", "r", "b", "f");
  NODE(g, DLC_OP_RELU, "relu", "y", "r");
  sg_finish(g, "y");
}

Test(passes, silu_prelu_clip_residual_relu_fuse_into_convs) {
  dlc_graph *g = sg_check(build_activations, NULL);
  cr_assert_eq(tl_live_nodes(g), 3, "%d nodes", tl_live_nodes(g));
  cr_assert_eq(dlc_graph_find_value(g, "b")->producer->epilogue->act1.kind,
               DLC_ACT_SILU);
  cr_assert_eq(dlc_graph_find_value(g, "d")->producer->epilogue->act1.kind,
               DLC_ACT_PRELU);
  const dlc_node *y = dlc_graph_find_value(g, "y")->producer;
  static const char *const want[] = {"Clip", "Add", "Relu"};
  assert_fused(y, 3, want);
  cr_assert_float_eq(y->epilogue->act1.beta, 6.0f, 0);
  dlc_graph_destroy(g);
}

/* x -> Add(bias) -> Relu -> Mul(gate [1,8,1,1]) -> Sigmoid -> y */
static void build_elementwise(dlc_graph *g) {
  int64_t gd[4] = {1, 8, 1, 1}, bd[3] = {8, 1, 1};
  sg_input(g, "x", 4, x8);
  sg_input(g, "gate", 4, gd);
  sg_const(g, "bias", 3, bd, -1, 1);
  NODE(g, DLC_OP_ADD, "add", "a", "x", "bias");
  NODE(g, DLC_OP_RELU, "relu", "b", "a");
  NODE(g, DLC_OP_MUL, "mul", "c", "gate", "b");
  NODE(g, DLC_OP_SIGMOID, "sig", "y", "c");
  sg_finish(g, "y");
}

Test(passes, elementwise_chain_becomes_one_fused_loop) {
  dlc_graph *g = sg_check(build_elementwise, NULL);
  cr_assert_eq(tl_live_nodes(g), 1, "%d nodes", tl_live_nodes(g));
  const dlc_node *n = g->nodes.items[0];
  cr_assert_eq(n->op, DLC_OP_FUSED_ELEMENTWISE);
  cr_assert_eq(tl_count_step(g, "Add") + tl_count_step(g, "Relu") +
                   tl_count_step(g, "Mul") + tl_count_step(g, "Sigmoid"),
               4);
  cr_assert_eq(n->n_inputs, 3, "x, bias, gate");
  dlc_graph_destroy(g);
}

/* x -> Conv -> Dropout -> y (graph output): the Conv produces y. */
static void build_conv_dropout(dlc_graph *g) {
  sg_input(g, "x", 4, x8);
  sg_const(g, "w", 4, w8, -0.2f, 0.2f);
  sg_conv(g, "c", "a", "x", "w", NULL, 1);
  NODE(g, DLC_OP_DROPOUT, "drop", "y", "a");
  sg_finish(g, "y");
}

Test(passes, dropout_before_a_graph_output_hands_the_output_to_its_producer) {
  dlc_graph *g = sg_check(build_conv_dropout, "eliminate_noops");
  cr_assert_eq(tl_live_nodes(g), 1);
  cr_assert_eq(dlc_graph_find_value(g, "y")->producer->op, DLC_OP_CONV);
  dlc_graph_destroy(g);
}

/* ---------------------------------------------------------- the manager */

Test(passes, registry_and_options) {
  /* six graph passes; the memory plan belongs to the schedule stage */
  cr_assert_geq(dlc_passes_count(), 6);
  for (int i = 0; i < dlc_passes_count(); i++) {
    cr_assert(dlc_pass_exists(dlc_pass_name(i)));
    cr_assert_gt(strlen(dlc_pass_summary(i)), 10);
  }
  cr_assert(!dlc_pass_exists("fold_everything"));
  dlc_graph *g = dlc_graph_create();
  build_gemm_bn0(g);
  const char *bad[] = {"fold_everything"};
  dlc_pass_options o = {.opt_level = 2, .disabled = bad, .n_disabled = 1};
  dlc_diag d;
  dlc_diag_init(&d, "t");
  cr_assert_eq(dlc_passes_run(g, &o, &d), DLC_ERR_INVALID);
  cr_assert(dlc_diag_contains(&d, "unknown pass 'fold_everything'"));
  /* -O0 runs nothing; a disabled pass is skipped; dumps go to dump_to. */
  o = (dlc_pass_options){.opt_level = 0};
  cr_assert_eq(dlc_passes_run(g, &o, &d), DLC_OK);
  cr_assert_eq(tl_count_op(g, DLC_OP_BATCH_NORMALIZATION), 1);
  const char *off[] = {"fold_batchnorm"};
  FILE *dump = tmpfile();
  o = (dlc_pass_options){.opt_level = 2, .disabled = off, .n_disabled = 1,
                         .dump_after = "all", .dump_to = dump,
                         .verify_each = true};
  /* the driver runs the passes, then the schedule stage's planner */
  dlc_driver_options dopt;
  dlc_driver_options_init(&dopt);
  dopt.passes = o;
  dlc_schedule *sched = NULL;
  bool fixed;
  cr_assert_eq(dlc_driver_schedule(g, &dopt, &sched, &fixed, &d), DLC_OK);
  dlc_schedule_destroy(sched);
  cr_assert_eq(tl_count_op(g, DLC_OP_BATCH_NORMALIZATION), 1);
  cr_assert(g->memory_planned);
  long size = ftell(dump);
  rewind(dump);
  char *text = calloc(1, (size_t)size + 1);
  cr_assert_eq(fread(text, 1, (size_t)size, dump), (size_t)size);
  cr_assert(strstr(text, "IR after fold_constants"));
  cr_assert(strstr(text, "IR after plan_memory"));
  cr_assert(!strstr(text, "IR after fold_batchnorm"));
  free(text);
  fclose(dump);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}
