/* cg_select.c — the selection point: which emitter compiles a node.
 *
 * The choice depends on the operator and, for Conv, Gemm and MatMul, on the
 * shape (cg_select_conv): the register-blocked micro-kernel kinds by
 * default; the codegen option conv_kind forces a kind where it applies
 * ("direct" = the first baseline kernels, kept so that benchmarks can compare
 * them side by side; nodes with a fused epilogue always take the new kinds).
 * The choose_algorithm pass can later drive the same switch.
 * The operators of ops_extra.def and ops_dlc.def go to cg_extra.c and
 * cg_dlcops.c; only their kernels handle other dtypes than float32 (bool
 * masks, Cast), the rest refuse non-float values computed at run time.
 * An operator or a use of it that no emitter handles yields NULL and a
 * reason, and the driver reports the node by name: never wrong code. */
#include <string.h>

#include "codegen/cg.h"

bool cg_conv_kind_valid(const char *kind) {
  return !kind || !strcmp(kind, "direct") || !strcmp(kind, "pointwise") ||
         !strcmp(kind, "im2col") || !strcmp(kind, "depthwise");
}

static bool force_direct(const dlc_node *n, const char *kind) {
  return !n->epilogue && kind && strcmp(kind, "direct") == 0;
}

static bool is_depthwise(const dlc_node *n) {
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  int64_t group = dlc_node_get_int(n, "group");
  return group > 1 && group == x->dims[1] && w->dims[0] == group &&
         w->rank >= 3 && w->dims[2] * (w->rank == 4 ? w->dims[3] : 1) <= 64;
}

static bool is_pointwise(const dlc_node *n) {
  const dlc_tensor *w = &n->inputs[1]->type;
  for (int k = 2; k < w->rank; k++)
    if (w->dims[k] != 1)
      return false;
  const int64_t *v = NULL;
  int cnt = dlc_node_get_ints(n, "strides", &v);
  for (int i = 0; i < cnt; i++)
    if (v[i] != 1)
      return false;
  cnt = dlc_node_get_ints(n, "pads", &v);
  for (int i = 0; i < cnt; i++)
    if (v[i] != 0)
      return false;
  const char *ap = dlc_node_get_string(n, "auto_pad");
  return !ap || strcmp(ap, "NOTSET") == 0 || strcmp(ap, "VALID") == 0 ||
         strncmp(ap, "SAME", 4) == 0;
}

const cg_emitter *cg_select_conv(const dlc_node *n, const char *kind) {
  if (force_direct(n, kind))
    return &cg_emit_conv;
  bool forced_im2col = kind && !strcmp(kind, "im2col");
  if (is_depthwise(n) && !forced_im2col)
    return &cg_emit_conv_depthwise;
  /* the GEMM kinds pack the weights at compile time */
  if (!n->inputs[1]->type.data)
    return &cg_emit_conv;
  return is_pointwise(n) && !forced_im2col ? &cg_emit_conv_pointwise
                                           : &cg_emit_conv_im2col;
}

static const cg_emitter *select_gemm(const dlc_node *n, const char *kind) {
  if (force_direct(n, kind))
    return dlc_node_get_int(n, "transB") && n->inputs[1]->type.data
               ? &cg_emit_gemm_packed
               : &cg_emit_gemm;
  return n->inputs[1]->type.data ? &cg_emit_gemm_mk_packed : &cg_emit_gemm_mk;
}

static const cg_emitter *select_matmul(const dlc_node *n, const char *kind) {
  if (force_direct(n, kind))
    return &cg_emit_matmul;
  return n->inputs[1]->type.data ? &cg_emit_matmul_mk_packed
                                 : &cg_emit_matmul_mk;
}

/* The operators of ops_extra.def and ops_dlc.def (cg_extra.c,
 * cg_dlcops.c). */
static const cg_emitter *by_extra_op(const dlc_node *n, const char **why) {
  switch (n->op) {
  case DLC_OP_NEG:
  case DLC_OP_ABS:
  case DLC_OP_RECIPROCAL:
  case DLC_OP_LOG:
  case DLC_OP_SOFTPLUS:
  case DLC_OP_IS_NAN:
  case DLC_OP_NOT:
    return &cg_emit_extra_unary;
  case DLC_OP_EQUAL:
  case DLC_OP_GREATER:
  case DLC_OP_LESS:
  case DLC_OP_GREATER_OR_EQUAL:
  case DLC_OP_LESS_OR_EQUAL:
  case DLC_OP_AND:
  case DLC_OP_OR:
  case DLC_OP_XOR:
    return &cg_emit_compare;
  case DLC_OP_WHERE:
    return &cg_emit_where;
  case DLC_OP_MIN:
  case DLC_OP_MAX:
    return &cg_emit_min_max;
  case DLC_OP_CAST:
    return &cg_emit_cast;
  case DLC_OP_EXPAND:
    return &cg_emit_expand;
  case DLC_OP_CONSTANT_OF_SHAPE:
    return &cg_emit_constant_of_shape;
  case DLC_OP_RANGE:
    return &cg_emit_range;
  case DLC_OP_REDUCE_SUM:
  case DLC_OP_REDUCE_MAX:
  case DLC_OP_REDUCE_MIN:
    return &cg_emit_reduce;
  case DLC_OP_SCALE_SHIFT:
    return &cg_emit_scale_shift;
  case DLC_OP_CHANNEL_SHUFFLE:
    return &cg_emit_channel_shuffle;
  case DLC_OP_GELU:
    return &cg_emit_gelu;
  case DLC_OP_FUSED_ELEMENTWISE:
    return &cg_emit_fused_elementwise;
  default:
    *why = "no code generator for this operator yet";
    return NULL;
  }
}

/* Operators whose kernels read and write other dtypes than float32 at run
 * time (the table's DLC_OPF_TYPED_KERNEL column): cg_extra_unsupported says
 * which uses they refuse. Every other kernel is float32 only. */
static bool typed_kernel(dlc_op op) {
  return dlc_op_has_typed_kernel(op);
}

/* A float32-only kernel must not meet a non-float value computed at run
 * time (constants it reads are its own business: Gather's int64 indices,
 * Reshape's shape). */
static const char *unsupported_dtype(const dlc_node *n) {
  if (typed_kernel(n->op))
    return cg_extra_unsupported(n);
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (v && !cg_value_is_const(v) && v->type.dtype != DLC_DT_FLOAT32)
      return "an input computed at run time is not float32, and this "
             "operator's kernel handles float32 only";
  }
  for (int i = 0; i < n->n_outputs; i++) {
    const dlc_value *v = n->outputs[i];
    if (v && v->type.dtype != DLC_DT_FLOAT32)
      return "an output is not float32, and this operator's kernel handles "
             "float32 only";
  }
  return cg_extra_unsupported(n);
}

static const cg_emitter *by_op(const dlc_node *n, const char *kind,
                              const char **why) {
  switch (n->op) {
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
    return &cg_emit_unary;
  case DLC_OP_ADD:
  case DLC_OP_SUB:
  case DLC_OP_MUL:
  case DLC_OP_DIV:
  case DLC_OP_POW:
  case DLC_OP_PRELU:
    return &cg_emit_binary;
  case DLC_OP_CLIP:
    return &cg_emit_clip;
  case DLC_OP_IDENTITY:
  case DLC_OP_DROPOUT:
  case DLC_OP_FLATTEN:
  case DLC_OP_RESHAPE:
  case DLC_OP_SQUEEZE:
  case DLC_OP_UNSQUEEZE:
    return &cg_emit_copy;
  case DLC_OP_CONV:
    return cg_select_conv(n, kind);
  case DLC_OP_GEMM:
    return select_gemm(n, kind);
  case DLC_OP_MAT_MUL:
    return select_matmul(n, kind);
  case DLC_OP_BATCH_NORMALIZATION:
    return &cg_emit_batch_norm;
  case DLC_OP_INSTANCE_NORMALIZATION:
    return &cg_emit_instance_norm;
  case DLC_OP_LAYER_NORMALIZATION:
    return &cg_emit_layer_norm;
  case DLC_OP_SOFTMAX:
  case DLC_OP_LOG_SOFTMAX:
    return &cg_emit_softmax;
  case DLC_OP_REDUCE_MEAN:
    return &cg_emit_reduce_mean;
  case DLC_OP_TRANSPOSE:
    return &cg_emit_transpose;
  case DLC_OP_CONCAT:
    return &cg_emit_concat;
  case DLC_OP_SPLIT:
    return &cg_emit_split;
  case DLC_OP_SLICE:
    return &cg_emit_slice;
  case DLC_OP_GATHER:
    return &cg_emit_gather;
  case DLC_OP_DEPTH_TO_SPACE:
    return &cg_emit_depth_to_space;
  case DLC_OP_PAD:
    return &cg_emit_pad;
  case DLC_OP_RESIZE:
    return &cg_emit_resize;
  case DLC_OP_CONV_TRANSPOSE:
    return &cg_emit_conv_transpose;
  case DLC_OP_MAX_POOL:
  case DLC_OP_AVERAGE_POOL:
    return &cg_emit_pool;
  case DLC_OP_GLOBAL_AVERAGE_POOL:
  case DLC_OP_GLOBAL_MAX_POOL:
    return &cg_emit_global_pool;
  default:
    return by_extra_op(n, why);
  }
}

/* A fused epilogue only on the ops whose kernels apply it, with operands
 * those kernels can index. */
static const char *unsupported_epilogue(const dlc_node *n) {
  if (!n->epilogue)
    return NULL;
  switch (n->op) {
  case DLC_OP_CONV:
  case DLC_OP_CONV_TRANSPOSE:
    return cg_epi_unsupported(n, 1, -1);
  case DLC_OP_GEMM:
  case DLC_OP_MAT_MUL: {
    int row, lane;
    cg_gemm_epi_axes(n, &row, &lane);
    return cg_epi_unsupported(n, row, lane);
  }
  default:
    return "fused epilogue on an operator whose kernel does not apply it";
  }
}

/* Uses of an operator that its emitter does not cover. */
static const char *unsupported_use(const dlc_node *n) {
  const char *epi = unsupported_epilogue(n);
  if (epi)
    return epi;
  const char *dt = unsupported_dtype(n);
  if (dt)
    return dt;
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
  if (n->op == DLC_OP_CONV_TRANSPOSE) {
    const char *ap = dlc_node_get_string(n, "auto_pad");
    if (dlc_node_find_attr(n, "output_shape") || (ap && strcmp(ap, "NOTSET")))
      return "ConvTranspose with output_shape or auto_pad is not compiled yet";
  }
  if (n->op == DLC_OP_RESIZE) {
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
    if (changed > 3)
      return "Resize of more than 3 axes is not compiled yet";
  }
  if (n->op == DLC_OP_LAYER_NORMALIZATION) {
    /* The kernel reads scale/bias as exactly the normalised shape. */
    const dlc_tensor *x = &n->inputs[0]->type;
    int64_t axis = dlc_node_get_int(n, "axis"), row = 1;
    for (int k = (int)(axis < 0 ? axis + x->rank : axis); k < x->rank; k++)
      row *= x->dims[k];
    for (int i = 1; i < n->n_inputs; i++)
      if (n->inputs[i] && dlc_tensor_numel(&n->inputs[i]->type) != row)
        return "LayerNormalization scale/bias must have the normalised shape";
  }
  if ((n->op == DLC_OP_CONV || n->op == DLC_OP_MAX_POOL ||
       n->op == DLC_OP_AVERAGE_POOL || n->op == DLC_OP_CONV_TRANSPOSE) &&
      (n->inputs[0]->type.rank < 3 || n->inputs[0]->type.rank > 4))
    return "only 1-D and 2-D windows are compiled";
  return NULL;
}

const cg_emitter *cg_select(const dlc_node *n, const char *kind,
                            const char **why) {
  *why = unsupported_use(n);
  if (*why)
    return NULL;
  const cg_emitter *e = by_op(n, kind, why);
  if (!e)
    return NULL;
  /* Inputs the emitter reads at compile time must be constants. */
  for (int i = 0; i < n->n_inputs && i < 16; i++) {
    if (((e->ct_inputs | e->prep_inputs) >> i & 1) && n->inputs[i] &&
        !n->inputs[i]->type.data) {
      *why = "an input that must be a constant is computed at run time";
      return NULL;
    }
  }
  return e;
}

int64_t cg_node_scratch(const dlc_node *n, const char *kind) {
  const char *why;
  const cg_emitter *e = cg_select(n, kind, &why);
  return e && e->scratch ? e->scratch(n) : 0;
}
