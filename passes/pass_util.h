/* pass_util.h — private to passes/: the helpers every rewrite needs, so each
 * pass file holds only its own patterns. Consumer lists (who reads a value),
 * rewiring, fresh names and initializers, dependence queries, and shape
 * probes (how shapes move when the symbolic dims change). */
#ifndef DLC_PASS_UTIL_H
#define DLC_PASS_UTIL_H

#include "passes.h"

/* ------------------------------------------------------- consumer lists */

typedef struct pu_use {
  dlc_node *node;
  int slot;
} pu_use;

typedef DLC_VEC(pu_use) pu_use_list;

/* For each value id, the (node, input slot) pairs that read it; dead nodes
 * are filtered when asked. Grows as values are added. Free: pu_uses_free. */
typedef struct pu_uses {
  const dlc_graph *g;
  pu_use_list *lists;
  size_t n;
} pu_uses;

void pu_uses_build(pu_uses *u, const dlc_graph *g);
void pu_uses_free(pu_uses *u);
/* Registers every input of n (call after creating a node or adding inputs). */
void pu_uses_add_node(pu_uses *u, dlc_node *n);
/* Number of live reads of v (a node reading v twice counts twice). */
int pu_uses_count(const pu_uses *u, const dlc_value *v);
/* The only live reader of v, read exactly once, or NULL. */
dlc_node *pu_uses_single(const pu_uses *u, const dlc_value *v);
/* Live readers of v into out (at most cap; distinct nodes); returns count. */
int pu_uses_nodes(const pu_uses *u, const dlc_value *v, dlc_node **out,
                  int cap);
/* Every live read of old reads new instead. */
void pu_uses_replace(pu_uses *u, dlc_value *old, dlc_value *new_value);

/* ------------------------------------------------------------ rewriting */

bool pu_is_output(const dlc_graph *g, const dlc_value *v);
/* v is read by exactly one live node, once, and is not a graph output: the
 * condition for folding the reader into v's producer. */
bool pu_private_to(const pu_uses *u, const dlc_value *v, const dlc_node *n);
/* A name not yet used by any value: base, else base_1, base_2, ... */
const char *pu_fresh_name(dlc_graph *g, const char *base);
/* A new float32 initializer named after base (data copied). */
dlc_value *pu_add_f32(dlc_graph *g, const char *base, int rank,
                      const int64_t *dims, const float *data);
/* Replaces n's inputs by the n_in values given (arena array). */
void pu_set_inputs(dlc_graph *g, dlc_node *n, int n_in,
                   dlc_value *const *in);
/* Makes n produce v in output slot (v's old producer must be dead or be
 * about to die). */
void pu_move_output(dlc_node *n, int slot, dlc_value *v);
/* Adds a node producing the existing value out (whose producer is dead). */
dlc_node *pu_add_node_for(dlc_graph *g, const char *name, dlc_op op,
                          int n_in, dlc_value *const *in, dlc_value *out);
/* The attributes of a FusedElementwise of n_steps steps: step names (copied
 * into the arena), operand input per step, swapped flags, alpha, beta. */
void pu_set_fused_steps(dlc_graph *g, dlc_node *n, int n_steps,
                        const char *const *ops, const int64_t *operand,
                        const int64_t *swapped, const double *alpha,
                        const double *beta);
/* Removes initializers no live node reads (and that are not outputs). */
int pu_prune_initializers(dlc_graph *g);
/* n's epilogue, created empty (no work, nothing fused) when absent. */
dlc_epilogue *pu_ensure_epilogue(dlc_graph *g, dlc_node *n);
/* True when t broadcasts into x's shape without enlarging it. */
bool pu_broadcasts_into(const dlc_tensor *t, const dlc_tensor *x);
/* Records op_name in n's fused list (creating an empty epilogue). False if
 * the list is full. */
bool pu_record_fused(dlc_graph *g, dlc_node *n, const char *op_name);
/* True when n carries an epilogue that does more than record names. */
bool pu_has_active_epilogue(const dlc_node *n);

/* ------------------------------------------------------------ constants */

/* v's float32 data when v is a float32 initializer, else NULL. */
const float *pu_const_f32(const dlc_value *v);
/* True (and *out set) when v is a constant with exactly one element. */
bool pu_const_scalar(const dlc_value *v, double *out);
bool pu_near(double a, double b, double rel);

/* ----------------------------------------------------------- dependence */

/* True when value v (transitively) depends on the output values of node
 * `from`. Requires a sorted graph (node ids topological): the search stops
 * at producers ordered before `from`. */
bool pu_depends_on(const dlc_graph *g, const dlc_value *v,
                   const dlc_node *from);

/* ----------------------------------------------------------- shape probes */

/* Shapes of every value under two other bindings of the symbolic dims (2
 * and 3), so that a pass can tell a static dim from one that follows the
 * batch size. Graphs without symbolic inputs need no probing. */
typedef struct pu_probe {
  bool symbolic;
  size_t n;
  dlc_tensor *shapes[2]; /* by value id; dtype UNDEFINED where inference
                            failed under that binding */
} pu_probe;

/* Runs shape inference under the probe bindings, then again with every
 * symbol bound to 1 (the graph's state afterwards). Free: pu_probe_free. */
void pu_probe_create(pu_probe *p, dlc_graph *g);
void pu_probe_free(pu_probe *p);
/* v's shape is the same whatever the symbolic dims are. */
bool pu_probe_static(const pu_probe *p, const dlc_value *v);
/* a and b have the same shape under every binding. */
bool pu_probe_same_shape(const pu_probe *p, const dlc_value *a,
                         const dlc_value *b);

#endif
