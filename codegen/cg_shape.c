/* cg_shape.c — data-movement kernels: copies (renaming operators whose
 * output is a graph output), and the strided copy that Transpose, Slice,
 * Concat, Split, Pad, Gather and DepthToSpace are all expressed with:
 * out[obase + sum i_k*ostr_k] = in[ibase + sum i_k*istr_k]. */
#include <string.h>

#include "codegen/cg.h"

void cg_emit_strided_copy(cg_fn *f, int rank, const int64_t *dims_in,
                          LLVMValueRef in, int64_t ibase,
                          const int64_t *istr_in, LLVMValueRef out,
                          int64_t obase, const int64_t *ostr_in) {
  int64_t dims[DLC_MAX_RANK + 1], is[DLC_MAX_RANK + 1], os[DLC_MAX_RANK + 1];
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (dims_in[k] == 0)
      return;
    if (dims_in[k] == 1)
      continue;
    /* Merge into the previous (outer) dim when both walk it contiguously. */
    if (r > 0 && is[r - 1] == istr_in[k] * dims_in[k] &&
        os[r - 1] == ostr_in[k] * dims_in[k]) {
      dims[r - 1] *= dims_in[k];
      is[r - 1] = istr_in[k];
      os[r - 1] = ostr_in[k];
      continue;
    }
    dims[r] = dims_in[k];
    is[r] = istr_in[k];
    os[r] = ostr_in[k];
    r++;
  }
  if (r == 0) {
    dims[0] = 1;
    is[0] = os[0] = 1;
    r = 1;
  }
  LLVMValueRef idx[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, r - 1, dims, idx);
  LLVMValueRef ia = cg_i64(f, ibase), oa = cg_i64(f, obase);
  for (int k = 0; k < r - 1; k++) {
    ia = cg_affine(f, ia, idx[k], is[k]);
    oa = cg_affine(f, oa, idx[k], os[k]);
  }
  int64_t d = dims[r - 1];
  if (is[r - 1] == 1 && os[r - 1] == 1) {
    cg_copy(f, cg_gep(f, out, oa), cg_gep(f, in, ia), d);
  } else {
    cg_loop l;
    LLVMValueRef j = cg_for_begin(f, &l, 0, d, 1);
    LLVMValueRef x = cg_load(f, f->c->f32, in, cg_affine(f, ia, j, is[r - 1]));
    cg_store(f, x, out, cg_affine(f, oa, j, os[r - 1]));
    cg_for_end(f, &l);
  }
  cg_nest_end(f, &nest);
}

/* Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze whose output is a
 * graph output: the bytes are the same, so one copy. */
static bool emit_copy(cg_fn *f) {
  cg_copy(f, f->out[0], f->in[0], cg_numel(&f->node->outputs[0]->type));
  return true;
}

/* Reshape's shape, Squeeze/Unsqueeze's axes are read only by shape
 * inference: never passed at run time. */
const cg_emitter cg_emit_copy = {"copy", 0, 0x6, NULL, emit_copy, NULL};
