/* ir.h — the public header of dlc's graph IR.
 *
 * Everything the other modules share lives here: the growable vector, the
 * per-graph arena, diagnostics, tensor types, values, nodes, attributes, the
 * operator table, and the graph-level algorithms (topological sort, shape
 * inference, verifier, printer).
 *
 * Ownership: a dlc_graph owns an arena; every name, node, value, attribute and
 * initializer byte lives in it and is freed once by dlc_graph_destroy(). Passes
 * unlink nodes, they never free them.
 */
#ifndef DLC_IR_H
#define DLC_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- asserts */

/* Internal bugs only; user errors go through dlc_diag. */
#define DLC_ASSERT(cond)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      dlc_assert_fail(__FILE__, __LINE__, #cond);                              \
  } while (0)
_Noreturn void dlc_assert_fail(const char *file, int line, const char *what);

/* --------------------------------------------------------- growable vector */

/* One vector type used everywhere: DLC_VEC(T) declares {T *items; n; cap}. */
#define DLC_VEC(T)                                                             \
  struct {                                                                     \
    T *items;                                                                  \
    size_t n, cap;                                                             \
  }
/* Grow v so that one more item fits; aborts (DLC_ASSERT) on out-of-memory. */
void dlc_vec_grow_(void **items, size_t *cap, size_t item_size, size_t need);
#define dlc_vec_push(v, x)                                                     \
  do {                                                                         \
    dlc_vec_grow_((void **)&(v)->items, &(v)->cap, sizeof(*(v)->items),        \
                  (v)->n + 1);                                                 \
    (v)->items[(v)->n++] = (x);                                                \
  } while (0)
#define dlc_vec_free(v)                                                        \
  do {                                                                         \
    free((v)->items);                                                          \
    (v)->items = NULL;                                                         \
    (v)->n = (v)->cap = 0;                                                     \
  } while (0)

/* ------------------------------------------------------------ string set */

/* A set of borrowed strings (open addressing; grows at 50% load): duplicate
 * keys, names and values are found with it. Zero-initialise; free with
 * dlc_strset_free. */
typedef struct dlc_strset {
  const char **slots;
  size_t cap, count;
} dlc_strset;

/* FNV-1a hash of a NUL-terminated string. */
uint64_t dlc_hash_string(const char *s);
/* Adds s (borrowed); false if it was already present. */
bool dlc_strset_add(dlc_strset *set, const char *s);
void dlc_strset_free(dlc_strset *set);

/* ------------------------------------------------------------------ arena */

typedef struct dlc_arena dlc_arena;
dlc_arena *dlc_arena_create(void);                 /* free: dlc_arena_destroy */
void dlc_arena_destroy(dlc_arena *a);
void *dlc_arena_alloc(dlc_arena *a, size_t size);  /* zeroed, 64-byte aligned */
char *dlc_arena_strdup(dlc_arena *a, const char *s);
char *dlc_arena_printf(dlc_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ diagnostics */

/* Collects user-facing problems. Each message is one line,
 * "FILE: WHERE: WHAT" (WHERE may be empty: "FILE: WHAT"). */
typedef struct dlc_diag {
  const char *file; /* borrowed; the file the messages are about */
  DLC_VEC(char *) messages;
  int max_messages; /* 0 = unlimited; later messages are counted, not kept */
  int dropped;
} dlc_diag;

void dlc_diag_init(dlc_diag *d, const char *file);
void dlc_diag_free(dlc_diag *d);
void dlc_diag_error(dlc_diag *d, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dlc_diag_verror(dlc_diag *d, const char *where, const char *fmt,
                     va_list ap);
int dlc_diag_count(const dlc_diag *d);
void dlc_diag_print(const dlc_diag *d, FILE *out);
/* True when some message contains needle (tests use it). */
bool dlc_diag_contains(const dlc_diag *d, const char *needle);

/* ---------------------------------------------------------------- version */

/* dlc's version, "MAJOR.MINOR.PATCH" (the CMake project version). */
const char *dlc_version(void);

/* --------------------------------------------------------------- statuses */

typedef enum dlc_status {
  DLC_OK = 0,
  DLC_ERR_INVALID = 1, /* bad model, bad input: diagnostics say why */
  DLC_ERR_IO = 2,
  DLC_ERR_NOMEM = 3,
  DLC_ERR_UNSUPPORTED = 4,
} dlc_status;

/* ------------------------------------------------------------ tensor types */

typedef enum dlc_dtype {
  DLC_DT_UNDEFINED = 0,
  DLC_DT_FLOAT32,
  DLC_DT_INT64,
  DLC_DT_INT32,
  DLC_DT_FLOAT16,
  DLC_DT_INT8,
  DLC_DT_UINT8,
} dlc_dtype;

const char *dlc_dtype_name(dlc_dtype t);      /* "float32", ... */
dlc_dtype dlc_dtype_from_name(const char *s); /* DLC_DT_UNDEFINED if unknown */
size_t dlc_dtype_size(dlc_dtype t);

#define DLC_MAX_RANK 8

/* A tensor: type, shape and (optionally) data. Used for values' types, for
 * constants, and for the interpreter's run-time buffers. data is borrowed
 * unless the owner says otherwise. */
typedef struct dlc_tensor {
  dlc_dtype dtype;
  int rank;
  int64_t dims[DLC_MAX_RANK];
  void *data; /* NULL when only the type is known */
} dlc_tensor;

/* Element count; -1 if it overflows int64 or a dim is negative. */
int64_t dlc_tensor_numel(const dlc_tensor *t);
size_t dlc_tensor_nbytes(const dlc_tensor *t);
bool dlc_tensor_same_shape(const dlc_tensor *a, const dlc_tensor *b);
/* The axis of o along which s varies when broadcast to o: -1 when s is a
 * scalar, -2 when it has o's element count, -3 when it varies along several
 * axes. (A fused PRelu's slope: kernels index it by that axis.) */
int dlc_tensor_broadcast_axis(const dlc_tensor *s, const dlc_tensor *o);
/* "[1, 3, 224, 224]" into buf; returns buf. */
char *dlc_shape_str(const dlc_tensor *t, char *buf, size_t size);
/* Element i of an int64/int32 tensor as int64 (shape inputs, axes, ...). */
int64_t dlc_tensor_get_int(const dlc_tensor *t, int64_t i);
/* Element i of any numeric tensor as double. */
double dlc_tensor_get_f64(const dlc_tensor *t, int64_t i);

/* Normalise an axis in [-rank, rank) to [0, rank); false if out of range. */
bool dlc_norm_axis(int64_t axis, int rank, int *out);

/* Numpy (multidirectional) broadcast of a and b into out's rank/dims.
 * False if incompatible. */
bool dlc_broadcast_shape(const dlc_tensor *a, const dlc_tensor *b,
                         dlc_tensor *out);

/* Output element i of `out` maps to this element index of `in`, where in
 * broadcasts to out (in's dims right-aligned, size-1 dims repeat). */
int64_t dlc_broadcast_index(const dlc_tensor *in, const dlc_tensor *out,
                            int64_t i);

/* Set out type helpers. */
void dlc_tensor_set_shape(dlc_tensor *t, dlc_dtype dt, int rank,
                          const int64_t *dims);

/* ---------------------------------------------------------- values, nodes */

typedef enum dlc_value_kind {
  DLC_VALUE_INPUT,       /* graph input, supplied by the caller */
  DLC_VALUE_INITIALIZER, /* constant; data non-NULL */
  DLC_VALUE_NODE,        /* produced by a node */
} dlc_value_kind;

typedef struct dlc_node dlc_node;

typedef struct dlc_value {
  const char *name;
  dlc_value_kind kind;
  dlc_tensor type; /* type.data: the constant bytes (initializers, and values
                      shape inference could compute, e.g. Shape outputs) */
  /* Inputs only: the symbolic name of each dim, NULL where the dim is fixed.
   * Symbolic dims are bound to a concrete size by dlc_graph_infer_shapes. */
  const char *sym[DLC_MAX_RANK];
  dlc_node *producer; /* DLC_VALUE_NODE only */
  int producer_slot;
  int id;             /* index in graph->values */
  /* Memory plan (plan_memory): byte offset of the value in the activation
   * arena, or -1 when it is not in the arena (graph inputs and outputs stay
   * in the caller's buffers, initializers in .rodata). Meaningful only when
   * graph->memory_planned. */
  int64_t arena_offset;
  bool is_output;     /* named in graph outputs */
} dlc_value;

typedef enum dlc_attr_kind {
  DLC_ATTR_INT,
  DLC_ATTR_FLOAT,
  DLC_ATTR_STRING,
  DLC_ATTR_INTS,
  DLC_ATTR_FLOATS,
  DLC_ATTR_STRINGS,
  DLC_ATTR_TENSOR,
} dlc_attr_kind;
const char *dlc_attr_kind_name(dlc_attr_kind k);

typedef struct dlc_attr {
  const char *name;
  dlc_attr_kind kind;
  int64_t i;
  double f;
  const char *s;
  int n;             /* element count of ints/floats/strings */
  int64_t *ints;
  double *floats;
  const char **strings;
  dlc_tensor tensor; /* DLC_ATTR_TENSOR; data in the graph arena */
} dlc_attr;

typedef enum dlc_op {
#define DLC_OP(id, name, domain, min_in, max_in, min_out, max_out, flags,    \
               attrs, infer, macs, kernel)                                    \
  DLC_OP_##id,
#include "ops.def"
#undef DLC_OP
  DLC_OP_COUNT_,
  DLC_OP_UNKNOWN = -1
} dlc_op;

/* Activation applied inside a fused epilogue (see dlc_epilogue). */
typedef enum dlc_act_kind {
  DLC_ACT_NONE = 0,
  DLC_ACT_RELU,
  DLC_ACT_CLIP,         /* min = alpha, max = beta (ReLU6: 0, 6) */
  DLC_ACT_LEAKY_RELU,   /* alpha */
  DLC_ACT_PRELU,        /* slope tensor: node input slope_input */
  DLC_ACT_SIGMOID,
  DLC_ACT_TANH,
  DLC_ACT_HARD_SIGMOID, /* alpha, beta */
  DLC_ACT_HARD_SWISH,
  DLC_ACT_SILU,         /* x * sigmoid(x) */
  DLC_ACT_ELU,          /* alpha */
} dlc_act_kind;

typedef struct dlc_activation {
  dlc_act_kind kind;
  float alpha, beta;
  int slope_input; /* DLC_ACT_PRELU: index into node->inputs; else -1 */
} dlc_activation;

/* Work fused into a Conv / ConvTranspose / Gemm / MatMul by fuse_epilogues,
 * applied while the output is still in registers:
 *   y = act2(act1(op(x...)) + residual)
 * (the op's own bias is part of op(x...)). Epilogue operands (the residual,
 * PRelu slopes) are appended to node->inputs after the op's own inputs:
 * the last n_extra_inputs inputs belong to the epilogue, so sorting and
 * liveness see them; the op's infer/kernel see only the first
 * n_inputs - n_extra_inputs. */
typedef struct dlc_epilogue {
  dlc_activation act1;
  int residual_input; /* index into node->inputs, or -1 */
  dlc_activation act2;
  int n_extra_inputs;
  int n_fused;
  const char *fused[8]; /* ops folded in, in order (for stats and dumps) */
} dlc_epilogue;

struct dlc_node {
  const char *name;
  dlc_op op;
  const char *domain; /* "" or "dlc" */
  const char *doc;    /* may be NULL */
  int n_inputs;
  dlc_value **inputs; /* an omitted optional input is NULL */
  int n_outputs;
  dlc_value **outputs;
  int n_attrs;
  dlc_attr *attrs;
  int id;             /* position in graph->nodes (topological after sort) */
  bool dead;          /* unlinked by a pass; skipped everywhere */
  dlc_epilogue *epilogue; /* fused work after the op (NULL: none) */
  bool elided;        /* plan_memory made it a no-op (e.g. a Concat whose
                         producers write into their slices); kept for
                         readability of dumps, skipped by codegen */
};

/* Inputs the operator itself consumes: n_inputs minus the epilogue's. */
int dlc_node_op_inputs(const dlc_node *n);
/* A value whose bytes are known at compile time: an initializer, or a node
 * output that shape inference or constant folding computed. */
bool dlc_value_is_const(const dlc_value *v);
/* True when every output of n is known at compile time (n needs no code). */
bool dlc_node_is_folded(const dlc_node *n);

/* The sliding-window geometry of a Conv, ConvTranspose, MaxPool or
 * AveragePool over its ns spatial axes: input and output sizes, kernel,
 * strides, dilations and the pads at the beginning and end of each axis
 * after auto_pad is resolved (ConvTranspose may have a negative pe: zero
 * extension). Shape inference computes it; everyone else reads it back with
 * dlc_window_of: the interpreter, the OpenBLAS engine, `dlc stats` and the
 * schedule stage. */
typedef struct dlc_window {
  int ns;
  int64_t in[DLC_MAX_RANK], out[DLC_MAX_RANK], k[DLC_MAX_RANK];
  int64_t s[DLC_MAX_RANK], d[DLC_MAX_RANK], pb[DLC_MAX_RANK], pe[DLC_MAX_RANK];
} dlc_window;

/* n's window from its input types and attributes (the types must be
 * inferred); false for other operators or an invalid node. */
bool dlc_window_of(const dlc_node *n, dlc_window *w);

/* The blocked layout NCHWc (ir/ops_blocked.c): a ConvNchwc or PoolNchwc
 * seen as the plain operator it stands for (Conv, MaxPool, ...), its input
 * 0 replaced by a value with the plain [N, C, spatial...] type and no
 * epilogue: how shape inference, the window and the reference kernels of
 * the blocked operators reuse the plain ones. */
typedef struct dlc_blocked_view {
  dlc_node node;
  dlc_value x;          /* input 0 with the plain type */
  dlc_value *inputs[3];
  bool x_blocked;       /* input 0 is blocked (else already plain) */
} dlc_blocked_view;
/* False for other operators and invalid nodes. */
bool dlc_blocked_plain_node(const dlc_node *n, dlc_blocked_view *v);
/* The pool a PoolNchwc computes (its `kind`): DLC_OP_MAX_POOL,
 * _AVERAGE_POOL, _GLOBAL_AVERAGE_POOL, _GLOBAL_MAX_POOL, or
 * DLC_OP_UNKNOWN. */
dlc_op dlc_pool_nchwc_kind(const dlc_node *n);
/* Zeroes the lanes of the channels >= channels of a blocked tensor y of
 * type t ([N, C/B, spatial..., B]). */
void dlc_blocked_zero_padding(float *y, const dlc_tensor *t, int64_t channels);

/* One activation on one element; slope is PRelu's (ignored otherwise). */
float dlc_activation_apply(const dlc_activation *a, float x, float slope);
/* Applies n's epilogue in place to out (the op's float32 output 0), reading
 * the epilogue operands from in (all n->n_inputs inputs, with data). The
 * reference semantics every backend must match. */
void dlc_epilogue_apply(const dlc_node *n, const dlc_tensor *const *in,
                        dlc_tensor *out);
/* "Relu", "Clip", ...: the ONNX op an activation kind stands for. */
const char *dlc_act_name(dlc_act_kind k);

/* The steps of a FusedElementwise program (fused_steps.def), and one step
 * with its parameters as the node's attributes give them. */
typedef enum dlc_step_kind {
#define DLC_STEP(id, name, binary) DLC_STEP_##id,
#include "fused_steps.def"
#undef DLC_STEP
  DLC_STEP_COUNT_
} dlc_step_kind;

typedef struct dlc_step {
  dlc_step_kind kind;
  int operand;  /* node input index of a binary step's operand, or -1 */
  bool swapped; /* operand op v instead of v op operand */
  double alpha, beta;
} dlc_step;

/* The step spelled name in the "ops" attribute; DLC_STEP_COUNT_ if none. */
dlc_step_kind dlc_step_from_name(const char *name);
const char *dlc_step_name(dlc_step_kind k);
/* Whether the step combines the running value with an operand. */
bool dlc_step_is_binary(dlc_step_kind k);

/* ------------------------------------------------------------- the graph */

typedef struct dlc_graph {
  dlc_arena *arena;
  const char *name;      /* may be NULL */
  const char *doc;       /* may be NULL */
  DLC_VEC(const char *) metadata; /* key, value, key, value, ... */
  /* Files the frontend read the graph from (each weight file once, and the
   * model): what a build system's dependency file lists. */
  DLC_VEC(const char *) sources;
  DLC_VEC(dlc_value *) values;    /* every value, by id */
  DLC_VEC(dlc_value *) inputs;    /* calling order */
  DLC_VEC(dlc_value *) outputs;   /* calling order */
  DLC_VEC(dlc_value *) initializers;
  DLC_VEC(dlc_node *) nodes;      /* topological after dlc_graph_sort */
  struct dlc_name_index *index_;  /* private: name -> value hash */
  bool memory_planned;            /* plan_memory ran: arena_offset valid */
  int64_t arena_bytes;            /* size of the activation arena */
} dlc_graph;

dlc_graph *dlc_graph_create(void); /* free: dlc_graph_destroy */
/* A deep copy (values with their bytes, nodes, attributes, epilogues, ids
 * and the memory plan). Free: dlc_graph_destroy. */
dlc_graph *dlc_graph_clone(const dlc_graph *g);
void dlc_graph_destroy(dlc_graph *g);
/* Records that g was read (partly) from path (copied; duplicates ignored). */
void dlc_graph_add_source(dlc_graph *g, const char *path);

/* Find a value by name (linear-time hash lookup); NULL if absent. */
dlc_value *dlc_graph_find_value(const dlc_graph *g, const char *name);
/* Create a value. Returns NULL if the name is already defined. */
dlc_value *dlc_graph_add_value(dlc_graph *g, const char *name,
                               dlc_value_kind kind);
dlc_value *dlc_graph_add_input(dlc_graph *g, const char *name,
                               const dlc_tensor *type);
/* Copies nbytes of data into the arena. */
dlc_value *dlc_graph_add_initializer(dlc_graph *g, const char *name,
                                     const dlc_tensor *type, const void *data);
/* Adds a node; inputs/outputs arrays are copied. Output values must have
 * been created with kind DLC_VALUE_NODE and no producer yet. */
dlc_node *dlc_graph_add_node(dlc_graph *g, const char *name, dlc_op op,
                             int n_inputs, dlc_value *const *inputs,
                             int n_outputs, dlc_value *const *outputs);
/* Attribute helpers for building nodes (copy into the arena). */
dlc_attr *dlc_node_add_attr(dlc_graph *g, dlc_node *n, const char *name,
                            dlc_attr_kind kind);
void dlc_node_set_int(dlc_graph *g, dlc_node *n, const char *name, int64_t v);
void dlc_node_set_float(dlc_graph *g, dlc_node *n, const char *name, double v);
void dlc_node_set_string(dlc_graph *g, dlc_node *n, const char *name,
                         const char *v);
void dlc_node_set_ints(dlc_graph *g, dlc_node *n, const char *name,
                       const int64_t *v, int count);
void dlc_node_set_floats(dlc_graph *g, dlc_node *n, const char *name,
                         const double *v, int count);

/* Sort nodes topologically (Kahn's algorithm, no recursion). Reports a cycle
 * naming the nodes on it and returns DLC_ERR_INVALID. */
dlc_status dlc_graph_sort(dlc_graph *g, dlc_diag *d);

/* Symbolic dimension bindings: name -> size. NULL bindings bind every symbol
 * to 1. */
typedef struct dlc_dim_binding {
  const char *name;
  int64_t value;
} dlc_dim_binding;

/* Infers every node's output types in topological order (requires a sorted
 * graph). Small integer outputs whose inputs are all known are computed too
 * (so Shape -> Gather -> Concat -> Reshape chains resolve). Reports every
 * failing node; nodes downstream of a failure are skipped silently. */
dlc_status dlc_graph_infer_shapes(dlc_graph *g, const dlc_dim_binding *binds,
                                  int n_binds, dlc_diag *d);

/* Structural checks: every input defined, every value defined once, arity
 * and attribute kinds against the table, outputs exist, types inferred.
 * Reports every problem. */
dlc_status dlc_graph_verify(const dlc_graph *g, dlc_diag *d);

/* Readable text dump of the graph (live nodes, and the constants they
 * read). */
void dlc_graph_print(const dlc_graph *g, FILE *out);
/* The graph in Graphviz dot (print_dot.c): graph inputs and outputs as
 * ellipses, each live node a box with its name, op, output shape and fused
 * epilogue, each edge labelled with the tensor's shape and size. */
void dlc_graph_print_dot(const dlc_graph *g, FILE *out);
/* The same with one more line per node box: note's text (NULL or "": none),
 * e.g. the node's schedule (`dlc show --format dot`). */
typedef const char *(*dlc_dot_note_fn)(const dlc_node *n, void *ctx,
                                       char *buf, size_t size);
void dlc_graph_print_dot_noted(const dlc_graph *g, FILE *out,
                               dlc_dot_note_fn note, void *ctx);

/* ------------------------------------------------------ the operator table */

/* Property flags of an operator (columns of the table). */
enum {
  DLC_OPF_ELEMENTWISE = 1 << 0, /* unary/binary element-wise, broadcasting */
  DLC_OPF_HAS_WEIGHTS = 1 << 1, /* second input is normally a constant */
  DLC_OPF_FUSABLE_ACT = 1 << 2, /* may become a fused epilogue activation */
  DLC_OPF_SHAPE_ONLY = 1 << 3,  /* moves or reinterprets data, no arithmetic */
  DLC_OPF_CONSTANT_IN = 1 << 4, /* some inputs must be constants (Reshape..) */
  /* A view: output 0 is input 0's bytes unchanged under a new shape
   * (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze), so it may
   * share input 0's storage and copies nothing in place. */
  DLC_OPF_VIEW = 1 << 5,
};

/* One attribute of an operator's schema, with its default. */
typedef struct dlc_attr_schema {
  const char *name;
  dlc_attr_kind kind;
  bool required;
  int64_t default_i;       /* DLC_ATTR_INT */
  double default_f;        /* DLC_ATTR_FLOAT */
  const char *default_s;   /* DLC_ATTR_STRING */
} dlc_attr_schema;

/* Context for shape inference and reference kernels: the node, its input
 * tensors (type always; data when known), and where to report problems. */
typedef struct dlc_op_ctx {
  const dlc_node *node;
  int n_inputs;
  const dlc_tensor *const *in; /* in[i] NULL for an omitted optional input */
  int n_outputs;
  dlc_tensor *out;             /* out[i]: infer fills dtype/rank/dims;
                                  kernels get data allocated */
  dlc_diag *diag;              /* may be NULL (then errors are only counted) */
  int errors;
} dlc_op_ctx;

/* Report a problem with the node: "node 'NAME' (OP): what". Returns false so
 * that `return dlc_op_error(c, ...)` reads naturally. */
bool dlc_op_error(dlc_op_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef bool (*dlc_infer_fn)(dlc_op_ctx *c);  /* false: errors reported */
typedef int64_t (*dlc_macs_fn)(const dlc_op_ctx *c); /* types known */
typedef bool (*dlc_kernel_fn)(dlc_op_ctx *c); /* in/out data present */

/* max_inputs / max_outputs of operators that take any number. */
#ifndef DLC_VARIADIC
#define DLC_VARIADIC 65535
#endif

typedef struct dlc_op_info {
  dlc_op op;
  const char *name;   /* ONNX spelling */
  const char *domain; /* "" or "dlc" */
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
  unsigned flags;
  const dlc_attr_schema *attrs; /* terminated by {NULL} */
  dlc_infer_fn infer;
  dlc_macs_fn macs;      /* NULL: zero MACs */
  dlc_kernel_fn kernel;  /* reference kernel */
} dlc_op_info;

const dlc_op_info *dlc_op_get_info(dlc_op op);
/* Rows of the table: dlc_op_get_info(0 .. dlc_op_count() - 1) (what
 * `dlc ops` lists). */
int dlc_op_count(void);
/* Whether op is a view (DLC_OPF_VIEW): its output only renames input 0. */
bool dlc_op_is_view(dlc_op op);
/* Looks up by ONNX name and domain; DLC_OP_UNKNOWN if absent. */
dlc_op dlc_op_from_name(const char *name, const char *domain);
const char *dlc_op_name(dlc_op op);
const dlc_attr_schema *dlc_op_find_attr_schema(dlc_op op, const char *name);

/* Attribute accessors; defaults come from the op's schema. */
const dlc_attr *dlc_node_find_attr(const dlc_node *n, const char *name);
int64_t dlc_node_get_int(const dlc_node *n, const char *name);
double dlc_node_get_float(const dlc_node *n, const char *name);
const char *dlc_node_get_string(const dlc_node *n, const char *name);
/* List attributes: returns the count (0 if absent) and the items. */
int dlc_node_get_ints(const dlc_node *n, const char *name,
                      const int64_t **items);
int dlc_node_get_floats(const dlc_node *n, const char *name,
                        const double **items);

/* Parameter count of a node: elements of its constant (initializer) inputs. */
int64_t dlc_node_param_count(const dlc_node *n);

/* The node's multiply-adds by its operator's counter (0 when it has none
 * or counts a negative number), on the value types it was inferred with:
 * what `dlc stats` and the profile tables of `--profile` report. */
int64_t dlc_node_macs(const dlc_node *n);

/* Build the context for one node from the graph's value types. Fills tin/tout
 * (caller-provided arrays of size n_inputs/n_outputs) and inptr. */
void dlc_op_ctx_from_node(dlc_op_ctx *c, const dlc_node *n,
                          const dlc_tensor **inptr, dlc_tensor *tout,
                          dlc_diag *d);

#endif /* DLC_IR_H */
