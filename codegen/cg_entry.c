/* cg_entry.c — the exported symbols around the model body:
 *   int      PREFIX_run(const float *const *in, float *const *out, void *ws)
 *   int      PREFIX_run_batch(int64_t n, in, out, ws)
 *   uint64_t PREFIX_workspace_size(int64_t n)
 *   const char *PREFIX_status_message(int status)
 *   const struct dlc_model PREFIX_model            (runtime/dlcrt.h)
 *
 * The entry functions are compiled for the baseline of the architecture, so
 * that the argument and CPU checks run on any CPU and return DLCRT_ERR_CPU
 * instead of faulting; the body (and every kernel) uses the chosen CPU.
 *
 * run_batch does the checks, then calls the body once (fixed shapes) or, for
 * a batch-separable model with a symbolic batch (cg_batch.c), once per item
 * with pointers advanced by the item's per-item element counts; run is
 * run_batch(1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

int cg_abi_shape(const cg_ctx *c, const dlc_value *v, bool input,
                 int64_t *dims) {
  for (int k = 0; k < v->type.rank; k++)
    dims[k] = v->type.dims[k];
  (void)input;
  if (c->batched && v->type.rank > 0 && c->batch_dep[v->id])
    dims[0] = -1;
  return v->type.rank;
}

int64_t cg_abi_numel(const cg_ctx *c, const dlc_value *v) {
  (void)c;
  return cg_numel(&v->type); /* batch bound to 1 */
}

static void baseline_attrs(cg_ctx *c, LLVMValueRef fn) {
  unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(c->llc, nounwind, 0));
  if (!c->t->x86)
    return;
  LLVMAddAttributeAtIndex(
      fn, LLVMAttributeFunctionIndex,
      LLVMCreateStringAttribute(c->llc, "target-cpu", 10, "x86-64", 6));
  LLVMAddAttributeAtIndex(
      fn, LLVMAttributeFunctionIndex,
      LLVMCreateStringAttribute(c->llc, "target-features", 15, "", 0));
}

static LLVMValueRef add_fn(cg_ctx *c, const char *suffix, LLVMTypeRef ret,
                           LLVMTypeRef *params, unsigned n) {
  char name[160];
  snprintf(name, sizeof name, "%s_%s", c->prefix, suffix);
  LLVMValueRef fn =
      LLVMAddFunction(c->mod, name, LLVMFunctionType(ret, params, n, 0));
  baseline_attrs(c, fn);
  return fn;
}

/* Branches to a fresh block returning `status` when cond holds. */
static void fail_if(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn,
                    LLVMValueRef cond, int status) {
  LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(c->llc, fn, "fail");
  LLVMBasicBlockRef good = LLVMAppendBasicBlockInContext(c->llc, fn, "ok");
  LLVMBuildCondBr(b, cond, bad, good);
  LLVMPositionBuilderAtEnd(b, bad);
  LLVMBuildRet(b, LLVMConstInt(c->i32, (unsigned)status, 0));
  LLVMPositionBuilderAtEnd(b, good);
}

static LLVMValueRef is_null(LLVMBuilderRef b, LLVMValueRef p) {
  return LLVMBuildIsNull(b, p, "");
}

/* NULL checks of the arrays and of every pointer in them. */
static void check_pointers(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn,
                           LLVMValueRef arr, size_t n) {
  fail_if(c, b, fn, is_null(b, arr), DLCRT_ERR_ARGUMENT);
  for (size_t i = 0; i < n; i++) {
    LLVMValueRef k = LLVMConstInt(c->i64, i, 0);
    LLVMValueRef at = LLVMBuildInBoundsGEP2(b, c->ptr, arr, &k, 1, "");
    fail_if(c, b, fn, is_null(b, LLVMBuildLoad2(b, c->ptr, at, "")),
            DLCRT_ERR_ARGUMENT);
  }
}

/* The checks every run performs before touching data: pointers, workspace
 * alignment, CPU features. */
static void check_arguments(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn,
                            LLVMValueRef in, LLVMValueRef out,
                            LLVMValueRef ws) {
  check_pointers(c, b, fn, in, c->g->inputs.n);
  check_pointers(c, b, fn, out, c->g->outputs.n);
  if (c->plan.workspace_size > 0) {
    fail_if(c, b, fn, is_null(b, ws), DLCRT_ERR_ARGUMENT);
    LLVMValueRef addr = LLVMBuildPtrToInt(b, ws, c->i64, "");
    LLVMValueRef mis = LLVMBuildAnd(
        b, addr, LLVMConstInt(c->i64, (unsigned long long)DLC_PLAN_ALIGN - 1, 0),
        "");
    fail_if(c, b, fn, LLVMBuildIsNotNull(b, mis, ""), DLCRT_ERR_ALIGN);
  }
  if (c->t->cpu_mask) {
    LLVMTypeRef cty = LLVMFunctionType(c->i32, &c->i64, 1, 0);
    LLVMValueRef chk = LLVMGetNamedFunction(c->mod, "dlcrt_cpu_supports");
    if (!chk)
      chk = LLVMAddFunction(c->mod, "dlcrt_cpu_supports", cty);
    LLVMValueRef mask = LLVMConstInt(c->i64, c->t->cpu_mask, 0);
    LLVMValueRef has = LLVMBuildCall2(b, cty, chk, &mask, 1, "");
    fail_if(c, b, fn, LLVMBuildIsNull(b, has, ""), DLCRT_ERR_CPU);
  }
}

/* Largest batch whose buffers' element offsets fit in int64. */
static int64_t max_batch(const cg_ctx *c) {
  int64_t most = 1;
  for (size_t i = 0; i < c->g->values.n; i++) {
    const dlc_value *v = c->g->values.items[i];
    if (c->batch_dep[i] && (v->kind == DLC_VALUE_INPUT || v->is_output)) {
      int64_t e = cg_numel(&v->type);
      most = e > most ? e : most;
    }
  }
  return INT64_MAX / 4 / most;
}

/* Fills arr[0..count) with base[k] + b * (per-item elements) for the buffers
 * that scale with the batch, base[k] for the others. */
static void slice_pointers(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef arr,
                           LLVMValueRef base, LLVMValueRef item,
                           dlc_value *const *vals, size_t count) {
  for (size_t k = 0; k < count; k++) {
    LLVMValueRef idx = LLVMConstInt(c->i64, k, 0);
    LLVMValueRef p = LLVMBuildLoad2(
        b, c->ptr, LLVMBuildInBoundsGEP2(b, c->ptr, base, &idx, 1, ""), "");
    if (c->batch_dep[vals[k]->id]) {
      LLVMValueRef off = LLVMBuildMul(
          b, item,
          LLVMConstInt(c->i64, (unsigned long long)cg_numel(&vals[k]->type), 0),
          "");
      p = LLVMBuildInBoundsGEP2(b, c->f32, p, &off, 1, "");
    }
    LLVMBuildStore(b, p, LLVMBuildInBoundsGEP2(b, c->ptr, arr, &idx, 1, ""));
  }
}

/* for (item = 0; item < n; item++) body(item's slices, ws): the batch-1 body
 * reuses the one workspace, so items run one after the other. */
static void build_batch_loop(cg_ctx *c, LLVMBuilderRef b, LLVMValueRef fn,
                             LLVMValueRef body, LLVMValueRef n) {
  const dlc_graph *g = c->g;
  LLVMValueRef in_arr = LLVMBuildArrayAlloca(
      b, c->ptr, LLVMConstInt(c->i64, g->inputs.n + 1, 0), "in");
  LLVMValueRef out_arr = LLVMBuildArrayAlloca(
      b, c->ptr, LLVMConstInt(c->i64, g->outputs.n + 1, 0), "out");
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->llc, fn, "item");
  LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->llc, fn, "done");
  LLVMBuildBr(b, loop);
  LLVMPositionBuilderAtEnd(b, loop);
  LLVMValueRef item = LLVMBuildPhi(b, c->i64, "i");
  slice_pointers(c, b, in_arr, LLVMGetParam(fn, 1), item, g->inputs.items,
                 g->inputs.n);
  slice_pointers(c, b, out_arr, LLVMGetParam(fn, 2), item, g->outputs.items,
                 g->outputs.n);
  LLVMValueRef args[3] = {in_arr, out_arr, LLVMGetParam(fn, 3)};
  LLVMBuildCall2(b, LLVMGlobalGetValueType(body), body, args, 3, "");
  LLVMValueRef next = LLVMBuildAdd(b, item, LLVMConstInt(c->i64, 1, 0), "");
  LLVMValueRef zero = LLVMConstInt(c->i64, 0, 0);
  LLVMAddIncoming(item, &zero, &pre, 1);
  LLVMAddIncoming(item, &next, &loop, 1);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, next, n, ""), loop, done);
  LLVMPositionBuilderAtEnd(b, done);
}

/* PREFIX_run_batch(n, in, out, ws): fixed-shape models accept only n == 1;
 * batched ones any 1 <= n <= max_batch. */
static LLVMValueRef build_run_batch(cg_ctx *c, LLVMValueRef body) {
  LLVMTypeRef params[4] = {c->i64, c->ptr, c->ptr, c->ptr};
  LLVMValueRef fn = add_fn(c, "run_batch", c->i32, params, 4);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->llc);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->llc, fn, "entry"));
  LLVMValueRef n = LLVMGetParam(fn, 0);
  LLVMValueRef in = LLVMGetParam(fn, 1), out = LLVMGetParam(fn, 2),
               ws = LLVMGetParam(fn, 3);
  if (c->batched) {
    fail_if(c, b, fn, LLVMBuildICmp(b, LLVMIntSLT, n, LLVMConstInt(c->i64, 1, 0),
                                    ""), DLCRT_ERR_BATCH);
    fail_if(c, b, fn, LLVMBuildICmp(b, LLVMIntSGT, n,
                                    LLVMConstInt(c->i64, (unsigned long long)
                                                 max_batch(c), 0), ""),
            DLCRT_ERR_BATCH);
  } else {
    fail_if(c, b, fn,
            LLVMBuildICmp(b, LLVMIntNE, n, LLVMConstInt(c->i64, 1, 0), ""),
            DLCRT_ERR_BATCH);
  }
  check_arguments(c, b, fn, in, out, ws);
  if (c->batched) {
    build_batch_loop(c, b, fn, body, n);
  } else {
    LLVMValueRef args[3] = {in, out, ws};
    LLVMBuildCall2(b, LLVMGlobalGetValueType(body), body, args, 3, "");
  }
  LLVMBuildRet(b, LLVMConstInt(c->i32, DLCRT_OK, 0));
  LLVMDisposeBuilder(b);
  return fn;
}

/* PREFIX_run(in, out, ws) == PREFIX_run_batch(1, in, out, ws). */
static LLVMValueRef build_run(cg_ctx *c, LLVMValueRef run_batch) {
  LLVMTypeRef params[3] = {c->ptr, c->ptr, c->ptr};
  LLVMValueRef fn = add_fn(c, "run", c->i32, params, 3);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->llc);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->llc, fn, "entry"));
  LLVMValueRef args[4] = {LLVMConstInt(c->i64, 1, 0), LLVMGetParam(fn, 0),
                          LLVMGetParam(fn, 1), LLVMGetParam(fn, 2)};
  LLVMValueRef st = LLVMBuildCall2(b, LLVMGlobalGetValueType(run_batch),
                                   run_batch, args, 4, "");
  LLVMBuildRet(b, st);
  LLVMDisposeBuilder(b);
  return fn;
}

/* The batch-1 workspace serves every batch size (items run in turn). */
static LLVMValueRef build_workspace_size(cg_ctx *c) {
  LLVMValueRef fn = add_fn(c, "workspace_size", c->i64, &c->i64, 1);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->llc);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->llc, fn, "entry"));
  LLVMBuildRet(b, LLVMConstInt(c->i64,
                               (unsigned long long)c->plan.workspace_size, 0));
  LLVMDisposeBuilder(b);
  return fn;
}

static void build_status_message(cg_ctx *c) {
  LLVMTypeRef fty = LLVMFunctionType(c->ptr, &c->i32, 1, 0);
  LLVMValueRef rt = LLVMGetNamedFunction(c->mod, "dlcrt_status_message");
  if (!rt)
    rt = LLVMAddFunction(c->mod, "dlcrt_status_message", fty);
  LLVMValueRef fn = add_fn(c, "status_message", c->ptr, &c->i32, 1);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->llc);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->llc, fn, "entry"));
  LLVMValueRef s = LLVMGetParam(fn, 0);
  LLVMBuildRet(b, LLVMBuildCall2(b, fty, rt, &s, 1, ""));
  LLVMDisposeBuilder(b);
}

/* ------------------------------------------------------------ descriptor */

LLVMValueRef cg_cstring(cg_ctx *c, const char *s) {
  LLVMValueRef init = LLVMConstStringInContext(c->llc, s, (unsigned)strlen(s), 0);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  return gv;
}

LLVMValueRef cg_private_const(cg_ctx *c, LLVMValueRef init) {
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), "");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return gv;
}

/* struct dlc_model_tensor[] for the graph's inputs or outputs. */
static LLVMValueRef tensor_table(cg_ctx *c, bool input) {
  const dlc_graph *g = c->g;
  size_t n = input ? g->inputs.n : g->outputs.n;
  LLVMTypeRef fields[4] = {c->ptr, c->i32, c->ptr, c->i64};
  LLVMTypeRef ty = LLVMStructTypeInContext(c->llc, fields, 4, 0);
  if (n == 0)
    return LLVMConstNull(c->ptr);
  LLVMValueRef *rows = calloc(n, sizeof *rows);
  DLC_ASSERT(rows != NULL);
  for (size_t i = 0; i < n; i++) {
    const dlc_value *v = input ? g->inputs.items[i] : g->outputs.items[i];
    int64_t dims[DLC_MAX_RANK];
    int rank = cg_abi_shape(c, v, input, dims);
    LLVMValueRef el[DLC_MAX_RANK + 1];
    for (int k = 0; k < rank; k++)
      el[k] = LLVMConstInt(c->i64, (unsigned long long)dims[k], 1);
    LLVMValueRef shape =
        rank ? cg_private_const(c, LLVMConstArray2(c->i64, el, (uint64_t)rank))
             : LLVMConstNull(c->ptr);
    LLVMValueRef f[4] = {cg_cstring(c, v->name),
                         LLVMConstInt(c->i32, (unsigned)rank, 0), shape,
                         LLVMConstInt(c->i64,
                                      (unsigned long long)cg_abi_numel(c, v), 0)};
    rows[i] = LLVMConstStructInContext(c->llc, f, 4, 0);
  }
  LLVMValueRef arr = cg_private_const(c, LLVMConstArray2(ty, rows, n));
  free(rows);
  return arr;
}

/* Field order and types mirror struct dlc_model in runtime/dlcrt.h. */
static void build_descriptor(cg_ctx *c, LLVMValueRef run, LLVMValueRef batch,
                             LLVMValueRef wsfn) {
  LLVMValueRef f[] = {
      LLVMConstInt(c->i32, DLCRT_ABI_VERSION, 0),
      cg_cstring(c, c->prefix),
      LLVMConstInt(c->i32, c->g->inputs.n, 0),
      LLVMConstInt(c->i32, c->g->outputs.n, 0),
      tensor_table(c, true),
      tensor_table(c, false),
      LLVMConstInt(c->i64, (unsigned long long)c->plan.workspace_size, 0),
      LLVMConstInt(c->i64, (unsigned long long)DLC_PLAN_ALIGN, 0),
      LLVMConstInt(c->i32, c->batched, 0),
      run,
      batch,
      wsfn,
      cg_cstring(c, c->t->triple),
      cg_cstring(c, c->t->cpu),
      cg_cstring(c, c->t->desc->features),
      LLVMConstInt(c->i64, c->t->cpu_mask, 0),
      cg_cstring(c, dlc_version()),
      cg_cstring(c, c->opt->model_sha256 ? c->opt->model_sha256 : ""),
  };
  LLVMValueRef init =
      LLVMConstStructInContext(c->llc, f, sizeof f / sizeof f[0], 0);
  char name[160];
  snprintf(name, sizeof name, "%s_model", c->prefix);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
}

void cg_build_entries(cg_ctx *c, LLVMValueRef body) {
  LLVMValueRef batch = build_run_batch(c, body);
  LLVMValueRef run = build_run(c, batch);
  LLVMValueRef wsfn = build_workspace_size(c);
  build_status_message(c);
  build_descriptor(c, run, batch, wsfn);
}
