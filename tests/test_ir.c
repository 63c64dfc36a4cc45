/* test_ir.c — the core IR: graph building, name lookup, topological sort
 * (including a 200,000-node chain and cycle reports), shape inference with
 * symbolic dims and constant propagation, verifier, printer, broadcasting,
 * deep copies. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "helpers.h"
#include "interp/interp.h"
#include "ir/ops_impl.h"

static dlc_value *node_out(dlc_graph *g, const char *name) {
  return dlc_graph_add_value(g, name, DLC_VALUE_NODE);
}

Test(ir, values_are_found_by_name_and_defined_once) {
  dlc_graph *g = dlc_graph_create();
  int64_t dims[2] = {2, 3};
  dlc_tensor t = th_f32(NULL, 2, dims);
  dlc_value *x = dlc_graph_add_input(g, "x", &t);
  cr_assert_not_null(x);
  cr_assert_eq(dlc_graph_find_value(g, "x"), x);
  cr_assert_null(dlc_graph_find_value(g, "y"));
  cr_assert_null(dlc_graph_add_value(g, "x", DLC_VALUE_NODE),
                 "a second definition of 'x' must be refused");
  for (int i = 0; i < 1000; i++) { /* forces the index to grow */
    char name[32];
    snprintf(name, sizeof name, "v%d", i);
    cr_assert_not_null(dlc_graph_add_value(g, name, DLC_VALUE_NODE));
  }
  cr_assert_str_eq(dlc_graph_find_value(g, "v777")->name, "v777");
  dlc_graph_destroy(g);
}

/* x -> Relu -> Relu -> ... (n nodes), added in reverse order so that the
 * sort has real work to do. */
static dlc_graph *relu_chain(int n) {
  dlc_graph *g = dlc_graph_create();
  int64_t dims[1] = {4};
  dlc_tensor t = th_f32(NULL, 1, dims);
  dlc_value **vals = malloc(sizeof *vals * (size_t)(n + 1));
  vals[0] = dlc_graph_add_input(g, "x", &t);
  for (int i = 1; i <= n; i++) {
    char name[32];
    snprintf(name, sizeof name, "v%d", i);
    vals[i] = node_out(g, name);
  }
  for (int i = n; i >= 1; i--) {
    char name[32];
    snprintf(name, sizeof name, "relu%d", i);
    dlc_graph_add_node(g, name, DLC_OP_RELU, 1, &vals[i - 1], 1, &vals[i]);
  }
  dlc_vec_push(&g->outputs, vals[n]);
  free(vals);
  return g;
}

Test(ir, sorts_a_200000_node_chain_without_recursion) {
  const int n = 200000;
  dlc_graph *g = relu_chain(n);
  dlc_diag d;
  dlc_diag_init(&d, "chain");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  cr_assert_eq(g->nodes.n, (size_t)n);
  for (int i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "relu%d", i + 1);
    if (strcmp(g->nodes.items[i]->name, name) != 0)
      cr_assert_fail("position %d: got %s, want %s", i,
                     g->nodes.items[i]->name, name);
  }
  cr_assert_eq(dlc_graph_infer_shapes(g, NULL, 0, &d), DLC_OK);
  cr_assert_eq(dlc_graph_verify(g, &d), DLC_OK);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

Test(ir, reports_a_cycle_naming_its_nodes) {
  dlc_graph *g = dlc_graph_create();
  int64_t dims[1] = {4};
  dlc_tensor t = th_f32(NULL, 1, dims);
  dlc_value *x = dlc_graph_add_input(g, "x", &t);
  dlc_value *a = node_out(g, "a"), *b = node_out(g, "b"), *c = node_out(g, "c");
  dlc_value *ins1[2] = {x, c};
  dlc_graph_add_node(g, "add1", DLC_OP_ADD, 2, ins1, 1, &a);
  dlc_graph_add_node(g, "relu2", DLC_OP_RELU, 1, &a, 1, &b);
  dlc_graph_add_node(g, "relu3", DLC_OP_RELU, 1, &b, 1, &c);
  dlc_diag d;
  dlc_diag_init(&d, "cyc.json");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_ERR_INVALID);
  cr_assert_eq(dlc_diag_count(&d), 1);
  const char *msg = d.messages.items[0];
  cr_assert(strstr(msg, "cycle") && strstr(msg, "'add1'") &&
                strstr(msg, "'relu2'") && strstr(msg, "'relu3'"),
            "message: %s", msg);
  cr_assert(strncmp(msg, "cyc.json: node '", 16) == 0, "message: %s", msg);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

Test(ir, diag_lines_name_file_and_place) {
  dlc_diag d;
  dlc_diag_init(&d, "m.json");
  dlc_diag_error(&d, "nodes[3].attrs.strides", "expected %s", "a list");
  dlc_diag_error(&d, NULL, "cannot read");
  cr_assert_str_eq(d.messages.items[0],
                   "m.json: nodes[3].attrs.strides: expected a list");
  cr_assert_str_eq(d.messages.items[1], "m.json: cannot read");
  cr_assert(dlc_diag_contains(&d, "strides"));
  cr_assert_not(dlc_diag_contains(&d, "pads"));
  dlc_diag_free(&d);
}

Test(ir, broadcasting_follows_numpy) {
  int64_t da[3] = {2, 1, 4}, db[2] = {3, 1}, dc[2] = {3, 2};
  dlc_tensor a = th_f32(NULL, 3, da), b = th_f32(NULL, 2, db), out;
  dlc_tensor c = th_f32(NULL, 2, dc);
  cr_assert(dlc_broadcast_shape(&a, &b, &out));
  cr_assert_eq(out.rank, 3);
  cr_assert(out.dims[0] == 2 && out.dims[1] == 3 && out.dims[2] == 4);
  /* out index (1, 2, 3) = 1*12 + 2*4 + 3 = 23 maps to a (1, 0, 3) = 7 and
   * b (2, 0) = 2 */
  cr_assert_eq(dlc_broadcast_index(&a, &out, 23), 7);
  cr_assert_eq(dlc_broadcast_index(&b, &out, 23), 2);
  cr_assert_not(dlc_broadcast_shape(&a, &c, &out), "4 vs 2 must not broadcast");
}

Test(ir, numel_overflow_is_detected) {
  int64_t dims[3] = {INT64_MAX / 2, 3, 1};
  dlc_tensor t = th_f32(NULL, 3, dims);
  cr_assert_eq(dlc_tensor_numel(&t), -1);
}

Test(ir, symbolic_dims_bind_and_print) {
  dlc_graph *g = relu_chain(2);
  dlc_value *x = g->inputs.items[0];
  x->sym[0] = "N";
  dlc_diag d;
  dlc_diag_init(&d, "sym");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  dlc_dim_binding bind = {"N", 7};
  cr_assert_eq(dlc_graph_infer_shapes(g, &bind, 1, &d), DLC_OK);
  cr_assert_eq(g->outputs.items[0]->type.dims[0], 7);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  dlc_graph_print(g, f);
  fclose(f);
  cr_assert(strstr(buf, "input  %x : float32 [N=7]") != NULL, "%s", buf);
  cr_assert(strstr(buf, "= Relu(%x)") != NULL, "%s", buf);
  cr_assert(strstr(buf, "output %v2") != NULL, "%s", buf);
  free(buf);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

Test(ir, verifier_reports_every_problem) {
  dlc_graph *g = dlc_graph_create();
  int64_t dims[1] = {4};
  dlc_tensor t = th_f32(NULL, 1, dims);
  dlc_value *x = dlc_graph_add_input(g, "x", &t);
  dlc_value *y = node_out(g, "y");
  dlc_node *n = dlc_graph_add_node(g, "r", DLC_OP_RELU, 1, &x, 1, &y);
  dlc_node_set_int(g, n, "bogus", 1); /* unknown attribute */
  dlc_diag d;
  dlc_diag_init(&d, "v");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  /* no shape inference: y untyped; and no outputs */
  cr_assert_eq(dlc_graph_verify(g, &d), DLC_ERR_INVALID);
  cr_assert(dlc_diag_contains(&d, "unknown attribute 'bogus'"));
  cr_assert(dlc_diag_contains(&d, "output 'y' has no inferred type"));
  cr_assert(dlc_diag_contains(&d, "the graph has no outputs"));
  cr_assert_eq(dlc_diag_count(&d), 3);
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
}

Test(ir, attribute_defaults_come_from_the_table) {
  dlc_graph *g = dlc_graph_create();
  int64_t dims[1] = {4};
  dlc_tensor t = th_f32(NULL, 1, dims);
  dlc_value *x = dlc_graph_add_input(g, "x", &t);
  dlc_value *y = node_out(g, "y");
  dlc_node *n = dlc_graph_add_node(g, "lr", DLC_OP_LEAKY_RELU, 1, &x, 1, &y);
  cr_assert_float_eq(dlc_node_get_float(n, "alpha"), 0.01, 1e-12,
                     "ONNX LeakyRelu alpha defaults to 0.01");
  dlc_node_set_float(g, n, "alpha", 0.5);
  cr_assert_float_eq(dlc_node_get_float(n, "alpha"), 0.5, 1e-12);
  dlc_graph_destroy(g);
}

Test(ir, string_set_finds_duplicates_across_growth) {
  dlc_strset set = {0};
  static char names[500][16];
  for (int i = 0; i < 500; i++) {
    snprintf(names[i], sizeof names[i], "n%d", i);
    cr_assert(dlc_strset_add(&set, names[i]), "'%s' is new", names[i]);
  }
  cr_assert_eq(set.count, 500);
  char again[16];
  snprintf(again, sizeof again, "n%d", 317); /* equal text, other pointer */
  cr_assert_not(dlc_strset_add(&set, again), "n317 is a duplicate");
  cr_assert(dlc_strset_add(&set, "n500"));
  dlc_strset_free(&set);
  cr_assert_null(set.slots);
}

static char *print_to_string(const dlc_graph *g) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  dlc_graph_print(g, f);
  fclose(f);
  return buf;
}

/* The clone prints exactly as the source (every value, attribute, constant
 * and epilogue), shares nothing with it (it survives the source) and
 * computes the same outputs. */
Test(ir, graph_clone_is_a_deep_copy) {
  dlc_graph *g = NULL;
  dlc_diag d;
  dlc_diag_init(&d, "clone");
  cr_assert_eq(dlc_frontend_load(DLC_SOURCE_DIR
                                 "/tests/fixtures/net_resnet_basic_block/"
                                 "model.json",
                                 &g, &d),
               DLC_OK);
  dlc_pass_options po = {.opt_level = 2};
  cr_assert_eq(dlc_passes_run(g, &po, &d), DLC_OK); /* epilogues, constants */
  dlc_graph *c = dlc_graph_clone(g);
  char *want = print_to_string(g);
  cr_assert(strstr(want, "epilogue{") != NULL, "no epilogue to copy:\n%s", want);
  int64_t dims[4] = {1, 8, 16, 16};
  float *x = calloc(8 * 16 * 16, sizeof *x);
  for (int i = 0; i < 8 * 16 * 16; i++)
    x[i] = (float)((i * 37) % 11) - 5.0f;
  dlc_tensor in = th_f32(x, 4, dims), a[1] = {0}, b[1] = {0};
  cr_assert_eq(dlc_interp_run(g, DLC_ENGINE_INTERP, &in, 1, a, &d), DLC_OK);
  dlc_graph_destroy(g);
  char *got = print_to_string(c);
  cr_assert_str_eq(got, want);
  cr_assert_eq(dlc_interp_run(c, DLC_ENGINE_INTERP, &in, 1, b, &d), DLC_OK);
  int64_t n = dlc_tensor_numel(&a[0]);
  cr_assert_eq(n, dlc_tensor_numel(&b[0]));
  cr_assert_eq(memcmp(a[0].data, b[0].data, (size_t)n * 4), 0,
               "the clone computes different outputs");
  dlc_interp_free_tensors(a, 1);
  dlc_interp_free_tensors(b, 1);
  free(x);
  free(want);
  free(got);
  dlc_graph_destroy(c);
  dlc_diag_free(&d);
}

/* The view column names exactly the ops that only rename their input (the
 * memory planner aliases them, eliminate_noops drops them when the shape is
 * unchanged); a view moves no data and produces one value from input 0. */
Test(ir, view_column_names_the_renaming_ops) {
  const dlc_op views[] = {DLC_OP_IDENTITY, DLC_OP_DROPOUT,  DLC_OP_FLATTEN,
                          DLC_OP_RESHAPE,  DLC_OP_SQUEEZE, DLC_OP_UNSQUEEZE};
  int n_views = 0;
  for (int op = 0; op < DLC_OP_COUNT_; op++) {
    if (!dlc_op_is_view((dlc_op)op))
      continue;
    n_views++;
    bool listed = false;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
      listed |= views[i] == op;
    cr_expect(listed, "%s is marked a view", dlc_op_name((dlc_op)op));
    cr_expect(dlc_op_get_info((dlc_op)op)->flags & DLC_OPF_SHAPE_ONLY,
              "view %s must be shape-only", dlc_op_name((dlc_op)op));
  }
  cr_expect_eq(n_views, 6);
}
