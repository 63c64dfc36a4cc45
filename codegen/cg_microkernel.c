/* cg_microkernel.c — the register-blocked GEMM every compute-bound kernel
 * runs on: Y (M x N, rows ldy apart) (+)= A (M x K) B (K x N).
 *
 * One tile keeps mr rows x nv vectors of Y in registers (mr * nv
 * accumulators): each k step loads nv vectors of B (along n, contiguous),
 * broadcasts mr scalars of A and issues mr * nv llvm.fma. The K loop is
 * unrolled 4 times with the accumulators as phis. Edge tiles are separate
 * code with constant sizes: an M remainder tile has fewer rows, an N
 * remainder tile fewer vectors, its last one masked (masked loads of a
 * strided B, masked stores of Y), so nothing outside a buffer is touched.
 * Packed operands are zero padded to whole panels and need no masks.
 *
 * Loop order per K block: N blocks (outer) x M panels (inner), so one
 * kc x nc panel of B stays in L1 while A streams from L2. When K exceeds
 * kc, the first K block writes Y, the middle ones accumulate into it and
 * only the last applies the caller's post step (bias, epilogue). */
#include <string.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

/* ------------------------------------------------------- vector helpers */

LLVMValueRef cg_mk_fma(cg_fn *f, LLVMValueRef a, LLVMValueRef b,
                       LLVMValueRef acc) {
  const cg_target *t = f->c->t;
  if (t->aarch64 || (t->cpu_mask & DLCRT_CPU_FMA))
    return cg_fma(f, a, b, acc);
  /* Without FMA hardware llvm.fma becomes a libm call per lane. */
  return LLVMBuildFAdd(f->b, LLVMBuildFMul(f->b, a, b, ""), acc, "");
}

static LLVMValueRef lane_mask(cg_fn *f, unsigned n, int valid) {
  LLVMValueRef e[16];
  for (unsigned i = 0; i < n; i++)
    e[i] = LLVMConstInt(f->c->i1, (int)i < valid, 0);
  return LLVMConstVector(e, n);
}

static LLVMValueRef masked_decl(cg_fn *f, const char *name, LLVMTypeRef vt,
                                LLVMTypeRef *fty) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  DLC_ASSERT(id != 0);
  LLVMTypeRef tys[2] = {vt, f->c->ptr};
  *fty = LLVMIntrinsicGetType(f->c->llc, id, tys, 2);
  return LLVMGetIntrinsicDeclaration(f->c->mod, id, tys, 2);
}

static bool partial(LLVMTypeRef ty, int valid) {
  return LLVMGetTypeKind(ty) == LLVMVectorTypeKind &&
         valid < (int)LLVMGetVectorSize(ty);
}

LLVMValueRef cg_load_n(cg_fn *f, LLVMTypeRef ty, LLVMValueRef base,
                       LLVMValueRef idx, int valid) {
  if (!partial(ty, valid))
    return cg_load(f, ty, base, idx);
  LLVMTypeRef fty;
  LLVMValueRef fn = masked_decl(f, "llvm.masked.load", ty, &fty);
  LLVMValueRef args[4] = {cg_gep(f, base, idx), LLVMConstInt(f->c->i32, 4, 0),
                          lane_mask(f, LLVMGetVectorSize(ty), valid),
                          cg_fconst(f, ty, 0)};
  return LLVMBuildCall2(f->b, fty, fn, args, 4, "");
}

void cg_store_n(cg_fn *f, LLVMValueRef v, LLVMValueRef base, LLVMValueRef idx,
                int valid) {
  LLVMTypeRef ty = LLVMTypeOf(v);
  if (!partial(ty, valid)) {
    cg_store(f, v, base, idx);
    return;
  }
  LLVMTypeRef fty;
  LLVMValueRef fn = masked_decl(f, "llvm.masked.store", ty, &fty);
  LLVMValueRef args[4] = {v, cg_gep(f, base, idx),
                          LLVMConstInt(f->c->i32, 4, 0),
                          lane_mask(f, LLVMGetVectorSize(ty), valid)};
  LLVMBuildCall2(f->b, fty, fn, args, 4, "");
}

/* ------------------------------------------------------------ the tiles */

typedef struct tile {
  int mr, nv, valid;           /* rows, vectors, lanes of the last vector */
  LLVMValueRef m0, n0, mp, nb; /* first row/column, A panel, B panel */
} tile;

typedef struct kpass {
  LLVMValueRef k0; /* first k of this K block */
  int64_t kc;
  bool init_y, post; /* accumulate onto Y; apply the post step */
} kpass;

typedef struct tile_ptrs {
  LLVMValueRef a, b; /* A and B at the tile's first row / column */
} tile_ptrs;

static int lanes(cg_fn *f, const tile *t, int j) {
  return j == t->nv - 1 ? t->valid : f->c->t->vl;
}

/* One k step: nv loads of B, mr broadcasts of A, mr * nv FMAs. */
static void kstep(cg_fn *f, const cg_gemm *g, const tile *t,
                  const tile_ptrs *tp, LLVMValueRef k, LLVMValueRef *acc) {
  int vl = f->c->t->vl;
  int64_t nc = (int64_t)g->plan.nv * vl;
  LLVMValueRef bv[8];
  for (int j = 0; j < t->nv; j++) {
    LLVMValueRef at = cg_affine(f, cg_i64(f, (int64_t)j * vl), k,
                                g->b.packed ? nc : g->b.s0);
    bv[j] = g->b.packed ? cg_load(f, f->c->vf, tp->b, at)
                        : cg_load_n(f, f->c->vf, tp->b, at, lanes(f, t, j));
  }
  for (int r = 0; r < t->mr; r++) {
    LLVMValueRef at =
        g->a.packed ? cg_affine(f, cg_i64(f, r), k, g->plan.mr)
                    : cg_affine(f, cg_i64(f, r * g->a.s0), k, g->a.s1);
    LLVMValueRef av = cg_splat(f, cg_load(f, f->c->f32, tp->a, at), f->c->vf);
    for (int j = 0; j < t->nv; j++)
      acc[r * t->nv + j] = cg_mk_fma(f, av, bv[j], acc[r * t->nv + j]);
  }
}

/* The K loop of one tile, unrolled by 4, accumulators carried in phis. */
static void kloop(cg_fn *f, const cg_gemm *g, const tile *t,
                  const tile_ptrs *tp, const kpass *kp, LLVMValueRef *acc) {
  int n = t->mr * t->nv;
  int64_t unroll = 4, iters = kp->kc / unroll, done = 0;
  if (iters >= 2) {
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "k");
    LLVMBuildBr(f->b, body);
    LLVMPositionBuilderAtEnd(f->b, body);
    LLVMValueRef kk = LLVMBuildPhi(f->b, f->c->i64, "kk"), phi[64];
    LLVMValueRef zero = cg_i64(f, 0);
    LLVMAddIncoming(kk, &zero, &pre, 1);
    for (int i = 0; i < n; i++) {
      phi[i] = LLVMBuildPhi(f->b, f->c->vf, "acc");
      LLVMAddIncoming(phi[i], &acc[i], &pre, 1);
      acc[i] = phi[i];
    }
    LLVMValueRef kb = LLVMBuildAdd(f->b, kp->k0, kk, "");
    for (int u = 0; u < unroll; u++)
      kstep(f, g, t, tp, LLVMBuildAdd(f->b, kb, cg_i64(f, u), ""), acc);
    LLVMValueRef next = LLVMBuildNSWAdd(f->b, kk, cg_i64(f, unroll), "");
    LLVMValueRef more = LLVMBuildICmp(f->b, LLVMIntSLT, next,
                                      cg_i64(f, iters * unroll), "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(f->b);
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "kd");
    LLVMBuildCondBr(f->b, more, body, exit);
    LLVMAddIncoming(kk, &next, &latch, 1);
    for (int i = 0; i < n; i++)
      LLVMAddIncoming(phi[i], &acc[i], &latch, 1);
    LLVMPositionBuilderAtEnd(f->b, exit);
    done = iters * unroll;
  }
  for (int64_t k = done; k < kp->kc; k++)
    kstep(f, g, t, tp, LLVMBuildAdd(f->b, kp->k0, cg_i64(f, k), ""), acc);
}

static LLVMValueRef y_index(cg_fn *f, const cg_gemm *g, const tile *t, int r,
                            int j) {
  LLVMValueRef row = LLVMBuildAdd(f->b, t->m0, cg_i64(f, r), "");
  LLVMValueRef col = LLVMBuildAdd(f->b, t->n0,
                                  cg_i64(f, (int64_t)j * f->c->t->vl), "");
  return cg_affine(f, col, row, g->ldy);
}

static void emit_tile(cg_fn *f, const cg_gemm *g, const tile *t,
                      const kpass *kp) {
  int vl = f->c->t->vl;
  int64_t nc = (int64_t)g->plan.nv * vl;
  tile_ptrs tp;
  tp.a = g->a.packed ? cg_gep(f, g->a.p, cg_affine(f, NULL, t->mp,
                                                   g->k * g->plan.mr))
                     : cg_gep(f, g->a.p, cg_affine(f, NULL, t->m0, g->a.s0));
  tp.b = g->b.packed ? cg_gep(f, g->b.p, cg_affine(f, NULL, t->nb, g->k * nc))
                     : cg_gep(f, g->b.p, t->n0);
  LLVMValueRef acc[64];
  for (int r = 0; r < t->mr; r++)
    for (int j = 0; j < t->nv; j++)
      acc[r * t->nv + j] =
          kp->init_y ? cg_load_n(f, f->c->vf, g->y, y_index(f, g, t, r, j),
                                 lanes(f, t, j))
                     : cg_fconst(f, f->c->vf, 0);
  kloop(f, g, t, &tp, kp, acc);
  for (int r = 0; r < t->mr; r++) {
    for (int j = 0; j < t->nv; j++) {
      LLVMValueRef v = acc[r * t->nv + j];
      if (kp->post && g->post) {
        LLVMValueRef m = LLVMBuildAdd(f->b, t->m0, cg_i64(f, r), "");
        LLVMValueRef n = LLVMBuildAdd(f->b, t->n0, cg_i64(f, (int64_t)j * vl), "");
        v = g->post(f, g->ud, v, m, n, lanes(f, t, j));
      }
      cg_store_n(f, v, g->y, y_index(f, g, t, r, j), lanes(f, t, j));
    }
  }
}

/* Every M panel of one column block: full panels in a loop, then the rest. */
static void m_tiles(cg_fn *f, const cg_gemm *g, tile t, const kpass *kp) {
  int mr = g->plan.mr;
  int64_t mfull = g->m / mr, mrem = g->m % mr;
  if (mfull > 0) {
    cg_loop l;
    t.mp = cg_for_begin(f, &l, 0, mfull, 1);
    t.m0 = cg_affine(f, NULL, t.mp, mr);
    t.mr = mr;
    emit_tile(f, g, &t, kp);
    cg_for_end(f, &l);
  }
  if (mrem > 0) {
    t.mp = cg_i64(f, mfull);
    t.m0 = cg_i64(f, mfull * mr);
    t.mr = (int)mrem;
    emit_tile(f, g, &t, kp);
  }
}

static void emit_pass(cg_fn *f, const cg_gemm *g, const kpass *kp) {
  int vl = f->c->t->vl;
  int64_t nc = (int64_t)g->plan.nv * vl, nfull = g->n / nc, nrem = g->n % nc;
  tile t = {0};
  if (nfull > 0) {
    cg_loop l;
    t.nb = cg_for_begin(f, &l, 0, nfull, 1);
    t.n0 = cg_affine(f, NULL, t.nb, nc);
    t.nv = g->plan.nv;
    t.valid = vl;
    m_tiles(f, g, t, kp);
    cg_for_end(f, &l);
  }
  if (nrem > 0) {
    t.nb = cg_i64(f, nfull);
    t.n0 = cg_i64(f, nfull * nc);
    t.nv = (int)((nrem + vl - 1) / vl);
    t.valid = (int)(nrem - (int64_t)(t.nv - 1) * vl);
    m_tiles(f, g, t, kp);
  }
}

void cg_gemm_emit(cg_fn *f, const cg_gemm *g) {
  DLC_ASSERT(g->plan.mr * g->plan.nv <= 64 && g->plan.nv <= 8);
  int64_t kc = g->plan.kc, blocks = (g->k + kc - 1) / kc;
  if (blocks <= 1) {
    kpass kp = {cg_i64(f, 0), g->k, false, true};
    emit_pass(f, g, &kp);
    return;
  }
  kpass first = {cg_i64(f, 0), kc, false, false};
  emit_pass(f, g, &first);
  if (blocks > 2) {
    cg_loop l;
    LLVMValueRef kb = cg_for_begin(f, &l, 1, blocks - 1, 1);
    kpass mid = {cg_affine(f, NULL, kb, kc), kc, true, false};
    emit_pass(f, g, &mid);
    cg_for_end(f, &l);
  }
  kpass last = {cg_i64(f, (blocks - 1) * kc), g->k - (blocks - 1) * kc, true,
                true};
  emit_pass(f, g, &last);
}
