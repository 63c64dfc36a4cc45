/* cg_shape.c — data-movement kernels: copies (renaming operators whose
 * output is a graph output), and the strided copy that Transpose, Slice,
 * Concat, Split, Pad, Gather and DepthToSpace are all expressed with:
 * out[obase + sum i_k*ostr_k] = in[ibase + sum i_k*istr_k]; and the tensors
 * made from shapes: Expand (a broadcasting map), ConstantOfShape (a fill)
 * and Range (start + i * delta), in any numeric dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

void cg_emit_strided_copy(cg_fn *f, int rank, const int64_t *dims_in,
                          LLVMValueRef in, int64_t ibase,
                          const int64_t *istr_in, LLVMValueRef out,
                          int64_t obase, const int64_t *ostr_in) {
  int64_t dims[DLC_MAX_RANK + 1], is[DLC_MAX_RANK + 1], os[DLC_MAX_RANK + 1];
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (dims_in[k] == 0)
      return;
    if (dims_in[k] == 1)
      continue;
    /* Merge into the previous (outer) dim when both walk it contiguously. */
    if (r > 0 && is[r - 1] == istr_in[k] * dims_in[k] &&
        os[r - 1] == ostr_in[k] * dims_in[k]) {
      dims[r - 1] *= dims_in[k];
      is[r - 1] = istr_in[k];
      os[r - 1] = ostr_in[k];
      continue;
    }
    dims[r] = dims_in[k];
    is[r] = istr_in[k];
    os[r] = ostr_in[k];
    r++;
  }
  if (r == 0) {
    dims[0] = 1;
    is[0] = os[0] = 1;
    r = 1;
  }
  LLVMValueRef idx[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, r - 1, dims, idx);
  LLVMValueRef ia = cg_i64(f, ibase), oa = cg_i64(f, obase);
  for (int k = 0; k < r - 1; k++) {
    ia = cg_affine(f, ia, idx[k], is[k]);
    oa = cg_affine(f, oa, idx[k], os[k]);
  }
  int64_t d = dims[r - 1];
  if (is[r - 1] == 1 && os[r - 1] == 1) {
    cg_copy(f, cg_gep(f, out, oa), cg_gep(f, in, ia), d);
  } else {
    cg_loop l;
    LLVMValueRef j = cg_for_begin(f, &l, 0, d, 1);
    LLVMValueRef x = cg_load(f, f->c->f32, in, cg_affine(f, ia, j, is[r - 1]));
    cg_store(f, x, out, cg_affine(f, oa, j, os[r - 1]));
    cg_for_end(f, &l);
  }
  cg_nest_end(f, &nest);
}

/* Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze whose output is a
 * graph output: the bytes are the same, so one copy. */
/* The bytes of the view, whatever its dtype (a bool mask, int64 ids). */
static bool emit_copy(cg_fn *f) {
  size_t n = dlc_tensor_nbytes(&f->node->outputs[0]->type);
  if (n > 0)
    LLVMBuildMemCpy(f->b, f->out[0], 1, f->in[0], 1, cg_i64(f, (int64_t)n));
  return true;
}

/* Reshape's shape, Squeeze/Unsqueeze's axes are read only by shape
 * inference: never passed at run time. */
const cg_emitter cg_emit_copy = {.prep_inputs = 0x6, .emit = emit_copy};

/* ------------------------------------------------------------- Transpose */

/* Y = X with axes permuted: walk Y in order, read X through permuted
 * strides. perm absent: reversed axes. */
static bool emit_transpose(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type, *y = &f->node->outputs[0]->type;
  const int64_t *perm;
  int np = dlc_node_get_ints(f->node, "perm", &perm);
  int64_t xs[DLC_MAX_RANK], ys[DLC_MAX_RANK], is[DLC_MAX_RANK];
  cg_strides(x, xs);
  cg_strides(y, ys);
  for (int k = 0; k < y->rank; k++)
    is[k] = xs[np ? perm[k] : y->rank - 1 - k];
  cg_emit_strided_copy(f, y->rank, y->dims, f->in[0], 0, is, f->out[0], 0, ys);
  return true;
}

static int norm_axis(int64_t axis, int rank) {
  return (int)(axis < 0 ? axis + rank : axis);
}

/* Concat: each input is a box of Y starting at its offset along axis. */
static bool emit_concat(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *y = &n->outputs[0]->type;
  int axis = norm_axis(dlc_node_get_int(n, "axis"), y->rank);
  int64_t ys[DLC_MAX_RANK], at = 0;
  cg_strides(y, ys);
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_tensor *x = &n->inputs[i]->type;
    int64_t xs[DLC_MAX_RANK];
    cg_strides(x, xs);
    cg_emit_strided_copy(f, x->rank, x->dims, f->in[i], 0, xs, f->out[0],
                         at * ys[axis], ys);
    at += x->dims[axis];
  }
  return true;
}

/* Split: the inverse of Concat; sizes come from the inferred outputs. */
static bool emit_split(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  int axis = norm_axis(dlc_node_get_int(n, "axis"), x->rank);
  int64_t xs[DLC_MAX_RANK], at = 0;
  cg_strides(x, xs);
  for (int j = 0; j < n->n_outputs; j++) {
    const dlc_tensor *y = &n->outputs[j]->type;
    int64_t ys[DLC_MAX_RANK];
    cg_strides(y, ys);
    if (f->out[j])
      cg_emit_strided_copy(f, y->rank, y->dims, f->in[0], at * xs[axis], xs,
                           f->out[j], 0, ys);
    at += y->dims[axis];
  }
  return true;
}

/* Slice (opset 13): starts/ends/axes/steps are constant inputs; the clamped
 * start of each sliced axis and its step give X's base and strides. */
static bool emit_slice(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  const dlc_tensor *starts = &n->inputs[1]->type;
  const dlc_tensor *axes = n->n_inputs > 3 && n->inputs[3] ? &n->inputs[3]->type : NULL;
  const dlc_tensor *steps = n->n_inputs > 4 && n->inputs[4] ? &n->inputs[4]->type : NULL;
  int64_t xs[DLC_MAX_RANK], ys[DLC_MAX_RANK], is[DLC_MAX_RANK], base = 0;
  cg_strides(x, xs);
  cg_strides(y, ys);
  memcpy(is, xs, sizeof is);
  for (int64_t i = 0; i < cg_numel(starts); i++) {
    int a = norm_axis(axes ? dlc_tensor_get_int(axes, i) : i, x->rank);
    int64_t d = x->dims[a], s = dlc_tensor_get_int(starts, i);
    int64_t step = steps ? dlc_tensor_get_int(steps, i) : 1;
    if (s < 0)
      s += d;
    if (step > 0)
      s = s < 0 ? 0 : s > d ? d : s;
    else
      s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
    base += s * xs[a];
    is[a] = step * xs[a];
  }
  cg_emit_strided_copy(f, y->rank, y->dims, f->in[0], base, is, f->out[0], 0,
                       ys);
  return true;
}

/* Gather with constant indices: one box copy per index. */
static bool emit_gather(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *idx = &n->inputs[1]->type;
  int axis = norm_axis(dlc_node_get_int(n, "axis"), x->rank);
  int64_t outer = 1, inner = 1, d = x->dims[axis], count = cg_numel(idx);
  for (int k = 0; k < axis; k++)
    outer *= x->dims[k];
  for (int k = axis + 1; k < x->rank; k++)
    inner *= x->dims[k];
  int64_t dims[2] = {outer, inner};
  int64_t is[2] = {d * inner, 1}, os[2] = {count * inner, 1};
  for (int64_t i = 0; i < count; i++) {
    int64_t j = dlc_tensor_get_int(idx, i);
    if (j < 0)
      j += d;
    cg_emit_strided_copy(f, 2, dims, f->in[0], j * inner, is, f->out[0],
                         i * inner, os);
  }
  return true;
}

/* DepthToSpace as a 6-D transpose. Y viewed as (N, C', H, b, W, b);
 * DCR reads X as (N, b, b, C', H, W), CRD as (N, C', b, b, H, W). */
static bool emit_depth_to_space(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  int64_t b = dlc_node_get_int(n, "blocksize");
  int64_t N = x->dims[0], C = x->dims[1] / (b * b), H = x->dims[2], W = x->dims[3];
  bool crd = strcmp(dlc_node_get_string(n, "mode"), "CRD") == 0;
  int64_t dims[6] = {N, C, H, b, W, b};
  int64_t hw = H * W;
  /* strides of X for Y's (n, c, h, b1, w, b2) */
  int64_t s_c = crd ? b * b * hw : hw;
  int64_t s_b1 = crd ? b * hw : b * C * hw;
  int64_t s_b2 = crd ? hw : C * hw;
  int64_t is[6] = {C * b * b * hw, s_c, W, s_b1, 1, s_b2};
  int64_t os[6] = {C * H * b * W * b, H * b * W * b, b * W * b, W * b, b, 1};
  cg_emit_strided_copy(f, 6, dims, f->in[0], 0, is, f->out[0], 0, os);
  return true;
}

/* ------------------------------------------------------------------- Pad */

/* Source index along an axis of size d for padded position p (edge or
 * reflect mode). */
static int64_t pad_source(int64_t p, int64_t d, bool reflect) {
  if (!reflect || d == 1)
    return p < 0 ? 0 : p >= d ? d - 1 : p;
  int64_t period = 2 * (d - 1);
  p %= period;
  if (p < 0)
    p += period;
  return p < d ? p : period - p;
}

/* Edge/reflect: a compile-time table of source indices, one per output. */
static bool prepare_pad(cg_ctx *c, const dlc_node *n, cg_call *call) {
  (void)c;
  const char *mode = dlc_node_get_string(n, "mode");
  if (strcmp(mode, "constant") == 0)
    return true;
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  const dlc_tensor *pads = &n->inputs[1]->type;
  int64_t total = cg_numel(y), xs[DLC_MAX_RANK], pos[DLC_MAX_RANK] = {0};
  cg_strides(x, xs);
  int32_t *tab = malloc((size_t)total * sizeof *tab + 1);
  DLC_ASSERT(tab);
  for (int64_t i = 0; i < total; i++) {
    int64_t src = 0;
    for (int k = 0; k < y->rank; k++)
      src += pad_source(pos[k] - dlc_tensor_get_int(pads, k), x->dims[k],
                        strcmp(mode, "reflect") == 0) * xs[k];
    tab[i] = (int32_t)src;
    for (int k = y->rank - 1; k >= 0 && ++pos[k] == y->dims[k]; k--)
      pos[k] = 0;
  }
  call->owned[call->n_owned++] = tab;
  call->extra[call->n_extra++] = (cg_blob){tab, (size_t)total * 4};
  return true;
}

static void pad_by_table(cg_fn *f, int64_t total) {
  cg_loop l;
  LLVMValueRef i = cg_for_begin(f, &l, 0, total, 1);
  LLVMValueRef at = LLVMBuildInBoundsGEP2(f->b, f->c->i32, f->extra[0], &i, 1, "");
  LLVMValueRef s = LLVMBuildSExt(f->b, LLVMBuildLoad2(f->b, f->c->i32, at, ""),
                                 f->c->i64, "");
  cg_store(f, cg_load(f, f->c->f32, f->in[0], s), f->out[0], i);
  cg_for_end(f, &l);
}

/* Constant mode: fill with the value, then copy the part of X that survives
 * (pads may be negative: cropping). */
static bool emit_pad(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  if (f->extra[0]) {
    pad_by_table(f, cg_numel(y));
    return true;
  }
  const dlc_tensor *pads = &n->inputs[1]->type;
  double v = n->n_inputs > 2 && n->inputs[2] && cg_numel(&n->inputs[2]->type)
                 ? dlc_tensor_get_f64(&n->inputs[2]->type, 0)
                 : 0.0;
  cg_fill(f, f->out[0], cg_numel(y), (float)v);
  int64_t xs[DLC_MAX_RANK], ys[DLC_MAX_RANK], dims[DLC_MAX_RANK];
  int64_t ib = 0, ob = 0;
  cg_strides(x, xs);
  cg_strides(y, ys);
  for (int k = 0; k < x->rank; k++) {
    int64_t pb = dlc_tensor_get_int(pads, k);
    int64_t o0 = pb > 0 ? pb : 0, i0 = pb < 0 ? -pb : 0;
    int64_t len = x->dims[k] - i0 < y->dims[k] - o0 ? x->dims[k] - i0
                                                    : y->dims[k] - o0;
    if (len <= 0)
      return true;
    dims[k] = len;
    ib += i0 * xs[k];
    ob += o0 * ys[k];
  }
  cg_emit_strided_copy(f, x->rank, dims, f->in[0], ib, xs, f->out[0], ob, ys);
  return true;
}

/* ----------------------------------------------------------------- Expand */

static LLVMValueRef pass(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                         const void *ud) {
  (void)f;
  (void)ty;
  (void)ud;
  return x[0];
}

/* The shape (input 1) is already in the output's type. */
static bool emit_expand(cg_fn *f) {
  cg_emit_map(f, 1, f->in,
              (const dlc_tensor *const[]){&f->node->inputs[0]->type}, f->out[0],
              &f->node->outputs[0]->type, pass, NULL, true);
  return true;
}

/* -------------------------------------------------------- ConstantOfShape */

static bool emit_constant_of_shape(cg_fn *f) {
  const dlc_attr *a = dlc_node_find_attr(f->node, "value");
  const dlc_tensor *y = &f->node->outputs[0]->type;
  bool is_f = y->dtype == DLC_DT_FLOAT32;
  int64_t iv = a && !is_f ? dlc_tensor_get_int(&a->tensor, 0) : 0;
  double fv = a && is_f ? dlc_tensor_get_f64(&a->tensor, 0) : 0;
  cg_emit_fill(f, y, f->out[0], iv, fv);
  return true;
}

/* ------------------------------------------------------------------ Range */

/* y[i] = start + i * delta (float: in double, rounded once; integers: wrap
 * around), from the constant scalars; the loop vectoriser takes it. */
static bool emit_range(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *y = &n->outputs[0]->type, *s = &n->inputs[0]->type,
                   *d = &n->inputs[2]->type;
  int64_t count = cg_numel(y);
  if (count == 0)
    return true;
  LLVMTypeRef et = cg_elem_type(f->c, y->dtype);
  LLVMTypeRef dbl = LLVMDoubleTypeInContext(f->c->llc);
  cg_loop l;
  LLVMValueRef i = cg_for_begin(f, &l, 0, count, 1), v;
  if (y->dtype == DLC_DT_FLOAT32) {
    v = LLVMBuildFMul(f->b, LLVMBuildSIToFP(f->b, i, dbl, ""),
                      LLVMConstReal(dbl, dlc_tensor_get_f64(d, 0)), "");
    v = LLVMBuildFAdd(f->b, LLVMConstReal(dbl, dlc_tensor_get_f64(s, 0)), v,
                      "");
    v = LLVMBuildFPTrunc(f->b, v, et, "");
  } else {
    v = LLVMBuildMul(f->b, i, cg_i64(f, dlc_tensor_get_int(d, 0)), "");
    v = LLVMBuildAdd(f->b, cg_i64(f, dlc_tensor_get_int(s, 0)), v, "");
    if (et != f->c->i64)
      v = LLVMBuildTrunc(f->b, v, et, "");
  }
  LLVMValueRef at = LLVMBuildInBoundsGEP2(f->b, et, f->out[0], &i, 1, "");
  LLVMSetAlignment(LLVMBuildStore(f->b, v, at),
                   (unsigned)dlc_dtype_size(y->dtype));
  cg_for_end(f, &l);
  return true;
}

const cg_emitter cg_emit_transpose = {.emit = emit_transpose};
const cg_emitter cg_emit_concat = {.emit = emit_concat};
const cg_emitter cg_emit_split = {.prep_inputs = 0x2, .emit = emit_split};
const cg_emitter cg_emit_slice = {.ct_inputs = 0x1e, .emit = emit_slice};
const cg_emitter cg_emit_gather = {.ct_inputs = 0x2, .emit = emit_gather};
const cg_emitter cg_emit_depth_to_space = {.emit = emit_depth_to_space};
const cg_emitter cg_emit_pad = {
    .ct_inputs = 0x6, .prepare = prepare_pad, .emit = emit_pad};
/* Expand's shape, ConstantOfShape's shape and Range's scalars are read at
 * compile time: part of the kernel identity, never passed. */
const cg_emitter cg_emit_expand = {.ct_inputs = 0x2, .emit = emit_expand};
const cg_emitter cg_emit_constant_of_shape = {
    .ct_inputs = 0x1, .emit = emit_constant_of_shape};
const cg_emitter cg_emit_range = {.ct_inputs = 0x7, .emit = emit_range};
