/* ops_blocked.c — the channel-blocked activation layout (NCHWc) and the
 * dlc-domain operators that work on it, written by passes/assign_layout.c
 * (docs/operators.md, "Blocked layout"):
 *
 *   NchwToNchwc(X) block=B      [N, C, H, W] -> [N, ceil(C/B), H, W, B]:
 *                               y[n][c/B][h][w][c%B] = x[n][c][h][w], the
 *                               padding lanes (c >= C) zero
 *   NchwcToNchw(X) channels=C   the inverse; the padding lanes are dropped
 *   ConvNchwc(X, W[, B])        Conv (its attributes, plus block=B) of a
 *                               blocked X (rank 5) or a plain X (rank 4:
 *                               the first layer's 3 channels are not padded
 *                               to a block) into a blocked Y; W and B as
 *                               Conv's. The padding lanes of Y are zero,
 *                               after a fused epilogue too (ir/epilogue.c)
 *   PoolNchwc(X) kind=OP        MaxPool, AveragePool, GlobalAveragePool or
 *                               GlobalMaxPool (OP's attributes) per channel
 *                               of a blocked X, padding lanes included
 *
 * The invariant every pass that makes blocked tensors keeps: padding lanes
 * hold finite values (zero, or what a per-channel operator computes from
 * zero), so that a convolution, whose packed weights are zero there, never
 * lets them reach a real channel (0 * finite = 0).
 *
 * The reference kernels reorder into a plain temporary, run the plain
 * operator's reference kernel on a node that is this one with the plain
 * operator's identity (dlc_blocked_plain_node), and reorder back: the
 * blocked operators mean exactly what the operators they replace mean. */
#include <stdlib.h>
#include <string.h>

#include "ops_impl.h"

#define A_INT(n, d) {n, DLC_ATTR_INT, false, d, 0, NULL}
#define A_INT_REQ(n) {n, DLC_ATTR_INT, true, 0, 0, NULL}
#define A_STR(n, d) {n, DLC_ATTR_STRING, false, 0, 0, d}
#define A_STR_REQ(n) {n, DLC_ATTR_STRING, true, 0, 0, NULL}
#define A_INTS(n) {n, DLC_ATTR_INTS, false, 0, 0, NULL}
#define A_END {NULL, DLC_ATTR_INT, false, 0, 0, NULL}

/* Largest block: 16 floats fill an AVX-512 register; 64 leaves room. */
enum { BLOCK_MAX = 64 };

const dlc_attr_schema dlc_attrs_nchw_to_nchwc[] = {A_INT_REQ("block"), A_END};
const dlc_attr_schema dlc_attrs_nchwc_to_nchw[] = {A_INT_REQ("channels"),
                                                   A_END};
const dlc_attr_schema dlc_attrs_conv_nchwc[] = {
    A_STR("auto_pad", "NOTSET"), A_INT_REQ("block"), A_INTS("dilations"),
    A_INT("group", 1),           A_INTS("kernel_shape"), A_INTS("pads"),
    A_INTS("strides"),           A_END};
/* The union of the four pools' attributes (each reads its own). */
const dlc_attr_schema dlc_attrs_pool_nchwc[] = {
    A_STR("auto_pad", "NOTSET"), A_INT("ceil_mode", 0),
    A_INT("count_include_pad", 0), A_INTS("dilations"),
    A_STR_REQ("kind"),           A_INTS("kernel_shape"),
    A_INTS("pads"),              A_INT("storage_order", 0),
    A_INTS("strides"),           A_END};

/* ------------------------------------------------------------ reorders */

/* The plain [N, C, spatial...] tensor x_blocked holds (C <= Cb * B). */
static dlc_tensor plain_of(const dlc_tensor *xb, int64_t channels) {
  dlc_tensor t = {.dtype = xb->dtype, .rank = xb->rank - 1};
  t.dims[0] = xb->dims[0];
  t.dims[1] = channels;
  for (int i = 2; i < t.rank; i++)
    t.dims[i] = xb->dims[i];
  return t;
}

/* plain [N, C, S] <-> blocked [N, Cb, S, B] (S the spatial product);
 * to_blocked writes zeros into the padding lanes. */
static void reorder(float *blocked, float *plain, int64_t n, int64_t c,
                    int64_t s, int64_t block, bool to_blocked) {
  int64_t cb = (c + block - 1) / block;
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = 0; k < cb * block; k++)
      for (int64_t p = 0; p < s; p++) {
        float *b = blocked + ((i * cb + k / block) * s + p) * block + k % block;
        if (to_blocked)
          *b = k < c ? plain[(i * c + k) * s + p] : 0.0f;
        else if (k < c)
          plain[(i * c + k) * s + p] = *b;
      }
}

static int64_t spatial(const dlc_tensor *t, int from, int to) {
  int64_t s = 1;
  for (int i = from; i < to; i++)
    s *= t->dims[i];
  return s;
}

static bool block_attr(dlc_op_ctx *c, int64_t *b) {
  *b = dlc_node_get_int(c->node, "block");
  if (*b < 1 || *b > BLOCK_MAX)
    return dlc_op_error(c, "block %lld must be in [1, %d]", (long long)*b,
                        BLOCK_MAX);
  return true;
}

/* Output 0 = the blocked form of plain p with block b. */
static bool set_blocked(dlc_op_ctx *c, const dlc_tensor *p, int64_t b) {
  int64_t dims[DLC_MAX_RANK];
  dims[0] = p->dims[0];
  dims[1] = (p->dims[1] + b - 1) / b;
  for (int i = 2; i < p->rank; i++)
    dims[i] = p->dims[i];
  dims[p->rank] = b;
  return dlc_op_set_output(c, 0, p->dtype, p->rank + 1, dims);
}

bool dlc_infer_nchw_to_nchwc(dlc_op_ctx *c) {
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "input X");
  int64_t b;
  if (!x || !block_attr(c, &b))
    return false;
  if (x->rank < 3 || x->rank >= DLC_MAX_RANK)
    return dlc_op_error(c, "input X must have rank 3 to %d (N, C, spatial...)",
                        DLC_MAX_RANK - 1);
  return set_blocked(c, x, b);
}

bool dlc_ref_nchw_to_nchwc(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  int64_t b = dlc_node_get_int(c->node, "block");
  reorder(c->out[0].data, x->data, x->dims[0], x->dims[1],
          spatial(x, 2, x->rank), b, true);
  return true;
}

/* A blocked input: rank >= 4, the last dim the block. */
static const dlc_tensor *need_blocked(dlc_op_ctx *c, int i) {
  const dlc_tensor *x = dlc_op_need_f32(c, i, "input X");
  if (!x)
    return NULL;
  if (x->rank < 4)
    return dlc_op_error(c, "input X must be blocked [N, C/B, spatial..., B]"),
           NULL;
  return x;
}

bool dlc_infer_nchwc_to_nchw(dlc_op_ctx *c) {
  const dlc_tensor *x = need_blocked(c, 0);
  if (!x)
    return false;
  int64_t ch = dlc_node_get_int(c->node, "channels");
  int64_t b = x->dims[x->rank - 1], cb = x->dims[1];
  if (ch < 1 || ch > cb * b || ch <= (cb - 1) * b)
    return dlc_op_error(c, "channels %lld do not fill the %lld blocks of %lld",
                        (long long)ch, (long long)cb, (long long)b);
  dlc_tensor p = plain_of(x, ch);
  return dlc_op_set_output(c, 0, p.dtype, p.rank, p.dims);
}

bool dlc_ref_nchwc_to_nchw(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  const dlc_tensor *y = &c->out[0];
  reorder(x->data, y->data, y->dims[0], y->dims[1], spatial(y, 2, y->rank),
          x->dims[x->rank - 1], false);
  return true;
}

/* ------------------------------------------------- the plain operators */

dlc_op dlc_pool_nchwc_kind(const dlc_node *n) {
  static const dlc_op ops[] = {DLC_OP_MAX_POOL, DLC_OP_AVERAGE_POOL,
                               DLC_OP_GLOBAL_AVERAGE_POOL,
                               DLC_OP_GLOBAL_MAX_POOL};
  const char *kind = dlc_node_get_string(n, "kind");
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (kind && strcmp(kind, dlc_op_name(ops[i])) == 0)
      return ops[i];
  return DLC_OP_UNKNOWN;
}

/* Channels of the plain tensor a blocked operator's input 0 stands for:
 * Conv's from W (Cin = W[1] * group), a pool's every lane. */
static int64_t plain_channels(const dlc_node *n, const dlc_tensor *x) {
  if (n->op == DLC_OP_CONV_NCHWC)
    return n->n_inputs > 1 && n->inputs[1]
               ? n->inputs[1]->type.dims[1] * dlc_node_get_int(n, "group")
               : -1;
  return x->dims[1] * x->dims[x->rank - 1];
}

bool dlc_blocked_plain_node(const dlc_node *n, dlc_blocked_view *v) {
  memset(v, 0, sizeof *v);
  v->node = *n;
  if (n->op == DLC_OP_CONV_NCHWC)
    v->node.op = DLC_OP_CONV;
  else if (n->op == DLC_OP_POOL_NCHWC)
    v->node.op = dlc_pool_nchwc_kind(n);
  else
    return false;
  int ni = dlc_node_op_inputs(n);
  if (v->node.op == DLC_OP_UNKNOWN || ni < 1 || ni > 3 || !n->inputs[0])
    return false;
  const dlc_tensor *x = &n->inputs[0]->type;
  v->x_blocked = x->rank >= 4 && (n->op == DLC_OP_POOL_NCHWC || x->rank == 5);
  v->x = *n->inputs[0];
  if (v->x_blocked) {
    int64_t ch = plain_channels(n, x);
    if (ch < 1)
      return false;
    v->x.type = plain_of(x, ch);
    v->x.type.data = NULL;
  }
  for (int i = 0; i < ni; i++)
    v->inputs[i] = n->inputs[i];
  v->inputs[0] = &v->x;
  v->node.inputs = v->inputs;
  v->node.n_inputs = ni;
  v->node.epilogue = NULL;
  return true;
}

/* The plain node's shape inference into *plain_out (output 0). */
static bool infer_plain(dlc_op_ctx *c, dlc_blocked_view *v,
                        dlc_tensor *plain_out) {
  if (!dlc_blocked_plain_node(c->node, v))
    return dlc_op_error(c, "not a valid blocked operator (kind, inputs)");
  /* the tensor this call sees (the interpreter's may have another batch
   * than the graph's type) */
  v->x.type = v->x_blocked ? plain_of(c->in[0], v->x.type.dims[1]) : *c->in[0];
  v->x.type.data = NULL;
  const dlc_tensor *in[3] = {&v->x.type, NULL, NULL};
  for (int i = 1; i < v->node.n_inputs && i < 3; i++)
    in[i] = c->in[i];
  dlc_tensor out[2] = {{0}};
  dlc_op_ctx pc = {.node = &v->node, .n_inputs = v->node.n_inputs, .in = in,
                   .n_outputs = 1, .out = out, .diag = c->diag};
  bool ok = dlc_op_get_info(v->node.op)->infer(&pc) && !pc.errors;
  c->errors += pc.errors;
  *plain_out = out[0];
  return ok;
}

static int64_t output_block(const dlc_op_ctx *c, const dlc_tensor *x) {
  return c->node->op == DLC_OP_CONV_NCHWC
             ? dlc_node_get_int(c->node, "block")
             : x->dims[x->rank - 1];
}

static bool infer_blocked_op(dlc_op_ctx *c) {
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "input X");
  int64_t b;
  if (!x)
    return false;
  if (c->node->op == DLC_OP_CONV_NCHWC) {
    if (!block_attr(c, &b))
      return false;
    if (x->rank == 5 && x->dims[4] != b)
      return dlc_op_error(c, "input X has blocks of %lld, the node says %lld",
                          (long long)x->dims[4], (long long)b);
    if (x->rank != 4 && x->rank != 5)
      return dlc_op_error(c, "input X must be [N, C, H, W] or blocked "
                             "[N, C/B, H, W, B]");
    if (x->rank == 5 && c->n_inputs > 1 && c->in[1] && c->in[1]->rank == 4) {
      int64_t cin = c->in[1]->dims[1] * dlc_node_get_int(c->node, "group");
      if (cin > x->dims[1] * b || cin <= (x->dims[1] - 1) * b)
        return dlc_op_error(c, "W expects %lld input channels, X has %lld "
                               "blocks of %lld",
                            (long long)cin, (long long)x->dims[1],
                            (long long)b);
    }
  } else if (!need_blocked(c, 0)) {
    return false;
  }
  b = output_block(c, x);
  dlc_blocked_view v;
  dlc_tensor p;
  return infer_plain(c, &v, &p) && set_blocked(c, &p, b);
}

bool dlc_infer_conv_nchwc(dlc_op_ctx *c) { return infer_blocked_op(c); }
bool dlc_infer_pool_nchwc(dlc_op_ctx *c) { return infer_blocked_op(c); }

int64_t dlc_macs_conv_nchwc(const dlc_op_ctx *c) {
  dlc_blocked_view v;
  if (!dlc_blocked_plain_node(c->node, &v))
    return 0;
  const dlc_tensor *w = c->in[1], *y = &c->out[0];
  int64_t per_out = w->dims[1] * spatial(w, 2, w->rank);
  return w->dims[0] * y->dims[0] * spatial(y, 2, y->rank - 1) * per_out;
}

/* Unblocks X, runs the plain operator, blocks its output into out[0]. */
static bool run_blocked(dlc_op_ctx *c) {
  dlc_blocked_view v;
  dlc_tensor py;
  dlc_op_ctx quiet = *c;
  if (!infer_plain(&quiet, &v, &py))
    return dlc_op_error(c, "shape inference failed");
  const dlc_tensor *x = c->in[0];
  dlc_tensor px = v.x.type;
  px.data = v.x_blocked ? malloc(dlc_tensor_nbytes(&px) + 1) : x->data;
  py.data = calloc(1, dlc_tensor_nbytes(&py) + 1);
  bool ok = px.data && py.data;
  if (ok && v.x_blocked)
    reorder(x->data, px.data, px.dims[0], px.dims[1], spatial(&px, 2, px.rank),
            x->dims[x->rank - 1], false);
  const dlc_tensor *in[3] = {&px, NULL, NULL};
  for (int i = 1; i < v.node.n_inputs && i < 3; i++)
    in[i] = c->in[i];
  dlc_op_ctx pc = {.node = &v.node, .n_inputs = v.node.n_inputs, .in = in,
                   .n_outputs = 1, .out = &py, .diag = c->diag};
  if (ok)
    ok = dlc_op_get_info(v.node.op)->kernel(&pc) && !pc.errors;
  if (ok)
    reorder(c->out[0].data, py.data, py.dims[0], py.dims[1],
            spatial(&py, 2, py.rank), c->out[0].dims[c->out[0].rank - 1],
            true);
  else if (!pc.errors)
    dlc_op_error(c, "out of memory for the plain temporaries");
  c->errors += pc.errors;
  if (v.x_blocked)
    free(px.data);
  free(py.data);
  return ok;
}

bool dlc_ref_conv_nchwc(dlc_op_ctx *c) { return run_blocked(c); }
bool dlc_ref_pool_nchwc(dlc_op_ctx *c) { return run_blocked(c); }

/* ------------------------------------------------------- padding lanes */

void dlc_blocked_zero_padding(float *y, const dlc_tensor *t,
                              int64_t channels) {
  int64_t b = t->dims[t->rank - 1], cb = t->dims[1];
  int64_t s = spatial(t, 2, t->rank - 1);
  if (channels >= cb * b)
    return;
  for (int64_t i = 0; i < t->dims[0]; i++)
    for (int64_t p = 0; p < s; p++)
      for (int64_t k = channels; k < cb * b; k++)
        y[((i * cb + k / b) * s + p) * b + k % b] = 0.0f;
}
