/* fold_batchnorm.c — pass fold_batchnorm.
 *
 * Requires: a sorted graph with inferred shapes.
 * Guarantees: no inference-mode BatchNormalization with constant parameters
 *   survives. With s = scale / sqrt(var + eps) and t = bias - mean * s per
 *   channel (BN's axis 1):
 *   - Conv (any group, with or without bias) whose output only BN reads:
 *     W'[co] = W[co] * s[co], b' = b * s + t (a new bias when there was none);
 *   - Gemm (transB 0 or 1) whose output only BN reads (rank 2, features on
 *     axis 1): the columns of op(B) scaled by s, C' = s * beta * C + t with
 *     beta 1; a 2-D MatMul with a constant B (optionally followed by an Add
 *     of a constant bias of N elements) becomes such a Gemm;
 *   - any other BN becomes ScaleShift(x, s, t) (dlc domain), and a
 *     ScaleShift read only by a Conv without padding is folded into that
 *     Conv's weights: W'[co, ci] = W[co, ci] * s[ci],
 *     b'[co] = b[co] + sum over ci, taps of W[co, ci] * t[ci].
 *   The surviving Conv/Gemm records "BatchNormalization" (and "Add" for a
 *   MatMul bias) in its epilogue's fused list (an epilogue with no work).
 *   New weights are new initializers; the old ones are removed when unused.
 * Not folded: ConvTranspose + BN (left as ScaleShift), BN in training mode.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

/* s and t of a BN node (malloc'd, C entries), or false if it is not an
 * inference BN with constant float32 parameters. */
static bool bn_affine(const dlc_node *bn, float **s_out, float **t_out,
                      int64_t *c_out) {
  const dlc_value *x = bn->inputs[0];
  if (dlc_node_get_int(bn, "training_mode") != 0 || x->type.rank < 2 ||
      x->type.dtype != DLC_DT_FLOAT32)
    return false;
  const float *p[4];
  int64_t c = x->type.dims[1];
  for (int i = 0; i < 4; i++) {
    p[i] = pu_const_f32(bn->inputs[i + 1]);
    if (!p[i] || dlc_tensor_numel(&bn->inputs[i + 1]->type) != c)
      return false;
  }
  double eps = dlc_node_get_float(bn, "epsilon");
  float *s = malloc(sizeof *s * (size_t)c), *t = malloc(sizeof *t * (size_t)c);
  DLC_ASSERT(s && t);
  for (int64_t i = 0; i < c; i++) {
    double si = p[0][i] / sqrt((double)p[3][i] + eps);
    s[i] = (float)si;
    t[i] = (float)(p[1][i] - p[2][i] * si);
  }
  *s_out = s;
  *t_out = t;
  *c_out = c;
  return true;
}

/* The BN node is absorbed by p: p produces BN's output from now on. */
static void absorb(dlc_graph *g, dlc_node *p, dlc_node *bn) {
  bn->dead = true;
  pu_move_output(p, 0, bn->outputs[0]);
  pu_record_fused(g, p, "BatchNormalization");
}

/* ----------------------------------------------------------------- Conv */

/* W (Cout, Cin/g, kh, kw) scaled per output channel; b' = b * s + t. */
static void fold_into_conv(dlc_graph *g, dlc_node *conv, dlc_node *bn,
                           const float *s, const float *t, int64_t c) {
  const dlc_value *wv = conv->inputs[1];
  const float *w = pu_const_f32(wv);
  const float *b = conv->n_inputs > 2 ? pu_const_f32(conv->inputs[2]) : NULL;
  int64_t per = dlc_tensor_numel(&wv->type) / c;
  float *w2 = malloc(sizeof *w2 * (size_t)(per * c));
  float *b2 = malloc(sizeof *b2 * (size_t)c);
  DLC_ASSERT(w2 && b2);
  for (int64_t co = 0; co < c; co++) {
    for (int64_t k = 0; k < per; k++)
      w2[co * per + k] = (float)((double)w[co * per + k] * s[co]);
    b2[co] = (float)((b ? (double)b[co] * s[co] : 0.0) + t[co]);
  }
  dlc_value *in[3] = {conv->inputs[0], NULL, NULL};
  char *base = dlc_arena_printf(g->arena, "%s.weight_bn", conv->name);
  in[1] = pu_add_f32(g, base, wv->type.rank, wv->type.dims, w2);
  base = dlc_arena_printf(g->arena, "%s.bias_bn", conv->name);
  in[2] = pu_add_f32(g, base, 1, &c, b2);
  pu_set_inputs(g, conv, 3, in);
  absorb(g, conv, bn);
  free(w2);
  free(b2);
}

static bool conv_foldable(const dlc_node *conv, int64_t c) {
  const dlc_value *w = conv->inputs[1];
  return pu_const_f32(w) && w->type.dims[0] == c &&
         (conv->n_inputs < 3 || !conv->inputs[2] ||
          pu_const_f32(conv->inputs[2]));
}

/* ----------------------------------------------------------------- Gemm */

typedef struct gemm_parts {
  dlc_value *a, *b, *c; /* c may be NULL */
  bool trans_a, trans_b;
  double alpha, beta;
  const char *extra;    /* "Add" when a MatMul's bias Add is folded too */
  dlc_node *add;        /* that Add */
} gemm_parts;

/* Y (M, N) = alpha * op(A) op(B) + beta * C, with op(B) scaled per column j
 * by s[j] and C' = s * beta * C + t (C' of N elements when C broadcasts
 * along M, else (M, N)). */
static void build_gemm(dlc_graph *g, dlc_node *p, const gemm_parts *q,
                       const float *s, const float *t, int64_t n) {
  const dlc_tensor *bt = &q->b->type;
  const float *b = bt->data;
  int64_t kk = dlc_tensor_numel(bt) / n, m = p->outputs[0]->type.dims[0];
  float *b2 = malloc(sizeof *b2 * (size_t)(kk * n));
  DLC_ASSERT(b2);
  for (int64_t k = 0; k < kk; k++)
    for (int64_t j = 0; j < n; j++) {
      int64_t at = q->trans_b ? j * kk + k : k * n + j;
      b2[at] = (float)((double)b[at] * s[j]);
    }
  const dlc_tensor *ct = q->c ? &q->c->type : NULL;
  bool per_row = ct && !(ct->rank <= 1 || (ct->rank == 2 && ct->dims[0] == 1));
  int64_t rows = per_row ? m : 1, cdims[2] = {m, n};
  float *c2 = malloc(sizeof *c2 * (size_t)(rows * n));
  DLC_ASSERT(c2);
  dlc_tensor out = {0};
  dlc_tensor_set_shape(&out, DLC_DT_FLOAT32, 2, cdims);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < n; j++) {
      double cv = ct ? ((const float *)ct->data)
                           [dlc_broadcast_index(ct, &out, i * n + j)] : 0.0;
      c2[i * n + j] = (float)(s[j] * q->beta * cv + t[j]);
    }
  dlc_value *in[3] = {q->a, NULL, NULL};
  in[1] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.weight_bn", p->name),
                     bt->rank, bt->dims, b2);
  in[2] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.bias_bn", p->name),
                     per_row ? 2 : 1, per_row ? cdims : &n, c2);
  free(b2);
  free(c2);
  pu_set_inputs(g, p, 3, in);
  p->op = DLC_OP_GEMM;
  p->domain = "";
  p->n_attrs = 0;
  dlc_node_set_float(g, p, "alpha", q->alpha);
  dlc_node_set_int(g, p, "transA", q->trans_a);
  dlc_node_set_int(g, p, "transB", q->trans_b);
}

/* The Gemm form of BN's producer chain (Gemm, MatMul, or MatMul + Add of a
 * constant bias), or false. */
static bool gemm_parts_of(const pu_uses *u, dlc_node *bn, gemm_parts *q,
                          dlc_node **anchor) {
  dlc_value *x = bn->inputs[0];
  if (x->type.rank != 2 || x->kind != DLC_VALUE_NODE || !pu_private_to(u, x, bn))
    return false;
  dlc_node *p = x->producer;
  memset(q, 0, sizeof *q);
  q->alpha = q->beta = 1.0;
  if (p->op == DLC_OP_MAT_MUL || p->op == DLC_OP_ADD) {
    if (p->op == DLC_OP_ADD) {
      int bi = pu_const_f32(p->inputs[1]) ? 1 : 0;
      dlc_value *mm = p->inputs[1 - bi];
      if (!pu_const_f32(p->inputs[bi]) || dlc_tensor_numel(&p->inputs[bi]->type) != x->type.dims[1] ||
          mm->kind != DLC_VALUE_NODE || mm->producer->op != DLC_OP_MAT_MUL ||
          !pu_private_to(u, mm, p))
        return false;
      q->c = p->inputs[bi];
      q->extra = "Add";
      q->add = p;
      p = mm->producer;
    }
    if (pu_has_active_epilogue(p) || p->epilogue || p->inputs[0]->type.rank != 2 ||
        !pu_const_f32(p->inputs[1]) || p->inputs[1]->type.rank != 2)
      return false;
    q->a = p->inputs[0];
    q->b = p->inputs[1];
    *anchor = p;
    return true;
  }
  if (p->op != DLC_OP_GEMM || pu_has_active_epilogue(p) ||
      !pu_const_f32(p->inputs[1]) ||
      (p->n_inputs > 2 && p->inputs[2] && !pu_const_f32(p->inputs[2])))
    return false;
  q->a = p->inputs[0];
  q->b = p->inputs[1];
  q->c = p->n_inputs > 2 ? p->inputs[2] : NULL;
  q->trans_a = dlc_node_get_int(p, "transA") != 0;
  q->trans_b = dlc_node_get_int(p, "transB") != 0;
  q->alpha = dlc_node_get_float(p, "alpha");
  q->beta = dlc_node_get_float(p, "beta");
  *anchor = p;
  return true;
}

/* ------------------------------------------------------------ ScaleShift */

static void to_scale_shift(dlc_graph *g, dlc_node *bn, const float *s,
                           const float *t, int64_t c) {
  dlc_value *in[3] = {bn->inputs[0], NULL, NULL};
  in[1] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.scale", bn->name), 1,
                     &c, s);
  in[2] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.shift", bn->name), 1,
                     &c, t);
  bn->dead = true;
  dlc_node *n = pu_add_node_for(g, bn->name, DLC_OP_SCALE_SHIFT, 3, in,
                                bn->outputs[0]);
  n->doc = "BatchNormalization";
}

/* Conv after a ScaleShift, with no padding (padding would see the shift as
 * zero): the ScaleShift folds into the Conv's input channels. */
static bool conv_absorbs_input_scale(const dlc_node *conv, int64_t c) {
  const int64_t *pads;
  int np = dlc_node_get_ints(conv, "pads", &pads);
  for (int i = 0; i < np; i++)
    if (pads[i] != 0)
      return false;
  const char *ap = dlc_node_get_string(conv, "auto_pad");
  if (ap && strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0)
    return false;
  return conv->inputs[0]->type.dims[1] == c && !pu_has_active_epilogue(conv) &&
         conv_foldable(conv, conv->inputs[1]->type.dims[0]);
}

/* W (Cout, Cin/G, taps): input channel of W[co, cl] is (co / (Cout/G)) *
 * (Cin/G) + cl. */
static void fold_scale_into_conv(dlc_graph *g, dlc_node *ss, dlc_node *conv,
                                 const float *s, const float *t) {
  const dlc_value *wv = conv->inputs[1];
  const float *w = wv->type.data;
  const float *b = conv->n_inputs > 2 ? pu_const_f32(conv->inputs[2]) : NULL;
  int64_t cout = wv->type.dims[0], cin_g = wv->type.dims[1];
  int64_t taps = dlc_tensor_numel(&wv->type) / (cout * cin_g);
  int64_t groups = dlc_node_get_int(conv, "group"), per_g = cout / groups;
  float *w2 = malloc(sizeof *w2 * (size_t)dlc_tensor_numel(&wv->type));
  float *b2 = malloc(sizeof *b2 * (size_t)cout);
  DLC_ASSERT(w2 && b2);
  for (int64_t co = 0; co < cout; co++) {
    double acc = b ? b[co] : 0.0;
    for (int64_t cl = 0; cl < cin_g; cl++) {
      int64_t ci = (co / per_g) * cin_g + cl;
      for (int64_t k = 0; k < taps; k++) {
        int64_t at = (co * cin_g + cl) * taps + k;
        w2[at] = (float)((double)w[at] * s[ci]);
        acc += (double)w[at] * t[ci];
      }
    }
    b2[co] = (float)acc;
  }
  dlc_value *in[3] = {ss->inputs[0], NULL, NULL};
  in[1] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.weight_bn", conv->name),
                     wv->type.rank, wv->type.dims, w2);
  in[2] = pu_add_f32(g, dlc_arena_printf(g->arena, "%s.bias_bn", conv->name),
                     1, &cout, b2);
  pu_set_inputs(g, conv, 3, in);
  ss->dead = true;
  pu_record_fused(g, conv, "BatchNormalization");
  free(w2);
  free(b2);
}

/* ------------------------------------------------------------ the pass */

static int fold_one(dlc_graph *g, pu_uses *u, dlc_node *bn) {
  float *s, *t;
  int64_t c;
  if (!bn_affine(bn, &s, &t, &c))
    return 0;
  dlc_value *x = bn->inputs[0];
  dlc_node *p = x->kind == DLC_VALUE_NODE ? x->producer : NULL;
  gemm_parts q;
  dlc_node *anchor = NULL;
  if (p && p->op == DLC_OP_CONV && pu_private_to(u, x, bn) &&
      !pu_has_active_epilogue(p) && conv_foldable(p, c)) {
    fold_into_conv(g, p, bn, s, t, c);
  } else if (gemm_parts_of(u, bn, &q, &anchor)) {
    build_gemm(g, anchor, &q, s, t, c);
    if (q.add)
      q.add->dead = true;
    if (q.extra)
      pu_record_fused(g, anchor, q.extra);
    absorb(g, anchor, bn);
  } else {
    dlc_node *conv = pu_uses_single(u, bn->outputs[0]);
    if (conv && conv->op == DLC_OP_CONV && conv->inputs[0] == bn->outputs[0] &&
        !pu_is_output(g, bn->outputs[0]) && conv_absorbs_input_scale(conv, c)) {
      fold_scale_into_conv(g, bn, conv, s, t);
      pu_uses_add_node(u, conv);
    } else {
      to_scale_shift(g, bn, s, t, c);
    }
  }
  free(s);
  free(t);
  return 1;
}

dlc_status dlc_pass_fold_batchnorm(dlc_graph *g, dlc_diag *d, int *changes) {
  (void)d;
  pu_uses uses;
  pu_uses_build(&uses, g);
  int count = 0;
  size_t n_nodes = g->nodes.n;
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *n = g->nodes.items[i];
    if (!n->dead && n->op == DLC_OP_BATCH_NORMALIZATION)
      count += fold_one(g, &uses, n);
  }
  pu_uses_free(&uses);
  if (count)
    pu_prune_initializers(g);
  *changes += count;
  return DLC_OK;
}
