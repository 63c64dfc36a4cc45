/* cg_epilogue.c — fused epilogues in registers.
 *
 * A node with node->epilogue computes y = act2(act1(op(x...)) + residual)
 * (ir/epilogue.c is the reference; op includes the op's own bias). The
 * kernels (micro-kernel GEMM, depthwise, ConvTranspose) call cg_epi_apply on
 * each finished vector just before its store: the residual is loaded from
 * its buffer at the same offsets as the output, PRelu slopes are a scalar,
 * a per-row splat (Conv's channel), a per-lane vector (Gemm's column) or laid
 * out as the output. Everything else is refused by the schedule
 * (choose_algorithm.c), so a compiled node never silently differs. */
#include <stdio.h>
#include <string.h>

#include "codegen/cg.h"

void cg_epi_init(cg_fn *f, cg_epi *ep, int row_axis, int lane_axis) {
  memset(ep, 0, sizeof *ep);
  const dlc_node *n = f->node;
  ep->e = n->epilogue;
  ep->row_axis = row_axis;
  ep->lane_axis = lane_axis;
  if (!ep->e)
    return;
  if (ep->e->residual_input >= 0)
    ep->res = f->in[ep->e->residual_input];
  const dlc_activation *acts[2] = {&ep->e->act1, &ep->e->act2};
  for (int i = 0; i < 2; i++) {
    if (acts[i]->kind != DLC_ACT_PRELU)
      continue;
    ep->slope[i] = f->in[acts[i]->slope_input];
    ep->slope_axis[i] = dlc_tensor_broadcast_axis(&n->inputs[acts[i]->slope_input]->type,
                                     &n->outputs[0]->type);
  }
}

/* --------------------------------------------------------- activations */

static LLVMValueRef sel(cg_fn *f, LLVMRealPredicate p, LLVMValueRef a,
                        LLVMValueRef b, LLVMValueRef t, LLVMValueRef e) {
  return LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, p, a, b, ""), t, e, "");
}

/* clamp to [lo, hi] in the reference's order: y < lo ? lo : y > hi ? hi : y */
static LLVMValueRef clamp(cg_fn *f, LLVMValueRef y, double lo, double hi) {
  LLVMTypeRef ty = LLVMTypeOf(y);
  LLVMValueRef l = cg_fconst(f, ty, lo), h = cg_fconst(f, ty, hi);
  return sel(f, LLVMRealOLT, y, l, l, sel(f, LLVMRealOGT, y, h, h, y));
}

static LLVMValueRef act(cg_fn *f, const dlc_activation *a, LLVMValueRef x,
                        LLVMValueRef slope) {
  LLVMTypeRef ty = LLVMTypeOf(x);
  LLVMValueRef zero = cg_fconst(f, ty, 0);
  LLVMBuilderRef b = f->b;
  switch (a->kind) {
  case DLC_ACT_NONE:
    return x;
  case DLC_ACT_RELU:
    return sel(f, LLVMRealOGT, x, zero, x, zero);
  case DLC_ACT_CLIP:
    return clamp(f, x, a->alpha, a->beta);
  case DLC_ACT_LEAKY_RELU:
    slope = cg_fconst(f, ty, a->alpha);
    /* fall through */
  case DLC_ACT_PRELU:
    return sel(f, LLVMRealOGE, x, zero, x, LLVMBuildFMul(b, slope, x, ""));
  case DLC_ACT_SIGMOID:
    return cg_sigmoid(f, x);
  case DLC_ACT_TANH:
    return cg_tanh(f, x);
  case DLC_ACT_HARD_SIGMOID: {
    LLVMValueRef y = LLVMBuildFAdd(
        b, LLVMBuildFMul(b, cg_fconst(f, ty, a->alpha), x, ""),
        cg_fconst(f, ty, a->beta), "");
    return clamp(f, y, 0, 1);
  }
  case DLC_ACT_HARD_SWISH: {
    LLVMValueRef y = LLVMBuildFAdd(b, LLVMBuildFDiv(b, x, cg_fconst(f, ty, 6), ""),
                                   cg_fconst(f, ty, 0.5), "");
    return LLVMBuildFMul(b, x, clamp(f, y, 0, 1), "");
  }
  case DLC_ACT_SILU:
    return LLVMBuildFMul(b, x, cg_sigmoid(f, x), "");
  case DLC_ACT_ELU: {
    LLVMValueRef em1 = LLVMBuildFSub(b, cg_exp(f, x), cg_fconst(f, ty, 1), "");
    return sel(f, LLVMRealOGE, x, zero, x,
               LLVMBuildFMul(b, cg_fconst(f, ty, a->alpha), em1, ""));
  }
  }
  return x;
}

static LLVMValueRef load_slope(cg_fn *f, const cg_epi *ep, int i,
                               LLVMTypeRef ty, LLVMValueRef yoff,
                               LLVMValueRef row, LLVMValueRef lane, int valid) {
  int ax = ep->slope_axis[i];
  LLVMValueRef p = ep->slope[i];
  if (ax == -1)
    return cg_splat(f, cg_load(f, f->c->f32, p, cg_i64(f, 0)), ty);
  if (ax == -2)
    return cg_load_n(f, ty, p, yoff, valid);
  if (ax == ep->row_axis)
    return cg_splat(f, cg_load(f, f->c->f32, p, row), ty);
  DLC_ASSERT(ax == ep->lane_axis && lane);
  return cg_load_n(f, ty, p, lane, valid);
}

LLVMValueRef cg_epi_apply(cg_fn *f, const cg_epi *ep, LLVMValueRef v,
                          LLVMValueRef yoff, LLVMValueRef row,
                          LLVMValueRef lane, int valid) {
  if (!ep->e)
    return v;
  LLVMTypeRef ty = LLVMTypeOf(v);
  const dlc_activation *acts[2] = {&ep->e->act1, &ep->e->act2};
  for (int i = 0; i < 2; i++) {
    LLVMValueRef s = acts[i]->kind == DLC_ACT_PRELU
                         ? load_slope(f, ep, i, ty, yoff, row, lane, valid)
                         : NULL;
    v = act(f, acts[i], v, s);
    if (i == 0 && ep->res)
      v = LLVMBuildFAdd(f->b, v, cg_load_n(f, ty, ep->res, yoff, valid), "");
  }
  return v;
}

