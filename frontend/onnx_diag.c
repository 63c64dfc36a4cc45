/* onnx_diag.c — the ONNX reader's messages and names: errors counted per
 * reader, strings from the model shown safely (control bytes replaced, long
 * ones cut), and fresh value names. Shared by onnx_reader.c, onnx_tensor.c
 * and onnx_normalize.c. */
#include <stdarg.h>
#include <string.h>

#include "frontend/onnx_impl.h"

enum { MAX_SHOWN = 80 };

void dlc_onnx_err(dlc_onnx_reader *r, const char *where, const char *fmt,
                  ...) {
  va_list ap;
  va_start(ap, fmt);
  dlc_diag_verror(r->d, where, fmt, ap);
  va_end(ap);
  r->errors++;
}

const char *dlc_onnx_shown(dlc_onnx_reader *r, const char *s) {
  if (!s)
    return "";
  size_t n = strlen(s), keep = n > MAX_SHOWN ? MAX_SHOWN : n;
  char *p = dlc_arena_alloc(r->g->arena, keep + 4);
  for (size_t i = 0; i < keep; i++)
    p[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
  if (keep < n)
    memcpy(p + keep, "...", 3);
  return p;
}

const char *dlc_onnx_fresh_name(dlc_onnx_reader *r, const char *base,
                                const char *suffix) {
  char *name = dlc_arena_printf(r->g->arena, "%s_%s", base, suffix);
  while (dlc_graph_find_value(r->g, name))
    name = dlc_arena_printf(r->g->arena, "%s_%s_%d", base, suffix, r->fresh++);
  return name;
}
