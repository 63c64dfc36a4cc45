/* passes.h — graph-to-graph optimisation passes (the module's public header).
 *
 * Each pass lives in its own file with one entry point and a header comment
 * stating what it requires, what it guarantees afterwards and what it may
 * invalidate; passes/pipeline.c lists them in order. Passes rewrite the graph
 * in place (they unlink nodes with node->dead, never free them) and record
 * what they fused on the surviving node (node->epilogue->fused); the memory
 * plan comes after them, in the schedule stage (schedule/). Constant
 * folding evaluates nodes with the interpreter's kernels. No pass sees an
 * LLVM type: codegen reads what the passes decided from the graph.
 * docs/passes.md describes every pass and the memory planner.
 */
#ifndef DLC_PASSES_H
#define DLC_PASSES_H

#include "ir/ir.h"

typedef struct dlc_pass_options {
  int opt_level;                /* 0: no pass; 1: cleanups; 2: everything */
  const char *const *disabled;  /* pass names to skip (unknown: an error) */
  int n_disabled;
  const char *dump_after;       /* pass name, "all", or NULL */
  FILE *dump_to;                /* where dumps go (NULL: stderr) */
  bool verify_each;             /* dlc_graph_verify after every pass */
  FILE *times_to;               /* NULL, or where each pass's time goes */
  int layout_block;             /* assign_layout's channel block (the
                                   target's floats per vector); 0 or 1:
                                   plain (the driver sets 0 to the
                                   target's, 1 stays plain) */
} dlc_pass_options;

/* Runs the pipeline for o->opt_level on a sorted graph with inferred shapes
 * (as the frontend returns it). After every pass that changed the graph the
 * nodes are sorted and shapes inferred again (symbolic dims bound to 1).
 * With verify_each a broken graph is reported as "after pass 'NAME': ..."
 * followed by the verifier's messages. */
dlc_status dlc_passes_run(dlc_graph *g, const dlc_pass_options *o,
                          dlc_diag *d);

/* Runs the one pass called name (whatever its level), with the same
 * re-sorting, dumping and verification as the pipeline. Tests use it. */
dlc_status dlc_passes_run_one(dlc_graph *g, const char *name,
                              const dlc_pass_options *o, dlc_diag *d);

/* The registry, in pipeline order (for `dlc passes`). */
int dlc_passes_count(void);
const char *dlc_pass_name(int i);
const char *dlc_pass_summary(int i);
int dlc_pass_min_level(int i); /* lowest -O level that runs it */
bool dlc_pass_exists(const char *name);

/* ------------------------------------------------------ the passes */

/* Each returns DLC_OK (problems go to d) and adds the number of rewrites it
 * made to *changes. Requirements: a sorted graph with inferred shapes. */
dlc_status dlc_pass_fold_constants(dlc_graph *g, dlc_diag *d, int *changes);
dlc_status dlc_pass_eliminate_noops(dlc_graph *g, dlc_diag *d, int *changes);
dlc_status dlc_pass_simplify_patterns(dlc_graph *g, dlc_diag *d,
                                      int *changes);
dlc_status dlc_pass_fold_batchnorm(dlc_graph *g, dlc_diag *d, int *changes);
dlc_status dlc_pass_fuse_epilogues(dlc_graph *g, dlc_diag *d, int *changes);
dlc_status dlc_pass_fuse_elementwise(dlc_graph *g, dlc_diag *d, int *changes);
/* The one pass that reads an option: o->layout_block. */
dlc_status dlc_pass_assign_layout(dlc_graph *g, const dlc_pass_options *o,
                                  dlc_diag *d, int *changes);

#endif
