/* cmd_run.c — `dlc run MODEL --input a.npy ... --output y.npy ...`: run a
 * model on .npy inputs with one of the engines (the reference interpreter,
 * the BLAS baseline, or compiled code when it is built in) and write every
 * graph output as .npy. Inputs are checked against the model's declared
 * inputs first (count, dtype, shape; a symbolic dimension takes the size
 * given), so a mistake is reported naming the file and the input rather
 * than surfacing as a kernel error. With --check the reference interpreter
 * runs too and the largest difference per output is printed and judged. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy/npy.h"
#include "ir/outfiles.h"
#include "cli/cli.h"

static const char RUN_HELP[] =
    "usage: dlc run MODEL --input a.npy [--input b.npy ...]\n"
    "               (--output y.npy [--output z.npy ...] | --output-dir DIR)\n"
    "               [--engine interp|blas|compiled] [--check]\n"
    "               [--tolerance T] [-O0..-O3] [--disable-pass NAME]\n"
    "               [--dump-ir after=NAME|all] [--verify-each]\n"
    "               [--input-shape NAME=D0,D1,...] [--dim SYMBOL=VALUE]\n"
    "\n"
    "Runs MODEL on the given inputs and writes its outputs as .npy files.\n"
    "\n"
    "  --input FILE       one per graph input, in the model's input order;\n"
    "                     float32 (int64 where the input is int64), C order.\n"
    "                     The shape must match the declared one; a symbolic\n"
    "                     dimension (such as a batch size N) takes the size\n"
    "                     given.\n"
    "  --output FILE      one per graph output, in the model's output order\n"
    "  --output-dir DIR   instead of --output: write DIR/NAME.npy for each\n"
    "                     output NAME (characters other than letters, digits,\n"
    "                     '.', '-' and '_' become '_'); DIR is created if\n"
    "                     missing\n"
    "  --engine NAME      interp (reference kernels, the default), blas\n"
    "                     (Conv/Gemm/MatMul through OpenBLAS) or compiled\n"
    "  --check            also run the reference interpreter and print the\n"
    "                     largest absolute difference of every output; exit 1\n"
    "                     if one exceeds the tolerance\n"
    "  --tolerance T      the largest difference --check accepts (default, per\n"
    "                     output: 1e-3 * max|reference| + 1e-5)\n"
    "  -O0 .. -O3         compiled engine only: -O0 compiles the model as\n"
    "                     loaded, -O1 and up after the pass pipeline (dlc\n"
    "                     passes; default -O2); also LLVM's level\n"
    "  --disable-pass NAME, --dump-ir after=NAME|all, --verify-each\n"
    "                     compiled engine only: as for dlc MODEL -o\n"
    "  --input-shape, --dim  declare the sizes of symbolic dims; the input\n"
    "                     arrays must then have them\n"
    "\n"
    "Exit status: 0 success, 1 bad model or inputs, 2 bad usage.\n";

typedef struct run_opts {
  const char *model;
  DLC_VEC(const char *) inputs;
  DLC_VEC(const char *) outputs;
  const char *output_dir;
  const char *engine;
  bool check;
  const char *tolerance; /* NULL: relative default */
  dlc_cli_passes passes; /* the compiled engine's optimisation */
  dlc_cli_shapes shapes; /* --input-shape, --dim: the inputs must agree */
} run_opts;

/* ------------------------------------------------------------- arguments */

/* One option at argv[*i]; returns -1 if it was consumed, else an exit code. */
static int run_parse_option(int argc, char **argv, int *i, run_opts *o) {
  const char *v;
  int m = dlc_cli_passes_arg(argc, argv, i, &o->passes);
  if (m == 0)
    m = dlc_cli_shapes_arg(argc, argv, i, &o->shapes);
  if (m != 0)
    return m < 0 ? DLC_EXIT_USAGE : -1;
  if ((m = dlc_cli_option(argc, argv, i, "--input", &v)) == 1)
    dlc_vec_push(&o->inputs, v);
  else if (m == 0 && (m = dlc_cli_option(argc, argv, i, "--output", &v)) == 1)
    dlc_vec_push(&o->outputs, v);
  else if (m == 0 &&
           (m = dlc_cli_option(argc, argv, i, "--output-dir", &v)) == 1)
    o->output_dir = v;
  else if (m == 0 && (m = dlc_cli_option(argc, argv, i, "--engine", &v)) == 1)
    o->engine = v;
  else if (m == 0 &&
           (m = dlc_cli_option(argc, argv, i, "--tolerance", &v)) == 1)
    o->tolerance = v;
  else if (m == 0 && !strcmp(argv[*i], "--check")) {
    o->check = true;
    m = 1;
  }
  if (m < 0)
    return DLC_EXIT_USAGE;
  if (m == 0)
    return dlc_cli_usage_error("run: unknown option '%s'", argv[*i]);
  return -1;
}

/* Returns -1 when the command should go on, else the exit code. */
static int run_parse(int argc, char **argv, run_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (dlc_cli_is_help(arg)) {
      fputs(RUN_HELP, stdout);
      return DLC_EXIT_OK;
    }
    if (arg[0] == '-' && arg[1] != '\0') {
      int rc = run_parse_option(argc, argv, &i, o);
      if (rc >= 0)
        return rc;
    } else if (o->model) {
      return dlc_cli_usage_error("run: more than one model given ('%s' and "
                                 "'%s')",
                                 o->model, arg);
    } else {
      o->model = arg;
    }
  }
  if (!o->model)
    return dlc_cli_usage_error("run: no model given");
  if (o->outputs.n == 0 && !o->output_dir)
    return dlc_cli_usage_error("run: no --output or --output-dir given");
  if (o->outputs.n > 0 && o->output_dir)
    return dlc_cli_usage_error("run: give either --output or --output-dir, "
                               "not both");
  if (o->tolerance) {
    char *end = NULL;
    double t = strtod(o->tolerance, &end);
    if (!*o->tolerance || *end || !(t >= 0))
      return dlc_cli_usage_error("run: --tolerance needs a number >= 0, not "
                                 "'%s'", o->tolerance);
  }
  return -1;
}

/* ---------------------------------------------------------------- inputs */

/* The declared shape with symbolic names: "[N, 3, 224, 224]". */
static char *declared_shape_str(const dlc_value *v, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int i = 0; i < v->type.rank && n < size; i++) {
    if (v->sym[i])
      n +=
          (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", v->sym[i]);
    else
      n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "",
                            (long long)v->type.dims[i]);
  }
  if (n < size)
    snprintf(buf + n, size - n, "]");
  return buf;
}

/* Checks one input file's tensor against the declared input. */
static bool run_check_input(const dlc_value *decl, const dlc_tensor *t,
                            dlc_diag *d) {
  char where[256], want[256], got[256];
  snprintf(where, sizeof where, "input '%s'", decl->name);
  if (t->dtype != decl->type.dtype) {
    dlc_diag_error(d, where, "holds %s, but the model declares %s%s",
                   dlc_dtype_name(t->dtype), dlc_dtype_name(decl->type.dtype),
                   decl->type.dtype == DLC_DT_FLOAT32
                       ? " (save a.astype(np.float32))"
                       : "");
    return false;
  }
  bool same = t->rank == decl->type.rank;
  for (int i = 0; same && i < t->rank; i++)
    same = decl->sym[i] ? t->dims[i] > 0 : t->dims[i] == decl->type.dims[i];
  if (!same)
    dlc_diag_error(d, where, "shape %s does not match the declared shape %s",
                   dlc_shape_str(t, got, sizeof got),
                   declared_shape_str(decl, want, sizeof want));
  return same;
}

/* Reads and checks every input; each file's problems name that file. */
static bool run_read_inputs(const dlc_graph *g, const run_opts *o,
                            dlc_tensor *ins) {
  bool ok = true;
  for (size_t i = 0; i < o->inputs.n; i++) {
    dlc_diag d;
    dlc_diag_init(&d, o->inputs.items[i]);
    if (dlc_npy_read(o->inputs.items[i], &ins[i], &d) != DLC_OK ||
        !run_check_input(g->inputs.items[i], &ins[i], &d)) {
      dlc_diag_print(&d, stderr);
      ok = false;
    }
    dlc_diag_free(&d);
  }
  return ok;
}

static char *names_list(dlc_value *const *vals, size_t count, char *buf,
                        size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s'%s'", i ? ", " : "",
                          vals[i]->name);
  return buf;
}

/* The numbers of --input and --output must match the graph's. */
static bool run_check_counts(const dlc_graph *g, const run_opts *o) {
  char names[512];
  bool ok = true;
  if (o->inputs.n != g->inputs.n) {
    fprintf(stderr, "%s: the model has %zu input(s) (%s), %zu --input given\n",
            o->model, g->inputs.n,
            names_list(g->inputs.items, g->inputs.n, names, sizeof names),
            o->inputs.n);
    ok = false;
  }
  if (!o->output_dir && o->outputs.n != g->outputs.n) {
    fprintf(stderr,
            "%s: the model has %zu output(s) (%s), %zu --output given\n",
            o->model, g->outputs.n,
            names_list(g->outputs.items, g->outputs.n, names, sizeof names),
            o->outputs.n);
    ok = false;
  }
  return ok;
}

/* --------------------------------------------------------------- outputs */

/* DIR/NAME.npy with NAME made safe as a file name (no '/', no "..") . */
static char *output_path(const char *dir, const char *name) {
  size_t len = strlen(dir) + strlen(name) + 8;
  char *p = malloc(len);
  DLC_ASSERT(p != NULL);
  size_t n = (size_t)snprintf(p, len, "%s/", dir);
  for (const char *c = name; *c; c++) {
    bool safe = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
                (*c == '.' && c != name);
    p[n++] = safe ? *c : '_';
  }
  snprintf(p + n, len - n, ".npy");
  return p;
}

/* Every output is written to a temporary file and all are renamed into
 * place together once all are complete (ir/outfiles.h). */
static bool run_write_outputs(const dlc_graph *g, const run_opts *o,
                              const dlc_tensor *outs, dlc_diag *d) {
  if (o->output_dir && mkdir(o->output_dir, 0777) != 0 && errno != EEXIST) {
    dlc_diag_error(d, "", "cannot create the output directory '%s': %s",
                   o->output_dir, strerror(errno));
    return false;
  }
  dlc_outfiles set;
  dlc_outfiles_init(&set);
  char *paths[DLC_OUTFILES_MAX] = {0};
  size_t n = g->outputs.n;
  bool ok = n <= DLC_OUTFILES_MAX;
  if (!ok)
    dlc_diag_error(d, "", "the model has %zu outputs: dlc run writes at most "
                   "%d", n, DLC_OUTFILES_MAX);
  for (size_t i = 0; ok && i < n; i++) {
    paths[i] = o->output_dir
                   ? output_path(o->output_dir, g->outputs.items[i]->name)
                   : strdup(o->outputs.items[i]);
    const char *tmp = dlc_outfiles_add(&set, paths[i], 0666, d);
    ok = tmp && dlc_npy_write_as(tmp, paths[i], &outs[i], d) == DLC_OK;
  }
  ok = ok ? dlc_outfiles_commit(&set, d) : (dlc_outfiles_abort(&set), false);
  for (size_t i = 0; ok && i < n; i++) {
    char shape[160];
    printf("%s: %s %s %s\n", paths[i], g->outputs.items[i]->name,
           dlc_dtype_name(outs[i].dtype),
           dlc_shape_str(&outs[i], shape, sizeof shape));
  }
  for (size_t i = 0; i < n && i < DLC_OUTFILES_MAX; i++)
    free(paths[i]);
  return ok;
}

/* ------------------------------------------------------------------ run */

static dlc_status run_engine(const dlc_graph *g, const run_opts *o,
                             const dlc_tensor *ins, dlc_tensor *outs,
                             dlc_diag *d) {
  int n = (int)g->inputs.n;
  if (o->engine && !strcmp(o->engine, "compiled"))
    return dlc_run_compiled_with(o->model, g, &o->passes, ins, n, outs, d);
  dlc_engine engine = DLC_ENGINE_INTERP;
  if (o->engine)
    dlc_engine_from_name(o->engine, &engine); /* checked in dlc_cmd_run */
  return dlc_interp_run(g, engine, ins, n, outs, d);
}

/* --check: runs the interpreter on the same inputs and prints, per output,
 * the largest absolute difference and the tolerance it is held to. */
static bool run_compare(const dlc_graph *g, const run_opts *o,
                        const dlc_tensor *ins, const dlc_tensor *outs,
                        dlc_diag *d) {
  dlc_tensor *ref = calloc(g->outputs.n + 1, sizeof *ref);
  DLC_ASSERT(ref);
  if (dlc_interp_run(g, DLC_ENGINE_INTERP, ins, (int)g->inputs.n, ref, d) !=
      DLC_OK) {
    free(ref);
    return false;
  }
  bool ok = true;
  for (size_t j = 0; j < g->outputs.n; j++) {
    int64_t n = dlc_tensor_numel(&ref[j]);
    double diff = 0, peak = 0;
    bool same = dlc_tensor_same_shape(&ref[j], &outs[j]);
    for (int64_t i = 0; same && i < n; i++) {
      double r = dlc_tensor_get_f64(&ref[j], i);
      double e = fabs(dlc_tensor_get_f64(&outs[j], i) - r);
      diff = e > diff || isnan(e) ? e : diff;
      peak = fabs(r) > peak ? fabs(r) : peak;
    }
    double tol = o->tolerance ? strtod(o->tolerance, NULL) : 1e-3 * peak + 1e-5;
    bool good = same && !isnan(diff) && diff <= tol;
    printf("check %s: max |%s - interp| = %.3g (tolerance %.3g) %s\n",
           g->outputs.items[j]->name, o->engine ? o->engine : "interp", diff,
           tol, good ? "ok" : same ? "FAIL" : "FAIL (shapes differ)");
    ok = ok && good;
  }
  dlc_interp_free_tensors(ref, (int)g->outputs.n);
  free(ref);
  return ok;
}

/* No --output may be the model, an --input or another --output. */
static bool run_outputs_safe(const run_opts *o) {
  dlc_cli_file files[DLC_CLI_MAX_FILES];
  size_t n_in = o->inputs.n + 1, n_out = o->outputs.n;
  if (n_in + n_out > DLC_CLI_MAX_FILES) {
    fprintf(stderr, "%s: more than %d files given\n", o->model,
            DLC_CLI_MAX_FILES);
    return false;
  }
  files[0] = (dlc_cli_file){o->model, "model", false};
  for (size_t i = 0; i < o->inputs.n; i++)
    files[1 + i] = (dlc_cli_file){o->inputs.items[i], "--input", false};
  for (size_t i = 0; i < n_out; i++)
    files[n_in + i] = (dlc_cli_file){o->outputs.items[i], "--output", false};
  dlc_diag d;
  dlc_diag_init(&d, o->model);
  bool ok = dlc_cli_outputs_safe(files, (int)n_in, files + n_in, (int)n_out,
                                 &d);
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  return ok;
}

/* Loads, checks, runs and writes; returns the exit status. */
static int run_model(const run_opts *o) {
  /* Unbound symbols are fine here: the input arrays give their sizes. */
  dlc_graph *g = dlc_cli_load_shaped(o->model, &o->shapes, false);
  if (!g)
    return DLC_EXIT_BAD_INPUT;
  if (!run_check_counts(g, o) || !run_outputs_safe(o)) {
    dlc_graph_destroy(g);
    return DLC_EXIT_BAD_INPUT;
  }
  dlc_tensor *ins = calloc(g->inputs.n + 1, sizeof *ins);
  dlc_tensor *outs = calloc(g->outputs.n + 1, sizeof *outs);
  DLC_ASSERT(ins && outs);
  dlc_diag d;
  dlc_diag_init(&d, o->model);
  bool ok = run_read_inputs(g, o, ins) &&
            run_engine(g, o, ins, outs, &d) == DLC_OK &&
            run_write_outputs(g, o, outs, &d) &&
            (!o->check || run_compare(g, o, ins, outs, &d));
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  for (size_t i = 0; i < g->inputs.n; i++)
    free(ins[i].data);
  dlc_interp_free_tensors(outs, (int)g->outputs.n);
  free(ins);
  free(outs);
  dlc_graph_destroy(g);
  return ok ? DLC_EXIT_OK : DLC_EXIT_BAD_INPUT;
}

int dlc_cmd_run(int argc, char **argv) {
  run_opts o;
  memset(&o, 0, sizeof o);
  dlc_cli_passes_init(&o.passes, 2);
  int rc = run_parse(argc, argv, &o);
  dlc_engine engine;
  if (rc < 0 && o.engine && strcmp(o.engine, "compiled") != 0 &&
      !dlc_engine_from_name(o.engine, &engine))
    rc = dlc_cli_usage_error("run: unknown engine '%s' (interp, blas, "
                             "compiled)",
                             o.engine);
  if (rc < 0)
    rc = run_model(&o);
  dlc_vec_free(&o.inputs);
  dlc_vec_free(&o.outputs);
  dlc_cli_passes_free(&o.passes);
  dlc_cli_shapes_free(&o.shapes);
  return rc;
}
