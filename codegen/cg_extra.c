/* cg_extra.c — kernels for the ONNX operators of ir/ops_extra.def that
 * survive to run time: element-wise maths (Neg, Abs, Reciprocal, Log,
 * Softplus), tests and logic on bool tensors (IsNaN, Not, comparisons, And,
 * Or, Xor), Where, Min/Max, Cast, Expand, ConstantOfShape, Range and the
 * reductions ReduceSum/ReduceMax/ReduceMin.
 *
 * Everything element-wise goes through cg_emit_map, which loads each operand
 * with its own dtype: a comparison reads float vectors and stores a vector
 * of uint8 (bool) lanes, Where selects float lanes by a uint8 mask. The
 * semantics are ops_extra.c's, edge cases included: comparisons with NaN are
 * false, Min/Max let NaN win, float -> integer Cast saturates at the int64
 * range with NaN -> 0 and then wraps to the target width, int64 -> float
 * rounds through double like the reference. cg_extra_unsupported refuses
 * the dtypes these kernels do not cover, so the driver names the node. */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

/* ---------------------------------------------------------------- helpers */

static bool is_fp(LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
    t = LLVMGetElementType(t);
  return LLVMGetTypeKind(t) == LLVMFloatTypeKind;
}

/* zext of an i1 (vector) to uint8 lanes: a bool tensor holds 0 or 1. */
static LLVMValueRef to_bool(cg_fn *f, LLVMValueRef b, LLVMTypeRef ty) {
  return LLVMBuildZExt(f->b, b, cg_like(f->c->i8, ty), "");
}

static LLVMValueRef nonzero(cg_fn *f, LLVMValueRef x) {
  return LLVMBuildICmp(f->b, LLVMIntNE, x, LLVMConstNull(LLVMTypeOf(x)), "");
}

/* A constant of element type elem (integer iv or float fv) shaped like ty. */
static LLVMValueRef const_like(LLVMTypeRef elem, LLVMTypeRef ty,
                               int64_t iv, double fv) {
  LLVMValueRef s = LLVMGetTypeKind(elem) == LLVMFloatTypeKind
                       ? LLVMConstReal(elem, fv)
                       : LLVMConstInt(elem, (unsigned long long)iv, 1);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return s;
  LLVMValueRef e[16];
  unsigned n = LLVMGetVectorSize(ty);
  for (unsigned i = 0; i < n; i++)
    e[i] = s;
  return LLVMConstVector(e, n);
}

static const dlc_tensor *in_t(const dlc_node *n, int i) {
  return &n->inputs[i]->type;
}

static const dlc_tensor *out_t(const dlc_node *n) {
  return &n->outputs[0]->type;
}

/* The map over every input of the node (all read at run time). */
static void map_inputs(cg_fn *f, cg_map_op op, const void *ud, bool vec) {
  const dlc_node *n = f->node;
  const dlc_tensor *t[CG_MAP_MAX_OPERANDS];
  for (int i = 0; i < n->n_inputs; i++)
    t[i] = in_t(n, i);
  cg_emit_map(f, n->n_inputs, f->in, t, f->out[0], out_t(n), op, ud, vec);
}

/* ------------------------------------------------------ element-wise unary */

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, and log1p keeps
 * the tiny results of very negative x. */
static LLVMValueRef softplus(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  LLVMValueRef ax = cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  LLVMValueRef e = LLVMBuildFNeg(f->b, ax, "");
  e = cg_exp(f, e);
  LLVMValueRef pos = cg_fmax(f, x, cg_fconst(f, ty, 0));
  return LLVMBuildFAdd(f->b, pos, cg_libm1(f, "log1pf", e), "");
}

static LLVMValueRef extra_unary(cg_fn *f, LLVMValueRef *xs, LLVMTypeRef ty,
                                const void *ud) {
  const dlc_node *n = ud;
  LLVMValueRef x = xs[0];
  switch (n->op) {
  case DLC_OP_NEG:
    return LLVMBuildFNeg(f->b, x, "");
  case DLC_OP_ABS:
    return cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  case DLC_OP_RECIPROCAL:
    return LLVMBuildFDiv(f->b, cg_fconst(f, ty, 1), x, "");
  case DLC_OP_LOG:
    return cg_intrinsic(f, "llvm.log", ty, &x, 1);
  case DLC_OP_SOFTPLUS:
    return softplus(f, x, ty);
  case DLC_OP_IS_NAN:
    return to_bool(f, LLVMBuildFCmp(f->b, LLVMRealUNO, x, x, ""), ty);
  case DLC_OP_NOT:
  default:
    return to_bool(f, LLVMBuildICmp(f->b, LLVMIntEQ, x,
                                    LLVMConstNull(LLVMTypeOf(x)), ""), ty);
  }
}

static bool emit_extra_unary(cg_fn *f) {
  /* log1pf is called lane by lane: keep Softplus scalar. */
  map_inputs(f, extra_unary, f->node, f->node->op != DLC_OP_SOFTPLUS);
  return true;
}

/* ------------------------------------------------- comparisons and logic */

static LLVMValueRef compare_fp(cg_fn *f, dlc_op op, LLVMValueRef a,
                               LLVMValueRef b) {
  /* Ordered predicates: any comparison with NaN is false. */
  LLVMRealPredicate p = op == DLC_OP_EQUAL      ? LLVMRealOEQ
                        : op == DLC_OP_GREATER  ? LLVMRealOGT
                        : op == DLC_OP_LESS     ? LLVMRealOLT
                        : op == DLC_OP_GREATER_OR_EQUAL ? LLVMRealOGE
                                                        : LLVMRealOLE;
  return LLVMBuildFCmp(f->b, p, a, b, "");
}

static LLVMValueRef compare_int(cg_fn *f, dlc_op op, bool is_unsigned,
                                LLVMValueRef a, LLVMValueRef b) {
  LLVMIntPredicate p;
  switch (op) {
  case DLC_OP_EQUAL: p = LLVMIntEQ; break;
  case DLC_OP_GREATER: p = is_unsigned ? LLVMIntUGT : LLVMIntSGT; break;
  case DLC_OP_LESS: p = is_unsigned ? LLVMIntULT : LLVMIntSLT; break;
  case DLC_OP_GREATER_OR_EQUAL: p = is_unsigned ? LLVMIntUGE : LLVMIntSGE; break;
  default: p = is_unsigned ? LLVMIntULE : LLVMIntSLE; break;
  }
  return LLVMBuildICmp(f->b, p, a, b, "");
}

static LLVMValueRef compare(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                            const void *ud) {
  const dlc_node *n = ud;
  LLVMValueRef r;
  switch (n->op) {
  case DLC_OP_AND:
    r = LLVMBuildAnd(f->b, nonzero(f, x[0]), nonzero(f, x[1]), "");
    break;
  case DLC_OP_OR:
    r = LLVMBuildOr(f->b, nonzero(f, x[0]), nonzero(f, x[1]), "");
    break;
  case DLC_OP_XOR:
    r = LLVMBuildXor(f->b, nonzero(f, x[0]), nonzero(f, x[1]), "");
    break;
  default:
    r = is_fp(x[0]) ? compare_fp(f, n->op, x[0], x[1])
                    : compare_int(f, n->op,
                                  in_t(n, 0)->dtype == DLC_DT_UINT8, x[0],
                                  x[1]);
  }
  return to_bool(f, r, ty);
}

static bool emit_compare(cg_fn *f) {
  map_inputs(f, compare, f->node, true);
  return true;
}

/* ------------------------------------------------------------------ Where */

static LLVMValueRef where(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                          const void *ud) {
  (void)ty;
  (void)ud;
  return LLVMBuildSelect(f->b, nonzero(f, x[0]), x[1], x[2], "");
}

static bool emit_where(cg_fn *f) {
  map_inputs(f, where, NULL, true);
  return true;
}

/* --------------------------------------------------------------- Min, Max */

/* acc replaced by v when v is better or NaN: NaN wins and then stays (a
 * NaN acc is never "worse" than v under an ordered comparison). */
static LLVMValueRef min_max_step(cg_fn *f, bool is_max, LLVMValueRef acc,
                                 LLVMValueRef v) {
  LLVMValueRef take;
  if (is_fp(v)) {
    take = LLVMBuildFCmp(f->b, is_max ? LLVMRealOGT : LLVMRealOLT, v, acc, "");
    take = LLVMBuildOr(f->b, take, LLVMBuildFCmp(f->b, LLVMRealUNO, v, v, ""),
                       "");
  } else {
    take = LLVMBuildICmp(f->b, is_max ? LLVMIntSGT : LLVMIntSLT, v, acc, "");
  }
  return LLVMBuildSelect(f->b, take, v, acc, "");
}

static LLVMValueRef min_max(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                            const void *ud) {
  (void)ty;
  const dlc_node *n = ud;
  LLVMValueRef acc = x[0];
  for (int i = 1; i < n->n_inputs; i++)
    acc = min_max_step(f, n->op == DLC_OP_MAX, acc, x[i]);
  return acc;
}

static bool emit_min_max(cg_fn *f) {
  map_inputs(f, min_max, f->node, true);
  return true;
}

/* ------------------------------------------------------------------- Cast */

/* float -> int64 saturating, NaN -> 0 (llvm.fptosi.sat: exactly the
 * reference's rule once the float is widened to double, which is exact). */
static LLVMValueRef fp_to_i64(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  LLVMTypeRef tys[2] = {cg_like(f->c->i64, ty), LLVMTypeOf(x)};
  unsigned id = LLVMLookupIntrinsicID("llvm.fptosi.sat", 15);
  DLC_ASSERT(id != 0);
  LLVMValueRef decl = LLVMGetIntrinsicDeclaration(f->c->mod, id, tys, 2);
  LLVMTypeRef fty = LLVMIntrinsicGetType(f->c->llc, id, tys, 2);
  return LLVMBuildCall2(f->b, fty, decl, &x, 1, "");
}

/* Integer of any width to int64: uint8 zero-extends, the others sign. */
static LLVMValueRef int_to_i64(cg_fn *f, LLVMValueRef x, dlc_dtype from,
                               LLVMTypeRef ty) {
  LLVMTypeRef t = cg_like(f->c->i64, ty);
  if (from == DLC_DT_INT64)
    return x;
  return from == DLC_DT_UINT8 ? LLVMBuildZExt(f->b, x, t, "")
                              : LLVMBuildSExt(f->b, x, t, "");
}

static LLVMValueRef cast(cg_fn *f, LLVMValueRef *xs, LLVMTypeRef ty,
                         const void *ud) {
  const dlc_node *n = ud;
  dlc_dtype from = in_t(n, 0)->dtype, to = out_t(n)->dtype;
  LLVMValueRef x = xs[0];
  LLVMTypeRef ot = cg_like(cg_elem_type(f->c, to), ty);
  if (dlc_node_get_int(n, "to") == 9) { /* bool: nonzero (NaN too) -> 1 */
    LLVMValueRef ne = is_fp(x) ? LLVMBuildFCmp(f->b, LLVMRealUNE, x,
                                               LLVMConstNull(LLVMTypeOf(x)), "")
                               : nonzero(f, x);
    return to_bool(f, ne, ty);
  }
  if (from == DLC_DT_FLOAT32 && to == DLC_DT_FLOAT32)
    return x;
  if (to == DLC_DT_FLOAT32) { /* (float)(double)v, as the reference */
    LLVMTypeRef dt = cg_like(LLVMDoubleTypeInContext(f->c->llc), ty);
    LLVMValueRef d = from == DLC_DT_UINT8 ? LLVMBuildUIToFP(f->b, x, dt, "")
                                          : LLVMBuildSIToFP(f->b, x, dt, "");
    return LLVMBuildFPTrunc(f->b, d, ot, "");
  }
  LLVMValueRef w = from == DLC_DT_FLOAT32 ? fp_to_i64(f, x, ty)
                                          : int_to_i64(f, x, from, ty);
  return to == DLC_DT_INT64 ? w : LLVMBuildTrunc(f->b, w, ot, "");
}

static bool emit_cast(cg_fn *f) {
  cg_emit_map(f, 1, f->in, (const dlc_tensor *const[]){in_t(f->node, 0)},
              f->out[0], out_t(f->node), cast, f->node, true);
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
  cg_emit_map(f, 1, f->in, (const dlc_tensor *const[]){in_t(f->node, 0)},
              f->out[0], out_t(f->node), pass, NULL, true);
  return true;
}

/* -------------------------------------------------------- ConstantOfShape */

typedef struct fill_value {
  LLVMTypeRef elem;
  int64_t i;
  double f;
} fill_value;

static LLVMValueRef fill(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                         const void *ud) {
  (void)f;
  (void)x;
  const fill_value *v = ud;
  return const_like(v->elem, ty, v->i, v->f);
}

/* y[...] = v: a map without operands. */
static void emit_fill(cg_fn *f, const dlc_tensor *y, LLVMValueRef out,
                      int64_t i, double fv) {
  fill_value v = {cg_elem_type(f->c, y->dtype), i, fv};
  cg_emit_map(f, 0, NULL, NULL, out, y, fill, &v, true);
}

static bool emit_constant_of_shape(cg_fn *f) {
  const dlc_attr *a = dlc_node_find_attr(f->node, "value");
  const dlc_tensor *y = out_t(f->node);
  bool is_f = y->dtype == DLC_DT_FLOAT32;
  int64_t iv = a && !is_f ? dlc_tensor_get_int(&a->tensor, 0) : 0;
  double fv = a && is_f ? dlc_tensor_get_f64(&a->tensor, 0) : 0;
  emit_fill(f, y, f->out[0], iv, fv);
  return true;
}

/* ------------------------------------------------------------------ Range */

/* y[i] = start + i * delta (float: in double, rounded once; integers: wrap
 * around), from the constant scalars; the loop vectoriser takes it. */
static bool emit_range(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *y = out_t(n), *s = in_t(n, 0), *d = in_t(n, 2);
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

/* ------------------------------------------------------------- reductions */

/* Which axes of x a reduction folds: ReduceSum's constant axes input (none:
 * all, or none at all with noop_with_empty_axes), ReduceMax/Min's axes
 * attribute (none: all). */
static void reduced_axes(const dlc_node *n, bool *red) {
  const dlc_tensor *x = in_t(n, 0);
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
  if (op == DLC_OP_REDUCE_SUM)
    return LLVMBuildFAdd(f->b, acc, v, "");
  return min_max_step(f, op == DLC_OP_REDUCE_MAX, acc, v);
}

static double red_identity(dlc_op op) {
  return op == DLC_OP_REDUCE_SUM ? 0 : op == DLC_OP_REDUCE_MAX ? -INFINITY
                                                                : INFINITY;
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

/* X walked in order; Y's strides are 0 along the reduced axes. Y starts
 * at the identity (0, -inf, +inf: also the result of an empty reduction). */
static bool emit_reduce(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = in_t(n, 0), *y = out_t(n);
  emit_fill(f, y, f->out[0], 0, red_identity(n->op));
  if (cg_numel(x) == 0 || cg_numel(y) == 0)
    return true;
  bool red[DLC_MAX_RANK];
  reduced_axes(n, red);
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
    red_run(f, n->op, xb, yb, dims[r - 1]);
  else
    red_rows(f, n->op, xb, yb, dims[r - 1]);
  cg_nest_end(f, &nest);
  return true;
}

/* Constant inputs that only shape inference or the emitter reads at compile
 * time (Expand's shape, ConstantOfShape's shape, Range's scalars, ReduceSum's
 * axes) are part of the kernel identity and never passed. */
const cg_emitter cg_emit_extra_unary = {.emit = emit_extra_unary};
const cg_emitter cg_emit_compare = {.emit = emit_compare};
const cg_emitter cg_emit_where = {.emit = emit_where};
const cg_emitter cg_emit_min_max = {.emit = emit_min_max};
const cg_emitter cg_emit_cast = {.emit = emit_cast};
const cg_emitter cg_emit_expand = {.ct_inputs = 0x2, .emit = emit_expand};
const cg_emitter cg_emit_constant_of_shape = {
    .ct_inputs = 0x1, .emit = emit_constant_of_shape};
const cg_emitter cg_emit_range = {.ct_inputs = 0x7, .emit = emit_range};
const cg_emitter cg_emit_reduce = {.ct_inputs = 0x2, .emit = emit_reduce};
