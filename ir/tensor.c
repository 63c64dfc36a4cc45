/* tensor.c — tensor types: dtypes, element counts, shape printing, element
 * access for constants, and numpy broadcasting shared by the operators. */
#include <string.h>

#include "ops_impl.h"

static const struct {
  const char *name;
  size_t size;
} dtype_info[] = {
    [DLC_DT_UNDEFINED] = {"undefined", 0}, [DLC_DT_FLOAT32] = {"float32", 4},
    [DLC_DT_INT64] = {"int64", 8},         [DLC_DT_INT32] = {"int32", 4},
    [DLC_DT_FLOAT16] = {"float16", 2},     [DLC_DT_INT8] = {"int8", 1},
    [DLC_DT_UINT8] = {"uint8", 1},
};

const char *dlc_dtype_name(dlc_dtype t) {
  if ((unsigned)t >= sizeof dtype_info / sizeof dtype_info[0])
    return "?";
  return dtype_info[t].name;
}

dlc_dtype dlc_dtype_from_name(const char *s) {
  for (size_t i = 1; i < sizeof dtype_info / sizeof dtype_info[0]; i++)
    if (strcmp(dtype_info[i].name, s) == 0)
      return (dlc_dtype)i;
  return DLC_DT_UNDEFINED;
}

size_t dlc_dtype_size(dlc_dtype t) {
  if ((unsigned)t >= sizeof dtype_info / sizeof dtype_info[0])
    return 0;
  return dtype_info[t].size;
}

int64_t dlc_tensor_numel(const dlc_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) {
    if (t->dims[i] < 0)
      return -1;
    if (t->dims[i] != 0 && n > INT64_MAX / t->dims[i])
      return -1;
    n *= t->dims[i];
  }
  return n;
}

size_t dlc_tensor_nbytes(const dlc_tensor *t) {
  int64_t n = dlc_tensor_numel(t);
  size_t es = dlc_dtype_size(t->dtype);
  if (n < 0 || (es && (uint64_t)n > SIZE_MAX / es))
    return 0;
  return (size_t)n * es;
}

bool dlc_tensor_same_shape(const dlc_tensor *a, const dlc_tensor *b) {
  if (a->rank != b->rank)
    return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

char *dlc_shape_str(const dlc_tensor *t, char *buf, size_t size) {
  size_t pos = 0;
  buf[0] = 0;
  pos += (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < t->rank && pos < size; i++)
    pos += (size_t)snprintf(buf + pos, size - pos, "%s%lld", i ? ", " : "",
                            (long long)t->dims[i]);
  if (pos < size)
    snprintf(buf + pos, size - pos, "]");
  return buf;
}

int64_t dlc_tensor_get_int(const dlc_tensor *t, int64_t i) {
  DLC_ASSERT(t->data != NULL);
  switch (t->dtype) {
  case DLC_DT_INT64: return ((const int64_t *)t->data)[i];
  case DLC_DT_INT32: return ((const int32_t *)t->data)[i];
  case DLC_DT_INT8: return ((const int8_t *)t->data)[i];
  case DLC_DT_UINT8: return ((const uint8_t *)t->data)[i];
  case DLC_DT_FLOAT32: return (int64_t)((const float *)t->data)[i];
  default: DLC_ASSERT(!"dlc_tensor_get_int: unsupported dtype");
  }
  return 0;
}

double dlc_tensor_get_f64(const dlc_tensor *t, int64_t i) {
  DLC_ASSERT(t->data != NULL);
  switch (t->dtype) {
  case DLC_DT_FLOAT32: return ((const float *)t->data)[i];
  case DLC_DT_INT64: return (double)((const int64_t *)t->data)[i];
  case DLC_DT_INT32: return ((const int32_t *)t->data)[i];
  case DLC_DT_INT8: return ((const int8_t *)t->data)[i];
  case DLC_DT_UINT8: return ((const uint8_t *)t->data)[i];
  default: DLC_ASSERT(!"dlc_tensor_get_f64: unsupported dtype");
  }
  return 0;
}

bool dlc_norm_axis(int64_t axis, int rank, int *out) {
  if (axis < -rank || axis >= rank)
    return false;
  *out = (int)(axis < 0 ? axis + rank : axis);
  return true;
}

void dlc_tensor_set_shape(dlc_tensor *t, dlc_dtype dt, int rank,
                          const int64_t *dims) {
  DLC_ASSERT(rank >= 0 && rank <= DLC_MAX_RANK);
  t->dtype = dt;
  t->rank = rank;
  for (int i = 0; i < rank; i++)
    t->dims[i] = dims[i];
  for (int i = rank; i < DLC_MAX_RANK; i++)
    t->dims[i] = 0;
}

bool dlc_broadcast_shape(const dlc_tensor *a, const dlc_tensor *b,
                         dlc_tensor *out) {
  int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t dims[DLC_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    /* right-aligned: position i of the output */
    int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return false;
    dims[i] = da == 1 ? db : da;
  }
  dlc_tensor_set_shape(out, a->dtype, rank, dims);
  return true;
}

int64_t dlc_broadcast_index(const dlc_tensor *in, const dlc_tensor *out,
                            int64_t i) {
  int64_t idx = 0, stride = 1;
  for (int d = out->rank - 1; d >= 0; d--) {
    int64_t coord = i % out->dims[d];
    i /= out->dims[d];
    int id = d - (out->rank - in->rank);
    if (id < 0)
      break;
    if (in->dims[id] != 1)
      idx += coord * stride;
    stride *= in->dims[id];
  }
  return idx;
}

int dlc_tensor_broadcast_axis(const dlc_tensor *s, const dlc_tensor *o) {
  if (dlc_tensor_numel(s) == 1)
    return -1;
  if (dlc_tensor_numel(s) == dlc_tensor_numel(o))
    return -2;
  int axis = -1, shift = o->rank - s->rank;
  for (int k = 0; k < s->rank; k++) {
    if (s->dims[k] == 1)
      continue;
    if (axis >= 0)
      return -3;
    axis = k + shift;
  }
  return axis;
}
