/* cg_conv.c — convolution kernels, and the sliding-window geometry that the
 * pools share.
 *
 * Conv (direct): X (N, Cin, H, W) * W (Cout, Cin/g, kh, kw) + B -> Y (N,
 * Cout, Ho, Wo), 1-D convolutions seen as H = 1. When the convolution pads,
 * each image is first copied into a zeroed scratch plane set with the
 * padding built in, so the inner loops never test bounds. With unit stride
 * along W the output row is computed a vector of outputs at a time (weights
 * broadcast, llvm.fma); otherwise a scalar at a time. The
 * choose_algorithm/tiling passes will bring GEMM, Winograd and register
 * blocking; this is the correct baseline they are measured against. */
#include <string.h>

#include "codegen/cg.h"

static void axis_ints(const dlc_node *n, const char *name, int ns, int64_t dflt,
                      int64_t *dst, int per_axis) {
  const int64_t *v = NULL;
  int cnt = dlc_node_get_ints(n, name, &v);
  for (int i = 0; i < per_axis * ns; i++)
    dst[i] = cnt == per_axis * ns ? v[i] : dflt;
}

bool cg_geom_get(const dlc_node *n, const dlc_tensor *x, const dlc_tensor *y,
                 const int64_t *kernel, cg_geom *g) {
  int ns = x->rank - 2;
  if (ns < 1 || ns > 2)
    return false;
  int64_t s[2], d[2], pads[4];
  axis_ints(n, "strides", ns, 1, s, 1);
  axis_ints(n, "dilations", ns, 1, d, 1);
  axis_ints(n, "pads", ns, 0, pads, 2);
  const char *ap = dlc_node_get_string(n, "auto_pad");
  int off = 2 - ns; /* 1-D lives in axis 1 of the 2-D view */
  for (int a = 0; a < 2; a++) {
    int i = a - off;
    bool real = i >= 0;
    g->in[a] = real ? x->dims[2 + i] : 1;
    g->out[a] = real ? y->dims[2 + i] : 1;
    g->k[a] = real ? kernel[i] : 1;
    g->s[a] = real ? s[i] : 1;
    g->d[a] = real ? d[i] : 1;
    g->pb[a] = real ? pads[i] : 0;
    g->pe[a] = real ? pads[ns + i] : 0;
    if (real && ap && (strncmp(ap, "SAME", 4) == 0 || !strcmp(ap, "VALID"))) {
      int64_t ext = (g->k[a] - 1) * g->d[a] + 1;
      int64_t total = (g->out[a] - 1) * g->s[a] + ext - g->in[a];
      if (total < 0 || !strcmp(ap, "VALID"))
        total = 0;
      bool lower = strcmp(ap, "SAME_LOWER") == 0;
      g->pb[a] = lower ? total - total / 2 : total / 2;
      g->pe[a] = total - g->pb[a];
    }
  }
  return true;
}

/* ------------------------------------------------------------------ Conv */

typedef struct conv_shape {
  cg_geom g;
  int64_t n, cin, cout, group, cin_g, cout_g;
  int64_t ph, pw; /* the plane the inner loops read: padded or X itself */
  bool padded;
} conv_shape;

static bool conv_shape_get(const dlc_node *n, conv_shape *c) {
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  if (!cg_geom_get(n, x, &n->outputs[0]->type, w->dims + 2, &c->g))
    return false;
  const cg_geom *g = &c->g;
  c->n = x->dims[0];
  c->cin = x->dims[1];
  c->cout = w->dims[0];
  c->group = dlc_node_get_int(n, "group");
  c->cin_g = c->cin / c->group;
  c->cout_g = c->cout / c->group;
  /* Rows/cols the windows reach, so every tap is inside the plane. */
  int64_t reach_h = (g->out[0] - 1) * g->s[0] + (g->k[0] - 1) * g->d[0] + 1;
  int64_t reach_w = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
  c->ph = g->pb[0] + g->in[0] > reach_h ? g->pb[0] + g->in[0] : reach_h;
  c->pw = g->pb[1] + g->in[1] > reach_w ? g->pb[1] + g->in[1] : reach_w;
  c->padded = g->pb[0] || g->pb[1] || c->ph != g->in[0] || c->pw != g->in[1];
  if (!c->padded) {
    c->ph = g->in[0];
    c->pw = g->in[1];
  }
  return true;
}

static int64_t conv_scratch(const dlc_node *n) {
  conv_shape c;
  if (!conv_shape_get(n, &c) || !c.padded)
    return 0;
  return c.cin * c.ph * c.pw * 4;
}

typedef struct conv_row {
  const conv_shape *cs;
  LLVMValueRef plane, w, y; /* input plane (image n), weights, output */
  LLVMValueRef icbase;      /* first input channel of the group */
  LLVMValueRef wbase, ybase, oh, bias;
} conv_row;

/* Outputs [ow_begin, ow_end) of one row, `step` (1 or VL) at a time. */
static void conv_row_part(cg_fn *f, const conv_row *r, int64_t begin,
                          int64_t end, int64_t step, LLVMTypeRef ty) {
  const conv_shape *cs = r->cs;
  const cg_geom *g = &cs->g;
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
  cg_store(f, LLVMBuildLoad2(f->b, ty, acc, ""), r->y, yi);
  cg_for_end(f, &lw);
}

/* The plane image n is read from: X[n] itself, or the padded copy. */
static LLVMValueRef conv_plane(cg_fn *f, const conv_shape *cs, LLVMValueRef n) {
  const cg_geom *g = &cs->g;
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
  if (!conv_shape_get(f->node, &cs))
    return false;
  const cg_geom *g = &cs.g;
  int64_t vl = f->c->t->vl, ow = g->out[1];
  int64_t main = g->s[1] == 1 && ow >= vl ? ow / vl * vl : 0;
  cg_loop ln, lg, lo, lh;
  LLVMValueRef n = cg_for_begin(f, &ln, 0, cs.n, 1);
  conv_row r = {.cs = &cs, .w = f->in[1], .y = f->out[0]};
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
  r.bias = f->in[2] ? cg_load(f, f->c->f32, f->in[2], oc) : cg_f32(f, 0);
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

const cg_emitter cg_emit_conv = {"conv", 0, 0, NULL, emit_conv, conv_scratch};

/* --------------------------------------------------------- ConvTranspose */

/* Input position feeding output o through tap k on one axis:
 * o + pb - k*d = i*s; valid when divisible and 0 <= i < in. */
static LLVMValueRef tr_axis(cg_fn *f, LLVMValueRef o, LLVMValueRef k,
                            const cg_geom *g, int a, LLVMValueRef *valid) {
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
  cg_geom g;
  if (!cg_geom_get(n, x, &n->outputs[0]->type, w->dims + 2, &g))
    return false;
  int64_t group = dlc_node_get_int(n, "group"), cin = x->dims[1];
  int64_t cin_g = cin / group, cout_g = w->dims[1], nb = x->dims[0];
  int64_t khw = g.k[0] * g.k[1];
  LLVMTypeRef f32 = f->c->f32;
  cg_loop ln, lg, lo, lh, lw, lc, lkh, lkw;
  LLVMValueRef ni = cg_for_begin(f, &ln, 0, nb, 1);
  LLVMValueRef gi = cg_for_begin(f, &lg, 0, group, 1);
  LLVMValueRef ocg = cg_for_begin(f, &lo, 0, cout_g, 1);
  LLVMValueRef oc = cg_affine(f, ocg, gi, cout_g);
  LLVMValueRef bias = f->in[2] ? cg_load(f, f32, f->in[2], oc) : cg_f32(f, 0);
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
  cg_store(f, LLVMBuildLoad2(f->b, f32, acc, ""), f->out[0], yi);
  cg_for_end(f, &lw);
  cg_for_end(f, &lh);
  cg_for_end(f, &lo);
  cg_for_end(f, &lg);
  cg_for_end(f, &ln);
  return true;
}

const cg_emitter cg_emit_conv_transpose = {"conv_transpose", 0, 0, NULL,
                                           emit_conv_transpose, NULL};
