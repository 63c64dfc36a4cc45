/* schedule_impl.h — private to schedule/: what the stage's files share. */
#ifndef DLC_SCHEDULE_IMPL_H
#define DLC_SCHEDULE_IMPL_H

#include "schedule/schedule.h"


/* choose_algorithm.c */
dlc_algo dlc_sched_choose_algorithm(const dlc_node *n, const dlc_window2d *w,
                                    const char *conv_kind, const char **why);
/* Why algorithm a cannot compute n (dtypes, constant inputs), or NULL. */
const char *dlc_sched_check_algo(const dlc_node *n, dlc_algo a);
bool dlc_sched_algo_implements(dlc_algo a, const dlc_node *n);
bool dlc_sched_conv_is_depthwise(const dlc_node *n);
/* A blocked convolution's tile of nb output blocks x rw pixels fits the
 * registers: the accumulators, nb weight vectors and one broadcast (LLVM
 * broadcasts into a register once for the nb FMAs that read it, rather
 * than folding it into each), and with 32 registers two more. */
bool dlc_sched_nchwc_tile_fits(const dlc_target_desc *t, int nb, int rw);
/* A ConvNchwc with one filter per channel on a blocked input. */
bool dlc_sched_nchwc_is_depthwise(const dlc_node *n);
bool dlc_sched_conv_is_pointwise(const dlc_window2d *w);

/* choose_tiling.c: fills r->p and r->scratch for r->algo (r->win set). */
void dlc_sched_choose_tiling(const dlc_target_desc *t, dlc_node_sched *r);
/* The micro-kernel's register block for an M x N x K product. */
void dlc_sched_gemm_tile(const dlc_target_desc *t, int64_t m, int64_t n,
                         int64_t k, dlc_tile *tile);
/* Why tile cannot run on t's micro-kernel for K = k, or NULL. */
const char *dlc_sched_tile_invalid(const dlc_target_desc *t,
                                   const dlc_tile *tile, int64_t k);
/* M, N, K of a Gemm/MatMul/GEMM-based Conv node's product. */
void dlc_sched_gemm_mnk(const dlc_node_sched *r, int64_t *m, int64_t *n,
                        int64_t *k);

/* override.c: applies a --schedule file to s; errors are located. */
bool dlc_sched_apply_overrides(dlc_schedule *s, const char *path, dlc_diag *d);

#endif /* DLC_SCHEDULE_IMPL_H */
