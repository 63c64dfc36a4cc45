/* interp_impl.h — private to interp/: the OpenBLAS engine's entry points. */
#ifndef DLC_INTERP_IMPL_H
#define DLC_INTERP_IMPL_H

#include "ir/ir.h"

/* True when the blas engine has its own kernel for this node (2-D Conv,
 * Gemm, MatMul on float32). */
bool dlc_blas_handles(const dlc_op_ctx *c);
/* Runs that kernel; outputs are typed and allocated. */
bool dlc_blas_run(dlc_op_ctx *c);

#endif
