/* npy.c — the .npy reader and writer (see npy.h for what is supported).
 *
 * A .npy file is: the magic "\x93NUMPY", a major and minor version byte, the
 * header length (2 bytes little-endian in version 1.0, 4 bytes in 2.0/3.0),
 * the header (a Python dict literal such as
 * "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" padded with
 * spaces and a newline), then the raw data. The header is untrusted input:
 * it is parsed by a small hand-written scanner, and every size it claims is
 * checked against the file's real size before anything is allocated. */
#include "npy/npy.h"
#include "ir/outfiles.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host (data is copied without swapping)"
#endif

enum {
  NPY_MAGIC_LEN = 6,
  NPY_MAX_HEADER = 1 << 20, /* numpy itself refuses headers above 10 KiB */
};
static const char NPY_MAGIC[NPY_MAGIC_LEN] = "\x93NUMPY";

/* Reports a problem about the file at path, whatever file d is about: the
 * diagnostics format the "FILE:" prefix when the message is added. */
static void npy_error(dlc_diag *d, const char *path, const char *where,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void npy_error(dlc_diag *d, const char *path, const char *where,
                      const char *fmt, ...) {
  if (!d)
    return;
  const char *saved = d->file;
  d->file = path;
  va_list ap;
  va_start(ap, fmt);
  dlc_diag_verror(d, where, fmt, ap);
  va_end(ap);
  d->file = saved;
}

/* ------------------------------------------------------------ dtypes */

typedef struct npy_dtype {
  const char *descr;
  dlc_dtype dtype;
} npy_dtype;

/* The first entry for a dtype is the spelling the writer uses. */
static const npy_dtype NPY_DTYPES[] = {
    {"<f4", DLC_DT_FLOAT32}, {"<i8", DLC_DT_INT64}, {"<i4", DLC_DT_INT32},
    {"<f2", DLC_DT_FLOAT16}, {"|u1", DLC_DT_UINT8}, {"|i1", DLC_DT_INT8},
    {"|b1", DLC_DT_UINT8}, /* bool: one byte, 0 or 1 */
};
#define NPY_N_DTYPES (sizeof NPY_DTYPES / sizeof NPY_DTYPES[0])
#define NPY_SUPPORTED "<f4, <i8, <i4, <f2, |u1, |i1, |b1"

static const char *npy_descr_of(dlc_dtype t) {
  for (size_t i = 0; i < NPY_N_DTYPES; i++)
    if (NPY_DTYPES[i].dtype == t)
      return NPY_DTYPES[i].descr;
  return NULL;
}

/* ------------------------------------------------------- header parser */

/* What the header dict says, and where the scanner stands. */
typedef struct npy_header {
  const char *begin, *p, *end;
  char descr[32];
  bool fortran_order;
  int rank;
  int64_t dims[DLC_MAX_RANK];
  bool seen_descr, seen_fortran, seen_shape;
  char error[256]; /* first problem found; empty while all is well */
} npy_header;

static bool hdr_fail(npy_header *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool hdr_fail(npy_header *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->error, sizeof h->error, fmt, ap);
  va_end(ap);
  return false;
}

static void hdr_skip_ws(npy_header *h) {
  while (h->p < h->end &&
         (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
    h->p++;
}

static bool hdr_expect(npy_header *h, char c) {
  hdr_skip_ws(h);
  if (h->p >= h->end)
    return hdr_fail(h, "expected '%c' but the header ends", c);
  unsigned char got = (unsigned char)*h->p;
  if (got != (unsigned char)c)
    return got >= 0x20 && got < 0x7f
               ? hdr_fail(h, "expected '%c' at offset %td, found '%c'", c,
                          h->p - h->begin, got)
               : hdr_fail(h, "expected '%c' at offset %td, found byte 0x%02x",
                          c, h->p - h->begin, got);
  h->p++;
  return true;
}

/* A Python string literal in single or double quotes, without escapes
 * (numpy never writes any in the keys and dtypes we accept). */
static bool hdr_string(npy_header *h, char *buf, size_t cap) {
  hdr_skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
    return hdr_fail(h, "expected a quoted string");
  char q = *h->p++;
  size_t n = 0;
  while (h->p < h->end && *h->p != q) {
    if (*h->p == '\\' || *h->p == '\n')
      return hdr_fail(h, "unsupported character in a string");
    if (n + 1 >= cap)
      return hdr_fail(h, "string too long");
    buf[n++] = *h->p++;
  }
  if (h->p >= h->end)
    return hdr_fail(h, "unterminated string");
  h->p++;
  buf[n] = '\0';
  return true;
}

static bool hdr_word(npy_header *h, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
    h->p += n;
    return true;
  }
  return false;
}

static bool hdr_bool(npy_header *h, bool *out) {
  hdr_skip_ws(h);
  if (hdr_word(h, "True"))
    *out = true;
  else if (hdr_word(h, "False"))
    *out = false;
  else
    return hdr_fail(h, "'fortran_order' must be True or False");
  return true;
}

/* One non-negative dimension; Python 2 files may end it with 'L'. */
static bool hdr_dim(npy_header *h, int64_t *out) {
  hdr_skip_ws(h);
  if (h->p < h->end && *h->p == '-')
    return hdr_fail(h, "negative dimension in 'shape'");
  if (h->p >= h->end || *h->p < '0' || *h->p > '9')
    return hdr_fail(h, "'shape' must be a tuple of integers");
  int64_t v = 0;
  while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
    int digit = *h->p++ - '0';
    if (v > (INT64_MAX - digit) / 10)
      return hdr_fail(h, "dimension in 'shape' does not fit in 64 bits");
    v = v * 10 + digit;
  }
  if (h->p < h->end && *h->p == 'L')
    h->p++;
  *out = v;
  return true;
}

/* "()", "(5,)", "(2, 3)", also "(5)" and a trailing comma. */
static bool hdr_shape(npy_header *h) {
  if (!hdr_expect(h, '('))
    return false;
  h->rank = 0;
  for (;;) {
    hdr_skip_ws(h);
    if (h->p < h->end && *h->p == ')')
      break;
    if (h->rank == DLC_MAX_RANK)
      return hdr_fail(h, "'shape' has more than %d dimensions", DLC_MAX_RANK);
    if (!hdr_dim(h, &h->dims[h->rank]))
      return false;
    h->rank++;
    hdr_skip_ws(h);
    if (h->p < h->end && *h->p == ',')
      h->p++;
    else if (h->p < h->end && *h->p != ')')
      return hdr_fail(h, "expected ',' or ')' in 'shape'");
  }
  h->p++;
  return true;
}

static bool hdr_value(npy_header *h, const char *key) {
  bool *seen = !strcmp(key, "descr")           ? &h->seen_descr
               : !strcmp(key, "fortran_order") ? &h->seen_fortran
               : !strcmp(key, "shape")         ? &h->seen_shape
                                               : NULL;
  if (!seen)
    return hdr_fail(h, "unknown key '%s'", key);
  if (*seen)
    return hdr_fail(h, "key '%s' given twice", key);
  *seen = true;
  if (seen == &h->seen_shape)
    return hdr_shape(h);
  if (seen == &h->seen_fortran)
    return hdr_bool(h, &h->fortran_order);
  hdr_skip_ws(h);
  if (h->p < h->end && *h->p == '[')
    return hdr_fail(h, "structured dtypes are not supported");
  return hdr_string(h, h->descr, sizeof h->descr);
}

/* The whole dict: every key once, nothing but spaces after it. */
static bool hdr_parse(npy_header *h) {
  if (!hdr_expect(h, '{'))
    return false;
  for (;;) {
    hdr_skip_ws(h);
    if (h->p < h->end && *h->p == '}')
      break;
    char key[32];
    if (!hdr_string(h, key, sizeof key) || !hdr_expect(h, ':') ||
        !hdr_value(h, key))
      return false;
    hdr_skip_ws(h);
    if (h->p < h->end && *h->p == ',')
      h->p++;
    else if (h->p >= h->end || *h->p != '}')
      return hdr_fail(h, "expected ',' or '}' after the value of '%s'", key);
  }
  h->p++;
  hdr_skip_ws(h);
  if (h->p != h->end)
    return hdr_fail(h, "unexpected text after the dict");
  if (!h->seen_descr || !h->seen_fortran || !h->seen_shape)
    return hdr_fail(h, "missing key '%s'",
                    !h->seen_descr     ? "descr"
                    : !h->seen_fortran ? "fortran_order"
                                       : "shape");
  return true;
}

/* Maps the parsed descr/fortran_order to a dtype, explaining refusals. */
static bool hdr_dtype(npy_header *h, dlc_dtype *out) {
  if (h->fortran_order)
    return hdr_fail(h, "fortran_order is True: only C-order arrays are "
                       "supported (save np.ascontiguousarray(a))");
  for (size_t i = 0; i < NPY_N_DTYPES; i++)
    if (!strcmp(h->descr, NPY_DTYPES[i].descr)) {
      *out = NPY_DTYPES[i].dtype;
      return true;
    }
  if (h->descr[0] == '>')
    return hdr_fail(h,
                    "big-endian dtype '%s' is not supported (save "
                    "a.astype('<%s'))",
                    h->descr, h->descr + 1);
  if (!strcmp(h->descr, "<f8"))
    return hdr_fail(h, "dtype '<f8' (float64) is not supported (save "
                       "a.astype(np.float32))");
  return hdr_fail(h, "dtype '%s' is not supported (supported: %s)", h->descr,
                  NPY_SUPPORTED);
}

/* -------------------------------------------------------------- reader */

/* Reads and checks the preamble; returns the header length and sets
 * *prefix to the preamble size, or returns -1 after reporting. */
static int64_t npy_read_preamble(FILE *f, const char *path, int64_t fsize,
                                 int64_t *prefix, dlc_diag *d) {
  unsigned char pre[12];
  if (fsize < 10 || fread(pre, 1, 10, f) != 10) {
    npy_error(d, path, "header", "not a .npy file (only %lld bytes)",
              (long long)fsize);
    return -1;
  }
  if (memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
    npy_error(d, path, "header", "not a .npy file (bad magic string)");
    return -1;
  }
  if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0) {
    npy_error(d, path, "header", "unsupported .npy format version %u.%u",
              pre[6], pre[7]);
    return -1;
  }
  int64_t hlen = pre[8] | (int64_t)pre[9] << 8;
  *prefix = 10;
  if (pre[6] >= 2) {
    if (fsize < 12 || fread(pre + 10, 1, 2, f) != 2) {
      npy_error(d, path, "header", "file ends inside the header length");
      return -1;
    }
    hlen |= (int64_t)pre[10] << 16 | (int64_t)pre[11] << 24;
    *prefix = 12;
  }
  if (hlen > NPY_MAX_HEADER || hlen > fsize - *prefix) {
    npy_error(d, path, "header",
              "header length %lld runs past the end of the file (%lld bytes)",
              (long long)hlen, (long long)fsize);
    return -1;
  }
  return hlen;
}

/* Reads the header text and parses it into h; false after reporting. */
static bool npy_read_header(FILE *f, const char *path, int64_t hlen,
                            npy_header *h, dlc_tensor *out, dlc_diag *d) {
  char *text = malloc((size_t)hlen + 1);
  if (!text) {
    npy_error(d, path, "header", "out of memory");
    return false;
  }
  bool ok = fread(text, 1, (size_t)hlen, f) == (size_t)hlen;
  if (!ok)
    hdr_fail(h, "cannot read the header");
  else if (memchr(text, '\0', (size_t)hlen))
    ok = hdr_fail(h, "NUL byte in the header");
  if (ok) {
    h->begin = h->p = text;
    h->end = text + hlen;
    ok = hdr_parse(h) && hdr_dtype(h, &out->dtype);
  }
  free(text);
  if (!ok) {
    npy_error(d, path, "header", "%s", h->error);
    return false;
  }
  out->rank = h->rank;
  memcpy(out->dims, h->dims, sizeof out->dims);
  return true;
}

/* Byte count of the data the header promises, checked against the bytes the
 * file actually holds after the header. */
static bool npy_check_size(const char *path, const dlc_tensor *t, int64_t avail,
                           dlc_diag *d) {
  char shape[160];
  dlc_shape_str(t, shape, sizeof shape);
  int64_t numel = dlc_tensor_numel(t);
  int64_t esize = (int64_t)dlc_dtype_size(t->dtype);
  if (numel < 0 || (esize > 0 && numel > INT64_MAX / esize)) {
    npy_error(d, path, "header", "shape %s has more bytes than fit in 64 bits",
              shape);
    return false;
  }
  int64_t want = numel * esize;
  if (avail < want) {
    npy_error(d, path, "data",
              "truncated: shape %s of %s needs %lld bytes, the file holds %lld",
              shape, dlc_dtype_name(t->dtype), (long long)want,
              (long long)avail);
    return false;
  }
  if (avail > want) {
    npy_error(d, path, "data",
              "%lld unexpected bytes after the data of shape %s of %s",
              (long long)(avail - want), shape, dlc_dtype_name(t->dtype));
    return false;
  }
  return true;
}

/* Size of a regular file; -1 for anything else (a directory, a pipe), whose
 * "size" would mean nothing. */
static int64_t npy_file_size(FILE *f) {
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
    return -1;
  return (int64_t)st.st_size;
}

static dlc_status npy_read_open(FILE *f, const char *path, dlc_tensor *out,
                                dlc_diag *d) {
  int64_t fsize = npy_file_size(f), prefix = 0;
  if (fsize < 0) {
    npy_error(d, path, "", "not a regular file");
    return DLC_ERR_IO;
  }
  int64_t hlen = npy_read_preamble(f, path, fsize, &prefix, d);
  if (hlen < 0)
    return DLC_ERR_INVALID;
  npy_header h;
  memset(&h, 0, sizeof h);
  if (!npy_read_header(f, path, hlen, &h, out, d) ||
      !npy_check_size(path, out, fsize - prefix - hlen, d))
    return DLC_ERR_INVALID;
  size_t nbytes = dlc_tensor_nbytes(out);
  out->data = malloc(nbytes ? nbytes : 1);
  if (!out->data) {
    npy_error(d, path, "data", "out of memory (%zu bytes)", nbytes);
    return DLC_ERR_NOMEM;
  }
  if (fread(out->data, 1, nbytes, f) != nbytes) {
    npy_error(d, path, "data", "read error: %s", strerror(errno));
    return DLC_ERR_IO;
  }
  return DLC_OK;
}

dlc_status dlc_npy_read(const char *path, dlc_tensor *out, dlc_diag *d) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    npy_error(d, path, "", "cannot open: %s", strerror(errno));
    return DLC_ERR_IO;
  }
  dlc_status st = npy_read_open(f, path, out, d);
  fclose(f);
  if (st != DLC_OK) {
    free(out->data);
    memset(out, 0, sizeof *out);
  }
  return st;
}

/* -------------------------------------------------------------- writer */

/* Formats the padded header (dict, spaces, '\n') so that preamble + header
 * is a multiple of 64 bytes, as numpy does. Returns its length. */
static size_t npy_format_header(const dlc_tensor *t, const char *descr,
                                char *buf, size_t cap, int *major) {
  char shape[DLC_MAX_RANK * 24 + 8];
  size_t n = (size_t)snprintf(shape, sizeof shape, "(");
  for (int i = 0; i < t->rank; i++)
    n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%lld", i ? ", " : "",
                          (long long)t->dims[i]);
  snprintf(shape + n, sizeof shape - n, t->rank == 1 ? ",)" : ")");
  int len = snprintf(buf, cap,
                     "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     descr, shape);
  DLC_ASSERT(len > 0 && (size_t)len + 64 < cap);
  *major = (size_t)len + 11 > 65535 ? 2 : 1;
  size_t prefix = *major == 1 ? 10 : 12;
  size_t total = ((prefix + (size_t)len + 1) + 63) / 64 * 64;
  size_t hlen = total - prefix;
  memset(buf + len, ' ', hlen - 1 - (size_t)len);
  buf[hlen - 1] = '\n';
  return hlen;
}

static bool npy_write_all(FILE *f, const dlc_tensor *t, const char *descr) {
  char header[512];
  int major;
  size_t hlen = npy_format_header(t, descr, header, sizeof header, &major);
  unsigned char pre[12];
  memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
  pre[6] = (unsigned char)major;
  pre[7] = 0;
  for (int i = 0; i < (major == 1 ? 2 : 4); i++)
    pre[8 + i] = (unsigned char)(hlen >> (8 * i));
  size_t prefix = major == 1 ? 10 : 12;
  size_t nbytes = dlc_tensor_nbytes(t);
  return fwrite(pre, 1, prefix, f) == prefix &&
         fwrite(header, 1, hlen, f) == hlen &&
         (nbytes == 0 || fwrite(t->data, 1, nbytes, f) == nbytes);
}

dlc_status dlc_npy_write_as(const char *path, const char *shown,
                            const dlc_tensor *t, dlc_diag *d) {
  const char *descr = npy_descr_of(t->dtype);
  if (!descr) {
    npy_error(d, shown, "", "cannot write dtype %s to .npy",
              dlc_dtype_name(t->dtype));
    return DLC_ERR_UNSUPPORTED;
  }
  if (t->rank < 0 || t->rank > DLC_MAX_RANK || dlc_tensor_numel(t) < 0 ||
      (!t->data && dlc_tensor_nbytes(t) > 0)) {
    npy_error(d, shown, "", "invalid tensor (bad shape or no data)");
    return DLC_ERR_INVALID;
  }
  FILE *f = fopen(path, "wb");
  if (!f) {
    npy_error(d, shown, "", "cannot create: %s", strerror(errno));
    return DLC_ERR_IO;
  }
  bool ok = npy_write_all(f, t, descr);
  int saved_errno = errno;
  if (fclose(f) != 0 && ok) {
    ok = false;
    saved_errno = errno;
  }
  if (!ok) {
    npy_error(d, shown, "", "write error: %s", strerror(saved_errno));
    return DLC_ERR_IO;
  }
  return DLC_OK;
}

/* One file, all or nothing: a temporary beside it, renamed into place. */
dlc_status dlc_npy_write(const char *path, const dlc_tensor *t, dlc_diag *d) {
  dlc_outfiles out;
  dlc_outfiles_init(&out);
  const char *tmp = dlc_outfiles_add(&out, path, 0666, d);
  if (!tmp)
    return DLC_ERR_IO;
  dlc_status st = dlc_npy_write_as(tmp, path, t, d);
  if (st != DLC_OK) {
    dlc_outfiles_abort(&out);
    return st;
  }
  return dlc_outfiles_commit(&out, d) ? DLC_OK : DLC_ERR_IO;
}
