/* choose_algorithm.c — which algorithm (a row of algorithms.def) computes a
 * node, and why; or why none can.
 *
 * Most operators have one kernel. Conv, Gemm and MatMul choose by shape:
 * depthwise windows of at most DLC_DW_MAX_TAPS taps get the depthwise
 * kernel, 1x1 stride-1 unpadded windows with constant weights the pointwise
 * GEMM, other windows with constant weights im2col + GEMM; Gemm/MatMul run
 * on the micro-kernel, with B packed at compile time when it is a constant.
 * The legacy option conv_kind forces a kind where it applies ("direct" = the
 * first baseline kernels, kept for side-by-side benchmarks; nodes with a
 * fused epilogue keep the micro-kernel kinds). A use of an operator that no
 * kernel handles gets a reason, and the stage reports the node by name:
 * never wrong code. */
#include <string.h>

#include "schedule/schedule_impl.h"

/* ------------------------------------------------------ what kernels take */

/* Output axes a Gemm/MatMul kernel's rows and lanes run along (for the
 * epilogue check); -1 when there is none. */
void dlc_schedule_gemm_epi_axes(const dlc_node *n, int *row_axis, int *lane_axis) {
  if (n->op == DLC_OP_GEMM) {
    *row_axis = 0;
    *lane_axis = 1;
    return;
  }
  int yr = n->outputs[0]->type.rank;
  int ar = n->inputs[0]->type.rank, br = n->inputs[1]->type.rank;
  *lane_axis = br >= 2 ? yr - 1 : -1;
  *row_axis = ar >= 2 ? (br >= 2 ? yr - 2 : yr - 1) : -1;
}

static const char *act_unsupported(const dlc_node *n, const dlc_activation *a,
                                   int row_axis, int lane_axis) {
  if (a->kind != DLC_ACT_PRELU)
    return NULL;
  if (a->slope_input < 0 || a->slope_input >= n->n_inputs ||
      !n->inputs[a->slope_input])
    return "fused PRelu without a slope input";
  int ax = dlc_tensor_broadcast_axis(&n->inputs[a->slope_input]->type,
                                     &n->outputs[0]->type);
  if (ax == -1 || ax == -2 || (ax >= 0 && (ax == row_axis || ax == lane_axis)))
    return NULL;
  return "fused PRelu slope varies along an axis this kernel cannot index";
}

/* Why n's epilogue cannot be applied by a kernel whose rows run along
 * row_axis and lanes along lane_axis, or NULL. */
static const char *epilogue_unsupported(const dlc_node *n, int row_axis,
                                        int lane_axis) {
  const dlc_epilogue *e = n->epilogue;
  if (n->outputs[0]->type.dtype != DLC_DT_FLOAT32)
    return "fused epilogue on a non-float output";
  if (e->residual_input >= 0) {
    const dlc_value *r = e->residual_input < n->n_inputs
                             ? n->inputs[e->residual_input]
                             : NULL;
    if (!r ||
        dlc_tensor_numel(&r->type) != dlc_tensor_numel(&n->outputs[0]->type))
      return "fused residual must have the output's shape";
  }
  const char *why = act_unsupported(n, &e->act1, row_axis, lane_axis);
  return why ? why : act_unsupported(n, &e->act2, row_axis, lane_axis);
}

/* A fused epilogue only on the ops whose kernels apply it, with operands
 * those kernels can index. */
static const char *unsupported_epilogue(const dlc_node *n) {
  if (!n->epilogue)
    return NULL;
  switch (n->op) {
  case DLC_OP_CONV:
  case DLC_OP_CONV_TRANSPOSE:
    return epilogue_unsupported(n, 1, -1);
  case DLC_OP_CONV_NCHWC: /* channels in the lanes, pixels in the rows */
    if (n->epilogue->act1.kind == DLC_ACT_PRELU ||
        n->epilogue->act2.kind == DLC_ACT_PRELU)
      return "fused PRelu on a blocked convolution";
    return epilogue_unsupported(n, -1, -1);
  case DLC_OP_GEMM:
  case DLC_OP_MAT_MUL: {
    int row, lane;
    dlc_schedule_gemm_epi_axes(n, &row, &lane);
    return epilogue_unsupported(n, row, lane);
  }
  default:
    return "fused epilogue on an operator whose kernel does not apply it";
  }
}

static bool all_inputs(const dlc_node *n, dlc_dtype dt) {
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] && n->inputs[i]->type.dtype != dt)
      return false;
  return true;
}

/* The integer uses the typed kernels do not cover (shape inference has
 * checked each operator's own dtype rules; exports produce these only as
 * constants, which are folded). */
static const char *typed_unsupported(const dlc_node *n) {
  switch (n->op) {
  case DLC_OP_NEG:
  case DLC_OP_ABS:
    return all_inputs(n, DLC_DT_FLOAT32)
               ? NULL
               : "Neg/Abs of an integer tensor computed at run time is not "
                 "compiled (float32 only)";
  case DLC_OP_REDUCE_SUM:
    return n->inputs[0]->type.dtype == DLC_DT_FLOAT32
               ? NULL
               : "ReduceSum of an int64 tensor computed at run time is not "
                 "compiled (float32 only)";
  case DLC_OP_CHANNEL_SHUFFLE:
    return n->inputs[0]->type.dtype == DLC_DT_FLOAT32
               ? NULL
               : "ChannelShuffle of a non-float32 tensor is not compiled";
  default:
    return NULL;
  }
}

/* A float32-only kernel must not meet a non-float value computed at run
 * time (constants it reads are its own business: Gather's int64 indices,
 * Reshape's shape). */
static const char *unsupported_dtype(const dlc_node *n, dlc_algo a) {
  if (dlc_algo_traits(a) & DLC_AT_TYPED)
    return typed_unsupported(n);
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (v && !dlc_value_is_const(v) && v->type.dtype != DLC_DT_FLOAT32)
      return "an input computed at run time is not float32, and this "
             "operator's kernel handles float32 only";
  }
  for (int i = 0; i < n->n_outputs; i++) {
    const dlc_value *v = n->outputs[i];
    if (v && v->type.dtype != DLC_DT_FLOAT32)
      return "an output is not float32, and this operator's kernel handles "
             "float32 only";
  }
  return NULL;
}

static const char *unsupported_resize(const dlc_node *n) {
  const char *m = dlc_node_get_string(n, "mode");
  const char *ct = dlc_node_get_string(n, "coordinate_transformation_mode");
  if (strcmp(m, "nearest") && strcmp(m, "linear"))
    return "Resize mode other than nearest/linear";
  if (!strcmp(ct, "tf_crop_and_resize"))
    return "Resize with tf_crop_and_resize is not compiled yet";
  const dlc_tensor *y = &n->outputs[0]->type, *x = &n->inputs[0]->type;
  int changed = 0;
  for (int d = 0; d < y->rank; d++)
    changed += y->dims[d] != x->dims[d];
  return changed > 3 ? "Resize of more than 3 axes is not compiled yet" : NULL;
}

/* The kernel reads scale/bias as exactly the normalised shape. */
static const char *unsupported_layer_norm(const dlc_node *n) {
  const dlc_tensor *x = &n->inputs[0]->type;
  int64_t axis = dlc_node_get_int(n, "axis"), row = 1;
  for (int k = (int)(axis < 0 ? axis + x->rank : axis); k < x->rank; k++)
    row *= x->dims[k];
  for (int i = 1; i < n->n_inputs; i++)
    if (n->inputs[i] && dlc_tensor_numel(&n->inputs[i]->type) != row)
      return "LayerNormalization scale/bias must have the normalised shape";
  return NULL;
}

static bool has_window(dlc_op op) {
  return op == DLC_OP_CONV || op == DLC_OP_MAX_POOL ||
         op == DLC_OP_AVERAGE_POOL || op == DLC_OP_CONV_TRANSPOSE;
}

/* Uses of an operator that its kernels do not cover, whatever the
 * algorithm. */
static const char *unsupported_use(const dlc_node *n) {
  const char *epi = unsupported_epilogue(n);
  if (epi)
    return epi;
  if (n->op == DLC_OP_DROPOUT && n->n_outputs > 1 && n->outputs[1] &&
      n->outputs[1]->is_output)
    return "Dropout's mask output is not supported";
  if (n->op == DLC_OP_MAX_POOL && n->n_outputs > 1 && n->outputs[1])
    return "MaxPool's Indices output is not supported";
  if (n->op == DLC_OP_GATHER && n->inputs[1] &&
      dlc_tensor_numel(&n->inputs[1]->type) > 4096)
    return "Gather with more than 4096 indices is not compiled yet";
  if (n->op == DLC_OP_PAD && n->outputs[0] &&
      dlc_tensor_numel(&n->outputs[0]->type) > (1 << 24))
    return "Pad output too large for its index table";
  if ((n->op == DLC_OP_MIN || n->op == DLC_OP_MAX ||
       n->op == DLC_OP_FUSED_ELEMENTWISE) &&
      n->n_inputs > DLC_MAP_MAX_OPERANDS)
    return "more than 40 inputs in one element-wise loop (DLC_MAP_MAX_OPERANDS)";
  if (n->op == DLC_OP_CONV_TRANSPOSE) {
    const char *ap = dlc_node_get_string(n, "auto_pad");
    if (dlc_node_find_attr(n, "output_shape") || (ap && strcmp(ap, "NOTSET")))
      return "ConvTranspose with output_shape or auto_pad is not compiled yet";
  }
  if (n->op == DLC_OP_RESIZE)
    return unsupported_resize(n);
  if (n->op == DLC_OP_LAYER_NORMALIZATION)
    return unsupported_layer_norm(n);
  if (has_window(n->op) &&
      (n->inputs[0]->type.rank < 3 || n->inputs[0]->type.rank > 4))
    return "only 1-D and 2-D windows are compiled";
  if ((n->op == DLC_OP_CONV_NCHWC || n->op == DLC_OP_POOL_NCHWC) &&
      n->outputs[0]->type.rank != 5)
    return "only 2-D blocked windows are compiled";
  if (n->op == DLC_OP_CONV_NCHWC && !n->inputs[1]->type.data)
    return "a blocked convolution packs its weights at compile time: they "
           "must be constant";
  return NULL;
}

/* ------------------------------------------------------------ Conv kinds */

bool dlc_sched_conv_is_depthwise(const dlc_node *n) {
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  int64_t group = dlc_node_get_int(n, "group");
  return group > 1 && group == x->dims[1] && w->dims[0] == group &&
         w->rank >= 3 &&
         w->dims[2] * (w->rank == 4 ? w->dims[3] : 1) <= DLC_DW_MAX_TAPS;
}

/* 1x1, stride 1, no padding: the GEMM reads X in place. */
bool dlc_sched_conv_is_pointwise(const dlc_window2d *w) {
  return w->k[0] == 1 && w->k[1] == 1 && w->s[0] == 1 && w->s[1] == 1 &&
         !w->pb[0] && !w->pb[1] && !w->pe[0] && !w->pe[1];
}

static bool kind_is(const char *kind, const char *name) {
  return kind && strcmp(kind, name) == 0;
}

static dlc_algo choose_conv(const dlc_node *n, const dlc_window2d *w,
                            const char *kind, const char **why) {
  if (!n->epilogue && kind_is(kind, "direct")) {
    *why = "forced: conv_kind direct";
    return DLC_ALGO_CONV_DIRECT;
  }
  bool im2col = kind_is(kind, "im2col");
  if (dlc_sched_conv_is_depthwise(n) && !im2col) {
    *why = "one filter per channel";
    return DLC_ALGO_CONV_DEPTHWISE;
  }
  if (!n->inputs[1]->type.data) {
    *why = "weights computed at run time: the GEMM kinds pack them at "
           "compile time";
    return DLC_ALGO_CONV_DIRECT;
  }
  if (dlc_sched_conv_is_pointwise(w) && !im2col) {
    *why = "1x1 stride 1 unpadded: a GEMM on X in place";
    return DLC_ALGO_CONV_POINTWISE;
  }
  *why = im2col && dlc_sched_conv_is_pointwise(w) ? "forced: conv_kind im2col"
                                                  : "window: im2col + GEMM";
  return DLC_ALGO_CONV_IM2COL;
}

/* One filter per channel on a blocked input: each tap is one vector FMA. */
bool dlc_sched_nchwc_is_depthwise(const dlc_node *n) {
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  int64_t group = dlc_node_get_int(n, "group");
  return x->rank == 5 && group > 1 && w->dims[1] == 1 && w->dims[0] == group &&
         w->rank == 4 && w->dims[2] * w->dims[3] <= DLC_DW_MAX_TAPS;
}

/* A blocked convolution: channels in the lanes; one filter per channel
 * reads its input lanes as vectors, the others broadcast. */
static dlc_algo choose_conv_nchwc(const dlc_node *n, const char **why) {
  if (dlc_sched_nchwc_is_depthwise(n)) {
    *why = "one filter per channel: each tap one vector FMA on the block";
    return DLC_ALGO_CONV_NCHWC_DEPTHWISE;
  }
  *why = "output channels in the lanes, a row of pixels in registers";
  return DLC_ALGO_CONV_NCHWC;
}

static bool pool_nchwc_is_global(const dlc_node *n) {
  dlc_op kind = dlc_pool_nchwc_kind(n);
  return kind == DLC_OP_GLOBAL_AVERAGE_POOL || kind == DLC_OP_GLOBAL_MAX_POOL;
}

static dlc_algo choose_pool_nchwc(const dlc_node *n, const char **why) {
  bool global = pool_nchwc_is_global(n);
  *why = "channels in the lanes: each tap one vector";
  return global ? DLC_ALGO_GLOBAL_POOL_NCHWC : DLC_ALGO_POOL_NCHWC;
}

static const char *reorder_why(const dlc_node *n, const char *fallback) {
  return n->doc && n->doc[0] ? n->doc : fallback;
}

static dlc_algo choose_gemm(const dlc_node *n, const char *kind,
                            const char **why) {
  bool b_const = n->inputs[1]->type.data != NULL;
  if (!n->epilogue && kind_is(kind, "direct")) {
    *why = "forced: conv_kind direct";
    return dlc_node_get_int(n, "transB") && b_const ? DLC_ALGO_GEMM_DIRECT_PACKED
                                                    : DLC_ALGO_GEMM_DIRECT;
  }
  *why = b_const ? "constant B: packed at compile time" : "B at run time";
  return b_const ? DLC_ALGO_GEMM_MK_PACKED : DLC_ALGO_GEMM_MK;
}

static dlc_algo choose_matmul(const dlc_node *n, const char *kind,
                              const char **why) {
  bool b_const = n->inputs[1]->type.data != NULL;
  if (!n->epilogue && kind_is(kind, "direct")) {
    *why = "forced: conv_kind direct";
    return DLC_ALGO_MATMUL_DIRECT;
  }
  *why = b_const ? "constant B: packed at compile time" : "B at run time";
  return b_const ? DLC_ALGO_MATMUL_MK_PACKED : DLC_ALGO_MATMUL_MK;
}

/* ------------------------------------------------ operator -> algorithm */

static dlc_algo by_extra_op(dlc_op op) {
  switch (op) {
  case DLC_OP_NEG:
  case DLC_OP_ABS:
  case DLC_OP_RECIPROCAL:
  case DLC_OP_LOG:
  case DLC_OP_SOFTPLUS:
  case DLC_OP_IS_NAN:
  case DLC_OP_NOT:
    return DLC_ALGO_EXTRA_UNARY;
  case DLC_OP_EQUAL:
  case DLC_OP_GREATER:
  case DLC_OP_LESS:
  case DLC_OP_GREATER_OR_EQUAL:
  case DLC_OP_LESS_OR_EQUAL:
  case DLC_OP_AND:
  case DLC_OP_OR:
  case DLC_OP_XOR:
    return DLC_ALGO_COMPARE;
  case DLC_OP_WHERE: return DLC_ALGO_WHERE;
  case DLC_OP_MIN:
  case DLC_OP_MAX: return DLC_ALGO_MIN_MAX;
  case DLC_OP_CAST: return DLC_ALGO_CAST;
  case DLC_OP_EXPAND: return DLC_ALGO_EXPAND;
  case DLC_OP_CONSTANT_OF_SHAPE: return DLC_ALGO_CONSTANT_OF_SHAPE;
  case DLC_OP_RANGE: return DLC_ALGO_RANGE;
  case DLC_OP_REDUCE_SUM:
  case DLC_OP_REDUCE_MAX:
  case DLC_OP_REDUCE_MIN: return DLC_ALGO_REDUCE;
  case DLC_OP_SCALE_SHIFT: return DLC_ALGO_SCALE_SHIFT;
  case DLC_OP_CHANNEL_SHUFFLE: return DLC_ALGO_CHANNEL_SHUFFLE;
  case DLC_OP_GELU: return DLC_ALGO_GELU;
  case DLC_OP_FUSED_ELEMENTWISE: return DLC_ALGO_FUSED_ELEMENTWISE;
  default: return DLC_ALGO_NONE;
  }
}

/* The one kernel of operators that have only one. */
static dlc_algo by_op(dlc_op op) {
  if (dlc_op_is_view(op)) /* Identity, Dropout, Reshape...: a copy at most */
    return DLC_ALGO_COPY;
  switch (op) {
  case DLC_OP_RELU:
  case DLC_OP_LEAKY_RELU:
  case DLC_OP_ELU:
  case DLC_OP_SIGMOID:
  case DLC_OP_TANH:
  case DLC_OP_HARD_SIGMOID:
  case DLC_OP_HARD_SWISH:
  case DLC_OP_ERF:
  case DLC_OP_SQRT:
  case DLC_OP_EXP:
    return DLC_ALGO_UNARY;
  case DLC_OP_ADD:
  case DLC_OP_SUB:
  case DLC_OP_MUL:
  case DLC_OP_DIV:
  case DLC_OP_POW:
  case DLC_OP_PRELU:
    return DLC_ALGO_BINARY;
  case DLC_OP_CLIP: return DLC_ALGO_CLIP;
  case DLC_OP_BATCH_NORMALIZATION: return DLC_ALGO_BATCH_NORM;
  case DLC_OP_INSTANCE_NORMALIZATION: return DLC_ALGO_INSTANCE_NORM;
  case DLC_OP_LAYER_NORMALIZATION: return DLC_ALGO_LAYER_NORM;
  case DLC_OP_SOFTMAX:
  case DLC_OP_LOG_SOFTMAX: return DLC_ALGO_SOFTMAX;
  case DLC_OP_REDUCE_MEAN: return DLC_ALGO_REDUCE_MEAN;
  case DLC_OP_TRANSPOSE: return DLC_ALGO_TRANSPOSE;
  case DLC_OP_CONCAT: return DLC_ALGO_CONCAT;
  case DLC_OP_SPLIT: return DLC_ALGO_SPLIT;
  case DLC_OP_SLICE: return DLC_ALGO_SLICE;
  case DLC_OP_GATHER: return DLC_ALGO_GATHER;
  case DLC_OP_DEPTH_TO_SPACE: return DLC_ALGO_DEPTH_TO_SPACE;
  case DLC_OP_PAD: return DLC_ALGO_PAD;
  case DLC_OP_RESIZE: return DLC_ALGO_RESIZE;
  case DLC_OP_CONV_TRANSPOSE: return DLC_ALGO_CONV_TRANSPOSE;
  case DLC_OP_MAX_POOL:
  case DLC_OP_AVERAGE_POOL: return DLC_ALGO_POOL;
  case DLC_OP_GLOBAL_AVERAGE_POOL:
  case DLC_OP_GLOBAL_MAX_POOL: return DLC_ALGO_GLOBAL_POOL;
  default: return by_extra_op(op);
  }
}

const char *dlc_sched_check_algo(const dlc_node *n, dlc_algo a) {
  const char *why = unsupported_dtype(n, a);
  if (why)
    return why;
  unsigned cin = dlc_algo_const_inputs(a);
  for (int i = 0; i < n->n_inputs && i < 16; i++)
    if ((cin >> i & 1) && n->inputs[i] && !n->inputs[i]->type.data)
      return "an input that must be a constant is computed at run time";
  return NULL;
}

dlc_algo dlc_sched_choose_algorithm(const dlc_node *n, const dlc_window2d *w,
                                    const char *conv_kind, const char **why) {
  *why = unsupported_use(n);
  if (*why)
    return DLC_ALGO_NONE;
  dlc_algo a;
  if (n->op == DLC_OP_CONV)
    a = choose_conv(n, w, conv_kind, why);
  else if (n->op == DLC_OP_GEMM)
    a = choose_gemm(n, conv_kind, why);
  else if (n->op == DLC_OP_MAT_MUL)
    a = choose_matmul(n, conv_kind, why);
  else if (n->op == DLC_OP_CONV_NCHWC)
    a = choose_conv_nchwc(n, why);
  else if (n->op == DLC_OP_POOL_NCHWC)
    a = choose_pool_nchwc(n, why);
  else if (n->op == DLC_OP_NCHW_TO_NCHWC || n->op == DLC_OP_NCHWC_TO_NCHW) {
    a = n->op == DLC_OP_NCHW_TO_NCHWC ? DLC_ALGO_REORDER_TO_NCHWC
                                      : DLC_ALGO_REORDER_TO_NCHW;
    *why = reorder_why(n, "a reorder");
  } else {
    a = by_op(n->op);
    *why = "the operator's kernel";
  }
  if (a == DLC_ALGO_NONE) {
    *why = "no code generator for this operator yet";
    return DLC_ALGO_NONE;
  }
  const char *bad = dlc_sched_check_algo(n, a);
  if (bad) {
    *why = bad;
    return DLC_ALGO_NONE;
  }
  return a;
}

/* The algorithms that may compute n (for --schedule overrides). */
bool dlc_sched_algo_implements(dlc_algo a, const dlc_node *n) {
  switch (a) {
  case DLC_ALGO_CONV_DIRECT:
  case DLC_ALGO_CONV_POINTWISE:
  case DLC_ALGO_CONV_IM2COL:
  case DLC_ALGO_CONV_DEPTHWISE:
    return n->op == DLC_OP_CONV;
  case DLC_ALGO_GEMM_DIRECT:
  case DLC_ALGO_GEMM_DIRECT_PACKED:
  case DLC_ALGO_GEMM_MK:
  case DLC_ALGO_GEMM_MK_PACKED:
    return n->op == DLC_OP_GEMM;
  case DLC_ALGO_MATMUL_DIRECT:
  case DLC_ALGO_MATMUL_MK:
  case DLC_ALGO_MATMUL_MK_PACKED:
    return n->op == DLC_OP_MAT_MUL;
  case DLC_ALGO_CONV_NCHWC:
    return n->op == DLC_OP_CONV_NCHWC;
  case DLC_ALGO_CONV_NCHWC_DEPTHWISE:
    return n->op == DLC_OP_CONV_NCHWC && dlc_sched_nchwc_is_depthwise(n);
  case DLC_ALGO_POOL_NCHWC:
  case DLC_ALGO_GLOBAL_POOL_NCHWC:
    return n->op == DLC_OP_POOL_NCHWC &&
           pool_nchwc_is_global(n) == (a == DLC_ALGO_GLOBAL_POOL_NCHWC);
  case DLC_ALGO_REORDER_TO_NCHWC:
    return n->op == DLC_OP_NCHW_TO_NCHWC;
  case DLC_ALGO_REORDER_TO_NCHW:
    return n->op == DLC_OP_NCHWC_TO_NCHW;

  default:
    return a != DLC_ALGO_NONE && by_op(n->op) == a;
  }
}
