/* cg_pack.c — operand packing for the micro-kernel (cg_microkernel.c).
 *
 * Constant weights are packed at compile time into exactly the order the
 * micro-kernel reads them, then emitted as one .rodata blob:
 *   A panels [ceil(M/mr)][K][mr]: the mr scalars a k step broadcasts are
 *     adjacent (Conv weights W (Cout, Cin/g*kh*kw) per group);
 *   B panels [ceil(N/nc)][K][nc]: the nv vectors a k step loads are
 *     adjacent (Gemm/MatMul constant B, transposed or not).
 * Rows/columns past M/N are zero, so edge tiles read whole panels safely. */
#include <stdlib.h>

#include "codegen/cg.h"

int64_t cg_pack_a_floats(int64_t m, int64_t k, int mr) {
  return (m + mr - 1) / mr * mr * k;
}

int64_t cg_pack_b_floats(int64_t k, int64_t n, int nc) {
  return (n + nc - 1) / nc * nc * k;
}

float *cg_pack_a(const float *a, int64_t m, int64_t k, int64_t sm, int64_t sk,
                 int mr, int64_t *floats) {
  *floats = cg_pack_a_floats(m, k, mr);
  float *p = calloc((size_t)*floats + 1, sizeof *p);
  DLC_ASSERT(p);
  for (int64_t i = 0; i < m; i++) {
    float *panel = p + i / mr * mr * k + i % mr;
    for (int64_t kk = 0; kk < k; kk++)
      panel[kk * mr] = a[i * sm + kk * sk];
  }
  return p;
}

float *cg_pack_b(const float *b, int64_t k, int64_t n, int64_t sk, int64_t sn,
                 int nc, int64_t *floats) {
  *floats = cg_pack_b_floats(k, n, nc);
  float *p = calloc((size_t)*floats + 1, sizeof *p);
  DLC_ASSERT(p);
  for (int64_t kk = 0; kk < k; kk++)
    for (int64_t j = 0; j < n; j++)
      p[j / nc * nc * k + kk * nc + j % nc] = b[kk * sk + j * sn];
  return p;
}
