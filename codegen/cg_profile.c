/* cg_profile.c — what `--profile` adds to a compiled model, and only then:
 *
 *   - a call dlcrt_profile_event(&PREFIX_profile, index, phase) before
 *     (DLCRT_PROFILE_BEFORE) and after (DLCRT_PROFILE_AFTER) each kernel
 *     call of the body, index counting the calls in schedule order, so that
 *     users time the layers on their own device with their own hook and
 *     clock (runtime/profile.c ships a default one);
 *   - `const struct dlc_profile PREFIX_profile` (runtime/dlcrt.h): per call,
 *     the owning node's name, operator, schedule line, MACs and bytes, plus
 *     an FMA-peak kernel compiled for the same target, so that a node's
 *     GFLOP/s compares with what this build of this core can reach;
 *   - PREFIX_PROFILE_NODES and the declaration in model.h.
 *
 * The marks surround the call instruction, not the kernel's body: a kernel
 * that LLVM inlines into the body, and a fused epilogue (part of its node's
 * kernel), are still timed as the node that owns the schedule record. The
 * hook is an external call, so memory operations of a kernel stay between
 * its two marks. Without --profile every function here returns at once and
 * the object is what it would be if this file did not exist. */
#include <stdlib.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

static void profile_name(const cg_ctx *c, char *buf, size_t size) {
  snprintf(buf, size, "%s_profile", c->prefix);
}

/* Bytes of the tensors n reads and writes (weights included). */
static int64_t node_bytes(const dlc_node *n) {
  int64_t b = 0;
  for (int i = 0; i < n->n_inputs; i++)
    if (n->inputs[i])
      b += (int64_t)dlc_tensor_nbytes(&n->inputs[i]->type);
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i])
      b += (int64_t)dlc_tensor_nbytes(&n->outputs[i]->type);
  return b;
}

/* One struct dlc_profile_node: name, op, schedule line, MACs, bytes. */
static LLVMValueRef node_row(cg_ctx *c, const dlc_node *n,
                             const dlc_node_sched *r) {
  char line[512];
  LLVMValueRef f[5] = {
      cg_cstring(c, n->name),
      cg_cstring(c, dlc_op_name(n->op)),
      cg_cstring(c, dlc_schedule_format(r, line, sizeof line)),
      LLVMConstInt(c->i64, (unsigned long long)dlc_node_macs(n), 0),
      LLVMConstInt(c->i64, (unsigned long long)node_bytes(n), 0),
  };
  return LLVMConstStructInContext(c->llc, f, 5, 0);
}

/* ---------------------------------------------------------- FMA peak */

/* FMAs per chain per loop iteration. An -O0 build allocates registers per
 * basic block and keeps the chains in memory across the back edge: one
 * store and reload per chain per iteration, a few cycles on each chain,
 * which 32 FMAs in a row make small (about 5%; at -O2 nothing changes). */
enum { PEAK_UNROLL = 32 };

/* n_acc independent chains acc = acc * m + k in the target's vector (on a
 * target without FMA, mul + add, two operations all the same): with m =
 * io[1] = 0.5 and k = io[0] = 1 every chain converges to 2, never to a
 * denormal or infinity that would slow the units down. */
static LLVMValueRef peak_loop(cg_fn *f, LLVMValueRef *acc, int n_acc,
                              LLVMValueRef m, LLVMValueRef k,
                              LLVMValueRef iters) {
  cg_ctx *c = f->c;
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(f->b);
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->llc, f->fn, "l");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->llc, f->fn, "d");
  LLVMBuildBr(f->b, loop);
  LLVMPositionBuilderAtEnd(f->b, loop);
  LLVMValueRef i = LLVMBuildPhi(f->b, c->i64, "i");
  LLVMValueRef phi[64], next[64];
  for (int a = 0; a < n_acc; a++)
    phi[a] = LLVMBuildPhi(f->b, c->vf, "");
  for (int a = 0; a < n_acc; a++)
    next[a] = phi[a];
  for (int u = 0; u < PEAK_UNROLL; u++)
    for (int a = 0; a < n_acc; a++)
      next[a] = cg_mk_fma(f, next[a], m, k);
  LLVMValueRef i1 = LLVMBuildAdd(f->b, i, LLVMConstInt(c->i64, 1, 0), "");
  LLVMValueRef zero = LLVMConstInt(c->i64, 0, 0);
  LLVMAddIncoming(i, &zero, &pre, 1);
  LLVMAddIncoming(i, &i1, &loop, 1);
  for (int a = 0; a < n_acc; a++) {
    LLVMAddIncoming(phi[a], &acc[a], &pre, 1);
    LLVMAddIncoming(phi[a], &next[a], &loop, 1);
  }
  LLVMBuildCondBr(f->b, LLVMBuildICmp(f->b, LLVMIntSLT, i1, iters, ""), loop,
                  done);
  LLVMPositionBuilderAtEnd(f->b, done);
  LLVMValueRef sum = next[0];
  for (int a = 1; a < n_acc; a++)
    sum = LLVMBuildFAdd(f->b, sum, next[a], "");
  return cg_hsum(f, sum);
}

/* int64_t PREFIX_fma_peak(int64_t iters, float *io) (struct dlc_profile's
 * fma_peak): enough chains to cover the FMA latency times the pipes
 * (Zen 4's 256-bit FMAs need about 12), leaving four registers for the
 * operands. Each chain starts from a different value so that no two are
 * the same computation LLVM could merge. */
static LLVMValueRef build_fma_peak(cg_ctx *c) {
  LLVMTypeRef params[2] = {c->i64, c->ptr};
  char name[160];
  snprintf(name, sizeof name, "%s_fma_peak", c->prefix);
  LLVMValueRef fn =
      LLVMAddFunction(c->mod, name, LLVMFunctionType(c->i64, params, 2, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  if (c->t->vl == 16) /* <16 x float> in ZMM registers, as the kernels */
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(
                                c->llc, "min-legal-vector-width", 22, "512", 3));
  cg_fn f = {.c = c, .fn = fn, .b = LLVMCreateBuilderInContext(c->llc)};
  f.entry = LLVMAppendBasicBlockInContext(c->llc, fn, "entry");
  LLVMPositionBuilderAtEnd(f.b, f.entry);
  LLVMValueRef io = LLVMGetParam(fn, 1), n = LLVMGetParam(fn, 0);
  LLVMValueRef one = LLVMConstInt(c->i64, 1, 0);
  n = LLVMBuildSelect(f.b, LLVMBuildICmp(f.b, LLVMIntSLT, n, one, ""), one, n,
                      "");
  LLVMValueRef k = cg_splat(&f, cg_load(&f, c->f32, io, cg_i64(&f, 0)), c->vf);
  LLVMValueRef m = cg_splat(&f, cg_load(&f, c->f32, io, cg_i64(&f, 1)), c->vf);
  int n_acc = c->t->desc->vector_regs - 4;
  n_acc = n_acc < 4 ? 4 : n_acc > 64 ? 64 : n_acc;
  LLVMValueRef acc[64];
  for (int a = 0; a < n_acc; a++)
    acc[a] = LLVMBuildFAdd(f.b, k, cg_fconst(&f, c->vf, a + 1), "");
  cg_store(&f, peak_loop(&f, acc, n_acc, m, k, n), io, cg_i64(&f, 0));
  int64_t per_iter = 2 * (int64_t)n_acc * c->t->vl * PEAK_UNROLL;
  LLVMBuildRet(f.b, LLVMBuildMul(f.b, n, LLVMConstInt(c->i64,
                                 (unsigned long long)per_iter, 0), ""));
  LLVMDisposeBuilder(f.b);
  return fn;
}

/* ------------------------------------------------------------ tables */

/* The calls of the body, in the order emit_nodes makes them: the nodes
 * whose record runs a kernel. */
static int kernel_nodes(const cg_ctx *c, const dlc_node **out) {
  int n = 0;
  for (size_t k = 0; k < c->g->nodes.n; k++) {
    const dlc_node *node = c->g->nodes.items[k];
    if (cg_sched(c, node)->kind == DLC_SCHED_KERNEL) {
      if (out)
        out[n] = node;
      n++;
    }
  }
  return n;
}

void cg_profile_build(cg_ctx *c) {
  if (!c->opt->profile)
    return;
  int n = kernel_nodes(c, NULL);
  const dlc_node **nodes = calloc((size_t)n + 1, sizeof *nodes);
  LLVMValueRef *rows = calloc((size_t)n + 1, sizeof *rows);
  DLC_ASSERT(nodes && rows);
  kernel_nodes(c, nodes);
  for (int i = 0; i < n; i++)
    rows[i] = node_row(c, nodes[i], cg_sched(c, nodes[i]));
  LLVMTypeRef fields[5] = {c->ptr, c->ptr, c->ptr, c->i64, c->i64};
  LLVMTypeRef row_t = LLVMStructTypeInContext(c->llc, fields, 5, 0);
  LLVMValueRef table =
      n ? cg_private_const(c, LLVMConstArray2(row_t, rows, (uint64_t)n))
        : LLVMConstNull(c->ptr);
  /* Field order and types mirror struct dlc_profile in runtime/dlcrt.h. */
  LLVMValueRef f[5] = {LLVMConstInt(c->i32, DLCRT_PROFILE_VERSION, 0),
                       cg_cstring(c, c->prefix),
                       LLVMConstInt(c->i32, (unsigned long long)n, 0), table,
                       build_fma_peak(c)};
  LLVMValueRef init = LLVMConstStructInContext(c->llc, f, 5, 0);
  char name[160];
  profile_name(c, name, sizeof name);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  free(rows);
  free(nodes);
}

void cg_profile_mark(cg_ctx *c, LLVMBuilderRef b, int index, int phase) {
  if (!c->opt->profile)
    return;
  char name[160];
  profile_name(c, name, sizeof name);
  LLVMValueRef table = LLVMGetNamedGlobal(c->mod, name);
  DLC_ASSERT(table); /* cg_profile_build ran before the body */
  LLVMTypeRef params[3] = {c->ptr, c->i32, c->i32};
  LLVMTypeRef fty = LLVMFunctionType(c->void_t, params, 3, 0);
  LLVMValueRef hook = LLVMGetNamedFunction(c->mod, "dlcrt_profile_event");
  if (!hook)
    hook = LLVMAddFunction(c->mod, "dlcrt_profile_event", fty);
  LLVMValueRef args[3] = {table, LLVMConstInt(c->i32, (unsigned)index, 0),
                          LLVMConstInt(c->i32, (unsigned)phase, 0)};
  LLVMBuildCall2(b, fty, hook, args, 3, "");
}

void cg_profile_put_header(const cg_ctx *c, FILE *f, const char *P) {
  if (!c->opt->profile)
    return;
  fprintf(f, "/* Profiling (compiled with --profile): the run functions call"
          "\n * dlcrt_profile_event(&%s_profile, node, phase) before and "
          "after each of\n * the PROFILE_NODES kernel calls; the tables "
          "(struct dlc_profile in\n * runtime/dlcrt.h) name each call's "
          "node, operator, schedule, MACs and\n * bytes. See docs/abi.md, "
          "\"Profiling\". */\n#define %s_PROFILE_NODES %d\n"
          "struct dlc_profile;\nextern const struct dlc_profile %s_profile;"
          "\n\n", c->prefix, P, kernel_nodes(c, NULL), c->prefix);
}
