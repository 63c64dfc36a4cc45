/* ops_unary.c — unary element-wise operators: the activations (Relu,
 * LeakyRelu, PRelu, Elu, Sigmoid, Tanh, Clip, HardSigmoid, HardSwish), the
 * maths functions (Erf, Sqrt, Exp, Neg, Abs, Reciprocal, Log, Softplus) and
 * Cast.
 *
 * The activations compute in float32 through double; Neg and Abs also take
 * signed integers (wrapping like numpy), and Cast converts between float32,
 * the integer dtypes and bool (uint8 holding 0/1) with saturating
 * float-to-int rules. Shape inference reports every problem through
 * dlc_op_error. */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

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

/* ------------------------------------------------- unary element-wise */

/* Clip's min (input 1) and max (input 2), when given, must be constant
 * scalars of X's dtype: codegen bakes them into the epilogue. */
static bool check_clip_bound(dlc_op_ctx *c, const dlc_tensor *x, int i,
                             const char *what) {
  const dlc_tensor *t = dlc_op_input(c, i);
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
  const dlc_tensor *x = dlc_op_input(c, 0);
  if (!x)
    return dlc_op_error(c, "input 0 is required");
  if (c->node->op != DLC_OP_IDENTITY && !dlc_op_need_f32(c, 0, "X"))
    return false;
  return dlc_op_set_output_like(c, x);
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
  const dlc_tensor *lo = dlc_op_input(c, 1), *hi = dlc_op_input(c, 2);
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
  const dlc_tensor *x = dlc_op_need_f32(c, 0, "X"),
                   *s = dlc_op_need_f32(c, 1, "slope");
  if (!x || !s)
    return false;
  if (!dlc_op_unidir_ok(s, x->rank, x->dims)) {
    char ss[SHAPE_BUF], sx[SHAPE_BUF];
    return dlc_op_error(c, "input 1 (slope) %s does not broadcast to X %s",
                        dlc_shape_str(s, ss, sizeof ss),
                        dlc_shape_str(x, sx, sizeof sx));
  }
  return dlc_op_set_output_like(c, x);
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

/* ------------------------------------------------- element-wise unary */

/* Neg and Abs: float32 and signed integers; the output is the input's type. */
bool dlc_infer_signed_unary(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 1) ||
      !dlc_op_need_dtype(c, 0,
                         DLC_DT_BIT(FLOAT32) | DLC_DT_BIT(INT64) |
                             DLC_DT_BIT(INT32) | DLC_DT_BIT(INT8),
                         "expected float32, int64, int32 or int8"))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 0);
  return dlc_op_set_output(c, 0, x->dtype, x->rank, x->dims);
}

typedef enum un_op { UN_NEG, UN_ABS, UN_RECIPROCAL, UN_LOG, UN_SOFTPLUS } un_op;

static double un_f(un_op op, double x) {
  switch (op) {
  case UN_NEG: return -x;
  case UN_ABS: return fabs(x);
  case UN_RECIPROCAL: return 1.0 / x;
  case UN_LOG: return log(x);
  case UN_SOFTPLUS: /* log(1 + e^x) without overflow for large x */
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
  }
  return 0;
}

/* Integer Neg/Abs wrap like numpy: -INT64_MIN is INT64_MIN. */
static int64_t un_i(un_op op, int64_t x) {
  uint64_t neg = 0 - (uint64_t)x;
  if (op == UN_ABS && x >= 0)
    return x;
  return (int64_t)neg;
}

static bool run_un(dlc_op_ctx *c, un_op op) {
  const dlc_tensor *x = c->in[0];
  dlc_tensor *y = &c->out[0];
  int64_t n = dlc_tensor_numel(x);
  if (x->dtype != DLC_DT_FLOAT32 && op > UN_ABS)
    return dlc_op_error(c, "input 0 must be float32, got %s",
                        dlc_dtype_name(x->dtype));
  for (int64_t i = 0; i < n; i++) {
    if (x->dtype == DLC_DT_FLOAT32)
      ((float *)y->data)[i] = (float)un_f(op, ((const float *)x->data)[i]);
    else
      dlc_op_put_int(y, i, un_i(op, dlc_tensor_get_int(x, i)));
  }
  return true;
}

bool dlc_ref_neg(dlc_op_ctx *c) { return run_un(c, UN_NEG); }
bool dlc_ref_abs(dlc_op_ctx *c) { return run_un(c, UN_ABS); }
bool dlc_ref_reciprocal(dlc_op_ctx *c) { return run_un(c, UN_RECIPROCAL); }
bool dlc_ref_log(dlc_op_ctx *c) { return run_un(c, UN_LOG); }
bool dlc_ref_softplus(dlc_op_ctx *c) { return run_un(c, UN_SOFTPLUS); }

/* --------------------------------------------------------------- Cast */

/* `to` is an ONNX TensorProto data type number, as in the ONNX file. */
const dlc_attr_schema dlc_attrs_cast[] = {
    {.name = "to", .kind = DLC_ATTR_INT, .required = true},
    {.name = NULL}};

/* ONNX type number -> dlc dtype; bool is uint8. UNDEFINED if dlc cannot
 * hold it (double and float16 included: dlc computes in float32). */
static dlc_dtype cast_target(int64_t to, bool *is_bool) {
  *is_bool = to == 9;
  switch (to) {
  case 1: return DLC_DT_FLOAT32;
  case 2: return DLC_DT_UINT8;
  case 3: return DLC_DT_INT8;
  case 6: return DLC_DT_INT32;
  case 7: return DLC_DT_INT64;
  case 9: return DLC_DT_UINT8;
  default: return DLC_DT_UNDEFINED;
  }
}

bool dlc_infer_cast(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 1))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 0);
  bool is_bool;
  int64_t to = dlc_node_get_int(c->node, "to");
  dlc_dtype dt = cast_target(to, &is_bool);
  if (dt == DLC_DT_UNDEFINED)
    return dlc_op_error(c, "cast to ONNX type %lld is not supported (dlc "
                        "casts to float32, int64, int32, int8, uint8 and "
                        "bool; double and float16 are not computed in)",
                        (long long)to);
  if (!dlc_op_is_numeric(x->dtype))
    return dlc_op_error(c, "input 0 has dtype %s, which Cast cannot read",
                        dlc_dtype_name(x->dtype));
  return dlc_op_set_output(c, 0, dt, x->rank, x->dims);
}

/* float -> integer: truncation toward zero, saturating at the target's
 * int64 range and NaN -> 0 (C leaves these undefined; numpy gives
 * unspecified values), then wrapped to the target's width. */
static int64_t f_to_i(double v) {
  if (isnan(v))
    return 0;
  if (v >= 9223372036854775807.0)
    return INT64_MAX;
  if (v <= -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t)v;
}

bool dlc_ref_cast(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  dlc_tensor *y = &c->out[0];
  bool is_bool;
  cast_target(dlc_node_get_int(c->node, "to"), &is_bool);
  int64_t n = dlc_tensor_numel(x);
  bool from_f = x->dtype == DLC_DT_FLOAT32;
  for (int64_t i = 0; i < n; i++) {
    if (is_bool)
      dlc_op_put_int(y, i,
                     from_f ? dlc_tensor_get_f64(x, i) != 0
                            : dlc_tensor_get_int(x, i) != 0);
    else if (y->dtype == DLC_DT_FLOAT32)
      ((float *)y->data)[i] = (float)dlc_tensor_get_f64(x, i);
    else
      dlc_op_put_int(y, i,
                     from_f ? f_to_i(dlc_tensor_get_f64(x, i))
                            : dlc_tensor_get_int(x, i));
  }
  return true;
}
