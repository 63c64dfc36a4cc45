/* cg_memory.c — where every value lives at run time.
 *
 * Graph inputs are read from the caller's input buffers and graph outputs
 * written straight into the caller's output buffers; constants (initializers
 * and values shape inference computed) are blobs in .rodata; every other
 * activation gets an offset in the one workspace.
 *
 * Two sources of offsets:
 *  - A graph the passes planned (graph->memory_planned, -O1 and up): every
 *    arena value sits at its value->arena_offset, so the workspace is the
 *    planned arena (graph->arena_bytes) followed by one scratch region, as
 *    large as the largest kernel scratch, that every kernel with scratch
 *    uses in turn (kernels run one after the other). In-place element-wise
 *    nodes get the same offset for output and input (cg_body.c then drops
 *    `noalias`), elided Concats emit nothing (their producers wrote into the
 *    slices), and a view (Reshape, Flatten, ...) aliases its input when the
 *    plan put both at one offset, or when the input is not in the workspace
 *    (a caller buffer or a constant, which nothing overwrites) and the output
 *    is not a Concat slice; otherwise it copies.
 *  - An unplanned graph (-O0): our own liveness walk in node order with
 *    first-fit reuse of freed blocks. A kernel's outputs are placed before
 *    its inputs are released, so they never overlap its inputs. Renaming
 *    operators (Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze)
 *    alias their input instead of copying it, unless their output is a graph
 *    output. Scratch is taken and given back at its node.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

#define ALIGN 64

bool cg_value_is_const(const dlc_value *v) {
  return v->kind == DLC_VALUE_INITIALIZER ||
         (v->kind == DLC_VALUE_NODE && v->type.data != NULL);
}

bool cg_node_is_folded(const dlc_node *n) {
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i] && !cg_value_is_const(n->outputs[i]))
      return false;
  return true;
}

static bool renames_input(dlc_op op) {
  return dlc_op_is_view(op);
}

/* Whether v is one of the slices an elided Concat's producers write. */
static bool is_concat_slice(const dlc_graph *g, const dlc_value *v) {
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    for (int i = 0; !n->dead && n->elided && i < n->n_inputs; i++)
      if (n->inputs[i] == v)
        return true;
  }
  return false;
}

/* A planned view aliases when the plan shares the storage, or when its
 * input lives outside the workspace (read-only for the whole run) and the
 * output is not a slice some Concat expects written. */
static bool planned_alias(const dlc_graph *g, const dlc_node *n) {
  const dlc_value *in = n->inputs[0], *out = n->outputs[0];
  if (cg_value_is_const(in) || in->arena_offset < 0)
    return !is_concat_slice(g, out);
  return out->arena_offset == in->arena_offset;
}

bool cg_node_is_alias(const cg_ctx *c, const dlc_node *n) {
  if (!renames_input(n->op) || !n->inputs[0] || !n->outputs[0] ||
      n->outputs[0]->is_output)
    return false;
  return !c->g->memory_planned || planned_alias(c->g, n);
}

typedef struct block {
  int64_t off, size;
} block;
typedef DLC_VEC(block) block_list;

static int64_t round_up(int64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

/* First fit among the gaps between live blocks (kept sorted by offset). */
static int64_t take(block_list *live, int64_t size, int64_t *high) {
  size = round_up(size > 0 ? size : 1);
  int64_t at = 0;
  size_t i = 0;
  for (; i < live->n; i++) {
    if (live->items[i].off - at >= size)
      break;
    at = live->items[i].off + live->items[i].size;
  }
  block b = {at, size};
  dlc_vec_push(live, b);
  memmove(&live->items[i + 1], &live->items[i],
          (live->n - 1 - i) * sizeof(block));
  live->items[i] = b;
  if (at + size > *high)
    *high = at + size;
  return at;
}

static void give_back(block_list *live, int64_t off) {
  for (size_t i = 0; i < live->n; i++) {
    if (live->items[i].off == off) {
      memmove(&live->items[i], &live->items[i + 1],
              (live->n - 1 - i) * sizeof(block));
      live->n--;
      return;
    }
  }
  DLC_ASSERT(!"freeing a block that is not live");
}

static bool skipped(const cg_ctx *c, const dlc_node *n) {
  return n->dead || n->elided || cg_node_is_folded(n) || cg_node_is_alias(c, n);
}

/* Fixed places: inputs, constants, graph outputs; alias roots. */
static void place_fixed(const cg_ctx *c, cg_plan *p, int *root) {
  const dlc_graph *g = c->g;
  for (size_t i = 0; i < g->values.n; i++) {
    root[i] = (int)i;
    if (cg_value_is_const(g->values.items[i]))
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
    if (!n->dead && !cg_node_is_folded(n) && cg_node_is_alias(c, n))
      root[n->outputs[0]->id] = root[n->inputs[0]->id];
  }
}

/* Releases the blocks whose last reader is node k (each once, even when a
 * value feeds the node twice), and outputs nobody reads. */
static void release_dead(const dlc_node *n, int k, const int *root, int *last,
                         cg_plan *p, block_list *live) {
  for (int i = 0; i < n->n_inputs; i++) {
    if (!n->inputs[i])
      continue;
    int r = root[n->inputs[i]->id];
    if (last[r] == k && p->place[r].loc == CG_LOC_WORKSPACE) {
      give_back(live, p->place[r].offset);
      last[r] = -2;
    }
  }
  for (int i = 0; i < n->n_outputs; i++) {
    dlc_value *v = n->outputs[i];
    if (v && last[v->id] == -1 && p->place[v->id].loc == CG_LOC_WORKSPACE)
      give_back(live, p->place[v->id].offset);
  }
}

/* -O0: liveness walk with first-fit reuse (p allocated, fixed places set). */
static void plan_own(cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  size_t nv = g->values.n;
  int *last = malloc((nv ? nv : 1) * sizeof *last);
  DLC_ASSERT(last);
  for (size_t i = 0; i < nv; i++)
    last[i] = -1;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    for (int i = 0; !skipped(c, n) && i < n->n_inputs; i++)
      if (n->inputs[i])
        last[p->root[n->inputs[i]->id]] = (int)k;
  }
  block_list live = {0};
  int64_t high = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    if (skipped(c, n))
      continue;
    for (int i = 0; i < n->n_outputs; i++) {
      dlc_value *v = n->outputs[i];
      if (v && p->place[v->id].loc == CG_LOC_NONE)
        p->place[v->id] = (cg_place){CG_LOC_WORKSPACE, 0,
                                     take(&live, dlc_tensor_nbytes(&v->type),
                                          &high)};
    }
    int64_t s = cg_node_scratch(n, c->opt->conv_kind);
    if (s > 0) {
      DLC_ASSERT(n->id >= 0 && (size_t)n->id < g->nodes.n);
      p->scratch[n->id] = take(&live, s, &high);
      give_back(&live, p->scratch[n->id]);
    }
    release_dead(n, (int)k, p->root, last, p, &live);
  }
  for (size_t i = 0; i < nv; i++)
    if (p->root[i] != (int)i)
      p->place[i] = p->place[p->root[i]];
  p->workspace_size = round_up(high);
  dlc_vec_free(&live);
  free(last);
}

/* The passes' plan: every run-time value that is not fixed sits at its
 * arena_offset; scratch follows the arena. */
static void plan_from_graph(cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  DLC_ASSERT(g->arena_bytes % ALIGN == 0);
  int64_t scratch = 0;
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    /* An elided Concat runs no kernel, but its output is where its
     * producers wrote and its readers read. */
    if (n->dead || cg_node_is_folded(n) || cg_node_is_alias(c, n))
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
    int64_t s = n->elided ? 0 : cg_node_scratch(n, c->opt->conv_kind);
    if (s > 0) {
      p->scratch[n->id] = g->arena_bytes;
      scratch = s > scratch ? s : scratch;
    }
  }
  for (size_t i = 0; i < g->values.n; i++)
    if (p->root[i] != (int)i)
      p->place[i] = p->place[p->root[i]];
  p->workspace_size = g->arena_bytes + round_up(scratch);
}

bool cg_plan_build(cg_ctx *c, cg_plan *p) {
  const dlc_graph *g = c->g;
  size_t nv = g->values.n;
  p->align = ALIGN;
  p->place = calloc(nv ? nv : 1, sizeof *p->place);
  p->root = calloc(nv ? nv : 1, sizeof *p->root);
  p->scratch = calloc(g->nodes.n ? g->nodes.n : 1, sizeof *p->scratch);
  DLC_ASSERT(p->place && p->root && p->scratch);
  place_fixed(c, p, p->root);
  if (g->memory_planned)
    plan_from_graph(c, p);
  else
    plan_own(c, p);
  return true;
}

void cg_plan_free(cg_plan *p) {
  free(p->place);
  free(p->root);
  free(p->scratch);
  memset(p, 0, sizeof *p);
}
