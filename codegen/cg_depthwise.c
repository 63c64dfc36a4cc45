/* cg_depthwise.c — depthwise convolution (group == Cin == Cout), a
 * memory-bound kernel judged in GB/s.
 *
 * X (N, C, H, W) * W (C, 1, kh, kw) + B -> Y (N, C, Ho, Wo). Per image and
 * channel the input plane is copied into a zeroed scratch plane with the
 * padding built in (plus a slack tail, so whole-vector loads past the last
 * row stay inside scratch); the channel's kh*kw weights are splatted once.
 * Each output row is computed 4 vectors at a time along Wo (4 independent
 * accumulators), then vector by vector, the last partial vector with a
 * masked store. Taps are unrolled at compile time. Stride 2 along W loads
 * two vectors and keeps the even lanes; other strides gather lane by lane.
 * Bias and the fused epilogue are applied before each store. */
#include <stdio.h>

#include "codegen/cg.h"

#define DW_UNROLL 4

typedef struct dw_shape {
  dlc_window2d g;
  int64_t n, c, ph, pw, plane, slack;
} dw_shape;

/* The record's window, padded plane and slack. */
static void dw_shape_get(const dlc_node_sched *r, dw_shape *s) {
  const dlc_tensor *x = &r->node->inputs[0]->type;
  s->g = r->win;
  s->n = x->dims[0];
  s->c = x->dims[1];
  s->ph = r->p.plane_h;
  s->pw = r->p.plane_w;
  s->plane = s->ph * s->pw;
  s->slack = r->p.slack;
}

typedef struct dw_row {
  const dw_shape *s;
  LLVMValueRef plane, y, wv[DLC_DW_MAX_TAPS], bias, ch;
  LLVMValueRef rowbase; /* plane offset of input row oh*sh */
  LLVMValueRef ybase;   /* flat output offset of row oh */
  const cg_epi *ep;
} dw_row;

/* The input vector feeding outputs ow.. through tap column j. */
static LLVMValueRef dw_input(cg_fn *f, const dw_row *r, LLVMValueRef at) {
  const dlc_window2d *g = &r->s->g;
  int vl = f->c->t->vl;
  if (g->s[1] == 1)
    return cg_load(f, f->c->vf, r->plane, at);
  if (g->s[1] == 2) {
    LLVMTypeRef wide = LLVMVectorType(f->c->f32, (unsigned)(2 * vl));
    LLVMValueRef both = cg_load(f, wide, r->plane, at);
    LLVMValueRef even[16];
    for (int i = 0; i < vl; i++)
      even[i] = LLVMConstInt(f->c->i32, (unsigned)(2 * i), 0);
    return LLVMBuildShuffleVector(f->b, both, LLVMGetUndef(wide),
                                  LLVMConstVector(even, (unsigned)vl), "");
  }
  LLVMValueRef v = LLVMGetUndef(f->c->vf);
  for (int i = 0; i < vl; i++) {
    LLVMValueRef e = cg_load(f, f->c->f32, r->plane,
                             LLVMBuildAdd(f->b, at, cg_i64(f, i * g->s[1]), ""));
    v = LLVMBuildInsertElement(f->b, v, e, LLVMConstInt(f->c->i32, i, 0), "");
  }
  return v;
}

/* `count` vectors of outputs starting at column ow; the last has `valid`
 * lanes. */
static void dw_vectors(cg_fn *f, const dw_row *r, LLVMValueRef ow, int count,
                       int valid) {
  const dlc_window2d *g = &r->s->g;
  int vl = f->c->t->vl;
  LLVMValueRef acc[DW_UNROLL];
  for (int u = 0; u < count; u++)
    acc[u] = r->bias;
  for (int64_t i = 0; i < g->k[0]; i++) {
    for (int64_t j = 0; j < g->k[1]; j++) {
      LLVMValueRef wv = r->wv[i * g->k[1] + j];
      for (int u = 0; u < count; u++) {
        LLVMValueRef col = LLVMBuildAdd(f->b, ow, cg_i64(f, u * vl), "");
        LLVMValueRef at = cg_affine(f, r->rowbase, col, g->s[1]);
        at = LLVMBuildAdd(f->b, at,
                          cg_i64(f, i * g->d[0] * r->s->pw + j * g->d[1]), "");
        acc[u] = cg_mk_fma(f, dw_input(f, r, at), wv, acc[u]);
      }
    }
  }
  for (int u = 0; u < count; u++) {
    int lanes = u == count - 1 ? valid : vl;
    LLVMValueRef yi = LLVMBuildAdd(
        f->b, r->ybase, LLVMBuildAdd(f->b, ow, cg_i64(f, u * vl), ""), "");
    LLVMValueRef v = cg_epi_apply(f, r->ep, acc[u], yi, r->ch, NULL, lanes);
    cg_store_n(f, v, r->y, yi, lanes);
  }
}

/* One output row: blocks of DW_UNROLL vectors, single vectors, the rest. */
static void dw_row_emit(cg_fn *f, const dw_row *r) {
  int64_t wo = r->s->g.out[1], vl = f->c->t->vl, blk = DW_UNROLL * vl;
  int64_t nblk = wo / blk, done = nblk * blk;
  cg_loop l;
  if (nblk > 0) {
    LLVMValueRef b = cg_for_begin(f, &l, 0, nblk, 1);
    dw_vectors(f, r, cg_affine(f, NULL, b, blk), DW_UNROLL, (int)vl);
    cg_for_end(f, &l);
  }
  int64_t nvec = (wo - done) / vl;
  if (nvec > 0) {
    LLVMValueRef v = cg_for_begin(f, &l, 0, nvec, 1);
    dw_vectors(f, r, cg_affine(f, cg_i64(f, done), v, vl), 1, (int)vl);
    cg_for_end(f, &l);
    done += nvec * vl;
  }
  if (done < wo)
    dw_vectors(f, r, cg_i64(f, done), 1, (int)(wo - done));
}

/* Copies channel ch of image ni into the zeroed, padded plane. */
static void dw_pad(cg_fn *f, const dw_shape *s, LLVMValueRef ni,
                   LLVMValueRef ch) {
  const dlc_window2d *g = &s->g;
  int64_t hw = g->in[0] * g->in[1];
  cg_fill(f, f->scratch, s->plane, 0.0f);
  LLVMValueRef src = cg_gep(
      f, f->in[0], cg_affine(f, NULL, cg_affine(f, ch, ni, s->c), hw));
  int64_t dims[2] = {g->in[0], g->in[1]}, is[2] = {g->in[1], 1};
  int64_t os[2] = {s->pw, 1};
  cg_emit_strided_copy(f, 2, dims, src, 0, is, f->scratch,
                       g->pb[0] * s->pw + g->pb[1], os);
}

static bool emit_dw(cg_fn *f) {
  dw_shape s;
  dw_shape_get(f->s, &s);
  const dlc_window2d *g = &s.g;
  cg_epi ep;
  cg_epi_init(f, &ep, 1, -1);
  dw_row r = {.s = &s, .plane = f->scratch, .y = f->out[0], .ep = &ep};
  LLVMValueRef bias = dlc_node_op_inputs(f->node) > 2 ? f->in[2] : NULL;
  int64_t taps = g->k[0] * g->k[1], howo = g->out[0] * g->out[1];
  /* the slack tail is only ever read into discarded lanes: zero it once */
  cg_fill(f, cg_gep(f, f->scratch, cg_i64(f, s.plane)), s.slack, 0.0f);
  cg_loop ln, lc, lh;
  LLVMValueRef ni = cg_for_begin(f, &ln, 0, s.n, 1);
  r.ch = cg_for_begin(f, &lc, 0, s.c, 1);
  dw_pad(f, &s, ni, r.ch);
  for (int64_t t = 0; t < taps; t++)
    r.wv[t] = cg_splat(f, cg_load(f, f->c->f32, f->in[1],
                                  cg_affine(f, cg_i64(f, t), r.ch, taps)),
                       f->c->vf);
  r.bias = bias ? cg_splat(f, cg_load(f, f->c->f32, bias, r.ch), f->c->vf)
                : cg_fconst(f, f->c->vf, 0);
  LLVMValueRef img = cg_affine(f, r.ch, ni, s.c);
  LLVMValueRef oh = cg_for_begin(f, &lh, 0, g->out[0], 1);
  r.rowbase = cg_affine(f, cg_i64(f, 0), oh, g->s[0] * s.pw);
  r.ybase = cg_affine(f, cg_affine(f, NULL, img, howo), oh, g->out[1]);
  dw_row_emit(f, &r);
  cg_for_end(f, &lh);
  cg_for_end(f, &lc);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv_depthwise = {
    .emit = emit_dw};
