/* driver.c — runs one zoo model compiled by `dlc MODEL -o model.o --name zoo`
 * on raw float32 files, for run_zoo.py: natively, and statically linked for
 * AArch64 under qemu-aarch64. Linked as `cc driver.c model.o libdlcrt.a`,
 * exactly as docs/abi.md tells applications to.
 *
 *   driver REPS IN0.raw [IN1.raw ...] OUT0.raw [OUT1.raw ...]
 *
 * Reads each input (the model's input sizes, C order), runs the model once
 * and writes the outputs, then runs it REPS more times and prints
 * `run_ms MIN MEDIAN CPU_MEDIAN` (one run, single thread: wall time, and
 * the process's CPU time). Exit status 0 on
 * success, 1 with a message on any failure. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dlcrt.h"
#include "model.h"

static double now_ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float *read_raw(const char *path, int64_t n) {
  float *p = malloc((size_t)n * sizeof *p);
  FILE *f = fopen(path, "rb");
  if (!p || !f || fread(p, sizeof *p, (size_t)n, f) != (size_t)n ||
      fgetc(f) != EOF) {
    fprintf(stderr, "driver: %s: cannot read %lld floats\n", path,
            (long long)n);
    exit(1);
  }
  fclose(f);
  return p;
}

static void write_raw(const char *path, const float *p, int64_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, sizeof *p, (size_t)n, f) != (size_t)n || fclose(f)) {
    fprintf(stderr, "driver: %s: cannot write\n", path);
    exit(1);
  }
}

int main(int argc, char **argv) {
  const struct dlc_model *m = &zoo_model;
  if (argc != 2 + m->n_inputs + m->n_outputs) {
    fprintf(stderr, "usage: driver REPS IN x %d OUT x %d\n", (int)m->n_inputs,
            (int)m->n_outputs);
    return 1;
  }
  int st = dlcrt_model_check(m);
  if (st != DLCRT_OK) {
    fprintf(stderr, "driver: %s\n", dlcrt_status_message(st));
    return 1;
  }
  int reps = atoi(argv[1]);
  const float *in[ZOO_NUM_INPUTS];
  float *out[ZOO_NUM_OUTPUTS];
  for (int i = 0; i < m->n_inputs; i++)
    in[i] = read_raw(argv[2 + i], m->inputs[i].numel);
  for (int j = 0; j < m->n_outputs; j++)
    out[j] = calloc((size_t)m->outputs[j].numel, sizeof(float));
  void *ws = dlcrt_workspace_create(m, 1);
  if (m->workspace_size && !ws) {
    fprintf(stderr, "driver: no memory for the workspace\n");
    return 1;
  }
  st = zoo_run(in, out, ws);
  if (st != DLCRT_OK) {
    fprintf(stderr, "driver: run: %s\n", zoo_status_message(st));
    return 1;
  }
  for (int j = 0; j < m->n_outputs; j++)
    write_raw(argv[2 + m->n_inputs + j], out[j], m->outputs[j].numel);
  /* wall time, and CPU time (what a shared machine's load inflates less) */
  double *t = calloc((size_t)(reps > 0 ? reps : 1), sizeof *t);
  double *c = calloc((size_t)(reps > 0 ? reps : 1), sizeof *c);
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    zoo_run(in, out, ws);
    t[r] = now_ms(CLOCK_MONOTONIC) - t0;
    c[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  if (reps > 0) {
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    qsort(c, (size_t)reps, sizeof *c, cmp_double);
    printf("run_ms %.3f %.3f %.3f\n", t[0], t[reps / 2], c[reps / 2]);
  }
  free(t);
  free(c);
  dlcrt_free(ws);
  for (int i = 0; i < m->n_inputs; i++)
    free((void *)in[i]);
  for (int j = 0; j < m->n_outputs; j++)
    free(out[j]);
  return 0;
}
