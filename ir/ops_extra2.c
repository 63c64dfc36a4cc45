/* ops_extra2.c — the operators of ops_extra2.def: Mod and ScatterND, which
 * torchvision's Swin Transformers export for their shifted-window attention
 * mask (`img_mask[h0:h1, w0:w1] = cnt` becomes ScatterND, the window
 * arithmetic integer Mod). In those exports both are constant and
 * fold_constants evaluates them with these kernels; the kernels still accept
 * data computed at run time (the interpreter runs them).
 *
 * As everywhere in the table, inference runs on hostile models: every
 * problem is reported through dlc_op_error with the shapes involved, and the
 * integer kernels avoid C's undefined cases (x % 0, INT64_MIN % -1). */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

enum { SHAPE_BUF = 256 };

/* Requires inputs [0, n) present (omitted optional inputs are NULL). */
static bool need_inputs(dlc_op_ctx *c, int n) {
  for (int i = 0; i < n; i++)
    if (i >= c->n_inputs || !c->in[i])
      return dlc_op_error(c, "input %d is required", i);
  return true;
}

/* Output 0 takes like's type (dlc_op_set_output refuses overflows). */
static bool set_out(dlc_op_ctx *c, const dlc_tensor *like) {
  return dlc_op_set_output(c, 0, like->dtype, like->rank, like->dims);
}

/* ----------------------------------------------------------------- Mod */

const dlc_attr_schema dlc_attrs_mod[] = {
    {.name = "fmod", .kind = DLC_ATTR_INT, .default_i = 0},
    {.name = NULL}};

/* A, B (broadcast) -> A mod B, one dtype: float32 (fmod must be 1, as ONNX
 * requires), int64 or int32. */
bool dlc_infer_mod(dlc_op_ctx *c) {
  if (!need_inputs(c, 2))
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
  return set_out(c, &o);
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

/* ----------------------------------------------------------- ScatterND */

const dlc_attr_schema dlc_attrs_scatter_nd[] = {
    {.name = "reduction", .kind = DLC_ATTR_STRING, .default_s = "none"},
    {.name = NULL}};

typedef enum scatter_red { RED_NONE, RED_ADD, RED_MUL, RED_BAD } scatter_red;

static scatter_red scatter_reduction(const dlc_node *n) {
  const char *s = dlc_node_get_string(n, "reduction");
  if (!s || strcmp(s, "none") == 0)
    return RED_NONE;
  if (strcmp(s, "add") == 0)
    return RED_ADD;
  if (strcmp(s, "mul") == 0)
    return RED_MUL;
  return RED_BAD;
}

/* Checks index tuple t (k values from idx) against data's first k dims;
 * on success *off is the element offset of the slice it names. */
static bool scatter_offset(dlc_op_ctx *c, const dlc_tensor *data,
                           const int64_t *idx, int64_t t, int k,
                           int64_t *off) {
  int64_t o = 0;
  for (int j = 0; j < k; j++) {
    int64_t v = idx[t * k + j], d = data->dims[j];
    if (v < -d || v >= d)
      return dlc_op_error(c, "index %lld (tuple %lld, position %d) is out of "
                          "range for dim %d of size %lld", (long long)v,
                          (long long)t, j, j, (long long)d);
    o = o * d + (v < 0 ? v + d : v);
  }
  for (int j = k; j < data->rank; j++)
    o *= data->dims[j];
  *off = o;
  return true;
}

/* Shape rules: data (d0..d{r-1}), indices (i0..i{q-2}, k) with 1 <= k <= r,
 * updates (i0..i{q-2}, dk..d{r-1}). */
static bool scatter_shapes(dlc_op_ctx *c, const dlc_tensor *data,
                           const dlc_tensor *idx, const dlc_tensor *upd) {
  char sd[SHAPE_BUF], si[SHAPE_BUF], su[SHAPE_BUF];
  dlc_shape_str(data, sd, sizeof sd);
  dlc_shape_str(idx, si, sizeof si);
  dlc_shape_str(upd, su, sizeof su);
  if (data->rank < 1 || idx->rank < 1)
    return dlc_op_error(c, "data %s and indices %s must have rank >= 1", sd,
                        si);
  int64_t k = idx->dims[idx->rank - 1];
  if (k < 1 || k > data->rank)
    return dlc_op_error(c, "indices %s: the last dim (%lld) must be 1 to the "
                        "rank of data %s", si, (long long)k, sd);
  int want = idx->rank - 1 + data->rank - (int)k;
  bool ok = upd->rank == want;
  for (int j = 0; ok && j < idx->rank - 1; j++)
    ok = upd->dims[j] == idx->dims[j];
  for (int j = 0; ok && j < data->rank - k; j++)
    ok = upd->dims[idx->rank - 1 + j] == data->dims[k + j];
  if (!ok)
    return dlc_op_error(c, "updates %s do not match indices %s and data %s "
                        "(expected indices' dims but the last, then data's "
                        "dims from %lld on)", su, si, sd, (long long)k);
  return true;
}

/* data, indices (int64), updates (data's dtype) -> data's type. Constant
 * indices are range-checked here, others when the kernel runs. */
bool dlc_infer_scatter_nd(dlc_op_ctx *c) {
  if (!need_inputs(c, 3))
    return false;
  const dlc_tensor *data = c->in[0], *idx = c->in[1], *upd = c->in[2];
  const char *red = dlc_node_get_string(c->node, "reduction");
  scatter_red r = scatter_reduction(c->node);
  if (r == RED_BAD)
    return dlc_op_error(c, "reduction '%s' is not supported (none, add, mul)",
                        red);
  if (data->dtype != DLC_DT_FLOAT32 && data->dtype != DLC_DT_INT64 &&
      data->dtype != DLC_DT_INT32 && data->dtype != DLC_DT_UINT8)
    return dlc_op_error(c, "data has dtype %s; expected float32, int64, "
                        "int32 or bool", dlc_dtype_name(data->dtype));
  if (r != RED_NONE && data->dtype == DLC_DT_UINT8)
    return dlc_op_error(c, "reduction '%s' on bool data", red);
  if (upd->dtype != data->dtype)
    return dlc_op_error(c, "updates have dtype %s, data %s",
                        dlc_dtype_name(upd->dtype),
                        dlc_dtype_name(data->dtype));
  if (idx->dtype != DLC_DT_INT64)
    return dlc_op_error(c, "indices have dtype %s; expected int64",
                        dlc_dtype_name(idx->dtype));
  if (!scatter_shapes(c, data, idx, upd))
    return false;
  if (idx->data) {
    int k = (int)idx->dims[idx->rank - 1];
    int64_t tuples = dlc_tensor_numel(idx) / k, off;
    for (int64_t t = 0; t < tuples; t++)
      if (!scatter_offset(c, data, idx->data, t, k, &off))
        return false;
  }
  return set_out(c, data);
}

/* out[off + e] (op)= upd[u + e] for the e-th element of one slice. */
static void scatter_elem(dlc_tensor *out, int64_t o, const dlc_tensor *upd,
                         int64_t u, scatter_red r) {
  switch (out->dtype) {
  case DLC_DT_FLOAT32: {
    float *y = (float *)out->data + o, v = ((const float *)upd->data)[u];
    *y = r == RED_ADD ? *y + v : r == RED_MUL ? *y * v : v;
    break;
  }
  case DLC_DT_INT64: { /* wrap-around arithmetic, as numpy */
    int64_t *y = (int64_t *)out->data + o, v = ((const int64_t *)upd->data)[u];
    *y = r == RED_ADD   ? (int64_t)((uint64_t)*y + (uint64_t)v)
         : r == RED_MUL ? (int64_t)((uint64_t)*y * (uint64_t)v)
                        : v;
    break;
  }
  case DLC_DT_INT32: {
    int32_t *y = (int32_t *)out->data + o, v = ((const int32_t *)upd->data)[u];
    *y = r == RED_ADD   ? (int32_t)((uint32_t)*y + (uint32_t)v)
         : r == RED_MUL ? (int32_t)((uint32_t)*y * (uint32_t)v)
                        : v;
    break;
  }
  default: /* bool: reduction none only (inference) */
    ((uint8_t *)out->data)[o] = ((const uint8_t *)upd->data)[u];
  }
}

/* Copies data, then applies the update slices in index order (with
 * reduction none a repeated index keeps the last update; ONNX leaves that
 * case undefined). */
bool dlc_ref_scatter_nd(dlc_op_ctx *c) {
  const dlc_tensor *data = c->in[0], *idx = c->in[1], *upd = c->in[2];
  dlc_tensor *out = &c->out[0];
  scatter_red r = scatter_reduction(c->node);
  memcpy(out->data, data->data, dlc_tensor_nbytes(data));
  int k = (int)idx->dims[idx->rank - 1];
  int64_t tuples = dlc_tensor_numel(idx) / k, slice = 1;
  for (int j = k; j < data->rank; j++)
    slice *= data->dims[j];
  for (int64_t t = 0; t < tuples; t++) {
    int64_t off;
    if (!scatter_offset(c, data, idx->data, t, k, &off))
      return false;
    for (int64_t e = 0; e < slice; e++)
      scatter_elem(out, off + e, upd, t * slice + e, r);
  }
  return true;
}
