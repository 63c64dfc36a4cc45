/* ops_shape.c — data-movement, shape and index operators: Flatten,
 * Reshape, Transpose, Concat, Split, Slice, DepthToSpace, Constant, Shape,
 * Gather, Unsqueeze, Squeeze, Dropout, Expand, ConstantOfShape, Range and
 * ScatterND, and the identity kernel that every pure reinterpretation (the
 * views: Reshape, Flatten, Unsqueeze, Squeeze, Dropout, Identity) shares
 * because the row-major data layout does not change.
 *
 * Each operator has its ONNX opset-13 attribute schema (ScatterND's
 * reduction attribute is opset 16's), a shape-inference function and a
 * reference kernel. Shape inference runs on untrusted models, so every bad
 * shape, constant or attribute is a reported error (naming the shapes
 * involved), never an assert, and every dim product is checked for int64
 * overflow. Kernels move elements by their byte size, so they serve every
 * dtype: PyTorch exports run int64 shape arithmetic through Gather, Concat,
 * Slice, Unsqueeze and Reshape, and build attention masks with Expand,
 * ConstantOfShape and Range; torchvision's Swin exports assign mask slices
 * with ScatterND (constant there, so fold_constants runs these kernels).
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "ops_impl.h"

/* ----------------------------------------------------------- helpers */

/* *r = a * b for non-negative a, b; false on overflow or a negative input. */
static bool mul_nonneg(int64_t a, int64_t b, int64_t *r) {
  if (a < 0 || b < 0 || (b != 0 && a > INT64_MAX / b))
    return false;
  *r = a * b;
  return true;
}

/* *r = a + b for non-negative a, b; false on overflow or a negative input. */
static bool add_nonneg(int64_t a, int64_t b, int64_t *r) {
  if (a < 0 || b < 0 || a > INT64_MAX - b)
    return false;
  *r = a + b;
  return true;
}

/* Product of dims[lo..hi); -1 on overflow or a negative dim. */
static int64_t dims_prod(const int64_t *dims, int lo, int hi) {
  int64_t p = 1;
  for (int i = lo; i < hi; i++)
    if (!mul_nonneg(p, dims[i], &p))
      return -1;
  return p;
}

/* Formats an integer list the way dlc_shape_str formats a shape, "[5, -1]",
 * cutting it short with "..." when it does not fit. */
static char *ints_str(const int64_t *v, int64_t n, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "[");
  for (int64_t i = 0; i < n && len + 24 < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%s%" PRId64,
                            i ? ", " : "", v[i]);
  if (len + 24 >= size)
    snprintf(buf + len, size - len, ", ...");
  else
    snprintf(buf + len, size - len, "]");
  return buf;
}

/* memcpy that tolerates the NULL data pointers of empty tensors. */
static void copy_bytes(void *dst, const void *src, size_t n) {
  if (n)
    memcpy(dst, src, n);
}

/* Checks that input idx is a constant 1-D integer tensor (int64, or also
 * int32 when allow_i32) and returns its length in *count. Elements are read
 * with dlc_tensor_get_int. */
static bool const_ints(dlc_op_ctx *c, int idx, const char *what,
                       bool allow_i32, int64_t *count) {
  const dlc_tensor *t = c->in[idx];
  char s[SHAPE_BUF];
  if (!t->data)
    return dlc_op_error(c, "input %d (%s) must be a constant initializer", idx,
                        what);
  if (t->dtype != DLC_DT_INT64 && !(allow_i32 && t->dtype == DLC_DT_INT32))
    return dlc_op_error(c, "input %d (%s) must be %s, not %s", idx, what,
                        allow_i32 ? "int64 or int32" : "int64",
                        dlc_dtype_name(t->dtype));
  if (t->rank != 1)
    return dlc_op_error(c, "input %d (%s) must be 1-D, not of shape %s", idx,
                        what, dlc_shape_str(t, s, sizeof s));
  *count = t->dims[0];
  return true;
}

/* Reports inputs the table requires (below min_inputs) but the model
 * omitted with "": every function below may then read them. */
static bool required_inputs(dlc_op_ctx *c) {
  int need = dlc_op_get_info(c->node->op)->min_inputs;
  for (int i = 0; i < need && i < c->n_inputs; i++)
    if (!c->in[i])
      return dlc_op_error(c, "input %d is required but omitted", i);
  if (c->n_inputs < need)
    return dlc_op_error(c, "has %d inputs, needs at least %d", c->n_inputs,
                        need);
  return true;
}

/* Input idx when the node has it and it is not omitted, else NULL. */
static const dlc_tensor *optional_in(const dlc_op_ctx *c, int idx) {
  return idx < c->n_inputs ? c->in[idx] : NULL;
}

/* Normalises an axis attribute against rank, reporting an error naming the
 * input shape when it is out of range. */
static bool axis_of(dlc_op_ctx *c, int64_t axis, const dlc_tensor *t,
                    int *out) {
  char s[SHAPE_BUF];
  if (!dlc_norm_axis(axis, t->rank, out))
    return dlc_op_error(c, "axis %" PRId64 " is out of range for input %s "
                        "(rank %d)", axis, dlc_shape_str(t, s, sizeof s),
                        t->rank);
  return true;
}

/* Copies elements of `in` to `out` (both row-major, same dtype): output
 * axis k walks input axis map[k], starting at index start[k] and moving
 * step[k] indices per output index; out's dims give the trip counts.
 * Transpose is map = perm, start 0, step 1; Slice is map = identity. Input
 * indices are computed per element so no product can overflow. */
static void strided_copy(const dlc_tensor *in, dlc_tensor *out, const int *map,
                         const int64_t *start, const int64_t *step) {
  size_t es = dlc_dtype_size(in->dtype);
  int64_t stride[DLC_MAX_RANK], s = 1, n = dlc_tensor_numel(out);
  /* An empty input's dims may multiply past int64; nothing to copy then. */
  if (n <= 0)
    return;
  for (int a = in->rank - 1; a >= 0; a--) {
    stride[a] = s;
    s *= in->dims[a];
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t rem = i, off = 0;
    for (int k = out->rank - 1; k >= 0; k--) {
      int64_t idx = rem % out->dims[k];
      rem /= out->dims[k];
      off += (start[k] + idx * step[k]) * stride[map[k]];
    }
    memcpy((char *)out->data + (size_t)i * es,
           (const char *)in->data + (size_t)off * es, es);
  }
}

/* --------------------------------------------------------- identity */

/* Reshape, Flatten, Unsqueeze, Squeeze, Dropout and Identity keep the
 * row-major element order: the output is the input's bytes. */
bool dlc_ref_identity(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  dlc_tensor *y = &c->out[0];
  char a[SHAPE_BUF], b[SHAPE_BUF];
  if (x->dtype != y->dtype ||
      dlc_tensor_nbytes(x) != dlc_tensor_nbytes(y))
    return dlc_op_error(c, "output %s %s does not hold the input %s %s",
                        dlc_dtype_name(y->dtype), dlc_shape_str(y, a, sizeof a),
                        dlc_dtype_name(x->dtype),
                        dlc_shape_str(x, b, sizeof b));
  copy_bytes(y->data, x->data, dlc_tensor_nbytes(x));
  return true;
}

/* ---------------------------------------------------------- Flatten */

const dlc_attr_schema dlc_attrs_flatten[] = {
    {"axis", DLC_ATTR_INT, false, 1, 0, NULL},
    {.name = NULL},
};

/* X (d0..dr-1) -> (d0*..*d(axis-1), d(axis)*..*d(r-1)); axis in [-r, r]. */
bool dlc_infer_flatten(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  int64_t axis = dlc_node_get_int(c->node, "axis");
  char s[SHAPE_BUF];
  if (axis < -x->rank || axis > x->rank)
    return dlc_op_error(c, "axis %" PRId64 " is out of range for input %s: "
                        "it must lie in [%d, %d]", axis,
                        dlc_shape_str(x, s, sizeof s), -x->rank, x->rank);
  if (axis < 0)
    axis += x->rank;
  int64_t d[2] = {dims_prod(x->dims, 0, (int)axis),
                  dims_prod(x->dims, (int)axis, x->rank)};
  if (d[0] < 0 || d[1] < 0)
    return dlc_op_error(c, "flattening %s overflows int64",
                        dlc_shape_str(x, s, sizeof s));
  dlc_tensor_set_shape(&c->out[0], x->dtype, 2, d);
  return true;
}

/* ---------------------------------------------------------- Reshape */

const dlc_attr_schema dlc_attrs_reshape[] = {
    {"allowzero", DLC_ATTR_INT, false, 0, 0, NULL},
    {.name = NULL},
};

static bool reshape_mismatch(dlc_op_ctx *c, const int64_t *want, int n) {
  char a[SHAPE_BUF], b[SHAPE_BUF];
  const dlc_tensor *x = c->in[0];
  return dlc_op_error(c, "cannot reshape %s (%" PRId64 " elements) to %s",
                      dlc_shape_str(x, a, sizeof a), dlc_tensor_numel(x),
                      ints_str(want, n, b, sizeof b));
}

/* Resolves each requested dim into dims[]: 0 copies the input dim (unless
 * allowzero), -1 (at most one, its index in *infer_at) is left for later.
 * *known gets the product of the resolved dims. */
static bool reshape_resolve(dlc_op_ctx *c, const int64_t *want, int n,
                            int64_t *dims, int *infer_at, int64_t *known) {
  const dlc_tensor *x = c->in[0];
  bool allowzero = dlc_node_get_int(c->node, "allowzero") != 0;
  char s[SHAPE_BUF], s2[SHAPE_BUF];
  *infer_at = -1;
  *known = 1;
  for (int i = 0; i < n; i++) {
    int64_t v = want[i];
    if (v == -1 && *infer_at >= 0)
      return dlc_op_error(c, "target shape %s has more than one -1",
                          ints_str(want, n, s, sizeof s));
    if (v == -1) {
      *infer_at = i;
      continue;
    }
    if (v < -1)
      return dlc_op_error(c, "target shape %s has a negative dim %" PRId64,
                          ints_str(want, n, s, sizeof s), v);
    if (v == 0 && !allowzero && i >= x->rank)
      return dlc_op_error(c, "target shape %s copies dim %d (0) but the "
                          "input %s has rank %d", ints_str(want, n, s,
                          sizeof s), i, dlc_shape_str(x, s2, sizeof s2),
                          x->rank);
    dims[i] = v == 0 && !allowzero ? x->dims[i] : v;
    if (!mul_nonneg(*known, dims[i], known))
      return reshape_mismatch(c, want, n);
  }
  return true;
}

bool dlc_infer_reshape(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  int64_t n, want[DLC_MAX_RANK], dims[DLC_MAX_RANK], known;
  int infer_at;
  if (!const_ints(c, 1, "shape", false, &n))
    return false;
  if (n > DLC_MAX_RANK)
    return dlc_op_error(c, "target shape has %" PRId64 " dims, more than the "
                        "%d supported", n, DLC_MAX_RANK);
  for (int i = 0; i < n; i++)
    want[i] = dlc_tensor_get_int(c->in[1], i);
  if (!reshape_resolve(c, want, (int)n, dims, &infer_at, &known))
    return false;
  int64_t numel = dlc_tensor_numel(x);
  if (infer_at >= 0) {
    /* known == 0 leaves -1 undetermined (and allowzero with 0 and -1 is
     * invalid in ONNX): both are mismatches. */
    if (known == 0 || numel < 0 || numel % known != 0)
      return reshape_mismatch(c, want, (int)n);
    dims[infer_at] = numel / known;
  } else if (known != numel) {
    return reshape_mismatch(c, want, (int)n);
  }
  dlc_tensor_set_shape(&c->out[0], x->dtype, (int)n, dims);
  return true;
}

/* -------------------------------------------------------- Transpose */

const dlc_attr_schema dlc_attrs_transpose[] = {
    {"perm", DLC_ATTR_INTS, false, 0, 0, NULL},
    {.name = NULL},
};

/* Reads perm into p (absent: reverse the axes); false with an error when it
 * is not a permutation of the input's axes. */
static bool transpose_perm(dlc_op_ctx *c, int *p) {
  const dlc_tensor *x = c->in[0];
  const int64_t *v;
  int n = dlc_node_get_ints(c->node, "perm", &v);
  bool seen[DLC_MAX_RANK] = {false};
  bool ok = n == x->rank;
  char a[SHAPE_BUF], b[SHAPE_BUF];
  if (n == 0) {
    for (int i = 0; i < x->rank; i++)
      p[i] = x->rank - 1 - i;
    return true;
  }
  for (int i = 0; ok && i < n; i++) {
    ok = v[i] >= 0 && v[i] < x->rank && !seen[v[i]];
    if (ok) {
      seen[v[i]] = true;
      p[i] = (int)v[i];
    }
  }
  if (!ok)
    return dlc_op_error(c, "perm %s is not a permutation of the %d axes of "
                        "input %s", ints_str(v, n, a, sizeof a), x->rank,
                        dlc_shape_str(x, b, sizeof b));
  return true;
}

/* Y dims[k] = X dims[perm[k]]. */
bool dlc_infer_transpose(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  int p[DLC_MAX_RANK];
  int64_t dims[DLC_MAX_RANK];
  if (!transpose_perm(c, p))
    return false;
  for (int k = 0; k < x->rank; k++)
    dims[k] = x->dims[p[k]];
  dlc_tensor_set_shape(&c->out[0], x->dtype, x->rank, dims);
  return true;
}

bool dlc_ref_transpose(dlc_op_ctx *c) {
  int p[DLC_MAX_RANK];
  int64_t start[DLC_MAX_RANK] = {0}, step[DLC_MAX_RANK];
  if (!transpose_perm(c, p))
    return false;
  for (int k = 0; k < DLC_MAX_RANK; k++)
    step[k] = 1;
  strided_copy(c->in[0], &c->out[0], p, start, step);
  return true;
}

/* ----------------------------------------------------------- Concat */

const dlc_attr_schema dlc_attrs_concat[] = {
    {"axis", DLC_ATTR_INT, true, 0, 0, NULL},
    {.name = NULL},
};

/* True when a and b have the same rank and equal dims except on axis. */
static bool same_but_axis(const dlc_tensor *a, const dlc_tensor *b, int axis) {
  if (a->rank != b->rank)
    return false;
  for (int k = 0; k < a->rank; k++)
    if (k != axis && a->dims[k] != b->dims[k])
      return false;
  return true;
}

/* Checks every input against input 0; *sum gets the output's axis dim. */
static bool concat_check(dlc_op_ctx *c, int axis, int64_t *sum) {
  const dlc_tensor *x0 = c->in[0];
  char a[SHAPE_BUF], b[SHAPE_BUF];
  *sum = 0;
  for (int i = 0; i < c->n_inputs; i++) {
    const dlc_tensor *t = c->in[i];
    if (!t)
      return dlc_op_error(c, "input %d is omitted; Concat takes no optional "
                          "inputs", i);
    if (t->dtype != x0->dtype)
      return dlc_op_error(c, "input %d is %s but input 0 is %s", i,
                          dlc_dtype_name(t->dtype), dlc_dtype_name(x0->dtype));
    if (!same_but_axis(t, x0, axis))
      return dlc_op_error(c, "input %d has shape %s but input 0 has %s: ranks "
                          "and all dims but axis %d must match", i,
                          dlc_shape_str(t, a, sizeof a),
                          dlc_shape_str(x0, b, sizeof b), axis);
    if (!add_nonneg(*sum, t->dims[axis], sum))
      return dlc_op_error(c, "the concatenated axis %d overflows int64", axis);
  }
  return true;
}

bool dlc_infer_concat(dlc_op_ctx *c) {
  const dlc_tensor *x0 = c->in[0];
  int axis;
  int64_t sum, dims[DLC_MAX_RANK];
  if (!dlc_node_find_attr(c->node, "axis"))
    return dlc_op_error(c, "attribute 'axis' is required");
  if (!x0)
    return dlc_op_error(c, "input 0 is omitted; Concat takes no optional "
                        "inputs");
  if (x0->rank == 0)
    return dlc_op_error(c, "cannot concatenate scalars (input 0 has rank 0)");
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), x0, &axis) ||
      !concat_check(c, axis, &sum))
    return false;
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = sum;
  dlc_tensor_set_shape(&c->out[0], x0->dtype, x0->rank, dims);
  return true;
}

/* Y viewed as (outer, sum of axis*inner): each outer row is the inputs' rows
 * side by side. */
bool dlc_ref_concat(dlc_op_ctx *c) {
  dlc_tensor *y = &c->out[0];
  int axis;
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), y, &axis))
    return false;
  /* An empty output may still have a huge outer count: nothing to move. */
  if (dlc_tensor_numel(y) == 0)
    return true;
  size_t es = dlc_dtype_size(y->dtype);
  int64_t outer = dims_prod(y->dims, 0, axis);
  char *dst = y->data;
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < c->n_inputs; i++) {
      const dlc_tensor *t = c->in[i];
      size_t chunk = (size_t)dims_prod(t->dims, axis, t->rank) * es;
      copy_bytes(dst, (const char *)t->data + (size_t)o * chunk, chunk);
      dst += chunk;
    }
  return true;
}

/* ------------------------------------------------------------ Split */

const dlc_attr_schema dlc_attrs_split[] = {
    {"axis", DLC_ATTR_INT, false, 0, 0, NULL},
    {.name = NULL},
};

/* Output sizes from the 'split' input: one per output, summing to d. */
static bool split_given(dlc_op_ctx *c, int axis, int64_t n) {
  const dlc_tensor *x = c->in[0], *sp = c->in[1];
  int64_t sum = 0, d = x->dims[axis];
  bool ok = true;
  char s[SHAPE_BUF];
  if (n != c->n_outputs)
    return dlc_op_error(c, "input 1 (split) has %" PRId64 " values but the "
                        "node has %d outputs", n, c->n_outputs);
  for (int i = 0; i < c->n_outputs; i++) {
    int64_t v = dlc_tensor_get_int(sp, i);
    if (v < 0)
      return dlc_op_error(c, "input 1 (split) has a negative size %" PRId64,
                          v);
    if (!add_nonneg(sum, v, &sum) || sum > d) {
      ok = false;
      break;
    }
    c->out[i].dims[axis] = v;
  }
  if (!ok || sum != d)
    return dlc_op_error(c, "split sizes do not sum to dim %d (size %" PRId64
                        ") of input %s", axis, d,
                        dlc_shape_str(x, s, sizeof s));
  return true;
}

/* No 'split' input: equal parts, one per output. */
/* Equal parts; when the size does not divide, opset 18's rule: parts of
 * ceil(d / n), the last one smaller (it must keep at least one element). */
static bool split_equal(dlc_op_ctx *c, int axis) {
  const dlc_tensor *x = c->in[0];
  int64_t d = x->dims[axis], n = c->n_outputs;
  int64_t part = (d + n - 1) / n, last = d - part * (n - 1);
  char s[SHAPE_BUF];
  if (last < 1 && d % n != 0)
    return dlc_op_error(c, "cannot split dim %d (size %" PRId64 ") of input "
                        "%s into %d parts", axis, d,
                        dlc_shape_str(x, s, sizeof s), c->n_outputs);
  for (int i = 0; i < c->n_outputs; i++)
    c->out[i].dims[axis] = i < n - 1 ? part : last;
  return true;
}

bool dlc_infer_split(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0], *sp = optional_in(c, 1);
  int axis;
  int64_t n = 0;
  if (x->rank == 0)
    return dlc_op_error(c, "cannot split a scalar");
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), x, &axis))
    return false;
  if (sp && !const_ints(c, 1, "split", false, &n))
    return false;
  for (int i = 0; i < c->n_outputs; i++)
    dlc_tensor_set_shape(&c->out[i], x->dtype, x->rank, x->dims);
  /* An empty 'split' tensor means the same as an absent one. */
  return n > 0 ? split_given(c, axis, n) : split_equal(c, axis);
}

/* X viewed as (outer, d*inner): each outer row is cut into the outputs'
 * rows in order. */
bool dlc_ref_split(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  int axis;
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), x, &axis))
    return false;
  /* An empty input may still have a huge outer count: nothing to move. */
  if (dlc_tensor_numel(x) == 0)
    return true;
  size_t es = dlc_dtype_size(x->dtype);
  size_t inner = (size_t)dims_prod(x->dims, axis + 1, x->rank) * es;
  int64_t outer = dims_prod(x->dims, 0, axis);
  const char *src = x->data;
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < c->n_outputs; i++) {
      size_t chunk = (size_t)c->out[i].dims[axis] * inner;
      copy_bytes((char *)c->out[i].data + (size_t)o * chunk, src, chunk);
      src += chunk;
    }
  return true;
}

/* ------------------------------------------------------------ Slice */

/* Output axis a reads input indices start[a] + j*step[a], j < len[a]. */
typedef struct slice_plan {
  int64_t start[DLC_MAX_RANK], step[DLC_MAX_RANK], len[DLC_MAX_RANK];
} slice_plan;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* ONNX's rule for one axis of size d: negative starts/ends count from the
 * end, then clamp to [0, d] (step > 0) or start to [0, d-1] and end to
 * [-1, d-1] (step < 0), so INT64_MAX / INT64_MIN mean "to the end". */
static void slice_axis(int64_t d, int64_t s, int64_t e, int64_t k,
                       int64_t *start, int64_t *len) {
  if (d == 0) {
    *start = 0;
    *len = 0;
    return;
  }
  if (s < 0)
    s += d;
  if (e < 0)
    e += d;
  s = k > 0 ? clamp64(s, 0, d) : clamp64(s, 0, d - 1);
  e = k > 0 ? clamp64(e, 0, d) : clamp64(e, -1, d - 1);
  int64_t diff = k > 0 ? e - s : s - e;
  /* |k| computed without overflow, even for k == INT64_MIN. */
  uint64_t mag = k > 0 ? (uint64_t)k : (uint64_t)(-(k + 1)) + 1;
  *start = s;
  *len = diff <= 0 ? 0 : 1 + (int64_t)((uint64_t)(diff - 1) / mag);
}

/* Checks the constant inputs (starts, ends, optional axes and steps, all
 * the same length); *n gets that length. */
static bool slice_inputs(dlc_op_ctx *c, int64_t *n) {
  static const char *const names[] = {"", "starts", "ends", "axes", "steps"};
  for (int i = 1; i < 5; i++) {
    int64_t m;
    if (!optional_in(c, i)) /* starts and ends: see required_inputs */
      continue;
    if (!const_ints(c, i, names[i], true, &m))
      return false;
    if (i == 1)
      *n = m;
    else if (m != *n)
      return dlc_op_error(c, "input %d (%s) has %" PRId64 " values but input "
                          "1 (starts) has %" PRId64, i, names[i], m, *n);
  }
  if (*n > c->in[0]->rank)
    return dlc_op_error(c, "%" PRId64 " axes sliced but the input has rank "
                        "%d", *n, c->in[0]->rank);
  return true;
}

/* Builds the plan for every input axis (unsliced axes are taken whole). */
static bool slice_make_plan(dlc_op_ctx *c, slice_plan *p) {
  const dlc_tensor *x = c->in[0], *axes = optional_in(c, 3),
                   *steps = optional_in(c, 4);
  bool seen[DLC_MAX_RANK] = {false};
  char s[SHAPE_BUF];
  int64_t n = 0;
  if (!slice_inputs(c, &n))
    return false;
  for (int a = 0; a < x->rank; a++) {
    p->start[a] = 0;
    p->step[a] = 1;
    p->len[a] = x->dims[a];
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t ax = axes ? dlc_tensor_get_int(axes, i) : i;
    int64_t k = steps ? dlc_tensor_get_int(steps, i) : 1;
    int a;
    if (!dlc_norm_axis(ax, x->rank, &a))
      return dlc_op_error(c, "axis %" PRId64 " is out of range for input %s",
                          ax, dlc_shape_str(x, s, sizeof s));
    if (seen[a])
      return dlc_op_error(c, "axis %d is sliced twice", a);
    if (k == 0)
      return dlc_op_error(c, "step 0 on axis %d is not allowed", a);
    seen[a] = true;
    p->step[a] = k;
    slice_axis(x->dims[a], dlc_tensor_get_int(c->in[1], i),
               dlc_tensor_get_int(c->in[2], i), k, &p->start[a], &p->len[a]);
  }
  return true;
}

bool dlc_infer_slice(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  slice_plan p;
  if (!slice_make_plan(c, &p))
    return false;
  dlc_tensor_set_shape(&c->out[0], c->in[0]->dtype, c->in[0]->rank, p.len);
  return true;
}

bool dlc_ref_slice(dlc_op_ctx *c) {
  slice_plan p;
  int map[DLC_MAX_RANK];
  if (!slice_make_plan(c, &p))
    return false;
  for (int k = 0; k < DLC_MAX_RANK; k++)
    map[k] = k;
  strided_copy(c->in[0], &c->out[0], map, p.start, p.step);
  return true;
}

/* ----------------------------------------------------- DepthToSpace */

const dlc_attr_schema dlc_attrs_depth_to_space[] = {
    {"blocksize", DLC_ATTR_INT, true, 0, 0, NULL},
    {"mode", DLC_ATTR_STRING, false, 0, 0, "DCR"},
    {.name = NULL},
};

/* True for mode CRD, false for DCR; error for anything else. */
static bool d2s_mode(dlc_op_ctx *c, bool *crd) {
  const char *m = dlc_node_get_string(c->node, "mode");
  if (!m || (strcmp(m, "DCR") != 0 && strcmp(m, "CRD") != 0))
    return dlc_op_error(c, "mode '%s' is not DCR or CRD", m ? m : "");
  *crd = strcmp(m, "CRD") == 0;
  return true;
}

/* X (N, C, H, W) -> Y (N, C/b^2, H*b, W*b). */
bool dlc_infer_depth_to_space(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  int64_t b = dlc_node_get_int(c->node, "blocksize"), bb, d[4];
  bool crd;
  char s[SHAPE_BUF];
  if (!dlc_node_find_attr(c->node, "blocksize"))
    return dlc_op_error(c, "attribute 'blocksize' is required");
  if (!d2s_mode(c, &crd))
    return false;
  if (x->rank != 4)
    return dlc_op_error(c, "input %s must have rank 4 (N, C, H, W)",
                        dlc_shape_str(x, s, sizeof s));
  if (b <= 0 || !mul_nonneg(b, b, &bb) || x->dims[1] % bb != 0)
    return dlc_op_error(c, "channels of input %s are not divisible by "
                        "blocksize^2 (blocksize %" PRId64 ")",
                        dlc_shape_str(x, s, sizeof s), b);
  d[0] = x->dims[0];
  d[1] = x->dims[1] / bb;
  if (!mul_nonneg(x->dims[2], b, &d[2]) || !mul_nonneg(x->dims[3], b, &d[3]))
    return dlc_op_error(c, "output of input %s with blocksize %" PRId64
                        " overflows int64", dlc_shape_str(x, s, sizeof s), b);
  dlc_tensor_set_shape(&c->out[0], x->dtype, 4, d);
  return true;
}

/* Both modes are a rank-6 transpose (ONNX defines them so):
 *   DCR: X as (N, b, b, C', H, W), perm (0, 3, 4, 1, 5, 2)
 *   CRD: X as (N, C', b, b, H, W), perm (0, 1, 4, 2, 5, 3)
 * giving Y as (N, C', H, b, W, b), which is Y (N, C', H*b, W*b) in memory. */
bool dlc_ref_depth_to_space(dlc_op_ctx *c) {
  static const int dcr[6] = {0, 3, 4, 1, 5, 2},
                   crd_perm[6] = {0, 1, 4, 2, 5, 3};
  const dlc_tensor *x = c->in[0];
  int64_t b = dlc_node_get_int(c->node, "blocksize");
  int64_t n = x->dims[0], cc = x->dims[1] / (b * b), h = x->dims[2],
          w = x->dims[3];
  int64_t start[6] = {0}, step[6] = {1, 1, 1, 1, 1, 1};
  bool crd;
  if (!d2s_mode(c, &crd))
    return false;
  int64_t in_dcr[6] = {n, b, b, cc, h, w}, in_crd[6] = {n, cc, b, b, h, w};
  int64_t out_dims[6] = {n, cc, h, b, w, b};
  dlc_tensor xv = *x, yv = c->out[0];
  dlc_tensor_set_shape(&xv, x->dtype, 6, crd ? in_crd : in_dcr);
  dlc_tensor_set_shape(&yv, x->dtype, 6, out_dims);
  xv.data = x->data;
  yv.data = c->out[0].data;
  strided_copy(&xv, &yv, crd ? crd_perm : dcr, start, step);
  return true;
}

/* --------------------------------------------------------- Constant */

const dlc_attr_schema dlc_attrs_constant[] = {
    {"value", DLC_ATTR_TENSOR, false, 0, 0, NULL},
    {"value_float", DLC_ATTR_FLOAT, false, 0, 0, NULL},
    {"value_floats", DLC_ATTR_FLOATS, false, 0, 0, NULL},
    {"value_int", DLC_ATTR_INT, false, 0, 0, NULL},
    {"value_ints", DLC_ATTR_INTS, false, 0, 0, NULL},
    {"value_string", DLC_ATTR_STRING, false, 0, 0, NULL},
    {"value_strings", DLC_ATTR_STRINGS, false, 0, 0, NULL},
    {.name = NULL},
};

/* The one value attribute that is set; NULL with an error otherwise. */
static const dlc_attr *constant_attr(dlc_op_ctx *c) {
  static const char *const names[] = {"value", "value_float", "value_floats",
                                      "value_int", "value_ints"};
  const dlc_attr *found = NULL;
  int count = 0;
  if (dlc_node_find_attr(c->node, "value_string") ||
      dlc_node_find_attr(c->node, "value_strings")) {
    dlc_op_error(c, "string constants (value_string, value_strings) are not "
                 "supported: dlc tensors are numeric");
    return NULL;
  }
  for (int i = 0; i < 5; i++) {
    const dlc_attr *a = dlc_node_find_attr(c->node, names[i]);
    if (a) {
      found = a;
      count++;
    }
  }
  if (count != 1) {
    dlc_op_error(c, "exactly one of value, value_float, value_floats, "
                 "value_int, value_ints must be set, not %d", count);
    return NULL;
  }
  return found;
}

bool dlc_infer_constant(dlc_op_ctx *c) {
  const dlc_attr *a = constant_attr(c);
  int64_t n;
  if (!a)
    return false;
  switch (a->kind) {
  case DLC_ATTR_TENSOR:
    if (dlc_tensor_numel(&a->tensor) < 0 || !dlc_dtype_size(a->tensor.dtype))
      return dlc_op_error(c, "attribute 'value' has no valid type");
    if (!a->tensor.data && dlc_tensor_numel(&a->tensor) > 0)
      return dlc_op_error(c, "attribute 'value' has no data");
    dlc_tensor_set_shape(&c->out[0], a->tensor.dtype, a->tensor.rank,
                         a->tensor.dims);
    return true;
  case DLC_ATTR_FLOAT:
  case DLC_ATTR_INT:
    n = 0; /* unused: a scalar has no dims */
    dlc_tensor_set_shape(&c->out[0], a->kind == DLC_ATTR_INT ? DLC_DT_INT64
                         : DLC_DT_FLOAT32, 0, &n);
    return true;
  case DLC_ATTR_FLOATS:
  case DLC_ATTR_INTS:
    n = a->n;
    dlc_tensor_set_shape(&c->out[0], a->kind == DLC_ATTR_INTS ? DLC_DT_INT64
                         : DLC_DT_FLOAT32, 1, &n);
    return true;
  default:
    return dlc_op_error(c, "attribute '%s' has kind %s", a->name,
                        dlc_attr_kind_name(a->kind));
  }
}

bool dlc_ref_constant(dlc_op_ctx *c) {
  const dlc_attr *a = constant_attr(c);
  dlc_tensor *y = &c->out[0];
  if (!a)
    return false;
  float *f = y->data;
  int64_t *i64 = y->data;
  switch (a->kind) {
  case DLC_ATTR_TENSOR:
    copy_bytes(y->data, a->tensor.data, dlc_tensor_nbytes(&a->tensor));
    return true;
  case DLC_ATTR_FLOAT:
    f[0] = (float)a->f;
    return true;
  case DLC_ATTR_INT:
    i64[0] = a->i;
    return true;
  case DLC_ATTR_FLOATS:
    for (int k = 0; k < a->n; k++)
      f[k] = (float)a->floats[k];
    return true;
  case DLC_ATTR_INTS:
    copy_bytes(i64, a->ints, (size_t)a->n * sizeof *i64);
    return true;
  default:
    return dlc_op_error(c, "attribute '%s' has kind %s", a->name,
                        dlc_attr_kind_name(a->kind));
  }
}

/* ------------------------------------------------------------ Shape */

/* Opset 15's start/end; end's default INT64_MAX clamps to "all dims". */
const dlc_attr_schema dlc_attrs_shape[] = {
    {"start", DLC_ATTR_INT, false, 0, 0, NULL},
    {"end", DLC_ATTR_INT, false, INT64_MAX, 0, NULL},
    {.name = NULL},
};

/* The dims [*lo, *hi) that Shape reports: negative values count from the
 * end, then both clamp to [0, rank]. */
static void shape_range(const dlc_op_ctx *c, int *lo, int *hi) {
  int r = c->in[0]->rank;
  int64_t s = dlc_node_get_int(c->node, "start");
  int64_t e = dlc_node_get_int(c->node, "end");
  if (s < 0)
    s += r;
  if (e < 0)
    e += r;
  *lo = (int)clamp64(s, 0, r);
  *hi = (int)clamp64(e, *lo, r);
}

bool dlc_infer_shape(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  int lo, hi;
  shape_range(c, &lo, &hi);
  int64_t n = hi - lo;
  dlc_tensor_set_shape(&c->out[0], DLC_DT_INT64, 1, &n);
  return true;
}

bool dlc_ref_shape(dlc_op_ctx *c) {
  int lo, hi;
  int64_t *y = c->out[0].data;
  shape_range(c, &lo, &hi);
  for (int k = lo; k < hi; k++)
    y[k - lo] = c->in[0]->dims[k];
  return true;
}

/* ----------------------------------------------------------- Gather */

const dlc_attr_schema dlc_attrs_gather[] = {
    {"axis", DLC_ATTR_INT, false, 0, 0, NULL},
    {.name = NULL},
};

/* Index j of the indices tensor, wrapped into [0, d); an error naming the
 * index and the data shape when it lies outside [-d, d). */
static bool gather_index(dlc_op_ctx *c, int axis, int64_t j, int64_t *k) {
  const dlc_tensor *x = c->in[0];
  int64_t d = x->dims[axis], v = dlc_tensor_get_int(c->in[1], j);
  char s[SHAPE_BUF];
  if (v < -d || v >= d)
    return dlc_op_error(c, "index %" PRId64 " (at position %" PRId64 ") is "
                        "out of range for axis %d of data %s (size %" PRId64
                        ")", v, j, axis, dlc_shape_str(x, s, sizeof s), d);
  *k = v < 0 ? v + d : v;
  return true;
}

/* Y = X[:axis] + indices.shape + X[axis+1:]. */
bool dlc_infer_gather(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0], *ix = c->in[1];
  int axis, r;
  int64_t dims[DLC_MAX_RANK], k;
  char s[SHAPE_BUF];
  if (ix->dtype != DLC_DT_INT64 && ix->dtype != DLC_DT_INT32)
    return dlc_op_error(c, "indices must be int64 or int32, not %s",
                        dlc_dtype_name(ix->dtype));
  if (x->rank == 0)
    return dlc_op_error(c, "cannot gather from a scalar");
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), x, &axis))
    return false;
  r = x->rank - 1 + ix->rank;
  if (r > DLC_MAX_RANK)
    return dlc_op_error(c, "output rank %d (data %s, indices of rank %d) "
                        "exceeds %d", r, dlc_shape_str(x, s, sizeof s),
                        ix->rank, DLC_MAX_RANK);
  int64_t n_idx = ix->data ? dlc_tensor_numel(ix) : 0;
  for (int64_t j = 0; j < n_idx; j++)
    if (!gather_index(c, axis, j, &k))
      return false;
  memcpy(dims, x->dims, (size_t)axis * sizeof *dims);
  memcpy(dims + axis, ix->dims, (size_t)ix->rank * sizeof *dims);
  memcpy(dims + axis + ix->rank, x->dims + axis + 1,
         (size_t)(x->rank - axis - 1) * sizeof *dims);
  dlc_tensor_set_shape(&c->out[0], x->dtype, r, dims);
  return true;
}

/* X viewed as (outer, d, inner), Y as (outer, n_idx, inner):
 * Y[o, j, :] = X[o, idx[j], :]. */
bool dlc_ref_gather(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  int axis;
  if (!axis_of(c, dlc_node_get_int(c->node, "axis"), x, &axis))
    return false;
  /* An empty output may still have a huge outer count: nothing to move. */
  if (dlc_tensor_numel(&c->out[0]) == 0)
    return true;
  size_t inner = (size_t)dims_prod(x->dims, axis + 1, x->rank) *
                 dlc_dtype_size(x->dtype);
  int64_t outer = dims_prod(x->dims, 0, axis), d = x->dims[axis];
  int64_t n_idx = dlc_tensor_numel(c->in[1]), k;
  char *dst = c->out[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < n_idx; j++) {
      if (!gather_index(c, axis, j, &k))
        return false;
      copy_bytes(dst, (const char *)x->data + (size_t)(o * d + k) * inner,
                 inner);
      dst += inner;
    }
  return true;
}

/* -------------------------------------------------- Unsqueeze, Squeeze */

/* Reads the constant axes input (input 1) into a mask over `rank` axes
 * (negative axes count from rank); duplicates and out-of-range are errors. */
static bool axes_mask(dlc_op_ctx *c, int rank, bool *mask) {
  const dlc_tensor *t = c->in[1];
  int64_t n;
  char s[SHAPE_BUF];
  if (!const_ints(c, 1, "axes", false, &n))
    return false;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = dlc_tensor_get_int(t, i);
    int a;
    if (!dlc_norm_axis(v, rank, &a))
      return dlc_op_error(c, "axis %" PRId64 " is out of range for rank %d",
                          v, rank);
    if (mask[a])
      return dlc_op_error(c, "axes %s name axis %d twice",
                          ints_str(t->data, n, s, sizeof s), a);
    mask[a] = true;
  }
  return true;
}

/* Inserts a size-1 dim at each axis; axes are positions in the output. */
bool dlc_infer_unsqueeze(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  int64_t n, dims[DLC_MAX_RANK];
  bool is_new[DLC_MAX_RANK] = {false};
  char s[SHAPE_BUF];
  if (!const_ints(c, 1, "axes", false, &n))
    return false;
  if (n > DLC_MAX_RANK - x->rank)
    return dlc_op_error(c, "unsqueezing input %s by %" PRId64 " axes exceeds "
                        "rank %d", dlc_shape_str(x, s, sizeof s), n,
                        DLC_MAX_RANK);
  int r = x->rank + (int)n;
  if (!axes_mask(c, r, is_new))
    return false;
  for (int k = 0, j = 0; k < r; k++)
    dims[k] = is_new[k] ? 1 : x->dims[j++];
  dlc_tensor_set_shape(&c->out[0], x->dtype, r, dims);
  return true;
}

/* Removes the named size-1 dims, or every size-1 dim when axes is absent. */
bool dlc_infer_squeeze(dlc_op_ctx *c) {
  if (!required_inputs(c))
    return false;
  const dlc_tensor *x = c->in[0];
  bool drop[DLC_MAX_RANK] = {false};
  int64_t dims[DLC_MAX_RANK];
  int r = 0;
  char s[SHAPE_BUF];
  if (optional_in(c, 1)) {
    if (!axes_mask(c, x->rank, drop))
      return false;
    for (int a = 0; a < x->rank; a++)
      if (drop[a] && x->dims[a] != 1)
        return dlc_op_error(c, "cannot squeeze axis %d of input %s: its size "
                            "is %" PRId64 ", not 1", a,
                            dlc_shape_str(x, s, sizeof s), x->dims[a]);
  } else {
    for (int a = 0; a < x->rank; a++)
      drop[a] = x->dims[a] == 1;
  }
  for (int a = 0; a < x->rank; a++)
    if (!drop[a])
      dims[r++] = x->dims[a];
  dlc_tensor_set_shape(&c->out[0], x->dtype, r, dims);
  return true;
}

/* seed has no default in ONNX; it only matters in training. */
const dlc_attr_schema dlc_attrs_dropout[] = {
    {.name = "seed", .kind = DLC_ATTR_INT}, {.name = NULL}};

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
  const dlc_tensor *x = dlc_op_input(c, 0);
  if (!x)
    return dlc_op_error(c, "input 0 (data) is required");
  bool identity = ratio_is_zero(dlc_op_input(c, 1));
  bool ok = true;
  if (constant_true(dlc_op_input(c, 2)) && !identity)
    ok = dlc_op_error(c, "training_mode is true with a ratio other than 0: "
                         "Dropout is only supported at inference");
  bool mask = c->n_outputs >= 2 && c->node->outputs[1];
  if (mask && !identity && constant_true(dlc_op_input(c, 2)))
    ok = dlc_op_error(c, "Dropout mask output is not supported at inference");
  if (!ok || !dlc_op_set_output_like(c, x))
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

/* ------------------------------------------------------------ Expand */

/* Expand(input, shape): numpy broadcast of the input's shape with the
 * constant `shape` (either side may hold the 1s). */
bool dlc_infer_expand(dlc_op_ctx *c) {
  if (!dlc_op_need_inputs(c, 2))
    return false;
  const dlc_tensor *x = dlc_op_input(c, 0);
  int64_t n;
  if (!dlc_op_is_numeric(x->dtype))
    return dlc_op_error(c, "input 0 has dtype %s, which Expand cannot copy",
                        dlc_dtype_name(x->dtype));
  if (!dlc_op_const_int_list(c, 1, "shape", DLC_MAX_RANK, 0, &n))
    return false;
  dlc_tensor want = {.dtype = x->dtype, .rank = (int)n};
  for (int k = 0; k < n; k++)
    want.dims[k] = dlc_tensor_get_int(dlc_op_input(c, 1), k);
  dlc_tensor o;
  char a[SHAPE_BUF], b[SHAPE_BUF];
  if (!dlc_broadcast_shape(x, &want, &o))
    return dlc_op_error(c, "input %s cannot be expanded to shape %s",
                        dlc_shape_str(x, a, sizeof a),
                        dlc_shape_str(&want, b, sizeof b));
  return dlc_op_set_output(c, 0, x->dtype, o.rank, o.dims);
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
      !a->tensor.data || !dlc_op_is_numeric(a->tensor.dtype))
    return dlc_op_error(c, "attribute 'value' must be a one-element numeric "
                        "tensor");
  *v = &a->tensor;
  return true;
}

bool dlc_infer_constant_of_shape(dlc_op_ctx *c) {
  const dlc_tensor *v;
  int64_t n;
  if (!dlc_op_need_inputs(c, 1) || !fill_value(c, &v) ||
      !dlc_op_const_int_list(c, 0, "shape", DLC_MAX_RANK, 0, &n))
    return false;
  int64_t dims[DLC_MAX_RANK];
  for (int k = 0; k < n; k++)
    dims[k] = dlc_tensor_get_int(dlc_op_input(c, 0), k);
  return dlc_op_set_output(c, 0, v ? v->dtype : DLC_DT_FLOAT32, (int)n, dims);
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
  const dlc_tensor *s = dlc_op_input(c, 0), *l = dlc_op_input(c, 1),
                   *d = dlc_op_input(c, 2);
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
  int64_t a = dlc_tensor_get_int(s, 0), b = dlc_tensor_get_int(l, 0),
          k = dlc_tensor_get_int(d, 0);
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
  if (!dlc_op_need_inputs(c, 3))
    return false;
  dlc_dtype dt = dlc_op_input(c, 0)->dtype;
  for (int i = 0; i < 3; i++) {
    const dlc_tensor *t = dlc_op_input(c, i);
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
  return range_count(c, &n) && dlc_op_set_output(c, 0, dt, 1, &n);
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
      dlc_op_put_int(y, i, (int64_t)((uint64_t)dlc_tensor_get_int(s, 0) +
                            (uint64_t)i * (uint64_t)dlc_tensor_get_int(d, 0)));
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
  if (!dlc_op_need_inputs(c, 3))
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
  return dlc_op_set_output_like(c, data);
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
