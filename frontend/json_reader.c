/* json_reader.c — reads the dlc-graph v1 JSON format (docs/format.md) into
 * the graph IR.
 *
 * The reader validates as it builds and keeps going after a problem, so one
 * run reports every error it can find, each at its JSON path
 * (nodes[12].attrs.strides). Only when the document is structurally sound
 * does it sort, infer shapes and verify the graph, whose errors name nodes.
 * Whatever the file claims, sizes are checked before anything is allocated
 * or copied, so a hostile file cannot make it read outside a buffer.
 *
 * Pipeline: cJSON parse -> top-level keys -> buffers (files read, sizes and
 * checksums checked) -> inputs -> initializers -> nodes (pass 1 defines
 * every output, pass 2 resolves inputs and attributes, so nodes may come in
 * any order) -> outputs -> sort, infer, verify. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

#include "frontend/frontend_impl.h"

enum { PATH_MAX_LEN = 256, MAX_SHOWN = 80 };

typedef struct buffer {
  unsigned char *bytes; /* malloc'd file contents, NULL if unusable */
  size_t len;
  const char *uri;
} buffer;

/* A number as written: cJSON keeps only a double, which cannot hold every
 * int64 (2^53 + 1 reads as 2^53) and says nothing of 2^70. */
typedef struct number_text {
  int64_t i;
  size_t at;    /* offset in reader.text */
  int len;
  bool integer; /* digits only, no '.', 'e' or 'E' */
  bool range;   /* integer and within int64 */
} number_text;

typedef struct reader {
  dlc_graph *g;
  dlc_diag *d;
  const char *base_dir;
  int errors;
  buffer *bufs;
  int n_bufs;
  DLC_VEC(number_text) numbers; /* document order; cJSON number nodes carry
                                   their index in valueint (index_numbers) */
  char *text;                   /* the document, NUL-terminated, malloc'd */
  dlc_fe_budget *budget;        /* --max-memory; NULL: none */
} reader;

/* ------------------------------------------------------------ reporting */

static void err(reader *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err(reader *r, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dlc_diag_verror(r->d, where, fmt, ap);
  va_end(ap);
  r->errors++;
}

/* A user string made safe for a one-line message: control characters become
 * '?', long strings are cut. Lives in the graph arena. */
static const char *shown(reader *r, const char *s) {
  size_t n = strlen(s), keep = n > MAX_SHOWN ? MAX_SHOWN : n;
  char *p = dlc_arena_alloc(r->g->arena, keep + 4);
  for (size_t i = 0; i < keep; i++)
    p[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
  if (keep < n)
    memcpy(p + keep, "...", 3);
  return p;
}

static const char *kind_of(const cJSON *j) {
  if (cJSON_IsString(j))
    return "a string";
  if (cJSON_IsNumber(j))
    return "a number";
  if (cJSON_IsArray(j))
    return "an array";
  if (cJSON_IsObject(j))
    return "an object";
  if (cJSON_IsBool(j))
    return "a boolean";
  return "null";
}

/* JSON paths: "parent.key" and "parent[i]". */
static char *at_key(char out[PATH_MAX_LEN], const char *parent,
                    const char *key) {
  char safe[MAX_SHOWN + 4];
  size_t n = strlen(key), keep = n > MAX_SHOWN ? MAX_SHOWN : n;
  for (size_t i = 0; i < keep; i++)
    safe[i] = (unsigned char)key[i] < 0x20 ? '?' : key[i];
  safe[keep] = 0;
  snprintf(out, PATH_MAX_LEN, "%s%s%s", parent, parent[0] ? "." : "", safe);
  return out;
}

static char *at_index(char out[PATH_MAX_LEN], const char *parent, long long i) {
  /* keep room for the index: a path at the limit loses its middle, not
   * the index that locates the problem */
  snprintf(out, PATH_MAX_LEN, "%.*s[%lld]", PATH_MAX_LEN - 24, parent, i);
  return out;
}


/* ------------------------------------------------------- object members */

/* Checks that j is an object whose keys are all in `allowed` (NULL: any key)
 * and none appears twice. cJSON keeps duplicate keys as siblings, and only
 * the first would be seen by a lookup: the second must not pass silently. */
static bool check_object(reader *r, const cJSON *j, const char *where,
                         const char *const *allowed) {
  if (!cJSON_IsObject(j)) {
    err(r, where, "expected an object, got %s", kind_of(j));
    return false;
  }
  dlc_strset seen = {0};
  char p[PATH_MAX_LEN];
  for (const cJSON *c = j->child; c; c = c->next) {
    bool known = !allowed;
    for (const char *const *a = allowed; a && *a && !known; a++)
      known = strcmp(*a, c->string) == 0;
    if (!known)
      err(r, at_key(p, where, c->string), "unknown key '%s'",
          shown(r, c->string));
    if (!dlc_strset_add(&seen, c->string))
      err(r, at_key(p, where, c->string), "key '%s' given twice",
          shown(r, c->string));
  }
  dlc_strset_free(&seen);
  return true;
}

static const cJSON *member(reader *r, const cJSON *obj, const char *where,
                           const char *key, bool required) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!j && required) {
    char p[PATH_MAX_LEN];
    err(r, at_key(p, where, key), "missing required key '%s'", key);
  }
  return j;
}

/* A string member; NULL if absent (reported when required) or mistyped. */
static const char *string_member(reader *r, const cJSON *obj,
                                 const char *where, const char *key,
                                 bool required) {
  const cJSON *j = member(r, obj, where, key, required);
  if (!j)
    return NULL;
  if (!cJSON_IsString(j)) {
    char p[PATH_MAX_LEN];
    err(r, at_key(p, where, key), "expected a string, got %s", kind_of(j));
    return NULL;
  }
  return j->valuestring;
}

/* JSON numbers arrive as doubles (cJSON's valueint saturates at INT_MAX and
 * must not be used). Exact up to 2^53; at or beyond +-2^63 they clamp to
 * INT64_MAX / INT64_MIN, which is how ONNX spells "to the end" in Slice. */
static bool json_to_i64(const cJSON *j, int64_t *out) {
  if (!cJSON_IsNumber(j))
    return false;
  double v = j->valuedouble;
  if (v != v || (v != floor(v)))
    return false;
  if (v >= 9223372036854775808.0)
    *out = INT64_MAX;
  else if (v <= -9223372036854775808.0)
    *out = INT64_MIN;
  else
    *out = (int64_t)v;
  return true;
}

/* The text of number node j, NULL if unknown (not from parse_json). */
static const number_text *number_of(const reader *r, const cJSON *j) {
  if (!cJSON_IsNumber(j) || j->valueint < 0 ||
      (size_t)j->valueint >= r->numbers.n)
    return NULL;
  return &r->numbers.items[j->valueint];
}

/* Tensor data: an integer exactly as written, refused (false) when it is
 * beyond int64 or cannot be exact (a fraction, or an exponent form at or
 * beyond 2^53, where a double has no more integers). */
static bool exact_i64(const reader *r, const cJSON *j, int64_t *out) {
  const number_text *t = number_of(r, j);
  if (t && t->integer) {
    *out = t->i;
    return t->range;
  }
  return json_to_i64(j, out) && fabs(j->valuedouble) < 9007199254740992.0;
}

/* An integer member in [lo, hi]: 1 ok, 0 absent (reported if required),
 * -1 bad (reported). */
static int int_member(reader *r, const cJSON *obj, const char *where,
                      const char *key, bool required, int64_t lo, int64_t hi,
                      int64_t *out) {
  const cJSON *j = member(r, obj, where, key, required);
  if (!j)
    return 0;
  char p[PATH_MAX_LEN];
  if (!json_to_i64(j, out)) {
    err(r, at_key(p, where, key), "expected an integer, got %s",
        cJSON_IsNumber(j) ? "a non-integer number" : kind_of(j));
    return -1;
  }
  if (*out < lo || *out > hi) {
    err(r, at_key(p, where, key), "%lld is out of range [%lld, %lld]",
        (long long)*out, (long long)lo, (long long)hi);
    return -1;
  }
  return 1;
}

/* An array member (reported when missing and required, or mistyped). */
static const cJSON *array_member(reader *r, const cJSON *obj,
                                 const char *where, const char *key,
                                 bool required) {
  const cJSON *j = member(r, obj, where, key, required);
  if (j && !cJSON_IsArray(j)) {
    char p[PATH_MAX_LEN];
    err(r, at_key(p, where, key), "expected an array, got %s", kind_of(j));
    return NULL;
  }
  return j;
}

/* ----------------------------------------------------------- shapes */

/* Reads `shape` into t->rank/dims. sym (inputs only; NULL elsewhere)
 * receives the names of symbolic dims, whose dims are 1 placeholders. */
static bool parse_shape(reader *r, const cJSON *j, const char *where,
                        dlc_tensor *t, const char **sym) {
  if (!cJSON_IsArray(j)) {
    err(r, where, "expected an array of dimensions, got %s", kind_of(j));
    return false;
  }
  int rank = cJSON_GetArraySize(j);
  if (rank > DLC_MAX_RANK) {
    err(r, where, "rank %d exceeds the maximum rank %d", rank, DLC_MAX_RANK);
    return false;
  }
  t->rank = rank;
  bool ok = true;
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = j->child; c; c = c->next, i++) {
    int64_t v;
    t->dims[i] = 1;
    if (cJSON_IsString(c) && sym && c->valuestring[0]) {
      sym[i] = dlc_arena_strdup(r->g->arena, c->valuestring);
    } else if (cJSON_IsString(c) && sym) {
      err(r, at_index(p, where, i), "a symbolic dimension needs a name");
      ok = false;
    } else if (cJSON_IsString(c)) {
      err(r, at_index(p, where, i),
          "symbolic dimension '%s' is only allowed in graph inputs",
          shown(r, c->valuestring));
      ok = false;
    } else if (!json_to_i64(c, &v) || v < 1 ||
               c->valuedouble >= 9223372036854775808.0) {
      char got[32];
      snprintf(got, sizeof got, "%.17g", c->valuedouble);
      err(r, at_index(p, where, i),
          "expected a positive integer below 2^63%s, got %s",
          sym ? " or a symbolic name" : "", cJSON_IsNumber(c) ? got : kind_of(c));
      ok = false;
    } else {
      t->dims[i] = v;
    }
  }
  if (ok && dlc_tensor_numel(t) < 0) {
    err(r, where, "the element count of this shape overflows 64 bits");
    return false;
  }
  return ok;
}

/* Byte size of t, or 0 (reported) when it overflows 64 bits. */
static size_t tensor_bytes(reader *r, const dlc_tensor *t, const char *where) {
  int64_t n = dlc_tensor_numel(t);
  size_t es = dlc_dtype_size(t->dtype);
  if (n < 0 || (uint64_t)n > (uint64_t)INT64_MAX / es) {
    err(r, where, "the byte size of this tensor overflows 64 bits");
    return 0;
  }
  return (size_t)n * es;
}

/* --------------------------------------------------- inline `data` arrays */

/* Checks that arr nests exactly as dims[level..] (nested form). */
static bool check_nesting(reader *r, const cJSON *arr, const dlc_tensor *t,
                          int level, const char *where) {
  int n = cJSON_GetArraySize(arr);
  if (n != t->dims[level]) {
    char shape[128];
    err(r, where, "expected %lld items at nesting level %d of shape %s, got %d",
        (long long)t->dims[level], level, dlc_shape_str(t, shape, sizeof shape),
        n);
    return false;
  }
  if (level == t->rank - 1)
    return true; /* leaves are checked while converting */
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = arr->child; c; c = c->next, i++) {
    if (!cJSON_IsArray(c)) {
      err(r, at_index(p, where, i),
          "expected an array (data nested to shape), got %s", kind_of(c));
      return false;
    }
    if (!check_nesting(r, c, t, level + 1, at_index(p, where, i)))
      return false;
  }
  return true;
}

/* Decides flat (1 level) or nested (rank levels) and checks the count. */
static int data_levels(reader *r, const cJSON *arr, const dlc_tensor *t,
                       const char *where) {
  if (!cJSON_IsArray(arr)) {
    err(r, where, "expected an array, got %s", kind_of(arr));
    return 0;
  }
  bool nested = arr->child && cJSON_IsArray(arr->child);
  if (nested && t->rank < 2) {
    err(r, where, "data is nested but the tensor has rank %d", t->rank);
    return 0;
  }
  if (nested)
    return check_nesting(r, arr, t, 0, where) ? t->rank : 0;
  int64_t n = cJSON_GetArraySize(arr), want = dlc_tensor_numel(t);
  if (n != want) {
    char shape[128];
    err(r, where, "data has %lld elements but shape %s needs %lld",
        (long long)n, dlc_shape_str(t, shape, sizeof shape), (long long)want);
    return 0;
  }
  return 1;
}

/* Converts one JSON number to dtype at out; false (with a message in msg)
 * if it is not a number of that dtype. */
static bool convert_leaf(const reader *r, const cJSON *c, dlc_dtype dt,
                         void *out, char *msg, size_t size) {
  if (!cJSON_IsNumber(c)) {
    snprintf(msg, size, "expected a number, got %s", kind_of(c));
    return false;
  }
  double v = c->valuedouble;
  int64_t i = 0;
  bool overflow = false;
  /* Below FLT_MAX + half an ulp a value rounds to a finite float (and the
   * cast is defined): "3.40282347e+38" must still read as FLT_MAX. 65520 is
   * halfway between float16's largest value and 2^16. */
  double limit = dt == DLC_DT_FLOAT32 ? 3.4028235677973366e38 : 65520.0;
  if (dt == DLC_DT_FLOAT32 || dt == DLC_DT_FLOAT16) {
    if (!(fabs(v) < limit)) {
      snprintf(msg, size, "%g is out of %s range", v, dlc_dtype_name(dt));
      return false;
    }
    if (dt == DLC_DT_FLOAT32)
      *(float *)out = (float)v;
    else {
      uint16_t h = dlc_fe_f32_to_f16((float)v, &overflow);
      memcpy(out, &h, 2);
    }
    return true;
  }
  if (!exact_i64(r, c, &i)) {
    const number_text *t = number_of(r, c);
    if (t && t->integer)
      snprintf(msg, size, "%.*s is out of int64 range", t->len > 40 ? 40 : t->len,
               r->text + t->at);
    else
      snprintf(msg, size, "%s needs an integer, got %.17g", dlc_dtype_name(dt),
               v);
    return false;
  }
  int64_t lo = dt == DLC_DT_INT32 ? INT32_MIN : dt == DLC_DT_INT8 ? INT8_MIN
               : dt == DLC_DT_UINT8 ? 0 : INT64_MIN;
  int64_t hi = dt == DLC_DT_INT32 ? INT32_MAX : dt == DLC_DT_INT8 ? INT8_MAX
               : dt == DLC_DT_UINT8 ? UINT8_MAX : INT64_MAX;
  if (i < lo || i > hi) {
    snprintf(msg, size, "%lld is out of %s range", (long long)i,
             dlc_dtype_name(dt));
    return false;
  }
  switch (dt) {
  case DLC_DT_INT64: memcpy(out, &i, 8); break;
  case DLC_DT_INT32: *(int32_t *)out = (int32_t)i; break;
  case DLC_DT_INT8: *(int8_t *)out = (int8_t)i; break;
  default: *(uint8_t *)out = (uint8_t)i; break;
  }
  return true;
}

/* Walks the leaves in C order, converting into out; stops at the first bad
 * element (one message per tensor, not one per element). */
typedef struct data_walk {
  reader *r;
  const char *where;
  dlc_dtype dt;
  unsigned char *out;
  size_t es;
  int64_t pos;
  int64_t idx[DLC_MAX_RANK];
  bool bad;
} data_walk;

static void walk_leaves(data_walk *w, const cJSON *arr, int level,
                        int levels) {
  int64_t i = 0;
  for (const cJSON *c = arr->child; c && !w->bad; c = c->next, i++) {
    w->idx[level] = i;
    if (level + 1 < levels) {
      walk_leaves(w, c, level + 1, levels);
      continue;
    }
    char msg[128], p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    if (convert_leaf(w->r, c, w->dt, w->out + w->pos++ * w->es, msg,
                     sizeof msg))
      continue;
    snprintf(p, sizeof p, "%s", w->where);
    for (int k = 0; k <= level; k++)
      snprintf(p, sizeof p, "%s", at_index(q, p, w->idx[k]));
    err(w->r, p, "%s", msg);
    w->bad = true;
  }
}

static bool load_inline(reader *r, const cJSON *arr, dlc_tensor *t,
                        size_t nbytes, const char *where) {
  int levels = data_levels(r, arr, t, where);
  if (!levels)
    return false;
  data_walk w = {r, where, t->dtype, dlc_arena_alloc(r->g->arena, nbytes),
                 dlc_dtype_size(t->dtype), 0, {0}, false};
  walk_leaves(&w, arr, 0, levels);
  t->data = w.out;
  return !w.bad;
}

/* ------------------------------------------- base64 and buffer tensor data */

static bool load_base64(reader *r, const cJSON *j, dlc_tensor *t,
                        size_t nbytes, const char *where) {
  if (!cJSON_IsString(j)) {
    err(r, where, "expected a base64 string, got %s", kind_of(j));
    return false;
  }
  size_t len = strlen(j->valuestring), bad_at = 0, got = 0;
  int64_t n = dlc_base64_decoded_size(j->valuestring, len);
  if (n < 0) {
    err(r, where, "invalid base64: length %zu is not a multiple of 4", len);
    return false;
  }
  if ((uint64_t)n != nbytes) {
    char shape[128];
    err(r, where, "base64 data decodes to %lld bytes but %s %s needs %zu",
        (long long)n, dlc_dtype_name(t->dtype),
        dlc_shape_str(t, shape, sizeof shape), nbytes);
    return false;
  }
  t->data = dlc_arena_alloc(r->g->arena, nbytes);
  if (!dlc_base64_decode(j->valuestring, len, t->data, nbytes, &got,
                         &bad_at)) {
    err(r, where, "invalid base64 character at offset %zu", bad_at);
    return false;
  }
  return true;
}

static bool load_from_buffer(reader *r, const cJSON *obj, dlc_tensor *t,
                             size_t nbytes, const char *where) {
  int64_t index = 0, offset = 0;
  char p[PATH_MAX_LEN];
  if (int_member(r, obj, where, "buffer", true, 0, INT64_MAX, &index) != 1 ||
      int_member(r, obj, where, "offset", false, 0, INT64_MAX, &offset) < 0)
    return false;
  if (index >= r->n_bufs) {
    err(r, at_key(p, where, "buffer"), "buffer %lld does not exist (%d %s)",
        (long long)index, r->n_bufs, r->n_bufs == 1 ? "buffer" : "buffers");
    return false;
  }
  buffer *b = &r->bufs[index];
  if (!b->bytes)
    return false; /* the buffer's own problem is already reported */
  if ((uint64_t)offset > b->len || nbytes > b->len - (uint64_t)offset) {
    err(r, at_key(p, where, "offset"),
        "bytes %lld..%llu are outside buffer %lld ('%s', %zu bytes)",
        (long long)offset, (unsigned long long)offset + nbytes,
        (long long)index, shown(r, b->uri), b->len);
    return false;
  }
  t->data = dlc_arena_alloc(r->g->arena, nbytes);
  memcpy(t->data, b->bytes + offset, nbytes);
  return true;
}

/* ------------------------------------------------------------- tensors */

static const char *const initializer_keys[] = {
    "name", "dtype", "shape", "data", "data_base64", "buffer", "offset", NULL};
static const char *const attr_tensor_keys[] = {
    "dtype", "shape", "data", "data_base64", "buffer", "offset", NULL};

static bool parse_dtype(reader *r, const cJSON *obj, const char *where,
                        dlc_dtype *dt) {
  const char *s = string_member(r, obj, where, "dtype", true);
  if (!s)
    return false;
  *dt = dlc_dtype_from_name(s);
  if (*dt == DLC_DT_UNDEFINED) {
    char p[PATH_MAX_LEN];
    err(r, at_key(p, where, "dtype"),
        "unknown dtype '%s' (expected float32, int64, int32, float16, int8 "
        "or uint8)",
        shown(r, s));
    return false;
  }
  return true;
}

/* Reads exactly one of data, data_base64 or buffer(+offset). */
static bool parse_tensor_data(reader *r, const cJSON *obj, dlc_tensor *t,
                              bool typed, const char *where) {
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");
  const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(obj, "data_base64");
  const cJSON *buf = cJSON_GetObjectItemCaseSensitive(obj, "buffer");
  int forms = !!data + !!b64 + !!buf;
  char p[PATH_MAX_LEN];
  if (!buf && cJSON_GetObjectItemCaseSensitive(obj, "offset")) {
    err(r, at_key(p, where, "offset"), "offset given without buffer");
    return false;
  }
  if (forms != 1) {
    err(r, where, "%s",
        forms ? "give only one of data, data_base64 or buffer"
              : "no data: give one of data, data_base64 or buffer");
    return false;
  }
  if (!typed)
    return false;
  size_t nbytes = tensor_bytes(r, t, where);
  if (!nbytes)
    return false;
  if (data)
    return load_inline(r, data, t, nbytes, at_key(p, where, "data"));
  if (b64)
    return load_base64(r, b64, t, nbytes, at_key(p, where, "data_base64"));
  return load_from_buffer(r, obj, t, nbytes, where);
}

/* The body of a tensor object (initializer or TENSOR attribute; the caller
 * has checked its keys) into *t, with its data in the graph arena. */
static bool parse_tensor(reader *r, const cJSON *obj, const char *where,
                         dlc_tensor *t) {
  memset(t, 0, sizeof *t);
  bool ok = parse_dtype(r, obj, where, &t->dtype);
  const cJSON *shape = member(r, obj, where, "shape", true);
  char p[PATH_MAX_LEN];
  if (!shape || !parse_shape(r, shape, at_key(p, where, "shape"), t, NULL))
    ok = false;
  return parse_tensor_data(r, obj, t, ok, where) && ok;
}

/* ------------------------------------------------------------- buffers */

/* Relative, inside the model's directory: no absolute path, no "..". */
static bool check_uri(reader *r, const char *uri, const char *where) {
  if (!uri[0]) {
    err(r, where, "uri is empty");
    return false;
  }
  if (uri[0] == '/' || uri[0] == '\\' ||
      (isalpha((unsigned char)uri[0]) && uri[1] == ':')) {
    err(r, where, "absolute uri '%s' refused (uris are relative to the model)",
        shown(r, uri));
    return false;
  }
  for (const char *s = uri; *s;) {
    size_t n = strcspn(s, "/\\");
    if (n == 2 && s[0] == '.' && s[1] == '.') {
      err(r, where, "uri '%s' refused: it contains '..'", shown(r, uri));
      return false;
    }
    s += n + (s[n] != 0);
  }
  return true;
}

static bool check_sha256(reader *r, const buffer *b, const char *want,
                         const char *where) {
  bool hex = strlen(want) == 64;
  for (int i = 0; hex && i < 64; i++)
    hex = isxdigit((unsigned char)want[i]) != 0;
  if (!hex) {
    err(r, where, "sha256 must be 64 hexadecimal characters");
    return false;
  }
  char got[65];
  dlc_sha256_hex(b->bytes, b->len, got);
  for (int i = 0; i < 64; i++)
    if (tolower((unsigned char)want[i]) != got[i]) {
      err(r, where, "sha256 mismatch: '%s' hashes to %s, expected %s",
          shown(r, b->uri), got, shown(r, want));
      return false;
    }
  return true;
}

static const char *const buffer_keys[] = {"uri", "byte_length", "sha256",
                                          NULL};

static void load_buffer(reader *r, const cJSON *j, buffer *b,
                        const char *where) {
  char p[PATH_MAX_LEN];
  if (!check_object(r, j, where, buffer_keys))
    return;
  const char *uri = string_member(r, j, where, "uri", true);
  int64_t want = 0;
  int have_len =
      int_member(r, j, where, "byte_length", true, 0, INT64_MAX, &want);
  const char *sha = string_member(r, j, where, "sha256", false);
  if (!uri || !check_uri(r, uri, at_key(p, where, "uri")) || have_len != 1)
    return;
  if (!r->base_dir) {
    err(r, at_key(p, where, "uri"),
        "buffers cannot be resolved: the model was read without a directory");
    return;
  }
  uint64_t size = 0;
  const char *why = NULL;
  int fd = dlc_fe_open_inside(r->base_dir, uri, &size, &why);
  if (fd < 0) {
    err(r, at_key(p, where, "uri"), "cannot read '%s': %s", shown(r, uri),
        why);
    return;
  }
  /* A dependency of whatever is built from the model (dlc --depfile). */
  dlc_graph_add_source(r->g,
                       dlc_arena_printf(r->g->arena, "%s/%s", r->base_dir, uri));
  /* The length is compared before reading: a wrong one reads nothing. */
  if ((uint64_t)want != size) {
    err(r, at_key(p, where, "byte_length"),
        "byte_length is %lld but '%s' has %llu bytes", (long long)want,
        shown(r, uri), (unsigned long long)size);
    close(fd);
    return;
  }
  /* Held twice while it is read: the file's bytes, the initializers'. */
  char what[PATH_MAX_LEN + 64];
  snprintf(what, sizeof what, "with '%s' twice", shown(r, uri));
  if (!dlc_fe_budget_charge(r->budget, 2 * (int64_t)size, r->d, where,
                            what)) {
    r->errors++;
    close(fd);
    return;
  }
  int e = 0;
  b->uri = uri;
  b->bytes = dlc_fe_read_range(fd, 0, (size_t)size, &e);
  b->len = (size_t)size;
  close(fd);
  if (!b->bytes)
    err(r, at_key(p, where, "uri"), "cannot read '%s': %s", shown(r, uri),
        strerror(e));
  else if (sha && !check_sha256(r, b, sha, at_key(p, where, "sha256"))) {
    free(b->bytes); /* unusable: later references fail quietly */
    b->bytes = NULL;
  }
}

static void load_buffers(reader *r, const cJSON *root) {
  const cJSON *arr = array_member(r, root, "", "buffers", false);
  if (!arr)
    return;
  r->n_bufs = cJSON_GetArraySize(arr);
  r->bufs = calloc((size_t)r->n_bufs + 1, sizeof *r->bufs);
  DLC_ASSERT(r->bufs != NULL);
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = arr->child; c; c = c->next, i++)
    load_buffer(r, c, &r->bufs[i], at_index(p, "buffers", i));
}

/* --------------------------------------------- inputs and initializers */

/* A value name: a non-empty string. */
static const char *value_name(reader *r, const cJSON *obj, const char *where) {
  const char *name = string_member(r, obj, where, "name", true);
  if (name && !name[0]) {
    char p[PATH_MAX_LEN];
    err(r, at_key(p, where, "name"), "name is empty");
    return NULL;
  }
  return name;
}

static void defined_twice(reader *r, const char *where, const char *name) {
  char p[PATH_MAX_LEN];
  err(r, at_key(p, where, "name"), "value '%s' is defined twice",
      shown(r, name));
}

static const char *const input_keys[] = {"name", "dtype", "shape", NULL};

static void parse_input(reader *r, const cJSON *j, const char *where) {
  if (!check_object(r, j, where, input_keys))
    return;
  const char *name = value_name(r, j, where);
  dlc_tensor t = {0};
  const char *sym[DLC_MAX_RANK] = {0};
  parse_dtype(r, j, where, &t.dtype);
  const cJSON *shape = member(r, j, where, "shape", true);
  char p[PATH_MAX_LEN];
  if (shape)
    parse_shape(r, shape, at_key(p, where, "shape"), &t, sym);
  if (!name)
    return;
  /* Defined even when its type is bad (the graph is discarded anyway), so
   * that its users do not add "never defined" errors of their own. */
  dlc_value *v = dlc_graph_add_input(r->g, name, &t);
  if (!v)
    return defined_twice(r, where, name);
  memcpy(v->sym, sym, sizeof sym);
}

static void parse_initializer(reader *r, const cJSON *j, const char *where) {
  if (!check_object(r, j, where, initializer_keys))
    return;
  const char *name = value_name(r, j, where);
  /* Messages about the tensor name it as well as its place:
   * "initializers[1] 'b_conv_alpha'.data: ...". */
  char named[PATH_MAX_LEN];
  bool fits = name && (size_t)snprintf(named, sizeof named, "%s '%s'", where,
                                       shown(r, name)) < sizeof named;
  dlc_tensor t;
  parse_tensor(r, j, fits ? named : where, &t);
  if (!name)
    return;
  /* The data already lives in the arena: make the value around it rather
   * than copy it again through dlc_graph_add_initializer. Defined even when
   * the tensor is bad, as for inputs. */
  dlc_value *v = dlc_graph_add_value(r->g, name, DLC_VALUE_INITIALIZER);
  if (!v)
    return defined_twice(r, where, name);
  v->type = t;
  dlc_vec_push(&r->g->initializers, v);
}

static void parse_list(reader *r, const cJSON *root, const char *key,
                       bool required,
                       void (*each)(reader *, const cJSON *, const char *)) {
  const cJSON *arr = array_member(r, root, "", key, required);
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++)
    each(r, c, at_index(p, key, i));
}

/* ---------------------------------------------------------- attributes */

/* A JSON array of n items of one kind into arena storage. */
static bool parse_attr_list(reader *r, const cJSON *j, dlc_attr *a,
                            const char *where) {
  if (!cJSON_IsArray(j)) {
    err(r, where, "attribute '%s' must be a list of %s, got %s",
        shown(r, a->name), dlc_attr_kind_name(a->kind), kind_of(j));
    return false;
  }
  a->n = cJSON_GetArraySize(j);
  dlc_arena *ar = r->g->arena;
  size_t n1 = (size_t)a->n + 1;
  a->ints = a->kind == DLC_ATTR_INTS ? dlc_arena_alloc(ar, 8 * n1) : NULL;
  a->floats = a->kind == DLC_ATTR_FLOATS ? dlc_arena_alloc(ar, 8 * n1) : NULL;
  a->strings = a->kind == DLC_ATTR_STRINGS
                   ? dlc_arena_alloc(ar, sizeof(char *) * n1)
                   : NULL;
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = j->child; c; c = c->next, i++) {
    bool ok = a->kind == DLC_ATTR_INTS      ? json_to_i64(c, &a->ints[i])
              : a->kind == DLC_ATTR_FLOATS ? cJSON_IsNumber(c)
                                           : cJSON_IsString(c);
    if (!ok) {
      err(r, at_index(p, where, i), "attribute '%s' must be a list of %s, "
          "got %s at this position", shown(r, a->name),
          dlc_attr_kind_name(a->kind),
          cJSON_IsNumber(c) ? "a non-integer number" : kind_of(c));
      return false;
    }
    if (a->kind == DLC_ATTR_FLOATS)
      a->floats[i] = c->valuedouble;
    if (a->kind == DLC_ATTR_STRINGS)
      a->strings[i] = dlc_arena_strdup(ar, c->valuestring);
  }
  return true;
}

/* One attribute value against its schema kind. An integer is accepted where
 * a float is expected (JSON writers drop ".0"), likewise in lists. */
static bool parse_attr_value(reader *r, const cJSON *j, dlc_attr *a,
                             const char *where) {
  const char *want = NULL;
  switch (a->kind) {
  case DLC_ATTR_INT:
    if (json_to_i64(j, &a->i))
      return true;
    want = "an integer";
    break;
  case DLC_ATTR_FLOAT:
    if (cJSON_IsNumber(j)) {
      a->f = j->valuedouble;
      return true;
    }
    want = "a number";
    break;
  case DLC_ATTR_STRING:
    if (cJSON_IsString(j)) {
      a->s = dlc_arena_strdup(r->g->arena, j->valuestring);
      return true;
    }
    want = "a string";
    break;
  case DLC_ATTR_TENSOR:
    return check_object(r, j, where, attr_tensor_keys) &&
           parse_tensor(r, j, where, &a->tensor);
  default:
    return parse_attr_list(r, j, a, where);
  }
  err(r, where, "attribute '%s' must be %s, got %s", shown(r, a->name), want,
      cJSON_IsNumber(j) ? "a non-integer number" : kind_of(j));
  return false;
}

/* Reads `attrs` into an arena array; op may be unknown (then only the
 * object's shape is checked, the unknown op being reported already). */
static bool parse_attrs(reader *r, const cJSON *j, dlc_op op,
                        const char *where, dlc_attr **out, int *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!j)
    return true;
  if (!check_object(r, j, where, NULL))
    return false;
  int n = cJSON_GetArraySize(j);
  dlc_attr *attrs = dlc_arena_alloc(r->g->arena, sizeof(dlc_attr) * (n + 1));
  bool ok = true;
  char p[PATH_MAX_LEN];
  int k = 0;
  for (const cJSON *c = j->child; c && op != DLC_OP_UNKNOWN; c = c->next) {
    const dlc_attr_schema *s = dlc_op_find_attr_schema(op, c->string);
    if (!s) {
      err(r, at_key(p, where, c->string), "operator %s has no attribute '%s'",
          dlc_op_name(op), shown(r, c->string));
      ok = false;
      continue;
    }
    dlc_attr *a = &attrs[k++];
    a->name = dlc_arena_strdup(r->g->arena, c->string);
    a->kind = s->kind;
    ok = parse_attr_value(r, c, a, at_key(p, where, c->string)) && ok;
  }
  *out = attrs;
  *n_out = k;
  return ok && op != DLC_OP_UNKNOWN;
}

/* --------------------------------------------------------------- nodes */

/* What pass 1 learns about a node, for pass 2. */
typedef struct node_info {
  const char *name;
  dlc_op op;
  bool ok;
  int n_outputs;
  dlc_value **outputs;
} node_info;

static const char *const node_keys[] = {"name",  "op",     "inputs", "outputs",
                                        "attrs", "domain", "doc",    NULL};

/* Node name, op and domain; false (reported) if unusable. */
static bool parse_node_head(reader *r, const cJSON *j, const char *where,
                            dlc_strset *names, node_info *ni) {
  char p[PATH_MAX_LEN];
  ni->op = DLC_OP_UNKNOWN;
  const char *name = string_member(r, j, where, "name", true);
  const char *op = string_member(r, j, where, "op", true);
  const char *domain = string_member(r, j, where, "domain", false);
  bool ok = name && op;
  if (name && !name[0]) {
    err(r, at_key(p, where, "name"), "node name is empty");
    ok = false;
  } else if (name && !dlc_strset_add(names, name)) {
    err(r, at_key(p, where, "name"), "node name '%s' is used twice",
        shown(r, name));
    ok = false;
  }
  ni->name = name ? name : "?";
  if (domain && strcmp(domain, "") != 0 && strcmp(domain, "dlc") != 0) {
    err(r, at_key(p, where, "domain"),
        "node '%s': unknown domain '%s' (expected \"\" or \"dlc\")",
        shown(r, ni->name), shown(r, domain));
    return false;
  }
  if (op && (ni->op = dlc_op_from_name(op, domain)) == DLC_OP_UNKNOWN) {
    err(r, at_key(p, where, "op"), "node '%s': unknown operator '%s'%s",
        shown(r, ni->name), shown(r, op),
        domain && domain[0] ? " in domain 'dlc'" : "");
    ok = false;
  }
  return ok;
}

/* Checks that arr is a list of strings whose length fits the op's arity. */
static bool check_names(reader *r, const cJSON *arr, const node_info *ni,
                        const char *where, int lo, int hi, const char *what) {
  if (!arr)
    return false;
  char p[PATH_MAX_LEN];
  int n = 0;
  bool ok = true;
  for (const cJSON *c = arr->child; c; c = c->next, n++)
    if (!cJSON_IsString(c)) {
      err(r, at_index(p, where, n), "expected a value name, got %s",
          kind_of(c));
      ok = false;
    }
  if (ni->op != DLC_OP_UNKNOWN && (n < lo || n > hi)) {
    char range[48];
    if (lo == hi)
      snprintf(range, sizeof range, "%d", lo);
    else if (hi == DLC_VARIADIC && n < lo)
      snprintf(range, sizeof range, "at least %d", lo);
    else if (hi == DLC_VARIADIC) /* "any number" has a limit too */
      snprintf(range, sizeof range, "at most %d", hi);
    else
      snprintf(range, sizeof range, "%d to %d", lo, hi);
    err(r, where, "node '%s' (%s) takes %s %s, got %d", shown(r, ni->name),
        dlc_op_name(ni->op), range, what, n);
    ok = false;
  }
  return ok;
}

/* Pass 1: validate the node's keys and define its output values. */
static void node_pass1(reader *r, const cJSON *j, const char *where,
                       dlc_strset *names, node_info *ni) {
  memset(ni, 0, sizeof *ni);
  ni->op = DLC_OP_UNKNOWN;
  ni->name = "?";
  if (!check_object(r, j, where, node_keys))
    return;
  bool ok = parse_node_head(r, j, where, names, ni);
  const dlc_op_info *info =
      ni->op != DLC_OP_UNKNOWN ? dlc_op_get_info(ni->op) : NULL;
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  const cJSON *ins = array_member(r, j, where, "inputs", true);
  const cJSON *outs = array_member(r, j, where, "outputs", true);
  ok = check_names(r, ins, ni, at_key(q, where, "inputs"),
                   info ? info->min_inputs : 0, info ? info->max_inputs : 0,
                   "inputs") && ok;
  at_key(p, where, "outputs"); /* p: the outputs' path from here on */
  ok = check_names(r, outs, ni, p,
                   info ? info->min_outputs : 0, info ? info->max_outputs : 0,
                   "outputs") && ok;
  string_member(r, j, where, "doc", false);
  if (!outs)
    return;
  ni->n_outputs = cJSON_GetArraySize(outs);
  ni->outputs =
      dlc_arena_alloc(r->g->arena, sizeof(dlc_value *) * (ni->n_outputs + 1));
  int k = 0;
  for (const cJSON *c = outs->child; c; c = c->next, k++) {
    if (!cJSON_IsString(c))
      continue;
    at_index(q, p, k);
    if (!c->valuestring[0]) {
      err(r, q, "node '%s': output name is empty", shown(r, ni->name));
      ok = false;
    } else if (!(ni->outputs[k] = dlc_graph_add_value(
                     r->g, c->valuestring, DLC_VALUE_NODE))) {
      err(r, q, "node '%s': value '%s' is defined twice", shown(r, ni->name),
          shown(r, c->valuestring));
      ok = false;
    }
  }
  ni->ok = ok;
}

/* Pass 2: resolve inputs and attributes, then add the node. */
static void node_pass2(reader *r, const cJSON *j, const char *where,
                       node_info *ni) {
  if (!cJSON_IsObject(j))
    return;
  char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
  const cJSON *ins = cJSON_GetObjectItemCaseSensitive(j, "inputs");
  int n_in = cJSON_IsArray(ins) ? cJSON_GetArraySize(ins) : 0;
  dlc_value **in = dlc_arena_alloc(r->g->arena, sizeof(dlc_value *) * (n_in + 1));
  bool ok = ni->ok;
  int k = 0;
  for (const cJSON *c = n_in ? ins->child : NULL; c; c = c->next, k++) {
    if (!cJSON_IsString(c) || !c->valuestring[0])
      continue; /* mistyped: reported in pass 1; "": omitted input */
    in[k] = dlc_graph_find_value(r->g, c->valuestring);
    if (!in[k]) {
      err(r, at_index(q, at_key(p, where, "inputs"), k),
          "node '%s' uses value '%s', which is never defined",
          shown(r, ni->name), shown(r, c->valuestring));
      ok = false;
    }
  }
  dlc_attr *attrs;
  int n_attrs;
  const cJSON *aj = cJSON_GetObjectItemCaseSensitive(j, "attrs");
  ok = parse_attrs(r, aj, ni->op, at_key(p, where, "attrs"), &attrs,
                   &n_attrs) && ok;
  if (!ok || r->errors)
    return; /* the graph will be discarded: do not half-build it */
  dlc_node *n = dlc_graph_add_node(r->g, ni->name, ni->op, n_in, in,
                                   ni->n_outputs, ni->outputs);
  n->attrs = attrs;
  n->n_attrs = n_attrs;
  const cJSON *doc = cJSON_GetObjectItemCaseSensitive(j, "doc");
  if (cJSON_IsString(doc))
    n->doc = dlc_arena_strdup(r->g->arena, doc->valuestring);
}

static void parse_nodes(reader *r, const cJSON *root) {
  const cJSON *arr = array_member(r, root, "", "nodes", true);
  if (!arr)
    return;
  int n = cJSON_GetArraySize(arr);
  node_info *info = calloc((size_t)n + 1, sizeof *info);
  DLC_ASSERT(info != NULL);
  dlc_strset names = {0};
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = arr->child; c; c = c->next, i++)
    node_pass1(r, c, at_index(p, "nodes", i), &names, &info[i]);
  i = 0;
  for (const cJSON *c = arr->child; c; c = c->next, i++)
    node_pass2(r, c, at_index(p, "nodes", i), &info[i]);
  dlc_strset_free(&names);
  free(info);
}

/* ------------------------------------------------------------ outputs */

static void parse_output(reader *r, const cJSON *j, const char *where) {
  static const char *const keys[] = {"name", NULL};
  if (!check_object(r, j, where, keys))
    return;
  const char *name = value_name(r, j, where);
  if (!name)
    return;
  char p[PATH_MAX_LEN];
  dlc_value *v = dlc_graph_find_value(r->g, name);
  if (!v) {
    err(r, at_key(p, where, "name"),
        "output '%s' is not defined by any input, initializer or node",
        shown(r, name));
  } else if (v->is_output) {
    err(r, at_key(p, where, "name"), "output '%s' is listed twice",
        shown(r, name));
  } else {
    v->is_output = true;
    dlc_vec_push(&r->g->outputs, v);
  }
}

static void parse_outputs(reader *r, const cJSON *root) {
  const cJSON *arr = array_member(r, root, "", "outputs", true);
  if (arr && !arr->child)
    err(r, "outputs", "the outputs list is empty: a model must have an output");
  char p[PATH_MAX_LEN];
  int i = 0;
  for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++)
    parse_output(r, c, at_index(p, "outputs", i));
}

/* ------------------------------------------------------ the document */

static const char *const top_keys[] = {
    "format", "version", "name", "buffers", "inputs", "outputs",
    "initializers", "nodes", "doc", "metadata", NULL};

/* format and version: when they are wrong nothing else is worth reading. */
static bool parse_header(reader *r, const cJSON *root) {
  int before = r->errors;
  const char *fmt = string_member(r, root, "", "format", true);
  if (fmt && strcmp(fmt, "dlc-graph") != 0)
    err(r, "format", "expected \"dlc-graph\", got '%s'", shown(r, fmt));
  int64_t version = 0;
  const cJSON *v = member(r, root, "", "version", true);
  if (v && (!json_to_i64(v, &version) || version != 1)) {
    if (cJSON_IsNumber(v))
      err(r, "version", "unsupported version %g (this reader knows 1)",
          v->valuedouble);
    else
      err(r, "version", "expected the integer 1, got %s", kind_of(v));
  }
  return fmt && v && r->errors == before;
}

static void parse_doc_and_metadata(reader *r, const cJSON *root) {
  dlc_graph *g = r->g;
  const char *name = string_member(r, root, "", "name", false);
  const char *doc = string_member(r, root, "", "doc", false);
  g->name = name ? dlc_arena_strdup(g->arena, name) : NULL;
  g->doc = doc ? dlc_arena_strdup(g->arena, doc) : NULL;
  const cJSON *md = member(r, root, "", "metadata", false);
  if (!md || !check_object(r, md, "metadata", NULL))
    return;
  char p[PATH_MAX_LEN];
  for (const cJSON *c = md->child; c; c = c->next) {
    if (!cJSON_IsString(c)) {
      err(r, at_key(p, "metadata", c->string), "expected a string, got %s",
          kind_of(c));
      continue;
    }
    dlc_vec_push(&g->metadata, dlc_arena_strdup(g->arena, c->string));
    dlc_vec_push(&g->metadata, dlc_arena_strdup(g->arena, c->valuestring));
  }
}

static void read_document(reader *r, const cJSON *root) {
  if (!cJSON_IsObject(root)) {
    err(r, NULL, "expected a JSON object at the top level, got %s",
        kind_of(root));
    return;
  }
  check_object(r, root, "", top_keys);
  if (!parse_header(r, root))
    return;
  parse_doc_and_metadata(r, root);
  load_buffers(r, root);
  parse_list(r, root, "inputs", true, parse_input);
  parse_list(r, root, "initializers", false, parse_initializer);
  parse_nodes(r, root);
  parse_outputs(r, root);
}

/* ------------------------------------------------------ malformed JSON */

/* Reports "FILE:LINE:COL: ..." (the diag's usual "FILE: WHERE:" would put a
 * space inside the location that editors and tests look for): the file name
 * is swapped for the location while the one message is formatted. */
static void report_syntax(reader *r, const char *text, size_t len,
                          size_t pos, const char *what) {
  int line = 1, col = 1;
  for (size_t i = 0; i < pos && i < len; i++, col++)
    if (text[i] == '\n')
      line++, col = 0;
  char loc[PATH_MAX_LEN + 32], near[8] = "";
  const char *file = r->d && r->d->file ? r->d->file : "<string>";
  snprintf(loc, sizeof loc, "%.*s:%d:%d", PATH_MAX_LEN, file, line, col);
  if (pos < len && text[pos] >= 0x20 && text[pos] < 0x7f)
    snprintf(near, sizeof near, " '%c'", text[pos]);
  if (r->d) {
    const char *saved = r->d->file;
    r->d->file = loc;
    dlc_diag_error(r->d, NULL, "malformed JSON: %s%s", what, near);
    r->d->file = saved;
  }
  r->errors++;
}

/* cJSON refuses documents nested deeper than CJSON_NESTING_LIMIT without
 * saying why: count the depth at the failure point to tell the user. */
static int depth_at(const char *text, size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < pos; i++) {
    char c = text[i];
    if (in_string && c == '\\')
      i++;
    else if (c == '"')
      in_string = !in_string;
    else if (!in_string && (c == '[' || c == '{'))
      depth++;
    else if (!in_string && (c == ']' || c == '}'))
      depth--;
  }
  return depth;
}

/* Length of the UTF-8 sequence at p (< end), 0 if invalid: overlong forms,
 * surrogates and code points beyond U+10FFFF are invalid too (RFC 3629). */
static size_t utf8_length(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
             : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (!n || (size_t)(end - p) < n)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
      (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
    return 0;
  return n;
}

/* One number token at text + at: its exact integer value when it is one. */
static number_text read_number(const char *text, size_t at, size_t len) {
  number_text t = {.at = at};
  size_t e = at;
  while (e < len && strchr("0123456789+-.eE", text[e]) && text[e])
    e++;
  t.len = (int)(e - at);
  t.integer = strcspn(text + at, ".eE") >= (size_t)t.len;
  if (t.integer) {
    char *stop = NULL;
    errno = 0;
    long long v = strtoll(text + at, &stop, 10);
    t.range = errno != ERANGE && stop == text + e;
    t.i = v;
  }
  return t;
}

/* Before cJSON sees the text: every byte is valid UTF-8 and not NUL (JSON
 * text is UTF-8; cJSON checks neither), and the numbers are recorded as
 * written. False after a located report. */
static bool scan_text(reader *r, const char *text, size_t len) {
  const unsigned char *u = (const unsigned char *)text, *end = u + len;
  bool in_string = false;
  for (size_t i = 0; i < len;) {
    size_t n = u[i] ? utf8_length(u + i, end) : 0;
    if (!n) {
      report_syntax(r, text, len, i, u[i] ? "invalid UTF-8" : "a NUL byte");
      return false;
    }
    char c = text[i];
    if (in_string && c == '\\' && i + 1 < len && text[i + 1]) {
      i += 2;
      continue;
    }
    if (c == '"')
      in_string = !in_string;
    else if (!in_string && (c == '-' || (c >= '0' && c <= '9'))) {
      number_text t = read_number(text, i, len);
      dlc_vec_push(&r->numbers, t);
      i += (size_t)t.len;
      continue;
    }
    i += n;
  }
  return true;
}

/* The memory a document will take once parsed, estimated from its text
 * alone (before cJSON allocates anything): the text twice (the file, the
 * reader's copy) and once more for decoded base64; one cJSON item (72
 * bytes measured with its malloc overhead) per value, which is a ',', '['
 * or '{' outside strings, plus one; and per node (a key "op") 1,280 bytes,
 * what `dlc check` measured per node of 100,000- and 1,000,000-node chains
 * once the items are counted (graph arena, consumer lists, schedule). */
enum { JSON_ITEM_BYTES = 72, JSON_NODE_BYTES = 1280 };

static int64_t estimate_json(const char *text, size_t len, int64_t *nodes) {
  int64_t items = 1;
  *nodes = 0;
  bool in_string = false;
  size_t string_at = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string && c == '\\') {
      i++;
    } else if (c == '"') {
      /* "op" as a value, not a key, overcounts: an estimate may */
      if (in_string && i - string_at == 3 &&
          !memcmp(text + string_at, "\"op", 3))
        ++*nodes;
      in_string = !in_string;
      string_at = i;
    } else if (!in_string && (c == ',' || c == '[' || c == '{')) {
      items++;
    }
  }
  return 3 * (int64_t)len + JSON_ITEM_BYTES * items + JSON_NODE_BYTES * *nodes;
}

static bool within_budget(reader *r, const char *text, size_t len) {
  int64_t nodes = 0, bytes = estimate_json(text, len, &nodes);
  char what[64];
  snprintf(what, sizeof what, "%lld nodes in %zu bytes of JSON",
           (long long)nodes, len);
  if (dlc_fe_budget_charge(r->budget, bytes, r->d, NULL, what))
    return true;
  r->errors++;
  return false;
}

/* Numbers are numbered in document order, which is cJSON's pre-order;
 * valueint (saturated, unused elsewhere) holds the index. */
static void index_numbers(cJSON *j, size_t *k) {
  for (; j; j = j->next) {
    if (cJSON_IsNumber(j))
      j->valueint = (int)(*k)++;
    index_numbers(j->child, k);
  }
}

/* cJSON says only that parsing stopped, which on a failed allocation would
 * read as a syntax error at that point: its allocations go through this
 * hook, which remembers a failure (per thread; cJSON's hooks are global,
 * set once). */
static _Thread_local bool cjson_out_of_memory;

static void *cjson_malloc(size_t n) {
  void *p = malloc(n);
  cjson_out_of_memory |= p == NULL;
  return p;
}

static void cjson_free(void *p) { free(p); }

static void install_cjson_hooks(void) {
  cJSON_Hooks h = {cjson_malloc, cjson_free};
  cJSON_InitHooks(&h);
}

static once_flag cjson_hooks_once = ONCE_FLAG_INIT;

static void report_parse_failure(reader *r, const char *copy, size_t len,
                                 size_t pos) {
  bool empty = strspn(copy, " \t\r\n") == len;
  if (cjson_out_of_memory)
    err(r, NULL, "out of memory while parsing the JSON document (%zu bytes)",
        len);
  else
    report_syntax(r, copy, len, pos,
                  empty ? "the document is empty"
                  : pos >= len ? "unexpected end of input"
                  : depth_at(copy, pos) >= CJSON_NESTING_LIMIT
                      ? "arrays and objects nested too deeply"
                      : "unexpected character");
}

static cJSON *parse_json(reader *r, const char *text, size_t len) {
  /* cJSON wants a terminator it can stop at; copy so that text need not
   * have one. The copy lives as long as the reader: number_text points
   * into it. */
  char *copy = malloc(len + 1);
  DLC_ASSERT(copy != NULL);
  memcpy(copy, text, len);
  copy[len] = 0;
  r->text = copy;
  if (!scan_text(r, copy, len))
    return NULL;
  const char *end = NULL;
  call_once(&cjson_hooks_once, install_cjson_hooks);
  cjson_out_of_memory = false;
  cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, false);
  size_t pos = end ? (size_t)(end - copy) : 0;
  if (!root) {
    report_parse_failure(r, copy, len, pos);
  } else {
    while (pos < len && copy[pos] && strchr(" \t\r\n", copy[pos]))
      pos++;
    if (pos < len) {
      report_syntax(r, copy, len, pos, "unexpected content after the document");
      cJSON_Delete(root);
      root = NULL;
    }
  }
  size_t k = 0;
  if (root)
    index_numbers(root, &k);
  if (k != r->numbers.n || k > INT_MAX) /* cannot happen; doubles then */
    r->numbers.n = 0;
  return root;
}

/* -------------------------------------------------------- entry point */

static dlc_status finish_graph(reader *r) {
  dlc_status st = dlc_graph_sort(r->g, r->d);
  if (st == DLC_OK)
    st = dlc_graph_infer_shapes(r->g, NULL, 0, r->d);
  if (st == DLC_OK)
    st = dlc_graph_verify(r->g, r->d);
  return st;
}

dlc_status dlc_fe_json_read(const char *text, size_t len, const char *base_dir,
                            dlc_fe_budget *budget, dlc_graph **out,
                            dlc_diag *d) {
  reader r = {.g = dlc_graph_create(), .d = d, .base_dir = base_dir,
              .budget = budget};
  *out = NULL;
  cJSON *root = !budget || within_budget(&r, text, len)
                    ? parse_json(&r, text, len)
                    : NULL;
  if (root)
    read_document(&r, root);
  cJSON_Delete(root);
  free(r.text);
  dlc_vec_free(&r.numbers);
  for (int i = 0; i < r.n_bufs; i++)
    free(r.bufs[i].bytes);
  free(r.bufs);
  dlc_status st = r.errors ? DLC_ERR_INVALID : finish_graph(&r);
  if (st != DLC_OK) {
    dlc_graph_destroy(r.g);
    return st;
  }
  *out = r.g;
  return DLC_OK;
}

dlc_status dlc_json_read_string(const char *text, size_t len,
                                const char *base_dir, dlc_graph **out,
                                dlc_diag *d) {
  return dlc_fe_json_read(text, len, base_dir, NULL, out, d);
}
