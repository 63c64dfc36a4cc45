/* helpers.c — shared test utilities: one-node graphs run through the
 * operator table, tolerant float comparison, file reading. */
#include "helpers.h"

#include "frontend/frontend.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

dlc_tensor th_f32(const float *data, int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_FLOAT32, rank, dims);
  t.data = (void *)data;
  return t;
}

dlc_tensor th_i64(const int64_t *data, int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_INT64, rank, dims);
  t.data = (void *)data;
  return t;
}

void th_begin(th_node *t, dlc_op op) {
  memset(t, 0, sizeof *t);
  t->g = dlc_graph_create();
  dlc_diag_init(&t->diag, "test");
  t->node = NULL;
  t->n_outs = (int)op; /* remembered until th_finish */
}

static void add_in(th_node *t, dlc_value *v, const dlc_tensor *run) {
  cr_assert(t->n_ins < 16);
  t->run_in[t->n_ins] = run;
  t->ins[t->n_ins++] = v;
}

void th_input(th_node *t, const dlc_tensor *v) {
  char name[32];
  snprintf(name, sizeof name, "in%d", t->n_ins);
  add_in(t, dlc_graph_add_input(t->g, name, v), v);
}

void th_const(th_node *t, const dlc_tensor *v) {
  char name[32];
  snprintf(name, sizeof name, "in%d", t->n_ins);
  dlc_value *c = dlc_graph_add_initializer(t->g, name, v, v->data);
  add_in(t, c, &c->type);
}

void th_omit(th_node *t) { add_in(t, NULL, NULL); }

void th_finish(th_node *t, int n_outputs) {
  dlc_op op = (dlc_op)t->n_outs;
  dlc_value *outs[16];
  cr_assert(n_outputs <= 16);
  for (int i = 0; i < n_outputs; i++) {
    char name[32];
    snprintf(name, sizeof name, "out%d", i);
    outs[i] = dlc_graph_add_value(t->g, name, DLC_VALUE_NODE);
  }
  t->node = dlc_graph_add_node(t->g, "n0", op, t->n_ins, t->ins, n_outputs,
                               outs);
  t->n_outs = n_outputs;
}

static bool infer_with(th_node *t, const dlc_tensor **in) {
  dlc_op_ctx c;
  memset(&c, 0, sizeof c);
  c.node = t->node;
  c.n_inputs = t->n_ins;
  c.in = in;
  c.n_outputs = t->n_outs;
  c.out = t->out;
  c.diag = &t->diag;
  for (int i = 0; i < t->n_outs; i++)
    t->out[i] = (dlc_tensor){0};
  bool ok = dlc_op_get_info(t->node->op)->infer(&c);
  return ok && c.errors == 0;
}

bool th_infer(th_node *t) {
  const dlc_tensor *in[16];
  for (int i = 0; i < t->n_ins; i++)
    in[i] = t->ins[i] ? &t->ins[i]->type : NULL;
  return infer_with(t, in);
}

bool th_run(th_node *t) {
  /* Shape inference sees constants' data (as in the graph); inputs' data is
   * hidden from inference, as it would be for a graph input. */
  const dlc_tensor *in[16];
  for (int i = 0; i < t->n_ins; i++)
    in[i] = t->ins[i] ? &t->ins[i]->type : NULL;
  if (!infer_with(t, in))
    return false;
  for (int i = 0; i < t->n_ins; i++)
    in[i] = t->run_in[i];
  for (int i = 0; i < t->n_outs; i++) {
    size_t bytes = dlc_tensor_nbytes(&t->out[i]);
    t->out[i].data = calloc(1, bytes ? bytes : 1);
  }
  dlc_op_ctx c;
  memset(&c, 0, sizeof c);
  c.node = t->node;
  c.n_inputs = t->n_ins;
  c.in = in;
  c.n_outputs = t->n_outs;
  c.out = t->out;
  c.diag = &t->diag;
  bool ok = dlc_op_get_info(t->node->op)->kernel(&c);
  return ok && c.errors == 0;
}

void th_free(th_node *t) {
  for (int i = 0; i < t->n_outs; i++) {
    free(t->out[i].data);
    t->out[i].data = NULL;
  }
  dlc_diag_free(&t->diag);
  dlc_graph_destroy(t->g);
  t->g = NULL;
}

void th_assert_close(const float *got, const float *want, int64_t n,
                     double atol, double rtol) {
  for (int64_t i = 0; i < n; i++) {
    double diff = fabs((double)got[i] - (double)want[i]);
    bool bad = !(diff <= atol + rtol * fabs((double)want[i]));
    if (bad)
      cr_assert_fail("element %lld: got %.9g, want %.9g (|diff| %.3g > "
                     "atol %.1g + rtol %.1g * |want|)",
                     (long long)i, got[i], want[i], diff, atol, rtol);
  }
}

int th_sh(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

char *th_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  size_t got = fread(buf, 1, (size_t)n, f);
  fclose(f);
  buf[got] = 0;
  if (size)
    *size = got;
  return buf;
}

void guarded_alloc(guarded *g, size_t bytes) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t body = (bytes + page - 1) / page * page;
  g->map_size = body + page;
  g->map = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert(g->map != MAP_FAILED);
  cr_assert_eq(mprotect(g->map + body, page, PROT_NONE), 0);
  g->p = g->map + body - bytes;
}

void guarded_free(guarded *g) { munmap(g->map, g->map_size); }

dlc_status th_compiled_create(const dlc_graph *g, const dlc_codegen_options *o,
                              const char *conv_kind, dlc_compiled **out,
                              dlc_diag *d) {
  dlc_driver_options dopt;
  dlc_driver_options_init(&dopt);
  dopt.run_passes = false;
  dopt.passes.opt_level = o->opt_level;
  dopt.codegen = *o;
  dopt.schedule.conv_kind = conv_kind;
  /* planning writes offsets into the graph, nothing the caller reads */
  return dlc_driver_load((dlc_graph *)g, &dopt, out, d);
}

dlc_schedule *th_plan(dlc_graph *g, bool in_place, dlc_diag *d) {
  dlc_target_desc t;
  if (!dlc_codegen_describe_target(NULL, NULL, NULL, &t, d))
    return NULL;
  dlc_schedule_options so = {.in_place = in_place};
  dlc_schedule *s = NULL;
  if (dlc_schedule_create(g, &t, &so, &s, d) != DLC_OK)
    return NULL;
  if (dlc_schedule_plan_memory(g, s, d) != DLC_OK) {
    dlc_schedule_destroy(s);
    return NULL;
  }
  return s;
}

dlc_graph *th_load(const char *path) {
  dlc_graph *g = NULL;
  dlc_diag d;
  dlc_diag_init(&d, path);
  dlc_status st = dlc_frontend_load(path, &g, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  cr_assert_eq(st, DLC_OK, "cannot load %s", path);
  return g;
}
