/* cg_elementwise.c — element-wise kernels: the broadcasting map loop that
 * every element-wise operator (and BatchNormalization's scale and shift)
 * goes through, and the per-operator scalar/vector formulas. The map reads
 * and writes each tensor with its own dtype's element type, so the typed
 * operators (cg_compare.c, cg_cast.c, cg_shape.c's Expand and fills,
 * cg_reduce.c, and Neg, Abs, IsNaN, Not, Min, Max here) use it too, with the
 * helpers they share: bool lanes, the map over a node's inputs, the
 * NaN-winning min/max step, the constant fill.
 *
 * Math functions: exp, the logistic and tanh are built in IR (cg_exp,
 * cg_sigmoid, cg_tanh: vector code, no libm); pow and sqrt are LLVM
 * intrinsics (pow becomes a call to powf, lane by lane); erf calls erff. A
 * model using those needs -lm at link time (docs/abi.md). */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"

#define MAX_OPERANDS CG_MAP_MAX_OPERANDS

LLVMTypeRef cg_elem_type(const cg_ctx *c, dlc_dtype dt) {
  switch (dt) {
  case DLC_DT_INT64: return c->i64;
  case DLC_DT_INT32: return c->i32;
  case DLC_DT_INT8:
  case DLC_DT_UINT8: return c->i8;
  default: return c->f32; /* float32 (and tensors built without a dtype) */
  }
}

/* Bytes of one element of t (float32 when no dtype is set). */
static unsigned elem_bytes(const dlc_tensor *t) {
  return t->dtype == DLC_DT_UNDEFINED ? 4 : (unsigned)dlc_dtype_size(t->dtype);
}

/* Broadcast strides of operand t over out's dims (0 where it repeats). */
static void broadcast_strides(const dlc_tensor *t, const dlc_tensor *out,
                              int64_t *st) {
  int64_t cs[DLC_MAX_RANK];
  cg_strides(t, cs);
  int shift = out->rank - t->rank;
  for (int k = 0; k < out->rank; k++) {
    int j = k - shift;
    st[k] = (j < 0 || t->dims[j] == 1 || out->dims[k] == 1) ? 0 : cs[j];
  }
}

/* Drops size-1 dims and merges a dim into the next inner one whenever every
 * operand walks them as one (stride[k] == stride[k+1] * dims[k+1]). */
int cg_collapse(int rank, int64_t *dims, int n_ops,
                int64_t st[][DLC_MAX_RANK]) {
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (dims[k] == 1)
      continue;
    bool merge = r > 0;
    for (int i = 0; merge && i < n_ops; i++)
      merge = st[i][r - 1] == st[i][k] * dims[k];
    if (merge) {
      dims[r - 1] *= dims[k];
      for (int i = 0; i < n_ops; i++)
        st[i][r - 1] = st[i][k];
      continue;
    }
    dims[r] = dims[k];
    for (int i = 0; i < n_ops; i++)
      st[i][r] = st[i][k];
    r++;
  }
  return r;
}

/* Operands and output of one map; index n is the output. Element types come
 * from the tensors' dtypes, so comparisons (float -> uint8), Cast and Where
 * share the loop with the float operators. */
typedef struct map_inner {
  int n;
  LLVMValueRef p[MAX_OPERANDS + 1], base[MAX_OPERANDS + 1];
  LLVMTypeRef elem[MAX_OPERANDS + 1];
  unsigned align[MAX_OPERANDS + 1];
  int64_t st[MAX_OPERANDS]; /* innermost stride of each operand */
  cg_map_op op;
  const void *ud;
} map_inner;

static LLVMValueRef elem_ptr(cg_fn *f, const map_inner *m, int i,
                             LLVMValueRef at) {
  return LLVMBuildInBoundsGEP2(f->b, m->elem[i], m->p[i], &at, 1, "");
}

static LLVMValueRef load_operand(cg_fn *f, const map_inner *m, int i,
                                 LLVMValueRef j, LLVMTypeRef ty) {
  LLVMValueRef at = m->base[i];
  if (m->st[i] != 0)
    at = cg_affine(f, at, j, m->st[i]);
  if (!at)
    at = cg_i64(f, 0);
  bool splat = m->st[i] == 0;
  LLVMTypeRef lt = splat ? m->elem[i] : cg_like(m->elem[i], ty);
  LLVMValueRef x = LLVMBuildLoad2(f->b, lt, elem_ptr(f, m, i, at), "");
  LLVMSetAlignment(x, m->align[i]);
  return splat ? cg_splat(f, x, cg_like(m->elem[i], ty)) : x;
}

static void inner_run(cg_fn *f, const map_inner *m, int64_t begin,
                      int64_t end, int64_t step, LLVMTypeRef ty) {
  cg_loop l;
  LLVMValueRef j = cg_for_begin(f, &l, begin, end, step);
  LLVMValueRef x[MAX_OPERANDS];
  for (int i = 0; i < m->n; i++)
    x[i] = load_operand(f, m, i, j, ty);
  LLVMValueRef y = m->op(f, x, ty, m->ud);
  LLVMValueRef at = cg_affine(f, m->base[m->n], j, 1);
  LLVMValueRef s = LLVMBuildStore(f->b, y, elem_ptr(f, m, m->n, at));
  LLVMSetAlignment(s, m->align[m->n]);
  cg_for_end(f, &l);
}

void cg_emit_map(cg_fn *f, int n, LLVMValueRef *p, const dlc_tensor *const *t,
                 LLVMValueRef out, const dlc_tensor *out_t, cg_map_op op,
                 const void *ud, bool vector_ok) {
  DLC_ASSERT(n <= MAX_OPERANDS);
  if (cg_numel(out_t) == 0)
    return; /* nothing to write (and no loop of zero trips to build) */
  int64_t dims[DLC_MAX_RANK], st[MAX_OPERANDS + 1][DLC_MAX_RANK];
  memcpy(dims, out_t->dims, sizeof(int64_t) * (size_t)out_t->rank);
  map_inner m = {.n = n, .op = op, .ud = ud};
  for (int i = 0; i <= n; i++) {
    const dlc_tensor *ti = i < n ? t[i] : out_t;
    m.p[i] = i < n ? p[i] : out;
    m.elem[i] = cg_elem_type(f->c, ti->dtype);
    m.align[i] = elem_bytes(ti);
    if (i < n)
      broadcast_strides(ti, out_t, st[i]);
  }
  cg_strides(out_t, st[n]);
  int r = cg_collapse(out_t->rank, dims, n + 1, st);
  if (r == 0) { /* a single element */
    dims[0] = 1;
    for (int i = 0; i <= n; i++)
      st[i][0] = 0;
    r = 1;
  }
  LLVMValueRef idx[DLC_MAX_RANK];
  cg_nest nest;
  cg_nest_begin(f, &nest, r - 1, dims, idx);
  for (int i = 0; i <= n; i++) {
    m.base[i] = NULL;
    for (int k = 0; k < r - 1; k++)
      m.base[i] = cg_affine(f, m.base[i], idx[k], st[i][k]);
  }
  bool unit = true;
  for (int i = 0; i < n; i++) {
    m.st[i] = st[i][r - 1];
    unit = unit && m.st[i] <= 1;
  }
  int64_t d = dims[r - 1], vl = f->c->t->vl;
  int64_t main = vector_ok && unit && d >= vl ? d / vl * vl : 0;
  if (main > 0)
    inner_run(f, &m, 0, main, vl, f->c->vf);
  if (main < d)
    inner_run(f, &m, main, d, 1, f->c->f32);
  cg_nest_end(f, &nest);
}

/* ------------------------------------------------------ operator formulas */

static LLVMValueRef select_neg(cg_fn *f, LLVMValueRef x, LLVMValueRef neg) {
  LLVMValueRef lt =
      LLVMBuildFCmp(f->b, LLVMRealOLT, x, cg_fconst(f, LLVMTypeOf(x), 0), "");
  return LLVMBuildSelect(f->b, lt, neg, x, "");
}

static LLVMValueRef op_relu(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  LLVMValueRef gt = LLVMBuildFCmp(f->b, LLVMRealOGT, x, cg_fconst(f, ty, 0), "");
  return LLVMBuildSelect(f->b, gt, x, cg_fconst(f, ty, 0), "");
}

/* max(0, min(1, alpha*x + beta)) */
static LLVMValueRef hard_sigmoid(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty,
                                 double alpha, double beta) {
  LLVMValueRef y = LLVMBuildFMul(f->b, x, cg_fconst(f, ty, alpha), "");
  y = LLVMBuildFAdd(f->b, y, cg_fconst(f, ty, beta), "");
  y = cg_fmin(f, y, cg_fconst(f, ty, 1));
  return cg_fmax(f, y, cg_fconst(f, ty, 0));
}

static LLVMValueRef unary(cg_fn *f, LLVMValueRef *xs, LLVMTypeRef ty,
                          const void *ud) {
  const dlc_node *n = ud;
  LLVMValueRef x = xs[0];
  switch (n->op) {
  case DLC_OP_RELU:
    return op_relu(f, x, ty);
  case DLC_OP_LEAKY_RELU: {
    double a = dlc_node_get_float(n, "alpha");
    return select_neg(f, x, LLVMBuildFMul(f->b, x, cg_fconst(f, ty, a), ""));
  }
  case DLC_OP_ELU: {
    double a = dlc_node_get_float(n, "alpha");
    LLVMValueRef em1 = LLVMBuildFSub(f->b, cg_exp(f, x), cg_fconst(f, ty, 1), "");
    return select_neg(f, x, LLVMBuildFMul(f->b, em1, cg_fconst(f, ty, a), ""));
  }
  case DLC_OP_SIGMOID:
    return cg_sigmoid(f, x);
  case DLC_OP_TANH:
    return cg_tanh(f, x);
  case DLC_OP_ERF:
    return cg_libm1(f, "erff", x);
  case DLC_OP_HARD_SIGMOID:
    return hard_sigmoid(f, x, ty, dlc_node_get_float(n, "alpha"),
                        dlc_node_get_float(n, "beta"));
  case DLC_OP_HARD_SWISH:
    return LLVMBuildFMul(f->b, x, hard_sigmoid(f, x, ty, 1.0 / 6, 0.5), "");
  case DLC_OP_SQRT:
    return cg_intrinsic(f, "llvm.sqrt", ty, &x, 1);
  case DLC_OP_EXP:
    return cg_exp(f, x);
  case DLC_OP_IDENTITY:
  case DLC_OP_DROPOUT:
  default:
    return x;
  }
}

static LLVMValueRef binary(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                           const void *ud) {
  const dlc_node *n = ud;
  switch (n->op) {
  case DLC_OP_ADD:
    return LLVMBuildFAdd(f->b, x[0], x[1], "");
  case DLC_OP_SUB:
    return LLVMBuildFSub(f->b, x[0], x[1], "");
  case DLC_OP_MUL:
    return LLVMBuildFMul(f->b, x[0], x[1], "");
  case DLC_OP_DIV:
    return LLVMBuildFDiv(f->b, x[0], x[1], "");
  case DLC_OP_POW:
    return cg_intrinsic(f, "llvm.pow", ty, x, 2);
  case DLC_OP_PRELU:
  default:
    return select_neg(f, x[0], LLVMBuildFMul(f->b, x[0], x[1], ""));
  }
}

static bool emit_unary(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *t = &n->inputs[0]->type;
  /* erff is called lane by lane anyway: keep that loop scalar. */
  bool vec = n->op != DLC_OP_ERF;
  cg_emit_map(f, 1, &f->in[0], &t, f->out[0], &n->outputs[0]->type, unary, n,
              vec);
  return true;
}

static bool emit_binary(cg_fn *f) {
  const dlc_node *n = f->node;
  const dlc_tensor *t[2] = {&n->inputs[0]->type, &n->inputs[1]->type};
  LLVMValueRef p[2] = {f->in[0], f->in[1]};
  cg_emit_map(f, 2, p, t, f->out[0], &n->outputs[0]->type, binary, n, true);
  return true;
}

/* Clip's bounds are constant inputs 1 and 2 (omitted: unbounded). */
typedef struct clip_bounds {
  double lo, hi;
} clip_bounds;

static LLVMValueRef clip(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                         const void *ud) {
  const clip_bounds *b = ud;
  LLVMValueRef y = x[0];
  if (b->lo > -INFINITY)
    y = cg_fmax(f, y, cg_fconst(f, ty, b->lo));
  if (b->hi < INFINITY)
    y = cg_fmin(f, y, cg_fconst(f, ty, b->hi));
  return y;
}

static double bound(const dlc_node *n, int i, double dflt) {
  if (i >= n->n_inputs || !n->inputs[i])
    return dflt;
  return dlc_tensor_get_f64(&n->inputs[i]->type, 0);
}

static bool emit_clip(cg_fn *f) {
  const dlc_node *n = f->node;
  clip_bounds b = {bound(n, 1, -INFINITY), bound(n, 2, INFINITY)};
  const dlc_tensor *t = &n->inputs[0]->type;
  cg_emit_map(f, 1, &f->in[0], &t, f->out[0], &n->outputs[0]->type, clip, &b,
              true);
  return true;
}

/* ------------------------ helpers of the kernels of other dtypes than f32 */

bool cg_is_fp(LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
    t = LLVMGetElementType(t);
  return LLVMGetTypeKind(t) == LLVMFloatTypeKind;
}

/* zext of an i1 (vector) to uint8 lanes: a bool tensor holds 0 or 1. */
LLVMValueRef cg_to_bool(cg_fn *f, LLVMValueRef b, LLVMTypeRef ty) {
  return LLVMBuildZExt(f->b, b, cg_like(f->c->i8, ty), "");
}

LLVMValueRef cg_nonzero(cg_fn *f, LLVMValueRef x) {
  return LLVMBuildICmp(f->b, LLVMIntNE, x, LLVMConstNull(LLVMTypeOf(x)), "");
}

/* A constant of element type elem (integer iv or float fv) shaped like ty. */
static LLVMValueRef const_like(LLVMTypeRef elem, LLVMTypeRef ty,
                               int64_t iv, double fv) {
  LLVMValueRef s = LLVMGetTypeKind(elem) == LLVMFloatTypeKind
                       ? LLVMConstReal(elem, fv)
                       : LLVMConstInt(elem, (unsigned long long)iv, 1);
  if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
    return s;
  LLVMValueRef e[16];
  unsigned n = LLVMGetVectorSize(ty);
  for (unsigned i = 0; i < n; i++)
    e[i] = s;
  return LLVMConstVector(e, n);
}

/* The map over every input of the node (all read at run time). */
void cg_map_node(cg_fn *f, cg_map_op op, const void *ud, bool vec) {
  const dlc_node *n = f->node;
  const dlc_tensor *t[CG_MAP_MAX_OPERANDS];
  for (int i = 0; i < n->n_inputs; i++)
    t[i] = &n->inputs[i]->type;
  cg_emit_map(f, n->n_inputs, f->in, t, f->out[0], &n->outputs[0]->type, op, ud,
              vec);
}

/* acc replaced by v when v is better or NaN: NaN wins and then stays (a
 * NaN acc is never "worse" than v under an ordered comparison). */
LLVMValueRef cg_min_max_step(cg_fn *f, bool is_max, LLVMValueRef acc,
                             LLVMValueRef v) {
  LLVMValueRef take;
  if (cg_is_fp(v)) {
    take = LLVMBuildFCmp(f->b, is_max ? LLVMRealOGT : LLVMRealOLT, v, acc, "");
    take = LLVMBuildOr(f->b, take, LLVMBuildFCmp(f->b, LLVMRealUNO, v, v, ""),
                       "");
  } else {
    take = LLVMBuildICmp(f->b, is_max ? LLVMIntSGT : LLVMIntSLT, v, acc, "");
  }
  return LLVMBuildSelect(f->b, take, v, acc, "");
}

typedef struct fill_value {
  LLVMTypeRef elem;
  int64_t i;
  double f;
} fill_value;

static LLVMValueRef fill(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                         const void *ud) {
  (void)f;
  (void)x;
  const fill_value *v = ud;
  return const_like(v->elem, ty, v->i, v->f);
}

/* y[...] = v: a map without operands. */
void cg_emit_fill(cg_fn *f, const dlc_tensor *y, LLVMValueRef out,
                      int64_t i, double fv) {
  fill_value v = {cg_elem_type(f->c, y->dtype), i, fv};
  cg_emit_map(f, 0, NULL, NULL, out, y, fill, &v, true);
}

/* ------------------------------------- Neg..Softplus, IsNaN, Not, Min, Max */

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, and log1p keeps
 * the tiny results of very negative x. */
static LLVMValueRef softplus(cg_fn *f, LLVMValueRef x, LLVMTypeRef ty) {
  LLVMValueRef ax = cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  LLVMValueRef e = LLVMBuildFNeg(f->b, ax, "");
  e = cg_exp(f, e);
  LLVMValueRef pos = cg_fmax(f, x, cg_fconst(f, ty, 0));
  return LLVMBuildFAdd(f->b, pos, cg_libm1(f, "log1pf", e), "");
}

static LLVMValueRef extra_unary(cg_fn *f, LLVMValueRef *xs, LLVMTypeRef ty,
                                const void *ud) {
  const dlc_node *n = ud;
  LLVMValueRef x = xs[0];
  switch (n->op) {
  case DLC_OP_NEG:
    return LLVMBuildFNeg(f->b, x, "");
  case DLC_OP_ABS:
    return cg_intrinsic(f, "llvm.fabs", ty, &x, 1);
  case DLC_OP_RECIPROCAL:
    return LLVMBuildFDiv(f->b, cg_fconst(f, ty, 1), x, "");
  case DLC_OP_LOG:
    return cg_intrinsic(f, "llvm.log", ty, &x, 1);
  case DLC_OP_SOFTPLUS:
    return softplus(f, x, ty);
  case DLC_OP_IS_NAN:
    return cg_to_bool(f, LLVMBuildFCmp(f->b, LLVMRealUNO, x, x, ""), ty);
  case DLC_OP_NOT:
  default:
    return cg_to_bool(f, LLVMBuildICmp(f->b, LLVMIntEQ, x,
                                    LLVMConstNull(LLVMTypeOf(x)), ""), ty);
  }
}

static bool emit_extra_unary(cg_fn *f) {
  /* log1pf is called lane by lane: keep Softplus scalar. */
  cg_map_node(f, extra_unary, f->node, f->node->op != DLC_OP_SOFTPLUS);
  return true;
}

/* --------------------------------------------------------------- Min, Max */

static LLVMValueRef min_max(cg_fn *f, LLVMValueRef *x, LLVMTypeRef ty,
                            const void *ud) {
  (void)ty;
  const dlc_node *n = ud;
  LLVMValueRef acc = x[0];
  for (int i = 1; i < n->n_inputs; i++)
    acc = cg_min_max_step(f, n->op == DLC_OP_MAX, acc, x[i]);
  return acc;
}

static bool emit_min_max(cg_fn *f) {
  cg_map_node(f, min_max, f->node, true);
  return true;
}

const cg_emitter cg_emit_unary = {.emit = emit_unary};
const cg_emitter cg_emit_binary = {.emit = emit_binary};
const cg_emitter cg_emit_clip = {.ct_inputs = 0x6, .emit = emit_clip};
const cg_emitter cg_emit_extra_unary = {.emit = emit_extra_unary};
const cg_emitter cg_emit_min_max = {.emit = emit_min_max};
