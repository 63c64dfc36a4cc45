/* infer.c — graph-level shape inference. Walks the sorted nodes, runs each
 * operator's inference from the table, and propagates small integer
 * constants (Shape, Constant and arithmetic on them) by running their
 * reference kernels, so that the Shape -> Gather -> Concat -> Reshape chains
 * of PyTorch exports resolve to static shapes. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Integer results up to this many elements are computed at inference time. */
enum { MAX_PROPAGATED_ELEMENTS = 4096 };

static bool type_known(const dlc_value *v) {
  return v->type.dtype != DLC_DT_UNDEFINED;
}

static void bind_input_dims(dlc_graph *g, const dlc_dim_binding *binds,
                            int n_binds) {
  for (size_t i = 0; i < g->inputs.n; i++) {
    dlc_value *v = g->inputs.items[i];
    for (int d = 0; d < v->type.rank; d++) {
      if (!v->sym[d])
        continue;
      v->type.dims[d] = 1;
      for (int b = 0; b < n_binds; b++)
        if (strcmp(binds[b].name, v->sym[d]) == 0)
          v->type.dims[d] = binds[b].value;
    }
  }
}

/* Whether the node's outputs should be computed now: every input known as
 * data (Shape needs only its input's type) and the results small integers,
 * or a Constant. */
static bool should_propagate(const dlc_node *n) {
  if (n->op == DLC_OP_CONSTANT || n->op == DLC_OP_SHAPE)
    return true;
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] && !n->inputs[i]->type.data)
      return false;
  for (int i = 0; i < n->n_outputs; i++) {
    const dlc_tensor *t = &n->outputs[i]->type;
    if (t->dtype != DLC_DT_INT64 && t->dtype != DLC_DT_INT32 &&
        t->dtype != DLC_DT_UINT8) /* bool results of Equal, Where... */
      return false;
    int64_t e = dlc_tensor_numel(t);
    if (e < 0 || e > MAX_PROPAGATED_ELEMENTS)
      return false;
  }
  return true;
}

static void propagate_constant(dlc_graph *g, dlc_node *n, dlc_op_ctx *c,
                               dlc_diag *d) {
  for (int i = 0; i < n->n_outputs; i++) {
    size_t bytes = dlc_tensor_nbytes(&c->out[i]);
    c->out[i].data = dlc_arena_alloc(g->arena, bytes ? bytes : 1);
  }
  c->diag = d;
  if (!dlc_op_get_info(n->op)->kernel(c))
    return;
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i])
      n->outputs[i]->type.data = c->out[i].data;
}

/* Operators' inference functions index their inputs and outputs by the
 * table's arity: a node outside it (a frontend bug or a hostile model that
 * slipped through) is refused here rather than read out of bounds. */
static bool arity_ok(const dlc_node *n, dlc_diag *d) {
  const dlc_op_info *info = dlc_op_get_info(n->op);
  int ins = dlc_node_op_inputs(n);
  if (ins >= info->min_inputs && ins <= info->max_inputs &&
      n->n_outputs >= info->min_outputs && n->n_outputs <= info->max_outputs)
    return true;
  char where[512];
  snprintf(where, sizeof where, "node '%s' (%s)", n->name, info->name);
  dlc_diag_error(d, where,
                 "has %d inputs and %d outputs; %s takes %d to %d inputs and "
                 "produces %d to %d outputs",
                 ins, n->n_outputs, info->name, info->min_inputs,
                 info->max_inputs, info->min_outputs, info->max_outputs);
  return false;
}

static bool infer_node(dlc_graph *g, dlc_node *n, dlc_diag *d) {
  if (!arity_ok(n, d))
    return false;
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] && !type_known(n->inputs[i]))
      return false; /* upstream failure, already reported */
  const dlc_tensor *inptr[n->n_inputs + 1];
  dlc_tensor tout[n->n_outputs + 1];
  dlc_op_ctx c;
  dlc_op_ctx_from_node(&c, n, inptr, tout, d);
  for (int i = 0; i < n->n_outputs; i++)
    tout[i] = (dlc_tensor){0};
  if (!dlc_op_get_info(n->op)->infer(&c) || c.errors)
    return false;
  for (int i = 0; i < n->n_outputs; i++) {
    if (!n->outputs[i])
      continue;
    if (dlc_tensor_numel(&tout[i]) < 0) {
      char where[512];
      snprintf(where, sizeof where, "node '%s' (%s)", n->name,
               dlc_op_name(n->op));
      dlc_diag_error(d, where, "output %d has an element count that overflows",
                     i);
      return false;
    }
    n->outputs[i]->type = tout[i];
    n->outputs[i]->type.data = NULL;
  }
  if (should_propagate(n))
    propagate_constant(g, n, &c, d);
  return true;
}

dlc_status dlc_graph_infer_shapes(dlc_graph *g, const dlc_dim_binding *binds,
                                  int n_binds, dlc_diag *d) {
  bind_input_dims(g, binds, n_binds);
  for (size_t i = 0; i < g->nodes.n; i++) {
    dlc_node *n = g->nodes.items[i];
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k])
        n->outputs[k]->type = (dlc_tensor){0};
  }
  int before = dlc_diag_count(d);
  bool ok = true;
  for (size_t i = 0; i < g->nodes.n; i++) {
    dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    if (!infer_node(g, n, d))
      ok = false;
  }
  if (!ok && dlc_diag_count(d) == before)
    dlc_diag_error(d, "", "shape inference failed");
  return ok ? DLC_OK : DLC_ERR_INVALID;
}
