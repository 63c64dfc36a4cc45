/* test_codegen_passes.c — the compiled engine on optimised graphs: what the
 * pass pipeline decides (fused epilogues, the memory plan, elided Concats,
 * in-place element-wise nodes, views) is what the generated code does.
 *
 * Oracle: the interpreter on the graph as loaded (no pass). Every compiled
 * model runs through its descriptor with a workspace that ends right at a
 * PROT_NONE guard page and starts out filled with NaN bytes, so a write past
 * the workspace faults and a read of a slot nobody wrote shows up as NaN in
 * the outputs. Outputs are malloc'd at their exact size (AddressSanitizer
 * catches overruns there). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "passes/passes.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define DIGITS DLC_SOURCE_DIR "/examples/digits/digits.json"

enum { MAX_IO = 8 };

/* ------------------------------------------------------------ optimising */

/* Runs the -O2 pipeline with the verifier after every pass. */
/* The largest kernel scratch of the last plan (aligned): it lives in the
 * arena with the activations. */
static int64_t last_peak_scratch;

/* The -O2 passes, then the schedule stage's memory plan for the default
 * target (the plan the compile below makes again). */
static void plan(dlc_graph *g, const char *name) {
  dlc_diag d;
  dlc_diag_init(&d, name);
  dlc_schedule *s = th_plan(g, true, &d);
  if (!s)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_not_null(s, "%s: scheduling failed", name);
  last_peak_scratch = 0;
  for (size_t i = 0; i < s->n_nodes; i++)
    if (s->nodes[i].scratch > last_peak_scratch)
      last_peak_scratch = s->nodes[i].scratch;
  last_peak_scratch = (last_peak_scratch + 63) / 64 * 64;
  dlc_schedule_destroy(s);
}

static void optimise(dlc_graph *g, const char *name) {
  dlc_pass_options po = {.opt_level = 2, .verify_each = true};
  dlc_diag d;
  dlc_diag_init(&d, name);
  dlc_status st = dlc_passes_run(g, &po, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s: the -O2 pipeline failed", name);
  plan(g, name);
}


/* Compiles an optimised graph at -O2 into a loaded shared object; info
 * receives the codegen's figures. */
static dlc_compiled *compile(const dlc_graph *g, const char *name,
                             dlc_codegen_info *info) {
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.opt_level = 2;
  o.runtime_lib = tcg_runtime_for_shared();
  o.info = info;
  cr_assert_not_null(o.runtime_lib, "cannot build a PIC runtime");
  dlc_diag d;
  dlc_diag_init(&d, name);
  dlc_compiled *m = NULL;
  dlc_status st = th_compiled_create(g, &o, NULL, &m, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s: compiling the -O2 graph failed (%d)", name,
               st);
  return m;
}

/* -------------------------------------------------- guarded workspace */

/* The workspace of a guarded run ends at a PROT_NONE page
 * (guarded_alloc, tests/helpers.h) and starts out as NaN bytes, so that a
 * read of a value nothing wrote shows up in the outputs. */
static void *guard_workspace(guarded *gd, uint64_t size) {
  size_t body = (size_t)(size + 63) / 64 * 64;
  guarded_alloc(gd, body);
  memset(gd->p, 0xff, body);
  return gd->p;
}

/* ------------------------------------------------------------- running */

/* Runs m through its descriptor (run_batch with the inputs' batch when the
 * model is batched) on a guarded workspace; got[j] gets want[j]'s shape. */
static void run_guarded(dlc_compiled *m, const dlc_tensor *ins, int n_ins,
                        const dlc_tensor *want, int n_out, dlc_tensor *got) {
  const struct dlc_model *md = dlc_compiled_model(m);
  cr_assert_eq(md->n_inputs, n_ins);
  cr_assert_eq(md->n_outputs, n_out);
  const float *in[MAX_IO];
  float *out[MAX_IO];
  for (int i = 0; i < n_ins; i++)
    in[i] = ins[i].data;
  for (int j = 0; j < n_out; j++) {
    got[j] = want[j];
    got[j].data = malloc(dlc_tensor_nbytes(&want[j]) + 1);
    cr_assert_not_null(got[j].data);
    out[j] = got[j].data;
  }
  int64_t batch = md->batched && n_ins > 0 && ins[0].rank > 0
                      ? ins[0].dims[0] : 1;
  guarded gd;
  void *ws = guard_workspace(&gd, md->workspace_size_batch(batch));
  int st = md->run_batch(batch, in, out, ws);
  guarded_free(&gd);
  cr_assert_eq(st, DLCRT_OK, "run_batch: %s", dlcrt_status_message(st));
}

/* Index of the first element outside atol + rtol*|want|, or -1. */
static int64_t first_mismatch(const dlc_tensor *got, const dlc_tensor *want,
                              double atol, double rtol) {
  const float *g = got->data, *w = want->data;
  for (int64_t i = 0; i < dlc_tensor_numel(want); i++)
    if (!(fabs((double)g[i] - w[i]) <= atol + rtol * fabs(w[i])))
      return i;
  return -1;
}

/* The workspace is the planned arena plus the scratch after it, and the
 * descriptor says so. */
static void check_workspace(const dlc_graph *g, dlc_compiled *m,
                            const dlc_codegen_info *info, const char *name) {
  const struct dlc_model *md = dlc_compiled_model(m);
  cr_assert(info->memory_planned, "%s: the plan was not used", name);
  cr_assert_eq(info->arena_bytes, g->arena_bytes, "%s", name);
  cr_assert_eq(info->workspace_bytes, g->arena_bytes + info->scratch_bytes,
               "%s: workspace %lld != arena %lld + scratch %lld", name,
               (long long)info->workspace_bytes, (long long)g->arena_bytes,
               (long long)info->scratch_bytes);
  cr_assert_eq(info->scratch_bytes % 64, 0, "%s", name);
  cr_assert_eq(md->workspace_size, (uint64_t)info->workspace_bytes, "%s",
               name);
  cr_assert_eq(md->workspace_size_batch(1), md->workspace_size, "%s", name);
}

/* Loads path twice: the interpreter runs the copy as loaded, the other is
 * optimised at -O2, compiled and run guarded; outputs must agree within
 * atol + rtol*|want|. Returns the kernel calls of the compiled body. */
static int check_model(const char *path, const char *name,
                       const dlc_tensor *ins, int n_ins, double atol,
                       double rtol, dlc_codegen_info *info_out) {
  dlc_graph *ref = th_load(path), *g = th_load(path);
  dlc_tensor want[MAX_IO] = {0}, got[MAX_IO] = {0};
  dlc_diag d;
  dlc_diag_init(&d, name);
  dlc_status st = dlc_interp_run(ref, DLC_ENGINE_INTERP, ins, n_ins, want, &d);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s: the interpreter failed", name);
  int n_out = (int)ref->outputs.n;
  optimise(g, name);
  dlc_codegen_info info;
  dlc_compiled *m = compile(g, name, &info);
  check_workspace(g, m, &info, name);
  run_guarded(m, ins, n_ins, want, n_out, got);
  for (int j = 0; j < n_out; j++) {
    int64_t bad = first_mismatch(&got[j], &want[j], atol, rtol);
    cr_expect_eq(bad, -1, "%s: output %d index %lld: compiled -O2 %.9g, "
                 "interp %.9g (atol %g rtol %g)", name, j, (long long)bad,
                 bad >= 0 ? ((float *)got[j].data)[bad] : 0.0,
                 bad >= 0 ? ((float *)want[j].data)[bad] : 0.0, atol, rtol);
    free(got[j].data);
  }
  dlc_interp_free_tensors(want, n_out);
  dlc_compiled_destroy(m);
  dlc_graph_destroy(g);
  dlc_graph_destroy(ref);
  if (info_out)
    *info_out = info;
  return info.kernel_calls;
}

/* ------------------------------------------------------------ fixtures */

static bool read_npys(const cJSON *paths, dlc_tensor *out, int *n) {
  *n = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, paths) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, p->valuestring);
    dlc_diag d;
    dlc_diag_init(&d, path);
    bool ok = *n < MAX_IO && dlc_npy_read(path, &out[*n], &d) == DLC_OK;
    dlc_diag_free(&d);
    if (!ok)
      return false;
    (*n)++;
  }
  return true;
}

/* The case's inputs, checked with its tolerance. */
static int check_fixture(const char *name, dlc_codegen_info *info) {
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cr_assert_not_null(text);
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *c;
  int calls = -1;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES,
             cJSON_GetObjectItem(c, "model")->valuestring);
    dlc_tensor ins[MAX_IO];
    int n_ins = 0;
    cr_assert(read_npys(cJSON_GetObjectItem(c, "inputs"), ins, &n_ins),
              "%s: cannot read the inputs", name);
    calls = check_model(path, name, ins, n_ins,
                        cJSON_GetObjectItem(c, "atol")->valuedouble,
                        cJSON_GetObjectItem(c, "rtol")->valuedouble, info);
    for (int i = 0; i < n_ins; i++)
      free(ins[i].data);
  }
  cJSON_Delete(root);
  cr_assert_geq(calls, 0, "no fixture '%s'", name);
  return calls;
}

Test(codegen_passes, every_fixture_at_O2_matches_the_interpreter,
     .timeout = 900) {
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cr_assert_not_null(text);
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    check_fixture(cJSON_GetObjectItem(c, "name")->valuestring, NULL);
    n++;
  }
  cJSON_Delete(root);
  cr_log_info("%d fixtures compiled at -O2 after the pipeline", n);
  cr_assert_gt(n, 0);
}

/* --------------------------------------------------------------- digits */

/* Uniform [-1, 1) floats from a fixed seed. */
static void fill(float *x, int64_t n, uint32_t seed) {
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
  }
}

/* digits has a symbolic batch: the -O2 graph must still be batch-separable
 * (cg_batch.c re-infers the optimised graph at batch 2) and the batch-1
 * arena must serve every item of run_batch. */
Test(codegen_passes, digits_batched_at_O2_matches_the_interpreter,
     .timeout = 300) {
  dlc_graph *g = th_load(DIGITS);
  optimise(g, "digits");
  dlc_diag d;
  dlc_diag_init(&d, "digits");
  cr_assert(dlc_codegen_batch_separable(g, &d),
            "the -O2 digits graph is not batch-separable");
  dlc_diag_free(&d);
  dlc_graph_destroy(g);
  static const int64_t batches[] = {1, 3};
  for (int b = 0; b < 2; b++) {
    dlc_graph *decl = th_load(DIGITS);
    dlc_tensor x = decl->inputs.items[0]->type;
    x.dims[0] = batches[b];
    int64_t n = dlc_tensor_numel(&x);
    x.data = malloc(sizeof(float) * (size_t)n);
    fill(x.data, n, 42u + (uint32_t)b);
    dlc_graph_destroy(decl);
    check_model(DIGITS, "digits", &x, 1, 1e-4, 1e-4, NULL);
    free(x.data);
  }
}

/* --------------------------------------------------------- fused forms */

/* net_conv_bn_relu is two conv-bn-relu blocks: in each, BatchNormalization
 * folds into the Conv and Relu becomes its epilogue, so two kernel calls
 * (the Relus are applied in registers, not by loops of their own). */
Test(codegen_passes, conv_bn_relu_is_one_kernel_call_per_block,
     .timeout = 300) {
  int calls = check_fixture("net_conv_bn_relu", NULL);
  cr_assert_eq(calls, 2, "two conv-bn-relu blocks: %d kernel calls, want 2",
               calls);
}

/* ResNet basic block: conv1(+bn+relu), downsample conv(+bn), conv2 with
 * bn, the residual Add and the final Relu in its epilogue: three calls. */
Test(codegen_passes, resnet_block_is_three_kernel_calls, .timeout = 300) {
  int calls = check_fixture("net_resnet_basic_block", NULL);
  cr_assert_eq(calls, 3, "ResNet block: %d kernel calls, want 3", calls);
}

/* SPP: the Concat of the pools is elided (the pools write their slices of
 * its output) and emits no kernel; the slices must all have been written
 * (an unwritten one would read the NaN fill). */
Test(codegen_passes, spp_elided_concat_runs_without_a_kernel,
     .timeout = 300) {
  dlc_graph *g = th_load(FIXTURES "/net_spp/model.json");
  optimise(g, "net_spp");
  int elided = 0, live = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    live += !n->dead;
    elided += !n->dead && n->elided && n->op == DLC_OP_CONCAT;
  }
  dlc_graph_destroy(g);
  cr_assert_eq(elided, 1, "net_spp: %d elided Concats after -O2", elided);
  dlc_codegen_info info;
  int calls = check_fixture("net_spp", &info);
  cr_assert_eq(calls, live - 1, "net_spp: %d calls for %d live nodes", calls,
               live);
  cr_assert_geq(info.skipped_nodes, 1);
}

/* ------------------------------------------------- the arena of a chain */

static dlc_tensor f32_type(int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  return t;
}

/* x (1, 8, 16, 16) -> 10 x Conv 3x3 pad 1 (8 -> 8, no bias) -> y */
static dlc_graph *conv_chain(void) {
  static const int64_t xd[4] = {1, 8, 16, 16}, wd[4] = {8, 8, 3, 3};
  dlc_graph *g = dlc_graph_create();
  dlc_tensor xt = f32_type(4, xd), wt = f32_type(4, wd);
  dlc_value *prev = dlc_graph_add_input(g, "x", &xt);
  float w[8 * 8 * 9];
  for (int i = 0; i < 10; i++) {
    char wn[16], on[16], nn[16];
    snprintf(wn, sizeof wn, "w%d", i);
    snprintf(on, sizeof on, i == 9 ? "y" : "t%d", i);
    snprintf(nn, sizeof nn, "conv%d", i);
    fill(w, 8 * 8 * 9, 7u * (uint32_t)i + 1u);
    for (int k = 0; k < 8 * 8 * 9; k++)
      w[k] *= 0.2f;
    dlc_value *ins[2] = {prev, dlc_graph_add_initializer(g, wn, &wt, w)};
    dlc_value *out = dlc_graph_add_value(g, on, DLC_VALUE_NODE);
    dlc_node *n = dlc_graph_add_node(g, nn, DLC_OP_CONV, 2, ins, 1, &out);
    static const int64_t pads[4] = {1, 1, 1, 1};
    dlc_node_set_ints(g, n, "pads", pads, 4);
    prev = out;
  }
  prev->is_output = true;
  dlc_vec_push(&g->outputs, prev);
  dlc_diag d;
  dlc_diag_init(&d, "chain");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  cr_assert_eq(dlc_graph_infer_shapes(g, NULL, 0, &d), DLC_OK);
  dlc_diag_free(&d);
  return g;
}

Test(codegen_passes, chain_of_ten_convs_needs_two_buffers, .timeout = 300) {
  dlc_graph *ref = conv_chain(), *g = conv_chain();
  optimise(g, "chain");
  const int64_t one = 8 * 16 * 16 * 4;
  dlc_codegen_info info;
  dlc_compiled *m = compile(g, "chain", &info);
  check_workspace(g, m, &info, "chain");
  /* two activation buffers and one scratch region every conv reuses */
  cr_assert_eq(info.arena_bytes, 2 * one + last_peak_scratch,
               "arena %lld, want two buffers (%lld) + scratch (%lld)",
               (long long)info.arena_bytes, (long long)(2 * one),
               (long long)last_peak_scratch);
  cr_assert_eq(info.kernel_calls, 10);
  dlc_tensor x = ref->inputs.items[0]->type, want[1] = {0}, got[1] = {0};
  x.data = malloc(dlc_tensor_nbytes(&x));
  fill(x.data, dlc_tensor_numel(&x), 3u);
  dlc_diag d;
  dlc_diag_init(&d, "chain");
  cr_assert_eq(dlc_interp_run(ref, DLC_ENGINE_INTERP, &x, 1, want, &d),
               DLC_OK);
  dlc_diag_free(&d);
  run_guarded(m, &x, 1, want, 1, got);
  int64_t bad = first_mismatch(&got[0], &want[0], 1e-5, 1e-4);
  cr_expect_eq(bad, -1, "chain: index %lld: compiled %.9g, interp %.9g",
               (long long)bad, bad >= 0 ? ((float *)got[0].data)[bad] : 0.0,
               bad >= 0 ? ((float *)want[0].data)[bad] : 0.0);
  free(got[0].data);
  dlc_interp_free_tensors(want, 1);
  free(x.data);
  dlc_compiled_destroy(m);
  dlc_graph_destroy(g);
  dlc_graph_destroy(ref);
}

/* ------------------------------------------------------------ in place */

/* The SE block with fuse_epilogues and fuse_elementwise off keeps its
 * activations as nodes, and the plan writes some of them over their input
 * (it dies there): those kernels get one buffer as input and output and are
 * compiled without `noalias`; the results must not change. */
Test(codegen_passes, in_place_elementwise_node_matches, .timeout = 300) {
  const char *path = FIXTURES "/net_se_block/model.json";
  dlc_graph *g = th_load(path);
  static const char *const off[] = {"fuse_epilogues", "fuse_elementwise"};
  dlc_pass_options po = {.opt_level = 2, .verify_each = true,
                         .disabled = off, .n_disabled = 2};
  dlc_diag d;
  dlc_diag_init(&d, path);
  cr_assert_eq(dlc_passes_run(g, &po, &d), DLC_OK);
  dlc_diag_free(&d);
  plan(g, path);
  int in_place = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    if (n->dead || !(dlc_op_get_info(n->op)->flags & DLC_OPF_ELEMENTWISE))
      continue;
    for (int i = 0; i < n->n_inputs; i++)
      in_place += n->inputs[i] && n->inputs[i]->arena_offset >= 0 &&
                  n->inputs[i]->arena_offset == n->outputs[0]->arena_offset;
  }
  cr_assert_gt(in_place, 0, "the plan made no element-wise node in place");
  dlc_codegen_info info;
  dlc_compiled *m = compile(g, "se_block", &info);
  check_workspace(g, m, &info, "se_block");
  dlc_graph *ref = th_load(path);
  dlc_tensor x, want[1] = {0}, got[1] = {0};
  dlc_diag_init(&d, path);
  cr_assert_eq(dlc_npy_read(FIXTURES "/net_se_block/input_0.npy", &x, &d),
               DLC_OK);
  cr_assert_eq(dlc_interp_run(ref, DLC_ENGINE_INTERP, &x, 1, want, &d),
               DLC_OK);
  dlc_diag_free(&d);
  run_guarded(m, &x, 1, want, 1, got);
  int64_t bad = first_mismatch(&got[0], &want[0], 1e-4, 1e-4);
  cr_expect_eq(bad, -1, "se_block in place: index %lld", (long long)bad);
  free(got[0].data);
  free(x.data);
  dlc_interp_free_tensors(want, 1);
  dlc_compiled_destroy(m);
  dlc_graph_destroy(ref);
  dlc_graph_destroy(g);
}
