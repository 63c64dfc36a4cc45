/* cg.h — private to codegen/: the state shared by the backend's stages.
 *
 * Codegen decides nothing: the schedule (schedule/schedule.h) says which
 * algorithm runs each node, with which tile, parameters and scratch, and
 * the memory plan says where every value lives. Files: cg_target.c (the
 * target machine from the schedule's target description), cg_memory.c
 * (pointers from the plan: caller buffers, constants, workspace offsets),
 * cg_module.c (the driver: body, entry points, descriptor, verify,
 * optimise, emit), cg_body.c (the model body: one call per node, kernels
 * shared by identity), cg_emitters.c (the map from algorithm to emitter),
 * cg_ir.c (IR-building helpers: loops, loads, vectors), cg_header.c
 * (model.h), cg_link.c (shared objects), cg_inprocess.c (the in-process
 * loader), cg_profile.c (--profile: hook calls and tables), and one file per kernel family (cg_elementwise.c, cg_compare.c,
 * cg_cast.c, cg_conv.c, cg_gemm.c, cg_pool.c, cg_norm.c, cg_reduce.c,
 * cg_shape.c, cg_dlcops.c, ...).
 */
#ifndef DLC_CG_H
#define DLC_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "codegen/codegen.h"
#include "schedule/schedule.h"

/* ------------------------------------------------------------------ target */

typedef struct cg_target {
  LLVMTargetMachineRef tm;
  const dlc_target_desc *desc; /* the schedule's: everything else is a copy */
  const char *triple, *cpu;
  uint64_t cpu_mask; /* DLCRT_CPU_* bits the code may use */
  int vl;            /* floats per vector register: 4, 8 or 16 */
  bool x86;
  bool aarch64;
} cg_target;

/* Creates the target machine for desc at LLVM level opt_level. */
bool cg_target_init(cg_target *t, const dlc_target_desc *desc, int opt_level,
                    dlc_diag *d);
void cg_target_free(cg_target *t);

/* ------------------------------------------------------- memory planning */

typedef enum cg_loc {
  CG_LOC_NONE = 0,   /* not needed at run time */
  CG_LOC_INPUT,      /* inputs[index] of the run call */
  CG_LOC_OUTPUT,     /* outputs[index] */
  CG_LOC_WORKSPACE,  /* workspace + offset */
  CG_LOC_CONST,      /* a constant blob in .rodata (data known) */
} cg_loc;

typedef struct cg_place {
  cg_loc loc;
  int index;      /* input/output index */
  int64_t offset; /* bytes into the workspace */
} cg_place;

typedef struct cg_plan {
  cg_place *place;        /* by value id; aliases carry their root's place */
  int *root;              /* by value id: the value whose storage it uses */
  int64_t workspace_size; /* bytes, multiple of DLC_PLAN_ALIGN */
} cg_plan;

struct cg_ctx;
bool cg_plan_build(struct cg_ctx *c, cg_plan *p);
void cg_plan_free(cg_plan *p);

/* -------------------------------------------------------- kernel emission */

/* One kernel function being emitted: `void k(ptr a0, ..., ptr ak)`, every
 * argument a noalias pointer to float data (inputs, outputs, extra blobs,
 * scratch). */
typedef struct cg_fn {
  struct cg_ctx *c;
  const dlc_node *node;
  const dlc_node_sched *s; /* the node's schedule record */
  LLVMValueRef fn;
  LLVMBuilderRef b;
  LLVMBasicBlockRef entry; /* allocas go here */
  LLVMValueRef *in;        /* by node input: pointer arg or NULL */
  LLVMValueRef *out;       /* by node output */
  LLVMValueRef extra[8];   /* blobs the emitter's prepare step added */
  LLVMValueRef scratch;    /* NULL when the kernel has none */
} cg_fn;

/* A run-time argument of a kernel call that is not a graph value: a constant
 * blob made at compile time (transformed weights, tables). */
typedef struct cg_blob {
  const void *data; /* borrowed until the call is emitted */
  size_t size;
} cg_blob;

/* What a kernel call needs, filled by an emitter's prepare step. */
typedef struct cg_call {
  int n_extra;
  cg_blob extra[8];
  void *owned[8]; /* freed after the call is emitted */
  int n_owned;
} cg_call;

/* One algorithm's emitter: prepare (optional: blobs such as packed
 * weights, from the node's record) and emit. ct_inputs: bit i set when the
 * kernel body reads input i's data at compile time (it is then part of the
 * kernel identity and not passed at run time). prep_inputs: inputs only the
 * prepare step reads: not passed, not in the identity. Their union is the
 * algorithm's CONST_INPUTS column (algorithms.def; checked by a test). */
typedef struct cg_emitter {
  unsigned ct_inputs;
  unsigned prep_inputs;
  bool (*prepare)(struct cg_ctx *c, const dlc_node *n, cg_call *call);
  bool (*emit)(cg_fn *f);
} cg_emitter;

/* The emitter of algorithm a (cg_emitters.c: one per algorithms.def row). */
const cg_emitter *cg_emitter_for(dlc_algo a);

/* Emitters per family (cg_elementwise.c, ...). */
extern const cg_emitter cg_emit_unary, cg_emit_binary, cg_emit_clip,
    cg_emit_copy, cg_emit_conv, cg_emit_conv_transpose, cg_emit_gemm, cg_emit_gemm_packed,
    cg_emit_matmul, cg_emit_pool, cg_emit_global_pool, cg_emit_batch_norm,
    cg_emit_instance_norm, cg_emit_layer_norm, cg_emit_softmax,
    cg_emit_reduce_mean, cg_emit_transpose, cg_emit_concat, cg_emit_split,
    cg_emit_slice, cg_emit_pad, cg_emit_gather, cg_emit_depth_to_space,
    cg_emit_resize;

/* ------------------------------------------------------- compile context */

typedef struct cg_kernel_entry {
  char *key;
  size_t key_len;
  LLVMValueRef fn;
  int n_args;
} cg_kernel_entry;

typedef struct cg_ctx {
  const dlc_graph *g;
  const dlc_codegen_options *opt;
  dlc_diag *d;
  cg_target *t;
  const dlc_schedule *sched;
  const char *prefix;
  LLVMContextRef llc;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef f32, i1, i8, i32, i64, ptr, vf, void_t;
  cg_plan plan;
  DLC_VEC(cg_kernel_entry) kernels;
  LLVMValueRef *value_global; /* by value id: constant blob, lazily */
  int blob_count;
  int math_calls; /* libm functions referenced */
  bool batched;   /* run_batch loops over a symbolic leading batch dim */
  bool *batch_dep; /* by value id: scales with the batch (batched only) */
} cg_ctx;

/* cg_batch.c: whether g's symbolic batch can be compiled as a loop over the
 * batch-1 body. Sets dep[value id] for the values that scale with the batch
 * and *batched when g has a batch symbol and is separable. Without a symbol:
 * true, nothing batched. Reports every reason for refusing to d. */
bool cg_batch_analyse(const dlc_graph *g, bool *dep, dlc_diag *d,
                      bool *batched);
bool cg_graph_has_batch_symbol(const dlc_graph *g);

/* The model body's view of the run-time buffers. */
typedef struct cg_body {
  LLVMValueRef *inputs, *outputs; /* loaded pointers, by graph index */
  LLVMValueRef ws;
} cg_body;

/* Pointer to value v's storage (caller buffer, constant or workspace). */
LLVMValueRef cg_value_ptr(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                          const dlc_value *v);
/* Emits the call of node n's kernel (building the kernel if new). */
bool cg_emit_node(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                  const dlc_node *n);
void cg_kernels_free(cg_ctx *c);

/* cg_entry.c: the exported PREFIX_run, PREFIX_run_batch,
 * PREFIX_workspace_size, PREFIX_status_message and PREFIX_model around the
 * body function. */
void cg_build_entries(cg_ctx *c, LLVMValueRef body);
/* Shape of graph input/output v as the ABI shows it: -1 for the batch dim of
 * a batched model. Returns the rank. */
int cg_abi_shape(const cg_ctx *c, const dlc_value *v, bool input,
                 int64_t *dims);
/* Elements of v per batch item. */
int64_t cg_abi_numel(const cg_ctx *c, const dlc_value *v);

/* A private constant NUL-terminated string / a private constant global
 * holding init (descriptor and profile tables). */
LLVMValueRef cg_cstring(cg_ctx *c, const char *s);
LLVMValueRef cg_private_const(cg_ctx *c, LLVMValueRef init);

/* cg_profile.c (--profile; each is a no-op without it): the tables
 * PREFIX_profile, built before the body; the hook call around node call
 * `index` (0, 1, ... in call order); their part of model.h. */
void cg_profile_build(cg_ctx *c);
void cg_profile_mark(cg_ctx *c, LLVMBuilderRef b, int index, int phase);
void cg_profile_put_header(const cg_ctx *c, FILE *f, const char *P);

/* Monotonic milliseconds (stage timings of dlc_codegen_info). */
double cg_now_ms(void);

/* A private constant blob of bytes in .rodata, 64-byte aligned. */
LLVMValueRef cg_const_blob(cg_ctx *c, const void *data, size_t size,
                           const char *hint);

/* The schedule record of node n. */
const dlc_node_sched *cg_sched(const cg_ctx *c, const dlc_node *n);

/* ----------------------------------------------------------- IR helpers */

LLVMValueRef cg_i64(cg_fn *f, int64_t v);
LLVMValueRef cg_f32(cg_fn *f, double v);
/* Splat scalar x to the target vector type (or return x if ty is f32). */
LLVMValueRef cg_splat(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty);
LLVMValueRef cg_fconst(cg_fn *f, LLVMTypeRef ty, double v);
/* &base[idx] for float elements. */
LLVMValueRef cg_gep(cg_fn *f, LLVMValueRef base, LLVMValueRef idx);
/* Load/store a float or vector of floats (element alignment) at base[idx]. */
LLVMValueRef cg_load(cg_fn *f, LLVMTypeRef ty, LLVMValueRef base,
                     LLVMValueRef idx);
void cg_store(cg_fn *f, LLVMValueRef v, LLVMValueRef base, LLVMValueRef idx);
/* idx*stride + off with constant folding of the trivial cases. */
LLVMValueRef cg_affine(cg_fn *f, LLVMValueRef acc, LLVMValueRef idx,
                       int64_t stride);
/* A stack variable in the entry block (mem2reg turns it into registers). */
LLVMValueRef cg_var(cg_fn *f, LLVMTypeRef ty, LLVMValueRef init);
/* Calls an overloaded intrinsic (llvm.fma, llvm.exp, ...) of type ty. */
LLVMValueRef cg_intrinsic(cg_fn *f, const char *name, LLVMTypeRef ty,
                          LLVMValueRef *args, int n);
/* Calls a libm function (float -> float) on a scalar or on each lane. */
LLVMValueRef cg_libm1(cg_fn *f, const char *name, LLVMValueRef x);
/* e^x, the logistic 1/(1+e^-x) (stable for large |x|) and tanh x, built
 * in IR for a scalar or any vector width (no libm; accuracy measured by
 * tests/test_codegen_math.c: relative error <= 2e-7 for exp). */
LLVMValueRef cg_exp(cg_fn *f, LLVMValueRef x);
LLVMValueRef cg_sigmoid(cg_fn *f, LLVMValueRef x);
LLVMValueRef cg_tanh(cg_fn *f, LLVMValueRef x);
/* Horizontal sum / max of a vector (scalars pass through). */
LLVMValueRef cg_hsum(cg_fn *f, LLVMValueRef v);
LLVMValueRef cg_hmax(cg_fn *f, LLVMValueRef v);
LLVMValueRef cg_fmax(cg_fn *f, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_fmin(cg_fn *f, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_fma(cg_fn *f, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc);
/* memcpy / memset of n floats. */
void cg_copy(cg_fn *f, LLVMValueRef dst, LLVMValueRef src, int64_t n);
void cg_fill(cg_fn *f, LLVMValueRef dst, int64_t n, float v);

/* Counted loop for (iv = begin; iv < end; iv += step) with a constant trip
 * count: cg_for_begin returns iv (a constant when the trip count is 1, and
 * no loop is made); the body follows; cg_for_end closes it. Requires
 * end > begin. */
typedef struct cg_loop {
  LLVMBasicBlockRef body;
  LLVMValueRef iv;
  int64_t step, end;
  bool single;
} cg_loop;
LLVMValueRef cg_for_begin(cg_fn *f, cg_loop *l, int64_t begin, int64_t end,
                          int64_t step);
void cg_for_end(cg_fn *f, cg_loop *l);

/* Nested loops over dims[0..rank): idx[k] receives each counter. */
typedef struct cg_nest {
  cg_loop loops[DLC_MAX_RANK];
  int rank;
} cg_nest;
void cg_nest_begin(cg_fn *f, cg_nest *n, int rank, const int64_t *dims,
                   LLVMValueRef *idx);
void cg_nest_end(cg_fn *f, cg_nest *n);

/* Contiguous (row-major) strides of t in elements. */
void cg_strides(const dlc_tensor *t, int64_t *strides);
/* Elements of t (types are fully known in codegen). */
int64_t cg_numel(const dlc_tensor *t);

/* Element-wise map over out's shape: operand i (pointer p[i], type t[i])
 * broadcasts numpy-style to out; op combines the loaded operands (scalars or
 * vectors of the same type ty). Vectorised on the innermost dim when
 * vector_ok. */
typedef LLVMValueRef (*cg_map_op)(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                                  const void *ud);
void cg_emit_map(cg_fn *f, int n, LLVMValueRef *p, const dlc_tensor *const *t,
                 LLVMValueRef out, const dlc_tensor *out_t, cg_map_op op,
                 const void *ud, bool vector_ok);

/* Strided copy: out[obase + sum i_k*ostr_k] = in[ibase + sum i_k*istr_k] over
 * dims[0..rank). Collapses contiguous dims; the innermost unit-stride run is
 * vectorised. */
void cg_emit_strided_copy(cg_fn *f, int rank, const int64_t *dims,
                          LLVMValueRef in, int64_t ibase,
                          const int64_t *istr, LLVMValueRef out,
                          int64_t obase, const int64_t *ostr);

/* --------------------------------------------------------- header, link */

/* Writes the header to path; messages name `shown` (the destination, when
 * path is its temporary file). */
bool cg_write_header(const cg_ctx *c, const char *path, const char *shown,
                     dlc_diag *d);
/* Links obj into a shared object at out with `linker -shared`. */
bool cg_link_shared(const char *linker, const char *obj, const char *out,
                    const char *runtime_lib, bool need_libm, dlc_diag *d);


/* ------------------------------------------- register-blocked kernels
 * (cg_microkernel.c, cg_pack.c, cg_epilogue.c, cg_depthwise.c) */

/* Partial vectors: loads/stores of the first `valid` lanes of ty at
 * base[idx] (masked intrinsics; plain ones when valid covers ty). */
LLVMValueRef cg_load_n(cg_fn *f, LLVMTypeRef ty, LLVMValueRef base,
                       LLVMValueRef idx, int valid);
void cg_store_n(cg_fn *f, LLVMValueRef v, LLVMValueRef base, LLVMValueRef idx,
                int valid);
/* a * b + acc: llvm.fma where the target has FMA, else mul + add. */
LLVMValueRef cg_mk_fma(cg_fn *f, LLVMValueRef a, LLVMValueRef b,
                       LLVMValueRef acc);

/* Fused epilogue y = act2(act1(x) + residual) (ir.h dlc_epilogue) applied
 * in registers. A kernel names the output axis its rows run along (a scalar
 * per vector, e.g. Conv's channel) and the axis its lanes run along (-1:
 * none), so per-channel PRelu slopes load as a splat or a vector. */
typedef struct cg_epi {
  const dlc_epilogue *e; /* NULL: nothing to do */
  LLVMValueRef res;      /* residual, laid out as the output */
  LLVMValueRef slope[2]; /* PRelu slopes of act1 / act2 */
  int slope_axis[2];     /* -1 scalar, -2 same shape as the output, else axis */
  int row_axis, lane_axis;
} cg_epi;
void cg_epi_init(cg_fn *f, cg_epi *ep, int row_axis, int lane_axis);
/* v: `valid` lanes of the output starting at flat element offset yoff, at
 * index row along row_axis and (first lane) lane along lane_axis. */
LLVMValueRef cg_epi_apply(cg_fn *f, const cg_epi *ep, LLVMValueRef v,
                          LLVMValueRef yoff, LLVMValueRef row,
                          LLVMValueRef lane, int valid);
/* GEMM on the micro-kernel: Y[m][n] (+)= sum_k A[m][k] B[k][n], an MR x
 * (NV vectors) block of Y in registers (the schedule's dlc_tile), A
 * broadcast, B loaded as vectors. */

/* A operand: packed panels [ceil(M/mr)][K][mr] (cg_pack_a) or strided
 * A[m*s0 + k*s1]. B operand: packed panels [ceil(N/nc)][K][nc] (cg_pack_b,
 * nc = nv*vl, zero padded) or strided B[k*s0 + n]. */
typedef struct cg_gemm_operand {
  LLVMValueRef p;
  bool packed;
  int64_t s0, s1;
} cg_gemm_operand;

/* Applied to each finished vector before its store: acc holds `valid`
 * lanes of row m, columns n.. (i64 values). */
typedef LLVMValueRef (*cg_gemm_post_fn)(cg_fn *f, const void *ud,
                                        LLVMValueRef acc, LLVMValueRef m,
                                        LLVMValueRef n, int valid);

typedef struct cg_gemm {
  int64_t m, n, k;
  cg_gemm_operand a, b;
  LLVMValueRef y;
  int64_t ldy; /* Y[m*ldy + n] */
  cg_gemm_post_fn post; /* NULL: store as is */
  const void *ud;
  dlc_tile plan;
} cg_gemm;
void cg_gemm_emit(cg_fn *f, const cg_gemm *g);

/* Compile-time packing (malloc'd; *floats receives the element count). */
float *cg_pack_a(const float *a, int64_t m, int64_t k, int64_t sm, int64_t sk,
                 int mr, int64_t *floats);
float *cg_pack_b(const float *b, int64_t k, int64_t n, int64_t sk, int64_t sn,
                 int nc, int64_t *floats);
int64_t cg_pack_a_floats(int64_t m, int64_t k, int mr);
int64_t cg_pack_b_floats(int64_t k, int64_t n, int nc);

/* cg_nchwc.c: the blocked layout's kernels */
extern const cg_emitter cg_emit_reorder_to_nchwc, cg_emit_reorder_to_nchw,
    cg_emit_conv_nchwc, cg_emit_conv_nchwc_depthwise, cg_emit_pool_nchwc,
    cg_emit_global_pool_nchwc;

/* Window walking shared by the blocked kernels (cg_nchwc.c). A loop over
 * [lo, hi) with run-time bounds, possibly empty: */
typedef struct cg_nc_loop {
  LLVMBasicBlockRef body, exit;
  LLVMValueRef iv, hi;
} cg_nc_loop;
LLVMValueRef cg_nc_loop_begin(cg_fn *f, cg_nc_loop *l, LLVMValueRef lo,
                              LLVMValueRef hi);
void cg_nc_loop_end(cg_fn *f, cg_nc_loop *l);
/* Taps [*kh0, *kh1) of output row oh (a run-time value) whose input row
 * lies in [lo, hi). */
void cg_nc_clip_rows(cg_fn *f, const dlc_window2d *g, LLVMValueRef oh,
                     int64_t lo, int64_t hi, LLVMValueRef *kh0,
                     LLVMValueRef *kh1);
/* Taps [*kw0, *kw1) of output column ow whose input column lies in
 * [lo, hi) (empty: kw0 >= kw1). */
void cg_nc_clip_cols(const dlc_window2d *g, int64_t ow, int64_t lo,
                     int64_t hi, int64_t *kw0, int64_t *kw1);
/* Output columns [*a, *b) whose every tap is inside the image. */
void cg_nc_interior(const dlc_window2d *g, int64_t *a, int64_t *b);

extern const cg_emitter cg_emit_conv_pointwise, cg_emit_conv_im2col,
    cg_emit_conv_depthwise, cg_emit_gemm_mk, cg_emit_gemm_mk_packed,
    cg_emit_matmul_mk, cg_emit_matmul_mk_packed;

/* ------------------- kernels of other dtypes than float32 (the helpers in
 * cg_elementwise.c; cg_compare.c, cg_cast.c, cg_shape.c, cg_reduce.c) and
 * the dlc-domain ops (cg_dlcops.c) */

/* cg_emit_map reads each operand and writes the output with the element
 * type of its tensor's dtype (float32; int64, int32; int8 and uint8/bool as
 * i8): op receives scalars or vectors of those types, ty giving the lane
 * count as a float type, and returns the output's type. At most this many
 * operands: */
#define CG_MAP_MAX_OPERANDS DLC_MAP_MAX_OPERANDS /* the schedule refuses more */
/* The LLVM type of one element of dtype dt (float for UNDEFINED). */
LLVMTypeRef cg_elem_type(const cg_ctx *c, dlc_dtype dt);
/* elem, or a vector of elem with as many lanes as shape when it is one. */
LLVMTypeRef cg_like(LLVMTypeRef elem, LLVMTypeRef shape);

/* Drops size-1 dims of dims[0..rank) and merges neighbours that all n_ops
 * stride tables walk as one; returns the new rank (0: one element). */
int cg_collapse(int rank, int64_t *dims, int n_ops,
                int64_t st[][DLC_MAX_RANK]);

/* Whether v is float (scalar or vector) rather than integer lanes. */
bool cg_is_fp(LLVMValueRef v);
/* zext of an i1 (vector) to uint8 lanes: a bool tensor holds 0 or 1. */
LLVMValueRef cg_to_bool(cg_fn *f, LLVMValueRef b, LLVMTypeRef ty);
/* x != 0 for integer (bool) lanes. */
LLVMValueRef cg_nonzero(cg_fn *f, LLVMValueRef x);
/* cg_emit_map over every input of f's node (all read at run time) into its
 * output 0. */
void cg_map_node(cg_fn *f, cg_map_op op, const void *ud, bool vec);
/* acc replaced by v when v is better (larger with is_max) or NaN. */
LLVMValueRef cg_min_max_step(cg_fn *f, bool is_max, LLVMValueRef acc,
                             LLVMValueRef v);
/* y[...] = i (integer dtypes) or fv (float32): a map without operands. */
void cg_emit_fill(cg_fn *f, const dlc_tensor *y, LLVMValueRef out, int64_t i,
                  double fv);

extern const cg_emitter cg_emit_extra_unary, cg_emit_compare, cg_emit_where,
    cg_emit_min_max, cg_emit_cast, cg_emit_expand, cg_emit_constant_of_shape,
    cg_emit_range, cg_emit_reduce, cg_emit_scale_shift,
    cg_emit_channel_shuffle, cg_emit_gelu, cg_emit_fused_elementwise;

#endif /* DLC_CG_H */
