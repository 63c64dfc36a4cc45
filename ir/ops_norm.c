/* ops_norm.c — normalisation operators of the table: BatchNormalization,
 * InstanceNormalization, LayerNormalization, and Softmax / LogSoftmax.
 *
 * Each has its attribute schema, a shape-inference function (runs on hostile
 * input: every problem is reported through dlc_op_error, never asserted) and
 * a reference kernel. The kernels are the correctness oracle for the whole
 * compiler, so they are written plainly and accumulate in double. Compute
 * type is float32, layout NCHW. */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

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

/* --------------------------------------------------------- small helpers */

/* Product of dims[from..to), the element count of a sub-block. Shapes here
 * already passed dlc_tensor_numel, so the product cannot overflow. */
static int64_t dims_product(const int64_t *dims, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++)
    n *= dims[i];
  return n;
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
  const dlc_tensor *t = dlc_op_need_f32(c, i, what);
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
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "X");
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
  return ok && dlc_op_set_output_like(c, x);
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
  if (dlc_op_unidir_ok(p, x->rank - axis, x->dims + axis))
    return true;
  char s[SHAPE_BUF], sn[SHAPE_BUF];
  dlc_tensor norm = dlc_op_shape_of(x->rank - axis, x->dims + axis);
  return dlc_op_error(c,
                      "input %d (%s) %s does not broadcast to the "
                      "normalised shape %s (axis %d)",
                      i, what, dlc_shape_str(p, s, sizeof s),
                      dlc_shape_str(&norm, sn, sizeof sn), axis);
}

bool dlc_infer_layer_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "X");
  const dlc_tensor *scale = dlc_op_need_f32(c, 1, "Scale");
  const dlc_tensor *bias =
      dlc_op_input(c, 2) ? dlc_op_need_f32(c, 2, "B") : NULL;
  if (!x || !scale || (dlc_op_input(c, 2) && !bias))
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
  return ok && dlc_op_set_output_like(c, x);
}

/* Each row X[outer, :] over dims axis.. is normalised; Scale and B are
 * indexed by the position within the row, broadcast. */
bool dlc_ref_layer_norm(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0], *scale = c->in[1], *bias = dlc_op_input(c, 2);
  int axis;
  if (!dlc_norm_axis(dlc_node_get_int(c->node, "axis"), x->rank, &axis))
    return dlc_op_error(c, "axis out of range");
  double eps = dlc_node_get_float(c->node, "epsilon");
  dlc_tensor norm = dlc_op_shape_of(x->rank - axis, x->dims + axis);
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
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "input");
  int axis;
  return x && softmax_axis(c, x, &axis) && dlc_op_set_output_like(c, x);
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
