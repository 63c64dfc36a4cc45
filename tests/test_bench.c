/* test_bench.c — `dlc bench` as scripts see it: `--json` prints exactly one
 * object with the documented schema (bench/README.md): "model", and per
 * requested engine, in order, "engine", "threads", "median_ms", "min_ms",
 * "runs" (= --repeat), plus "compile_ms" for the compiled engine and the
 * ratio to the interpreter. The numbers are checked for consistency (min <=
 * median, positive, the ratio equals the medians' quotient), never for
 * speed; the engines' outputs are checked against the interpreter through
 * "max_abs_diff_vs_interp". Usage errors exit 2. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "helpers.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"

/* Runs `dlc bench ARGS` with stdout to a file; returns the exit status and
 * the output (malloc'd) in *text. */
static int bench(char **text, const char *args) {
  char dir[] = "/tmp/dlc-bench-test-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char cmd[2048], out[128], err_path[128];
  snprintf(out, sizeof out, "%s/out.txt", dir);
  snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
  snprintf(cmd, sizeof cmd, "%s bench %s >%s 2>%s", DLC_EXE, args, out,
           err_path);
  int rc = system(cmd);
  *text = th_read_file(out, NULL);
  char *err = th_read_file(err_path, NULL);
  if (err && *err)
    cr_log_info("dlc bench stderr: %s", err);
  free(err);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  cr_assert(cJSON_IsNumber(v), "field '%s' missing or not a number", key);
  return v->valuedouble;
}

static void check_result(const cJSON *r, const char *engine, int runs,
                         double interp_median) {
  const cJSON *e = cJSON_GetObjectItem(r, "engine");
  cr_assert(cJSON_IsString(e));
  cr_expect_str_eq(e->valuestring, engine);
  cr_expect_eq(num(r, "threads"), 1);
  cr_expect_eq(num(r, "runs"), runs);
  double med = num(r, "median_ms"), min = num(r, "min_ms");
  cr_expect(min > 0 && min <= med, "%s: min %g, median %g", engine, min, med);
  double ratio = num(r, "speedup_vs_interp");
  cr_expect(fabs(ratio - interp_median / med) <= 1e-9 * ratio,
            "%s: ratio %g != %g / %g", engine, ratio, interp_median, med);
  if (!strcmp(engine, "compiled"))
    cr_expect(num(r, "compile_ms") > 0);
  else
    cr_expect_null(cJSON_GetObjectItem(r, "compile_ms"));
  if (strcmp(engine, "interp") != 0)
    cr_expect(num(r, "max_abs_diff_vs_interp") <= 1e-4,
              "%s differs from the interpreter", engine);
}

Test(bench, json_schema_for_every_engine, .timeout = 300) {
  char *text = NULL;
  int rc = bench(&text, FIXTURES "/net_conv_bn_relu/model.json --json "
                 "--repeat 3 --warmup 1 --engine compiled,interp --engine "
                 "blas");
  cr_assert_eq(rc, 0, "dlc bench failed");
  cr_assert_not_null(text);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 0);
  cr_assert_not_null(root, "not JSON: %s", text);
  while (*end == ' ' || *end == '\n')
    end++;
  cr_expect_eq(*end, '\0', "more than one object printed");
  const cJSON *model = cJSON_GetObjectItem(root, "model");
  cr_assert(cJSON_IsString(model));
  cr_expect(strstr(model->valuestring, "net_conv_bn_relu/model.json"));
  const cJSON *res = cJSON_GetObjectItem(root, "results");
  cr_assert(cJSON_IsArray(res));
  cr_assert_eq(cJSON_GetArraySize(res), 3);
  double interp = num(cJSON_GetArrayItem(res, 1), "median_ms");
  static const char *const engines[] = {"compiled", "interp", "blas"};
  for (int i = 0; i < 3; i++)
    check_result(cJSON_GetArrayItem(res, i), engines[i], 3, interp);
  cJSON_Delete(root);
  free(text);
}

Test(bench, table_names_each_engine_and_the_ratio, .timeout = 300) {
  char *text = NULL;
  int rc = bench(&text, DLC_SOURCE_DIR "/examples/digits/digits.json "
                 "--batch 7 --repeat 3");
  cr_assert_eq(rc, 0);
  cr_assert_not_null(text);
  cr_expect(strstr(text, "batch 7"), "%s", text);
  cr_expect(strstr(text, "\ncompiled "), "%s", text);
  cr_expect(strstr(text, "\ninterp "), "%s", text);
  cr_expect(strstr(text, "x  compiled in"), "%s", text);
  free(text);
}

Test(bench, usage_errors_exit_2) {
  char *text = NULL;
  const char *bad[] = {"", FIXTURES "/relu/model.json --engine gpu",
                       FIXTURES "/relu/model.json --repeat 0",
                       FIXTURES "/relu/model.json --frobnicate"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_expect_eq(bench(&text, bad[i]), 2, "args '%s'", bad[i]);
    free(text);
  }
}
