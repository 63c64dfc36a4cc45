/* ops_helpers.c — helpers the operator files (ops_*.c) share: input
 * lookup and the checks every shape-inference function starts with, output
 * typing that refuses overflowing shapes, and the integer element store.
 * Declared in ops_impl.h. */
#include "ops_impl.h"

bool dlc_op_set_output(dlc_op_ctx *c, int slot, dlc_dtype dt, int rank,
                       const int64_t *dims) {
  if (slot >= c->n_outputs)
    return dlc_op_error(c, "the node has no output %d", slot);
  if (rank < 0 || rank > DLC_MAX_RANK)
    return dlc_op_error(c, "output rank %d exceeds %d", rank, DLC_MAX_RANK);
  dlc_tensor_set_shape(&c->out[slot], dt, rank, dims);
  int64_t n = dlc_tensor_numel(&c->out[slot]);
  if (n < 0 || (n > 0 && dlc_tensor_nbytes(&c->out[slot]) == 0)) {
    char s[SHAPE_BUF];
    return dlc_op_error(c, "output shape %s has too many elements",
                        dlc_shape_str(&c->out[slot], s, sizeof s));
  }
  return true;
}

bool dlc_op_set_reduced_output(dlc_op_ctx *c, const dlc_tensor *x,
                               const bool *reduced, bool keepdims) {
  int64_t dims[DLC_MAX_RANK];
  int rank = 0;
  for (int d = 0; d < x->rank; d++)
    if (!reduced[d])
      dims[rank++] = x->dims[d];
    else if (keepdims)
      dims[rank++] = 1;
  return dlc_op_set_output(c, 0, x->dtype, rank, dims);
}

/* Input i, or NULL when omitted or beyond the node's input list. */
const dlc_tensor *dlc_op_input(const dlc_op_ctx *c, int i) {
  return i < c->n_inputs ? c->in[i] : NULL;
}

/* Requires inputs [0, n) present (omitted optional inputs are NULL). */
bool dlc_op_need_inputs(dlc_op_ctx *c, int n) {
  for (int i = 0; i < n; i++)
    if (!dlc_op_input(c, i))
      return dlc_op_error(c, "input %d is required", i);
  return true;
}

/* A required float32 input; reports and returns NULL otherwise. */
const dlc_tensor *dlc_op_need_f32(dlc_op_ctx *c, int i, const char *what) {
  const dlc_tensor *t = dlc_op_input(c, i);
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

/* Output 0 takes the type of t. */
bool dlc_op_set_output_like(dlc_op_ctx *c, const dlc_tensor *t) {
  return dlc_op_set_output(c, 0, t->dtype, t->rank, t->dims);
}

/* ONNX's unidirectional broadcasting: `small` stretches to the shape
 * (big_rank, big_dims) without changing it. Dims are right-aligned and each
 * of small's must equal big's or be 1. */
bool dlc_op_unidir_ok(const dlc_tensor *small, int big_rank,
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
dlc_tensor dlc_op_shape_of(int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  t.rank = rank;
  for (int i = 0; i < rank; i++)
    t.dims[i] = dims[i];
  return t;
}

/* Requires input i to have one of the dtypes in the mask (1 << dtype). */
bool dlc_op_need_dtype(dlc_op_ctx *c, int i, unsigned mask, const char *what) {
  const dlc_tensor *t = dlc_op_input(c, i);
  if (!(mask & (1u << t->dtype)))
    return dlc_op_error(c, "input %d has dtype %s; %s", i,
                        dlc_dtype_name(t->dtype), what);
  return true;
}

/* Stores v into element i of an integer tensor, truncating to its width
 * (two's complement wrap, as numpy). */
void dlc_op_put_int(dlc_tensor *t, int64_t i, int64_t v) {
  switch (t->dtype) {
  case DLC_DT_INT64: ((int64_t *)t->data)[i] = v; break;
  case DLC_DT_INT32: ((int32_t *)t->data)[i] = (int32_t)(uint32_t)v; break;
  case DLC_DT_INT8: ((int8_t *)t->data)[i] = (int8_t)(uint8_t)v; break;
  case DLC_DT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
  default: DLC_ASSERT(!"dlc_op_put_int: not an integer dtype");
  }
}

/* Broadcast shape of inputs [0, n), all of which must be present. */
bool dlc_op_broadcast_all(dlc_op_ctx *c, int n, dlc_tensor *o) {
  *o = *dlc_op_input(c, 0);
  o->data = NULL;
  for (int i = 1; i < n; i++) {
    dlc_tensor next;
    char a[SHAPE_BUF], b[SHAPE_BUF];
    if (!dlc_broadcast_shape(o, dlc_op_input(c, i), &next))
      return dlc_op_error(c, "cannot broadcast %s with input %d %s",
                          dlc_shape_str(o, a, sizeof a), i,
                          dlc_shape_str(dlc_op_input(c, i), b, sizeof b));
    *o = next;
  }
  return true;
}

/* Checks that input idx is a constant 1-D int64 tensor of at most max
 * elements, whose values are at least lo; *n gets the length. */
bool dlc_op_const_int_list(dlc_op_ctx *c, int idx, const char *what,
                           int64_t max, int64_t lo, int64_t *n) {
  const dlc_tensor *t = dlc_op_input(c, idx);
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
    if (dlc_tensor_get_int(t, k) < lo)
      return dlc_op_error(c, "input %d (%s) value %lld at %lld is below %lld",
                          idx, what, (long long)dlc_tensor_get_int(t, k),
                          (long long)k, (long long)lo);
  *n = t->dims[0];
  return true;
}
