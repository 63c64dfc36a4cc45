/* cg_norm.c — normalisations: BatchNormalization (folded at
 * compile time into a per-channel scale and shift, then one element-wise
 * pass), InstanceNormalization and LayerNormalization (two-pass mean and
 * variance per row), Softmax / LogSoftmax (max-subtracted, over one axis as
 * at opset 13). Reductions are cg_reduce.c's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

/* ------------------------------------------------------- BatchNormalization */

/* scale = gamma / sqrt(var + eps), shift = beta - mean * scale (double). */
static bool prepare_batch_norm(cg_ctx *c, const dlc_node *n, cg_call *call) {
  (void)c;
  const dlc_tensor *g = &n->inputs[1]->type, *b = &n->inputs[2]->type,
                   *m = &n->inputs[3]->type, *v = &n->inputs[4]->type;
  int64_t ch = cg_numel(g);
  double eps = dlc_node_get_float(n, "epsilon");
  float *st = malloc((size_t)(2 * ch) * sizeof *st + 1);
  DLC_ASSERT(st);
  for (int64_t i = 0; i < ch; i++) {
    double s = dlc_tensor_get_f64(g, i) / sqrt(dlc_tensor_get_f64(v, i) + eps);
    st[i] = (float)s;
    st[ch + i] = (float)(dlc_tensor_get_f64(b, i) - dlc_tensor_get_f64(m, i) * s);
  }
  call->owned[call->n_owned++] = st;
  call->extra[call->n_extra++] = (cg_blob){st, (size_t)ch * 4};
  call->extra[call->n_extra++] = (cg_blob){st + ch, (size_t)ch * 4};
  return true;
}

static LLVMValueRef scale_shift(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                                const void *ud) {
  (void)ty;
  (void)ud;
  return LLVMBuildFAdd(f->b, LLVMBuildFMul(f->b, x[0], x[1], ""), x[2], "");
}

static bool emit_batch_norm(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  /* The per-channel vectors seen as (C, 1, ..., 1) broadcast over x. */
  dlc_tensor ch = {.dtype = DLC_DT_FLOAT32, .rank = x->rank - 1};
  ch.dims[0] = x->rank > 1 ? x->dims[1] : 1;
  for (int k = 1; k < ch.rank; k++)
    ch.dims[k] = 1;
  const dlc_tensor *t[3] = {x, &ch, &ch};
  LLVMValueRef p[3] = {f->in[0], f->extra[0], f->extra[1]};
  cg_emit_map(f, 3, p, t, f->out[0], &f->node->outputs[0]->type, scale_shift,
              NULL, true);
  return true;
}

/* ------------------------------------------------------ row statistics */

/* Mean and 1/sqrt(var + eps) of n floats at stride 1 from p (two passes). */
static void row_stats(cg_fn *f, LLVMValueRef p, int64_t n, double eps,
                      LLVMValueRef *mean, LLVMValueRef *rstd) {
  LLVMTypeRef f32 = f->c->f32;
  LLVMValueRef sum = cg_var(f, f32, cg_f32(f, 0));
  cg_loop l;
  LLVMValueRef i = cg_for_begin(f, &l, 0, n, 1);
  LLVMValueRef s = LLVMBuildLoad2(f->b, f32, sum, "");
  LLVMBuildStore(f->b, LLVMBuildFAdd(f->b, s, cg_load(f, f32, p, i), ""), sum);
  cg_for_end(f, &l);
  *mean = LLVMBuildFDiv(f->b, LLVMBuildLoad2(f->b, f32, sum, ""),
                        cg_f32(f, (double)n), "");
  LLVMValueRef sq = cg_var(f, f32, cg_f32(f, 0));
  i = cg_for_begin(f, &l, 0, n, 1);
  LLVMValueRef dx = LLVMBuildFSub(f->b, cg_load(f, f32, p, i), *mean, "");
  LLVMValueRef q = LLVMBuildLoad2(f->b, f32, sq, "");
  LLVMBuildStore(f->b, cg_fma(f, dx, dx, q), sq);
  cg_for_end(f, &l);
  LLVMValueRef var = LLVMBuildFDiv(f->b, LLVMBuildLoad2(f->b, f32, sq, ""),
                                   cg_f32(f, (double)n), "");
  var = LLVMBuildFAdd(f->b, var, cg_f32(f, eps), "");
  LLVMValueRef sd = cg_intrinsic(f, "llvm.sqrt", f32, &var, 1);
  *rstd = LLVMBuildFDiv(f->b, cg_f32(f, 1), sd, "");
}

/* -------------------------------------------------- InstanceNormalization */

static bool emit_instance_norm(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  int64_t ch = x->dims[1], planes = x->dims[0] * ch, hw = cg_numel(x) / planes;
  double eps = dlc_node_get_float(f->node, "epsilon");
  LLVMTypeRef f32 = f->c->f32;
  cg_loop lp, li;
  LLVMValueRef p = cg_for_begin(f, &lp, 0, planes, 1);
  LLVMValueRef c = LLVMBuildSRem(f->b, p, cg_i64(f, ch), "");
  LLVMValueRef off = cg_affine(f, NULL, p, hw);
  LLVMValueRef xp = cg_gep(f, f->in[0], off), yp = cg_gep(f, f->out[0], off);
  LLVMValueRef mean, rstd;
  row_stats(f, xp, hw, eps, &mean, &rstd);
  LLVMValueRef k = LLVMBuildFMul(f->b, cg_load(f, f32, f->in[1], c), rstd, "");
  LLVMValueRef b = cg_load(f, f32, f->in[2], c);
  LLVMValueRef i = cg_for_begin(f, &li, 0, hw, 1);
  LLVMValueRef dx = LLVMBuildFSub(f->b, cg_load(f, f32, xp, i), mean, "");
  cg_store(f, cg_fma(f, dx, k, b), yp, i);
  cg_for_end(f, &li);
  cg_for_end(f, &lp);
  return true;
}

/* ----------------------------------------------------- LayerNormalization */

static void split_at_axis(const dlc_tensor *x, int64_t axis, int64_t *outer,
                          int64_t *mid, int64_t *inner) {
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  *outer = *mid = *inner = 1;
  for (int k = 0; k < x->rank; k++) {
    if (k < a)
      *outer *= x->dims[k];
    else if (k == a)
      *mid = x->dims[k];
    else
      *inner *= x->dims[k];
  }
}

static bool emit_layer_norm(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  int64_t outer, mid, inner;
  split_at_axis(x, dlc_node_get_int(n, "axis"), &outer, &mid, &inner);
  int64_t row = mid * inner;
  double eps = dlc_node_get_float(n, "epsilon");
  LLVMTypeRef f32 = f->c->f32;
  cg_loop lr, li;
  LLVMValueRef r = cg_for_begin(f, &lr, 0, outer, 1);
  LLVMValueRef off = cg_affine(f, NULL, r, row);
  LLVMValueRef xp = cg_gep(f, f->in[0], off), yp = cg_gep(f, f->out[0], off);
  LLVMValueRef mean, rstd;
  row_stats(f, xp, row, eps, &mean, &rstd);
  LLVMValueRef i = cg_for_begin(f, &li, 0, row, 1);
  LLVMValueRef dx = LLVMBuildFSub(f->b, cg_load(f, f32, xp, i), mean, "");
  LLVMValueRef y = LLVMBuildFMul(f->b, LLVMBuildFMul(f->b, dx, rstd, ""),
                                 cg_load(f, f32, f->in[1], i), "");
  if (n->n_inputs > 2 && f->in[2])
    y = LLVMBuildFAdd(f->b, y, cg_load(f, f32, f->in[2], i), "");
  cg_store(f, y, yp, i);
  cg_for_end(f, &li);
  cg_for_end(f, &lr);
  return true;
}

/* --------------------------------------------------- Softmax, LogSoftmax */

static bool emit_softmax(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  bool log_form = n->op == DLC_OP_LOG_SOFTMAX;
  int64_t outer, d, inner;
  split_at_axis(x, dlc_node_get_int(n, "axis"), &outer, &d, &inner);
  LLVMTypeRef f32 = f->c->f32;
  cg_loop lo, li, l;
  LLVMValueRef o = cg_for_begin(f, &lo, 0, outer, 1);
  LLVMValueRef in = cg_for_begin(f, &li, 0, inner, 1);
  LLVMValueRef base = cg_affine(f, in, o, d * inner);
  LLVMValueRef xp = cg_gep(f, f->in[0], base), yp = cg_gep(f, f->out[0], base);
  LLVMValueRef mx = cg_var(f, f32, cg_f32(f, -INFINITY));
  LLVMValueRef j = cg_for_begin(f, &l, 0, d, 1);
  LLVMValueRef at = cg_affine(f, NULL, j, inner);
  LLVMBuildStore(f->b, cg_fmax(f, cg_load(f, f32, xp, at),
                               LLVMBuildLoad2(f->b, f32, mx, "")), mx);
  cg_for_end(f, &l);
  LLVMValueRef m = LLVMBuildLoad2(f->b, f32, mx, "");
  LLVMValueRef sum = cg_var(f, f32, cg_f32(f, 0));
  j = cg_for_begin(f, &l, 0, d, 1);
  at = cg_affine(f, NULL, j, inner);
  LLVMValueRef e = LLVMBuildFSub(f->b, cg_load(f, f32, xp, at), m, "");
  e = cg_exp(f, e);
  if (!log_form)
    cg_store(f, e, yp, at);
  LLVMBuildStore(f->b, LLVMBuildFAdd(f->b, LLVMBuildLoad2(f->b, f32, sum, ""),
                                     e, ""), sum);
  cg_for_end(f, &l);
  LLVMValueRef s = LLVMBuildLoad2(f->b, f32, sum, "");
  LLVMValueRef k = log_form ? cg_intrinsic(f, "llvm.log", f32, &s, 1)
                            : LLVMBuildFDiv(f->b, cg_f32(f, 1), s, "");
  j = cg_for_begin(f, &l, 0, d, 1);
  at = cg_affine(f, NULL, j, inner);
  LLVMValueRef y =
      log_form ? LLVMBuildFSub(f->b, LLVMBuildFSub(f->b, cg_load(f, f32, xp, at),
                                                   m, ""), k, "")
               : LLVMBuildFMul(f->b, cg_load(f, f32, yp, at), k, "");
  cg_store(f, y, yp, at);
  cg_for_end(f, &l);
  cg_for_end(f, &li);
  cg_for_end(f, &lo);
  return true;
}

const cg_emitter cg_emit_batch_norm = {
    .prep_inputs = 0x1e, .prepare = prepare_batch_norm, .emit = emit_batch_norm};
const cg_emitter cg_emit_instance_norm = {.emit = emit_instance_norm};
const cg_emitter cg_emit_layer_norm = {.emit = emit_layer_norm};
const cg_emitter cg_emit_softmax = {.emit = emit_softmax};
