/* dlcrt.h — the dlc runtime: the only part of dlc linked into applications.
 *
 * It holds what generated code and applications share and nothing more:
 * status codes and their messages, the model descriptor type every compiled
 * model exports (`const struct dlc_model PREFIX_model`), an aligned workspace
 * allocation helper, the CPU feature check that a compiled model's run
 * function performs before executing vector code, and the thread-pool
 * interface, and the profiling hook of models compiled with --profile.
 * Dependency-free: libc and pthreads only. See docs/abi.md.
 */
#ifndef DLCRT_H
#define DLCRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ status codes
 * Plain macros so that a generated model.h can repeat the identical
 * definitions without including this header. DLCRT_STATUS_TABLE is the one
 * list (name, value, message): the runtime's messages, model.h's
 * definitions and the docs' table (checked by a test) come from it; a
 * static assertion in status.c keeps the macros equal to it. */
#define DLCRT_OK 0
#define DLCRT_ERR_ARGUMENT 1 /* a NULL input/output pointer or array */
#define DLCRT_ERR_CPU 2      /* the CPU lacks features the model needs */
#define DLCRT_ERR_BATCH 3    /* batch size < 1 or too large */
#define DLCRT_ERR_ALIGN 4    /* workspace not aligned as required */
#define DLCRT_ERR_NOMEM 5    /* an allocation helper failed */
#define DLCRT_ERR_ABI 6      /* descriptor of an unknown ABI version */
#define DLCRT_ERR_THREADS 7  /* the thread pool could not start */

/* The alignment of the workspace, of every tensor and scratch region the
 * memory plan puts in it, and of the constant blobs in .rodata: a cache line
 * and an AVX-512 vector. */
#define DLCRT_ALIGN 64

#define DLCRT_STATUS_TABLE(X)                                                  \
  X(DLCRT_OK, 0, "ok")                                                         \
  X(DLCRT_ERR_ARGUMENT, 1, "a NULL input, output or workspace pointer")       \
  X(DLCRT_ERR_CPU, 2,                                                          \
    "this CPU lacks instruction-set features the model was compiled for "     \
    "(recompile with --cpu for this machine)")                                 \
  X(DLCRT_ERR_BATCH, 3,                                                        \
    "batch size out of range (n >= 1 for a symbolic batch, n == 1 for a "     \
    "model compiled with fixed shapes)")                                       \
  X(DLCRT_ERR_ALIGN, 4, "workspace not aligned as the model requires")        \
  X(DLCRT_ERR_NOMEM, 5, "out of memory")                                       \
  X(DLCRT_ERR_ABI, 6, "model descriptor of an unknown ABI version")           \
  X(DLCRT_ERR_THREADS, 7, "the thread pool could not start")

/* "ok", "the CPU lacks ...", ...; never NULL (unknown codes get a generic
 * message). */
const char *dlcrt_status_message(int status);

/* ------------------------------------------------------------ CPU features
 * Bits of the feature mask a model is compiled for. x86-64 bits come from
 * cpuid/xgetbv (a feature counts only if the OS saves its registers); on
 * AArch64, NEON is always present. */
#define DLCRT_CPU_SSE42 (1ull << 0)
#define DLCRT_CPU_AVX (1ull << 1)
#define DLCRT_CPU_AVX2 (1ull << 2)
#define DLCRT_CPU_FMA (1ull << 3)
#define DLCRT_CPU_AVX512F (1ull << 4)
#define DLCRT_CPU_AVX512BW (1ull << 5)
#define DLCRT_CPU_AVX512DQ (1ull << 6)
#define DLCRT_CPU_AVX512VL (1ull << 7)
#define DLCRT_CPU_NEON (1ull << 16)

/* The features of the CPU this process runs on (computed once, then read
 * from a cache: calling it from many threads at once is safe). */
uint64_t dlcrt_cpu_features(void);
/* 1 if every bit of `required` is present on this CPU, else 0. Generated
 * run functions call it before touching vector code. */
int dlcrt_cpu_supports(uint64_t required);
/* Writes the names of the bits of `mask` ("avx2 fma ...") into buf. */
const char *dlcrt_cpu_feature_names(uint64_t mask, char *buf, size_t size);

/* --------------------------------------------------------- the descriptor */

/* 2: adds dlc_version and model_sha256 at the end (docs/abi.md). */
#define DLCRT_ABI_VERSION 2

/* One input or output of a compiled model. shape[i] == -1 marks the
 * symbolic batch dimension (then numel counts one batch item). */
struct dlc_model_tensor {
  const char *name;
  int32_t rank;
  const int64_t *shape;
  int64_t numel; /* element count (float32), per batch item if batched */
};

/* Exported by every compiled model as `const struct dlc_model PREFIX_model`.
 * Immutable; everything a generic tool needs to drive the model. */
struct dlc_model {
  uint32_t abi_version; /* DLCRT_ABI_VERSION */
  const char *name;     /* the symbol prefix */
  int32_t n_inputs, n_outputs;
  const struct dlc_model_tensor *inputs, *outputs;
  uint64_t workspace_size;  /* bytes, for batch 1 */
  uint64_t workspace_align; /* bytes; the workspace must be this aligned */
  int32_t batched;          /* 1: some input has a symbolic batch dim */
  /* Runs with batch 1 (or the fixed shapes). Returns a DLCRT_ status. */
  int (*run)(const float *const *inputs, float *const *outputs,
             void *workspace);
  /* Runs with batch n (1 <= n): buffers hold n items one after the other;
   * the batch-1 workspace serves every n. Unbatched models: n must be 1. */
  int (*run_batch)(int64_t n, const float *const *inputs,
                   float *const *outputs, void *workspace);
  /* Workspace bytes needed for batch n. */
  uint64_t (*workspace_size_batch)(int64_t n);
  const char *target_triple;
  const char *target_cpu;
  const char *target_features; /* LLVM feature string it was built with */
  uint64_t cpu_features;       /* DLCRT_CPU_* bits the code requires */
  /* ABI 2: what it was built from. */
  const char *dlc_version;  /* of the dlc that compiled it, "0.11.0" */
  const char *model_sha256; /* of the model file, 64 hex digits ("" when
                               compiled from a graph without a file) */
};

/* Checks the descriptor's ABI version and the CPU: DLCRT_OK, DLCRT_ERR_ABI or
 * DLCRT_ERR_CPU. */
int dlcrt_model_check(const struct dlc_model *m);

/* ------------------------------------------------------- workspace memory */

/* Allocates `size` bytes aligned to `align` (a power of two; at least
 * sizeof(void *)). Free with dlcrt_free. Returns NULL on failure; a zero size
 * still returns a valid, freeable pointer. */
void *dlcrt_aligned_alloc(size_t size, size_t align);
void dlcrt_free(void *p);
/* Allocates the workspace of model m for batch n. Free with dlcrt_free. */
void *dlcrt_workspace_create(const struct dlc_model *m, int64_t n);

/* ------------------------------------------------------------ thread pool
 * The interface the performance work fills in: kernels split their output
 * tiles into n_tasks and the pool runs fn(ctx, task) for each. The current
 * implementation is a plain fixed pool of pthreads with a condition variable
 * (no allocation after create). */
typedef struct dlcrt_pool dlcrt_pool;
typedef void (*dlcrt_task_fn)(void *ctx, int64_t task);

/* Creates a pool of n_threads workers in total (the caller counts as one;
 * n_threads <= 1 runs everything on the caller). NULL on failure. */
dlcrt_pool *dlcrt_pool_create(int n_threads);
void dlcrt_pool_destroy(dlcrt_pool *p);
int dlcrt_pool_threads(const dlcrt_pool *p);
/* Runs fn(ctx, t) for t in [0, n_tasks) and returns when all are done.
 * p may be NULL (serial). Not re-entrant: one run per pool at a time. */
void dlcrt_pool_run(dlcrt_pool *p, dlcrt_task_fn fn, void *ctx,
                    int64_t n_tasks);

/* ---------------------------------------------------------- profiling
 * A model compiled with `--profile` calls dlcrt_profile_event before and
 * after every kernel call of its body, and exports its tables as
 * `const struct dlc_profile PREFIX_profile` (docs/abi.md, "Profiling").
 * Without --profile nothing of this is referenced: the object is as if
 * profiling did not exist. The hook runs on the thread that runs the
 * model, between two kernels; what it costs is counted in the node. */
#define DLCRT_PROFILE_BEFORE 0 /* phase: the node's kernel is about to run */
#define DLCRT_PROFILE_AFTER 1  /* phase: it has returned */

/* One kernel call of a profiled model, in call order (the schedule's): the
 * node that owns the call (a fused epilogue or an inlined kernel is part of
 * its node), what it computes and how. */
struct dlc_profile_node {
  const char *name;     /* the node's name, as `dlc show` prints it */
  const char *op;       /* operator ("Conv", "dlc.ConvNchwc", ...) */
  const char *schedule; /* the schedule line of `dlc show`: algorithm,
                           tile, parameters, scratch, (why) */
  int64_t macs;         /* multiply-adds per batch item (0: none counted) */
  int64_t bytes;        /* bytes of the tensors it reads and writes
                           (inputs, weights, outputs): a lower bound of
                           the traffic */
};

struct dlc_profile {
  uint32_t abi_version; /* DLCRT_PROFILE_VERSION */
  const char *model;    /* the symbol prefix */
  int32_t n_nodes;      /* kernel calls per body run: node indices are
                           0 .. n_nodes-1 */
  const struct dlc_profile_node *nodes;
  /* Runs `iters` iterations of independent FMA chains in the widest vector
   * of the target the model was compiled for (enough chains to hide the
   * FMA latency) and returns the floating-point operations it performed (2
   * per lane per FMA); reads io[0], io[1] and writes io[0] so the work
   * cannot be optimised away. Timing it gives the core's FMA peak for this
   * build, to compare the nodes' GFLOP/s with. */
  int64_t (*fma_peak)(int64_t iters, float *io);
};
#define DLCRT_PROFILE_VERSION 1

/* What a hook receives: ctx as installed, the model's tables, the node
 * index (into model->nodes) and the phase. */
typedef void (*dlcrt_profile_hook_fn)(void *ctx,
                                      const struct dlc_profile *model,
                                      int32_t node, int32_t phase);

/* Called by profiled models around every kernel call: forwards to the
 * installed hook (none installed: nothing happens). */
void dlcrt_profile_event(const struct dlc_profile *model, int32_t node,
                         int32_t phase);
/* Installs fn(ctx, ...) as the hook of every profiled model in the process
 * (fn NULL: none). Not synchronised with running models: install before
 * running, from the thread that runs them. */
void dlcrt_profile_set_hook(dlcrt_profile_hook_fn fn, void *ctx);

/* Nanoseconds of CLOCK_MONOTONIC (C11 timespec_get where there is none):
 * the default hook's clock. */
uint64_t dlcrt_profile_clock_ns(void);

/* The default hook's table: per node, the nanoseconds between BEFORE and
 * AFTER summed over every call since the last reset, and the number of
 * completed calls. The caller owns the table and its arrays. */
struct dlcrt_profile_table {
  const struct dlc_profile *model; /* events of other models are dropped */
  uint64_t *ns;                    /* [model->n_nodes] */
  uint64_t *calls;                 /* [model->n_nodes] */
  uint64_t dropped; /* events ignored: another model, an index out of
                       range, AFTER without its BEFORE */
  uint64_t (*clock)(void *clock_ctx); /* NULL: dlcrt_profile_clock_ns */
  void *clock_ctx;
  int32_t open_node; /* private: the node between BEFORE and AFTER, -1 */
  uint64_t open_at;  /* private: its BEFORE time */
};

/* Sets t up for model with the caller's arrays (n_nodes entries each),
 * zeroed, the default clock. DLCRT_ERR_ARGUMENT on a NULL pointer or a
 * descriptor of another DLCRT_PROFILE_VERSION. */
int dlcrt_profile_table_init(struct dlcrt_profile_table *t,
                             const struct dlc_profile *model, uint64_t *ns,
                             uint64_t *calls);
/* Zeroes the sums, counts and dropped events (keeps model and clock). */
void dlcrt_profile_table_reset(struct dlcrt_profile_table *t);
/* Replaces t's clock: now(clock_ctx) in nanoseconds (or any monotonic
 * unit: the table only subtracts); NULL restores the default. */
void dlcrt_profile_table_set_clock(struct dlcrt_profile_table *t,
                                   uint64_t (*now)(void *clock_ctx),
                                   void *clock_ctx);
/* The sum of t->ns over its nodes. */
uint64_t dlcrt_profile_table_total(const struct dlcrt_profile_table *t);
/* The default hook: ctx is a struct dlcrt_profile_table. */
void dlcrt_profile_default_hook(void *ctx, const struct dlc_profile *model,
                                int32_t node, int32_t phase);
/* dlcrt_profile_set_hook(dlcrt_profile_default_hook, t); t NULL: none. */
void dlcrt_profile_record(struct dlcrt_profile_table *t);

#ifdef __cplusplus
}
#endif

#endif /* DLCRT_H */
