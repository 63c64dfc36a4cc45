/* cg_cast.c — Cast between float32, int64, int32, int8, uint8 and bool
 * (ir/ops_unary.c's semantics): float -> integer saturates at the int64
 * range with NaN -> 0 and then wraps to the target width, int64 -> float
 * rounds through double like the reference, bool is any non-zero. */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

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
  dlc_dtype from = (&n->inputs[0]->type)->dtype,
            to = (&n->outputs[0]->type)->dtype;
  LLVMValueRef x = xs[0];
  LLVMTypeRef ot = cg_like(cg_elem_type(f->c, to), ty);
  if (dlc_node_get_int(n, "to") == 9) { /* bool: nonzero (NaN too) -> 1 */
    LLVMValueRef ne = cg_is_fp(x) ? LLVMBuildFCmp(f->b, LLVMRealUNE, x,
                                               LLVMConstNull(LLVMTypeOf(x)), "")
                               : cg_nonzero(f, x);
    return cg_to_bool(f, ne, ty);
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
  cg_emit_map(f, 1, f->in,
              (const dlc_tensor *const[]){&f->node->inputs[0]->type}, f->out[0],
              &f->node->outputs[0]->type, cast, f->node, true);
  return true;
}

const cg_emitter cg_emit_cast = {.emit = emit_cast};
