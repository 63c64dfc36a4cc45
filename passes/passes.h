/* passes.h — graph-to-graph optimisation passes (the module's public header).
 *
 * Each pass lives in its own file with one entry point and a header comment
 * stating what it requires, what it guarantees afterwards and what it may
 * invalidate. The pipeline (constant folding, no-op elimination, BatchNorm
 * folding, epilogue fusion, algorithm choice, tiling, memory planning) is
 * built on the IR (ir/ir.h) and may call the interpreter (interp/interp.h)
 * for constant folding. No pass sees an LLVM type: codegen reads what the
 * passes decided from the graph.
 *
 * The passes are not implemented yet (see the passes issue); until then the
 * graph reaches codegen as the frontend built it.
 */
#ifndef DLC_PASSES_H
#define DLC_PASSES_H

#include "ir/ir.h"

#endif
