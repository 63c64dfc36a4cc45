/* helpers.h — small utilities shared by the Criterion tests. */
#ifndef DLC_TEST_HELPERS_H
#define DLC_TEST_HELPERS_H

#include "driver/driver.h"
#include "ir/ir.h"

/* A float32 tensor descriptor (data borrowed) of the given shape. */
dlc_tensor th_f32(const float *data, int rank, const int64_t *dims);
/* An int64 tensor descriptor (data borrowed). */
dlc_tensor th_i64(const int64_t *data, int rank, const int64_t *dims);

/* A one-node graph under construction: add inputs (graph inputs, no data)
 * or constants (initializers, data copied), then the node, then run it. */
typedef struct th_node {
  dlc_graph *g;
  dlc_node *node;
  dlc_value *ins[16];
  int n_ins;
  dlc_diag diag;
  /* Results of th_run: out[i] data is malloc'd and freed by th_free. */
  dlc_tensor out[16];
  int n_outs;
  /* Run-time input tensors (with data), in node input order. */
  const dlc_tensor *run_in[16];
} th_node;

/* Starts a node of this op; th_free releases everything. */
void th_begin(th_node *t, dlc_op op);
/* Adds node input i as a graph input whose run-time value is *v (borrowed:
 * keep it alive until th_run returns). */
void th_input(th_node *t, const dlc_tensor *v);
/* Adds node input i as an initializer (constant) with data copied from v. */
void th_const(th_node *t, const dlc_tensor *v);
/* Adds an omitted optional input. */
void th_omit(th_node *t);
/* Creates the node with n_outputs outputs; set attributes afterwards with
 * dlc_node_set_*(t->g, t->node, ...). */
void th_finish(th_node *t, int n_outputs);
/* Runs shape inference only (on the declared types). False on error; the
 * messages are in t->diag. Results in t->out[i] types. */
bool th_infer(th_node *t);
/* Runs shape inference, allocates outputs and runs the reference kernel.
 * False on error; the messages are in t->diag. */
bool th_run(th_node *t);
void th_free(th_node *t);

/* Asserts (Criterion) that got[0..n) equals want within atol + rtol*|want|,
 * reporting the first bad index. */
void th_assert_close(const float *got, const float *want, int64_t n,
                     double atol, double rtol);

/* A buffer of `bytes` that ends exactly where a PROT_NONE page begins, so
 * that generated code writing or reading one element past it faults. */
typedef struct guarded {
  char *map;
  size_t map_size;
  void *p;
} guarded;
/* Page-sized buffers keep p 64-byte aligned when bytes is a multiple of 64
 * (workspace sizes are). Free with guarded_free. */
void guarded_alloc(guarded *g, size_t bytes);
void guarded_free(guarded *g);

/* Runs the printf-formatted shell command (system()); returns its exit
 * status, -1 if it did not exit normally. */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file into a malloc'd NUL-terminated buffer (NULL if absent). */
char *th_read_file(const char *path, size_t *size);

/* Loads a model file with the frontend, printing its problems; asserts
 * (Criterion) that it loads. Free: dlc_graph_destroy. */
dlc_graph *th_load(const char *path);

/* Schedules, plans and compiles g (already optimised, or as loaded) into
 * the in-process engine with o (its opt_level also sets in-place planning);
 * conv_kind as the schedule option (NULL: by shape). The graph's memory
 * plan is written (it is otherwise unchanged). */
dlc_status th_compiled_create(const dlc_graph *g, const dlc_codegen_options *o,
                              const char *conv_kind, dlc_compiled **out,
                              dlc_diag *d);
/* Schedules g for the generic host CPU and plans its memory (in place
 * when in_place); returns the schedule (free: dlc_schedule_destroy) or
 * NULL with the reasons in d. */
dlc_schedule *th_plan(dlc_graph *g, bool in_place, dlc_diag *d);

/* Flags a test's own cc line needs to link against this build's (possibly
 * sanitizer-instrumented) libdlcrt.a. */
#if defined(__SANITIZE_ADDRESS__)
#define SAN_FLAGS " -fsanitize=address,undefined"
#else
#define SAN_FLAGS ""
#endif

#endif
