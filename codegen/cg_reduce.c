/* cg_reduce.c — the one reduction emitter: ReduceSum, ReduceMean, ReduceMax
 * and ReduceMin (ir/ops_reduce.c's semantics). Y starts at the identity, X
 * is walked in order with Y's strides 0 along the reduced axes: a kept
 * innermost dim accumulates whole vectors, a reduced one folds a vector of
 * partial results, then its lanes, then the scalar tail. ReduceMean is the
 * sum divided by the number of reduced elements; Max/Min let NaN win. */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

/* ------------------------------------------------------------- reductions */

/* Which axes of x a reduction folds: ReduceSum's constant axes input (none:
 * all, or none at all with noop_with_empty_axes), ReduceMean/Max/Min's axes
 * attribute (none: all). */
static void reduced_axes(const dlc_node *n, bool *red) {
  const dlc_tensor *x = &n->inputs[0]->type;
  int64_t axes[DLC_MAX_RANK];
  int na = 0;
  bool noop = false;
  if (n->op == DLC_OP_REDUCE_SUM) {
    const dlc_value *a = n->n_inputs > 1 ? n->inputs[1] : NULL;
    for (int64_t k = 0; a && k < cg_numel(&a->type) && k < DLC_MAX_RANK; k++)
      axes[na++] = dlc_tensor_get_int(&a->type, k);
    noop = dlc_node_get_int(n, "noop_with_empty_axes") != 0;
  } else {
    const int64_t *v;
    int cnt = dlc_node_get_ints(n, "axes", &v);
    for (int k = 0; k < cnt && k < DLC_MAX_RANK; k++)
      axes[na++] = v[k];
  }
  for (int d = 0; d < x->rank; d++)
    red[d] = na == 0 && !noop;
  for (int k = 0; k < na; k++)
    red[axes[k] < 0 ? axes[k] + x->rank : axes[k]] = true;
}

static LLVMValueRef red_step(cg_fn *f, dlc_op op, LLVMValueRef acc,
                             LLVMValueRef v) {
  if (op == DLC_OP_REDUCE_SUM || op == DLC_OP_REDUCE_MEAN)
    return LLVMBuildFAdd(f->b, acc, v, "");
  return cg_min_max_step(f, op == DLC_OP_REDUCE_MAX, acc, v);
}

static double red_identity(dlc_op op) {
  return op == DLC_OP_REDUCE_MAX ? -INFINITY
         : op == DLC_OP_REDUCE_MIN ? INFINITY
                                   : 0; /* Sum, Mean */
}

static LLVMValueRef load_f(cg_fn *f, LLVMTypeRef ty, LLVMValueRef p,
                           LLVMValueRef at) {
  return cg_load(f, ty, p, at ? at : cg_i64(f, 0));
}

/* Kept innermost dim: y[yb + j] op= x[xb + j], vectors along j. */
static void red_rows(cg_fn *f, dlc_op op, LLVMValueRef xb, LLVMValueRef yb,
                     int64_t d) {
  int64_t vl = f->c->t->vl, main = d >= vl ? d / vl * vl : 0;
  for (int pass = 0; pass < 2; pass++) {
    int64_t lo = pass ? main : 0, hi = pass ? d : main, step = pass ? 1 : vl;
    if (hi <= lo)
      continue;
    LLVMTypeRef ty = pass ? f->c->f32 : f->c->vf;
    cg_loop l;
    LLVMValueRef j = cg_for_begin(f, &l, lo, hi, step);
    LLVMValueRef xa = cg_affine(f, xb, j, 1), ya = cg_affine(f, yb, j, 1);
    LLVMValueRef v = red_step(f, op, load_f(f, ty, f->out[0], ya),
                              load_f(f, ty, f->in[0], xa));
    cg_store(f, v, f->out[0], ya);
    cg_for_end(f, &l);
  }
}

/* Reduced innermost dim: y[yb] op= fold(x[xb .. xb + d)), a vector of
 * partial results first, then its lanes, then the scalar tail. */
static void red_run(cg_fn *f, dlc_op op, LLVMValueRef xb, LLVMValueRef yb,
                    int64_t d) {
  int64_t vl = f->c->t->vl, main = d >= 2 * vl ? d / vl * vl : 0;
  LLVMValueRef acc = cg_var(f, f->c->f32, cg_f32(f, red_identity(op)));
  if (main > 0) {
    LLVMValueRef vacc = cg_var(f, f->c->vf, cg_fconst(f, f->c->vf,
                                                      red_identity(op)));
    cg_loop l;
    LLVMValueRef j = cg_for_begin(f, &l, 0, main, vl);
    LLVMValueRef v = load_f(f, f->c->vf, f->in[0], cg_affine(f, xb, j, 1));
    LLVMBuildStore(f->b, red_step(f, op, LLVMBuildLoad2(f->b, f->c->vf, vacc,
                                                        ""), v), vacc);
    cg_for_end(f, &l);
    LLVMValueRef all = LLVMBuildLoad2(f->b, f->c->vf, vacc, ""), s = NULL;
    for (int64_t k = 0; k < vl; k++) {
      LLVMValueRef e = LLVMBuildExtractElement(
          f->b, all, LLVMConstInt(f->c->i32, (unsigned long long)k, 0), "");
      s = s ? red_step(f, op, s, e) : e;
    }
    LLVMBuildStore(f->b, s, acc);
  }
  if (main < d) {
    cg_loop l;
    LLVMValueRef j = cg_for_begin(f, &l, main, d, 1);
    LLVMValueRef v = load_f(f, f->c->f32, f->in[0], cg_affine(f, xb, j, 1));
    LLVMBuildStore(f->b, red_step(f, op, LLVMBuildLoad2(f->b, f->c->f32, acc,
                                                        ""), v), acc);
    cg_for_end(f, &l);
  }
  LLVMValueRef y = load_f(f, f->c->f32, f->out[0], yb);
  y = red_step(f, op, y, LLVMBuildLoad2(f->b, f->c->f32, acc, ""));
  cg_store(f, y, f->out[0], yb ? yb : cg_i64(f, 0));
}

/* X walked in order; Y's strides are 0 along the reduced axes. */
static void reduce_into(cg_fn *f, const dlc_tensor *x, const bool *red) {
  int64_t dims[DLC_MAX_RANK], st[2][DLC_MAX_RANK], ystep = 1;
  cg_strides(x, st[0]);
  for (int k = x->rank - 1; k >= 0; k--) {
    dims[k] = x->dims[k];
    st[1][k] = red[k] ? 0 : ystep;
    ystep *= red[k] ? 1 : x->dims[k];
  }
  int r = cg_collapse(x->rank, dims, 2, st);
  if (r == 0) { /* one element */
    dims[0] = 1;
    st[0][0] = 1;
    st[1][0] = 0;
    r = 1;
  }
  LLVMValueRef idx[DLC_MAX_RANK], xb = NULL, yb = NULL;
  cg_nest nest;
  cg_nest_begin(f, &nest, r - 1, dims, idx);
  for (int k = 0; k < r - 1; k++) {
    xb = cg_affine(f, xb, idx[k], st[0][k]);
    yb = cg_affine(f, yb, idx[k], st[1][k]);
  }
  if (st[1][r - 1] == 0)
    red_run(f, f->node->op, xb, yb, dims[r - 1]);
  else
    red_rows(f, f->node->op, xb, yb, dims[r - 1]);
  cg_nest_end(f, &nest);
}

static LLVMValueRef divide(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                           const void *ud) {
  return LLVMBuildFDiv(f->b, x[0], cg_fconst(f, ty, *(const double *)ud), "");
}

/* ReduceMean's scale: y = sum / count, count the number of reduced
 * elements (0 / 0 = NaN for an empty reduction, as the reference). */
static void divide_by_count(cg_fn *f, const dlc_tensor *x, const bool *red) {
  const dlc_tensor *y = &f->node->outputs[0]->type;
  double count = 1;
  for (int d = 0; d < x->rank; d++)
    if (red[d])
      count *= (double)x->dims[d];
  cg_emit_map(f, 1, &f->out[0], &y, f->out[0], y, divide, &count, true);
}

/* Y starts at the identity (0, -inf, +inf: also the result of an empty
 * reduction); ReduceMean is a ReduceSum and a division. */
static bool emit_reduce(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *y = &n->outputs[0]->type;
  cg_emit_fill(f, y, f->out[0], 0, red_identity(n->op));
  bool red[DLC_MAX_RANK];
  reduced_axes(n, red);
  if (cg_numel(x) > 0 && cg_numel(y) > 0)
    reduce_into(f, x, red);
  if (n->op == DLC_OP_REDUCE_MEAN)
    divide_by_count(f, x, red);
  return true;
}

/* ReduceSum's axes are read at compile time (part of the kernel identity,
 * never passed); ReduceMean/Max/Min's are attributes. */
const cg_emitter cg_emit_reduce = {.ct_inputs = 0x2, .emit = emit_reduce};
const cg_emitter cg_emit_reduce_mean = {.emit = emit_reduce};
