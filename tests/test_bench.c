/* test_bench.c — `dlc bench` as scripts see it: `--json` prints exactly one
 * object with the documented schema (bench/README.md): "model", and per
 * requested engine, in order, "engine", "threads", "median_ms", "min_ms",
 * "runs" (= --repeat), plus "compile_ms" for the compiled engine and the
 * ratio to the interpreter. The numbers are checked for consistency (min <=
 * median, positive, the ratio equals the medians' quotient), never for
 * speed; the engines' outputs are checked against the interpreter through
 * "max_abs_diff_vs_interp". Usage errors exit 2.
 *
 * `--per-layer --json` (cli/per_layer.c): one entry per kernel call, named,
 * typed and scheduled as `dlc show` lists the nodes that run a kernel, in
 * that order; shares that sum to 1, rates that follow from the medians,
 * MACs and bytes, and node times that sum to the same order of magnitude
 * as the whole run (a sanity bound, not a timing). */
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

/* Runs `dlc SUB ARGS` with stdout to a file; returns the exit status and
 * the output (malloc'd) in *text. */
static int run_dlc(char **text, const char *sub, const char *args) {
  char dir[] = "/tmp/dlc-bench-test-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char cmd[2048], out[128], err_path[128];
  snprintf(out, sizeof out, "%s/out.txt", dir);
  snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
  snprintf(cmd, sizeof cmd, "%s %s %s >%s 2>%s", DLC_EXE, sub, args, out,
           err_path);
  int rc = system(cmd);
  *text = th_read_file(out, NULL);
  char *err = th_read_file(err_path, NULL);
  if (err && *err)
    cr_log_info("dlc %s stderr: %s", sub, err);
  free(err);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int bench(char **text, const char *args) {
  return run_dlc(text, "bench", args);
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
                       FIXTURES "/relu/model.json --frobnicate",
                       FIXTURES "/relu/model.json --per-layer --engine interp",
                       FIXTURES "/relu/model.json --per-layer --compare-opt"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_expect_eq(bench(&text, bad[i]), 2, "args '%s'", bad[i]);
    free(text);
  }
}

/* ------------------------------------------------------ --per-layer */

typedef struct show_node {
  char name[128], op[64], line[512];
} show_node;

/* The nodes `dlc show` schedules to a kernel, in order, from its lines
 * "NAME (OP): LINE" between "; schedule for" and "; workspace". */
static int shown_kernels(const char *model, show_node *out, int max) {
  char *text = NULL;
  cr_assert_eq(run_dlc(&text, "show", model), 0, "dlc show failed");
  const char *p = strstr(text, "\n; schedule for");
  cr_assert_not_null(p, "no schedule in dlc show:\n%s", text);
  int n = 0;
  for (p = strchr(p + 1, '\n'); p && p[1] && p[1] != ';' && n < max;
       p = strchr(p + 1, '\n')) {
    const char *nl = strchr(p + 1, '\n'), *paren = strstr(p + 1, " (");
    const char *colon = paren ? strstr(paren, "): ") : NULL;
    cr_assert(colon && nl && colon < nl, "odd line: %.80s", p + 1);
    const char *line = colon + 3;
    if (!strncmp(line, "alias ", 6) || !strncmp(line, "elided ", 7) ||
        !strncmp(line, "folded ", 7) || !strncmp(line, "dead ", 5))
      continue;
    snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)(paren - p - 1),
             p + 1);
    snprintf(out[n].op, sizeof out[n].op, "%.*s", (int)(colon - paren - 2),
             paren + 2);
    snprintf(out[n].line, sizeof out[n].line, "%.*s", (int)(nl - line), line);
    n++;
  }
  free(text);
  return n;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  cr_assert(cJSON_IsString(v), "field '%s' missing or not a string", key);
  return v->valuestring;
}

/* One node's entry: what dlc show says of it, and rates that follow. */
static void check_layer(const cJSON *e, int i, const show_node *want,
                        double peak, double bound) {
  cr_expect_eq(num(e, "index"), i);
  cr_expect_str_eq(str(e, "name"), want->name, "node %d", i);
  cr_expect_str_eq(str(e, "op"), want->op, "node %d", i);
  cr_expect_str_eq(str(e, "schedule"), want->line, "node %d", i);
  double ms = num(e, "median_ms"), macs = num(e, "macs");
  double bytes = num(e, "bytes");
  cr_expect(ms > 0 && bytes > 0, "node %d: %g ms, %g bytes", i, ms, bytes);
  double gflops = 2 * macs / (ms * 1e-3) * 1e-9;
  cr_expect(fabs(num(e, "gflops") - gflops) <= 1e-9 * (gflops + 1),
            "node %d: %g GFLOP/s, want %g", i, num(e, "gflops"), gflops);
  cr_expect(fabs(num(e, "peak_fraction") - gflops / peak) <= 1e-9,
            "node %d: peak fraction", i);
  cr_expect(fabs(num(e, "gbps") - bytes / (ms * 1e-3) * 1e-9) <=
                1e-9 * num(e, "gbps") + 1e-12, "node %d: GB/s", i);
  const cJSON *mb = cJSON_GetObjectItem(e, "memory_bound");
  cr_expect(cJSON_IsBool(mb) && cJSON_IsTrue(mb) == (2 * macs < bound * bytes),
            "node %d (%s): memory_bound disagrees with %g MACs, %g bytes", i,
            want->name, macs, bytes);
}

Test(bench, per_layer_json_has_one_entry_per_scheduled_node,
     .timeout = 300) {
  const char *model = FIXTURES "/net_transformer_encoder/model.json";
  show_node want[128];
  int n = shown_kernels(model, want, 128);
  cr_assert(n > 10, "only %d kernel nodes in dlc show", n);
  char args[1024], *text = NULL;
  /* the CPU dlc show schedules for: the generic one of the host */
  snprintf(args, sizeof args, "%s --per-layer --json --repeat 5 --warmup 1 "
           "--cpu x86-64", model);
  cr_assert_eq(bench(&text, args), 0, "dlc bench --per-layer failed");
  cJSON *root = cJSON_Parse(text);
  cr_assert_not_null(root, "not JSON: %s", text);
  const cJSON *nodes = cJSON_GetObjectItem(root, "nodes");
  cr_assert(cJSON_IsArray(nodes));
  cr_assert_eq(cJSON_GetArraySize(nodes), n, "%d entries, dlc show has %d",
               cJSON_GetArraySize(nodes), n);
  double peak = num(root, "fma_peak_gflops");
  double bound = num(root, "memory_bound_flops_per_byte");
  cr_expect(peak > 0 && bound > 0);
  cr_expect_eq(num(root, "runs"), 5);
  double sum = 0, shares = 0, macs = 0;
  for (int i = 0; i < n; i++) {
    const cJSON *e = cJSON_GetArrayItem(nodes, i);
    check_layer(e, i, &want[i], peak, bound);
    sum += num(e, "median_ms");
    shares += num(e, "share");
    macs += num(e, "macs");
  }
  cr_expect(macs > 0, "no MACs counted for the MatMuls");
  cr_expect(fabs(shares - 1) < 1e-6, "shares sum to %g", shares);
  cr_expect(fabs(sum - num(root, "nodes_ms")) <= 1e-9 * sum);
  double run = num(root, "profiled_ms"), plain = num(root, "total_ms");
  cr_expect(run > 0 && plain > 0);
  /* medians of parts against the median of the whole: the same order */
  cr_expect(sum > 0.1 * run && sum < 3 * run,
            "nodes sum to %g ms, a profiled run takes %g ms", sum, run);
  cJSON_Delete(root);
  free(text);
}

Test(bench, per_layer_table_lists_nodes_and_the_peak, .timeout = 300) {
  const char *model = FIXTURES "/net_shufflenetv2_unit/model.json";
  show_node want[64];
  int n = shown_kernels(model, want, 64);
  char args[1024], *text = NULL;
  snprintf(args, sizeof args, "%s --per-layer --repeat 3 --cpu x86-64",
           model);
  cr_assert_eq(bench(&text, args), 0);
  cr_assert_not_null(text);
  cr_expect(strstr(text, "GFLOP/s (measured now)"), "%s", text);
  cr_expect(strstr(text, "without instrumentation"), "%s", text);
  const char *at = text;
  for (int i = 0; i < n; i++) { /* in order, each on a line of its own */
    char row[160];
    snprintf(row, sizeof row, " %.127s ", want[i].name);
    const char *hit = strstr(at, row);
    cr_expect(hit, "node %s missing or out of order:\n%s", want[i].name, text);
    at = hit ? hit : at;
  }
  cr_expect_null(strstr(text, " concat "), "the elided Concat has a row");
  free(text);
}
