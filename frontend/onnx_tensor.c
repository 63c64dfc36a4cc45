/* onnx_tensor.c — ONNX data types and TensorProto contents: the mapping of
 * ONNX element types to dlc dtypes, and the conversion of a TensorProto
 * (initializer or Constant value) into a tensor in the graph arena, whichever
 * way the file stores its elements: raw_data, the typed repeated fields
 * (float_data, int32_data, int64_data, double_data), or an external data file
 * beside the model (data_location EXTERNAL).
 *
 * Everything here runs on untrusted input: element counts are checked for
 * overflow and against the bytes actually present before anything is copied,
 * and external ranges against the file's real size. raw_data is
 * little-endian, as ONNX specifies and as every target of dlc is. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/onnx_impl.h"

/* ------------------------------------------------------------ data types */

typedef struct type_row {
  int32_t onnx;
  const char *name;
  size_t size;     /* bytes per element in raw_data; 0: not fixed */
  dlc_dtype value; /* the dtype of a value of this type (UNDEFINED: none) */
  dlc_dtype constant; /* the dtype a constant of this type is loaded as */
} type_row;

static const type_row type_rows[] = {
    {ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "float32", 4, DLC_DT_FLOAT32,
     DLC_DT_FLOAT32},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, "uint8", 1, DLC_DT_UINT8,
     DLC_DT_UINT8},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT8, "int8", 1, DLC_DT_INT8, DLC_DT_INT8},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, "uint16", 2, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT16, "int16", 2, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT32, "int32", 4, DLC_DT_INT32,
     DLC_DT_INT32},
    {ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "int64", 8, DLC_DT_INT64,
     DLC_DT_INT64},
    {ONNX__TENSOR_PROTO__DATA_TYPE__STRING, "string", 0, 0, 0},
    /* dlc has no bool dtype: comparisons produce uint8 0/1 (docs/onnx.md) */
    {ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, "bool", 1, DLC_DT_UINT8,
     DLC_DT_UINT8},
    /* computed in float32 only: constants are widened/narrowed on load */
    {ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, "float16", 2, 0, DLC_DT_FLOAT32},
    {ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, "double", 8, 0, DLC_DT_FLOAT32},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, "uint32", 4, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__UINT64, "uint64", 8, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64, "complex64", 8, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128, "complex128", 16, 0, 0},
    {ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16, "bfloat16", 2, 0, 0},
};

static const type_row *type_row_of(int32_t onnx_type) {
  for (size_t i = 0; i < sizeof type_rows / sizeof type_rows[0]; i++)
    if (type_rows[i].onnx == onnx_type)
      return &type_rows[i];
  return NULL;
}

const char *dlc_onnx_type_name(int32_t onnx_type) {
  const type_row *t = type_row_of(onnx_type);
  return t ? t->name : "undefined";
}

bool dlc_onnx_value_dtype(int32_t onnx_type, dlc_dtype *out) {
  const type_row *t = type_row_of(onnx_type);
  *out = t ? t->value : DLC_DT_UNDEFINED;
  return *out != DLC_DT_UNDEFINED;
}

/* ------------------------------------------------------ shape and count */

static bool tensor_shape(dlc_onnx_reader *r, const Onnx__TensorProto *t,
                         const char *where, dlc_tensor *out) {
  if (t->n_dims > DLC_MAX_RANK) {
    dlc_onnx_err(r, where, "rank %zu exceeds dlc's maximum of %d", t->n_dims,
                 DLC_MAX_RANK);
    return false;
  }
  out->rank = (int)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0) {
      dlc_onnx_err(r, where, "dimension %zu is negative (%lld)", i,
                   (long long)t->dims[i]);
      return false;
    }
    out->dims[i] = t->dims[i];
  }
  if (dlc_tensor_numel(out) < 0 || (dlc_tensor_numel(out) > 0 &&
                                    dlc_tensor_nbytes(out) == 0)) {
    char s[256];
    dlc_onnx_err(r, where, "shape %s has too many elements",
                 dlc_shape_str(out, s, sizeof s));
    return false;
  }
  return true;
}

/* -------------------------------------------------------- element source */

/* Where the elements are: raw little-endian bytes of the ONNX element type,
 * or one of the typed repeated fields. */
typedef struct elem_src {
  const unsigned char *raw;
  const float *f32;
  const int32_t *i32; /* also int8/uint8/int16/bool/float16 (as bits) */
  const int64_t *i64;
  const double *f64;
  size_t count; /* elements present */
} elem_src;

/* Element i as a double (float32, float16 and double tensors). */
static double read_float(const elem_src *s, int32_t type, size_t i) {
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    float v;
    if (!s->raw)
      return s->f32[i];
    memcpy(&v, s->raw + 4 * i, 4);
    return v;
  }
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    double v;
    if (!s->raw)
      return s->f64[i];
    memcpy(&v, s->raw + 8 * i, 8);
    return v;
  }
  uint16_t h; /* FLOAT16: raw bytes, or the bits in an int32_data entry */
  if (s->raw)
    memcpy(&h, s->raw + 2 * i, 2);
  else
    h = (uint16_t)s->i32[i];
  return dlc_fe_f16_to_f32(h);
}

/* Element i as an int64 (integer and bool tensors). */
static int64_t read_int(const elem_src *s, int32_t type, size_t i) {
  if (!s->raw)
    return type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? s->i64[i]
                                                         : s->i32[i];
  const unsigned char *p = s->raw;
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: {
    int64_t v;
    memcpy(&v, p + 8 * i, 8);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
    int32_t v;
    memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)p[i];
  default: return p[i]; /* UINT8, BOOL */
  }
}

/* Converts count elements of ONNX type `type` from s into out->data
 * (out->dtype set). Same-representation raw data is one memcpy. */
static void convert_elems(const elem_src *s, int32_t type, dlc_tensor *out,
                          size_t count) {
  bool is_bool = type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
  bool same = type_row_of(type)->value == out->dtype && !is_bool;
  if (s->raw && same) {
    if (count)
      memcpy(out->data, s->raw, count * dlc_dtype_size(out->dtype));
    return;
  }
  for (size_t i = 0; i < count; i++) {
    switch (out->dtype) {
    case DLC_DT_FLOAT32:
      ((float *)out->data)[i] = (float)read_float(s, type, i);
      break;
    case DLC_DT_INT64: ((int64_t *)out->data)[i] = read_int(s, type, i); break;
    case DLC_DT_INT32:
      ((int32_t *)out->data)[i] = (int32_t)read_int(s, type, i);
      break;
    case DLC_DT_INT8:
      ((int8_t *)out->data)[i] = (int8_t)read_int(s, type, i);
      break;
    default: /* UINT8 and bool */
      ((uint8_t *)out->data)[i] =
          is_bool ? read_int(s, type, i) != 0 : (uint8_t)read_int(s, type, i);
    }
  }
}

/* The typed field ONNX uses for this element type, and its length. */
static void typed_field(const Onnx__TensorProto *t, elem_src *s) {
  switch (t->data_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    s->f32 = t->float_data;
    s->count = t->n_float_data;
    break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    s->i64 = t->int64_data;
    s->count = t->n_int64_data;
    break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    s->f64 = t->double_data;
    s->count = t->n_double_data;
    break;
  default: /* int32, int8, uint8, bool, float16 */
    s->i32 = t->int32_data;
    s->count = t->n_int32_data;
  }
}

/* ------------------------------------------------------- external data */

/* Relative, inside the model's directory: no absolute path, no "..". */
static bool location_ok(const char *loc) {
  if (!loc[0] || loc[0] == '/')
    return false;
  for (const char *p = loc; *p;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    p += n + (e ? 1 : 0);
  }
  return true;
}

/* A non-negative decimal integer, the whole string. */
static bool parse_size(const char *s, int64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+')
    return false;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0)
    return false;
  *out = v;
  return true;
}

typedef struct ext_ref {
  const char *location;
  int64_t offset, length; /* length -1: not given */
} ext_ref;

static bool external_ref(dlc_onnx_reader *r, const Onnx__TensorProto *t,
                         const char *where, ext_ref *x) {
  *x = (ext_ref){NULL, 0, -1};
  for (size_t i = 0; i < t->n_external_data; i++) {
    const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
    if (!k || !v)
      continue;
    bool ok = true;
    if (strcmp(k, "location") == 0)
      x->location = v;
    else if (strcmp(k, "offset") == 0)
      ok = parse_size(v, &x->offset);
    else if (strcmp(k, "length") == 0)
      ok = parse_size(v, &x->length);
    if (!ok) {
      dlc_onnx_err(r, where, "external data %s '%s' is not a non-negative "
                   "integer", k, dlc_onnx_shown(r, v));
      return false;
    }
  }
  if (!x->location) {
    dlc_onnx_err(r, where, "external data has no location");
    return false;
  }
  if (!location_ok(x->location)) {
    dlc_onnx_err(r, where, "external data location '%s' must be a relative "
                 "path inside the model's directory (no absolute path, no "
                 "'..')", dlc_onnx_shown(r, x->location));
    return false;
  }
  if (!r->base_dir) {
    dlc_onnx_err(r, where, "external data '%s' cannot be resolved: the model "
                 "was not read from a file", dlc_onnx_shown(r, x->location));
    return false;
  }
  return true;
}

/* Reads bytes [offset, offset + need) of the tensor's external file into a
 * malloc'd buffer (free: free()), after checking the range against the
 * file's size and the declared length. */
static unsigned char *read_external(dlc_onnx_reader *r,
                                    const Onnx__TensorProto *t,
                                    const char *where, size_t need) {
  ext_ref x;
  if (!external_ref(r, t, where, &x))
    return NULL;
  const char *shown = dlc_onnx_shown(r, x.location);
  if (x.length >= 0 && (uint64_t)x.length != need) {
    dlc_onnx_err(r, where, "external data '%s' has length %lld, but the "
                 "tensor needs %zu bytes", shown, (long long)x.length, need);
    return NULL;
  }
  uint64_t size = 0;
  const char *why = NULL;
  int fd = dlc_fe_open_inside(r->base_dir, x.location, &size, &why);
  if (fd < 0) {
    dlc_onnx_err(r, where, "cannot read external data '%s': %s", shown, why);
    return NULL;
  }
  dlc_graph_add_source(r->g, dlc_arena_printf(r->g->arena, "%s/%s",
                                              r->base_dir, x.location));
  if ((uint64_t)x.offset > size || need > size - (uint64_t)x.offset) {
    dlc_onnx_err(r, where, "external data range [%lld, %lld) lies outside "
                 "'%s' (%llu bytes)", (long long)x.offset,
                 (long long)x.offset + (long long)need, shown,
                 (unsigned long long)size);
    close(fd);
    return NULL;
  }
  /* Held twice while it is converted: the bytes read, the initializer. */
  char what[160];
  snprintf(what, sizeof what, "with %zu bytes of '%s' twice", need, shown);
  if (!dlc_fe_budget_charge(r->budget, 2 * (int64_t)need, r->d, where,
                            what)) {
    r->errors++;
    close(fd);
    return NULL;
  }
  int e = 0;
  unsigned char *buf = dlc_fe_read_range(fd, (uint64_t)x.offset, need, &e);
  close(fd);
  if (!buf)
    dlc_onnx_err(r, where, "cannot read %zu bytes of external data '%s': %s",
                 need, shown, strerror(e));
  return buf;
}

/* ------------------------------------------------------------- loading */

/* Finds the elements: external file, raw_data, or the typed field; checks
 * that exactly numel are present. *owned is set when s->raw was malloc'd. */
static bool find_elems(dlc_onnx_reader *r, const Onnx__TensorProto *t,
                       const char *where, size_t numel, elem_src *s,
                       unsigned char **owned) {
  const type_row *tr = type_row_of(t->data_type);
  size_t need = numel * tr->size; /* cannot overflow: numel was checked
                                     against dlc's (larger) element size */
  *owned = NULL;
  memset(s, 0, sizeof *s);
  if (t->has_data_location &&
      t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    if (!(*owned = read_external(r, t, where, need)))
      return false;
    s->raw = *owned;
    s->count = numel;
    return true;
  }
  if (t->has_raw_data) {
    if (t->raw_data.len != need) {
      dlc_onnx_err(r, where, "raw_data holds %zu bytes, but %zu %s elements "
                   "need %zu", t->raw_data.len, numel, tr->name, need);
      return false;
    }
    s->raw = t->raw_data.data;
    s->count = numel;
    return true;
  }
  typed_field(t, s);
  if (s->count != numel) {
    dlc_onnx_err(r, where, "holds %zu %s elements, but its shape needs %zu",
                 s->count, tr->name, numel);
    return false;
  }
  return true;
}

bool dlc_onnx_load_tensor(dlc_onnx_reader *r, const Onnx__TensorProto *t,
                          const char *where, dlc_tensor *out) {
  memset(out, 0, sizeof *out);
  const type_row *tr = type_row_of(t->has_data_type ? t->data_type : 0);
  if (!tr || !tr->constant) {
    dlc_onnx_err(r, where, "element type %s is not supported (dlc reads "
                 "float32, float16, double, int64, int32, int8, uint8 and "
                 "bool tensors)",
                 t->has_data_type ? dlc_onnx_type_name(t->data_type)
                                  : "undefined");
    return false;
  }
  if (t->segment) {
    dlc_onnx_err(r, where, "segmented tensors are not supported");
    return false;
  }
  out->dtype = tr->constant;
  if (!tensor_shape(r, t, where, out))
    return false;
  size_t numel = (size_t)dlc_tensor_numel(out);
  if (numel > SIZE_MAX / 16) { /* keeps every byte count below in range */
    dlc_onnx_err(r, where, "has too many elements (%zu)", numel);
    return false;
  }
  elem_src s;
  unsigned char *owned;
  if (!find_elems(r, t, where, numel, &s, &owned))
    return false;
  size_t bytes = dlc_tensor_nbytes(out);
  out->data = dlc_arena_alloc(r->g->arena, bytes ? bytes : 1);
  convert_elems(&s, t->data_type, out, numel);
  free(owned);
  return true;
}
