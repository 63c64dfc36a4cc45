/* cg_nchwc.c — kernels of the channel-blocked layout (ir/ops_blocked.c):
 * the reorders and the blocked direct convolution.
 *
 * conv_nchwc: Y [N, Cout/B, Ho, Wo, B] from X [N, Cin/B, H, W, B] (or a
 * plain X [N, Cin, H, W], read as blocks of one channel), B output
 * channels in the vector lanes. A register tile holds rw output pixels of
 * nb output blocks (the record's tile: mr = rw, nv = nb): for every input
 * channel of every tap it loads nb weight vectors, broadcasts rw input
 * values and issues nb * rw FMAs. No im2col and no padded copy: each row's
 * taps are clipped to the image at run time (kh), the pixels whose window
 * crosses the left or right border are computed one by one with their
 * taps clipped at compile time, the interior in whole tiles. A 1x1 stride-1
 * convolution runs over the whole plane as one row. Weights are packed at
 * compile time in exactly the order the kernel reads them; the input
 * channels are cut into chunks (kc blocks) whose packed weights stay in L2
 * while every row re-reads them: the first chunk starts from the bias,
 * later ones from the partial sums in Y, the last applies the fused
 * epilogue and zeroes the padding lanes before the store. Grouped
 * convolutions read, per output block, only the input blocks its groups
 * span (dlc_sched_nchwc_input_blocks), with zeros packed for the channels
 * of other groups. */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

/* ------------------------------------------------------------ reorders */

typedef struct blocked_dims {
  int64_t n, c, s, b, cb; /* images, real channels, spatial size, block */
} blocked_dims;

static blocked_dims dims_of(const dlc_tensor *plain, const dlc_tensor *blk) {
  blocked_dims d = {.n = plain->dims[0], .c = plain->dims[1], .s = 1,
                    .b = blk->dims[blk->rank - 1], .cb = blk->dims[1]};
  for (int i = 2; i < plain->rank; i++)
    d.s *= plain->dims[i];
  return d;
}

/* Copies channels [c0, c0 + count) between the layouts (count <= b when
 * the block is partial). */
static void reorder_copy(cg_fn *f, const blocked_dims *d, bool to_blocked,
                         int64_t blocks, int64_t lanes, int64_t c0) {
  int64_t dims[4] = {d->n, blocks, d->s, lanes};
  int64_t ps[4] = {d->c * d->s, d->b * d->s, 1, d->s};
  int64_t bs[4] = {d->cb * d->s * d->b, d->s * d->b, d->b, 1};
  int64_t pbase = c0 * d->s, bbase = c0 / d->b * d->s * d->b;
  if (to_blocked)
    cg_emit_strided_copy(f, 4, dims, f->in[0], pbase, ps, f->out[0], bbase, bs);
  else
    cg_emit_strided_copy(f, 4, dims, f->in[0], bbase, bs, f->out[0], pbase, ps);
}

static bool emit_reorder(cg_fn *f, bool to_blocked) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  const dlc_tensor *y = &f->node->outputs[0]->type;
  blocked_dims d = to_blocked ? dims_of(x, y) : dims_of(y, x);
  int64_t full = d.c / d.b, rest = d.c % d.b;
  if (to_blocked && rest) { /* the padding lanes of the last block */
    cg_loop ln;
    LLVMValueRef ni = cg_for_begin(f, &ln, 0, d.n, 1);
    LLVMValueRef at = cg_affine(f, cg_i64(f, full * d.s * d.b), ni,
                                d.cb * d.s * d.b);
    cg_fill(f, cg_gep(f, f->out[0], at), d.s * d.b, 0.0f);
    cg_for_end(f, &ln);
  }
  if (full)
    reorder_copy(f, &d, to_blocked, full, d.b, 0);
  if (rest)
    reorder_copy(f, &d, to_blocked, 1, rest, full * d.b);
  return true;
}

static bool emit_to_nchwc(cg_fn *f) { return emit_reorder(f, true); }
static bool emit_to_nchw(cg_fn *f) { return emit_reorder(f, false); }

const cg_emitter cg_emit_reorder_to_nchwc = {.emit = emit_to_nchwc};
const cg_emitter cg_emit_reorder_to_nchw = {.emit = emit_to_nchw};

/* ------------------------------------------------- blocked convolution */

enum { NC_MAX_NB = 4, NC_MAX_RW = 32 };

typedef struct nc_shape {
  dlc_window2d g;     /* 1x1 stride 1: the plane as one row */
  int64_t n, cin, cout, group, cin_g, cout_g;
  int64_t b, ib;      /* output block; input block (1: plain X) */
  int64_t cbi, cbo;   /* input / output blocks (plain X: channels) */
  int64_t nib;        /* input blocks one output block reads */
  int64_t kc;         /* input blocks per chunk */
  int nb, rw;         /* register tile */
  int64_t per_block;  /* packed floats per output block */
} nc_shape;

static void nc_shape_get(const dlc_node_sched *r, nc_shape *s) {
  const dlc_node *n = r->node;
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  const dlc_tensor *y = &n->outputs[0]->type;
  memset(s, 0, sizeof *s);
  s->g = r->win;
  if (r->p.row_width != s->g.out[1]) { /* the plane as one row */
    s->g.in[1] = s->g.in[0] * s->g.in[1];
    s->g.out[1] = s->g.out[0] * s->g.out[1];
    s->g.in[0] = s->g.out[0] = 1;
  }
  s->n = x->dims[0];
  s->group = dlc_node_get_int(n, "group");
  s->cout = w->dims[0];
  s->cin_g = w->dims[1];
  s->cin = s->cin_g * s->group;
  s->cout_g = s->cout / s->group;
  s->b = y->dims[4];
  s->ib = x->rank == 5 ? s->b : 1;
  s->cbi = x->dims[1];
  s->cbo = y->dims[1];
  s->nib = dlc_sched_nchwc_input_blocks(n, s->b);
  s->kc = r->p.tile.kc;
  s->nb = r->p.tile.nv;
  s->rw = r->p.tile.mr;
  s->per_block = s->nib * s->g.k[0] * s->g.k[1] * s->ib * s->b;
}

/* First input block output block ob reads (its first group's first input
 * channel, moved back so that nib blocks fit). */
static int64_t icb_lo(const nc_shape *s, int64_t ob) {
  if (s->group == 1)
    return 0;
  int64_t lo = ob * s->b / s->cout_g * s->cin_g / s->ib;
  return lo < s->cbi - s->nib ? lo : s->cbi - s->nib;
}

/* Packed weights: per group of nb output blocks (the last may have fewer,
 * nbg), [il][kh][kw][lane l of the input block][block j][output lane]. */
static float *pack_weights(const nc_shape *s, const float *w, size_t *bytes) {
  int64_t taps = s->g.k[0] * s->g.k[1];
  size_t floats = (size_t)(s->cbo * s->per_block);
  float *p = calloc(floats + 1, sizeof *p);
  DLC_ASSERT(p);
  for (int64_t ob = 0; ob < s->cbo; ob++) {
    int64_t g0 = ob / s->nb * s->nb, j = ob - g0;
    int64_t nbg = s->cbo - g0 < s->nb ? s->cbo - g0 : s->nb;
    float *grp = p + g0 * s->per_block;
    for (int64_t lane = 0; lane < s->b; lane++) {
      int64_t oc = ob * s->b + lane;
      if (oc >= s->cout)
        continue;
      int64_t first = oc / s->cout_g * s->cin_g;
      for (int64_t il = 0; il < s->nib; il++)
        for (int64_t t = 0; t < taps; t++)
          for (int64_t l = 0; l < s->ib; l++) {
            int64_t ic = (icb_lo(s, ob) + il) * s->ib + l - first;
            if (ic < 0 || ic >= s->cin_g)
              continue;
            int64_t at = (((il * taps + t) * s->ib + l) * nbg + j) * s->b + lane;
            grp[at] = w[(oc * s->cin_g + ic) * taps + t];
          }
    }
  }
  *bytes = floats * sizeof *p;
  return p;
}

static bool prepare_conv_nchwc(cg_ctx *c, const dlc_node *n, cg_call *call) {
  nc_shape s;
  nc_shape_get(cg_sched(c, n), &s);
  size_t bytes;
  float *w = pack_weights(&s, n->inputs[1]->type.data, &bytes);
  float *bias = calloc((size_t)(s.cbo * s.b) + 1, sizeof *bias);
  DLC_ASSERT(bias);
  if (dlc_node_op_inputs(n) > 2 && n->inputs[2])
    memcpy(bias, n->inputs[2]->type.data, (size_t)s.cout * sizeof *bias);
  call->owned[call->n_owned++] = w;
  call->owned[call->n_owned++] = bias;
  call->extra[call->n_extra++] = (cg_blob){w, bytes};
  call->extra[call->n_extra++] =
      (cg_blob){bias, (size_t)(s.cbo * s.b) * sizeof *bias};
  return true;
}

/* A loop over [lo, hi) with run-time bounds (possibly empty). */
LLVMValueRef cg_nc_loop_begin(cg_fn *f, cg_nc_loop *l, LLVMValueRef lo,
                              LLVMValueRef hi) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(f->b);
  l->body = LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "rloop");
  l->exit = LLVMAppendBasicBlockInContext(f->c->llc, f->fn, "rdone");
  l->hi = hi;
  LLVMBuildCondBr(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, lo, hi, ""), l->body,
                  l->exit);
  LLVMPositionBuilderAtEnd(f->b, l->body);
  l->iv = LLVMBuildPhi(f->b, f->c->i64, "r");
  LLVMAddIncoming(l->iv, &lo, &pre, 1);
  return l->iv;
}

void cg_nc_loop_end(cg_fn *f, cg_nc_loop *l) {
  LLVMValueRef next = LLVMBuildNSWAdd(f->b, l->iv, cg_i64(f, 1), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(f->b);
  LLVMBuildCondBr(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, next, l->hi, ""),
                  l->body, l->exit);
  LLVMAddIncoming(l->iv, &next, &latch, 1);
  LLVMPositionBuilderAtEnd(f->b, l->exit);
}

static LLVMValueRef smax(cg_fn *f, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(f->b, LLVMBuildICmp(f->b, LLVMIntSGT, a, b, ""), a, b,
                         "");
}

static LLVMValueRef smin(cg_fn *f, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, a, b, ""), a, b,
                         "");
}

/* Taps kh of output row oh whose input row oh*s - pb + kh*d lies in
 * [lo, hi): [*kh0, *kh1), computed at run time (possibly empty). */
void cg_nc_clip_rows(cg_fn *f, const dlc_window2d *g, LLVMValueRef oh,
                     int64_t lo, int64_t hi, LLVMValueRef *kh0,
                     LLVMValueRef *kh1) {
  /* kh0 = ceil((lo + pb - oh*s) / d) when positive; kh1 from hi - 1 */
  LLVMValueRef top = cg_affine(f, cg_i64(f, lo + g->pb[0]), oh, -g->s[0]);
  LLVMValueRef up = LLVMBuildSDiv(
      f->b, LLVMBuildAdd(f->b, top, cg_i64(f, g->d[0] - 1), ""),
      cg_i64(f, g->d[0]), "");
  *kh0 = smax(f, up, cg_i64(f, 0));
  LLVMValueRef bottom = LLVMBuildAdd(f->b, top, cg_i64(f, hi - 1 - lo), "");
  LLVMValueRef down = LLVMBuildAdd(
      f->b, LLVMBuildSDiv(f->b, smax(f, bottom, cg_i64(f, -1)),
                          cg_i64(f, g->d[0]), ""),
      cg_i64(f, 1), "");
  down = LLVMBuildSelect(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, bottom,
                                             cg_i64(f, 0), ""),
                         cg_i64(f, 0), down, "");
  *kh1 = smin(f, down, cg_i64(f, g->k[0]));
}

/* One tile: npix pixels from ow0 (a value), nbg blocks from ob0, taps kw in
 * [kw0, kw1). An unrolled tile (at a known column, touching a border)
 * gives each pixel its own taps [lo[p], hi[p]) inside the image and
 * unrolls kw, so that the FMAs of taps in the padding are not emitted at
 * all. (Unrolling the interior tiles of a plain first layer, one lane per
 * input block, made its kernel slower.) */
typedef struct nc_tile {
  LLVMValueRef ow0;
  int npix, nbg;
  int64_t kw0, kw1;
  bool unrolled;
  int64_t lo[NC_MAX_RW], hi[NC_MAX_RW];
} nc_tile;

/* Where the code of one (image, block group, chunk, row) is. */
typedef struct nc_row {
  const nc_shape *s;
  LLVMTypeRef vt;
  LLVMValueRef ni, ob0, icb0, wgrp, oh, kh0, kh1;
  int64_t il0, il1; /* the chunk */
  bool first, last, pad_last; /* chunk position; ob0 + nbg - 1 is padded */
  const cg_epi *ep;
  LLVMValueRef acc[NC_MAX_NB][NC_MAX_RW];
} nc_row;

/* Flat index of Y[ni][ob][oh][ow][0]. */
static LLVMValueRef y_index(cg_fn *f, const nc_row *r, int j, LLVMValueRef ow,
                            int p) {
  const nc_shape *s = r->s;
  LLVMValueRef ob = LLVMBuildAdd(f->b, r->ob0, cg_i64(f, j), "");
  LLVMValueRef img = cg_affine(f, ob, r->ni, s->cbo);
  LLVMValueRef at = cg_affine(f, cg_affine(f, NULL, img, s->g.out[0]), r->oh, 1);
  at = cg_affine(f, cg_affine(f, NULL, at, s->g.out[1]), ow, 1);
  return cg_affine(f, cg_i64(f, (int64_t)p * s->b), at, s->b);
}

static void tile_init(cg_fn *f, nc_row *r, const nc_tile *t) {
  for (int j = 0; j < t->nbg; j++)
    for (int p = 0; p < t->npix; p++) {
      LLVMValueRef v;
      if (r->first) {
        LLVMValueRef ob = LLVMBuildAdd(f->b, r->ob0, cg_i64(f, j), "");
        v = cg_load(f, r->vt, f->extra[1], cg_affine(f, NULL, ob, r->s->b));
      } else {
        v = cg_load(f, r->vt, f->out[0], y_index(f, r, j, t->ow0, p));
      }
      LLVMBuildStore(f->b, v, r->acc[j][p]);
    }
}

/* Lanes of an input block handled per step of the lane loop: unrolled
 * enough to keep the FMA pipes busy, short enough to keep each kernel's
 * code (and LLVM's time on it) small. */
static int64_t lane_unroll(int64_t ib) {
  for (int64_t u = 4; u > 1; u--)
    if (ib % u == 0)
      return u;
  return 1;
}

/* The FMAs of lanes [l0, l0 + lu) of one tap (kh, kw) of input block il,
 * for the pixels p with use[p] (NULL: all). */
static void tile_lanes(cg_fn *f, nc_row *r, const nc_tile *t,
                       LLVMValueRef wtap, LLVMValueRef xtap, LLVMValueRef l0,
                       int64_t lu, const bool *use) {
  const nc_shape *s = r->s;
  LLVMValueRef vacc[NC_MAX_NB][NC_MAX_RW];
  for (int j = 0; j < t->nbg; j++)
    for (int p = 0; p < t->npix; p++)
      vacc[j][p] = LLVMBuildLoad2(f->b, r->vt, r->acc[j][p], "");
  LLVMValueRef wl = cg_affine(f, wtap, l0, t->nbg * s->b);
  LLVMValueRef xl = LLVMBuildAdd(f->b, xtap, l0, "");
  for (int64_t l = 0; l < lu; l++) {
    LLVMValueRef wv[NC_MAX_NB];
    for (int j = 0; j < t->nbg; j++)
      wv[j] = cg_load(f, r->vt, r->wgrp,
                      LLVMBuildAdd(f->b, wl, cg_i64(f, (l * t->nbg + j) * s->b), ""));
    for (int p = 0; p < t->npix; p++) {
      if (use && !use[p])
        continue;
      LLVMValueRef xi = LLVMBuildAdd(
          f->b, xl, cg_i64(f, (int64_t)p * s->g.s[1] * s->ib + l), "");
      LLVMValueRef xv = cg_splat(f, cg_load(f, f->c->f32, f->in[0], xi), r->vt);
      for (int j = 0; j < t->nbg; j++)
        vacc[j][p] = cg_mk_fma(f, wv[j], xv, vacc[j][p]);
    }
  }
  for (int j = 0; j < t->nbg; j++)
    for (int p = 0; p < t->npix; p++)
      LLVMBuildStore(f->b, vacc[j][p], r->acc[j][p]);
}

/* Where tap row kh of input block il starts: in X (*xrow) and in the
 * packed weights (*tap0, in taps). */
static void tap_row(cg_fn *f, const nc_row *r, LLVMValueRef il, LLVMValueRef kh,
                    LLVMValueRef *xrow, LLVMValueRef *tap0) {
  const nc_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  LLVMValueRef icb = LLVMBuildAdd(f->b, r->icb0, il, "");
  LLVMValueRef ih = cg_affine(f, cg_affine(f, cg_i64(f, -g->pb[0]), r->oh,
                                           g->s[0]), kh, g->d[0]);
  LLVMValueRef x = cg_affine(f, cg_affine(f, NULL, icb, g->in[0]), r->ni,
                             s->cbi * g->in[0]);
  *xrow = cg_affine(f, NULL, LLVMBuildAdd(f->b, x, ih, ""), g->in[1] * s->ib);
  *tap0 = cg_affine(f, NULL, cg_affine(f, kh, il, g->k[0]), g->k[1]);
}

/* An unrolled tile's tap row: kw unrolled, each pixel's FMAs only for its
 * own taps; the lanes as a loop. */
static void tile_taps_unrolled(cg_fn *f, nc_row *r, const nc_tile *t,
                              LLVMValueRef il, LLVMValueRef kh,
                              int64_t lanes) {
  const nc_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  LLVMValueRef xrow, tap0;
  tap_row(f, r, il, kh, &xrow, &tap0);
  int64_t lu = lane_unroll(lanes);
  for (int64_t kw = t->kw0; kw < t->kw1; kw++) {
    bool use[NC_MAX_RW];
    for (int p = 0; p < t->npix; p++)
      use[p] = kw >= t->lo[p] && kw < t->hi[p];
    LLVMValueRef wtap = cg_affine(f, NULL, LLVMBuildAdd(f->b, tap0,
                                                        cg_i64(f, kw), ""),
                                  s->ib * t->nbg * s->b);
    /* column of pixel 0 (possibly outside the image: only pixels with
     * use[p] read, and they are inside) */
    LLVMValueRef iw0 = cg_affine(f, cg_i64(f, -g->pb[1] + kw * g->d[1]),
                                 t->ow0, g->s[1]);
    LLVMValueRef xtap = LLVMBuildAdd(f->b, xrow, cg_affine(f, NULL, iw0, s->ib),
                                     "");
    cg_loop ll;
    LLVMValueRef l0 = cg_for_begin(f, &ll, 0, lanes, lu);
    tile_lanes(f, r, t, wtap, xtap, l0, lu, use);
    cg_for_end(f, &ll);
  }
}

/* The FMAs of one tap row (kh) of the first `lanes` lanes of one input
 * block (il): taps kw and the lanes as loops, lu lanes unrolled. */
static void tile_taps(cg_fn *f, nc_row *r, const nc_tile *t, LLVMValueRef il,
                      LLVMValueRef kh, int64_t lanes) {
  const nc_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  if (t->kw1 <= t->kw0)
    return;
  if (t->unrolled) {
    tile_taps_unrolled(f, r, t, il, kh, lanes);
    return;
  }
  LLVMValueRef xrow, tap0;
  tap_row(f, r, il, kh, &xrow, &tap0);
  cg_loop lk, ll;
  LLVMValueRef kw = cg_for_begin(f, &lk, t->kw0, t->kw1, 1);
  /* packed [il][kh][kw][l][j][lane] of this group */
  LLVMValueRef wtap = cg_affine(f, NULL, LLVMBuildAdd(f->b, tap0, kw, ""),
                                s->ib * t->nbg * s->b);
  LLVMValueRef iw0 = cg_affine(f, cg_affine(f, cg_i64(f, -g->pb[1]), kw, g->d[1]),
                               t->ow0, g->s[1]);
  LLVMValueRef xtap = LLVMBuildAdd(f->b, xrow, cg_affine(f, NULL, iw0, s->ib), "");
  int64_t lu = lane_unroll(lanes);
  LLVMValueRef l0 = cg_for_begin(f, &ll, 0, lanes, lu);
  tile_lanes(f, r, t, wtap, xtap, l0, lu, NULL);
  cg_for_end(f, &ll);
  cg_for_end(f, &lk);
}

static LLVMValueRef padding_mask(cg_fn *f, const nc_shape *s, LLVMValueRef v) {
  int64_t valid = s->cout - (s->cbo - 1) * s->b;
  LLVMValueRef e[64];
  for (int64_t i = 0; i < s->b; i++)
    e[i] = LLVMConstInt(f->c->i1, i < valid, 0);
  return LLVMBuildSelect(f->b, LLVMConstVector(e, (unsigned)s->b), v,
                         cg_fconst(f, LLVMTypeOf(v), 0), "");
}

static void tile_store(cg_fn *f, nc_row *r, const nc_tile *t) {
  for (int j = 0; j < t->nbg; j++)
    for (int p = 0; p < t->npix; p++) {
      LLVMValueRef yi = y_index(f, r, j, t->ow0, p);
      LLVMValueRef v = LLVMBuildLoad2(f->b, r->vt, r->acc[j][p], "");
      if (r->last) {
        v = cg_epi_apply(f, r->ep, v, yi, NULL, NULL, (int)r->s->b);
        if (r->pad_last && j == t->nbg - 1)
          v = padding_mask(f, r->s, v);
      }
      cg_store(f, v, f->out[0], yi);
    }
}

/* Real channels in the last input block when it is padded (a dense
 * convolution's chunk that reaches it); 0 otherwise. Its padding lanes
 * meet zero weights: skipping them saves their FMAs (a quarter of a
 * 24-channel layer's). */
static int64_t last_block_lanes(const nc_row *r) {
  const nc_shape *s = r->s;
  if (s->group != 1 || s->ib == 1 || r->il1 != s->nib || s->cin % s->ib == 0)
    return 0;
  return s->cin % s->ib;
}

static void emit_tile(cg_fn *f, nc_row *r, const nc_tile *t) {
  tile_init(f, r, t);
  int64_t partial = last_block_lanes(r);
  int64_t full_end = partial ? r->il1 - 1 : r->il1;
  cg_nc_loop lc, lh;
  if (full_end > r->il0) {
    LLVMValueRef il = cg_nc_loop_begin(f, &lc, cg_i64(f, r->il0),
                                       cg_i64(f, full_end));
    LLVMValueRef kh = cg_nc_loop_begin(f, &lh, r->kh0, r->kh1);
    tile_taps(f, r, t, il, kh, r->s->ib);
    cg_nc_loop_end(f, &lh);
    cg_nc_loop_end(f, &lc);
  }
  if (partial) {
    LLVMValueRef kh = cg_nc_loop_begin(f, &lh, r->kh0, r->kh1);
    tile_taps(f, r, t, cg_i64(f, full_end), kh, partial);
    cg_nc_loop_end(f, &lh);
  }
  tile_store(f, r, t);
}

/* The taps [kw0, kw1) of pixel ow whose input column lies in [lo, hi). */
void cg_nc_clip_cols(const dlc_window2d *g, int64_t ow, int64_t lo,
                     int64_t hi, int64_t *kw0, int64_t *kw1) {
  *kw0 = g->k[1];
  *kw1 = 0;
  for (int64_t kw = 0; kw < g->k[1]; kw++) {
    int64_t iw = ow * g->s[1] - g->pb[1] + kw * g->d[1];
    if (iw >= lo && iw < hi) {
      *kw0 = kw < *kw0 ? kw : *kw0;
      *kw1 = kw + 1;
    }
  }
}

/* The pixels whose every tap is inside the row: [*a, *b). */
void cg_nc_interior(const dlc_window2d *g, int64_t *a, int64_t *b) {
  *a = (g->pb[1] + g->s[1] - 1) / g->s[1];
  int64_t reach = g->in[1] - 1 + g->pb[1] - (g->k[1] - 1) * g->d[1];
  *b = reach < 0 ? 0 : reach / g->s[1] + 1;
  *b = *b > g->out[1] ? g->out[1] : *b;
  *a = *a > *b ? *b : *a;
}

/* Pixels [ow, ow + npix) at a known column, each with its own taps. */
static void clipped_tile(cg_fn *f, nc_row *r, int nbg, int64_t ow, int npix) {
  const dlc_window2d *g = &r->s->g;
  nc_tile t = {.ow0 = cg_i64(f, ow), .npix = npix, .nbg = nbg,
               .kw0 = g->k[1], .kw1 = 0, .unrolled = true};
  for (int p = 0; p < npix; p++) {
    cg_nc_clip_cols(g, ow + p, 0, g->in[1], &t.lo[p], &t.hi[p]);
    if (t.lo[p] < t.hi[p]) { /* else every tap in the padding: bias */
      t.kw0 = t.lo[p] < t.kw0 ? t.lo[p] : t.kw0;
      t.kw1 = t.hi[p] > t.kw1 ? t.hi[p] : t.kw1;
    }
  }
  if (t.kw0 >= t.kw1)
    t.kw0 = t.kw1 = 0;
  emit_tile(f, r, &t);
}

/* One output row of nbg blocks, cut into tiles of at most rw pixels of
 * nearly equal size (dlc_sched_nchwc_row_tiles): runs of equal tiles
 * inside the image as a loop, the tiles touching a border clipped
 * (unrolled). */
static void emit_row(cg_fn *f, nc_row *r, int nbg) {
  const nc_shape *s = r->s;
  const dlc_window2d *g = &s->g;
  int64_t a, b, wo = g->out[1];
  cg_nc_interior(g, &a, &b);
  int64_t n = dlc_sched_nchwc_row_tiles(wo, s->rw);
  int64_t base = wo / n, extra = wo % n, start = 0;
  for (int64_t i = 0; i < n;) {
    int64_t size = base + (i < extra);
    if (start < a || start + size > b) {
      clipped_tile(f, r, nbg, start, (int)size);
      start += size;
      i++;
      continue;
    }
    int64_t j = i, end = start;
    while (j < n && base + (j < extra) == size && end + size <= b) {
      end += size;
      j++;
    }
    nc_tile t = {.npix = (int)size, .nbg = nbg, .kw0 = 0, .kw1 = g->k[1]};
    cg_loop lt;
    LLVMValueRef ti = cg_for_begin(f, &lt, 0, j - i, 1);
    t.ow0 = cg_affine(f, cg_i64(f, start), ti, size);
    emit_tile(f, r, &t);
    cg_for_end(f, &lt);
    start = end;
    i = j;
  }
}

/* The rows of one chunk of one block group: kh clipped per row. */
static void emit_chunk(cg_fn *f, nc_row *r, int nbg) {
  const dlc_window2d *g = &r->s->g;
  cg_loop lh;
  r->oh = cg_for_begin(f, &lh, 0, g->out[0], 1);
  cg_nc_clip_rows(f, g, r->oh, 0, g->in[0], &r->kh0, &r->kh1);
  emit_row(f, r, nbg);
  cg_for_end(f, &lh);
}

/* Every chunk of one group of nbg blocks starting at ob0. */
static void emit_group(cg_fn *f, nc_row *r, LLVMValueRef ob0, int nbg,
                       bool pad_last) {
  const nc_shape *s = r->s;
  r->ob0 = ob0;
  r->pad_last = pad_last;
  r->wgrp = cg_gep(f, f->extra[0], cg_affine(f, NULL, ob0, s->per_block));
  if (s->group == 1) {
    r->icb0 = cg_i64(f, 0);
  } else { /* nb == 1: min(first group's channel / ib, cbi - nib) */
    LLVMValueRef gi = LLVMBuildUDiv(f->b, cg_affine(f, NULL, ob0, s->b),
                                    cg_i64(f, s->cout_g), "");
    LLVMValueRef lo = LLVMBuildUDiv(f->b, cg_affine(f, NULL, gi, s->cin_g),
                                    cg_i64(f, s->ib), "");
    r->icb0 = smin(f, lo, cg_i64(f, s->cbi - s->nib));
  }
  for (int64_t c0 = 0; c0 < s->nib; c0 += s->kc) {
    r->il0 = c0;
    r->il1 = c0 + s->kc < s->nib ? c0 + s->kc : s->nib;
    r->first = c0 == 0;
    r->last = r->il1 == s->nib;
    emit_chunk(f, r, nbg);
  }
}

static bool emit_conv_nchwc(cg_fn *f) {
  nc_shape s;
  nc_shape_get(f->s, &s);
  DLC_ASSERT(s.nb <= NC_MAX_NB && s.rw <= NC_MAX_RW && s.b <= 64);
  cg_epi ep;
  cg_epi_init(f, &ep, -1, -1);
  nc_row r = {.s = &s, .vt = LLVMVectorType(f->c->f32, (unsigned)s.b),
              .ep = &ep};
  for (int j = 0; j < s.nb; j++)
    for (int p = 0; p < s.rw; p++)
      r.acc[j][p] = cg_var(f, r.vt, NULL);
  bool padded = s.cout % s.b != 0;
  int64_t groups = s.cbo / s.nb, tail = s.cbo % s.nb;
  /* the group holding the padded last block is emitted on its own */
  int64_t loop_groups = padded && tail == 0 ? groups - 1 : groups;
  cg_loop ln, lg;
  r.ni = cg_for_begin(f, &ln, 0, s.n, 1);
  if (loop_groups > 0) {
    LLVMValueRef gi = cg_for_begin(f, &lg, 0, loop_groups, 1);
    emit_group(f, &r, cg_affine(f, NULL, gi, s.nb), s.nb, false);
    cg_for_end(f, &lg);
  }
  if (loop_groups < groups)
    emit_group(f, &r, cg_i64(f, loop_groups * s.nb), s.nb, true);
  if (tail)
    emit_group(f, &r, cg_i64(f, groups * s.nb), (int)tail, padded);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv_nchwc = {
    .prep_inputs = 0x6, .prepare = prepare_conv_nchwc, .emit = emit_conv_nchwc};
