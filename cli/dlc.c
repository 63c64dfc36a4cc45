/* dlc.c — main() of the `dlc` command: the overall help, dispatch to the
 * subcommands (cli/cmd_*.c), and the small helpers they share (option
 * matching, usage errors, loading a model). Only this executable prints and
 * exits; the library underneath reports through dlc_diag. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "cli/cli.h"

static const char DLC_HELP[] =
    "dlc - a code-generating graph compiler for neural networks\n"
    "\n"
    "usage:\n"
    "  dlc MODEL -o model.o [options]   compile MODEL to native code\n"
    "  dlc run MODEL --input a.npy [--input b.npy ...]\n"
    "          (--output y.npy [--output z.npy ...] | --output-dir DIR)\n"
    "          [--engine interp|blas|compiled] [--check [--tolerance T]]\n"
    "                                   run MODEL on .npy inputs\n"
    "  dlc check MODEL                  validate MODEL, print every problem\n"
    "  dlc stats MODEL [--json]         per-node shapes, parameters, MACs,\n"
    "                                   receptive field, activation bytes\n"
    "  dlc show MODEL [-O2]             print the graph IR (after the passes)\n"
    "  dlc import M.onnx -o M.json      convert ONNX to dlc JSON (+ M.bin)\n"
    "  dlc passes                       list the optimisation passes\n"
    "  dlc ops [--json]                 list the supported operators\n"
    "  dlc bench ...                    measure speed (see dlc bench --help)\n"
    "  dlc CMD --help                   help on one command\n"
    "  dlc --version                    print dlc's version\n"
    "\n"
    "MODEL is a dlc-graph v1 JSON file (docs/format.md) or an ONNX model\n"
    "(opsets 11-21, docs/onnx.md). Tensors are numpy\n"
    ".npy files: float32 (int64 where the model's input is int64), C order.\n"
    "\n"
    "exit status: 0 success, 1 bad model or input (one 'FILE: WHERE: WHAT'\n"
    "line per problem on stderr), 2 bad usage.\n";

/* ----------------------------------------------------------- shared helpers */

int dlc_cli_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("dlc: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("\nsee dlc --help\n", stderr);
  va_end(ap);
  return DLC_EXIT_USAGE;
}

bool dlc_cli_is_help(const char *arg) {
  return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int dlc_cli_option(int argc, char **argv, int *i, const char *name,
                   const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0)
    return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != '\0')
    return 0;
  if (*i + 1 >= argc) {
    dlc_cli_usage_error("option %s needs a value", name);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

bool dlc_cli_parse_model_args(int argc, char **argv, const char *help,
                              const char *flag, bool *flag_set,
                              const char **model, int *exit_code) {
  *model = NULL;
  if (flag_set)
    *flag_set = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (dlc_cli_is_help(arg)) {
      fputs(help, stdout);
      *exit_code = DLC_EXIT_OK;
      return false;
    }
    if (flag && !strcmp(arg, flag)) {
      *flag_set = true;
      continue;
    }
    if (arg[0] == '-' && arg[1] != '\0') {
      *exit_code = dlc_cli_usage_error("%s: unknown option '%s'", argv[0], arg);
      return false;
    }
    if (*model) {
      *exit_code =
          dlc_cli_usage_error("%s: more than one model given", argv[0]);
      return false;
    }
    *model = arg;
  }
  if (!*model) {
    *exit_code = dlc_cli_usage_error("%s: no model given", argv[0]);
    return false;
  }
  return true;
}

dlc_graph *dlc_cli_load_model(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  if (dlc_frontend_load(path, &g, &d) != DLC_OK || !g) {
    if (dlc_diag_count(&d) == 0)
      dlc_diag_error(&d, "", "cannot load the model");
    dlc_diag_print(&d, stderr);
    if (g)
      dlc_graph_destroy(g);
    g = NULL;
  }
  dlc_diag_free(&d);
  return g;
}

/* ------------------------------------------------------------- dispatch */

typedef struct dlc_subcommand {
  const char *name;
  int (*fn)(int argc, char **argv);
} dlc_subcommand;

static const dlc_subcommand DLC_SUBCOMMANDS[] = {
    {"run", dlc_cmd_run},   {"check", dlc_cmd_check}, {"stats", dlc_cmd_stats},
    {"show", dlc_cmd_show}, {"bench", dlc_cmd_bench},
    {"passes", dlc_cmd_passes}, {"import", dlc_cmd_import},
    {"ops", dlc_cmd_ops},
};
enum { N_SUBCOMMANDS = sizeof DLC_SUBCOMMANDS / sizeof *DLC_SUBCOMMANDS };

/* Edit distance (insertions, deletions, substitutions) of two short words;
 * longer words are capped, which only makes them look farther apart. */
static int edit_distance(const char *a, const char *b) {
  enum { MAX = 32 };
  int la = (int)strnlen(a, MAX), lb = (int)strnlen(b, MAX);
  int row[MAX + 1];
  for (int j = 0; j <= lb; j++)
    row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* A first word that is no subcommand, no existing file and has no file
 * extension or directory is a mistyped command, not a model: say so and
 * offer the nearest command (within two edits, or a prefix of one). */
static bool report_unknown_command(const char *word) {
  if (strchr(word, '.') || strchr(word, '/') || access(word, F_OK) == 0)
    return false;
  const char *best = NULL;
  int best_d = 3;
  for (int i = 0; i < N_SUBCOMMANDS; i++) {
    const char *name = DLC_SUBCOMMANDS[i].name;
    int d = edit_distance(word, name);
    if (!strncmp(name, word, strlen(word)))
      d = 1;
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  if (best)
    dlc_cli_usage_error("unknown command '%s' (did you mean '%s'?)", word,
                        best);
  else
    dlc_cli_usage_error("unknown command '%s', and no model file of that "
                        "name", word);
  return true;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return dlc_cli_usage_error("no command or model given");
  const char *first = argv[1];
  for (int i = 0; i < N_SUBCOMMANDS; i++)
    if (!strcmp(first, DLC_SUBCOMMANDS[i].name))
      return DLC_SUBCOMMANDS[i].fn(argc - 1, argv + 1);
  if (!strcmp(first, "--version")) {
    printf("dlc %s\n", dlc_version());
    return DLC_EXIT_OK;
  }
  if (dlc_cli_is_help(first) || !strcmp(first, "help")) {
    fputs(DLC_HELP, stdout);
    return DLC_EXIT_OK;
  }
  if (first[0] == '-' && first[1] != '\0')
    return dlc_cli_usage_error("unknown option '%s' (the model comes first: "
                               "dlc MODEL -o model.o)",
                               first);
  if (report_unknown_command(first))
    return DLC_EXIT_USAGE;
  return dlc_cmd_compile(argc - 1, argv + 1);
}
