/* verify.c — structural checks of a graph, run after the frontend and (with
 * --verify-each) after every pass: arity and attributes against the operator
 * table, single definitions, topological order, typed values, outputs, and
 * the format's one rule about uses (a Dropout's mask is never read). Every
 * problem is reported, not only the first. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static void node_where(const dlc_node *n, char *buf, size_t size) {
  snprintf(buf, size, "node '%s' (%s)", n->name, dlc_op_name(n->op));
}

static void verify_arity(const dlc_node *n, const char *where, dlc_diag *d) {
  const dlc_op_info *info = dlc_op_get_info(n->op);
  int op_inputs = dlc_node_op_inputs(n);
  if (op_inputs < info->min_inputs || op_inputs > info->max_inputs)
    dlc_diag_error(d, where, "has %d inputs; %s takes %d to %d", op_inputs,
                   info->name, info->min_inputs, info->max_inputs);
  if (n->n_outputs < info->min_outputs || n->n_outputs > info->max_outputs)
    dlc_diag_error(d, where, "has %d outputs; %s produces %d to %d",
                   n->n_outputs, info->name, info->min_outputs,
                   info->max_outputs);
  /* Required (non-optional) inputs: the first min_inputs may not be omitted,
   * except that ops with optional middle inputs (Resize) check themselves. */
  for (int i = 0; i < op_inputs && i < info->min_inputs; i++)
    if (!n->inputs[i])
      dlc_diag_error(d, where, "required input %d is missing", i);
}

static void verify_attrs(const dlc_node *n, const char *where, dlc_diag *d) {
  for (int i = 0; i < n->n_attrs; i++) {
    const dlc_attr *a = &n->attrs[i];
    const dlc_attr_schema *s = dlc_op_find_attr_schema(n->op, a->name);
    if (!s) {
      dlc_diag_error(d, where, "unknown attribute '%s' for %s", a->name,
                     dlc_op_name(n->op));
      continue;
    }
    bool ok = a->kind == s->kind ||
              (s->kind == DLC_ATTR_FLOAT && a->kind == DLC_ATTR_INT);
    if (!ok)
      dlc_diag_error(d, where, "attribute '%s' must be %s, not %s", a->name,
                     dlc_attr_kind_name(s->kind), dlc_attr_kind_name(a->kind));
  }
  for (const dlc_attr_schema *s = dlc_op_get_info(n->op)->attrs; s->name; s++)
    if (s->required && !dlc_node_find_attr(n, s->name))
      dlc_diag_error(d, where, "required attribute '%s' is missing", s->name);
}

static void verify_edges(const dlc_node *n, const char *where, dlc_diag *d) {
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (!v)
      continue;
    if (v->kind == DLC_VALUE_NODE) {
      if (!v->producer || v->producer->dead)
        dlc_diag_error(d, where, "input '%s' has no producer", v->name);
      else if (v->producer->id >= n->id)
        dlc_diag_error(d, where, "input '%s' is produced later (by '%s')",
                       v->name, v->producer->name);
    } else if (v->kind == DLC_VALUE_INITIALIZER && !v->type.data) {
      dlc_diag_error(d, where, "initializer '%s' has no data", v->name);
    }
    if (v->type.dtype == DLC_DT_UNDEFINED)
      dlc_diag_error(d, where, "input '%s' has no inferred type", v->name);
  }
  for (int i = 0; i < n->n_outputs; i++) {
    const dlc_value *v = n->outputs[i];
    if (!v)
      continue;
    if (v->producer != n || v->producer_slot != i)
      dlc_diag_error(d, where, "output '%s' is not linked to this node",
                     v->name);
    if (v->type.dtype == DLC_DT_UNDEFINED)
      dlc_diag_error(d, where, "output '%s' has no inferred type", v->name);
  }
}

static bool has_dropout_mask(const dlc_graph *g) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (!n->dead && n->op == DLC_OP_DROPOUT && n->n_outputs > 1 &&
        n->outputs[1])
      return true;
  }
  return false;
}

/* The format (dlc-graph v1) says a Dropout's mask output must be unused:
 * inference Dropout drops nothing, so a model that reads the mask was made
 * for training. A declared mask nobody reads (torch exports one) is fine. */
static void verify_dropout_masks(const dlc_graph *g, dlc_diag *d) {
  if (!has_dropout_mask(g))
    return;
  const dlc_node **reader = calloc(g->values.n + 1, sizeof *reader);
  DLC_ASSERT(reader != NULL);
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    for (int k = 0; !n->dead && k < n->n_inputs; k++)
      if (n->inputs[k] && !reader[n->inputs[k]->id])
        reader[n->inputs[k]->id] = n;
  }
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    const dlc_value *m = n->n_outputs > 1 ? n->outputs[1] : NULL;
    if (n->dead || n->op != DLC_OP_DROPOUT || !m ||
        (!reader[m->id] && !m->is_output))
      continue;
    char where[512];
    node_where(n, where, sizeof where);
    if (reader[m->id])
      dlc_diag_error(d, where, "its mask output '%s' is read by node '%s' "
                     "(%s); the mask must be unused (Dropout is inference "
                     "only)", m->name, reader[m->id]->name,
                     dlc_op_name(reader[m->id]->op));
    else
      dlc_diag_error(d, where, "its mask output '%s' is a graph output; the "
                     "mask must be unused (Dropout is inference only)",
                     m->name);
  }
  free(reader);
}

dlc_status dlc_graph_verify(const dlc_graph *g, dlc_diag *d) {
  int before = dlc_diag_count(d);
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    char where[512];
    node_where(n, where, sizeof where);
    if ((size_t)n->id != i)
      dlc_diag_error(d, where, "node id %d does not match its position %zu",
                     n->id, i);
    verify_arity(n, where, d);
    verify_attrs(n, where, d);
    verify_edges(n, where, d);
  }
  verify_dropout_masks(g, d);
  if (g->outputs.n == 0)
    dlc_diag_error(d, "outputs", "the graph has no outputs");
  for (size_t i = 0; i < g->outputs.n; i++) {
    const dlc_value *v = g->outputs.items[i];
    char where[64];
    snprintf(where, sizeof where, "outputs[%zu]", i);
    if (v->kind == DLC_VALUE_NODE && (!v->producer || v->producer->dead))
      dlc_diag_error(d, where, "output '%s' is never produced", v->name);
  }
  return dlc_diag_count(d) == before ? DLC_OK : DLC_ERR_INVALID;
}
