/* codegen.h — the LLVM backend's one public header.
 *
 * Turns a sorted, shape-inferred graph into native code: an object file (or
 * assembly, LLVM IR, bitcode, or a shared object) exporting
 *   int  PREFIX_run(const float *const *inputs, float *const *outputs,
 *                   void *workspace);
 *   const struct dlc_model PREFIX_model;   (runtime/dlcrt.h)
 * plus, for models with a symbolic batch dimension, PREFIX_run_batch, and a
 * self-contained C header describing them (docs/abi.md). Nothing of LLVM
 * leaks through this header.
 */
#ifndef DLC_CODEGEN_H
#define DLC_CODEGEN_H

#include "ir/ir.h"
#include "schedule/schedule.h"

typedef enum dlc_emit_kind {
  DLC_EMIT_OBJ = 0, /* ELF relocatable object (or .so with `shared`) */
  DLC_EMIT_ASM,     /* target assembly */
  DLC_EMIT_LLVM,    /* textual LLVM IR (.ll), after optimisation */
  DLC_EMIT_BC,      /* LLVM bitcode */
} dlc_emit_kind;

/* "obj" / "asm" / "llvm" / "bc" -> kind; false if unknown. */
bool dlc_emit_kind_from_name(const char *name, dlc_emit_kind *out);

/* What one compilation produced (filled when dlc_codegen_options.info is
 * set): for tests and `dlc bench`. */
typedef struct dlc_codegen_info {
  int kernel_calls;        /* kernel calls in the model body, one per node
                              that runs code (a fused epilogue is part of
                              its node's call) */
  int kernels;             /* distinct kernel functions */
  int skipped_nodes;       /* live nodes without a call: folded constants,
                              views that alias, elided Concats */
  bool memory_planned;     /* the workspace is the schedule's arena */
  int64_t arena_bytes;     /* graph->arena_bytes: activations and kernel
                              scratch, planned together by liveness */
  int64_t scratch_bytes;   /* workspace beyond the arena (0: scratch is
                              inside it) */
  int64_t workspace_bytes; /* PREFIX_workspace_size(1) */
  double build_ms;         /* building the LLVM module (kernels, body) */
  double optimise_ms;      /* LLVM's optimisation pipeline */
  double emit_ms;          /* machine code and the file (link, header) */
} dlc_codegen_info;

typedef struct dlc_codegen_options {
  const char *output_path; /* required */
  dlc_emit_kind emit;
  const char *triple;      /* NULL: the host */
  const char *cpu;         /* NULL: a generic CPU of the triple; "native":
                              the host's CPU and features */
  const char *features;    /* extra LLVM features, "+avx2,-avx512f" (or NULL) */
  int opt_level;           /* 0..3 */
  const char *prefix;      /* C identifier prefix; NULL: from the graph name
                              (sanitised), else "model" */
  bool shared;             /* link a shared object with `cc -shared` */
  const char *runtime_lib; /* libdlcrt.a to link into a shared object (built
                              for the same target); NULL: none */
  const char *linker;      /* shared only; NULL: "cc" */
  const char *header_path; /* NULL: no header */
  bool fixed_batch;        /* compile the shapes g was inferred with, even
                              where an input has a symbolic batch dim (the
                              caller bound it, e.g. `--batch N`); default:
                              a symbolic batch becomes PREFIX_run_batch's n */
  const char *model_sha256; /* hex digest of the model file, recorded in the
                               header and descriptor; NULL: "" */
  dlc_codegen_info *info;  /* NULL, or filled on success */
  bool profile;            /* --profile: call dlcrt_profile_event before and
                              after every kernel call and export the tables
                              PREFIX_profile (docs/abi.md, "Profiling");
                              false: none of it is in the object */
} dlc_codegen_options;

/* Options with their defaults (-O2, object, host). */
void dlc_codegen_options_init(dlc_codegen_options *o);

/* The target the options name (triple, CPU, features; NULL: the host's
 * triple and the generic CPU; "native": the host's CPU and features, asked
 * of LLVM) described for the schedule stage. */
bool dlc_codegen_describe_target(const char *triple, const char *cpu,
                                 const char *features, dlc_target_desc *out,
                                 dlc_diag *d);

/* Emits g as its schedule s says (s made for g and planned:
 * dlc_schedule_plan_memory; the library driver, driver/driver.h, does both)
 * and writes what the options ask. Fused epilogues are compiled into their
 * node's kernel; every activation and scratch lives at its planned offset
 * in the workspace (docs/abi.md). A symbolic leading batch dim becomes the
 * n of PREFIX_run_batch when the graph is batch-separable, else an error
 * (unless fixed_batch). Every problem goes to d: an unwritable path, a
 * failed link each give one message. Returns DLC_OK, DLC_ERR_INVALID (bad
 * options or model), DLC_ERR_UNSUPPORTED or DLC_ERR_IO. Never prints,
 * never exits. */
dlc_status dlc_codegen_compile(const dlc_graph *g, const dlc_schedule *s,
                               const dlc_codegen_options *opt, dlc_diag *d);

/* True when g has a symbolic batch dimension that compiles as a loop
 * (docs/abi.md, "Symbolic batch"); false with the reasons in d when it has
 * one that does not, or when it has none (d untouched). */
bool dlc_codegen_batch_separable(const dlc_graph *g, dlc_diag *d);

/* The C identifier the compiled symbols would carry for this graph and
 * requested prefix (NULL: default), written into buf. */
const char *dlc_codegen_prefix(const dlc_graph *g, const char *requested,
                               char *buf, size_t size);


/* ------------------------------------------------ in-process execution
 * A compiled model loaded into this process (a temporary shared object,
 * dlopen'ed): the engine behind `dlc run --engine compiled`, `dlc bench` and
 * the tests. */
typedef struct dlc_compiled dlc_compiled;
struct dlc_model;

/* Compiles g as s says with opt (output_path, emit and shared are ignored:
 * a shared object goes to a temporary file; opt->runtime_lib must name a
 * libdlcrt.a for the host) and loads it. Free: dlc_compiled_destroy. */
dlc_status dlc_compiled_create(const dlc_graph *g, const dlc_schedule *s,
                               const dlc_codegen_options *opt,
                               dlc_compiled **out, dlc_diag *d);
void dlc_compiled_destroy(dlc_compiled *m);
/* The loaded model's descriptor (runtime/dlcrt.h). */
const struct dlc_model *dlc_compiled_model(const dlc_compiled *m);
/* A symbol of the loaded shared object (NULL: none): the model's own, or
 * the copy of libdlcrt linked into it, e.g. "dlcrt_profile_record" (the
 * model calls that copy, not this process's). */
void *dlc_compiled_symbol(const dlc_compiled *m, const char *name);
/* PREFIX_profile of a model compiled with opt->profile, else NULL. */
struct dlc_profile;
const struct dlc_profile *dlc_compiled_profile(const dlc_compiled *m);
/* Runs on inputs (graph input order, float32, the declared shapes, a
 * symbolic batch dim of any size >= 1 for batched models; data borrowed) and fills outputs[0..n_outputs) with malloc'd data (free with
 * free() or dlc_interp_free_tensors). The workspace is the loaded model's
 * own: one run at a time per dlc_compiled. */
dlc_status dlc_compiled_run(dlc_compiled *m, const dlc_tensor *inputs,
                            int n_inputs, dlc_tensor *outputs, dlc_diag *d);
/* Runs on raw buffers with the model's workspace (for timing loops);
 * returns the DLCRT_ status of the run function. */
int dlc_compiled_run_raw(dlc_compiled *m, const float *const *inputs,
                         float *const *outputs);
/* The same through run_batch with batch n. */
int dlc_compiled_run_batch_raw(dlc_compiled *m, int64_t n,
                               const float *const *inputs,
                               float *const *outputs);

/* True when every algorithm has an emitter whose compile-time inputs are
 * the algorithm's CONST_INPUTS column; else *bad names the row (tests). */
bool dlc_codegen_emitters_consistent(dlc_algo *bad);

#endif /* DLC_CODEGEN_H */
