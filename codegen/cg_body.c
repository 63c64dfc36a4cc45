/* cg_body.c — the model body: one call per node, in topological order,
 * to a kernel function shared by every node with the same identity.
 *
 * A kernel's identity is its schedule record's decision (algorithm, kernel
 * parameters, whether it has scratch), the operator, input and output
 * shapes, attributes, fused epilogue, the bytes of the inputs it reads at
 * compile time, whether its pointer arguments may alias, and how many blobs
 * its prepare step passes; weights and activations are pointer arguments,
 * so ResNet's repeated blocks share one function per distinct layer shape.
 *
 * Pointer arguments are `noalias` (LLVM may then keep values in registers
 * across stores) except when the memory plan made this call's output share
 * storage with one of its inputs (an in-place element-wise node): then the
 * kernel is a separate function without `noalias`, and the element-wise
 * emitters read each element before writing the same index. */
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

typedef DLC_VEC(char) bytes;

static void put(bytes *k, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    dlc_vec_push(k, ((const char *)p)[i]);
}

static void put_shape(bytes *k, const dlc_tensor *t) {
  put(k, &t->dtype, sizeof t->dtype);
  put(k, &t->rank, sizeof t->rank);
  put(k, t->dims, sizeof(int64_t) * (size_t)t->rank);
}

static void put_attr(bytes *k, const dlc_attr *a) {
  put(k, a->name, strlen(a->name) + 1);
  put(k, &a->kind, sizeof a->kind);
  put(k, &a->i, sizeof a->i);
  put(k, &a->f, sizeof a->f);
  if (a->s)
    put(k, a->s, strlen(a->s) + 1);
  put(k, &a->n, sizeof a->n);
  if (a->ints)
    put(k, a->ints, sizeof(int64_t) * (size_t)a->n);
  if (a->floats)
    put(k, a->floats, sizeof(double) * (size_t)a->n);
  for (int i = 0; a->strings && i < a->n; i++)
    put(k, a->strings[i], strlen(a->strings[i]) + 1);
  if (a->kind == DLC_ATTR_TENSOR) {
    put_shape(k, &a->tensor);
    if (a->tensor.data)
      put(k, a->tensor.data, dlc_tensor_nbytes(&a->tensor));
  }
}

static void put_act(bytes *k, const dlc_activation *a) {
  put(k, &a->kind, sizeof a->kind);
  put(k, &a->alpha, sizeof a->alpha);
  put(k, &a->beta, sizeof a->beta);
  put(k, &a->slope_input, sizeof a->slope_input);
}

/* The epilogue's work (not its `fused` list, which only names the ops). */
static void put_epilogue(bytes *k, const dlc_epilogue *e) {
  put(k, e ? "e" : "-", 1);
  if (!e)
    return;
  put_act(k, &e->act1);
  put(k, &e->residual_input, sizeof e->residual_input);
  put_act(k, &e->act2);
  put(k, &e->n_extra_inputs, sizeof e->n_extra_inputs);
}

/* The identity: the schedule's decision (algorithm, kernel parameters,
 * scratch), then everything of the node the kernel body depends on. */
static void make_key(const cg_emitter *e, const dlc_node_sched *r,
                     const cg_call *call, bool may_alias, bytes *k) {
  const dlc_node *n = r->node;
  bool scratch = r->scratch > 0;
  put(k, &r->algo, sizeof r->algo);
  put(k, &r->p, sizeof r->p);
  put(k, &scratch, sizeof scratch);
  put(k, &n->op, sizeof n->op);
  put(k, &may_alias, sizeof may_alias);
  put_epilogue(k, n->epilogue);
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    put(k, v ? "i" : "x", 1);
    if (!v)
      continue;
    put_shape(k, &v->type);
    if (i < 16 && (e->ct_inputs >> i & 1))
      put(k, v->type.data, dlc_tensor_nbytes(&v->type));
  }
  for (int i = 0; i < n->n_outputs; i++) {
    put(k, n->outputs[i] ? "o" : "x", 1);
    if (n->outputs[i])
      put_shape(k, &n->outputs[i]->type);
  }
  for (int i = 0; i < n->n_attrs; i++)
    put_attr(k, &n->attrs[i]);
  put(k, &call->n_extra, sizeof call->n_extra);
}

static bool runtime_input(const cg_emitter *e, const dlc_node *n, int i) {
  return n->inputs[i] &&
         !(i < 16 && ((e->ct_inputs | e->prep_inputs) >> i & 1));
}

static int count_args(const cg_emitter *e, const dlc_node_sched *r,
                      const cg_call *call) {
  const dlc_node *n = r->node;
  int a = 0;
  for (int i = 0; i < n->n_inputs; i++)
    a += runtime_input(e, n, i);
  for (int i = 0; i < n->n_outputs; i++)
    a += n->outputs[i] != NULL;
  return a + call->n_extra + (r->scratch > 0);
}

/* Whether the storage of a and b overlaps (same caller buffer, same
 * constant, or intersecting workspace byte ranges). */
static bool same_storage(const cg_ctx *c, const dlc_value *a,
                         const dlc_value *b) {
  const cg_place *p = &c->plan.place[c->plan.root[a->id]];
  const cg_place *q = &c->plan.place[c->plan.root[b->id]];
  if (p->loc != q->loc || p->loc == CG_LOC_CONST)
    return p->loc == CG_LOC_CONST && c->plan.root[a->id] == c->plan.root[b->id];
  if (p->loc != CG_LOC_WORKSPACE)
    return p->index == q->index;
  int64_t pa = p->offset, pb = pa + (int64_t)dlc_tensor_nbytes(&a->type);
  int64_t qa = q->offset, qb = qa + (int64_t)dlc_tensor_nbytes(&b->type);
  return pa < qb && qa < pb;
}

/* Whether an output of n overlaps another run-time argument of the call
 * (in-place nodes of the memory plan). Inputs read twice do not count:
 * `noalias` only forbids overlap with memory that is written. */
static bool args_may_alias(const cg_ctx *c, const cg_emitter *e,
                           const dlc_node *n) {
  for (int o = 0; o < n->n_outputs; o++) {
    const dlc_value *w = n->outputs[o];
    for (int i = 0; w && i < n->n_inputs; i++)
      if (runtime_input(e, n, i) && same_storage(c, w, n->inputs[i]))
        return true;
    for (int j = 0; w && j < o; j++)
      if (n->outputs[j] && same_storage(c, w, n->outputs[j]))
        return true;
  }
  return false;
}

/* Graphs of more nodes than this keep their kernels out of line. */
enum { CG_INLINE_NODES = 256 };

static void set_kernel_attrs(cg_ctx *c, LLVMValueRef fn, int n_args,
                             bool may_alias) {
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
  for (int i = 0; !may_alias && i < n_args; i++)
    LLVMAddAttributeAtIndex(fn, (unsigned)i + 1,
                            LLVMCreateEnumAttribute(c->llc, noalias, 0));
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(c->llc, nounwind, 0));
  /* In a large graph each kernel stays a function of its own: inlined (one
   * call site each), they made the body one giant function whose
   * optimisation grew much faster than the node count (a 2,000-node chain
   * of distinct MatMul+Sigmoid kernels: 290 s at -O2, 112 s without
   * inlining; issue 10 item 7). Small graphs keep inlining, which their
   * run time may rely on: the body then holds at most CG_INLINE_NODES
   * kernels. */
  if (c->g->nodes.n > CG_INLINE_NODES) {
    unsigned noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(c->llc, noinline, 0));
  }
  if (c->t->vl == 16) {
    /* Keep <16 x float> in ZMM registers rather than split in halves. */
    LLVMAddAttributeAtIndex(
        fn, LLVMAttributeFunctionIndex,
        LLVMCreateStringAttribute(c->llc, "min-legal-vector-width", 22, "512",
                                  3));
  }
}

/* Creates the kernel function and emits its body with emitter e. */
static LLVMValueRef build_kernel(cg_ctx *c, const cg_emitter *e,
                                 const dlc_node_sched *r, const cg_call *call,
                                 int n_args, bool may_alias) {
  const dlc_node *n = r->node;
  LLVMTypeRef params[64];
  DLC_ASSERT(n_args <= 64);
  for (int i = 0; i < n_args; i++)
    params[i] = c->ptr;
  char name[96];
  snprintf(name, sizeof name, "%s_k%zu_%s", c->prefix, c->kernels.n,
           dlc_op_name(n->op));
  LLVMValueRef fn = LLVMAddFunction(
      c->mod, name, LLVMFunctionType(c->void_t, params, (unsigned)n_args, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  set_kernel_attrs(c, fn, n_args, may_alias);
  cg_fn f = {.c = c, .node = n, .s = r, .fn = fn};
  f.b = LLVMCreateBuilderInContext(c->llc);
  f.entry = LLVMAppendBasicBlockInContext(c->llc, fn, "entry");
  LLVMPositionBuilderAtEnd(f.b, f.entry);
  LLVMValueRef in[64] = {0}, out[64] = {0};
  f.in = in;
  f.out = out;
  int a = 0;
  for (int i = 0; i < n->n_inputs && i < 64; i++)
    if (runtime_input(e, n, i))
      in[i] = LLVMGetParam(fn, (unsigned)a++);
  for (int i = 0; i < n->n_outputs && i < 64; i++)
    if (n->outputs[i])
      out[i] = LLVMGetParam(fn, (unsigned)a++);
  for (int i = 0; i < call->n_extra; i++)
    f.extra[i] = LLVMGetParam(fn, (unsigned)a++);
  if (a < n_args)
    f.scratch = LLVMGetParam(fn, (unsigned)a++);
  bool ok = e->emit(&f);
  LLVMBuildRetVoid(f.b);
  LLVMDisposeBuilder(f.b);
  return ok ? fn : NULL;
}

static LLVMValueRef find_or_build(cg_ctx *c, const cg_emitter *e,
                                  const dlc_node_sched *r, const cg_call *call,
                                  int n_args) {
  bool may_alias = args_may_alias(c, e, r->node);
  bytes key = {0};
  make_key(e, r, call, may_alias, &key);
  for (size_t i = 0; i < c->kernels.n; i++) {
    cg_kernel_entry *k = &c->kernels.items[i];
    if (k->key_len == key.n && memcmp(k->key, key.items, key.n) == 0) {
      dlc_vec_free(&key);
      return k->fn;
    }
  }
  LLVMValueRef fn = build_kernel(c, e, r, call, n_args, may_alias);
  if (!fn) {
    dlc_vec_free(&key);
    return NULL;
  }
  cg_kernel_entry k = {key.items, key.n, fn, n_args};
  dlc_vec_push(&c->kernels, k);
  return fn;
}

LLVMValueRef cg_const_blob(cg_ctx *c, const void *data, size_t size,
                           const char *hint) {
  (void)hint;
  char name[96];
  snprintf(name, sizeof name, "%s_const%d", c->prefix, c->blob_count++);
  LLVMValueRef init = LLVMConstStringInContext(
      c->llc, size ? (const char *)data : "", (unsigned)(size ? size : 1), 1);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(gv, DLCRT_ALIGN);
  return gv;
}

/* Pointer to value v's storage inside the body function. */
LLVMValueRef cg_value_ptr(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                          const dlc_value *v) {
  int r = c->plan.root[v->id];
  const cg_place *p = &c->plan.place[r];
  switch (p->loc) {
  case CG_LOC_INPUT:
    return body->inputs[p->index];
  case CG_LOC_OUTPUT:
    return body->outputs[p->index];
  case CG_LOC_WORKSPACE: {
    LLVMValueRef off = LLVMConstInt(c->i64, (unsigned long long)p->offset, 0);
    return LLVMBuildInBoundsGEP2(b, c->i8, body->ws, &off, 1, "");
  }
  case CG_LOC_CONST: {
    if (!c->value_global[r]) {
      const dlc_value *rv = c->g->values.items[r];
      c->value_global[r] = cg_const_blob(c, rv->type.data,
                                         dlc_tensor_nbytes(&rv->type),
                                         rv->name);
    }
    return c->value_global[r];
  }
  default:
    DLC_ASSERT(!"value without storage");
    return NULL;
  }
}

/* Emits the call for node n (its record's algorithm) at b's position. */
bool cg_emit_node(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                  const dlc_node *n) {
  const dlc_node_sched *r = cg_sched(c, n);
  const cg_emitter *e = cg_emitter_for(r->algo);
  cg_call call = {0};
  bool ok = !e->prepare || e->prepare(c, n, &call);
  if (!ok)
    dlc_diag_error(c->d, "", "node '%s' (%s): %s could not prepare its "
                   "kernel", n->name, dlc_op_name(n->op),
                   dlc_algo_name(r->algo));
  int n_args = count_args(e, r, &call);
  LLVMValueRef fn = ok ? find_or_build(c, e, r, &call, n_args) : NULL;
  if (fn) {
    LLVMValueRef args[64];
    int a = 0;
    for (int i = 0; i < n->n_inputs; i++)
      if (runtime_input(e, n, i))
        args[a++] = cg_value_ptr(c, b, body, n->inputs[i]);
    for (int i = 0; i < n->n_outputs; i++)
      if (n->outputs[i])
        args[a++] = cg_value_ptr(c, b, body, n->outputs[i]);
    for (int i = 0; i < call.n_extra; i++)
      args[a++] = cg_const_blob(c, call.extra[i].data, call.extra[i].size,
                                n->name);
    if (a < n_args) {
      DLC_ASSERT(r->scratch_offset >= 0);
      LLVMValueRef off =
          LLVMConstInt(c->i64, (unsigned long long)r->scratch_offset, 0);
      args[a++] = LLVMBuildInBoundsGEP2(b, c->i8, body->ws, &off, 1, "");
    }
    LLVMBuildCall2(b, LLVMGlobalGetValueType(fn), fn, args, (unsigned)a, "");
  } else if (ok) {
    dlc_diag_error(c->d, "", "node '%s' (%s): the kernel could not be built",
                   n->name, dlc_op_name(n->op));
  }
  for (int i = 0; i < call.n_owned; i++)
    free(call.owned[i]);
  return fn != NULL;
}

void cg_kernels_free(cg_ctx *c) {
  for (size_t i = 0; i < c->kernels.n; i++)
    free(c->kernels.items[i].key);
  dlc_vec_free(&c->kernels);
}
