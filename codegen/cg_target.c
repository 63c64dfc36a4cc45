/* cg_target.c — from the options' triple, CPU and features to an LLVM target
 * machine, plus what the kernels need to know about it: the vector width and
 * the DLCRT_CPU_* mask the generated code checks at run time.
 *
 * CPU names are checked against our own table (LLVM would only print a
 * warning and ignore an unknown one); the table also tells which features a
 * named CPU implies, because the C API cannot ask LLVM that. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

#define SSE42 DLCRT_CPU_SSE42
#define AVX (SSE42 | DLCRT_CPU_AVX)
#define AVX2 (AVX | DLCRT_CPU_AVX2 | DLCRT_CPU_FMA)
#define AVX512                                                                 \
  (AVX2 | DLCRT_CPU_AVX512F | DLCRT_CPU_AVX512BW | DLCRT_CPU_AVX512DQ |        \
   DLCRT_CPU_AVX512VL)

typedef struct cpu_row {
  const char *name;
  uint64_t mask;
} cpu_row;

static const cpu_row x86_cpus[] = {
    {"x86-64", 0},          {"generic", 0},          {"x86-64-v2", SSE42},
    {"nehalem", SSE42},     {"westmere", SSE42},     {"sandybridge", AVX},
    {"ivybridge", AVX},     {"x86-64-v3", AVX2},     {"haswell", AVX2},
    {"broadwell", AVX2},    {"skylake", AVX2},       {"alderlake", AVX2},
    {"znver1", AVX2},       {"znver2", AVX2},        {"znver3", AVX2},
    {"x86-64-v4", AVX512},  {"skylake-avx512", AVX512},
    {"cascadelake", AVX512}, {"cooperlake", AVX512}, {"icelake-client", AVX512},
    {"icelake-server", AVX512}, {"tigerlake", AVX512},
    {"sapphirerapids", AVX512}, {"znver4", AVX512},  {NULL, 0}};

static const cpu_row arm_cpus[] = {
    {"generic", DLCRT_CPU_NEON},     {"cortex-a53", DLCRT_CPU_NEON},
    {"cortex-a55", DLCRT_CPU_NEON},  {"cortex-a57", DLCRT_CPU_NEON},
    {"cortex-a72", DLCRT_CPU_NEON},  {"cortex-a76", DLCRT_CPU_NEON},
    {"neoverse-n1", DLCRT_CPU_NEON}, {"neoverse-n2", DLCRT_CPU_NEON},
    {"neoverse-v1", DLCRT_CPU_NEON}, {"apple-m1", DLCRT_CPU_NEON},
    {NULL, 0}};

/* LLVM feature names we accept in --features, and the bit each one sets. */
static const cpu_row x86_features[] = {
    {"sse2", 0},     {"sse3", 0},       {"ssse3", 0},      {"sse4.1", 0},
    {"sse4.2", SSE42}, {"popcnt", 0},   {"avx", DLCRT_CPU_AVX},
    {"avx2", DLCRT_CPU_AVX2},           {"fma", DLCRT_CPU_FMA},
    {"f16c", 0},     {"bmi", 0},        {"bmi2", 0},       {"lzcnt", 0},
    {"movbe", 0},    {"avx512f", DLCRT_CPU_AVX512F},
    {"avx512bw", DLCRT_CPU_AVX512BW},   {"avx512dq", DLCRT_CPU_AVX512DQ},
    {"avx512vl", DLCRT_CPU_AVX512VL},   {"avx512cd", 0},
    {"avx512vnni", 0}, {"avx512bf16", 0}, {NULL, 0}};

static const cpu_row arm_features[] = {
    {"neon", DLCRT_CPU_NEON}, {"fp-armv8", 0}, {"fullfp16", 0}, {"dotprod", 0},
    {"sve", 0},               {"sve2", 0},     {"i8mm", 0},     {"bf16", 0},
    {NULL, 0}};

static const cpu_row *find_row(const cpu_row *t, const char *name, size_t len) {
  for (; t->name; t++)
    if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
      return t;
  return NULL;
}

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

static bool triple_is(const char *triple, const char *arch) {
  size_t n = strlen(arch);
  return strncmp(triple, arch, n) == 0 && (triple[n] == '-' || !triple[n]);
}

/* Applies "+a,-b" to *mask; false (with a message) on an unknown feature.
 * Only LLVM-known features we list are accepted: LLVM itself would print a
 * warning and carry on. When `lenient`, unknown names are skipped (the host's
 * own feature string lists many we do not track). */
static bool apply_features(const char *fs, const cpu_row *table,
                           uint64_t *mask, bool lenient, dlc_diag *d) {
  for (const char *p = fs; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > 1 && (p[0] == '+' || p[0] == '-')) {
      const cpu_row *r = find_row(table, p + 1, len - 1);
      if (r && p[0] == '+')
        *mask |= r->mask;
      else if (r)
        *mask &= ~r->mask;
      else if (!lenient) {
        dlc_diag_error(d, "", "unknown target feature '%.*s'", (int)len, p);
        return false;
      }
    } else if (len > 0 && !lenient) {
      dlc_diag_error(d, "", "target feature '%.*s' must start with + or -",
                     (int)len, p);
      return false;
    }
    p = end ? end + 1 : NULL;
  }
  return true;
}

/* Joins a and b into a malloc'd "a,b" (either may be empty). */
static char *join_features(const char *a, const char *b) {
  size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
  char *s = malloc(la + lb + 2);
  DLC_ASSERT(s);
  snprintf(s, la + lb + 2, "%s%s%s", la ? a : "", la && lb ? "," : "",
           lb ? b : "");
  return s;
}

static bool choose_triple(cg_target *t, const dlc_codegen_options *o,
                          LLVMTargetRef *target, dlc_diag *d) {
  char *host = LLVMGetDefaultTargetTriple();
  char *norm = LLVMNormalizeTargetTriple(o->triple ? o->triple : host);
  snprintf(t->triple, sizeof t->triple, "%s", norm);
  LLVMDisposeMessage(norm);
  LLVMDisposeMessage(host);
  char *err = NULL;
  if (LLVMGetTargetFromTriple(t->triple, target, &err)) {
    dlc_diag_error(d, "", "unknown target '%s'", o->triple ? o->triple : "");
    LLVMDisposeMessage(err);
    return false;
  }
  t->x86 = triple_is(t->triple, "x86_64");
  t->aarch64 = triple_is(t->triple, "aarch64") || triple_is(t->triple, "arm64");
  if (!t->x86 && !t->aarch64) {
    dlc_diag_error(d, "", "target '%s' is not supported (x86_64 and aarch64 "
                   "are)", t->triple);
    return false;
  }
  return true;
}

/* Sets t->cpu, t->features (host features for "native") and the mask. */
static bool choose_cpu(cg_target *t, const dlc_codegen_options *o,
                       dlc_diag *d) {
  const cpu_row *cpus = t->x86 ? x86_cpus : arm_cpus;
  const cpu_row *feats = t->x86 ? x86_features : arm_features;
  const char *cpu = o->cpu ? o->cpu : (t->x86 ? "x86-64" : "generic");
  char *host_fs = NULL;
  if (strcmp(cpu, "native") == 0) {
    char *host = LLVMGetDefaultTargetTriple();
    bool same = (t->x86 && triple_is(host, "x86_64")) ||
                (t->aarch64 && triple_is(host, "aarch64"));
    LLVMDisposeMessage(host);
    if (!same) {
      dlc_diag_error(d, "", "--cpu native needs the host's target, not '%s'",
                     t->triple);
      return false;
    }
    char *name = LLVMGetHostCPUName();
    snprintf(t->cpu, sizeof t->cpu, "%s", name);
    LLVMDisposeMessage(name);
    host_fs = LLVMGetHostCPUFeatures();
    t->cpu_mask = t->aarch64 ? DLCRT_CPU_NEON : 0;
    apply_features(host_fs, feats, &t->cpu_mask, true, d);
  } else {
    const cpu_row *r = find_row(cpus, cpu, strlen(cpu));
    if (!r) {
      dlc_diag_error(d, "", "unknown CPU '%s' for target '%s'", cpu,
                     t->triple);
      return false;
    }
    snprintf(t->cpu, sizeof t->cpu, "%s", cpu);
    t->cpu_mask = r->mask;
  }
  bool ok = apply_features(o->features, feats, &t->cpu_mask, false, d);
  t->features = join_features(host_fs, o->features);
  if (host_fs)
    LLVMDisposeMessage(host_fs);
  return ok;
}

bool dlc_codegen_cpu_known(const char *triple, const char *cpu) {
  if (!cpu || strcmp(cpu, "native") == 0)
    return true;
  bool arm = triple && (triple_is(triple, "aarch64") ||
                        triple_is(triple, "arm64"));
  return find_row(arm ? arm_cpus : x86_cpus, cpu, strlen(cpu)) != NULL;
}

bool cg_target_init(cg_target *t, const dlc_codegen_options *o, dlc_diag *d) {
  memset(t, 0, sizeof *t);
  init_llvm();
  LLVMTargetRef target;
  if (!choose_triple(t, o, &target, d) || !choose_cpu(t, o, d))
    return false;
  if (t->cpu_mask & DLCRT_CPU_AVX512F)
    t->vl = 16;
  else if (t->cpu_mask & DLCRT_CPU_AVX)
    t->vl = 8;
  else
    t->vl = 4;
  static const LLVMCodeGenOptLevel levels[] = {
      LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
      LLVMCodeGenLevelAggressive};
  int lvl = o->opt_level < 0 ? 0 : o->opt_level > 3 ? 3 : o->opt_level;
  /* PIC: the same object links into executables (PIE) and shared objects. */
  t->tm = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features,
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
  free(t->features);
  memset(t, 0, sizeof *t);
}
