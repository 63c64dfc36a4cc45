/* interp.c — the reference interpreter. Runs the sorted graph node by node:
 * each node's output types are inferred again from the actual input tensors
 * (so symbolic batch sizes and data-dependent shapes just work), outputs are
 * allocated, and the table's reference kernel (or, with the blas engine, an
 * OpenBLAS kernel for Conv/Gemm/MatMul) fills them. Intermediate tensors are
 * freed as soon as their last consumer has run. */
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "interp_impl.h"

bool dlc_engine_from_name(const char *name, dlc_engine *out) {
  if (strcmp(name, "interp") == 0)
    *out = DLC_ENGINE_INTERP;
  else if (strcmp(name, "blas") == 0)
    *out = DLC_ENGINE_BLAS;
  else
    return false;
  return true;
}

void dlc_interp_free_tensors(dlc_tensor *t, int n) {
  for (int i = 0; i < n; i++) {
    free(t[i].data);
    t[i].data = NULL;
  }
}

static dlc_status run_node(const dlc_node *n, dlc_engine engine,
                           const dlc_tensor *const *in, dlc_tensor *out,
                           dlc_diag *d) {
  dlc_op_ctx c;
  memset(&c, 0, sizeof c);
  c.node = n;
  c.n_inputs = dlc_node_op_inputs(n);
  c.in = in;
  c.n_outputs = n->n_outputs;
  c.out = out;
  c.diag = d;
  for (int i = 0; i < n->n_outputs; i++)
    out[i] = (dlc_tensor){0};
  const dlc_op_info *info = dlc_op_get_info(n->op);
  if (!info->infer(&c) || c.errors)
    return DLC_ERR_INVALID;
  for (int i = 0; i < n->n_outputs; i++) {
    if (dlc_tensor_numel(&out[i]) < 0)
      return dlc_op_error(&c, "output %d size overflows", i), DLC_ERR_INVALID;
    size_t bytes = dlc_tensor_nbytes(&out[i]);
    out[i].data = calloc(1, bytes ? bytes : 1);
    if (!out[i].data) {
      dlc_op_error(&c, "out of memory allocating %zu bytes", bytes);
      dlc_interp_free_tensors(out, i);
      return DLC_ERR_NOMEM;
    }
  }
  bool ok;
  if (engine == DLC_ENGINE_BLAS && dlc_blas_handles(&c))
    ok = dlc_blas_run(&c);
  else
    ok = info->kernel(&c);
  if (!ok || c.errors) {
    if (!c.errors)
      dlc_op_error(&c, "kernel failed");
    dlc_interp_free_tensors(out, n->n_outputs);
    return DLC_ERR_INVALID;
  }
  dlc_epilogue_apply(n, in, &out[0]);
  return DLC_OK;
}

dlc_status dlc_interp_eval_node(const dlc_node *n, const dlc_tensor *const *in,
                                dlc_tensor *out, dlc_diag *d) {
  return run_node(n, DLC_ENGINE_INTERP, in, out, d);
}

/* Checks the caller's inputs against the declared types; symbolic dims must
 * agree across inputs. */
static bool check_inputs(const dlc_graph *g, const dlc_tensor *inputs,
                         int n_inputs, dlc_diag *d) {
  if ((size_t)n_inputs != g->inputs.n) {
    dlc_diag_error(d, "", "the model takes %zu inputs, %d given", g->inputs.n,
                   n_inputs);
    return false;
  }
  bool ok = true;
  for (int i = 0; i < n_inputs; i++) {
    const dlc_value *v = g->inputs.items[i];
    const dlc_tensor *t = &inputs[i];
    char where[300], want[160], got[160];
    snprintf(where, sizeof where, "input '%s'", v->name);
    bool same = t->rank == v->type.rank && t->dtype == v->type.dtype;
    for (int k = 0; same && k < t->rank; k++)
      same = v->sym[k] ? t->dims[k] > 0 : t->dims[k] == v->type.dims[k];
    for (int j = 0; same && j < i; j++) /* one size per symbol */
      for (int k = 0; k < t->rank; k++)
        for (int m = 0; m < inputs[j].rank; m++) {
          const dlc_value *u = g->inputs.items[j];
          if (v->sym[k] && u->sym[m] && strcmp(v->sym[k], u->sym[m]) == 0 &&
              t->dims[k] != inputs[j].dims[m])
            same = false;
        }
    if (!same) {
      dlc_diag_error(d, where, "expected %s %s, got %s %s",
                     dlc_dtype_name(v->type.dtype),
                     dlc_shape_str(&v->type, want, sizeof want),
                     dlc_dtype_name(t->dtype),
                     dlc_shape_str(t, got, sizeof got));
      ok = false;
    }
    if (!t->data) {
      dlc_diag_error(d, where, "no data");
      ok = false;
    }
  }
  return ok;
}

/* Run-time state: one tensor per value, and how many consumers remain. */
typedef struct run_state {
  dlc_tensor *vals;
  int *uses;
  bool *owned;
  size_t n;
} run_state;

static void state_init(run_state *s, const dlc_graph *g,
                       const dlc_tensor *inputs) {
  s->n = g->values.n;
  s->vals = calloc(s->n + 1, sizeof *s->vals);
  s->uses = calloc(s->n + 1, sizeof *s->uses);
  s->owned = calloc(s->n + 1, sizeof *s->owned);
  DLC_ASSERT(s->vals && s->uses && s->owned);
  for (size_t i = 0; i < g->initializers.n; i++) {
    const dlc_value *v = g->initializers.items[i];
    s->vals[v->id] = v->type;
  }
  for (size_t i = 0; i < g->inputs.n; i++)
    s->vals[g->inputs.items[i]->id] = inputs[i];
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k])
        s->uses[n->inputs[k]->id]++;
  }
  for (size_t i = 0; i < g->outputs.n; i++)
    s->uses[g->outputs.items[i]->id]++; /* never freed before the end */
}

static void state_release(run_state *s, int id) {
  if (--s->uses[id] == 0 && s->owned[id]) {
    free(s->vals[id].data);
    s->vals[id].data = NULL;
    s->owned[id] = false;
  }
}

static void state_free(run_state *s) {
  for (size_t i = 0; i < s->n; i++)
    if (s->owned[i])
      free(s->vals[i].data);
  free(s->vals);
  free(s->uses);
  free(s->owned);
}

static dlc_status run_nodes(const dlc_graph *g, dlc_engine engine,
                            run_state *s, dlc_diag *d) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    const dlc_tensor *in[n->n_inputs + 1];
    dlc_tensor out[n->n_outputs + 1];
    for (int k = 0; k < n->n_inputs; k++)
      in[k] = n->inputs[k] ? &s->vals[n->inputs[k]->id] : NULL;
    dlc_status st = run_node(n, engine, in, out, d);
    if (st != DLC_OK)
      return st;
    for (int k = 0; k < n->n_outputs; k++) {
      if (!n->outputs[k]) {
        free(out[k].data);
        continue;
      }
      int id = n->outputs[k]->id;
      s->vals[id] = out[k];
      s->owned[id] = true;
      if (s->uses[id] == 0) { /* nobody reads it: drop it now */
        free(s->vals[id].data);
        s->vals[id].data = NULL;
        s->owned[id] = false;
      }
    }
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k])
        state_release(s, n->inputs[k]->id);
  }
  return DLC_OK;
}

dlc_status dlc_interp_run(const dlc_graph *g, dlc_engine engine,
                          const dlc_tensor *inputs, int n_inputs,
                          dlc_tensor *outputs, dlc_diag *d) {
  if (!check_inputs(g, inputs, n_inputs, d))
    return DLC_ERR_INVALID;
  run_state s;
  state_init(&s, g, inputs);
  dlc_status st = run_nodes(g, engine, &s, d);
  for (size_t i = 0; i < g->outputs.n; i++) {
    outputs[i] = (dlc_tensor){0};
    if (st != DLC_OK)
      continue;
    const dlc_tensor *t = &s.vals[g->outputs.items[i]->id];
    outputs[i] = *t;
    size_t bytes = dlc_tensor_nbytes(t);
    outputs[i].data = malloc(bytes ? bytes : 1);
    DLC_ASSERT(outputs[i].data != NULL);
    if (bytes)
      memcpy(outputs[i].data, t->data, bytes);
  }
  state_free(&s);
  return st;
}
