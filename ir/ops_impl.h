/* ops_impl.h — private to ir/: declarations of every operator's table
 * functions (generated from ops.def) and the helpers the op files share. */
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

/* Sets output slot's type; refuses a rank above DLC_MAX_RANK and shapes
 * whose element or byte count overflows, naming the shape. */
bool dlc_op_set_output(dlc_op_ctx *c, int slot, dlc_dtype dt, int rank,
                       const int64_t *dims);

/* Output 0 of a reduction over x: the dims marked in reduced are dropped, or
 * kept as 1 with keepdims; x's dtype. */
bool dlc_op_set_reduced_output(dlc_op_ctx *c, const dlc_tensor *x,
                               const bool *reduced, bool keepdims);

/* dlc_norm_axis, dlc_broadcast_shape, dlc_broadcast_index and
 * dlc_tensor_set_shape are declared in ir.h. */

#endif
