/* cg_typed.c — helpers of the kernels that read and write other dtypes
 * than float32 (bool masks, integers; the DLC_AT_TYPED algorithms of
 * schedule/algorithms.def): bool lanes, the map over a node's inputs, the
 * NaN-winning min/max step that Min, Max, ReduceMax and ReduceMin share,
 * and the constant fill ConstantOfShape and the reductions start from. */
#include "codegen/cg.h"

bool cg_is_fp(LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
    t = LLVMGetElementType(t);
  return LLVMGetTypeKind(t) == LLVMFloatTypeKind;
}

/* zext of an i1 (vector) to uint8 lanes: a bool tensor holds 0 or 1. */
LLVMValueRef cg_to_bool(cg_fn *f, LLVMValueRef b, LLVMTypeRef ty) {
  return LLVMBuildZExt(f->b, b, cg_like(f->c->i8, ty), "");
}

LLVMValueRef cg_nonzero(cg_fn *f, LLVMValueRef x) {
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

/* The map over every input of the node (all read at run time). */
void cg_map_node(cg_fn *f, cg_map_op op, const void *ud, bool vec) {
  const dlc_node *n = f->node;
  const dlc_tensor *t[CG_MAP_MAX_OPERANDS];
  for (int i = 0; i < n->n_inputs; i++)
    t[i] = &n->inputs[i]->type;
  cg_emit_map(f, n->n_inputs, f->in, t, f->out[0], &n->outputs[0]->type, op, ud,
              vec);
}

/* acc replaced by v when v is better or NaN: NaN wins and then stays (a
 * NaN acc is never "worse" than v under an ordered comparison). */
LLVMValueRef cg_min_max_step(cg_fn *f, bool is_max, LLVMValueRef acc,
                             LLVMValueRef v) {
  LLVMValueRef take;
  if (cg_is_fp(v)) {
    take = LLVMBuildFCmp(f->b, is_max ? LLVMRealOGT : LLVMRealOLT, v, acc, "");
    take = LLVMBuildOr(f->b, take, LLVMBuildFCmp(f->b, LLVMRealUNO, v, v, ""),
                       "");
  } else {
    take = LLVMBuildICmp(f->b, is_max ? LLVMIntSGT : LLVMIntSLT, v, acc, "");
  }
  return LLVMBuildSelect(f->b, take, v, acc, "");
}

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
void cg_emit_fill(cg_fn *f, const dlc_tensor *y, LLVMValueRef out,
                      int64_t i, double fv) {
  fill_value v = {cg_elem_type(f->c, y->dtype), i, fv};
  cg_emit_map(f, 0, NULL, NULL, out, y, fill, &v, true);
}
