/* cli.h — private to the `dlc` executable: the subcommands main() dispatches
 * to, the hooks other parts of the tool plug into, the small option parser
 * they share, and the model statistics behind `dlc stats`.
 *
 * Calling convention of every subcommand: argv[0] is the subcommand's name
 * ("run", "check", "stats", "show", "bench"), argv[1..argc-1] its arguments,
 * argv[argc] == NULL. The return value is the process exit status:
 * 0 success, 1 bad model or input (problems printed as "FILE: WHERE: WHAT"
 * lines on stderr), 2 bad usage (one line plus "see dlc --help"). */
#ifndef DLC_CLI_H
#define DLC_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "interp/interp.h"
#include "passes/passes.h"
#include "driver/driver.h"
#include "frontend/frontend.h"
#include "ir/ir.h"

enum { DLC_EXIT_OK = 0, DLC_EXIT_BAD_INPUT = 1, DLC_EXIT_USAGE = 2 };

int dlc_cmd_run(int argc, char **argv);
int dlc_cmd_check(int argc, char **argv);
int dlc_cmd_stats(int argc, char **argv);
int dlc_cmd_show(int argc, char **argv);
int dlc_cmd_passes(int argc, char **argv);
int dlc_cmd_import(int argc, char **argv);
int dlc_cmd_ops(int argc, char **argv);

/* ------------------------------ --input-shape / --dim (cli_shapes.c) */

typedef struct dlc_cli_input_shape {
  char name[128];
  int rank;
  int64_t dims[DLC_MAX_RANK];
} dlc_cli_input_shape;

typedef struct dlc_cli_dim {
  char symbol[128];
  int64_t value;
} dlc_cli_dim;

/* The shape options of one command line; zero-initialise, free with
 * dlc_cli_shapes_free. */
typedef struct dlc_cli_shapes {
  DLC_VEC(dlc_cli_input_shape) inputs; /* --input-shape NAME=D0,D1,... */
  DLC_VEC(dlc_cli_dim) dims;           /* --dim SYMBOL=VALUE */
} dlc_cli_shapes;

void dlc_cli_shapes_free(dlc_cli_shapes *s);
/* Consumes argv[*i] (and its value) when it is --input-shape or --dim:
 * 1 consumed, 0 not ours, -1 usage error (already printed). */
int dlc_cli_shapes_arg(int argc, char **argv, int *i, dlc_cli_shapes *s);
/* Binds s into the loaded graph g (bound dims become fixed) and re-infers
 * the shapes. With require_bound, a symbolic dim other than an input's
 * leading (batch) dim that s leaves unbound is an error naming the symbol
 * and the options to use. Problems go to d. */
dlc_status dlc_cli_shapes_apply(dlc_graph *g, const dlc_cli_shapes *s,
                                bool require_bound, dlc_diag *d);
/* dlc_cli_load_model, then dlc_cli_shapes_apply; prints problems and
 * returns NULL on failure. Free: dlc_graph_destroy. */
dlc_graph *dlc_cli_load_shaped(const char *path, const dlc_cli_shapes *s,
                               bool require_bound);
/* Appends --dim bindings for g's non-leading symbolic dims taken from the
 * sizes of the run-time inputs (graph input order), once per symbol. */
void dlc_cli_shapes_from_inputs(const dlc_graph *g, const dlc_tensor *inputs,
                                dlc_cli_shapes *s);
/* The help text of the two options, for the commands' --help. */
#define DLC_CLI_SHAPES_HELP                                                    \
  "  --input-shape NAME=D0,D1,...  the shape of input NAME (binds its\n"       \
  "                     symbolic dims; fixed dims must agree)\n"               \
  "  --dim SYMBOL=VALUE bind a symbolic dimension by name (every input\n"     \
  "                     that uses it); a symbolic dim other than the\n"       \
  "                     leading (batch) one must be bound\n"

/* ------------------------------------- optimisation options (cli_passes.c) */

/* -O0..-O3, --disable-pass NAME (repeatable), --dump-ir after=NAME|all,
 * --verify-each, gathered into pass-manager options. */
typedef struct dlc_cli_passes {
  dlc_pass_options opt;
  const char *schedule_path; /* --schedule FILE (borrowed from argv) */
  int64_t max_workspace;     /* --max-workspace BYTES (default 64 GiB) */
  const char **disabled; /* borrowed from argv; the array is malloc'd */
  int n;
} dlc_cli_passes;

void dlc_cli_passes_init(dlc_cli_passes *p, int default_level);
void dlc_cli_passes_free(dlc_cli_passes *p);
/* Consumes argv[*i] (and its value) when it is one of the options above:
 * 1 consumed, 0 not ours, -1 usage error (already printed). */
int dlc_cli_passes_arg(int argc, char **argv, int *i, dlc_cli_passes *p);
/* dlc_cli_parse_model_args plus the optimisation options and, when shapes
 * is not NULL, --input-shape and --dim. */
bool dlc_cli_parse_optimising_args(int argc, char **argv, const char *help,
                                   const char *flag, bool *flag_set,
                                   const char **model, dlc_cli_passes *p,
                                   dlc_cli_shapes *shapes, int *exit_code);
/* Driver options from the optimisation options (-O, passes, --schedule). */
void dlc_cli_driver_options(const dlc_cli_passes *p, dlc_driver_options *o);
/* Runs the passes (problems printed as FILE: WHERE: WHAT lines: false),
 * then schedules and plans g for the default target (the generic CPU of
 * the host). A model that cannot be scheduled (an operator codegen lacks)
 * still returns true, with *s NULL and the first reason in why. Free *s:
 * dlc_schedule_destroy. */
bool dlc_cli_schedule(dlc_graph *g, const char *model, const dlc_cli_passes *p,
                      dlc_schedule **s, char *why, size_t why_size);

/* Compilation, the main command `dlc MODEL -o model.o [options]`
 * (cli/cmd_compile.c). main() calls it when the first argument is neither
 * a subcommand nor an option, with argc/argv shifted by one: argv[0] is
 * MODEL, argv[1..argc-1] the arguments that followed it on the command line,
 * argv[argc] == NULL. Returns the exit status. */
int dlc_cmd_compile(int argc, char **argv);

/* `dlc bench ...` (cli/cmd_bench.c): argv[0] == "bench" as for every
 * subcommand. */
int dlc_cmd_bench(int argc, char **argv);

/* `dlc bench --per-layer` (cli/per_layer.c): the same model and schedule
 * compiled with and without --profile, loaded, and the raw buffers of one
 * run. */
typedef struct dlc_per_layer_run {
  dlc_compiled *profiled, *plain;
  int64_t batch; /* n of run_batch */
  const float *const *in;
  float *const *out;
  int64_t warmup, repeat;
} dlc_per_layer_run;
/* Times every node (warm-up, then repeat runs, medians), measures the FMA
 * peak and prints the table (or JSON) on stdout; false with the problem in
 * d. */
bool dlc_bench_per_layer(const dlc_per_layer_run *r, const char *model,
                         bool json, dlc_diag *d);

/* The engine behind `dlc run --engine compiled`: compiles g (loaded from
 * model_path, sorted, shapes inferred), runs it on inputs (graph input order,
 * types and data already checked against the declared inputs, borrowed) and
 * fills outputs[0..g->outputs.n) with malloc'd data that the caller frees
 * with dlc_interp_free_tensors. Problems go to d. cli/cmd_run.c holds a
 * weak fallback reporting "engine 'compiled' is not available in this build"
 * (DLC_ERR_UNSUPPORTED); the codegen helper provides the strong definition. */
dlc_status dlc_run_compiled(const char *model_path, const dlc_graph *g,
                            const dlc_tensor *inputs, int n_inputs,
                            dlc_tensor *outputs, dlc_diag *d);

/* dlc_run_compiled with the optimisation options of `dlc run` (-O0..-O3,
 * --disable-pass, ...): the model is reloaded from model_path and that copy
 * optimised and compiled (g, the caller's, stays unoptimised). The strong
 * definition is in cli/cmd_compile.c, a weak fallback in cli/cmd_run.c. */
dlc_status dlc_run_compiled_with(const char *model_path, const dlc_graph *g,
                                 const dlc_cli_passes *p,
                                 const dlc_tensor *inputs, int n_inputs,
                                 dlc_tensor *outputs, dlc_diag *d);

/* Path of libdlcrt.a for linking compiled models: $DLC_RUNTIME_LIB, else
 * beside the dlc executable, else ../lib relative to it
 * (cli/cmd_compile.c). */
const char *dlc_cli_runtime_lib(void);

/* v parsed as a positive integer for option; -1 (after a usage message) when
 * it is not one. */
int64_t dlc_cli_positive(const char *option, const char *v);

/* ------------------------------------------------ shared option parsing */

/* Prints "dlc: MESSAGE" and "see dlc --help" on stderr; returns 2. */
int dlc_cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Matches argv[*i] against option `name` ("--input"), accepting both
 * "--input VALUE" and "--input=VALUE". On a match sets *value, advances *i
 * past a separate value and returns 1; returns 0 when argv[*i] is another
 * option; returns -1 (after a usage message) when the value is missing. */
int dlc_cli_option(int argc, char **argv, int *i, const char *name,
                   const char **value);

/* True for "-h" and "--help". */
bool dlc_cli_is_help(const char *arg);

/* Parses the arguments of a subcommand that takes one MODEL and at most one
 * boolean flag (flag may be NULL: none). Prints help (exit 0) or a usage
 * error (exit 2) itself: returns false with *exit_code set when the caller
 * should stop, true with *model set when it should go on. */
bool dlc_cli_parse_model_args(int argc, char **argv, const char *help,
                              const char *flag, bool *flag_set,
                              const char **model, int *exit_code);

/* A file a command reads or writes, with the role shown in messages ("the
 * model", "-o", "--header", "--input"). */
typedef struct dlc_cli_file {
  const char *path;
  const char *role;
  bool dlc_header; /* an output that may replace only a header dlc wrote */
} dlc_cli_file;
enum { DLC_CLI_MAX_FILES = 160 };

/* False, with one message per problem, when an output is the same file as
 * an input or an earlier output, or is a header (dlc_header) that exists
 * but was not written by dlc (cli/outputs.c). At most DLC_CLI_MAX_FILES in
 * all. */
bool dlc_cli_outputs_safe(const dlc_cli_file *in, int n_in,
                          const dlc_cli_file *out, int n_out, dlc_diag *d);

/* "4096", "512K", "64M", "64G": bytes (at least 1), or -1. */
int64_t dlc_cli_parse_bytes(const char *v);

/* --max-input N and --max-memory N, which every command that reads a model
 * takes anywhere on its command line: main() removes them from argv
 * (adjusting *argc) before dispatching and keeps them for
 * dlc_cli_load_limits. Returns false after a usage message. */
bool dlc_cli_take_load_limits(int *argc, char **argv);
/* The limits models are loaded within (the defaults, or the options). */
const dlc_load_limits *dlc_cli_load_limits(void);

/* Loads a model with the frontend within dlc_cli_load_limits; on failure
 * prints every problem to stderr and returns NULL. Free: dlc_graph_destroy. */
dlc_graph *dlc_cli_load_model(const char *path);

/* ------------------------------------------------------ model statistics */

/* Receptive field and jump (stride in input pixels) of one value, per
 * spatial dimension, with respect to the graph inputs. */
typedef enum dlc_rf_state {
  DLC_RF_NONE,    /* no spatial map: constants, after a global pool, Flatten,
                     Gemm, MatMul, Reshape, ... (ignored where branches
                     merge) */
  DLC_RF_KNOWN,   /* rf/jump below hold */
  DLC_RF_UNKNOWN, /* a spatial map the recurrence does not model (Resize,
                     DepthToSpace, InstanceNormalization, fractional jumps);
                     poisons merges */
} dlc_rf_state;

enum { DLC_RF_MAX_SPATIAL = DLC_MAX_RANK - 2 };

typedef struct dlc_rf {
  dlc_rf_state state;
  int n_spatial; /* rank - 2 of the value (NCHW: 2, for [h, w]) */
  int64_t rf[DLC_RF_MAX_SPATIAL];
  int64_t jump[DLC_RF_MAX_SPATIAL];
} dlc_rf;

typedef struct dlc_node_stats {
  const dlc_node *node;
  int64_t params;           /* elements of the node's initializer inputs */
  int64_t macs;             /* from the operator table; 0 when it has none */
  int64_t activation_bytes; /* bytes of the node's outputs */
  dlc_rf rf;                /* of the node's first output */
} dlc_node_stats;

typedef struct dlc_graph_stats {
  dlc_node_stats *nodes; /* one per live node, in graph order */
  int n_nodes;
  int64_t total_params; /* each initializer counted once, even if shared */
  int64_t total_macs;
  int64_t total_activation_bytes;
} dlc_graph_stats;

/* Computes the statistics of a loaded graph (sorted, shapes inferred).
 * Free: dlc_stats_free. */
void dlc_stats_compute(const dlc_graph *g, dlc_graph_stats *out);
void dlc_stats_free(dlc_graph_stats *s);

/* One operator type's share of the graph (`dlc stats`' summary). */
typedef struct dlc_op_summary {
  dlc_op op;
  int count;      /* live nodes of this op */
  int64_t params; /* sum of the nodes' params */
  int64_t macs;
} dlc_op_summary;

/* The statistics grouped by operator type, most MACs first (then most
 * nodes). Returns the number of rows in *out (malloc'd; free()). */
int dlc_stats_by_op(const dlc_graph_stats *s, dlc_op_summary **out);

#endif /* DLC_CLI_H */
