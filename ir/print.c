/* print.c — the readable text form of a graph (`dlc show`, --dump-ir):
 *
 *   graph "name"
 *     input  %x : float32 [N=1, 3, 8, 8]
 *     const  %w : float32 [16, 3, 3, 3]  (432 elements)
 *     %y : float32 [1, 16, 8, 8] = Conv(%x, %w) {pads=[1, 1, 1, 1]}  # conv1
 *     output %y
 */
#include <inttypes.h>
#include <stdlib.h>

#include "ir.h"

static void print_type(const dlc_value *v, FILE *out) {
  const dlc_tensor *t = &v->type;
  if (t->dtype == DLC_DT_UNDEFINED) {
    fprintf(out, "?");
    return;
  }
  fprintf(out, "%s [", dlc_dtype_name(t->dtype));
  for (int i = 0; i < t->rank; i++) {
    if (i)
      fprintf(out, ", ");
    if (v->kind == DLC_VALUE_INPUT && v->sym[i])
      fprintf(out, "%s=", v->sym[i]);
    fprintf(out, "%" PRId64, t->dims[i]);
  }
  fprintf(out, "]");
}

static void print_list(FILE *out, int n, const int64_t *ints,
                       const double *floats, const char **strings) {
  fprintf(out, "[");
  for (int i = 0; i < n; i++) {
    if (i)
      fprintf(out, ", ");
    if (ints)
      fprintf(out, "%" PRId64, ints[i]);
    else if (floats)
      fprintf(out, "%g", floats[i]);
    else
      fprintf(out, "\"%s\"", strings[i]);
  }
  fprintf(out, "]");
}

static void print_attr(const dlc_attr *a, FILE *out) {
  fprintf(out, "%s=", a->name);
  switch (a->kind) {
  case DLC_ATTR_INT: fprintf(out, "%" PRId64, a->i); break;
  case DLC_ATTR_FLOAT: fprintf(out, "%g", a->f); break;
  case DLC_ATTR_STRING: fprintf(out, "\"%s\"", a->s); break;
  case DLC_ATTR_INTS: print_list(out, a->n, a->ints, NULL, NULL); break;
  case DLC_ATTR_FLOATS: print_list(out, a->n, NULL, a->floats, NULL); break;
  case DLC_ATTR_STRINGS: print_list(out, a->n, NULL, NULL, a->strings); break;
  case DLC_ATTR_TENSOR: {
    char buf[128];
    fprintf(out, "tensor<%s %s>", dlc_dtype_name(a->tensor.dtype),
            dlc_shape_str(&a->tensor, buf, sizeof buf));
    break;
  }
  }
}

static void print_activation(const dlc_activation *a, const dlc_node *n,
                             FILE *out) {
  fprintf(out, "%s", dlc_act_name(a->kind));
  if (a->kind == DLC_ACT_CLIP || a->kind == DLC_ACT_HARD_SIGMOID)
    fprintf(out, "(%g, %g)", a->alpha, a->beta);
  else if (a->kind == DLC_ACT_LEAKY_RELU || a->kind == DLC_ACT_ELU)
    fprintf(out, "(%g)", a->alpha);
  else if (a->kind == DLC_ACT_PRELU && a->slope_input >= 0 &&
           a->slope_input < n->n_inputs && n->inputs[a->slope_input])
    fprintf(out, "(%%%s)", n->inputs[a->slope_input]->name);
}

/* " -> [act1] [+ %residual] [act2] fused=[BatchNormalization, Relu]" */
static void print_epilogue(const dlc_node *n, FILE *out) {
  const dlc_epilogue *e = n->epilogue;
  if (!e)
    return;
  fprintf(out, " epilogue{");
  bool any = false;
  if (e->act1.kind != DLC_ACT_NONE) {
    print_activation(&e->act1, n, out);
    any = true;
  }
  if (e->residual_input >= 0 && e->residual_input < n->n_inputs &&
      n->inputs[e->residual_input]) {
    fprintf(out, "%s+ %%%s", any ? " " : "", n->inputs[e->residual_input]->name);
    any = true;
  }
  if (e->act2.kind != DLC_ACT_NONE) {
    fprintf(out, "%s", any ? " " : "");
    print_activation(&e->act2, n, out);
    any = true;
  }
  fprintf(out, "%sfused=[", any ? "; " : "");
  for (int i = 0; i < e->n_fused && i < 8; i++)
    fprintf(out, "%s%s", i ? ", " : "", e->fused[i]);
  fprintf(out, "]}");
}

static void print_node(const dlc_node *n, FILE *out) {
  fprintf(out, "  ");
  for (int i = 0; i < n->n_outputs; i++) {
    if (i)
      fprintf(out, ", ");
    if (!n->outputs[i]) {
      fprintf(out, "_");
      continue;
    }
    fprintf(out, "%%%s : ", n->outputs[i]->name);
    print_type(n->outputs[i], out);
  }
  fprintf(out, " = %s%s%s(", n->domain && n->domain[0] ? n->domain : "",
          n->domain && n->domain[0] ? "." : "", dlc_op_name(n->op));
  for (int i = 0; i < n->n_inputs; i++)
    fprintf(out, "%s%s%s", i ? ", " : "", n->inputs[i] ? "%" : "_",
            n->inputs[i] ? n->inputs[i]->name : "");
  fprintf(out, ")");
  if (n->n_attrs) {
    fprintf(out, " {");
    for (int i = 0; i < n->n_attrs; i++) {
      if (i)
        fprintf(out, ", ");
      print_attr(&n->attrs[i], out);
    }
    fprintf(out, "}");
  }
  print_epilogue(n, out);
  if (n->elided)
    fprintf(out, " elided");
  if (n->outputs[0] && n->outputs[0]->arena_offset >= 0 &&
      n->outputs[0]->kind == DLC_VALUE_NODE && n->outputs[0]->producer == n)
    fprintf(out, " @%" PRId64, n->outputs[0]->arena_offset);
  fprintf(out, "  # %s\n", n->name);
}

/* used[id]: v is a graph output or a live node reads it (one pass over the
 * graph instead of one per initializer). Free: free(). */
static bool *used_values(const dlc_graph *g) {
  bool *used = calloc(g->values.n + 1, sizeof *used);
  DLC_ASSERT(used != NULL);
  for (size_t i = 0; i < g->values.n; i++)
    used[i] = g->values.items[i]->is_output;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    for (int k = 0; !n->dead && k < n->n_inputs; k++)
      if (n->inputs[k])
        used[n->inputs[k]->id] = true;
  }
  return used;
}

void dlc_graph_print(const dlc_graph *g, FILE *out) {
  fprintf(out, "graph \"%s\"\n", g->name ? g->name : "");
  for (size_t i = 0; i < g->inputs.n; i++) {
    fprintf(out, "  input  %%%s : ", g->inputs.items[i]->name);
    print_type(g->inputs.items[i], out);
    fprintf(out, "\n");
  }
  /* Constants the passes left without a reader (a BatchNormalization's
   * scale after folding) are not part of the graph that is compiled. */
  bool *used = used_values(g);
  for (size_t i = 0; i < g->initializers.n; i++) {
    const dlc_value *v = g->initializers.items[i];
    if (!used[v->id])
      continue;
    fprintf(out, "  const  %%%s : ", v->name);
    print_type(v, out);
    fprintf(out, "  (%" PRId64 " elements)\n", dlc_tensor_numel(&v->type));
  }
  free(used);
  for (size_t i = 0; i < g->nodes.n; i++)
    if (!g->nodes.items[i]->dead)
      print_node(g->nodes.items[i], out);
  for (size_t i = 0; i < g->outputs.n; i++)
    fprintf(out, "  output %%%s\n", g->outputs.items[i]->name);
}
