/* cg_target.c — the LLVM side of the target: the host's triple, CPU name
 * and features (for the default target and --cpu native), handed to the
 * schedule stage's description (schedule/target.c, which holds the CPU
 * table as data), and the target machine made from that description. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"

static void init_llvm_once(void) {
  LLVMInitializeAllTargetInfos();
  LLVMInitializeAllTargets();
  LLVMInitializeAllTargetMCs();
  LLVMInitializeAllAsmPrinters();
}

static void init_llvm(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init_llvm_once);
}

/* The normalised triple (the host's when NULL), checked against LLVM's
 * targets. */
static bool resolve_triple(const char *requested, char *out, size_t size,
                           LLVMTargetRef *target, dlc_diag *d) {
  char *host = LLVMGetDefaultTargetTriple();
  char *norm = LLVMNormalizeTargetTriple(requested ? requested : host);
  snprintf(out, size, "%s", norm);
  LLVMDisposeMessage(norm);
  LLVMDisposeMessage(host);
  char *err = NULL;
  if (LLVMGetTargetFromTriple(out, target, &err)) {
    dlc_diag_error(d, "", "unknown target '%s'", requested ? requested : "");
    LLVMDisposeMessage(err);
    return false;
  }
  return true;
}

bool dlc_codegen_describe_target(const char *triple, const char *cpu,
                                 const char *features, dlc_target_desc *out,
                                 dlc_diag *d) {
  init_llvm();
  char norm[128];
  LLVMTargetRef target;
  if (!resolve_triple(triple, norm, sizeof norm, &target, d))
    return false;
  if (!cpu || strcmp(cpu, "native") != 0)
    return dlc_target_describe(norm, cpu, features, NULL, NULL, out, d);
  char *host = LLVMGetDefaultTargetTriple();
  bool same = dlc_target_triple_is_aarch64(host) ==
              dlc_target_triple_is_aarch64(norm);
  LLVMDisposeMessage(host);
  if (!same) {
    dlc_diag_error(d, "", "--cpu native needs the host's target, not '%s'",
                   norm);
    return false;
  }
  char *name = LLVMGetHostCPUName(), *fs = LLVMGetHostCPUFeatures();
  bool ok = dlc_target_describe(norm, cpu, features, name, fs, out, d);
  LLVMDisposeMessage(name);
  LLVMDisposeMessage(fs);
  return ok;
}

bool cg_target_init(cg_target *t, const dlc_target_desc *desc, int opt_level,
                    dlc_diag *d) {
  memset(t, 0, sizeof *t);
  init_llvm();
  LLVMTargetRef target;
  char err_triple[128];
  if (!resolve_triple(desc->triple, err_triple, sizeof err_triple, &target, d))
    return false;
  t->desc = desc;
  t->triple = desc->triple;
  t->cpu = desc->cpu;
  t->cpu_mask = desc->cpu_mask;
  t->vl = desc->vl;
  t->x86 = desc->x86;
  t->aarch64 = desc->aarch64;
  static const LLVMCodeGenOptLevel levels[] = {
      LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
      LLVMCodeGenLevelAggressive};
  int lvl = opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level;
  /* PIC: the same object links into executables (PIE) and shared objects. */
  t->tm = LLVMCreateTargetMachine(target, desc->triple, desc->cpu,
                                  desc->features,
                                  levels[lvl], LLVMRelocPIC,
                                  LLVMCodeModelDefault);
  if (!t->tm) {
    dlc_diag_error(d, "", "cannot create a target machine for '%s'",
                   t->triple);
    return false;
  }
  return true;
}

void cg_target_free(cg_target *t) {
  if (t->tm)
    LLVMDisposeTargetMachine(t->tm);
  memset(t, 0, sizeof *t);
}
