/* print.c — a node's schedule as one line, the form `dlc show`,
 * `--dump-ir` and the golden schedule files use:
 *   conv_im2col mr=8 nv=2 kc=288 rows=14 scratch=112.0K (window: im2col + GEMM)
 *   folded (outputs known at compile time) */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "schedule/schedule.h"

static const char *kind_name(dlc_sched_kind k) {
  switch (k) {
  case DLC_SCHED_DEAD: return "dead";
  case DLC_SCHED_FOLDED: return "folded";
  case DLC_SCHED_ALIAS: return "alias";
  case DLC_SCHED_ELIDED: return "elided";
  default: return "kernel";
  }
}

typedef struct out_buf {
  char *p;
  size_t size, n;
} out_buf;

static void put(out_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(out_buf *b, const char *fmt, ...) {
  if (b->n >= b->size)
    return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(b->p + b->n, b->size - b->n, fmt, ap);
  va_end(ap);
  b->n += k > 0 ? (size_t)k : 0;
}

static void put_bytes(out_buf *b, int64_t x) {
  if (x >= 1 << 20)
    put(b, "%.1fM", (double)x / (1 << 20));
  else if (x >= 1024)
    put(b, "%.1fK", (double)x / 1024);
  else
    put(b, "%" PRId64, x);
}

static void put_params(out_buf *b, const dlc_node_sched *r) {
  const dlc_kernel_params *p = &r->p;
  if (dlc_algo_traits(r->algo) & DLC_AT_TILE)
    put(b, " mr=%d nv=%d kc=%" PRId64, p->tile.mr, p->tile.nv, p->tile.kc);
  if (r->algo == DLC_ALGO_CONV_NCHWC)
    put(b, " rw=%d nb=%d kc=%" PRId64, p->tile.mr, p->tile.nv, p->tile.kc);
  if (r->algo == DLC_ALGO_CONV_NCHWC_DEPTHWISE || r->algo == DLC_ALGO_POOL_NCHWC)
    put(b, " rw=%d", p->tile.mr);
  if (r->algo == DLC_ALGO_CONV_IM2COL)
    put(b, " rows=%" PRId64, p->rows);
  if (p->plane_h)
    put(b, " plane=%" PRId64 "x%" PRId64, p->plane_h, p->plane_w);
  if (p->slack)
    put(b, " slack=%" PRId64, p->slack);
  if (r->scratch > 0) {
    put(b, " scratch=");
    put_bytes(b, r->scratch);
    if (r->scratch_offset >= 0)
      put(b, "@%" PRId64, r->scratch_offset);
  }
}

const char *dlc_schedule_format(const dlc_node_sched *r, char *buf,
                                size_t size) {
  out_buf b = {buf, size, 0};
  if (size)
    buf[0] = '\0';
  if (r->kind != DLC_SCHED_KERNEL) {
    put(&b, "%s (%s)", kind_name(r->kind), r->why);
    return buf;
  }
  put(&b, "%s", dlc_algo_name(r->algo));
  put_params(&b, r);
  put(&b, " (%s%s)", r->overridden ? "override: " : "", r->why);
  return buf;
}

void dlc_schedule_print(const dlc_schedule *s, FILE *out) {
  char line[512];
  fprintf(out, "; schedule for %s (cpu %s, %d-bit vectors, %d registers)\n",
          s->target.triple, s->target.cpu, s->target.vector_bits,
          s->target.vector_regs);
  for (size_t k = 0; k < s->g->nodes.n; k++) {
    const dlc_node *n = s->g->nodes.items[k];
    const dlc_node_sched *r = dlc_schedule_node(s, n);
    if (r->kind == DLC_SCHED_DEAD)
      continue;
    fprintf(out, "%s (%s): %s\n", n->name, dlc_op_name(n->op),
            dlc_schedule_format(r, line, sizeof line));
  }
  if (s->planned)
    fprintf(out, "; workspace %" PRId64 " bytes\n", s->workspace_bytes);
}
