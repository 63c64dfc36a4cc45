/* driver.h — the library driver: load -> passes -> schedule -> codegen, the
 * one path that the `dlc` command, the compiled engine (`dlc run --engine
 * compiled`, `dlc bench`) and the tests all take.
 *
 *   passes (passes/)     target-free rewrites at the -O level
 *   batch                a symbolic batch the code cannot loop over is bound
 *                        to the requested size (or 1) before scheduling
 *   schedule (schedule/) the target description, one record per node, then
 *                        the memory plan (in-place off at -O0)
 *   codegen (codegen/)   emits what the schedule says
 */
#ifndef DLC_DRIVER_H
#define DLC_DRIVER_H

#include "codegen/codegen.h"
#include "passes/passes.h"
#include "schedule/schedule.h"

typedef struct dlc_driver_options {
  dlc_pass_options passes;       /* opt_level is also LLVM's (codegen) */
  bool run_passes;               /* false: g is already optimised */
  dlc_codegen_options codegen;   /* target, output, prefix, ... */
  dlc_schedule_options schedule; /* --schedule, conv_kind, --max-workspace;
                                    in_place follows passes.opt_level */
  int64_t batch;                 /* > 0: the size a symbolic batch is bound
                                    to where it must be fixed */
  bool force_fixed_batch;        /* bind it even where it could stay
                                    symbolic (--batch N) */
  FILE *times_to;                /* NULL, or where each stage's time goes
                                    (`dlc -v`): every pass, schedule, memory
                                    plan, LLVM build/optimise/emit */
} dlc_driver_options;

/* Defaults: -O2, passes run, object output, the host, symbolic batch. */
void dlc_driver_options_init(dlc_driver_options *o);

/* Runs the passes (when o->run_passes), binds a batch that must be fixed,
 * describes the target and schedules and plans g. Prints nothing: every
 * problem goes to d. On success *out is g's planned schedule (free:
 * dlc_schedule_destroy) and *fixed_batch says whether the batch was bound
 * (compile with codegen.fixed_batch then). */
dlc_status dlc_driver_schedule(dlc_graph *g, const dlc_driver_options *o,
                               dlc_schedule **out, bool *fixed_batch,
                               dlc_diag *d);

/* dlc_driver_schedule, then codegen as o->codegen says. When sched_out is
 * not NULL it receives the schedule (the caller destroys it). */
dlc_status dlc_driver_compile(dlc_graph *g, const dlc_driver_options *o,
                              dlc_schedule **sched_out, dlc_diag *d);

/* dlc_driver_schedule, then compiled and loaded in this process (the
 * compiled engine; o->codegen.runtime_lib names libdlcrt.a). g must outlive
 * *out. */
dlc_status dlc_driver_load(dlc_graph *g, const dlc_driver_options *o,
                           dlc_compiled **out, dlc_diag *d);

/* Loads a model file (frontend) and compiles it as o says. */
dlc_status dlc_driver_compile_file(const char *path,
                                   const dlc_driver_options *o, dlc_diag *d);

#endif /* DLC_DRIVER_H */
