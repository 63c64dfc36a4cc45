/* onnx_reader.c — reads an ONNX model (protobuf, decoded by the protobuf-c
 * code generated from the system's onnx.proto) into the graph IR.
 *
 * Pipeline: size check (protobuf's 2 GiB limit) -> nesting depth
 * (proto_depth.c) -> unpack -> opset of the default domain (11 to 21) ->
 * local functions inlined (onnx_functions.c) -> every unsupported operator,
 * reported in one message -> initializers (onnx_tensor.c) -> graph inputs
 * that are not
 * initializers -> nodes (pass 1 defines every output, pass 2 resolves
 * inputs, converts attributes and normalises the node to its dlc form in
 * onnx_normalize.c) -> outputs -> sort, infer shapes, verify.
 *
 * Like the JSON reader it keeps going after a problem, so one run reports
 * everything it can find; nothing is sorted or inferred unless the model was
 * read cleanly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend/onnx_impl.h"

enum { MAX_NAMES_LISTED = 5 };

static const char *str_or_empty(const char *s) { return s ? s : ""; }


/* -------------------------------------------------------------- opsets */

static bool is_default_domain(const char *domain) {
  return !domain || !domain[0] || strcmp(domain, "ai.onnx") == 0;
}

/* The default domain's opset must be one the normalisation knows. */
static bool check_opset(dlc_onnx_reader *r, const Onnx__ModelProto *m) {
  r->opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++)
    if (is_default_domain(m->opset_import[i]->domain))
      r->opset = m->opset_import[i]->version;
  if (r->opset < 0) {
    dlc_onnx_err(r, NULL, "the model imports no opset of the default ONNX "
                 "domain");
    return false;
  }
  if (r->opset < DLC_ONNX_MIN_OPSET || r->opset > DLC_ONNX_MAX_OPSET) {
    dlc_onnx_err(r, NULL, "opset %lld of the default domain is not supported: "
                 "dlc reads opsets %d to %d (re-export with an opset_version "
                 "in that range)", (long long)r->opset, DLC_ONNX_MIN_OPSET,
                 DLC_ONNX_MAX_OPSET);
    return false;
  }
  return true;
}

/* ---------------------------------------------------------- node names */

/* Node names as diagnostics show them: the file's own when present and
 * unique, else "<op_type>_<index>" (ONNX does not require names). */
static const char **node_names(dlc_onnx_reader *r, const Onnx__GraphProto *gp) {
  const char **names = dlc_arena_alloc(r->g->arena,
                                       sizeof(char *) * (gp->n_node + 1));
  dlc_strset seen = {0};
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *name = np->name;
    if (!name || !name[0] || !dlc_strset_add(&seen, name)) {
      name = dlc_arena_printf(r->g->arena, "%s_%zu",
                              dlc_onnx_shown(r, np->op_type), i);
      while (!dlc_strset_add(&seen, name))
        name = dlc_arena_printf(r->g->arena, "%s_%zu_%d",
                                dlc_onnx_shown(r, np->op_type), i, r->fresh++);
    }
    names[i] = name;
  }
  dlc_strset_free(&seen);
  return names;
}

/* -------------------------------------------------- unsupported operators */

typedef struct op_use {
  const char *op;        /* "Foo", or "domain.Foo" outside the default */
  int count;
  DLC_VEC(const char *) nodes;
} op_use;

/* The operator a node names, or DLC_OP_UNKNOWN; *label gets how a message
 * shows it. Nodes of other domains are unsupported: dlc implements the
 * default domain only (its own "dlc" ops are not reachable from ONNX). */
static dlc_op node_op(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                      const char **label) {
  const char *op = str_or_empty(np->op_type);
  if (!is_default_domain(np->domain)) {
    *label = dlc_arena_printf(r->g->arena, "%s.%s",
                              dlc_onnx_shown(r, np->domain),
                              dlc_onnx_shown(r, op));
    return DLC_OP_UNKNOWN;
  }
  *label = dlc_onnx_shown(r, op);
  /* Default-domain ops newer than dlc's table that map onto one of its
   * rows (dlc_onnx_normalize rewrites them): CastLike (opset 15) is a Cast,
   * Gelu (opset 20) dlc's own. */
  if (!strcmp(op, "CastLike") && r->opset >= 15)
    return DLC_OP_CAST;
  if (!strcmp(op, "Gelu") && r->opset >= 20)
    return DLC_OP_GELU;
  return dlc_op_from_name(op, "");
}

/* One message listing every unsupported operator with its count and (up to
 * MAX_NAMES_LISTED) node names, in order of first use. */
static void report_unsupported(dlc_onnx_reader *r, op_use *uses, size_t n) {
  size_t cap = 4096, len = 0;
  char *msg = malloc(cap);
  DLC_ASSERT(msg != NULL);
  len += (size_t)snprintf(msg, cap, "unsupported operator%s: ",
                          n > 1 ? "s" : "");
  for (size_t i = 0; i < n && len < cap; i++) {
    op_use *u = &uses[i];
    len += (size_t)snprintf(msg + len, cap - len, "%s%s (%d:", i ? ", " : "",
                            u->op, u->count);
    for (size_t k = 0; k < u->nodes.n && len < cap; k++)
      len += (size_t)snprintf(msg + len, cap - len, "%s '%s'", k ? "," : "",
                              u->nodes.items[k]);
    if (len < cap)
      len += (size_t)snprintf(msg + len, cap - len, "%s)",
                              u->count > (int)u->nodes.n ? ", ..." : "");
  }
  dlc_onnx_err(r, NULL, "%s", msg);
  free(msg);
}

static bool check_ops(dlc_onnx_reader *r, const Onnx__GraphProto *gp,
                      const char **names) {
  DLC_VEC(op_use) uses = {0};
  for (size_t i = 0; i < gp->n_node; i++) {
    const char *label;
    if (node_op(r, gp->node[i], &label) != DLC_OP_UNKNOWN)
      continue;
    size_t k = 0;
    while (k < uses.n && strcmp(uses.items[k].op, label) != 0)
      k++;
    if (k == uses.n)
      dlc_vec_push(&uses, ((op_use){label, 0, {0}}));
    op_use *u = &uses.items[k];
    u->count++;
    if (u->nodes.n < MAX_NAMES_LISTED)
      dlc_vec_push(&u->nodes, dlc_onnx_shown(r, names[i]));
  }
  if (uses.n)
    report_unsupported(r, uses.items, uses.n);
  bool ok = uses.n == 0;
  for (size_t k = 0; k < uses.n; k++)
    dlc_vec_free(&uses.items[k].nodes);
  dlc_vec_free(&uses);
  return ok;
}

/* ------------------------------------------------- values: initializers */

static void add_initializers(dlc_onnx_reader *r, const Onnx__GraphProto *gp) {
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !t->name[0]) {
      dlc_onnx_err(r, NULL, "initializer %zu has no name", i);
      continue;
    }
    char *where = dlc_arena_printf(r->g->arena, "initializer '%s'",
                                   dlc_onnx_shown(r, t->name));
    dlc_tensor ten;
    bool ok = dlc_onnx_load_tensor(r, t, where, &ten);
    /* Defined even when unusable (the graph is discarded anyway), so that
     * its users do not add "never defined" errors of their own. */
    dlc_value *v = dlc_graph_add_value(r->g, t->name, DLC_VALUE_INITIALIZER);
    if (!v) {
      dlc_onnx_err(r, where, "is defined twice");
      continue;
    }
    if (ok)
      v->type = ten;
    dlc_vec_push(&r->g->initializers, v);
  }
}

/* ------------------------------------------------------ values: inputs */

/* One dim of a graph input: dim_value (positive), dim_param (symbolic), or
 * neither (symbolic, named after the input and axis). */
static bool input_dim(dlc_onnx_reader *r, const Onnx__ValueInfoProto *vi,
                      int k, const char *where, dlc_tensor *t,
                      const char **sym) {
  const Onnx__TensorShapeProto__Dimension *dim =
      vi->type->tensor_type->shape->dim[k];
  t->dims[k] = 1;
  if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
    if (dim->dim_value <= 0) {
      dlc_onnx_err(r, where, "dimension %d is %lld; dims must be positive", k,
                   (long long)dim->dim_value);
      return false;
    }
    t->dims[k] = dim->dim_value;
  } else if (dim->value_case ==
                 ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
             dim->dim_param && dim->dim_param[0]) {
    sym[k] = dlc_arena_strdup(r->g->arena, dim->dim_param);
  } else {
    sym[k] = dlc_arena_printf(r->g->arena, "%s_dim%d", vi->name, k);
  }
  return true;
}

static bool input_type(dlc_onnx_reader *r, const Onnx__ValueInfoProto *vi,
                       const char *where, dlc_tensor *t, const char **sym) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    dlc_onnx_err(r, where, "is not a tensor (sequences, maps and optionals "
                 "are not supported)");
    return false;
  }
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (!dlc_onnx_value_dtype(tt->elem_type, &t->dtype)) {
    dlc_onnx_err(r, where, "has element type %s, which dlc does not compute "
                 "in (inputs may be float32, int64, int32, int8, uint8 or "
                 "bool; export in float32)", dlc_onnx_type_name(tt->elem_type));
    return false;
  }
  if (!tt->shape) {
    dlc_onnx_err(r, where, "has no shape: dlc needs every input's rank");
    return false;
  }
  if (tt->shape->n_dim > DLC_MAX_RANK) {
    dlc_onnx_err(r, where, "rank %zu exceeds dlc's maximum of %d",
                 tt->shape->n_dim, DLC_MAX_RANK);
    return false;
  }
  t->rank = (int)tt->shape->n_dim;
  bool ok = true;
  for (int k = 0; k < t->rank; k++)
    ok = input_dim(r, vi, k, where, t, sym) && ok;
  if (ok && dlc_tensor_numel(t) < 0) {
    dlc_onnx_err(r, where, "its element count overflows");
    return false;
  }
  return ok;
}

/* Graph inputs that are also initializers are initializers (older exports
 * list every weight as an input, to make it overridable). */
static void add_inputs(dlc_onnx_reader *r, const Onnx__GraphProto *gp) {
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !vi->name[0]) {
      dlc_onnx_err(r, NULL, "graph input %zu has no name", i);
      continue;
    }
    dlc_value *old = dlc_graph_find_value(r->g, vi->name);
    if (old && old->kind == DLC_VALUE_INITIALIZER)
      continue;
    char *where = dlc_arena_printf(r->g->arena, "graph input '%s'",
                                   dlc_onnx_shown(r, vi->name));
    dlc_tensor t = {0};
    const char *sym[DLC_MAX_RANK] = {0};
    bool ok = input_type(r, vi, where, &t, sym);
    /* Defined even when its type is bad, as for initializers. */
    dlc_value *v = dlc_graph_add_input(r->g, vi->name, ok ? &t : &(dlc_tensor){0});
    if (!v) {
      dlc_onnx_err(r, where, "is listed twice");
      continue;
    }
    if (ok)
      memcpy(v->sym, sym, sizeof sym);
  }
}

/* --------------------------------------------------------------- nodes */

static const char *node_where(dlc_onnx_reader *r, const char *name,
                              const Onnx__NodeProto *np) {
  return dlc_arena_printf(r->g->arena, "node '%s' (%s)",
                          dlc_onnx_shown(r, name),
                          dlc_onnx_shown(r, np->op_type));
}

/* Pass 1: every output value, so that nodes may come in any order. "" is
 * an omitted optional output. */
static void define_outputs(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                           const char *where, dlc_onnx_node *nb) {
  nb->n_out = (int)np->n_output;
  nb->out = dlc_arena_alloc(r->g->arena, sizeof(dlc_value *) * (np->n_output + 1));
  for (size_t k = 0; k < np->n_output; k++) {
    const char *name = np->output[k];
    if (!name || !name[0])
      continue;
    nb->out[k] = dlc_graph_add_value(r->g, name, DLC_VALUE_NODE);
    if (!nb->out[k])
      dlc_onnx_err(r, where, "output '%s' is defined twice",
                   dlc_onnx_shown(r, name));
  }
}

/* Pass 2: resolve inputs ("" is an omitted optional input). */
static bool resolve_inputs(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                           const char *where, dlc_onnx_node *nb) {
  nb->n_in = (int)np->n_input;
  nb->in = dlc_arena_alloc(r->g->arena, sizeof(dlc_value *) *
                                            (np->n_input + DLC_ONNX_EXTRA_INPUTS));
  bool ok = true;
  for (size_t k = 0; k < np->n_input; k++) {
    const char *name = np->input[k];
    if (!name || !name[0])
      continue;
    if (!(nb->in[k] = dlc_graph_find_value(r->g, name))) {
      dlc_onnx_err(r, where, "uses value '%s', which is never defined",
                   dlc_onnx_shown(r, name));
      ok = false;
    }
  }
  return ok;
}

/* Input and output counts against the operator table, after normalisation
 * (which may add inputs): shape inference and the kernels rely on them. */
static bool check_arity(dlc_onnx_reader *r, const dlc_onnx_node *nb,
                        const char *where) {
  const dlc_op_info *info = dlc_op_get_info(nb->op);
  bool ok = true;
  if (nb->n_in < info->min_inputs || nb->n_in > info->max_inputs) {
    dlc_onnx_err(r, where, "has %d inputs; %s takes %d to %d", nb->n_in,
                 info->name, info->min_inputs, info->max_inputs);
    ok = false;
  }
  if (nb->n_out < info->min_outputs || nb->n_out > info->max_outputs) {
    dlc_onnx_err(r, where, "has %d outputs; %s produces %d to %d", nb->n_out,
                 info->name, info->min_outputs, info->max_outputs);
    ok = false;
  }
  return ok;
}

static void add_node(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                     const char *name, dlc_onnx_node *nb) {
  const char *where = node_where(r, name, np);
  nb->name = name;
  nb->op_type = np->op_type;
  bool ok = resolve_inputs(r, np, where, nb);
  ok = dlc_onnx_convert_attrs(r, np, where, nb) && ok;
  ok = ok && dlc_onnx_normalize(r, nb, where);
  ok = ok && check_arity(r, nb, where);
  if (!ok || r->errors)
    return; /* the graph will be discarded: do not half-build it */
  dlc_node *n = dlc_graph_add_node(r->g, name, nb->op, nb->n_in, nb->in,
                                   nb->n_out, nb->out);
  n->attrs = nb->attrs;
  n->n_attrs = nb->n_attrs;
  if (np->doc_string && np->doc_string[0])
    n->doc = dlc_arena_strdup(r->g->arena, np->doc_string);
  if ((n->op == DLC_OP_SOFTMAX || n->op == DLC_OP_LOG_SOFTMAX) &&
      r->opset < 13)
    dlc_vec_push(&r->legacy_softmax, n);
}

static void add_nodes(dlc_onnx_reader *r, const Onnx__GraphProto *gp,
                      const char **names) {
  dlc_onnx_node *nbs = calloc(gp->n_node + 1, sizeof *nbs);
  DLC_ASSERT(nbs != NULL);
  for (size_t i = 0; i < gp->n_node; i++) {
    const char *label;
    nbs[i].op = node_op(r, gp->node[i], &label);
    define_outputs(r, gp->node[i], node_where(r, names[i], gp->node[i]),
                   &nbs[i]);
  }
  for (size_t i = 0; i < gp->n_node; i++)
    add_node(r, gp->node[i], names[i], &nbs[i]);
  free(nbs);
}

/* ------------------------------------------------------------ outputs */

static void add_outputs(dlc_onnx_reader *r, const Onnx__GraphProto *gp) {
  if (gp->n_output == 0)
    dlc_onnx_err(r, NULL, "the graph has no outputs");
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name;
    dlc_value *v = dlc_graph_find_value(r->g, str_or_empty(name));
    const char *where = dlc_arena_printf(r->g->arena, "graph output '%s'",
                                         dlc_onnx_shown(r, name));
    if (!v) {
      dlc_onnx_err(r, where, "is not produced by any node, input or "
                   "initializer");
    } else if (v->is_output) {
      dlc_onnx_err(r, where, "is listed twice");
    } else {
      v->is_output = true;
      dlc_vec_push(&r->g->outputs, v);
    }
  }
}

/* ------------------------------------------------------- the document */

static void read_metadata(dlc_onnx_reader *r, const Onnx__ModelProto *m) {
  dlc_graph *g = r->g;
  const Onnx__GraphProto *gp = m->graph;
  g->name = gp->name && gp->name[0] ? dlc_arena_strdup(g->arena, gp->name)
                                    : NULL;
  const char *doc = m->doc_string && m->doc_string[0] ? m->doc_string
                                                      : gp->doc_string;
  if (doc && doc[0])
    g->doc = dlc_arena_strdup(g->arena, doc);
  for (size_t i = 0; i < m->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = m->metadata_props[i];
    dlc_vec_push(&g->metadata, dlc_arena_strdup(g->arena, str_or_empty(e->key)));
    dlc_vec_push(&g->metadata,
                 dlc_arena_strdup(g->arena, str_or_empty(e->value)));
  }
  dlc_vec_push(&g->metadata, "onnx_producer");
  dlc_vec_push(&g->metadata,
               dlc_arena_printf(g->arena, "%s %s",
                                str_or_empty(m->producer_name),
                                str_or_empty(m->producer_version)));
  dlc_vec_push(&g->metadata, "onnx_opset");
  dlc_vec_push(&g->metadata, dlc_arena_printf(g->arena, "%lld",
                                              (long long)r->opset));
}

static void read_model(dlc_onnx_reader *r, const Onnx__ModelProto *m) {
  if (!m->graph) {
    dlc_onnx_err(r, NULL, "the model has no graph");
    return;
  }
  if (!check_opset(r, m))
    return;
  /* A copy whose node list has the local functions inlined. */
  Onnx__GraphProto *gp = dlc_arena_alloc(r->g->arena, sizeof *gp);
  *gp = *m->graph;
  if (!dlc_onnx_inline_functions(r, m, gp))
    return;
  if (gp->n_sparse_initializer)
    dlc_onnx_err(r, NULL, "sparse initializers are not supported");
  const char **names = node_names(r, gp);
  if (!check_ops(r, gp, names))
    return;
  read_metadata(r, m);
  add_initializers(r, gp);
  add_inputs(r, gp);
  add_nodes(r, gp, names);
  add_outputs(r, gp);
}

/* Sort and infer; the legacy Softmax rewrite needs ranks, and after it the
 * graph is sorted and inferred again. */
static dlc_status finish_graph(dlc_onnx_reader *r) {
  dlc_status st = dlc_graph_sort(r->g, r->d);
  if (st == DLC_OK)
    st = dlc_graph_infer_shapes(r->g, NULL, 0, r->d);
  bool changed = false;
  if (st == DLC_OK && !dlc_onnx_fix_legacy_softmax(r, &changed))
    st = DLC_ERR_INVALID;
  if (st == DLC_OK && changed) {
    st = dlc_graph_sort(r->g, r->d);
    if (st == DLC_OK)
      st = dlc_graph_infer_shapes(r->g, NULL, 0, r->d);
  }
  if (st == DLC_OK)
    st = dlc_graph_verify(r->g, r->d);
  return st;
}

/* Each level of subgraph is three messages (Graph -> Node -> Attribute);
 * real models nest a few levels, protobuf-c's stack lasts a few thousand. */
enum { MAX_MESSAGE_DEPTH = 100 };

/* The memory a model will take, from its bytes before protobuf-c unpacks
 * them: the bytes three times (the file, protobuf-c's copies of strings
 * and raw_data, the graph's initializers) and 2,048 bytes a node, what
 * `dlc check` measured per node of 100,000- and 1,000,000-node Identity
 * chains (the unpacked NodeProto, the graph node with room for the
 * normalised attributes, names, consumer lists, schedule). */
enum { ONNX_NODE_BYTES = 2048 };

static bool within_budget(dlc_onnx_reader *r, size_t len, uint64_t nodes) {
  char what[64];
  snprintf(what, sizeof what, "%llu nodes in %zu bytes of ONNX",
           (unsigned long long)nodes, len);
  int64_t n = nodes > INT64_MAX / ONNX_NODE_BYTES ? INT64_MAX / 2
                                                   : (int64_t)nodes;
  if (dlc_fe_budget_charge(r->budget, 3 * (int64_t)len + ONNX_NODE_BYTES * n,
                           r->d, NULL, what))
    return true;
  r->errors++;
  return false;
}

static dlc_status read_bytes(const void *bytes, size_t len,
                             const char *base_dir, dlc_fe_budget *budget,
                             dlc_graph **out, dlc_diag *d) {
  *out = NULL;
  dlc_onnx_reader r = {.g = dlc_graph_create(), .d = d, .base_dir = base_dir,
                       .budget = budget};
  Onnx__ModelProto *m = NULL;
  uint64_t nodes = 0;
  if (dlc_proto_census(&onnx__model_proto__descriptor, bytes, len,
                       MAX_MESSAGE_DEPTH, &onnx__node_proto__descriptor,
                       &nodes) > MAX_MESSAGE_DEPTH)
    dlc_onnx_err(&r, NULL, "not a supported ONNX model: its messages nest "
                 "more than %d deep (subgraphs within subgraphs?); protobuf-c "
                 "would overflow the stack", MAX_MESSAGE_DEPTH);
  else if (budget && !within_budget(&r, len, nodes))
    ; /* reported */
  else if (!(m = onnx__model_proto__unpack(NULL, len, bytes)))
    dlc_onnx_err(&r, NULL, "not a valid ONNX model: the protobuf data is "
                 "malformed or truncated");
  else
    read_model(&r, m);
  if (m)
    onnx__model_proto__free_unpacked(m, NULL);
  dlc_status st = r.errors ? DLC_ERR_INVALID : finish_graph(&r);
  dlc_vec_free(&r.legacy_softmax);
  if (st != DLC_OK) {
    dlc_graph_destroy(r.g);
    return st;
  }
  *out = r.g;
  return DLC_OK;
}

dlc_status dlc_onnx_read_bytes(const void *bytes, size_t len,
                               const char *base_dir, dlc_graph **out,
                               dlc_diag *d) {
  return read_bytes(bytes, len, base_dir, NULL, out, d);
}

/* ---------------------------------------------------------- from a file */

/* Protobuf messages are limited to 2 GiB; bigger models need external data
 * for their weights, and dlc does not take them at all (docs/onnx.md). */
#define MAX_MODEL_BYTES ((int64_t)INT32_MAX)

/* "dir/model.onnx" -> "dir" (or "." / "/"), malloc'd. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(n + 1);
  DLC_ASSERT(dir != NULL);
  memcpy(dir, path, n);
  dir[n] = 0;
  return dir;
}

/* The file's stem names the graph (the default symbol prefix of generated
 * code): exporters give every graph the same name ("main_graph"). */
static void name_after_file(dlc_graph *g, const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 5 && strcmp(base + n - 5, ".onnx") == 0)
    n -= 5;
  char *name = dlc_arena_alloc(g->arena, n + 1);
  memcpy(name, base, n);
  g->name = name;
}

dlc_status dlc_fe_onnx_read_file(const char *path, const dlc_load_limits *l,
                                 dlc_graph **out, dlc_diag *d) {
  *out = NULL;
  if (d && !d->file)
    d->file = path;
  dlc_load_limits def;
  if (!l) {
    dlc_load_limits_init(&def);
    l = &def;
  }
  struct stat st;
  if (stat(path, &st) != 0) {
    dlc_diag_error(d, NULL, "cannot read '%s': %s", path, strerror(errno));
    return DLC_ERR_IO;
  }
  if ((int64_t)st.st_size > MAX_MODEL_BYTES) {
    dlc_diag_error(d, NULL, "the model is %lld bytes, over protobuf's 2 GiB "
                   "limit: models this large are not supported",
                   (long long)st.st_size);
    return DLC_ERR_UNSUPPORTED;
  }
  size_t size = 0;
  unsigned char *bytes = dlc_fe_read_model(path, l, &size, d);
  if (!bytes)
    return DLC_ERR_IO;
  char *dir = dir_of(path);
  dlc_fe_budget budget = {.limit = l->max_memory};
  dlc_status s = read_bytes(bytes, size, dir, &budget, out, d);
  free(dir);
  free(bytes);
  if (s == DLC_OK)
    name_after_file(*out, path);
  return s;
}

dlc_status dlc_onnx_read_file(const char *path, dlc_graph **out, dlc_diag *d) {
  return dlc_fe_onnx_read_file(path, NULL, out, d);
}
