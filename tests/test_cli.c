/* test_cli.c — the `dlc` command as users meet it: the built executable
 * (DLC_EXE) is spawned with its stdout and stderr captured, and its exit
 * status (0 ok, 1 bad model or input, 2 bad usage), messages and written
 * files are checked. Suite `cli`: help, usage errors, bad models, check,
 * run (against PyTorch's outputs from the fixture set), show. Suite
 * `stats`: `dlc stats --json` on models built here, against textbook
 * parameter and MAC counts and hand-computed receptive fields. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "npy/npy.h"
#include "cli_helpers.h"
#include "helpers.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define BAD_MODELS DLC_SOURCE_DIR "/tests/bad_models"


static char *fixture(const char *rel) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", FIXTURES, rel);
  return p;
}

/* ------------------------------------------------------------ help */

TestSuite(cli, .init = tmp_setup, .fini = tmp_teardown);

Test(cli, help_documents_every_command) {
  cli_result r = DLC("--help");
  expect_status(&r, 0, "dlc --help");
  const char *want[] = {"dlc MODEL -o", "dlc run",    "--input",   "--output",
                        "--engine",     "dlc check",  "dlc stats", "--json",
                        "dlc show",     "exit status"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_expect(strstr(r.out, want[i]), "dlc --help does not mention '%s'",
              want[i]);
  cli_free(&r);
  const char *cmds[] = {"run", "check", "stats", "show"};
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    r = DLC(cmds[i], "--help");
    expect_status(&r, 0, cmds[i]);
    char usage[64];
    snprintf(usage, sizeof usage, "usage: dlc %s", cmds[i]);
    cr_expect(!strncmp(r.out, usage, strlen(usage)),
              "dlc %s --help starts with: %.60s", cmds[i], r.out);
    cli_free(&r);
  }
}

/* ---------------------------------------------------- usage errors: 2 */

Test(cli, usage_errors_exit_2_with_a_pointer_to_help) {
  const char *m = fixture("relu/model.json"), *x = fixture("relu/input_0.npy");
  static const char *d = "/tmp/dlc-nowhere";
  const struct {
    const char *args[10];
    const char *message;
  } cases[] = {
      {{NULL}, "no command or model given"},
      {{"-x"}, "unknown option '-x'"},
      {{"--frobnicate", m}, "unknown option '--frobnicate'"},
      {{"check"}, "no model given"},
      {{"check", "--frob", m}, "unknown option '--frob'"},
      {{"check", m, m}, "more than one model"},
      {{"show"}, "no model given"},
      {{"stats", "--jsn", m}, "unknown option '--jsn'"},
      {{"run", m, "--input"}, "option --input needs a value"},
      {{"run", m, "--input", x}, "no --output or --output-dir given"},
      {{"run", m, "--input", x, "--output", "y.npy", "--engine", "gpu"},
       "unknown engine 'gpu'"},
      {{"run", m, "--input", x, "--output", "y.npy", "--output-dir", d},
       "not both"},
      {{"run", m, "--input", x, "--outptu", "y.npy"},
       "unknown option '--outptu'"},
      {{"run", "--input", x, "--output", "y.npy"}, "no model given"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cli_result r = dlc(cases[i].args);
    char what[128];
    snprintf(what, sizeof what, "usage case %zu (%s)", i, cases[i].message);
    expect_status(&r, 2, what);
    cr_expect(strstr(r.err, cases[i].message), "%s: stderr is: %s", what,
              r.err);
    cr_expect(strstr(r.err, "see dlc --help"), "%s: no pointer to --help",
              what);
    cr_expect_str_empty(r.out, "%s: stdout is not empty", what);
    cli_free(&r);
  }
}

/* --------------------------------------------------- bad models: 1 */

/* Every committed malformed model: `dlc check` exits 1 (never 0, never a
 * crash), and every line it prints names the file. */
Test(cli, check_rejects_every_bad_model_with_located_lines) {
  DIR *dir = opendir(BAD_MODELS);
  cr_assert_not_null(dir, "cannot list " BAD_MODELS);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
      continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", BAD_MODELS, e->d_name);
    cli_result r = DLC("check", path);
    expect_status(&r, 1, e->d_name);
    cr_expect_geq(expect_lines_name_file(r.err, path, e->d_name), 1,
                  "%s: no message", e->d_name);
    cli_free(&r);
    n++;
  }
  closedir(dir);
  cr_expect_geq(n, 40, "only %d bad models found", n);
}

/* Two independent problems: both reported, in one run, by every command
 * that loads a model. */
Test(cli, bad_model_reports_every_problem_and_exits_1) {
  const char *m = write_text(
      "bad.json",
      "{\"format\": \"dlc-graph\", \"version\": 1,\n"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
      "\"shape\": [1, 3, 8, 8]}],\n"
      " \"outputs\": [{\"name\": \"z\"}],\n"
      " \"nodes\": [{\"name\": \"n1\", \"op\": \"Frob\", \"inputs\": [\"x\"], "
      "\"outputs\": [\"y\"]},\n"
      "  {\"name\": \"n2\", \"op\": \"Relu\", \"inputs\": [\"nope\"], "
      "\"outputs\": [\"z\"]}]}\n");
  const char *const *cmds[] = {
      (const char *const[]){"check", m, NULL},
      (const char *const[]){"stats", m, NULL},
      (const char *const[]){"show", m, NULL},
      (const char *const[]){"run", m, "--input", fixture("relu/input_0.npy"),
                            "--output", tmp("y.npy"), NULL},
  };
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    cli_result r = dlc(cmds[i]);
    expect_status(&r, 1, cmds[i][0]);
    cr_expect_geq(expect_lines_name_file(r.err, m, cmds[i][0]), 2,
                  "%s: want both problems reported:\n%s", cmds[i][0], r.err);
    cr_expect(strstr(r.err, "n1") && strstr(r.err, "Frob"),
              "%s: unknown op not named: %s", cmds[i][0], r.err);
    cr_expect(strstr(r.err, "nope"), "%s: undefined value not named: %s",
              cmds[i][0], r.err);
    cli_free(&r);
  }
  const char *missing = tmp("missing.json");
  cli_result r = DLC("check", missing);
  expect_status(&r, 1, "missing model");
  cr_expect_geq(expect_lines_name_file(r.err, missing, "missing model"), 1);
  cli_free(&r);
}

/* ---------------------------------------------------------- check, show */

Test(cli, check_and_show_accept_a_good_model) {
  const char *m = fixture("net_resnet_basic_block/model.json");
  cli_result r = DLC("check", m);
  expect_status(&r, 0, "check");
  char want[600];
  snprintf(want, sizeof want, "%s: ok (9 nodes, ", m);
  cr_expect(!strncmp(r.out, want, strlen(want)), "check printed: %s", r.out);
  cr_expect_str_empty(r.err);
  cli_free(&r);
  r = DLC("show", m);
  expect_status(&r, 0, "show");
  cr_expect(strstr(r.out, "conv1") && strstr(r.out, "Conv") &&
                strstr(r.out, "BatchNormalization"),
            "show printed: %s", r.out);
  cli_free(&r);
}

/* ------------------------------------------------------------------- run */

static dlc_tensor npy(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_tensor t;
  dlc_status st = dlc_npy_read(path, &t, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "cannot read %s", path);
  return t;
}

/* got.npy equals want.npy within atol + rtol*|want|. */
static void expect_npy_close(const char *got_path, const char *want_path,
                             double atol, double rtol) {
  dlc_tensor got = npy(got_path), want = npy(want_path);
  cr_expect(got.dtype == want.dtype && dlc_tensor_same_shape(&got, &want),
            "%s: dtype/shape differ from %s", got_path, want_path);
  if (got.dtype == DLC_DT_FLOAT32 && dlc_tensor_same_shape(&got, &want))
    th_assert_close(got.data, want.data, dlc_tensor_numel(&want), atol, rtol);
  free(got.data);
  free(want.data);
}

Test(cli, run_matches_pytorch_with_both_engines) {
  /* two inputs, one output (Resize + Concat + Conv) */
  const char *m = fixture("net_upsample_concat/model.json");
  const char *a = fixture("net_upsample_concat/input_0.npy");
  const char *b = fixture("net_upsample_concat/input_1.npy");
  const char *want = fixture("net_upsample_concat/expected_0.npy");
  const char *engines[] = {"interp", "blas"};
  for (int e = 0; e < 2; e++) {
    const char *y = tmp(e ? "y_blas.npy" : "y_interp.npy");
    cli_result r = DLC("run", m, "--input", a, "--input", b, "--output", y,
                       "--engine", engines[e]);
    expect_status(&r, 0, engines[e]);
    cli_free(&r);
    expect_npy_close(y, want, 1e-3, 1e-3);
  }
  /* --output-dir writes NAME.npy per graph output */
  cli_result r =
      DLC("run", fixture("net_spp/model.json"), "--input",
          fixture("net_spp/input_0.npy"), "--output-dir", tmp("outdir"));
  expect_status(&r, 0, "--output-dir");
  cli_free(&r);
  dlc_graph *g = NULL;
  dlc_diag d;
  dlc_diag_init(&d, "spp");
  cr_assert_eq(dlc_frontend_load(fixture("net_spp/model.json"), &g, &d),
               DLC_OK);
  char path[512];
  snprintf(path, sizeof path, "%s/%s.npy", tmp("outdir"),
           g->outputs.items[0]->name);
  expect_npy_close(path, fixture("net_spp/expected_0.npy"), 1e-3, 1e-3);
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
}

Test(cli, run_rejects_bad_inputs_with_exit_1) {
  const char *m = fixture("net_upsample_concat/model.json");
  const char *a = fixture("net_upsample_concat/input_0.npy");
  const char *b = fixture("net_upsample_concat/input_1.npy");
  const char *y = tmp("y.npy");
  /* wrong count */
  cli_result r = DLC("run", m, "--input", a, "--output", y);
  expect_status(&r, 1, "one input of two");
  cr_expect(strstr(r.err, "2 input(s)") && strstr(r.err, "1 --input given"),
            "count message: %s", r.err);
  cli_free(&r);
  r = DLC("run", m, "--input", a, "--input", b, "--output", y, "--output", y);
  expect_status(&r, 1, "two outputs of one");
  cr_expect(strstr(r.err, "1 output(s)"), "count message: %s", r.err);
  cli_free(&r);
  /* swapped inputs: both wrong, each reported naming its file */
  r = DLC("run", m, "--input", b, "--input", a, "--output", y);
  expect_status(&r, 1, "swapped inputs");
  char want_a[600], want_b[600];
  snprintf(want_a, sizeof want_a, "%s: input '", a);
  snprintf(want_b, sizeof want_b, "%s: input '", b);
  cr_expect(strstr(r.err, want_a) && strstr(r.err, want_b),
            "want both files named: %s", r.err);
  cr_expect(strstr(r.err, "does not match the declared shape"), "%s", r.err);
  cli_free(&r);
  /* a truncated .npy: the file is named */
  size_t n;
  char *raw = th_read_file(a, &n);
  FILE *f = fopen(tmp("short.npy"), "wb");
  fwrite(raw, 1, n - 4, f);
  fclose(f);
  free(raw);
  r = DLC("run", m, "--input", tmp("short.npy"), "--input", b, "--output", y);
  expect_status(&r, 1, "truncated input");
  cr_expect_eq(expect_lines_name_file(r.err, tmp("short.npy"), "truncated"), 1);
  cr_expect(strstr(r.err, "truncated"), "%s", r.err);
  cli_free(&r);
  /* an int64 file for a float32 input */
  int64_t i64[2] = {1, 2}, dims[1] = {2};
  dlc_tensor t = {.dtype = DLC_DT_INT64, .rank = 1, .data = i64};
  memcpy(t.dims, dims, sizeof dims);
  dlc_diag dg;
  dlc_diag_init(&dg, "t");
  cr_assert_eq(dlc_npy_write(tmp("i64.npy"), &t, &dg), DLC_OK);
  dlc_diag_free(&dg);
  r = DLC("run", m, "--input", tmp("i64.npy"), "--input", b, "--output", y);
  expect_status(&r, 1, "int64 input");
  cr_expect(strstr(r.err, "holds int64, but the model declares float32"), "%s",
            r.err);
  cli_free(&r);
}

/* A symbolic batch dimension takes the size given. */
Test(cli, run_binds_symbolic_dims) {
  const char *m = write_text(
      "sym.json",
      "{\"format\": \"dlc-graph\", \"version\": 1,\n"
      " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
      "\"shape\": [\"N\", 2]}],\n"
      " \"outputs\": [{\"name\": \"y\"}],\n"
      " \"nodes\": [{\"name\": \"r\", \"op\": \"Relu\", \"inputs\": [\"x\"], "
      "\"outputs\": [\"y\"]}]}\n");
  const float x[6] = {-1, 2, -3, 4, 0.5f, -0.25f},
              want[6] = {0, 2, 0, 4, 0.5f, 0};
  const int64_t dims[2] = {3, 2};
  dlc_tensor t = th_f32(x, 2, dims);
  dlc_diag d;
  dlc_diag_init(&d, "t");
  cr_assert_eq(dlc_npy_write(tmp("x3.npy"), &t, &d), DLC_OK);
  dlc_diag_free(&d);
  cli_result r =
      DLC("run", m, "--input", tmp("x3.npy"), "--output", tmp("y3.npy"));
  expect_status(&r, 0, "N = 3");
  cli_free(&r);
  dlc_tensor y = npy(tmp("y3.npy"));
  cr_assert(y.rank == 2 && y.dims[0] == 3 && y.dims[1] == 2,
            "output shape not [3, 2]");
  th_assert_close(y.data, want, 6, 0, 0);
  free(y.data);
  /* a fixed dim still has to match; the message shows the symbol */
  const int64_t bad[2] = {3, 3};
  t = th_f32(x, 2, bad);
  float x9[9] = {0};
  t.data = x9;
  dlc_diag_init(&d, "t");
  cr_assert_eq(dlc_npy_write(tmp("x33.npy"), &t, &d), DLC_OK);
  dlc_diag_free(&d);
  r = DLC("run", m, "--input", tmp("x33.npy"), "--output", tmp("y33.npy"));
  expect_status(&r, 1, "[3, 3] for [N, 2]");
  cr_expect(strstr(r.err, "input 'x': shape [3, 3] does not match the "
                          "declared shape [N, 2]"),
            "%s", r.err);
  cli_free(&r);
}

/* ----------------------------------------------------- model building */

/* Models for the stats tests are built as cJSON documents: weights are
 * zeros in data_base64 (only their shapes matter to the counts). */
static cJSON *model_new(const char *name, const int64_t *shape, int rank) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "format", "dlc-graph");
  cJSON_AddNumberToObject(m, "version", 1);
  cJSON_AddStringToObject(m, "name", name);
  cJSON *in = cJSON_CreateObject();
  cJSON_AddStringToObject(in, "name", "x");
  cJSON_AddStringToObject(in, "dtype", "float32");
  cJSON *s = cJSON_AddArrayToObject(in, "shape");
  for (int i = 0; i < rank; i++)
    cJSON_AddItemToArray(s, cJSON_CreateNumber((double)shape[i]));
  cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "inputs"), in);
  cJSON_AddArrayToObject(m, "outputs");
  cJSON_AddArrayToObject(m, "initializers");
  cJSON_AddArrayToObject(m, "nodes");
  return m;
}

static cJSON *ints(int n, const int64_t *v) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
  return a;
}

/* A float32 initializer filled with `fill` (int64 when is_int). */
static void add_init(cJSON *m, const char *name, int rank, const int64_t *shape,
                     double fill, bool is_int) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++)
    n *= shape[i];
  size_t esize = is_int ? 8 : 4;
  unsigned char *bytes = malloc((size_t)n * esize + 1);
  for (int64_t i = 0; i < n; i++) {
    float f = (float)fill;
    int64_t k = (int64_t)fill;
    memcpy(bytes + i * esize, is_int ? (void *)&k : (void *)&f, esize);
  }
  char *b64 = dlc_base64_encode(bytes, (size_t)n * esize);
  cJSON *t = cJSON_CreateObject();
  cJSON_AddStringToObject(t, "name", name);
  cJSON_AddStringToObject(t, "dtype", is_int ? "int64" : "float32");
  cJSON_AddItemToObject(t, "shape", ints(rank, shape));
  cJSON_AddStringToObject(t, "data_base64", b64);
  cJSON_AddItemToArray(cJSON_GetObjectItem(m, "initializers"), t);
  free(b64);
  free(bytes);
}

/* A node; inputs is a NULL-terminated list; attrs may be NULL. */
static cJSON *add_node(cJSON *m, const char *name, const char *op,
                       const char *const *inputs, const char *output) {
  cJSON *n = cJSON_CreateObject();
  cJSON_AddStringToObject(n, "name", name);
  cJSON_AddStringToObject(n, "op", op);
  cJSON *in = cJSON_AddArrayToObject(n, "inputs");
  for (int i = 0; inputs[i]; i++)
    cJSON_AddItemToArray(in, cJSON_CreateString(inputs[i]));
  cJSON_AddItemToArray(cJSON_AddArrayToObject(n, "outputs"),
                       cJSON_CreateString(output));
  cJSON_AddItemToArray(cJSON_GetObjectItem(m, "nodes"), n);
  return n;
}

#define NODE(m, name, op, out, ...)                                            \
  add_node(m, name, op, (const char *const[]){__VA_ARGS__, NULL}, out)

static cJSON *attrs_of(cJSON *node) {
  cJSON *a = cJSON_GetObjectItem(node, "attrs");
  return a ? a : cJSON_AddObjectToObject(node, "attrs");
}

/* Conv without bias: weight "<name>.w" (cout, cin, kh, kw); square stride
 * and dilation; pads (ph, pw) at both ends. */
static void add_conv(cJSON *m, const char *name, const char *in,
                     const char *out, int64_t cin, int64_t cout, int64_t kh,
                     int64_t kw, int64_t stride, int64_t dil, int64_t ph,
                     int64_t pw) {
  char w[128];
  snprintf(w, sizeof w, "%s.w", name);
  const int64_t shape[4] = {cout, cin, kh, kw};
  add_init(m, w, 4, shape, 0.0, false);
  cJSON *a = attrs_of(NODE(m, name, "Conv", out, in, w));
  const int64_t st[2] = {stride, stride}, dl[2] = {dil, dil},
                pd[4] = {ph, pw, ph, pw};
  cJSON_AddItemToObject(a, "strides", ints(2, st));
  cJSON_AddItemToObject(a, "dilations", ints(2, dl));
  cJSON_AddItemToObject(a, "pads", ints(4, pd));
}

static void add_bn(cJSON *m, const char *name, const char *in, const char *out,
                   int64_t c) {
  const char *suffix[4] = {"scale", "bias", "mean", "var"};
  char names[4][128];
  for (int i = 0; i < 4; i++) {
    snprintf(names[i], sizeof names[i], "%s.%s", name, suffix[i]);
    add_init(m, names[i], 1, &c, i == 0 || i == 3 ? 1.0 : 0.0, false);
  }
  NODE(m, name, "BatchNormalization", out, in, names[0], names[1], names[2],
       names[3]);
}

static void add_pool(cJSON *m, const char *name, const char *op, const char *in,
                     const char *out, int64_t k, int64_t stride) {
  cJSON *a = attrs_of(NODE(m, name, op, out, in));
  const int64_t ks[2] = {k, k}, st[2] = {stride, stride};
  cJSON_AddItemToObject(a, "kernel_shape", ints(2, ks));
  cJSON_AddItemToObject(a, "strides", ints(2, st));
}

/* Writes the model with the given output and returns its path. */
static const char *model_write(cJSON *m, const char *output, const char *file) {
  cJSON_AddItemToArray(cJSON_GetObjectItem(m, "outputs"), cJSON_CreateObject());
  cJSON_AddStringToObject(
      cJSON_GetArrayItem(cJSON_GetObjectItem(m, "outputs"), 0), "name", output);
  char *text = cJSON_Print(m);
  const char *p = write_text(file, text);
  free(text);
  cJSON_Delete(m);
  return p;
}

/* Runs `dlc stats --json` and parses its output (free: cJSON_Delete). */
static cJSON *stats_json(const char *model) {
  cli_result r = DLC("stats", "--json", "-O0", model);
  expect_status(&r, 0, "stats --json");
  cJSON *j = cJSON_Parse(r.out);
  cr_assert_not_null(j, "stats --json printed invalid JSON:\n%s\n%s", r.out,
                     r.err);
  cli_free(&r);
  return j;
}

static const cJSON *stats_node(const cJSON *j, const char *name) {
  const cJSON *n;
  cJSON_ArrayForEach(n, cJSON_GetObjectItem(j, "nodes")) {
    const cJSON *nm = cJSON_GetObjectItem(n, "name");
    if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name))
      return n;
  }
  cr_assert_fail("node '%s' missing from stats --json", name);
  return NULL;
}

static int64_t num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  cr_assert(cJSON_IsNumber(v), "'%s' is not a number", key);
  return (int64_t)v->valuedouble;
}

/* Asserts the node's receptive field and jump ([h, w]); 0 for null. */
static void expect_rf(const cJSON *j, const char *node, int64_t rf_h,
                      int64_t rf_w, int64_t jump_h, int64_t jump_w) {
  const cJSON *n = stats_node(j, node);
  const char *keys[2] = {"receptive_field", "jump"};
  const int64_t want[2][2] = {{rf_h, rf_w}, {jump_h, jump_w}};
  for (int k = 0; k < 2; k++) {
    const cJSON *v = cJSON_GetObjectItem(n, keys[k]);
    if (want[k][0] == 0) {
      cr_expect(cJSON_IsNull(v), "%s: %s should be null", node, keys[k]);
      continue;
    }
    cr_assert(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2,
              "%s: %s is not [h, w]", node, keys[k]);
    int64_t h = (int64_t)cJSON_GetArrayItem(v, 0)->valuedouble;
    int64_t w = (int64_t)cJSON_GetArrayItem(v, 1)->valuedouble;
    cr_expect(h == want[k][0] && w == want[k][1],
              "%s: %s [%lld, %lld], want [%lld, %lld]", node, keys[k],
              (long long)h, (long long)w, (long long)want[k][0],
              (long long)want[k][1]);
  }
}

/* ------------------------------------------------------------------ stats */

TestSuite(stats, .init = tmp_setup, .fini = tmp_teardown);

/* ResNet basic block at 64 channels, 56x56: the textbook numbers.
 * Conv: 64*64*3*3 = 36,864 params, 56*56*64 * 64*3*3 = 115,605,504 MACs.
 * BatchNormalization: 4 x 64 = 256 params (scale, bias, mean, var). */
static const char *resnet_block(void) {
  const int64_t shape[4] = {1, 64, 56, 56};
  cJSON *m = model_new("basic_block", shape, 4);
  add_conv(m, "conv1", "x", "c1", 64, 64, 3, 3, 1, 1, 1, 1);
  add_bn(m, "bn1", "c1", "b1", 64);
  NODE(m, "relu1", "Relu", "r1", "b1");
  add_conv(m, "conv2", "r1", "c2", 64, 64, 3, 3, 1, 1, 1, 1);
  add_bn(m, "bn2", "c2", "b2", 64);
  NODE(m, "add", "Add", "sum", "b2", "x");
  NODE(m, "relu2", "Relu", "y", "sum");
  return model_write(m, "y", "basic_block.json");
}

Test(stats, resnet_basic_block_has_textbook_counts) {
  cJSON *j = stats_json(resnet_block());
  cr_expect_str_eq(cJSON_GetObjectItem(j, "model")->valuestring, "basic_block");
  cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "nodes")), 7);
  const char *convs[2] = {"conv1", "conv2"}, *bns[2] = {"bn1", "bn2"};
  for (int i = 0; i < 2; i++) {
    const cJSON *c = stats_node(j, convs[i]);
    cr_expect_eq(num(c, "params"), 36864, "%s params %lld", convs[i],
                 (long long)num(c, "params"));
    cr_expect_eq(num(c, "macs"), 115605504, "%s macs %lld", convs[i],
                 (long long)num(c, "macs"));
    const cJSON *b = stats_node(j, bns[i]);
    cr_expect_eq(num(b, "params"), 256, "%s params %lld", bns[i],
                 (long long)num(b, "params"));
    cr_expect_eq(num(b, "macs"), 0);
  }
  cr_expect_eq(num(stats_node(j, "add"), "params"), 0);
  const cJSON *shapes =
      cJSON_GetObjectItem(stats_node(j, "relu2"), "output_shapes");
  cr_expect_eq(cJSON_GetArraySize(shapes), 1);
  const cJSON *s0 = cJSON_GetArrayItem(shapes, 0);
  const int64_t want_shape[4] = {1, 64, 56, 56};
  for (int i = 0; i < 4; i++)
    cr_expect_eq((int64_t)cJSON_GetArrayItem(s0, i)->valuedouble, want_shape[i],
                 "output shape dim %d", i);
  /* 64*56*56 floats per node output */
  cr_expect_eq(num(stats_node(j, "bn1"), "activation_bytes"), 802816);
  cr_expect_eq(num(j, "total_params"), 74240, "total params %lld",
               (long long)num(j, "total_params"));
  cr_expect_eq(num(j, "total_macs"), 231211008, "total macs %lld",
               (long long)num(j, "total_macs"));
  cr_expect_eq(num(j, "total_activation_bytes"), 7 * 802816);
  expect_rf(j, "conv1", 3, 3, 1, 1);
  expect_rf(j, "relu1", 3, 3, 1, 1);
  expect_rf(j, "conv2", 5, 5, 1, 1);
  expect_rf(j, "add", 5, 5, 1, 1); /* max of 5 (branch) and 1 (identity) */
  expect_rf(j, "relu2", 5, 5, 1, 1);
  cJSON_Delete(j);
}

/* The by_op row of op (NULL if none). */
static const cJSON *by_op_row(const cJSON *j, const char *op) {
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItem(j, "by_op")) {
    if (!strcmp(cJSON_GetObjectItem(row, "op")->valuestring, op))
      return row;
  }
  return NULL;
}

Test(stats, summary_by_operator_type_has_textbook_counts) {
  cJSON *j = stats_json(resnet_block()); /* -O0: as written */
  /* two 3x3 64->64 convs on 56x56: 36,864 weights and 115,605,504 MACs
   * each, all of the block's MACs; two BNs of 4 x 64 */
  const cJSON *conv = by_op_row(j, "Conv"), *bn = by_op_row(j, "BatchNormalization");
  cr_assert(conv && bn, "no Conv or BatchNormalization row");
  cr_expect_eq(num(conv, "count"), 2);
  cr_expect_eq(num(conv, "params"), 73728);
  cr_expect_eq(num(conv, "macs"), 231211008);
  cr_expect_float_eq(cJSON_GetObjectItem(conv, "macs_share")->valuedouble, 1.0,
                     1e-12);
  cr_expect_eq(num(bn, "count"), 2);
  cr_expect_eq(num(bn, "params"), 512);
  cr_expect_eq(num(by_op_row(j, "Relu"), "count"), 2);
  cr_expect_eq(num(by_op_row(j, "Add"), "count"), 1);
  /* most MACs first */
  cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
                       cJSON_GetObjectItem(j, "by_op"), 0), "op")->valuestring,
                   "Conv");
  cJSON_Delete(j);
  cli_result r = DLC("stats", "-O0", resnet_block());
  expect_status(&r, 0, "stats table");
  cr_expect(strstr(r.out, "by operator type:") &&
                strstr(r.out, "231,211,008  100.0%"), "%s", r.out);
  cli_free(&r);
}

Test(stats, stats_and_show_default_to_the_compiled_graph) {
  cli_result r = DLC("stats", "--json", resnet_block());
  expect_status(&r, 0, "stats --json (default level)");
  cJSON *j = cJSON_Parse(r.out);
  cr_assert_not_null(j);
  cr_expect_eq(num(j, "opt_level"), 2);
  /* BN folded into the convs: each conv gains a 64-element bias, the BN
   * constants are gone: 2 x (36,864 + 64) */
  cr_expect_eq(num(j, "total_params"), 73856, "total params %lld",
               (long long)num(j, "total_params"));
  cr_expect(!by_op_row(j, "BatchNormalization"), "BN still in the -O2 graph");
  cJSON_Delete(j);
  cli_free(&r);
  r = DLC("show", resnet_block());
  expect_status(&r, 0, "show (default level)");
  cr_expect(!strstr(r.out, "= BatchNormalization(") && !strstr(r.out, "bn1.") &&
                !strstr(r.out, "bn2."),
            "dead BN nodes or constants shown:\n%s", r.out);
  cr_expect(strstr(r.out, "const  %conv1."), "conv weights missing:\n%s",
            r.out);
  cli_free(&r);
}

Test(cli, show_dot_renders_with_graphviz) {
  const char *dot = tmp("g.dot"), *svg = tmp("g.svg");
  cli_result r = DLC("show", "--format", "dot", resnet_block());
  expect_status(&r, 0, "show --format dot");
  FILE *f = fopen(dot, "w");
  cr_assert_not_null(f);
  fputs(r.out, f);
  fclose(f);
  cli_free(&r);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "dot -Tsvg %s -o %s 2>&1", dot, svg);
  cr_assert_eq(system(cmd), 0, "dot rejected the file");
  char *text = th_read_file(svg, NULL);
  cr_assert_not_null(text);
  /* every live node drawn, with its op and fused ops; an edge with the
   * 1x64x56x56 activation in blocks of 4 channels (the generic x86-64's
   * vector: 802,816 bytes = 784 KiB); the reorder back to NCHW and why */
  const char *want[] = {"<svg", "conv1", "conv2",
                        "ConvNchwc + BatchNormalization",
                        "1x16x56x56x4 float32, 784.0 KiB", "NchwcToNchw",
                        "a graph output is plain"};
  for (int i = 0; i < 7; i++)
    cr_expect(strstr(text, want[i]), "no '%s' in the SVG:\n%s", want[i], text);
  free(text);
  r = DLC("show", "--format", "png", resnet_block());
  expect_status(&r, 2, "--format png");
  cli_free(&r);
}

Test(stats, table_shows_totals_in_readable_units) {
  cli_result r = DLC("stats", "-O0", resnet_block());
  expect_status(&r, 0, "stats");
  const char *want[] = {"conv1",
                        "BatchNormalization",
                        "[1, 64, 56, 56]",
                        "36,864",
                        "115,605,504",
                        "5x5",
                        ("total: 74,240 params (74.2K), 231,211,008 MACs "
                         "(231 MMACs)")};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_expect(strstr(r.out, want[i]), "table lacks '%s':\n%s", want[i], r.out);
  cli_free(&r);
}

/* Receptive fields by hand: rf_out = rf_in + (k_eff - 1) * jump_in,
 * jump_out = jump_in * stride, k_eff = dilation * (k - 1) + 1. */
Test(stats, receptive_field_of_conv_and_pool_chains) {
  const int64_t shape[4] = {1, 2, 32, 32};
  cJSON *m = model_new("rf", shape, 4);
  /* two 3x3: 3, 5 */
  add_conv(m, "a1", "x", "a1", 2, 2, 3, 3, 1, 1, 1, 1);
  add_conv(m, "a2", "a1", "a2", 2, 2, 3, 3, 1, 1, 1, 1);
  /* stride-2 3x3 then 3x3: 3 (jump 2), 3 + 2*2 = 7 */
  add_conv(m, "b1", "x", "b1", 2, 2, 3, 3, 2, 1, 1, 1);
  add_conv(m, "b2", "b1", "b2", 2, 2, 3, 3, 1, 1, 1, 1);
  /* dilation 2 3x3: k_eff 5 */
  add_conv(m, "c1", "x", "c1", 2, 2, 3, 3, 1, 2, 2, 2);
  /* 2x2/2 max pool (2, jump 2), then 3x3: 2 + 2*2 = 6 */
  add_pool(m, "p1", "MaxPool", "x", "p1", 2, 2);
  add_conv(m, "p2", "p1", "p2", 2, 2, 3, 3, 1, 1, 1, 1);
  /* 3x1 kernel: [3, 1] */
  add_conv(m, "d1", "x", "d1", 2, 2, 3, 1, 1, 1, 1, 0);
  /* average pool 3/1 after b1: 3 + 2*2 = 7, jump 2 */
  add_pool(m, "e1", "AveragePool", "b1", "e1", 3, 1);
  /* ConvTranspose 4/2 after b1 (rf 3, jump 2): 2 taps, 3 + 1*2 = 5, jump 1 */
  const int64_t wt[4] = {2, 2, 4, 4};
  add_init(m, "t1.w", 4, wt, 0.0, false);
  cJSON *ta = attrs_of(NODE(m, "t1", "ConvTranspose", "t1", "b1", "t1.w"));
  const int64_t two[2] = {2, 2}, one4[4] = {1, 1, 1, 1};
  cJSON_AddItemToObject(ta, "strides", ints(2, two));
  cJSON_AddItemToObject(ta, "pads", ints(4, one4));
  /* merges of same-size maps: max per dim */
  NODE(m, "m1", "Add", "m1", "a2", "c1");
  cJSON_AddNumberToObject(attrs_of(NODE(m, "m2", "Concat", "m2", "a1", "d1")),
                          "axis", 1);
  cJSON_AddNumberToObject(attrs_of(NODE(m, "out", "Concat", "out", "m1", "m2")),
                          "axis", 1);
  cJSON *j = stats_json(model_write(m, "out", "rf.json"));
  expect_rf(j, "a1", 3, 3, 1, 1);
  expect_rf(j, "a2", 5, 5, 1, 1);
  expect_rf(j, "b1", 3, 3, 2, 2);
  expect_rf(j, "b2", 7, 7, 2, 2);
  expect_rf(j, "c1", 5, 5, 1, 1);
  expect_rf(j, "p1", 2, 2, 2, 2);
  expect_rf(j, "p2", 6, 6, 2, 2);
  expect_rf(j, "d1", 3, 1, 1, 1);
  expect_rf(j, "e1", 7, 7, 2, 2);
  expect_rf(j, "t1", 5, 5, 1, 1);
  expect_rf(j, "m1", 5, 5, 1, 1);
  expect_rf(j, "m2", 3, 3, 1, 1); /* max(3x3, 3x1) per dim */
  expect_rf(j, "out", 5, 5, 1, 1);
  cJSON_Delete(j);
}

/* Chains end at global pools and Flatten/Gemm (null), an SE-style channel
 * scale does not hide the feature map's RF, and Resize is not modelled. */
Test(stats, receptive_field_ends_and_merges) {
  const int64_t shape[4] = {1, 4, 8, 8};
  cJSON *m = model_new("rf2", shape, 4);
  add_conv(m, "conv", "x", "f", 4, 4, 3, 3, 1, 1, 1, 1);
  NODE(m, "gap", "GlobalAveragePool", "g", "f");
  add_conv(m, "fc", "g", "s", 4, 4, 1, 1, 1, 1, 0, 0);
  NODE(m, "gate", "Sigmoid", "sg", "s");
  NODE(m, "scale", "Mul", "se", "f", "sg");
  const int64_t four[1] = {4};
  add_init(m, "scales", 1, four, 0.0, false);
  {
    /* scales [1, 1, 2, 2] */
    cJSON *inits = cJSON_GetObjectItem(m, "initializers");
    cJSON *sc = cJSON_GetArrayItem(inits, cJSON_GetArraySize(inits) - 1);
    cJSON_DeleteItemFromObject(sc, "data_base64");
    const double v[4] = {1, 1, 2, 2};
    cJSON_AddItemToObject(sc, "data", cJSON_CreateDoubleArray(v, 4));
  }
  cJSON_AddStringToObject(
      attrs_of(NODE(m, "up", "Resize", "u", "se", "", "scales")), "mode",
      "nearest");
  add_conv(m, "after_up", "u", "au", 4, 4, 3, 3, 1, 1, 1, 1);
  NODE(m, "flat", "Flatten", "fl", "au");
  cJSON *j = stats_json(model_write(m, "fl", "rf2.json"));
  expect_rf(j, "conv", 3, 3, 1, 1);
  expect_rf(j, "gap", 0, 0, 0, 0);
  expect_rf(j, "fc", 0, 0, 0, 0);
  expect_rf(j, "gate", 0, 0, 0, 0);
  expect_rf(j, "scale", 3, 3, 1, 1);
  expect_rf(j, "up", 0, 0, 0, 0);
  expect_rf(j, "after_up", 0, 0, 0, 0);
  expect_rf(j, "flat", 0, 0, 0, 0);
  /* the 1x1 conv on a 1x1 map: 4*4 MACs, 16 params */
  cr_expect_eq(num(stats_node(j, "fc"), "macs"), 16);
  cr_expect_eq(num(stats_node(j, "fc"), "params"), 16);
  cJSON_Delete(j);
}

/* An initializer used by two nodes counts once in the total. */
Test(stats, shared_weights_count_once) {
  const int64_t shape[4] = {1, 3, 5, 5};
  cJSON *m = model_new("shared", shape, 4);
  add_conv(m, "c1", "x", "y1", 3, 3, 3, 3, 1, 1, 1, 1);
  cJSON_AddItemToObject(attrs_of(NODE(m, "c2", "Conv", "y2", "y1", "c1.w")),
                        "pads", ints(4, (const int64_t[4]){1, 1, 1, 1}));
  cJSON *j = stats_json(model_write(m, "y2", "shared.json"));
  cr_expect_eq(num(stats_node(j, "c1"), "params"), 81);
  cr_expect_eq(num(stats_node(j, "c2"), "params"), 81);
  cr_expect_eq(num(j, "total_params"), 81, "total %lld",
               (long long)num(j, "total_params"));
  /* 5*5*3 outputs x 3*3*3 = 2025 MACs each */
  cr_expect_eq(num(j, "total_macs"), 2 * 2025);
  expect_rf(j, "c2", 5, 5, 1, 1);
  cJSON_Delete(j);
}

/* ------------------------------------------------- optimisation options */

Test(cli, passes_lists_the_pipeline_in_order) {
  cli_result r = DLC("passes");
  expect_status(&r, 0, "passes");
  const char *order[] = {"fold_constants", "eliminate_noops", "fold_batchnorm",
                         "fuse_epilogues", "plan_memory"};
  const char *at = r.out;
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    const char *p = strstr(at, order[i]);
    cr_expect_not_null(p, "'%s' missing or out of order in:\n%s", order[i],
                       r.out);
    if (p)
      at = p;
  }
  cli_free(&r);
}

Test(cli, stats_at_O2_reports_fusions_and_memory) {
  const char *model = fixture("net_conv_bn_relu/model.json");
  cli_result r = DLC("stats", "--json", "-O2", model);
  expect_status(&r, 0, "stats -O2 --json");
  cJSON *j = cJSON_Parse(r.out);
  cr_assert_not_null(j, "invalid JSON:\n%s", r.out);
  cr_expect_eq(num(j, "opt_level"), 2);
  int64_t arena = num(j, "arena_bytes"), bound = num(j, "arena_lower_bound_bytes");
  int64_t naive = num(j, "naive_bytes");
  cr_expect(arena > 0 && arena * 10 <= bound * 11,
            "arena %lld bytes vs lower bound %lld: more than 1.10x",
            (long long)arena, (long long)bound);
  cr_expect(naive >= arena && num(j, "weights_bytes") > 0);
  const cJSON *n;
  int fused_nodes = 0;
  cJSON_ArrayForEach(n, cJSON_GetObjectItem(j, "nodes")) {
    const cJSON *f = cJSON_GetObjectItem(n, "fused");
    cr_assert(cJSON_IsArray(f));
    if (cJSON_GetArraySize(f) == 2 &&
        !strcmp(cJSON_GetArrayItem(f, 0)->valuestring, "BatchNormalization") &&
        !strcmp(cJSON_GetArrayItem(f, 1)->valuestring, "Relu"))
      fused_nodes++;
    cr_expect_str_neq(cJSON_GetObjectItem(n, "op")->valuestring,
                      "BatchNormalization", "BN survived -O2");
  }
  cr_expect(fused_nodes >= 1, "no Conv carries [BatchNormalization, Relu]:\n%s",
            r.out);
  cJSON_Delete(j);
  cli_free(&r);
}

Test(cli, show_dumps_ir_after_a_pass_and_refuses_unknown_passes) {
  const char *model = fixture("net_resnet_basic_block/model.json");
  cli_result r = DLC("show", "-O2", "--verify-each", "--dump-ir",
                     "after=fuse_epilogues", model);
  expect_status(&r, 0, "show -O2 --dump-ir");
  cr_expect(strstr(r.err, "fuse_epilogues") != NULL,
            "no dump after fuse_epilogues on stderr:\n%s", r.err);
  cr_expect(strstr(r.out, "fused=[BatchNormalization, Add, Relu]") != NULL,
            "the residual block's add+relu is not fused:\n%s", r.out);
  cli_free(&r);
  r = DLC("show", "--disable-pass", "no_such_pass", model);
  expect_status(&r, 2, "--disable-pass with an unknown pass");
  cr_expect(strstr(r.err, "no_such_pass") != NULL, "%s", r.err);
  cli_free(&r);
  r = DLC("stats", "-O2", "--disable-pass", "fuse_epilogues", "--json", model);
  expect_status(&r, 0, "stats with fuse_epilogues disabled");
  /* the residual Add then stays out of the convolutions (fuse_elementwise
   * may still merge it with the Relu into one loop) */
  cr_expect(strstr(r.out, "\"Add\"") == NULL || strstr(r.out, "\"op\":\t\"Add\""),
            "with fuse_epilogues disabled no Conv may carry the Add:\n%s",
            r.out);
  cr_expect(strstr(r.out, "\"op\":\t\"Add\"") ||
                strstr(r.out, "\"op\":\t\"FusedElementwise\""),
            "the residual Add disappeared:\n%s", r.out);
  cli_free(&r);
}

/* ------------------------------------------------------------ ONNX */

Test(cli, import_writes_json_that_runs_like_the_onnx_model) {
  char onnx[512], in[512], want[512];
  snprintf(onnx, sizeof onnx, "%s/tests/onnx/convbn_op13.onnx", DLC_SOURCE_DIR);
  snprintf(in, sizeof in, "%s/tests/onnx/convbn_op13_in.npy", DLC_SOURCE_DIR);
  snprintf(want, sizeof want, "%s/tests/onnx/convbn_op13_out.npy",
           DLC_SOURCE_DIR);
  const char *json = tmp("convbn.json");
  cli_result r = DLC("import", onnx, "-o", json);
  expect_status(&r, 0, "import");
  cli_free(&r);
  r = DLC("check", json);
  expect_status(&r, 0, "check of the imported JSON");
  cli_free(&r);
  /* both the JSON and the ONNX file run, and match PyTorch */
  const char *models[2] = {json, onnx};
  for (int i = 0; i < 2; i++) {
    const char *out = tmp(i ? "from_onnx.npy" : "from_json.npy");
    r = DLC("run", models[i], "--input", in, "--output", out);
    expect_status(&r, 0, "run");
    cli_free(&r);
    expect_npy_close(out, want, 1e-4, 1e-4);
  }
  r = DLC("import", onnx);
  expect_status(&r, 2, "import without -o");
  cli_free(&r);
}
