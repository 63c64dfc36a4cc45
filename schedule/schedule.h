/* schedule.h — the schedule stage's one public header: every decision about
 * how a graph's nodes are computed on one target, made once and recorded.
 *
 * Between the graph passes (target-free rewrites) and codegen (which only
 * emits): a graph plus a target description become one record per node —
 * the algorithm (a row of algorithms.def), the resolved window geometry,
 * the register tile and cache blocks, the algorithm's parameters, the
 * scratch it needs and a short reason — and then the memory plan, which
 * places activations and scratch in one arena by liveness. The records are
 * printed by `dlc show`, `--dump-ir` and `dlc stats --json`, compared with
 * golden files by the tests, and can be overridden per node by a
 * `--schedule FILE`. No LLVM here: the target is described as data.
 *
 * Files: target.c (the CPUs dlc knows, as data), choose_algorithm.c (which
 * algorithm runs a node, and why), choose_tiling.c (tiles, blocks,
 * parameters, scratch), override.c (--schedule files), plan_memory.c (the
 * one memory planner), print.c (the schedule line and JSON), schedule.c
 * (the record's life cycle). docs/design.md describes the record. */
#ifndef DLC_SCHEDULE_H
#define DLC_SCHEDULE_H

#include <stdio.h>

#include "ir/ir.h"
#include "runtime/dlcrt.h"

/* ------------------------------------------------------------ target */

/* A CPU as the scheduler sees it: everything a decision may depend on. */
typedef struct dlc_target_desc {
  char triple[128];
  char cpu[64];        /* as LLVM names it ("znver4"; the host's for native) */
  char features[4096]; /* LLVM feature string passed to the target machine */
  uint64_t cpu_mask;   /* DLCRT_CPU_* bits the generated code may use */
  bool x86, aarch64;
  int vector_bits;     /* 128, 256 or 512 */
  int vl;              /* floats per vector register: 4, 8 or 16 */
  int vector_regs;     /* architectural vector registers: 16 or 32 */
  bool fma;            /* fused multiply-add instructions */
  int64_t l1_bytes;    /* L1 data cache per core */
  int64_t l2_bytes;    /* L2 per core */
} dlc_target_desc;

/* Describes `cpu` (NULL: the generic CPU of the triple) on `triple` with
 * the extra LLVM `features` ("+avx2,-avx512f", NULL: none). For
 * cpu == "native" the caller passes the host's CPU name and feature string
 * as host_cpu/host_features (codegen asks LLVM for them). An unknown CPU or
 * feature is an error in d. */
bool dlc_target_describe(const char *triple, const char *cpu,
                         const char *features, const char *host_cpu,
                         const char *host_features, dlc_target_desc *out,
                         dlc_diag *d);
/* True when cpu names a CPU in the table for triple ("native" too). */
bool dlc_target_cpu_known(const char *triple, const char *cpu);
bool dlc_target_triple_is_aarch64(const char *triple);

/* -------------------------------------------------------- algorithms */

typedef enum dlc_algo {
  DLC_ALGO_NONE = 0, /* no kernel: see dlc_sched_kind */
#define DLC_ALGO(id, name, cls, traits, cin) DLC_ALGO_##id,
#include "schedule/algorithms.def"
#undef DLC_ALGO
  DLC_ALGO_COUNT
} dlc_algo;

/* Traits of an algorithm (algorithms.def's TRAITS column). */
enum {
  DLC_AT_TYPED = 1 << 0,    /* handles dtypes other than float32 */
  DLC_AT_WINDOW = 1 << 1,   /* reads the resolved window geometry */
  DLC_AT_TILE = 1 << 2,     /* runs on the register-blocked micro-kernel */
  DLC_AT_EPILOGUE = 1 << 3, /* applies a fused epilogue in registers */
  DLC_AT_SCRATCH = 1 << 4,  /* may need workspace scratch */
};

const char *dlc_algo_name(dlc_algo a);
/* The algorithm called name, or DLC_ALGO_NONE. */
dlc_algo dlc_algo_from_name(const char *name);
unsigned dlc_algo_traits(dlc_algo a);
unsigned dlc_algo_const_inputs(dlc_algo a);

/* -------------------------------------------------------- the record */

/* Most operands one element-wise kernel loop takes (Min/Max,
 * FusedElementwise; codegen's map). */
enum { DLC_MAP_MAX_OPERANDS = 40 };

/* Largest window the depthwise kernel keeps in registers (taps). */
enum { DLC_DW_MAX_TAPS = 64 };

/* Output axes a Gemm/MatMul kernel's rows and lanes run along (a fused
 * epilogue's per-axis operands are indexed by them); -1 when none. */
void dlc_schedule_gemm_epi_axes(const dlc_node *n, int *row_axis,
                                int *lane_axis);

/* Input blocks (of the input's block: 1 for a plain input) that one
 * output block of a ConvNchwc reads (its weights are packed per output
 * block): all of them, or the blocks spanning the groups of its lanes. */
int64_t dlc_sched_nchwc_input_blocks(const dlc_node *n, int64_t block);
/* Tiles a blocked convolution cuts an output row of `width` pixels into
 * with at most rw pixels each (sizes differ by one at most). */
int64_t dlc_sched_nchwc_row_tiles(int64_t width, int64_t rw);

/* Sliding-window geometry of Conv, ConvTranspose and the pools, as 2-D
 * (1-D is H = 1): kernel, strides, dilations and pads after auto_pad. */
typedef struct dlc_window2d {
  int64_t in[2], out[2], k[2], s[2], d[2], pb[2], pe[2];
} dlc_window2d;

/* n's window (ir's dlc_window_of) as 2-D; false for other operators and
 * for 3 or more spatial dims. */
bool dlc_window2d_of(const dlc_node *n, dlc_window2d *w);

/* The register block of the micro-kernel: mr rows x nv vectors of the
 * output in registers; kc: the K block (cache blocking; kc == K: none). */
typedef struct dlc_tile {
  int mr, nv;
  int64_t kc;
} dlc_tile;

/* What shapes a kernel beyond its node's shapes and attributes: part of the
 * kernel's identity (memset to zero first, so padding bytes compare). */
typedef struct dlc_kernel_params {
  dlc_tile tile;      /* DLC_AT_TILE algorithms */
  int64_t plane_h;    /* conv/depthwise: the padded plane read by the inner */
  int64_t plane_w;    /*   loops (0 x 0: X is read in place) */
  int64_t rows;       /* conv_im2col: output rows per column-buffer chunk */
  int64_t slack;      /* conv_depthwise: zeroed floats after the plane that
                         the last row's vector loads may touch */
  int64_t row_width;  /* conv_nchwc: pixels of the rows it tiles: Wo, or
                         Ho*Wo (a 1x1 stride-1 unpadded plane, one row) */
} dlc_kernel_params;

typedef enum dlc_sched_kind {
  DLC_SCHED_KERNEL = 0, /* runs algo's kernel */
  DLC_SCHED_DEAD,       /* unlinked by a pass */
  DLC_SCHED_FOLDED,     /* outputs known at compile time */
  DLC_SCHED_ALIAS,      /* a view sharing its input's storage (memory plan) */
  DLC_SCHED_ELIDED,     /* a Concat whose producers write its slices */
} dlc_sched_kind;

typedef struct dlc_node_sched {
  const dlc_node *node;
  dlc_sched_kind kind;
  dlc_algo algo;
  dlc_kernel_params p;
  bool has_window;
  dlc_window2d win;
  int64_t scratch;        /* bytes of workspace the kernel needs */
  int64_t scratch_offset; /* where (plan_memory), -1: none */
  bool overridden;        /* a --schedule file chose it */
  char why[120];          /* the reason, printed and asserted in tests */
} dlc_node_sched;

typedef struct dlc_schedule_options {
  const char *override_path; /* --schedule FILE, or NULL */
  const char *conv_kind;     /* legacy: force "direct", "pointwise",
                                "im2col" or "depthwise" Convs (benchmarks) */
  bool in_place;             /* plan_memory: in-place element-wise ops and
                                Concat elision (off at -O0) */
  int64_t max_workspace;     /* refuse plans above this (0: no limit) */
} dlc_schedule_options;

typedef struct dlc_schedule {
  const dlc_graph *g;
  dlc_target_desc target;
  dlc_schedule_options opt;
  dlc_node_sched *nodes; /* by node id (g->nodes.items[k]->id) */
  size_t n_nodes;
  bool planned;            /* dlc_schedule_plan_memory ran */
  int64_t workspace_bytes; /* the arena: activations and scratch */
} dlc_schedule;

/* Schedules every node of g (sorted, shapes inferred) for target: chooses
 * each algorithm and its parameters, applies the override file, and
 * reports every node that cannot be compiled (named, with the reason) to
 * d. Free: dlc_schedule_destroy. */
dlc_status dlc_schedule_create(const dlc_graph *g, const dlc_target_desc *t,
                               const dlc_schedule_options *o,
                               dlc_schedule **out, dlc_diag *d);
void dlc_schedule_destroy(dlc_schedule *s);
/* The record of node n. */
const dlc_node_sched *dlc_schedule_node(const dlc_schedule *s,
                                        const dlc_node *n);

/* Places every activation (value->arena_offset, g->arena_bytes,
 * g->memory_planned) and every node's scratch (record->scratch_offset) in
 * one arena by liveness; then marks views that share their input's storage
 * as DLC_SCHED_ALIAS. g must be the graph s was made for. A workspace above
 * s->opt.max_workspace is refused naming the node at the peak. */
dlc_status dlc_schedule_plan_memory(dlc_graph *g, dlc_schedule *s,
                                    dlc_diag *d);

/* ------------------------------------------------- plan figures */

enum { DLC_PLAN_ALIGN = DLCRT_ALIGN }; /* runtime/dlcrt.h */

/* Peak over time of the summed sizes of simultaneously live arena tensors
 * (node outputs that are not graph outputs; with s, kernel scratch too),
 * each counted on its own: what no planner beats without sharing. */
int64_t dlc_plan_lower_bound(const dlc_graph *g, const dlc_schedule *s);
/* Sum of the sizes of all arena tensors (and scratch, with s). */
int64_t dlc_plan_naive_bytes(const dlc_graph *g, const dlc_schedule *s);
/* Checks a planned graph: every tensor inside the arena, inputs/outputs at
 * -1, no two tensors (or scratch regions) live at once overlap, except an
 * in-place node's output over its dying input and an elided Concat's
 * slices. Reports each violation naming both. */
dlc_status dlc_plan_check(const dlc_graph *g, const dlc_schedule *s,
                          dlc_diag *d);

/* What `dlc stats` reports about an optimised, planned graph. Per node the
 * CLI reads node->epilogue->fused[0 .. n_fused) (the operators folded into
 * it) and its schedule record. */
typedef struct dlc_plan_stats {
  int nodes;               /* live nodes */
  int fused_nodes;         /* nodes with a non-empty fused list */
  int64_t arena_bytes;     /* the workspace; -1 when memory was not planned */
  int64_t arena_lower_bound_bytes;
  int64_t naive_bytes;
  int64_t weights_bytes;   /* initializers read by live nodes */
} dlc_plan_stats;

/* sc may be NULL (activations only). */
void dlc_plan_stats_compute(const dlc_graph *g, const dlc_schedule *sc,
                            dlc_plan_stats *out);

/* ------------------------------------------------- printing */

/* "conv_im2col mr=8 nv=2 kc=288 rows=14 scratch=112.0K (3x3 s1: im2col)"
 * into buf; the line of `dlc show` and `--dump-ir`. */
const char *dlc_schedule_format(const dlc_node_sched *r, char *buf,
                                size_t size);
/* Every node's name, operator and schedule line, in graph order. */
void dlc_schedule_print(const dlc_schedule *s, FILE *out);

#endif /* DLC_SCHEDULE_H */
