/* test_codegen_kernels.c — the register-blocked kernels against the
 * interpreter: Conv (pointwise, im2col, depthwise; strides, dilations,
 * groups, padding, 1-D, K blocking, row chunks), ConvTranspose, Gemm
 * (transA/transB, alpha/beta, C broadcasts, constant and run-time B) and
 * MatMul (batched, broadcast, 1-D operands), each also with fused
 * epilogues (every activation, residual, PRelu slopes) set by hand; the
 * blocked layout's kernels (ConvNchwc dense, grouped and depthwise,
 * PoolNchwc) at blocks 4, 8 and 16.
 *
 * Each one-node graph is compiled for the host ("native") and for
 * x86-64 (SSE, 4 lanes), haswell (AVX2, 8) and skylake-avx512 (16) when the
 * host runs them (skipped with a warning otherwise), and run with every
 * input, output and the workspace ending at a PROT_NONE guard page, so any
 * read or write past a buffer faults. Sizes are odd on purpose so every
 * edge tile (M and N remainders, partial vectors) is exercised.
 *
 * Tolerance: |got - want| <= t + t * |want| with t = 1e-4 * max(1,
 * sqrt(K / 16)), K the reduction length (accumulation order differs). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "helpers.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

/* ------------------------------------------------------------ building */

typedef struct kcase {
  dlc_graph *g;
  dlc_node *node;
  dlc_tensor in[8]; /* run-time inputs, graph order, data malloc'd */
  int n_in;
  dlc_tensor ref;
  int64_t k; /* reduction length, for the tolerance */
  uint32_t seed;
  char what[200];
} kcase;

static float rnd(kcase *c) {
  c->seed = c->seed * 1664525u + 1013904223u;
  return (float)((c->seed >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static float *rnd_data(kcase *c, int64_t n) {
  float *d = malloc((size_t)n * sizeof *d + 4);
  for (int64_t i = 0; i < n; i++)
    d[i] = rnd(c);
  return d;
}

static int64_t numel(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  return n;
}

static void kc_begin(kcase *c, const char *what, int64_t k) {
  memset(c, 0, sizeof *c);
  c->g = dlc_graph_create();
  c->k = k;
  c->seed = 12345u + (uint32_t)strlen(what) * 7919u;
  snprintf(c->what, sizeof c->what, "%s", what);
}

/* A graph input with random data. */
static dlc_value *kc_input(kcase *c, int rank, const int64_t *dims) {
  char name[16];
  snprintf(name, sizeof name, "x%d", c->n_in);
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  t.data = rnd_data(c, numel(rank, dims));
  c->in[c->n_in++] = t;
  dlc_tensor type = t;
  type.data = NULL;
  return dlc_graph_add_input(c->g, name, &type);
}

/* An initializer with random data. */
static dlc_value *kc_const(kcase *c, int rank, const int64_t *dims) {
  static int count;
  char name[16];
  snprintf(name, sizeof name, "c%d", count++);
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  float *d = rnd_data(c, numel(rank, dims));
  dlc_value *v = dlc_graph_add_initializer(c->g, name, &t, d);
  free(d);
  return v;
}

static void kc_node(kcase *c, dlc_op op, int n, dlc_value *const *ins) {
  dlc_value *y = dlc_graph_add_value(c->g, "y", DLC_VALUE_NODE);
  c->node = dlc_graph_add_node(c->g, "n0", op, n, ins, 1, &y);
  y->is_output = true;
  dlc_vec_push(&c->g->outputs, y);
}

static void kc_infer(kcase *c) {
  dlc_diag d;
  dlc_diag_init(&d, "kernels");
  cr_assert_eq(dlc_graph_sort(c->g, &d), DLC_OK);
  bool ok = dlc_graph_infer_shapes(c->g, NULL, 0, &d) == DLC_OK;
  if (!ok)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert(ok, "%s: shape inference failed", c->what);
}

/* An epilogue: act1 (with PRelu slope kind s1: 0 none, 1 scalar, 2 per
 * output channel/row, 3 per lane (last axis), 4 full shape), residual,
 * act2. */
typedef struct epi_spec {
  dlc_act_kind a1;
  float al1, be1;
  int s1;
  bool res;
  dlc_act_kind a2;
  float al2, be2;
} epi_spec;

static dlc_value *slope_value(kcase *c, int kind, int row_axis) {
  const dlc_tensor *y = &c->node->outputs[0]->type;
  int64_t dims[DLC_MAX_RANK];
  int rank = y->rank;
  for (int i = 0; i < rank; i++)
    dims[i] = kind == 4 ? y->dims[i] : 1;
  if (kind == 2)
    dims[row_axis] = y->dims[row_axis];
  if (kind == 3)
    dims[rank - 1] = y->dims[rank - 1];
  if (kind == 2 && row_axis == 1 && rank == 4) /* ONNX-style (C, 1, 1) */
    return kc_const(c, 3, dims + 1);
  return kc_const(c, rank, dims);
}

/* Appends the epilogue's operands after the op's inputs (as
 * fuse_epilogues does) once the output shape is known. */
static void kc_epilogue(kcase *c, const epi_spec *s, int row_axis) {
  dlc_node *n = c->node;
  dlc_epilogue *e = dlc_arena_alloc(c->g->arena, sizeof *e);
  e->act1 = (dlc_activation){s->a1, s->al1, s->be1, -1};
  e->act2 = (dlc_activation){s->a2, s->al2, s->be2, -1};
  e->residual_input = -1;
  dlc_value *extra[2];
  int k = 0;
  if (s->a1 == DLC_ACT_PRELU) {
    extra[k] = slope_value(c, s->s1, row_axis);
    e->act1.slope_input = n->n_inputs + k++;
  }
  if (s->res) {
    const dlc_tensor *y = &n->outputs[0]->type;
    extra[k] = kc_input(c, y->rank, y->dims);
    e->residual_input = n->n_inputs + k++;
  }
  dlc_value **arr = dlc_arena_alloc(c->g->arena,
                                    sizeof *arr * (size_t)(n->n_inputs + k + 1));
  memcpy(arr, n->inputs, sizeof *arr * (size_t)n->n_inputs);
  for (int i = 0; i < k; i++)
    arr[n->n_inputs + i] = extra[i];
  n->inputs = arr;
  n->n_inputs += k;
  e->n_extra_inputs = k;
  n->epilogue = e;
}

/* ------------------------------------------------------------- running */

/* guarded_alloc / guarded_free: tests/helpers.h */

static bool close_enough(const kcase *c, const float *got, const char *cpu) {
  double t = 1e-4 * fmax(1.0, sqrt((double)c->k / 16.0));
  const float *want = c->ref.data;
  int64_t n = dlc_tensor_numel(&c->ref);
  for (int64_t i = 0; i < n; i++) {
    if (!(fabs((double)got[i] - want[i]) <= t + t * fabs((double)want[i]))) {
      cr_log_error("%s [%s]: element %lld of %lld: got %.9g, interp %.9g", c->what,
                   cpu, (long long)i, (long long)n, got[i], want[i]);
      return false;
    }
  }
  return true;
}

/* Compiles for cpu, runs on guarded buffers, compares with the reference. */
static void run_on(const kcase *c, const char *cpu) {
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.cpu = cpu;
  o.runtime_lib = tcg_runtime_for_shared();
  o.prefix = "kern";
  dlc_diag d;
  dlc_diag_init(&d, "kernels");
  dlc_compiled *m = NULL;
  dlc_status st = th_compiled_create(c->g, &o, NULL, &m, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s [%s]: compilation failed", c->what, cpu);
  const struct dlc_model *md = dlc_compiled_model(m);
  guarded gi[8], go, gw;
  const float *in[8];
  for (int i = 0; i < c->n_in; i++) {
    size_t nb = dlc_tensor_nbytes(&c->in[i]);
    guarded_alloc(&gi[i], nb);
    memcpy(gi[i].p, c->in[i].data, nb);
    in[i] = gi[i].p;
  }
  size_t ob = dlc_tensor_nbytes(&c->ref);
  guarded_alloc(&go, ob);
  memset(go.p, 0xff, ob); /* NaN: a skipped store cannot pass */
  float *out[1] = {go.p};
  guarded_alloc(&gw, (size_t)md->workspace_size);
  int rc = md->run(in, out, gw.p);
  cr_expect_eq(rc, DLCRT_OK, "%s [%s]: run returned %d", c->what, cpu, rc);
  cr_expect(close_enough(c, out[0], cpu), "%s [%s]: differs from the "
            "interpreter", c->what, cpu);
  for (int i = 0; i < c->n_in; i++)
    guarded_free(&gi[i]);
  guarded_free(&go);
  guarded_free(&gw);
  dlc_compiled_destroy(m);
}

static bool have_avx2(void) {
  return dlcrt_cpu_supports(DLCRT_CPU_AVX2 | DLCRT_CPU_FMA);
}

static bool have_avx512(void) {
  return dlcrt_cpu_supports(DLCRT_CPU_AVX512F | DLCRT_CPU_AVX512BW |
                            DLCRT_CPU_AVX512DQ | DLCRT_CPU_AVX512VL);
}

/* Reference by the interpreter, then every target; frees the case. all:
 * every target also under ASan (the others run only the host there). */
/* The interpreter's output, the reference every target is checked against. */
static void kc_reference(kcase *c) {
  dlc_diag d;
  dlc_diag_init(&d, "kernels");
  dlc_status st = dlc_interp_run(c->g, DLC_ENGINE_INTERP, c->in, c->n_in,
                                 &c->ref, &d);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s: interpreter failed", c->what);
}

static void kc_free(kcase *c) {
  dlc_interp_free_tensors(&c->ref, 1);
  for (int i = 0; i < c->n_in; i++)
    free(c->in[i].data);
  dlc_graph_destroy(c->g);
}

static void kc_check(kcase *c, bool all) {
  kc_reference(c);
  run_on(c, "native");
  if (!UNDER_ASAN || all) {
    run_on(c, "x86-64");
    if (have_avx2())
      run_on(c, "haswell");
    if (have_avx512())
      run_on(c, "skylake-avx512");
  }
  kc_free(c);
}

/* ---------------------------------------------------------------- Conv */

typedef struct conv_spec {
  int64_t n, cin, h, w, cout, kh, kw, group;
  int64_t s[2], d[2], pads[4];
  bool bias, one_d;
} conv_spec;

static void conv_case(const conv_spec *s, const epi_spec *e, bool all,
                      const char *what) {
  kcase c;
  kc_begin(&c, what, s->cin / s->group * s->kh * s->kw);
  int sp = s->one_d ? 1 : 2;
  int64_t xd[4] = {s->n, s->cin, s->h, s->w};
  int64_t wd[4] = {s->cout, s->cin / s->group, s->kh, s->kw};
  if (s->one_d) {
    xd[2] = s->w;
    wd[2] = s->kw;
  }
  dlc_value *ins[3];
  ins[0] = kc_input(&c, 2 + sp, xd);
  ins[1] = kc_const(&c, 2 + sp, wd);
  if (s->bias)
    ins[2] = kc_const(&c, 1, &s->cout);
  kc_node(&c, DLC_OP_CONV, s->bias ? 3 : 2, ins);
  int64_t ks[2] = {s->kh, s->kw}, pads[4] = {s->pads[0], s->pads[1],
                                            s->pads[2], s->pads[3]};
  if (s->one_d) {
    ks[0] = s->kw;
    pads[0] = s->pads[1];
    pads[1] = s->pads[3];
  }
  dlc_node_set_ints(c.g, c.node, "kernel_shape", ks, sp);
  dlc_node_set_ints(c.g, c.node, "strides", s->one_d ? s->s + 1 : s->s, sp);
  dlc_node_set_ints(c.g, c.node, "dilations", s->one_d ? s->d + 1 : s->d, sp);
  dlc_node_set_ints(c.g, c.node, "pads", pads, 2 * sp);
  dlc_node_set_int(c.g, c.node, "group", s->group);
  kc_infer(&c);
  if (e)
    kc_epilogue(&c, e, 1);
  kc_check(&c, all);
}

#define S11 {1, 1}
#define S22 {2, 2}
#define P0 {0, 0, 0, 0}
#define P1 {1, 1, 1, 1}

Test(codegen_kernels, conv_pointwise) {
  conv_spec a = {2, 8, 5, 5, 4, 1, 1, 1, S11, S11, P0, true, false};
  conv_case(&a, NULL, true, "pointwise 8->4 5x5");
  conv_spec b = {1, 19, 9, 11, 37, 1, 1, 1, S11, S11, P0, false, false};
  conv_case(&b, NULL, true, "pointwise 19->37 9x11 (M, N remainders)");
  conv_spec k = {1, 300, 6, 7, 21, 1, 1, 1, S11, S11, P0, true, false};
  conv_case(&k, NULL, true, "pointwise 300->21 (K blocks)");
  conv_spec g = {1, 12, 7, 7, 18, 1, 1, 3, S11, S11, P0, true, false};
  conv_case(&g, NULL, false, "pointwise groups 3");
}

Test(codegen_kernels, conv_im2col) {
  conv_spec a = {2, 5, 10, 10, 13, 3, 3, 1, S11, S11, P1, true, false};
  conv_case(&a, NULL, true, "3x3 s1 p1 5->13");
  conv_spec b = {1, 6, 11, 13, 9, 3, 3, 1, S22, S11, P1, true, false};
  conv_case(&b, NULL, true, "3x3 s2 p1 6->9 11x13");
  conv_spec d = {1, 4, 9, 9, 7, 3, 3, 1, S11, {2, 2}, {2, 2, 2, 2}, false,
                 false};
  conv_case(&d, NULL, false, "3x3 dilation 2");
  conv_spec g = {1, 6, 7, 8, 10, 3, 3, 2, S11, S11, P1, true, false};
  conv_case(&g, NULL, true, "3x3 groups 2");
  conv_spec s = {1, 8, 9, 9, 16, 1, 1, 1, S22, S11, P0, true, false};
  conv_case(&s, NULL, false, "1x1 stride 2");
  conv_spec r = {1, 3, 8, 12, 5, 1, 5, 1, {1, 2}, S11, {0, 2, 1, 1}, true,
                 false};
  conv_case(&r, NULL, false, "1x5 asymmetric pads, stride (1,2)");
  conv_spec o = {2, 4, 1, 17, 6, 1, 3, 1, S11, S11, {0, 1, 0, 1}, true, true};
  conv_case(&o, NULL, false, "1-D k3 p1");
  conv_spec big = {1, 64, 24, 24, 24, 3, 3, 1, S11, S11, P1, true, false};
  conv_case(&big, NULL, false, "3x3 64->24 24x24 (row chunks, K blocks)");
}

Test(codegen_kernels, conv_depthwise) {
  conv_spec a = {2, 8, 13, 21, 8, 3, 3, 8, S11, S11, P1, true, false};
  conv_case(&a, NULL, true, "depthwise 3x3 s1 13x21");
  conv_spec b = {1, 5, 14, 35, 5, 3, 3, 5, S22, S11, P1, false, false};
  conv_case(&b, NULL, true, "depthwise 3x3 s2 14x35");
  conv_spec c = {1, 4, 12, 70, 4, 5, 5, 4, S11, {2, 2}, {4, 4, 4, 4}, true,
                 false};
  conv_case(&c, NULL, false, "depthwise 5x5 dilation 2 70 wide");
  conv_spec d = {1, 3, 10, 19, 3, 3, 3, 3, {3, 3}, S11, {1, 0, 0, 1}, true,
                 false};
  conv_case(&d, NULL, true, "depthwise stride 3 (gather)");
}

/* ------------------------------------------------------------- epilogue */

Test(codegen_kernels, conv_fused_epilogues) {
  conv_spec pw = {1, 16, 5, 9, 24, 1, 1, 1, S11, S11, P0, true, false};
  conv_spec kx = {1, 5, 7, 9, 11, 3, 3, 1, S11, S11, P1, true, false};
  conv_spec dw = {1, 6, 9, 19, 6, 3, 3, 6, S11, S11, P1, true, false};
  epi_spec relu_res_relu = {DLC_ACT_RELU, 0, 0, 0, true, DLC_ACT_RELU, 0, 0};
  epi_spec clip = {DLC_ACT_CLIP, 0, 6, 0, false, DLC_ACT_NONE, 0, 0};
  epi_spec prelu_ch = {DLC_ACT_PRELU, 0, 0, 2, true, DLC_ACT_NONE, 0, 0};
  epi_spec prelu_sc = {DLC_ACT_PRELU, 0, 0, 1, false, DLC_ACT_LEAKY_RELU, 0.1f,
                       0};
  epi_spec prelu_full = {DLC_ACT_PRELU, 0, 0, 4, false, DLC_ACT_NONE, 0, 0};
  epi_spec sig = {DLC_ACT_SIGMOID, 0, 0, 0, true, DLC_ACT_TANH, 0, 0};
  epi_spec silu = {DLC_ACT_SILU, 0, 0, 0, false, DLC_ACT_ELU, 0.7f, 0};
  epi_spec hard = {DLC_ACT_HARD_SWISH, 0, 0, 0, true, DLC_ACT_HARD_SIGMOID,
                   0.2f, 0.5f};
  conv_case(&pw, &relu_res_relu, true, "pointwise + relu, residual, relu");
  conv_case(&kx, &relu_res_relu, true, "3x3 + relu, residual, relu");
  conv_case(&dw, &relu_res_relu, true, "depthwise + relu, residual, relu");
  conv_case(&dw, &clip, false, "depthwise + relu6");
  conv_case(&pw, &prelu_ch, false, "pointwise + per-channel prelu, residual");
  conv_case(&kx, &prelu_sc, false, "3x3 + scalar prelu, leaky relu");
  conv_case(&dw, &prelu_full, false, "depthwise + full-shape prelu");
  conv_case(&kx, &sig, false, "3x3 + sigmoid, residual, tanh");
  conv_case(&pw, &silu, false, "pointwise + silu, elu");
  conv_case(&kx, &hard, true, "3x3 + hardswish, residual, hardsigmoid");
}

Test(codegen_kernels, conv_transpose_fused_epilogue) {
  kcase c;
  kc_begin(&c, "ConvTranspose k3 s2 + relu, residual", 4 * 9);
  int64_t xd[4] = {1, 4, 5, 6}, wd[4] = {4, 3, 3, 3}, b = 3;
  dlc_value *ins[3] = {kc_input(&c, 4, xd), kc_const(&c, 4, wd),
                       kc_const(&c, 1, &b)};
  kc_node(&c, DLC_OP_CONV_TRANSPOSE, 3, ins);
  int64_t ks[2] = {3, 3}, st[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
  dlc_node_set_ints(c.g, c.node, "kernel_shape", ks, 2);
  dlc_node_set_ints(c.g, c.node, "strides", st, 2);
  dlc_node_set_ints(c.g, c.node, "pads", pads, 2 * 2);
  kc_infer(&c);
  epi_spec e = {DLC_ACT_RELU, 0, 0, 0, true, DLC_ACT_CLIP, -0.5f, 0.5f};
  kc_epilogue(&c, &e, 1);
  kc_check(&c, true);
}

/* ------------------------------------------------------ blocked NCHWc */

/* The CPU whose vector holds `block` floats, when the host runs it. */
static const char *cpu_for_block(int64_t block) {
  if (block == 4)
    return "x86-64";
  if (block == 8 && have_avx2())
    return "haswell";
  if (block == 16 && have_avx512())
    return "skylake-avx512";
  return NULL;
}

/* A blocked kernel against the interpreter (whose blocked reference
 * kernels reorder, run the plain operator and reorder back): on the host,
 * and on the CPU whose vector is the block. The output is blocked, so its
 * padding lanes are compared too. */
static void kc_check_blocked(kcase *c, int64_t block) {
  kc_reference(c);
  run_on(c, "native");
  const char *cpu = cpu_for_block(block);
  if (cpu && !UNDER_ASAN)
    run_on(c, cpu);
  kc_free(c);
}

/* A blocked input [N, ceil(C/B), H, W, B], padding lanes random too (the
 * kernels must not let them reach a real channel), or plain. */
static dlc_value *kc_blocked_input(kcase *c, int64_t n, int64_t ch, int64_t h,
                                   int64_t w, int64_t block) {
  int64_t pd[4] = {n, ch, h, w};
  if (block <= 0)
    return kc_input(c, 4, pd);
  int64_t xd[5] = {n, (ch + block - 1) / block, h, w, block};
  return kc_input(c, 5, xd);
}

static void set_window(kcase *c, const int64_t *ks, const int64_t *st,
                       const int64_t *dl, const int64_t *pads) {
  dlc_node_set_ints(c->g, c->node, "kernel_shape", ks, 2);
  dlc_node_set_ints(c->g, c->node, "strides", st, 2);
  dlc_node_set_ints(c->g, c->node, "dilations", dl, 2);
  dlc_node_set_ints(c->g, c->node, "pads", pads, 4);
}

/* ConvNchwc on a blocked input (a plain one when plain_x) at block B. */
static void conv_nchwc_case(const conv_spec *s, const epi_spec *e,
                            int64_t block, bool plain_x, const char *what) {
  kcase c;
  char name[160];
  snprintf(name, sizeof name, "%s (block %lld%s)", what, (long long)block,
           plain_x ? ", plain input" : "");
  kc_begin(&c, name, s->cin / s->group * s->kh * s->kw);
  int64_t wd[4] = {s->cout, s->cin / s->group, s->kh, s->kw};
  dlc_value *ins[3];
  ins[0] = kc_blocked_input(&c, s->n, s->cin, s->h, s->w, plain_x ? 0 : block);
  ins[1] = kc_const(&c, 4, wd);
  if (s->bias)
    ins[2] = kc_const(&c, 1, &s->cout);
  kc_node(&c, DLC_OP_CONV_NCHWC, s->bias ? 3 : 2, ins);
  int64_t ks[2] = {s->kh, s->kw};
  set_window(&c, ks, s->s, s->d, s->pads);
  dlc_node_set_int(c.g, c.node, "group", s->group);
  dlc_node_set_int(c.g, c.node, "block", block);
  kc_infer(&c);
  if (e)
    kc_epilogue(&c, e, 1);
  kc_check_blocked(&c, block);
}

static const int64_t blocks[3] = {4, 8, 16};

typedef struct nchwc_case {
  conv_spec s;
  bool plain_x;
  const char *what;
} nchwc_case;

/* Every case at every block. */
static void nchwc_cases(const nchwc_case *cases, size_t n) {
  for (int i = 0; i < 3; i++)
    for (size_t k = 0; k < n; k++)
      conv_nchwc_case(&cases[k].s, NULL, blocks[i], cases[k].plain_x,
                      cases[k].what);
}

/* Dense and grouped: channel counts that are not multiples of the block,
 * 1x1 maps, strides, dilations, asymmetric pads, a plain first layer. */
Test(codegen_kernels, conv_nchwc_dense) {
  static const nchwc_case cases[] = {
      {{2, 19, 9, 11, 21, 3, 3, 1, S11, S11, P1, true, false}, false,
       "3x3 s1 p1 19->21"},
      {{1, 24, 6, 7, 40, 1, 1, 1, S11, S11, P0, true, false}, false,
       "1x1 s1 24->40 (the plane as a row)"},
      {{1, 12, 9, 9, 20, 1, 1, 1, S22, S11, P0, false, false}, false,
       "1x1 stride 2 12->20"},
      {{1, 8, 11, 12, 9, 3, 3, 1, S11, {2, 2}, {2, 1, 1, 2}, true, false},
       false, "3x3 dilation 2, asymmetric pads"},
      {{1, 5, 8, 13, 6, 1, 5, 1, {1, 2}, S11, {0, 2, 1, 1}, true, false},
       false, "1x5 stride (1,2), asymmetric pads"},
      {{1, 16, 1, 1, 33, 1, 1, 1, S11, S11, P0, true, false}, false,
       "1x1 map 16->33"},
      {{1, 32, 7, 9, 48, 3, 3, 4, S11, S11, P1, true, false}, false,
       "3x3 groups 4 32->48"},
      {{1, 12, 6, 6, 18, 3, 3, 3, S22, S11, P1, true, false}, false,
       "3x3 s2 groups 3 12->18"},
      {{1, 3, 15, 17, 20, 7, 7, 1, S22, S11, {3, 3, 3, 3}, true, false}, true,
       "7x7 s2 p3 3->20 stem"},
  };
  nchwc_cases(cases, sizeof cases / sizeof *cases);
}

Test(codegen_kernels, conv_nchwc_depthwise) {
  static const nchwc_case cases[] = {
      {{2, 24, 13, 21, 24, 3, 3, 24, S11, S11, P1, true, false}, false,
       "depthwise 3x3 s1 24ch 13x21"},
      {{1, 20, 14, 35, 20, 3, 3, 20, S22, S11, P1, false, false}, false,
       "depthwise 3x3 s2 20ch 14x35"},
      {{1, 12, 12, 30, 12, 5, 5, 12, S11, {2, 2}, {4, 3, 2, 4}, true, false},
       false, "depthwise 5x5 dilation 2 12ch"},
      {{1, 7, 10, 19, 7, 3, 3, 7, {3, 3}, S11, {1, 0, 0, 1}, true, false},
       false, "depthwise stride 3 7ch"},
      {{1, 9, 2, 3, 9, 5, 5, 9, S22, S11, {2, 2, 2, 2}, true, false}, false,
       "depthwise 5x5 on a 2x3 map"},
  };
  nchwc_cases(cases, sizeof cases / sizeof *cases);
}

/* The epilogue before the single store, padding lanes zeroed after it
 * (HardSigmoid of 0 is 0.5). */
Test(codegen_kernels, conv_nchwc_fused_epilogues) {
  conv_spec kx = {1, 10, 7, 9, 11, 3, 3, 1, S11, S11, P1, true, false};
  conv_spec dw = {1, 10, 9, 19, 10, 3, 3, 10, S11, S11, P1, true, false};
  epi_spec relu_res_relu = {DLC_ACT_RELU, 0, 0, 0, true, DLC_ACT_RELU, 0, 0};
  epi_spec clip = {DLC_ACT_CLIP, 0, 6, 0, false, DLC_ACT_NONE, 0, 0};
  epi_spec hard = {DLC_ACT_HARD_SWISH, 0, 0, 0, true, DLC_ACT_HARD_SIGMOID,
                   0.2f, 0.5f};
  epi_spec silu = {DLC_ACT_SILU, 0, 0, 0, false, DLC_ACT_SIGMOID, 0, 0};
  for (int i = 0; i < 3; i++) {
    int64_t b = blocks[i];
    conv_nchwc_case(&kx, &relu_res_relu, b, false, "3x3 + relu, res, relu");
    conv_nchwc_case(&kx, &hard, b, false, "3x3 + hardswish, res, hardsigmoid");
    conv_nchwc_case(&dw, &relu_res_relu, b, false, "dw + relu, res, relu");
    conv_nchwc_case(&dw, &clip, b, false, "dw + relu6");
    conv_nchwc_case(&dw, &silu, b, false, "dw + silu, sigmoid");
  }
}

typedef struct pool_spec {
  const char *kind;
  int64_t n, c, h, w, kh, kw;
  int64_t s[2], d[2], pads[4];
  bool ceil_mode, include_pad;
} pool_spec;

static void pool_nchwc_case(const pool_spec *s, int64_t block,
                            const char *what) {
  kcase c;
  char name[160];
  snprintf(name, sizeof name, "%s %s (block %lld)", s->kind, what,
           (long long)block);
  kc_begin(&c, name, s->kh * s->kw);
  dlc_value *x = kc_blocked_input(&c, s->n, s->c, s->h, s->w, block);
  kc_node(&c, DLC_OP_POOL_NCHWC, 1, &x);
  dlc_node_set_string(c.g, c.node, "kind", s->kind);
  if (strncmp(s->kind, "Global", 6) != 0) {
    int64_t ks[2] = {s->kh, s->kw};
    set_window(&c, ks, s->s, s->d, s->pads);
    dlc_node_set_int(c.g, c.node, "ceil_mode", s->ceil_mode);
    dlc_node_set_int(c.g, c.node, "count_include_pad", s->include_pad);
  }
  kc_infer(&c);
  kc_check_blocked(&c, block);
}

Test(codegen_kernels, pool_nchwc) {
  pool_spec mp = {"MaxPool", 2, 20, 13, 17, 3, 3, S22, S11, P1, false, false};
  pool_spec mc = {"MaxPool", 1, 9, 12, 12, 3, 3, S22, S11, P0, true, false};
  pool_spec md = {"MaxPool", 1, 9, 11, 14, 2, 3, S11, {2, 2}, {1, 0, 0, 2},
                  false, false};
  pool_spec ap = {"AveragePool", 1, 21, 10, 11, 3, 3, S11, S11, P1, false,
                  false};
  pool_spec ai = {"AveragePool", 1, 21, 10, 11, 3, 3, S22, S11, {1, 0, 1, 1},
                  true, true};
  pool_spec a2 = {"AveragePool", 1, 30, 8, 8, 2, 2, S22, S11, P0, false, false};
  pool_spec ga = {"GlobalAveragePool", 2, 19, 7, 9, 0, 0, S11, S11, P0, false,
                  false};
  pool_spec gm = {"GlobalMaxPool", 1, 40, 1, 3, 0, 0, S11, S11, P0, false,
                  false};
  for (int i = 0; i < 3; i++) {
    int64_t b = blocks[i];
    pool_nchwc_case(&mp, b, "3x3 s2 p1");
    pool_nchwc_case(&mc, b, "3x3 s2 ceil_mode");
    pool_nchwc_case(&md, b, "2x3 dilation 2, asymmetric pads");
    pool_nchwc_case(&ap, b, "3x3 s1 p1 excluding padding");
    pool_nchwc_case(&ai, b, "3x3 s2 ceil_mode, count_include_pad");
    pool_nchwc_case(&a2, b, "2x2 s2");
    pool_nchwc_case(&ga, b, "7x9");
    pool_nchwc_case(&gm, b, "1x3");
  }
}

/* ----------------------------------------------------------------- Gemm */

typedef struct gemm_spec {
  int64_t m, k, n;
  bool ta, tb, b_const;
  float alpha, beta;
  int c_kind; /* 0 none, 1 scalar, 2 [N], 3 [M, 1], 4 [M, N] */
} gemm_spec;

static void gemm_case(const gemm_spec *s, const epi_spec *e, bool all,
                      const char *what) {
  kcase c;
  kc_begin(&c, what, s->k);
  int64_t ad[2] = {s->ta ? s->k : s->m, s->ta ? s->m : s->k};
  int64_t bd[2] = {s->tb ? s->n : s->k, s->tb ? s->k : s->n};
  dlc_value *ins[3];
  ins[0] = kc_input(&c, 2, ad);
  ins[1] = s->b_const ? kc_const(&c, 2, bd) : kc_input(&c, 2, bd);
  int64_t cd[4][2] = {{1, 1}, {1, s->n}, {s->m, 1}, {s->m, s->n}};
  if (s->c_kind == 1)
    ins[2] = kc_const(&c, 1, cd[0]);
  else if (s->c_kind == 2)
    ins[2] = kc_const(&c, 1, &s->n);
  else if (s->c_kind >= 3)
    ins[2] = kc_input(&c, 2, cd[s->c_kind - 1]);
  kc_node(&c, DLC_OP_GEMM, s->c_kind ? 3 : 2, ins);
  dlc_node_set_int(c.g, c.node, "transA", s->ta);
  dlc_node_set_int(c.g, c.node, "transB", s->tb);
  dlc_node_set_float(c.g, c.node, "alpha", s->alpha);
  dlc_node_set_float(c.g, c.node, "beta", s->beta);
  kc_infer(&c);
  if (e)
    kc_epilogue(&c, e, 0);
  kc_check(&c, all);
}

Test(codegen_kernels, gemm) {
  gemm_spec lin = {1, 37, 29, false, true, true, 1, 1, 2};
  gemm_case(&lin, NULL, true, "gemm 1x37 * (29x37)^T + C[N]");
  gemm_spec nn = {7, 33, 50, false, false, true, 1, 1, 0};
  gemm_case(&nn, NULL, true, "gemm 7x33 * 33x50 const B");
  gemm_spec ab = {9, 21, 40, true, true, false, 0.5f, 2, 4};
  gemm_case(&ab, NULL, true, "gemm transA, run-time transB, alpha, beta, C");
  gemm_spec rc = {13, 70, 19, false, false, false, 1, -1, 3};
  gemm_case(&rc, NULL, false, "gemm run-time B, C [M,1], beta -1");
  gemm_spec sc = {5, 300, 33, true, false, true, 2, 0.5f, 1};
  gemm_case(&sc, NULL, false, "gemm K blocks, C scalar");
  epi_spec e = {DLC_ACT_RELU, 0, 0, 0, true, DLC_ACT_NONE, 0, 0};
  gemm_case(&nn, &e, true, "gemm + relu, residual");
  epi_spec p = {DLC_ACT_PRELU, 0, 0, 3, false, DLC_ACT_SIGMOID, 0, 0};
  gemm_case(&lin, &p, false, "gemm + per-column prelu, sigmoid");
  epi_spec pr = {DLC_ACT_PRELU, 0, 0, 2, true, DLC_ACT_NONE, 0, 0};
  gemm_case(&rc, &pr, false, "gemm + per-row prelu, residual");
}

/* --------------------------------------------------------------- MatMul */

static void matmul_case(int ar, const int64_t *ad, int br, const int64_t *bd,
                        bool b_const, const epi_spec *e, const char *what) {
  kcase c;
  kc_begin(&c, what, ad[ar - 1]);
  dlc_value *ins[2] = {kc_input(&c, ar, ad),
                       b_const ? kc_const(&c, br, bd) : kc_input(&c, br, bd)};
  kc_node(&c, DLC_OP_MAT_MUL, 2, ins);
  kc_infer(&c);
  if (e)
    kc_epilogue(&c, e, c.node->outputs[0]->type.rank - 2);
  kc_check(&c, e != NULL);
}

Test(codegen_kernels, matmul) {
  int64_t a1[4] = {2, 3, 5, 7}, b1[2] = {7, 9};
  matmul_case(4, a1, 2, b1, true, NULL, "matmul [2,3,5,7] x const [7,9]");
  int64_t a2[4] = {2, 1, 4, 6}, b2[3] = {3, 6, 21};
  matmul_case(4, a2, 3, b2, false, NULL, "matmul broadcast both, run-time B");
  matmul_case(4, a2, 3, b2, true, NULL, "matmul broadcast, const batched B");
  int64_t a3[1] = {6}, b3[3] = {2, 6, 5};
  matmul_case(1, a3, 3, b3, false, NULL, "matmul 1-D A");
  int64_t a4[3] = {3, 4, 6}, b4[1] = {6};
  matmul_case(3, a4, 1, b4, true, NULL, "matmul 1-D B");
  int64_t a5[2] = {17, 40}, b5[2] = {40, 35};
  epi_spec e = {DLC_ACT_PRELU, 0, 0, 3, true, DLC_ACT_RELU, 0, 0};
  matmul_case(2, a5, 2, b5, true, &e, "matmul + per-lane prelu, residual, relu");
}
