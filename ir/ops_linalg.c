/* ops_linalg.c — linear algebra: MatMul (numpy broadcasting over batch
 * dims) and Gemm (alpha * A' B' + beta * C, C broadcast unidirectionally).
 *
 * Shape inference, MAC counts (saturating: they are reported, never used to
 * allocate) and float32 reference kernels that accumulate in double. */
#include <string.h>

#include "ops_impl.h"

const dlc_attr_schema dlc_attrs_gemm[] = {
    {.name = "alpha", .kind = DLC_ATTR_FLOAT, .default_f = 1.0},
    {.name = "beta", .kind = DLC_ATTR_FLOAT, .default_f = 1.0},
    {.name = "transA", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = "transB", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};

/* --------------------------------------------------------- small helpers */

/* a * b for non-negative counts, saturating instead of overflowing (MAC
 * counts of absurd models stay meaningful: "more than fits"). */
static int64_t sat_mul(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0)
    return 0;
  return a > INT64_MAX / b ? INT64_MAX : a * b;
}

/* ---------------------------------------------------------------- MatMul */

/* numpy matmul geometry: A (..., M, K) x B (..., K, N) -> (..., M, N), with
 * a 1-D A read as (1, K) and a 1-D B as (K, 1) (that dim is then dropped),
 * and the batch dims broadcast. */
typedef struct mm_geom {
  dlc_tensor abatch, bbatch, obatch; /* batch shapes (no data) */
  int64_t m, n, k;
  int out_rank;
  int64_t out_dims[DLC_MAX_RANK];
} mm_geom;

/* False (nothing reported) when the shapes do not multiply. */
static bool mm_geom_of(const dlc_tensor *a, const dlc_tensor *b, mm_geom *g) {
  if (a->rank < 1 || b->rank < 1)
    return false;
  int ab = a->rank >= 2 ? a->rank - 2 : 0, bb = b->rank >= 2 ? b->rank - 2 : 0;
  g->abatch = dlc_op_shape_of(ab, a->dims);
  g->bbatch = dlc_op_shape_of(bb, b->dims);
  g->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  g->k = a->dims[a->rank - 1];
  g->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
  if (kb != g->k || !dlc_broadcast_shape(&g->abatch, &g->bbatch, &g->obatch))
    return false;
  g->out_rank = 0;
  for (int i = 0; i < g->obatch.rank; i++)
    g->out_dims[g->out_rank++] = g->obatch.dims[i];
  if (a->rank >= 2)
    g->out_dims[g->out_rank++] = g->m;
  if (b->rank >= 2)
    g->out_dims[g->out_rank++] = g->n;
  return true;
}

bool dlc_infer_matmul(dlc_op_ctx *c) {
  const dlc_tensor *a = dlc_op_need_f32(c, 0, "A"),
                   *b = dlc_op_need_f32(c, 1, "B");
  if (!a || !b)
    return false;
  mm_geom g;
  if (mm_geom_of(a, b, &g))
    return dlc_op_set_output(c, 0, a->dtype, g.out_rank, g.out_dims);
  char sa[SHAPE_BUF], sb[SHAPE_BUF];
  dlc_shape_str(a, sa, sizeof sa);
  dlc_shape_str(b, sb, sizeof sb);
  if (a->rank < 1 || b->rank < 1)
    return dlc_op_error(c, "MatMul inputs must have rank >= 1: A %s and B %s",
                        sa, sb);
  int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
  if (a->dims[a->rank - 1] != kb)
    return dlc_op_error(c, "MatMul inner dimensions differ: A %s and B %s", sa,
                        sb);
  return dlc_op_error(c,
                      "MatMul batch dimensions do not broadcast: A %s and "
                      "B %s",
                      sa, sb);
}

int64_t dlc_macs_matmul(const dlc_op_ctx *c) {
  mm_geom g;
  if (c->n_inputs < 2 || !c->in[0] || !c->in[1] ||
      !mm_geom_of(c->in[0], c->in[1], &g))
    return 0;
  return sat_mul(sat_mul(sat_mul(dlc_tensor_numel(&g.obatch), g.m), g.n), g.k);
}

/* One (M, K) x (K, N) product per output batch element; the batch index maps
 * back to A's and B's batch by broadcasting. */
bool dlc_ref_matmul(dlc_op_ctx *c) {
  mm_geom g;
  if (!mm_geom_of(c->in[0], c->in[1], &g))
    return dlc_op_error(c, "MatMul shapes do not multiply");
  const float *ad = c->in[0]->data, *bd = c->in[1]->data;
  float *y = c->out[0].data;
  int64_t nbatch = dlc_tensor_numel(&g.obatch);
  for (int64_t bi = 0; bi < nbatch; bi++) {
    const float *ab =
        ad + dlc_broadcast_index(&g.abatch, &g.obatch, bi) * g.m * g.k;
    const float *bb =
        bd + dlc_broadcast_index(&g.bbatch, &g.obatch, bi) * g.k * g.n;
    float *yb = y + bi * g.m * g.n;
    for (int64_t i = 0; i < g.m; i++)
      for (int64_t j = 0; j < g.n; j++) {
        double acc = 0;
        for (int64_t p = 0; p < g.k; p++)
          acc += (double)ab[i * g.k + p] * bb[p * g.n + j];
        yb[i * g.n + j] = (float)acc;
      }
  }
  return true;
}

/* ------------------------------------------------------------------ Gemm */

/* M, N, K of Y = alpha * A' x B' + beta * C with A' = transA ? A^T : A. */
static void gemm_dims(const dlc_op_ctx *c, int64_t *m, int64_t *n, int64_t *k,
                      int64_t *kb) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  bool ta = dlc_node_get_int(c->node, "transA") != 0;
  bool tb = dlc_node_get_int(c->node, "transB") != 0;
  *m = ta ? a->dims[1] : a->dims[0];
  *k = ta ? a->dims[0] : a->dims[1];
  *kb = tb ? b->dims[1] : b->dims[0];
  *n = tb ? b->dims[0] : b->dims[1];
}

bool dlc_infer_gemm(dlc_op_ctx *c) {
  const dlc_tensor *a = dlc_op_need_f32(c, 0, "A"),
                   *b = dlc_op_need_f32(c, 1, "B");
  const dlc_tensor *cc = dlc_op_input(c, 2) ? dlc_op_need_f32(c, 2, "C") : NULL;
  if (!a || !b || (dlc_op_input(c, 2) && !cc))
    return false;
  char sa[SHAPE_BUF], sb[SHAPE_BUF];
  dlc_shape_str(a, sa, sizeof sa);
  dlc_shape_str(b, sb, sizeof sb);
  if (a->rank != 2 || b->rank != 2)
    return dlc_op_error(c, "Gemm inputs must be 2-D: A %s and B %s", sa, sb);
  int64_t m, n, k, kb;
  gemm_dims(c, &m, &n, &k, &kb);
  if (k != kb)
    return dlc_op_error(c,
                        "Gemm inner dimensions differ: A %s (transA=%lld) "
                        "and B %s (transB=%lld)",
                        sa, (long long)dlc_node_get_int(c->node, "transA"), sb,
                        (long long)dlc_node_get_int(c->node, "transB"));
  int64_t mn[2] = {m, n};
  if (cc && !dlc_op_unidir_ok(cc, 2, mn)) {
    char sc[SHAPE_BUF];
    return dlc_op_error(c,
                        "input 2 (C) %s does not broadcast to (M, N) = "
                        "[%lld, %lld]",
                        dlc_shape_str(cc, sc, sizeof sc), (long long)m,
                        (long long)n);
  }
  return dlc_op_set_output(c, 0, a->dtype, 2, mn);
}

int64_t dlc_macs_gemm(const dlc_op_ctx *c) {
  if (c->n_inputs < 2 || !c->in[0] || !c->in[1] || c->in[0]->rank != 2 ||
      c->in[1]->rank != 2)
    return 0;
  int64_t m, n, k, kb;
  gemm_dims(c, &m, &n, &k, &kb);
  return sat_mul(sat_mul(m, n), k);
}

bool dlc_ref_gemm(dlc_op_ctx *c) {
  const dlc_tensor *cc = dlc_op_input(c, 2);
  const float *ad = c->in[0]->data, *bd = c->in[1]->data;
  const float *cd = cc ? cc->data : NULL;
  float *y = c->out[0].data;
  bool ta = dlc_node_get_int(c->node, "transA") != 0;
  bool tb = dlc_node_get_int(c->node, "transB") != 0;
  double alpha = dlc_node_get_float(c->node, "alpha");
  double beta = dlc_node_get_float(c->node, "beta");
  int64_t m, n, k, kb;
  gemm_dims(c, &m, &n, &k, &kb);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double acc = 0;
      for (int64_t p = 0; p < k; p++)
        acc += (double)(ta ? ad[p * m + i] : ad[i * k + p]) *
               (tb ? bd[j * k + p] : bd[p * n + j]);
      double v = alpha * acc;
      if (cd)
        v += beta * cd[dlc_broadcast_index(cc, &c->out[0], i * n + j)];
      y[i * n + j] = (float)v;
    }
  return true;
}
