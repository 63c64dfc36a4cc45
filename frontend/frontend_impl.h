/* frontend_impl.h — private to frontend/: helpers shared by the JSON reader,
 * the writer and the loader (file reading, float16 conversion). */
#ifndef DLC_FRONTEND_IMPL_H
#define DLC_FRONTEND_IMPL_H

#include <math.h>
#include <string.h>

#include "frontend/frontend.h"

/* Reads a whole file into a malloc'd buffer with a NUL after the last byte
 * (free: free()). NULL on failure, with errno-style code in *err: EFBIG
 * when it holds more than max bytes (max 0: no limit; checked as it is
 * read, for a file that grows or is no regular file). */
unsigned char *dlc_fe_read_file(const char *path, size_t max, size_t *size,
                                int *err);
/* stat, then dlc_fe_read_file within l->max_input (l NULL: the defaults):
 * a file over the limit is refused before it is read, "the file is N
 * bytes, above the limit of M (--max-input)". NULL after the report. */
unsigned char *dlc_fe_read_model(const char *path, const dlc_load_limits *l,
                                 size_t *size, dlc_diag *d);

/* The memory a load is estimated to take, against --max-memory: a reader
 * charges its estimate from the file before parsing it, and each weight
 * file before reading it. */
typedef struct dlc_fe_budget {
  int64_t limit; /* 0: none */
  int64_t used;  /* estimated bytes so far */
} dlc_fe_budget;

/* Adds bytes (what: the reason, for the message). False, with "WHERE: the
 * model would take about N bytes in memory (what), above the limit of M
 * (--max-memory)" in d, when the total passes the limit. b NULL: no limit. */
bool dlc_fe_budget_charge(dlc_fe_budget *b, int64_t bytes, dlc_diag *d,
                          const char *where, const char *what);

/* The file readers within limits (NULL: the defaults), the work behind
 * dlc_json_read_file, dlc_onnx_read_file and dlc_frontend_load_limited. */
dlc_status dlc_fe_json_read_file(const char *path, const dlc_load_limits *l,
                                 dlc_graph **out, dlc_diag *d);
dlc_status dlc_fe_onnx_read_file(const char *path, const dlc_load_limits *l,
                                 dlc_graph **out, dlc_diag *d);

/* The JSON reader with a budget (NULL: none): dlc_json_read_string's work. */
dlc_status dlc_fe_json_read(const char *text, size_t len, const char *base_dir,
                            dlc_fe_budget *budget, dlc_graph **out,
                            dlc_diag *d);

/* Opens base_dir/rel for reading, refusing it (-1, *why says why) unless its
 * real path lies inside base_dir's real path and it is a regular file; sets
 * *size. The caller closes the descriptor. rel must already be free of '..'
 * and leading '/' (the readers check, naming the text). */
int dlc_fe_open_inside(const char *base_dir, const char *rel, uint64_t *size,
                       const char **why);
/* Reads bytes [offset, offset + n) of fd into a malloc'd buffer with a NUL
 * after them (free: free()); NULL with an errno code in *err. */
unsigned char *dlc_fe_read_range(int fd, uint64_t offset, size_t n, int *err);

/* float32 -> float16 bits, round to nearest even. *overflow is set when a
 * finite value rounds to infinity. */
static inline uint16_t dlc_fe_f32_to_f16(float f, bool *overflow) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) /* inf stays inf, NaN stays a quiet NaN */
    return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
  if (ax >= 0x477ff000u) { /* >= 65520 rounds to infinity */
    *overflow = true;
    return (uint16_t)(sign | 0x7c00);
  }
  if (ax < 0x38800000u) { /* below 2^-14: a half subnormal, units of 2^-24 */
    float a;
    memcpy(&a, &ax, 4);
    return (uint16_t)(sign | (uint16_t)lrintf(a * 16777216.0f));
  }
  uint32_t h = ((ax >> 23) - 112) << 10 | (ax & 0x7fffff) >> 13;
  uint32_t rest = ax & 0x1fff; /* the 13 bits that do not fit */
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    h++; /* a carry into the exponent is the right answer */
  return (uint16_t)(sign | h);
}

static inline float dlc_fe_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
  if (e == 0) {
    float f = (float)m * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (e == 31)
    bits = sign | 0x7f800000u | m << 13;
  else
    bits = sign | (e + 112) << 23 | m << 13;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#endif /* DLC_FRONTEND_IMPL_H */
