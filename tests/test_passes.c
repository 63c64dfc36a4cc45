/* test_passes.c — the optimisation passes against the interpreter.
 *
 * Property: for every fixture model (tests/fixtures/index.json) and the
 * digits example, each pass run alone after the frontend, and the whole -O2
 * pipeline, leave the interpreter's outputs equal to the unoptimised graph's
 * within the case's tolerance (|got - want| <= atol + rtol*|want|), with
 * verify_each on; at -O2 the memory plan passes dlc_plan_check and the arena
 * is within 1.10x of the lower bound. Structural tests check that each pass
 * changed what it should (fusions, folds, recognised patterns, arena size).
 * Synthetic graphs for the cases the fixtures do not cover live in
 * test_passes_synthetic.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "frontend/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "passes/passes.h"
#include "passes_testlib.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define DIGITS DLC_SOURCE_DIR "/examples/digits"

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
static bool optimise(dlc_graph *g, const char *name, char *why, size_t size) {
  dlc_pass_options o = {.opt_level = 2, .verify_each = true};
  dlc_diag d;
  dlc_diag_init(&d, "passes");
  dlc_status st = name ? dlc_passes_run_one(g, name, &o, &d)
                       : dlc_passes_run(g, &o, &d);
  if (st != DLC_OK)
    snprintf(why, size, "%s", d.messages.n ? d.messages.items[0] : "failed");
  dlc_diag_free(&d);
  return st == DLC_OK;
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
    ok = dlc_plan_check(opt, &d) == DLC_OK;
    if (!ok)
      snprintf(why, size, "plan_check: %s", d.messages.items[0]);
    dlc_diag_free(&d);
  }
  tl_outputs_free(&want);
  dlc_graph_destroy(ref);
  dlc_graph_destroy(opt);
  return ok;
}

Test(passes, every_pass_alone_and_O2_keep_every_fixture_output) {
  static fcase cases[128];
  int n = load_cases(cases, 128), failed = 0, runs = 0;
  int np = dlc_passes_count();
  cr_assert_geq(n, 90, "only %d cases", n);
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
  cr_assert_eq(failed, 0, "%d of %d (case, pass) runs changed the outputs",
               failed, runs);
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
  int64_t slice = 16 * 13 * 13 * 4;
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
    dlc_pass_stats s;
    dlc_passes_stats(g, &s);
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
