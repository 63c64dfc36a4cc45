/* test_codegen_math.c — the exp, logistic and tanh that codegen builds in IR
 * (cg_exp, cg_sigmoid, cg_tanh in codegen/cg_ir.c), through one-node
 * graphs compiled at -O2 for the host, x86-64 (SSE2, 4 lanes, no FMA) and
 * haswell (AVX2 + FMA, 8 lanes; skipped when the host lacks it). Sizes are
 * odd so both the vector loop and the scalar tail run.
 *
 * Exp against double-precision exp over a dense sweep of [-100, 100]:
 * relative error <= 2e-7 where the float result is normal, within one
 * subnormal step (2^-149) below FLT_MIN; specials exact (exp(+-0) = 1,
 * exp(tiny) = 1, exp(+inf) = +inf, exp(-inf) = +0, NaN stays NaN, overflow
 * gives +inf, exp(-110) = +0). The largest relative error is printed.
 *
 * Sigmoid, SiLU (Sigmoid + Mul, fused by the -O2 passes, alone and as a
 * Conv epilogue), Tanh and Softmax against the interpreter (libm expf/
 * tanhf): |got - want| <= 1e-6 + 1e-6 |want|. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "helpers.h"
#include "interp/interp.h"
#include "passes/passes.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

static bool have_avx2(void) {
  return dlcrt_cpu_supports(DLCRT_CPU_AVX2 | DLCRT_CPU_FMA);
}

/* ------------------------------------------------------------ building */

static dlc_value *add_input(dlc_graph *g, const char *name, int rank,
                            const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  return dlc_graph_add_input(g, name, &t);
}

static dlc_value *add_node(dlc_graph *g, const char *name, dlc_op op, int n,
                           dlc_value *const *ins) {
  dlc_value *y = dlc_graph_add_value(g, name, DLC_VALUE_NODE);
  dlc_graph_add_node(g, name, op, n, ins, 1, &y);
  return y;
}

static void set_output(dlc_graph *g, dlc_value *y) {
  y->is_output = true;
  dlc_vec_push(&g->outputs, y);
}

static void infer(dlc_graph *g) {
  dlc_diag d;
  dlc_diag_init(&d, "math");
  cr_assert_eq(dlc_graph_sort(g, &d), DLC_OK);
  bool ok = dlc_graph_infer_shapes(g, NULL, 0, &d) == DLC_OK;
  if (!ok)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert(ok, "shape inference failed");
}

/* Compiles g for cpu at -O2 and runs it on x (one input, one output). */
static float *compile_run(const dlc_graph *g, const char *cpu, const float *x,
                          int64_t n_out) {
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.cpu = cpu;
  o.opt_level = 2;
  o.runtime_lib = tcg_runtime_for_shared();
  o.prefix = "math";
  dlc_diag d;
  dlc_diag_init(&d, "math");
  dlc_compiled *m = NULL;
  dlc_status st = th_compiled_create(g, &o, NULL, &m, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "[%s]: compilation failed", cpu);
  const struct dlc_model *md = dlc_compiled_model(m);
  float *y = malloc((size_t)n_out * sizeof *y);
  memset(y, 0xff, (size_t)n_out * sizeof *y); /* NaN: a missed store fails */
  void *ws = aligned_alloc(64, ((size_t)md->workspace_size + 127) / 64 * 64);
  const float *in[1] = {x};
  float *out[1] = {y};
  int rc = md->run(in, out, ws);
  cr_assert_eq(rc, DLCRT_OK, "[%s]: run returned %d", cpu, rc);
  free(ws);
  dlc_compiled_destroy(m);
  return y;
}

static const char *const cpus[] = {"native", "x86-64", "haswell"};

static bool cpu_runs(const char *cpu) {
  return strcmp(cpu, "haswell") != 0 || have_avx2();
}

/* ----------------------------------------------------------------- exp */

/* The sweep: [-100, 100] in steps of 1/2048 (409601 points), then the
 * specials, whose expected values are exact. */
#define SWEEP 409601
static const float specials[] = {0.0f,     -0.0f,     1e-30f,    -1e-30f,
                                 1e-45f,   -1e-45f,   INFINITY,  -INFINITY,
                                 NAN,      88.7f,     -87.4f,    -103.0f,
                                 88.72f,   88.73f,    89.0f,     -104.0f,
                                 -110.0f,  1e10f,     -1e10f,    0.5f};
#define N_SPECIAL (int)(sizeof specials / sizeof specials[0])

/* Checks got = exp(x); returns the relative error (0 off the normal range),
 * or -1 on a failure. */
static double exp_error(float x, float got) {
  double want = exp((double)x);
  if (isnan(x))
    return isnan(got) ? 0 : -1;
  if (want > FLT_MAX * (1.0 + 0x1p-25)) /* rounds to +inf */
    return got == INFINITY ? 0 : -1;
  if (x == 0 || fabsf(x) < 1e-20f)
    return got == 1.0f ? 0 : -1;
  if (want < FLT_MIN) /* subnormal or zero: one step of 2^-149 */
    return fabs((double)got - want) <= 0x1p-149 && !signbit(got) ? 0 : -1;
  double rel = fabs((double)got - want) / want;
  return rel <= 2e-7 ? rel : -1;
}

Test(codegen_math, exp_sweep_and_specials) {
  int64_t n = SWEEP + N_SPECIAL;
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < SWEEP; i++)
    x[i] = (float)(-100.0 + (double)i / 2048.0);
  memcpy(x + SWEEP, specials, sizeof specials);
  dlc_graph *g = dlc_graph_create();
  dlc_value *in = add_input(g, "x", 1, &n);
  set_output(g, add_node(g, "y", DLC_OP_EXP, 1, &in));
  infer(g);
  for (size_t c = 0; c < sizeof cpus / sizeof cpus[0]; c++) {
    if (!cpu_runs(cpus[c]))
      continue;
    float *y = compile_run(g, cpus[c], x, n);
    double worst = 0;
    int64_t at = 0, fails = 0;
    for (int64_t i = 0; i < n; i++) {
      double e = exp_error(x[i], y[i]);
      if (e < 0 && fails++ < 5)
        cr_log_error("[%s] exp(%.9g): got %.9g, want %.9g", cpus[c], x[i],
                     y[i], exp((double)x[i]));
      if (e > worst) {
        worst = e;
        at = i;
      }
    }
    cr_log_info("[%s] exp: max relative error %.3g at x = %.9g", cpus[c],
                worst, x[at]);
    cr_expect_eq(fails, 0, "[%s] exp: %lld of %lld values wrong", cpus[c],
                 (long long)fails, (long long)n);
    free(y);
  }
  dlc_graph_destroy(g);
  free(x);
}

/* ------------------------------------------------- against the interpreter */

static float *interp_run(const dlc_graph *g, const float *x, int64_t n_in,
                         int64_t *n_out) {
  dlc_tensor in = {0};
  dlc_tensor_set_shape(&in, DLC_DT_FLOAT32, g->inputs.items[0]->type.rank,
                       g->inputs.items[0]->type.dims);
  cr_assert_eq(dlc_tensor_numel(&in), n_in);
  in.data = (void *)x;
  dlc_tensor out;
  dlc_diag d;
  dlc_diag_init(&d, "math");
  cr_assert_eq(dlc_interp_run(g, DLC_ENGINE_INTERP, &in, 1, &out, &d),
               DLC_OK);
  dlc_diag_free(&d);
  *n_out = dlc_tensor_numel(&out);
  float *y = malloc((size_t)*n_out * sizeof *y);
  memcpy(y, out.data, (size_t)*n_out * sizeof *y);
  dlc_interp_free_tensors(&out, 1);
  return y;
}

/* Interpreter on g as built, then (passes) the -O2 pipeline, then every
 * target against it. */
static void check_graph(dlc_graph *g, const char *what, const float *x,
                        int64_t n, bool passes) {
  int64_t n_out;
  float *want = interp_run(g, x, n, &n_out);
  if (passes) {
    dlc_diag d;
    dlc_diag_init(&d, what);
    dlc_pass_options po = {.opt_level = 2};
    cr_assert_eq(dlc_passes_run(g, &po, &d), DLC_OK, "%s: passes", what);
    dlc_diag_free(&d);
  }
  for (size_t c = 0; c < sizeof cpus / sizeof cpus[0]; c++) {
    if (!cpu_runs(cpus[c]))
      continue;
    float *got = compile_run(g, cpus[c], x, n_out);
    int fails = 0;
    double worst = 0;
    for (int64_t i = 0; i < n_out; i++) {
      double w = want[i], err = fabs((double)got[i] - w);
      if (isfinite(w) && err / (1 + fabs(w)) > worst)
        worst = err / (1 + fabs(w));
      bool same = isnan(w) ? isnan(got[i])
                           : got[i] == w || err <= 1e-6 + 1e-6 * fabs(w);
      if (!same && fails++ < 5)
        cr_log_error("%s [%s]: element %lld (x = %.9g): got %.9g, interp "
                     "%.9g", what, cpus[c], (long long)i, x[i % n], got[i], w);
    }
    cr_log_info("%s [%s]: max |got - want| / (1 + |want|) = %.3g", what,
                cpus[c], worst);
    cr_expect_eq(fails, 0, "%s [%s]: differs from the interpreter", what,
                 cpus[c]);
    free(got);
  }
  free(want);
}

/* [-50, 50] in steps of 1/64 plus the saturating and special values. */
static float *activation_inputs(int64_t *n) {
  static const float extra[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-4f, -1e-4f,
                                0.6249f, -0.6251f, 87.0f, -87.0f, 100.0f,
                                -100.0f, 1e30f, -1e30f, INFINITY, -INFINITY};
  int64_t sweep = 6401, ne = (int64_t)(sizeof extra / sizeof extra[0]);
  *n = sweep + ne;
  float *x = malloc((size_t)*n * sizeof *x);
  for (int64_t i = 0; i < sweep; i++)
    x[i] = (float)(-50.0 + (double)i / 64.0);
  memcpy(x + sweep, extra, sizeof extra);
  return x;
}

static void unary_case(dlc_op op, const char *what) {
  int64_t n;
  float *x = activation_inputs(&n);
  dlc_graph *g = dlc_graph_create();
  dlc_value *in = add_input(g, "x", 1, &n);
  set_output(g, add_node(g, "y", op, 1, &in));
  infer(g);
  check_graph(g, what, x, n, false);
  dlc_graph_destroy(g);
  free(x);
}

Test(codegen_math, sigmoid) { unary_case(DLC_OP_SIGMOID, "Sigmoid"); }
Test(codegen_math, tanh) { unary_case(DLC_OP_TANH, "Tanh"); }

Test(codegen_math, silu_fused) {
  int64_t n;
  float *x = activation_inputs(&n);
  dlc_graph *g = dlc_graph_create();
  dlc_value *in = add_input(g, "x", 1, &n);
  dlc_value *s = add_node(g, "s", DLC_OP_SIGMOID, 1, &in);
  dlc_value *mul_in[2] = {in, s};
  set_output(g, add_node(g, "y", DLC_OP_MUL, 2, mul_in));
  infer(g);
  check_graph(g, "SiLU (Sigmoid, Mul)", x, n, true);
  dlc_graph_destroy(g);
  free(x);
}

/* Conv 1x1 with weights 1 on the channel (identity) + SiLU: the Conv
 * epilogue path (fuse_epilogues). */
Test(codegen_math, silu_conv_epilogue) {
  int64_t n;
  float *x = activation_inputs(&n);
  int64_t ch = 3, hw = n / ch, xd[4] = {1, ch, 1, hw}, wd[4] = {ch, ch, 1, 1};
  float w[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  dlc_graph *g = dlc_graph_create();
  dlc_value *in = add_input(g, "x", 4, xd);
  dlc_tensor wt = {0};
  dlc_tensor_set_shape(&wt, DLC_DT_FLOAT32, 4, wd);
  dlc_value *conv_in[2] = {in, dlc_graph_add_initializer(g, "w", &wt, w)};
  dlc_value *c = add_node(g, "c", DLC_OP_CONV, 2, conv_in);
  dlc_value *s = add_node(g, "s", DLC_OP_SIGMOID, 1, &c);
  dlc_value *mul_in[2] = {c, s};
  set_output(g, add_node(g, "y", DLC_OP_MUL, 2, mul_in));
  infer(g);
  check_graph(g, "Conv 1x1 + SiLU epilogue", x, ch * hw, true);
  dlc_graph_destroy(g);
  free(x);
}

Test(codegen_math, softmax) {
  int64_t n;
  float *x = activation_inputs(&n);
  int64_t rows = 7, d[2] = {rows, n / rows};
  for (int64_t i = 0; i < rows * d[1]; i++) /* keep rows from saturating */
    x[i] = fmaxf(fminf(x[i], 60.0f), -60.0f) * 0.25f;
  dlc_graph *g = dlc_graph_create();
  dlc_value *in = add_input(g, "x", 2, d);
  dlc_value *y = add_node(g, "y", DLC_OP_SOFTMAX, 1, &in);
  dlc_node_set_int(g, g->nodes.items[0], "axis", 1);
  set_output(g, y);
  infer(g);
  check_graph(g, "Softmax", x, rows * d[1], false);
  dlc_graph_destroy(g);
  free(x);
}
