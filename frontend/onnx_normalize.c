/* onnx_normalize.c — turns each ONNX node into its dlc form: attributes are
 * converted to dlc_attr, and what moved between attributes and inputs across
 * opsets 11 to 21 is moved to where dlc (opset 13) expects it:
 *
 *   Split `split`, Squeeze/Unsqueeze `axes`, ReduceSum `axes` (opset < 13):
 *     attribute -> int64 initializer input 1
 *   Dropout `ratio` (opset < 12): dropped (inference Dropout is the identity)
 *   Softmax/LogSoftmax (opset < 13): axis defaults to 1 and means "flatten
 *     to 2-D there"; equal to opset 13 on the last axis, else rewritten as
 *     Flatten -> Softmax -> Reshape once ranks are known
 *
 *   ReduceMean/Max/Min `axes` input (opset 18+): constant -> attribute
 *   Split `num_outputs` (18+): checked against the outputs, dropped
 *   Resize `antialias`, `keep_aspect_ratio_policy` (18+), Cast `saturate`
 *     (19+), Gelu `approximate` (20): dropped at their defaults
 *   CastLike (15+): Cast to the second input's type
 *
 * Everything else (Pad, Clip, Resize, Slice inputs; BatchNormalization
 * before opset 14) already has the dlc form (docs/onnx.md). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_impl.h"

/* Room normalisation may need for attributes it adds (Softmax's axis). */
enum { EXTRA_ATTRS = 2, MAX_ATTRS = 1024 };

/* ----------------------------------------------------------- attributes */

static bool is_attr_dup(const dlc_onnx_node *nb, const char *name) {
  for (int i = 0; i < nb->n_attrs; i++)
    if (strcmp(nb->attrs[i].name, name) == 0)
      return true;
  return false;
}

/* Copies an ONNX string (bytes, not NUL-terminated) into the arena; false
 * if it holds a NUL byte (dlc strings are C strings). */
static bool copy_string(dlc_onnx_reader *r, const ProtobufCBinaryData *b,
                        const char **out) {
  if (b->len && memchr(b->data, 0, b->len))
    return false;
  char *s = dlc_arena_alloc(r->g->arena, b->len + 1);
  if (b->len)
    memcpy(s, b->data, b->len);
  *out = s;
  return true;
}

static bool convert_list(dlc_onnx_reader *r, const Onnx__AttributeProto *a,
                         const char *where, dlc_attr *out) {
  size_t n = a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? a->n_ints
             : a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
                 ? a->n_floats
                 : a->n_strings;
  if (n > INT_MAX / 16) {
    dlc_onnx_err(r, where, "attribute '%s' has too many values (%zu)",
                 out->name, n);
    return false;
  }
  out->n = (int)n;
  switch (a->type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    out->kind = DLC_ATTR_INTS;
    out->ints = dlc_arena_alloc(r->g->arena, sizeof(int64_t) * (n + 1));
    if (n)
      memcpy(out->ints, a->ints, sizeof(int64_t) * n);
    return true;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    out->kind = DLC_ATTR_FLOATS;
    out->floats = dlc_arena_alloc(r->g->arena, sizeof(double) * (n + 1));
    for (size_t i = 0; i < n; i++)
      out->floats[i] = a->floats[i];
    return true;
  default:
    out->kind = DLC_ATTR_STRINGS;
    out->strings = dlc_arena_alloc(r->g->arena, sizeof(char *) * (n + 1));
    for (size_t i = 0; i < n; i++)
      if (!copy_string(r, &a->strings[i], &out->strings[i])) {
        dlc_onnx_err(r, where, "attribute '%s' holds a string with a NUL byte",
                     out->name);
        return false;
      }
    return true;
  }
}

static bool convert_attr(dlc_onnx_reader *r, const Onnx__AttributeProto *a,
                         const char *where, dlc_attr *out) {
  memset(out, 0, sizeof *out);
  out->name = dlc_arena_strdup(r->g->arena, a->name);
  const char *an = dlc_onnx_shown(r, a->name);
  if (a->ref_attr_name && a->ref_attr_name[0]) {
    dlc_onnx_err(r, where, "attribute '%s' refers to a function attribute; "
                 "ONNX functions are not supported", an);
    return false;
  }
  switch (a->type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    out->kind = DLC_ATTR_FLOAT;
    out->f = a->f;
    return true;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    out->kind = DLC_ATTR_INT;
    out->i = a->i;
    return true;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    out->kind = DLC_ATTR_STRING;
    if (copy_string(r, &a->s, &out->s))
      return true;
    dlc_onnx_err(r, where, "attribute '%s' holds a string with a NUL byte", an);
    return false;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    out->kind = DLC_ATTR_TENSOR;
    if (a->t)
      return dlc_onnx_load_tensor(
          r, a->t, dlc_arena_printf(r->g->arena, "%s: attribute '%s'", where,
                                    an),
          &out->tensor);
    dlc_onnx_err(r, where, "attribute '%s' has no tensor", an);
    return false;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
    return convert_list(r, a, where, out);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
    dlc_onnx_err(r, where, "attribute '%s' holds a subgraph; control flow is "
                 "not supported", an);
    return false;
  default:
    dlc_onnx_err(r, where, "attribute '%s' has a kind dlc does not support "
                 "(ONNX attribute type %d)", an, (int)a->type);
    return false;
  }
}

bool dlc_onnx_convert_attrs(dlc_onnx_reader *r, const Onnx__NodeProto *np,
                            const char *where, dlc_onnx_node *nb) {
  if (np->n_attribute > MAX_ATTRS) {
    dlc_onnx_err(r, where, "has %zu attributes (at most %d are read)",
                 np->n_attribute, MAX_ATTRS);
    return false;
  }
  nb->attrs = dlc_arena_alloc(r->g->arena, sizeof(dlc_attr) *
                                               (np->n_attribute + EXTRA_ATTRS));
  nb->n_attrs = 0;
  bool ok = true;
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Onnx__AttributeProto *a = np->attribute[i];
    if (!a->name || !a->name[0]) {
      dlc_onnx_err(r, where, "attribute %zu has no name", i);
      ok = false;
    } else if (is_attr_dup(nb, a->name)) {
      dlc_onnx_err(r, where, "attribute '%s' is given twice",
                   dlc_onnx_shown(r, a->name));
      ok = false;
    } else if (convert_attr(r, a, where, &nb->attrs[nb->n_attrs])) {
      nb->n_attrs++;
    } else {
      ok = false;
    }
  }
  return ok;
}

/* ------------------------------------------------------- normalisation */

/* Removes attribute `name` from the node, returning a copy (kind -1 when
 * absent). */
static dlc_attr take_attr(dlc_onnx_node *nb, const char *name) {
  dlc_attr a = {.kind = (dlc_attr_kind)-1};
  for (int i = 0; i < nb->n_attrs; i++)
    if (strcmp(nb->attrs[i].name, name) == 0) {
      a = nb->attrs[i];
      memmove(&nb->attrs[i], &nb->attrs[i + 1],
              sizeof(dlc_attr) * (size_t)(nb->n_attrs - i - 1));
      nb->n_attrs--;
      break;
    }
  return a;
}

/* The older opsets' INTS attribute `name` becomes an int64 initializer at
 * input `slot` ("<node>_<name>"), as opset 13 takes it. */
static bool attr_to_input(dlc_onnx_reader *r, dlc_onnx_node *nb,
                          const char *name, int slot, const char *where) {
  dlc_attr a = take_attr(nb, name);
  if ((int)a.kind == -1)
    return true;
  if (a.kind != DLC_ATTR_INTS) {
    dlc_onnx_err(r, where, "attribute '%s' must be ints, not %s", name,
                 dlc_attr_kind_name(a.kind));
    return false;
  }
  if (slot < nb->n_in && nb->in[slot]) {
    dlc_onnx_err(r, where, "has both attribute '%s' and input %d", name, slot);
    return false;
  }
  DLC_ASSERT(slot < nb->n_in + DLC_ONNX_EXTRA_INPUTS);
  int64_t n = a.n;
  dlc_tensor t = {.dtype = DLC_DT_INT64, .rank = 1, .dims = {n}};
  dlc_value *v = dlc_graph_add_initializer(
      r->g, dlc_onnx_fresh_name(r, nb->name, name), &t, a.ints);
  DLC_ASSERT(v != NULL);
  while (nb->n_in <= slot)
    nb->in[nb->n_in++] = NULL;
  nb->in[slot] = v;
  return true;
}

/* ------------------------------------------- opsets 18 to 21 (and 15) */

/* The data of a value that is constant at load time: an initializer or a
 * Constant node's tensor; NULL otherwise. */
static const dlc_tensor *constant_of(const dlc_value *v) {
  if (!v)
    return NULL;
  if (v->kind == DLC_VALUE_INITIALIZER)
    return &v->type;
  if (v->kind == DLC_VALUE_NODE && v->producer &&
      v->producer->op == DLC_OP_CONSTANT) {
    const dlc_attr *a = dlc_node_find_attr(v->producer, "value");
    if (a && a->kind == DLC_ATTR_TENSOR)
      return &a->tensor;
  }
  return NULL;
}

/* Opset 18 made a Reduce op's `axes` an optional input; dlc's ReduceMean,
 * ReduceMax and ReduceMin keep opset 13's attribute, so a constant axes
 * input becomes the attribute again. */
static bool axes_input_to_attr(dlc_onnx_reader *r, dlc_onnx_node *nb,
                               const char *where) {
  dlc_attr noop = take_attr(nb, "noop_with_empty_axes");
  dlc_value *axes = nb->n_in > 1 ? nb->in[1] : NULL;
  if (!axes) {
    nb->n_in = nb->n_in > 1 ? 1 : nb->n_in;
    if ((int)noop.kind != -1 && noop.i != 0) {
      dlc_onnx_err(r, where, "noop_with_empty_axes=1 without axes (the "
                   "identity) is not supported");
      return false;
    }
    return true; /* no axes: reduce over all of them, as the attribute */
  }
  const dlc_tensor *t = constant_of(axes);
  if (!t || t->dtype != DLC_DT_INT64 || t->rank > 1 || !t->data) {
    dlc_onnx_err(r, where, "input 'axes' must be a constant int64 list");
    return false;
  }
  int n = (int)dlc_tensor_numel(t);
  dlc_attr *a = &nb->attrs[nb->n_attrs++]; /* room: EXTRA_ATTRS */
  *a = (dlc_attr){.name = "axes", .kind = DLC_ATTR_INTS, .n = n,
                  .ints = (int64_t *)t->data};
  nb->n_in = 1;
  return true;
}

/* Opset 18's Split `num_outputs`: the count of outputs, which dlc reads
 * from the node (uneven sizes as opset 18 defines them: docs/onnx.md). */
static bool split_num_outputs(dlc_onnx_reader *r, dlc_onnx_node *nb,
                              const char *where) {
  dlc_attr a = take_attr(nb, "num_outputs");
  if ((int)a.kind == -1)
    return true;
  if (a.kind != DLC_ATTR_INT || a.i != nb->n_out) {
    dlc_onnx_err(r, where, "num_outputs is %lld but the node has %d outputs",
                 (long long)a.i, nb->n_out);
    return false;
  }
  if (nb->n_in > 1 && nb->in[1]) {
    dlc_onnx_err(r, where, "has both num_outputs and a 'split' input");
    return false;
  }
  return true;
}

/* An attribute newer opsets added, accepted when it has the value that
 * means the old behaviour (dropped), refused otherwise. */
static bool drop_default(dlc_onnx_reader *r, dlc_onnx_node *nb,
                         const char *name, int64_t want_i,
                         const char *want_s, const char *where) {
  dlc_attr a = take_attr(nb, name);
  if ((int)a.kind == -1)
    return true;
  bool same = want_s ? a.kind == DLC_ATTR_STRING && !strcmp(a.s, want_s)
                     : a.kind == DLC_ATTR_INT && a.i == want_i;
  if (!same) {
    if (want_s)
      dlc_onnx_err(r, where, "attribute %s other than '%s' is not supported",
                   name, want_s);
    else
      dlc_onnx_err(r, where, "attribute %s other than %lld is not supported",
                   name, (long long)want_i);
  }
  return same;
}

static bool resize_18(dlc_onnx_reader *r, dlc_onnx_node *nb,
                      const char *where) {
  bool ok = drop_default(r, nb, "antialias", 0, NULL, where);
  ok = drop_default(r, nb, "keep_aspect_ratio_policy", 0, "stretch", where) &&
       ok;
  if ((int)take_attr(nb, "axes").kind != -1) {
    dlc_onnx_err(r, where, "attribute axes (resizing some axes only) is not "
                 "supported: give scales or sizes for every axis");
    ok = false;
  }
  return ok;
}

/* ONNX type number of a dlc dtype (the first that maps to it). */
static int64_t onnx_type_of(dlc_dtype t) {
  for (int32_t k = 1; k <= 16; k++) {
    dlc_dtype d;
    if (dlc_onnx_value_dtype(k, &d) && d == t)
      return k;
  }
  return 0;
}

/* CastLike(x, like) is Cast(x, to = like's type) when like's type is known
 * at load time (a constant or a graph input, as exporters write it). */
static bool castlike_to_cast(dlc_onnx_reader *r, dlc_onnx_node *nb,
                             const char *where) {
  take_attr(nb, "saturate");
  const dlc_value *like = nb->n_in > 1 ? nb->in[1] : NULL;
  const dlc_tensor *t = constant_of(like);
  if (!t && like && like->kind == DLC_VALUE_INPUT)
    t = &like->type;
  int64_t to = t ? onnx_type_of(t->dtype) : 0;
  if (!to) {
    dlc_onnx_err(r, where, "CastLike needs a target of known type (a "
                 "constant or a graph input) as its second input");
    return false;
  }
  dlc_attr *a = &nb->attrs[nb->n_attrs++]; /* room: EXTRA_ATTRS */
  *a = (dlc_attr){.name = "to", .kind = DLC_ATTR_INT, .i = to};
  nb->n_in = 1;
  return true;
}

/* Opset 18+ forms of the ops whose signature changed after 13. */
static bool normalize_18(dlc_onnx_reader *r, dlc_onnx_node *nb,
                         const char *where) {
  switch (nb->op) {
  case DLC_OP_REDUCE_MEAN:
  case DLC_OP_REDUCE_MAX:
  case DLC_OP_REDUCE_MIN:
    return axes_input_to_attr(r, nb, where);
  case DLC_OP_SPLIT:
    return split_num_outputs(r, nb, where);
  case DLC_OP_RESIZE:
    return resize_18(r, nb, where);
  case DLC_OP_PAD:
    if (nb->n_in > 3 && nb->in[3]) {
      dlc_onnx_err(r, where, "input 'axes' (padding some axes only) is not "
                   "supported: give pads for every axis");
      return false;
    }
    nb->n_in = nb->n_in > 3 ? 3 : nb->n_in;
    return true;
  default:
    return true;
  }
}

bool dlc_onnx_normalize(dlc_onnx_reader *r, dlc_onnx_node *nb,
                        const char *where) {
  if (nb->op == DLC_OP_CAST && !strcmp(nb->op_type, "CastLike"))
    return castlike_to_cast(r, nb, where);
  if (nb->op == DLC_OP_CAST)
    return drop_default(r, nb, "saturate", 1, NULL, where);
  if (nb->op == DLC_OP_GELU)
    return drop_default(r, nb, "approximate", 0, "none", where);
  if (r->opset >= 18)
    return normalize_18(r, nb, where);
  switch (nb->op) {
  case DLC_OP_SPLIT:
    return r->opset >= 13 || attr_to_input(r, nb, "split", 1, where);
  case DLC_OP_SQUEEZE:
  case DLC_OP_UNSQUEEZE:
  case DLC_OP_REDUCE_SUM:
    return r->opset >= 13 || attr_to_input(r, nb, "axes", 1, where);
  case DLC_OP_DROPOUT:
    if (r->opset < 12)
      take_attr(nb, "ratio");
    return true;
  case DLC_OP_SOFTMAX:
  case DLC_OP_LOG_SOFTMAX:
    if (r->opset < 13 && !is_attr_dup(nb, "axis")) {
      dlc_attr *a = &nb->attrs[nb->n_attrs++]; /* room: EXTRA_ATTRS */
      *a = (dlc_attr){.name = "axis", .kind = DLC_ATTR_INT, .i = 1};
    }
    return true;
  default:
    return true;
  }
}

/* ------------------------------------------------- legacy Softmax axis */

static dlc_value *new_value(dlc_onnx_reader *r, const char *base,
                            const char *suffix) {
  dlc_value *v = dlc_graph_add_value(
      r->g, dlc_onnx_fresh_name(r, base, suffix), DLC_VALUE_NODE);
  DLC_ASSERT(v != NULL);
  return v;
}

/* x -> Softmax(axis a) -> y becomes
 * x -> Flatten(a) -> Softmax(axis -1) -> Reshape(., Shape(x)) -> y,
 * which is what the opset < 13 operator computes. */
static void rewrite_softmax(dlc_onnx_reader *r, dlc_node *n, int64_t axis) {
  dlc_graph *g = r->g;
  dlc_value *x = n->inputs[0], *y = n->outputs[0];
  dlc_value *flat = new_value(r, n->name, "flat");
  dlc_value *shape = new_value(r, n->name, "shape");
  dlc_value *soft = new_value(r, n->name, "2d");
  dlc_node *f = dlc_graph_add_node(
      g, dlc_arena_printf(g->arena, "%s_flatten", n->name), DLC_OP_FLATTEN, 1,
      &x, 1, &flat);
  dlc_node_set_int(g, f, "axis", axis);
  dlc_graph_add_node(g, dlc_arena_printf(g->arena, "%s_shape", n->name),
                     DLC_OP_SHAPE, 1, &x, 1, &shape);
  /* Softmax now reads `flat` and writes `soft`; y moves to the Reshape. */
  n->inputs[0] = flat;
  n->outputs[0] = soft;
  soft->producer = n;
  soft->producer_slot = 0;
  y->producer = NULL;
  dlc_node_set_int(g, n, "axis", -1);
  dlc_value *rin[2] = {soft, shape};
  dlc_graph_add_node(g, dlc_arena_printf(g->arena, "%s_reshape", n->name),
                     DLC_OP_RESHAPE, 2, rin, 1, &y);
}

bool dlc_onnx_fix_legacy_softmax(dlc_onnx_reader *r, bool *changed) {
  *changed = false;
  for (size_t i = 0; i < r->legacy_softmax.n; i++) {
    dlc_node *n = r->legacy_softmax.items[i];
    int rank = n->inputs[0]->type.rank;
    int64_t axis = dlc_node_get_int(n, "axis");
    if (axis < -rank || axis >= rank) {
      dlc_onnx_err(r, dlc_arena_printf(r->g->arena, "node '%s' (%s)", n->name,
                                       dlc_op_name(n->op)),
                   "axis %lld is out of range for rank %d", (long long)axis,
                   rank);
      return false;
    }
    if (axis < 0)
      axis += rank;
    if (axis == rank - 1)
      continue; /* the same as opset 13's */
    rewrite_softmax(r, n, axis);
    *changed = true;
  }
  return true;
}
