/* target.c — the CPUs dlc knows, as data: for every `--cpu` name, the
 * DLCRT_CPU_* features it implies and its cache sizes; from those and the
 * `--features` string, the target description every decision reads
 * (vector width, vector registers, FMA, L1/L2).
 *
 * CPU names are checked against this table (LLVM would only print a
 * warning and ignore an unknown one); the table also says which features a
 * named CPU implies, because LLVM's C API cannot be asked that. */
#include <stdlib.h>
#include <string.h>

#include "runtime/dlcrt.h"
#include "schedule/schedule.h"

#define SSE42 DLCRT_CPU_SSE42
#define AVX (SSE42 | DLCRT_CPU_AVX)
#define AVX2 (AVX | DLCRT_CPU_AVX2 | DLCRT_CPU_FMA)
#define AVX512                                                                 \
  (AVX2 | DLCRT_CPU_AVX512F | DLCRT_CPU_AVX512BW | DLCRT_CPU_AVX512DQ |        \
   DLCRT_CPU_AVX512VL)
#define NEON DLCRT_CPU_NEON
#define K 1024

typedef struct cpu_row {
  const char *name;
  uint64_t mask;
  int64_t l1, l2; /* data cache per core, bytes */
} cpu_row;

static const cpu_row x86_cpus[] = {
    {"x86-64", 0, 32 * K, 256 * K},
    {"generic", 0, 32 * K, 256 * K},
    {"x86-64-v2", SSE42, 32 * K, 256 * K},
    {"nehalem", SSE42, 32 * K, 256 * K},
    {"westmere", SSE42, 32 * K, 256 * K},
    {"sandybridge", AVX, 32 * K, 256 * K},
    {"ivybridge", AVX, 32 * K, 256 * K},
    {"x86-64-v3", AVX2, 32 * K, 256 * K},
    {"haswell", AVX2, 32 * K, 256 * K},
    {"broadwell", AVX2, 32 * K, 256 * K},
    {"skylake", AVX2, 32 * K, 256 * K},
    {"alderlake", AVX2, 48 * K, 1280 * K},
    {"znver1", AVX2, 32 * K, 512 * K},
    {"znver2", AVX2, 32 * K, 512 * K},
    {"znver3", AVX2, 32 * K, 512 * K},
    {"x86-64-v4", AVX512, 32 * K, 1024 * K},
    {"skylake-avx512", AVX512, 32 * K, 1024 * K},
    {"cascadelake", AVX512, 32 * K, 1024 * K},
    {"cooperlake", AVX512, 32 * K, 1024 * K},
    {"icelake-client", AVX512, 48 * K, 512 * K},
    {"icelake-server", AVX512, 48 * K, 1280 * K},
    {"tigerlake", AVX512, 48 * K, 1280 * K},
    {"sapphirerapids", AVX512, 48 * K, 2048 * K},
    {"znver4", AVX512, 32 * K, 1024 * K},
    {"znver5", AVX512, 48 * K, 1024 * K},
    {NULL, 0, 0, 0}};

static const cpu_row arm_cpus[] = {
    {"generic", NEON, 32 * K, 512 * K},
    {"cortex-a53", NEON, 32 * K, 256 * K},
    {"cortex-a55", NEON, 32 * K, 256 * K},
    {"cortex-a57", NEON, 32 * K, 512 * K},
    {"cortex-a72", NEON, 32 * K, 512 * K},
    {"cortex-a76", NEON, 64 * K, 512 * K},
    {"neoverse-n1", NEON, 64 * K, 1024 * K},
    {"neoverse-n2", NEON, 64 * K, 1024 * K},
    {"neoverse-v1", NEON, 64 * K, 1024 * K},
    {"apple-m1", NEON, 128 * K, 4096 * K},
    {NULL, 0, 0, 0}};

/* LLVM feature names accepted in --features, and the bit each one sets. */
static const cpu_row x86_features[] = {
    {"sse2", 0, 0, 0},   {"sse3", 0, 0, 0},         {"ssse3", 0, 0, 0},
    {"sse4.1", 0, 0, 0}, {"sse4.2", SSE42, 0, 0},   {"popcnt", 0, 0, 0},
    {"avx", DLCRT_CPU_AVX, 0, 0},                   {"avx2", DLCRT_CPU_AVX2, 0, 0},
    {"fma", DLCRT_CPU_FMA, 0, 0},                   {"f16c", 0, 0, 0},
    {"bmi", 0, 0, 0},    {"bmi2", 0, 0, 0},         {"lzcnt", 0, 0, 0},
    {"movbe", 0, 0, 0},  {"avx512f", DLCRT_CPU_AVX512F, 0, 0},
    {"avx512bw", DLCRT_CPU_AVX512BW, 0, 0},         {"avx512dq", DLCRT_CPU_AVX512DQ, 0, 0},
    {"avx512vl", DLCRT_CPU_AVX512VL, 0, 0},         {"avx512cd", 0, 0, 0},
    {"avx512vnni", 0, 0, 0}, {"avx512bf16", 0, 0, 0}, {NULL, 0, 0, 0}};

static const cpu_row arm_features[] = {
    {"neon", NEON, 0, 0}, {"fp-armv8", 0, 0, 0}, {"fullfp16", 0, 0, 0},
    {"dotprod", 0, 0, 0}, {"sve", 0, 0, 0},      {"sve2", 0, 0, 0},
    {"i8mm", 0, 0, 0},    {"bf16", 0, 0, 0},     {NULL, 0, 0, 0}};

static const cpu_row *find_row(const cpu_row *t, const char *name, size_t len) {
  for (; t->name; t++)
    if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
      return t;
  return NULL;
}

static bool triple_is(const char *triple, const char *arch) {
  size_t n = strlen(arch);
  return strncmp(triple, arch, n) == 0 && (triple[n] == '-' || !triple[n]);
}

bool dlc_target_triple_is_aarch64(const char *triple) {
  return triple && (triple_is(triple, "aarch64") || triple_is(triple, "arm64"));
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

/* The vector unit the mask allows: AVX-512's 32 zmm, AVX's 16 ymm, SSE's 16
 * xmm, NEON's 32 q registers. */
static void set_vector_unit(dlc_target_desc *t) {
  if (t->cpu_mask & DLCRT_CPU_AVX512F) {
    t->vl = 16;
    t->vector_regs = 32;
  } else if (t->cpu_mask & DLCRT_CPU_AVX) {
    t->vl = 8;
    t->vector_regs = 16;
  } else {
    t->vl = 4;
    t->vector_regs = t->aarch64 ? 32 : 16;
  }
  t->vector_bits = t->vl * 32;
  t->fma = t->aarch64 || (t->cpu_mask & DLCRT_CPU_FMA);
}

/* Sets the CPU name, mask and caches of a named CPU or of the host. */
static bool describe_cpu(dlc_target_desc *t, const char *cpu,
                         const char *host_cpu, const char *host_features,
                         dlc_diag *d) {
  const cpu_row *cpus = t->x86 ? x86_cpus : arm_cpus;
  if (strcmp(cpu, "native") == 0) {
    snprintf(t->cpu, sizeof t->cpu, "%s", host_cpu ? host_cpu : "generic");
    t->cpu_mask = t->aarch64 ? NEON : 0;
    apply_features(host_features, t->x86 ? x86_features : arm_features,
                   &t->cpu_mask, true, d);
    const cpu_row *r = find_row(cpus, t->cpu, strlen(t->cpu));
    t->l1_bytes = r ? r->l1 : 32 * K;
    t->l2_bytes = r ? r->l2 : 512 * K;
    return true;
  }
  const cpu_row *r = find_row(cpus, cpu, strlen(cpu));
  if (!r) {
    dlc_diag_error(d, "", "unknown CPU '%s' for target '%s'", cpu, t->triple);
    return false;
  }
  snprintf(t->cpu, sizeof t->cpu, "%s", cpu);
  t->cpu_mask = r->mask;
  t->l1_bytes = r->l1;
  t->l2_bytes = r->l2;
  return true;
}

bool dlc_target_describe(const char *triple, const char *cpu,
                         const char *features, const char *host_cpu,
                         const char *host_features, dlc_target_desc *t,
                         dlc_diag *d) {
  memset(t, 0, sizeof *t);
  snprintf(t->triple, sizeof t->triple, "%s", triple);
  t->x86 = triple_is(triple, "x86_64");
  t->aarch64 = dlc_target_triple_is_aarch64(triple);
  if (!t->x86 && !t->aarch64) {
    dlc_diag_error(d, "", "target '%s' is not supported (x86_64 and aarch64 "
                   "are)", triple);
    return false;
  }
  bool native = cpu && strcmp(cpu, "native") == 0;
  if (!describe_cpu(t, cpu ? cpu : (t->x86 ? "x86-64" : "generic"), host_cpu,
                    host_features, d))
    return false;
  if (!apply_features(features, t->x86 ? x86_features : arm_features,
                      &t->cpu_mask, false, d))
    return false;
  const char *hf = native && host_features ? host_features : "";
  const char *xf = features ? features : "";
  int n = snprintf(t->features, sizeof t->features, "%s%s%s", hf,
                   *hf && *xf ? "," : "", xf);
  if (n < 0 || (size_t)n >= sizeof t->features) {
    dlc_diag_error(d, "", "target feature string too long (%d bytes)", n);
    return false;
  }
  set_vector_unit(t);
  return true;
}

bool dlc_target_cpu_known(const char *triple, const char *cpu) {
  if (!cpu || strcmp(cpu, "native") == 0)
    return true;
  bool arm = dlc_target_triple_is_aarch64(triple);
  return find_row(arm ? arm_cpus : x86_cpus, cpu, strlen(cpu)) != NULL;
}
