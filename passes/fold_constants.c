/* fold_constants.c — pass fold_constants.
 *
 * Requires: a sorted graph with inferred shapes.
 * Guarantees: every node whose inputs are all constant is gone and its
 *   outputs are initializers (named <value>_folded), evaluated with the
 *   interpreter's reference kernels (dlc_interp_eval_node). Constant means
 *   an initializer, the output of a folded node, or the output of Shape on a
 *   value whose shape does not depend on a symbolic dim — so the
 *   Shape/Gather/Unsqueeze/Concat chains PyTorch exports around Reshape fold
 *   away, while Shape of a batch-sized tensor stays (folding it would bake
 *   the batch size 1 into the model).
 * Not folded: nodes producing a graph output (a graph output stays produced
 *   by a node, so codegen's outputs are always written by a kernel; such a
 *   node keeps its now-constant inputs), and results over 16 MiB (a large
 *   constant costs more in the binary than the node costs at run time).
 * Invalidates: nothing else; unused initializers are removed at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "pass_util.h"

enum { MAX_FOLDED_BYTES = 16 << 20 };

/* Whether every output of n could be folded: not a graph output, small. */
static bool outputs_foldable(const dlc_graph *g, const dlc_node *n) {
  for (int k = 0; k < n->n_outputs; k++) {
    const dlc_value *v = n->outputs[k];
    if (!v)
      continue;
    if (pu_is_output(g, v) || v->type.dtype == DLC_DT_UNDEFINED ||
        dlc_tensor_nbytes(&v->type) > MAX_FOLDED_BYTES)
      return false;
  }
  return true;
}

static bool inputs_constant(const dlc_node *n, const pu_probe *probe) {
  if (n->op == DLC_OP_SHAPE)
    return n->inputs[0] && pu_probe_static(probe, n->inputs[0]);
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] && n->inputs[k]->kind != DLC_VALUE_INITIALIZER)
      return false;
  return true;
}

/* Evaluates n and turns each output into an initializer read by n's
 * consumers. False if the kernel refused (then the node stays). */
static bool fold_node(dlc_graph *g, dlc_node *n, pu_uses *uses) {
  const dlc_tensor *in[n->n_inputs + 1];
  dlc_tensor out[n->n_outputs + 1];
  for (int k = 0; k < n->n_inputs; k++)
    in[k] = n->inputs[k] ? &n->inputs[k]->type : NULL;
  dlc_diag quiet;
  dlc_diag_init(&quiet, "fold_constants");
  dlc_status st = dlc_interp_eval_node(n, in, out, &quiet);
  dlc_diag_free(&quiet);
  if (st != DLC_OK)
    return false;
  for (int k = 0; k < n->n_outputs; k++) {
    dlc_value *old = n->outputs[k];
    if (old) {
      char *base = dlc_arena_printf(g->arena, "%s_folded", old->name);
      dlc_value *c = dlc_graph_add_initializer(g, pu_fresh_name(g, base),
                                               &out[k], out[k].data);
      pu_uses_replace(uses, old, c);
    }
    free(out[k].data);
  }
  n->dead = true;
  return true;
}

dlc_status dlc_pass_fold_constants(dlc_graph *g, dlc_diag *d, int *changes) {
  (void)d;
  pu_probe probe;
  pu_probe_create(&probe, g);
  pu_uses uses;
  pu_uses_build(&uses, g);
  int folded = 0;
  size_t n_nodes = g->nodes.n;
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *n = g->nodes.items[i];
    if (n->dead || !inputs_constant(n, &probe) || !outputs_foldable(g, n))
      continue;
    folded += fold_node(g, n, &uses);
  }
  pu_uses_free(&uses);
  pu_probe_free(&probe);
  if (folded)
    pu_prune_initializers(g);
  *changes += folded;
  return DLC_OK;
}
