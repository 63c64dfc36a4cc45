/* cmd_show.c — `dlc show MODEL`: print the graph IR as loaded (sorted, with
 * inferred shapes) in the printer's readable text form. */
#include <stdio.h>

#include "tools/cli.h"

static const char SHOW_HELP[] =
    "usage: dlc show MODEL\n"
    "\n"
    "Prints MODEL's graph IR (inputs, initializers, nodes in topological\n"
    "order with their attributes and inferred output types, outputs).\n";

int dlc_cmd_show(int argc, char **argv) {
  const char *model;
  int rc;
  if (!dlc_cli_parse_model_args(argc, argv, SHOW_HELP, NULL, NULL, &model, &rc))
    return rc;
  dlc_graph *g = dlc_cli_load_model(model);
  if (!g)
    return DLC_EXIT_BAD_INPUT;
  dlc_graph_print(g, stdout);
  dlc_graph_destroy(g);
  return DLC_EXIT_OK;
}
