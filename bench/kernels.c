/* bench/kernels.c — speed of the compiled Conv/Gemm kernels, side by side:
 * the register-blocked kinds (default), the first kernels (the codegen
 * schedule option conv_kind = "direct") and the interpreter's OpenBLAS
 * engine; plus the single-core FMA peak and end-to-end times of the fixture
 * nets. Single thread, medians. Build and run: see bench/kernels.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/driver.h"
#include "frontend/frontend.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------- FMA peak */

/* 24 independent chains of 512-bit FMAs in registers (inline asm, so the
 * compiler cannot keep them in memory): the core's FMA throughput. */
#define FMA4(a, b, c, d)                                                     \
  "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #a "\n\t"                           \
  "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #b "\n\t"                           \
  "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #c "\n\t"                           \
  "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #d "\n\t"
static double fma_peak(void) {
  long iters = 50000000;
  double t0 = now();
  __asm__ volatile("vxorps %%zmm30, %%zmm30, %%zmm30\n\t"
                   "vxorps %%zmm31, %%zmm31, %%zmm31\n\t"
                   "1:\n\t" FMA4(0, 1, 2, 3) FMA4(4, 5, 6, 7)
                       FMA4(8, 9, 10, 11) FMA4(12, 13, 14, 15)
                           FMA4(16, 17, 18, 19) FMA4(20, 21, 22, 23)
                   "dec %0\n\t"
                   "jnz 1b\n\t"
                   : "+r"(iters)::"cc", "memory");
  double dt = now() - t0;
  return 50000000.0 * 24 * 16 * 2 / dt * 1e-9;
}

/* ------------------------------------------------------------ timing */

static dlc_compiled *compile(const dlc_graph *g, const char *kind) {
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.run_passes = false;
  o.schedule.conv_kind = kind;
  o.codegen.cpu = "native";
  o.codegen.runtime_lib = tcg_runtime_for_shared();
  dlc_diag d;
  dlc_diag_init(&d, "bench");
  dlc_compiled *m = NULL;
  if (dlc_driver_load((dlc_graph *)g, &o, &m, &d) != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  return m;
}

/* Median seconds of one run of the compiled model. */
static double time_compiled(dlc_compiled *m, const float *const *in,
                            float *const *out) {
  double t[64];
  int n = 0;
  double start = now();
  dlc_compiled_run_raw(m, in, out); /* warm up */
  while (n < 64 && (n < 5 || now() - start < 0.5)) {
    double t0 = now();
    dlc_compiled_run_raw(m, in, out);
    t[n++] = now() - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  return t[n / 2];
}

static double time_blas(const dlc_graph *g, const dlc_tensor *in, int n_in) {
  double t[32];
  int n = 0;
  double start = now();
  while (n < 32 && (n < 5 || now() - start < 0.5)) {
    dlc_tensor out[8];
    dlc_diag d;
    dlc_diag_init(&d, "bench");
    double t0 = now();
    dlc_interp_run(g, DLC_ENGINE_BLAS, in, n_in, out, &d);
    t[n++] = now() - t0;
    dlc_interp_free_tensors(out, (int)g->outputs.n);
    dlc_diag_free(&d);
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  return t[n / 2];
}

typedef struct timed {
  double mk, direct, blas; /* seconds */
} timed;

static void time_graph(const dlc_graph *g, const dlc_tensor *in, int n_in,
                       timed *r) {
  const float *ip[8];
  float *op[8];
  for (int i = 0; i < n_in; i++)
    ip[i] = in[i].data;
  for (size_t j = 0; j < g->outputs.n; j++)
    op[j] = malloc(dlc_tensor_nbytes(&g->outputs.items[j]->type));
  dlc_compiled *a = compile(g, NULL), *b = compile(g, "direct");
  r->mk = a ? time_compiled(a, ip, op) : NAN;
  r->direct = b ? time_compiled(b, ip, op) : NAN;
  r->blas = time_blas(g, in, n_in);
  if (a)
    dlc_compiled_destroy(a);
  if (b)
    dlc_compiled_destroy(b);
  for (size_t j = 0; j < g->outputs.n; j++)
    free(op[j]);
}

/* ------------------------------------------------------------ layers */

static float *rnd(int64_t n) {
  float *d = malloc((size_t)n * 4);
  for (int64_t i = 0; i < n; i++)
    d[i] = (float)rand() / RAND_MAX - 0.5f;
  return d;
}

static dlc_graph *conv_graph(int64_t cin, int64_t hw, int64_t cout, int64_t k,
                             int64_t group, dlc_tensor *x) {
  dlc_graph *g = dlc_graph_create();
  int64_t xd[4] = {1, cin, hw, hw}, wd[4] = {cout, cin / group, k, k};
  dlc_tensor_set_shape(x, DLC_DT_FLOAT32, 4, xd);
  x->data = NULL;
  dlc_tensor wt = {0}, bt = {0};
  dlc_tensor_set_shape(&wt, DLC_DT_FLOAT32, 4, wd);
  dlc_tensor_set_shape(&bt, DLC_DT_FLOAT32, 1, &cout);
  float *w = rnd(dlc_tensor_numel(&wt)), *b = rnd(cout);
  dlc_value *ins[3] = {dlc_graph_add_input(g, "x", x),
                       dlc_graph_add_initializer(g, "w", &wt, w),
                       dlc_graph_add_initializer(g, "b", &bt, b)};
  free(w);
  free(b);
  x->data = rnd(dlc_tensor_numel(x));
  dlc_value *y = dlc_graph_add_value(g, "y", DLC_VALUE_NODE);
  dlc_node *n = dlc_graph_add_node(g, "conv", DLC_OP_CONV, 3, ins, 1, &y);
  int64_t ks[2] = {k, k}, p = k / 2, pads[4] = {p, p, p, p};
  dlc_node_set_ints(g, n, "kernel_shape", ks, 2);
  dlc_node_set_ints(g, n, "pads", pads, 4);
  dlc_node_set_int(g, n, "group", group);
  y->is_output = true;
  dlc_vec_push(&g->outputs, y);
  return g;
}

static dlc_graph *gemm_graph(int64_t m, int64_t k, int64_t nout,
                             dlc_tensor *x) {
  dlc_graph *g = dlc_graph_create();
  int64_t xd[2] = {m, k}, wd[2] = {nout, k};
  dlc_tensor_set_shape(x, DLC_DT_FLOAT32, 2, xd);
  x->data = NULL;
  dlc_tensor wt = {0}, bt = {0};
  dlc_tensor_set_shape(&wt, DLC_DT_FLOAT32, 2, wd);
  dlc_tensor_set_shape(&bt, DLC_DT_FLOAT32, 1, &nout);
  float *w = rnd(nout * k), *b = rnd(nout);
  dlc_value *ins[3] = {dlc_graph_add_input(g, "x", x),
                       dlc_graph_add_initializer(g, "w", &wt, w),
                       dlc_graph_add_initializer(g, "b", &bt, b)};
  free(w);
  free(b);
  x->data = rnd(m * k);
  dlc_value *y = dlc_graph_add_value(g, "y", DLC_VALUE_NODE);
  dlc_node *n = dlc_graph_add_node(g, "fc", DLC_OP_GEMM, 3, ins, 1, &y);
  dlc_node_set_int(g, n, "transB", 1);
  y->is_output = true;
  dlc_vec_push(&g->outputs, y);
  return g;
}

static void finish(dlc_graph *g) {
  dlc_diag d;
  dlc_diag_init(&d, "bench");
  dlc_graph_sort(g, &d);
  dlc_graph_infer_shapes(g, NULL, 0, &d);
  dlc_diag_free(&d);
}

static void layer(const char *name, dlc_graph *g, dlc_tensor *x, double macs,
                  double bytes, double peak) {
  finish(g);
  timed r;
  time_graph(g, x, 1, &r);
  double fl = 2 * macs * 1e-9;
  printf("| %-28s | %8.3f | %6.1f (%3.0f%%) | %8.3f | %6.1f | %8.3f | %6.1f |",
         name, r.mk * 1e3, fl / r.mk, 100 * fl / r.mk / peak, r.direct * 1e3,
         fl / r.direct, r.blas * 1e3, fl / r.blas);
  if (bytes > 0)
    printf(" %.1f GB/s", bytes / r.mk * 1e-9);
  printf("\n");
  free(x->data);
  dlc_graph_destroy(g);
}

static void fixture(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/tests/fixtures/%s/model.json",
           DLC_SOURCE_DIR, name);
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  if (dlc_frontend_load(path, &g, &d) != DLC_OK) {
    dlc_diag_print(&d, stderr);
    dlc_diag_free(&d);
    return;
  }
  dlc_diag_free(&d);
  dlc_tensor in[8];
  int n = (int)g->inputs.n;
  for (int i = 0; i < n; i++) {
    in[i] = g->inputs.items[i]->type;
    in[i].data = rnd(dlc_tensor_numel(&in[i]));
  }
  timed r;
  time_graph(g, in, n, &r);
  printf("| %-28s | %9.3f | %9.3f | %9.3f |\n", name, r.mk * 1e3,
         r.direct * 1e3, r.blas * 1e3);
  for (int i = 0; i < n; i++)
    free(in[i].data);
  dlc_graph_destroy(g);
}

int main(void) {
  double peak = fma_peak();
  printf("single-core FMA peak (24 chains of 512-bit FMA): %.1f GFLOP/s\n\n",
         peak);
  printf("| layer (batch 1)              | new ms   | new GFLOP/s  | direct ms"
         " | GFLOP/s | blas ms  | GFLOP/s |\n");
  printf("|---|---|---|---|---|---|---|\n");
  dlc_tensor x;
  dlc_graph *g;
  g = conv_graph(64, 56, 64, 3, 1, &x);
  layer("conv 3x3 64->64 56x56", g, &x, 64.0 * 64 * 9 * 56 * 56, 0, peak);
  g = conv_graph(256, 56, 64, 1, 1, &x);
  layer("conv 1x1 256->64 56x56", g, &x, 256.0 * 64 * 56 * 56, 0, peak);
  g = conv_graph(512, 7, 512, 3, 1, &x);
  layer("conv 3x3 512->512 7x7", g, &x, 512.0 * 512 * 9 * 49, 0, peak);
  g = conv_graph(128, 28, 128, 3, 1, &x);
  layer("conv 3x3 128->128 28x28", g, &x, 128.0 * 128 * 9 * 28 * 28, 0, peak);
  g = conv_graph(32, 112, 32, 3, 32, &x);
  layer("depthwise 3x3 32ch 112x112", g, &x, 32.0 * 9 * 112 * 112,
        2.0 * 32 * 112 * 112 * 4, peak);
  g = gemm_graph(1, 2048, 1000, &x);
  layer("gemm 1x2048 -> 1000", g, &x, 2048.0 * 1000, 2048.0 * 1000 * 4, peak);
  g = gemm_graph(64, 2048, 1000, &x);
  layer("gemm 64x2048 -> 1000", g, &x, 64 * 2048.0 * 1000, 0, peak);
  printf("\n| fixture net                  | new ms    | direct ms | blas ms   |\n");
  printf("|---|---|---|---|\n");
  static const char *const nets[] = {
      "net_resnet_basic_block", "net_mobilenetv2_block", "net_conv_bn_relu",
      "net_shufflenetv2_unit", "net_se_block", "net_spp",
      "net_transformer_encoder", "net_upsample_concat"};
  for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
    fixture(nets[i]);
  return 0;
}
