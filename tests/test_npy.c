/* test_npy.c — the .npy reader and writer (npy/npy.c): byte-exact
 * agreement with files numpy itself wrote, round trips of every supported
 * dtype and odd shapes, headers written by hand in the forms numpy and older
 * tools produce (versions 1.0, 2.0, 3.0), and malformed or hostile files
 * that must be refused with a message saying what is wrong, without reading
 * out of bounds or allocating what the file does not hold. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy/npy.h"
#include "helpers.h"

/* ---------------------------------------------------------- temp files */

static char tmp_dir[64];
static int tmp_count;

static void tmp_setup(void) {
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/dlc-test-npy-XXXXXX");
  cr_assert_not_null(mkdtemp(tmp_dir), "mkdtemp failed");
  tmp_count = 0;
}

/* Removes every file the test made (they are numbered), then the dir. */
static void tmp_teardown(void) {
  char path[128];
  for (int i = 0; i < tmp_count; i++) {
    snprintf(path, sizeof path, "%s/f%d.npy", tmp_dir, i);
    remove(path);
  }
  rmdir(tmp_dir);
}

/* A fresh path in the temp dir (static buffer ring: valid for a while). */
static const char *tmp_path(void) {
  static char paths[8][128];
  char *p = paths[tmp_count % 8];
  snprintf(p, 128, "%s/f%d.npy", tmp_dir, tmp_count++);
  return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot create %s", path);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

/* Builds a .npy file by hand: preamble of version major.minor with the
 * correct header length field, header text as given, then data. */
static const char *make_npy(int major, int minor, const char *header,
                            const void *data, size_t data_len) {
  size_t hlen = strlen(header), pre = major == 1 ? 10 : 12;
  unsigned char *buf = malloc(pre + hlen + data_len + 1);
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = (unsigned char)minor;
  for (size_t i = 0; i < pre - 8; i++)
    buf[8 + i] = (unsigned char)(hlen >> (8 * i));
  memcpy(buf + pre, header, hlen);
  if (data_len)
    memcpy(buf + pre + hlen, data, data_len);
  const char *path = tmp_path();
  write_bytes(path, buf, pre + hlen + data_len);
  free(buf);
  return path;
}

TestSuite(npy, .init = tmp_setup, .fini = tmp_teardown);

/* ------------------------------------------------- numpy's own bytes */

/* np.save of np.array([[1.5, -2, 3], [0.25, 5, -6]], dtype=np.float32)
 * by numpy 1.24.2. */
static const unsigned char NUMPY_F32_2x3[152] =
    "\x93NUMPY\x01\x00\x76\x00"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    "                                                          "
    "\x0a\x00\x00\xc0\x3f\x00\x00\x00\xc0\x00\x00\x40\x40\x00\x00\x80\x3e"
    "\x00\x00\xa0\x40\x00\x00\xc0\xc0";
/* np.save of np.array([-1, 2**40, 7], dtype=np.int64). */
static const unsigned char NUMPY_I64_3[152] =
    "\x93NUMPY\x01\x00\x76\x00"
    "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"
    "                                                            "
    "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01\x00\x00"
    "\x07\x00\x00\x00\x00\x00\x00\x00";
/* np.save of np.array([True, False, True]). */
static const unsigned char NUMPY_BOOL_3[131] =
    "\x93NUMPY\x01\x00\x76\x00"
    "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"
    "                                                            "
    "\x0a\x01\x00\x01";

Test(npy, reads_files_numpy_wrote) {
  dlc_diag d;
  dlc_diag_init(&d, "test");
  const char *p = tmp_path();
  write_bytes(p, NUMPY_F32_2x3, sizeof NUMPY_F32_2x3);
  dlc_tensor t;
  cr_assert_eq(dlc_npy_read(p, &t, &d), DLC_OK);
  cr_assert_eq(t.dtype, DLC_DT_FLOAT32);
  cr_assert(t.rank == 2 && t.dims[0] == 2 && t.dims[1] == 3);
  const float want[6] = {1.5f, -2, 3, 0.25f, 5, -6};
  th_assert_close(t.data, want, 6, 0, 0);
  free(t.data);

  write_bytes(p, NUMPY_I64_3, sizeof NUMPY_I64_3);
  cr_assert_eq(dlc_npy_read(p, &t, &d), DLC_OK);
  cr_assert(t.dtype == DLC_DT_INT64 && t.rank == 1 && t.dims[0] == 3);
  const int64_t *iv = t.data;
  cr_assert(iv[0] == -1 && iv[1] == (int64_t)1 << 40 && iv[2] == 7,
            "int64 values: got %lld %lld %lld", (long long)iv[0],
            (long long)iv[1], (long long)iv[2]);
  free(t.data);

  write_bytes(p, NUMPY_BOOL_3, sizeof NUMPY_BOOL_3);
  cr_assert_eq(dlc_npy_read(p, &t, &d), DLC_OK);
  cr_assert(t.dtype == DLC_DT_UINT8 && t.rank == 1 && t.dims[0] == 3);
  const unsigned char *bv = t.data;
  cr_assert(bv[0] == 1 && bv[1] == 0 && bv[2] == 1);
  free(t.data);
  cr_assert_eq(dlc_diag_count(&d), 0);
  dlc_diag_free(&d);
}

/* The writer produces exactly numpy's bytes (header text, padding to 64). */
Test(npy, writes_the_bytes_numpy_writes) {
  const float data[6] = {1.5f, -2, 3, 0.25f, 5, -6};
  const int64_t dims[2] = {2, 3};
  dlc_tensor t = th_f32(data, 2, dims);
  const char *p = tmp_path();
  dlc_diag d;
  dlc_diag_init(&d, "test");
  cr_assert_eq(dlc_npy_write(p, &t, &d), DLC_OK);
  size_t n;
  char *got = th_read_file(p, &n);
  cr_assert_eq(n, sizeof NUMPY_F32_2x3, "size: want %zu, got %zu",
               sizeof NUMPY_F32_2x3, n);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq((unsigned char)got[i], NUMPY_F32_2x3[i],
                 "byte %zu: want 0x%02x, got 0x%02x", i, NUMPY_F32_2x3[i],
                 (unsigned char)got[i]);
  free(got);

  const int64_t iv[3] = {-1, (int64_t)1 << 40, 7}, idims[1] = {3};
  t = th_i64(iv, 1, idims);
  cr_assert_eq(dlc_npy_write(p, &t, &d), DLC_OK);
  got = th_read_file(p, &n);
  cr_assert_eq(n, sizeof NUMPY_I64_3);
  cr_assert(memcmp(got, NUMPY_I64_3, n) == 0, "int64 file differs");
  free(got);
  dlc_diag_free(&d);
}

/* ----------------------------------------------------------- round trip */

static void round_trip(dlc_dtype dt, int rank, const int64_t *dims) {
  dlc_tensor t = {.dtype = dt, .rank = rank};
  memcpy(t.dims, dims, sizeof(int64_t) * (size_t)rank);
  size_t nbytes = dlc_tensor_nbytes(&t);
  unsigned char *data = malloc(nbytes + 1);
  for (size_t i = 0; i < nbytes; i++)
    data[i] = (unsigned char)(i * 37 + 11);
  if (dt == DLC_DT_FLOAT32) /* keep floats finite, non-NaN */
    for (size_t i = 0; i < nbytes / 4; i++)
      ((float *)data)[i] = (float)i * 0.5f - 3.0f;
  t.data = data;
  const char *p = tmp_path();
  dlc_diag d;
  dlc_diag_init(&d, "test");
  cr_assert_eq(dlc_npy_write(p, &t, &d), DLC_OK, "write %s rank %d",
               dlc_dtype_name(dt), rank);
  size_t fsize;
  char *raw = th_read_file(p, &fsize);
  cr_assert_eq((fsize - nbytes) % 64, 0, "header not padded to 64: %zu",
               fsize - nbytes);
  cr_assert_eq(raw[fsize - nbytes - 1], '\n');
  free(raw);
  dlc_tensor r;
  cr_assert_eq(dlc_npy_read(p, &r, &d), DLC_OK, "read %s rank %d",
               dlc_dtype_name(dt), rank);
  cr_assert_eq(r.dtype, dt, "dtype: want %s got %s", dlc_dtype_name(dt),
               dlc_dtype_name(r.dtype));
  cr_assert_eq(r.rank, rank);
  for (int i = 0; i < rank; i++)
    cr_assert_eq(r.dims[i], dims[i], "dim %d", i);
  cr_assert_not_null(r.data);
  cr_assert(nbytes == 0 || memcmp(r.data, data, nbytes) == 0,
            "%s rank %d: data differs", dlc_dtype_name(dt), rank);
  free(r.data);
  free(data);
  dlc_diag_free(&d);
}

Test(npy, round_trips_every_dtype_and_shape) {
  const dlc_dtype dts[] = {DLC_DT_FLOAT32, DLC_DT_INT64,   DLC_DT_INT32,
                           DLC_DT_UINT8,   DLC_DT_FLOAT16, DLC_DT_INT8};
  const int64_t scalar[1] = {0}, vec[1] = {5}, nchw[4] = {2, 3, 4, 5},
                empty[2] = {3, 0}, big8[8] = {1, 2, 1, 3, 1, 2, 1, 2};
  for (size_t i = 0; i < sizeof dts / sizeof *dts; i++) {
    round_trip(dts[i], 0, scalar);
    round_trip(dts[i], 1, vec);
    round_trip(dts[i], 4, nchw);
    round_trip(dts[i], 2, empty);
    round_trip(dts[i], 8, big8);
  }
}

/* ------------------------------------------------- hand-written headers */

static dlc_tensor read_ok(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, "test");
  dlc_tensor t;
  dlc_status st = dlc_npy_read(path, &t, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  cr_assert_eq(st, DLC_OK, "reading %s failed", path);
  dlc_diag_free(&d);
  return t;
}

Test(npy, accepts_every_header_version_and_spelling) {
  const float v[3] = {1, 2, 3};
  static const struct {
    int major;
    const char *header;
  } cases[] = {
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n"},
      {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }   \n"},
      {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}\n"},
      /* key order, double quotes, no padding, Python 2 long suffix */
      {1, "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f4\"}"},
      {1, "{ 'shape' : ( 3 , ) ,'descr':'<f4','fortran_order':False }  \n"},
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 1), }"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    dlc_tensor t =
        read_ok(make_npy(cases[i].major, 0, cases[i].header, v, sizeof v));
    cr_assert_eq(t.dtype, DLC_DT_FLOAT32, "case %zu", i);
    cr_assert_eq(dlc_tensor_numel(&t), 3, "case %zu", i);
    th_assert_close(t.data, v, 3, 0, 0);
    free(t.data);
  }
  /* rank 0 and a zero-size array */
  dlc_tensor t = read_ok(make_npy(
      1, 0, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }\n", v, 4));
  cr_assert(t.rank == 0 && t.dtype == DLC_DT_INT32 &&
            *(int32_t *)t.data == 0x3f800000);
  free(t.data);
  t = read_ok(make_npy(
      1, 0, "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4), }\n",
      NULL, 0));
  cr_assert(t.rank == 2 && t.dims[0] == 0 && t.dims[1] == 4 && t.data);
  free(t.data);
}

/* ---------------------------------------------------- malformed files */

/* Reads path, which must fail with a message that names the file and
 * contains `want`; out must come back empty. */
static void expect_error(const char *what, const char *path, const char *want) {
  dlc_diag d;
  dlc_diag_init(&d, "model.json"); /* messages must still name the .npy */
  dlc_tensor t;
  memset(&t, 0x5a, sizeof t);
  dlc_status st = dlc_npy_read(path, &t, &d);
  cr_expect_neq(st, DLC_OK, "%s: was accepted", what);
  cr_expect_null(t.data, "%s: data left allocated", what);
  char prefix[160];
  snprintf(prefix, sizeof prefix, "%s: ", path);
  bool ok = dlc_diag_contains(&d, want) && dlc_diag_contains(&d, prefix);
  if (!ok) {
    fprintf(stderr, "%s: want a message containing '%s' and '%s', got:\n", what,
            prefix, want);
    dlc_diag_print(&d, stderr);
  }
  cr_expect(ok, "%s: message does not contain '%s'", what, want);
  cr_expect_eq(dlc_diag_count(&d), 1, "%s: %d messages", what,
               dlc_diag_count(&d));
  dlc_diag_free(&d);
}

/* A version-1 style header with the given fields. */
#define HDR(descr, fortran, shape)                                             \
  "{'descr': '" descr "', 'fortran_order': " fortran                          \
  ", 'shape': " shape ", }\n"

Test(npy, refuses_malformed_files) {
  const float v[6] = {0};
  const char *p;

  p = tmp_path();
  write_bytes(p, "", 0);
  expect_error("empty file", p, "not a .npy file");
  p = tmp_path();
  write_bytes(p, "\x93NUMPX\x01\x00\x10\x00{}", 12);
  expect_error("bad magic", p, "bad magic");
  expect_error("version 4.0", make_npy(4, 0, HDR("<f4", "False", "(1,)"), v, 4),
               "unsupported .npy format version 4.0");
  expect_error("version 1.1", make_npy(1, 1, HDR("<f4", "False", "(1,)"), v, 4),
               "version 1.1");
  p = tmp_path();
  write_bytes(p, "\x93NUMPY\x01\x00\xff\x7f{'descr'", 17);
  expect_error("header past the end", p, "runs past the end of the file");
  p = tmp_path();
  write_bytes(p, "\x93NUMPY\x02\x00\x10\x00", 10);
  expect_error("v2 cut in the length", p, "ends inside the header length");
  expect_error("fortran order",
               make_npy(1, 0, HDR("<f4", "True", "(2, 3)"), v, 24),
               "fortran_order is True");
  expect_error("big-endian", make_npy(1, 0, HDR(">f4", "False", "(6,)"), v, 24),
               "big-endian dtype '>f4'");
  expect_error("float64", make_npy(1, 0, HDR("<f8", "False", "(3,)"), v, 24),
               "float64");
  expect_error("complex", make_npy(1, 0, HDR("<c8", "False", "(3,)"), v, 24),
               "dtype '<c8' is not supported");
  expect_error(
      "missing shape",
      make_npy(1, 0, "{'descr': '<f4', 'fortran_order': False}\n", v, 4),
      "missing key 'shape'");
  expect_error("unknown key",
               make_npy(1, 0,
                        "{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (1,), 'foo': 1}\n",
                        v, 4),
               "unknown key 'foo'");
  expect_error("duplicate key",
               make_npy(1, 0,
                        "{'descr': '<f4', 'descr': '<f4', "
                        "'fortran_order': False, 'shape': (1,)}\n",
                        v, 4),
               "key 'descr' given twice");
  expect_error("negative dim",
               make_npy(1, 0, HDR("<f4", "False", "(-1, 3)"), v, 12),
               "negative dimension");
  expect_error("dim not an int",
               make_npy(1, 0, HDR("<f4", "False", "(2, x)"), v, 24),
               "'shape' must be a tuple of integers");
  expect_error(
      "rank 9",
      make_npy(1, 0, HDR("<f4", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), v, 4),
      "more than 8 dimensions");
  expect_error("truncated data",
               make_npy(1, 0, HDR("<f4", "False", "(2, 3)"), v, 23),
               "truncated: shape [2, 3] of float32 needs 24 bytes, the file "
               "holds 23");
  expect_error("trailing bytes",
               make_npy(1, 0, HDR("<f4", "False", "(5,)"), v, 24),
               "4 unexpected bytes after the data");
  expect_error("byte count overflows",
               make_npy(1, 0,
                        HDR("<f4", "False", "(1099511627776, 1099511627776)"),
                        v, 24),
               "more bytes than fit in 64 bits");
  expect_error(
      "dim overflows int64",
      make_npy(1, 0, HDR("<f4", "False", "(99999999999999999999,)"), v, 4),
      "does not fit in 64 bits");
  /* 2^60 elements claimed: refused as truncated, nothing allocated */
  expect_error(
      "huge claim",
      make_npy(3, 0, HDR("<f4", "False", "(1073741824, 1073741824)"), v, 24),
      "truncated");
  expect_error("unterminated string",
               make_npy(1, 0, "{'descr': '<f4, 'fortran_order': False}", v, 4),
               "expected ',' or '}' after the value of 'descr'");
  expect_error("string runs to the end", make_npy(1, 0, "{'descr", v, 4),
               "unterminated string");
  expect_error("not a dict", make_npy(1, 0, "[1, 2]\n", v, 4), "expected '{'");
  expect_error("text after the dict",
               make_npy(1, 0, HDR("<f4", "False", "(1,)") "x", v, 4),
               "unexpected text after the dict");
  expect_error("structured dtype",
               make_npy(1, 0,
                        "{'descr': [('a', '<f4')], 'fortran_order': False, "
                        "'shape': (1,), }\n",
                        v, 4),
               "structured dtypes are not supported");
  expect_error("bad fortran value",
               make_npy(1, 0, HDR("<f4", "0", "(1,)"), v, 4),
               "'fortran_order' must be True or False");
  p = make_npy(1, 0, HDR("<f4", "False", "(1,)"), v, 4);
  {
    /* put a NUL inside the header text */
    size_t n;
    char *raw = th_read_file(p, &n);
    raw[12] = '\0';
    write_bytes(p, raw, n);
    free(raw);
  }
  expect_error("NUL in the header", p, "NUL byte in the header");
  char missing[160];
  snprintf(missing, sizeof missing, "%s/does-not-exist.npy", tmp_dir);
  expect_error("missing file", missing, "cannot open");
}

Test(npy, write_refuses_what_it_cannot_write) {
  dlc_diag d;
  dlc_diag_init(&d, "test");
  const float v[2] = {1, 2};
  const int64_t dims[1] = {2};
  dlc_tensor t = th_f32(v, 1, dims);
  char path[192];
  snprintf(path, sizeof path, "%s/no/such/dir/x.npy", tmp_dir);
  cr_assert_neq(dlc_npy_write(path, &t, &d), DLC_OK);
  cr_assert(dlc_diag_contains(&d, "cannot write") &&
            dlc_diag_contains(&d, "No such file or directory"));
  t.dtype = DLC_DT_UNDEFINED;
  cr_assert_neq(dlc_npy_write(tmp_path(), &t, &d), DLC_OK);
  cr_assert(dlc_diag_contains(&d, "cannot write dtype"));
  t.dtype = DLC_DT_FLOAT32;
  t.data = NULL;
  cr_assert_neq(dlc_npy_write(tmp_path(), &t, &d), DLC_OK);
  cr_assert(dlc_diag_contains(&d, "no data"));
  dlc_diag_free(&d);
}
