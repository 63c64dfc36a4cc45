/* cg_pool.c — pooling kernels.
 *
 * MaxPool / AveragePool (1-D and 2-D): one output at a time, every tap
 * tested against the image bounds with a select on a clamped (always valid)
 * load, so padding never needs a copy. AveragePool divides by the taps
 * inside the image, or with count_include_pad by those inside the padded
 * extent [-pad_begin, in + pad_end) — the ceil_mode overhang beyond it never
 * counts (PyTorch's rule, the reference's). Global pools reduce each (n, c)
 * plane with vector accumulators. */
#include <math.h>

#include "codegen/cg.h"

typedef struct pool_tap {
  LLVMValueRef inside;  /* i1: the tap reads the image */
  LLVMValueRef counted; /* i1: it counts for the average's divisor */
  LLVMValueRef index;   /* clamped element index in the plane */
} pool_tap;

/* Position oh*s - pb + k*d along one axis of size `in`. */
static void tap_axis(cg_fn *f, LLVMValueRef o, LLVMValueRef k, const dlc_window2d *g,
                     int a, bool include_pad, LLVMValueRef *inside,
                     LLVMValueRef *counted, LLVMValueRef *clamped) {
  LLVMBuilderRef b = f->b;
  LLVMValueRef p = cg_affine(f, cg_affine(f, cg_i64(f, -g->pb[a]), o, g->s[a]),
                             k, g->d[a]);
  LLVMValueRef ge0 = LLVMBuildICmp(b, LLVMIntSGE, p, cg_i64(f, 0), "");
  LLVMValueRef lt = LLVMBuildICmp(b, LLVMIntSLT, p, cg_i64(f, g->in[a]), "");
  *inside = LLVMBuildAnd(b, ge0, lt, "");
  if (include_pad) {
    LLVMValueRef lo =
        LLVMBuildICmp(b, LLVMIntSGE, p, cg_i64(f, -g->pb[a]), "");
    LLVMValueRef hi = LLVMBuildICmp(b, LLVMIntSLT, p,
                                    cg_i64(f, g->in[a] + g->pe[a]), "");
    *counted = LLVMBuildAnd(b, lo, hi, "");
  } else {
    *counted = *inside;
  }
  LLVMValueRef c0 = LLVMBuildSelect(b, ge0, p, cg_i64(f, 0), "");
  *clamped = LLVMBuildSelect(b, lt, c0, cg_i64(f, g->in[a] - 1), "");
}

static void tap(cg_fn *f, LLVMValueRef oh, LLVMValueRef ow, LLVMValueRef kh,
                LLVMValueRef kw, const dlc_window2d *g, bool include_pad,
                pool_tap *t) {
  LLVMValueRef ih, iw, c0, c1, y, x;
  tap_axis(f, oh, kh, g, 0, include_pad, &ih, &c0, &y);
  tap_axis(f, ow, kw, g, 1, include_pad, &iw, &c1, &x);
  t->inside = LLVMBuildAnd(f->b, ih, iw, "");
  t->counted = LLVMBuildAnd(f->b, c0, c1, "");
  t->index = cg_affine(f, cg_affine(f, NULL, y, g->in[1]), x, 1);
}

static bool emit_pool(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *x = &n->inputs[0]->type;
  const dlc_window2d g = f->s->win;
  bool is_max = n->op == DLC_OP_MAX_POOL;
  bool incl = !is_max && dlc_node_get_int(n, "count_include_pad") != 0;
  int64_t planes = x->dims[0] * x->dims[1];
  LLVMTypeRef f32 = f->c->f32;
  cg_loop lp, lh, lw, lkh, lkw;
  LLVMValueRef p = cg_for_begin(f, &lp, 0, planes, 1);
  LLVMValueRef xp = cg_gep(f, f->in[0], cg_affine(f, NULL, p, g.in[0] * g.in[1]));
  LLVMValueRef yp =
      cg_gep(f, f->out[0], cg_affine(f, NULL, p, g.out[0] * g.out[1]));
  LLVMValueRef oh = cg_for_begin(f, &lh, 0, g.out[0], 1);
  LLVMValueRef ow = cg_for_begin(f, &lw, 0, g.out[1], 1);
  LLVMValueRef acc = cg_var(f, f32, cg_f32(f, is_max ? -INFINITY : 0));
  LLVMValueRef cnt = cg_var(f, f32, cg_f32(f, 0));
  LLVMValueRef kh = cg_for_begin(f, &lkh, 0, g.k[0], 1);
  LLVMValueRef kw = cg_for_begin(f, &lkw, 0, g.k[1], 1);
  pool_tap t;
  tap(f, oh, ow, kh, kw, &g, incl, &t);
  LLVMValueRef v = cg_load(f, f32, xp, t.index);
  LLVMValueRef a = LLVMBuildLoad2(f->b, f32, acc, "");
  LLVMValueRef next = is_max ? cg_fmax(f, v, a) : LLVMBuildFAdd(f->b, a, v, "");
  LLVMBuildStore(f->b, LLVMBuildSelect(f->b, t.inside, next, a, ""), acc);
  LLVMValueRef c = LLVMBuildLoad2(f->b, f32, cnt, "");
  LLVMValueRef c1 = LLVMBuildFAdd(f->b, c, cg_f32(f, 1), "");
  LLVMBuildStore(f->b, LLVMBuildSelect(f->b, t.counted, c1, c, ""), cnt);
  cg_for_end(f, &lkw);
  cg_for_end(f, &lkh);
  LLVMValueRef r = LLVMBuildLoad2(f->b, f32, acc, "");
  if (!is_max)
    r = LLVMBuildFDiv(f->b, r, LLVMBuildLoad2(f->b, f32, cnt, ""), "");
  cg_store(f, r, yp, cg_affine(f, cg_affine(f, NULL, oh, g.out[1]), ow, 1));
  cg_for_end(f, &lw);
  cg_for_end(f, &lh);
  cg_for_end(f, &lp);
  return true;
}

/* Sum or max of n floats at p, vector lanes first, then the tail. */
static LLVMValueRef reduce_plane(cg_fn *f, LLVMValueRef p, int64_t n,
                                 bool is_max) {
  double init = is_max ? -INFINITY : 0.0;
  int64_t vl = f->c->t->vl, main = n >= vl ? n / vl * vl : 0;
  LLVMValueRef total = cg_var(f, f->c->f32, cg_f32(f, init));
  if (main > 0) {
    LLVMValueRef vacc = cg_var(f, f->c->vf, cg_fconst(f, f->c->vf, init));
    cg_loop l;
    LLVMValueRef i = cg_for_begin(f, &l, 0, main, vl);
    LLVMValueRef v = cg_load(f, f->c->vf, p, i);
    LLVMValueRef a = LLVMBuildLoad2(f->b, f->c->vf, vacc, "");
    LLVMBuildStore(f->b, is_max ? cg_fmax(f, v, a) : LLVMBuildFAdd(f->b, a, v, ""),
                   vacc);
    cg_for_end(f, &l);
    LLVMValueRef vr = LLVMBuildLoad2(f->b, f->c->vf, vacc, "");
    LLVMBuildStore(f->b, is_max ? cg_hmax(f, vr) : cg_hsum(f, vr), total);
  }
  if (main < n) {
    cg_loop l;
    LLVMValueRef i = cg_for_begin(f, &l, main, n, 1);
    LLVMValueRef v = cg_load(f, f->c->f32, p, i);
    LLVMValueRef a = LLVMBuildLoad2(f->b, f->c->f32, total, "");
    LLVMBuildStore(f->b, is_max ? cg_fmax(f, v, a) : LLVMBuildFAdd(f->b, a, v, ""),
                   total);
    cg_for_end(f, &l);
  }
  return LLVMBuildLoad2(f->b, f->c->f32, total, "");
}

static bool emit_global_pool(cg_fn *f) {
  const dlc_tensor *x = &f->node->inputs[0]->type;
  bool is_max = f->node->op == DLC_OP_GLOBAL_MAX_POOL;
  int64_t planes = x->dims[0] * x->dims[1], hw = cg_numel(x) / planes;
  cg_loop l;
  LLVMValueRef p = cg_for_begin(f, &l, 0, planes, 1);
  LLVMValueRef r =
      reduce_plane(f, cg_gep(f, f->in[0], cg_affine(f, NULL, p, hw)), hw, is_max);
  if (!is_max)
    r = LLVMBuildFDiv(f->b, r, cg_f32(f, (double)hw), "");
  cg_store(f, r, f->out[0], p);
  cg_for_end(f, &l);
  return true;
}

const cg_emitter cg_emit_pool = {.emit = emit_pool};
const cg_emitter cg_emit_global_pool = {.emit = emit_global_pool};
