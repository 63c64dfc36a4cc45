/* onnx_functions.c — ONNX local functions (ModelProto.functions, what
 * torch.onnx exports for modules it keeps whole) inlined at load time: a
 * node whose (domain, op_type) names a function of the model is replaced by
 * the function's body, with the function's formal inputs and outputs bound
 * to the node's actual ones, its internal values renamed under the calling
 * node's name, and attributes that refer to the caller's (ref_attr_name)
 * taken from the call. Bodies may call other functions, up to MAX_DEPTH
 * deep (a cycle is reported, not followed). The result is a graph of
 * ordinary nodes; everything after this step never sees a function. */
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_impl.h"

enum { MAX_DEPTH = 16 };

typedef DLC_VEC(Onnx__NodeProto *) node_list;

static const char *str0(const char *s) { return s ? s : ""; }

static const Onnx__FunctionProto *find_function(const Onnx__ModelProto *m,
                                                const Onnx__NodeProto *np) {
  for (size_t i = 0; i < m->n_functions; i++) {
    const Onnx__FunctionProto *f = m->functions[i];
    if (!strcmp(str0(f->name), str0(np->op_type)) &&
        !strcmp(str0(f->domain), str0(np->domain)))
      return f;
  }
  return NULL;
}

/* One call being expanded: formal -> actual names, and the prefix that
 * makes the body's own values unique. */
typedef struct call_scope {
  const Onnx__FunctionProto *f;
  const Onnx__NodeProto *call;
  const char *prefix;
} call_scope;

static const char *rename_value(dlc_onnx_reader *r, const call_scope *s,
                                const char *name) {
  if (!name || !name[0])
    return "";
  for (size_t i = 0; i < s->f->n_input; i++)
    if (!strcmp(name, str0(s->f->input[i])))
      return i < s->call->n_input ? str0(s->call->input[i]) : "";
  for (size_t i = 0; i < s->f->n_output; i++)
    if (!strcmp(name, str0(s->f->output[i])))
      return i < s->call->n_output ? str0(s->call->output[i]) : "";
  return dlc_arena_printf(r->g->arena, "%s/%s", s->prefix, name);
}

static char **rename_all(dlc_onnx_reader *r, const call_scope *s, char **names,
                         size_t n) {
  char **out = dlc_arena_alloc(r->g->arena, sizeof(char *) * (n + 1));
  for (size_t i = 0; i < n; i++)
    out[i] = (char *)rename_value(r, s, names[i]);
  return out;
}

/* The body node's attributes, with references resolved against the call
 * (a reference the call does not set is dropped: the op's default holds). */
static void bind_attributes(dlc_onnx_reader *r, const call_scope *s,
                            const Onnx__NodeProto *body, Onnx__NodeProto *out) {
  out->attribute = dlc_arena_alloc(
      r->g->arena, sizeof(Onnx__AttributeProto *) * (body->n_attribute + 1));
  out->n_attribute = 0;
  for (size_t i = 0; i < body->n_attribute; i++) {
    Onnx__AttributeProto *a = body->attribute[i];
    if (!a->ref_attr_name || !a->ref_attr_name[0]) {
      out->attribute[out->n_attribute++] = a;
      continue;
    }
    for (size_t k = 0; k < s->call->n_attribute; k++) {
      const Onnx__AttributeProto *given = s->call->attribute[k];
      if (strcmp(str0(given->name), a->ref_attr_name) != 0)
        continue;
      Onnx__AttributeProto *copy = dlc_arena_alloc(r->g->arena, sizeof *copy);
      *copy = *given;
      copy->name = a->name;
      out->attribute[out->n_attribute++] = copy;
    }
  }
}

static bool expand(dlc_onnx_reader *r, const Onnx__ModelProto *m,
                   Onnx__NodeProto *np, int depth, node_list *out);

/* Appends the body of f, called by `call`, to out. */
static bool expand_call(dlc_onnx_reader *r, const Onnx__ModelProto *m,
                        const Onnx__FunctionProto *f,
                        const Onnx__NodeProto *call, const char *call_name,
                        int depth, node_list *out) {
  if (depth >= MAX_DEPTH) {
    dlc_onnx_err(r, dlc_arena_printf(r->g->arena, "node '%s'",
                                     dlc_onnx_shown(r, call_name)),
                 "local function '%s' calls itself or nests more than %d "
                 "deep", dlc_onnx_shown(r, str0(f->name)), MAX_DEPTH);
    return false;
  }
  call_scope s = {f, call, call_name};
  bool ok = true;
  for (size_t i = 0; i < f->n_node; i++) {
    const Onnx__NodeProto *body = f->node[i];
    Onnx__NodeProto *n = dlc_arena_alloc(r->g->arena, sizeof *n);
    *n = *body;
    const char *own = body->name && body->name[0]
                          ? body->name
                          : dlc_arena_printf(r->g->arena, "%zu", i);
    n->name = dlc_arena_printf(r->g->arena, "%s/%s", call_name, own);
    n->input = rename_all(r, &s, body->input, body->n_input);
    n->output = rename_all(r, &s, body->output, body->n_output);
    bind_attributes(r, &s, body, n);
    ok = expand(r, m, n, depth + 1, out) && ok;
  }
  return ok;
}

/* np itself, or the expansion of the function it calls. */
static bool expand(dlc_onnx_reader *r, const Onnx__ModelProto *m,
                   Onnx__NodeProto *np, int depth, node_list *out) {
  const Onnx__FunctionProto *f = find_function(m, np);
  if (!f) {
    dlc_vec_push(out, np);
    return true;
  }
  const char *name = np->name && np->name[0]
                         ? np->name
                         : dlc_onnx_fresh_name(r, str0(np->op_type), "call");
  return expand_call(r, m, f, np, name, depth, out);
}

bool dlc_onnx_inline_functions(dlc_onnx_reader *r, const Onnx__ModelProto *m,
                               Onnx__GraphProto *gp) {
  if (m->n_functions == 0)
    return true;
  node_list nodes = {0};
  bool ok = true;
  for (size_t i = 0; i < gp->n_node; i++)
    ok = expand(r, m, gp->node[i], 0, &nodes) && ok;
  Onnx__NodeProto **arr =
      dlc_arena_alloc(r->g->arena, sizeof *arr * (nodes.n + 1));
  if (nodes.n)
    memcpy(arr, nodes.items, sizeof *arr * nodes.n);
  gp->node = arr;
  gp->n_node = nodes.n;
  dlc_vec_free(&nodes);
  return ok;
}
