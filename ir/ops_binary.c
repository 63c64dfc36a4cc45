/* ops_binary.c — broadcasting binary element-wise operators: Add, Sub,
 * Mul, Div, Pow, the variadic Min and Max, and Mod.
 *
 * Add/Sub/Mul/Div also take int64 because exported models do shape
 * arithmetic with them; Min/Max take float32, int64 and int32 (NaN wins, as
 * in PyTorch); Mod is integer or fmod (torchvision's Swin exports build
 * their window mask with it) and avoids C's undefined cases (x % 0,
 * INT64_MIN % -1). */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

/* ------------------------------------------------- binary, broadcasting */

/* Numpy multidirectional broadcasting; both inputs share one dtype. Add,
 * Sub, Mul and Div take float32 or int64, Pow float32. */
bool dlc_infer_broadcast(dlc_op_ctx *c) {
  const dlc_tensor *a = dlc_op_input(c, 0), *b = dlc_op_input(c, 1);
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
  return dlc_op_set_output(c, 0, a->dtype, o.rank, o.dims);
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

/* ----------------------------------------------------------- Min, Max */

/* Variadic, broadcast, one dtype among float32, int64 and int32. */
bool dlc_infer_min_max(dlc_op_ctx *c) {
  if (c->n_inputs < 1)
    return dlc_op_error(c, "needs at least one input");
  if (!dlc_op_need_inputs(c, c->n_inputs))
    return false;
  dlc_dtype dt = dlc_op_input(c, 0)->dtype;
  for (int i = 0; i < c->n_inputs; i++)
    if (dlc_op_input(c, i)->dtype != dt ||
        (dt != DLC_DT_FLOAT32 && dt != DLC_DT_INT64 && dt != DLC_DT_INT32))
      return dlc_op_error(c, "inputs must share one dtype among float32, "
                          "int64 and int32; input %d is %s (input 0: %s)", i,
                          dlc_dtype_name(dlc_op_input(c, i)->dtype),
                          dlc_dtype_name(dt));
  dlc_tensor o;
  return dlc_op_broadcast_all(c, c->n_inputs, &o) &&
         dlc_op_set_output(c, 0, dt, o.rank, o.dims);
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
        int64_t v = dlc_tensor_get_int(t, j);
        if (k == 0 || (is_max ? v > ia : v < ia))
          ia = v;
      }
    }
    if (is_f)
      ((float *)y->data)[i] = (float)fa;
    else
      dlc_op_put_int(y, i, ia);
  }
  return true;
}

bool dlc_ref_min(dlc_op_ctx *c) { return run_min_max(c, false); }
bool dlc_ref_max(dlc_op_ctx *c) { return run_min_max(c, true); }

/* ----------------------------------------------------------------- Mod */

const dlc_attr_schema dlc_attrs_mod[] = {
    {.name = "fmod", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};

/* A, B (broadcast) -> A mod B, one dtype: float32 (fmod must be 1, as ONNX
 * requires), int64 or int32. */
bool dlc_infer_mod(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 2))
    return false;
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  int64_t fmod_attr = dlc_node_get_int(c->node, "fmod");
  char sa[SHAPE_BUF], sb[SHAPE_BUF];
  if (fmod_attr != 0 && fmod_attr != 1)
    return dlc_op_error(c, "fmod must be 0 or 1, not %lld",
                        (long long)fmod_attr);
  if (a->dtype != DLC_DT_FLOAT32 && a->dtype != DLC_DT_INT64 &&
      a->dtype != DLC_DT_INT32)
    return dlc_op_error(c, "input 0 has dtype %s; expected float32, int64 "
                        "or int32", dlc_dtype_name(a->dtype));
  if (b->dtype != a->dtype)
    return dlc_op_error(c, "inputs have different dtypes: %s and %s",
                        dlc_dtype_name(a->dtype), dlc_dtype_name(b->dtype));
  if (a->dtype == DLC_DT_FLOAT32 && fmod_attr == 0)
    return dlc_op_error(c, "float32 inputs need fmod=1 (ONNX defines fmod=0 "
                        "for integers only)");
  dlc_tensor o;
  if (!dlc_broadcast_shape(a, b, &o))
    return dlc_op_error(c, "cannot broadcast %s with %s",
                        dlc_shape_str(a, sa, sizeof sa),
                        dlc_shape_str(b, sb, sizeof sb));
  o.dtype = a->dtype;
  return dlc_op_set_output_like(c, &o);
}

/* Integer remainder. fmod=1: C's truncated remainder (sign of the
 * dividend). fmod=0: Python's floored one (sign of the divisor). Division
 * by zero, undefined in ONNX, gives 0 as in numpy; x % -1 is 0 (C leaves
 * INT64_MIN % -1 undefined). */
static int64_t mod_int(int64_t x, int64_t y, bool fmod) {
  if (y == 0 || y == -1)
    return 0;
  int64_t r = x % y;
  if (!fmod && r != 0 && (r < 0) != (y < 0))
    r += y; /* |r| < |y| and opposite signs: cannot overflow */
  return r;
}

bool dlc_ref_mod(dlc_op_ctx *c) {
  const dlc_tensor *a = c->in[0], *b = c->in[1];
  dlc_tensor *y = &c->out[0];
  bool fmod = dlc_node_get_int(c->node, "fmod") != 0;
  int64_t n = dlc_tensor_numel(y);
  for (int64_t i = 0; i < n; i++) {
    int64_t ia = dlc_broadcast_index(a, y, i);
    int64_t ib = dlc_broadcast_index(b, y, i);
    switch (y->dtype) {
    case DLC_DT_FLOAT32:
      ((float *)y->data)[i] = fmodf(((const float *)a->data)[ia],
                                    ((const float *)b->data)[ib]);
      break;
    case DLC_DT_INT64:
      ((int64_t *)y->data)[i] = mod_int(((const int64_t *)a->data)[ia],
                                        ((const int64_t *)b->data)[ib], fmod);
      break;
    case DLC_DT_INT32:
      ((int32_t *)y->data)[i] = (int32_t)mod_int(
          ((const int32_t *)a->data)[ia], ((const int32_t *)b->data)[ib], fmod);
      break;
    default:
      return dlc_op_error(c, "dtype %s is not supported",
                          dlc_dtype_name(y->dtype));
    }
  }
  return true;
}
