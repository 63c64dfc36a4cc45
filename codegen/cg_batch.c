/* cg_batch.c — may a model with a symbolic batch be compiled as a loop?
 *
 * The backend compiles the batch-1 graph (the shapes the frontend inferred
 * with every symbol bound to 1) and PREFIX_run_batch runs that body once per
 * batch item, with the item's slices of the caller's buffers. This is only
 * right when the graph is batch-separable: the batch is the leading dim of
 * every value that depends on it, and no operator mixes batch items.
 *
 * The check re-infers every shape with the batch symbol bound to 2 (into
 * private tensors: the graph is not touched) and compares with the batch-1
 * shapes: a value depending on the batch must go from [1, d...] to
 * [2, d...]; a run-time node reading such a value must produce such values
 * (a reduction over the batch gives the same shape at 1 and 2, a flattening
 * of the batch into other dims changes them); integer constants computed from
 * the batch size (Shape chains) may only feed shape arguments; and the few
 * operators that keep the shape but mix along axis 0 (Softmax, LogSoftmax,
 * LayerNormalization over axis 0, Slice with a step on axis 0) are refused
 * by name. Every reason is reported, naming the node. */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

typedef struct batch_walk {
  const dlc_graph *g;
  const char *sym;    /* the batch symbol */
  dlc_tensor *t2;     /* by value id: the type at batch 2 */
  bool *dep;          /* by value id: run-time data depends on the batch */
  bool *size_const;   /* by value id: a constant whose data depends on it */
  DLC_VEC(void *) owned;
  dlc_diag *d;
  bool ok;
} batch_walk;

/* The batch symbol: sym[0] of the first input that has one. Every symbolic
 * dim must be that symbol at dim 0 (other symbols stay bound to 1). */
static const char *find_batch_symbol(const dlc_graph *g) {
  for (size_t i = 0; i < g->inputs.n; i++)
    if (g->inputs.items[i]->type.rank > 0 && g->inputs.items[i]->sym[0])
      return g->inputs.items[i]->sym[0];
  return NULL;
}

bool cg_graph_has_batch_symbol(const dlc_graph *g) {
  return find_batch_symbol(g) != NULL;
}

static void refuse(batch_walk *w, const dlc_node *n, const char *fmt,
                   const char *name) {
  char where[256], msg[256];
  snprintf(where, sizeof where, "node '%s' (%s)", n->name, dlc_op_name(n->op));
  snprintf(msg, sizeof msg, fmt, name);
  dlc_diag_error(w->d, where, "symbolic batch '%s': %s; compile with a fixed "
                 "batch (--batch N) instead", w->sym, msg);
  w->ok = false;
}

static void bind_inputs(batch_walk *w) {
  for (size_t i = 0; i < w->g->inputs.n; i++) {
    const dlc_value *v = w->g->inputs.items[i];
    w->t2[v->id] = v->type;
    for (int k = 0; k < v->type.rank; k++) {
      if (!v->sym[k] || strcmp(v->sym[k], w->sym) != 0)
        continue;
      if (k != 0) {
        dlc_diag_error(w->d, "", "input '%s': the batch symbol '%s' must be "
                       "the leading dimension", v->name, w->sym);
        w->ok = false;
      }
      w->t2[v->id].dims[k] = 2;
      w->dep[v->id] = true;
    }
  }
}

/* Recomputes the batch-2 data of a value the batch-1 inference computed
 * (Shape, Constant and small integer arithmetic). */
static bool eval_const(batch_walk *w, dlc_op_ctx *c) {
  for (int i = 0; i < c->n_outputs; i++) {
    size_t bytes = dlc_tensor_nbytes(&c->out[i]);
    c->out[i].data = calloc(1, bytes ? bytes : 1);
    DLC_ASSERT(c->out[i].data);
    dlc_vec_push(&w->owned, c->out[i].data);
  }
  return dlc_op_get_info(c->node->op)->kernel(c) && !c->errors;
}

/* Infers node n's outputs at batch 2 into w->t2. */
static bool infer2(batch_walk *w, const dlc_node *n) {
  const dlc_tensor *inptr[n->n_inputs + 1];
  dlc_tensor tout[n->n_outputs + 1];
  dlc_op_ctx c;
  dlc_op_ctx_from_node(&c, n, inptr, tout, NULL);
  for (int i = 0; i < n->n_inputs; i++)
    inptr[i] = n->inputs[i] ? &w->t2[n->inputs[i]->id] : NULL;
  for (int i = 0; i < n->n_outputs; i++)
    tout[i] = (dlc_tensor){0};
  if (!dlc_op_get_info(n->op)->infer(&c) || c.errors)
    return false;
  if (dlc_node_is_folded(n) && !eval_const(w, &c))
    return false;
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i])
      w->t2[n->outputs[i]->id] = tout[i];
  return true;
}

static bool same_data(const dlc_tensor *a, const dlc_tensor *b) {
  return dlc_tensor_same_shape(a, b) &&
         memcmp(a->data, b->data, dlc_tensor_nbytes(a)) == 0;
}

/* Inputs through which a batch-size constant may legally flow: shape
 * arguments, read at compile time. */
static bool is_shape_arg(const dlc_node *n, int i) {
  return (i == 1 && (n->op == DLC_OP_RESHAPE || n->op == DLC_OP_EXPAND)) ||
         (i == 0 && n->op == DLC_OP_CONSTANT_OF_SHAPE);
}

/* Operators that keep the batch-2 shape but mix along axis 0. */
static bool mixes_axis0(const batch_walk *w, const dlc_node *n) {
  const dlc_tensor *x = &w->t2[n->inputs[0]->id];
  int axis = -1;
  if (n->op == DLC_OP_SOFTMAX || n->op == DLC_OP_LOG_SOFTMAX ||
      n->op == DLC_OP_LAYER_NORMALIZATION)
    return dlc_norm_axis(dlc_node_get_int(n, "axis"), x->rank, &axis) &&
           axis == 0;
  if (n->op != DLC_OP_SLICE)
    return false;
  const dlc_value *starts = n->inputs[1];
  const dlc_value *axes = n->n_inputs > 3 ? n->inputs[3] : NULL;
  const dlc_value *steps = n->n_inputs > 4 ? n->inputs[4] : NULL;
  int64_t count = starts ? dlc_tensor_numel(&starts->type) : 0;
  for (int64_t k = 0; k < count; k++) {
    int64_t a = axes && axes->type.data ? dlc_tensor_get_int(&axes->type, k)
                                        : k;
    int64_t s = steps && steps->type.data
                    ? dlc_tensor_get_int(&steps->type, k) : 1;
    if ((a == 0 || a == -x->rank) && s != 1)
      return true;
  }
  return false;
}

/* A run-time output: batch-dependent iff its shape changes, and then only
 * from [1, d...] to [2, d...]. */
static void classify_output(batch_walk *w, const dlc_node *n,
                            const dlc_value *v, bool dep_in) {
  const dlc_tensor *a = &v->type, *b = &w->t2[v->id];
  if (dlc_tensor_same_shape(a, b)) {
    if (dep_in)
      refuse(w, n, "output '%s' has the same shape at every batch size: the "
             "operator combines batch items", v->name);
    return;
  }
  bool ok = a->rank == b->rank && a->rank > 0 && a->dims[0] == 1 &&
            b->dims[0] == 2;
  for (int k = 1; ok && k < a->rank; k++)
    ok = a->dims[k] == b->dims[k];
  if (!ok)
    refuse(w, n, "the batch does not stay the leading dimension of '%s'",
           v->name);
  w->dep[v->id] = true;
}

static void check_node(batch_walk *w, const dlc_node *n) {
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] && w->t2[n->inputs[i]->id].dtype == DLC_DT_UNDEFINED)
      return; /* downstream of a reported failure */
  if (!infer2(w, n)) {
    refuse(w, n, "%sshape inference fails at batch 2", "");
    return;
  }
  bool folded = dlc_node_is_folded(n), dep_in = false;
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (!v)
      continue;
    dep_in = dep_in || w->dep[v->id];
    if (w->size_const[v->id] && !folded && !is_shape_arg(n, i))
      refuse(w, n, "'%s' is computed from the batch size and used as data",
             v->name);
  }
  for (int i = 0; i < n->n_outputs; i++) {
    const dlc_value *v = n->outputs[i];
    if (!v)
      continue;
    if (folded)
      w->size_const[v->id] = !same_data(&v->type, &w->t2[v->id]);
    else
      classify_output(w, n, v, dep_in);
  }
  if (!folded && dep_in && n->n_inputs > 0 && n->inputs[0] &&
      mixes_axis0(w, n))
    refuse(w, n, "the operator works along the batch axis%s", "");
}

bool cg_batch_analyse(const dlc_graph *g, bool *dep, dlc_diag *d,
                      bool *batched) {
  *batched = false;
  batch_walk w = {.g = g, .sym = find_batch_symbol(g), .dep = dep, .d = d,
                  .ok = true};
  if (!w.sym)
    return true;
  size_t nv = g->values.n ? g->values.n : 1;
  w.t2 = calloc(nv, sizeof *w.t2);
  w.size_const = calloc(nv, sizeof *w.size_const);
  DLC_ASSERT(w.t2 && w.size_const);
  for (size_t i = 0; i < g->values.n; i++)
    if (g->values.items[i]->kind == DLC_VALUE_INITIALIZER)
      w.t2[i] = g->values.items[i]->type;
  bind_inputs(&w);
  for (size_t k = 0; k < g->nodes.n; k++)
    if (!g->nodes.items[k]->dead)
      check_node(&w, g->nodes.items[k]);
  for (size_t i = 0; i < w.owned.n; i++)
    free(w.owned.items[i]);
  dlc_vec_free(&w.owned);
  free(w.t2);
  free(w.size_const);
  *batched = w.ok;
  return w.ok;
}
