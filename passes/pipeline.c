/* pipeline.c — the pass manager: the list of passes in the order they run,
 * the -O levels, --disable-pass, --dump-ir after=NAME|all and --verify-each.
 *
 * The table below is the pipeline: read top to bottom. Cleanups (-O1) make
 * the graph smaller without changing how operators are computed; -O2 adds
 * the rewrites into fused and dlc-domain operators. The schedule stage
 * (schedule/) follows: algorithms, tiles, then the memory plan, which any
 * later re-sort would invalidate. */
#include <string.h>
#include <time.h>

#include "passes.h"

typedef dlc_status (*pass_fn)(dlc_graph *g, dlc_diag *d, int *changes);

typedef dlc_status (*pass_opt_fn)(dlc_graph *g, const dlc_pass_options *o,
                                  dlc_diag *d, int *changes);

typedef struct pass_entry {
  const char *name;
  int min_level;
  pass_fn run;
  const char *summary;
  pass_opt_fn run_opt; /* instead of run: a pass that reads the options */
} pass_entry;

static const pass_entry pipeline[] = {
    {"fold_constants", 1, dlc_pass_fold_constants,
     "evaluate nodes whose inputs are all constant into initializers", NULL},
    {"eliminate_noops", 1, dlc_pass_eliminate_noops,
     "remove Dropout, Identity, no-op reshapes/transposes/pads/slices, dead "
     "nodes, unused initializers", NULL},
    {"simplify_patterns", 2, dlc_pass_simplify_patterns,
     "channel shuffle -> ChannelShuffle, Erf arithmetic -> Gelu, "
     "MatMul+Add -> Gemm", NULL},
    {"fold_batchnorm", 1, dlc_pass_fold_batchnorm,
     "fold BatchNormalization into the Conv/Gemm before it; lone ones become "
     "ScaleShift", NULL},
    {"fuse_epilogues", 2, dlc_pass_fuse_epilogues,
     "fuse activation, residual Add and activation into Conv/Gemm/MatMul", NULL},
    {"fuse_elementwise", 2, dlc_pass_fuse_elementwise,
     "run chains of element-wise operators as one FusedElementwise loop", NULL},
    {"assign_layout", 2, NULL,
     "blocked NCHWc activations between convolutions, reorders where NCHW "
     "is needed", dlc_pass_assign_layout},
};

enum { N_PASSES = sizeof pipeline / sizeof pipeline[0] };

int dlc_passes_count(void) { return N_PASSES; }

const char *dlc_pass_name(int i) {
  return i >= 0 && i < N_PASSES ? pipeline[i].name : NULL;
}

const char *dlc_pass_summary(int i) {
  return i >= 0 && i < N_PASSES ? pipeline[i].summary : NULL;
}

int dlc_pass_min_level(int i) {
  return i >= 0 && i < N_PASSES ? pipeline[i].min_level : -1;
}

static const pass_entry *find_pass(const char *name) {
  for (int i = 0; i < N_PASSES; i++)
    if (strcmp(pipeline[i].name, name) == 0)
      return &pipeline[i];
  return NULL;
}

bool dlc_pass_exists(const char *name) { return name && find_pass(name); }

static bool is_disabled(const dlc_pass_options *o, const char *name) {
  for (int i = 0; i < o->n_disabled; i++)
    if (strcmp(o->disabled[i], name) == 0)
      return true;
  return false;
}

static bool check_options(const dlc_pass_options *o, dlc_diag *d) {
  bool ok = true;
  for (int i = 0; i < o->n_disabled; i++)
    if (!dlc_pass_exists(o->disabled[i])) {
      dlc_diag_error(d, "", "unknown pass '%s' (see `dlc passes`)",
                     o->disabled[i]);
      ok = false;
    }
  /* "schedule" and "plan_memory" name the stage after the passes (its
   * driver prints that dump). */
  if (o->dump_after && strcmp(o->dump_after, "all") != 0 &&
      strcmp(o->dump_after, "schedule") != 0 &&
      strcmp(o->dump_after, "plan_memory") != 0 &&
      !dlc_pass_exists(o->dump_after)) {
    dlc_diag_error(d, "", "--dump-ir: unknown pass '%s'", o->dump_after);
    ok = false;
  }
  return ok;
}

/* Sorting and shape inference after a rewrite: symbolic dims bound to 1,
 * as the frontend leaves them. */
static dlc_status refresh(dlc_graph *g, const char *name, dlc_diag *d) {
  int before = dlc_diag_count(d);
  dlc_status st = dlc_graph_sort(g, d);
  if (st == DLC_OK)
    st = dlc_graph_infer_shapes(g, NULL, 0, d);
  if (st != DLC_OK && dlc_diag_count(d) > before)
    dlc_diag_error(d, "", "after pass '%s': the graph no longer sorts or "
                          "infers (see above)", name);
  return st;
}

static dlc_status verify_after(const dlc_graph *g, const char *name,
                               dlc_diag *d) {
  dlc_diag local;
  dlc_diag_init(&local, d->file);
  dlc_status st = dlc_graph_verify(g, &local);
  if (st != DLC_OK) {
    dlc_diag_error(d, "", "after pass '%s': the graph fails verification",
                   name);
    for (size_t i = 0; i < local.messages.n; i++)
      dlc_diag_error(d, "", "after pass '%s': %s", name,
                     local.messages.items[i]);
  }
  dlc_diag_free(&local);
  return st;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static dlc_status run_pass(dlc_graph *g, const pass_entry *p,
                           const dlc_pass_options *o, dlc_diag *d) {
  int changes = 0;
  double t0 = now_ms();
  dlc_status st = p->run_opt ? p->run_opt(g, o, d, &changes)
                             : p->run(g, d, &changes);
  if (st == DLC_OK && changes > 0)
    st = refresh(g, p->name, d);
  if (o->times_to)
    fprintf(o->times_to, "dlc: pass %-18s %9.1f ms  (%d change%s)\n",
            p->name, now_ms() - t0, changes, changes == 1 ? "" : "s");
  if (st == DLC_OK && o->verify_each)
    st = verify_after(g, p->name, d);
  if (o->dump_after && (strcmp(o->dump_after, "all") == 0 ||
                        strcmp(o->dump_after, p->name) == 0)) {
    FILE *out = o->dump_to ? o->dump_to : stderr;
    fprintf(out, "; ---- IR after %s (%d change%s)\n", p->name, changes,
            changes == 1 ? "" : "s");
    dlc_graph_print(g, out);
  }
  return st;
}

dlc_status dlc_passes_run(dlc_graph *g, const dlc_pass_options *o,
                          dlc_diag *d) {
  if (!check_options(o, d))
    return DLC_ERR_INVALID;
  for (int i = 0; i < N_PASSES; i++) {
    const pass_entry *p = &pipeline[i];
    if (o->opt_level < p->min_level || is_disabled(o, p->name))
      continue;
    dlc_status st = run_pass(g, p, o, d);
    if (st != DLC_OK)
      return st;
  }
  return DLC_OK;
}

dlc_status dlc_passes_run_one(dlc_graph *g, const char *name,
                              const dlc_pass_options *o, dlc_diag *d) {
  const pass_entry *p = name ? find_pass(name) : NULL;
  if (!p) {
    dlc_diag_error(d, "", "unknown pass '%s' (see `dlc passes`)",
                   name ? name : "(null)");
    return DLC_ERR_INVALID;
  }
  if (!check_options(o, d))
    return DLC_ERR_INVALID;
  return run_pass(g, p, o, d);
}
