/* interp.h — the reference interpreter: runs any graph of the operator table
 * with the table's plain reference kernels (engine "interp"), or with Conv
 * (im2col), Gemm and MatMul through OpenBLAS cblas_sgemm (engine "blas", the
 * classic framework baseline). It is the correctness oracle of every test and
 * the baseline of every speed figure. */
#ifndef DLC_INTERP_H
#define DLC_INTERP_H

#include "ir/ir.h"

typedef enum dlc_engine {
  DLC_ENGINE_INTERP = 0,
  DLC_ENGINE_BLAS = 1,
} dlc_engine;

/* "interp" / "blas" -> engine; false if unknown. */
bool dlc_engine_from_name(const char *name, dlc_engine *out);

/* Runs g (sorted; any state of the pass pipeline) on inputs given in graph
 * input order (type + data, borrowed). Input shapes must match the declared
 * ones; symbolic dims are bound from the actual inputs. On success fills
 * outputs[0..g->outputs.n) with malloc'd data (free with
 * dlc_interp_free_tensors). Problems (shape mismatch, kernel errors) go to
 * d, naming the input or node. */
dlc_status dlc_interp_run(const dlc_graph *g, dlc_engine engine,
                          const dlc_tensor *inputs, int n_inputs,
                          dlc_tensor *outputs, dlc_diag *d);

/* Frees the data of n tensors filled by dlc_interp_run. */
void dlc_interp_free_tensors(dlc_tensor *t, int n);

/* Evaluates one node with its reference kernel: infers the output types from
 * the inputs, allocates outputs (malloc'd, zeroed) and runs the kernel. Used by
 * the interpreter, shape-time constant propagation and constant folding. */
dlc_status dlc_interp_eval_node(const dlc_node *n, const dlc_tensor *const *in,
                                dlc_tensor *out, dlc_diag *d);

#endif
