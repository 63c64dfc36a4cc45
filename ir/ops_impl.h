/* ops_impl.h — private to ir/: declarations of every operator's table
 * functions (generated from ops.def) and the helpers the op files share
 * (ops_helpers.c). */
#ifndef DLC_OPS_IMPL_H
#define DLC_OPS_IMPL_H

#include "ir.h"

#define DLC_OP(id, name, domain, min_in, max_in, min_out, max_out, flags,    \
               attrs, infer, macs, kernel)                                    \
  extern const dlc_attr_schema attrs[];                                       \
  bool infer(dlc_op_ctx *c);                                                  \
  int64_t macs(const dlc_op_ctx *c);                                          \
  bool kernel(dlc_op_ctx *c);
#include "ops.def"
#undef DLC_OP

/* Room for a shape in a message: "[d0, ..., d7]" with 20-digit dims. */
enum { SHAPE_BUF = 256 };

/* The helpers the op files share (ops_helpers.c). */

/* Sets output slot's type; refuses a rank above DLC_MAX_RANK and shapes
 * whose element or byte count overflows, naming the shape. */
bool dlc_op_set_output(dlc_op_ctx *c, int slot, dlc_dtype dt, int rank,
                       const int64_t *dims);
/* Output 0 takes t's dtype and shape. */
bool dlc_op_set_output_like(dlc_op_ctx *c, const dlc_tensor *t);

/* Output 0 of a reduction over x: the dims marked in reduced are dropped, or
 * kept as 1 with keepdims; x's dtype. */
bool dlc_op_set_reduced_output(dlc_op_ctx *c, const dlc_tensor *x,
                               const bool *reduced, bool keepdims);

/* Input i, or NULL when omitted or beyond the node's input list. */
const dlc_tensor *dlc_op_input(const dlc_op_ctx *c, int i);
/* Requires inputs [0, n) present; reports the first missing one. */
bool dlc_op_need_inputs(dlc_op_ctx *c, int n);
/* A required float32 input; reports and returns NULL otherwise. */
const dlc_tensor *dlc_op_need_f32(dlc_op_ctx *c, int i, const char *what);

/* The mask bit of a dtype, for dlc_op_need_dtype: DLC_DT_BIT(FLOAT32). */
#define DLC_DT_BIT(x) (1u << DLC_DT_##x)
/* Requires input i to have one of the dtypes in mask; what ends the message. */
bool dlc_op_need_dtype(dlc_op_ctx *c, int i, unsigned mask, const char *what);

static inline bool dlc_op_is_int_dtype(dlc_dtype t) {
  return t == DLC_DT_INT64 || t == DLC_DT_INT32 || t == DLC_DT_INT8 ||
         t == DLC_DT_UINT8;
}
/* The dtypes the integer-aware kernels read and write (float16 is storage
 * only). */
static inline bool dlc_op_is_numeric(dlc_dtype t) {
  return t == DLC_DT_FLOAT32 || dlc_op_is_int_dtype(t);
}

/* Stores v into element i of an integer tensor, truncating to its width
 * (two's complement wrap, as numpy). */
void dlc_op_put_int(dlc_tensor *t, int64_t i, int64_t v);

/* ONNX's unidirectional broadcasting: small stretches to (big_rank,
 * big_dims) without changing it. */
bool dlc_op_unidir_ok(const dlc_tensor *small, int big_rank,
                      const int64_t *big_dims);
/* A shape descriptor for dims[0..rank) (no dtype, no data). */
dlc_tensor dlc_op_shape_of(int rank, const int64_t *dims);
/* o = the broadcast shape of inputs [0, n), all present; reports a clash. */
bool dlc_op_broadcast_all(dlc_op_ctx *c, int n, dlc_tensor *o);
/* Input idx must be a constant 1-D int64 tensor of at most max values, each
 * at least lo; *n gets the length. */
bool dlc_op_const_int_list(dlc_op_ctx *c, int idx, const char *what,
                           int64_t max, int64_t lo, int64_t *n);

/* dlc_norm_axis, dlc_broadcast_shape, dlc_broadcast_index and
 * dlc_tensor_set_shape are declared in ir.h. */

#endif
