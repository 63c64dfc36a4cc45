/* stats.c — the numbers behind `dlc stats`: per node its parameter count,
 * MACs (from the operator table), activation bytes, and the receptive field
 * and jump of its output with respect to the graph inputs; plus totals.
 *
 * Receptive field (RF) and jump follow the usual recurrence along chains of
 * Conv / MaxPool / AveragePool, per spatial dimension:
 *   k_eff    = dilation * (k - 1) + 1
 *   rf_out   = rf_in + (k_eff - 1) * jump_in
 *   jump_out = jump_in * stride
 * starting from rf = jump = 1 at every graph input of rank >= 3 (N, C,
 * spatial...) of a graph that has a convolution or pooling at all.
 * Decisions for the other operators:
 *   - element-wise ops, BatchNormalization, Dropout, Identity, Pad, Concat,
 *     Split and unit-step Slice carry their input's values; where several
 *     inputs have one (residual Add, Concat, Mul) the maximum RF and the
 *     maximum jump are taken, per dimension;
 *   - ConvTranspose with stride s: an output pixel sees ceil(k_eff / s)
 *     input pixels, so rf_out = rf_in + (ceil(k_eff / s) - 1) * jump_in and
 *     jump_out = jump_in / s when that divides exactly (else undefined);
 *   - Resize, DepthToSpace, InstanceNormalization and strided Slice keep a
 *     spatial map the recurrence does not model: undefined, and a merge
 *     with an undefined input is undefined too;
 *   - everything else (global pools, Flatten, Gemm, MatMul, Reshape,
 *     Transpose, Softmax, ...) ends the chain: no RF, and such values (like
 *     constants) are ignored where branches merge, so an SE block's
 *     channel scale does not hide the RF of the feature map it scales. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ------------------------------------------------- receptive field rules */

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static dlc_rf rf_of(dlc_rf_state state, int n_spatial) {
  dlc_rf r;
  memset(&r, 0, sizeof r);
  r.state = state;
  r.n_spatial = n_spatial;
  return r;
}

/* Max over the inputs that have an RF; UNKNOWN if any is unknown or has a
 * different number of spatial dims than the output. */
static dlc_rf rf_merge(const dlc_node *n, const dlc_rf *rf, int out_spatial) {
  dlc_rf r = rf_of(DLC_RF_NONE, out_spatial);
  for (int i = 0; i < n->n_inputs; i++) {
    if (!n->inputs[i])
      continue;
    const dlc_rf *in = &rf[n->inputs[i]->id];
    if (in->state == DLC_RF_NONE)
      continue;
    if (in->state == DLC_RF_UNKNOWN || in->n_spatial != out_spatial)
      return rf_of(DLC_RF_UNKNOWN, out_spatial);
    for (int k = 0; k < out_spatial; k++) {
      r.rf[k] = r.state == DLC_RF_KNOWN ? max64(r.rf[k], in->rf[k]) : in->rf[k];
      r.jump[k] =
          r.state == DLC_RF_KNOWN ? max64(r.jump[k], in->jump[k]) : in->jump[k];
    }
    r.state = DLC_RF_KNOWN;
  }
  return r;
}

/* Conv, pools and ConvTranspose: one step of the recurrence. */
/* The window's kernel, strides and dilations: the geometry shape inference
 * computed (ir's dlc_window_of). */
static dlc_rf rf_window(const dlc_node *n, const dlc_rf *in, int out_spatial) {
  if (in->state != DLC_RF_KNOWN)
    return rf_of(in->state, out_spatial);
  int ns = in->n_spatial;
  dlc_window w;
  if (ns != out_spatial || !dlc_window_of(n, &w) || w.ns != ns)
    return rf_of(DLC_RF_UNKNOWN, out_spatial);
  const int64_t *stride = w.s, *dil = w.d;
  dlc_rf r = rf_of(DLC_RF_KNOWN, ns);
  for (int k = 0; k < ns; k++) {
    int64_t k_eff = dil[k] * (w.k[k] - 1) + 1;
    if (n->op != DLC_OP_CONV_TRANSPOSE) {
      r.rf[k] = in->rf[k] + (k_eff - 1) * in->jump[k];
      r.jump[k] = in->jump[k] * stride[k];
    } else if (in->jump[k] % stride[k] == 0) {
      int64_t taps = (k_eff + stride[k] - 1) / stride[k];
      r.rf[k] = in->rf[k] + (taps - 1) * in->jump[k];
      r.jump[k] = in->jump[k] / stride[k];
    } else {
      return rf_of(DLC_RF_UNKNOWN, out_spatial);
    }
  }
  return r;
}

/* True when a Slice has no steps input or only unit steps. */
static bool slice_unit_steps(const dlc_node *n) {
  if (n->n_inputs < 5 || !n->inputs[4])
    return true;
  const dlc_tensor *steps = &n->inputs[4]->type;
  if (!steps->data)
    return false;
  for (int64_t i = 0; i < dlc_tensor_numel(steps); i++)
    if (dlc_tensor_get_int(steps, i) != 1)
      return false;
  return true;
}

static bool is_window_op(dlc_op op) {
  return op == DLC_OP_CONV || op == DLC_OP_CONV_TRANSPOSE ||
         op == DLC_OP_MAX_POOL || op == DLC_OP_AVERAGE_POOL;
}

/* The RF of node n's outputs given the RFs of all values so far. */
static dlc_rf rf_node(const dlc_node *n, const dlc_rf *rf) {
  int out_rank =
      n->n_outputs > 0 && n->outputs[0] ? n->outputs[0]->type.rank : 0;
  int ns = out_rank - 2;
  if (ns < 1 || ns > DLC_RF_MAX_SPATIAL)
    return rf_of(DLC_RF_NONE, 0);
  const dlc_rf *in0 =
      n->n_inputs > 0 && n->inputs[0] ? &rf[n->inputs[0]->id] : NULL;
  if (is_window_op(n->op))
    return in0 ? rf_window(n, in0, ns) : rf_of(DLC_RF_NONE, ns);
  switch (n->op) {
  case DLC_OP_BATCH_NORMALIZATION:
  case DLC_OP_DROPOUT:
  case DLC_OP_IDENTITY:
  case DLC_OP_PAD:
  case DLC_OP_CONCAT:
  case DLC_OP_SPLIT:
    return rf_merge(n, rf, ns);
  case DLC_OP_SLICE:
    return slice_unit_steps(n) ? rf_merge(n, rf, ns)
                               : rf_of(DLC_RF_UNKNOWN, ns);
  case DLC_OP_RESIZE:
  case DLC_OP_DEPTH_TO_SPACE:
  case DLC_OP_INSTANCE_NORMALIZATION: {
    dlc_rf m = rf_merge(n, rf, ns);
    return rf_of(m.state == DLC_RF_NONE ? DLC_RF_NONE : DLC_RF_UNKNOWN, ns);
  }
  default:
    if (dlc_op_get_info(n->op)->flags & DLC_OPF_ELEMENTWISE)
      return rf_merge(n, rf, ns);
    return rf_of(DLC_RF_NONE, ns);
  }
}

/* ----------------------------------------------------- per-node numbers */

static int64_t node_activation_bytes(const dlc_node *n) {
  int64_t bytes = 0;
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i])
      bytes += (int64_t)dlc_tensor_nbytes(&n->outputs[i]->type);
  return bytes;
}

/* Elements of initializer inputs not counted before (shared weights count
 * once in the total), mirroring dlc_node_param_count. */
static int64_t node_new_params(const dlc_node *n, bool *seen) {
  int64_t total = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (!v || v->kind != DLC_VALUE_INITIALIZER || seen[v->id])
      continue;
    seen[v->id] = true;
    int64_t e = dlc_tensor_numel(&v->type);
    total += e > 0 ? e : 0;
  }
  return total;
}

/* Graph inputs of rank >= 3 start a chain (rf = jump = 1), but only in
 * graphs with a convolution or pooling: elsewhere (a transformer's (B, T, D)
 * tensors) dims 2.. are not a spatial map and an RF would be noise. */
static void rf_init_inputs(const dlc_graph *g, dlc_rf *rf) {
  bool windows = false;
  for (size_t i = 0; i < g->nodes.n && !windows; i++)
    windows = !g->nodes.items[i]->dead && is_window_op(g->nodes.items[i]->op);
  for (size_t i = 0; windows && i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    int ns = v->type.rank - 2;
    if (ns < 1 || ns > DLC_RF_MAX_SPATIAL)
      continue;
    rf[v->id] = rf_of(DLC_RF_KNOWN, ns);
    for (int k = 0; k < ns; k++)
      rf[v->id].rf[k] = rf[v->id].jump[k] = 1;
  }
}

void dlc_stats_compute(const dlc_graph *g, dlc_graph_stats *out) {
  memset(out, 0, sizeof *out);
  dlc_rf *rf = calloc(g->values.n + 1, sizeof *rf);
  bool *seen = calloc(g->values.n + 1, sizeof *seen);
  out->nodes = calloc(g->nodes.n + 1, sizeof *out->nodes);
  DLC_ASSERT(rf && seen && out->nodes);
  rf_init_inputs(g, rf);
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    dlc_node_stats *s = &out->nodes[out->n_nodes++];
    s->node = n;
    s->params = dlc_node_param_count(n);
    s->macs = dlc_node_macs(n);
    s->activation_bytes = node_activation_bytes(n);
    s->rf = rf_node(n, rf);
    /* Every output shares the first one's RF when it has the same spatial
     * rank (Split pieces, MaxPool indices); anything else ends the chain. */
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k])
        rf[n->outputs[k]->id] = n->outputs[k]->type.rank - 2 == s->rf.n_spatial
                                    ? s->rf
                                    : rf_of(DLC_RF_NONE, 0);
    out->total_params += node_new_params(n, seen);
    out->total_macs += s->macs;
    out->total_activation_bytes += s->activation_bytes;
  }
  free(rf);
  free(seen);
}

void dlc_stats_free(dlc_graph_stats *s) {
  free(s->nodes);
  memset(s, 0, sizeof *s);
}

static int by_macs_then_count(const void *a, const void *b) {
  const dlc_op_summary *x = a, *y = b;
  if (x->macs != y->macs)
    return x->macs < y->macs ? 1 : -1;
  if (x->count != y->count)
    return y->count - x->count;
  return strcmp(dlc_op_name(x->op), dlc_op_name(y->op));
}

int dlc_stats_by_op(const dlc_graph_stats *s, dlc_op_summary **out) {
  dlc_op_summary *rows = calloc((size_t)dlc_op_count(), sizeof *rows);
  DLC_ASSERT(rows != NULL);
  for (int i = 0; i < s->n_nodes; i++) {
    dlc_op_summary *r = &rows[s->nodes[i].node->op];
    r->op = s->nodes[i].node->op;
    r->count++;
    r->params += s->nodes[i].params;
    r->macs += s->nodes[i].macs;
  }
  int n = 0;
  for (int op = 0; op < dlc_op_count(); op++)
    if (rows[op].count)
      rows[n++] = rows[op];
  qsort(rows, (size_t)n, sizeof *rows, by_macs_then_count);
  *out = rows;
  return n;
}
