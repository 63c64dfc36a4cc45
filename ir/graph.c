/* graph.c — building graphs: values (with a name index), nodes, attributes,
 * attribute accessors with the operator table's defaults, and the op-context
 * helpers shared by shape inference, stats and the interpreter. */
#include <stdlib.h>
#include <string.h>

#include "ops_impl.h"

/* ------------------------------------------------------------ name index */

/* Open addressing over value pointers; grows at 50% load. */
struct dlc_name_index {
  dlc_value **slots;
  size_t cap, count;
};

static void index_insert(struct dlc_name_index *ix, dlc_value *v);

static void index_grow(struct dlc_name_index *ix) {
  struct dlc_name_index old = *ix;
  ix->cap = old.cap ? old.cap * 2 : 64;
  ix->slots = calloc(ix->cap, sizeof *ix->slots);
  DLC_ASSERT(ix->slots != NULL);
  ix->count = 0;
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i])
      index_insert(ix, old.slots[i]);
  free(old.slots);
}

static void index_insert(struct dlc_name_index *ix, dlc_value *v) {
  if ((ix->count + 1) * 2 > ix->cap)
    index_grow(ix);
  size_t i = dlc_hash_string(v->name) & (ix->cap - 1);
  while (ix->slots[i])
    i = (i + 1) & (ix->cap - 1);
  ix->slots[i] = v;
  ix->count++;
}

dlc_value *dlc_graph_find_value(const dlc_graph *g, const char *name) {
  const struct dlc_name_index *ix = g->index_;
  if (!ix || !ix->cap || !name)
    return NULL;
  size_t i = dlc_hash_string(name) & (ix->cap - 1);
  for (; ix->slots[i]; i = (i + 1) & (ix->cap - 1))
    if (strcmp(ix->slots[i]->name, name) == 0)
      return ix->slots[i];
  return NULL;
}

/* ------------------------------------------------------------- the graph */

dlc_graph *dlc_graph_create(void) {
  dlc_graph *g = calloc(1, sizeof *g);
  DLC_ASSERT(g != NULL);
  g->arena = dlc_arena_create();
  g->index_ = calloc(1, sizeof *g->index_);
  DLC_ASSERT(g->index_ != NULL);
  return g;
}

void dlc_graph_add_source(dlc_graph *g, const char *path) {
  for (size_t i = 0; i < g->sources.n; i++)
    if (!strcmp(g->sources.items[i], path))
      return;
  dlc_vec_push(&g->sources, dlc_arena_strdup(g->arena, path));
}

void dlc_graph_destroy(dlc_graph *g) {
  if (!g)
    return;
  dlc_vec_free(&g->metadata);
  dlc_vec_free(&g->sources);
  dlc_vec_free(&g->values);
  dlc_vec_free(&g->inputs);
  dlc_vec_free(&g->outputs);
  dlc_vec_free(&g->initializers);
  dlc_vec_free(&g->nodes);
  if (g->index_)
    free(g->index_->slots);
  free(g->index_);
  dlc_arena_destroy(g->arena);
  free(g);
}

dlc_value *dlc_graph_add_value(dlc_graph *g, const char *name,
                               dlc_value_kind kind) {
  if (dlc_graph_find_value(g, name))
    return NULL;
  dlc_value *v = dlc_arena_alloc(g->arena, sizeof *v);
  v->name = dlc_arena_strdup(g->arena, name);
  v->kind = kind;
  v->arena_offset = -1; /* not planned */
  v->id = (int)g->values.n;
  dlc_vec_push(&g->values, v);
  index_insert(g->index_, v);
  return v;
}

dlc_value *dlc_graph_add_input(dlc_graph *g, const char *name,
                               const dlc_tensor *type) {
  dlc_value *v = dlc_graph_add_value(g, name, DLC_VALUE_INPUT);
  if (!v)
    return NULL;
  v->type = *type;
  v->type.data = NULL;
  dlc_vec_push(&g->inputs, v);
  return v;
}

dlc_value *dlc_graph_add_initializer(dlc_graph *g, const char *name,
                                     const dlc_tensor *type, const void *data) {
  dlc_value *v = dlc_graph_add_value(g, name, DLC_VALUE_INITIALIZER);
  if (!v)
    return NULL;
  v->type = *type;
  size_t nbytes = dlc_tensor_nbytes(type);
  v->type.data = dlc_arena_alloc(g->arena, nbytes);
  if (data && nbytes)
    memcpy(v->type.data, data, nbytes);
  dlc_vec_push(&g->initializers, v);
  return v;
}

dlc_node *dlc_graph_add_node(dlc_graph *g, const char *name, dlc_op op,
                             int n_inputs, dlc_value *const *inputs,
                             int n_outputs, dlc_value *const *outputs) {
  dlc_node *n = dlc_arena_alloc(g->arena, sizeof *n);
  n->name = dlc_arena_strdup(g->arena, name);
  n->op = op;
  n->domain = op >= 0 ? dlc_op_get_info(op)->domain : "";
  n->n_inputs = n_inputs;
  n->inputs = dlc_arena_alloc(g->arena, sizeof(dlc_value *) * (n_inputs + 1));
  for (int i = 0; i < n_inputs; i++)
    n->inputs[i] = inputs[i];
  n->n_outputs = n_outputs;
  n->outputs =
      dlc_arena_alloc(g->arena, sizeof(dlc_value *) * (n_outputs + 1));
  for (int i = 0; i < n_outputs; i++) {
    n->outputs[i] = outputs[i];
    if (outputs[i]) {
      DLC_ASSERT(outputs[i]->kind == DLC_VALUE_NODE && !outputs[i]->producer);
      outputs[i]->producer = n;
      outputs[i]->producer_slot = i;
    }
  }
  n->id = (int)g->nodes.n;
  dlc_vec_push(&g->nodes, n);
  return n;
}

/* ------------------------------------------------------------ attributes */

const char *dlc_attr_kind_name(dlc_attr_kind k) {
  static const char *names[] = {"int",   "float",  "string", "ints",
                                "floats", "strings", "tensor"};
  return (unsigned)k < 7 ? names[k] : "?";
}

dlc_attr *dlc_node_add_attr(dlc_graph *g, dlc_node *n, const char *name,
                            dlc_attr_kind kind) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0) {
      dlc_attr *a = &n->attrs[i];
      memset(a, 0, sizeof *a);
      a->name = dlc_arena_strdup(g->arena, name);
      a->kind = kind;
      return a;
    }
  /* Attribute arrays are small: copy into a fresh arena array. */
  dlc_attr *attrs = dlc_arena_alloc(g->arena, sizeof(dlc_attr) * (n->n_attrs + 1));
  if (n->n_attrs)
    memcpy(attrs, n->attrs, sizeof(dlc_attr) * n->n_attrs);
  n->attrs = attrs;
  dlc_attr *a = &attrs[n->n_attrs++];
  a->name = dlc_arena_strdup(g->arena, name);
  a->kind = kind;
  return a;
}

void dlc_node_set_int(dlc_graph *g, dlc_node *n, const char *name, int64_t v) {
  dlc_node_add_attr(g, n, name, DLC_ATTR_INT)->i = v;
}

void dlc_node_set_float(dlc_graph *g, dlc_node *n, const char *name,
                        double v) {
  dlc_node_add_attr(g, n, name, DLC_ATTR_FLOAT)->f = v;
}

void dlc_node_set_string(dlc_graph *g, dlc_node *n, const char *name,
                         const char *v) {
  dlc_node_add_attr(g, n, name, DLC_ATTR_STRING)->s =
      dlc_arena_strdup(g->arena, v);
}

void dlc_node_set_ints(dlc_graph *g, dlc_node *n, const char *name,
                       const int64_t *v, int count) {
  dlc_attr *a = dlc_node_add_attr(g, n, name, DLC_ATTR_INTS);
  a->n = count;
  a->ints = dlc_arena_alloc(g->arena, sizeof(int64_t) * (count + 1));
  if (count)
    memcpy(a->ints, v, sizeof(int64_t) * count);
}

void dlc_node_set_floats(dlc_graph *g, dlc_node *n, const char *name,
                         const double *v, int count) {
  dlc_attr *a = dlc_node_add_attr(g, n, name, DLC_ATTR_FLOATS);
  a->n = count;
  a->floats = dlc_arena_alloc(g->arena, sizeof(double) * (count + 1));
  if (count)
    memcpy(a->floats, v, sizeof(double) * count);
}

const dlc_attr *dlc_node_find_attr(const dlc_node *n, const char *name) {
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp(n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

/* The schema entry is required to exist: asking for an attribute the table
 * does not define is a bug in dlc, not in the model. */
static const dlc_attr_schema *schema_of(const dlc_node *n, const char *name) {
  const dlc_attr_schema *s = dlc_op_find_attr_schema(n->op, name);
  if (!s)
    fprintf(stderr, "dlc: internal error: op %s has no attribute '%s'\n",
            dlc_op_name(n->op), name);
  DLC_ASSERT(s != NULL);
  return s;
}

int64_t dlc_node_get_int(const dlc_node *n, const char *name) {
  const dlc_attr *a = dlc_node_find_attr(n, name);
  if (a && a->kind == DLC_ATTR_INT)
    return a->i;
  return schema_of(n, name)->default_i;
}

double dlc_node_get_float(const dlc_node *n, const char *name) {
  const dlc_attr *a = dlc_node_find_attr(n, name);
  if (a && a->kind == DLC_ATTR_FLOAT)
    return a->f;
  if (a && a->kind == DLC_ATTR_INT)
    return (double)a->i;
  return schema_of(n, name)->default_f;
}

const char *dlc_node_get_string(const dlc_node *n, const char *name) {
  const dlc_attr *a = dlc_node_find_attr(n, name);
  if (a && a->kind == DLC_ATTR_STRING)
    return a->s;
  return schema_of(n, name)->default_s;
}

int dlc_node_get_ints(const dlc_node *n, const char *name,
                      const int64_t **items) {
  const dlc_attr *a = dlc_node_find_attr(n, name);
  if (a && a->kind == DLC_ATTR_INTS) {
    *items = a->ints;
    return a->n;
  }
  *items = NULL;
  return 0;
}

int dlc_node_get_floats(const dlc_node *n, const char *name,
                        const double **items) {
  const dlc_attr *a = dlc_node_find_attr(n, name);
  if (a && a->kind == DLC_ATTR_FLOATS) {
    *items = a->floats;
    return a->n;
  }
  *items = NULL;
  return 0;
}

int64_t dlc_node_param_count(const dlc_node *n) {
  int64_t total = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (v && v->kind == DLC_VALUE_INITIALIZER) {
      int64_t e = dlc_tensor_numel(&v->type);
      if (e > 0)
        total += e;
    }
  }
  return total;
}

/* --------------------------------------------------------- op contexts */

void dlc_op_ctx_from_node(dlc_op_ctx *c, const dlc_node *n,
                          const dlc_tensor **inptr, dlc_tensor *tout,
                          dlc_diag *d) {
  memset(c, 0, sizeof *c);
  c->node = n;
  c->n_inputs = dlc_node_op_inputs(n);
  for (int i = 0; i < n->n_inputs; i++)
    inptr[i] = n->inputs[i] ? &n->inputs[i]->type : NULL;
  c->in = inptr;
  c->n_outputs = n->n_outputs;
  for (int i = 0; i < n->n_outputs; i++)
    tout[i] = n->outputs[i] ? n->outputs[i]->type : (dlc_tensor){0};
  c->out = tout;
  c->diag = d;
}

int64_t dlc_node_macs(const dlc_node *n) {
  const dlc_op_info *info = dlc_op_get_info(n->op);
  if (!info->macs)
    return 0;
  const dlc_tensor **inptr = calloc((size_t)n->n_inputs + 1, sizeof *inptr);
  dlc_tensor *tout = calloc((size_t)n->n_outputs + 1, sizeof *tout);
  DLC_ASSERT(inptr && tout);
  dlc_op_ctx c;
  dlc_op_ctx_from_node(&c, n, inptr, tout, NULL);
  int64_t macs = info->macs(&c);
  free(inptr);
  free(tout);
  return macs > 0 ? macs : 0;
}

bool dlc_op_error(dlc_op_ctx *c, const char *fmt, ...) {
  c->errors++;
  if (!c->diag)
    return false;
  char where[512];
  snprintf(where, sizeof where, "node '%s' (%s)", c->node->name,
           dlc_op_name(c->node->op));
  va_list ap;
  va_start(ap, fmt);
  dlc_diag_verror(c->diag, where, fmt, ap);
  va_end(ap);
  return false;
}

bool dlc_value_is_const(const dlc_value *v) {
  return v->kind == DLC_VALUE_INITIALIZER ||
         (v->kind == DLC_VALUE_NODE && v->type.data != NULL);
}

bool dlc_node_is_folded(const dlc_node *n) {
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i] && !dlc_value_is_const(n->outputs[i]))
      return false;
  return true;
}
