/* print_dot.c — the graph as Graphviz dot, for `dlc show --format dot`
 * (render with `dot -Tsvg`). Data flows top to bottom: graph inputs and
 * outputs are ellipses, every live node a box labelled with its name, op,
 * first output shape and the ops fused into it; edges carry the tensor's
 * shape and byte size, so the heavy activations stand out. Constants are
 * not drawn: they are the node's parameters, counted in its label. */
#include <inttypes.h>
#include <string.h>

#include "ir.h"

/* s inside a double-quoted dot string: quotes and backslashes escaped. */
static void put_escaped(const char *s, FILE *out) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', out);
    fputc(*s, out);
  }
}

/* "1x64x56x56 f32, 784 KiB" */
static void put_tensor(const dlc_value *v, FILE *out) {
  for (int k = 0; k < v->type.rank; k++)
    fprintf(out, "%s%" PRId64, k ? "x" : "", v->type.dims[k]);
  if (v->type.rank == 0)
    fputs("scalar", out);
  int64_t bytes = (int64_t)dlc_tensor_nbytes(&v->type);
  if (bytes >= 1 << 20)
    fprintf(out, " %s, %.1f MiB", dlc_dtype_name(v->type.dtype),
            (double)bytes / (1 << 20));
  else if (bytes >= 1 << 10)
    fprintf(out, " %s, %.1f KiB", dlc_dtype_name(v->type.dtype),
            (double)bytes / (1 << 10));
  else
    fprintf(out, " %s, %" PRId64 " B", dlc_dtype_name(v->type.dtype), bytes);
}

static void put_node(const dlc_node *n, FILE *out, dlc_dot_note_fn note,
                     void *ctx) {
  fprintf(out, "  n%d [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", "
          "label=\"", n->id, n->epilogue ? "#dbe8f7" : "#f2f2f2");
  put_escaped(n->name, out);
  fprintf(out, "\\n%s", dlc_op_name(n->op));
  if (n->epilogue && n->epilogue->n_fused) {
    fputs(" + ", out);
    for (int i = 0; i < n->epilogue->n_fused && i < 8; i++)
      fprintf(out, "%s%s", i ? ", " : "", n->epilogue->fused[i]);
  }
  int64_t params = dlc_node_param_count(n);
  if (params)
    fprintf(out, "\\n%" PRId64 " params", params);
  char buf[256];
  const char *extra = note ? note(n, ctx, buf, sizeof buf) : NULL;
  if (extra && *extra) {
    fputs("\\n", out);
    put_escaped(extra, out);
  }
  fputs("\"];\n", out);
}

/* The dot id of whatever produces v: a node, or the graph input. */
static void put_source(const dlc_value *v, FILE *out) {
  if (v->kind == DLC_VALUE_NODE)
    fprintf(out, "n%d", v->producer->id);
  else
    fprintf(out, "v%d", v->id);
}

static void put_edges(const dlc_node *n, FILE *out) {
  for (int k = 0; k < n->n_inputs; k++) {
    const dlc_value *v = n->inputs[k];
    if (!v || v->kind == DLC_VALUE_INITIALIZER)
      continue;
    fputs("  ", out);
    put_source(v, out);
    fprintf(out, " -> n%d [label=\"", n->id);
    put_tensor(v, out);
    fputs("\"];\n", out);
  }
}

void dlc_graph_print_dot(const dlc_graph *g, FILE *out) {
  dlc_graph_print_dot_noted(g, out, NULL, NULL);
}

void dlc_graph_print_dot_noted(const dlc_graph *g, FILE *out,
                               dlc_dot_note_fn note, void *ctx) {
  fputs("digraph \"", out);
  put_escaped(g->name ? g->name : "model", out);
  fputs("\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=8];\n", out);
  for (size_t i = 0; i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    fprintf(out, "  v%d [shape=ellipse, label=\"", v->id);
    put_escaped(v->name, out);
    fputs("\"];\n", out);
  }
  for (size_t i = 0; i < g->nodes.n; i++)
    if (!g->nodes.items[i]->dead)
      put_node(g->nodes.items[i], out, note, ctx);
  for (size_t i = 0; i < g->nodes.n; i++)
    if (!g->nodes.items[i]->dead)
      put_edges(g->nodes.items[i], out);
  for (size_t i = 0; i < g->outputs.n; i++) {
    const dlc_value *v = g->outputs.items[i];
    fprintf(out, "  out%zu [shape=ellipse, label=\"", i);
    put_escaped(v->name, out);
    fputs("\"];\n  ", out);
    put_source(v, out);
    fprintf(out, " -> out%zu [label=\"", i);
    put_tensor(v, out);
    fputs("\"];\n", out);
  }
  fputs("}\n", out);
}
