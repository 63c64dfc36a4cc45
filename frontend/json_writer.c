/* json_writer.c — writes a graph as dlc-graph v1 JSON (docs/format.md), the
 * inverse of json_reader.c: read -> write -> read gives an equal graph.
 *
 * Layout: pretty-printed with a fixed key order, one list item per line.
 * Tensor data goes where it is both exact and compact:
 *   - small tensors whose every element JSON can spell exactly: `data`
 *     (float32 with the fewest digits that round-trip, at most %.9g);
 *   - larger ones: one <stem>.bin beside the JSON (64-byte aligned offsets,
 *     with byte_length and sha256), or data_base64 when inline_all is set;
 *   - NaN/inf floats and int64 values beyond 2^53 (which a reader sees
 *     through a double): data_base64 even when small. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend_impl.h"
#include "ir/outfiles.h"

typedef struct writer {
  DLC_VEC(char) text;         /* the JSON document being built */
  DLC_VEC(unsigned char) bin; /* the external buffer's bytes */
  size_t threshold;
  bool inline_all;
  dlc_diag *d;
  int errors;
} writer;

/* --------------------------------------------------------- text output */

static void put_n(writer *w, const char *s, size_t n) {
  dlc_vec_grow_((void **)&w->text.items, &w->text.cap, 1, w->text.n + n + 1);
  memcpy(w->text.items + w->text.n, s, n);
  w->text.n += n;
  w->text.items[w->text.n] = 0;
}

static void put(writer *w, const char *s) { put_n(w, s, strlen(s)); }

static void putf(writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(writer *w, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  DLC_ASSERT(n >= 0 && (size_t)n < sizeof buf); /* numbers only */
  put_n(w, buf, (size_t)n);
}

/* A JSON string literal: quotes, backslashes and control bytes escaped;
 * other bytes (UTF-8) pass through. */
static void put_string(writer *w, const char *s) {
  put(w, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      putf(w, "\\%c", c);
    else if (c == '\n')
      put(w, "\\n");
    else if (c == '\t')
      put(w, "\\t");
    else if (c < 0x20 || c == 0x7f)
      putf(w, "\\u%04x", c);
    else
      put_n(w, (const char *)&c, 1);
  }
  put(w, "\"");
}

static void put_key(writer *w, const char *key) {
  put_string(w, key);
  put(w, ": ");
}

/* The fewest significant digits that read back as the same float. */
static void put_f32(writer *w, float f) {
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, f);
    if ((float)strtod(buf, NULL) == f)
      break;
  }
  put(w, buf);
}

/* Same for a double (attributes are doubles); finite values only. */
static void put_f64(writer *w, double v) {
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  put(w, buf);
}

/* -------------------------------------------------------------- tensors */

/* True when every element can be written as a JSON number that a reader
 * (going through a double) turns back into the same bytes. */
static bool json_exact(const dlc_tensor *t) {
  int64_t n = dlc_tensor_numel(t);
  const int64_t limit = (int64_t)1 << 53;
  for (int64_t i = 0; i < n; i++) {
    if (t->dtype == DLC_DT_FLOAT32 && !isfinite(((const float *)t->data)[i]))
      return false;
    if (t->dtype == DLC_DT_FLOAT16 &&
        (((const uint16_t *)t->data)[i] & 0x7c00) == 0x7c00)
      return false;
    if (t->dtype == DLC_DT_INT64) {
      int64_t v = ((const int64_t *)t->data)[i];
      if ((v > limit || v < -limit) && v != INT64_MAX && v != INT64_MIN)
        return false;
    }
  }
  return true;
}

static void put_element(writer *w, const dlc_tensor *t, int64_t i) {
  switch (t->dtype) {
  case DLC_DT_FLOAT32:
    put_f32(w, ((const float *)t->data)[i]);
    break;
  case DLC_DT_FLOAT16:
    put_f32(w, dlc_fe_f16_to_f32(((const uint16_t *)t->data)[i]));
    break;
  case DLC_DT_INT64:
    putf(w, "%lld", (long long)((const int64_t *)t->data)[i]);
    break;
  case DLC_DT_INT32:
    putf(w, "%d", ((const int32_t *)t->data)[i]);
    break;
  case DLC_DT_INT8:
    putf(w, "%d", ((const int8_t *)t->data)[i]);
    break;
  case DLC_DT_UINT8:
    putf(w, "%d", ((const uint8_t *)t->data)[i]);
    break;
  default:
    DLC_ASSERT(!"tensor of undefined dtype");
  }
}

static void put_shape(writer *w, const dlc_tensor *t, const char *const *sym) {
  put(w, "[");
  for (int i = 0; i < t->rank; i++) {
    put(w, i ? ", " : "");
    if (sym && sym[i])
      put_string(w, sym[i]);
    else
      putf(w, "%lld", (long long)t->dims[i]);
  }
  put(w, "]");
}

/* Appends the bytes to the external buffer at a 64-byte aligned offset. */
static size_t add_to_bin(writer *w, const void *data, size_t n) {
  size_t off = (w->bin.n + 63) / 64 * 64;
  dlc_vec_grow_((void **)&w->bin.items, &w->bin.cap, 1, off + n);
  memset(w->bin.items + w->bin.n, 0, off - w->bin.n);
  memcpy(w->bin.items + off, data, n);
  w->bin.n = off + n;
  return off;
}

/* dtype, shape and one data form (see the file comment for which). */
static void put_tensor_body(writer *w, const dlc_tensor *t) {
  size_t nbytes = dlc_tensor_nbytes(t);
  put_key(w, "dtype");
  put_string(w, dlc_dtype_name(t->dtype));
  put(w, ", ");
  put_key(w, "shape");
  put_shape(w, t, NULL);
  put(w, ", ");
  if (nbytes <= w->threshold && json_exact(t)) {
    put_key(w, "data");
    put(w, "[");
    for (int64_t i = 0, n = dlc_tensor_numel(t); i < n; i++) {
      put(w, i ? ", " : "");
      put_element(w, t, i);
    }
    put(w, "]");
  } else if (nbytes > w->threshold && !w->inline_all) {
    putf(w, "\"buffer\": 0, \"offset\": %zu", add_to_bin(w, t->data, nbytes));
  } else {
    char *b64 = dlc_base64_encode(t->data, nbytes);
    put_key(w, "data_base64");
    put_string(w, b64);
    free(b64);
  }
}

/* ------------------------------------------------------------ sections */

static void put_names(writer *w, int n, dlc_value *const *values) {
  put(w, "[");
  for (int i = 0; i < n; i++) {
    put(w, i ? ", " : "");
    put_string(w, values[i] ? values[i]->name : "");
  }
  put(w, "]");
}

static void put_attr_value(writer *w, const dlc_node *n, const dlc_attr *a) {
  bool finite = true;
  switch (a->kind) {
  case DLC_ATTR_INT:
    putf(w, "%lld", (long long)a->i);
    break;
  case DLC_ATTR_FLOAT:
    finite = isfinite(a->f);
    put_f64(w, finite ? a->f : 0);
    break;
  case DLC_ATTR_STRING:
    put_string(w, a->s ? a->s : "");
    break;
  case DLC_ATTR_TENSOR:
    put(w, "{");
    put_tensor_body(w, &a->tensor);
    put(w, "}");
    break;
  default: /* the three list kinds */
    put(w, "[");
    for (int i = 0; i < a->n; i++) {
      put(w, i ? ", " : "");
      if (a->kind == DLC_ATTR_INTS)
        putf(w, "%lld", (long long)a->ints[i]);
      else if (a->kind == DLC_ATTR_STRINGS)
        put_string(w, a->strings[i]);
      else if ((finite = finite && isfinite(a->floats[i])))
        put_f64(w, a->floats[i]);
    }
    put(w, "]");
  }
  if (!finite) {
    dlc_diag_error(w->d, NULL,
                   "node '%s' (%s): attribute '%s' is not finite, which JSON "
                   "cannot express",
                   n->name, dlc_op_name(n->op), a->name);
    w->errors++;
  }
}

static void put_node(writer *w, const dlc_node *n) {
  put(w, "{");
  put_key(w, "name");
  put_string(w, n->name);
  put(w, ", ");
  put_key(w, "op");
  put_string(w, dlc_op_name(n->op));
  if (n->domain && n->domain[0]) {
    put(w, ", ");
    put_key(w, "domain");
    put_string(w, n->domain);
  }
  put(w, ",\n     \"inputs\": ");
  put_names(w, n->n_inputs, n->inputs);
  put(w, ", \"outputs\": ");
  put_names(w, n->n_outputs, n->outputs);
  if (n->n_attrs) {
    put(w, ",\n     \"attrs\": {");
    for (int i = 0; i < n->n_attrs; i++) {
      put(w, i ? ", " : "");
      put_key(w, n->attrs[i].name);
      put_attr_value(w, n, &n->attrs[i]);
    }
    put(w, "}");
  }
  if (n->doc) {
    put(w, ",\n     \"doc\": ");
    put_string(w, n->doc);
  }
  put(w, "}");
}

/* `"key": [` item, item `]` with one item per line. */
static void begin_list(writer *w, const char *key) {
  put(w, ",\n  ");
  put_key(w, key);
  put(w, "[");
}

static void list_item(writer *w, size_t i) { put(w, i ? ",\n    " : "\n    "); }

static void end_list(writer *w, size_t n) { put(w, n ? "\n  ]" : "]"); }

/* Initializers and nodes: written first, because they decide the buffer. */
static void put_tail(writer *w, const dlc_graph *g) {
  begin_list(w, "initializers");
  for (size_t i = 0; i < g->initializers.n; i++) {
    const dlc_value *v = g->initializers.items[i];
    list_item(w, i);
    put(w, "{");
    put_key(w, "name");
    put_string(w, v->name);
    put(w, ", ");
    put_tensor_body(w, &v->type);
    put(w, "}");
  }
  end_list(w, g->initializers.n);
  begin_list(w, "nodes");
  size_t k = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    if (g->nodes.items[i]->dead)
      continue;
    list_item(w, k++);
    put_node(w, g->nodes.items[i]);
  }
  end_list(w, k);
  put(w, "\n}\n");
}

static void put_metadata(writer *w, const dlc_graph *g) {
  if (g->doc) {
    put(w, ",\n  ");
    put_key(w, "doc");
    put_string(w, g->doc);
  }
  if (!g->metadata.n)
    return;
  put(w, ",\n  ");
  put_key(w, "metadata");
  put(w, "{");
  for (size_t i = 0; i + 1 < g->metadata.n; i += 2) {
    put(w, i ? ", " : "");
    put_key(w, g->metadata.items[i]);
    put_string(w, g->metadata.items[i + 1]);
  }
  put(w, "}");
}

static void put_head(writer *w, const dlc_graph *g, const char *bin_uri) {
  put(w, "{\n  \"format\": \"dlc-graph\",\n  \"version\": 1");
  if (g->name) {
    put(w, ",\n  ");
    put_key(w, "name");
    put_string(w, g->name);
  }
  put_metadata(w, g);
  if (bin_uri) {
    char sha[65];
    dlc_sha256_hex(w->bin.items, w->bin.n, sha);
    begin_list(w, "buffers");
    list_item(w, 0);
    put(w, "{\"uri\": ");
    put_string(w, bin_uri);
    putf(w, ", \"byte_length\": %zu, ", w->bin.n);
    put_key(w, "sha256");
    put_string(w, sha);
    put(w, "}");
    end_list(w, 1);
  }
  begin_list(w, "inputs");
  for (size_t i = 0; i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    list_item(w, i);
    put(w, "{\"name\": ");
    put_string(w, v->name);
    put(w, ", \"dtype\": ");
    put_string(w, dlc_dtype_name(v->type.dtype));
    put(w, ", \"shape\": ");
    put_shape(w, &v->type, v->sym);
    put(w, "}");
  }
  end_list(w, g->inputs.n);
  begin_list(w, "outputs");
  for (size_t i = 0; i < g->outputs.n; i++) {
    list_item(w, i);
    put(w, "{\"name\": ");
    put_string(w, g->outputs.items[i]->name);
    put(w, "}");
  }
  end_list(w, g->outputs.n);
}

/* ------------------------------------------------------------- files */

/* "dir/model.json" -> "dir/model.bin" (returned, malloc'd) and its uri
 * "model.bin" (a pointer into it). */
static char *bin_path_for(const char *json_path, const char **uri) {
  size_t n = strlen(json_path);
  if (n >= 5 && strcmp(json_path + n - 5, ".json") == 0)
    n -= 5;
  char *p = malloc(n + 5);
  DLC_ASSERT(p != NULL);
  memcpy(p, json_path, n);
  memcpy(p + n, ".bin", 5);
  const char *slash = strrchr(p, '/');
  *uri = slash ? slash + 1 : p;
  return p;
}

/* The JSON file and its .bin appear together or not at all
 * (ir/outfiles.h): a JSON file never names a stale or truncated .bin. */
static dlc_status write_pair(writer *w, const char *path,
                             const char *bin_path) {
  dlc_outfiles out;
  dlc_outfiles_init(&out);
  const char *bin = bin_path ? dlc_outfiles_add(&out, bin_path, 0666, w->d)
                             : NULL;
  const char *json = bin || !bin_path ? dlc_outfiles_add(&out, path, 0666, w->d)
                                      : NULL;
  bool ok = json &&
            (!bin || dlc_write_bytes(bin, bin_path, w->bin.items, w->bin.n,
                                     w->d)) &&
            dlc_write_bytes(json, path, w->text.items, w->text.n, w->d);
  if (!ok) {
    dlc_outfiles_abort(&out);
    return DLC_ERR_IO;
  }
  return dlc_outfiles_commit(&out, w->d) ? DLC_OK : DLC_ERR_IO;
}

char *dlc_json_bin_path(const char *json_path) {
  const char *uri;
  return bin_path_for(json_path, &uri);
}

dlc_status dlc_json_write_file(const dlc_graph *g, const char *path,
                               const dlc_json_write_options *opt,
                               dlc_diag *d) {
  writer w = {.d = d, .threshold = 1024};
  if (opt && opt->external_threshold_bytes)
    w.threshold = opt->external_threshold_bytes;
  w.inline_all = opt && opt->inline_all;
  put_tail(&w, g); /* fills w.bin */
  DLC_VEC(char) tail = {w.text.items, w.text.n, w.text.cap};
  memset(&w.text, 0, sizeof w.text);
  const char *uri = NULL;
  char *bin_path = w.bin.n ? bin_path_for(path, &uri) : NULL;
  put_head(&w, g, uri);
  put_n(&w, tail.items, tail.n);
  dlc_vec_free(&tail);
  dlc_status st = w.errors ? DLC_ERR_INVALID : write_pair(&w, path, bin_path);
  free(bin_path);
  dlc_vec_free(&w.text);
  dlc_vec_free(&w.bin);
  return st;
}
