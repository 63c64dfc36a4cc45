/* test_codegen_abi.c — the compiled model as applications see it.
 *
 * - `dlc MODEL -o model.o` output linked with libdlcrt.a into a C and a C++
 *   program with plain `cc`/`c++` lines, run, outputs equal to the
 *   interpreter's within 1e-4 (abs) + 1e-4 (rel);
 * - the descriptor and model.h agree with the graph;
 * - two threads running one model with separate workspaces;
 * - I/O buffers and the workspace placed against a PROT_NONE guard page, so
 *   an overrun by generated code faults (ASan cannot see into it);
 * - run-time argument checks return the documented status codes;
 * - invalid options give one-line errors and exit 1, usage errors exit 2;
 * - a symbolic batch (examples/digits) compiles to run_batch(n), equal to
 *   the interpreter at n = 1, 7, 360; models mixing batch items are refused;
 * - `dlc run --engine compiled --check`;
 * - the digits example (examples/digits/main.c) built with a plain cc line
 *   prints the expected accuracy;
 * - AArch64: every fixture compiled with --target aarch64-linux-gnu, linked
 *   statically with aarch64-linux-gnu-gcc, run under qemu-aarch64 and
 *   compared with the interpreter (fails without the tools: setup installs
 *   and probes them). */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "npy/npy.h"
#include "helpers.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"
#include "test_codegen_util.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"
#define RUNTIME_LIB DLC_BINARY_DIR "/libdlcrt.a"
#define ATOL 1e-4
#define RTOL 1e-4


/* ------------------------------------------------------------- utilities */

static char *tmpdir_create(void) {
  char *t = strdup("/tmp/dlc-abi-XXXXXX");
  cr_assert_not_null(mkdtemp(t));
  return t;
}


typedef struct model_case {
  dlc_graph *g;
  dlc_tensor ins[8], ref[8];
  int n_ins;
} model_case;

/* Loads a fixture model, its inputs and the interpreter's outputs. */
static void load_case(const char *name, model_case *m) {
  memset(m, 0, sizeof *m);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s/model.json", FIXTURES, name);
  dlc_diag d;
  dlc_diag_init(&d, path);
  cr_assert_eq(dlc_frontend_load(path, &m->g, &d), DLC_OK, "cannot load %s",
               path);
  for (m->n_ins = 0; m->n_ins < (int)m->g->inputs.n; m->n_ins++) {
    snprintf(path, sizeof path, "%s/%s/input_%d.npy", FIXTURES, name,
             m->n_ins);
    cr_assert_eq(dlc_npy_read(path, &m->ins[m->n_ins], &d), DLC_OK);
  }
  cr_assert_eq(dlc_interp_run(m->g, DLC_ENGINE_INTERP, m->ins, m->n_ins,
                              m->ref, &d),
               DLC_OK, "interpreter failed on %s", name);
  dlc_diag_free(&d);
}

static void free_case(model_case *m) {
  for (int i = 0; i < m->n_ins; i++)
    free(m->ins[i].data);
  dlc_interp_free_tensors(m->ref, (int)m->g->outputs.n);
  dlc_graph_destroy(m->g);
}

static bool write_raw(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return false;
  bool ok = fwrite(p, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

/* Compares raw float file `path` with the reference output j. */
static bool check_raw(const char *path, const dlc_tensor *ref,
                      const char *what) {
  size_t size = 0;
  char *data = th_read_file(path, &size);
  if (!data || size != dlc_tensor_nbytes(ref)) {
    cr_log_error("%s: output file %s missing or of %zu bytes", what, path,
                 size);
    free(data);
    return false;
  }
  const float *got = (const float *)data, *want = ref->data;
  int64_t n = dlc_tensor_numel(ref);
  for (int64_t i = 0; i < n; i++) {
    if (!(fabs(got[i] - want[i]) <= ATOL + RTOL * fabs(want[i]))) {
      cr_log_error("%s: index %lld: got %.9g, interp %.9g", what,
                   (long long)i, got[i], want[i]);
      free(data);
      return false;
    }
  }
  free(data);
  return true;
}

/* A generic driver: runs the model `abi` through its descriptor on
 * DIR/in<i>.bin and writes DIR/out<j>.bin. Valid C and C++. */
static const char driver_src[] =
    "#include <stdio.h>\n#include <stdlib.h>\n#include \"model.h\"\n"
    "#include \"dlcrt.h\"\n"
    "int main(int argc, char **argv) {\n"
    "  const struct dlc_model *m = &abi_model;\n"
    "  if (argc < 2 || dlcrt_model_check(m) != DLCRT_OK) return 3;\n"
    "  const float *in[16]; float *out[16]; char p[4096];\n"
    "  for (int i = 0; i < m->n_inputs; i++) {\n"
    "    float *b = (float *)malloc(m->inputs[i].numel * 4 + 4);\n"
    "    snprintf(p, sizeof p, \"%s/in%d.bin\", argv[1], i);\n"
    "    FILE *f = fopen(p, \"rb\");\n"
    "    if (!f || fread(b, 4, m->inputs[i].numel, f) != (size_t)m->inputs[i].numel) return 4;\n"
    "    fclose(f); in[i] = b;\n  }\n"
    "  for (int j = 0; j < m->n_outputs; j++)\n"
    "    out[j] = (float *)malloc(m->outputs[j].numel * 4 + 4);\n"
    "  void *ws = dlcrt_workspace_create(m, 1);\n"
    "  if (ABI_WORKSPACE_SIZE != m->workspace_size) return 5;\n"
    "  int st = abi_run(in, out, ws);\n"
    "  if (st != DLCRT_OK) { fprintf(stderr, \"%s\\n\", abi_status_message(st)); return 6; }\n"
    "  for (int j = 0; j < m->n_outputs; j++) {\n"
    "    snprintf(p, sizeof p, \"%s/out%d.bin\", argv[1], j);\n"
    "    FILE *f = fopen(p, \"wb\");\n"
    "    if (!f) return 7;\n"
    "    fwrite(out[j], 4, m->outputs[j].numel, f); fclose(f);\n  }\n"
    "  for (int i = 0; i < m->n_inputs; i++) free((void *)in[i]);\n"
    "  for (int j = 0; j < m->n_outputs; j++) free(out[j]);\n"
    "  dlcrt_free(ws);\n  return 0;\n}\n";

static void write_inputs(const char *dir, const model_case *m) {
  for (int i = 0; i < m->n_ins; i++) {
    char p[1024];
    snprintf(p, sizeof p, "%s/in%d.bin", dir, i);
    cr_assert(write_raw(p, m->ins[i].data, dlc_tensor_nbytes(&m->ins[i])));
  }
}

static bool check_outputs(const char *dir, const model_case *m,
                          const char *what) {
  bool ok = true;
  for (size_t j = 0; j < m->g->outputs.n; j++) {
    char p[1024];
    snprintf(p, sizeof p, "%s/out%zu.bin", dir, j);
    ok = check_raw(p, &m->ref[j], what) && ok;
  }
  return ok;
}

/* ------------------------------------------------------ C and C++ links */

static void link_and_run(const char *compiler, const char *ext) {
  char *dir = tmpdir_create();
  model_case m;
  load_case("net_mobilenetv2_block", &m);
  cr_assert_eq(th_sh("%s %s/net_mobilenetv2_block/model.json -o %s/model.o "
                  "--name abi", DLC_EXE, FIXTURES, dir), 0, "dlc failed");
  char src[1024];
  snprintf(src, sizeof src, "%s/main.%s", dir, ext);
  cr_assert(write_raw(src, driver_src, strlen(driver_src)));
  cr_assert_eq(th_sh("%s%s -I%s -I%s/runtime -o %s/prog %s %s/model.o %s -lm "
                  "-lpthread", compiler, SAN_FLAGS, dir, DLC_SOURCE_DIR, dir,
                  src, dir, RUNTIME_LIB), 0, "%s link failed", compiler);
  write_inputs(dir, &m);
  cr_assert_eq(th_sh("%s/prog %s", dir, dir), 0, "program failed");
  cr_assert(check_outputs(dir, &m, compiler));
  free_case(&m);
  th_sh("rm -rf %s", dir);
  free(dir);
}

Test(codegen_abi, object_links_into_a_c_program) { link_and_run("cc", "c"); }
Test(codegen_abi, object_links_into_a_cxx_program) {
  link_and_run("c++", "cc");
}

/* ------------------------------------------------------------ in-process */

static dlc_compiled *compile_case(const model_case *m, const char *cpu) {
  dlc_codegen_options o;
  dlc_codegen_options_init(&o);
  o.cpu = cpu;
  o.runtime_lib = tcg_runtime_for_shared();
  o.prefix = "abi";
  dlc_diag d;
  dlc_diag_init(&d, "abi");
  dlc_compiled *c = NULL;
  dlc_status st = th_compiled_create(m->g, &o, NULL, &c, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "compilation failed");
  return c;
}

Test(codegen_abi, descriptor_matches_the_graph) {
  model_case m;
  load_case("net_transformer_encoder", &m);
  dlc_compiled *c = compile_case(&m, "x86-64");
  const struct dlc_model *d = dlc_compiled_model(c);
  cr_expect_eq(d->abi_version, DLCRT_ABI_VERSION);
  cr_expect_str_eq(d->name, "abi");
  cr_expect_eq(d->n_inputs, (int)m.g->inputs.n);
  cr_expect_eq(d->n_outputs, (int)m.g->outputs.n);
  for (int i = 0; i < d->n_inputs; i++) {
    const dlc_value *v = m.g->inputs.items[i];
    cr_expect_str_eq(d->inputs[i].name, v->name);
    cr_expect_eq(d->inputs[i].rank, v->type.rank);
    cr_expect_eq(d->inputs[i].numel, dlc_tensor_numel(&v->type));
    for (int k = 0; k < v->type.rank; k++)
      cr_expect(d->inputs[i].shape[k] == v->type.dims[k] ||
                (v->sym[k] && d->inputs[i].shape[k] == -1));
  }
  cr_expect_eq(d->workspace_align, 64);
  cr_expect_eq(d->workspace_size % 64, 0);
  cr_expect_eq(d->workspace_size_batch(1), d->workspace_size);
  cr_expect_eq(d->cpu_features, 0, "generic x86-64 needs no extensions");
  cr_expect_eq(dlcrt_model_check(d), DLCRT_OK);
  dlc_compiled_destroy(c);
  free_case(&m);
}

Test(codegen_abi, run_checks_its_arguments) {
  model_case m;
  load_case("net_conv_bn_relu", &m);
  dlc_compiled *c = compile_case(&m, "x86-64");
  const struct dlc_model *d = dlc_compiled_model(c);
  cr_assert_gt(d->workspace_size, 0);
  char *ws = dlcrt_aligned_alloc(d->workspace_size + 64, 64);
  const float *in[1] = {m.ins[0].data};
  float *out[1] = {malloc(dlc_tensor_nbytes(&m.ref[0]))};
  const float *null_in[1] = {NULL};
  cr_expect_eq(d->run(NULL, out, ws), DLCRT_ERR_ARGUMENT);
  cr_expect_eq(d->run(null_in, out, ws), DLCRT_ERR_ARGUMENT);
  cr_expect_eq(d->run(in, out, NULL), DLCRT_ERR_ARGUMENT);
  cr_expect_eq(d->run(in, out, ws + 4), DLCRT_ERR_ALIGN);
  cr_expect_eq(d->run_batch(2, in, out, ws), DLCRT_ERR_BATCH);
  cr_expect_eq(d->run_batch(1, in, out, ws), DLCRT_OK);
  th_assert_close(out[0], m.ref[0].data, dlc_tensor_numel(&m.ref[0]), ATOL,
                  RTOL);
  cr_expect_str_eq(dlcrt_status_message(DLCRT_OK), "ok");
  cr_expect(strstr(dlcrt_status_message(DLCRT_ERR_CPU), "CPU") != NULL);
  free(out[0]);
  dlcrt_free(ws);
  dlc_compiled_destroy(c);
  free_case(&m);
}

typedef struct thread_job {
  const struct dlc_model *d;
  const model_case *m;
  int bad;
} thread_job;

static void *thread_main(void *arg) {
  thread_job *j = arg;
  void *ws = dlcrt_workspace_create(j->d, 1);
  size_t nb = dlc_tensor_nbytes(&j->m->ref[0]);
  float *y = malloc(nb);
  const float *in[1] = {j->m->ins[0].data};
  float *out[1] = {y};
  for (int it = 0; it < 200; it++) {
    memset(y, 0xff, nb); /* NaN: a skipped write cannot pass */
    if (j->d->run(in, out, ws) != DLCRT_OK)
      j->bad++;
    const float *want = j->m->ref[0].data;
    for (size_t i = 0; i < nb / 4; i++)
      if (!(fabs(y[i] - want[i]) <= ATOL + RTOL * fabs(want[i]))) {
        j->bad++;
        break;
      }
  }
  free(y);
  dlcrt_free(ws);
  return NULL;
}

Test(codegen_abi, two_threads_with_separate_workspaces) {
  model_case m;
  load_case("net_resnet_basic_block", &m);
  dlc_compiled *c = compile_case(&m, "native");
  thread_job jobs[2] = {{dlc_compiled_model(c), &m, 0},
                        {dlc_compiled_model(c), &m, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, thread_main, &jobs[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  cr_expect_eq(jobs[0].bad + jobs[1].bad, 0, "%d bad runs",
               jobs[0].bad + jobs[1].bad);
  dlc_compiled_destroy(c);
  free_case(&m);
}

/* ------------------------------------------------------------ guard pages */

/* guarded_alloc / guarded_free: tests/helpers.h */

/* Every fixture: inputs, outputs and workspace end at a guard page. */
Test(codegen_abi, no_overrun_of_buffers_or_workspace) {
  static const char *const cases[] = {
      "conv_stride2_asym_pads", "maxpool_ceil", "avgpool_ceil_include_pad",
      "pad_reflect", "slice_neg_steps", "net_shufflenetv2_unit", "net_spp",
      "net_se_block", "matmul_batched", "gemm_alpha_beta", "concat"};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    model_case m;
    load_case(cases[k], &m);
    dlc_compiled *c = compile_case(&m, "native");
    const struct dlc_model *d = dlc_compiled_model(c);
    guarded gi[8], go[8], gw;
    const float *in[8];
    float *out[8];
    for (int i = 0; i < m.n_ins; i++) {
      guarded_alloc(&gi[i], dlc_tensor_nbytes(&m.ins[i]));
      memcpy(gi[i].p, m.ins[i].data, dlc_tensor_nbytes(&m.ins[i]));
      in[i] = gi[i].p;
    }
    for (int j = 0; j < d->n_outputs; j++) {
      guarded_alloc(&go[j], dlc_tensor_nbytes(&m.ref[j]));
      out[j] = go[j].p;
    }
    guarded_alloc(&gw, d->workspace_size);
    cr_expect_eq(d->run(in, out, gw.p), DLCRT_OK, "%s", cases[k]);
    for (int j = 0; j < d->n_outputs; j++) {
      th_assert_close(out[j], m.ref[j].data, dlc_tensor_numel(&m.ref[j]),
                      ATOL, RTOL);
      guarded_free(&go[j]);
    }
    for (int i = 0; i < m.n_ins; i++)
      guarded_free(&gi[i]);
    guarded_free(&gw);
    dlc_compiled_destroy(c);
    free_case(&m);
  }
}

/* ---------------------------------------------------------- CLI errors */

/* Runs dlc with args, stderr to a file; returns the exit status and the
 * first line of stderr in line. */
static int dlc_cli(char *line, size_t size, const char *args) {
  char err[] = "/tmp/dlc-abi-err-XXXXXX";
  int fd = mkstemp(err);
  close(fd);
  int rc = th_sh("%s %s 2>%s >/dev/null", DLC_EXE, args, err);
  char *text = th_read_file(err, NULL);
  snprintf(line, size, "%s", text ? text : "");
  char *nl = strchr(line, '\n');
  if (nl)
    *nl = '\0';
  free(text);
  unlink(err);
  return rc;
}

Test(codegen_abi, invalid_options_give_clear_errors) {
  char line[512];
  const char *model = FIXTURES "/relu/model.json";
  /* A private directory: the header lands beside the output, and other tests
   * (or builds) running at the same time must not share it. */
  char *dir = tmpdir_create();
  char args[1024];
  snprintf(args, sizeof args, "%s -o %s/x.o --target nonsense-cpu-os", model,
           dir);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 1);
  cr_expect(strstr(line, "unknown target 'nonsense-cpu-os'"), "got: %s", line);
  snprintf(args, sizeof args, "%s -o %s/x.o --cpu pentium9", model, dir);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 1);
  cr_expect(strstr(line, "unknown CPU 'pentium9'"), "got: %s", line);
  snprintf(args, sizeof args, "%s -o /nonexistent-dir/x.o", model);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 1);
  cr_expect(strstr(line, "cannot write '/nonexistent-dir/x.o'"), "got: %s",
            line);
  snprintf(args, sizeof args, "%s -o %s/x.o --emit exe", model, dir);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 2);
  cr_expect(strstr(line, "--emit"), "got: %s", line);
  snprintf(args, sizeof args, "%s", model);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 2);
  cr_expect(strstr(line, "no output"), "got: %s", line);
  snprintf(args, sizeof args, "%s -o %s/x.o --batch 0", model, dir);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 2);
  cr_expect(strstr(line, "--batch"), "got: %s", line);
  th_sh("rm -rf %s", dir);
  free(dir);
}

/* ------------------------------------------------------ symbolic batch */

#define DIGITS DLC_SOURCE_DIR "/examples/digits"

/* The first n test images as a tensor (data borrowed from all). */
static dlc_tensor first_images(const dlc_tensor *all, int64_t n) {
  dlc_tensor t = *all;
  t.dims[0] = n;
  return t;
}

/* digits.json has input ["N", 1, 8, 8]: compiled once with a symbolic
 * batch, run_batch(n) must equal the interpreter run on the same n images
 * for n = 1, 7 and 360, in one workspace of the batch-1 size. */
Test(codegen_abi, symbolic_batch_matches_the_interpreter, .timeout = 300) {
  dlc_diag d;
  dlc_diag_init(&d, "digits");
  model_case m = {0};
  cr_assert_eq(dlc_frontend_load(DIGITS "/digits.json", &m.g, &d), DLC_OK);
  dlc_tensor all;
  cr_assert_eq(dlc_npy_read(DIGITS "/test_images.npy", &all, &d), DLC_OK);
  dlc_compiled *c = compile_case(&m, "native");
  const struct dlc_model *md = dlc_compiled_model(c);
  cr_expect_eq(md->batched, 1);
  cr_expect_eq(md->inputs[0].shape[0], -1);
  cr_expect_eq(md->inputs[0].numel, 64, "per batch item");
  cr_expect_eq(md->outputs[0].shape[0], -1);
  cr_expect_eq(md->outputs[0].numel, 10);
  cr_expect_eq(md->workspace_size_batch(360), md->workspace_size);
  static const int64_t sizes[] = {1, 7, 360};
  for (int k = 0; k < 3; k++) {
    dlc_tensor in = first_images(&all, sizes[k]), got = {0}, ref = {0};
    cr_assert_eq(dlc_compiled_run(c, &in, 1, &got, &d), DLC_OK);
    cr_assert_eq(dlc_interp_run(m.g, DLC_ENGINE_INTERP, &in, 1, &ref, &d),
                 DLC_OK);
    cr_assert_eq(got.dims[0], sizes[k]);
    cr_assert_eq(dlc_tensor_numel(&got), dlc_tensor_numel(&ref));
    th_assert_close(got.data, ref.data, dlc_tensor_numel(&ref), ATOL, RTOL);
    free(got.data);
    free(ref.data);
  }
  float out[10];
  const float *in[1] = {all.data};
  float *outs[1] = {out};
  void *ws = dlcrt_workspace_create(md, 1);
  cr_expect_eq(md->run_batch(0, in, outs, ws), DLCRT_ERR_BATCH);
  cr_expect_eq(md->run_batch(-3, in, outs, ws), DLCRT_ERR_BATCH);
  cr_expect_eq(md->run_batch(INT64_MAX, in, outs, ws), DLCRT_ERR_BATCH);
  dlcrt_free(ws);
  dlc_diag_free(&d);
  free(all.data);
  dlc_compiled_destroy(c);
  dlc_graph_destroy(m.g);
}

/* A one-node model with input x ["N", 4] and the given node JSON. */
static void write_batch_model(const char *path, const char *op,
                              const char *attrs) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"format\": \"dlc-graph\", \"version\": 1, \"name\": \"b\",\n"
           " \"inputs\": [{\"name\": \"x\", \"dtype\": \"float32\", "
           "\"shape\": [\"N\", 4]}],\n \"outputs\": [{\"name\": \"y\"}],\n"
           " \"nodes\": [{\"name\": \"n0\", \"op\": \"%s\", \"inputs\": "
           "[\"x\"], \"outputs\": [\"y\"], \"attrs\": {%s}}]}\n",
           op, attrs);
  cr_assert(write_raw(path, text, strlen(text)));
}

/* Operators that mix batch items are refused with a message naming the
 * node and suggesting --batch; with --batch the model compiles. */
Test(codegen_abi, non_separable_batch_is_refused) {
  char *dir = tmpdir_create();
  static const char *const ops[][2] = {
      {"Softmax", "\"axis\": 0"},
      {"ReduceMean", "\"axes\": [0], \"keepdims\": 1"}};
  for (int k = 0; k < 2; k++) {
    char model[512], args[1024], line[512];
    snprintf(model, sizeof model, "%s/m%d.json", dir, k);
    write_batch_model(model, ops[k][0], ops[k][1]);
    snprintf(args, sizeof args, "%s -o %s/m.o", model, dir);
    cr_expect_eq(dlc_cli(line, sizeof line, args), 1, "%s", ops[k][0]);
    cr_expect(strstr(line, "node 'n0'") && strstr(line, "batch") &&
              strstr(line, "--batch"), "%s: got: %s", ops[k][0], line);
    snprintf(args, sizeof args, "%s -o %s/m.o --batch 3", model, dir);
    cr_expect_eq(dlc_cli(line, sizeof line, args), 0, "%s --batch 3: %s",
                 ops[k][0], line);
  }
  /* Softmax over the last axis is per item: accepted. */
  char model[512], args[1024], line[512];
  snprintf(model, sizeof model, "%s/ok.json", dir);
  write_batch_model(model, "Softmax", "\"axis\": -1");
  snprintf(args, sizeof args, "%s -o %s/m.o", model, dir);
  cr_expect_eq(dlc_cli(line, sizeof line, args), 0, "got: %s", line);
  snprintf(args, sizeof args, "%s/m.h", dir);
  char *h = th_read_file(args, NULL);
  cr_expect(h && strstr(h, "#define B_BATCHED 1"), "m.h: %s", h);
  free(h);
  th_sh("rm -rf %s", dir);
  free(dir);
}

/* `dlc run --engine compiled --check` prints the largest difference to the
 * interpreter and judges it: exit 0 within the default tolerance, exit 1
 * with a tolerance below the difference. */
Test(codegen_abi, run_check_compares_with_the_interpreter, .timeout = 300) {
  char *dir = tmpdir_create();
  char out[512];
  snprintf(out, sizeof out, "%s/out.txt", dir);
  int rc = th_sh("%s run %s/digits.json --engine compiled --check --input "
              "%s/test_images.npy --output %s/y.npy >%s", DLC_EXE, DIGITS,
              DIGITS, dir, out);
  cr_expect_eq(rc, 0);
  char *text = th_read_file(out, NULL);
  const char *at = text ? strstr(text, "check logits: max |compiled - interp| = ")
                        : NULL;
  cr_assert_not_null(at, "got: %s", text);
  double diff = atof(strchr(at, '=') + 1);
  cr_expect(diff >= 0 && diff < 1e-3, "diff %g", diff);
  cr_expect(strstr(at, " ok"), "got: %s", at);
  free(text);
  rc = th_sh("%s run %s/digits.json --engine compiled --check --tolerance "
          "1e-12 --input %s/test_images.npy --output %s/y.npy >%s", DLC_EXE,
          DIGITS, DIGITS, dir, out);
  cr_expect_eq(rc, diff > 1e-12 ? 1 : 0, "diff %g", diff);
  th_sh("rm -rf %s", dir);
  free(dir);
}

/* --------------------------------------------------- the example program */

/* examples/digits/main.c built with the README's plain cc line against
 * digits.o and libdlcrt.a: it must print the accuracy PyTorch reached
 * (353/360 = 98.06%, at least 95%) and a timing line. */
Test(codegen_abi, digits_example_builds_and_classifies, .timeout = 300) {
  char *dir = tmpdir_create();
  cr_assert_eq(th_sh("%s %s/digits.json -o %s/digits.o --cpu native", DLC_EXE,
                  DIGITS, dir), 0);
  cr_assert_eq(th_sh("cc%s -O2 -I%s %s/main.c %s/digits.o %s -lm -lpthread -o "
                  "%s/digits", SAN_FLAGS, dir, DIGITS, dir, RUNTIME_LIB, dir),
               0, "the cc line failed");
  cr_assert_eq(th_sh("%s/digits %s/test_images.npy %s/test_labels.npy 5 >%s/out",
                  dir, DIGITS, DIGITS, dir), 0);
  char path[512];
  snprintf(path, sizeof path, "%s/out", dir);
  char *text = th_read_file(path, NULL);
  cr_assert_not_null(text);
  long correct = 0, total = 0;
  double pct = 0, ms = 0;
  cr_assert_eq(sscanf(text, "digits: %ld/%ld test images correct, accuracy "
                      "%lf%%", &correct, &total, &pct), 3, "got: %s", text);
  cr_expect_eq(total, 360);
  cr_expect_geq(correct, 342, "accuracy %.2f%% < 95%%", pct);
  cr_expect(fabs(pct - 100.0 * (double)correct / 360) < 0.01);
  const char *t = strstr(text, "compiled: 360 images in ");
  cr_assert_not_null(t, "got: %s", text);
  cr_expect(sscanf(t, "compiled: 360 images in %lf ms", &ms) == 1 && ms > 0);
  free(text);
  th_sh("rm -rf %s", dir);
  free(dir);
}

/* ------------------------------------------------------------- AArch64 */

static bool have_tool(const char *name) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
  return system(cmd) == 0;
}

Test(codegen_abi, aarch64_fixtures_under_qemu, .timeout = 600) {
  /* scripts/setup.sh installs and probes both: missing is a failure. */
  cr_assert(
      have_tool("aarch64-linux-gnu-gcc") && have_tool("qemu-aarch64"),
      "aarch64-linux-gnu-gcc or qemu-aarch64 missing: run scripts/setup.sh");
  char *dir = tmpdir_create();
  /* The runtime and the driver, cross-compiled once. */
  cr_assert_eq(th_sh("cd %s && aarch64-linux-gnu-gcc -std=c11 -O2 "
                  "-D_DEFAULT_SOURCE -c %s/runtime/*.c && "
                  "ar rcs libdlcrt.a *.o",
                  dir, DLC_SOURCE_DIR),
               0);
  char src[1024];
  snprintf(src, sizeof src, "%s/main.c", dir);
  cr_assert(write_raw(src, driver_src, strlen(driver_src)));
  char *text = th_read_file(FIXTURES "/index.json", NULL);
  cJSON *root = cJSON_Parse(text);
  free(text);
  int passed = 0, failed = 0, skipped = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    if (th_sh("%s %s/%s/model.json -o %s/model.o --name abi "
           "--target aarch64-linux-gnu 2>/dev/null", DLC_EXE, FIXTURES, name,
           dir) != 0) {
      skipped++; /* not compiled yet: the x86 test names these */
      continue;
    }
    model_case m;
    load_case(name, &m);
    write_inputs(dir, &m);
    bool ok = th_sh("aarch64-linux-gnu-gcc -static -I%s -I%s/runtime -o %s/prog "
                 "%s %s/model.o %s/libdlcrt.a -lm -lpthread", dir,
                 DLC_SOURCE_DIR, dir, src, dir, dir) == 0 &&
              th_sh("qemu-aarch64 %s/prog %s", dir, dir) == 0 &&
              check_outputs(dir, &m, name);
    if (ok)
      passed++;
    else {
      failed++;
      cr_log_error("aarch64: fixture '%s' fails", name);
    }
    free_case(&m);
  }
  cJSON_Delete(root);
  cr_log_info("aarch64 under qemu: %d pass, %d fail, %d not compiled", passed,
              failed, skipped);
  cr_expect_eq(failed, 0);
  cr_expect_eq(skipped, 0, "every fixture must compile for AArch64");
  cr_expect_geq(passed, 80);
  th_sh("rm -rf %s", dir);
  free(dir);
}

/* docs/abi.md's status table has a row for every code of the one table,
 * with its value, and the runtime's message is the table's. */
#define ABI_DOC_ROW(name, value, message)                                     \
  {#name, value, message},
Test(codegen_abi, the_status_table_is_documented) {
  static const struct {
    const char *name;
    int value;
    const char *message;
  } rows[] = {DLCRT_STATUS_TABLE(ABI_DOC_ROW)};
  FILE *f = fopen(DLC_SOURCE_DIR "/docs/abi.md", "rb");
  cr_assert_not_null(f);
  static char doc[1 << 17];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  doc[n] = '\0';
  fclose(f);
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    char want[96];
    snprintf(want, sizeof want, "`%s` (%d)", rows[i].name, rows[i].value);
    cr_expect(rows[i].value == 0 || strstr(doc, want) != NULL,
              "docs/abi.md has no row %s", want);
    cr_expect_str_eq(dlcrt_status_message(rows[i].value), rows[i].message);
  }
}
