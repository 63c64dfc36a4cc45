/* test_cli_shapes.c — honest shapes and honest commands: --input-shape and
 * --dim bind symbolic dims for dlc, run, bench, stats and show; a symbol
 * other than the batch left unbound is an error naming it and the option;
 * `dlc ops` lists the operator table; an unknown first word is reported as a
 * command with the nearest one. Oracles: shapes by the ONNX rules
 * (tests/onnx/attention_dynamic, declared [N, L, 16], keeps its input's
 * shape), Relu by hand, and the DLC_OP rows of ir/ *.def. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli_helpers.h"
#include "npy/npy.h"
#include "helpers.h"

#define ATTN DLC_SOURCE_DIR "/tests/onnx/attention_dynamic.onnx"
#define ATTN_IN DLC_SOURCE_DIR "/tests/onnx/attention_dynamic_in.npy"

TestSuite(cli_shapes, .init = tmp_setup, .fini = tmp_teardown);

Test(cli_shapes, an_unbound_symbol_is_an_error_naming_it_and_the_option) {
  const char *cmds[][2] = {{NULL, NULL}, {"stats", NULL}, {"show", NULL},
                           {"bench", "--repeat=1"}};
  for (int i = 0; i < 4; i++) {
    cli_result r = cmds[i][0] ? DLC(cmds[i][0], ATTN, cmds[i][1])
                              : DLC(ATTN, "-o", tmp("a.o"));
    expect_status(&r, 1, cmds[i][0] ? cmds[i][0] : "compile");
    cr_expect(strstr(r.err, "input 'x': dimension 1 of [N, L, 16] is the "
                            "symbol 'L', which is not bound") &&
                  strstr(r.err, "--dim L=VALUE"),
              "%s: %s", cmds[i][0] ? cmds[i][0] : "compile", r.err);
    cli_free(&r);
  }
}

/* The shape of the last output in `dlc stats --json`. */
static void expect_output_shape(cli_result *r, const int64_t *want, int rank) {
  cJSON *j = cJSON_Parse(r->out);
  cr_assert_not_null(j, "not JSON: %s", r->out);
  cJSON *nodes = cJSON_GetObjectItem(j, "nodes");
  cJSON *last = cJSON_GetArrayItem(nodes, cJSON_GetArraySize(nodes) - 1);
  cJSON *shape = cJSON_GetArrayItem(cJSON_GetObjectItem(last, "output_shapes"), 0);
  cr_assert_eq(cJSON_GetArraySize(shape), rank);
  for (int k = 0; k < rank; k++)
    cr_expect_eq((int64_t)cJSON_GetArrayItem(shape, k)->valuedouble, want[k],
                 "dim %d", k);
  cJSON_Delete(j);
}

Test(cli_shapes, dim_and_input_shape_set_the_shapes) {
  /* y = attention(x): same shape as x, [N, L, 16] */
  cli_result r = DLC("stats", ATTN, "--json", "--dim", "L=7");
  expect_status(&r, 0, "stats --dim L=7");
  expect_output_shape(&r, (const int64_t[]){1, 7, 16}, 3);
  cli_free(&r);
  r = DLC("stats", ATTN, "--json", "--input-shape", "x=3,5,16");
  expect_status(&r, 0, "stats --input-shape x=3,5,16");
  expect_output_shape(&r, (const int64_t[]){3, 5, 16}, 3);
  cli_free(&r);
  r = DLC("show", ATTN, "--dim=L=4", "--dim", "N=2");
  expect_status(&r, 0, "show --dim");
  cr_expect(strstr(r.out, "%x : float32 [2, 4, 16]"), "%s", r.out);
  cli_free(&r);
}

/* y = Relu(x), x declared [N, L, 2]. */
static const char *write_relu_model(void) {
  const char *path = tmp("relu_nl.json");
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("{\"format\": \"dlc-graph\", \"version\": 1, \"name\": \"r\",\n"
        " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
        "\"shape\": [\"N\", \"L\", 2]}],\n"
        " \"outputs\": [{\"name\": \"y\"}],\n"
        " \"nodes\": [{\"name\": \"r\", \"op\": \"Relu\", \"inputs\": "
        "[\"x\"], \"outputs\": [\"y\"]}]}\n", f);
  fclose(f);
  return path;
}

Test(cli_shapes, a_compiled_model_is_specialised_to_the_bound_sizes) {
  const char *m = write_relu_model();
  cli_result r = DLC(m, "-o", tmp("a.o"));
  expect_status(&r, 1, "compile with L unbound");
  cr_expect(strstr(r.err, "the symbol 'L', which is not bound"), "%s", r.err);
  cli_free(&r);
  r = DLC(m, "-o", tmp("a.o"), "--dim", "L=3");
  expect_status(&r, 0, "compile --dim L=3");
  cli_free(&r);
  char *h = th_read_file(tmp("a.h"), NULL);
  cr_assert_not_null(h);
  /* the batch stays symbolic (-1, run_batch's n), L is 3 */
  cr_expect(strstr(h, "#define R_INPUT0_SHAPE {-1, 3, 2}") &&
                strstr(h, "#define R_BATCHED 1"), "%s", h);
  free(h);
  r = DLC(m, "-o", tmp("b.o"), "--input-shape", "x=4,5,2");
  expect_status(&r, 0, "compile --input-shape x=4,5,2");
  cli_free(&r);
  h = th_read_file(tmp("b.h"), NULL);
  cr_assert_not_null(h);
  cr_expect(strstr(h, "#define R_INPUT0_SHAPE {4, 5, 2}") &&
                strstr(h, "#define R_BATCHED 0"), "%s", h);
  free(h);
}

Test(cli_shapes, bad_bindings_are_reported) {
  cli_result r = DLC("stats", ATTN, "--dim", "Q=3");
  expect_status(&r, 1, "--dim Q=3");
  cr_expect(strstr(r.err, "--dim Q: no input has a symbolic dimension 'Q'"),
            "%s", r.err);
  cli_free(&r);
  r = DLC("stats", ATTN, "--input-shape", "x=1,2");
  expect_status(&r, 1, "rank 2 for rank 3");
  cr_expect(strstr(r.err, "--input-shape x: does not fit the declared shape "
                          "[N, L, 16]"), "%s", r.err);
  cli_free(&r);
  r = DLC("stats", ATTN, "--input-shape", "x=1,2,15");
  expect_status(&r, 1, "fixed dim 16 given as 15");
  cli_free(&r);
  r = DLC("stats", ATTN, "--input-shape", "y=1,2,16");
  expect_status(&r, 1, "no input y");
  cr_expect(strstr(r.err, "the model has no input 'y'"), "%s", r.err);
  cli_free(&r);
  const char *usage[] = {"L", "L=0", "L=x", "=3"};
  for (int i = 0; i < 4; i++) {
    r = DLC("stats", ATTN, "--dim", usage[i]);
    expect_status(&r, 2, usage[i]);
    cli_free(&r);
  }
}

Test(cli_shapes, run_checks_the_arrays_and_the_compiled_engine_uses_them) {
  /* the attention fixture's input is [2, 6, 16] */
  cli_result r = DLC("run", ATTN, "--input", ATTN_IN, "--output", tmp("y.npy"),
                     "--dim", "L=5");
  expect_status(&r, 1, "run --dim L=5 with L = 6");
  cr_expect(strstr(r.err, "does not match the declared shape [N, 5, 16]"),
            "%s", r.err);
  cli_free(&r);
  /* the compiled engine takes L from the array, not 1: Relu by hand */
  const char *m = write_relu_model();
  const float x[12] = {-1, 2, -3, 4, 5, -6, 7, -8, 0.5f, -0.5f, 9, -9};
  const float want[12] = {0, 2, 0, 4, 5, 0, 7, 0, 0.5f, 0, 9, 0};
  dlc_tensor t = th_f32(x, 3, (const int64_t[]){2, 3, 2});
  dlc_diag d;
  dlc_diag_init(&d, "t");
  cr_assert_eq(dlc_npy_write(tmp("x.npy"), &t, &d), DLC_OK);
  dlc_diag_free(&d);
  r = DLC("run", m, "--input", tmp("x.npy"), "--output", tmp("y.npy"),
          "--engine", "compiled");
  expect_status(&r, 0, "run --engine compiled, L = 3 from the array");
  cli_free(&r);
  dlc_tensor y;
  dlc_diag_init(&d, "y");
  cr_assert_eq(dlc_npy_read(tmp("y.npy"), &y, &d), DLC_OK);
  dlc_diag_free(&d);
  cr_assert(y.rank == 3 && y.dims[0] == 2 && y.dims[1] == 3 && y.dims[2] == 2,
            "output shape");
  th_assert_close(y.data, want, 12, 0, 0);
  free(y.data);
}

Test(cli_shapes, ops_lists_every_row_of_the_operator_table) {
  char *count_cmd = "grep -h '^DLC_OP(' " DLC_SOURCE_DIR "/ir/*.def | wc -l";
  FILE *p = popen(count_cmd, "r");
  cr_assert_not_null(p);
  int rows = 0;
  cr_assert_eq(fscanf(p, "%d", &rows), 1);
  pclose(p);
  cli_result r = DLC("ops", "--json");
  expect_status(&r, 0, "ops --json");
  cJSON *j = cJSON_Parse(r.out);
  cr_assert(cJSON_IsArray(j), "%s", r.out);
  cr_expect_eq(cJSON_GetArraySize(j), rows);
  bool conv = false;
  cJSON *op;
  cJSON_ArrayForEach(op, j) {
    if (strcmp(cJSON_GetObjectItem(op, "name")->valuestring, "Conv"))
      continue;
    conv = true;
    cJSON *in = cJSON_GetObjectItem(op, "inputs");
    /* ONNX: X, W and an optional B; attribute group defaults to 1 */
    cr_expect(cJSON_GetArrayItem(in, 0)->valueint == 2 &&
              cJSON_GetArrayItem(in, 1)->valueint == 3);
    cJSON *a;
    bool group = false;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(op, "attributes")) {
      if (!strcmp(cJSON_GetObjectItem(a, "name")->valuestring, "group"))
        group = cJSON_GetObjectItem(a, "default")->valueint == 1;
    }
    cr_expect(group, "Conv's group does not default to 1");
  }
  cr_expect(conv, "no Conv in dlc ops");
  cJSON_Delete(j);
  cli_free(&r);
  r = DLC("ops");
  expect_status(&r, 0, "ops");
  char last[64];
  snprintf(last, sizeof last, "\n%d operators\n", rows);
  cr_expect(strstr(r.out, last) && strstr(r.out, "\nReshape "), "%s", r.out);
  cli_free(&r);
}

Test(cli_shapes, an_unknown_command_suggests_the_nearest) {
  const char *typos[][2] = {{"stat", "stats"}, {"sho", "show"},
                            {"bnech", "bench"}, {"op", "ops"}};
  for (int i = 0; i < 4; i++) {
    cli_result r = DLC(typos[i][0], "model.onnx");
    expect_status(&r, 2, typos[i][0]);
    char want[128];
    snprintf(want, sizeof want, "unknown command '%s' (did you mean '%s'?)",
             typos[i][0], typos[i][1]);
    cr_expect(strstr(r.err, want), "%s", r.err);
    cli_free(&r);
  }
  cli_result r = DLC("frobnicate");
  expect_status(&r, 2, "frobnicate");
  cr_expect(strstr(r.err, "unknown command 'frobnicate'"), "%s", r.err);
  cli_free(&r);
}
