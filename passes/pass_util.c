/* pass_util.c — helpers shared by the passes (see pass_util.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

/* ------------------------------------------------------- consumer lists */

static void uses_reserve(pu_uses *u, size_t id) {
  if (id < u->n)
    return;
  size_t n = u->n ? u->n : 16;
  while (n <= id)
    n *= 2;
  u->lists = realloc(u->lists, n * sizeof *u->lists);
  DLC_ASSERT(u->lists != NULL);
  memset(u->lists + u->n, 0, (n - u->n) * sizeof *u->lists);
  u->n = n;
}

static void uses_push(pu_uses *u, dlc_value *v, dlc_node *n, int slot) {
  uses_reserve(u, (size_t)v->id);
  pu_use use = {n, slot};
  dlc_vec_push(&u->lists[v->id], use);
}

void pu_uses_add_node(pu_uses *u, dlc_node *n) {
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k])
      uses_push(u, n->inputs[k], n, k);
}

void pu_uses_build(pu_uses *u, const dlc_graph *g) {
  memset(u, 0, sizeof *u);
  u->g = g;
  uses_reserve(u, g->values.n);
  for (size_t i = 0; i < g->nodes.n; i++)
    if (!g->nodes.items[i]->dead)
      pu_uses_add_node(u, g->nodes.items[i]);
}

void pu_uses_free(pu_uses *u) {
  for (size_t i = 0; i < u->n; i++)
    dlc_vec_free(&u->lists[i]);
  free(u->lists);
  memset(u, 0, sizeof *u);
}

/* A recorded use is live when its node is alive and still reads v there
 * (rewrites may have pointed the slot elsewhere). */
static bool use_live(const pu_use *use, const dlc_value *v) {
  return !use->node->dead && use->slot < use->node->n_inputs &&
         use->node->inputs[use->slot] == v;
}

int pu_uses_count(const pu_uses *u, const dlc_value *v) {
  if ((size_t)v->id >= u->n)
    return 0;
  int count = 0;
  const pu_use_list *l = &u->lists[v->id];
  for (size_t i = 0; i < l->n; i++)
    count += use_live(&l->items[i], v);
  return count;
}

dlc_node *pu_uses_single(const pu_uses *u, const dlc_value *v) {
  if (pu_uses_count(u, v) != 1)
    return NULL;
  const pu_use_list *l = &u->lists[v->id];
  for (size_t i = 0; i < l->n; i++)
    if (use_live(&l->items[i], v))
      return l->items[i].node;
  return NULL;
}

int pu_uses_nodes(const pu_uses *u, const dlc_value *v, dlc_node **out,
                  int cap) {
  if ((size_t)v->id >= u->n)
    return 0;
  int count = 0;
  const pu_use_list *l = &u->lists[v->id];
  for (size_t i = 0; i < l->n && count < cap; i++) {
    if (!use_live(&l->items[i], v))
      continue;
    bool seen = false;
    for (int k = 0; k < count; k++)
      seen |= out[k] == l->items[i].node;
    if (!seen)
      out[count++] = l->items[i].node;
  }
  return count;
}

void pu_uses_replace(pu_uses *u, dlc_value *old, dlc_value *new_value) {
  if ((size_t)old->id >= u->n || old == new_value)
    return;
  /* Copy first: pushing onto new_value's list may move old's storage when
   * both are the same vector array. */
  pu_use_list l = u->lists[old->id];
  u->lists[old->id] = (pu_use_list){0};
  for (size_t i = 0; i < l.n; i++) {
    pu_use use = l.items[i];
    if (!use_live(&use, old))
      continue;
    use.node->inputs[use.slot] = new_value;
    uses_push(u, new_value, use.node, use.slot);
  }
  dlc_vec_free(&l);
}

/* ------------------------------------------------------------ rewriting */

bool pu_is_output(const dlc_graph *g, const dlc_value *v) {
  for (size_t i = 0; i < g->outputs.n; i++)
    if (g->outputs.items[i] == v)
      return true;
  return false;
}

bool pu_private_to(const pu_uses *u, const dlc_value *v, const dlc_node *n) {
  return v && n && v->kind == DLC_VALUE_NODE && !pu_is_output(u->g, v) &&
         pu_uses_single(u, v) == n;
}

const char *pu_fresh_name(dlc_graph *g, const char *base) {
  if (!dlc_graph_find_value(g, base))
    return dlc_arena_strdup(g->arena, base);
  for (int i = 1;; i++) {
    char *name = dlc_arena_printf(g->arena, "%s_%d", base, i);
    if (!dlc_graph_find_value(g, name))
      return name;
  }
}

void pu_set_fused_steps(dlc_graph *g, dlc_node *n, int n_steps,
                        const char *const *ops, const int64_t *operand,
                        const int64_t *swapped, const double *alpha,
                        const double *beta) {
  dlc_attr *a = dlc_node_add_attr(g, n, "ops", DLC_ATTR_STRINGS);
  a->n = n_steps;
  a->strings = dlc_arena_alloc(g->arena, sizeof(char *) * (size_t)n_steps);
  for (int i = 0; i < n_steps; i++)
    a->strings[i] = dlc_arena_strdup(g->arena, ops[i]);
  dlc_node_set_ints(g, n, "operands", operand, n_steps);
  dlc_node_set_ints(g, n, "swapped", swapped, n_steps);
  dlc_node_set_floats(g, n, "alpha", alpha, n_steps);
  dlc_node_set_floats(g, n, "beta", beta, n_steps);
}

dlc_value *pu_add_f32(dlc_graph *g, const char *base, int rank,
                      const int64_t *dims, const float *data) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  dlc_value *v = dlc_graph_add_initializer(g, pu_fresh_name(g, base), &t, data);
  DLC_ASSERT(v != NULL);
  return v;
}

void pu_set_inputs(dlc_graph *g, dlc_node *n, int n_in,
                   dlc_value *const *in) {
  dlc_value **arr = dlc_arena_alloc(g->arena, sizeof *arr * (size_t)(n_in + 1));
  for (int i = 0; i < n_in; i++)
    arr[i] = in[i];
  n->inputs = arr;
  n->n_inputs = n_in;
}

void pu_move_output(dlc_node *n, int slot, dlc_value *v) {
  n->outputs[slot] = v;
  v->producer = n;
  v->producer_slot = slot;
}

dlc_node *pu_add_node_for(dlc_graph *g, const char *name, dlc_op op,
                          int n_in, dlc_value *const *in, dlc_value *out) {
  DLC_ASSERT(!out->producer || out->producer->dead);
  out->producer = NULL;
  return dlc_graph_add_node(g, name, op, n_in, in, 1, &out);
}

int pu_prune_initializers(dlc_graph *g) {
  bool *used = calloc(g->values.n + 1, sizeof *used);
  DLC_ASSERT(used != NULL);
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    for (int k = 0; !n->dead && k < n->n_inputs; k++)
      if (n->inputs[k])
        used[n->inputs[k]->id] = true;
  }
  for (size_t i = 0; i < g->outputs.n; i++)
    used[g->outputs.items[i]->id] = true;
  size_t kept = 0;
  int removed = 0;
  for (size_t i = 0; i < g->initializers.n; i++) {
    dlc_value *v = g->initializers.items[i];
    if (used[v->id])
      g->initializers.items[kept++] = v;
    else
      removed++;
  }
  g->initializers.n = kept;
  free(used);
  return removed;
}

dlc_epilogue *pu_ensure_epilogue(dlc_graph *g, dlc_node *n) {
  if (!n->epilogue) {
    n->epilogue = dlc_arena_alloc(g->arena, sizeof *n->epilogue);
    n->epilogue->residual_input = -1;
    n->epilogue->act1.slope_input = -1;
    n->epilogue->act2.slope_input = -1;
  }
  return n->epilogue;
}

bool pu_broadcasts_into(const dlc_tensor *t, const dlc_tensor *x) {
  if (t->rank > x->rank)
    return false;
  for (int i = 1; i <= t->rank; i++) {
    int64_t d = t->dims[t->rank - i];
    if (d != 1 && d != x->dims[x->rank - i])
      return false;
  }
  return true;
}

bool pu_record_fused(dlc_graph *g, dlc_node *n, const char *op_name) {
  dlc_epilogue *e = pu_ensure_epilogue(g, n);
  if (e->n_fused >= (int)(sizeof e->fused / sizeof e->fused[0]))
    return false;
  e->fused[e->n_fused++] = dlc_arena_strdup(g->arena, op_name);
  return true;
}

bool pu_has_active_epilogue(const dlc_node *n) {
  const dlc_epilogue *e = n->epilogue;
  return e && (e->act1.kind != DLC_ACT_NONE || e->residual_input >= 0 ||
               e->act2.kind != DLC_ACT_NONE || e->n_extra_inputs > 0);
}

/* ------------------------------------------------------------ constants */

const float *pu_const_f32(const dlc_value *v) {
  if (!v || v->kind != DLC_VALUE_INITIALIZER ||
      v->type.dtype != DLC_DT_FLOAT32 || !v->type.data)
    return NULL;
  return v->type.data;
}

bool pu_const_scalar(const dlc_value *v, double *out) {
  if (!v || v->kind != DLC_VALUE_INITIALIZER || !v->type.data ||
      dlc_tensor_numel(&v->type) != 1)
    return false;
  *out = dlc_tensor_get_f64(&v->type, 0);
  return true;
}

bool pu_near(double a, double b, double rel) {
  return fabs(a - b) <= rel * fabs(b);
}

/* ----------------------------------------------------------- dependence */

bool pu_depends_on(const dlc_graph *g, const dlc_value *v,
                   const dlc_node *from) {
  size_t total = g->nodes.n;
  bool *seen = calloc(total + 1, sizeof *seen);
  DLC_ASSERT(seen != NULL);
  DLC_VEC(const dlc_node *) stack = {0};
  const dlc_node *start = v && v->kind == DLC_VALUE_NODE ? v->producer : NULL;
  if (start && !start->dead)
    dlc_vec_push(&stack, start);
  bool found = false;
  while (stack.n > 0 && !found) {
    const dlc_node *n = stack.items[--stack.n];
    found = n == from;
    /* Producers ordered before `from` cannot read its outputs. */
    if (found || n->id < from->id || (size_t)n->id >= total || seen[n->id])
      continue;
    seen[n->id] = true;
    for (int k = 0; k < n->n_inputs; k++) {
      const dlc_value *in = n->inputs[k];
      if (in && in->kind == DLC_VALUE_NODE && in->producer &&
          !in->producer->dead)
        dlc_vec_push(&stack, in->producer);
    }
  }
  free(seen);
  dlc_vec_free(&stack);
  return found;
}

/* ----------------------------------------------------------- shape probes */

static void probe_snapshot(pu_probe *p, dlc_graph *g, int which) {
  for (size_t i = 0; i < g->values.n; i++) {
    p->shapes[which][i] = g->values.items[i]->type;
    p->shapes[which][i].data = NULL;
  }
}

void pu_probe_create(pu_probe *p, dlc_graph *g) {
  memset(p, 0, sizeof *p);
  for (size_t i = 0; i < g->inputs.n; i++)
    for (int k = 0; k < g->inputs.items[i]->type.rank; k++)
      p->symbolic |= g->inputs.items[i]->sym[k] != NULL;
  if (!p->symbolic)
    return;
  p->n = g->values.n;
  static const int64_t probe_values[2] = {2, 3};
  for (int w = 0; w < 2; w++) {
    p->shapes[w] = calloc(p->n + 1, sizeof *p->shapes[w]);
    DLC_ASSERT(p->shapes[w] != NULL);
    /* Bind every symbol of every input to the probe value. */
    DLC_VEC(dlc_dim_binding) binds = {0};
    for (size_t i = 0; i < g->inputs.n; i++)
      for (int k = 0; k < g->inputs.items[i]->type.rank; k++)
        if (g->inputs.items[i]->sym[k]) {
          dlc_dim_binding b = {g->inputs.items[i]->sym[k], probe_values[w]};
          dlc_vec_push(&binds, b);
        }
    dlc_diag quiet;
    dlc_diag_init(&quiet, "probe");
    dlc_graph_infer_shapes(g, binds.items, (int)binds.n, &quiet);
    dlc_diag_free(&quiet);
    dlc_vec_free(&binds);
    probe_snapshot(p, g, w);
  }
  dlc_diag quiet;
  dlc_diag_init(&quiet, "probe");
  dlc_graph_infer_shapes(g, NULL, 0, &quiet);
  dlc_diag_free(&quiet);
}

void pu_probe_free(pu_probe *p) {
  free(p->shapes[0]);
  free(p->shapes[1]);
  memset(p, 0, sizeof *p);
}

static bool same_dims(const dlc_tensor *a, const dlc_tensor *b) {
  return a->dtype != DLC_DT_UNDEFINED && b->dtype != DLC_DT_UNDEFINED &&
         dlc_tensor_same_shape(a, b);
}

bool pu_probe_static(const pu_probe *p, const dlc_value *v) {
  if (!p->symbolic)
    return true;
  if ((size_t)v->id >= p->n)
    return false;
  return same_dims(&v->type, &p->shapes[0][v->id]) &&
         same_dims(&v->type, &p->shapes[1][v->id]);
}

bool pu_probe_same_shape(const pu_probe *p, const dlc_value *a,
                         const dlc_value *b) {
  if (!same_dims(&a->type, &b->type))
    return false;
  if (!p->symbolic)
    return true;
  if ((size_t)a->id >= p->n || (size_t)b->id >= p->n)
    return false;
  for (int w = 0; w < 2; w++)
    if (!same_dims(&p->shapes[w][a->id], &p->shapes[w][b->id]))
      return false;
  return true;
}
