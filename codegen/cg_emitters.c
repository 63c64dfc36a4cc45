/* cg_emitters.c — the one map from algorithm (schedule/algorithms.def) to
 * the emitter that writes its kernel. Every row has an emitter: the table
 * is indexed by the enum and its size checked against the row count. */
#include "codegen/cg.h"

static const cg_emitter *const emitters[] = {
    [DLC_ALGO_NONE] = NULL,
    [DLC_ALGO_UNARY] = &cg_emit_unary,
    [DLC_ALGO_BINARY] = &cg_emit_binary,
    [DLC_ALGO_CLIP] = &cg_emit_clip,
    [DLC_ALGO_COPY] = &cg_emit_copy,
    [DLC_ALGO_EXTRA_UNARY] = &cg_emit_extra_unary,
    [DLC_ALGO_COMPARE] = &cg_emit_compare,
    [DLC_ALGO_WHERE] = &cg_emit_where,
    [DLC_ALGO_MIN_MAX] = &cg_emit_min_max,
    [DLC_ALGO_CAST] = &cg_emit_cast,
    [DLC_ALGO_SCALE_SHIFT] = &cg_emit_scale_shift,
    [DLC_ALGO_GELU] = &cg_emit_gelu,
    [DLC_ALGO_FUSED_ELEMENTWISE] = &cg_emit_fused_elementwise,
    [DLC_ALGO_CONV_DIRECT] = &cg_emit_conv,
    [DLC_ALGO_CONV_POINTWISE] = &cg_emit_conv_pointwise,
    [DLC_ALGO_CONV_IM2COL] = &cg_emit_conv_im2col,
    [DLC_ALGO_CONV_DEPTHWISE] = &cg_emit_conv_depthwise,
    [DLC_ALGO_CONV_TRANSPOSE] = &cg_emit_conv_transpose,
    [DLC_ALGO_GEMM_DIRECT] = &cg_emit_gemm,
    [DLC_ALGO_GEMM_DIRECT_PACKED] = &cg_emit_gemm_packed,
    [DLC_ALGO_GEMM_MK] = &cg_emit_gemm_mk,
    [DLC_ALGO_GEMM_MK_PACKED] = &cg_emit_gemm_mk_packed,
    [DLC_ALGO_MATMUL_DIRECT] = &cg_emit_matmul,
    [DLC_ALGO_MATMUL_MK] = &cg_emit_matmul_mk,
    [DLC_ALGO_MATMUL_MK_PACKED] = &cg_emit_matmul_mk_packed,
    [DLC_ALGO_POOL] = &cg_emit_pool,
    [DLC_ALGO_GLOBAL_POOL] = &cg_emit_global_pool,
    [DLC_ALGO_BATCH_NORM] = &cg_emit_batch_norm,
    [DLC_ALGO_INSTANCE_NORM] = &cg_emit_instance_norm,
    [DLC_ALGO_LAYER_NORM] = &cg_emit_layer_norm,
    [DLC_ALGO_SOFTMAX] = &cg_emit_softmax,
    [DLC_ALGO_REDUCE_MEAN] = &cg_emit_reduce_mean,
    [DLC_ALGO_REDUCE] = &cg_emit_reduce,
    [DLC_ALGO_TRANSPOSE] = &cg_emit_transpose,
    [DLC_ALGO_CONCAT] = &cg_emit_concat,
    [DLC_ALGO_SPLIT] = &cg_emit_split,
    [DLC_ALGO_SLICE] = &cg_emit_slice,
    [DLC_ALGO_PAD] = &cg_emit_pad,
    [DLC_ALGO_GATHER] = &cg_emit_gather,
    [DLC_ALGO_DEPTH_TO_SPACE] = &cg_emit_depth_to_space,
    [DLC_ALGO_RESIZE] = &cg_emit_resize,
    [DLC_ALGO_EXPAND] = &cg_emit_expand,
    [DLC_ALGO_CONSTANT_OF_SHAPE] = &cg_emit_constant_of_shape,
    [DLC_ALGO_RANGE] = &cg_emit_range,
    [DLC_ALGO_CHANNEL_SHUFFLE] = &cg_emit_channel_shuffle,
    [DLC_ALGO_REORDER_TO_NCHWC] = &cg_emit_reorder_to_nchwc,
    [DLC_ALGO_REORDER_TO_NCHW] = &cg_emit_reorder_to_nchw,
    [DLC_ALGO_CONV_NCHWC] = &cg_emit_conv_nchwc,
    [DLC_ALGO_CONV_NCHWC_DEPTHWISE] = &cg_emit_conv_nchwc_depthwise,
    [DLC_ALGO_POOL_NCHWC] = &cg_emit_pool_nchwc,
    [DLC_ALGO_GLOBAL_POOL_NCHWC] = &cg_emit_global_pool_nchwc,
};

_Static_assert(sizeof emitters / sizeof *emitters == DLC_ALGO_COUNT,
               "one emitter per row of schedule/algorithms.def");

const cg_emitter *cg_emitter_for(dlc_algo a) {
  DLC_ASSERT(a > DLC_ALGO_NONE && a < DLC_ALGO_COUNT && emitters[a]);
  return emitters[a];
}

/* For the table test: whether every row's emitter reads at compile time
 * exactly the inputs the algorithm requires to be constant. */
bool dlc_codegen_emitters_consistent(dlc_algo *bad) {
  for (int a = 1; a < DLC_ALGO_COUNT; a++) {
    const cg_emitter *e = emitters[a];
    if (!e || (e->ct_inputs | e->prep_inputs) !=
                  dlc_algo_const_inputs((dlc_algo)a)) {
      *bad = (dlc_algo)a;
      return false;
    }
  }
  return true;
}
