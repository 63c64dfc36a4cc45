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

int64_t dlc_cli_parse_bytes(const char *v) {
  char *end = NULL;
  long long x = strtoll(v, &end, 10);
  int shift = 0;
  if (end && (*end == 'K' || *end == 'k'))
    shift = 10;
  else if (end && (*end == 'M' || *end == 'm'))
    shift = 20;
  else if (end && (*end == 'G' || *end == 'g'))
    shift = 30;
  if (!*v || end == v || x < 1 || (shift ? end[1] != '\0' : *end != '\0') ||
      x > (INT64_MAX >> shift))
    return -1;
  return (int64_t)x << shift;
}

/* The load limits of this run: set once by main (dlc_cli_take_load_limits)
 * before any command runs, read by every load. */
static dlc_load_limits load_limits;
static bool load_limits_set;

const dlc_load_limits *dlc_cli_load_limits(void) {
  if (!load_limits_set) {
    dlc_load_limits_init(&load_limits);
    load_limits_set = true;
  }
  return &load_limits;
}

/* Matches argv[*i] against one of the two options: 1 (value parsed into
 * *out), 0 not ours, -1 after a usage message. */
static int limit_option(int argc, char **argv, int *i, const char *name,
                        int64_t *out) {
  const char *value = NULL;
  int r = dlc_cli_option(argc, argv, i, name, &value);
  if (r <= 0)
    return r;
  *out = dlc_cli_parse_bytes(value);
  if (*out < 0) {
    dlc_cli_usage_error("%s takes a size in bytes (4096, 512K, 64M, 64G), "
                        "not '%s'", name, value);
    return -1;
  }
  return 1;
}

bool dlc_cli_take_load_limits(int *argc, char **argv) {
  dlc_load_limits *l = (dlc_load_limits *)dlc_cli_load_limits();
  int kept = 1;
  for (int i = 1; i < *argc; i++) {
    int from = i;
    int r = limit_option(*argc, argv, &i, "--max-input", &l->max_input);
    if (r == 0)
      r = limit_option(*argc, argv, &i, "--max-memory", &l->max_memory);
    if (r < 0)
      return false;
    if (r == 0)
      argv[kept++] = argv[from];
  }
  argv[kept] = NULL;
  *argc = kept;
  return true;
}

dlc_graph *dlc_cli_load_model(const char *path) {
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_graph *g = NULL;
  if (dlc_frontend_load_limited(path, dlc_cli_load_limits(), &g, &d) !=
          DLC_OK ||
      !g) {
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
