/* test_fixtures.c — dlc against PyTorch: every case of the committed fixture
 * set (tests/fixtures/index.json: single operators and small nets exported
 * with their inputs and PyTorch's outputs) is loaded with the frontend and
 * run with both engines of the interpreter, and every output must match
 * PyTorch's within the case's tolerance, |got - want| <= atol + rtol*|want|.
 * Also the bundled example (examples/digits): logits match the committed
 * PyTorch logits and the classifier is as accurate as it was trained to be. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define DIGITS DLC_SOURCE_DIR "/examples/digits"

/* Why a case failed, one line; the report lists them all. */
typedef struct failure {
  char text[768];
} failure;

static bool failf(failure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool failf(failure *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->text, sizeof f->text, fmt, ap);
  va_end(ap);
  return false;
}

static cJSON *load_index(void) {
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cr_assert_not_null(text, "cannot read " FIXTURES "/index.json");
  cJSON *root = cJSON_Parse(text);
  free(text);
  cr_assert_not_null(root, "index.json is not valid JSON");
  cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  cr_assert(cJSON_IsArray(cases), "index.json has no \"cases\" array");
  return root;
}

static const char *json_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double json_num(const cJSON *o, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* ---------------------------------------------------------- comparison */

/* Compares got to want (same dtype and shape, values within tolerance; NaN
 * only matches NaN). */
static bool compare(const char *what, const dlc_tensor *got,
                    const dlc_tensor *want, double atol, double rtol,
                    failure *f) {
  char gs[160], ws[160];
  if (got->dtype != want->dtype)
    return failf(f, "%s: dtype %s, want %s", what, dlc_dtype_name(got->dtype),
                 dlc_dtype_name(want->dtype));
  bool same = got->rank == want->rank;
  for (int i = 0; same && i < got->rank; i++)
    same = got->dims[i] == want->dims[i];
  if (!same)
    return failf(f, "%s: shape %s, want %s", what,
                 dlc_shape_str(got, gs, sizeof gs),
                 dlc_shape_str(want, ws, sizeof ws));
  int64_t n = dlc_tensor_numel(want);
  for (int64_t i = 0; i < n; i++) {
    double g = dlc_tensor_get_f64(got, i), w = dlc_tensor_get_f64(want, i);
    bool ok = isnan(w) ? isnan(g) : fabs(g - w) <= atol + rtol * fabs(w);
    if (!ok || (isinf(w) && g != w))
      return failf(f, "%s: index %lld: got %.9g, want %.9g (atol %g, rtol %g)",
                   what, (long long)i, g, w, atol, rtol);
  }
  return true;
}

/* ------------------------------------------------------------- one case */

typedef struct fixture_run {
  dlc_graph *g;
  dlc_tensor ins[16], outs[16];
  int n_ins, n_outs;
} fixture_run;

static void fixture_run_free(fixture_run *r) {
  for (int i = 0; i < r->n_ins; i++)
    free(r->ins[i].data);
  dlc_interp_free_tensors(r->outs, r->n_outs);
  if (r->g)
    dlc_graph_destroy(r->g);
}

/* Reads the .npy files of a JSON array of paths relative to FIXTURES. */
static bool read_npys(const cJSON *paths, dlc_tensor *out, int *n, int cap,
                      failure *f) {
  *n = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, paths) {
    if (!cJSON_IsString(p) || *n == cap)
      return failf(f, "bad path list in index.json");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, p->valuestring);
    dlc_diag d;
    dlc_diag_init(&d, path);
    bool ok = dlc_npy_read(path, &out[*n], &d) == DLC_OK;
    if (!ok)
      failf(f, "%s", d.messages.n ? d.messages.items[0] : path);
    dlc_diag_free(&d);
    if (!ok)
      return false;
    (*n)++;
  }
  return true;
}

static bool load_model(const char *path, dlc_graph **g, failure *f) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  bool ok = dlc_frontend_load(path, g, &d) == DLC_OK && *g;
  if (!ok)
    failf(f, "load failed: %s",
          d.messages.n ? d.messages.items[0] : "(no message)");
  dlc_diag_free(&d);
  return ok;
}

static bool run_graph(fixture_run *r, dlc_engine engine, failure *f) {
  if ((size_t)r->n_ins != r->g->inputs.n)
    return failf(f, "%d input files for %zu graph inputs", r->n_ins,
                 r->g->inputs.n);
  if (r->g->outputs.n > 16)
    return failf(f, "too many outputs");
  dlc_diag d;
  dlc_diag_init(&d, "run");
  r->n_outs = (int)r->g->outputs.n;
  bool ok =
      dlc_interp_run(r->g, engine, r->ins, r->n_ins, r->outs, &d) == DLC_OK;
  if (!ok)
    failf(f, "run failed: %s",
          d.messages.n ? d.messages.items[0] : "(no message)");
  dlc_diag_free(&d);
  return ok;
}

static bool check_outputs(const cJSON *c, const fixture_run *r, failure *f) {
  dlc_tensor want[16];
  int n_want = 0;
  bool ok = read_npys(cJSON_GetObjectItemCaseSensitive(c, "expected"), want,
                      &n_want, 16, f);
  if (ok && n_want != r->n_outs)
    ok = failf(f, "%d outputs, %d expected files", r->n_outs, n_want);
  double atol = json_num(c, "atol", 1e-5), rtol = json_num(c, "rtol", 1e-5);
  for (int i = 0; ok && i < n_want; i++) {
    char what[256];
    snprintf(what, sizeof what, "output %d '%s'", i,
             r->g->outputs.items[i]->name);
    ok = compare(what, &r->outs[i], &want[i], atol, rtol, f);
  }
  for (int i = 0; i < n_want; i++)
    free(want[i].data);
  return ok;
}

static bool run_case(const cJSON *c, dlc_engine engine, failure *f) {
  const char *model = json_str(c, "model");
  if (!model)
    return failf(f, "no model in index.json");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", FIXTURES, model);
  fixture_run r;
  memset(&r, 0, sizeof r);
  bool ok = load_model(path, &r.g, f) &&
            read_npys(cJSON_GetObjectItemCaseSensitive(c, "inputs"), r.ins,
                      &r.n_ins, 16, f) &&
            run_graph(&r, engine, f) && check_outputs(c, &r, f);
  fixture_run_free(&r);
  return ok;
}

/* Runs every case; lists every failing one before failing. */
static void run_all(dlc_engine engine, const char *engine_name) {
  cJSON *root = load_index();
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases"), *c;
  int n = 0, nets = 0, failed = 0;
  cJSON_ArrayForEach(c, cases) {
    const char *name = json_str(c, "name"), *kind = json_str(c, "kind");
    n++;
    nets += kind && !strcmp(kind, "net");
    failure f = {{0}};
    if (!run_case(c, engine, &f)) {
      failed++;
      cr_log_error("fixture '%s' (%s): %s", name ? name : "?", engine_name,
                   f.text);
    }
  }
  cJSON_Delete(root);
  cr_expect_geq(n, 40, "only %d fixture cases (want >= 40)", n);
  cr_expect_geq(nets, 8, "only %d net fixtures (want >= 8)", nets);
  cr_log_info("engine %s: %d fixture cases (%d nets), %d failing", engine_name,
              n, nets, failed);
  cr_assert_eq(failed, 0,
               "%d of %d fixture cases fail with engine %s (see "
               "the log above)",
               failed, n, engine_name);
}

Test(fixtures, match_pytorch_with_interp) {
  run_all(DLC_ENGINE_INTERP, "interp");
}

Test(fixtures, match_pytorch_with_blas) { run_all(DLC_ENGINE_BLAS, "blas"); }

/* -------------------------------------------------------------- digits */

static dlc_tensor read_npy_or_fail(const char *path) {
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

static void digits_check(dlc_engine engine, const char *engine_name) {
  dlc_graph *g = NULL;
  failure f = {{0}};
  cr_assert(load_model(DIGITS "/digits.json", &g, &f), "%s", f.text);
  dlc_tensor images = read_npy_or_fail(DIGITS "/test_images.npy");
  dlc_tensor labels = read_npy_or_fail(DIGITS "/test_labels.npy");
  dlc_tensor want = read_npy_or_fail(DIGITS "/expected_logits.npy");
  cr_assert(labels.dtype == DLC_DT_INT64 && labels.rank == 1);
  cr_assert(images.rank == 4 && images.dims[0] == labels.dims[0]);
  cr_assert_geq(labels.dims[0], 100, "only %lld test images",
                (long long)labels.dims[0]);
  fixture_run r = {.g = g, .n_ins = 1};
  r.ins[0] = images;
  cr_assert(run_graph(&r, engine, &f), "digits (%s): %s", engine_name, f.text);
  cr_assert(compare("logits", &r.outs[0], &want, 1e-4, 0, &f),
            "digits (%s): %s", engine_name, f.text);
  const float *l = r.outs[0].data;
  const int64_t *y = labels.data;
  int64_t n = want.dims[0], classes = want.dims[1], correct = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t k = 1; k < classes; k++)
      best = l[i * classes + k] > l[i * classes + best] ? k : best;
    correct += best == y[i];
  }
  double acc = (double)correct / (double)n;
  cr_assert_geq(acc, 0.95, "digits (%s): accuracy %.4f (%lld/%lld) < 0.95",
                engine_name, acc, (long long)correct, (long long)n);
  free(labels.data);
  free(want.data);
  fixture_run_free(&r);
}

Test(digits, logits_and_accuracy_with_interp) {
  digits_check(DLC_ENGINE_INTERP, "interp");
}

Test(digits, logits_and_accuracy_with_blas) {
  digits_check(DLC_ENGINE_BLAS, "blas");
}
