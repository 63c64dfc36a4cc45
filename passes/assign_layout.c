/* assign_layout.c — pass assign_layout: activations between convolutions
 * move to the channel-blocked layout NCHWc (ir/ops_blocked.c), with the
 * block the target's vector width gives (16 floats for AVX-512, 8 for
 * AVX2, 4 for NEON: dlc_pass_options.layout_block; 0 or 1: the pass does
 * nothing).
 *
 * Requires: a sorted graph with inferred shapes, after the fusion passes
 *   (a Conv's fused epilogue moves with it).
 * Guarantees: every 2-D Conv with constant float32 weights (and no fused
 *   PRelu) is a ConvNchwc whose output is blocked; its input is the
 *   blocked form of its producer's output when that exists, else the plain
 *   tensor itself (the first layer: no reorder, no 3-of-16 lanes wasted);
 *   a fused residual is blocked (a NchwToNchwc is inserted when it is not).
 *   Operators that mean the same per channel follow their input into the
 *   layout: the unary activations, Add/Sub/Mul of two blocked operands of
 *   one shape (or per-channel [N, C, 1, 1] ones, as squeeze-and-excitation
 *   multiplies), Concat on axis 1 of blocked inputs whose channel counts
 *   are multiples of the block (so no padding sits between them), MaxPool,
 *   AveragePool and the global pools (PoolNchwc). A plain value is rebuilt
 *   by one NchwcToNchw only where something still reads it plain (another
 *   operator, a graph output), so reorders sit at the graph's edges and
 *   where an operator's semantics need the plain layout (Flatten, Reshape,
 *   Softmax, Gemm, unaligned Concat or Slice of channels, ...).
 *   Padding lanes stay finite (zero from a reorder or a convolution; what
 *   a per-channel operator makes of zero, e.g. Sigmoid's 0.5): a
 *   convolution's packed weights are zero there, so they never reach a
 *   real channel (ops_blocked.c).
 * Invalidates: the order (the pipeline re-sorts and infers the blocked
 *   shapes); the replaced nodes are dead.
 */
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

typedef struct layout {
  dlc_graph *g;
  pu_uses *u;
  int64_t block;
  dlc_value **blocked; /* by value id: the blocked form, or NULL */
  size_t n_values;     /* the values before the pass (the map's size) */
  int changes;
} layout;

static dlc_value *blocked_of(const layout *l, const dlc_value *v) {
  return v && (size_t)v->id < l->n_values ? l->blocked[v->id] : NULL;
}

static bool is_f32_rank(const dlc_value *v, int rank) {
  return v && v->type.dtype == DLC_DT_FLOAT32 && v->type.rank == rank;
}

static dlc_value *new_value(layout *l, const dlc_value *plain) {
  const char *name = dlc_arena_printf(l->g->arena, "%s_nchwc", plain->name);
  dlc_value *v = dlc_graph_add_value(l->g, pu_fresh_name(l->g, name),
                                     DLC_VALUE_NODE);
  DLC_ASSERT(v != NULL);
  return v;
}

static void copy_attrs(dlc_graph *g, const dlc_node *from, dlc_node *to) {
  for (int i = 0; i < from->n_attrs; i++) {
    dlc_attr *a = dlc_node_add_attr(g, to, from->attrs[i].name,
                                    from->attrs[i].kind);
    const char *name = a->name;
    *a = from->attrs[i];
    a->name = name;
  }
}

/* Replaces n by op on the inputs given, its output 0 blocked. */
static dlc_node *replace(layout *l, dlc_node *n, dlc_op op, int n_in,
                         dlc_value *const *in) {
  dlc_value *out = new_value(l, n->outputs[0]);
  dlc_node *r = dlc_graph_add_node(l->g, n->name, op, n_in, in, 1, &out);
  r->doc = n->doc;
  copy_attrs(l->g, n, r);
  r->epilogue = n->epilogue;
  pu_uses_add_node(l->u, r);
  n->dead = true;
  l->blocked[n->outputs[0]->id] = out;
  l->changes++;
  return r;
}

/* The blocked form of v, reordered now if it has none. */
static dlc_value *to_blocked(layout *l, dlc_value *v, const char *why) {
  dlc_value *b = blocked_of(l, v);
  if (b)
    return b;
  b = new_value(l, v);
  const char *name = dlc_arena_printf(l->g->arena, "%s_to_nchwc", v->name);
  dlc_node *r = dlc_graph_add_node(l->g, pu_fresh_name(l->g, name),
                                   DLC_OP_NCHW_TO_NCHWC, 1, &v, 1, &b);
  dlc_node_set_int(l->g, r, "block", l->block);
  r->doc = why;
  pu_uses_add_node(l->u, r);
  if ((size_t)v->id < l->n_values)
    l->blocked[v->id] = b;
  l->changes++;
  return b;
}

/* --------------------------------------------------------- the operators */

static bool epilogue_blockable(const dlc_node *n) {
  const dlc_epilogue *e = n->epilogue;
  return !e || (e->act1.kind != DLC_ACT_PRELU && e->act2.kind != DLC_ACT_PRELU);
}

/* One filter per input channel. With one output per channel and a
 * blocked input it runs on the blocks (each tap one vector FMA); with a
 * plain input, or several outputs per channel, the plain kernel stays
 * (the dense blocked kernel would broadcast B lanes to use one). */
static bool is_depthwise(const dlc_node *n) {
  int64_t group = dlc_node_get_int(n, "group");
  return group > 1 && n->inputs[1]->type.dims[1] == 1;
}

static bool depthwise_blockable(const layout *l, const dlc_node *n) {
  int64_t group = dlc_node_get_int(n, "group");
  return n->inputs[1]->type.dims[0] == group && blocked_of(l, n->inputs[0]);
}

/* More than a third of the lanes padding (3 RGB planes of a 1x1 head, 10
 * classes in blocks of 16): the plain kernels do less work. */
static bool mostly_padding(int64_t channels, int64_t block) {
  return (channels + block - 1) / block * block * 2 > channels * 3;
}

static bool conv_blockable(const layout *l, const dlc_node *n) {
  const dlc_value *w = n->inputs[1];
  int ni = dlc_node_op_inputs(n);
  return is_f32_rank(n->inputs[0], 4) && is_f32_rank(w, 4) && w->type.data &&
         (!is_depthwise(n) || depthwise_blockable(l, n)) &&
         !mostly_padding(w->type.dims[0], l->block) &&
         (ni < 3 || !n->inputs[2] || n->inputs[2]->type.data) &&
         is_f32_rank(n->outputs[0], 4) && epilogue_blockable(n);
}

static void assign_conv(layout *l, dlc_node *n) {
  if (!conv_blockable(l, n))
    return;
  dlc_value *in[64];
  if (n->n_inputs > 64)
    return;
  memcpy(in, n->inputs, sizeof *in * (size_t)n->n_inputs);
  dlc_value *xb = blocked_of(l, n->inputs[0]);
  if (xb)
    in[0] = xb;
  const dlc_epilogue *e = n->epilogue;
  if (e && e->residual_input >= 0)
    in[e->residual_input] =
        to_blocked(l, n->inputs[e->residual_input],
                   "a fused residual of a blocked convolution");
  dlc_node *r = replace(l, n, DLC_OP_CONV_NCHWC, n->n_inputs, in);
  dlc_node_set_int(l->g, r, "block", l->block);
}

static bool per_channel_unary(dlc_op op) {
  switch (op) {
  case DLC_OP_RELU:
  case DLC_OP_LEAKY_RELU:
  case DLC_OP_ELU:
  case DLC_OP_SIGMOID:
  case DLC_OP_TANH:
  case DLC_OP_CLIP:
  case DLC_OP_HARD_SIGMOID:
  case DLC_OP_HARD_SWISH:
  case DLC_OP_NEG:
  case DLC_OP_ABS:
  case DLC_OP_GELU:
    return true;
  default:
    return false;
  }
}

static void assign_unary(layout *l, dlc_node *n) {
  dlc_value *xb = blocked_of(l, n->inputs[0]);
  if (!xb || n->n_outputs != 1 || !is_f32_rank(n->outputs[0], 4))
    return;
  for (int i = 1; i < n->n_inputs; i++) /* Clip's bounds: scalars */
    if (n->inputs[i] && dlc_tensor_numel(&n->inputs[i]->type) != 1)
      return;
  dlc_value *in[3] = {xb, NULL, NULL};
  for (int i = 1; i < n->n_inputs && i < 3; i++)
    in[i] = n->inputs[i];
  replace(l, n, n->op, n->n_inputs, in);
}

/* [N, C, 1, 1] beside [N, C, H, W]: both blocked broadcast the same way. */
static bool per_channel_of(const dlc_tensor *s, const dlc_tensor *x) {
  return s->rank == 4 && s->dims[0] == x->dims[0] && s->dims[1] == x->dims[1] &&
         s->dims[2] == 1 && s->dims[3] == 1;
}

static bool operands_match(const dlc_tensor *a, const dlc_tensor *b) {
  return dlc_tensor_same_shape(a, b) || per_channel_of(a, b) ||
         per_channel_of(b, a);
}

static void assign_binary(layout *l, dlc_node *n) {
  dlc_value *a = blocked_of(l, n->inputs[0]), *b = blocked_of(l, n->inputs[1]);
  if (!a || !b || !is_f32_rank(n->outputs[0], 4) ||
      !operands_match(&n->inputs[0]->type, &n->inputs[1]->type))
    return;
  dlc_value *in[2] = {a, b};
  replace(l, n, n->op, 2, in);
}

static void assign_concat(layout *l, dlc_node *n) {
  int axis;
  if (!is_f32_rank(n->outputs[0], 4) ||
      !dlc_norm_axis(dlc_node_get_int(n, "axis"), 4, &axis) || axis != 1 ||
      n->n_inputs > 256)
    return;
  dlc_value *in[256];
  for (int i = 0; i < n->n_inputs; i++) {
    in[i] = blocked_of(l, n->inputs[i]);
    if (!in[i] || n->inputs[i]->type.dims[1] % l->block)
      return;
  }
  replace(l, n, DLC_OP_CONCAT, n->n_inputs, in);
}

/* ------------------------------------------ per-channel constants, steps */

/* A constant of C elements (shape [C], [C, 1, 1] or [1, C, 1, 1]) as a
 * blocked [1, Cb, 1, 1, B] constant, zero in the padding lanes. */
static dlc_value *blocked_channel_const(layout *l, const dlc_value *v,
                                        int64_t channels) {
  const float *src = pu_const_f32(v);
  if (!src || dlc_tensor_numel(&v->type) != channels)
    return NULL;
  int64_t cb = (channels + l->block - 1) / l->block;
  float *dst = calloc((size_t)(cb * l->block) + 1, sizeof *dst);
  DLC_ASSERT(dst != NULL);
  memcpy(dst, src, (size_t)channels * sizeof *dst);
  int64_t dims[5] = {1, cb, 1, 1, l->block};
  const char *name = dlc_arena_printf(l->g->arena, "%s_nchwc", v->name);
  dlc_value *c = pu_add_f32(l->g, name, 5, dims, dst);
  free(dst);
  return c;
}

/* An operand of a blocked element-wise step: a scalar, a blocked value of
 * x's shape or a per-channel one, or a per-channel constant re-laid out. */
static dlc_value *blocked_operand(layout *l, dlc_value *v, const dlc_value *x) {
  if (dlc_tensor_numel(&v->type) == 1)
    return v;
  dlc_value *b = blocked_of(l, v);
  if (b && v->type.rank == 4 && operands_match(&v->type, &x->type))
    return b;
  /* [C, 1, 1] or [1, C, 1, 1] broadcast along x's axis 1 */
  const dlc_tensor *t = &v->type;
  bool per_channel =
      (t->rank == 3 || (t->rank == 4 && t->dims[0] == 1)) &&
      t->dims[t->rank - 3] == x->type.dims[1] && t->dims[t->rank - 2] == 1 &&
      t->dims[t->rank - 1] == 1;
  return per_channel ? blocked_channel_const(l, v, x->type.dims[1]) : NULL;
}

/* Steps that keep finite padding lanes finite (no Div, Pow, Exp, Sqrt). */
static bool step_keeps_padding_finite(const char *op) {
  static const char *const ok[] = {"Relu", "LeakyRelu", "Elu", "Sigmoid",
                                   "Tanh", "Clip", "HardSigmoid", "HardSwish",
                                   "SiLU", "Gelu", "Erf", "Add", "Sub", "Mul",
                                   "PRelu"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    if (!strcmp(op, ok[i]))
      return true;
  return false;
}

static void assign_fused(layout *l, dlc_node *n) {
  dlc_value *xb = blocked_of(l, n->inputs[0]);
  const dlc_attr *ops = dlc_node_find_attr(n, "ops");
  if (!xb || !ops || !is_f32_rank(n->outputs[0], 4) || n->n_inputs > 64)
    return;
  for (int i = 0; i < ops->n; i++)
    if (!step_keeps_padding_finite(ops->strings[i]))
      return;
  dlc_value *in[64] = {xb};
  for (int i = 1; i < n->n_inputs; i++)
    if (!(in[i] = blocked_operand(l, n->inputs[i], n->inputs[0])))
      return;
  replace(l, n, DLC_OP_FUSED_ELEMENTWISE, n->n_inputs, in);
}

/* y = x * scale[c] + shift[c]: a FusedElementwise Mul, Add on blocked
 * constants. */
static void assign_scale_shift(layout *l, dlc_node *n) {
  dlc_value *xb = blocked_of(l, n->inputs[0]);
  if (!xb || !is_f32_rank(n->outputs[0], 4))
    return;
  int64_t ch = n->inputs[0]->type.dims[1];
  dlc_value *in[3] = {xb, blocked_channel_const(l, n->inputs[1], ch),
                      blocked_channel_const(l, n->inputs[2], ch)};
  if (!in[1] || !in[2])
    return;
  dlc_node *r = replace(l, n, DLC_OP_FUSED_ELEMENTWISE, 3, in);
  static const char *const steps[2] = {"Mul", "Add"};
  static const int64_t operands[2] = {1, 2}, swapped[2] = {0, 0};
  static const double zero[2] = {0, 0};
  pu_set_fused_steps(l->g, r, 2, steps, operands, swapped, zero, zero);
}

static void assign_pool(layout *l, dlc_node *n) {
  dlc_value *xb = blocked_of(l, n->inputs[0]);
  if (!xb || !is_f32_rank(n->outputs[0], 4) ||
      (n->n_outputs > 1 && n->outputs[1]))
    return;
  dlc_node *r = replace(l, n, DLC_OP_POOL_NCHWC, 1, &xb);
  dlc_node_set_string(l->g, r, "kind", dlc_op_name(n->op));
}

static void assign_node(layout *l, dlc_node *n) {
  switch (n->op) {
  case DLC_OP_CONV:
    assign_conv(l, n);
    return;
  case DLC_OP_ADD:
  case DLC_OP_SUB:
  case DLC_OP_MUL:
    assign_binary(l, n);
    return;
  case DLC_OP_CONCAT:
    assign_concat(l, n);
    return;
  case DLC_OP_FUSED_ELEMENTWISE:
    assign_fused(l, n);
    return;
  case DLC_OP_SCALE_SHIFT:
    assign_scale_shift(l, n);
    return;
  case DLC_OP_MAX_POOL:
  case DLC_OP_AVERAGE_POOL:
  case DLC_OP_GLOBAL_AVERAGE_POOL:
  case DLC_OP_GLOBAL_MAX_POOL:
    assign_pool(l, n);
    return;
  default:
    if (per_channel_unary(n->op))
      assign_unary(l, n);
  }
}

/* ------------------------------------------------------ plain readers */

/* Each replaced value something still reads plain (a live node, a graph
 * output) gets one NchwcToNchw producing it again. The consumer lists
 * answer "still read" (every node this pass adds is registered there);
 * scanning the graph per value made the pass quadratic on long chains. */
static void rebuild_plain(layout *l) {
  for (size_t id = 0; id < l->n_values; id++) {
    dlc_value *b = l->blocked[id], *v = l->g->values.items[id];
    if (!b || v->kind != DLC_VALUE_NODE || !v->producer ||
        !v->producer->dead ||
        (!v->is_output && pu_uses_count(l->u, v) == 0))
      continue;
    const char *name = dlc_arena_printf(l->g->arena, "%s_to_nchw", v->name);
    dlc_node *r = pu_add_node_for(l->g, pu_fresh_name(l->g, name),
                                  DLC_OP_NCHWC_TO_NCHW, 1, &b, v);
    dlc_node_set_int(l->g, r, "channels", v->type.dims[1]);
    r->doc = pu_is_output(l->g, v) ? "a graph output is plain"
                                   : "read by an operator that needs NCHW";
    l->changes++;
  }
}

dlc_status dlc_pass_assign_layout(dlc_graph *g, const dlc_pass_options *o,
                                  dlc_diag *d, int *changes) {
  (void)d;
  if (o->layout_block <= 1)
    return DLC_OK;
  pu_uses u;
  pu_uses_build(&u, g);
  layout l = {.g = g, .u = &u, .block = o->layout_block,
              .n_values = g->values.n};
  l.blocked = calloc(l.n_values + 1, sizeof *l.blocked);
  DLC_ASSERT(l.blocked != NULL);
  size_t n_nodes = g->nodes.n; /* the nodes added are already blocked */
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *n = g->nodes.items[i];
    if (!n->dead && !dlc_node_is_folded(n))
      assign_node(&l, n);
  }
  rebuild_plain(&l);
  free(l.blocked);
  pu_uses_free(&u);
  *changes += l.changes;
  return DLC_OK;
}
