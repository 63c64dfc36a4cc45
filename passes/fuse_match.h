/* fuse_match.h — private to passes/: recognising an activation applied to
 * a value, shared by fuse_epilogues (activations into a Conv/Gemm's
 * epilogue) and fuse_elementwise (activations as steps of a loop). */
#ifndef DLC_FUSE_MATCH_H
#define DLC_FUSE_MATCH_H

#include "pass_util.h"

/* An activation found after a value: the nodes that compute it (one, or
 * Sigmoid + Mul for SiLU) and the value they produce. */
typedef struct fm_act {
  dlc_activation act;
  dlc_node *nodes[2];
  int n_nodes;
  dlc_value *out;
  dlc_value *slope; /* PRelu's constant slope */
} fm_act;

/* True when v (not a graph output) is read only by an activation that the
 * epilogue can express: Relu, Clip (constant bounds), LeakyRelu, PRelu
 * (constant slope broadcasting into v), Sigmoid, Tanh, HardSigmoid,
 * HardSwish, Elu, or v * Sigmoid(v) (SiLU: v read by exactly those two
 * nodes, the Sigmoid's output only by the Mul). */
bool fm_match_activation(const dlc_graph *g, const pu_uses *u, dlc_value *v,
                         fm_act *m);

/* The activation node c computes on its input 0 (any readers), or false.
 * Fills m->act, m->slope, m->nodes = {c}, m->out. */
bool fm_node_activation(dlc_node *c, fm_act *m);

#endif
