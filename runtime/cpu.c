/* cpu.c — which instruction-set features this CPU has, so that a compiled
 * model refuses to run (DLCRT_ERR_CPU) instead of dying of SIGILL.
 *
 * x86-64: cpuid leaf 1 and 7 for the instructions, xgetbv for whether the OS
 * saves the YMM/ZMM state (an AVX-capable CPU under an OS that does not is
 * as good as one without AVX). AArch64: NEON is architectural. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "dlcrt.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static uint64_t detect(void) {
  unsigned a, b, c, d;
  uint64_t f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  if (c & bit_SSE4_2)
    f |= DLCRT_CPU_SSE42;
  int osxsave = (c & bit_OSXSAVE) != 0;
  uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  int ymm_ok = (xcr0 & 0x6) == 0x6;    /* SSE + AVX state */
  int zmm_ok = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */
  if (ymm_ok && (c & bit_AVX))
    f |= DLCRT_CPU_AVX;
  if (ymm_ok && (c & bit_FMA))
    f |= DLCRT_CPU_FMA;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return f;
  if (ymm_ok && (b & bit_AVX2))
    f |= DLCRT_CPU_AVX2;
  if (zmm_ok) {
    if (b & bit_AVX512F)
      f |= DLCRT_CPU_AVX512F;
    if (b & bit_AVX512BW)
      f |= DLCRT_CPU_AVX512BW;
    if (b & bit_AVX512DQ)
      f |= DLCRT_CPU_AVX512DQ;
    if (b & bit_AVX512VL)
      f |= DLCRT_CPU_AVX512VL;
  }
  return f;
}
#elif defined(__aarch64__)
static uint64_t detect(void) { return DLCRT_CPU_NEON; }
#else
static uint64_t detect(void) { return 0; }
#endif

/* Bit 63 marks "computed": every thread computes the same value, so a race
 * between two first calls is harmless. */
#define COMPUTED (1ull << 63)
static _Atomic uint64_t cached;

uint64_t dlcrt_cpu_features(void) {
  uint64_t f = atomic_load_explicit(&cached, memory_order_relaxed);
  if (!(f & COMPUTED)) {
    f = detect() | COMPUTED;
    atomic_store_explicit(&cached, f, memory_order_relaxed);
  }
  return f & ~COMPUTED;
}

int dlcrt_cpu_supports(uint64_t required) {
  return (dlcrt_cpu_features() & required) == required;
}

static const struct {
  uint64_t bit;
  const char *name;
} names[] = {
    {DLCRT_CPU_SSE42, "sse4.2"},     {DLCRT_CPU_AVX, "avx"},
    {DLCRT_CPU_AVX2, "avx2"},        {DLCRT_CPU_FMA, "fma"},
    {DLCRT_CPU_AVX512F, "avx512f"},  {DLCRT_CPU_AVX512BW, "avx512bw"},
    {DLCRT_CPU_AVX512DQ, "avx512dq"}, {DLCRT_CPU_AVX512VL, "avx512vl"},
    {DLCRT_CPU_NEON, "neon"},
};

const char *dlcrt_cpu_feature_names(uint64_t mask, char *buf, size_t size) {
  size_t used = 0;
  if (size)
    buf[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(mask & names[i].bit))
      continue;
    int w = snprintf(buf + used, size - used, "%s%s", used ? " " : "",
                     names[i].name);
    if (w < 0 || (size_t)w >= size - used)
      break;
    used += (size_t)w;
  }
  return buf;
}
