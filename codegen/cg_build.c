/* cg_build.c — small IR-building helpers every kernel emitter shares:
 * constants, float/vector loads and stores, counted loops with constant trip
 * counts, intrinsics, libm calls, horizontal reductions, copies. */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

LLVMValueRef cg_i64(cg_fn *f, int64_t v) {
  return LLVMConstInt(f->c->i64, (unsigned long long)v, 1);
}

LLVMValueRef cg_f32(cg_fn *f, double v) { return LLVMConstReal(f->c->f32, v); }

LLVMValueRef cg_splat(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return x;
  unsigned n = LLVMGetVectorSize(ty);
  LLVMValueRef v = LLVMGetUndef(ty);
  v = LLVMBuildInsertElement(f->b, v, x, LLVMConstInt(f->c->i32, 0, 0), "");
  LLVMValueRef zeros[16];
  for (unsigned i = 0; i < n; i++)
    zeros[i] = LLVMConstInt(f->c->i32, 0, 0);
  return LLVMBuildShuffleVector(f->b, v, LLVMGetUndef(ty),
                                LLVMConstVector(zeros, n), "");
}

LLVMValueRef cg_fconst(cg_fn *f, LLVMTypeRef ty, double v) {
  LLVMValueRef s = cg_f32(f, v);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return s;
  unsigned n = LLVMGetVectorSize(ty);
  LLVMValueRef e[16];
  for (unsigned i = 0; i < n; i++)
    e[i] = s;
  return LLVMConstVector(e, n);
}

LLVMValueRef cg_gep(cg_fn *f, LLVMValueRef base, LLVMValueRef idx) {
  return LLVMBuildInBoundsGEP2(f->b, f->c->f32, base, &idx, 1, "");
}

LLVMValueRef cg_load(cg_fn *f, LLVMTypeRef ty, LLVMValueRef base,
                     LLVMValueRef idx) {
  LLVMValueRef l = LLVMBuildLoad2(f->b, ty, cg_gep(f, base, idx), "");
  LLVMSetAlignment(l, 4);
  return l;
}

void cg_store(cg_fn *f, LLVMValueRef v, LLVMValueRef base, LLVMValueRef idx) {
  LLVMValueRef s = LLVMBuildStore(f->b, v, cg_gep(f, base, idx));
  LLVMSetAlignment(s, 4);
}

LLVMValueRef cg_affine(cg_fn *f, LLVMValueRef acc, LLVMValueRef idx,
                       int64_t stride) {
  if (stride == 0)
    return acc;
  LLVMValueRef term =
      stride == 1 ? idx : LLVMBuildMul(f->b, idx, cg_i64(f, stride), "");
  if (!acc)
    return term;
  return LLVMBuildAdd(f->b, acc, term, "");
}

LLVMValueRef cg_var(cg_fn *f, LLVMTypeRef ty, LLVMValueRef init) {
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(f->b);
  LLVMValueRef first = LLVMGetFirstInstruction(f->entry);
  if (first)
    LLVMPositionBuilderBefore(f->b, first);
  else
    LLVMPositionBuilderAtEnd(f->b, f->entry);
  LLVMValueRef a = LLVMBuildAlloca(f->b, ty, "");
  LLVMPositionBuilderAtEnd(f->b, cur);
  if (init)
    LLVMBuildStore(f->b, init, a);
  return a;
}

LLVMValueRef cg_intrinsic(cg_fn *f, const char *name, LLVMTypeRef ty,
                          LLVMValueRef *args, int n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  DLC_ASSERT(id != 0);
  LLVMValueRef decl = LLVMGetIntrinsicDeclaration(f->c->mod, id, &ty, 1);
  LLVMTypeRef fty = LLVMIntrinsicGetType(f->c->llc, id, &ty, 1);
  return LLVMBuildCall2(f->b, fty, decl, args, (unsigned)n, "");
}

static LLVMValueRef libm_decl(cg_fn *f, const char *name, LLVMTypeRef *fty) {
  LLVMTypeRef p = f->c->f32;
  *fty = LLVMFunctionType(f->c->f32, &p, 1, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(f->c->mod, name);
  if (!fn) {
    fn = LLVMAddFunction(f->c->mod, name, *fty);
    f->c->math_calls++;
  }
  return fn;
}

LLVMValueRef cg_libm1(cg_fn *f, const char *name, LLVMValueRef x) {
  LLVMTypeRef fty;
  LLVMValueRef fn = libm_decl(f, name, &fty);
  LLVMTypeRef ty = LLVMTypeOf(x);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return LLVMBuildCall2(f->b, fty, fn, &x, 1, "");
  LLVMValueRef r = LLVMGetUndef(ty);
  for (unsigned i = 0; i < LLVMGetVectorSize(ty); i++) {
    LLVMValueRef k = LLVMConstInt(f->c->i32, i, 0);
    LLVMValueRef e = LLVMBuildExtractElement(f->b, x, k, "");
    e = LLVMBuildCall2(f->b, fty, fn, &e, 1, "");
    r = LLVMBuildInsertElement(f->b, r, e, k, "");
  }
  return r;
}

/* Folds the lanes of v pairwise with op (order fixed: lane 0 first). */
static LLVMValueRef fold_lanes(cg_fn *f, LLVMValueRef v,
                               LLVMValueRef (*op)(cg_fn *, LLVMValueRef,
                                                  LLVMValueRef)) {
  LLVMTypeRef ty = LLVMTypeOf(v);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return v;
  LLVMValueRef acc = NULL;
  for (unsigned i = 0; i < LLVMGetVectorSize(ty); i++) {
    LLVMValueRef e =
        LLVMBuildExtractElement(f->b, v, LLVMConstInt(f->c->i32, i, 0), "");
    acc = acc ? op(f, acc, e) : e;
  }
  return acc;
}

static LLVMValueRef fadd(cg_fn *f, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildFAdd(f->b, a, b, "");
}

LLVMValueRef cg_hsum(cg_fn *f, LLVMValueRef v) { return fold_lanes(f, v, fadd); }
LLVMValueRef cg_hmax(cg_fn *f, LLVMValueRef v) {
  return fold_lanes(f, v, cg_fmax);
}

/* NaN-propagating max/min via compare+select: a > b ? a : b keeps b when
 * either is NaN, so put the candidate first where NaN should win. */
LLVMValueRef cg_fmax(cg_fn *f, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef gt = LLVMBuildFCmp(f->b, LLVMRealOGT, a, b, "");
  return LLVMBuildSelect(f->b, gt, a, b, "");
}

LLVMValueRef cg_fmin(cg_fn *f, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef lt = LLVMBuildFCmp(f->b, LLVMRealOLT, a, b, "");
  return LLVMBuildSelect(f->b, lt, a, b, "");
}

LLVMValueRef cg_fma(cg_fn *f, LLVMValueRef a, LLVMValueRef b,
                    LLVMValueRef acc) {
  LLVMValueRef args[3] = {a, b, acc};
  return cg_intrinsic(f, "llvm.fma", LLVMTypeOf(acc), args, 3);
}

void cg_copy(cg_fn *f, LLVMValueRef dst, LLVMValueRef src, int64_t n) {
  if (n <= 0)
    return;
  LLVMBuildMemCpy(f->b, dst, 4, src, 4, cg_i64(f, n * 4));
}

void cg_fill(cg_fn *f, LLVMValueRef dst, int64_t n, float v) {
  if (n <= 0)
    return;
  if (v == 0.0f && !signbit(v)) {
    LLVMBuildMemSet(f->b, dst, LLVMConstInt(f->c->i8, 0, 0), cg_i64(f, n * 4),
                    4);
    return;
  }
  cg_loop l;
  LLVMValueRef i = cg_for_begin(f, &l, 0, n, 1);
  cg_store(f, cg_f32(f, v), dst, i);
  cg_for_end(f, &l);
}

LLVMValueRef cg_for_begin(cg_fn *f, cg_loop *l, int64_t begin, int64_t end,
                          int64_t step) {
  DLC_ASSERT(end > begin && step > 0);
  l->step = step;
  l->end = end;
  l->single = (end - begin + step - 1) / step == 1;
  if (l->single) {
    l->iv = cg_i64(f, begin);
    return l->iv;
  }
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(f->b);
  l->body = LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "loop");
  LLVMBuildBr(f->b, l->body);
  LLVMPositionBuilderAtEnd(f->b, l->body);
  l->iv = LLVMBuildPhi(f->b, f->c->i64, "i");
  LLVMValueRef start = cg_i64(f, begin);
  LLVMAddIncoming(l->iv, &start, &pre, 1);
  return l->iv;
}

void cg_for_end(cg_fn *f, cg_loop *l) {
  if (l->single)
    return;
  /* Do-while form: the trip count is known to be at least 2. The exit test
   * is next < end, exact because end - step cannot overflow here. */
  LLVMValueRef next = LLVMBuildNSWAdd(f->b, l->iv, cg_i64(f, l->step), "");
  LLVMValueRef more =
      LLVMBuildICmp(f->b, LLVMIntSLT, next, cg_i64(f, l->end), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef exit =
      LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "done");
  LLVMBuildCondBr(f->b, more, l->body, exit);
  LLVMAddIncoming(l->iv, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(f->b, exit);
}

void cg_nest_begin(cg_fn *f, cg_nest *n, int rank, const int64_t *dims,
                   LLVMValueRef *idx) {
  n->rank = rank;
  for (int k = 0; k < rank; k++)
    idx[k] = cg_for_begin(f, &n->loops[k], 0, dims[k], 1);
}

void cg_nest_end(cg_fn *f, cg_nest *n) {
  for (int k = n->rank - 1; k >= 0; k--)
    cg_for_end(f, &n->loops[k]);
}

void cg_strides(const dlc_tensor *t, int64_t *strides) {
  int64_t s = 1;
  for (int k = t->rank - 1; k >= 0; k--) {
    strides[k] = s;
    s *= t->dims[k];
  }
}

int64_t cg_numel(const dlc_tensor *t) {
  int64_t n = 1;
  for (int k = 0; k < t->rank; k++)
    n *= t->dims[k];
  return n;
}
