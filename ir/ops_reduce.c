/* ops_reduce.c — reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin.
 *
 * ReduceMean, ReduceMax and ReduceMin take axes as an attribute (until
 * opset 18), ReduceSum as input 1 (opset 13). ReduceMean is float32 and
 * accumulates in double; ReduceSum/Max/Min also take integers (sums wrap,
 * max/min let NaN win). Shape inference reports every problem through
 * dlc_op_error; the output shape comes from dlc_op_set_reduced_output. */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

const dlc_attr_schema dlc_attrs_reduce[] = {
    {.name = "axes", .kind = DLC_ATTR_INTS},
    {.name = "keepdims", .kind = DLC_ATTR_INT, .default_i = 1},
    {.name = NULL}};

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
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "data");
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

/* -------------------------------------------------------- reductions */

/* ReduceSum (opset 13): axes is input 1; no axes reduces everything unless
 * noop_with_empty_axes is set (then it is the identity). */
const dlc_attr_schema dlc_attrs_reduce_sum[] = {
    {.name = "keepdims", .kind = DLC_ATTR_INT, .default_i = 1},
    {.name = "noop_with_empty_axes", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};

/* Marks reduced[d] for each axis in axes[0..n); all when n == 0 (unless
 * noop). Reports out-of-range and repeated axes. */
static bool mark_axes(dlc_op_ctx *c, const dlc_tensor *x, const int64_t *axes,
                      int64_t n, bool noop, bool reduced[DLC_MAX_RANK]) {
  for (int d = 0; d < DLC_MAX_RANK; d++)
    reduced[d] = n == 0 && !noop;
  for (int64_t i = 0; i < n; i++) {
    int d;
    char s[SHAPE_BUF];
    if (!dlc_norm_axis(axes[i], x->rank, &d))
      return dlc_op_error(c, "axis %lld is out of range for input %s",
                          (long long)axes[i], dlc_shape_str(x, s, sizeof s));
    if (reduced[d])
      return dlc_op_error(c, "axis %lld appears twice", (long long)axes[i]);
    reduced[d] = true;
  }
  return true;
}

/* ReduceSum's mask from its axes input. */
static bool sum_axes(dlc_op_ctx *c, bool reduced[DLC_MAX_RANK]) {
  const dlc_tensor *x = dlc_op_input(c, 0), *ax = dlc_op_input(c, 1);
  int64_t n = 0, axes[DLC_MAX_RANK];
  if (ax && !dlc_op_const_int_list(c, 1, "axes", DLC_MAX_RANK, INT64_MIN, &n))
    return false;
  for (int64_t i = 0; i < n; i++)
    axes[i] = dlc_tensor_get_int(ax, i);
  return mark_axes(c, x, axes, n,
                   dlc_node_get_int(c->node, "noop_with_empty_axes") != 0,
                   reduced);
}

/* ReduceMax/ReduceMin's mask from the axes attribute (as ReduceMean). */
static bool attr_axes(dlc_op_ctx *c, bool reduced[DLC_MAX_RANK]) {
  const int64_t *axes;
  int n = dlc_node_get_ints(c->node, "axes", &axes);
  if (n > DLC_MAX_RANK)
    return dlc_op_error(c, "attribute 'axes' has %d values", n);
  return mark_axes(c, dlc_op_input(c, 0), axes, n, false, reduced);
}

static bool reduced_shape(dlc_op_ctx *c, const bool *reduced) {
  return dlc_op_set_reduced_output(c, dlc_op_input(c, 0), reduced,
                                   dlc_node_get_int(c->node, "keepdims") != 0);
}

bool dlc_infer_reduce_sum(dlc_op_ctx *c) {
  bool reduced[DLC_MAX_RANK];
  return dlc_op_need_inputs(c, 1) &&
         dlc_op_need_dtype(c, 0, DLC_DT_BIT(FLOAT32) | DLC_DT_BIT(INT64),
                    "ReduceSum takes float32 or int64") &&
         sum_axes(c, reduced) && reduced_shape(c, reduced);
}

typedef enum red_op { RED_SUM, RED_MAX, RED_MIN } red_op;

/* Input element index of output o's k-th reduced element: the kept dims
 * take o's coordinates, the reduced ones k's (both row-major). */
static int64_t red_index(const dlc_tensor *x, const bool *reduced, int64_t o,
                         int64_t k) {
  int64_t coord[DLC_MAX_RANK], flat = 0;
  for (int d = x->rank - 1; d >= 0; d--) {
    int64_t *src = reduced[d] ? &k : &o;
    coord[d] = *src % x->dims[d];
    *src /= x->dims[d];
  }
  for (int d = 0; d < x->rank; d++)
    flat = flat * x->dims[d] + coord[d];
  return flat;
}

/* Sums accumulate in double (float32) or wrap (int64); max/min let NaN win.
 * An empty max/min is -inf/+inf, an empty sum 0. */
static void reduce_one(red_op op, const dlc_tensor *x, const bool *reduced,
                       int64_t count, int64_t o, dlc_tensor *y) {
  double acc = op == RED_SUM ? 0 : op == RED_MAX ? -INFINITY : INFINITY;
  uint64_t iacc = 0;
  for (int64_t k = 0; k < count; k++) {
    int64_t j = red_index(x, reduced, o, k);
    if (x->dtype == DLC_DT_INT64) {
      iacc += (uint64_t)dlc_tensor_get_int(x, j);
      continue;
    }
    double v = dlc_tensor_get_f64(x, j);
    if (op == RED_SUM)
      acc += v;
    else if (isnan(v) || (op == RED_MAX ? v > acc : v < acc))
      acc = isnan(acc) ? acc : v;
  }
  if (x->dtype == DLC_DT_INT64)
    dlc_op_put_int(y, o, (int64_t)iacc);
  else
    ((float *)y->data)[o] = (float)acc;
}

static bool run_reduce(dlc_op_ctx *c, red_op op) {
  const dlc_tensor *x = c->in[0];
  bool reduced[DLC_MAX_RANK];
  if (!(op == RED_SUM ? sum_axes(c, reduced) : attr_axes(c, reduced)))
    return false;
  int64_t count = 1;
  for (int d = 0; d < x->rank; d++)
    if (reduced[d])
      count *= x->dims[d];
  int64_t nout = dlc_tensor_numel(&c->out[0]);
  for (int64_t o = 0; o < nout; o++)
    reduce_one(op, x, reduced, count, o, &c->out[0]);
  return true;
}

bool dlc_ref_reduce_sum(dlc_op_ctx *c) { return run_reduce(c, RED_SUM); }
bool dlc_ref_reduce_max(dlc_op_ctx *c) { return run_reduce(c, RED_MAX); }
bool dlc_ref_reduce_min(dlc_op_ctx *c) { return run_reduce(c, RED_MIN); }
