/* cg_compare.c — comparisons, logic and Where (ir/ops_compare.c's
 * semantics): Equal, Greater, Less, GreaterOrEqual, LessOrEqual on float32
 * or integer operands, And, Or, Xor on bool (uint8) tensors, and Where's
 * select by a bool mask. Comparisons with NaN are false; results are bool
 * lanes (uint8 0/1), written by cg_emit_map with each tensor's own dtype. */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

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
  case DLC_OP_GREATER_OR_EQUAL:
    p = is_unsigned ? LLVMIntUGE : LLVMIntSGE;
    break;
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
    r = LLVMBuildAnd(f->b, cg_nonzero(f, x[0]), cg_nonzero(f, x[1]), "");
    break;
  case DLC_OP_OR:
    r = LLVMBuildOr(f->b, cg_nonzero(f, x[0]), cg_nonzero(f, x[1]), "");
    break;
  case DLC_OP_XOR:
    r = LLVMBuildXor(f->b, cg_nonzero(f, x[0]), cg_nonzero(f, x[1]), "");
    break;
  default:
    r = cg_is_fp(x[0])
            ? compare_fp(f, n->op, x[0], x[1])
            : compare_int(f, n->op,
                          (&n->inputs[0]->type)->dtype == DLC_DT_UINT8, x[0],
                          x[1]);
  }
  return cg_to_bool(f, r, ty);
}

static bool emit_compare(cg_fn *f) {
  cg_map_node(f, compare, f->node, true);
  return true;
}

/* ------------------------------------------------------------------ Where */

static LLVMValueRef where(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                          const void *ud) {
  (void)ty;
  (void)ud;
  return LLVMBuildSelect(f->b, cg_nonzero(f, x[0]), x[1], x[2], "");
}

static bool emit_where(cg_fn *f) {
  cg_map_node(f, where, NULL, true);
  return true;
}

const cg_emitter cg_emit_compare = {.emit = emit_compare};
const cg_emitter cg_emit_where = {.emit = emit_where};
