/* cg_nchwc_window.c — the blocked layout's window kernels besides the dense
 * convolution (cg_nchwc.c): depthwise convolution and the pools, on
 * X [N, C/B, H, W, B] with the B channels of a block in the vector lanes.
 *
 * Every tap of every output pixel is then one vector operation on one
 * contiguous vector load, whatever the stride or dilation: one pass over
 * memory, no padded copy, no gather. A tile holds rw output pixels of one
 * block in registers (the record's tile.mr); the taps are clipped to the
 * image per output row at run time (kh) and per pixel at compile time
 * (kw): the pixels whose window crosses the left or right border are
 * emitted one by one with their own taps, the interior in whole tiles,
 * the kw taps unrolled (the loads two pixels share at stride 1 are one
 * load after LLVM's CSE).
 *
 * conv_nchwc_depthwise: one filter per channel (group == C == Cout);
 * weights packed [block][kh][kw][lane], bias [block][lane], zero in the
 * padding lanes, so those stay zero up to the fused epilogue, after which
 * they are zeroed again (an activation of 0 need not be 0).
 * pool_nchwc: MaxPool and AveragePool with the plain kernel's rules
 * (cg_pool.c): the average divides by the taps inside the image, or with
 * count_include_pad by those inside [-pad_begin, in + pad_end).
 * global_pool_nchwc: each block's plane reduced with four independent
 * vector accumulators. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

enum { NW_MAX_RW = 32 };

typedef enum nw_kind { NW_DEPTHWISE, NW_MAX, NW_AVERAGE } nw_kind;

typedef struct nw_shape {
  dlc_window2d g;
  nw_kind kind;
  bool include_pad;   /* AveragePool count_include_pad */
  int64_t n, cb, b;   /* images, blocks, lanes */
  int64_t channels;   /* real channels (depthwise: masks the epilogue) */
  int rw;             /* pixels per tile */
} nw_shape;

static nw_kind kind_of(const dlc_node *n) {
  if (n->op == DLC_OP_CONV_NCHWC)
    return NW_DEPTHWISE;
  return dlc_pool_nchwc_kind(n) == DLC_OP_MAX_POOL ? NW_MAX : NW_AVERAGE;
}

static void nw_shape_get(const dlc_node_sched *r, nw_shape *s) {
  const dlc_node *n = r->node;
  const dlc_tensor *y = &n->outputs[0]->type;
  memset(s, 0, sizeof *s);
  s->g = r->win;
  s->kind = kind_of(n);
  s->include_pad = s->kind == NW_AVERAGE &&
                   dlc_node_get_int(n, "count_include_pad") != 0;
  s->n = y->dims[0];
  s->cb = y->dims[1];
  s->b = y->dims[4];
  s->channels = s->kind == NW_DEPTHWISE ? n->inputs[1]->type.dims[0]
                                        : s->cb * s->b;
  s->rw = r->p.tile.mr > 0 ? r->p.tile.mr : 1;
}

/* Where the code of one (image, block, output row) is. */
typedef struct nw_row {
  const nw_shape *s;
  LLVMTypeRef vt;
  LLVMValueRef cb;         /* block */
  LLVMValueRef xplane;     /* flat index of X[ni][cb][0][0][0] */
  LLVMValueRef yrow;       /* flat index of Y[ni][cb][oh][0][0] */
  LLVMValueRef wblock;     /* depthwise: packed weights of the block */
  LLVMValueRef oh, kh0, kh1;
  LLVMValueRef rows_counted; /* average: taps along H that count (float) */
  const cg_epi *ep;
  LLVMValueRef acc[NW_MAX_RW];
} nw_row;

static LLVMValueRef tile_init_value(cg_fn *f, const nw_row *r) {
  switch (r->s->kind) {
  case NW_DEPTHWISE:
    return cg_load(f, r->vt, f->extra[1], cg_affine(f, NULL, r->cb, r->s->b));
  case NW_MAX:
    return cg_fconst(f, r->vt, -INFINITY);
  default:
    return cg_fconst(f, r->vt, 0);
  }
}

/* Taps kw in [kw0, kw1) of input row ih for npix pixels from ow0. */
static void tile_row_taps(cg_fn *f, nw_row *r, LLVMValueRef kh, LLVMValueRef ow0,
                          int npix, int64_t kw0, int64_t kw1) {
  const nw_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  LLVMValueRef ih = cg_affine(f, cg_affine(f, cg_i64(f, -g->pb[0]), r->oh,
                                           g->s[0]), kh, g->d[0]);
  LLVMValueRef xrow = cg_affine(f, r->xplane, ih, g->in[1] * s->b);
  LLVMValueRef x0 = cg_affine(f, xrow, ow0, g->s[1] * s->b);
  LLVMValueRef wrow =
      s->kind == NW_DEPTHWISE ? cg_affine(f, r->wblock, kh, g->k[1] * s->b)
                              : NULL;
  LLVMValueRef v[NW_MAX_RW], w[DLC_DW_MAX_TAPS];
  for (int p = 0; p < npix; p++)
    v[p] = LLVMBuildLoad2(f->b, r->vt, r->acc[p], "");
  for (int64_t kw = kw0; wrow && kw < kw1; kw++)
    w[kw] = cg_load(f, r->vt, f->extra[0],
                    LLVMBuildAdd(f->b, wrow, cg_i64(f, kw * s->b), ""));
  /* Input column by column, each loaded once and used by every (pixel,
   * tap) that reads it: few values live besides the accumulators (tap by
   * tap, the columns pixels share stay live across the taps; on
   * mobilenet_v2 both orders measured the same). Each pixel still takes its
   * taps in increasing kw order, so the results do not change. */
  int64_t first = kw0 * g->d[1];
  int64_t last = (int64_t)(npix - 1) * g->s[1] + (kw1 - 1) * g->d[1];
  for (int64_t col = first; col <= last; col++) {
    LLVMValueRef x = NULL;
    for (int64_t kw = kw0; kw < kw1; kw++) {
      int64_t at = col - kw * g->d[1];
      if (at < 0 || at % g->s[1] || at / g->s[1] >= npix)
        continue;
      int p = (int)(at / g->s[1]);
      if (!x)
        x = cg_load(f, r->vt, f->in[0],
                    LLVMBuildAdd(f->b, x0,
                                 cg_i64(f, (col - g->pb[1]) * s->b), ""));
      if (s->kind == NW_DEPTHWISE)
        v[p] = cg_mk_fma(f, x, w[kw], v[p]);
      else if (s->kind == NW_MAX)
        v[p] = cg_fmax(f, x, v[p]);
      else
        v[p] = LLVMBuildFAdd(f->b, v[p], x, "");
    }
  }
  for (int p = 0; p < npix; p++)
    LLVMBuildStore(f->b, v[p], r->acc[p]);
}

/* Lanes cb*b + i < channels: the real channels of the block. */
static LLVMValueRef real_lanes(cg_fn *f, const nw_row *r) {
  LLVMTypeRef it = LLVMVectorType(f->c->i64, (unsigned)r->s->b);
  LLVMValueRef iota[64];
  for (int64_t i = 0; i < r->s->b; i++)
    iota[i] = LLVMConstInt(f->c->i64, (unsigned long long)i, 0);
  LLVMValueRef first = cg_splat(f, cg_affine(f, NULL, r->cb, r->s->b), it);
  LLVMValueRef lane = LLVMBuildAdd(f->b, first,
                                   LLVMConstVector(iota, (unsigned)r->s->b), "");
  return LLVMBuildICmp(f->b, LLVMIntSLT, lane,
                       cg_splat(f, cg_i64(f, r->s->channels), it), "");
}

static void tile_store(cg_fn *f, nw_row *r, LLVMValueRef ow0, int npix,
                       int64_t cols_counted) {
  const nw_shape *s = r->s;
  LLVMValueRef scale = NULL, mask = NULL; /* scale: the average's taps */
  if (s->kind == NW_AVERAGE) {
    LLVMValueRef taps = LLVMBuildFMul(f->b, r->rows_counted,
                                      cg_f32(f, (double)cols_counted), "");
    scale = cg_splat(f, taps, r->vt);
  }
  bool epilogue = s->kind == NW_DEPTHWISE && r->ep->e;
  if (epilogue && s->channels % s->b)
    mask = real_lanes(f, r);
  for (int p = 0; p < npix; p++) {
    LLVMValueRef yi = cg_affine(f, cg_affine(f, r->yrow, ow0, s->b),
                                cg_i64(f, p), s->b);
    LLVMValueRef v = LLVMBuildLoad2(f->b, r->vt, r->acc[p], "");
    if (scale) /* divided, as the plain kernel does: the same rounding */
      v = LLVMBuildFDiv(f->b, v, scale, "");
    if (epilogue)
      v = cg_epi_apply(f, r->ep, v, yi, NULL, NULL, (int)s->b);
    if (mask)
      v = LLVMBuildSelect(f->b, mask, v, cg_fconst(f, r->vt, 0), "");
    cg_store(f, v, f->out[0], yi);
  }
}

/* npix pixels from ow0, taps kw in [kw0, kw1); the average divides by
 * rows_counted * cols_counted. */
static void emit_tile(cg_fn *f, nw_row *r, LLVMValueRef ow0, int npix,
                      int64_t kw0, int64_t kw1, int64_t cols_counted) {
  LLVMValueRef init = tile_init_value(f, r);
  for (int p = 0; p < npix; p++)
    LLVMBuildStore(f->b, init, r->acc[p]);
  if (kw0 < kw1) {
    cg_nc_loop lh;
    LLVMValueRef kh = cg_nc_loop_begin(f, &lh, r->kh0, r->kh1);
    tile_row_taps(f, r, kh, ow0, npix, kw0, kw1);
    cg_nc_loop_end(f, &lh);
  }
  tile_store(f, r, ow0, npix, cols_counted);
}

/* Output column ow on its own, its taps clipped at compile time. */
static void edge_pixel(cg_fn *f, nw_row *r, int64_t ow) {
  const dlc_window2d *g = &r->s->g;
  int64_t kw0, kw1, c0, c1;
  cg_nc_clip_cols(g, ow, 0, g->in[1], &kw0, &kw1);
  if (r->s->include_pad)
    cg_nc_clip_cols(g, ow, -g->pb[1], g->in[1] + g->pe[1], &c0, &c1);
  else
    c0 = kw0, c1 = kw1;
  emit_tile(f, r, cg_i64(f, ow), 1, kw0, kw1, c1 > c0 ? c1 - c0 : 0);
}

static void emit_row(cg_fn *f, nw_row *r) {
  const nw_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  int64_t a, b;
  cg_nc_interior(g, &a, &b);
  for (int64_t ow = 0; ow < a; ow++)
    edge_pixel(f, r, ow);
  int64_t tiles = (b - a) / s->rw, rest = (b - a) % s->rw;
  if (tiles > 0) {
    cg_loop lt;
    LLVMValueRef ti = cg_for_begin(f, &lt, 0, tiles, 1);
    emit_tile(f, r, cg_affine(f, cg_i64(f, a), ti, s->rw), s->rw, 0, g->k[1],
              g->k[1]);
    cg_for_end(f, &lt);
  }
  if (rest > 0)
    emit_tile(f, r, cg_i64(f, a + tiles * s->rw), (int)rest, 0, g->k[1],
              g->k[1]);
  for (int64_t ow = b < a ? a : b; ow < g->out[1]; ow++)
    edge_pixel(f, r, ow);
}

/* The taps along H that count for the average of row oh, as a float. */
static LLVMValueRef rows_counted(cg_fn *f, const nw_row *r) {
  const dlc_window2d *g = &r->s->g;
  LLVMValueRef lo = r->kh0, hi = r->kh1;
  if (r->s->include_pad)
    cg_nc_clip_rows(f, g, r->oh, -g->pb[0], g->in[0] + g->pe[0], &lo, &hi);
  LLVMValueRef d = LLVMBuildSub(f->b, hi, lo, "");
  d = LLVMBuildSelect(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, d, cg_i64(f, 0), ""),
                      cg_i64(f, 0), d, "");
  return LLVMBuildSIToFP(f->b, d, f->c->f32, "");
}

static bool emit_window(cg_fn *f) {
  nw_shape s;
  nw_shape_get(f->s, &s);
  DLC_ASSERT(s.rw <= NW_MAX_RW && s.b <= 64);
  const dlc_window2d *g = &s.g;
  cg_epi ep;
  cg_epi_init(f, &ep, -1, -1);
  nw_row r = {.s = &s, .vt = LLVMVectorType(f->c->f32, (unsigned)s.b),
              .ep = &ep};
  for (int p = 0; p < s.rw; p++)
    r.acc[p] = cg_var(f, r.vt, NULL);
  cg_loop ln, lc, lh;
  LLVMValueRef ni = cg_for_begin(f, &ln, 0, s.n, 1);
  r.cb = cg_for_begin(f, &lc, 0, s.cb, 1);
  LLVMValueRef img = cg_affine(f, r.cb, ni, s.cb);
  r.xplane = cg_affine(f, NULL, img, g->in[0] * g->in[1] * s.b);
  if (s.kind == NW_DEPTHWISE)
    r.wblock = cg_affine(f, NULL, r.cb, g->k[0] * g->k[1] * s.b);
  r.oh = cg_for_begin(f, &lh, 0, g->out[0], 1);
  r.yrow = cg_affine(f, NULL, cg_affine(f, r.oh, img, g->out[0]),
                     g->out[1] * s.b);
  cg_nc_clip_rows(f, g, r.oh, 0, g->in[0], &r.kh0, &r.kh1);
  if (s.kind == NW_AVERAGE)
    r.rows_counted = rows_counted(f, &r);
  emit_row(f, &r);
  cg_for_end(f, &lh);
  cg_for_end(f, &lc);
  cg_for_end(f, &ln);
  return true;
}

/* Packed depthwise weights [block][kh][kw][lane] and bias [block][lane]. */
static bool prepare_depthwise(cg_ctx *c, const dlc_node *n, cg_call *call) {
  const dlc_tensor *w = &n->inputs[1]->type, *y = &n->outputs[0]->type;
  int64_t ch = w->dims[0], taps = w->dims[2] * w->dims[3];
  int64_t b = y->dims[4], cb = y->dims[1];
  (void)c;
  size_t wn = (size_t)(cb * taps * b), bn = (size_t)(cb * b);
  float *pw = calloc(wn + 1, sizeof *pw), *pb = calloc(bn + 1, sizeof *pb);
  DLC_ASSERT(pw && pb);
  const float *src = w->data;
  for (int64_t k = 0; k < ch; k++)
    for (int64_t t = 0; t < taps; t++)
      pw[(k / b * taps + t) * b + k % b] = src[k * taps + t];
  if (dlc_node_op_inputs(n) > 2 && n->inputs[2])
    memcpy(pb, n->inputs[2]->type.data, (size_t)ch * sizeof *pb);
  call->owned[call->n_owned++] = pw;
  call->owned[call->n_owned++] = pb;
  call->extra[call->n_extra++] = (cg_blob){pw, wn * sizeof *pw};
  call->extra[call->n_extra++] = (cg_blob){pb, bn * sizeof *pb};
  return true;
}

const cg_emitter cg_emit_conv_nchwc_depthwise = {
    .prep_inputs = 0x6, .prepare = prepare_depthwise, .emit = emit_window};
const cg_emitter cg_emit_pool_nchwc = {.emit = emit_window};

/* ------------------------------------------------------- global pools */

enum { GP_UNROLL = 4 };

static LLVMValueRef gp_combine(cg_fn *f, bool is_max, LLVMValueRef a,
                               LLVMValueRef b) {
  return is_max ? cg_fmax(f, a, b) : LLVMBuildFAdd(f->b, a, b, "");
}

/* The sum or max of hw vectors from X[at]: GP_UNROLL accumulators over
 * the whole groups, then the rest, then combined. */
static LLVMValueRef gp_reduce(cg_fn *f, LLVMTypeRef vt, LLVMValueRef at,
                              int64_t hw, int64_t b, bool is_max) {
  double init = is_max ? -INFINITY : 0.0;
  LLVMValueRef acc[GP_UNROLL];
  for (int u = 0; u < GP_UNROLL; u++)
    acc[u] = cg_var(f, vt, cg_fconst(f, vt, init));
  int64_t groups = hw / GP_UNROLL;
  if (groups > 0) {
    cg_loop l;
    LLVMValueRef i = cg_for_begin(f, &l, 0, groups, 1);
    LLVMValueRef base = cg_affine(f, at, i, GP_UNROLL * b);
    for (int u = 0; u < GP_UNROLL; u++) {
      LLVMValueRef x = cg_load(f, vt, f->in[0],
                               LLVMBuildAdd(f->b, base, cg_i64(f, u * b), ""));
      LLVMValueRef a = LLVMBuildLoad2(f->b, vt, acc[u], "");
      LLVMBuildStore(f->b, gp_combine(f, is_max, a, x), acc[u]);
    }
    cg_for_end(f, &l);
  }
  LLVMValueRef v[GP_UNROLL];
  for (int u = 0; u < GP_UNROLL; u++)
    v[u] = LLVMBuildLoad2(f->b, vt, acc[u], "");
  for (int64_t i = groups * GP_UNROLL; i < hw; i++) {
    LLVMValueRef x = cg_load(f, vt, f->in[0],
                             LLVMBuildAdd(f->b, at, cg_i64(f, i * b), ""));
    v[i % GP_UNROLL] = gp_combine(f, is_max, v[i % GP_UNROLL], x);
  }
  return gp_combine(f, is_max, gp_combine(f, is_max, v[0], v[1]),
                    gp_combine(f, is_max, v[2], v[3]));
}

static bool emit_global_pool_nchwc(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  bool is_max = dlc_pool_nchwc_kind(f->node) == DLC_OP_GLOBAL_MAX_POOL;
  int64_t b = x->dims[x->rank - 1], blocks = x->dims[0] * x->dims[1];
  int64_t hw = cg_numel(x) / (blocks * b);
  LLVMTypeRef vt = LLVMVectorType(f->c->f32, (unsigned)b);
  cg_loop l;
  LLVMValueRef p = cg_for_begin(f, &l, 0, blocks, 1);
  LLVMValueRef r = gp_reduce(f, vt, cg_affine(f, NULL, p, hw * b), hw, b, is_max);
  if (!is_max)
    r = LLVMBuildFDiv(f->b, r, cg_fconst(f, vt, (double)hw), "");
  cg_store(f, r, f->out[0], cg_affine(f, NULL, p, b));
  cg_for_end(f, &l);
  return true;
}

const cg_emitter cg_emit_global_pool_nchwc = {.emit = emit_global_pool_nchwc};
