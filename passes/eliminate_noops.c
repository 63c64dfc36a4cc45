/* eliminate_noops.c — pass eliminate_noops.
 *
 * Requires: a sorted graph with inferred shapes.
 * Guarantees: no Dropout (without a used mask output) and no node that
 *   copies its input unchanged survives — Identity, Reshape / Flatten /
 *   Squeeze / Unsqueeze whose output shape equals the input's under every
 *   binding of the symbolic dims, Transpose with the identity permutation,
 *   Pad whose pads are all zero, Slice with positive steps that keeps the
 *   whole shape — except where it copies a graph input or initializer (or
 *   another graph output) into a graph output: that copy must happen, so
 *   the node stays as an Identity. When the removed node's output is a
 *   graph output and its input is private to it, the input's producer is
 *   made to produce the output value instead (the output keeps its name).
 *   Dead nodes (no output read, none a graph output) and unused
 *   initializers are removed.
 * Invalidates: nothing; consumers are rewired to the surviving values.
 */
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

static bool all_const_ints(const dlc_value *v, int64_t want, bool positive) {
  if (!v || v->kind != DLC_VALUE_INITIALIZER || !v->type.data)
    return false;
  int64_t n = dlc_tensor_numel(&v->type);
  for (int64_t i = 0; i < n; i++) {
    int64_t x = dlc_tensor_get_int(&v->type, i);
    if (positive ? x <= 0 : x != want)
      return false;
  }
  return true;
}

static bool identity_perm(const dlc_node *n) {
  const int64_t *perm;
  int count = dlc_node_get_ints(n, "perm", &perm);
  int rank = n->inputs[0]->type.rank;
  if (count == 0)
    return rank <= 1; /* the default reverses the axes */
  for (int i = 0; i < count; i++)
    if (perm[i] != i)
      return false;
  return true;
}

static bool dropout_mask_used(const pu_uses *u, const dlc_node *n) {
  return n->n_outputs > 1 && n->outputs[1] &&
         (pu_uses_count(u, n->outputs[1]) > 0 || pu_is_output(u->g, n->outputs[1]));
}

/* Whether n's output 0 is its input 0, element for element. */
static bool is_noop(const dlc_node *n, const pu_uses *u, const pu_probe *p) {
  const dlc_value *x = n->n_inputs > 0 ? n->inputs[0] : NULL;
  const dlc_value *y = n->outputs[0];
  if (!x || !y || pu_has_active_epilogue(n))
    return false;
  switch (n->op) {
  case DLC_OP_IDENTITY: return true;
  case DLC_OP_DROPOUT: return !dropout_mask_used(u, n);
  case DLC_OP_TRANSPOSE: return identity_perm(n);
  case DLC_OP_PAD: return all_const_ints(n->inputs[1], 0, false);
  case DLC_OP_SLICE:
    return pu_probe_same_shape(p, x, y) &&
           (n->n_inputs < 5 || !n->inputs[4] ||
            all_const_ints(n->inputs[4], 0, true));
  default: /* the other views: Reshape, Flatten, Squeeze, Unsqueeze */
    return dlc_op_is_view(n->op) && pu_probe_same_shape(p, x, y);
  }
}

/* Turns n into Identity(x) -> y: the copy into a graph output stays. */
static int make_identity(dlc_graph *g, dlc_node *n, pu_uses *u) {
  if (n->op == DLC_OP_IDENTITY)
    return 0;
  dlc_value *x = n->inputs[0];
  pu_set_inputs(g, n, 1, &x);
  pu_uses_add_node(u, n);
  n->op = DLC_OP_IDENTITY;
  n->n_attrs = 0;
  n->n_outputs = 1;
  return 1;
}

/* Removes the no-op n: y's readers read x. Returns the rewrites made. */
static int remove_noop(dlc_graph *g, dlc_node *n, pu_uses *u) {
  dlc_value *x = n->inputs[0], *y = n->outputs[0];
  if (!pu_is_output(g, y)) {
    pu_uses_replace(u, y, x);
    n->dead = true;
    return 1;
  }
  /* y must stay the graph output's value: hand it to x's producer when x
   * exists only for n. */
  if (pu_private_to(u, x, n) && pu_uses_count(u, y) == 0) {
    dlc_node *p = x->producer;
    n->dead = true;
    pu_move_output(p, x->producer_slot, y);
    return 1;
  }
  return make_identity(g, n, u);
}

/* Kills nodes none of whose outputs is read or is a graph output, from the
 * last to the first so that whole dead chains go in one sweep. */
static int remove_dead(dlc_graph *g, pu_uses *u) {
  int removed = 0;
  for (size_t i = g->nodes.n; i-- > 0;) {
    dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    bool used = false;
    for (int k = 0; k < n->n_outputs && !used; k++)
      used = n->outputs[k] && (pu_uses_count(u, n->outputs[k]) > 0 ||
                               pu_is_output(g, n->outputs[k]));
    if (!used) {
      n->dead = true;
      removed++;
    }
  }
  return removed;
}

dlc_status dlc_pass_eliminate_noops(dlc_graph *g, dlc_diag *d, int *changes) {
  (void)d;
  pu_probe probe;
  pu_probe_create(&probe, g);
  pu_uses uses;
  pu_uses_build(&uses, g);
  int count = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    dlc_node *n = g->nodes.items[i];
    if (!n->dead && is_noop(n, &uses, &probe))
      count += remove_noop(g, n, &uses);
  }
  count += remove_dead(g, &uses);
  count += pu_prune_initializers(g);
  pu_uses_free(&uses);
  pu_probe_free(&probe);
  *changes += count;
  return DLC_OK;
}
