/* cg_ir.c — small IR-building helpers every kernel emitter shares:
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

/* ------------------------------------------------------ vector math */

/* Scalar or splat i32 constant shaped like the float value type ty. */
static LLVMValueRef iconst(cg_fn *f, LLVMTypeRef ty, int32_t v) {
  LLVMValueRef s = LLVMConstInt(f->c->i32, (unsigned long long)(int64_t)v, 1);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return s;
  unsigned n = LLVMGetVectorSize(ty);
  LLVMValueRef e[16];
  for (unsigned i = 0; i < n; i++)
    e[i] = s;
  return LLVMConstVector(e, n);
}

/* a*b + c: llvm.fmuladd is one fma where the target has it and a mul and
 * an add elsewhere (llvm.fma would become a libm call on plain x86-64). */
static LLVMValueRef muladd(cg_fn *f, LLVMValueRef a, LLVMValueRef b,
                           LLVMValueRef c) {
  LLVMValueRef args[3] = {a, b, c};
  return cg_intrinsic(f, "llvm.fmuladd", LLVMTypeOf(c), args, 3);
}

/* c[0] + t*(c[1] + t*(... + t*c[n-1])) */
static LLVMValueRef horner(cg_fn *f, LLVMValueRef t, const double *c, int n) {
  LLVMTypeRef ty = LLVMTypeOf(t);
  LLVMValueRef p = cg_fconst(f, ty, c[n - 1]);
  for (int k = n - 2; k >= 0; k--)
    p = muladd(f, p, t, cg_fconst(f, ty, c[k]));
  return p;
}

static LLVMValueRef fsel(cg_fn *f, LLVMRealPredicate p, LLVMValueRef a,
                         LLVMValueRef b, LLVMValueRef t, LLVMValueRef e) {
  return LLVMBuildSelect(f->b, LLVMBuildFCmp(f->b, p, a, b, ""), t, e, "");
}

/* e^x in straight-line IR, any vector width, no libm:
 *   x is clamped to [-104, 88.8] (beyond them the float result is 0 or
 *   +inf anyway; NaN is put back at the end);
 *   x = n ln2 + r, n = round(x log2 e) by the 1.5*2^23 trick (no rint: it
 *   is a libm call on plain x86-64 vectors), ln2 in two parts (Cody-Waite)
 *   so n*LN2_HI is exact for |n| <= 2^15 and r carries no cancellation;
 *   e^r = 1 + r + r^2 q(r) on |r| <= ln2/2, q of degree 4 fitted by a
 *   weighted Remez exchange on the relative error (3.1e-9 before float
 *   rounding; tests/test_codegen_math.c measures the result);
 *   2^n in two factors, n = n1 + n2 with n1 = n >> 1: n1 goes straight
 *   into p's exponent field (an integer add), n2 becomes the float 2^n2,
 *   so both stay normal for n in [-150, 128] and the one final multiply
 *   rounds into the subnormals or overflows to +inf as expf does. */
LLVMValueRef cg_exp(cg_fn *f, LLVMValueRef x) {
  static const double q[5] = {4.999999404e-01, 1.666652113e-01,
                              4.166838899e-02, 8.368710056e-03,
                              1.381461276e-03};
  LLVMBuilderRef b = f->b;
  LLVMTypeRef ty = LLVMTypeOf(x), ity = cg_like(f->c->i32, ty);
  /* NaN fails OGE and becomes -104 here: no poison from fptosi-like
   * bit tricks below, and the final select restores it. */
  LLVMValueRef lo = cg_fconst(f, ty, -104.0), hi = cg_fconst(f, ty, 88.8);
  LLVMValueRef xc = fsel(f, LLVMRealOGT, x, hi, hi, x);
  xc = fsel(f, LLVMRealOGE, xc, lo, xc, lo);
  LLVMValueRef magic = cg_fconst(f, ty, 12582912.0); /* 1.5 * 2^23 */
  LLVMValueRef t = muladd(f, xc, cg_fconst(f, ty, M_LOG2E), magic);
  LLVMValueRef nf = LLVMBuildFSub(b, t, magic, "");
  LLVMValueRef n = LLVMBuildSub(b, LLVMBuildBitCast(b, t, ity, ""),
                                iconst(f, ty, 0x4b400000), "");
  LLVMValueRef r = muladd(f, nf, cg_fconst(f, ty, -0.693359375), xc);
  r = muladd(f, nf, cg_fconst(f, ty, 2.12194440e-4), r);
  LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "");
  LLVMValueRef p = muladd(f, horner(f, r, q, 5), r2, r);
  p = LLVMBuildFAdd(b, p, cg_fconst(f, ty, 1.0), "");
  LLVMValueRef n1 = LLVMBuildAShr(b, n, iconst(f, ty, 1), "");
  LLVMValueRef n2 = LLVMBuildSub(b, n, n1, "");
  LLVMValueRef pb = LLVMBuildAdd(b, LLVMBuildBitCast(b, p, ity, ""),
                                 LLVMBuildShl(b, n1, iconst(f, ty, 23), ""),
                                 "");
  LLVMValueRef s2 = LLVMBuildShl(
      b, LLVMBuildAdd(b, n2, iconst(f, ty, 127), ""), iconst(f, ty, 23), "");
  LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildBitCast(b, pb, ty, ""),
                                 LLVMBuildBitCast(b, s2, ty, ""), "");
  return fsel(f, LLVMRealUNO, x, x, x, y);
}

/* The reference's stable logistic: e = exp(-|x|) never overflows;
 * x >= 0 ? 1/(1+e) : e/(1+e). */
LLVMValueRef cg_sigmoid(cg_fn *f, LLVMValueRef x) {
  LLVMTypeRef ty = LLVMTypeOf(x);
  LLVMValueRef one = cg_fconst(f, ty, 1);
  LLVMValueRef ax = cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  LLVMValueRef e = cg_exp(f, LLVMBuildFNeg(f->b, ax, ""));
  LLVMValueRef den = LLVMBuildFAdd(f->b, one, e, "");
  return fsel(f, LLVMRealOGE, x, cg_fconst(f, ty, 0),
              LLVMBuildFDiv(f->b, one, den, ""),
              LLVMBuildFDiv(f->b, e, den, ""));
}

/* tanh: for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (P of degree 4,
 * weighted Remez on the relative error: 4.4e-9 before rounding), where
 * 1 - 2/(e^2x + 1) would cancel; above it 1 - 2/(e^2|x| + 1) >= 0.55
 * loses at most a few ulps, and e^2|x| = inf gives exactly 1. The sign is
 * copied back from x; NaN falls through the second branch as NaN. */
LLVMValueRef cg_tanh(cg_fn *f, LLVMValueRef x) {
  static const double c[5] = {-3.333328068e-01, 1.333144158e-01,
                              -5.373971537e-02, 2.063908800e-02,
                              -5.704987328e-03};
  LLVMBuilderRef b = f->b;
  LLVMTypeRef ty = LLVMTypeOf(x);
  LLVMValueRef ax = cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  LLVMValueRef one = cg_fconst(f, ty, 1);
  LLVMValueRef e = cg_exp(f, LLVMBuildFAdd(b, ax, ax, ""));
  LLVMValueRef big = LLVMBuildFSub(
      b, one,
      LLVMBuildFDiv(b, cg_fconst(f, ty, 2), LLVMBuildFAdd(b, e, one, ""), ""),
      "");
  LLVMValueRef x2 = LLVMBuildFMul(b, ax, ax, "");
  LLVMValueRef x3 = LLVMBuildFMul(b, x2, ax, "");
  LLVMValueRef small = muladd(f, horner(f, x2, c, 5), x3, ax);
  LLVMValueRef y =
      fsel(f, LLVMRealOLT, ax, cg_fconst(f, ty, 0.625), small, big);
  LLVMValueRef args[2] = {y, x};
  return cg_intrinsic(f, "llvm.copysign", ty, args, 2);
}

LLVMTypeRef cg_like(LLVMTypeRef elem, LLVMTypeRef shape) {
  if (LLVMGetTypeKind(shape) != LLVMVectorTypeKind)
    return elem;
  return LLVMVectorType(elem, LLVMGetVectorSize(shape));
}
