/* cmd_show.c — `dlc show MODEL [-O..]`: print the graph IR as loaded (sorted,
 * with inferred shapes) or after the optimisation pipeline, in the printer's
 * readable text form. */
#include <stdio.h>

#include "cli/cli.h"

static const char SHOW_HELP[] =
    "usage: dlc show MODEL [-O0..-O3] [--disable-pass NAME]\n"
    "                     [--dump-ir after=NAME|all] [--verify-each]\n"
    "                     [--input-shape NAME=D0,D1,...] [--dim SYMBOL=VALUE]\n"
    "\n"
    "Prints MODEL's graph IR (inputs, initializers, nodes in topological\n"
    "order with their attributes and inferred output types, outputs). With\n"
    "-O1/-O2 the graph is printed after the optimisation passes (default\n"
    "-O0: as loaded); fused nodes show their epilogue and the ops folded\n"
    "into them, planned values their arena offset (@bytes); then each\n"
    "node's schedule: algorithm, tile, parameters, scratch and why.\n"
    "  --schedule FILE   per-node overrides (see dlc passes --help)\n"
    DLC_CLI_SHAPES_HELP;

int dlc_cmd_show(int argc, char **argv) {
  const char *model;
  int rc = DLC_EXIT_OK;
  dlc_cli_passes passes;
  dlc_cli_passes_init(&passes, 0);
  dlc_cli_shapes shapes = {0};
  if (!dlc_cli_parse_optimising_args(argc, argv, SHOW_HELP, NULL, NULL, &model,
                                     &passes, &shapes, &rc)) {
    dlc_cli_passes_free(&passes);
    dlc_cli_shapes_free(&shapes);
    return rc;
  }
  dlc_graph *g = dlc_cli_load_shaped(model, &shapes, true);
  dlc_cli_shapes_free(&shapes);
  rc = DLC_EXIT_BAD_INPUT;
  dlc_schedule *s = NULL;
  char why[512];
  if (g && dlc_cli_schedule(g, model, &passes, &s, why, sizeof why)) {
    dlc_graph_print(g, stdout);
    if (s)
      dlc_schedule_print(s, stdout);
    else
      printf("; no schedule: %s\n", why);
    rc = DLC_EXIT_OK;
  }
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_cli_passes_free(&passes);
  return rc;
}
