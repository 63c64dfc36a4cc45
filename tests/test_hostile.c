/* test_hostile.c — models and command lines written by someone trying to
 * break dlc (issue 10): weight files that escape the model's directory,
 * outputs that would destroy inputs, interrupted or failing writes, values
 * the JSON reader must not change silently. Each test states the defect it
 * guards against; the oracle is the file system (what exists, what bytes a
 * file holds) or the exact refusal. */
#include <errno.h>
#include <sys/stat.h>

#include "cli_helpers.h"
#include "frontend/frontend.h"
#include "frontend/onnx.h"
#include "helpers.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define ONNX_DIR DLC_SOURCE_DIR "/tests/onnx"

TestSuite(hostile, .init = tmp_setup, .fini = tmp_teardown);

/* ------------------------------------------- weights outside the model */

/* A JSON model with one float32 [n] initializer read from buffer `uri` of
 * byte_length 4n. */
static const char *json_with_buffer(const char *file, const char *uri, int n) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"dlc-graph\", \"version\": 1,\n"
           " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
           "\"shape\": [%d]}],\n"
           " \"outputs\": [{\"name\": \"y\"}],\n"
           " \"initializers\": [{\"name\": \"w\", \"dtype\": \"float32\", "
           "\"shape\": [%d], \"buffer\": 0}],\n"
           " \"nodes\": [{\"name\": \"a\", \"op\": \"Add\", \"inputs\": "
           "[\"x\", \"w\"], \"outputs\": [\"y\"]}],\n"
           " \"buffers\": [{\"uri\": \"%s\", \"byte_length\": %d}]}\n",
           n, n, uri, 4 * n);
  return write_text(file, text);
}

/* Loads path; expects a refusal whose messages contain want. */
static void expect_load_refused(const char *path, const char *want) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load(path, &g, &d);
  bool found = dlc_diag_contains(&d, want);
  for (size_t i = 0; !found && i < d.messages.n; i++)
    cr_log_error("%s", d.messages.items[i]);
  cr_expect_neq(st, DLC_OK, "%s: loaded", path);
  cr_expect_null(g);
  cr_expect(found, "%s: no message contains \"%s\"", path, want);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

static void expect_load_ok(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load(path, &g, &d);
  for (size_t i = 0; i < d.messages.n; i++)
    cr_log_error("%s", d.messages.items[i]);
  cr_expect_eq(st, DLC_OK, "%s: refused", path);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

static void write_bytes(const char *path, int n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "%s: %s", path, strerror(errno));
  for (int i = 0; i < n; i++)
    fputc(i, f);
  fclose(f);
}

#define OUTSIDE "it resolves (through a symbolic link) to a file outside"

/* A symlinked file, or a file under a symlinked directory, that leads out
 * of the model's directory was followed: /etc/passwd became weights. */
Test(hostile, json_buffer_symlinked_outside_is_refused) {
  cr_assert_eq(symlink("/etc/passwd", tmp("passwd.bin")), 0);
  cr_assert_eq(symlink("/etc", tmp("etc")), 0);
  expect_load_refused(json_with_buffer("a.json", "passwd.bin", 4),
                      "buffers[0].uri: cannot read 'passwd.bin': " OUTSIDE);
  expect_load_refused(json_with_buffer("b.json", "etc/passwd", 4),
                      "buffers[0].uri: cannot read 'etc/passwd': " OUTSIDE);
}

/* A link that stays inside the directory is fine. */
Test(hostile, json_buffer_symlinked_inside_is_read) {
  write_bytes(tmp("real.bin"), 16);
  cr_assert_eq(symlink("real.bin", tmp("alias.bin")), 0);
  expect_load_ok(json_with_buffer("a.json", "alias.bin", 4));
}

/* A FIFO hung the reader for ever; a link to /dev/zero was read without
 * bound before byte_length was compared. */
Test(hostile, json_buffer_fifo_or_device_is_refused, .timeout = 20) {
  cr_assert_eq(mkfifo(tmp("fifo.bin"), 0600), 0);
  expect_load_refused(json_with_buffer("a.json", "fifo.bin", 4),
                      "cannot read 'fifo.bin': not a regular file");
  cr_assert_eq(symlink("/dev/zero", tmp("zero.bin")), 0);
  expect_load_refused(json_with_buffer("b.json", "zero.bin", 4),
                      "cannot read 'zero.bin': " OUTSIDE);
}

/* The wrong byte_length is found from the size, before reading. */
Test(hostile, json_buffer_length_checked_before_reading) {
  write_bytes(tmp("w.bin"), 12);
  expect_load_refused(json_with_buffer("a.json", "w.bin", 4),
                      "byte_length is 16 but 'w.bin' has 12 bytes");
}

/* ONNX external data: tests/onnx/external.onnx names external.data; copied
 * into the temp dir with external.data replaced by a link or a FIFO. */
static const char *onnx_with_external(void) {
  size_t n = 0;
  char *bytes = th_read_file(ONNX_DIR "/external.onnx", &n);
  cr_assert_not_null(bytes);
  const char *p = tmp("external.onnx");
  FILE *f = fopen(p, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, n, f), n);
  fclose(f);
  free(bytes);
  return p;
}

Test(hostile, onnx_external_data_symlinked_outside_is_refused) {
  const char *m = onnx_with_external();
  char dir[256];
  snprintf(dir, sizeof dir, "%s/outside", tmp_dir);
  cr_assert_eq(mkdir(dir, 0700), 0);
  write_bytes(tmp("outside/external.data"), 256);
  /* The model's directory is a subdirectory; the link points up. */
  cr_assert_eq(mkdir(tmp("m"), 0700), 0);
  char model[256];
  snprintf(model, sizeof model, "%s/m/external.onnx", tmp_dir);
  cr_assert_eq(rename(m, model), 0);
  cr_assert_eq(symlink(tmp("outside/external.data"), tmp("m/external.data")),
               0);
  expect_load_refused(model, "cannot read external data 'external.data': "
                             OUTSIDE);
  /* The same bytes, really inside, load. */
  cr_assert_eq(unlink(tmp("m/external.data")), 0);
  cr_assert_eq(rename(tmp("outside/external.data"), tmp("m/external.data")),
               0);
  expect_load_ok(model);
}

Test(hostile, onnx_external_data_fifo_is_refused, .timeout = 20) {
  const char *m = onnx_with_external();
  cr_assert_eq(mkfifo(tmp("external.data"), 0600), 0);
  expect_load_refused(m, "cannot read external data 'external.data': not a "
                         "regular file");
}
