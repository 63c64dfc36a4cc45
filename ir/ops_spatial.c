/* ops_spatial.c — the operators over the spatial axes of NCHW tensors:
 * convolution, pooling, Pad and Resize.
 *
 * For each operator: its ONNX opset-13 attribute schema, shape inference
 * (which checks everything ONNX requires and refuses hostile shapes with an
 * error instead of crashing), its MAC count where it has one, and the plain
 * reference kernel the interpreter runs as dlc's correctness oracle.
 *
 * Layout is NCHW (N, C, spatial...) for activations and OIHW for Conv
 * weights ((Cin, Cout/group, k...) for ConvTranspose), with any number of
 * spatial axes. The spatial geometry (kernel, strides, dilations, pads,
 * auto_pad) is computed once by the `geom` helpers and shared by Conv,
 * ConvTranspose and the pools, so that inference and kernels cannot disagree.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_impl.h"

/* Every attribute value and spatial size is at most 2^30, so that sums and
 * products of two of them (k * dilation, stride * size) never overflow. */
#define GEOM_LIMIT ((int64_t)1 << 30)

/* ------------------------------------------------------------- schemas */

#define A_INT(n, d) {n, DLC_ATTR_INT, false, d, 0, NULL}
#define A_FLOAT(n, d) {n, DLC_ATTR_FLOAT, false, 0, d, NULL}
#define A_STR(n, d) {n, DLC_ATTR_STRING, false, 0, 0, d}
#define A_INTS(n) {n, DLC_ATTR_INTS, false, 0, 0, NULL}
#define A_INTS_REQ(n) {n, DLC_ATTR_INTS, true, 0, 0, NULL}
#define A_END {NULL, DLC_ATTR_INT, false, 0, 0, NULL}

const dlc_attr_schema dlc_attrs_conv[] = {
    A_STR("auto_pad", "NOTSET"), A_INTS("dilations"), A_INT("group", 1),
    A_INTS("kernel_shape"),      A_INTS("pads"),      A_INTS("strides"),
    A_END};

const dlc_attr_schema dlc_attrs_conv_transpose[] = {
    A_STR("auto_pad", "NOTSET"), A_INTS("dilations"),
    A_INT("group", 1),           A_INTS("kernel_shape"),
    A_INTS("output_padding"),    A_INTS("output_shape"),
    A_INTS("pads"),              A_INTS("strides"),
    A_END};

/* MaxPool-12 (current at opset 13). */
const dlc_attr_schema dlc_attrs_max_pool[] = {
    A_STR("auto_pad", "NOTSET"), A_INT("ceil_mode", 0),
    A_INTS("dilations"),         A_INTS_REQ("kernel_shape"),
    A_INTS("pads"),              A_INT("storage_order", 0),
    A_INTS("strides"),           A_END};

/* AveragePool-11 (current at opset 13): no dilations yet. */
const dlc_attr_schema dlc_attrs_average_pool[] = {
    A_STR("auto_pad", "NOTSET"), A_INT("ceil_mode", 0),
    A_INT("count_include_pad", 0), A_INTS_REQ("kernel_shape"),
    A_INTS("pads"),              A_INTS("strides"),
    A_END};

const dlc_attr_schema dlc_attrs_pad[] = {A_STR("mode", "constant"), A_END};

const dlc_attr_schema dlc_attrs_resize[] = {
    A_STR("coordinate_transformation_mode", "half_pixel"),
    A_FLOAT("cubic_coeff_a", -0.75),
    A_INT("exclude_outside", 0),
    A_FLOAT("extrapolation_value", 0.0),
    A_STR("mode", "nearest"),
    A_STR("nearest_mode", "round_prefer_floor"),
    A_END};

/* ------------------------------------------------------ small helpers */

typedef struct shape_buf {
  char s[200];
} shape_buf;

/* Formats t's shape into a caller-owned buffer (one per message argument). */
static const char *shp(const dlc_tensor *t, shape_buf *b) {
  return dlc_shape_str(t, b->s, sizeof b->s);
}

/* Advances idx through the box [0, dims) in row-major order; false after the
 * last index. With n == 0 the box has exactly one (empty) index. */
static bool odo_next(int n, const int64_t *dims, int64_t *idx) {
  for (int i = n - 1; i >= 0; i--) {
    if (++idx[i] < dims[i])
      return true;
    idx[i] = 0;
  }
  return false;
}

static int64_t prod(int n, const int64_t *v) {
  int64_t p = 1;
  for (int i = 0; i < n; i++)
    p *= v[i];
  return p;
}

/* MAC counts are reported, never used to allocate: saturate instead of
 * overflowing on absurd shapes. */
static int64_t sat_mul(int64_t a, int64_t b) {
  double p = (double)a * (double)b;
  return p >= 9.2e18 ? INT64_MAX : a * b;
}

static bool require_f32(dlc_op_ctx *c, const dlc_tensor *t, const char *what) {
  if (t->dtype == DLC_DT_FLOAT32)
    return true;
  return dlc_op_error(c, "%s has type %s, but only float32 is supported", what,
                      dlc_dtype_name(t->dtype));
}

/* Sets the output shape and refuses element counts that overflow. */
static bool set_out(dlc_op_ctx *c, int slot, dlc_dtype dt, int rank,
                    const int64_t *dims) {
  return dlc_op_set_output(c, slot, dt, rank, dims);
}

/* --------------------------------------------------- spatial geometry */

enum { AP_NOTSET, AP_SAME_UPPER, AP_SAME_LOWER, AP_VALID };

/* Geometry of a sliding-window operator over ns spatial axes. pb/pe are the
 * pads at the beginning and end of each axis (after auto_pad is resolved;
 * ConvTranspose may have a negative pe, meaning zero extension). */
typedef struct geom {
  int ns;
  int auto_pad;
  int64_t in[DLC_MAX_RANK], out[DLC_MAX_RANK], k[DLC_MAX_RANK];
  int64_t s[DLC_MAX_RANK], d[DLC_MAX_RANK], pb[DLC_MAX_RANK], pe[DLC_MAX_RANK];
} geom;

/* Reads a per-axis attribute of n values, each in [lo, GEOM_LIMIT]; an absent
 * attribute means `deflt` on every axis. */
static bool axis_attr(dlc_op_ctx *c, const char *name, int n, int64_t deflt,
                      int64_t lo, int64_t *dst) {
  const int64_t *v = NULL;
  int cnt = dlc_node_get_ints(c->node, name, &v);
  if (cnt == 0) {
    for (int i = 0; i < n; i++)
      dst[i] = deflt;
    return true;
  }
  if (cnt != n)
    return dlc_op_error(c, "attribute %s has %d values, expected %d", name,
                        cnt, n);
  for (int i = 0; i < n; i++) {
    if (v[i] < lo || v[i] > GEOM_LIMIT)
      return dlc_op_error(c, "attribute %s[%d] = %lld is out of range [%lld, "
                             "%lld]",
                          name, i, (long long)v[i], (long long)lo,
                          (long long)GEOM_LIMIT);
    dst[i] = v[i];
  }
  return true;
}

static bool parse_auto_pad(dlc_op_ctx *c, int *ap) {
  const char *s = dlc_node_get_string(c->node, "auto_pad");
  if (!s || strcmp(s, "NOTSET") == 0)
    *ap = AP_NOTSET;
  else if (strcmp(s, "SAME_UPPER") == 0)
    *ap = AP_SAME_UPPER;
  else if (strcmp(s, "SAME_LOWER") == 0)
    *ap = AP_SAME_LOWER;
  else if (strcmp(s, "VALID") == 0)
    *ap = AP_VALID;
  else
    return dlc_op_error(c, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, "
                           "SAME_LOWER, VALID",
                        s);
  return true;
}

/* Common part: spatial input sizes of x (N, C, spatial...), strides,
 * dilations, explicit pads and auto_pad. Kernel sizes are set by the caller
 * (from W or kernel_shape) before geom_forward/geom_transpose. */
static bool geom_init(dlc_op_ctx *c, const dlc_tensor *x, geom *g) {
  shape_buf b;
  memset(g, 0, sizeof *g);
  g->ns = x->rank - 2;
  for (int i = 0; i < g->ns; i++) {
    g->in[i] = x->dims[2 + i];
    if (g->in[i] < 1 || g->in[i] > GEOM_LIMIT)
      return dlc_op_error(c, "input X %s: spatial size %lld is out of range",
                          shp(x, &b), (long long)g->in[i]);
  }
  int64_t pads[2 * DLC_MAX_RANK];
  if (!axis_attr(c, "strides", g->ns, 1, 1, g->s) ||
      !axis_attr(c, "dilations", g->ns, 1, 1, g->d) ||
      !axis_attr(c, "pads", 2 * g->ns, 0, 0, pads) ||
      !parse_auto_pad(c, &g->auto_pad))
    return false;
  for (int i = 0; i < g->ns; i++) {
    g->pb[i] = pads[i];
    g->pe[i] = pads[g->ns + i];
    if (g->auto_pad != AP_NOTSET && (g->pb[i] || g->pe[i]))
      return dlc_op_error(c, "explicit pads cannot be combined with auto_pad "
                             "%s",
                          dlc_node_get_string(c->node, "auto_pad"));
  }
  return true;
}

/* SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning. */
static void split_same_pad(int ap, int64_t total, int64_t *pb, int64_t *pe) {
  int64_t small = total / 2, big = total - total / 2;
  *pb = ap == AP_SAME_LOWER ? big : small;
  *pe = ap == AP_SAME_LOWER ? small : big;
}

/* Output sizes of Conv and the pools (ONNX rules):
 *   NOTSET: floor-or-ceil((in + pb + pe - ext) / s) + 1, ext = (k-1)*d + 1;
 *           with ceil_mode the last window must start inside the input or
 *           its left padding, else it is dropped (PyTorch's rule);
 *   VALID:  floor((in - ext) / s) + 1, no padding;
 *   SAME_*: ceil(in / s), padding split to make that hold. */
static bool geom_forward(dlc_op_ctx *c, const dlc_tensor *x, bool ceil_mode,
                         geom *g) {
  shape_buf b;
  for (int i = 0; i < g->ns; i++) {
    int64_t ext = (g->k[i] - 1) * g->d[i] + 1;
    if (g->auto_pad == AP_SAME_UPPER || g->auto_pad == AP_SAME_LOWER) {
      g->out[i] = (g->in[i] + g->s[i] - 1) / g->s[i];
      int64_t total = (g->out[i] - 1) * g->s[i] + ext - g->in[i];
      split_same_pad(g->auto_pad, total > 0 ? total : 0, &g->pb[i],
                     &g->pe[i]);
      continue;
    }
    int64_t span = g->in[i] + g->pb[i] + g->pe[i] - ext;
    if (span < 0)
      return dlc_op_error(c, "input X %s: spatial axis %d of size %lld (%lld "
                             "with padding) is smaller than the kernel extent "
                             "%lld",
                          shp(x, &b), i, (long long)g->in[i],
                          (long long)(g->in[i] + g->pb[i] + g->pe[i]),
                          (long long)ext);
    int64_t steps = ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i];
    g->out[i] = steps + 1;
    if (ceil_mode && (g->out[i] - 1) * g->s[i] >= g->in[i] + g->pb[i])
      g->out[i]--;
  }
  return true;
}

/* Reads kernel_shape (if present) and checks it against the sizes already
 * in g->k (taken from the weight). */
static bool check_kernel_shape(dlc_op_ctx *c, const dlc_tensor *w, geom *g) {
  int64_t ks[DLC_MAX_RANK];
  shape_buf b;
  if (!axis_attr(c, "kernel_shape", g->ns, 0, 1, ks))
    return false;
  if (dlc_node_find_attr(c->node, "kernel_shape") == NULL)
    return true;
  for (int i = 0; i < g->ns; i++)
    if (ks[i] != g->k[i])
      return dlc_op_error(c, "kernel_shape[%d] = %lld does not match weight W "
                             "%s",
                          i, (long long)ks[i], shp(w, &b));
  return true;
}

/* Flat offset within the input's spatial block of kernel tap kc for the
 * output at oc (forward window); -1 when the tap reads padding. */
static int64_t fwd_tap(const geom *g, const int64_t *oc, const int64_t *kc) {
  int64_t off = 0;
  for (int i = 0; i < g->ns; i++) {
    int64_t p = oc[i] * g->s[i] - g->pb[i] + kc[i] * g->d[i];
    if (p < 0 || p >= g->in[i])
      return -1;
    off = off * g->in[i] + p;
  }
  return off;
}

/* True when tap kc of output oc lies within the padded input
 * [-pb, in + pe): AveragePool's count_include_pad divisor counts these. */
static bool fwd_tap_in_padded(const geom *g, const int64_t *oc,
                              const int64_t *kc) {
  for (int i = 0; i < g->ns; i++) {
    int64_t p = oc[i] * g->s[i] - g->pb[i] + kc[i] * g->d[i];
    if (p < -g->pb[i] || p >= g->in[i] + g->pe[i])
      return false;
  }
  return true;
}

/* ----------------------------------------------------------------- Conv */

typedef struct conv_info {
  geom g;
  int64_t n, cin, cout, group, cin_g, cout_g;
  const dlc_tensor *x, *w, *b; /* b NULL when omitted */
} conv_info;

static bool conv_check_bias(dlc_op_ctx *c, const conv_info *ci) {
  shape_buf b1, b2;
  if (!ci->b)
    return true;
  if (!require_f32(c, ci->b, "bias B"))
    return false;
  if (ci->b->rank != 1 || ci->b->dims[0] != ci->cout)
    return dlc_op_error(c, "bias B %s must have shape [%lld] to match the "
                           "output channels of weight W %s",
                        shp(ci->b, &b1), (long long)ci->cout,
                        shp(ci->w, &b2));
  return true;
}

/* The part of Conv's and ConvTranspose's checks that is the same: X and W
 * present, float32, of one rank >= 3, and a valid group. */
static bool conv_common_inputs(dlc_op_ctx *c, conv_info *ci) {
  shape_buf b1, b2;
  memset(ci, 0, sizeof *ci);
  ci->x = c->in[0];
  ci->w = c->in[1];
  ci->b = c->n_inputs > 2 ? c->in[2] : NULL;
  if (!ci->x || !ci->w)
    return dlc_op_error(c, "inputs X and W are required");
  if (!require_f32(c, ci->x, "input X") || !require_f32(c, ci->w, "weight W"))
    return false;
  if (ci->x->rank < 3)
    return dlc_op_error(c, "input X %s must have rank >= 3 (N, C, spatial...)",
                        shp(ci->x, &b1));
  if (ci->w->rank != ci->x->rank)
    return dlc_op_error(c, "weight W %s must have the rank of input X %s",
                        shp(ci->w, &b1), shp(ci->x, &b2));
  ci->group = dlc_node_get_int(c->node, "group");
  if (ci->group < 1 || ci->group > GEOM_LIMIT)
    return dlc_op_error(c, "group %lld must be positive",
                        (long long)ci->group);
  ci->n = ci->x->dims[0];
  ci->cin = ci->x->dims[1];
  return true;
}

/* The other shared part, once the channels are known: bias, geometry and
 * the kernel sizes (from W; kernel_shape, if given, must agree). */
static bool conv_common_geom(dlc_op_ctx *c, conv_info *ci) {
  shape_buf b1;
  if (!conv_check_bias(c, ci) || !geom_init(c, ci->x, &ci->g))
    return false;
  for (int i = 0; i < ci->g.ns; i++) {
    ci->g.k[i] = ci->w->dims[2 + i];
    if (ci->g.k[i] < 1 || ci->g.k[i] > GEOM_LIMIT)
      return dlc_op_error(c, "weight W %s has an out-of-range kernel size",
                          shp(ci->w, &b1));
  }
  return check_kernel_shape(c, ci->w, &ci->g);
}

/* Checks X, W, B and the attributes of a Conv and fills ci.
 * X (N, Cin, spatial...), W (Cout, Cin/group, k...), B (Cout). */
static bool conv_setup(dlc_op_ctx *c, conv_info *ci) {
  shape_buf b1, b2;
  if (!conv_common_inputs(c, ci))
    return false;
  ci->cout = ci->w->dims[0];
  ci->cin_g = ci->w->dims[1];
  if (ci->cin_g > GEOM_LIMIT || ci->cin != ci->cin_g * ci->group)
    return dlc_op_error(c, "input X %s has %lld channels but weight W %s with "
                           "group %lld expects %lld",
                        shp(ci->x, &b1), (long long)ci->cin, shp(ci->w, &b2),
                        (long long)ci->group,
                        (long long)(ci->cin_g * ci->group));
  if (ci->cout % ci->group != 0)
    return dlc_op_error(c, "weight W %s has %lld output channels, which group "
                           "%lld does not divide",
                        shp(ci->w, &b1), (long long)ci->cout,
                        (long long)ci->group);
  ci->cout_g = ci->cout / ci->group;
  return conv_common_geom(c, ci) && geom_forward(c, ci->x, false, &ci->g);
}

/* Y (N, Cout, spatial out...) of Conv and ConvTranspose. */
static bool set_conv_out(dlc_op_ctx *c, const conv_info *ci) {
  int64_t dims[DLC_MAX_RANK] = {ci->n, ci->cout};
  memcpy(dims + 2, ci->g.out, sizeof(int64_t) * ci->g.ns);
  return set_out(c, 0, DLC_DT_FLOAT32, ci->x->rank, dims);
}

bool dlc_infer_conv(dlc_op_ctx *c) {
  conv_info ci;
  if (!conv_setup(c, &ci))
    return false;
  return set_conv_out(c, &ci);
}

/* Output elements x (Cin/group) x prod(kernel); bias excluded. */
int64_t dlc_macs_conv(const dlc_op_ctx *c) {
  const dlc_tensor *w = c->in[1];
  int64_t per_out = prod(w->rank - 1, w->dims + 1);
  return sat_mul(dlc_tensor_numel(&c->out[0]), per_out);
}

/* Defined after ConvTranspose's tap function, which it shares. */
static void run_planes(const conv_info *ci, float *y, bool transposed);

bool dlc_ref_conv(dlc_op_ctx *c) {
  conv_info ci;
  if (!conv_setup(c, &ci))
    return false;
  run_planes(&ci, c->out[0].data, false);
  return true;
}

/* -------------------------------------------------------- ConvTranspose */

/* Reads output_shape: one value per spatial axis, or (as some exporters
 * write it) the full output shape including N and C. 0 values: absent. */
static bool convt_output_shape(dlc_op_ctx *c, int ns, int64_t *os, bool *has) {
  const int64_t *v = NULL;
  int cnt = dlc_node_get_ints(c->node, "output_shape", &v);
  *has = cnt > 0;
  if (cnt == 0)
    return true;
  if (cnt != ns && cnt != ns + 2)
    return dlc_op_error(c, "attribute output_shape has %d values, expected %d",
                        cnt, ns);
  for (int i = 0; i < ns; i++) {
    os[i] = v[cnt - ns + i];
    if (os[i] < 1 || os[i] > GEOM_LIMIT)
      return dlc_op_error(c, "attribute output_shape[%d] = %lld is out of "
                             "range",
                          cnt - ns + i, (long long)os[i]);
  }
  return true;
}

/* Output sizes and pads of ConvTranspose. The full output of an axis is
 * s*(in-1) + output_padding + (k-1)*d + 1; explicit pads trim it. When
 * output_shape is given, or auto_pad is SAME_* (output = in*s), the pads
 * are derived from the difference: SAME_LOWER puts the odd unit at the
 * beginning, SAME_UPPER and NOTSET at the end (ONNX's definition, as in
 * onnxruntime since 1.13). A negative difference extends the output with
 * bias-only positions at the end. */
static bool geom_transpose(dlc_op_ctx *c, const dlc_tensor *x, geom *g) {
  int64_t opad[DLC_MAX_RANK], os[DLC_MAX_RANK];
  bool has_os;
  shape_buf b;
  if (!axis_attr(c, "output_padding", g->ns, 0, 0, opad) ||
      !convt_output_shape(c, g->ns, os, &has_os))
    return false;
  for (int i = 0; i < g->ns; i++) {
    int64_t full = g->s[i] * (g->in[i] - 1) + opad[i] +
                   (g->k[i] - 1) * g->d[i] + 1;
    bool same = g->auto_pad == AP_SAME_UPPER || g->auto_pad == AP_SAME_LOWER;
    if (has_os || same) {
      int64_t want = has_os ? os[i] : g->in[i] * g->s[i];
      int64_t total = full - want;
      if (total >= 0)
        split_same_pad(g->auto_pad == AP_SAME_LOWER ? AP_SAME_LOWER
                                                    : AP_SAME_UPPER,
                       total, &g->pb[i], &g->pe[i]);
      else
        g->pb[i] = 0, g->pe[i] = total;
    } else if (g->auto_pad == AP_VALID) {
      g->pb[i] = g->pe[i] = 0;
    }
    g->out[i] = full - g->pb[i] - g->pe[i];
    if (g->out[i] < 1 || g->out[i] > GEOM_LIMIT * 4)
      return dlc_op_error(c, "input X %s: spatial axis %d gives output size "
                             "%lld (full size %lld, pads %lld + %lld)",
                          shp(x, &b), i, (long long)g->out[i],
                          (long long)full, (long long)g->pb[i],
                          (long long)g->pe[i]);
  }
  return true;
}

/* Checks a ConvTranspose and fills ci.
 * X (N, Cin, spatial...), W (Cin, Cout/group, k...), B (Cout). */
static bool convt_setup(dlc_op_ctx *c, conv_info *ci) {
  shape_buf b1, b2;
  if (!conv_common_inputs(c, ci))
    return false;
  if (ci->w->dims[0] != ci->cin)
    return dlc_op_error(c, "input X %s has %lld channels but weight W %s "
                           "expects %lld",
                        shp(ci->x, &b1), (long long)ci->cin, shp(ci->w, &b2),
                        (long long)ci->w->dims[0]);
  if (ci->cin % ci->group != 0)
    return dlc_op_error(c, "input X %s has %lld channels, which group %lld "
                           "does not divide",
                        shp(ci->x, &b1), (long long)ci->cin,
                        (long long)ci->group);
  ci->cin_g = ci->cin / ci->group;
  ci->cout_g = ci->w->dims[1];
  if (ci->cout_g > GEOM_LIMIT)
    return dlc_op_error(c, "weight W %s is too large", shp(ci->w, &b1));
  ci->cout = ci->cout_g * ci->group;
  return conv_common_geom(c, ci) && geom_transpose(c, ci->x, &ci->g);
}

bool dlc_infer_conv_transpose(dlc_op_ctx *c) {
  conv_info ci;
  if (!convt_setup(c, &ci))
    return false;
  return set_conv_out(c, &ci);
}

/* Input elements x (Cout/group) x prod(kernel). */
int64_t dlc_macs_conv_transpose(const dlc_op_ctx *c) {
  const dlc_tensor *w = c->in[1];
  int64_t per_in = prod(w->rank - 1, w->dims + 1);
  return sat_mul(dlc_tensor_numel(c->in[0]), per_in);
}

/* Flat input spatial offset that reaches output position oc through tap kc
 * (o = i*s + k*d - pb, solved for i); -1 when there is none. */
static int64_t convt_tap(const geom *g, const int64_t *oc, const int64_t *kc) {
  int64_t off = 0;
  for (int i = 0; i < g->ns; i++) {
    int64_t t = oc[i] + g->pb[i] - kc[i] * g->d[i];
    if (t < 0 || t % g->s[i] != 0 || t / g->s[i] >= g->in[i])
      return -1;
    off = off * g->in[i] + t / g->s[i];
  }
  return off;
}

/* Maps an output position and a kernel tap to the flat input offset it
 * reads, or -1 when it reads padding (fwd_tap for Conv, convt_tap for
 * ConvTranspose). */
typedef int64_t (*tap_fn)(const geom *g, const int64_t *oc, const int64_t *kc);

/* One output plane, written as a gather so that each output accumulates in
 * a double: Y[oc] = B[oc] + sum over ic and taps of X[ic, tap] * W. Conv
 * weights are (Cout, Cin/g, k...): consecutive input channels are ksz apart;
 * ConvTranspose weights are (Cin, Cout/g, k...): cout_g * ksz apart. */
static void plane(const conv_info *ci, int64_t n, int64_t oc, float *y,
                  bool transposed) {
  const geom *g = &ci->g;
  const float *xd = ci->x->data, *wd = ci->w->data;
  int64_t insz = prod(g->ns, g->in), ksz = prod(g->ns, g->k);
  int64_t ic0 = (oc / ci->cout_g) * ci->cin_g;
  const float *xg = xd + (n * ci->cin + ic0) * insz;
  const float *w = transposed
                       ? wd + (ic0 * ci->cout_g + oc % ci->cout_g) * ksz
                       : wd + oc * ci->cin_g * ksz;
  int64_t wstride = transposed ? ci->cout_g * ksz : ksz;
  tap_fn tap = transposed ? convt_tap : fwd_tap;
  double bias = ci->b ? ((const float *)ci->b->data)[oc] : 0.0;
  int64_t o[DLC_MAX_RANK] = {0}, kc[DLC_MAX_RANK];
  do {
    double acc = bias;
    int64_t t = 0;
    memset(kc, 0, sizeof kc);
    do {
      int64_t off = tap(g, o, kc);
      if (off >= 0)
        for (int64_t ic = 0; ic < ci->cin_g; ic++)
          acc += (double)xg[ic * insz + off] * w[ic * wstride + t];
      t++;
    } while (odo_next(g->ns, g->k, kc));
    *y++ = (float)acc;
  } while (odo_next(g->ns, g->out, o));
}

static void run_planes(const conv_info *ci, float *y, bool transposed) {
  int64_t outsz = prod(ci->g.ns, ci->g.out);
  for (int64_t n = 0; n < ci->n; n++)
    for (int64_t oc = 0; oc < ci->cout; oc++)
      plane(ci, n, oc, y + (n * ci->cout + oc) * outsz, transposed);
}

bool dlc_ref_conv_transpose(dlc_op_ctx *c) {
  conv_info ci;
  if (!convt_setup(c, &ci))
    return false;
  run_planes(&ci, c->out[0].data, true);
  return true;
}

/* ---------------------------------------------------------------- pools */

typedef struct pool_info {
  geom g;
  int64_t n, ch;
  bool include_pad;
} pool_info;

static bool bool_attr(dlc_op_ctx *c, const char *name, bool *v) {
  int64_t i = dlc_node_get_int(c->node, name);
  if (i != 0 && i != 1)
    return dlc_op_error(c, "attribute %s = %lld must be 0 or 1", name,
                        (long long)i);
  *v = i == 1;
  return true;
}

/* ONNX requires each explicit pad to be smaller than the window, so that
 * every window sees at least one input element. */
static bool pool_check_pads(dlc_op_ctx *c, const geom *g) {
  for (int i = 0; i < g->ns; i++) {
    int64_t ext = (g->k[i] - 1) * g->d[i] + 1;
    if (g->pb[i] >= ext || g->pe[i] >= ext)
      return dlc_op_error(c, "pads %lld and %lld on spatial axis %d must be "
                             "smaller than the window extent %lld",
                          (long long)g->pb[i], (long long)g->pe[i], i,
                          (long long)ext);
  }
  return true;
}

/* Checks X and the attributes of MaxPool / AveragePool and fills p. */
static bool pool_setup(dlc_op_ctx *c, pool_info *p) {
  const dlc_tensor *x = c->in[0];
  shape_buf b;
  bool ceil_mode = false;
  memset(p, 0, sizeof *p);
  if (!x)
    return dlc_op_error(c, "input X is required");
  if (!require_f32(c, x, "input X"))
    return false;
  if (x->rank < 3)
    return dlc_op_error(c, "input X %s must have rank >= 3 (N, C, spatial...)",
                        shp(x, &b));
  if (dlc_node_find_attr(c->node, "kernel_shape") == NULL)
    return dlc_op_error(c, "attribute kernel_shape is required");
  if (!geom_init(c, x, &p->g) ||
      !axis_attr(c, "kernel_shape", p->g.ns, 1, 1, p->g.k) ||
      !bool_attr(c, "ceil_mode", &ceil_mode))
    return false;
  if (c->node->op == DLC_OP_MAX_POOL) {
    int64_t so = dlc_node_get_int(c->node, "storage_order");
    if (so != 0)
      return dlc_op_error(c, "storage_order %lld (column-major indices) is not "
                             "supported; only 0 is",
                          (long long)so);
  } else if (!bool_attr(c, "count_include_pad", &p->include_pad)) {
    return false;
  }
  if (p->g.auto_pad == AP_NOTSET && !pool_check_pads(c, &p->g))
    return false;
  p->n = x->dims[0];
  p->ch = x->dims[1];
  return geom_forward(c, x, ceil_mode, &p->g);
}

bool dlc_infer_pool(dlc_op_ctx *c) {
  pool_info p;
  if (!pool_setup(c, &p))
    return false;
  int64_t dims[DLC_MAX_RANK] = {p.n, p.ch};
  memcpy(dims + 2, p.g.out, sizeof(int64_t) * p.g.ns);
  int rank = p.g.ns + 2;
  if (!set_out(c, 0, DLC_DT_FLOAT32, rank, dims))
    return false;
  /* MaxPool's optional Indices: flat (row-major, N and C included) index of
   * each maximum in X, ignoring padding. */
  return c->n_outputs < 2 || set_out(c, 1, DLC_DT_INT64, rank, dims);
}

/* Max over the window; padding never wins. NaN propagates (the first NaN is
 * kept, as in PyTorch); ties keep the first maximum. A window that reads only
 * padding (possible with dilation) yields -inf and index -1. */
static void max_pool_plane(const geom *g, const float *x, int64_t base,
                           float *y, int64_t *idx) {
  int64_t o[DLC_MAX_RANK] = {0}, kc[DLC_MAX_RANK];
  do {
    float best = -INFINITY;
    int64_t at = -1;
    memset(kc, 0, sizeof kc);
    do {
      int64_t off = fwd_tap(g, o, kc);
      if (off < 0 || isnan(best))
        continue;
      if (at < 0 || x[off] > best || isnan(x[off]))
        best = x[off], at = off;
    } while (odo_next(g->ns, g->k, kc));
    *y++ = best;
    if (idx)
      *idx++ = at < 0 ? -1 : base + at;
  } while (odo_next(g->ns, g->out, o));
}

bool dlc_ref_max_pool(dlc_op_ctx *c) {
  pool_info p;
  if (!pool_setup(c, &p))
    return false;
  const float *x = c->in[0]->data;
  int64_t insz = prod(p.g.ns, p.g.in), outsz = prod(p.g.ns, p.g.out);
  int64_t *idx = c->n_outputs > 1 ? c->out[1].data : NULL;
  for (int64_t plane = 0; plane < p.n * p.ch; plane++)
    max_pool_plane(&p.g, x + plane * insz, plane * insz,
                   (float *)c->out[0].data + plane * outsz,
                   idx ? idx + plane * outsz : NULL);
  return true;
}

/* Mean over the window. The divisor counts the taps inside the input, or
 * with count_include_pad the taps inside the padded input [-pb, in + pe):
 * the part of a ceil_mode window beyond the end padding never counts. */
static void avg_pool_plane(const geom *g, bool include_pad, const float *x,
                           float *y) {
  int64_t o[DLC_MAX_RANK] = {0}, kc[DLC_MAX_RANK];
  do {
    double sum = 0;
    int64_t count = 0;
    memset(kc, 0, sizeof kc);
    do {
      int64_t off = fwd_tap(g, o, kc);
      if (off >= 0)
        sum += x[off];
      if (include_pad ? fwd_tap_in_padded(g, o, kc) : off >= 0)
        count++;
    } while (odo_next(g->ns, g->k, kc));
    *y++ = count ? (float)(sum / (double)count) : 0.0f;
  } while (odo_next(g->ns, g->out, o));
}

bool dlc_ref_average_pool(dlc_op_ctx *c) {
  pool_info p;
  if (!pool_setup(c, &p))
    return false;
  const float *x = c->in[0]->data;
  int64_t insz = prod(p.g.ns, p.g.in), outsz = prod(p.g.ns, p.g.out);
  for (int64_t plane = 0; plane < p.n * p.ch; plane++)
    avg_pool_plane(&p.g, p.include_pad, x + plane * insz,
                   (float *)c->out[0].data + plane * outsz);
  return true;
}

/* --------------------------------------------------------- global pools */

/* X (N, C, spatial...) -> Y (N, C, 1, ...). */
bool dlc_infer_global_pool(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  shape_buf b;
  if (!x)
    return dlc_op_error(c, "input X is required");
  if (!require_f32(c, x, "input X"))
    return false;
  if (x->rank < 3)
    return dlc_op_error(c, "input X %s must have rank >= 3 (N, C, spatial...)",
                        shp(x, &b));
  int64_t dims[DLC_MAX_RANK];
  for (int i = 0; i < x->rank; i++)
    dims[i] = i < 2 ? x->dims[i] : 1;
  return set_out(c, 0, DLC_DT_FLOAT32, x->rank, dims);
}

static bool global_pool(dlc_op_ctx *c, bool is_max) {
  const dlc_tensor *x = c->in[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t sz = prod(x->rank - 2, x->dims + 2);
  const float *xd = x->data;
  float *y = c->out[0].data;
  for (int64_t p = 0; p < planes; p++) {
    const float *v = xd + p * sz;
    double acc = is_max ? v[0] : 0.0;
    for (int64_t i = 0; i < sz; i++) {
      if (!is_max)
        acc += v[i];
      else if (v[i] > acc || isnan(v[i]))
        acc = v[i];
      if (is_max && isnan(acc))
        break;
    }
    y[p] = (float)(is_max ? acc : acc / (double)sz);
  }
  return true;
}

bool dlc_ref_global_average_pool(dlc_op_ctx *c) {
  return global_pool(c, false);
}
bool dlc_ref_global_max_pool(dlc_op_ctx *c) { return global_pool(c, true); }

/* ------------------------------------------------------------------ Pad */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

typedef struct pad_info {
  int mode;
  int rank;
  int64_t pb[DLC_MAX_RANK], pe[DLC_MAX_RANK], out[DLC_MAX_RANK];
  /* The input range that survives cropping by negative pads: [lo, hi). */
  int64_t lo[DLC_MAX_RANK], hi[DLC_MAX_RANK];
} pad_info;

static bool pad_mode(dlc_op_ctx *c, int *mode) {
  const char *m = dlc_node_get_string(c->node, "mode");
  if (!m || strcmp(m, "constant") == 0)
    *mode = PAD_CONSTANT;
  else if (strcmp(m, "reflect") == 0)
    *mode = PAD_REFLECT;
  else if (strcmp(m, "edge") == 0)
    *mode = PAD_EDGE;
  else
    return dlc_op_error(c, "mode '%s' is not one of constant, reflect, edge",
                        m);
  return true;
}

/* Reads the constant pads input: [x1_begin, x2_begin, ..., x1_end, ...]. */
static bool pad_read_pads(dlc_op_ctx *c, pad_info *p) {
  const dlc_tensor *x = c->in[0], *pads = c->in[1];
  shape_buf b1, b2;
  if (!pads)
    return dlc_op_error(c, "input 1 (pads) is required");
  if (pads->dtype != DLC_DT_INT64 && pads->dtype != DLC_DT_INT32)
    return dlc_op_error(c, "input 1 (pads) must be int64, not %s",
                        dlc_dtype_name(pads->dtype));
  if (!pads->data)
    return dlc_op_error(c, "input 1 (pads) must be a constant initializer");
  if (pads->rank != 1 || pads->dims[0] != 2 * (int64_t)x->rank)
    return dlc_op_error(c, "input 1 (pads) %s must hold %d values for input "
                           "%s",
                        shp(pads, &b1), 2 * x->rank, shp(x, &b2));
  for (int i = 0; i < 2 * x->rank; i++) {
    int64_t v = dlc_tensor_get_int(pads, i);
    if (v < -GEOM_LIMIT || v > GEOM_LIMIT)
      return dlc_op_error(c, "pads[%d] = %lld is out of range", i,
                          (long long)v);
    if (i < x->rank)
      p->pb[i] = v;
    else
      p->pe[i - x->rank] = v;
  }
  return true;
}

/* Checks the inputs of Pad and fills p. Negative pads crop first; the
 * remaining input is then padded (as onnxruntime does). */
static bool pad_setup(dlc_op_ctx *c, pad_info *p) {
  const dlc_tensor *x = c->in[0];
  const dlc_tensor *cv = c->n_inputs > 2 ? c->in[2] : NULL;
  shape_buf b;
  memset(p, 0, sizeof *p);
  if (!x)
    return dlc_op_error(c, "input X is required");
  p->rank = x->rank;
  if (x->dtype != DLC_DT_FLOAT32 && x->dtype != DLC_DT_INT64 &&
      x->dtype != DLC_DT_INT32)
    return dlc_op_error(c, "input X has type %s; Pad supports float32, int64 "
                           "and int32",
                        dlc_dtype_name(x->dtype));
  if (!pad_mode(c, &p->mode) || !pad_read_pads(c, p))
    return false;
  if (cv && (cv->dtype != x->dtype || dlc_tensor_numel(cv) != 1))
    return dlc_op_error(c, "input 2 (constant_value) %s %s must be one %s "
                           "value",
                        dlc_dtype_name(cv->dtype), shp(cv, &b),
                        dlc_dtype_name(x->dtype));
  for (int i = 0; i < p->rank; i++) {
    int64_t in = x->dims[i];
    p->out[i] = in + p->pb[i] + p->pe[i];
    p->lo[i] = p->pb[i] < 0 ? -p->pb[i] : 0;
    p->hi[i] = in + (p->pe[i] < 0 ? p->pe[i] : 0);
    if (in > INT64_MAX / 4 || p->out[i] < 1)
      return dlc_op_error(c, "input %s with pads %lld and %lld on axis %d "
                             "gives output size %lld",
                          shp(x, &b), (long long)p->pb[i],
                          (long long)p->pe[i], i, (long long)p->out[i]);
    if (p->mode != PAD_CONSTANT && p->hi[i] <= p->lo[i])
      return dlc_op_error(c, "input %s: axis %d is cropped away entirely, "
                             "nothing is left to %s",
                          shp(x, &b), i,
                          p->mode == PAD_REFLECT ? "reflect" : "repeat");
  }
  return true;
}

bool dlc_infer_pad(dlc_op_ctx *c) {
  pad_info p;
  return pad_setup(c, &p) &&
         set_out(c, 0, c->in[0]->dtype, p.rank, p.out);
}

/* Source index along one axis for an output coordinate, in input
 * coordinates; -1 for the constant. Reflect mirrors about the end elements
 * without repeating them and keeps mirroring for pads longer than the axis
 * (numpy's "reflect"). */
static int64_t pad_source(const pad_info *p, int axis, int64_t o) {
  int64_t i = o - p->pb[axis], lo = p->lo[axis], hi = p->hi[axis];
  if (i >= lo && i < hi)
    return i;
  if (p->mode == PAD_CONSTANT)
    return -1;
  if (p->mode == PAD_EDGE)
    return i < lo ? lo : hi - 1;
  int64_t n = hi - lo;
  if (n == 1)
    return lo;
  int64_t period = 2 * (n - 1), j = (i - lo) % period;
  if (j < 0)
    j += period;
  return lo + (j < n ? j : period - j);
}

bool dlc_ref_pad(dlc_op_ctx *c) {
  pad_info p;
  if (!pad_setup(c, &p))
    return false;
  const dlc_tensor *x = c->in[0];
  const dlc_tensor *cv = c->n_inputs > 2 ? c->in[2] : NULL;
  size_t es = dlc_dtype_size(x->dtype);
  unsigned char fill[8] = {0};
  if (cv)
    memcpy(fill, cv->data, es);
  const unsigned char *src = x->data;
  unsigned char *dst = c->out[0].data;
  int64_t o[DLC_MAX_RANK] = {0};
  do {
    int64_t off = 0;
    for (int i = 0; i < p.rank && off >= 0; i++) {
      int64_t s = pad_source(&p, i, o[i]);
      off = s < 0 ? -1 : off * x->dims[i] + s;
    }
    memcpy(dst, off < 0 ? fill : src + off * es, es);
    dst += es;
  } while (odo_next(p.rank, p.out, o));
  return true;
}

/* --------------------------------------------------------------- Resize */

enum { RZ_NEAREST, RZ_LINEAR };
enum {
  CT_HALF_PIXEL,
  CT_PYTORCH_HALF_PIXEL,
  CT_ALIGN_CORNERS,
  CT_ASYMMETRIC,
  CT_TF_HALF_PIXEL_FOR_NEAREST,
  CT_TF_CROP_AND_RESIZE
};
enum { NR_PREFER_FLOOR, NR_PREFER_CEIL, NR_FLOOR, NR_CEIL };

typedef struct resize_info {
  int rank, mode, ctm, nearest;
  double extrapolation;
  int64_t in[DLC_MAX_RANK], out[DLC_MAX_RANK];
  /* Coordinate scale as a ratio: x_original = x_resized * num / den, kept as
   * a ratio so that sizes-given resizes map integers exactly. */
  double num[DLC_MAX_RANK], den[DLC_MAX_RANK];
  double roi_start[DLC_MAX_RANK], roi_end[DLC_MAX_RANK];
  int64_t stride[DLC_MAX_RANK]; /* row-major element strides of X */
} resize_info;

/* Looks s up in a NULL-terminated list; -1 if absent. */
static int find_name(const char *s, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (s && strcmp(s, names[i]) == 0)
      return i;
  return -1;
}

static bool resize_modes(dlc_op_ctx *c, resize_info *r) {
  static const char *const modes[] = {"nearest", "linear", NULL};
  static const char *const ctms[] = {"half_pixel",
                                     "pytorch_half_pixel",
                                     "align_corners",
                                     "asymmetric",
                                     "tf_half_pixel_for_nearest",
                                     "tf_crop_and_resize",
                                     NULL};
  static const char *const nearest[] = {"round_prefer_floor",
                                        "round_prefer_ceil", "floor", "ceil",
                                        NULL};
  const char *m = dlc_node_get_string(c->node, "mode");
  const char *ct =
      dlc_node_get_string(c->node, "coordinate_transformation_mode");
  const char *nm = dlc_node_get_string(c->node, "nearest_mode");
  if (m && strcmp(m, "cubic") == 0)
    return dlc_op_error(c, "mode 'cubic' is not supported (nearest and linear "
                           "are)");
  if ((r->mode = find_name(m, modes)) < 0)
    return dlc_op_error(c, "mode '%s' is not one of nearest, linear", m);
  if ((r->ctm = find_name(ct, ctms)) < 0)
    return dlc_op_error(c, "coordinate_transformation_mode '%s' is not "
                           "supported",
                        ct);
  if ((r->nearest = find_name(nm, nearest)) < 0)
    return dlc_op_error(c, "nearest_mode '%s' is not one of "
                           "round_prefer_floor, round_prefer_ceil, floor, ceil",
                        nm);
  r->extrapolation = dlc_node_get_float(c->node, "extrapolation_value");
  return true;
}

/* An optional Resize input; an empty tensor counts as absent (exporters
 * write "roi" and "scales" as empty constants). */
static const dlc_tensor *resize_input(const dlc_op_ctx *c, int i) {
  if (i >= c->n_inputs || !c->in[i] || dlc_tensor_numel(c->in[i]) == 0)
    return NULL;
  return c->in[i];
}

static bool resize_roi(dlc_op_ctx *c, resize_info *r) {
  const dlc_tensor *roi = resize_input(c, 1);
  shape_buf b;
  if (r->ctm != CT_TF_CROP_AND_RESIZE)
    return true;
  if (!roi || !roi->data)
    return dlc_op_error(c, "input 1 (roi) must be a constant initializer for "
                           "tf_crop_and_resize");
  if (roi->rank != 1 || roi->dims[0] != 2 * r->rank)
    return dlc_op_error(c, "input 1 (roi) %s must hold %d values",
                        shp(roi, &b), 2 * r->rank);
  for (int i = 0; i < r->rank; i++) {
    r->roi_start[i] = dlc_tensor_get_f64(roi, i);
    r->roi_end[i] = dlc_tensor_get_f64(roi, r->rank + i);
    if (!isfinite(r->roi_start[i]) || !isfinite(r->roi_end[i]))
      return dlc_op_error(c, "input 1 (roi) holds a non-finite value");
  }
  return true;
}

/* Output sizes from the constant scales (out = floor(in * scale), with the
 * roi's extent for tf_crop_and_resize) or sizes (scale = out / in). */
static bool resize_sizes(dlc_op_ctx *c, resize_info *r) {
  const dlc_tensor *scales = resize_input(c, 2), *sizes = resize_input(c, 3);
  const dlc_tensor *t = scales ? scales : sizes;
  const char *what = scales ? "input 2 (scales)" : "input 3 (sizes)";
  shape_buf b;
  if ((scales != NULL) == (sizes != NULL))
    return dlc_op_error(c, "exactly one of input 2 (scales) and input 3 "
                           "(sizes) must be given");
  if (!t->data)
    return dlc_op_error(c, "%s must be a constant initializer", what);
  if (t->dtype != (scales ? DLC_DT_FLOAT32 : DLC_DT_INT64))
    return dlc_op_error(c, "%s must be %s, not %s", what,
                        scales ? "float32" : "int64",
                        dlc_dtype_name(t->dtype));
  if (t->rank != 1 || t->dims[0] != r->rank)
    return dlc_op_error(c, "%s %s must hold one value per input axis (%d)",
                        what, shp(t, &b), r->rank);
  for (int i = 0; i < r->rank; i++) {
    double v = dlc_tensor_get_f64(t, i), extent = 1.0;
    if (scales && r->ctm == CT_TF_CROP_AND_RESIZE)
      extent = r->roi_end[i] - r->roi_start[i];
    double o = scales ? floor((double)r->in[i] * extent * v) : v;
    if (!(v > 0) || !(o >= 1) || o > (double)GEOM_LIMIT)
      return dlc_op_error(c, "%s[%d] = %g gives output size %g for input "
                             "size %lld",
                          what, i, v, o, (long long)r->in[i]);
    r->out[i] = (int64_t)o;
    r->num[i] = scales ? 1.0 : (double)r->in[i];
    r->den[i] = scales ? v : (double)r->out[i];
  }
  return true;
}

static bool resize_setup(dlc_op_ctx *c, resize_info *r) {
  const dlc_tensor *x = c->in[0];
  shape_buf b;
  memset(r, 0, sizeof *r);
  if (!x)
    return dlc_op_error(c, "input X is required");
  if (!require_f32(c, x, "input X"))
    return false;
  if (x->rank < 1)
    return dlc_op_error(c, "input X %s must have rank >= 1", shp(x, &b));
  r->rank = x->rank;
  int64_t st = 1;
  for (int i = r->rank - 1; i >= 0; st *= x->dims[i], i--)
    r->stride[i] = st;
  for (int i = 0; i < r->rank; i++) {
    r->in[i] = x->dims[i];
    if (r->in[i] > GEOM_LIMIT)
      return dlc_op_error(c, "input X %s is too large", shp(x, &b));
  }
  return resize_modes(c, r) && resize_roi(c, r) && resize_sizes(c, r);
}

bool dlc_infer_resize(dlc_op_ctx *c) {
  resize_info r;
  return resize_setup(c, &r) &&
         set_out(c, 0, DLC_DT_FLOAT32, r.rank, r.out);
}

/* x_original for output coordinate x on axis d (ONNX's formulas). */
static double resize_coord(const resize_info *r, int d, int64_t x) {
  double in = (double)r->in[d], out = (double)r->out[d];
  double num = r->num[d], den = r->den[d];
  switch (r->ctm) {
  case CT_HALF_PIXEL:
    return ((double)x + 0.5) * num / den - 0.5;
  case CT_PYTORCH_HALF_PIXEL:
    return out > 1 ? ((double)x + 0.5) * num / den - 0.5 : 0.0;
  case CT_ALIGN_CORNERS:
    return out > 1 ? (double)x * (in - 1) / (out - 1) : 0.0;
  case CT_ASYMMETRIC:
    return (double)x * num / den;
  case CT_TF_HALF_PIXEL_FOR_NEAREST:
    return ((double)x + 0.5) * num / den;
  default: { /* CT_TF_CROP_AND_RESIZE */
    double s = r->roi_start[d], e = r->roi_end[d];
    return out > 1 ? s * (in - 1) + (double)x * (e - s) * (in - 1) / (out - 1)
                   : 0.5 * (s + e) * (in - 1);
  }
  }
}

static int64_t nearest_round(int mode, double v) {
  double f = floor(v);
  switch (mode) {
  case NR_PREFER_FLOOR:
    return (int64_t)(v - f == 0.5 ? f : floor(v + 0.5));
  case NR_PREFER_CEIL:
    return (int64_t)(v - f == 0.5 ? f + 1 : floor(v + 0.5));
  case NR_FLOOR:
    return (int64_t)f;
  default:
    return (int64_t)ceil(v);
  }
}

/* How one output coordinate of one axis samples the input: the two
 * neighbours and the weight of the second (nearest: i0 only, w = 0), or
 * `outside` for tf_crop_and_resize's extrapolation. */
typedef struct resize_tap {
  int64_t i0, i1;
  double w;
  bool outside;
} resize_tap;

static resize_tap resize_axis_tap(const resize_info *r, int d, int64_t x) {
  resize_tap t = {0, 0, 0.0, false};
  double v = resize_coord(r, d, x), last = (double)(r->in[d] - 1);
  if (r->ctm == CT_TF_CROP_AND_RESIZE && (v < 0 || v > last)) {
    t.outside = true;
    return t;
  }
  if (r->mode == RZ_NEAREST) {
    int64_t i = nearest_round(r->nearest, fmax(-1.0, fmin(v, last + 1)));
    t.i0 = t.i1 = i < 0 ? 0 : i > r->in[d] - 1 ? r->in[d] - 1 : i;
    return t;
  }
  v = fmax(0.0, fmin(v, last));
  t.i0 = (int64_t)floor(v);
  t.i1 = t.i0 < r->in[d] - 1 ? t.i0 + 1 : t.i0;
  t.w = t.i1 != t.i0 ? v - (double)t.i0 : 0.0;
  return t;
}

/* One output element: a weighted sum over the 2^k corners spanned by the k
 * axes that actually interpolate (k = 0 for nearest). */
static float resize_point(const resize_info *r, const float *x,
                          const resize_tap *const *taps, const int64_t *o) {
  int active[DLC_MAX_RANK], na = 0;
  int64_t base = 0;
  for (int d = 0; d < r->rank; d++) {
    const resize_tap *t = &taps[d][o[d]];
    if (t->outside)
      return (float)r->extrapolation;
    base += t->i0 * r->stride[d];
    if (t->w != 0.0)
      active[na++] = d;
  }
  double acc = 0;
  for (int corner = 0; corner < (1 << na); corner++) {
    double w = 1.0;
    int64_t off = base;
    for (int j = 0; j < na; j++) {
      const resize_tap *t = &taps[active[j]][o[active[j]]];
      bool hi = (corner >> j) & 1;
      w *= hi ? t->w : 1.0 - t->w;
      off += hi ? (t->i1 - t->i0) * r->stride[active[j]] : 0;
    }
    acc += w * x[off];
  }
  return (float)acc;
}

bool dlc_ref_resize(dlc_op_ctx *c) {
  resize_info r;
  if (!resize_setup(c, &r))
    return false;
  resize_tap *taps[DLC_MAX_RANK] = {NULL};
  bool ok = true;
  for (int d = 0; d < r.rank && ok; d++) {
    taps[d] = malloc(sizeof(resize_tap) * (size_t)r.out[d]);
    if (!taps[d])
      ok = dlc_op_error(c, "out of memory");
    for (int64_t x = 0; ok && x < r.out[d]; x++)
      taps[d][x] = resize_axis_tap(&r, d, x);
  }
  if (ok) {
    const float *x = c->in[0]->data;
    float *y = c->out[0].data;
    int64_t o[DLC_MAX_RANK] = {0};
    do
      *y++ = resize_point(&r, x, (const resize_tap *const *)taps, o);
    while (odo_next(r.rank, r.out, o));
  }
  for (int d = 0; d < r.rank; d++)
    free(taps[d]);
  return ok;
}

/* ------------------------------------------------ the window, read back */

static void window_from_geom(const geom *g, dlc_window *w) {
  w->ns = g->ns;
  memcpy(w->in, g->in, sizeof w->in);
  memcpy(w->out, g->out, sizeof w->out);
  memcpy(w->k, g->k, sizeof w->k);
  memcpy(w->s, g->s, sizeof w->s);
  memcpy(w->d, g->d, sizeof w->d);
  memcpy(w->pb, g->pb, sizeof w->pb);
  memcpy(w->pe, g->pe, sizeof w->pe);
}

bool dlc_window_of(const dlc_node *n, dlc_window *w) {
  memset(w, 0, sizeof *w);
  dlc_blocked_view v;
  if ((n->op == DLC_OP_CONV_NCHWC || n->op == DLC_OP_POOL_NCHWC) &&
      dlc_blocked_plain_node(n, &v))
    return dlc_window_of(&v.node, w);
  int ni = dlc_node_op_inputs(n);
  if (ni < 1 || ni > 3)
    return false;
  const dlc_tensor *in[3] = {NULL, NULL, NULL};
  for (int i = 0; i < ni; i++)
    in[i] = n->inputs[i] ? &n->inputs[i]->type : NULL;
  dlc_op_ctx c = {.node = n, .n_inputs = ni, .in = in};
  conv_info ci;
  pool_info p;
  switch (n->op) {
  case DLC_OP_CONV:
    if (!conv_setup(&c, &ci))
      return false;
    window_from_geom(&ci.g, w);
    return true;
  case DLC_OP_CONV_TRANSPOSE:
    if (!convt_setup(&c, &ci))
      return false;
    window_from_geom(&ci.g, w);
    return true;
  case DLC_OP_MAX_POOL:
  case DLC_OP_AVERAGE_POOL:
    if (!pool_setup(&c, &p))
      return false;
    window_from_geom(&p.g, w);
    return true;
  default:
    return false;
  }
}
