/* test_codegen_fixtures.c — the compiled engine against PyTorch and the
 * interpreter: every case of tests/fixtures/index.json is compiled to a
 * shared object at -O0 and -O2 (generic x86-64, and AVX2/AVX-512 where the
 * host has them), loaded, run on the case's inputs, and each output must
 * match PyTorch's within the case's tolerance (|got - want| <= atol +
 * rtol*|want|) and the interpreter's within the same tolerance. A case whose
 * operator is not compiled yet must fail with DLC_ERR_UNSUPPORTED and a
 * message naming the node — never with wrong numbers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"

typedef struct outcome {
  int passed, unsupported, failed;
  char unsupported_names[4096];
} outcome;

static cJSON *load_index(void) {
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cr_assert_not_null(text, "cannot read index.json");
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root);
  return root;
}

static bool read_npys(const cJSON *paths, dlc_tensor *out, int *n) {
  *n = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, paths) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, p->valuestring);
    dlc_diag d;
    dlc_diag_init(&d, path);
    bool ok = dlc_npy_read(path, &out[*n], &d) == DLC_OK;
    dlc_diag_free(&d);
    if (!ok)
      return false;
    (*n)++;
  }
  return true;
}

/* Index of the first element outside atol + rtol*|want|, or -1. */
static int64_t first_mismatch(const float *got, const float *want, int64_t n,
                              double atol, double rtol) {
  for (int64_t i = 0; i < n; i++) {
    double g = got[i], w = want[i];
    if (isnan(w) ? !isnan(g) : !(fabs(g - w) <= atol + rtol * fabs(w)))
      return i;
  }
  return -1;
}

typedef struct case_data {
  const char *name;
  dlc_graph *g;
  dlc_tensor ins[8], want[8], interp[8];
  int n_ins, n_want;
  double atol, rtol;
} case_data;

static bool compare_outputs(const case_data *k, const dlc_tensor *got,
                            const char *cfg) {
  for (int j = 0; j < k->n_want; j++) {
    int64_t n = dlc_tensor_numel(&k->want[j]);
    const float *g = got[j].data;
    int64_t bad = first_mismatch(g, k->want[j].data, n, k->atol, k->rtol);
    if (bad < 0)
      bad = first_mismatch(g, k->interp[j].data, n, k->atol, k->rtol);
    if (bad >= 0) {
      cr_log_error("fixture '%s' [%s]: output %d index %lld: got %.9g, "
                   "pytorch %.9g, interp %.9g", k->name, cfg, j,
                   (long long)bad, g[bad],
                   ((const float *)k->want[j].data)[bad],
                   ((const float *)k->interp[j].data)[bad]);
      return false;
    }
  }
  return true;
}

/* Compiles and runs one configuration: 1 pass, 0 unsupported, -1 fail. */
static int run_config(const case_data *k, const char *cpu, int opt) {
  char cfg[64];
  snprintf(cfg, sizeof cfg, "%s -O%d", cpu, opt);
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.cpu = cpu;
  o.opt_level = opt;
  o.runtime_lib = tcg_runtime_for_shared();
  dlc_diag d;
  dlc_diag_init(&d, k->name);
  dlc_compiled *m = NULL;
  dlc_status st = th_compiled_create(k->g, &o, NULL, &m, &d);
  if (st == DLC_ERR_UNSUPPORTED && dlc_diag_contains(&d, "node '")) {
    dlc_diag_free(&d);
    return 0;
  }
  if (st != DLC_OK) {
    cr_log_error("fixture '%s' [%s]: compile failed (status %d)", k->name,
                 cfg, st);
    dlc_diag_print(&d, stderr);
    dlc_diag_free(&d);
    return -1;
  }
  dlc_tensor got[8] = {0};
  st = dlc_compiled_run(m, k->ins, k->n_ins, got, &d);
  bool ok = st == DLC_OK && compare_outputs(k, got, cfg);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  for (int j = 0; j < k->n_want; j++)
    free(got[j].data);
  dlc_compiled_destroy(m);
  dlc_diag_free(&d);
  return ok ? 1 : -1;
}

static bool load_case(const cJSON *c, case_data *k) {
  memset(k, 0, sizeof *k);
  k->name = cJSON_GetObjectItem(c, "name")->valuestring;
  k->atol = cJSON_GetObjectItem(c, "atol")->valuedouble;
  k->rtol = cJSON_GetObjectItem(c, "rtol")->valuedouble;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", FIXTURES,
           cJSON_GetObjectItem(c, "model")->valuestring);
  dlc_diag d;
  dlc_diag_init(&d, path);
  bool ok = dlc_frontend_load(path, &k->g, &d) == DLC_OK &&
            read_npys(cJSON_GetObjectItem(c, "inputs"), k->ins, &k->n_ins) &&
            read_npys(cJSON_GetObjectItem(c, "expected"), k->want,
                      &k->n_want) &&
            dlc_interp_run(k->g, DLC_ENGINE_INTERP, k->ins, k->n_ins,
                           k->interp, &d) == DLC_OK;
  if (!ok)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  return ok;
}

static void free_case(case_data *k) {
  for (int i = 0; i < k->n_ins; i++)
    free(k->ins[i].data);
  for (int i = 0; i < k->n_want; i++)
    free(k->want[i].data);
  if (k->g)
    dlc_interp_free_tensors(k->interp, (int)k->g->outputs.n);
  dlc_graph_destroy(k->g);
}

static void note_unsupported(outcome *o, const char *name) {
  size_t n = strlen(o->unsupported_names);
  snprintf(o->unsupported_names + n, sizeof o->unsupported_names - n, "%s%s",
           n ? " " : "", name);
}

static void run_all(const char *cpu, const int *opts, int n_opts, outcome *o) {
  memset(o, 0, sizeof *o);
  cJSON *root = load_index();
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    case_data k;
    if (!load_case(c, &k)) {
      cr_log_error("fixture '%s': cannot load", k.name);
      o->failed++;
      free_case(&k);
      continue;
    }
    int r = 1;
    for (int i = 0; i < n_opts && r == 1; i++)
      r = run_config(&k, cpu, opts[i]);
    if (r == 1)
      o->passed++;
    else if (r == 0) {
      o->unsupported++;
      note_unsupported(o, k.name);
    } else
      o->failed++;
    free_case(&k);
  }
  cJSON_Delete(root);
  cr_log_info("cpu %s: %d fixtures pass, %d not compiled yet (%s), %d fail",
              cpu, o->passed, o->unsupported, o->unsupported_names, o->failed);
}

Test(codegen_fixtures, generic_x86_64_O0_and_O2) {
  static const int opts[] = {0, 2};
  outcome o;
  run_all("x86-64", opts, 2, &o);
  cr_expect_eq(o.failed, 0, "%d fixtures give wrong results or fail to "
               "compile (see log)", o.failed);
  cr_expect_geq(o.passed, 20, "only %d fixtures compile and pass", o.passed);
}

Test(codegen_fixtures, haswell_avx2_O2) {
  if (!dlcrt_cpu_supports(DLCRT_CPU_AVX2 | DLCRT_CPU_FMA)) {
    cr_log_warn("skipped: this host has no AVX2+FMA");
    cr_skip_test("host lacks AVX2/FMA");
  }
  static const int opts[] = {2};
  outcome o;
  run_all("haswell", opts, 1, &o);
  cr_expect_eq(o.failed, 0, "%d fixtures fail with --cpu haswell", o.failed);
}

Test(codegen_fixtures, avx512_O2) {
  if (!dlcrt_cpu_supports(DLCRT_CPU_AVX512F | DLCRT_CPU_AVX512BW |
                          DLCRT_CPU_AVX512DQ | DLCRT_CPU_AVX512VL)) {
    cr_log_warn("skipped: this host has no AVX-512");
    cr_skip_test("host lacks AVX-512");
  }
  static const int opts[] = {2};
  outcome o;
  run_all("skylake-avx512", opts, 1, &o);
  cr_expect_eq(o.failed, 0, "%d fixtures fail with --cpu skylake-avx512",
               o.failed);
}
