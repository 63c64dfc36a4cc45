/* cmd_compile.c — the main command, `dlc MODEL -o model.o [options]`: load
 * the model, run the optimisation passes (-O1 and up; the same -O is LLVM's
 * level), compile it with the LLVM backend and write the object (or
 * assembly, IR, bitcode, shared object) plus its header. Also the engine behind
 * `dlc run --engine compiled` (dlc_run_compiled), which compiles to a
 * temporary shared object and runs it in-process, and the preparation every
 * compiled engine shares (dlc_cli_prepare_compiled). */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "codegen/codegen.h"
#include "frontend/frontend.h"

static const char help[] =
    "usage: dlc MODEL -o OUTPUT [options]\n"
    "Compiles MODEL to native code and writes OUTPUT plus a C header.\n"
    "  -o PATH            output file (required)\n"
    "  --emit KIND        obj (default), asm, llvm (textual IR) or bc\n"
    "  --target TRIPLE    target triple (default: the host), e.g.\n"
    "                     aarch64-linux-gnu\n"
    "  --cpu NAME         CPU to tune and select instructions for: a name\n"
    "                     (x86-64, x86-64-v3, haswell, skylake-avx512,\n"
    "                     znver4, cortex-a72, ...) or native (default:\n"
    "                     the generic CPU of the target)\n"
    "  --features LIST    extra LLVM features, e.g. +avx2,+fma\n"
    "  -O0 .. -O3         optimisation level (default -O2): -O0 runs no\n"
    "                     graph pass, -O1 and up the pass pipeline (dlc\n"
    "                     passes); also LLVM's optimisation level\n"
    "  --disable-pass NAME  skip one pass (repeatable)\n"
    "  --dump-ir after=NAME|all  print the IR after that pass (stderr)\n"
    "  --verify-each      run the IR verifier after every pass\n"
    "  --name PREFIX      prefix of every exported symbol (default: the\n"
    "                     model's name)\n"
    "  --shared           link a shared object (cc -shared) instead\n"
    "  --header PATH      where to write the header (default: OUTPUT with\n"
    "                     its extension replaced by .h: -o sq.o writes sq.h)\n"
    "  --no-header        do not write a header\n"
    "  --profile          instrument the model: call dlcrt_profile_event\n"
    "                     before and after every kernel call and export the\n"
    "                     tables PREFIX_profile (node names, ops, schedules,\n"
    "                     MACs; docs/abi.md); dlc bench --per-layer uses it\n"
    "  --depfile PATH     also write a Makefile-style dependency file: OUTPUT\n"
    "                     depends on the model and its weight files\n"
    "  -v, --verbose      print each stage's time (load, every pass,\n"
    "                     schedule, memory plan, LLVM build/optimise/emit)\n"
    "                     and the output's size on stderr\n"
    "  --max-workspace N  refuse a model whose workspace would exceed N\n"
    "                     bytes (K, M, G suffixes; default 64G)\n"
    "  --schedule FILE    per-node algorithm/tile overrides (JSON, see\n"
    "                     docs/design.md)\n"
    "  --batch N          fix a symbolic batch dim to N (default: it stays\n"
    "                     symbolic: PREFIX_run_batch takes any n >= 1, when\n"
    "                     no operator mixes batch items)\n"
    DLC_CLI_SHAPES_HELP
    "The object needs libdlcrt.a (and -lm) at link time; see docs/abi.md.\n";

/* libdlcrt.a for the host: $DLC_RUNTIME_LIB, else beside the dlc executable
 * (the build tree), else ../lib beside it (an install). NULL if none. */
const char *dlc_cli_runtime_lib(void) {
  static char path[PATH_MAX + 32];
  const char *env = getenv("DLC_RUNTIME_LIB");
  if (env && *env)
    return env;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return NULL;
  exe[n] = '\0';
  const char *dir = dirname(exe);
  static const char *const rel[] = {"/libdlcrt.a", "/../lib/libdlcrt.a"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s%s", dir, rel[i]);
    if (access(path, R_OK) == 0)
      return path;
  }
  return NULL;
}

/* A positive integer option value, or -1 (after a usage message). */
int64_t dlc_cli_positive(const char *option, const char *v) {
  char *end = NULL;
  long long x = strtoll(v, &end, 10);
  if (!*v || *end || x < 1) {
    dlc_cli_usage_error("%s needs a positive integer, not '%s'", option, v);
    return -1;
  }
  return (int64_t)x;
}

typedef struct compile_args {
  const char *model, *header, *batch, *depfile;
  bool no_header;
  dlc_codegen_options o;
  dlc_cli_passes passes; /* its opt_level is also o.opt_level */
  dlc_cli_shapes shapes; /* --input-shape, --dim */
  bool verbose;          /* -v: each stage's time and the output's size */
} compile_args;

/* Flags without a value; 1 matched, 0 not one of them, -1 usage error. */
static int parse_flag(const char *arg, compile_args *a) {
  if (!strcmp(arg, "--shared"))
    a->o.shared = true;
  else if (!strcmp(arg, "--no-header"))
    a->no_header = true;
  else if (!strcmp(arg, "--profile"))
    a->o.profile = true;
  else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))
    a->verbose = true;
  else if (!strncmp(arg, "-O", 2)) {
    dlc_cli_usage_error("bad optimisation level '%s' (-O0 .. -O3)", arg);
    return -1;
  }
  else
    return 0;
  return 1;
}

/* Options with a value; same return convention. */
static int parse_valued(int argc, char **argv, int *i, compile_args *a) {
  static const char *const names[] = {"-o",    "--emit",     "--target",
                                      "--cpu", "--features", "--name",
                                      "--header", "--batch", "--depfile"};
  enum { N_NAMES = sizeof names / sizeof names[0] };
  for (int k = 0; k < N_NAMES; k++) {
    const char *v;
    int m = dlc_cli_option(argc, argv, i, names[k], &v);
    if (m != 1)
      continue;
    const char **dst[N_NAMES] = {&a->o.output_path, NULL,
                                 &a->o.triple,      &a->o.cpu,
                                 &a->o.features,    &a->o.prefix,
                                 &a->header,        &a->batch,
                                 &a->depfile};
    if (k == 1 && !dlc_emit_kind_from_name(v, &a->o.emit)) {
      dlc_cli_usage_error("unknown --emit kind '%s' (obj, asm, llvm, bc)", v);
      return -1;
    }
    if (dst[k])
      *dst[k] = v;
    return 1;
  }
  /* dlc_cli_option already reported a missing value as -1; re-check. */
  for (int k = 0; k < N_NAMES; k++)
    if (!strcmp(argv[*i], names[k]) && *i + 1 >= argc)
      return -1;
  return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, compile_args *a) {
  memset(a, 0, sizeof *a);
  dlc_codegen_options_init(&a->o);
  dlc_cli_passes_init(&a->passes, a->o.opt_level);
  a->model = argv[0];
  for (int i = 1; i < argc; i++) {
    if (dlc_cli_is_help(argv[i])) {
      fputs(help, stdout);
      return DLC_EXIT_OK;
    }
    int m = dlc_cli_passes_arg(argc, argv, &i, &a->passes);
    if (m == 0)
      m = dlc_cli_shapes_arg(argc, argv, &i, &a->shapes);
    if (m == 0)
      m = parse_flag(argv[i], a);
    if (m == 0)
      m = parse_valued(argc, argv, &i, a);
    if (m < 0)
      return DLC_EXIT_USAGE;
    if (m == 0)
      return dlc_cli_usage_error("unknown option or extra argument '%s'",
                                 argv[i]);
  }
  a->o.opt_level = a->passes.opt.opt_level;
  if (!a->o.output_path)
    return dlc_cli_usage_error("no output file given (-o PATH)");
  if (a->batch && dlc_cli_positive("--batch", a->batch) < 0)
    return DLC_EXIT_USAGE;
  if (a->o.shared && a->o.emit != DLC_EMIT_OBJ)
    return dlc_cli_usage_error("--shared makes an object: it cannot be "
                               "combined with --emit");
  return -1;
}

/* OUTPUT's name with its extension replaced by .h (`-o sq.o` writes sq.h
 * beside it), so that two models compiled into one directory keep separate
 * headers; --header or --no-header say otherwise. Free: free(). */
static char *header_path(const compile_args *a) {
  if (a->no_header || a->o.emit == DLC_EMIT_LLVM || a->o.emit == DLC_EMIT_BC)
    return NULL;
  if (a->header)
    return strdup(a->header);
  const char *out = a->o.output_path;
  const char *base = strrchr(out, '/');
  base = base ? base + 1 : out;
  const char *dot = strrchr(base, '.');
  size_t stem = dot && dot != base ? (size_t)(dot - out) : strlen(out);
  char *p = malloc(stem + 3);
  memcpy(p, out, stem);
  memcpy(p + stem, ".h", 3);
  return p;
}

/* A path in a depfile: spaces and '#' backslashed, '$' doubled. */
static void put_dep_path(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == ' ' || *s == '#')
      fputc('\\', f);
    if (*s == '$')
      fputc('$', f);
    fputc(*s, f);
  }
}

/* "OUTPUT: MODEL WEIGHTS..." for make and ninja, so that a build re-runs dlc
 * when a weight file changes, not just the model. */
static bool write_depfile(const char *path, const char *output,
                          const dlc_graph *g, dlc_diag *d) {
  FILE *f = fopen(path, "w");
  if (!f) {
    dlc_diag_error(d, "", "cannot write '%s'", path);
    return false;
  }
  put_dep_path(f, output);
  fputc(':', f);
  for (size_t i = 0; i < g->sources.n; i++) {
    fputc(' ', f);
    put_dep_path(f, g->sources.items[i]);
  }
  fputc('\n', f);
  bool ok = fclose(f) == 0;
  if (!ok)
    dlc_diag_error(d, "", "cannot write '%s'", path);
  return ok;
}

/* Host-arch shared objects get the host runtime; cross ones link with the
 * target's gcc and no runtime unless DLC_RUNTIME_LIB names one. */
static void choose_linker(compile_args *a, char *linker, size_t size) {
  bool cross = a->o.triple && strncmp(a->o.triple, "x86_64", 6) != 0;
  if (cross) {
    snprintf(linker, size, "%s-gcc", a->o.triple);
    a->o.linker = linker;
    a->o.runtime_lib = getenv("DLC_RUNTIME_LIB");
  } else {
    a->o.runtime_lib = dlc_cli_runtime_lib();
  }
}

/* Neither output may be the model or the other output; the header may
 * replace only a header dlc wrote. */
static bool outputs_safe(const compile_args *a, const char *hdr) {
  dlc_diag d;
  dlc_diag_init(&d, a->model);
  dlc_cli_file in = {a->model, "model", false};
  dlc_cli_file out[3] = {{a->o.output_path, "-o", false}};
  int n = 1;
  if (hdr)
    out[n++] = (dlc_cli_file){hdr, "--header", true};
  if (a->depfile)
    out[n++] = (dlc_cli_file){a->depfile, "--depfile", false};
  bool ok = dlc_cli_outputs_safe(&in, 1, out, n, &d);
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  return ok;
}

/* Loads and compiles through the driver: passes, batch, schedule, code. */
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* -v: the output's size after the stage timings. */
static void report_output(const compile_args *a) {
  struct stat st;
  if (stat(a->o.output_path, &st) == 0)
    fprintf(stderr, "dlc: wrote %s (%lld bytes)\n", a->o.output_path,
            (long long)st.st_size);
}

static int compile_model(compile_args *a) {
  double t0 = now_ms();
  char *hdr = header_path(a);
  dlc_graph *g = outputs_safe(a, hdr)
                     ? dlc_cli_load_shaped(a->model, &a->shapes, true)
                     : NULL;
  if (!g) {
    free(hdr);
    return DLC_EXIT_BAD_INPUT;
  }
  if (a->verbose)
    fprintf(stderr, "dlc: %-23s %9.1f ms\n", "load", now_ms() - t0);
  a->o.header_path = hdr;
  dlc_driver_options o;
  dlc_cli_driver_options(&a->passes, &o);
  o.codegen = a->o;
  o.batch = a->batch ? dlc_cli_positive("--batch", a->batch) : 0;
  o.force_fixed_batch = true;
  o.times_to = a->verbose ? stderr : NULL;
  dlc_diag d;
  dlc_diag_init(&d, a->model);
  /* The object records which file it was built from (docs/abi.md). */
  char sha[65] = "";
  if (!dlc_sha256_file(a->model, sha))
    sha[0] = '\0';
  o.codegen.model_sha256 = sha;
  dlc_status st = dlc_driver_compile(g, &o, NULL, &d);
  if (st == DLC_OK && a->depfile &&
      !write_depfile(a->depfile, a->o.output_path, g, &d))
    st = DLC_ERR_IO;
  dlc_diag_print(&d, stderr);
  if (st == DLC_OK && a->verbose)
    report_output(a);
  dlc_diag_free(&d);
  free(hdr);
  dlc_graph_destroy(g);
  return st == DLC_OK ? DLC_EXIT_OK : DLC_EXIT_BAD_INPUT;
}

int dlc_cmd_compile(int argc, char **argv) {
  compile_args a;
  int rc = parse(argc, argv, &a);
  if (rc < 0) {
    char linker[160];
    if (a.o.shared)
      choose_linker(&a, linker, sizeof linker);
    rc = compile_model(&a);
  }
  dlc_cli_passes_free(&a.passes);
  dlc_cli_shapes_free(&a.shapes);
  return rc;
}

/* The batch size of the inputs given for a symbolic batch dim (1 if none). */
static int64_t given_batch(const dlc_graph *g, const dlc_tensor *inputs) {
  for (size_t i = 0; i < g->inputs.n; i++)
    if (g->inputs.items[i]->type.rank > 0 && g->inputs.items[i]->sym[0])
      return inputs[i].dims[0];
  return 1;
}

dlc_status dlc_run_compiled_with(const char *model_path, const dlc_graph *g,
                                 const dlc_cli_passes *p,
                                 const dlc_tensor *inputs, int n_inputs,
                                 dlc_tensor *outputs, dlc_diag *d) {
  dlc_driver_options o;
  dlc_cli_driver_options(p, &o);
  o.codegen.cpu = "native";
  o.codegen.runtime_lib = dlc_cli_runtime_lib();
  /* A symbolic batch that cannot be a loop is compiled for the size given. */
  o.batch = given_batch(g, inputs);
  if (!o.codegen.runtime_lib) {
    dlc_diag_error(d, "", "cannot find libdlcrt.a beside the dlc executable "
                   "(set DLC_RUNTIME_LIB)");
    return DLC_ERR_IO;
  }
  /* The passes rewrite the graph; `dlc run` keeps its own (unoptimised) one
   * for --check, so the compiled engine works on a copy. */
  (void)model_path;
  dlc_graph *copy = dlc_graph_clone(g);
  /* Symbols other than the batch take the sizes of the inputs given (the
   * compiled code is specialised to them), never 1. */
  dlc_cli_shapes sizes = {0};
  dlc_cli_shapes_from_inputs(copy, inputs, &sizes);
  dlc_status st = dlc_cli_shapes_apply(copy, &sizes, true, d);
  dlc_cli_shapes_free(&sizes);
  dlc_compiled *m = NULL;
  if (st == DLC_OK)
    st = dlc_driver_load(copy, &o, &m, d);
  if (st == DLC_OK)
    st = dlc_compiled_run(m, inputs, n_inputs, outputs, d);
  dlc_compiled_destroy(m);
  dlc_graph_destroy(copy);
  return st;
}

dlc_status dlc_run_compiled(const char *model_path, const dlc_graph *g,
                            const dlc_tensor *inputs, int n_inputs,
                            dlc_tensor *outputs, dlc_diag *d) {
  dlc_cli_passes p;
  dlc_cli_passes_init(&p, 2);
  dlc_status st =
      dlc_run_compiled_with(model_path, g, &p, inputs, n_inputs, outputs, d);
  dlc_cli_passes_free(&p);
  return st;
}
