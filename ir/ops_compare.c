/* ops_compare.c — comparisons, logic and selection: Equal, Greater, Less,
 * GreaterOrEqual, LessOrEqual, And, Or, Xor, Not, IsNaN and Where, the ops
 * of PyTorch's attention masks.
 *
 * dlc has no bool dtype: ONNX bool tensors are uint8 holding 0 or 1, so the
 * comparisons produce uint8 and Where, And, Or, Xor and Not take it. Floats
 * compare as doubles (any comparison with NaN is false). */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

/* ------------------------------------------------------- IsNaN, Not */

/* IsNaN: float32 -> bool. */
bool dlc_infer_is_nan(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 1) ||
      !dlc_op_need_dtype(c, 0, DLC_DT_BIT(FLOAT32), "IsNaN takes float32"))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 0);
  return dlc_op_set_output(c, 0, DLC_DT_UINT8, x->rank, x->dims);
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
  if (!dlc_op_need_inputs(c, 1) ||
      !dlc_op_need_dtype(c, 0, DLC_DT_BIT(UINT8), "Not takes bool (uint8)"))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 0);
  return dlc_op_set_output(c, 0, DLC_DT_UINT8, x->rank, x->dims);
}

bool dlc_ref_not(dlc_op_ctx *c) {
  const uint8_t *x = c->in[0]->data;
  uint8_t *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(c->in[0]);
  for (int64_t i = 0; i < n; i++)
    y[i] = x[i] == 0;
  return true;
}

/* ------------------------------------------ comparisons and logic */

/* Equal, Greater, Less, GreaterOrEqual, LessOrEqual: two inputs of one
 * numeric dtype, broadcast; bool (uint8) result. */
bool dlc_infer_compare(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 2))
    return false;
  const dlc_tensor *a = dlc_op_input(c, 0), *b = dlc_op_input(c, 1);
  if (a->dtype != b->dtype || !dlc_op_is_numeric(a->dtype))
    return dlc_op_error(c, "inputs must share one numeric dtype, got %s and "
                        "%s", dlc_dtype_name(a->dtype),
                        dlc_dtype_name(b->dtype));
  dlc_tensor o;
  return dlc_op_broadcast_all(c, 2, &o) &&
         dlc_op_set_output(c, 0, DLC_DT_UINT8, o.rank, o.dims);
}

/* And, Or, Xor: bool (uint8) inputs, broadcast. */
bool dlc_infer_logic(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 2) ||
      !dlc_op_need_dtype(c, 0, DLC_DT_BIT(UINT8), "expected bool (uint8)") ||
      !dlc_op_need_dtype(c, 1, DLC_DT_BIT(UINT8), "expected bool (uint8)"))
    return false;
  dlc_tensor o;
  return dlc_op_broadcast_all(c, 2, &o) &&
         dlc_op_set_output(c, 0, DLC_DT_UINT8, o.rank, o.dims);
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
    int64_t x = dlc_tensor_get_int(a, ia), y = dlc_tensor_get_int(b, ib);
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
    int64_t ia = dlc_broadcast_index(a, y, i),
            ib = dlc_broadcast_index(b, y, i);
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
  if (!dlc_op_need_inputs(c, 3) ||
      !dlc_op_need_dtype(c, 0, DLC_DT_BIT(UINT8),
                         "the condition must be bool (uint8)"))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 1), *y = dlc_op_input(c, 2);
  if (x->dtype != y->dtype || !dlc_op_is_numeric(x->dtype))
    return dlc_op_error(c, "inputs 1 (X) and 2 (Y) must share one numeric "
                        "dtype, got %s and %s", dlc_dtype_name(x->dtype),
                        dlc_dtype_name(y->dtype));
  dlc_tensor o;
  return dlc_op_broadcast_all(c, 3, &o) &&
         dlc_op_set_output(c, 0, x->dtype, o.rank, o.dims);
}

bool dlc_ref_where(dlc_op_ctx *c) {
  const dlc_tensor *cond = c->in[0], *x = c->in[1], *y = c->in[2];
  dlc_tensor *o = &c->out[0];
  size_t es = dlc_dtype_size(o->dtype);
  int64_t n = dlc_tensor_numel(o);
  for (int64_t i = 0; i < n; i++) {
    bool take_x =
        ((const uint8_t *)cond->data)[dlc_broadcast_index(cond, o, i)];
    const dlc_tensor *src = take_x ? x : y;
    memcpy((char *)o->data + (size_t)i * es,
           (const char *)src->data +
               (size_t)dlc_broadcast_index(src, o, i) * es,
           es);
  }
  return true;
}
