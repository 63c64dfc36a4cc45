/* fuse_elementwise.c — pass fuse_elementwise.
 *
 * Requires: a sorted graph with inferred shapes; runs after fuse_epilogues
 *   (activations next to a Conv/Gemm belong in its epilogue) and after
 *   simplify_patterns (Gelu is one step, not six).
 * Guarantees: every chain of two or more float32 element-wise operators,
 *   each intermediate value read only by the next operator and not a graph
 *   output, is one dlc-domain FusedElementwise node (docs/operators.md):
 *   input 0 is the chain's input x (whose shape is the output's), the other
 *   inputs are the operands of its binary steps — tensors that broadcast
 *   into x's shape (constants, biases, the SE gate, a residual) and do not
 *   depend on the chain. Steps: the epilogue activations (incl. SiLU), Gelu,
 *   Erf, Sqrt, Exp, and Add, Sub, Mul, Div, Pow, PRelu with either operand
 *   order. Clip without a bound uses -FLT_MAX / FLT_MAX (JSON-safe).
 *   A single operator is left alone: one loop either way.
 * Invalidates: the order (the pipeline re-sorts).
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_match.h"
#include "pass_util.h"

enum { MAX_CHAIN = 32 };

typedef struct chain {
  dlc_value *x;             /* the running value's source */
  DLC_VEC(dlc_value *) operands; /* node inputs 1.. */
  int n;
  const char *ops[MAX_CHAIN];
  int64_t operand[MAX_CHAIN], swapped[MAX_CHAIN];
  double alpha[MAX_CHAIN], beta[MAX_CHAIN];
  dlc_node *nodes[2 * MAX_CHAIN];
  int n_nodes;
  dlc_value *out;
} chain;

static int operand_index(chain *c, dlc_value *v) {
  for (size_t i = 0; i < c->operands.n; i++)
    if (c->operands.items[i] == v)
      return (int)i + 1;
  dlc_vec_push(&c->operands, v);
  return (int)c->operands.n;
}

static void push_step(chain *c, const char *op, dlc_value *operand,
                      bool swapped, double alpha, double beta) {
  DLC_ASSERT(dlc_step_from_name(op) != DLC_STEP_COUNT_);
  int k = c->n++;
  c->ops[k] = op;
  c->operand[k] = operand ? operand_index(c, operand) : -1;
  c->swapped[k] = swapped;
  c->alpha[k] = alpha;
  c->beta[k] = beta;
}

static double finite(float x) {
  return x > FLT_MAX ? FLT_MAX : x < -FLT_MAX ? -FLT_MAX : x;
}

static void push_activation(chain *c, const fm_act *m) {
  const dlc_activation *a = &m->act;
  const char *name = dlc_act_name(a->kind); /* a step name too */
  double alpha = a->kind == DLC_ACT_CLIP ? finite(a->alpha) : a->alpha;
  double beta = a->kind == DLC_ACT_CLIP ? finite(a->beta) : a->beta;
  push_step(c, name, a->kind == DLC_ACT_PRELU ? m->slope : NULL, false, alpha,
            beta);
  for (int i = 0; i < m->n_nodes; i++)
    c->nodes[c->n_nodes++] = m->nodes[i];
  c->out = m->out;
}

/* The step of ir/fused_steps.def an operator node becomes by its own name,
 * when it is not an activation (those come through fuse_match): the maths
 * functions (Erf, Sqrt, Exp, Gelu) and the broadcasting binary ops (Add,
 * Sub, Mul, Div, Pow). DLC_STEP_COUNT_ for every other op. */
static dlc_step_kind node_step(dlc_op op) {
  if (dlc_op_get_info(op)->flags & DLC_OPF_FUSABLE_ACT)
    return DLC_STEP_COUNT_;
  return dlc_step_from_name(dlc_op_name(op));
}

static bool is_unary_math(dlc_op op) {
  dlc_step_kind k = node_step(op);
  return k != DLC_STEP_COUNT_ && !dlc_step_is_binary(k);
}

static bool is_binary(dlc_op op) { return dlc_step_is_binary(node_step(op)); }

/* A step of node n applied to the running value v (one of n's inputs):
 * unary math, or a binary op whose other input broadcasts into v and does
 * not depend on the chain's head. */
static bool push_node_step(const dlc_graph *g, chain *c, dlc_node *n,
                           dlc_value *v, const dlc_node *head) {
  if (n->epilogue || n->outputs[0]->type.dtype != DLC_DT_FLOAT32 ||
      !dlc_tensor_same_shape(&n->outputs[0]->type, &v->type))
    return false;
  if (is_unary_math(n->op) && n->inputs[0] == v) {
    push_step(c, dlc_op_name(n->op), NULL, false, 0, 0);
  } else if (is_binary(n->op)) {
    bool v_first = n->inputs[0] == v;
    dlc_value *o = v_first ? n->inputs[1] : n->inputs[0];
    if (o == v || o->type.dtype != DLC_DT_FLOAT32 ||
        !pu_broadcasts_into(&o->type, &v->type) ||
        (head && pu_depends_on(g, o, head)))
      return false;
    push_step(c, dlc_op_name(n->op), o, !v_first, 0, 0);
  } else {
    return false;
  }
  c->nodes[c->n_nodes++] = n;
  c->out = n->outputs[0];
  return true;
}

/* The first step: node h on its input 0 (or input 1 for a binary op whose
 * input 0 is the broadcast one). */
static bool start_chain(const dlc_graph *g, const pu_uses *u, chain *c,
                        dlc_node *h) {
  fm_act m;
  dlc_value *x = h->n_inputs > 0 ? h->inputs[0] : NULL;
  if (!x || x->type.dtype != DLC_DT_FLOAT32)
    return false;
  bool silu = fm_match_activation(g, u, x, &m) && m.act.kind == DLC_ACT_SILU &&
              m.nodes[0] == h;
  if (silu || fm_node_activation(h, &m)) {
    c->x = x;
    push_activation(c, &m);
    return true;
  }
  if (is_binary(h->op) &&
      !dlc_tensor_same_shape(&x->type, &h->outputs[0]->type))
    x = h->inputs[1];
  c->x = x;
  return push_node_step(g, c, h, x, NULL);
}

static bool extend_chain(const dlc_graph *g, const pu_uses *u, chain *c,
                         const dlc_node *head) {
  if (c->n >= MAX_CHAIN || pu_is_output(g, c->out))
    return false;
  fm_act m;
  if (fm_match_activation(g, u, c->out, &m)) {
    push_activation(c, &m);
    return true;
  }
  dlc_node *next = pu_uses_single(u, c->out);
  return next && push_node_step(g, c, next, c->out, head);
}

static void emit_chain(dlc_graph *g, pu_uses *u, chain *c, dlc_node *head) {
  dlc_value *in[c->operands.n + 1];
  in[0] = c->x;
  for (size_t i = 0; i < c->operands.n; i++)
    in[i + 1] = c->operands.items[i];
  for (int i = 0; i < c->n_nodes; i++)
    c->nodes[i]->dead = true;
  const char *name = dlc_arena_printf(g->arena, "%s_fused", head->name);
  dlc_node *n = pu_add_node_for(g, name, DLC_OP_FUSED_ELEMENTWISE,
                                (int)c->operands.n + 1, in, c->out);
  pu_set_fused_steps(g, n, c->n, c->ops, c->operand, c->swapped, c->alpha,
                     c->beta);
  pu_uses_add_node(u, n);
}

dlc_status dlc_pass_fuse_elementwise(dlc_graph *g, dlc_diag *d, int *changes) {
  (void)d;
  pu_uses uses;
  pu_uses_build(&uses, g);
  int count = 0;
  size_t n_nodes = g->nodes.n;
  for (size_t i = 0; i < n_nodes; i++) {
    dlc_node *h = g->nodes.items[i];
    chain c;
    memset(&c, 0, sizeof c);
    if (!h->dead && h->n_outputs == 1 && start_chain(g, &uses, &c, h)) {
      while (extend_chain(g, &uses, &c, h))
        ;
      if (c.n >= 2) {
        emit_chain(g, &uses, &c, h);
        count++;
      }
    }
    dlc_vec_free(&c.operands);
  }
  pu_uses_free(&uses);
  *changes += count;
  return DLC_OK;
}
