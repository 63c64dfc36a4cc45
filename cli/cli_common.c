/* cli_common.c — the small helpers every subcommand shares: option
 * matching, usage errors, the one-model argument parser and loading a
 * model with its problems printed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "cli/cli.h"

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
