/* cli_passes.c — the optimisation options every command that runs the pass
 * pipeline shares (-O0..-O3, --disable-pass NAME, --dump-ir after=NAME|all,
 * --verify-each), and `dlc passes`, which lists the pipeline. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void dlc_cli_passes_init(dlc_cli_passes *p, int default_level) {
  memset(p, 0, sizeof *p);
  p->opt.opt_level = default_level;
  p->opt.dump_to = stderr;
  p->max_workspace = (int64_t)64 << 30;
}

void dlc_cli_passes_free(dlc_cli_passes *p) {
  free(p->disabled);
  p->disabled = NULL;
}

int dlc_cli_passes_arg(int argc, char **argv, int *i, dlc_cli_passes *p) {
  const char *arg = argv[*i], *value = NULL;
  if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' &&
      arg[3] == '\0') {
    p->opt.opt_level = arg[2] - '0';
    return 1;
  }
  if (!strcmp(arg, "--verify-each")) {
    p->opt.verify_each = true;
    return 1;
  }
  int r = dlc_cli_option(argc, argv, i, "--disable-pass", &value);
  if (r != 0) {
    if (r < 0)
      return -1;
    if (!dlc_pass_exists(value)) {
      dlc_cli_usage_error("unknown pass '%s' (see dlc passes)", value);
      return -1;
    }
    const char **grown = realloc(p->disabled, sizeof *grown * (p->n + 1));
    DLC_ASSERT(grown != NULL);
    grown[p->n++] = value;
    p->disabled = grown;
    p->opt.disabled = p->disabled;
    p->opt.n_disabled = p->n;
    return 1;
  }
  r = dlc_cli_option(argc, argv, i, "--max-workspace", &value);
  if (r != 0) {
    if (r < 0)
      return -1;
    p->max_workspace = dlc_cli_parse_bytes(value);
    if (p->max_workspace < 0) {
      dlc_cli_usage_error("--max-workspace takes a size in bytes (4096, 512K, "
                          "64M, 64G), not '%s'", value);
      return -1;
    }
    return 1;
  }
  r = dlc_cli_option(argc, argv, i, "--schedule", &value);
  if (r != 0) {
    if (r < 0)
      return -1;
    p->schedule_path = value;
    return 1;
  }
  r = dlc_cli_option(argc, argv, i, "--dump-ir", &value);
  if (r != 0) {
    if (r < 0)
      return -1;
    const char *name = strncmp(value, "after=", 6) == 0 ? value + 6 : NULL;
    if (!name || (strcmp(name, "all") != 0 && strcmp(name, "schedule") != 0 &&
                  strcmp(name, "plan_memory") != 0 && !dlc_pass_exists(name))) {
      dlc_cli_usage_error("--dump-ir takes after=PASS or after=all, not '%s'",
                          value);
      return -1;
    }
    p->opt.dump_after = name;
    return 1;
  }
  return 0;
}

void dlc_cli_driver_options(const dlc_cli_passes *p, dlc_driver_options *o) {
  dlc_driver_options_init(o);
  o->passes = p->opt;
  o->codegen.opt_level = p->opt.opt_level;
  o->schedule.override_path = p->schedule_path;
  o->schedule.max_workspace = p->max_workspace;
}

bool dlc_cli_schedule(dlc_graph *g, const char *model,
                      const dlc_cli_passes *p, dlc_schedule **s,
                      char *why, size_t why_size) {
  *s = NULL;
  why[0] = '\0';
  dlc_driver_options o;
  dlc_cli_driver_options(p, &o);
  o.codegen.fixed_batch = true; /* shown as loaded: batch bound to 1 */
  dlc_diag d;
  dlc_diag_init(&d, model);
  /* the target's vector width is assign_layout's channel block */
  dlc_pass_options po = p->opt;
  dlc_target_desc t;
  dlc_status st = DLC_ERR_INVALID;
  if (dlc_codegen_describe_target(o.codegen.triple, o.codegen.cpu,
                                  o.codegen.features, &t, &d)) {
    po.layout_block = po.layout_block ? po.layout_block : t.vl;
    st = dlc_passes_run(g, &po, &d);
  }
  if (st != DLC_OK) {
    if (dlc_diag_count(&d) == 0)
      dlc_diag_error(&d, "", "the optimisation pipeline failed");
    dlc_diag_print(&d, stderr);
    dlc_diag_free(&d);
    return false;
  }
  o.run_passes = false;
  bool fixed;
  bool ok = true;
  if (dlc_driver_schedule(g, &o, s, &fixed, &d) != DLC_OK) {
    snprintf(why, why_size, "%s",
             d.messages.n ? d.messages.items[0] : "scheduling failed");
    /* a --schedule file that cannot be honoured is the user's error */
    if (p->schedule_path) {
      dlc_diag_print(&d, stderr);
      ok = false;
    }
  }
  dlc_diag_free(&d);
  return ok;
}

static const char PASSES_HELP[] =
    "usage: dlc passes\n"
    "\n"
    "Lists the optimisation passes in pipeline order, with the lowest -O\n"
    "level that runs each. Commands that optimise (dlc MODEL -o, run,\n"
    "bench, stats, show) take -O0..-O3, --disable-pass NAME (repeatable),\n"
    "--dump-ir after=NAME|schedule|all, --verify-each and --schedule FILE\n"
    "(per-node algorithm and tile overrides, docs/design.md). The schedule\n"
    "stage follows the passes at every level.\n";

int dlc_cmd_passes(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (dlc_cli_is_help(argv[i])) {
      fputs(PASSES_HELP, stdout);
      return DLC_EXIT_OK;
    }
    return dlc_cli_usage_error("passes: unexpected argument '%s'", argv[i]);
  }
  int width = 0;
  for (int i = 0; i < dlc_passes_count(); i++)
    if ((int)strlen(dlc_pass_name(i)) > width)
      width = (int)strlen(dlc_pass_name(i));
  for (int i = 0; i < dlc_passes_count(); i++)
    printf("%-*s  -O%d  %s\n", width, dlc_pass_name(i), dlc_pass_min_level(i),
           dlc_pass_summary(i));
  printf("then the schedule stage (every level): choose_algorithm, "
         "choose_tiling, plan_memory (in-place from -O1)\n");
  return DLC_EXIT_OK;
}

bool dlc_cli_parse_optimising_args(int argc, char **argv, const char *help,
                                   const char *flag, bool *flag_set,
                                   const char **model, dlc_cli_passes *p,
                                   dlc_cli_shapes *shapes, int *exit_code) {
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
    int r = dlc_cli_passes_arg(argc, argv, &i, p);
    if (r == 0 && shapes)
      r = dlc_cli_shapes_arg(argc, argv, &i, shapes);
    if (r < 0) {
      *exit_code = DLC_EXIT_USAGE;
      return false;
    }
    if (r > 0)
      continue;
    if (arg[0] == '-' && arg[1] != '\0') {
      *exit_code = dlc_cli_usage_error("%s: unknown option '%s'", argv[0], arg);
      return false;
    }
    if (*model) {
      *exit_code = dlc_cli_usage_error("%s: more than one model given", argv[0]);
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
