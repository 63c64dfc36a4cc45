/* cg_dlcops.c — kernels for the dlc-domain operators the passes produce
 * (ir/ops.def's dlc rows, semantics in ir/ops_dlc.c and docs/operators.md;
 * FusedElementwise's steps in ir/fused_steps.def):
 *
 *   ScaleShift        y = x * scale[c] + shift[c]: one fused multiply-add
 *                     per element, the vectors broadcast as (C, 1, ..., 1)
 *   ChannelShuffle    a strided copy: the (g, C/g) channel matrix transposed,
 *                     whole inner planes at a time
 *   Gelu              0.5 x (1 + erf(x / sqrt 2)) with libm's erff
 *   FusedElementwise  ONE map loop: each element (or vector of elements) is
 *                     loaded once, every step of the program is applied in
 *                     registers, the result stored once
 *
 * Accuracy: erff is correctly rounded to within 1 ulp in glibc, so Gelu
 * differs from the double-precision reference by a few float ulps of
 * max(|x|, 1e-38) plus the rounding of 1 + erf; the element-wise steps use
 * the float formulas of cg_elementwise.c (Sigmoid as 1 / (1 + e^-x), Elu
 * with e^x - 1, absolute error below 1e-7 near 0). */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

/* ------------------------------------------------------------- ScaleShift */

static LLVMValueRef scale_shift(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                                const void *ud) {
  (void)ty;
  (void)ud;
  return cg_mk_fma(f, x[0], x[1], x[2]);
}

static bool emit_scale_shift(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  /* scale and shift (C elements, any shape) seen as (C, 1, ..., 1). */
  dlc_tensor ch = {.dtype = DLC_DT_FLOAT32, .rank = x->rank - 1};
  ch.dims[0] = x->dims[1];
  for (int k = 1; k < ch.rank; k++)
    ch.dims[k] = 1;
  const dlc_tensor *t[3] = {x, &ch, &ch};
  cg_emit_map(f, 3, f->in, t, f->out[0], &n->outputs[0]->type, scale_shift,
              NULL, true);
  return true;
}

/* --------------------------------------------------------- ChannelShuffle */

/* X (N, g, C/g, inner) -> Y (N, C/g, g, inner): walk Y's order. */
static bool emit_channel_shuffle(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  int64_t g = dlc_node_get_int(f->node, "group");
  int64_t c = x->dims[1], per = c / g, inner = 1;
  for (int k = 2; k < x->rank; k++)
    inner *= x->dims[k];
  if (cg_numel(x) == 0)
    return true;
  int64_t dims[4] = {x->dims[0], per, g, inner};
  int64_t is[4] = {c * inner, inner, per * inner, 1};
  int64_t os[4] = {c * inner, g * inner, inner, 1};
  cg_emit_strided_copy(f, 4, dims, f->in[0], 0, is, f->out[0], 0, os);
  return true;
}

/* ------------------------------------------------------------------- Gelu */

static LLVMValueRef gelu(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  LLVMValueRef e = LLVMBuildFMul(f->b, x, cg_fconst(f, ty, M_SQRT1_2), "");
  e = cg_libm1(f, "erff", e);
  e = LLVMBuildFAdd(f->b, cg_fconst(f, ty, 1), e, "");
  LLVMValueRef h = LLVMBuildFMul(f->b, x, cg_fconst(f, ty, 0.5), "");
  return LLVMBuildFMul(f->b, h, e, "");
}

static LLVMValueRef gelu_op(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                            const void *ud) {
  (void)ud;
  return gelu(f, x[0], ty);
}

static bool emit_gelu(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *t = &n->inputs[0]->type;
  /* erff is a lane-by-lane call: a scalar loop is as fast. */
  cg_emit_map(f, 1, f->in, &t, f->out[0], &n->outputs[0]->type, gelu_op,
              NULL, false);
  return true;
}

/* ------------------------------------------------------- FusedElementwise */

/* The program of the node: steps of ir/fused_steps.def (dlc_step in ir.h),
 * each compiled with the formula below. */
typedef struct program {
  int n;
  dlc_step *steps; /* n entries */
} program;

/* Reads the program (inference has validated it). False when a step name
 * is unknown to this kernel. */
static bool read_program(const dlc_node *n, program *p, dlc_step *buf,
                         int max) {
  const dlc_attr *ops = dlc_node_find_attr(n, "ops");
  const int64_t *operands, *swapped;
  const double *alpha, *beta;
  dlc_node_get_ints(n, "operands", &operands);
  int ns = dlc_node_get_ints(n, "swapped", &swapped);
  int na = dlc_node_get_floats(n, "alpha", &alpha);
  int nb = dlc_node_get_floats(n, "beta", &beta);
  if (!ops || ops->n > max)
    return false;
  p->n = ops->n;
  p->steps = buf;
  for (int i = 0; i < p->n; i++) {
    dlc_step *s = &buf[i];
    s->kind = dlc_step_from_name(ops->strings[i]);
    if (s->kind == DLC_STEP_COUNT_)
      return false;
    s->operand = (int)operands[i];
    s->swapped = ns && swapped[i];
    s->alpha = na ? alpha[i] : 0;
    s->beta = nb ? beta[i] : 0;
  }
  return true;
}

static LLVMValueRef sel_lt(cg_fn *f, LLVMValueRef v, double c,
                           LLVMValueRef then, LLVMValueRef other) {
  LLVMValueRef lt = LLVMBuildFCmp(f->b, LLVMRealOLT, v,
                                  cg_fconst(f, LLVMTypeOf(v), c), "");
  return LLVMBuildSelect(f->b, lt, then, other, "");
}

/* v < lo ? lo : v > hi ? hi : v (NaN stays NaN, as the reference). */
static LLVMValueRef clamp(cg_fn *f, LLVMValueRef v, double lo, double hi) {
  LLVMTypeRef ty = LLVMTypeOf(v);
  LLVMValueRef gt = LLVMBuildFCmp(f->b, LLVMRealOGT, v, cg_fconst(f, ty, hi),
                                  "");
  LLVMValueRef r = LLVMBuildSelect(f->b, gt, cg_fconst(f, ty, hi), v, "");
  return sel_lt(f, v, lo, cg_fconst(f, ty, lo), r);
}

static LLVMValueRef unary_step(cg_fn *f, const dlc_step *s, LLVMValueRef v,
                               LLVMTypeRef ty) {
  LLVMBuilderRef b = f->b;
  switch (s->kind) {
  case DLC_STEP_RELU: return sel_lt(f, v, 0, cg_fconst(f, ty, 0), v);
  case DLC_STEP_LEAKY_RELU:
    return sel_lt(f, v, 0, LLVMBuildFMul(b, v, cg_fconst(f, ty, s->alpha), ""),
                  v);
  case DLC_STEP_ELU: {
    LLVMValueRef e = LLVMBuildFSub(b, cg_exp(f, v), cg_fconst(f, ty, 1), "");
    return sel_lt(f, v, 0, LLVMBuildFMul(b, e, cg_fconst(f, ty, s->alpha), ""),
                  v);
  }
  case DLC_STEP_SIGMOID: return cg_sigmoid(f, v);
  case DLC_STEP_TANH: return cg_tanh(f, v);
  case DLC_STEP_CLIP: return clamp(f, v, s->alpha, s->beta);
  case DLC_STEP_HARD_SIGMOID: {
    LLVMValueRef t = LLVMBuildFMul(b, v, cg_fconst(f, ty, s->alpha), "");
    t = LLVMBuildFAdd(b, t, cg_fconst(f, ty, s->beta), "");
    return clamp(f, t, 0, 1);
  }
  case DLC_STEP_HARD_SWISH: {
    LLVMValueRef t = LLVMBuildFDiv(b, v, cg_fconst(f, ty, 6), "");
    t = LLVMBuildFAdd(b, t, cg_fconst(f, ty, 0.5), "");
    return LLVMBuildFMul(b, v, clamp(f, t, 0, 1), "");
  }
  case DLC_STEP_SILU: return LLVMBuildFMul(b, v, cg_sigmoid(f, v), "");
  case DLC_STEP_GELU: return gelu(f, v, ty);
  case DLC_STEP_ERF: return cg_libm1(f, "erff", v);
  case DLC_STEP_SQRT: return cg_intrinsic(f, "llvm.sqrt", ty, &v, 1);
  case DLC_STEP_EXP:
  default: return cg_exp(f, v);
  }
}

static LLVMValueRef binary_step(cg_fn *f, const dlc_step *s, LLVMValueRef v,
                                LLVMValueRef o, LLVMTypeRef ty) {
  LLVMBuilderRef b = f->b;
  switch (s->kind) {
  case DLC_STEP_ADD: return LLVMBuildFAdd(b, v, o, "");
  case DLC_STEP_SUB: return LLVMBuildFSub(b, v, o, "");
  case DLC_STEP_MUL: return LLVMBuildFMul(b, v, o, "");
  case DLC_STEP_DIV: return LLVMBuildFDiv(b, v, o, "");
  case DLC_STEP_POW: {
    LLVMValueRef a[2] = {v, o};
    return cg_intrinsic(f, "llvm.pow", ty, a, 2);
  }
  case DLC_STEP_PRELU:
  default: return sel_lt(f, v, 0, LLVMBuildFMul(b, o, v, ""), v);
  }
}

/* One step on the running value v. `swapped` exchanges v and the operand
 * before the step, for unary steps too (their operand is 0 then), exactly
 * as the reference kernel does. */
static LLVMValueRef apply_step(cg_fn *f, const dlc_step *s, LLVMValueRef v,
                               LLVMValueRef *x, LLVMTypeRef ty) {
  LLVMValueRef o = s->operand > 0 ? x[s->operand] : cg_fconst(f, ty, 0);
  if (s->swapped) {
    LLVMValueRef t = v;
    v = o;
    o = t;
  }
  return dlc_step_is_binary(s->kind) ? binary_step(f, s, v, o, ty)
                                     : unary_step(f, s, v, ty);
}

static LLVMValueRef run_program(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                                const void *ud) {
  const program *p = ud;
  LLVMValueRef v = x[0];
  for (int i = 0; i < p->n; i++)
    v = apply_step(f, &p->steps[i], v, x, ty);
  return v;
}

static bool uses_libm(const program *p) {
  for (int i = 0; i < p->n; i++) {
    dlc_step_kind k = p->steps[i].kind;
    if (k == DLC_STEP_GELU || k == DLC_STEP_ERF)
      return true;
  }
  return false;
}

static bool emit_fused_elementwise(cg_fn *f) {
  const dlc_node *n = f->node;
  dlc_step buf[64];
  program p;
  if (!read_program(n, &p, buf, 64)) {
    dlc_diag_error(f->c->d, "", "node '%s' (FusedElementwise): a step this "
                   "kernel does not know", n->name);
    return false;
  }
  const dlc_tensor *t[CG_MAP_MAX_OPERANDS];
  for (int i = 0; i < n->n_inputs; i++)
    t[i] = &n->inputs[i]->type;
  /* libm steps are lane-by-lane calls: a scalar loop is as fast. */
  cg_emit_map(f, n->n_inputs, f->in, t, f->out[0], &n->outputs[0]->type,
              run_program, &p, !uses_libm(&p));
  return true;
}

const cg_emitter cg_emit_scale_shift = {.emit = emit_scale_shift};
const cg_emitter cg_emit_channel_shuffle = {.emit = emit_channel_shuffle};
const cg_emitter cg_emit_gelu = {.emit = emit_gelu};
const cg_emitter cg_emit_fused_elementwise = {.emit = emit_fused_elementwise};
