/* ops_math.c — arithmetic operators of the table: normalisation
 * (BatchNormalization, InstanceNormalization, LayerNormalization), Softmax and
 * LogSoftmax, ReduceMean, MatMul and Gemm, the element-wise activations and
 * math functions, Dropout, and the broadcasting binary operators.
 *
 * Each operator has a shape-inference function (runs on hostile input: every
 * problem is reported through dlc_op_error, never asserted) and a reference
 * kernel. The kernels are the correctness oracle for the whole compiler, so
 * they are written plainly, accumulate in double and favour obviousness over
 * speed. Compute type is float32, layout NCHW; Add/Sub/Mul/Div also take
 * int64 because exported models do shape arithmetic with them.
 */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

enum { SHAPE_BUF = 256 }; /* room for "[d0, ..., d7]" with 20-digit dims */

/* ------------------------------------------------------ attribute schemas */

/* Opset 13 attributes with ONNX's defaults; training_mode is opset 14's
 * attribute, accepted so that newer exports load (and rejected when set). */
const dlc_attr_schema dlc_attrs_batch_norm[] = {
    {.name = "epsilon", .kind = DLC_ATTR_FLOAT, .default_f = 1e-5},
    {.name = "momentum", .kind = DLC_ATTR_FLOAT, .default_f = 0.9},
    {.name = "training_mode", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_instance_norm[] = {
    {.name = "epsilon", .kind = DLC_ATTR_FLOAT, .default_f = 1e-5},
    {.name = NULL}};
/* Opset 17 (LayerNormalization does not exist before it). */
const dlc_attr_schema dlc_attrs_layer_norm[] = {
    {.name = "axis", .kind = DLC_ATTR_INT, .default_i = -1},
    {.name = "epsilon", .kind = DLC_ATTR_FLOAT, .default_f = 1e-5},
    {.name = "stash_type", .kind = DLC_ATTR_INT, .default_i = 1},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_softmax[] = {
    {.name = "axis", .kind = DLC_ATTR_INT, .default_i = -1}, {.name = NULL}};
const dlc_attr_schema dlc_attrs_reduce[] = {
    {.name = "axes", .kind = DLC_ATTR_INTS},
    {.name = "keepdims", .kind = DLC_ATTR_INT, .default_i = 1},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_gemm[] = {
    {.name = "alpha", .kind = DLC_ATTR_FLOAT, .default_f = 1.0},
    {.name = "beta", .kind = DLC_ATTR_FLOAT, .default_f = 1.0},
    {.name = "transA", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = "transB", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_leaky_relu[] = {
    {.name = "alpha", .kind = DLC_ATTR_FLOAT, .default_f = 0.01},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_elu[] = {
    {.name = "alpha", .kind = DLC_ATTR_FLOAT, .default_f = 1.0},
    {.name = NULL}};
const dlc_attr_schema dlc_attrs_hard_sigmoid[] = {
    {.name = "alpha", .kind = DLC_ATTR_FLOAT, .default_f = 0.2},
    {.name = "beta", .kind = DLC_ATTR_FLOAT, .default_f = 0.5},
    {.name = NULL}};
/* seed has no default in ONNX; it only matters in training. */
const dlc_attr_schema dlc_attrs_dropout[] = {
    {.name = "seed", .kind = DLC_ATTR_INT}, {.name = NULL}};

/* --------------------------------------------------------- small helpers */

/* Input i, or NULL when omitted or beyond the node's input list. */
static const dlc_tensor *input(const dlc_op_ctx *c, int i) {
  return i < c->n_inputs ? c->in[i] : NULL;
}

/* A required float32 input; reports and returns NULL otherwise. */
static const dlc_tensor *need_f32(dlc_op_ctx *c, int i, const char *what) {
  const dlc_tensor *t = input(c, i);
  if (!t) {
    dlc_op_error(c, "input %d (%s) is required", i, what);
    return NULL;
  }
  if (t->dtype != DLC_DT_FLOAT32) {
    dlc_op_error(c, "input %d (%s) must be float32, got %s", i, what,
                 dlc_dtype_name(t->dtype));
    return NULL;
  }
  return t;
}

/* Sets output 0's type, refusing shapes whose element count overflows. */
static bool set_out(dlc_op_ctx *c, dlc_dtype dt, int rank,
                    const int64_t *dims) {
  return dlc_op_set_output(c, 0, dt, rank, dims);
}

/* Output 0 takes the type of t. */
static bool set_out_like(dlc_op_ctx *c, const dlc_tensor *t) {
  return set_out(c, t->dtype, t->rank, t->dims);
}

/* Product of dims[from..to), the element count of a sub-block. Shapes here
 * already passed dlc_tensor_numel, so the product cannot overflow. */
static int64_t dims_product(const int64_t *dims, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++)
    n *= dims[i];
  return n;
}

/* ONNX's unidirectional broadcasting: `small` stretches to the shape
 * (big_rank, big_dims) without changing it. Dims are right-aligned and each
 * of small's must equal big's or be 1. */
static bool unidir_ok(const dlc_tensor *small, int big_rank,
                      const int64_t *big_dims) {
  if (small->rank > big_rank)
    return false;
  for (int i = 0; i < small->rank; i++) {
    int64_t s = small->dims[small->rank - 1 - i];
    int64_t b = big_dims[big_rank - 1 - i];
    if (s != b && s != 1)
      return false;
  }
  return true;
}

/* A shape descriptor for dims[0..rank) (no dtype, no data). */
static dlc_tensor shape_of(int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  t.rank = rank;
  for (int i = 0; i < rank; i++)
    t.dims[i] = dims[i];
  return t;
}

/* a * b for non-negative counts, saturating instead of overflowing (MAC
 * counts of absurd models stay meaningful: "more than fits"). */
static int64_t sat_mul(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0)
    return 0;
  return a > INT64_MAX / b ? INT64_MAX : a * b;
}

/* Mean and population variance of x[0..n), two passes in double (one pass
 * loses precision when the mean is large compared with the spread). */
static void moments(const float *x, int64_t n, double *mean, double *var) {
  double s = 0, ss = 0;
  for (int64_t i = 0; i < n; i++)
    s += x[i];
  double m = n > 0 ? s / (double)n : 0;
  for (int64_t i = 0; i < n; i++) {
    double d = x[i] - m;
    ss += d * d;
  }
  *mean = m;
  *var = n > 0 ? ss / (double)n : 0;
}

/* ------------------------------------------ Batch/InstanceNormalization */

/* Input i must be a float32 vector of length C (per-channel parameter). */
static bool check_channel_vec(dlc_op_ctx *c, int i, const char *what,
                              const dlc_tensor *x) {
  const dlc_tensor *t = need_f32(c, i, what);
  if (!t)
    return false;
  if (t->rank != 1 || t->dims[0] != x->dims[1]) {
    char s[SHAPE_BUF], sx[SHAPE_BUF];
    return dlc_op_error(c,
                        "input %d (%s) must have shape [C] = [%lld] for X "
                        "%s, got %s",
                        i, what, (long long)x->dims[1],
                        dlc_shape_str(x, sx, sizeof sx),
                        dlc_shape_str(t, s, sizeof s));
  }
  return true;
}

/* X (N, C, D...) with min_rank; then each named per-channel vector. */
static bool infer_channel_norm(dlc_op_ctx *c, int min_rank, int n_vecs,
                               const char *const *names) {
  const dlc_tensor *x = need_f32(c, 0, "X");
  if (!x)
    return false;
  if (x->rank < min_rank) {
    char s[SHAPE_BUF];
    return dlc_op_error(c,
                        "input 0 (X) must have rank >= %d (N, C, ...), "
                        "got %s",
                        min_rank, dlc_shape_str(x, s, sizeof s));
  }
  bool ok = true;
  for (int i = 1; i <= n_vecs; i++)
    ok &= check_channel_vec(c, i, names[i], x);
  return ok && set_out_like(c, x);
}

bool dlc_infer_batch_norm(dlc_op_ctx *c) {
  static const char *const names[] = {"X", "scale", "B", "mean", "var"};
  if (dlc_node_get_int(c->node, "training_mode") != 0)
    return dlc_op_error(c, "training_mode=1 is not supported: only the "
                           "inference form of BatchNormalization is");
  return infer_channel_norm(c, 2, 4, names);
}

/* Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel. */
bool dlc_ref_batch_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  const float *xd = x->data, *scale = c->in[1]->data, *bias = c->in[2]->data,
              *mean = c->in[3]->data, *var = c->in[4]->data;
  float *y = c->out[0].data;
  double eps = dlc_node_get_float(c->node, "epsilon");
  int64_t n = x->dims[0], ch = x->dims[1];
  int64_t inner = dims_product(x->dims, 2, x->rank);
  for (int64_t b = 0; b < n; b++)
    for (int64_t k = 0; k < ch; k++) {
      double inv = 1.0 / sqrt((double)var[k] + eps);
      int64_t base = (b * ch + k) * inner;
      for (int64_t i = 0; i < inner; i++)
        y[base + i] =
            (float)(((double)xd[base + i] - mean[k]) * inv * scale[k] +
                    bias[k]);
    }
  return true;
}

bool dlc_infer_instance_norm(dlc_op_ctx *c) {
  static const char *const names[] = {"input", "scale", "B"};
  return infer_channel_norm(c, 3, 2, names);
}

/* Each (n, c) plane is normalised by its own mean and variance. */
bool dlc_ref_instance_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  const float *xd = x->data, *scale = c->in[1]->data, *bias = c->in[2]->data;
  float *y = c->out[0].data;
  double eps = dlc_node_get_float(c->node, "epsilon");
  int64_t ch = x->dims[1], planes = x->dims[0] * ch;
  int64_t inner = dims_product(x->dims, 2, x->rank);
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = xd + p * inner;
    double mean, var;
    moments(xp, inner, &mean, &var);
    double inv = 1.0 / sqrt(var + eps);
    for (int64_t i = 0; i < inner; i++)
      y[p * inner + i] =
          (float)((xp[i] - mean) * inv * scale[p % ch] + bias[p % ch]);
  }
  return true;
}

/* -------------------------------------------------- LayerNormalization */

/* Scale/B must broadcast (unidirectionally) to X.shape[axis:]. */
static bool check_ln_param(dlc_op_ctx *c, const dlc_tensor *x, int axis,
                           const dlc_tensor *p, int i, const char *what) {
  if (unidir_ok(p, x->rank - axis, x->dims + axis))
    return true;
  char s[SHAPE_BUF], sn[SHAPE_BUF];
  dlc_tensor norm = shape_of(x->rank - axis, x->dims + axis);
  return dlc_op_error(c,
                      "input %d (%s) %s does not broadcast to the "
                      "normalised shape %s (axis %d)",
                      i, what, dlc_shape_str(p, s, sizeof s),
                      dlc_shape_str(&norm, sn, sizeof sn), axis);
}

bool dlc_infer_layer_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32(c, 0, "X");
  const dlc_tensor *scale = need_f32(c, 1, "Scale");
  const dlc_tensor *bias = input(c, 2) ? need_f32(c, 2, "B") : NULL;
  if (!x || !scale || (input(c, 2) && !bias))
    return false;
  int64_t a = dlc_node_get_int(c->node, "axis");
  int axis;
  if (!dlc_norm_axis(a, x->rank, &axis)) {
    char s[SHAPE_BUF];
    return dlc_op_error(c, "axis %lld is out of range for X %s", (long long)a,
                        dlc_shape_str(x, s, sizeof s));
  }
  bool ok = check_ln_param(c, x, axis, scale, 1, "Scale");
  if (bias)
    ok &= check_ln_param(c, x, axis, bias, 2, "B");
  return ok && set_out_like(c, x);
}

/* Each row X[outer, :] over dims axis.. is normalised; Scale and B are
 * indexed by the position within the row, broadcast. */
bool dlc_ref_layer_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0], *scale = c->in[1], *bias = input(c, 2);
  int axis;
  if (!dlc_norm_axis(dlc_node_get_int(c->node, "axis"), x->rank, &axis))
    return dlc_op_error(c, "axis out of range");
  double eps = dlc_node_get_float(c->node, "epsilon");
  dlc_tensor norm = shape_of(x->rank - axis, x->dims + axis);
  int64_t outer = dims_product(x->dims, 0, axis);
  int64_t inner = dims_product(x->dims, axis, x->rank);
  const float *xd = x->data, *sd = scale->data;
  const float *bd = bias ? bias->data : NULL;
  float *y = c->out[0].data;
  for (int64_t o = 0; o < outer; o++) {
    const float *row = xd + o * inner;
    double mean, var;
    moments(row, inner, &mean, &var);
    double inv = 1.0 / sqrt(var + eps);
    for (int64_t j = 0; j < inner; j++) {
      double v =
          (row[j] - mean) * inv * sd[dlc_broadcast_index(scale, &norm, j)];
      if (bd)
        v += bd[dlc_broadcast_index(bias, &norm, j)];
      y[o * inner + j] = (float)v;
    }
  }
  return true;
}

/* ------------------------------------------------- Softmax, LogSoftmax */

/* Resolves the axis attribute against X; reports when out of range. */
static bool softmax_axis(dlc_op_ctx *c, const dlc_tensor *x, int *axis) {
  int64_t a = dlc_node_get_int(c->node, "axis");
  if (dlc_norm_axis(a, x->rank, axis))
    return true;
  char s[SHAPE_BUF];
  return dlc_op_error(c, "axis %lld is out of range for input %s", (long long)a,
                      dlc_shape_str(x, s, sizeof s));
}

bool dlc_infer_softmax(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32(c, 0, "input");
  int axis;
  return x && softmax_axis(c, x, &axis) && set_out_like(c, x);
}

/* Opset 13: along one axis. Subtracting the row maximum first keeps every
 * exponent <= 0, so large inputs neither overflow nor produce NaN. */
static bool softmax_kernel(dlc_op_ctx *c, bool log_form) {
  const dlc_tensor *x = c->in[0];
  int axis;
  if (!softmax_axis(c, x, &axis))
    return false;
  int64_t outer = dims_product(x->dims, 0, axis), n = x->dims[axis];
  int64_t inner = dims_product(x->dims, axis + 1, x->rank);
  const float *xd = x->data;
  float *y = c->out[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * n * inner + i;
      double mx = -INFINITY, sum = 0;
      for (int64_t k = 0; k < n; k++)
        mx = fmax(mx, xd[base + k * inner]);
      for (int64_t k = 0; k < n; k++)
        sum += exp(xd[base + k * inner] - mx);
      for (int64_t k = 0; k < n; k++) {
        double d = xd[base + k * inner] - mx;
        y[base + k * inner] = (float)(log_form ? d - log(sum) : exp(d) / sum);
      }
    }
  return true;
}

bool dlc_ref_softmax(dlc_op_ctx *c) { return softmax_kernel(c, false); }
bool dlc_ref_log_softmax(dlc_op_ctx *c) { return softmax_kernel(c, true); }

/* ------------------------------------------------------------ ReduceMean */

/* Marks reduced[d] for each axis of the attribute (all when absent);
 * reports out-of-range and repeated axes. */
static bool reduce_axes(dlc_op_ctx *c, const dlc_tensor *x,
                        bool reduced[DLC_MAX_RANK]) {
  const int64_t *axes;
  int n = dlc_node_get_ints(c->node, "axes", &axes);
  for (int d = 0; d < DLC_MAX_RANK; d++)
    reduced[d] = n == 0;
  bool ok = true;
  for (int i = 0; i < n; i++) {
    int d;
    char s[SHAPE_BUF];
    if (!dlc_norm_axis(axes[i], x->rank, &d))
      ok = dlc_op_error(c, "axis %lld is out of range for input %s",
                        (long long)axes[i], dlc_shape_str(x, s, sizeof s));
    else if (reduced[d])
      ok = dlc_op_error(c, "axis %lld appears twice in axes",
                        (long long)axes[i]);
    else
      reduced[d] = true;
  }
  return ok;
}

bool dlc_infer_reduce(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32(c, 0, "data");
  bool reduced[DLC_MAX_RANK];
  if (!x || !reduce_axes(c, x, reduced))
    return false;
  return dlc_op_set_reduced_output(c, x, reduced,
                                   dlc_node_get_int(c->node, "keepdims") != 0);
}

/* Writes the coordinates of index `idx` of the sub-space made of the dims d
 * with mask[d] == want into coord[d] (row-major); other coords untouched. */
static void unravel_masked(int64_t idx, const dlc_tensor *x, const bool *mask,
                           bool want, int64_t *coord) {
  for (int d = x->rank - 1; d >= 0; d--)
    if (mask[d] == want) {
      coord[d] = idx % x->dims[d];
      idx /= x->dims[d];
    }
}

/* Row-major flat index of coord in x. */
static int64_t ravel(const dlc_tensor *x, const int64_t *coord) {
  int64_t flat = 0;
  for (int d = 0; d < x->rank; d++)
    flat = flat * x->dims[d] + coord[d];
  return flat;
}

/* For each output element: fix the kept coordinates, then sum over every
 * coordinate of the reduced dims. The output's element order is that of the
 * kept dims whether or not keepdims inserts 1s. */
bool dlc_ref_reduce_mean(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  bool reduced[DLC_MAX_RANK];
  if (!reduce_axes(c, x, reduced))
    return false;
  int64_t count = 1;
  for (int d = 0; d < x->rank; d++)
    if (reduced[d])
      count *= x->dims[d];
  int64_t nout = dlc_tensor_numel(&c->out[0]);
  const float *xd = x->data;
  float *y = c->out[0].data;
  for (int64_t o = 0; o < nout; o++) {
    int64_t coord[DLC_MAX_RANK] = {0};
    unravel_masked(o, x, reduced, false, coord);
    double sum = 0;
    for (int64_t k = 0; k < count; k++) {
      unravel_masked(k, x, reduced, true, coord);
      sum += xd[ravel(x, coord)];
    }
    y[o] = count > 0 ? (float)(sum / (double)count) : NAN;
  }
  return true;
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
  g->abatch = shape_of(ab, a->dims);
  g->bbatch = shape_of(bb, b->dims);
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
  const dlc_tensor *a = need_f32(c, 0, "A"), *b = need_f32(c, 1, "B");
  if (!a || !b)
    return false;
  mm_geom g;
  if (mm_geom_of(a, b, &g))
    return set_out(c, a->dtype, g.out_rank, g.out_dims);
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
  const dlc_tensor *a = need_f32(c, 0, "A"), *b = need_f32(c, 1, "B");
  const dlc_tensor *cc = input(c, 2) ? need_f32(c, 2, "C") : NULL;
  if (!a || !b || (input(c, 2) && !cc))
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
  if (cc && !unidir_ok(cc, 2, mn)) {
    char sc[SHAPE_BUF];
    return dlc_op_error(c,
                        "input 2 (C) %s does not broadcast to (M, N) = "
                        "[%lld, %lld]",
                        dlc_shape_str(cc, sc, sizeof sc), (long long)m,
                        (long long)n);
  }
  return set_out(c, a->dtype, 2, mn);
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
  const dlc_tensor *cc = input(c, 2);
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

/* ------------------------------------------------- unary element-wise */

/* Clip's min (input 1) and max (input 2), when given, must be constant
 * scalars of X's dtype: codegen bakes them into the epilogue. */
static bool check_clip_bound(dlc_op_ctx *c, const dlc_tensor *x, int i,
                             const char *what) {
  const dlc_tensor *t = input(c, i);
  if (!t)
    return true;
  char s[SHAPE_BUF];
  if (!t->data)
    return dlc_op_error(c, "input %d (%s) must be a constant initializer", i,
                        what);
  if (dlc_tensor_numel(t) != 1)
    return dlc_op_error(c, "input %d (%s) must be a scalar, got %s", i, what,
                        dlc_shape_str(t, s, sizeof s));
  if (t->dtype != x->dtype)
    return dlc_op_error(c, "input %d (%s) has dtype %s but X has %s", i, what,
                        dlc_dtype_name(t->dtype), dlc_dtype_name(x->dtype));
  return true;
}

/* Output type = input type. Identity passes any dtype through; every other
 * op using this computes in float32. */
bool dlc_infer_unary(dlc_op_ctx *c) {
  const dlc_tensor *x = input(c, 0);
  if (!x)
    return dlc_op_error(c, "input 0 is required");
  if (c->node->op != DLC_OP_IDENTITY && !need_f32(c, 0, "X"))
    return false;
  return set_out_like(c, x);
}

/* Clip: a unary op whose optional bounds (inputs 1, 2) must be constants. */
bool dlc_infer_clip(dlc_op_ctx *c) {
  if (!dlc_infer_unary(c))
    return false;
  bool ok = check_clip_bound(c, c->in[0], 1, "min");
  ok &= check_clip_bound(c, c->in[0], 2, "max");
  return ok;
}

/* Parameters an element-wise function may need. */
typedef struct unary_args {
  double alpha, beta, lo, hi;
} unary_args;
typedef double (*unary_fn)(double x, const unary_args *a);

/* y[i] = f(x[i]) over float32 data, computed in double. */
static bool run_unary(dlc_op_ctx *c, unary_fn f, const unary_args *a) {
  const dlc_tensor *x = c->in[0];
  if (x->dtype != DLC_DT_FLOAT32)
    return dlc_op_error(c, "input 0 must be float32, got %s",
                        dlc_dtype_name(x->dtype));
  const float *xd = x->data;
  float *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(x);
  for (int64_t i = 0; i < n; i++)
    y[i] = (float)f(xd[i], a);
  return true;
}

/* Written as "x < 0 ? ... : x" so that NaN passes through, as in PyTorch. */
static double f_relu(double x, const unary_args *a) {
  (void)a;
  return x < 0 ? 0.0 : x;
}
static double f_leaky_relu(double x, const unary_args *a) {
  return x < 0 ? a->alpha * x : x;
}
static double f_elu(double x, const unary_args *a) {
  return x < 0 ? a->alpha * expm1(x) : x;
}
/* exp of a non-positive number only: no overflow for large |x|. */
static double f_sigmoid(double x, const unary_args *a) {
  (void)a;
  if (x >= 0)
    return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}
static double f_tanh(double x, const unary_args *a) {
  (void)a;
  return tanh(x);
}
/* Lower bound first, then upper: with min > max every value becomes max,
 * as ONNX specifies. NaN passes through. */
static double f_clip(double x, const unary_args *a) {
  if (x < a->lo)
    x = a->lo;
  if (x > a->hi)
    x = a->hi;
  return x;
}
static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
static double f_hard_sigmoid(double x, const unary_args *a) {
  return clamp01(a->alpha * x + a->beta);
}
/* ONNX: x * max(0, min(1, x / 6 + 0.5)). */
static double f_hard_swish(double x, const unary_args *a) {
  (void)a;
  return x * clamp01(x / 6.0 + 0.5);
}
static double f_erf(double x, const unary_args *a) {
  (void)a;
  return erf(x);
}
static double f_sqrt(double x, const unary_args *a) {
  (void)a;
  return sqrt(x);
}
static double f_exp(double x, const unary_args *a) {
  (void)a;
  return exp(x);
}

static const unary_args no_args;

bool dlc_ref_relu(dlc_op_ctx *c) { return run_unary(c, f_relu, &no_args); }
bool dlc_ref_leaky_relu(dlc_op_ctx *c) {
  unary_args a = {.alpha = dlc_node_get_float(c->node, "alpha")};
  return run_unary(c, f_leaky_relu, &a);
}
bool dlc_ref_elu(dlc_op_ctx *c) {
  unary_args a = {.alpha = dlc_node_get_float(c->node, "alpha")};
  return run_unary(c, f_elu, &a);
}
bool dlc_ref_sigmoid(dlc_op_ctx *c) {
  return run_unary(c, f_sigmoid, &no_args);
}
bool dlc_ref_tanh(dlc_op_ctx *c) { return run_unary(c, f_tanh, &no_args); }
bool dlc_ref_clip(dlc_op_ctx *c) {
  const dlc_tensor *lo = input(c, 1), *hi = input(c, 2);
  unary_args a = {.lo = -INFINITY, .hi = INFINITY};
  if (lo && dlc_tensor_numel(lo) == 1)
    a.lo = dlc_tensor_get_f64(lo, 0);
  if (hi && dlc_tensor_numel(hi) == 1)
    a.hi = dlc_tensor_get_f64(hi, 0);
  return run_unary(c, f_clip, &a);
}
bool dlc_ref_hard_sigmoid(dlc_op_ctx *c) {
  unary_args a = {.alpha = dlc_node_get_float(c->node, "alpha"),
                  .beta = dlc_node_get_float(c->node, "beta")};
  return run_unary(c, f_hard_sigmoid, &a);
}
bool dlc_ref_hard_swish(dlc_op_ctx *c) {
  return run_unary(c, f_hard_swish, &no_args);
}
bool dlc_ref_erf(dlc_op_ctx *c) { return run_unary(c, f_erf, &no_args); }
bool dlc_ref_sqrt(dlc_op_ctx *c) { return run_unary(c, f_sqrt, &no_args); }
bool dlc_ref_exp(dlc_op_ctx *c) { return run_unary(c, f_exp, &no_args); }

/* ----------------------------------------------------------------- PRelu */

bool dlc_infer_prelu(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32(c, 0, "X"), *s = need_f32(c, 1, "slope");
  if (!x || !s)
    return false;
  if (!unidir_ok(s, x->rank, x->dims)) {
    char ss[SHAPE_BUF], sx[SHAPE_BUF];
    return dlc_op_error(c, "input 1 (slope) %s does not broadcast to X %s",
                        dlc_shape_str(s, ss, sizeof ss),
                        dlc_shape_str(x, sx, sizeof sx));
  }
  return set_out_like(c, x);
}

bool dlc_ref_prelu(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0], *s = c->in[1];
  const float *xd = x->data, *sd = s->data;
  float *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(x);
  for (int64_t i = 0; i < n; i++)
    y[i] = xd[i] < 0 ? sd[dlc_broadcast_index(s, x, i)] * xd[i] : xd[i];
  return true;
}

/* --------------------------------------------------------------- Dropout */

/* True when t is a constant whose first element is non-zero (ONNX's bool
 * training_mode; readable dtypes only). */
static bool constant_true(const dlc_tensor *t) {
  if (!t || !t->data || dlc_tensor_numel(t) < 1)
    return false;
  switch (t->dtype) {
  case DLC_DT_FLOAT32:
  case DLC_DT_INT64:
  case DLC_DT_INT32:
  case DLC_DT_INT8:
  case DLC_DT_UINT8:
    return dlc_tensor_get_f64(t, 0) != 0;
  default:
    return false;
  }
}

/* Inference Dropout is the identity: ratio is ignored, and a constant true
 * training_mode or a declared mask output cannot be honoured. */
/* A constant ratio of exactly 0: Dropout is then the identity even in
 * training mode (torchvision's Swin calls F.dropout(p=0.0) without
 * training=False, and torch exports training_mode = true). */
static bool ratio_is_zero(const dlc_tensor *ratio) {
  return ratio && ratio->data && dlc_tensor_numel(ratio) == 1 &&
         (ratio->dtype == DLC_DT_FLOAT32 || ratio->dtype == DLC_DT_INT64) &&
         dlc_tensor_get_f64(ratio, 0) == 0.0;
}

/* Inference Dropout: output 0 is X. The optional mask (output 1) is only
 * meaningful when nothing is dropped: then it is all true (bool as uint8). */
bool dlc_infer_dropout(dlc_op_ctx *c) {
  const dlc_tensor *x = input(c, 0);
  if (!x)
    return dlc_op_error(c, "input 0 (data) is required");
  bool identity = ratio_is_zero(input(c, 1));
  bool ok = true;
  if (constant_true(input(c, 2)) && !identity)
    ok = dlc_op_error(c, "training_mode is true with a ratio other than 0: "
                         "Dropout is only supported at inference");
  bool mask = c->n_outputs >= 2 && c->node->outputs[1];
  if (mask && !identity && constant_true(input(c, 2)))
    ok = dlc_op_error(c, "Dropout mask output is not supported at inference");
  if (!ok || !set_out_like(c, x))
    return false;
  return !mask || dlc_op_set_output(c, 1, DLC_DT_UINT8, x->rank, x->dims);
}

/* Output 0 = X; the mask, if asked for, says every element was kept. */
bool dlc_ref_dropout(dlc_op_ctx *c) {
  memcpy(c->out[0].data, c->in[0]->data, dlc_tensor_nbytes(c->in[0]));
  if (c->n_outputs >= 2 && c->out[1].data)
    memset(c->out[1].data, 1, dlc_tensor_nbytes(&c->out[1]));
  return true;
}

/* ------------------------------------------------- binary, broadcasting */

/* Numpy multidirectional broadcasting; both inputs share one dtype. Add,
 * Sub, Mul and Div take float32 or int64, Pow float32. */
bool dlc_infer_broadcast(dlc_op_ctx *c) {
  const dlc_tensor *a = input(c, 0), *b = input(c, 1);
  if (!a || !b)
    return dlc_op_error(c, "inputs 0 (A) and 1 (B) are required");
  char sa[SHAPE_BUF], sb[SHAPE_BUF];
  dlc_shape_str(a, sa, sizeof sa);
  dlc_shape_str(b, sb, sizeof sb);
  if (a->dtype != b->dtype)
    return dlc_op_error(c, "inputs have different dtypes: A %s %s and B %s %s",
                        dlc_dtype_name(a->dtype), sa, dlc_dtype_name(b->dtype),
                        sb);
  bool int_ok = c->node->op != DLC_OP_POW;
  if (a->dtype != DLC_DT_FLOAT32 && !(int_ok && a->dtype == DLC_DT_INT64))
    return dlc_op_error(c, "dtype %s is not supported (%s)",
                        dlc_dtype_name(a->dtype),
                        int_ok ? "float32 or int64" : "float32 only");
  dlc_tensor o;
  if (!dlc_broadcast_shape(a, b, &o))
    return dlc_op_error(c, "cannot broadcast A %s and B %s", sa, sb);
  return set_out(c, a->dtype, o.rank, o.dims);
}

typedef enum bin_op { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW } bin_op;

/* Float32 a op b, in double then rounded once (exact for + - * /). */
static float bin_f32(bin_op op, float a, float b) {
  switch (op) {
  case BIN_ADD:
    return (float)((double)a + b);
  case BIN_SUB:
    return (float)((double)a - b);
  case BIN_MUL:
    return (float)((double)a * b);
  case BIN_DIV:
    return (float)((double)a / b);
  case BIN_POW:
    return (float)pow(a, b);
  }
  return 0;
}

/* Int64 a op b with two's-complement wrap-around (as numpy and PyTorch),
 * never C's undefined signed overflow; division truncates like C. The caller
 * rules out division by zero. */
static int64_t bin_i64(bin_op op, int64_t a, int64_t b) {
  uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
  switch (op) {
  case BIN_ADD:
    return (int64_t)(ua + ub);
  case BIN_SUB:
    return (int64_t)(ua - ub);
  case BIN_MUL:
    return (int64_t)(ua * ub);
  case BIN_DIV:
    return b == -1 ? (int64_t)(0 - ua) : a / b;
  case BIN_POW:
    break;
  }
  return 0;
}

static bool run_binary(dlc_op_ctx *c, bin_op op) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  dlc_tensor *y = &c->out[0];
  int64_t n = dlc_tensor_numel(y);
  bool is_int = a->dtype == DLC_DT_INT64 && b->dtype == DLC_DT_INT64;
  if (!is_int && (a->dtype != DLC_DT_FLOAT32 || b->dtype != DLC_DT_FLOAT32))
    return dlc_op_error(c, "unsupported dtypes %s and %s",
                        dlc_dtype_name(a->dtype), dlc_dtype_name(b->dtype));
  if (is_int && op == BIN_POW)
    return dlc_op_error(c, "Pow on int64 is not supported");
  for (int64_t i = 0; i < n; i++) {
    int64_t ia = dlc_broadcast_index(a, y, i),
            ib = dlc_broadcast_index(b, y, i);
    if (!is_int) {
      ((float *)y->data)[i] = bin_f32(op, ((const float *)a->data)[ia],
                                      ((const float *)b->data)[ib]);
      continue;
    }
    int64_t va = ((const int64_t *)a->data)[ia];
    int64_t vb = ((const int64_t *)b->data)[ib];
    if (op == BIN_DIV && vb == 0)
      return dlc_op_error(c, "int64 division by zero at output element %lld",
                          (long long)i);
    ((int64_t *)y->data)[i] = bin_i64(op, va, vb);
  }
  return true;
}

bool dlc_ref_add(dlc_op_ctx *c) { return run_binary(c, BIN_ADD); }
bool dlc_ref_sub(dlc_op_ctx *c) { return run_binary(c, BIN_SUB); }
bool dlc_ref_mul(dlc_op_ctx *c) { return run_binary(c, BIN_MUL); }
bool dlc_ref_div(dlc_op_ctx *c) { return run_binary(c, BIN_DIV); }
bool dlc_ref_pow(dlc_op_ctx *c) { return run_binary(c, BIN_POW); }
