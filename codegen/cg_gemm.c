/* cg_gemm.c — matrix products: Gemm (Y = alpha * A' B' + beta * C) and
 * MatMul (numpy semantics: batch dims broadcast, 1-D operands promoted).
 *
 * Two families (the schedule chooses): the baseline "direct" kernels
 * compute a row of Y a vector of columns at a time when B's rows are
 * contiguous (broadcast A[m][k], load B[k][n..n+VL), llvm.fma; a constant
 * transposed B is transposed once at compile time), and the micro-kernel
 * ones (gemm_mk*, matmul_mk*) run the register-blocked GEMM with the
 * record's tile, constant B packed into panels at compile time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

typedef struct mm {
  LLVMValueRef a, b, c, y; /* c NULL: no addend */
  int64_t m, n, k;
  int64_t sam, sak, sbk, sbn, scm, scn;
  double alpha, beta;
} mm;

static LLVMValueRef load_c(cg_fn *f, const mm *p, LLVMValueRef mi,
                           LLVMValueRef ni, LLVMTypeRef ty) {
  LLVMValueRef at = cg_affine(f, cg_affine(f, cg_i64(f, 0), mi, p->scm), ni,
                              p->scn);
  if (p->scn == 0 || ty == f->c->f32)
    return cg_splat(f, cg_load(f, f->c->f32, p->c, at), ty);
  return cg_load(f, ty, p->c, at);
}

static void mm_cols(cg_fn *f, const mm *p, LLVMValueRef mi, int64_t begin,
                    int64_t end, int64_t step, LLVMTypeRef ty) {
  cg_loop ln, lk;
  LLVMValueRef ni = cg_for_begin(f, &ln, begin, end, step);
  LLVMValueRef acc = cg_var(f, ty, cg_fconst(f, ty, 0));
  LLVMValueRef k = cg_for_begin(f, &lk, 0, p->k, 1);
  LLVMValueRef ai = cg_affine(f, cg_affine(f, cg_i64(f, 0), mi, p->sam), k, p->sak);
  LLVMValueRef av = cg_splat(f, cg_load(f, f->c->f32, p->a, ai), ty);
  LLVMValueRef bi = cg_affine(f, cg_affine(f, cg_i64(f, 0), k, p->sbk), ni, p->sbn);
  LLVMValueRef bv = cg_load(f, ty, p->b, bi);
  LLVMBuildStore(f->b, cg_fma(f, av, bv, LLVMBuildLoad2(f->b, ty, acc, "")), acc);
  cg_for_end(f, &lk);
  LLVMValueRef r = LLVMBuildLoad2(f->b, ty, acc, "");
  if (p->alpha != 1.0)
    r = LLVMBuildFMul(f->b, r, cg_fconst(f, ty, p->alpha), "");
  if (p->c && p->beta != 0.0) {
    LLVMValueRef cv = load_c(f, p, mi, ni, ty);
    if (p->beta != 1.0)
      cv = LLVMBuildFMul(f->b, cv, cg_fconst(f, ty, p->beta), "");
    r = LLVMBuildFAdd(f->b, r, cv, "");
  }
  cg_store(f, r, p->y, cg_affine(f, cg_affine(f, NULL, mi, p->n), ni, 1));
  cg_for_end(f, &ln);
}

/* Y (m x n, contiguous) from the strided operands. */
static void emit_mm(cg_fn *f, const mm *p) {
  int64_t vl = f->c->t->vl;
  bool vec = p->sbn == 1 && (!p->c || p->scn <= 1) && p->n >= vl;
  int64_t main = vec ? p->n / vl * vl : 0;
  cg_loop lm;
  LLVMValueRef mi = cg_for_begin(f, &lm, 0, p->m, 1);
  if (main > 0)
    mm_cols(f, p, mi, 0, main, vl, f->c->vf);
  if (main < p->n)
    mm_cols(f, p, mi, main, p->n, 1, f->c->f32);
  cg_for_end(f, &lm);
}

/* ------------------------------------------------------------------ Gemm */

static void gemm_addend(const dlc_tensor *c, mm *p) {
  p->scm = p->scn = 0;
  if (c->rank >= 1 && c->dims[c->rank - 1] != 1)
    p->scn = 1;
  if (c->rank == 2 && c->dims[0] != 1)
    p->scm = c->dims[1];
}

static bool emit_gemm_with(cg_fn *f, LLVMValueRef b, bool b_packed) {
  const dlc_node *n = f->node;
  const dlc_tensor *a = &n->inputs[0]->type, *bt = &n->inputs[1]->type;
  bool ta = dlc_node_get_int(n, "transA"), tb = dlc_node_get_int(n, "transB");
  mm p = {.a = f->in[0], .b = b, .y = f->out[0]};
  p.m = ta ? a->dims[1] : a->dims[0];
  p.k = ta ? a->dims[0] : a->dims[1];
  p.n = n->outputs[0]->type.dims[1];
  p.sam = ta ? 1 : p.k;
  p.sak = ta ? p.m : 1;
  if (b_packed || !tb) {
    p.sbk = p.n;
    p.sbn = 1;
  } else {
    p.sbk = 1;
    p.sbn = bt->dims[1];
  }
  p.alpha = dlc_node_get_float(n, "alpha");
  p.beta = dlc_node_get_float(n, "beta");
  if (n->n_inputs > 2 && n->inputs[2]) {
    p.c = f->in[2];
    gemm_addend(&n->inputs[2]->type, &p);
  }
  emit_mm(f, &p);
  return true;
}

static bool emit_gemm(cg_fn *f) { return emit_gemm_with(f, f->in[1], false); }
static bool emit_gemm_packed(cg_fn *f) {
  return emit_gemm_with(f, f->extra[0], true);
}

/* B' = B^T (K x N) at compile time for a constant B with transB = 1. */
static bool prepare_gemm_packed(cg_ctx *c, const dlc_node *n, cg_call *call) {
  (void)c;
  const dlc_tensor *b = &n->inputs[1]->type;
  int64_t rows = b->dims[0], cols = b->dims[1]; /* N x K */
  float *t = malloc((size_t)(rows * cols) * sizeof *t + 1);
  DLC_ASSERT(t);
  const float *src = b->data;
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      t[j * rows + i] = src[i * cols + j];
  call->owned[call->n_owned++] = t;
  call->extra[call->n_extra++] = (cg_blob){t, (size_t)(rows * cols) * 4};
  return true;
}

/* ---------------------------------------------------------------- MatMul */

static bool emit_matmul(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *a = &n->inputs[0]->type, *b = &n->inputs[1]->type;
  const dlc_tensor *y = &n->outputs[0]->type;
  mm p = {.alpha = 1.0};
  p.k = a->dims[a->rank - 1];
  p.m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  p.n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  p.sam = p.k;
  p.sak = 1;
  p.sbk = p.n;
  p.sbn = 1;
  /* Batch dims of Y: all but the trailing matrix dims that survive. */
  int yb = y->rank - (a->rank >= 2) - (b->rank >= 2);
  int64_t bdims[DLC_MAX_RANK] = {0}, sa[DLC_MAX_RANK] = {0},
          sb[DLC_MAX_RANK] = {0};
  int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
  int64_t astep = p.m * p.k, bstep = p.k * p.n;
  for (int i = yb - 1; i >= 0; i--) {
    bdims[i] = y->dims[i];
    int ia = i - (yb - ab), ib = i - (yb - bb);
    sa[i] = ia >= 0 && a->dims[ia] != 1 ? astep : 0;
    sb[i] = ib >= 0 && b->dims[ib] != 1 ? bstep : 0;
    if (ia >= 0)
      astep *= a->dims[ia];
    if (ib >= 0)
      bstep *= b->dims[ib];
  }
  LLVMValueRef idx[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, yb, bdims, idx);
  LLVMValueRef ao = cg_i64(f, 0), bo = cg_i64(f, 0), yo = cg_i64(f, 0);
  int64_t ystep = p.m * p.n;
  for (int i = yb - 1; i >= 0; i--) {
    ao = cg_affine(f, ao, idx[i], sa[i]);
    bo = cg_affine(f, bo, idx[i], sb[i]);
    yo = cg_affine(f, yo, idx[i], ystep);
    ystep *= bdims[i];
  }
  p.a = cg_gep(f, f->in[0], ao);
  p.b = cg_gep(f, f->in[1], bo);
  p.y = cg_gep(f, f->out[0], yo);
  emit_mm(f, &p);
  cg_nest_end(f, &nest);
  return true;
}

const cg_emitter cg_emit_gemm = {.emit = emit_gemm};
const cg_emitter cg_emit_gemm_packed = {
    .prep_inputs = 0x2, .prepare = prepare_gemm_packed, .emit = emit_gemm_packed};
const cg_emitter cg_emit_matmul = {.emit = emit_matmul};

/* ------------------------------------------ on the micro-kernel (mk) */

/* Gemm: Y (M x N) = alpha * A' B' + beta * C, A' = transA ? A^T : A
 * broadcast from A in place (strided), B' vectors: a constant B is packed
 * at compile time into the micro-kernel's panels (either transB); a run-time
 * B is read in place when its rows run along N, else transposed into
 * scratch first. MatMul: per batch item a GEMM, constant B packed per
 * distinct batch matrix. */

typedef struct mk_post_ud {
  cg_epi ep;
  LLVMValueRef c; /* Gemm's addend or NULL */
  int64_t scm, scn;
  double alpha, beta;
  LLVMValueRef yflat; /* flat output offset of the GEMM's Y[0][0] */
  int64_t ldy;
} mk_post_ud;

static LLVMValueRef mk_post(cg_fn *f, const void *ud, LLVMValueRef acc,
                            LLVMValueRef m, LLVMValueRef n, int valid) {
  const mk_post_ud *u = ud;
  LLVMTypeRef ty = LLVMTypeOf(acc);
  if (u->alpha != 1.0)
    acc = LLVMBuildFMul(f->b, acc, cg_fconst(f, ty, u->alpha), "");
  if (u->c && u->beta != 0.0) {
    LLVMValueRef at = cg_affine(f, cg_affine(f, cg_i64(f, 0), m, u->scm), n,
                                u->scn);
    LLVMValueRef cv = u->scn == 0
                          ? cg_splat(f, cg_load(f, f->c->f32, u->c, at), ty)
                          : cg_load_n(f, ty, u->c, at, valid);
    if (u->beta != 1.0)
      cv = LLVMBuildFMul(f->b, cv, cg_fconst(f, ty, u->beta), "");
    acc = LLVMBuildFAdd(f->b, acc, cv, "");
  }
  if (!u->ep.e)
    return acc;
  LLVMValueRef yoff = LLVMBuildAdd(f->b, cg_affine(f, u->yflat, m, u->ldy), n, "");
  return cg_epi_apply(f, &u->ep, acc, yoff, m, n, valid);
}

typedef struct gemm_dims {
  int64_t m, n, k;
  bool ta, tb, b_const, c_present;
} gemm_dims;

static void gemm_dims_get(const dlc_node *n, gemm_dims *d) {
  const dlc_tensor *a = &n->inputs[0]->type;
  d->ta = dlc_node_get_int(n, "transA");
  d->tb = dlc_node_get_int(n, "transB");
  d->m = d->ta ? a->dims[1] : a->dims[0];
  d->k = d->ta ? a->dims[0] : a->dims[1];
  d->n = n->outputs[0]->type.dims[1];
  d->b_const = n->inputs[1]->type.data != NULL;
  d->c_present = dlc_node_op_inputs(n) > 2 && n->inputs[2];
}

/* Constant B (K x N, or N x K with transB) packed into panels. */
static bool prepare_gemm_mk_packed(cg_ctx *c, const dlc_node *n,
                                   cg_call *call) {
  gemm_dims d;
  gemm_dims_get(n, &d);
  dlc_tile p = cg_sched(c, n)->p.tile;
  int64_t cnt;
  float *blob = cg_pack_b(n->inputs[1]->type.data, d.k, d.n, d.tb ? 1 : d.n,
                          d.tb ? d.k : 1, p.nv * c->t->vl, &cnt);
  call->owned[call->n_owned++] = blob;
  call->extra[call->n_extra++] = (cg_blob){blob, (size_t)cnt * sizeof *blob};
  return true;
}

static bool emit_gemm_mk(cg_fn *f) {
  const dlc_node *n = f->node;
  gemm_dims d;
  gemm_dims_get(n, &d);
  mk_post_ud u = {.alpha = dlc_node_get_float(n, "alpha"),
                  .beta = dlc_node_get_float(n, "beta"),
                  .yflat = cg_i64(f, 0), .ldy = d.n};
  cg_epi_init(f, &u.ep, 0, 1);
  if (d.c_present) {
    mm tmp = {0};
    gemm_addend(&n->inputs[2]->type, &tmp);
    u.c = f->in[2];
    u.scm = tmp.scm;
    u.scn = tmp.scn;
  }
  cg_gemm g = {.m = d.m, .n = d.n, .k = d.k, .y = f->out[0], .ldy = d.n,
               .post = mk_post, .ud = &u};
  g.plan = f->s->p.tile;
  g.a = (cg_gemm_operand){f->in[0], false, d.ta ? 1 : d.k, d.ta ? d.m : 1};
  if (d.b_const) {
    g.b = (cg_gemm_operand){f->extra[0], true, 0, 0};
  } else if (d.tb) {
    /* B (N x K) -> scratch (K x N) */
    int64_t dims[2] = {d.k, d.n}, is[2] = {1, d.k}, os[2] = {d.n, 1};
    cg_emit_strided_copy(f, 2, dims, f->in[1], 0, is, f->scratch, 0, os);
    g.b = (cg_gemm_operand){f->scratch, false, d.n, 1};
  } else {
    g.b = (cg_gemm_operand){f->in[1], false, d.n, 1};
  }
  cg_gemm_emit(f, &g);
  return true;
}

const cg_emitter cg_emit_gemm_mk = {
    .emit = emit_gemm_mk};
const cg_emitter cg_emit_gemm_mk_packed = {
    .prep_inputs = 0x2, .prepare = prepare_gemm_mk_packed, .emit = emit_gemm_mk};

/* MatMul shapes: Y batch dims and per-operand batch strides (elements). */
typedef struct matmul_dims {
  int64_t m, n, k;
  int yb;
  int64_t bdims[DLC_MAX_RANK], sa[DLC_MAX_RANK], sb[DLC_MAX_RANK];
  int64_t b_mats; /* distinct B matrices */
} matmul_dims;

static void matmul_dims_get(const dlc_node *n, matmul_dims *d) {
  const dlc_tensor *a = &n->inputs[0]->type, *b = &n->inputs[1]->type;
  const dlc_tensor *y = &n->outputs[0]->type;
  d->k = a->dims[a->rank - 1];
  d->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  d->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  d->yb = y->rank - (a->rank >= 2) - (b->rank >= 2);
  int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
  int64_t astep = d->m * d->k, bstep = d->k * d->n;
  for (int i = d->yb - 1; i >= 0; i--) {
    d->bdims[i] = y->dims[i];
    int ia = i - (d->yb - ab), ib = i - (d->yb - bb);
    d->sa[i] = ia >= 0 && a->dims[ia] != 1 ? astep : 0;
    d->sb[i] = ib >= 0 && b->dims[ib] != 1 ? bstep : 0;
    if (ia >= 0)
      astep *= a->dims[ia];
    if (ib >= 0)
      bstep *= b->dims[ib];
  }
  d->b_mats = bstep / (d->k * d->n);
}

static bool prepare_matmul_mk_packed(cg_ctx *c, const dlc_node *n,
                                     cg_call *call) {
  matmul_dims d;
  matmul_dims_get(n, &d);
  dlc_tile p = cg_sched(c, n)->p.tile;
  int nc = p.nv * c->t->vl;
  int64_t per = cg_pack_b_floats(d.k, d.n, nc);
  float *blob = malloc((size_t)(per * d.b_mats) * sizeof *blob + 4);
  DLC_ASSERT(blob);
  const float *b = n->inputs[1]->type.data;
  for (int64_t i = 0; i < d.b_mats; i++) {
    int64_t cnt;
    float *pk = cg_pack_b(b + i * d.k * d.n, d.k, d.n, d.n, 1, nc, &cnt);
    memcpy(blob + i * per, pk, (size_t)cnt * sizeof *pk);
    free(pk);
  }
  call->owned[call->n_owned++] = blob;
  call->extra[call->n_extra++] =
      (cg_blob){blob, (size_t)(per * d.b_mats) * sizeof *blob};
  return true;
}

static bool emit_matmul_mk(cg_fn *f) {
  const dlc_node *n = f->node;
  matmul_dims d;
  matmul_dims_get(n, &d);
  bool packed = n->inputs[1]->type.data != NULL && f->extra[0];
  int row, lane;
  dlc_schedule_gemm_epi_axes(n, &row, &lane);
  mk_post_ud u = {.alpha = 1.0, .ldy = d.n};
  cg_epi_init(f, &u.ep, row, lane);
  cg_gemm g = {.m = d.m, .n = d.n, .k = d.k, .ldy = d.n, .post = mk_post,
               .ud = &u};
  g.plan = f->s->p.tile;
  int64_t per = cg_pack_b_floats(d.k, d.n, g.plan.nv * f->c->t->vl);
  LLVMValueRef idx[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, d.yb, d.bdims, idx);
  LLVMValueRef ao = cg_i64(f, 0), bo = cg_i64(f, 0), yo = cg_i64(f, 0);
  int64_t ystep = d.m * d.n;
  for (int i = d.yb - 1; i >= 0; i--) {
    ao = cg_affine(f, ao, idx[i], d.sa[i]);
    bo = cg_affine(f, bo, idx[i], packed ? d.sb[i] / (d.k * d.n) * per : d.sb[i]);
    yo = cg_affine(f, yo, idx[i], ystep);
    ystep *= d.bdims[i];
  }
  g.a = (cg_gemm_operand){cg_gep(f, f->in[0], ao), false, d.k, 1};
  g.b = packed ? (cg_gemm_operand){cg_gep(f, f->extra[0], bo), true, 0, 0}
               : (cg_gemm_operand){cg_gep(f, f->in[1], bo), false, d.n, 1};
  u.yflat = yo;
  g.y = cg_gep(f, f->out[0], yo);
  cg_gemm_emit(f, &g);
  cg_nest_end(f, &nest);
  return true;
}

const cg_emitter cg_emit_matmul_mk = {
    .emit = emit_matmul_mk};
const cg_emitter cg_emit_matmul_mk_packed = {
    .prep_inputs = 0x2, .prepare = prepare_matmul_mk_packed, .emit = emit_matmul_mk};
