/* dlc.c — main() of the `dlc` command: the overall help and the dispatch
 * to the subcommands (cli/cmd_*.c; the helpers they share are in
 * cli_common.c). Only this executable prints and exits; the library
 * underneath reports through dlc_diag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "Every command that reads a model also takes, anywhere on its line:\n"
    "  --max-input N    refuse a model file above N bytes (K, M, G; default\n"
    "                   2G)\n"
    "  --max-memory N   refuse a model estimated to take more than N bytes\n"
    "                   in memory once loaded (weights and weight files\n"
    "                   included; default half the physical memory)\n"
    "\n"
    "exit status: 0 success, 1 bad model or input (one 'FILE: WHERE: WHAT'\n"
    "line per problem on stderr), 2 bad usage.\n";

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
  if (!dlc_cli_take_load_limits(&argc, argv))
    return DLC_EXIT_USAGE;
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
