/* fuse_epilogues.c — pass fuse_epilogues.
 *
 * Requires: a sorted graph with inferred shapes (fold_batchnorm first, so
 *   that conv-bn-relu is conv-relu by now).
 * Guarantees: every float32 Conv / ConvTranspose / Gemm / MatMul ("anchor")
 *   whose output feeds, privately (one reader, not a graph output):
 *     an activation (Relu, Clip with constant bounds, LeakyRelu, PRelu with
 *     a constant slope, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, or
 *     x * Sigmoid(x) as SiLU),
 *     then an Add of another tensor of exactly the output's shape (either
 *     Add input) that does not depend on the anchor's output,
 *     then an activation,
 *   carries that work in node->epilogue: y = act2(act1(op(x)) + residual).
 *   The residual and PRelu slopes are appended to the anchor's inputs
 *   (epilogue->n_extra_inputs), the absorbed nodes are dead and the anchor
 *   produces the last absorbed node's output value. epilogue->fused lists
 *   the absorbed ONNX ops in order (after any "BatchNormalization"
 *   recorded by fold_batchnorm).
 * Invalidates: the order (the pipeline re-sorts: the anchor now reads the
 *   residual, which may have been computed after it).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "fuse_match.h"
#include "pass_util.h"

static bool is_anchor(const dlc_node *n) {
  return (n->op == DLC_OP_CONV || n->op == DLC_OP_CONV_TRANSPOSE ||
          n->op == DLC_OP_GEMM || n->op == DLC_OP_MAT_MUL) &&
         n->n_outputs == 1 && n->outputs[0] &&
         n->outputs[0]->type.dtype == DLC_DT_FLOAT32 &&
         !pu_has_active_epilogue(n);
}

/* Appends v to n's inputs as an epilogue operand; returns its index. */
static int append_input(dlc_graph *g, pu_uses *u, dlc_node *n, dlc_value *v) {
  dlc_value *in[n->n_inputs + 1];
  for (int i = 0; i < n->n_inputs; i++)
    in[i] = n->inputs[i];
  in[n->n_inputs] = v;
  pu_set_inputs(g, n, n->n_inputs + 1, in);
  n->epilogue->n_extra_inputs++;
  pu_uses_add_node(u, n);
  return n->n_inputs - 1;
}

/* Applies a matched activation to the anchor's epilogue slot. */
static void take_activation(dlc_graph *g, pu_uses *u, dlc_node *anchor,
                            const fm_act *m, dlc_activation *slot) {
  *slot = m->act;
  slot->slope_input = -1;
  if (m->act.kind == DLC_ACT_PRELU)
    slot->slope_input = append_input(g, u, anchor, m->slope);
  for (int i = 0; i < m->n_nodes; i++) {
    m->nodes[i]->dead = true;
    pu_record_fused(g, anchor, dlc_op_name(m->nodes[i]->op));
  }
  pu_move_output(anchor, 0, m->out);
}

/* True when r comes from an anchor ordered after `anchor` (directly or
 * through one activation), which will be able to take the same Add: the
 * later of two convolutions takes the residual (ResNet's main branch rather
 * than its shortcut), so the order barely moves. */
static bool later_anchor_takes(const pu_uses *u, const dlc_node *anchor,
                               const dlc_value *r) {
  for (int hop = 0; hop < 2; hop++) {
    if (r->kind != DLC_VALUE_NODE || pu_is_output(u->g, r) ||
        pu_uses_count(u, r) != 1)
      return false;
    const dlc_node *p = r->producer;
    if (is_anchor(p))
      return p->id > anchor->id;
    if (!(dlc_op_get_info(p->op)->flags & DLC_OPF_FUSABLE_ACT) ||
        p->n_inputs < 1 || !p->inputs[0])
      return false;
    r = p->inputs[0];
  }
  return false;
}

/* Add(v, r) or Add(r, v) with r of v's shape, not depending on the anchor. */
static bool match_residual(const dlc_graph *g, const pu_uses *u,
                           const dlc_node *anchor, dlc_value *v,
                           dlc_node **add, dlc_value **res) {
  dlc_node *a = pu_uses_single(u, v);
  if (!a || a->op != DLC_OP_ADD || pu_is_output(g, v) || a->n_inputs != 2)
    return false;
  dlc_value *r = a->inputs[0] == v ? a->inputs[1] : a->inputs[0];
  if (!r || r == v || r->type.dtype != DLC_DT_FLOAT32 ||
      !dlc_tensor_same_shape(&r->type, &v->type) ||
      !dlc_tensor_same_shape(&a->outputs[0]->type, &v->type) ||
      pu_depends_on(g, r, anchor) || later_anchor_takes(u, anchor, r))
    return false;
  *add = a;
  *res = r;
  return true;
}

static int fuse_anchor(dlc_graph *g, pu_uses *u, dlc_node *anchor) {
  int fused = 0;
  fm_act m;
  /* fused[8] holds BatchNormalization, two SiLUs (Sigmoid, Mul) and Add. */
  if (fm_match_activation(g, u, anchor->outputs[0], &m)) {
    pu_ensure_epilogue(g, anchor);
    take_activation(g, u, anchor, &m, &anchor->epilogue->act1);
    fused++;
  }
  dlc_node *add;
  dlc_value *res;
  if (!match_residual(g, u, anchor, anchor->outputs[0], &add, &res))
    return fused;
  pu_ensure_epilogue(g, anchor);
  anchor->epilogue->residual_input = append_input(g, u, anchor, res);
  add->dead = true;
  pu_record_fused(g, anchor, "Add");
  pu_move_output(anchor, 0, add->outputs[0]);
  fused++;
  if (fm_match_activation(g, u, anchor->outputs[0], &m)) {
    take_activation(g, u, anchor, &m, &anchor->epilogue->act2);
    fused++;
  }
  return fused;
}

dlc_status dlc_pass_fuse_epilogues(dlc_graph *g, dlc_diag *d, int *changes) {
  (void)d;
  pu_uses uses;
  pu_uses_build(&uses, g);
  int count = 0;
  size_t n_nodes = g->nodes.n;
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *n = g->nodes.items[i];
    if (!n->dead && is_anchor(n))
      count += fuse_anchor(g, &uses, n);
  }
  pu_uses_free(&uses);
  *changes += count;
  return DLC_OK;
}
