/* graph_clone.c — a deep copy of a graph into a new arena: values (with
 * their constant bytes), nodes, attributes and epilogues, in the same order
 * with the same ids. The compiled engine optimises a copy while `dlc run`
 * keeps the loaded graph for --check, without reading the model twice. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static char *copy_str(dlc_graph *g, const char *s) {
  return s ? dlc_arena_strdup(g->arena, s) : NULL;
}

static void *copy_bytes(dlc_graph *g, const void *p, size_t n) {
  if (!p)
    return NULL;
  void *q = dlc_arena_alloc(g->arena, n ? n : 1);
  if (n)
    memcpy(q, p, n);
  return q;
}

static void copy_tensor(dlc_graph *g, dlc_tensor *dst, const dlc_tensor *src) {
  *dst = *src;
  dst->data = copy_bytes(g, src->data, src->data ? dlc_tensor_nbytes(src) : 0);
}

static void copy_values(dlc_graph *dst, const dlc_graph *src) {
  for (size_t i = 0; i < src->values.n; i++) {
    const dlc_value *v = src->values.items[i];
    dlc_value *c = dlc_graph_add_value(dst, v->name, v->kind);
    DLC_ASSERT(c && c->id == v->id);
    copy_tensor(dst, &c->type, &v->type);
    for (int k = 0; k < DLC_MAX_RANK; k++)
      c->sym[k] = copy_str(dst, v->sym[k]);
    c->producer_slot = v->producer_slot;
    c->arena_offset = v->arena_offset;
    c->is_output = v->is_output;
  }
}

static dlc_value *map_value(dlc_graph *dst, const dlc_value *v) {
  return v ? dst->values.items[v->id] : NULL;
}

static void copy_attr(dlc_graph *g, dlc_attr *d, const dlc_attr *s) {
  *d = *s;
  d->name = copy_str(g, s->name);
  d->s = copy_str(g, s->s);
  d->ints = copy_bytes(g, s->ints, sizeof *s->ints * (size_t)s->n);
  d->floats = copy_bytes(g, s->floats, sizeof *s->floats * (size_t)s->n);
  if (s->strings) {
    d->strings = dlc_arena_alloc(g->arena, sizeof *d->strings * (size_t)s->n + 1);
    for (int i = 0; i < s->n; i++)
      d->strings[i] = copy_str(g, s->strings[i]);
  }
  if (s->kind == DLC_ATTR_TENSOR)
    copy_tensor(g, &d->tensor, &s->tensor);
}

static void copy_node(dlc_graph *dst, const dlc_node *n) {
  dlc_value *in[n->n_inputs + 1], *out[n->n_outputs + 1];
  for (int i = 0; i < n->n_inputs; i++)
    in[i] = map_value(dst, n->inputs[i]);
  for (int i = 0; i < n->n_outputs; i++)
    out[i] = map_value(dst, n->outputs[i]);
  dlc_node *c = dlc_graph_add_node(dst, n->name, n->op, n->n_inputs, in,
                                   n->n_outputs, out);
  c->domain = copy_str(dst, n->domain);
  c->doc = copy_str(dst, n->doc);
  c->id = n->id;
  c->dead = n->dead;
  c->elided = n->elided;
  c->n_attrs = n->n_attrs;
  c->attrs = dlc_arena_alloc(dst->arena, sizeof *c->attrs * (size_t)n->n_attrs + 1);
  for (int i = 0; i < n->n_attrs; i++)
    copy_attr(dst, &c->attrs[i], &n->attrs[i]);
  if (n->epilogue) {
    c->epilogue = copy_bytes(dst, n->epilogue, sizeof *n->epilogue);
    for (int i = 0; i < n->epilogue->n_fused; i++)
      c->epilogue->fused[i] = copy_str(dst, n->epilogue->fused[i]);
  }
}

/* The role lists (inputs, outputs, initializers) point at the copies. */
#define COPY_LIST(dst, src, field)                                             \
  for (size_t i = 0; i < (src)->field.n; i++)                                  \
  dlc_vec_push(&(dst)->field, map_value(dst, (src)->field.items[i]))

dlc_graph *dlc_graph_clone(const dlc_graph *src) {
  dlc_graph *g = dlc_graph_create();
  g->name = copy_str(g, src->name);
  g->doc = copy_str(g, src->doc);
  for (size_t i = 0; i < src->metadata.n; i++)
    dlc_vec_push(&g->metadata, copy_str(g, src->metadata.items[i]));
  for (size_t i = 0; i < src->sources.n; i++)
    dlc_graph_add_source(g, src->sources.items[i]);
  copy_values(g, src);
  /* dlc_graph_add_value put every copy in values; the role lists follow. */
  COPY_LIST(g, src, inputs);
  COPY_LIST(g, src, outputs);
  COPY_LIST(g, src, initializers);
  for (size_t i = 0; i < src->nodes.n; i++)
    copy_node(g, src->nodes.items[i]);
  g->memory_planned = src->memory_planned;
  g->arena_bytes = src->arena_bytes;
  return g;
}
