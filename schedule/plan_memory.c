/* plan_memory.c — the one memory planner (every -O level), its figures and
 * its checker. The last step of the schedule stage.
 *
 * Requires: a sorted graph with inferred shapes, after every pass, and its
 *   schedule (the plan is valid for this node order and these kernels;
 *   re-sorting or re-scheduling means re-planning).
 * Guarantees: graph->memory_planned, graph->arena_bytes (the whole
 *   workspace), for every value its arena_offset: -1 for graph inputs,
 *   graph outputs (they stay in the caller's buffers), initializers and dead
 *   values; otherwise a byte offset into one arena such that no two tensors
 *   live at the same time overlap, except where sharing is the point
 *   (below); for every node with scratch its record's scratch_offset; and
 *   views that share their input's storage are marked DLC_SCHED_ALIAS,
 *   elided Concats DLC_SCHED_ELIDED.
 * Size arithmetic: every tensor and scratch size, and their sum, must stay
 *   below 2^62 bytes (then no offset computation can overflow), and the
 *   workspace below the schedule's max_workspace; else the node is named.
 *
 * Algorithm:
 *   1. Liveness. With nodes numbered in order, an arena tensor (a live
 *      node's output that is not a graph output) is live from its producer's
 *      number to its last reader's (closed interval; epilogue operands are
 *      readers too).
 *   2. Buffers. Each tensor starts as its own buffer. Concat elision: a
 *      Concat whose output slices are contiguous (every dim before the axis
 *      is 1) and whose inputs are all arena tensors produced by live
 *      non-Concat nodes, distinct, and not already slices of another Concat,
 *      gets node->elided: its inputs join the output's buffer at their slice
 *      offsets, so their producers write straight into the output. (Inputs
 *      may have other readers: they read the slice; nothing writes over a
 *      slice in place.) In-place: an element-wise node (DLC_OPF_ELEMENTWISE)
 *      without an epilogue whose output has the shape of an input I writes
 *      over I when I's buffer ends at this node, I is not a Concat slice and
 *      no other input of the node lies in I's buffer. Views (Reshape,
 *      Flatten, Squeeze, Unsqueeze, Identity, Dropout: output bytes = input
 *      0's bytes) share their input's storage on the same condition.
 *   3. Offsets, greedy: buffers in a placement order, each at the lowest
 *      64-byte-aligned offset where it overlaps no already placed buffer
 *      whose interval intersects its own (found through a time index, not
 *      by scanning every placed buffer); arena_bytes is the highest end.
 *      Three orders are tried — by decreasing size, by decreasing lifetime,
 *      by decreasing size x lifetime (ties: larger, then earlier first) —
 *      and the smallest arena is kept.
 *   4. Concat elision is given up, Concat by Concat, where it pushes the
 *      arena past 1.10x the lower bound (choose_elisions).
 * Figures: dlc_plan_lower_bound is the peak over node numbers of the summed
 *   sizes of the tensors live there (each counted on its own, unaligned);
 *   dlc_plan_naive_bytes is the sum of all their sizes.
 */
#include <stdlib.h>
#include <string.h>

#include "schedule/schedule.h"

/* -------------------------------------------------------------- liveness */

/* A tensor of the arena: a value, or (v NULL) the scratch of node `node`. */
typedef struct tinfo {
  dlc_value *v;
  int node;
  int64_t size;
  int def, last;
  int buffer;     /* root buffer index (tinfo index of its owner) */
  int64_t rel;    /* offset inside the buffer */
  bool slice;     /* an elided Concat's input */
} tinfo;

typedef struct buffer {
  int64_t size, offset;
  int start, end;
  bool placed;
} buffer;

typedef struct live_set {
  tinfo *t;
  int n;
  int *of_value; /* value id -> tinfo index, -1 */
} live_set;

static void live_set_free(live_set *s) {
  free(s->t);
  free(s->of_value);
}

/* Arena tensors in definition order, with their intervals. */
static void collect_scratch(const dlc_graph *g, const dlc_schedule *sc,
                            live_set *s);

static void collect(const dlc_graph *g, const dlc_schedule *sc,
                    live_set *s) {
  s->t = calloc(g->values.n + g->nodes.n + 1, sizeof *s->t);
  s->of_value = malloc((g->values.n + 1) * sizeof *s->of_value);
  DLC_ASSERT(s->t && s->of_value);
  s->n = 0;
  for (size_t i = 0; i < g->values.n; i++)
    s->of_value[i] = -1;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++) {
      const dlc_value *v = n->inputs[k];
      int at = v ? s->of_value[v->id] : -1;
      if (at >= 0)
        s->t[at].last = (int)i;
    }
    for (int k = 0; k < n->n_outputs; k++) {
      dlc_value *v = n->outputs[k];
      if (!v || v->is_output || s->of_value[v->id] >= 0)
        continue;
      tinfo *t = &s->t[s->n];
      *t = (tinfo){v, -1, (int64_t)dlc_tensor_nbytes(&v->type), (int)i,
                   (int)i, s->n, 0, false};
      s->of_value[v->id] = s->n++;
    }
  }
  if (sc)
    collect_scratch(g, sc, s);
}

/* Kernel scratch: live only while its node runs. */
static void collect_scratch(const dlc_graph *g, const dlc_schedule *sc,
                            live_set *s) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node_sched *r = dlc_schedule_node(sc, g->nodes.items[i]);
    if (r->kind == DLC_SCHED_KERNEL && r->scratch > 0) {
      s->t[s->n] = (tinfo){NULL, (int)i, r->scratch, (int)i, (int)i, s->n, 0,
                           false};
      s->n++;
    }
  }
}

static const char *t_name(const dlc_graph *g, const tinfo *t) {
  return t->v ? t->v->name : g->nodes.items[t->node]->name;
}

static int64_t t_offset(const dlc_graph *g, const dlc_schedule *sc,
                        const tinfo *t) {
  return t->v ? t->v->arena_offset
              : dlc_schedule_node(sc, g->nodes.items[t->node])->scratch_offset;
}

static int64_t align_up(int64_t x) {
  return (x + DLC_PLAN_ALIGN - 1) / DLC_PLAN_ALIGN * DLC_PLAN_ALIGN;
}

int64_t dlc_plan_naive_bytes(const dlc_graph *g, const dlc_schedule *sc) {
  live_set s;
  collect(g, sc, &s);
  int64_t total = 0;
  for (int i = 0; i < s.n; i++)
    total += s.t[i].size;
  live_set_free(&s);
  return total;
}

int64_t dlc_plan_lower_bound(const dlc_graph *g, const dlc_schedule *sc) {
  live_set s;
  collect(g, sc, &s);
  /* Difference array over node numbers: +size at def, -size after last. */
  int64_t *delta = calloc(g->nodes.n + 2, sizeof *delta);
  DLC_ASSERT(delta != NULL);
  for (int i = 0; i < s.n; i++) {
    delta[s.t[i].def] += s.t[i].size;
    delta[s.t[i].last + 1] -= s.t[i].size;
  }
  int64_t cur = 0, peak = 0;
  for (size_t i = 0; i <= g->nodes.n; i++) {
    cur += delta[i];
    peak = cur > peak ? cur : peak;
  }
  free(delta);
  live_set_free(&s);
  return peak;
}

/* ------------------------------------------------------- Concat elision */

static int64_t slice_stride(const dlc_tensor *t, int axis) {
  int64_t inner = 1;
  for (int i = axis + 1; i < t->rank; i++)
    inner *= t->dims[i];
  return inner * (int64_t)dlc_dtype_size(t->dtype);
}

static bool concat_elidable(const dlc_node *c, const live_set *s, int *axis) {
  const dlc_value *o = c->outputs[0];
  int at = s->of_value[o->id];
  if (at < 0 || !dlc_norm_axis(dlc_node_get_int(c, "axis"), o->type.rank, axis))
    return false;
  for (int i = 0; i < *axis; i++)
    if (o->type.dims[i] != 1)
      return false;
  for (int k = 0; k < c->n_inputs; k++) {
    const dlc_value *v = c->inputs[k];
    int vi = v ? s->of_value[v->id] : -1;
    if (vi < 0 || s->t[vi].slice || s->t[vi].buffer != vi ||
        v->producer->op == DLC_OP_CONCAT || v->type.dtype != o->type.dtype)
      return false;
    for (int j = 0; j < k; j++)
      if (c->inputs[j] == v)
        return false;
  }
  return true;
}

static void join(live_set *s, buffer *b, int member, int root, int64_t rel) {
  s->t[member].buffer = root;
  s->t[member].rel = rel;
  b[root].start = s->t[member].def < b[root].start ? s->t[member].def
                                                   : b[root].start;
  b[root].end = s->t[member].last > b[root].end ? s->t[member].last
                                                : b[root].end;
}

/* Elides the Concats that allow[node index] permits (NULL: all). */
static void elide_concats(dlc_graph *g, live_set *s, buffer *b,
                          const bool *allow) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    dlc_node *c = g->nodes.items[i];
    int axis;
    if (c->dead || c->op != DLC_OP_CONCAT || (allow && !allow[i]) ||
        !concat_elidable(c, s, &axis))
      continue;
    int root = s->of_value[c->outputs[0]->id];
    int64_t rel = 0;
    for (int k = 0; k < c->n_inputs; k++) {
      int m = s->of_value[c->inputs[k]->id];
      s->t[m].slice = true;
      join(s, b, m, root, rel);
      rel += c->inputs[k]->type.dims[axis] *
             slice_stride(&c->inputs[k]->type, axis);
    }
    c->elided = true;
  }
}

/* --------------------------------------------------------------- in place */

/* Whether n may write its output over an input that dies at it. A view
 * (DLC_OPF_VIEW) in place copies nothing. */
static bool may_run_in_place(const dlc_node *n) {
  return (dlc_op_get_info(n->op)->flags & DLC_OPF_ELEMENTWISE) ||
         dlc_op_is_view(n->op);
}

/* The input n may write its output over, or -1. */
static int in_place_input(const dlc_node *n, int t, const live_set *s,
                          const buffer *b) {
  const dlc_value *o = n->outputs[0];
  int n_candidates = dlc_op_is_view(n->op) ? 1 : n->n_inputs;
  for (int k = 0; k < n_candidates; k++) {
    const dlc_value *v = n->inputs[k];
    int vi = v ? s->of_value[v->id] : -1;
    if (vi < 0 || s->t[vi].slice || b[s->t[vi].buffer].end != t ||
        (!dlc_op_is_view(n->op) &&
         !dlc_tensor_same_shape(&v->type, &o->type)) ||
        dlc_tensor_nbytes(&v->type) != dlc_tensor_nbytes(&o->type))
      continue;
    bool shared = false;
    for (int j = 0; j < n->n_inputs; j++) {
      const dlc_value *w = n->inputs[j];
      int wi = w && w != v ? s->of_value[w->id] : -1;
      shared |= wi >= 0 && s->t[wi].buffer == s->t[vi].buffer;
    }
    if (!shared)
      return vi;
  }
  return -1;
}

/* Views share their input's storage at every level; element-wise nodes
 * write over a dying input only when in_place (-O1 and up). */
static void plan_in_place(const dlc_graph *g, live_set *s, buffer *b,
                          bool in_place) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead || n->epilogue || n->n_outputs < 1 || !n->outputs[0] ||
        !may_run_in_place(n) || (!in_place && !dlc_op_is_view(n->op)))
      continue;
    int oi = s->of_value[n->outputs[0]->id];
    if (oi < 0 || s->t[oi].slice || s->t[oi].buffer != oi)
      continue;
    int vi = in_place_input(n, (int)i, s, b);
    if (vi >= 0)
      join(s, b, oi, s->t[vi].buffer, s->t[vi].rel);
  }
}

/* ---------------------------------------------------------------- offsets */

/* Sort key of a buffer for one placement order: a primary figure (larger
 * first), then size (larger first), then earlier first. */
typedef struct order_key {
  int64_t primary, size;
  int start, index;
} order_key;

static int by_key_desc(const void *pa, const void *pb) {
  const order_key *a = pa, *b = pb;
  if (a->primary != b->primary)
    return a->primary > b->primary ? -1 : 1;
  if (a->size != b->size)
    return a->size > b->size ? -1 : 1;
  if (a->start != b->start)
    return a->start < b->start ? -1 : 1;
  return a->index - b->index;
}

/* The placement orders tried; the smallest arena wins. Greedy by size is
 * the classic choice; by lifetime and by size x lifetime ("area") win on
 * graphs with long-lived skip connections (UNet, DenseNet), where a big
 * short-lived tensor placed first can strand a long-lived one above it. */
enum { ORDER_SIZE, ORDER_LIFETIME, ORDER_AREA, ORDER_COUNT };

static int64_t order_primary(const buffer *x, int order) {
  int64_t life = (int64_t)(x->end - x->start + 1);
  switch (order) {
  case ORDER_LIFETIME: return life;
  case ORDER_AREA: return x->size * life;
  default: return x->size;
  }
}

typedef struct span {
  int64_t lo, hi;
} span;

static int by_lo(const void *pa, const void *pb) {
  const span *a = pa, *b = pb;
  return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Which root buffers are live at the same time as a given one, without
 * looking at every buffer (that made placement quadratic: 82% of `dlc
 * check` on a 200,000-node chain). Buffer y meets x in time when
 *   (a) y starts inside [x.start, x.end]: a range of `by_start`, or
 *   (b) y starts before x.start and is still live there: a stabbing query
 *       on a static segment tree over node numbers, each buffer stored at
 *       the O(log n) canonical tree nodes that cover its interval.
 * The two sets are disjoint. Both hold placed and unplaced buffers (the
 * index does not change between placement orders); the caller filters.
 * Cost per query: O(log n) plus the buffers met, each of which a lowest
 * fit has to look at anyway. */
typedef struct start_key {
  int start, index;
} start_key;

typedef struct time_index {
  int leaves;          /* power of two above the last node number */
  int *first;          /* CSR over tree nodes 1 .. 2*leaves-1: [first[k], first[k+1]) */
  int *items;          /* buffer indices */
  start_key *by_start; /* root buffers sorted by start */
  int n_roots;
} time_index;

static int by_start_cmp(const void *pa, const void *pb) {
  const start_key *a = pa, *b = pb;
  if (a->start != b->start)
    return a->start < b->start ? -1 : 1;
  return a->index - b->index;
}

/* The canonical tree nodes of [lo, hi] (closed): at most two a level. */
enum { TIME_MAX_CANONICAL = 2 * 32 };

static int canonical_nodes(const time_index *ti, int lo, int hi,
                           int out[TIME_MAX_CANONICAL]) {
  int n = 0;
  for (int l = lo + ti->leaves, r = hi + ti->leaves + 1; l < r;
       l >>= 1, r >>= 1) {
    if (l & 1)
      out[n++] = l++;
    if (r & 1)
      out[n++] = --r;
  }
  return n;
}

/* Counts (items NULL) or stores each root buffer at its canonical nodes. */
static void time_index_fill(time_index *ti, const buffer *b, int *fill) {
  int k[TIME_MAX_CANONICAL];
  for (int r = 0; r < ti->n_roots; r++) {
    int i = ti->by_start[r].index;
    int m = canonical_nodes(ti, b[i].start, b[i].end, k);
    for (int j = 0; j < m; j++) {
      if (ti->items)
        ti->items[fill[k[j]]++] = i;
      else
        ti->first[k[j] + 1]++;
    }
  }
}

static void time_index_build(time_index *ti, const live_set *s,
                             const buffer *b) {
  int last = 0;
  *ti = (time_index){0};
  ti->by_start = malloc(((size_t)s->n + 1) * sizeof *ti->by_start);
  DLC_ASSERT(ti->by_start != NULL);
  for (int i = 0; i < s->n; i++)
    if (s->t[i].buffer == i) {
      ti->by_start[ti->n_roots++] = (start_key){b[i].start, i};
      last = b[i].end > last ? b[i].end : last;
    }
  qsort(ti->by_start, (size_t)ti->n_roots, sizeof *ti->by_start,
        by_start_cmp);
  for (ti->leaves = 1; ti->leaves <= last; ti->leaves *= 2)
    ;
  size_t slots = 2 * (size_t)ti->leaves + 1;
  ti->first = calloc(slots, sizeof *ti->first);
  DLC_ASSERT(ti->first != NULL);
  time_index_fill(ti, b, NULL);
  for (size_t k = 1; k < slots; k++)
    ti->first[k] += ti->first[k - 1];
  ti->items = malloc(((size_t)ti->first[slots - 1] + 1) * sizeof *ti->items);
  int *fill = malloc(slots * sizeof *fill);
  DLC_ASSERT(ti->items && fill);
  memcpy(fill, ti->first, slots * sizeof *fill);
  time_index_fill(ti, b, fill);
  free(fill);
}

static void time_index_free(time_index *ti) {
  free(ti->first);
  free(ti->items);
  free(ti->by_start);
}

/* The placed, non-empty buffer p as a span of the arena, when it is live
 * with x. */
static int add_conflict(const buffer *p, span *tmp, int n) {
  if (p->placed && p->size > 0)
    tmp[n++] = (span){p->offset, p->offset + p->size};
  return n;
}

/* Lowest aligned offset for buffer x clear of the placed buffers that are
 * live at the same time. The result does not depend on the order in which
 * the spans are found: the sweep below finds the lowest aligned offset
 * whose range meets no span. */
static int64_t lowest_fit(const time_index *ti, const buffer *b, int xi,
                          span *tmp) {
  const buffer *x = &b[xi];
  int n = 0;
  int lo = 0, hi = ti->n_roots; /* (a): first root with start >= x->start */
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (ti->by_start[mid].start < x->start)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (int r = lo; r < ti->n_roots && ti->by_start[r].start <= x->end; r++)
    if (ti->by_start[r].index != xi)
      n = add_conflict(&b[ti->by_start[r].index], tmp, n);
  for (int k = x->start + ti->leaves; k >= 1; k >>= 1) /* (b) */
    for (int j = ti->first[k]; j < ti->first[k + 1]; j++)
      if (b[ti->items[j]].start < x->start)
        n = add_conflict(&b[ti->items[j]], tmp, n);
  qsort(tmp, (size_t)n, sizeof *tmp, by_lo);
  int64_t at = 0;
  for (int i = 0; i < n && tmp[i].lo < at + x->size; i++)
    if (tmp[i].hi > at)
      at = align_up(tmp[i].hi);
  return at;
}

/* Places the root buffers in the given order; returns the arena size. */
static int64_t place_in_order(live_set *s, buffer *b, const time_index *ti,
                              int order_kind, order_key *keys, span *tmp) {
  int roots = 0;
  for (int i = 0; i < s->n; i++)
    if (s->t[i].buffer == i) {
      keys[roots++] = (order_key){order_primary(&b[i], order_kind), b[i].size,
                                  b[i].start, i};
      b[i].placed = false;
    }
  qsort(keys, (size_t)roots, sizeof *keys, by_key_desc);
  int64_t arena = 0;
  for (int i = 0; i < roots; i++) {
    buffer *x = &b[keys[i].index];
    x->offset = lowest_fit(ti, b, keys[i].index, tmp);
    x->placed = true;
    arena = x->offset + x->size > arena ? x->offset + x->size : arena;
  }
  return arena;
}

static int64_t assign_offsets(live_set *s, buffer *b) {
  order_key *keys = malloc(((size_t)s->n + 1) * sizeof *keys);
  span *tmp = malloc(((size_t)s->n + 1) * sizeof *tmp);
  DLC_ASSERT(keys && tmp);
  time_index ti;
  time_index_build(&ti, s, b);
  int best = ORDER_SIZE;
  int64_t best_arena = -1;
  for (int k = 0; k < ORDER_COUNT; k++) {
    int64_t a = place_in_order(s, b, &ti, k, keys, tmp);
    if (best_arena < 0 || a < best_arena) {
      best_arena = a;
      best = k;
    }
  }
  /* Re-place with the winner: the buffers hold the last order's offsets. */
  int64_t arena = place_in_order(s, b, &ti, best, keys, tmp);
  DLC_ASSERT(arena == best_arena);
  time_index_free(&ti);
  free(keys);
  free(tmp);
  return arena;
}

/* One complete plan with the Concats allow permits elided (NULL: none);
 * returns the arena size, and when commit, writes the offsets into the
 * graph and the schedule. */
static int64_t plan_once(dlc_graph *g, dlc_schedule *sc, const bool *allow,
                         bool commit) {
  for (size_t i = 0; i < g->values.n; i++)
    g->values.items[i]->arena_offset = -1;
  for (size_t i = 0; i < g->nodes.n; i++)
    g->nodes.items[i]->elided = false;
  live_set s;
  collect(g, sc, &s);
  buffer *b = calloc((size_t)s.n + 1, sizeof *b);
  DLC_ASSERT(b != NULL);
  for (int i = 0; i < s.n; i++)
    b[i] = (buffer){s.t[i].size, 0, s.t[i].def, s.t[i].last, false};
  if (allow)
    elide_concats(g, &s, b, allow);
  plan_in_place(g, &s, b, sc->opt.in_place);
  for (int i = 0; i < s.n; i++)
    if (s.t[i].buffer == i)
      b[i].size = align_up(b[i].size);
  int64_t arena = assign_offsets(&s, b);
  if (commit) {
    g->arena_bytes = arena;
    for (int i = 0; i < s.n; i++) {
      int64_t at = b[s.t[i].buffer].offset + s.t[i].rel;
      if (s.t[i].v)
        s.t[i].v->arena_offset = at;
      else
        sc->nodes[g->nodes.items[s.t[i].node]->id].scratch_offset = at;
    }
  } else {
    for (size_t i = 0; i < g->nodes.n; i++)
      g->nodes.items[i]->elided = false;
  }
  free(b);
  live_set_free(&s);
  return arena;
}

/* Concat elision saves a copy but ties the inputs' lifetimes together: a
 * skip connection that lives across a whole UNet then holds its Concat's
 * entire output. Elisions are kept while the arena stays within 1.10x of
 * the lower bound; past that, each one that makes the arena larger is
 * given up (in graph order). */
static void choose_elisions(dlc_graph *g, dlc_schedule *sc, bool *allow) {
  int64_t bound = dlc_plan_lower_bound(g, sc);
  int64_t best = plan_once(g, sc, allow, false);
  for (size_t i = 0; i < g->nodes.n && best * 10 > bound * 11; i++) {
    if (g->nodes.items[i]->dead || g->nodes.items[i]->op != DLC_OP_CONCAT)
      continue;
    allow[i] = false;
    int64_t a = plan_once(g, sc, allow, false);
    if (a < best)
      best = a;
    else
      allow[i] = true;
  }
}

/* Every size, and their sum, below 2^62: no offset, alignment or sum the
 * planner computes can then overflow int64. Names the first offender. */
enum { PLAN_SIZE_LIMIT_LOG2 = 62 };

static bool sizes_bounded(const dlc_graph *g, const dlc_schedule *sc,
                          dlc_diag *d) {
  const int64_t limit = (int64_t)1 << PLAN_SIZE_LIMIT_LOG2;
  live_set s;
  collect(g, sc, &s);
  int64_t total = 0;
  bool ok = true;
  for (int i = 0; i < s.n && ok; i++) {
    size_t sz = s.t[i].v ? dlc_tensor_nbytes(&s.t[i].v->type)
                         : (size_t)s.t[i].size;
    if (sz >= (size_t)limit || s.t[i].size < 0 || total >= limit - (int64_t)sz) {
      dlc_diag_error(d, "", "%s '%s': the workspace would exceed 2^62 bytes",
                     s.t[i].v ? "tensor" : "scratch of node", t_name(g, &s.t[i]));
      ok = false;
    }
    total += (int64_t)sz + DLC_PLAN_ALIGN;
  }
  live_set_free(&s);
  return ok;
}

/* The node whose live tensors reach the highest arena byte (for the
 * workspace-limit message). */
static const dlc_node *peak_node(const dlc_graph *g, const dlc_schedule *sc) {
  live_set s;
  collect(g, sc, &s);
  int64_t top = -1;
  int at = 0;
  for (int i = 0; i < s.n; i++) {
    int64_t end = t_offset(g, sc, &s.t[i]) + s.t[i].size;
    if (end > top) {
      top = end;
      at = s.t[i].def;
    }
  }
  live_set_free(&s);
  return g->nodes.n ? g->nodes.items[at] : NULL;
}

/* slice[id]: the value is an input of an elided Concat (its producer
 * writes a slice of the Concat's output). Free: free(). */
static bool *concat_slices(const dlc_graph *g) {
  bool *slice = calloc(g->values.n + 1, sizeof *slice);
  DLC_ASSERT(slice != NULL);
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    for (int i = 0; !n->dead && n->elided && i < n->n_inputs; i++)
      if (n->inputs[i])
        slice[n->inputs[i]->id] = true;
  }
  return slice;
}

/* A view aliases when the plan shares the storage, or when its input lives
 * outside the workspace (read-only for the whole run) and its output is not
 * a slice some Concat expects written. */
static bool view_aliases(const dlc_node *n, const bool *slice) {
  const dlc_value *in = n->inputs[0], *out = n->outputs[0];
  if (!dlc_op_is_view(n->op) || !in || !out || out->is_output)
    return false;
  if (dlc_value_is_const(in) || in->arena_offset < 0)
    return !slice[out->id];
  return out->arena_offset == in->arena_offset;
}

static void mark_storage_kinds(const dlc_graph *g, dlc_schedule *sc) {
  bool *slice = concat_slices(g);
  for (size_t k = 0; k < g->nodes.n; k++) {
    const dlc_node *n = g->nodes.items[k];
    dlc_node_sched *r = &sc->nodes[n->id];
    if (r->kind != DLC_SCHED_KERNEL)
      continue;
    if (n->elided) {
      r->kind = DLC_SCHED_ELIDED;
      snprintf(r->why, sizeof r->why, "its producers write its slices");
    } else if (view_aliases(n, slice)) {
      r->kind = DLC_SCHED_ALIAS;
      snprintf(r->why, sizeof r->why, "a view sharing its input's storage");
    }
  }
  free(slice);
}

dlc_status dlc_schedule_plan_memory(dlc_graph *g, dlc_schedule *sc,
                                    dlc_diag *d) {
  DLC_ASSERT(sc->g == g && sc->n_nodes == g->nodes.n);
  if (!sizes_bounded(g, sc, d))
    return DLC_ERR_INVALID;
  bool *allow = NULL;
  if (sc->opt.in_place) {
    allow = malloc((g->nodes.n + 1) * sizeof *allow);
    DLC_ASSERT(allow != NULL);
    for (size_t i = 0; i < g->nodes.n; i++)
      allow[i] = true;
    choose_elisions(g, sc, allow);
  }
  plan_once(g, sc, allow, true);
  free(allow);
  g->memory_planned = true;
  sc->planned = true;
  sc->workspace_bytes = g->arena_bytes;
  if (sc->opt.max_workspace > 0 && g->arena_bytes > sc->opt.max_workspace) {
    const dlc_node *n = peak_node(g, sc);
    dlc_diag_error(d, "", "node '%s': the workspace would be %lld bytes, "
                   "above the limit of %lld (--max-workspace)",
                   n ? n->name : "?", (long long)g->arena_bytes,
                   (long long)sc->opt.max_workspace);
    return DLC_ERR_INVALID;
  }
  mark_storage_kinds(g, sc);
  return DLC_OK;
}

/* ---------------------------------------------------------------- checker */

/* o = n(i, ...) computed in place: n element-wise, i dies at n, same place. */
static bool in_place_pair(const tinfo *i, const tinfo *o) {
  if (!i->v || !o->v)
    return false;
  const dlc_node *n = o->v->producer;
  if (!may_run_in_place(n) ||
      i->last != o->def || i->v->arena_offset != o->v->arena_offset ||
      i->size != o->size)
    return false;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] == i->v)
      return true;
  return false;
}

/* i is a slice of o, the output of an elided Concat, at its slice offset. */
static bool concat_pair(const tinfo *i, const tinfo *o) {
  if (!i->v || !o->v)
    return false;
  const dlc_node *c = o->v->producer;
  int axis;
  if (c->op != DLC_OP_CONCAT || !c->elided ||
      !dlc_norm_axis(dlc_node_get_int(c, "axis"), o->v->type.rank, &axis))
    return false;
  int64_t rel = 0;
  for (int k = 0; k < c->n_inputs; k++) {
    const dlc_value *v = c->inputs[k];
    if (v == i->v)
      return i->v->arena_offset == o->v->arena_offset + rel;
    rel += v->type.dims[axis] * slice_stride(&v->type, axis);
  }
  return false;
}

static bool may_share(const tinfo *a, const tinfo *b) {
  return in_place_pair(a, b) || in_place_pair(b, a) || concat_pair(a, b) ||
         concat_pair(b, a);
}

static int by_def(const void *pa, const void *pb) {
  const tinfo *a = *(const tinfo *const *)pa, *b = *(const tinfo *const *)pb;
  return a->def < b->def ? -1 : a->def > b->def;
}

static void check_pair(const dlc_graph *g, const dlc_schedule *sc,
                       const tinfo *a, const tinfo *b, dlc_diag *d) {
  int64_t ao = t_offset(g, sc, a), bo = t_offset(g, sc, b);
  bool space = a->size > 0 && b->size > 0 && ao < bo + b->size &&
               bo < ao + a->size;
  if (space && !may_share(a, b))
    dlc_diag_error(d, "memory plan",
                   "'%s' [%lld, +%lld) and '%s' [%lld, +%lld) are live "
                   "at the same time and overlap",
                   t_name(g, a), (long long)ao, (long long)a->size,
                   t_name(g, b), (long long)bo, (long long)b->size);
}

/* Every pair of tensors live at the same time, by a sweep in definition
 * order over the set still live (all pairs of a 200,000-node chain would
 * be 2 * 10^10 comparisons; the pairs live together are a few per node). */
static void check_pairs(const dlc_graph *g, const dlc_schedule *sc,
                        const live_set *s, dlc_diag *d) {
  const tinfo **order = malloc(((size_t)s->n + 1) * sizeof *order);
  const tinfo **live = malloc(((size_t)s->n + 1) * sizeof *live);
  DLC_ASSERT(order && live);
  for (int i = 0; i < s->n; i++)
    order[i] = &s->t[i];
  qsort(order, (size_t)s->n, sizeof *order, by_def);
  int n_live = 0;
  for (int i = 0; i < s->n; i++) {
    const tinfo *b = order[i];
    int kept = 0;
    for (int j = 0; j < n_live; j++)
      if (live[j]->last >= b->def)
        live[kept++] = live[j];
    n_live = kept;
    for (int j = 0; j < n_live; j++)
      check_pair(g, sc, live[j], b, d);
    live[n_live++] = b;
  }
  free(order);
  free(live);
}

dlc_status dlc_plan_check(const dlc_graph *g, const dlc_schedule *sc,
                          dlc_diag *d) {
  int before = dlc_diag_count(d);
  if (!g->memory_planned) {
    dlc_diag_error(d, "memory plan", "the graph has no memory plan");
    return DLC_ERR_INVALID;
  }
  live_set s;
  collect(g, sc, &s);
  for (int i = 0; i < s.n; i++) {
    int64_t at = t_offset(g, sc, &s.t[i]);
    if (at < 0 || at + s.t[i].size > g->arena_bytes)
      dlc_diag_error(d, "memory plan", "'%s' at %lld (+%lld) is outside the "
                     "arena of %lld bytes", t_name(g, &s.t[i]), (long long)at,
                     (long long)s.t[i].size, (long long)g->arena_bytes);
  }
  for (size_t i = 0; i < g->inputs.n; i++)
    if (g->inputs.items[i]->arena_offset != -1)
      dlc_diag_error(d, "memory plan", "graph input '%s' is in the arena",
                     g->inputs.items[i]->name);
  for (size_t i = 0; i < g->outputs.n; i++)
    if (g->outputs.items[i]->arena_offset != -1)
      dlc_diag_error(d, "memory plan", "graph output '%s' is in the arena",
                     g->outputs.items[i]->name);
  check_pairs(g, sc, &s, d);
  live_set_free(&s);
  return dlc_diag_count(d) == before ? DLC_OK : DLC_ERR_INVALID;
}

/* ------------------------------------------------------------- statistics */

void dlc_plan_stats_compute(const dlc_graph *g, const dlc_schedule *sc,
                            dlc_plan_stats *out) {
  memset(out, 0, sizeof *out);
  bool *seen = calloc(g->values.n + 1, sizeof *seen);
  DLC_ASSERT(seen != NULL);
  for (size_t i = 0; i < g->nodes.n; i++) {
    const dlc_node *n = g->nodes.items[i];
    if (n->dead)
      continue;
    out->nodes++;
    out->fused_nodes += n->epilogue && n->epilogue->n_fused > 0;
    for (int k = 0; k < n->n_inputs; k++) {
      const dlc_value *v = n->inputs[k];
      if (v && v->kind == DLC_VALUE_INITIALIZER && !seen[v->id]) {
        seen[v->id] = true;
        out->weights_bytes += (int64_t)dlc_tensor_nbytes(&v->type);
      }
    }
  }
  free(seen);
  out->arena_bytes = g->memory_planned ? g->arena_bytes : -1;
  out->arena_lower_bound_bytes = dlc_plan_lower_bound(g, sc);
  out->naive_bytes = dlc_plan_naive_bytes(g, sc);
}
