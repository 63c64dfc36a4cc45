/* blas.c — the "classic framework" engine: Conv as im2col + cblas_sgemm,
 * Gemm and MatMul as cblas_sgemm. Everything else runs on the reference
 * kernels. This is the baseline a serious compiler has to beat. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "interp_impl.h"

static bool all_float(const dlc_op_ctx *c) {
  for (int i = 0; i < c->n_inputs; i++)
    if (c->in[i] && c->in[i]->dtype != DLC_DT_FLOAT32)
      return false;
  return true;
}

bool dlc_blas_handles(const dlc_op_ctx *c) {
  if (!all_float(c))
    return false;
  switch (c->node->op) {
  case DLC_OP_CONV: return c->in[0]->rank == 4;
  case DLC_OP_GEMM: return true;
  case DLC_OP_MAT_MUL: return c->in[0]->rank >= 2 && c->in[1]->rank >= 2;
  default: return false;
  }
}

/* cols (Cg*kh*kw, Ho*Wo) from one group's input channels (Cg, H, W). */
static void im2col(const float *x, int64_t cg, int64_t h, int64_t w,
                   const int64_t *k, const int64_t *s, const int64_t *dil,
                   const int64_t *pb, int64_t ho, int64_t wo, float *cols) {
  for (int64_t ch = 0; ch < cg; ch++)
    for (int64_t ky = 0; ky < k[0]; ky++)
      for (int64_t kx = 0; kx < k[1]; kx++) {
        float *row = cols + ((ch * k[0] + ky) * k[1] + kx) * ho * wo;
        for (int64_t oy = 0; oy < ho; oy++) {
          int64_t iy = oy * s[0] - pb[0] + ky * dil[0];
          for (int64_t ox = 0; ox < wo; ox++) {
            int64_t ix = ox * s[1] - pb[1] + kx * dil[1];
            bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            row[oy * wo + ox] = inside ? x[(ch * h + iy) * w + ix] : 0.0f;
          }
        }
      }
}

/* Y (N, Cout, Ho, Wo) = W (Cout, Cin/g, kh, kw) * X (N, Cin, H, W) + B */
static bool blas_conv(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0], *wt = c->in[1];
  const dlc_tensor *b = c->n_inputs > 2 ? c->in[2] : NULL;
  dlc_tensor *y = &c->out[0];
  int64_t n = x->dims[0], cin = x->dims[1], h = x->dims[2], w = x->dims[3];
  int64_t cout = y->dims[1], ho = y->dims[2], wo = y->dims[3];
  int64_t g = dlc_node_get_int(c->node, "group");
  dlc_window win; /* the geometry shape inference computed */
  if (!dlc_window_of(c->node, &win) || win.ns != 2)
    return dlc_op_error(c, "the blas engine runs 2-D convolutions only");
  const int64_t *k = win.k, *s = win.s, *dil = win.d, *pb = win.pb;
  int64_t cg = cin / g, og = cout / g, kk = cg * k[0] * k[1], hw = ho * wo;
  size_t ncols = (size_t)(kk * hw) > 0 ? (size_t)(kk * hw) : 1;
  float *cols = malloc(sizeof(float) * ncols);
  if (!cols)
    return dlc_op_error(c, "out of memory (im2col buffer)");
  const float *xd = x->data, *wd = wt->data;
  float *yd = y->data;
  for (int64_t img = 0; img < n; img++)
    for (int64_t grp = 0; grp < g; grp++) {
      im2col(xd + (img * cin + grp * cg) * h * w, cg, h, w, k, s, dil, pb, ho,
             wo, cols);
      float *yo = yd + (img * cout + grp * og) * hw;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)hw,
                  (int)kk, 1.0f, wd + grp * og * kk, (int)kk, cols, (int)hw,
                  0.0f, yo, (int)hw);
    }
  free(cols);
  if (b && b->data)
    for (int64_t img = 0; img < n; img++)
      for (int64_t oc = 0; oc < cout; oc++) {
        float *p = yd + (img * cout + oc) * hw;
        float bias = ((const float *)b->data)[oc];
        for (int64_t i = 0; i < hw; i++)
          p[i] += bias;
      }
  return true;
}

/* Y (M, N) = alpha * op(A) op(B) + beta * C, C broadcast to (M, N). */
static bool blas_gemm(dlc_op_ctx *c) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  const dlc_tensor *cc = c->n_inputs > 2 ? c->in[2] : NULL;
  dlc_tensor *y = &c->out[0];
  bool ta = dlc_node_get_int(c->node, "transA") != 0;
  bool tb = dlc_node_get_int(c->node, "transB") != 0;
  float alpha = (float)dlc_node_get_float(c->node, "alpha");
  float beta = (float)dlc_node_get_float(c->node, "beta");
  int m = (int)y->dims[0], n = (int)y->dims[1];
  int k = (int)(ta ? a->dims[0] : a->dims[1]);
  float *yd = y->data;
  float b0 = 0.0f;
  if (cc && cc->data) {
    for (int64_t i = 0; i < (int64_t)m * n; i++)
      yd[i] = ((const float *)cc->data)[dlc_broadcast_index(cc, y, i)];
    b0 = beta;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a->data,
              (int)a->dims[1], b->data, (int)b->dims[1], b0, yd, n);
  return true;
}

/* Batched MatMul: batch dims broadcast; each (M, K) x (K, N) is one sgemm. */
static bool blas_matmul(dlc_op_ctx *c) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  dlc_tensor *y = &c->out[0];
  int64_t m = a->dims[a->rank - 2], k = a->dims[a->rank - 1];
  int64_t n = b->dims[b->rank - 1];
  dlc_tensor ab = *a, bb = *b, yb = *y; /* batch-only views */
  ab.rank -= 2;
  bb.rank -= 2;
  yb.rank -= 2;
  int64_t batches = dlc_tensor_numel(&yb);
  for (int64_t i = 0; i < batches; i++) {
    int64_t ia = dlc_broadcast_index(&ab, &yb, i);
    int64_t ib = dlc_broadcast_index(&bb, &yb, i);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)k, 1.0f, (const float *)a->data + ia * m * k, (int)k,
                (const float *)b->data + ib * k * n, (int)n, 0.0f,
                (float *)y->data + i * m * n, (int)n);
  }
  return true;
}

bool dlc_blas_run(dlc_op_ctx *c) {
  switch (c->node->op) {
  case DLC_OP_CONV: return blas_conv(c);
  case DLC_OP_GEMM: return blas_gemm(c);
  case DLC_OP_MAT_MUL: return blas_matmul(c);
  default: return dlc_op_error(c, "blas engine has no kernel for this op");
  }
}
