/* cg_memory.c — where every value lives at run time, read from the memory
 * plan (schedule/plan_memory.c) and the schedule's records.
 *
 * Graph inputs are read from the caller's input buffers and graph outputs
 * written straight into the caller's output buffers; constants (initializers
 * and values shape inference computed) are blobs in .rodata; every other
 * activation sits at its value->arena_offset in the one workspace, and each
 * kernel's scratch at its record's scratch_offset. A view the schedule
 * marked DLC_SCHED_ALIAS runs no kernel: its output takes its input's place
 * (the root of a chain of aliases). Elided Concats emit nothing (their
 * producers wrote into the slices). */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

const dlc_node_sched *cg_sched(const cg_ctx *c, const dlc_node *n) {
  return dlc_schedule_node(c->sched, n);
}

/* Fixed places: inputs, constants, graph outputs; alias roots. */
static void place_fixed(const cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  for (size_t i = 0; i < g->values.n; i++) {
    p->root[i] = (int)i;
    if (dlc_value_is_const(g->values.items[i]))
      p->place[i].loc = CG_LOC_CONST;
  }
  for (size_t i = 0; i < g->inputs.n; i++)
    p->place[g->inputs.items[i]->id] = (cg_place){CG_LOC_INPUT, (int)i, 0};
  for (size_t j = 0; j < g->outputs.n; j++) {
    dlc_value *v = g->outputs.items[j];
    if (v->kind == DLC_VALUE_NODE && p->place[v->id].loc == CG_LOC_NONE)
      p->place[v->id] = (cg_place){CG_LOC_OUTPUT, (int)j, 0};
  }
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    if (cg_sched(c, n)->kind == DLC_SCHED_ALIAS)
      p->root[n->outputs[0]->id] = p->root[n->inputs[0]->id];
  }
}

/* Every run-time value that is not fixed sits at its arena_offset. An
 * elided Concat runs no kernel, but its output is where its producers
 * wrote and its readers read. */
static void place_planned(const cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    dlc_sched_kind kind = cg_sched(c, n)->kind;
    if (kind != DLC_SCHED_KERNEL && kind != DLC_SCHED_ELIDED)
      continue;
    for (int i = 0; i < n->n_outputs; i++) {
      const dlc_value *v = n->outputs[i];
      if (!v || p->place[v->id].loc != CG_LOC_NONE)
        continue;
      DLC_ASSERT(v->arena_offset >= 0 &&
                 v->arena_offset + (int64_t)dlc_tensor_nbytes(&v->type) <=
                     g->arena_bytes);
      p->place[v->id] = (cg_place){CG_LOC_WORKSPACE, 0, v->arena_offset};
    }
  }
  for (size_t i = 0; i < g->values.n; i++)
    if (p->root[i] != (int)i)
      p->place[i] = p->place[p->root[i]];
}

bool cg_plan_build(cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  size_t nv = g->values.n;
  DLC_ASSERT(g->memory_planned && c->sched->planned &&
             g->arena_bytes % DLC_PLAN_ALIGN == 0);
  p->place = calloc(nv ? nv : 1, sizeof *p->place);
  p->root = calloc(nv ? nv : 1, sizeof *p->root);
  DLC_ASSERT(p->place && p->root);
  place_fixed(c, p);
  place_planned(c, p);
  p->workspace_size = g->arena_bytes;
  return true;
}

void cg_plan_free(cg_plan *p) {
  free(p->place);
  free(p->root);
  memset(p, 0, sizeof *p);
}
