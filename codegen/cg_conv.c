/* cg_conv.c — convolution kernels.
 *
 * Conv: X (N, Cin, H, W) * W (Cout, Cin/g, kh, kw) + B -> Y (N, Cout, Ho,
 * Wo), 1-D convolutions seen as H = 1. Algorithms (the schedule chooses one
 * by shape and records its window, plane, rows and register tile):
 *   pointwise  1x1, stride 1, no padding: per image and group a GEMM
 *              straight on NCHW data, Y[Cout_g, HW] = W[Cout_g, Cin_g] x
 *              X[Cin_g, HW], weights packed at compile time as the
 *              micro-kernel's broadcast operand, X loaded as vectors along HW;
 *   im2col     any other kh x kw / stride / dilation / groups: the image is
 *              copied into a zero-padded plane, then per group and per chunk
 *              of output rows (sized so the column buffer stays in L2) the
 *              columns [Cin_g*kh*kw][rows*Wo] are gathered into scratch and
 *              fed to the same GEMM;
 *   depthwise  cg_depthwise.c;
 *   direct     the first baseline: vectorised along output width, no
 *              register blocking (kept for comparison: conv_kind "direct").
 * Every kind applies bias and the fused epilogue before the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

/* ------------------------------------------------------------------ Conv */

typedef struct conv_shape {
  dlc_window2d g;
  int64_t n, cin, cout, group, cin_g, cout_g;
  int64_t ph, pw; /* the plane the inner loops read: padded or X itself */
  bool padded;
} conv_shape;

/* The shapes of the node's record: its window and padded plane. */
static void conv_shape_get(const dlc_node_sched *r, conv_shape *c) {
  const dlc_node *n = r->node;
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  c->g = r->win;
  c->n = x->dims[0];
  c->cin = x->dims[1];
  c->cout = w->dims[0];
  c->group = dlc_node_get_int(n, "group");
  c->cin_g = c->cin / c->group;
  c->cout_g = c->cout / c->group;
  c->padded = r->p.plane_h > 0;
  c->ph = c->padded ? r->p.plane_h : c->g.in[0];
  c->pw = c->padded ? r->p.plane_w : c->g.in[1];
}

/* The op's own bias (epilogue operands follow the op's inputs). */
static LLVMValueRef conv_bias(cg_fn *f) {
  return dlc_node_op_inputs(f->node) > 2 ? f->in[2] : NULL;
}

typedef struct conv_row {
  const conv_shape *cs;
  LLVMValueRef plane, w, y; /* input plane (image n), weights, output */
  LLVMValueRef icbase;      /* first input channel of the group */
  LLVMValueRef wbase, ybase, oh, bias, oc;
  const cg_epi *ep;
} conv_row;

/* Outputs [ow_begin, ow_end) of one row, `step` (1 or VL) at a time. */
static void conv_row_part(cg_fn *f, const conv_row *r, int64_t begin,
                          int64_t end, int64_t step, LLVMTypeRef ty) {
  const conv_shape *cs = r->cs;
  const dlc_window2d *g = &cs->g;
  cg_loop lw, lc, lh, lk;
  LLVMValueRef ow = cg_for_begin(f, &lw, begin, end, step);
  LLVMValueRef acc = cg_var(f, ty, cg_splat(f, r->bias, ty));
  LLVMValueRef ic = cg_for_begin(f, &lc, 0, cs->cin_g, 1);
  LLVMValueRef kh = cg_for_begin(f, &lh, 0, g->k[0], 1);
  LLVMValueRef kw = cg_for_begin(f, &lk, 0, g->k[1], 1);
  /* W[oc][ic][kh][kw] */
  LLVMValueRef wi = cg_affine(f, r->wbase, ic, g->k[0] * g->k[1]);
  wi = cg_affine(f, cg_affine(f, wi, kh, g->k[1]), kw, 1);
  LLVMValueRef wv = cg_splat(f, cg_load(f, f->c->f32, r->w, wi), ty);
  /* plane[icbase + ic][oh*sh + kh*dh][ow*sw + kw*dw] */
  LLVMValueRef row = cg_affine(f, cg_affine(f, NULL, r->oh, g->s[0]), kh, g->d[0]);
  LLVMValueRef ch = LLVMBuildAdd(f->b, r->icbase, ic, "");
  LLVMValueRef xi = cg_affine(f, cg_affine(f, NULL, ch, cs->ph * cs->pw), row,
                              cs->pw);
  xi = cg_affine(f, cg_affine(f, xi, ow, g->s[1]), kw, g->d[1]);
  LLVMValueRef xv = cg_load(f, ty, r->plane, xi);
  LLVMValueRef cur = LLVMBuildLoad2(f->b, ty, acc, "");
  LLVMBuildStore(f->b, cg_fma(f, xv, wv, cur), acc);
  cg_for_end(f, &lk);
  cg_for_end(f, &lh);
  cg_for_end(f, &lc);
  LLVMValueRef yi = cg_affine(f, cg_affine(f, r->ybase, r->oh, g->out[1]), ow, 1);
  LLVMValueRef v = LLVMBuildLoad2(f->b, ty, acc, "");
  v = cg_epi_apply(f, r->ep, v, yi, r->oc, NULL, (int)step);
  cg_store(f, v, r->y, yi);
  cg_for_end(f, &lw);
}

/* The plane image n is read from: X[n] itself, or the padded copy. */
static LLVMValueRef conv_plane(cg_fn *f, const conv_shape *cs, LLVMValueRef n) {
  const dlc_window2d *g = &cs->g;
  int64_t hw = g->in[0] * g->in[1];
  LLVMValueRef xn = cg_gep(f, f->in[0], cg_affine(f, NULL, n, cs->cin * hw));
  if (!cs->padded)
    return xn;
  cg_fill(f, f->scratch, cs->cin * cs->ph * cs->pw, 0.0f);
  int64_t dims[3] = {cs->cin, g->in[0], g->in[1]};
  int64_t is[3] = {hw, g->in[1], 1}, os[3] = {cs->ph * cs->pw, cs->pw, 1};
  cg_emit_strided_copy(f, 3, dims, xn, 0, is, f->scratch,
                       g->pb[0] * cs->pw + g->pb[1], os);
  return f->scratch;
}

static bool emit_conv(cg_fn *f) {
  conv_shape cs;
  conv_shape_get(f->s, &cs);
  const dlc_window2d *g = &cs.g;
  int64_t vl = f->c->t->vl, ow = g->out[1];
  int64_t main = g->s[1] == 1 && ow >= vl ? ow / vl * vl : 0;
  cg_loop ln, lg, lo, lh;
  LLVMValueRef n = cg_for_begin(f, &ln, 0, cs.n, 1);
  cg_epi ep;
  cg_epi_init(f, &ep, 1, -1);
  conv_row r = {.cs = &cs, .w = f->in[1], .y = f->out[0], .ep = &ep};
  r.plane = conv_plane(f, &cs, n);
  LLVMValueRef gi = cg_for_begin(f, &lg, 0, cs.group, 1);
  LLVMValueRef ocg = cg_for_begin(f, &lo, 0, cs.cout_g, 1);
  LLVMValueRef oc = cg_affine(f, ocg, gi, cs.cout_g);
  r.icbase = cg_affine(f, NULL, gi, cs.cin_g);
  if (r.icbase == NULL || LLVMIsConstant(r.icbase))
    r.icbase = LLVMBuildMul(f->b, gi, cg_i64(f, cs.cin_g), "");
  r.wbase = cg_affine(f, NULL, oc, cs.cin_g * g->k[0] * g->k[1]);
  LLVMValueRef img = cg_affine(f, oc, n, cs.cout);
  r.ybase = cg_affine(f, NULL, img, g->out[0] * g->out[1]);
  r.bias = conv_bias(f) ? cg_load(f, f->c->f32, conv_bias(f), oc) : cg_f32(f, 0);
  r.oc = oc;
  r.oh = cg_for_begin(f, &lh, 0, g->out[0], 1);
  if (main > 0)
    conv_row_part(f, &r, 0, main, vl, f->c->vf);
  if (main < ow)
    conv_row_part(f, &r, main, ow, 1, f->c->f32);
  cg_for_end(f, &lh);
  cg_for_end(f, &lo);
  cg_for_end(f, &lg);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv = {.emit = emit_conv};

/* --------------------------------------------------------- ConvTranspose */

/* Input position feeding output o through tap k on one axis:
 * o + pb - k*d = i*s; valid when divisible and 0 <= i < in. */
static LLVMValueRef tr_axis(cg_fn *f, LLVMValueRef o, LLVMValueRef k,
                            const dlc_window2d *g, int a, LLVMValueRef *valid) {
  LLVMBuilderRef b = f->b;
  LLVMValueRef t = cg_affine(f, cg_affine(f, cg_i64(f, g->pb[a]), o, 1), k,
                             -g->d[a]);
  LLVMValueRef q = LLVMBuildSDiv(b, t, cg_i64(f, g->s[a]), "");
  LLVMValueRef r = LLVMBuildSRem(b, t, cg_i64(f, g->s[a]), "");
  LLVMValueRef ok = LLVMBuildAnd(
      b, LLVMBuildICmp(b, LLVMIntSGE, t, cg_i64(f, 0), ""),
      LLVMBuildICmp(b, LLVMIntEQ, r, cg_i64(f, 0), ""), "");
  ok = LLVMBuildAnd(b, ok,
                    LLVMBuildICmp(b, LLVMIntSLT, q, cg_i64(f, g->in[a]), ""),
                    "");
  *valid = *valid ? LLVMBuildAnd(b, *valid, ok, "") : ok;
  return LLVMBuildSelect(b, ok, q, cg_i64(f, 0), "");
}

/* Y (N, Cout, Ho, Wo) gathered output by output: each sums the taps whose
 * input position exists (X (N, Cin, H, W), W (Cin, Cout/g, kh, kw)). */
static bool emit_conv_transpose(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  const dlc_window2d g = f->s->win;
  int64_t group = dlc_node_get_int(n, "group"), cin = x->dims[1];
  int64_t cin_g = cin / group, cout_g = w->dims[1], nb = x->dims[0];
  int64_t khw = g.k[0] * g.k[1];
  LLVMTypeRef f32 = f->c->f32;
  cg_epi ep;
  cg_epi_init(f, &ep, 1, -1);
  cg_loop ln, lg, lo, lh, lw, lc, lkh, lkw;
  LLVMValueRef ni = cg_for_begin(f, &ln, 0, nb, 1);
  LLVMValueRef gi = cg_for_begin(f, &lg, 0, group, 1);
  LLVMValueRef ocg = cg_for_begin(f, &lo, 0, cout_g, 1);
  LLVMValueRef oc = cg_affine(f, ocg, gi, cout_g);
  LLVMValueRef bias = conv_bias(f) ? cg_load(f, f32, conv_bias(f), oc) : cg_f32(f, 0);
  LLVMValueRef yplane = cg_affine(f, NULL, cg_affine(f, oc, ni, cout_g * group),
                                  g.out[0] * g.out[1]);
  LLVMValueRef oh = cg_for_begin(f, &lh, 0, g.out[0], 1);
  LLVMValueRef ow = cg_for_begin(f, &lw, 0, g.out[1], 1);
  LLVMValueRef acc = cg_var(f, f32, bias);
  LLVMValueRef icg = cg_for_begin(f, &lc, 0, cin_g, 1);
  LLVMValueRef ic = cg_affine(f, icg, gi, cin_g);
  LLVMValueRef kh = cg_for_begin(f, &lkh, 0, g.k[0], 1);
  LLVMValueRef kw = cg_for_begin(f, &lkw, 0, g.k[1], 1);
  LLVMValueRef valid = NULL;
  LLVMValueRef ih = tr_axis(f, oh, kh, &g, 0, &valid);
  LLVMValueRef iw = tr_axis(f, ow, kw, &g, 1, &valid);
  LLVMValueRef xi = cg_affine(f, cg_affine(f, NULL, ic, g.in[0] * g.in[1]), ni,
                              cin * g.in[0] * g.in[1]);
  xi = cg_affine(f, cg_affine(f, xi, ih, g.in[1]), iw, 1);
  LLVMValueRef wi = cg_affine(f, cg_affine(f, NULL, ic, cout_g * khw), ocg, khw);
  wi = cg_affine(f, cg_affine(f, wi, kh, g.k[1]), kw, 1);
  LLVMValueRef a = LLVMBuildLoad2(f->b, f32, acc, "");
  LLVMValueRef s = cg_fma(f, cg_load(f, f32, f->in[0], xi),
                          cg_load(f, f32, f->in[1], wi), a);
  LLVMBuildStore(f->b, LLVMBuildSelect(f->b, valid, s, a, ""), acc);
  cg_for_end(f, &lkw);
  cg_for_end(f, &lkh);
  cg_for_end(f, &lc);
  LLVMValueRef yi = cg_affine(f, cg_affine(f, yplane, oh, g.out[1]), ow, 1);
  LLVMValueRef v = LLVMBuildLoad2(f->b, f32, acc, "");
  cg_store(f, cg_epi_apply(f, &ep, v, yi, oc, NULL, 1), f->out[0], yi);
  cg_for_end(f, &lw);
  cg_for_end(f, &lh);
  cg_for_end(f, &lo);
  cg_for_end(f, &lg);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv_transpose = {.emit = emit_conv_transpose};

/* ------------------------------------------- Conv on the micro-kernel */

/* How a GEMM-based Conv is cut (the record's tile and rows): K =
 * Cin_g*kh*kw; im2col works on chunks of `rows` output rows (the last chunk
 * has rows_last), N = rows * Wo; pointwise reads X in place, N = H*W. */
typedef struct conv_gemm {
  conv_shape cs;
  bool pointwise;
  int64_t k, rows, rows_last, chunks, plane_floats, cols_floats;
  dlc_tile plan;
} conv_gemm;

static void conv_gemm_get(const dlc_node_sched *r, conv_gemm *cg) {
  conv_shape_get(r, &cg->cs);
  const conv_shape *cs = &cg->cs;
  const dlc_window2d *g = &cs->g;
  cg->pointwise = r->algo == DLC_ALGO_CONV_POINTWISE;
  cg->k = cs->cin_g * g->k[0] * g->k[1];
  cg->rows = r->p.rows;
  cg->chunks = g->out[0] / cg->rows;
  cg->rows_last = g->out[0] % cg->rows;
  cg->plane_floats = cs->padded ? (cs->cin * cs->ph * cs->pw + 15) / 16 * 16 : 0;
  cg->cols_floats = cg->pointwise ? 0 : cg->k * cg->rows * g->out[1];
  cg->plan = r->p.tile;
}

/* Weights W (Cout, Cin_g*kh*kw) packed per group as A panels. */
static bool prepare_conv_gemm(cg_ctx *c, const dlc_node *n, cg_call *call) {
  conv_gemm cg;
  conv_gemm_get(cg_sched(c, n), &cg);
  const float *w = n->inputs[1]->type.data;
  int64_t per = cg_pack_a_floats(cg.cs.cout_g, cg.k, cg.plan.mr);
  float *blob = malloc((size_t)(per * cg.cs.group) * sizeof *blob + 4);
  DLC_ASSERT(blob);
  for (int64_t gi = 0; gi < cg.cs.group; gi++) {
    int64_t cnt;
    float *p = cg_pack_a(w + gi * cg.cs.cout_g * cg.k, cg.cs.cout_g, cg.k,
                         cg.k, 1, cg.plan.mr, &cnt);
    memcpy(blob + gi * per, p, (size_t)cnt * sizeof *p);
    free(p);
  }
  call->owned[call->n_owned++] = blob;
  call->extra[call->n_extra++] =
      (cg_blob){blob, (size_t)(per * cg.cs.group) * sizeof *blob};
  return true;
}

/* Bias and epilogue of one finished vector of the GEMM's Y. */
typedef struct conv_post_ud {
  cg_epi ep;
  LLVMValueRef bias;  /* NULL: none */
  LLVMValueRef oc0;   /* first output channel of the group */
  LLVMValueRef yflat; /* flat output offset of the GEMM's Y[0][0] */
  int64_t ldy;
} conv_post_ud;

static LLVMValueRef conv_post(cg_fn *f, const void *ud, LLVMValueRef acc,
                              LLVMValueRef m, LLVMValueRef n, int valid) {
  const conv_post_ud *u = ud;
  LLVMValueRef ch = LLVMBuildAdd(f->b, u->oc0, m, "");
  if (u->bias)
    acc = LLVMBuildFAdd(
        f->b, acc,
        cg_splat(f, cg_load(f, f->c->f32, u->bias, ch), LLVMTypeOf(acc)), "");
  if (!u->ep.e)
    return acc;
  LLVMValueRef yoff = LLVMBuildAdd(f->b, cg_affine(f, u->yflat, m, u->ldy), n, "");
  return cg_epi_apply(f, &u->ep, acc, yoff, ch, NULL, valid);
}

/* Gathers output rows [oh0, oh0 + rows) of group gi into the column
 * buffer: cols[(ic*kh + i)*kw + j][r*Wo + ow] =
 * plane[gi*Cin_g + ic][(oh0 + r)*sh + i*dh][ow*sw + j*dw]. */
static void im2col(cg_fn *f, const conv_gemm *cg, LLVMValueRef plane,
                   LLVMValueRef cols, LLVMValueRef gi, LLVMValueRef oh0,
                   int64_t rows) {
  const conv_shape *cs = &cg->cs;
  const dlc_window2d *g = &cs->g;
  int64_t wo = g->out[1], ncols = rows * wo;
  cg_loop lc, li, lj;
  LLVMValueRef ic = cg_for_begin(f, &lc, 0, cs->cin_g, 1);
  LLVMValueRef i = cg_for_begin(f, &li, 0, g->k[0], 1);
  LLVMValueRef j = cg_for_begin(f, &lj, 0, g->k[1], 1);
  LLVMValueRef kidx = cg_affine(f, cg_affine(f, j, i, g->k[1]), ic,
                                g->k[0] * g->k[1]);
  LLVMValueRef dst = cg_gep(f, cols, cg_affine(f, NULL, kidx, ncols));
  LLVMValueRef ch = LLVMBuildAdd(f->b, cg_affine(f, NULL, gi, cs->cin_g), ic, "");
  LLVMValueRef src = cg_affine(f, NULL, ch, cs->ph * cs->pw);
  src = cg_affine(f, src, oh0, g->s[0] * cs->pw);
  src = cg_affine(f, src, i, g->d[0] * cs->pw);
  src = cg_affine(f, src, j, g->d[1]);
  int64_t dims[2] = {rows, wo}, is[2] = {g->s[0] * cs->pw, g->s[1]};
  int64_t os[2] = {wo, 1};
  cg_emit_strided_copy(f, 2, dims, cg_gep(f, plane, src), 0, is, dst, 0, os);
  cg_for_end(f, &lj);
  cg_for_end(f, &li);
  cg_for_end(f, &lc);
}

/* One GEMM over output rows [oh0, oh0 + rows) of image ni, group gi. */
static void conv_chunk(cg_fn *f, const conv_gemm *cg, conv_post_ud *u,
                       LLVMValueRef plane, LLVMValueRef ni, LLVMValueRef gi,
                       LLVMValueRef oh0, int64_t rows) {
  const conv_shape *cs = &cg->cs;
  const dlc_window2d *g = &cs->g;
  int64_t howo = g->out[0] * g->out[1], wo = g->out[1];
  /* pointwise: rows == Ho and Wo == W, so rows * wo is the whole plane */
  cg_gemm gm = {.m = cs->cout_g, .n = rows * wo, .k = cg->k, .ldy = howo,
                .post = conv_post, .ud = u, .plan = cg->plan};
  gm.a = (cg_gemm_operand){
      cg_gep(f, f->extra[0],
             cg_affine(f, NULL, gi, cg_pack_a_floats(cs->cout_g, cg->k,
                                                     cg->plan.mr))),
      true, 0, 0};
  if (cg->pointwise) {
    LLVMValueRef xo = cg_affine(f, cg_affine(f, NULL, ni, cs->cin), gi, cs->cin_g);
    gm.b = (cg_gemm_operand){cg_gep(f, f->in[0], cg_affine(f, NULL, xo, howo)),
                             false, howo, 1};
  } else {
    LLVMValueRef cols = cg_gep(f, f->scratch, cg_i64(f, cg->plane_floats));
    im2col(f, cg, plane, cols, gi, oh0, rows);
    gm.b = (cg_gemm_operand){cols, false, rows * wo, 1};
  }
  LLVMValueRef yc = cg_affine(f, u->oc0, ni, cs->cout);
  u->yflat = cg_affine(f, cg_affine(f, NULL, yc, howo), oh0, wo);
  gm.y = cg_gep(f, f->out[0], u->yflat);
  cg_gemm_emit(f, &gm);
}

static bool emit_conv_gemm(cg_fn *f) {
  conv_gemm cg;
  conv_gemm_get(f->s, &cg);
  const conv_shape *cs = &cg.cs;
  conv_post_ud u = {.bias = conv_bias(f), .ldy = cs->g.out[0] * cs->g.out[1]};
  cg_epi_init(f, &u.ep, 1, -1);
  cg_loop ln, lg, lr;
  LLVMValueRef ni = cg_for_begin(f, &ln, 0, cs->n, 1);
  LLVMValueRef plane = NULL;
  if (!cg.pointwise)
    plane = conv_plane(f, cs, ni);
  LLVMValueRef gi = cg_for_begin(f, &lg, 0, cs->group, 1);
  u.oc0 = cg_affine(f, cg_i64(f, 0), gi, cs->cout_g);
  if (cg.pointwise) {
    conv_chunk(f, &cg, &u, plane, ni, gi, cg_i64(f, 0), cg.rows);
  } else {
    if (cg.chunks > 0) {
      LLVMValueRef c = cg_for_begin(f, &lr, 0, cg.chunks, 1);
      conv_chunk(f, &cg, &u, plane, ni, gi, cg_affine(f, NULL, c, cg.rows),
                 cg.rows);
      cg_for_end(f, &lr);
    }
    if (cg.rows_last > 0)
      conv_chunk(f, &cg, &u, plane, ni, gi, cg_i64(f, cg.chunks * cg.rows),
                 cg.rows_last);
  }
  cg_for_end(f, &lg);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv_pointwise = {
    .prep_inputs = 0x2, .prepare = prepare_conv_gemm, .emit = emit_conv_gemm};
const cg_emitter cg_emit_conv_im2col = {
    .prep_inputs = 0x2, .prepare = prepare_conv_gemm, .emit = emit_conv_gemm};
