/* cli_shapes.c — `--input-shape NAME=D0,D1,...` and `--dim SYMBOL=VALUE`,
 * shared by dlc (compile), run, bench, stats and show: parsing, and binding
 * them into a loaded graph. A bound dim becomes a fixed one (its symbol is
 * dropped), so later re-inference by the passes keeps it. A symbolic dim
 * that is not the leading (batch) dim of its input and that nothing binds is
 * an error naming the symbol and the options to use: dlc never silently
 * makes it 1. The leading symbolic dim stays symbolic unless bound (the
 * compiled PREFIX_run_batch takes it as n). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void dlc_cli_shapes_free(dlc_cli_shapes *s) {
  dlc_vec_free(&s->inputs);
  dlc_vec_free(&s->dims);
  memset(s, 0, sizeof *s);
}

/* "1,3,224,224" -> dims; false on anything but positive integers. */
static bool parse_dims(const char *text, dlc_cli_input_shape *out) {
  out->rank = 0;
  const char *p = text;
  for (;;) {
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (end == p || v < 1 || out->rank == DLC_MAX_RANK)
      return false;
    out->dims[out->rank++] = (int64_t)v;
    if (*end == '\0')
      return true;
    if (*end != ',' && *end != 'x')
      return false;
    p = end + 1;
  }
}

/* NAME=VALUE split at the last '=' (input names may hold '='); the name is
 * copied into buf. NULL when there is no '=' or nothing before it. */
static const char *split_binding(const char *arg, char *buf, size_t size) {
  const char *eq = strrchr(arg, '=');
  if (!eq || eq == arg || (size_t)(eq - arg) >= size)
    return NULL;
  memcpy(buf, arg, (size_t)(eq - arg));
  buf[eq - arg] = '\0';
  return eq + 1;
}

static int parse_input_shape(const char *v, dlc_cli_shapes *s) {
  dlc_cli_input_shape in = {0};
  const char *dims = split_binding(v, in.name, sizeof in.name);
  if (!dims || !parse_dims(dims, &in)) {
    dlc_cli_usage_error("--input-shape needs NAME=D0,D1,... with positive "
                        "dims (e.g. x=1,3,224,224), not '%s'", v);
    return -1;
  }
  dlc_vec_push(&s->inputs, in);
  return 1;
}

static int parse_dim(const char *v, dlc_cli_shapes *s) {
  dlc_cli_dim d = {0};
  const char *value = split_binding(v, d.symbol, sizeof d.symbol);
  char *end = NULL;
  long long x = value ? strtoll(value, &end, 10) : 0;
  if (!value || !*value || *end || x < 1) {
    dlc_cli_usage_error("--dim needs SYMBOL=VALUE with a positive VALUE "
                        "(e.g. seq=128), not '%s'", v);
    return -1;
  }
  d.value = (int64_t)x;
  dlc_vec_push(&s->dims, d);
  return 1;
}

int dlc_cli_shapes_arg(int argc, char **argv, int *i, dlc_cli_shapes *s) {
  const char *v;
  int m = dlc_cli_option(argc, argv, i, "--input-shape", &v);
  if (m == 1)
    return parse_input_shape(v, s);
  if (m == 0 && (m = dlc_cli_option(argc, argv, i, "--dim", &v)) == 1)
    return parse_dim(v, s);
  return m;
}

/* ------------------------------------------------------------- binding */

static dlc_value *find_input(const dlc_graph *g, const char *name) {
  for (size_t i = 0; i < g->inputs.n; i++)
    if (!strcmp(g->inputs.items[i]->name, name))
      return g->inputs.items[i];
  return NULL;
}

/* The declared shape, symbols by name: "[N, 3, H, W]". */
static const char *declared(const dlc_value *v, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int k = 0; k < v->type.rank && n < size; k++) {
    const char *sep = k ? ", " : "";
    n += v->sym[k] ? (size_t)snprintf(buf + n, size - n, "%s%s", sep, v->sym[k])
                   : (size_t)snprintf(buf + n, size - n, "%s%lld", sep,
                                      (long long)v->type.dims[k]);
  }
  if (n < size)
    snprintf(buf + n, size - n, "]");
  return buf;
}

static void fix_dim(dlc_value *v, int k, int64_t value) {
  v->type.dims[k] = value;
  v->sym[k] = NULL;
}

/* --input-shape: the input exists, the rank agrees, fixed dims agree. */
static bool bind_input_shape(dlc_graph *g, const dlc_cli_input_shape *in,
                             dlc_diag *d) {
  char where[300], buf[256];
  snprintf(where, sizeof where, "--input-shape %s", in->name);
  dlc_value *v = find_input(g, in->name);
  if (!v) {
    dlc_diag_error(d, where, "the model has no input '%s'", in->name);
    return false;
  }
  bool ok = in->rank == v->type.rank;
  for (int k = 0; ok && k < in->rank; k++)
    ok = v->sym[k] || v->type.dims[k] == in->dims[k];
  if (!ok) {
    dlc_diag_error(d, where, "does not fit the declared shape %s",
                   declared(v, buf, sizeof buf));
    return false;
  }
  for (int k = 0; k < in->rank; k++)
    if (v->sym[k])
      fix_dim(v, k, in->dims[k]);
  return true;
}

/* --dim: every input dim named SYMBOL becomes VALUE. */
static bool bind_symbol(dlc_graph *g, const dlc_cli_dim *b, dlc_diag *d) {
  bool found = false;
  for (size_t i = 0; i < g->inputs.n; i++) {
    dlc_value *v = g->inputs.items[i];
    for (int k = 0; k < v->type.rank; k++)
      if (v->sym[k] && !strcmp(v->sym[k], b->symbol)) {
        fix_dim(v, k, b->value);
        found = true;
      }
  }
  if (!found) {
    char where[300];
    snprintf(where, sizeof where, "--dim %s", b->symbol);
    dlc_diag_error(d, where, "no input has a symbolic dimension '%s' (still "
                   "symbolic or already bound)", b->symbol);
  }
  return found;
}

/* Every non-leading symbolic dim left: one error per symbol and input. */
static bool check_bound(const dlc_graph *g, dlc_diag *d) {
  bool ok = true;
  for (size_t i = 0; i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    for (int k = 1; k < v->type.rank; k++) {
      if (!v->sym[k])
        continue;
      char where[300], buf[256];
      snprintf(where, sizeof where, "input '%s'", v->name);
      dlc_diag_error(d, where, "dimension %d of %s is the symbol '%s', which "
                     "is not bound: give its size with --dim %s=VALUE or "
                     "--input-shape %s=...", k, declared(v, buf, sizeof buf),
                     v->sym[k], v->sym[k], v->name);
      ok = false;
    }
  }
  return ok;
}

dlc_status dlc_cli_shapes_apply(dlc_graph *g, const dlc_cli_shapes *s,
                                bool require_bound, dlc_diag *d) {
  bool ok = true;
  for (size_t i = 0; i < s->inputs.n; i++)
    ok = bind_input_shape(g, &s->inputs.items[i], d) && ok;
  for (size_t i = 0; i < s->dims.n; i++)
    ok = bind_symbol(g, &s->dims.items[i], d) && ok;
  if (ok && require_bound)
    ok = check_bound(g, d);
  if (!ok)
    return DLC_ERR_INVALID;
  if (s->inputs.n == 0 && s->dims.n == 0)
    return DLC_OK; /* the loader inferred these shapes already */
  return dlc_graph_infer_shapes(g, NULL, 0, d);
}

dlc_graph *dlc_cli_load_shaped(const char *path, const dlc_cli_shapes *s,
                               bool require_bound) {
  dlc_graph *g = dlc_cli_load_model(path);
  if (!g)
    return NULL;
  dlc_diag d;
  dlc_diag_init(&d, path);
  if (dlc_cli_shapes_apply(g, s, require_bound, &d) != DLC_OK) {
    dlc_diag_print(&d, stderr);
    dlc_graph_destroy(g);
    g = NULL;
  }
  dlc_diag_free(&d);
  return g;
}

static bool has_symbol(const dlc_cli_shapes *s, const char *symbol) {
  for (size_t i = 0; i < s->dims.n; i++)
    if (!strcmp(s->dims.items[i].symbol, symbol))
      return true;
  return false;
}

void dlc_cli_shapes_from_inputs(const dlc_graph *g, const dlc_tensor *inputs,
                                dlc_cli_shapes *s) {
  for (size_t i = 0; i < g->inputs.n; i++) {
    const dlc_value *v = g->inputs.items[i];
    for (int k = 1; k < v->type.rank; k++) {
      if (!v->sym[k] || has_symbol(s, v->sym[k]))
        continue;
      dlc_cli_dim b = {.value = inputs[i].dims[k]};
      snprintf(b.symbol, sizeof b.symbol, "%s", v->sym[k]);
      dlc_vec_push(&s->dims, b);
    }
  }
}
