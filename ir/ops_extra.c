/* ops_extra.c — the operators of ops_extra.def: what PyTorch's ONNX exports
 * contain beyond the foundation set. Attention masks bring comparisons
 * (Equal, Greater, Less, ...), logic (And, Or, Xor, Not, IsNaN), Where and
 * Expand; dynamic shapes bring Cast, ConstantOfShape and Range; and there
 * are a few element-wise maths ops (Neg, Abs, Reciprocal, Log, Softplus,
 * Min, Max) and reductions (ReduceSum, ReduceMax, ReduceMin).
 *
 * dlc has no bool dtype: ONNX bool tensors are uint8 holding 0 or 1, so the
 * comparisons produce uint8 and Where, And, Or, Xor and Not take it. Shape
 * arithmetic runs in int64 (and int32), so the integer paths are as careful
 * as the float ones: wrap-around instead of signed overflow, saturating
 * float-to-int casts. As everywhere in the table, inference runs on hostile
 * models and reports every problem through dlc_op_error, naming shapes. */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

enum { SHAPE_BUF = 256 };

/* ---------------------------------------------------------- helpers */

static const dlc_tensor *input(const dlc_op_ctx *c, int i) {
  return i < c->n_inputs ? c->in[i] : NULL;
}

static bool need_inputs(dlc_op_ctx *c, int n) {
  for (int i = 0; i < n; i++)
    if (!input(c, i))
      return dlc_op_error(c, "input %d is required", i);
  return true;
}

/* Sets output 0's type, refusing shapes whose element count overflows. */
static bool set_out(dlc_op_ctx *c, dlc_dtype dt, int rank,
                    const int64_t *dims) {
  return dlc_op_set_output(c, 0, dt, rank, dims);
}

static bool is_int_dtype(dlc_dtype t) {
  return t == DLC_DT_INT64 || t == DLC_DT_INT32 || t == DLC_DT_INT8 ||
         t == DLC_DT_UINT8;
}

/* The dtypes these kernels read and write (float16 is storage only). */
static bool is_numeric(dlc_dtype t) {
  return t == DLC_DT_FLOAT32 || is_int_dtype(t);
}

/* Requires input i to have one of the dtypes in the mask (1 << dtype). */
static bool need_dtype(dlc_op_ctx *c, int i, unsigned mask, const char *what) {
  const dlc_tensor *t = input(c, i);
  if (!(mask & (1u << t->dtype)))
    return dlc_op_error(c, "input %d has dtype %s; %s", i,
                        dlc_dtype_name(t->dtype), what);
  return true;
}
#define DT(x) (1u << DLC_DT_##x)

/* Element i of an integer tensor (no float: a float-to-int conversion needs
 * the saturating rules of Cast). */
static int64_t get_i(const dlc_tensor *t, int64_t i) {
  return dlc_tensor_get_int(t, i);
}

/* Stores v into element i of an integer tensor, truncating to its width
 * (two's complement wrap, as numpy). */
static void put_i(dlc_tensor *t, int64_t i, int64_t v) {
  switch (t->dtype) {
  case DLC_DT_INT64: ((int64_t *)t->data)[i] = v; break;
  case DLC_DT_INT32: ((int32_t *)t->data)[i] = (int32_t)(uint32_t)v; break;
  case DLC_DT_INT8: ((int8_t *)t->data)[i] = (int8_t)(uint8_t)v; break;
  case DLC_DT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
  default: DLC_ASSERT(!"put_i: not an integer dtype");
  }
}

/* Broadcast shape of inputs [0, n), all of which must be present. */
static bool broadcast_all(dlc_op_ctx *c, int n, dlc_tensor *o) {
  *o = *input(c, 0);
  o->data = NULL;
  for (int i = 1; i < n; i++) {
    dlc_tensor next;
    char a[SHAPE_BUF], b[SHAPE_BUF];
    if (!dlc_broadcast_shape(o, input(c, i), &next))
      return dlc_op_error(c, "cannot broadcast %s with input %d %s",
                          dlc_shape_str(o, a, sizeof a), i,
                          dlc_shape_str(input(c, i), b, sizeof b));
    *o = next;
  }
  return true;
}

/* Checks that input idx is a constant 1-D int64 tensor of at most max
 * elements, whose values are at least lo; *n gets the length. */
static bool const_int_list(dlc_op_ctx *c, int idx, const char *what,
                           int64_t max, int64_t lo, int64_t *n) {
  const dlc_tensor *t = input(c, idx);
  char s[SHAPE_BUF];
  if (!t->data)
    return dlc_op_error(c, "input %d (%s) must be a constant (an initializer "
                        "or computable from shapes)", idx, what);
  if (t->dtype != DLC_DT_INT64 || t->rank != 1)
    return dlc_op_error(c, "input %d (%s) must be a 1-D int64 tensor, not "
                        "%s %s", idx, what, dlc_dtype_name(t->dtype),
                        dlc_shape_str(t, s, sizeof s));
  if (t->dims[0] > max)
    return dlc_op_error(c, "input %d (%s) has %lld values, more than %lld",
                        idx, what, (long long)t->dims[0], (long long)max);
  for (int64_t k = 0; k < t->dims[0]; k++)
    if (get_i(t, k) < lo)
      return dlc_op_error(c, "input %d (%s) value %lld at %lld is below %lld",
                          idx, what, (long long)get_i(t, k), (long long)k,
                          (long long)lo);
  *n = t->dims[0];
  return true;
}

/* ------------------------------------------------- element-wise unary */

/* Neg and Abs: float32 and signed integers; the output is the input's type. */
bool dlc_infer_signed_unary(dlc_op_ctx *c) {
  if (!need_inputs(c, 1) ||
      !need_dtype(c, 0, DT(FLOAT32) | DT(INT64) | DT(INT32) | DT(INT8),
                  "expected float32, int64, int32 or int8"))
    return false;
  const dlc_tensor *x = input(c, 0);
  return set_out(c, x->dtype, x->rank, x->dims);
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
      put_i(y, i, un_i(op, get_i(x, i)));
  }
  return true;
}

bool dlc_ref_neg(dlc_op_ctx *c) { return run_un(c, UN_NEG); }
bool dlc_ref_abs(dlc_op_ctx *c) { return run_un(c, UN_ABS); }
bool dlc_ref_reciprocal(dlc_op_ctx *c) { return run_un(c, UN_RECIPROCAL); }
bool dlc_ref_log(dlc_op_ctx *c) { return run_un(c, UN_LOG); }
bool dlc_ref_softplus(dlc_op_ctx *c) { return run_un(c, UN_SOFTPLUS); }

/* IsNaN: float32 -> bool. */
bool dlc_infer_is_nan(dlc_op_ctx *c) {
  if (!need_inputs(c, 1) ||
      !need_dtype(c, 0, DT(FLOAT32), "IsNaN takes float32"))
    return false;
  const dlc_tensor *x = input(c, 0);
  return set_out(c, DLC_DT_UINT8, x->rank, x->dims);
}

bool dlc_ref_is_nan(dlc_op_ctx *c) {
  const float *x = c->in[0]->data;
  uint8_t *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(c->in[0]);
  for (int64_t i = 0; i < n; i++)
    y[i] = isnan(x[i]) ? 1 : 0;
  return true;
}

/* Not: bool -> bool. */
bool dlc_infer_not(dlc_op_ctx *c) {
  if (!need_inputs(c, 1) ||
      !need_dtype(c, 0, DT(UINT8), "Not takes bool (uint8)"))
    return false;
  const dlc_tensor *x = input(c, 0);
  return set_out(c, DLC_DT_UINT8, x->rank, x->dims);
}

bool dlc_ref_not(dlc_op_ctx *c) {
  const uint8_t *x = c->in[0]->data;
  uint8_t *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(c->in[0]);
  for (int64_t i = 0; i < n; i++)
    y[i] = x[i] == 0;
  return true;
}

/* -------------------------------------------------------------- Cast */

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
  if (!need_inputs(c, 1))
    return false;
  const dlc_tensor *x = input(c, 0);
  bool is_bool;
  int64_t to = dlc_node_get_int(c->node, "to");
  dlc_dtype dt = cast_target(to, &is_bool);
  if (dt == DLC_DT_UNDEFINED)
    return dlc_op_error(c, "cast to ONNX type %lld is not supported (dlc "
                        "casts to float32, int64, int32, int8, uint8 and "
                        "bool; double and float16 are not computed in)",
                        (long long)to);
  if (!is_numeric(x->dtype))
    return dlc_op_error(c, "input 0 has dtype %s, which Cast cannot read",
                        dlc_dtype_name(x->dtype));
  return set_out(c, dt, x->rank, x->dims);
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
      put_i(y, i, from_f ? dlc_tensor_get_f64(x, i) != 0 : get_i(x, i) != 0);
    else if (y->dtype == DLC_DT_FLOAT32)
      ((float *)y->data)[i] = (float)dlc_tensor_get_f64(x, i);
    else
      put_i(y, i, from_f ? f_to_i(dlc_tensor_get_f64(x, i)) : get_i(x, i));
  }
  return true;
}

/* ------------------------------------------ comparisons and logic */

/* Equal, Greater, Less, GreaterOrEqual, LessOrEqual: two inputs of one
 * numeric dtype, broadcast; bool (uint8) result. */
bool dlc_infer_compare(dlc_op_ctx *c) {
  if (!need_inputs(c, 2))
    return false;
  const dlc_tensor *a = input(c, 0), *b = input(c, 1);
  if (a->dtype != b->dtype || !is_numeric(a->dtype))
    return dlc_op_error(c, "inputs must share one numeric dtype, got %s and "
                        "%s", dlc_dtype_name(a->dtype),
                        dlc_dtype_name(b->dtype));
  dlc_tensor o;
  return broadcast_all(c, 2, &o) && set_out(c, DLC_DT_UINT8, o.rank, o.dims);
}

/* And, Or, Xor: bool (uint8) inputs, broadcast. */
bool dlc_infer_logic(dlc_op_ctx *c) {
  if (!need_inputs(c, 2) ||
      !need_dtype(c, 0, DT(UINT8), "expected bool (uint8)") ||
      !need_dtype(c, 1, DT(UINT8), "expected bool (uint8)"))
    return false;
  dlc_tensor o;
  return broadcast_all(c, 2, &o) && set_out(c, DLC_DT_UINT8, o.rank, o.dims);
}

typedef enum cmp_op {
  CMP_EQ, CMP_GT, CMP_LT, CMP_GE, CMP_LE, LOGIC_AND, LOGIC_OR, LOGIC_XOR
} cmp_op;

/* Floats compare as doubles (any comparison with NaN is false), integers as
 * int64 (exact). */
static bool cmp_elem(cmp_op op, const dlc_tensor *a, int64_t ia,
                     const dlc_tensor *b, int64_t ib) {
  int s; /* sign of a - b */
  if (a->dtype == DLC_DT_FLOAT32) {
    double x = dlc_tensor_get_f64(a, ia), y = dlc_tensor_get_f64(b, ib);
    if (isnan(x) || isnan(y))
      return false;
    s = x < y ? -1 : x > y;
  } else {
    int64_t x = get_i(a, ia), y = get_i(b, ib);
    s = x < y ? -1 : x > y;
  }
  switch (op) {
  case CMP_EQ: return s == 0;
  case CMP_GT: return s > 0;
  case CMP_LT: return s < 0;
  case CMP_GE: return s >= 0;
  default: return s <= 0;
  }
}

static bool run_cmp(dlc_op_ctx *c, cmp_op op) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  dlc_tensor *y = &c->out[0];
  uint8_t *yd = y->data;
  int64_t n = dlc_tensor_numel(y);
  for (int64_t i = 0; i < n; i++) {
    int64_t ia = dlc_broadcast_index(a, y, i), ib = dlc_broadcast_index(b, y, i);
    if (op < LOGIC_AND) {
      yd[i] = cmp_elem(op, a, ia, b, ib);
      continue;
    }
    bool x = ((const uint8_t *)a->data)[ia], z = ((const uint8_t *)b->data)[ib];
    yd[i] = op == LOGIC_AND ? x && z : op == LOGIC_OR ? x || z : x != z;
  }
  return true;
}

bool dlc_ref_equal(dlc_op_ctx *c) { return run_cmp(c, CMP_EQ); }
bool dlc_ref_greater(dlc_op_ctx *c) { return run_cmp(c, CMP_GT); }
bool dlc_ref_less(dlc_op_ctx *c) { return run_cmp(c, CMP_LT); }
bool dlc_ref_greater_or_equal(dlc_op_ctx *c) { return run_cmp(c, CMP_GE); }
bool dlc_ref_less_or_equal(dlc_op_ctx *c) { return run_cmp(c, CMP_LE); }
bool dlc_ref_and(dlc_op_ctx *c) { return run_cmp(c, LOGIC_AND); }
bool dlc_ref_or(dlc_op_ctx *c) { return run_cmp(c, LOGIC_OR); }
bool dlc_ref_xor(dlc_op_ctx *c) { return run_cmp(c, LOGIC_XOR); }

/* ------------------------------------------------------------- Where */

/* Where(cond bool, X, Y): X and Y share a dtype; all three broadcast. */
bool dlc_infer_where(dlc_op_ctx *c) {
  if (!need_inputs(c, 3) ||
      !need_dtype(c, 0, DT(UINT8), "the condition must be bool (uint8)"))
    return false;
  const dlc_tensor *x = input(c, 1), *y = input(c, 2);
  if (x->dtype != y->dtype || !is_numeric(x->dtype))
    return dlc_op_error(c, "inputs 1 (X) and 2 (Y) must share one numeric "
                        "dtype, got %s and %s", dlc_dtype_name(x->dtype),
                        dlc_dtype_name(y->dtype));
  dlc_tensor o;
  return broadcast_all(c, 3, &o) && set_out(c, x->dtype, o.rank, o.dims);
}

bool dlc_ref_where(dlc_op_ctx *c) {
  const dlc_tensor *cond = c->in[0], *x = c->in[1], *y = c->in[2];
  dlc_tensor *o = &c->out[0];
  size_t es = dlc_dtype_size(o->dtype);
  int64_t n = dlc_tensor_numel(o);
  for (int64_t i = 0; i < n; i++) {
    bool take_x = ((const uint8_t *)cond->data)[dlc_broadcast_index(cond, o, i)];
    const dlc_tensor *src = take_x ? x : y;
    memcpy((char *)o->data + (size_t)i * es,
           (const char *)src->data +
               (size_t)dlc_broadcast_index(src, o, i) * es,
           es);
  }
  return true;
}

/* ----------------------------------------------------------- Min, Max */

/* Variadic, broadcast, one dtype among float32, int64 and int32. */
bool dlc_infer_min_max(dlc_op_ctx *c) {
  if (c->n_inputs < 1)
    return dlc_op_error(c, "needs at least one input");
  if (!need_inputs(c, c->n_inputs))
    return false;
  dlc_dtype dt = input(c, 0)->dtype;
  for (int i = 0; i < c->n_inputs; i++)
    if (input(c, i)->dtype != dt ||
        (dt != DLC_DT_FLOAT32 && dt != DLC_DT_INT64 && dt != DLC_DT_INT32))
      return dlc_op_error(c, "inputs must share one dtype among float32, "
                          "int64 and int32; input %d is %s (input 0: %s)", i,
                          dlc_dtype_name(input(c, i)->dtype),
                          dlc_dtype_name(dt));
  dlc_tensor o;
  return broadcast_all(c, c->n_inputs, &o) && set_out(c, dt, o.rank, o.dims);
}

/* NaN wins, as in PyTorch's minimum/maximum. */
static bool run_min_max(dlc_op_ctx *c, bool is_max) {
  dlc_tensor *y = &c->out[0];
  int64_t n = dlc_tensor_numel(y);
  bool is_f = y->dtype == DLC_DT_FLOAT32;
  for (int64_t i = 0; i < n; i++) {
    double fa = 0;
    int64_t ia = 0;
    for (int k = 0; k < c->n_inputs; k++) {
      const dlc_tensor *t = c->in[k];
      int64_t j = dlc_broadcast_index(t, y, i);
      if (is_f) {
        double v = dlc_tensor_get_f64(t, j);
        if (k == 0 || isnan(v) || (!isnan(fa) && (is_max ? v > fa : v < fa)))
          fa = v;
      } else {
        int64_t v = get_i(t, j);
        if (k == 0 || (is_max ? v > ia : v < ia))
          ia = v;
      }
    }
    if (is_f)
      ((float *)y->data)[i] = (float)fa;
    else
      put_i(y, i, ia);
  }
  return true;
}

bool dlc_ref_min(dlc_op_ctx *c) { return run_min_max(c, false); }
bool dlc_ref_max(dlc_op_ctx *c) { return run_min_max(c, true); }

/* ------------------------------------------------------------ Expand */

/* Expand(input, shape): numpy broadcast of the input's shape with the
 * constant `shape` (either side may hold the 1s). */
bool dlc_infer_expand(dlc_op_ctx *c) {
  if (!need_inputs(c, 2))
    return false;
  const dlc_tensor *x = input(c, 0);
  int64_t n;
  if (!is_numeric(x->dtype))
    return dlc_op_error(c, "input 0 has dtype %s, which Expand cannot copy",
                        dlc_dtype_name(x->dtype));
  if (!const_int_list(c, 1, "shape", DLC_MAX_RANK, 0, &n))
    return false;
  dlc_tensor want = {.dtype = x->dtype, .rank = (int)n};
  for (int k = 0; k < n; k++)
    want.dims[k] = get_i(input(c, 1), k);
  dlc_tensor o;
  char a[SHAPE_BUF], b[SHAPE_BUF];
  if (!dlc_broadcast_shape(x, &want, &o))
    return dlc_op_error(c, "input %s cannot be expanded to shape %s",
                        dlc_shape_str(x, a, sizeof a),
                        dlc_shape_str(&want, b, sizeof b));
  return set_out(c, x->dtype, o.rank, o.dims);
}

bool dlc_ref_expand(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  dlc_tensor *y = &c->out[0];
  size_t es = dlc_dtype_size(y->dtype);
  int64_t n = dlc_tensor_numel(y);
  for (int64_t i = 0; i < n; i++)
    memcpy((char *)y->data + (size_t)i * es,
           (const char *)x->data + (size_t)dlc_broadcast_index(x, y, i) * es,
           es);
  return true;
}

/* --------------------------------------------------- ConstantOfShape */

/* value: a one-element tensor giving the dtype and fill value; absent, the
 * output is float32 zeros. */
const dlc_attr_schema dlc_attrs_constant_of_shape[] = {
    {.name = "value", .kind = DLC_ATTR_TENSOR}, {.name = NULL}};

static bool fill_value(dlc_op_ctx *c, const dlc_tensor **v) {
  const dlc_attr *a = dlc_node_find_attr(c->node, "value");
  *v = NULL;
  if (!a)
    return true;
  if (a->kind != DLC_ATTR_TENSOR || dlc_tensor_numel(&a->tensor) != 1 ||
      !a->tensor.data || !is_numeric(a->tensor.dtype))
    return dlc_op_error(c, "attribute 'value' must be a one-element numeric "
                        "tensor");
  *v = &a->tensor;
  return true;
}

bool dlc_infer_constant_of_shape(dlc_op_ctx *c) {
  const dlc_tensor *v;
  int64_t n;
  if (!need_inputs(c, 1) || !fill_value(c, &v) ||
      !const_int_list(c, 0, "shape", DLC_MAX_RANK, 0, &n))
    return false;
  int64_t dims[DLC_MAX_RANK];
  for (int k = 0; k < n; k++)
    dims[k] = get_i(input(c, 0), k);
  return set_out(c, v ? v->dtype : DLC_DT_FLOAT32, (int)n, dims);
}

bool dlc_ref_constant_of_shape(dlc_op_ctx *c) {
  const dlc_tensor *v;
  if (!fill_value(c, &v))
    return false;
  dlc_tensor *y = &c->out[0];
  size_t es = dlc_dtype_size(y->dtype);
  float zero = 0;
  const void *src = v ? v->data : &zero;
  int64_t n = dlc_tensor_numel(y);
  for (int64_t i = 0; i < n; i++)
    memcpy((char *)y->data + (size_t)i * es, src, es);
  return true;
}

/* ------------------------------------------------------------- Range */

/* Elements of Range(start, limit, delta): max(ceil((limit - start) / delta),
 * 0). The inputs decide the output's length, so they must be constants.
 * Integers are counted exactly (no double rounding near 2^53). */
static bool range_count(dlc_op_ctx *c, int64_t *count) {
  const dlc_tensor *s = input(c, 0), *l = input(c, 1), *d = input(c, 2);
  if (s->dtype == DLC_DT_FLOAT32) {
    double a = dlc_tensor_get_f64(s, 0), b = dlc_tensor_get_f64(l, 0),
           k = dlc_tensor_get_f64(d, 0);
    double n = k == 0 ? NAN : ceil((b - a) / k);
    if (!isfinite(n) || n > (double)(1LL << 40))
      return dlc_op_error(c, "start %g, limit %g, delta %g do not give a "
                          "usable element count", a, b, k);
    *count = n > 0 ? (int64_t)n : 0;
    return true;
  }
  int64_t a = get_i(s, 0), b = get_i(l, 0), k = get_i(d, 0);
  if (k == 0)
    return dlc_op_error(c, "delta is 0");
  uint64_t span, step = k > 0 ? (uint64_t)k : 0 - (uint64_t)k;
  if ((k > 0 && b <= a) || (k < 0 && b >= a)) {
    *count = 0;
    return true;
  }
  span = k > 0 ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
  *count = (int64_t)((span - 1) / step + 1);
  return true;
}

bool dlc_infer_range(dlc_op_ctx *c) {
  if (!need_inputs(c, 3))
    return false;
  dlc_dtype dt = input(c, 0)->dtype;
  for (int i = 0; i < 3; i++) {
    const dlc_tensor *t = input(c, i);
    if (t->dtype != dt ||
        (dt != DLC_DT_FLOAT32 && dt != DLC_DT_INT64 && dt != DLC_DT_INT32))
      return dlc_op_error(c, "start, limit and delta must share one dtype "
                          "among float32, int64 and int32");
    if (dlc_tensor_numel(t) != 1)
      return dlc_op_error(c, "input %d must be a scalar", i);
    if (!t->data)
      return dlc_op_error(c, "input %d must be a constant: Range's inputs "
                          "decide its output's length", i);
  }
  int64_t n;
  return range_count(c, &n) && set_out(c, dt, 1, &n);
}

/* y[i] = start + i * delta (not a running sum: no accumulated rounding). */
bool dlc_ref_range(dlc_op_ctx *c) {
  const dlc_tensor *s = c->in[0], *d = c->in[2];
  dlc_tensor *y = &c->out[0];
  int64_t n = dlc_tensor_numel(y);
  for (int64_t i = 0; i < n; i++) {
    if (y->dtype == DLC_DT_FLOAT32)
      ((float *)y->data)[i] = (float)(dlc_tensor_get_f64(s, 0) +
                                      (double)i * dlc_tensor_get_f64(d, 0));
    else
      put_i(y, i, (int64_t)((uint64_t)get_i(s, 0) +
                            (uint64_t)i * (uint64_t)get_i(d, 0)));
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
  const dlc_tensor *x = input(c, 0), *ax = input(c, 1);
  int64_t n = 0, axes[DLC_MAX_RANK];
  if (ax && !const_int_list(c, 1, "axes", DLC_MAX_RANK, INT64_MIN, &n))
    return false;
  for (int64_t i = 0; i < n; i++)
    axes[i] = get_i(ax, i);
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
  return mark_axes(c, input(c, 0), axes, n, false, reduced);
}

static bool reduced_shape(dlc_op_ctx *c, const bool *reduced) {
  return dlc_op_set_reduced_output(
      c, input(c, 0), reduced, dlc_node_get_int(c->node, "keepdims") != 0);
}

bool dlc_infer_reduce_sum(dlc_op_ctx *c) {
  bool reduced[DLC_MAX_RANK];
  return need_inputs(c, 1) &&
         need_dtype(c, 0, DT(FLOAT32) | DT(INT64),
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
      iacc += (uint64_t)get_i(x, j);
      continue;
    }
    double v = dlc_tensor_get_f64(x, j);
    if (op == RED_SUM)
      acc += v;
    else if (isnan(v) || (op == RED_MAX ? v > acc : v < acc))
      acc = isnan(acc) ? acc : v;
  }
  if (x->dtype == DLC_DT_INT64)
    put_i(y, o, (int64_t)iacc);
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
