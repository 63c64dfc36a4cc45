/* cg_module.c — the backend's driver: check the graph, set up the target,
 * build the LLVM module (constants, kernels, the body that calls them, the
 * exported entry points and descriptor from cg_entry.c), verify it, optimise
 * it with the new pass manager and write the requested artefact. */
#include <ctype.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codegen/cg.h"
#include "ir/outfiles.h"
#include "runtime/dlcrt.h"

bool dlc_emit_kind_from_name(const char *name, dlc_emit_kind *out) {
  static const char *const names[] = {"obj", "asm", "llvm", "bc"};
  for (int i = 0; i < 4; i++) {
    if (strcmp(name, names[i]) == 0) {
      *out = (dlc_emit_kind)i;
      return true;
    }
  }
  return false;
}

void dlc_codegen_options_init(dlc_codegen_options *o) {
  memset(o, 0, sizeof *o);
  o->emit = DLC_EMIT_OBJ;
  o->opt_level = 2;
}

const char *dlc_codegen_prefix(const dlc_graph *g, const char *requested,
                               char *buf, size_t size) {
  const char *src = requested ? requested : g && g->name ? g->name : "";
  if (!*src)
    src = "model";
  size_t n = 0;
  if (isdigit((unsigned char)src[0]) && size > 2) {
    buf[n++] = 'm';
    buf[n++] = '_';
  }
  for (const char *p = src; *p && n + 1 < size; p++)
    buf[n++] = isalnum((unsigned char)*p) ? *p : '_';
  buf[n] = '\0';
  return buf;
}

/* The ABI's inputs and outputs are float32 (integer and bool tensors inside
 * the graph are the schedule's business: each algorithm says which dtypes
 * it handles). Reports every problem. */
static bool check_abi(const cg_ctx *c) {
  const dlc_graph *g = c->g;
  bool ok = true;
  for (size_t i = 0; i < g->inputs.n; i++) {
    if (g->inputs.items[i]->type.dtype != DLC_DT_FLOAT32) {
      dlc_diag_error(c->d, "", "input '%s': compiled models take float32 "
                     "inputs only", g->inputs.items[i]->name);
      ok = false;
    }
  }
  for (size_t i = 0; i < g->outputs.n; i++) {
    if (g->outputs.items[i]->type.dtype != DLC_DT_FLOAT32) {
      dlc_diag_error(c->d, "", "output '%s': compiled models give float32 "
                     "outputs only", g->outputs.items[i]->name);
      ok = false;
    }
  }
  return ok;
}

static void init_types(cg_ctx *c) {
  c->f32 = LLVMFloatTypeInContext(c->llc);
  c->i1 = LLVMInt1TypeInContext(c->llc);
  c->i8 = LLVMInt8TypeInContext(c->llc);
  c->i32 = LLVMInt32TypeInContext(c->llc);
  c->i64 = LLVMInt64TypeInContext(c->llc);
  c->ptr = LLVMPointerTypeInContext(c->llc, 0);
  c->vf = LLVMVectorType(c->f32, (unsigned)c->t->vl);
  c->void_t = LLVMVoidTypeInContext(c->llc);
}

/* Copies graph outputs that are not written in place: outputs naming an
 * input, a constant, or a value already given as an earlier output. */
static void copy_outputs(cg_ctx *c, LLVMBuilderRef b, const cg_body *body) {
  for (size_t j = 0; j < c->g->outputs.n; j++) {
    const dlc_value *v = c->g->outputs.items[j];
    const cg_place *p = &c->plan.place[c->plan.root[v->id]];
    if (p->loc == CG_LOC_OUTPUT && p->index == (int)j)
      continue;
    LLVMValueRef src = cg_value_ptr(c, b, body, v);
    LLVMBuildMemCpy(b, body->outputs[j], 4, src, 4,
                    LLVMConstInt(c->i64, dlc_tensor_nbytes(&v->type), 0));
  }
}

/* An elided Concat's inputs were written into its slices by their
 * producers, except a constant input (its producer was folded at compile
 * time): copy that one into its slice. */
static void fill_const_slices(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                              const dlc_node *n) {
  for (int i = 0; i < n->n_inputs; i++) {
    const dlc_value *v = n->inputs[i];
    if (!v || !dlc_value_is_const(v))
      continue;
    DLC_ASSERT(v->arena_offset >= 0);
    LLVMValueRef off =
        LLVMConstInt(c->i64, (unsigned long long)v->arena_offset, 0);
    LLVMValueRef dst = LLVMBuildInBoundsGEP2(b, c->i8, body->ws, &off, 1, "");
    LLVMBuildMemCpy(b, dst, 4, cg_value_ptr(c, b, body, v), 4,
                    LLVMConstInt(c->i64, dlc_tensor_nbytes(&v->type), 0));
  }
}

/* Emits every node's call in order, as the schedule says; counts calls
 * and skipped nodes. */
static bool emit_nodes(cg_ctx *c, LLVMBuilderRef b, const cg_body *body,
                       dlc_codegen_info *info) {
  bool ok = true;
  for (size_t k = 0; k < c->g->nodes.n; k++) {
    const dlc_node *n = c->g->nodes.items[k];
    dlc_sched_kind kind = cg_sched(c, n)->kind;
    if (kind == DLC_SCHED_DEAD)
      continue;
    if (kind == DLC_SCHED_ELIDED)
      fill_const_slices(c, b, body, n);
    if (kind != DLC_SCHED_KERNEL) {
      info->skipped_nodes++;
      continue;
    }
    cg_profile_mark(c, b, info->kernel_calls, DLCRT_PROFILE_BEFORE);
    ok = cg_emit_node(c, b, body, n) && ok;
    cg_profile_mark(c, b, info->kernel_calls, DLCRT_PROFILE_AFTER);
    info->kernel_calls++;
  }
  return ok;
}

/* void PREFIX_body(ptr inputs, ptr outputs, ptr ws): loads the caller's
 * pointers and calls each node's kernel in order. */
static LLVMValueRef build_body(cg_ctx *c, dlc_codegen_info *info) {
  LLVMTypeRef params[3] = {c->ptr, c->ptr, c->ptr};
  char name[96];
  snprintf(name, sizeof name, "%s_body", c->prefix);
  LLVMValueRef fn =
      LLVMAddFunction(c->mod, name, LLVMFunctionType(c->void_t, params, 3, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  unsigned noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(c->llc, noinline, 0));
  LLVMBuilderRef b = LLVMCreateBuilderInContext(c->llc);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c->llc, fn, "entry"));
  size_t ni = c->g->inputs.n, no = c->g->outputs.n;
  LLVMValueRef *ptrs = calloc(ni + no + 1, sizeof *ptrs);
  DLC_ASSERT(ptrs != NULL);
  cg_body body = {ptrs, ptrs + ni, LLVMGetParam(fn, 2)};
  for (size_t i = 0; i < ni + no; i++) {
    LLVMValueRef arr = LLVMGetParam(fn, i < ni ? 0 : 1);
    LLVMValueRef k = LLVMConstInt(c->i64, i < ni ? i : i - ni, 0);
    LLVMValueRef at = LLVMBuildInBoundsGEP2(b, c->ptr, arr, &k, 1, "");
    ptrs[i] = LLVMBuildLoad2(b, c->ptr, at, "");
  }
  bool ok = emit_nodes(c, b, &body, info);
  copy_outputs(c, b, &body);
  LLVMBuildRetVoid(b);
  LLVMDisposeBuilder(b);
  free(ptrs);
  return ok ? fn : NULL;
}

double cg_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static bool optimise(cg_ctx *c) {
  char passes[32];
  snprintf(passes, sizeof passes, "default<O%d>", c->opt->opt_level);
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  LLVMErrorRef err = LLVMRunPasses(c->mod, passes, c->t->tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (err) {
    char *msg = LLVMGetErrorMessage(err);
    dlc_diag_error(c->d, "", "internal error: LLVM passes failed: %s", msg);
    LLVMDisposeErrorMessage(msg);
    return false;
  }
  return true;
}

/* Writes the artefact to path (an object when linking a shared one). */
/* The artefact is made in memory and written by dlc_write_bytes, which
 * checks every step: LLVM's own file streams abort the process on an I/O
 * error ("LLVM ERROR: IO failure on output stream"). Messages name `shown`,
 * the destination, not the temporary file written. */
static bool write_artefact(cg_ctx *c, const char *path, const char *shown,
                           dlc_emit_kind kind) {
  if (kind == DLC_EMIT_LLVM) {
    char *text = LLVMPrintModuleToString(c->mod);
    bool ok = dlc_write_bytes(path, shown, text, strlen(text), c->d);
    LLVMDisposeMessage(text);
    return ok;
  }
  char *err = NULL;
  LLVMMemoryBufferRef buf = NULL;
  if (kind == DLC_EMIT_BC)
    buf = LLVMWriteBitcodeToMemoryBuffer(c->mod);
  else if (LLVMTargetMachineEmitToMemoryBuffer(
               c->t->tm, c->mod,
               kind == DLC_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &err,
               &buf))
    buf = NULL;
  bool ok = buf != NULL;
  if (!ok)
    dlc_diag_error(c->d, "", "cannot generate '%s'%s%s", shown,
                   err ? ": " : "", err ? err : "");
  else
    ok = dlc_write_bytes(path, shown, LLVMGetBufferStart(buf),
                         LLVMGetBufferSize(buf), c->d);
  if (err)
    LLVMDisposeMessage(err);
  if (buf)
    LLVMDisposeMemoryBuffer(buf);
  return ok;
}

/* --shared: the object goes to a temporary file (tracked, so a signal
 * removes it too) that the linker turns into `out`. */
static bool write_shared(cg_ctx *c, const char *out, const char *shown) {
  const dlc_codegen_options *o = c->opt;
  const char *tmpdir = getenv("TMPDIR");
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s/dlc-obj-XXXXXX.o", tmpdir ? tmpdir : "/tmp");
  int fd = dlc_tempfile_create(tmp, 2);
  if (fd < 0) {
    dlc_diag_error(c->d, "", "cannot create a temporary object in '%s'",
                   tmpdir ? tmpdir : "/tmp");
    return false;
  }
  close(fd);
  bool ok = write_artefact(c, tmp, shown, DLC_EMIT_OBJ) &&
            cg_link_shared(o->linker, tmp, out, o->runtime_lib,
                           c->math_calls > 0, c->d);
  unlink(tmp);
  dlc_tempfile_untrack(tmp);
  return ok;
}

/* The output and its header are written to temporaries and renamed into
 * place together, only when both are complete (ir/outfiles.h). */
static bool emit_output(cg_ctx *c) {
  const dlc_codegen_options *o = c->opt;
  dlc_outfiles out;
  dlc_outfiles_init(&out);
  const char *main = dlc_outfiles_add(&out, o->output_path,
                                      o->shared ? 0777 : 0666, c->d);
  const char *hdr = main && o->header_path
                        ? dlc_outfiles_add(&out, o->header_path, 0666, c->d)
                        : NULL;
  bool ok = main && (hdr || !o->header_path) &&
            (o->shared ? write_shared(c, main, o->output_path)
                       : write_artefact(c, main, o->output_path, o->emit)) &&
            (!hdr || cg_write_header(c, hdr, o->header_path, c->d));
  if (!ok) {
    dlc_outfiles_abort(&out);
    return false;
  }
  return dlc_outfiles_commit(&out, c->d);
}

/* The figures of dlc_codegen_info that the plan and kernel list give. */
static void fill_info(const cg_ctx *c, dlc_codegen_info *info) {
  const dlc_graph *g = c->g;
  info->kernels = (int)c->kernels.n;
  info->memory_planned = g->memory_planned;
  info->workspace_bytes = c->plan.workspace_size;
  info->arena_bytes = g->arena_bytes;
  info->scratch_bytes = c->plan.workspace_size - info->arena_bytes;
}

static bool build_module(cg_ctx *c, dlc_codegen_info *info) {
  c->llc = LLVMContextCreate();
  c->mod = LLVMModuleCreateWithNameInContext(c->prefix, c->llc);
  LLVMSetTarget(c->mod, c->t->triple);
  LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(c->t->tm);
  LLVMSetModuleDataLayout(c->mod, dl);
  LLVMDisposeTargetData(dl);
  init_types(c);
  c->value_global = calloc(c->g->values.n + 1, sizeof *c->value_global);
  DLC_ASSERT(c->value_global != NULL);
  if (!cg_plan_build(c, &c->plan))
    return false;
  cg_profile_build(c); /* --profile: the tables the body's marks name */
  LLVMValueRef body = build_body(c, info);
  if (!body)
    return false;
  fill_info(c, info);
  cg_build_entries(c, body);
  char *msg = NULL;
  if (LLVMVerifyModule(c->mod, LLVMReturnStatusAction, &msg)) {
    dlc_diag_error(c->d, "", "internal error: invalid LLVM module: %.400s",
                   msg ? msg : "");
    LLVMDisposeMessage(msg);
    return false;
  }
  LLVMDisposeMessage(msg);
  double t0 = cg_now_ms();
  info->build_ms = t0 - info->build_ms;
  bool ok = optimise(c);
  info->optimise_ms = cg_now_ms() - t0;
  return ok;
}

static void ctx_free(cg_ctx *c) {
  free(c->batch_dep);
  cg_kernels_free(c);
  cg_plan_free(&c->plan);
  free(c->value_global);
  if (c->mod)
    LLVMDisposeModule(c->mod);
  if (c->llc)
    LLVMContextDispose(c->llc);
}

bool dlc_codegen_batch_separable(const dlc_graph *g, dlc_diag *d) {
  if (!cg_graph_has_batch_symbol(g))
    return false;
  bool *dep = calloc(g->values.n + 1, sizeof *dep), batched = false;
  DLC_ASSERT(dep);
  cg_batch_analyse(g, dep, d, &batched);
  free(dep);
  return batched;
}

static bool check_request(const dlc_graph *g, const dlc_schedule *s,
                          const dlc_codegen_options *opt, dlc_diag *d) {
  if (!opt->output_path || !*opt->output_path) {
    dlc_diag_error(d, "", "no output path given");
    return false;
  }
  if (opt->opt_level < 0 || opt->opt_level > 3) {
    dlc_diag_error(d, "", "optimisation level must be 0..3, not %d",
                   opt->opt_level);
    return false;
  }
  DLC_ASSERT(s && s->g == g && s->planned && g->memory_planned);
  return true;
}

dlc_status dlc_codegen_compile(const dlc_graph *g, const dlc_schedule *s,
                               const dlc_codegen_options *opt, dlc_diag *d) {
  if (!check_request(g, s, opt, d))
    return DLC_ERR_INVALID;
  char prefix[128];
  cg_target t;
  cg_ctx c = {.g = g, .sched = s, .opt = opt, .d = d, .t = &t};
  c.prefix = dlc_codegen_prefix(g, opt->prefix, prefix, sizeof prefix);
  if (!check_abi(&c))
    return DLC_ERR_UNSUPPORTED;
  c.batch_dep = calloc(g->values.n + 1, sizeof *c.batch_dep);
  DLC_ASSERT(c.batch_dep);
  if (!opt->fixed_batch && !cg_batch_analyse(g, c.batch_dep, d, &c.batched)) {
    free(c.batch_dep);
    return DLC_ERR_INVALID;
  }
  if (!cg_target_init(&t, &s->target, opt->opt_level, d)) {
    cg_target_free(&t);
    free(c.batch_dep);
    return DLC_ERR_INVALID;
  }
  dlc_status st = DLC_OK;
  dlc_codegen_info info = {.build_ms = cg_now_ms()};
  if (!build_module(&c, &info))
    st = DLC_ERR_UNSUPPORTED;
  double t0 = cg_now_ms();
  if (st == DLC_OK && !emit_output(&c)) /* the object and the header */
    st = DLC_ERR_IO;
  info.emit_ms = cg_now_ms() - t0;
  if (st == DLC_OK && opt->info)
    *opt->info = info;
  ctx_free(&c);
  cg_target_free(&t);
  return st;
}
