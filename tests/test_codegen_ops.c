/* test_codegen_ops.c — the kernels of the ONNX operators added
 * for real exports (comparisons, logic, Where, Cast, unary maths, Min/Max,
 * ReduceSum/Max/Min) and the dlc-domain operators against the
 * interpreter: small graphs built with the IR API (odd sizes, broadcasting,
 * NaN and tie inputs, every FusedElementwise step kind with scalar,
 * broadcast and full operands and `swapped`), and the -O2 pass pipeline's
 * output on the transformer encoder, ShuffleNetV2 unit, SE block fixtures
 * and the digits example.
 *
 * Each graph is compiled for the host ("native", -O2), x86-64 (SSE, 4
 * lanes; -O2 and -O0) and haswell (AVX2, 8 lanes; -O2 and -O0; skipped with
 * a warning on a host without AVX2): -O0 code is the same IR for every CPU,
 * so the host's -O0 run is left out to keep the test under a minute. Each
 * run has every input, output and the workspace ending at a PROT_NONE guard
 * page; it with every input, output and the workspace
 * ending at a PROT_NONE guard page. Under ASan only native -O2 and x86-64
 * -O0 run. Tolerances are per case, |got - want| <= atol + rtol |want|,
 * NaN expected means NaN got; the kernels compute in float where the
 * reference uses double, hence the small rtol of the maths cases.
 *
 * Graphs with a bool (uint8) or integer value computed at run time compile
 * where the schedule's algorithm takes that dtype (DLC_AT_TYPED in
 * schedule/algorithms.def). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "passes/passes.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

enum { MAX_IO = 8 };

/* ------------------------------------------------------------ building */

typedef struct ocase {
  dlc_graph *g;
  dlc_tensor in[MAX_IO]; /* run-time inputs, graph order, data malloc'd */
  int n_in;
  dlc_tensor ref[MAX_IO];
  int n_out;
  double atol, rtol;
  uint32_t seed;
  int names;
  char what[160];
} ocase;


static float rnd(ocase *c, float lo, float hi) {
  c->seed = c->seed * 1664525u + 1013904223u;
  return lo + (hi - lo) * (float)((c->seed >> 8) * (1.0 / 16777216.0));
}

static void oc_begin(ocase *c, const char *what, double atol, double rtol) {
  memset(c, 0, sizeof *c);
  c->g = dlc_graph_create();
  c->atol = atol;
  c->rtol = rtol;
  c->seed = 777u + (uint32_t)strlen(what) * 131u;
  snprintf(c->what, sizeof c->what, "%s", what);
}

static const char *fresh(ocase *c, const char *stem) {
  static char buf[32];
  snprintf(buf, sizeof buf, "%s%d", stem, c->names++);
  return buf;
}

/* A graph input with the given data (copied), or uniform in [lo, hi). */
static dlc_value *oc_input_data(ocase *c, int rank, const int64_t *dims,
                                const float *data) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  size_t nb = dlc_tensor_nbytes(&t);
  t.data = malloc(nb + 4);
  memcpy(t.data, data, nb);
  c->in[c->n_in++] = t;
  t.data = NULL;
  return dlc_graph_add_input(c->g, fresh(c, "x"), &t);
}

static dlc_value *oc_input(ocase *c, int rank, const int64_t *dims, float lo,
                           float hi) {
  float buf[4096];
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  int64_t n = dlc_tensor_numel(&t);
  cr_assert(n <= 4096);
  for (int64_t i = 0; i < n; i++)
    buf[i] = rnd(c, lo, hi);
  return oc_input_data(c, rank, dims, buf);
}

static dlc_value *oc_const(ocase *c, dlc_dtype dt, int rank,
                           const int64_t *dims, const void *data) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, dt, rank, dims);
  return dlc_graph_add_initializer(c->g, fresh(c, "c"), &t, data);
}

static dlc_value *oc_const_rand(ocase *c, int rank, const int64_t *dims,
                                float lo, float hi) {
  float buf[4096];
  int64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  for (int64_t i = 0; i < n; i++)
    buf[i] = rnd(c, lo, hi);
  return oc_const(c, DLC_DT_FLOAT32, rank, dims, buf);
}

static dlc_value *oc_scalar(ocase *c, float v) {
  int64_t one = 1;
  return oc_const(c, DLC_DT_FLOAT32, 1, &one, &v);
}

static dlc_value *oc_i64s(ocase *c, int n, const int64_t *v) {
  int64_t d = n;
  return oc_const(c, DLC_DT_INT64, 1, &d, v);
}

/* A node with one output; returns the node (its output: ->outputs[0]). */
static dlc_node *oc_node(ocase *c, dlc_op op, int n, dlc_value *const *ins) {
  char name[32];
  snprintf(name, sizeof name, "%s_%d", dlc_op_name(op), c->names);
  dlc_value *y = dlc_graph_add_value(c->g, fresh(c, "v"), DLC_VALUE_NODE);
  return dlc_graph_add_node(c->g, name, op, n, ins, 1, &y);
}

static dlc_value *oc_op(ocase *c, dlc_op op, int n, dlc_value *const *ins) {
  return oc_node(c, op, n, ins)->outputs[0];
}

static void oc_output(ocase *c, dlc_value *v) {
  v->is_output = true;
  dlc_vec_push(&c->g->outputs, v);
  c->n_out++;
}

/* ------------------------------------------------------------- running */

/* guarded_alloc / guarded_free: tests/helpers.h */

static bool close_enough(const ocase *c, int j, const float *got,
                         const char *cfg) {
  const float *want = c->ref[j].data;
  int64_t n = dlc_tensor_numel(&c->ref[j]);
  for (int64_t i = 0; i < n; i++) {
    double g = got[i], w = want[i];
    bool ok = isnan(w) ? isnan(g)
                       : (isinf(w) ? g == w
                                   : fabs(g - w) <= c->atol + c->rtol * fabs(w));
    if (!ok) {
      cr_log_error("%s [%s]: output %d element %lld of %lld: got %.9g, "
                   "interp %.9g", c->what, cfg, j, (long long)i, (long long)n,
                   g, w);
      return false;
    }
  }
  return true;
}

/* Compiles for cpu at -O<opt>; false (and counts a skip) when the driver
 * refuses a non-float value computed at run time. */
static bool compile(const ocase *c, const char *cpu, int opt,
                    dlc_compiled **m) {
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.cpu = cpu;
  o.opt_level = opt;
  o.fixed_batch = true;
  o.runtime_lib = tcg_runtime_for_shared();
  o.prefix = "ops";
  dlc_diag d;
  dlc_diag_init(&d, "ops");
  dlc_status st = th_compiled_create(c->g, &o, NULL, m, &d);
  bool typed = st != DLC_OK &&
               dlc_diag_contains(&d, "compiled code handles float32 only");
  if (st != DLC_OK && !typed)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  if (typed)
    return false;
  cr_assert_eq(st, DLC_OK, "%s [%s -O%d]: compilation failed", c->what, cpu,
               opt);
  return true;
}

/* Runs on guarded buffers, compares every output with the reference. */
static bool run_on(const ocase *c, const char *cpu, int opt) {
  dlc_compiled *m = NULL;
  if (!compile(c, cpu, opt, &m))
    return false;
  char cfg[48];
  snprintf(cfg, sizeof cfg, "%s -O%d", cpu, opt);
  const struct dlc_model *md = dlc_compiled_model(m);
  guarded gi[MAX_IO], go[MAX_IO], gw;
  const float *in[MAX_IO];
  float *out[MAX_IO];
  for (int i = 0; i < c->n_in; i++) {
    size_t nb = dlc_tensor_nbytes(&c->in[i]);
    guarded_alloc(&gi[i], nb);
    memcpy(gi[i].p, c->in[i].data, nb);
    in[i] = gi[i].p;
  }
  for (int j = 0; j < c->n_out; j++) {
    size_t nb = dlc_tensor_nbytes(&c->ref[j]);
    guarded_alloc(&go[j], nb);
    memset(go[j].p, 0xff, nb); /* NaN: a skipped store cannot pass */
    out[j] = go[j].p;
  }
  guarded_alloc(&gw, (size_t)md->workspace_size);
  int rc = md->run(in, out, gw.p);
  cr_expect_eq(rc, DLCRT_OK, "%s [%s]: run returned %d", c->what, cfg, rc);
  for (int j = 0; j < c->n_out; j++)
    cr_expect(close_enough(c, j, out[j], cfg), "%s [%s]: output %d differs "
              "from the interpreter", c->what, cfg, j);
  for (int i = 0; i < c->n_in; i++)
    guarded_free(&gi[i]);
  for (int j = 0; j < c->n_out; j++)
    guarded_free(&go[j]);
  guarded_free(&gw);
  dlc_compiled_destroy(m);
  return true;
}

static bool have_avx2(void) {
  return dlcrt_cpu_supports(DLCRT_CPU_AVX2 | DLCRT_CPU_FMA);
}

/* The interpreter's outputs, then every configuration. */
static void oc_run_all(ocase *c) {
  dlc_diag d;
  dlc_diag_init(&d, "ops");
  dlc_status st = dlc_interp_run(c->g, DLC_ENGINE_INTERP, c->in, c->n_in,
                                 c->ref, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "%s: interpreter failed", c->what);
  /* every case compiles: a refusal is a failure, not a skip */
  cr_assert(run_on(c, "native", 2), "%s: the compiled engine refused it",
            c->what);
  if (UNDER_ASAN) {
    run_on(c, "x86-64", 0);
  } else {
    run_on(c, "x86-64", 2);
    run_on(c, "x86-64", 0);
    if (have_avx2()) {
      run_on(c, "haswell", 2);
      run_on(c, "haswell", 0);
    }
  }
  dlc_interp_free_tensors(c->ref, c->n_out);
}

static void oc_free(ocase *c) {
  for (int i = 0; i < c->n_in; i++)
    free(c->in[i].data);
  dlc_graph_destroy(c->g);
}

/* Sorts, infers, checks, frees. */
static void oc_check(ocase *c) {
  dlc_diag d;
  dlc_diag_init(&d, "ops");
  cr_assert_eq(dlc_graph_sort(c->g, &d), DLC_OK);
  bool ok = dlc_graph_infer_shapes(c->g, NULL, 0, &d) == DLC_OK;
  if (!ok)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert(ok, "%s: shape inference failed", c->what);
  oc_run_all(c);
  oc_free(c);
}

Test(setup, avx2_host) {
  if (!have_avx2())
    fprintf(stderr, "warning: host without AVX2+FMA: the haswell "
            "configurations are skipped\n");
}

/* ------------------------------------------------- element-wise unary */

static const int64_t ODD3[3] = {3, 5, 7}, ROW[1] = {37};

static void unary_case(dlc_op op, float lo, float hi, double atol,
                       double rtol) {
  for (int shape = 0; shape < 2; shape++) {
    ocase c;
    char what[64];
    snprintf(what, sizeof what, "%s %s", dlc_op_name(op),
             shape ? "(37)" : "(3,5,7)");
    oc_begin(&c, what, atol, rtol);
    dlc_value *x = shape ? oc_input(&c, 1, ROW, lo, hi)
                         : oc_input(&c, 3, ODD3, lo, hi);
    oc_output(&c, oc_op(&c, op, 1, &x));
    oc_check(&c);
  }
}

Test(extra, unary_maths) {
  unary_case(DLC_OP_NEG, -5, 5, 0, 0);
  unary_case(DLC_OP_ABS, -5, 5, 0, 0);
  unary_case(DLC_OP_RECIPROCAL, 0.25f, 4, 0, 1e-6);
  unary_case(DLC_OP_LOG, 0.001f, 100, 1e-6, 1e-6);
  unary_case(DLC_OP_SOFTPLUS, -40, 40, 1e-7, 2e-6);
}

Test(extra, reciprocal_of_negative_and_zero) {
  ocase c;
  oc_begin(&c, "Reciprocal of signed values", 0, 1e-6);
  float v[7] = {-2, -0.5f, 0.0f, -0.0f, 3, 1e-30f, -7};
  int64_t d = 7;
  dlc_value *x = oc_input_data(&c, 1, &d, v);
  oc_output(&c, oc_op(&c, DLC_OP_RECIPROCAL, 1, &x));
  oc_check(&c);
}

/* ------------------------------------------- comparisons, logic, Where */

/* Integer-valued inputs so that ties (Equal, >=, <=) occur, and a NaN. */
static dlc_value *tie_input(ocase *c, int rank, const int64_t *dims) {
  float buf[256];
  int64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  for (int64_t i = 0; i < n; i++)
    buf[i] = floorf(rnd(c, -3, 3));
  buf[n / 2] = NAN;
  return oc_input_data(c, rank, dims, buf);
}

static const dlc_op CMP_OPS[5] = {DLC_OP_EQUAL, DLC_OP_GREATER, DLC_OP_LESS,
                                  DLC_OP_GREATER_OR_EQUAL,
                                  DLC_OP_LESS_OR_EQUAL};

Test(extra, comparisons_into_where) {
  static const int64_t a_dims[3] = {3, 1, 9}, b_dims[2] = {4, 9};
  for (int k = 0; k < 5; k++) {
    ocase c;
    char what[64];
    snprintf(what, sizeof what, "Where(%s(a, b), a, b) broadcast",
             dlc_op_name(CMP_OPS[k]));
    oc_begin(&c, what, 0, 0);
    dlc_value *a = tie_input(&c, 3, a_dims), *b = tie_input(&c, 2, b_dims);
    dlc_value *ab[2] = {a, b};
    dlc_value *m = oc_op(&c, CMP_OPS[k], 2, ab);
    dlc_value *w[3] = {m, a, b};
    oc_output(&c, oc_op(&c, DLC_OP_WHERE, 3, w));
    oc_check(&c);
  }
}

Test(extra, logic_is_nan_not) {
  static const int64_t dims[2] = {5, 11};
  static const dlc_op logic[3] = {DLC_OP_AND, DLC_OP_OR, DLC_OP_XOR};
  for (int k = 0; k < 3; k++) {
    ocase c;
    char what[64];
    snprintf(what, sizeof what, "%s of masks, Not, IsNaN", dlc_op_name(logic[k]));
    oc_begin(&c, what, 0, 0);
    dlc_value *a = tie_input(&c, 2, dims);
    dlc_value *zero = oc_scalar(&c, 0), *ins[3];
    ins[0] = a;
    ins[1] = zero;
    dlc_value *gt = oc_op(&c, DLC_OP_GREATER, 2, ins);
    dlc_value *nan = oc_op(&c, DLC_OP_IS_NAN, 1, &a);
    dlc_value *not = oc_op(&c, DLC_OP_NOT, 1, &nan);
    ins[0] = gt;
    ins[1] = not;
    dlc_value *m = oc_op(&c, logic[k], 2, ins);
    ins[0] = m;
    ins[1] = a;
    ins[2] = oc_scalar(&c, -100);
    oc_output(&c, oc_op(&c, DLC_OP_WHERE, 3, ins));
    oc_check(&c);
  }
}

/* A constant condition: Where compiles today whatever check_graph says. */
Test(extra, where_constant_mask) {
  ocase c;
  oc_begin(&c, "Where(const mask (1,13), x (3,13), y (3,1))", 0, 0);
  static const int64_t md[2] = {1, 13}, xd[2] = {3, 13}, yd[2] = {3, 1};
  uint8_t mask[13];
  for (int i = 0; i < 13; i++)
    mask[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 7);
  dlc_value *ins[3] = {oc_const(&c, DLC_DT_UINT8, 2, md, mask),
                       oc_input(&c, 2, xd, -1, 1), oc_input(&c, 2, yd, -1, 1)};
  oc_output(&c, oc_op(&c, DLC_OP_WHERE, 3, ins));
  oc_check(&c);
}

/* Attention-mask shape: scores masked where a position test fails. */
Test(extra, attention_mask_chain) {
  ocase c;
  oc_begin(&c, "LessOrEqual -> Not -> Where -> ReduceMax", 0, 1e-6);
  static const int64_t sd[3] = {2, 6, 6};
  dlc_value *s = oc_input(&c, 3, sd, -2, 2);
  float rows[6] = {0, 1, 2, 3, 4, 5};
  int64_t r6[2] = {6, 1}, c6[2] = {1, 6};
  dlc_value *ins[3] = {oc_const(&c, DLC_DT_FLOAT32, 2, c6, rows),
                       oc_const(&c, DLC_DT_FLOAT32, 2, r6, rows)};
  dlc_value *le = oc_op(&c, DLC_OP_LESS_OR_EQUAL, 2, ins);
  /* a run-time operand keeps the mask from being folded */
  ins[0] = s;
  ins[1] = oc_scalar(&c, 0.5f);
  dlc_value *pos = oc_op(&c, DLC_OP_GREATER, 2, ins);
  ins[0] = le;
  ins[1] = pos;
  dlc_value *m = oc_op(&c, DLC_OP_AND, 2, ins);
  dlc_value *nm = oc_op(&c, DLC_OP_NOT, 1, &m);
  ins[0] = nm;
  ins[1] = oc_scalar(&c, -1e9f);
  ins[2] = s;
  dlc_value *w = oc_op(&c, DLC_OP_WHERE, 3, ins);
  dlc_node *rm = oc_node(&c, DLC_OP_REDUCE_MAX, 1, &w);
  int64_t ax = -1;
  dlc_node_set_ints(c.g, rm, "axes", &ax, 1);
  oc_output(&c, rm->outputs[0]);
  oc_output(&c, w);
  oc_check(&c);
}

/* -------------------------------------------------------------- Min/Max */

Test(extra, min_max_variadic) {
  static const int64_t d1[3] = {2, 3, 17}, d2[1] = {17}, d3[3] = {2, 1, 1};
  for (int op = 0; op < 2; op++) {
    for (int n = 1; n <= 3; n++) {
      ocase c;
      char what[64];
      snprintf(what, sizeof what, "%s of %d inputs", op ? "Max" : "Min", n);
      oc_begin(&c, what, 0, 0);
      float buf[102];
      for (int i = 0; i < 102; i++)
        buf[i] = rnd(&c, -1, 1);
      buf[5] = NAN;
      buf[40] = -0.0f;
      dlc_value *ins[3] = {oc_input_data(&c, 3, d1, buf),
                           oc_input(&c, 1, d2, -1, 1),
                           oc_const_rand(&c, 3, d3, -0.5f, 0.5f)};
      oc_output(&c, oc_op(&c, op ? DLC_OP_MAX : DLC_OP_MIN, n, ins));
      oc_check(&c);
    }
  }
}

/* ------------------------------------------------------------------ Cast */

/* float -> T -> float, over values that saturate, wrap and are NaN. */
static void cast_round_trip(int64_t to, const char *name) {
  ocase c;
  char what[64];
  snprintf(what, sizeof what, "Cast float -> %s -> float", name);
  oc_begin(&c, what, 0, 0);
  float v[19] = {0.4f, -0.6f, 1.5f, -2.5f, 127.9f, 128.2f, 255.7f, 256.1f,
                 300.7f, -1.0f, -129.3f, 3e9f, -3e9f, 1e19f, -1e20f, NAN,
                 INFINITY, -INFINITY, 123456789.0f};
  int64_t d = 19;
  dlc_value *x = oc_input_data(&c, 1, &d, v);
  dlc_node *n1 = oc_node(&c, DLC_OP_CAST, 1, &x);
  dlc_node_set_int(c.g, n1, "to", to);
  dlc_node *n2 = oc_node(&c, DLC_OP_CAST, 1, &n1->outputs[0]);
  dlc_node_set_int(c.g, n2, "to", 1);
  oc_output(&c, n2->outputs[0]);
  oc_check(&c);
}

Test(extra, cast) {
  cast_round_trip(7, "int64");
  cast_round_trip(6, "int32");
  cast_round_trip(2, "uint8");
  cast_round_trip(3, "int8");
  cast_round_trip(9, "bool");
  ocase c; /* float -> float: a copy */
  oc_begin(&c, "Cast float -> float", 0, 0);
  dlc_value *x = oc_input(&c, 3, ODD3, -3, 3);
  dlc_node *n = oc_node(&c, DLC_OP_CAST, 1, &x);
  dlc_node_set_int(c.g, n, "to", 1);
  oc_output(&c, n->outputs[0]);
  oc_check(&c);
}

/* int64 -> int32 -> uint8 -> bool chains and an integer comparison. */
Test(extra, integer_paths) {
  ocase c;
  oc_begin(&c, "Cast int chains, Equal on int64, Max on int32", 0, 0);
  int64_t d = 29;
  dlc_value *x = oc_input(&c, 1, &d, -300, 300);
  dlc_node *i64 = oc_node(&c, DLC_OP_CAST, 1, &x);
  dlc_node_set_int(c.g, i64, "to", 7);
  dlc_node *i32 = oc_node(&c, DLC_OP_CAST, 1, &i64->outputs[0]);
  dlc_node_set_int(c.g, i32, "to", 6);
  int32_t lim = 17;
  int64_t one = 1;
  dlc_value *mx[2] = {i32->outputs[0],
                      oc_const(&c, DLC_DT_INT32, 1, &one, &lim)};
  dlc_value *m32 = oc_op(&c, DLC_OP_MAX, 2, mx);
  dlc_node *u8 = oc_node(&c, DLC_OP_CAST, 1, &m32);
  dlc_node_set_int(c.g, u8, "to", 2);
  dlc_node *back = oc_node(&c, DLC_OP_CAST, 1, &u8->outputs[0]);
  dlc_node_set_int(c.g, back, "to", 1);
  oc_output(&c, back->outputs[0]);
  int64_t five = 5;
  dlc_value *eq[2] = {i64->outputs[0], oc_i64s(&c, 1, &five)};
  dlc_value *e = oc_op(&c, DLC_OP_GREATER, 2, eq);
  dlc_value *w[3] = {e, x, oc_scalar(&c, 0)};
  oc_output(&c, oc_op(&c, DLC_OP_WHERE, 3, w));
  oc_check(&c);
}

/* ------------------------------------- Expand, ConstantOfShape, Range */

Test(extra, expand) {
  static const int64_t xd[2][2] = {{3, 1}, {1, 13}};
  static const int64_t sh[2][3] = {{2, 3, 4}, {4, 1, 13}};
  for (int k = 0; k < 2; k++) {
    ocase c;
    oc_begin(&c, k ? "Expand (1,13) to (4,1,13)" : "Expand (3,1) to (2,3,4)",
             0, 0);
    dlc_value *ins[2] = {oc_input(&c, 2, xd[k], -1, 1), oc_i64s(&c, 3, sh[k])};
    oc_output(&c, oc_op(&c, DLC_OP_EXPAND, 2, ins));
    oc_check(&c);
  }
}

Test(extra, constant_of_shape_and_range) {
  ocase c;
  oc_begin(&c, "x + ConstantOfShape(2.5) + Range(0.5, 10.25, 0.75)", 0, 1e-7);
  int64_t d = 13;
  dlc_value *x = oc_input(&c, 1, &d, -1, 1);
  dlc_node *cs = oc_node(&c, DLC_OP_CONSTANT_OF_SHAPE, 1,
                         (dlc_value *[]){oc_i64s(&c, 1, &d)});
  dlc_attr *a = dlc_node_add_attr(c.g, cs, "value", DLC_ATTR_TENSOR);
  int64_t one = 1;
  static float fill = 2.5f;
  dlc_tensor_set_shape(&a->tensor, DLC_DT_FLOAT32, 1, &one);
  a->tensor.data = &fill;
  dlc_value *r = oc_op(&c, DLC_OP_RANGE, 3,
                       (dlc_value *[]){oc_scalar(&c, 0.5f),
                                       oc_scalar(&c, 10.25f),
                                       oc_scalar(&c, 0.75f)});
  dlc_value *s1 = oc_op(&c, DLC_OP_ADD, 2, (dlc_value *[]){x, cs->outputs[0]});
  oc_output(&c, oc_op(&c, DLC_OP_ADD, 2, (dlc_value *[]){s1, r}));
  oc_output(&c, r);
  oc_check(&c);
}

/* Integer ConstantOfShape and Range beyond what inference computes. */
Test(extra, integer_constant_of_shape_and_range) {
  ocase c;
  oc_begin(&c, "Cast(ConstantOfShape int64 7) + Cast(Range int32)", 0, 0);
  int64_t d = 5000;
  dlc_node *cs = oc_node(&c, DLC_OP_CONSTANT_OF_SHAPE, 1,
                         (dlc_value *[]){oc_i64s(&c, 1, &d)});
  dlc_attr *a = dlc_node_add_attr(c.g, cs, "value", DLC_ATTR_TENSOR);
  int64_t one = 1;
  static int64_t seven = 7;
  dlc_tensor_set_shape(&a->tensor, DLC_DT_INT64, 1, &one);
  a->tensor.data = &seven;
  int32_t s = -2000, l = 8000, k = 2;
  dlc_value *r = oc_op(
      &c, DLC_OP_RANGE, 3,
      (dlc_value *[]){oc_const(&c, DLC_DT_INT32, 1, &one, &s),
                      oc_const(&c, DLC_DT_INT32, 1, &one, &l),
                      oc_const(&c, DLC_DT_INT32, 1, &one, &k)});
  dlc_node *c1 = oc_node(&c, DLC_OP_CAST, 1, &cs->outputs[0]);
  dlc_node_set_int(c.g, c1, "to", 1);
  dlc_node *c2 = oc_node(&c, DLC_OP_CAST, 1, &r);
  dlc_node_set_int(c.g, c2, "to", 1);
  oc_output(&c, oc_op(&c, DLC_OP_ADD, 2,
                      (dlc_value *[]){c1->outputs[0], c2->outputs[0]}));
  oc_check(&c);
}

/* ------------------------------------------------------------ reductions */

typedef struct red_spec {
  int rank;
  int64_t dims[4];
  int n_axes; /* -1: no axes */
  int64_t axes[4];
  int keep, noop;
} red_spec;

static void reduce_case(dlc_op op, const red_spec *s) {
  ocase c;
  char what[128];
  snprintf(what, sizeof what, "%s rank %d axes %d [%lld %lld] keep %d noop %d",
           dlc_op_name(op), s->rank, s->n_axes, (long long)s->axes[0],
           (long long)s->axes[1], s->keep, s->noop);
  oc_begin(&c, what, 1e-6, 1e-5);
  float buf[4096];
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++)
    n *= s->dims[i];
  for (int64_t i = 0; i < n; i++)
    buf[i] = rnd(&c, -1, 1);
  if (op != DLC_OP_REDUCE_SUM && n > 40)
    buf[n - 3] = NAN; /* NaN wins in max/min */
  dlc_value *ins[2] = {oc_input_data(&c, s->rank, s->dims, buf), NULL};
  int ni = 1;
  if (op == DLC_OP_REDUCE_SUM && s->n_axes >= 0)
    ins[ni++] = oc_i64s(&c, s->n_axes, s->axes);
  dlc_node *r = oc_node(&c, op, ni, ins);
  if (op != DLC_OP_REDUCE_SUM && s->n_axes >= 0)
    dlc_node_set_ints(c.g, r, "axes", s->axes, s->n_axes);
  dlc_node_set_int(c.g, r, "keepdims", s->keep);
  if (op == DLC_OP_REDUCE_SUM)
    dlc_node_set_int(c.g, r, "noop_with_empty_axes", s->noop);
  oc_output(&c, r->outputs[0]);
  oc_check(&c);
}

Test(extra, reductions) {
  static const red_spec specs[] = {
      {3, {3, 5, 37}, 1, {2}, 1, 0},   /* innermost, vector partials */
      {3, {3, 5, 37}, 1, {1}, 0, 0},   /* middle: kept innermost rows */
      {2, {5, 37}, 1, {0}, 1, 0},      /* outermost */
      {3, {3, 5, 7}, 2, {0, -1}, 0, 0},
      {4, {2, 3, 4, 5}, -1, {0}, 0, 0}, /* everything */
      {3, {2, 9, 1}, 1, {-2}, 1, 0},
      {1, {3}, 1, {0}, 0, 0},
  };
  static const dlc_op ops[3] = {DLC_OP_REDUCE_SUM, DLC_OP_REDUCE_MAX,
                                DLC_OP_REDUCE_MIN};
  for (int o = 0; o < 3; o++)
    for (size_t k = 0; k < sizeof specs / sizeof *specs; k++)
      if (!UNDER_ASAN || (int)(k % 3) == o)
        reduce_case(ops[o], &specs[k]);
  red_spec noop = {2, {4, 6}, 0, {0}, 1, 1}; /* empty axes list: identity */
  reduce_case(DLC_OP_REDUCE_SUM, &noop);
}

/* ----------------------------------------------------- dlc-domain ops */

Test(dlcops, scale_shift) {
  static const int64_t d4[4] = {2, 5, 3, 7}, d2[2] = {3, 4}, c5 = 5,
                       c5d[3] = {5, 1, 1}, c4 = 4;
  ocase c;
  oc_begin(&c, "ScaleShift (2,5,3,7) with (5,1,1) vectors, (3,4)", 1e-6, 1e-6);
  dlc_value *a[3] = {oc_input(&c, 4, d4, -2, 2),
                     oc_const_rand(&c, 3, c5d, -1, 1),
                     oc_const_rand(&c, 1, &c5, -1, 1)};
  oc_output(&c, oc_op(&c, DLC_OP_SCALE_SHIFT, 3, a));
  dlc_value *b[3] = {oc_input(&c, 2, d2, -2, 2), oc_const_rand(&c, 1, &c4, -1, 1),
                     oc_const_rand(&c, 1, &c4, -1, 1)};
  oc_output(&c, oc_op(&c, DLC_OP_SCALE_SHIFT, 3, b));
  oc_check(&c);
}

Test(dlcops, channel_shuffle) {
  static const int64_t d4[4] = {1, 12, 5, 3}, d3[3] = {2, 6, 7}, d2[2] = {3, 4};
  static const int64_t groups[3] = {3, 2, 4};
  const int64_t *dims[3] = {d4, d3, d2};
  int ranks[3] = {4, 3, 2};
  ocase c;
  oc_begin(&c, "ChannelShuffle g=3 (1,12,5,3), g=2 (2,6,7), g=4 (3,4)", 0, 0);
  for (int k = 0; k < 3; k++) {
    dlc_value *x = oc_input(&c, ranks[k], dims[k], -1, 1);
    dlc_node *n = oc_node(&c, DLC_OP_CHANNEL_SHUFFLE, 1, &x);
    dlc_node_set_int(c.g, n, "group", groups[k]);
    oc_output(&c, n->outputs[0]);
  }
  oc_check(&c);
}

Test(dlcops, gelu_wide_range) {
  ocase c;
  oc_begin(&c, "Gelu on [-12, 12] and special values", 2e-7, 4e-7);
  float v[1003];
  for (int i = 0; i < 1000; i++)
    v[i] = -12.0f + 24.0f * (float)i / 999.0f;
  v[1000] = NAN;
  v[1001] = INFINITY;
  v[1002] = -1e-30f;
  int64_t d = 1003;
  dlc_value *x = oc_input_data(&c, 1, &d, v);
  oc_output(&c, oc_op(&c, DLC_OP_GELU, 1, &x));
  oc_check(&c);
}

/* ------------------------------------------------------ FusedElementwise */

typedef struct fstep {
  const char *op;
  int operand; /* node input index or -1 */
  int swapped;
  double alpha, beta;
} fstep;

static dlc_value *fused(ocase *c, dlc_value *const *ins, int n_ins,
                        const fstep *s, int n) {
  dlc_node *node = oc_node(c, DLC_OP_FUSED_ELEMENTWISE, n_ins, ins);
  dlc_attr *ops = dlc_node_add_attr(c->g, node, "ops", DLC_ATTR_STRINGS);
  ops->n = n;
  ops->strings = dlc_arena_alloc(c->g->arena, sizeof(char *) * (size_t)n);
  int64_t operand[32], swapped[32];
  double alpha[32], beta[32];
  for (int i = 0; i < n; i++) {
    ops->strings[i] = dlc_arena_strdup(c->g->arena, s[i].op);
    operand[i] = s[i].operand;
    swapped[i] = s[i].swapped;
    alpha[i] = s[i].alpha;
    beta[i] = s[i].beta;
  }
  dlc_node_set_ints(c->g, node, "operands", operand, n);
  dlc_node_set_ints(c->g, node, "swapped", swapped, n);
  dlc_node_set_floats(c->g, node, "alpha", alpha, n);
  dlc_node_set_floats(c->g, node, "beta", beta, n);
  return node->outputs[0];
}

/* Every unary step alone on x (one node each, one compiled graph), plus a
 * swapped unary step (it sees 0). */
Test(dlcops, fused_unary_steps) {
  static const fstep steps[] = {
      {"Relu", -1, 0, 0, 0},       {"LeakyRelu", -1, 0, 0.1, 0},
      {"Elu", -1, 0, 1.2, 0},      {"Sigmoid", -1, 0, 0, 0},
      {"Tanh", -1, 0, 0, 0},       {"Clip", -1, 0, -0.5, 0.7},
      {"HardSigmoid", -1, 0, 0.2, 0.5}, {"HardSwish", -1, 0, 0, 0},
      {"SiLU", -1, 0, 0, 0},       {"Gelu", -1, 0, 0, 0},
      {"Erf", -1, 0, 0, 0},        {"Exp", -1, 0, 0, 0},
      {"Exp", -1, 1, 0, 0},
  };
  int n = (int)(sizeof steps / sizeof *steps);
  for (int half = 0; half < 2; half++) {
    ocase c;
    oc_begin(&c, half ? "FusedElementwise unary steps (2nd half)"
                      : "FusedElementwise unary steps (1st half)",
             1e-6, 2e-6);
    static const int64_t d[3] = {2, 3, 19};
    float buf[114];
    for (int i = 0; i < 114; i++)
      buf[i] = rnd(&c, -6, 6);
    buf[7] = NAN;
    buf[8] = 0.0f;
    dlc_value *x = oc_input_data(&c, 3, d, buf);
    for (int i = half ? MAX_IO : 0; i < (half ? n : MAX_IO); i++)
      oc_output(&c, fused(&c, &x, 1, &steps[i], 1));
    oc_check(&c);
  }
  ocase c; /* Sqrt of a non-negative value: after Relu, in one program */
  oc_begin(&c, "FusedElementwise Relu, Sqrt", 0, 1e-6);
  dlc_value *x = oc_input(&c, 3, ODD3, -4, 4);
  fstep rs[2] = {{"Relu", -1, 0, 0, 0}, {"Sqrt", -1, 0, 0, 0}};
  oc_output(&c, fused(&c, &x, 1, rs, 2));
  oc_check(&c);
}

/* Binary steps against a scalar (input 1), a broadcast (input 2: (C,1))
 * and a full operand (input 3), each plain and swapped, in one loop. */
Test(dlcops, fused_binary_steps) {
  static const char *const kinds[] = {"Add", "Sub", "Mul", "Div", "PRelu"};
  static const int64_t xd[3] = {2, 5, 13}, bd[2] = {5, 1}, one = 1;
  for (int k = 0; k < 5; k++) {
    ocase c;
    char what[64];
    snprintf(what, sizeof what, "FusedElementwise %s x scalar/broadcast/full",
             kinds[k]);
    oc_begin(&c, what, 1e-6, 2e-6);
    dlc_value *ins[4] = {oc_input(&c, 3, xd, -2, 2),
                         oc_const_rand(&c, 1, &one, 0.5f, 1.5f),
                         oc_const_rand(&c, 2, bd, 0.5f, 1.5f),
                         oc_input(&c, 3, xd, 0.5f, 1.5f)};
    fstep s[6];
    for (int i = 0; i < 6; i++) /* keep Div's divisor away from 0 */
      s[i] = (fstep){kinds[k], 1 + i % 3,
                     k == 3 ? i >= 3 && i % 3 != 0 : i >= 3, 0, 0};
    oc_output(&c, fused(&c, ins, 4, s, 6));
    /* every operand kind swapped once, each alone */
    for (int i = 0; i < 3; i++) {
      fstep one_step = {kinds[k], 1 + i, 1, 0, 0};
      oc_output(&c, fused(&c, ins, 4, &one_step, 1));
    }
    oc_check(&c);
  }
}

Test(dlcops, fused_pow_and_chain) {
  ocase c;
  oc_begin(&c, "FusedElementwise Exp, Pow (scalar, swapped), chain", 1e-6,
           4e-6);
  static const int64_t xd[2] = {7, 9}, bd[1] = {9}, one = 1;
  dlc_value *ins[3] = {oc_input(&c, 2, xd, -1, 1),
                       oc_const_rand(&c, 1, &one, 1.2f, 1.8f),
                       oc_const_rand(&c, 1, bd, 0.5f, 2.0f)};
  fstep p[3] = {{"Exp", -1, 0, 0, 0}, {"Pow", 1, 0, 0, 0}, {"Pow", 2, 1, 0, 0}};
  oc_output(&c, fused(&c, ins, 3, p, 3));
  fstep chain[6] = {{"Mul", 2, 0, 0, 0},        {"Add", 1, 1, 0, 0},
                    {"HardSwish", -1, 0, 0, 0}, {"Sub", 2, 0, 0, 0},
                    {"LeakyRelu", -1, 0, 0.01, 0}, {"Clip", -1, 0, -0.3, 0.4}};
  oc_output(&c, fused(&c, ins, 3, chain, 6));
  oc_check(&c);
}

/* ------------------------------------------------------ passes' output */

static bool has_op(const dlc_graph *g, dlc_op op) {
  for (size_t k = 0; k < g->nodes.n; k++)
    if (!g->nodes.items[k]->dead && g->nodes.items[k]->op == op)
      return true;
  return false;
}

/* Loads the model, runs the -O2 pipeline, compares the compiled graph with
 * the interpreter on the optimised graph (and on the first input). */
static void passes_case(const char *model, const char *input, dlc_op expect,
                        dlc_op expect2, double atol, double rtol) {
  ocase c;
  memset(&c, 0, sizeof c);
  snprintf(c.what, sizeof c.what, "%s after -O2 passes", model);
  c.atol = atol;
  c.rtol = rtol;
  dlc_diag d;
  dlc_diag_init(&d, model);
  cr_assert_eq(dlc_frontend_load(model, &c.g, &d), DLC_OK, "%s", model);
  dlc_pass_options po = {.opt_level = 2};
  dlc_status st = dlc_passes_run(c.g, &po, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  cr_assert_eq(st, DLC_OK, "%s: passes failed", model);
  dlc_tensor x;
  cr_assert_eq(dlc_npy_read(input, &x, &d), DLC_OK, "%s", input);
  dlc_diag_free(&d);
  const dlc_tensor *want = &c.g->inputs.items[0]->type;
  cr_assert_eq(x.dtype, DLC_DT_FLOAT32);
  cr_assert(dlc_tensor_numel(&x) >= dlc_tensor_numel(want));
  x.rank = want->rank; /* the first batch item when the file holds more */
  memcpy(x.dims, want->dims, sizeof x.dims);
  c.in[0] = x;
  c.n_in = 1;
  c.n_out = (int)c.g->outputs.n;
  dlc_op want_ops[2] = {expect, expect2};
  for (int k = 0; k < 2; k++)
    if (want_ops[k] != DLC_OP_COUNT_)
      cr_expect(has_op(c.g, want_ops[k]), "%s: the passes made no %s", model,
                dlc_op_name(want_ops[k]));
  oc_run_all(&c);
  oc_free(&c);
}

#define FIX DLC_SOURCE_DIR "/tests/fixtures/"

Test(passes, fixtures_after_o2) {
  passes_case(FIX "net_transformer_encoder/model.json",
              FIX "net_transformer_encoder/input_0.npy", DLC_OP_COUNT_,
              DLC_OP_FUSED_ELEMENTWISE, 1e-5, 1e-4);
  passes_case(FIX "net_shufflenetv2_unit/model.json",
              FIX "net_shufflenetv2_unit/input_0.npy",
              DLC_OP_CHANNEL_SHUFFLE, DLC_OP_COUNT_, 1e-5, 1e-4);
  passes_case(FIX "net_se_block/model.json", FIX "net_se_block/input_0.npy",
              DLC_OP_COUNT_, DLC_OP_COUNT_, 1e-5, 1e-4);
  passes_case(DLC_SOURCE_DIR "/examples/digits/digits.json",
              DLC_SOURCE_DIR "/examples/digits/test_images.npy",
              DLC_OP_COUNT_, DLC_OP_COUNT_, 1e-5, 1e-4);
}

