/* simplify_patterns.c — pass simplify_patterns: three rewrites of
 * multi-node idioms into the single operator they spell.
 *
 * Requires: a sorted graph with inferred shapes; constants folded (the
 *   patterns read Reshape targets, scalars and biases as initializers).
 * Guarantees, each intermediate value being private to the pattern (one
 *   reader, not a graph output):
 *   - channel shuffle: Reshape X (N, C, H, W) -> (N, g, C/g, H, W),
 *     Transpose perm (0, 2, 1, 3, 4), Reshape back to (N, C, H, W) is one
 *     dlc ChannelShuffle(X) group=g;
 *   - Gelu: x * 0.5 * (1 + Erf(x / sqrt 2)) in any of the association
 *     orders PyTorch and hand-written models use — (x * p) * 0.5,
 *     x * (p * 0.5), (x * 0.5) * p with p = Erf(x / sqrt 2) + 1, either
 *     operand order everywhere, and Mul by 1/sqrt 2 instead of Div — is one
 *     dlc Gelu(x) (constants matched to a relative 1e-4);
 *   - MatMul A (M, K) x B (K, N) followed by Add of a constant bias of
 *     shape (N) or (1, N) is Gemm(A, B, bias).
 * Invalidates: the order (the pipeline re-sorts); unused constants are
 *   removed.
 */
#include <math.h>

#include "pass_util.h"

/* ---------------------------------------------------------- ChannelShuffle */

static bool dims_are(const dlc_value *v, int rank, const int64_t *dims) {
  if (v->type.rank != rank)
    return false;
  for (int i = 0; i < rank; i++)
    if (v->type.dims[i] != dims[i])
      return false;
  return true;
}

static int try_channel_shuffle(dlc_graph *g, pu_uses *u, dlc_node *r1) {
  dlc_value *x = r1->inputs[0], *a = r1->outputs[0];
  const dlc_tensor *xt = &x->type;
  if (xt->rank != 4 || a->type.rank != 5)
    return 0;
  int64_t grp = a->type.dims[1];
  int64_t want[5] = {xt->dims[0], grp, grp ? xt->dims[1] / grp : 0,
                     xt->dims[2], xt->dims[3]};
  dlc_node *tr = pu_uses_single(u, a);
  if (grp < 1 || xt->dims[1] % grp || !dims_are(a, 5, want) || !tr ||
      tr->op != DLC_OP_TRANSPOSE || !pu_private_to(u, a, tr))
    return 0;
  const int64_t *perm;
  static const int64_t swap12[5] = {0, 2, 1, 3, 4};
  if (dlc_node_get_ints(tr, "perm", &perm) != 5)
    return 0;
  for (int i = 0; i < 5; i++)
    if (perm[i] != swap12[i])
      return 0;
  dlc_value *b = tr->outputs[0];
  dlc_node *r2 = pu_uses_single(u, b);
  if (!r2 || r2->op != DLC_OP_RESHAPE || !pu_private_to(u, b, r2) ||
      !dims_are(r2->outputs[0], 4, xt->dims))
    return 0;
  r1->dead = tr->dead = r2->dead = true;
  dlc_node *n = pu_add_node_for(g, r2->name, DLC_OP_CHANNEL_SHUFFLE, 1, &x,
                                r2->outputs[0]);
  dlc_node_set_int(g, n, "group", grp);
  pu_uses_add_node(u, n);
  return 1;
}

/* ------------------------------------------------------------------ Gelu */

static bool is_const_near(const dlc_value *v, double want) {
  double c;
  return pu_const_scalar(v, &c) && pu_near(c, want, 1e-4);
}

/* The other input of binary node n (which reads v), or NULL. */
static dlc_value *other_input(const dlc_node *n, const dlc_value *v) {
  if (n->n_inputs != 2)
    return NULL;
  if (n->inputs[0] == v)
    return n->inputs[1];
  return n->inputs[1] == v ? n->inputs[0] : NULL;
}

/* Mul(v, c) or Mul(c, v) with constant c ~ want. */
static bool is_scale_of(const dlc_node *n, const dlc_value *v, double want) {
  return n && n->op == DLC_OP_MUL && is_const_near(other_input(n, v), want);
}

/* x / sqrt 2 or x * (1 / sqrt 2): returns x. */
static dlc_value *erf_argument(const dlc_value *u_val) {
  if (u_val->kind != DLC_VALUE_NODE)
    return NULL;
  const dlc_node *d = u_val->producer;
  if (d->op == DLC_OP_DIV && is_const_near(d->inputs[1], sqrt(2.0)))
    return d->inputs[0];
  if (d->op == DLC_OP_MUL) {
    if (is_const_near(d->inputs[1], sqrt(0.5)))
      return d->inputs[0];
    if (is_const_near(d->inputs[0], sqrt(0.5)))
      return d->inputs[1];
  }
  return NULL;
}

typedef struct gelu_match {
  dlc_value *x;
  dlc_node *nodes[6];
  int n;
  dlc_value *out;
} gelu_match;

/* After p = 1 + erf(x/sqrt2): the three ways of multiplying x, p and 0.5. */
static bool match_gelu_tail(const pu_uses *u, dlc_value *p, gelu_match *m) {
  dlc_value *x = m->x;
  dlc_node *m1 = pu_uses_single(u, p);
  if (!m1 || m1->op != DLC_OP_MUL || !pu_private_to(u, p, m1))
    return false;
  dlc_value *o = other_input(m1, p), *q = m1->outputs[0];
  m->nodes[m->n++] = m1;
  dlc_node *m2 = pu_uses_single(u, q);
  if (o == x && pu_private_to(u, q, m2) && is_scale_of(m2, q, 0.5)) {
    m->nodes[m->n++] = m2; /* (x * p) * 0.5 */
    m->out = m2->outputs[0];
    return true;
  }
  if (is_const_near(o, 0.5) && pu_private_to(u, q, m2) && m2->op == DLC_OP_MUL &&
      other_input(m2, q) == x) {
    m->nodes[m->n++] = m2; /* x * (p * 0.5) */
    m->out = m2->outputs[0];
    return true;
  }
  if (o && o->kind == DLC_VALUE_NODE && pu_private_to(u, o, m1) &&
      is_scale_of(o->producer, x, 0.5)) {
    m->nodes[m->n++] = o->producer; /* (x * 0.5) * p */
    m->out = q;
    return true;
  }
  return false;
}

static int try_gelu(dlc_graph *g, pu_uses *u, dlc_node *erf) {
  gelu_match m = {0};
  dlc_value *arg = erf->inputs[0], *e = erf->outputs[0];
  m.x = erf_argument(arg);
  if (!m.x || !pu_private_to(u, arg, erf))
    return 0;
  dlc_node *add = pu_uses_single(u, e);
  if (!add || add->op != DLC_OP_ADD || !pu_private_to(u, e, add) ||
      !is_const_near(other_input(add, e), 1.0))
    return 0;
  m.nodes[m.n++] = arg->producer;
  m.nodes[m.n++] = erf;
  m.nodes[m.n++] = add;
  if (!match_gelu_tail(u, add->outputs[0], &m) ||
      !dlc_tensor_same_shape(&m.out->type, &m.x->type))
    return 0;
  for (int i = 0; i < m.n; i++)
    m.nodes[i]->dead = true;
  dlc_node *n = pu_add_node_for(g, erf->name, DLC_OP_GELU, 1, &m.x, m.out);
  pu_uses_add_node(u, n);
  return 1;
}

/* --------------------------------------------------------- MatMul + Add */

static int try_matmul_bias(dlc_graph *g, pu_uses *u, dlc_node *mm) {
  dlc_value *y = mm->outputs[0];
  if (mm->epilogue || mm->inputs[0]->type.rank != 2 ||
      mm->inputs[1]->type.rank != 2 || y->type.dtype != DLC_DT_FLOAT32)
    return 0;
  dlc_node *add = pu_uses_single(u, y);
  if (!add || add->op != DLC_OP_ADD || !pu_private_to(u, y, add))
    return 0;
  dlc_value *bias = other_input(add, y);
  int64_t n = y->type.dims[1];
  if (!pu_const_f32(bias) || dlc_tensor_numel(&bias->type) != n ||
      bias->type.rank > 2 || (bias->type.rank == 2 && bias->type.dims[0] != 1))
    return 0;
  dlc_value *in[3] = {mm->inputs[0], mm->inputs[1], bias};
  add->dead = true;
  pu_set_inputs(g, mm, 3, in);
  mm->op = DLC_OP_GEMM;
  mm->n_attrs = 0;
  pu_move_output(mm, 0, add->outputs[0]);
  pu_uses_add_node(u, mm);
  return 1;
}

dlc_status dlc_pass_simplify_patterns(dlc_graph *g, dlc_diag *d,
                                      int *changes) {
  (void)d;
  pu_uses uses;
  pu_uses_build(&uses, g);
  int count = 0;
  size_t n_nodes = g->nodes.n;
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    if (n->op == DLC_OP_RESHAPE)
      count += try_channel_shuffle(g, &uses, n);
    else if (n->op == DLC_OP_ERF)
      count += try_gelu(g, &uses, n);
    else if (n->op == DLC_OP_MAT_MUL)
      count += try_matmul_bias(g, &uses, n);
  }
  pu_uses_free(&uses);
  if (count)
    pu_prune_initializers(g);
  *changes += count;
  return DLC_OK;
}
