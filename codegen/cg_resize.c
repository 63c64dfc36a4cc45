/* cg_resize.c — Resize (nearest and linear, every coordinate transformation
 * mode but tf_crop_and_resize).
 *
 * Each axis whose mapping is not the identity gets compile-time tables: the
 * two input neighbours (i0, i1) and the weight of i1 for each output
 * coordinate, computed in double with ONNX's formulas (the reference
 * kernel's, ir/ops_spatial.c). The kernel walks the output and sums the 2^k
 * corners of the k resampled axes (one corner for nearest). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

#define MAX_AXES 3

static const dlc_tensor *opt_input(const dlc_node *n, int i) {
  if (i >= n->n_inputs || !n->inputs[i] ||
      dlc_tensor_numel(&n->inputs[i]->type) == 0)
    return NULL;
  return &n->inputs[i]->type;
}

/* x_original for output coordinate x (ONNX's formulas). */
static double coord(const char *ctm, double x, double in, double out,
                    double num, double den) {
  if (!strcmp(ctm, "pytorch_half_pixel"))
    return out > 1 ? (x + 0.5) * num / den - 0.5 : 0.0;
  if (!strcmp(ctm, "align_corners"))
    return out > 1 ? x * (in - 1) / (out - 1) : 0.0;
  if (!strcmp(ctm, "asymmetric"))
    return x * num / den;
  if (!strcmp(ctm, "tf_half_pixel_for_nearest"))
    return (x + 0.5) * num / den;
  return (x + 0.5) * num / den - 0.5; /* half_pixel */
}

static int64_t round_nearest(const char *mode, double v) {
  double f = floor(v);
  if (!strcmp(mode, "round_prefer_ceil"))
    return (int64_t)(v - f == 0.5 ? f + 1 : floor(v + 0.5));
  if (!strcmp(mode, "floor"))
    return (int64_t)f;
  if (!strcmp(mode, "ceil"))
    return (int64_t)ceil(v);
  return (int64_t)(v - f == 0.5 ? f : floor(v + 0.5));
}

/* Taps of axis d: idx[2*o], idx[2*o+1], w[o]. True if not the identity. */
static bool axis_taps(const dlc_node *n, int d, int32_t *idx, float *w) {
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  const dlc_tensor *scales = opt_input(n, 2);
  int64_t in = x->dims[d], out = y->dims[d];
  double num = scales ? 1.0 : (double)in;
  double den = scales ? dlc_tensor_get_f64(scales, d) : (double)out;
  const char *ctm = dlc_node_get_string(n, "coordinate_transformation_mode");
  bool linear = !strcmp(dlc_node_get_string(n, "mode"), "linear");
  const char *nm = dlc_node_get_string(n, "nearest_mode");
  bool identity = in == out;
  for (int64_t o = 0; o < out; o++) {
    double v = coord(ctm, (double)o, (double)in, (double)out, num, den);
    double last = (double)(in - 1);
    int64_t i0, i1;
    double wt = 0.0;
    if (!linear) {
      int64_t i = round_nearest(nm, fmax(-1.0, fmin(v, last + 1)));
      i0 = i1 = i < 0 ? 0 : i > in - 1 ? in - 1 : i;
    } else {
      v = fmax(0.0, fmin(v, last));
      i0 = (int64_t)floor(v);
      i1 = i0 < in - 1 ? i0 + 1 : i0;
      wt = i1 != i0 ? v - (double)i0 : 0.0;
    }
    idx[2 * o] = (int32_t)i0;
    idx[2 * o + 1] = (int32_t)i1;
    w[o] = (float)wt;
    identity = identity && i0 == o && wt == 0.0;
  }
  return !identity;
}

/* Blobs: per resampled axis, its index pairs then its weights. key_extra
 * lists the resampled axes (the kernel's loop structure depends on them). */
static bool prepare_resize(cg_ctx *c, const dlc_node *n, cg_call *call) {
  (void)c;
  const dlc_tensor *y = &n->outputs[0]->type;
  int k = 0;
  for (int d = 0; d < y->rank; d++) {
    int32_t *idx = malloc((size_t)y->dims[d] * 8 + 8);
    float *w = malloc((size_t)y->dims[d] * 4 + 4);
    DLC_ASSERT(idx && w);
    if (!axis_taps(n, d, idx, w) || k == MAX_AXES) {
      free(idx);
      free(w);
      if (k == MAX_AXES)
        return false;
      continue;
    }
    k++; /* which axes have tables follows from the shapes in the key */
    call->owned[call->n_owned++] = idx;
    call->owned[call->n_owned++] = w;
    call->extra[call->n_extra++] = (cg_blob){idx, (size_t)y->dims[d] * 8};
    call->extra[call->n_extra++] = (cg_blob){w, (size_t)y->dims[d] * 4};
  }
  return true;
}

typedef struct axis_tap {
  LLVMValueRef i0, i1, w;
} axis_tap;

static LLVMValueRef load_i32(cg_fn *f, LLVMValueRef base, LLVMValueRef i) {
  LLVMValueRef at = LLVMBuildInBoundsGEP2(f->b, f->c->i32, base, &i, 1, "");
  return LLVMBuildSExt(f->b, LLVMBuildLoad2(f->b, f->c->i32, at, ""),
                       f->c->i64, "");
}

/* Which axes prepare_resize gave tables to, in order. */
static int resampled_axes(const dlc_node *n, int *axes) {
  const dlc_tensor *y = &n->outputs[0]->type;
  int k = 0;
  for (int d = 0; d < y->rank && k < MAX_AXES; d++) {
    int32_t *idx = malloc((size_t)y->dims[d] * 8 + 8);
    float *w = malloc((size_t)y->dims[d] * 4 + 4);
    DLC_ASSERT(idx && w);
    if (axis_taps(n, d, idx, w))
      axes[k++] = d;
    free(idx);
    free(w);
  }
  return k;
}

/* Sum over the 2^k corners (nearest: the i0 corner alone). */
static LLVMValueRef corners(cg_fn *f, LLVMValueRef base, const axis_tap *t,
                            const int *axes, int k, const int64_t *xs,
                            bool linear) {
  LLVMValueRef acc = NULL;
  for (int c = 0; c < (linear ? 1 << k : 1); c++) {
    LLVMValueRef off = base, w = NULL;
    for (int j = 0; j < k; j++) {
      bool hi = (c >> j) & 1;
      off = cg_affine(f, off, hi ? t[j].i1 : t[j].i0, xs[axes[j]]);
      if (!linear)
        continue;
      LLVMValueRef wj =
          hi ? t[j].w : LLVMBuildFSub(f->b, cg_f32(f, 1), t[j].w, "");
      w = w ? LLVMBuildFMul(f->b, w, wj, "") : wj;
    }
    LLVMValueRef v = cg_load(f, f->c->f32, f->in[0], off);
    if (w)
      v = LLVMBuildFMul(f->b, v, w, "");
    acc = acc ? LLVMBuildFAdd(f->b, acc, v, "") : v;
  }
  return acc;
}

static bool emit_resize(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  bool linear = !strcmp(dlc_node_get_string(n, "mode"), "linear");
  int axes[MAX_AXES];
  int k = resampled_axes(n, axes);
  int64_t xs[DLC_MAX_RANK];
  cg_strides(x, xs);
  LLVMValueRef o[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, y->rank, y->dims, o);
  LLVMValueRef base = cg_i64(f, 0), yo = cg_i64(f, 0);
  int64_t ystep = 1;
  for (int d = y->rank - 1; d >= 0; d--) {
    yo = cg_affine(f, yo, o[d], ystep);
    ystep *= y->dims[d];
    bool resampled = false;
    for (int j = 0; j < k; j++)
      resampled = resampled || axes[j] == d;
    if (!resampled)
      base = cg_affine(f, base, o[d], xs[d]);
  }
  axis_tap t[MAX_AXES];
  for (int j = 0; j < k; j++) {
    LLVMValueRef i2 = LLVMBuildMul(f->b, o[axes[j]], cg_i64(f, 2), "");
    t[j].i0 = load_i32(f, f->extra[2 * j], i2);
    t[j].i1 = load_i32(f, f->extra[2 * j],
                       LLVMBuildAdd(f->b, i2, cg_i64(f, 1), ""));
    t[j].w = cg_load(f, f->c->f32, f->extra[2 * j + 1], o[axes[j]]);
  }
  cg_store(f, corners(f, base, t, axes, k, xs, linear), f->out[0], yo);
  cg_nest_end(f, &nest);
  return true;
}

const cg_emitter cg_emit_resize = {
    .prep_inputs = 0xe, .prepare = prepare_resize, .emit = emit_resize};
