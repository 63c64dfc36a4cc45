/* schedule.c — the schedule's life cycle: one record per node, filled once
 * (kind, window, algorithm, tiling, overrides), then only read. */
#include <stdlib.h>
#include <string.h>

#include "schedule/schedule_impl.h"

/* ------------------------------------------------------------ records */

static void set_why(dlc_node_sched *r, const char *why) {
  snprintf(r->why, sizeof r->why, "%s", why ? why : "");
}

/* Fills node n's record; false (with the node named in d) when no
 * algorithm computes it. */
static bool schedule_node(dlc_schedule *s, const dlc_node *n, dlc_diag *d) {
  dlc_node_sched *r = &s->nodes[n->id];
  memset(r, 0, sizeof *r);
  r->node = n;
  r->scratch_offset = -1;
  if (n->dead) {
    r->kind = DLC_SCHED_DEAD;
    set_why(r, "removed by a pass");
    return true;
  }
  if (dlc_node_is_folded(n)) {
    r->kind = DLC_SCHED_FOLDED;
    set_why(r, "outputs known at compile time");
    return true;
  }
  r->has_window = dlc_window2d_of(n, &r->win);
  const char *why = NULL;
  r->algo = dlc_sched_choose_algorithm(n, &r->win, s->opt.conv_kind, &why);
  set_why(r, why);
  if (r->algo == DLC_ALGO_NONE) {
    dlc_diag_error(d, "", "node '%s' (%s): cannot compile: %s", n->name,
                   dlc_op_name(n->op), why);
    return false;
  }
  dlc_sched_choose_tiling(&s->target, r);
  return true;
}

static bool conv_kind_valid(const char *kind) {
  return !kind || !strcmp(kind, "direct") || !strcmp(kind, "pointwise") ||
         !strcmp(kind, "im2col") || !strcmp(kind, "depthwise");
}

dlc_status dlc_schedule_create(const dlc_graph *g, const dlc_target_desc *t,
                               const dlc_schedule_options *o,
                               dlc_schedule **out, dlc_diag *d) {
  *out = NULL;
  if (o && !conv_kind_valid(o->conv_kind)) {
    dlc_diag_error(d, "", "unknown convolution kernel kind '%s' (direct, "
                   "pointwise, im2col, depthwise)", o->conv_kind);
    return DLC_ERR_INVALID;
  }
  dlc_schedule *s = calloc(1, sizeof *s);
  DLC_ASSERT(s);
  s->g = g;
  s->target = *t;
  if (o)
    s->opt = *o;
  s->n_nodes = g->nodes.n;
  s->nodes = calloc(s->n_nodes + 1, sizeof *s->nodes);
  DLC_ASSERT(s->nodes);
  bool ok = true;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    DLC_ASSERT(n->id >= 0 && (size_t)n->id < s->n_nodes);
    ok = schedule_node(s, n, d) && ok;
  }
  if (ok && s->opt.override_path)
    ok = dlc_sched_apply_overrides(s, s->opt.override_path, d);
  if (!ok) {
    dlc_schedule_destroy(s);
    return DLC_ERR_UNSUPPORTED;
  }
  *out = s;
  return DLC_OK;
}

void dlc_schedule_destroy(dlc_schedule *s) {
  if (!s)
    return;
  free(s->nodes);
  free(s);
}

const dlc_node_sched *dlc_schedule_node(const dlc_schedule *s,
                                        const dlc_node *n) {
  DLC_ASSERT(n->id >= 0 && (size_t)n->id < s->n_nodes &&
             s->nodes[n->id].node == n);
  return &s->nodes[n->id];
}
