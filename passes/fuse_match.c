/* fuse_match.c — activation matching for the fusion passes (fuse_match.h). */
#include <math.h>

#include "fuse_match.h"

/* v * Sigmoid(v): v read twice, by a Sigmoid and by the Mul that also reads
 * the Sigmoid's output. */
static bool match_silu(const pu_uses *u, dlc_value *v, fm_act *m) {
  dlc_node *readers[3];
  if (pu_uses_count(u, v) != 2 || pu_uses_nodes(u, v, readers, 3) != 2)
    return false;
  dlc_node *sig = readers[0], *mul = readers[1];
  if (sig->op != DLC_OP_SIGMOID) {
    sig = readers[1];
    mul = readers[0];
  }
  if (sig->op != DLC_OP_SIGMOID || mul->op != DLC_OP_MUL)
    return false;
  dlc_value *s = sig->outputs[0];
  bool pair = (mul->inputs[0] == v && mul->inputs[1] == s) ||
              (mul->inputs[1] == v && mul->inputs[0] == s);
  if (!pair || !pu_private_to(u, s, mul) ||
      !dlc_tensor_same_shape(&mul->outputs[0]->type, &v->type))
    return false;
  m->act.kind = DLC_ACT_SILU;
  m->nodes[0] = sig;
  m->nodes[1] = mul;
  m->n_nodes = 2;
  m->out = mul->outputs[0];
  return true;
}

/* Clip's bounds: constant scalars, or absent (no bound). */
static bool clip_bounds(const dlc_node *c, fm_act *m) {
  double lo = -INFINITY, hi = INFINITY;
  if (c->n_inputs > 1 && c->inputs[1] && !pu_const_scalar(c->inputs[1], &lo))
    return false;
  if (c->n_inputs > 2 && c->inputs[2] && !pu_const_scalar(c->inputs[2], &hi))
    return false;
  m->act.alpha = (float)lo;
  m->act.beta = (float)hi;
  return true;
}

static bool prelu_slope(const dlc_node *c, const dlc_value *v, fm_act *m) {
  dlc_value *s = c->inputs[1];
  if (!pu_const_f32(s) || !pu_broadcasts_into(&s->type, &v->type))
    return false;
  m->slope = s;
  return true;
}

/* The activation kind of c (and its parameters), or false. */
static bool act_of(const dlc_node *c, const dlc_value *v, fm_act *m) {
  switch (c->op) {
  case DLC_OP_RELU: m->act.kind = DLC_ACT_RELU; return true;
  case DLC_OP_SIGMOID: m->act.kind = DLC_ACT_SIGMOID; return true;
  case DLC_OP_TANH: m->act.kind = DLC_ACT_TANH; return true;
  case DLC_OP_HARD_SWISH: m->act.kind = DLC_ACT_HARD_SWISH; return true;
  case DLC_OP_LEAKY_RELU:
    m->act.kind = DLC_ACT_LEAKY_RELU;
    m->act.alpha = (float)dlc_node_get_float(c, "alpha");
    return true;
  case DLC_OP_ELU:
    m->act.kind = DLC_ACT_ELU;
    m->act.alpha = (float)dlc_node_get_float(c, "alpha");
    return true;
  case DLC_OP_HARD_SIGMOID:
    m->act.kind = DLC_ACT_HARD_SIGMOID;
    m->act.alpha = (float)dlc_node_get_float(c, "alpha");
    m->act.beta = (float)dlc_node_get_float(c, "beta");
    return true;
  case DLC_OP_CLIP: m->act.kind = DLC_ACT_CLIP; return clip_bounds(c, m);
  case DLC_OP_PRELU: m->act.kind = DLC_ACT_PRELU; return prelu_slope(c, v, m);
  default: return false;
  }
}

bool fm_match_activation(const dlc_graph *g, const pu_uses *u, dlc_value *v,
                         fm_act *m) {
  *m = (fm_act){0};
  m->act.slope_input = -1;
  if (pu_is_output(g, v) || v->type.dtype != DLC_DT_FLOAT32)
    return false;
  if (match_silu(u, v, m))
    return true;
  dlc_node *c = pu_uses_single(u, v);
  if (!c || c->inputs[0] != v || c->epilogue || !act_of(c, v, m))
    return false;
  m->nodes[0] = c;
  m->n_nodes = 1;
  m->out = c->outputs[0];
  return dlc_tensor_same_shape(&m->out->type, &v->type);
}

bool fm_node_activation(dlc_node *c, fm_act *m) {
  *m = (fm_act){0};
  m->act.slope_input = -1;
  dlc_value *v = c->n_inputs > 0 ? c->inputs[0] : NULL;
  if (!v || c->epilogue || v->type.dtype != DLC_DT_FLOAT32 || !act_of(c, v, m))
    return false;
  m->nodes[0] = c;
  m->n_nodes = 1;
  m->out = c->outputs[0];
  return dlc_tensor_same_shape(&m->out->type, &v->type);
}
