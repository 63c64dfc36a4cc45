/* test_hostile.c — models and command lines written by someone trying to
 * break dlc (issue 10): weight files that escape the model's directory,
 * outputs that would destroy inputs, interrupted or failing writes, values
 * the JSON reader must not change silently. Each test states the defect it
 * guards against; the oracle is the file system (what exists, what bytes a
 * file holds) or the exact refusal. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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

/* A copy of a fixture file in the temp dir (so that a test may lose it). */
static const char *copy_in(const char *src, const char *name) {
  size_t n = 0;
  char *bytes = th_read_file(src, &n);
  cr_assert_not_null(bytes, "%s", src);
  const char *p = tmp(name);
  FILE *f = fopen(p, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, n, f), n);
  fclose(f);
  free(bytes);
  return p;
}

/* ONNX external data: tests/onnx/external.onnx names external.data; copied
 * into the temp dir with external.data replaced by a link or a FIFO. */
static const char *onnx_with_external(void) {
  return copy_in(ONNX_DIR "/external.onnx", "external.onnx");
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
  expect_load_refused(model,
                      "cannot read external data 'external.data': " OUTSIDE);
  /* The same bytes, really inside, load. */
  cr_assert_eq(unlink(tmp("m/external.data")), 0);
  cr_assert_eq(rename(tmp("outside/external.data"), tmp("m/external.data")), 0);
  expect_load_ok(model);
}

Test(hostile, onnx_external_data_fifo_is_refused, .timeout = 20) {
  const char *m = onnx_with_external();
  cr_assert_eq(mkfifo(tmp("external.data"), 0600), 0);
  expect_load_refused(m, "cannot read external data 'external.data': not a "
                         "regular file");
}

/* ------------------------------------------- outputs that destroy files */

/* The file still holds exactly the bytes of `original`. */
static void expect_same_bytes(const char *path, const char *original) {
  size_t n1 = 0, n2 = 0;
  char *a = th_read_file(path, &n1), *b = th_read_file(original, &n2);
  cr_assert_not_null(a, "%s is gone", path);
  cr_assert_not_null(b);
  cr_expect(n1 == n2 && memcmp(a, b, n1) == 0, "%s was changed", path);
  free(a);
  free(b);
}

/* No temporary file (.NAME.dlc-tmp-XXXXXX, dlc-model-*, dlc-obj-*) left. */
static void expect_no_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    cr_expect(!strstr(e->d_name, ".dlc-tmp-") &&
                  strncmp(e->d_name, "dlc-model-", 10) != 0 &&
                  strncmp(e->d_name, "dlc-obj-", 8) != 0,
              "temporary file left behind: %s/%s", dir, e->d_name);
  closedir(d);
}

static void expect_refused_with(cli_result *r, const char *want,
                                const char *what) {
  expect_status(r, 1, what);
  cr_expect(strstr(r->err, want) != NULL, "%s: stderr lacks \"%s\":\n%s", what,
            want, r->err);
  cli_free(r);
}

#define RELU FIXTURES "/relu/model.json"
#define SAME_INPUT "is the same file as the input model"

Test(hostile, compile_output_that_is_the_model_is_refused) {
  const char *m = copy_in(RELU, "m.json");
  cli_result r = DLC(m, "-o", m);
  expect_refused_with(&r, "-o: '", "-o the model");
  expect_same_bytes(m, RELU);
  /* Through another name: a hard link is the same file. */
  cr_assert_eq(link(m, tmp("alias.o")), 0);
  r = DLC(m, "-o", tmp("alias.o"));
  expect_refused_with(&r, SAME_INPUT, "-o a link to the model");
  const char *onnx = copy_in(ONNX_DIR "/external.onnx", "m.onnx");
  copy_in(ONNX_DIR "/external.data", "external.data");
  r = DLC(onnx, "-o", onnx);
  expect_refused_with(&r, SAME_INPUT, "-o the ONNX model");
  expect_same_bytes(onnx, ONNX_DIR "/external.onnx");
  expect_same_bytes(m, RELU);
}

Test(hostile, header_that_is_the_model_or_the_output_is_refused) {
  const char *m = copy_in(RELU, "m.json");
  cli_result r = DLC(m, "-o", tmp("m.o"), "--header", m);
  expect_refused_with(&r, "--header: '", "--header the model");
  expect_same_bytes(m, RELU);
  cr_expect(access(tmp("m.o"), F_OK) != 0, "m.o written though refused");
  r = DLC(m, "-o", tmp("m.o"), "--header", tmp("m.o"));
  expect_refused_with(&r, "is the same file as the output -o", "--header -o");
}

/* An existing header dlc did not write (the user's own model.h) is kept;
 * one dlc wrote is replaced. */
Test(hostile, unrelated_existing_header_is_not_overwritten) {
  const char *m = copy_in(RELU, "m.json");
  const char *mine = write_text("m.h", "/* my own m.h */\n");
  char keep[512];
  snprintf(keep, sizeof keep, "%s.orig", mine);
  copy_in(mine, "m.h.orig");
  cli_result r = DLC(m, "-o", tmp("m.o"));
  expect_refused_with(&r, "exists and is not a header dlc wrote",
                      "m.h, the header of -o m.o");
  expect_same_bytes(mine, keep);
  cr_assert_eq(unlink(mine), 0);
  r = DLC(m, "-o", tmp("m.o"));
  expect_status(&r, 0, "first compile");
  cli_free(&r);
  r = DLC(m, "-o", tmp("m.o"));
  expect_status(&r, 0, "recompile over dlc's own header");
  cli_free(&r);
}

Test(hostile, import_over_its_model_is_refused) {
  const char *onnx = copy_in(ONNX_DIR "/external.onnx", "t.onnx");
  copy_in(ONNX_DIR "/external.data", "external.data");
  cli_result r = DLC("import", onnx, "-o", onnx);
  expect_refused_with(&r, SAME_INPUT, "import -o the model");
  expect_same_bytes(onnx, ONNX_DIR "/external.onnx");
}

Test(hostile, run_output_that_is_an_input_is_refused) {
  const char *m = copy_in(RELU, "m.json");
  const char *x = copy_in(FIXTURES "/relu/input_0.npy", "x.npy");
  cli_result r = DLC("run", m, "--input", x, "--output", x);
  expect_refused_with(&r, "is the same file as the input --input", "run");
  expect_same_bytes(x, FIXTURES "/relu/input_0.npy");
}

/* -------------------------------------------------- atomic, checked writes */

/* A device that always reports a full disk. As root (who could remove the
 * real one, as dlc run did once on a failed write), our own node of
 * /dev/full's device in the temp dir; otherwise /dev/full itself. */
static const char *full_device(void) {
  const char *p = tmp("full");
  if (mknod(p, S_IFCHR | 0666, makedev(1, 7)) == 0)
    return p;
  return "/dev/full";
}

/* A full disk: a located message and exit 1, not "LLVM ERROR: IO failure
 * on output stream" and an abort. */
Test(hostile, write_to_a_full_disk_is_an_error_message) {
  const char *m = copy_in(RELU, "m.json");
  char full[256], want[300];
  snprintf(full, sizeof full, "%s", full_device());
  snprintf(want, sizeof want, "cannot write '%s': No space left on device",
           full);
  cli_result r = DLC(m, "-o", full, "--no-header");
  expect_refused_with(&r, want, "-o FULL");
  r = DLC(m, "-o", tmp("m.o"), "--header", full);
  expect_refused_with(&r, want, "--header FULL");
  r = DLC(m, "-o", full, "--emit", "llvm");
  expect_refused_with(&r, want, "--emit llvm");
  r = DLC("run", m, "--input", FIXTURES "/relu/input_0.npy", "--output", full);
  expect_refused_with(&r, "No space left on device", "run --output FULL");
  r = DLC("import", ONNX_DIR "/external.onnx", "-o", full);
  expect_refused_with(&r, want, "import -o FULL");
  /* Writing a device is writing it, not replacing or removing it. */
  struct stat st;
  cr_assert_eq(stat(full, &st), 0, "%s was removed", full);
  cr_expect(S_ISCHR(st.st_mode), "%s was replaced", full);
  cr_expect(access(tmp("m.o"), F_OK) != 0, "m.o written without its header");
  expect_no_temporaries(tmp_dir);
}

/* A header that cannot be written: the object is not written either, and
 * the previous object survives. */
Test(hostile, failed_header_keeps_the_previous_object) {
  const char *m = copy_in(RELU, "m.json");
  const char *old = write_text("m.o", "previous object");
  copy_in(old, "m.o.orig");
  cli_result r = DLC(m, "-o", old, "--header", tmp("no/such/dir/m.h"));
  expect_refused_with(&r, "cannot write", "header in a missing directory");
  expect_same_bytes(old, tmp("m.o.orig"));
  expect_no_temporaries(tmp_dir);
}

/* A large model (a 1024 x 1024 Gemm weight, 4 MiB in the object) compiled
 * and killed at various moments: the output is the previous one or the
 * complete new one, never a truncated file, and no temporary is left. */
Test(hostile, killed_compile_leaves_old_or_new_output, .timeout = 300) {
  enum { K = 1024 };
  float *w = calloc((size_t)K * K, sizeof *w);
  cr_assert_not_null(w);
  for (int i = 0; i < K * K; i++)
    w[i] = (float)(i % 97) * 0.01f;
  FILE *f = fopen(tmp("w.bin"), "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(w, sizeof *w, (size_t)K * K, f), (size_t)K * K);
  fclose(f);
  free(w);
  char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"dlc-graph\", \"version\": 1,\n"
           " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
           "\"shape\": [1, %d]}],\n \"outputs\": [{\"name\": \"y\"}],\n"
           " \"initializers\": [{\"name\": \"w\", \"dtype\": \"float32\", "
           "\"shape\": [%d, %d], \"buffer\": 0}],\n"
           " \"nodes\": [{\"name\": \"g\", \"op\": \"MatMul\", \"inputs\": "
           "[\"x\", \"w\"], \"outputs\": [\"y\"]}],\n"
           " \"buffers\": [{\"uri\": \"w.bin\", \"byte_length\": %d}]}\n",
           K, K, K, 4 * K * K);
  /* tmp() reuses its buffers: keep the paths used in the loop. */
  char m[256], out[256];
  snprintf(m, sizeof m, "%s", write_text("big.json", text));
  cli_result r = DLC(m, "-o", tmp("ref.o"), "--no-header");
  expect_status(&r, 0, "reference compile");
  cli_free(&r);
  snprintf(out, sizeof out, "%s", write_text("big.o", "previous object"));
  copy_in(out, "big.o.orig");
  int outcomes[2] = {0, 0};
  for (int delay_ms = 5; delay_ms < 2000; delay_ms = delay_ms * 3 / 2 + 5) {
    pid_t pid = fork();
    if (pid == 0) {
      execl(DLC_EXE, DLC_EXE, m, "-o", out, "--no-header", (char *)NULL);
      _exit(127);
    }
    usleep((useconds_t)delay_ms * 1000);
    kill(pid, SIGTERM);
    int ws;
    waitpid(pid, &ws, 0);
    size_t n_out = 0, n_old = 0, n_new = 0;
    char *got = th_read_file(out, &n_out);
    char *oldb = th_read_file(tmp("big.o.orig"), &n_old);
    char *newb = th_read_file(tmp("ref.o"), &n_new);
    cr_assert_not_null(got, "output gone after a kill at %d ms", delay_ms);
    bool is_old = n_out == n_old && memcmp(got, oldb, n_old) == 0;
    bool is_new = n_out == n_new && memcmp(got, newb, n_new) == 0;
    cr_expect(is_old || is_new,
              "kill at %d ms left %zu bytes: neither the "
              "old (%zu) nor the new (%zu) object",
              delay_ms, n_out, n_old, n_new);
    outcomes[is_new]++;
    free(got);
    free(oldb);
    free(newb);
    expect_no_temporaries(tmp_dir);
    if (is_new) { /* start again from the old one */
      copy_in(tmp("big.o.orig"), "big.o");
    }
  }
  cr_log_info("kills: %d kept the old object, %d found it complete",
              outcomes[0], outcomes[1]);
}

/* The compiled engine's shared object is removed once loaded: $TMPDIR is
 * empty after a run, and after a run killed while compiling. */
Test(hostile, compiled_engine_leaves_nothing_in_tmpdir, .timeout = 120) {
  char tdir[256];
  snprintf(tdir, sizeof tdir, "%s/tmpdir", tmp_dir);
  cr_assert_eq(mkdir(tdir, 0700), 0);
  char m[256], y[256];
  snprintf(m, sizeof m, "%s", copy_in(RELU, "m.json"));
  snprintf(y, sizeof y, "%s", tmp("y.npy"));
  setenv("TMPDIR", tdir, 1);
  cli_result r = DLC("run", m, "--input", FIXTURES "/relu/input_0.npy",
                     "--output", y, "--engine", "compiled");
  expect_status(&r, 0, "run --engine compiled");
  cli_free(&r);
  expect_no_temporaries(tdir);
  for (int delay_ms = 20; delay_ms < 400; delay_ms *= 2) {
    pid_t pid = fork();
    if (pid == 0) {
      execl(DLC_EXE, DLC_EXE, "run", m, "--input", FIXTURES "/relu/input_0.npy",
            "--output", y, "--engine", "compiled", (char *)NULL);
      _exit(127);
    }
    usleep((useconds_t)delay_ms * 1000);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    expect_no_temporaries(tdir);
  }
  unsetenv("TMPDIR");
  rmdir(tdir);
}

/* An output that is a symbolic link is written through (as fopen would),
 * not replaced by a regular file. */
Test(hostile, output_through_a_symlink_keeps_the_link) {
  const char *m = copy_in(RELU, "m.json");
  write_text("real.o", "previous object");
  cr_assert_eq(symlink("real.o", tmp("link.o")), 0);
  cli_result r = DLC(m, "-o", tmp("link.o"), "--no-header");
  expect_status(&r, 0, "-o a link");
  cli_free(&r);
  struct stat st;
  cr_assert_eq(lstat(tmp("link.o"), &st), 0);
  cr_expect(S_ISLNK(st.st_mode), "the link was replaced");
  cr_assert_eq(stat(tmp("real.o"), &st), 0);
  cr_expect_gt(st.st_size, 100, "the target was not written");
  expect_no_temporaries(tmp_dir);
}

/* ---------------------------------------- values the reader must not change */

/* A JSON model with one int64 [n] initializer 'w' holding `data`. */
static const char *json_int64(const char *file, int n, const char *data) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"dlc-graph\", \"version\": 1,\n"
           " \"inputs\": [{\"name\": \"x\", \"dtype\": \"int64\", "
           "\"shape\": [%d]}],\n"
           " \"outputs\": [{\"name\": \"y\"}],\n"
           " \"initializers\": [{\"name\": \"w\", \"dtype\": \"int64\", "
           "\"shape\": [%d], \"data\": [%s]}],\n"
           " \"nodes\": [{\"name\": \"a\", \"op\": \"Add\", \"inputs\": "
           "[\"x\", \"w\"], \"outputs\": [\"y\"]}]}\n",
           n, n, data);
  return write_text(file, text);
}

/* 2^70 was clamped to INT64_MAX and 1e30 likewise; 2^53 + 1 became 2^53. */
Test(hostile, int64_data_is_exact_or_refused) {
  expect_load_refused(json_int64("a.json", 2, "1, 1180591620717411303424"),
                      "initializers[0] 'w'.data[1]: 1180591620717411303424 "
                      "is out of int64 range");
  expect_load_refused(json_int64("b.json", 1, "-9223372036854775809"),
                      "-9223372036854775809 is out of int64 range");
  expect_load_refused(json_int64("c.json", 1, "1e30"),
                      "initializers[0] 'w'.data[0]: int64 needs an integer");
  const char *ok = json_int64("d.json", 2, "9007199254740993, 1e3");
  dlc_diag d;
  dlc_diag_init(&d, ok);
  dlc_graph *g = NULL;
  cr_assert_eq(dlc_frontend_load(ok, &g, &d), DLC_OK);
  const int64_t *w = dlc_graph_find_value(g, "w")->type.data;
  cr_expect_eq(w[0], ((int64_t)1 << 53) + 1, "2^53 + 1 read as %lld",
               (long long)w[0]);
  cr_expect_eq(w[1], 1000);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

/* Invalid UTF-8 (in a name) and a raw NUL byte were accepted. */
Test(hostile, invalid_utf8_and_nul_are_refused_with_line_and_column) {
  const char *bad_utf8 =
      write_text("u.json", "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                           " \"inputs\": [{\"name\": \"x\xc3\x28\", \"dtype\": "
                           "\"float32\", \"shape\": [1]}]}\n");
  char want[512];
  snprintf(want, sizeof want, "%s:2:24: malformed JSON: invalid UTF-8",
           bad_utf8);
  expect_load_refused(bad_utf8, want);
  /* Overlong '/' (0xc0 0xaf) and a surrogate (0xed 0xa0 0x80) too. */
  expect_load_refused(write_text("o.json", "{\"a\xc0\xaf\": 1}"),
                      ":1:4: malformed JSON: invalid UTF-8");
  expect_load_refused(write_text("s.json", "{\"a\xed\xa0\x80\": 1}"),
                      ":1:4: malformed JSON: invalid UTF-8");
  FILE *f = fopen(tmp("nul.json"), "wb");
  cr_assert_not_null(f);
  fwrite("{\"format\": \"dlc\0graph\"}", 1, 23, f);
  fclose(f);
  expect_load_refused(tmp("nul.json"), ":1:16: malformed JSON: a NUL byte");
  /* Valid multi-byte names are fine. */
  const char *ok = write_text(
      "ok.json", "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                 " \"inputs\": [{\"name\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"
                 "\x80\", \"dtype\": \"float32\", \"shape\": [1]}],\n"
                 " \"outputs\": [{\"name\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"
                 "\x80\"}], \"nodes\": []}\n");
  expect_load_ok(ok);
}

/* -------------------------------------------------------------- messages */

/* 3,000 levels of subgraph attributes overflowed protobuf-c's stack. */
Test(hostile, deeply_nested_onnx_is_refused) {
  expect_load_refused(DLC_SOURCE_DIR
                      "/tests/fuzz/crashers/onnx/nested_subgraphs.onnx",
                      "its messages nest more than 100 deep");
}

/* A Concat of 70,000 inputs was said to take "at least 1". */
Test(hostile, concat_over_the_input_limit_states_the_limit) {
  enum { N = 70000 };
  size_t cap = (size_t)N * 5 + 1024, n = 0;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  n += (size_t)snprintf(text + n, cap - n,
                        "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                        " \"inputs\": [{\"name\": \"x\", \"dtype\": "
                        "\"float32\", \"shape\": [1]}],\n"
                        " \"outputs\": [{\"name\": \"y\"}],\n"
                        " \"nodes\": [{\"name\": \"c\", \"op\": \"Concat\", "
                        "\"attrs\": {\"axis\": 0}, \"inputs\": [");
  for (int i = 0; i < N; i++)
    n += (size_t)snprintf(text + n, cap - n, "%s\"x\"", i ? "," : "");
  snprintf(text + n, cap - n, "], \"outputs\": [\"y\"]}]}\n");
  const char *m = write_text("concat.json", text);
  free(text);
  expect_load_refused(m, "node 'c' (Concat) takes at most 65535 inputs, got "
                         "70000");
}

/* "??=" in a name became '#' (a trigraph) when model.h was compiled with
 * -std=c11: the name the application reads must be the model's. */
Test(hostile, trigraphs_in_names_survive_the_header, .timeout = 120) {
  const char *m = write_text(
      "m.json", "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                " \"inputs\": [{\"name\": \"a?\?=b?\?/\", \"dtype\": "
                "\"float32\", \"shape\": [2]}],\n"
                " \"outputs\": [{\"name\": \"y\"}],\n"
                " \"nodes\": [{\"name\": \"r\", \"op\": \"Relu\", \"inputs\": "
                "[\"a?\?=b?\?/\"], \"outputs\": [\"y\"]}]}\n");
  cli_result r = DLC(m, "-o", tmp("m.o"), "--name", "tg");
  expect_status(&r, 0, "compile");
  cli_free(&r);
  write_text("main.c", "#include <stdio.h>\n#include \"m.h\"\n"
                       "int main(void) { puts(TG_INPUT0_NAME); return 0; }\n");
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd %s && cc -std=c11 -trigraphs -o prog main.c >cc.log 2>&1 && "
           "./prog >out.txt",
           tmp_dir);
  cr_assert_eq(system(cmd), 0, "the header does not compile: %s",
               th_read_file(tmp("cc.log"), NULL));
  char *out = th_read_file(tmp("out.txt"), NULL);
  cr_assert_not_null(out);
  cr_expect_str_eq(out, "a?\?=b?\?/\n");
  free(out);
}

/* ---------------------------------------------------- size and memory */

/* A JSON chain of n Relu nodes, then tail (appended verbatim after the
 * document: a syntax error, to tell a refusal before parsing from one
 * after). */
static const char *relu_chain(const char *file, int n, const char *tail) {
  size_t cap = (size_t)n * 96 + 512, len = 0;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  len += (size_t)snprintf(text, cap,
                          "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                          " \"inputs\": [{\"name\": \"x\", \"dtype\": "
                          "\"float32\", \"shape\": [4]}],\n"
                          " \"outputs\": [{\"name\": \"t%d\"}],\n"
                          " \"nodes\": [\n",
                          n - 1);
  for (int i = 0; i < n; i++) {
    char in[32] = "x";
    if (i > 0)
      snprintf(in, sizeof in, "t%d", i - 1);
    len += (size_t)snprintf(text + len, cap - len,
                            "%s{\"name\": \"r%d\", \"op\": \"Relu\", "
                            "\"inputs\": [\"%s\"], \"outputs\": [\"t%d\"]}\n",
                            i ? "," : "", i, in, i);
  }
  snprintf(text + len, cap - len, "]}\n%s", tail);
  const char *path = write_text(file, text);
  free(text);
  return path;
}

/* Loads path within limits; returns the status and keeps the messages. */
static dlc_status load_limited(const char *path, int64_t max_input,
                               int64_t max_memory, dlc_diag *d) {
  dlc_load_limits l = {max_input, max_memory};
  dlc_diag_init(d, path);
  dlc_graph *g = NULL;
  dlc_status st = dlc_frontend_load_limited(path, &l, &g, d);
  dlc_graph_destroy(g);
  return st;
}

/* The first estimate a refusal states ("about N bytes"), -1 if none. */
static long long stated_estimate(const dlc_diag *d) {
  for (size_t i = 0; i < d->messages.n; i++) {
    const char *at = strstr(d->messages.items[i], "take about ");
    if (at)
      return atoll(at + strlen("take about "));
  }
  return -1;
}

/* A 38.7 MB ONNX file of 1M Identity nodes took 1.96 GB: models are
 * refused by the memory they would take, estimated before they are
 * parsed (the refusal comes before the syntax error at the end). */
Test(hostile, model_over_max_memory_is_refused_before_parsing) {
  const char *m = relu_chain("chain.json", 20000, "");
  const char *bad = relu_chain("bad.json", 20000, "this is no JSON");
  cli_result r = DLC("check", m, "--max-memory", "16M");
  expect_refused_with(&r, "nodes in ", "check --max-memory 16M");
  r = DLC("check", bad, "--max-memory=16M");
  expect_status(&r, 1, "a bad document over the limit");
  cr_expect(strstr(r.err, "20000 nodes") && strstr(r.err,
                                                   "above the limit of "
                                                   "16777216 (--max-memory)"),
            "%s", r.err);
  cr_expect(!strstr(r.err, "unexpected content"), "parsed: %s", r.err);
  cli_free(&r);
  r = DLC("check", m, "--max-memory", "1G");
  expect_status(&r, 0, "check --max-memory 1G");
  cli_free(&r);
  r = DLC("import", ONNX_DIR "/convbn_op13.onnx", "-o", tmp("c.json"),
          "--max-memory", "4K");
  expect_refused_with(&r, "(--max-memory)", "import --max-memory 4K");
  cr_expect(access(tmp("c.json"), F_OK) != 0, "c.json written");
  r = DLC("check", m, "--max-memory", "16Q");
  expect_status(&r, 2, "a size that is none");
  cli_free(&r);
}

/* Weight files count too, before they are read: with the limit at the
 * model's own estimate, the buffer (JSON) or external data (ONNX) is what
 * goes over it, and is named. */
Test(hostile, weight_files_count_against_max_memory) {
  const char *m = json_with_buffer("w.json", "w.bin", 256);
  write_bytes(tmp("w.bin"), 1024);
  const char *onnx = copy_in(ONNX_DIR "/external.onnx", "e.onnx");
  copy_in(ONNX_DIR "/external.data", "external.data");
  const char *models[2] = {m, onnx}, *named[2] = {"buffers[0]", "'external"};
  for (int i = 0; i < 2; i++) {
    dlc_diag d;
    cr_assert_neq(load_limited(models[i], 0, 1, &d), DLC_OK);
    long long own = stated_estimate(&d);
    cr_assert_gt(own, 1, "%s: no estimate stated", models[i]);
    dlc_diag_free(&d);
    cr_expect_neq(load_limited(models[i], 0, own, &d), DLC_OK, "%s",
                  models[i]);
    cr_expect(dlc_diag_contains(&d, named[i]) &&
                  dlc_diag_contains(&d, "twice), above the limit"),
              "%s: %s", models[i], d.messages.n ? d.messages.items[0] : "");
    dlc_diag_free(&d);
    cr_expect_eq(load_limited(models[i], 0, own + (1 << 20), &d), DLC_OK,
                 "%s: %s", models[i], d.messages.n ? d.messages.items[0] : "");
    dlc_diag_free(&d);
  }
}

/* Model files above --max-input (default 2 GiB, as protobuf's limit for
 * ONNX) are refused before they are read, JSON and ONNX alike. */
Test(hostile, model_file_over_max_input_is_refused) {
  const char *m = relu_chain("chain.json", 40, "");
  struct stat st;
  cr_assert_eq(stat(m, &st), 0);
  char want[128];
  snprintf(want, sizeof want, "the file is %lld bytes, above the limit of "
           "1024 (--max-input)", (long long)st.st_size);
  cli_result r = DLC("check", m, "--max-input", "1K");
  expect_refused_with(&r, want, "JSON over --max-input");
  cr_assert_eq(stat(ONNX_DIR "/convbn_op13.onnx", &st), 0);
  snprintf(want, sizeof want, "the file is %lld bytes, above the limit of "
           "1024 (--max-input)", (long long)st.st_size);
  r = DLC("check", ONNX_DIR "/convbn_op13.onnx", "--max-input", "1K");
  expect_refused_with(&r, want, "ONNX over --max-input");
  r = DLC("check", m, "--max-input", "1M");
  expect_status(&r, 0, "JSON under --max-input");
  cli_free(&r);
  /* The default limits are what the documentation says. */
  dlc_load_limits l;
  dlc_load_limits_init(&l);
  cr_expect_eq(l.max_input, (int64_t)1 << 31);
  long long phys = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  cr_expect_eq(l.max_memory, phys / 2);
}

/* ------------------------------------------------- allocations that fail */

/* Sanitizer builds abort on an impossible allocation unless told to return
 * NULL, as malloc does: the children get allocator_may_return_null. */
static void allow_failed_allocations(void) {
  const char *old = getenv("ASAN_OPTIONS");
  char opts[1024];
  snprintf(opts, sizeof opts, "%s%sallocator_may_return_null=1", old ? old : "",
           old && *old ? ":" : "");
  setenv("ASAN_OPTIONS", opts, 1);
}

/* dlc bench aborted ("assertion failed: ins[i].data") on an input of 4 TiB;
 * dlc run --engine compiled likewise on an output (an Expand to 2^40). */
Test(hostile, impossible_allocations_are_errors_naming_the_tensor,
     .timeout = 120) {
  allow_failed_allocations();
  const char *big = write_text(
      "big.json", "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                  " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
                  "\"shape\": [1099511627776]}],\n"
                  " \"outputs\": [{\"name\": \"y\"}],\n"
                  " \"nodes\": [{\"name\": \"r\", \"op\": \"Relu\", "
                  "\"inputs\": [\"x\"], \"outputs\": [\"y\"]}]}\n");
  cli_result r = DLC("bench", big, "--engine", "compiled", "--repeat", "1");
  expect_refused_with(&r, "cannot allocate input 'x' (4398046511104 bytes)",
                      "bench");
  const char *expand = write_text(
      "expand.json",
      "{\"format\": \"dlc-graph\", \"version\": 1,\n"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", \"shape\": "
      "[2, 3, 4, 5]}],\n \"outputs\": [{\"name\": \"y\"}],\n"
      " \"initializers\": [{\"name\": \"s\", \"dtype\": \"int64\", \"shape\": "
      "[5], \"data\": [8589934592, 1, 1, 1, 1]}],\n"
      " \"nodes\": [{\"name\": \"e\", \"op\": \"Expand\", \"inputs\": [\"x\", "
      "\"s\"], \"outputs\": [\"y\"]}]}\n");
  r = DLC("run", expand, "--input", FIXTURES "/relu/input_0.npy", "--output",
          tmp("y.npy"), "--engine", "compiled");
  expect_refused_with(&r, "cannot allocate output 'y'", "run compiled");
  cr_expect(access(tmp("y.npy"), F_OK) != 0, "y.npy written");
}

/* ------------------------------------------------------------ compile time */

/* Every kernel was inlined into the body (one call site each), and LLVM's
 * scheduler and register allocator then saw one giant function: compile
 * time grew far faster than the node count. In a graph of more than 256
 * nodes each kernel must stay a function of its own after -O2: 280 MatMuls
 * of distinct shapes (no two share a kernel; the widths walk over 17 values
 * without repeating a pair), each followed by a Sigmoid that fuses in. */
Test(hostile, kernels_stay_separate_functions_at_O2, .timeout = 300) {
  enum { N = 280, K = 17, BUF = 2048 };
  FILE *f = fopen(tmp("zeros.bin"), "wb");
  cr_assert_not_null(f);
  for (int i = 0; i < BUF; i++)
    fputc(0, f);
  fclose(f);
  size_t cap = 512 * 1024, n = 0;
  char *text = malloc(cap), *inits = malloc(cap), *nodes = malloc(cap);
  cr_assert(text && inits && nodes);
  size_t ni = 0, nn = 0;
  const char *prev = "x";
  char prev_buf[16];
  bool used[K][K] = {{false}};
  int d = 0; /* width - 4 */
  for (int i = 0; i < N; i++) {
    int e = K - 1; /* prefer the largest width not yet paired with d */
    while (e >= 0 && used[d][e])
      e--;
    cr_assert_geq(e, 0, "the width walk ran out of pairs at %d", i);
    used[d][e] = true;
    ni += (size_t)snprintf(inits + ni, cap - ni,
                           "%s{\"name\": \"w%d\", \"dtype\": \"float32\", "
                           "\"shape\": [%d, %d], \"buffer\": 0}",
                           i ? ", " : "", i, d + 4, e + 4);
    nn += (size_t)snprintf(nodes + nn, cap - nn,
                           "%s{\"name\": \"m%d\", \"op\": \"MatMul\", "
                           "\"inputs\": [\"%s\", \"w%d\"], \"outputs\": "
                           "[\"p%d\"]}, {\"name\": \"s%d\", \"op\": "
                           "\"Sigmoid\", \"inputs\": [\"p%d\"], \"outputs\": "
                           "[\"q%d\"]}",
                           i ? ", " : "", i, prev, i, i, i, i, i);
    snprintf(prev_buf, sizeof prev_buf, "q%d", i);
    prev = prev_buf;
    d = e;
  }
  n += (size_t)snprintf(text, cap,
                        "{\"format\": \"dlc-graph\", \"version\": 1,\n"
                        " \"inputs\": [{\"name\": \"x\", \"dtype\": "
                        "\"float32\", \"shape\": [1, 4]}],\n"
                        " \"outputs\": [{\"name\": \"%s\"}],\n"
                        " \"initializers\": [%s],\n \"nodes\": [%s],\n"
                        " \"buffers\": [{\"uri\": \"zeros.bin\", "
                        "\"byte_length\": %d}]}\n",
                        prev, inits, nodes, BUF);
  (void)n;
  const char *m = write_text("chain.json", text);
  free(text);
  free(inits);
  free(nodes);
  cli_result r =
      DLC(m, "-o", tmp("chain.ll"), "--emit", "llvm", "-O2", "--name", "ch");
  expect_status(&r, 0, "compile the chain");
  cli_free(&r);
  char *ir = th_read_file(tmp("chain.ll"), NULL);
  cr_assert_not_null(ir);
  int kernels = 0;
  for (const char *p = ir; (p = strstr(p, "\ndefine ")); p++) {
    const char *name = strchr(p, '@');
    if (name && !strncmp(name, "@ch_k", 5) && strstr(name, "_MatMul(") &&
        strstr(name, "_MatMul(") < strchr(name, '\n'))
      kernels++;
  }
  free(ir);
  cr_expect_eq(kernels, N, "%d MatMul kernels left as functions, want %d",
               kernels, N);
}
