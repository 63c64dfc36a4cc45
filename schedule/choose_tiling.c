/* choose_tiling.c — the numbers an algorithm runs with on one target: the
 * micro-kernel's register block (MR rows x NV vectors) and K block, the
 * padded plane of window kernels, im2col's chunk of output rows, and the
 * scratch each kernel needs — all from the target description, once. */
#include "schedule/schedule_impl.h"

/* ------------------------------------------------ the register block */

/* Cycles per k step of an mr x nv tile: FMA throughput (2 per cycle), FMA
 * latency (4 cycles per dependent chain), loads (2 per cycle). */
static double step_cost(int mr, int nv) {
  double fma = mr * nv / 2.0, lat = 4.0, ld = (mr + nv) / 2.0;
  double c = fma > lat ? fma : lat;
  return c > ld ? c : ld;
}

static double tile_cost(int64_t m, int64_t n, int vl, int mr, int nv) {
  int64_t nc = (int64_t)nv * vl, nfull = n / nc, nrem = n % nc;
  int nvr = (int)((nrem + vl - 1) / vl);
  int64_t mfull = m / mr, mrem = m % mr;
  double row = (double)nfull * step_cost(mr, nv) +
               (nrem ? step_cost(mr, nvr) : 0);
  double last = mrem ? (double)nfull * step_cost((int)mrem, nv) +
                           (nrem ? step_cost((int)mrem, nvr) : 0)
                     : 0;
  return (double)mfull * row + last;
}

/* Cache budgets, tuned on Zen 4 (32 KiB L1D, 1 MiB L2) and kept fixed so
 * that every target's code stays what it was when the schedule stage was
 * introduced; the blocked-layout kernels derive them from the target's
 * l1_bytes/l2_bytes instead, with measurements. */
enum { L1_PANEL_BYTES = 16384, COLS_BUDGET_BYTES = 640 * 1024 };

/* The K block: a kc x nc panel of B fills about half of a 32 KiB L1. */
static int64_t k_block(const dlc_target_desc *t, int nv, int64_t k) {
  int64_t kmax = L1_PANEL_BYTES / ((int64_t)nv * t->vl * 4);
  kmax = kmax < 64 ? 64 : kmax;
  int64_t blocks = (k + kmax - 1) / kmax;
  return (k + blocks - 1) / blocks;
}

void dlc_sched_gemm_tile(const dlc_target_desc *t, int64_t m, int64_t n,
                         int64_t k, dlc_tile *p) {
  int vl = t->vl, regs = t->vector_regs;
  int budget = regs == 32 ? 24 : 12, max_mr = regs == 32 ? 16 : 12;
  double best = 0;
  p->mr = 1;
  p->nv = 1;
  for (int nv = 8; nv >= 1; nv--) {
    /* accumulators + nv B vectors + a broadcast fit the register file */
    int mr = (regs - 2 - nv) / nv;
    mr = mr < budget / nv ? mr : budget / nv;
    mr = mr < max_mr ? mr : max_mr;
    mr = m < mr ? (int)m : mr;
    if (mr < 1)
      continue;
    double c = tile_cost(m, n, vl, mr, nv);
    if (best == 0 || c < best * 0.999) {
      best = c;
      p->mr = mr;
      p->nv = nv;
    }
  }
  p->kc = k_block(t, p->nv, k);
}

const char *dlc_sched_tile_invalid(const dlc_target_desc *t,
                                   const dlc_tile *p, int64_t k) {
  if (p->mr < 1 || p->nv < 1 || p->nv > 8 || p->mr * p->nv > 64)
    return "the micro-kernel takes 1 <= nv <= 8 and mr x nv <= 64";
  if (p->mr * p->nv + p->nv + 1 > t->vector_regs * 2)
    return "the tile needs far more vector registers than the target has";
  if (p->kc < 1 || p->kc > k)
    return "kc must be between 1 and K";
  return NULL;
}

/* ------------------------------------------------------ the products */

static void gemm_mnk(const dlc_node *n, int64_t *m, int64_t *nn, int64_t *k) {
  const dlc_tensor *a = &n->inputs[0]->type;
  bool ta = dlc_node_get_int(n, "transA");
  *m = ta ? a->dims[1] : a->dims[0];
  *k = ta ? a->dims[0] : a->dims[1];
  *nn = n->outputs[0]->type.dims[1];
}

static void matmul_mnk(const dlc_node *n, int64_t *m, int64_t *nn,
                       int64_t *k) {
  const dlc_tensor *a = &n->inputs[0]->type, *b = &n->inputs[1]->type;
  *k = a->dims[a->rank - 1];
  *m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  *nn = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
}

/* Conv as GEMM per group: Y[Cout_g, cols] = W[Cout_g, Cin_g*kh*kw] x cols. */
static void conv_mnk(const dlc_node_sched *r, int64_t *m, int64_t *nn,
                     int64_t *k) {
  const dlc_node *n = r->node;
  const dlc_window2d *w = &r->win;
  int64_t group = dlc_node_get_int(n, "group");
  *m = n->inputs[1]->type.dims[0] / group;
  *k = n->inputs[0]->type.dims[1] / group * w->k[0] * w->k[1];
  *nn = r->algo == DLC_ALGO_CONV_POINTWISE ? w->in[0] * w->in[1]
                                           : r->p.rows * w->out[1];
}

void dlc_sched_gemm_mnk(const dlc_node_sched *r, int64_t *m, int64_t *n,
                        int64_t *k) {
  if (r->node->op == DLC_OP_CONV)
    conv_mnk(r, m, n, k);
  else if (r->node->op == DLC_OP_GEMM)
    gemm_mnk(r->node, m, n, k);
  else
    matmul_mnk(r->node, m, n, k);
}

/* ------------------------------------------------------ window kernels */

/* The plane the inner loops read: every tap of every window inside it. */
static void padded_plane(dlc_node_sched *r) {
  const dlc_window2d *g = &r->win;
  int64_t reach_h = (g->out[0] - 1) * g->s[0] + (g->k[0] - 1) * g->d[0] + 1;
  int64_t reach_w = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
  int64_t ph = g->pb[0] + g->in[0] > reach_h ? g->pb[0] + g->in[0] : reach_h;
  int64_t pw = g->pb[1] + g->in[1] > reach_w ? g->pb[1] + g->in[1] : reach_w;
  bool padded = g->pb[0] || g->pb[1] || ph != g->in[0] || pw != g->in[1];
  r->p.plane_h = padded || r->algo == DLC_ALGO_CONV_DEPTHWISE ? ph : 0;
  r->p.plane_w = padded || r->algo == DLC_ALGO_CONV_DEPTHWISE ? pw : 0;
}

/* Column buffer budget: written then read once per group, it should stay
 * in a 1 MiB L2 next to the weights' panels. */
static int64_t cols_budget(const dlc_target_desc *t) {
  (void)t;
  return COLS_BUDGET_BYTES;
}

static void tile_conv_gemm(const dlc_target_desc *t, dlc_node_sched *r) {
  const dlc_window2d *g = &r->win;
  const dlc_node *n = r->node;
  int64_t cin = n->inputs[0]->type.dims[1];
  int64_t k = cin / dlc_node_get_int(n, "group") * g->k[0] * g->k[1];
  int64_t ho = g->out[0], wo = g->out[1], row_bytes = k * wo * 4;
  bool pointwise = r->algo == DLC_ALGO_CONV_POINTWISE;
  if (r->p.rows > 0) /* chosen by a --schedule file */
    r->p.rows = r->p.rows > ho ? ho : r->p.rows;
  else if (pointwise || row_bytes * ho <= cols_budget(t) * 3 / 2)
    r->p.rows = ho;
  else {
    r->p.rows = cols_budget(t) / row_bytes;
    r->p.rows = r->p.rows < 1 ? 1 : r->p.rows > ho ? ho : r->p.rows;
  }
  int64_t m, nn, kk;
  conv_mnk(r, &m, &nn, &kk);
  dlc_sched_gemm_tile(t, m, nn, kk, &r->p.tile);
  int64_t plane = r->p.plane_h ? (cin * r->p.plane_h * r->p.plane_w + 15) /
                                     16 * 16
                               : 0;
  int64_t cols = pointwise ? 0 : k * r->p.rows * wo;
  r->scratch = (plane + cols) * 4;
}

/* Depthwise: one zeroed padded plane per channel, plus the slack the last
 * row's vector loads read: up to ceil(Wo/vl)*vl*sw + 2*vl past it. */
static void tile_depthwise(const dlc_target_desc *t, dlc_node_sched *r) {
  const dlc_window2d *g = &r->win;
  int64_t vl = t->vl, wvec = (g->out[1] + vl - 1) / vl * vl;
  r->p.slack = wvec * g->s[1] + 2 * vl + (g->k[1] - 1) * g->d[1] + 16;
  r->scratch = (r->p.plane_h * r->p.plane_w + r->p.slack) * 4;
}

/* ------------------------------------------------ blocked convolution */

/* Input blocks one output block reads: all of them, or (groups narrower
 * than the block) the blocks spanning its groups' input channels. */
int64_t dlc_sched_nchwc_input_blocks(const dlc_node *n, int64_t block) {
  const dlc_tensor *x = &n->inputs[0]->type, *w = &n->inputs[1]->type;
  int64_t group = dlc_node_get_int(n, "group");
  int64_t cin_g = w->dims[1], cout_g = w->dims[0] / group;
  int64_t ib = x->rank == 5 ? block : 1, cbi = x->dims[1];
  if (group == 1)
    return cbi;
  int64_t most = 1;
  for (int64_t ob = 0; ob * block < w->dims[0]; ob++) {
    int64_t last = ob * block + block - 1 < w->dims[0] ? ob * block + block - 1
                                                       : w->dims[0] - 1;
    int64_t lo = ob * block / cout_g * cin_g, hi = (last / cout_g + 1) * cin_g;
    int64_t blocks = (hi + ib - 1) / ib - lo / ib;
    most = blocks > most ? blocks : most;
  }
  return most < cbi ? most : cbi;
}

bool dlc_sched_nchwc_tile_fits(const dlc_target_desc *t, int nb, int rw) {
  /* with 32 registers LLVM hoists the next lanes' weight loads and
   * broadcasts above the FMAs: two more free ones, or it spills (seen at
   * 31 of 32: 2 x 14 + 2 + 1) */
  int spare = t->vector_regs >= 32 ? 3 : 1;
  return rw <= 32 && nb * rw + nb + spare <= t->vector_regs;
}

int64_t dlc_sched_nchwc_row_tiles(int64_t width, int64_t rw) {
  return width < 1 || rw < 1 ? 1 : (width + rw - 1) / rw;
}

/* Loads per FMA of a row of `width` pixels cut into nearly equal tiles of
 * at most rw pixels with nb output blocks: each input-channel step of a
 * tile loads nb weight vectors and broadcasts one value per pixel. */
static double nchwc_loads_per_fma(int64_t width, int nb, int rw) {
  int64_t tiles = dlc_sched_nchwc_row_tiles(width, rw);
  double loads = (double)tiles * nb + (double)width;
  return loads / ((double)nb * width);
}

/* Register tile (rw pixels x nb output blocks, nb*rw accumulators + nb
 * weight vectors + one broadcast in the registers) with the fewest loads
 * per FMA; the input-channel chunk kc keeps
 * the chunk's packed weights within half of L2, where every row of the
 * output re-reads them. */
static void tile_conv_nchwc(const dlc_target_desc *t, dlc_node_sched *r) {
  const dlc_node *n = r->node;
  const dlc_window2d *g = &r->win;
  int64_t block = n->outputs[0]->type.dims[4];
  int64_t cbo = n->outputs[0]->type.dims[1];
  int64_t nib = dlc_sched_nchwc_input_blocks(n, block);
  bool x_blocked = n->inputs[0]->type.rank == 5;
  int64_t ib = x_blocked ? block : 1;
  bool flat = dlc_sched_conv_is_pointwise(g);
  int64_t width = flat ? g->out[0] * g->out[1] : g->out[1];
  int max_nb = dlc_node_get_int(n, "group") > 1 ? 1 : 4;
  int best_nb = 1, best_rw = 1;
  double best = 1e30;
  for (int nb = 1; nb <= max_nb && nb <= cbo; nb++)
    for (int rw = 1; dlc_sched_nchwc_tile_fits(t, nb, rw) && rw <= width;
         rw++) {
      double c = nchwc_loads_per_fma(width, nb, rw);
      if (c < best - 1e-9) {
        best = c;
        best_nb = nb;
        best_rw = rw;
      }
    }
  r->p.row_width = width;
  r->p.tile.mr = best_rw;
  r->p.tile.nv = best_nb;
  int64_t per_block = (int64_t)best_nb * g->k[0] * g->k[1] * ib * block * 4;
  int64_t chunk = t->l2_bytes / 2 / (per_block ? per_block : 1);
  chunk = chunk < 1 ? 1 : chunk > nib ? nib : chunk;
  /* equal chunks: fewer passes over the output for the same budget */
  int64_t passes = (nib + chunk - 1) / chunk;
  r->p.tile.kc = (nib + passes - 1) / passes;
}

/* Depthwise and pooling windows: one vector operation per tap and pixel,
 * as many pixels in registers as leave room for the shared weight vector
 * and the loads (half the registers), at most one row. */
static void tile_window_nchwc(const dlc_target_desc *t, dlc_node_sched *r) {
  int64_t rw = t->vector_regs / 2 - 1;
  rw = rw > r->win.out[1] ? r->win.out[1] : rw;
  r->p.tile.mr = (int)(rw < 1 ? 1 : rw);
}

void dlc_sched_choose_tiling(const dlc_target_desc *t, dlc_node_sched *r) {
  const dlc_node *n = r->node;
  int64_t m, nn, k;
  switch (r->algo) {
  case DLC_ALGO_CONV_DIRECT:
    padded_plane(r);
    r->scratch = r->p.plane_h ? n->inputs[0]->type.dims[1] * r->p.plane_h *
                                    r->p.plane_w * 4
                              : 0;
    break;
  case DLC_ALGO_CONV_POINTWISE:
  case DLC_ALGO_CONV_IM2COL:
    padded_plane(r);
    tile_conv_gemm(t, r);
    break;
  case DLC_ALGO_CONV_DEPTHWISE:
    padded_plane(r);
    tile_depthwise(t, r);
    break;
  case DLC_ALGO_CONV_NCHWC:
    tile_conv_nchwc(t, r);
    break;
  case DLC_ALGO_CONV_NCHWC_DEPTHWISE:
  case DLC_ALGO_POOL_NCHWC:
    tile_window_nchwc(t, r);
    break;

  case DLC_ALGO_GEMM_MK:
  case DLC_ALGO_GEMM_MK_PACKED:
  case DLC_ALGO_MATMUL_MK:
  case DLC_ALGO_MATMUL_MK_PACKED:
    dlc_sched_gemm_mnk(r, &m, &nn, &k);
    dlc_sched_gemm_tile(t, m, nn, k, &r->p.tile);
    /* a run-time B^T is transposed into scratch first */
    if (r->algo == DLC_ALGO_GEMM_MK && dlc_node_get_int(n, "transB"))
      r->scratch = k * nn * 4;
    break;
  default:
    break;
  }
}
