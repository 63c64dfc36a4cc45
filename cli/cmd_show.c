/* cmd_show.c — `dlc show MODEL [-O..] [--format text|dot]`: print the graph
 * that will be compiled (after the -O2 pipeline by default; -O0 for the
 * model as loaded), in the printer's readable text form followed by the
 * schedule, or as a Graphviz picture (dot). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char SHOW_HELP[] =
    "usage: dlc show MODEL [--format text|dot] [-O0..-O3]\n"
    "                     [--disable-pass NAME] [--dump-ir after=NAME|all]\n"
    "                     [--verify-each] [--schedule FILE]\n"
    "                     [--input-shape NAME=D0,D1,...] [--dim SYMBOL=VALUE]\n"
    "\n"
    "Prints the graph MODEL compiles to: by default after the -O2 pipeline,\n"
    "as dlc MODEL -o compiles it (-O0: as loaded). Text: inputs, the\n"
    "constants live nodes read, nodes in topological order with their\n"
    "attributes and inferred output types, outputs; fused nodes show their\n"
    "epilogue and the ops folded into them, planned values their arena\n"
    "offset (@bytes); then each node's schedule: algorithm, tile,\n"
    "parameters, scratch and why.\n"
    "  --format dot      Graphviz instead (dot -Tsvg g.dot -o g.svg): one box\n"
    "                    per node with op, fused ops and parameters, edges\n"
    "                    labelled with tensor shape and size\n"
    "  --schedule FILE   per-node overrides (see dlc passes --help)\n"
    DLC_CLI_SHAPES_HELP;

/* Takes --format VALUE / --format=VALUE out of argv (the shared parser does
 * not know it). 1 found or absent, -1 usage error (printed). */
static int take_format(int *argc, char **argv, const char **format) {
  int out = 0;
  for (int i = 0; i < *argc; i++) {
    const char *v;
    int m = i > 0 ? dlc_cli_option(*argc, argv, &i, "--format", &v) : 0;
    if (m < 0)
      return -1;
    if (m == 1) {
      *format = v;
      continue;
    }
    argv[out++] = argv[i];
  }
  argv[out] = NULL;
  *argc = out;
  if (strcmp(*format, "text") && strcmp(*format, "dot")) {
    dlc_cli_usage_error("show: --format is text or dot, not '%s'", *format);
    return -1;
  }
  return 1;
}

/* The schedule line of a node, for its box in the picture. */
static const char *schedule_note(const dlc_node *n, void *ctx, char *buf,
                                 size_t size) {
  return dlc_schedule_format(dlc_schedule_node(ctx, n), buf, size);
}

static void print_graph(const dlc_graph *g, const dlc_schedule *s,
                        const char *why, bool dot) {
  if (dot) {
    dlc_graph_print_dot_noted(g, stdout, s ? schedule_note : NULL, (void *)s);
    return;
  }
  dlc_graph_print(g, stdout);
  if (s)
    dlc_schedule_print(s, stdout);
  else
    printf("; no schedule: %s\n", why);
}

int dlc_cmd_show(int argc, char **argv) {
  const char *model, *format = "text";
  int rc = DLC_EXIT_OK;
  if (take_format(&argc, argv, &format) < 0)
    return DLC_EXIT_USAGE;
  dlc_cli_passes passes;
  dlc_cli_passes_init(&passes, 2);
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
    print_graph(g, s, why, !strcmp(format, "dot"));
    rc = DLC_EXIT_OK;
  }
  dlc_schedule_destroy(s);
  dlc_graph_destroy(g);
  dlc_cli_passes_free(&passes);
  return rc;
}
