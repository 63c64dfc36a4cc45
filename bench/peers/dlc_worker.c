/* dlc_worker.c — runs one model with one dlc engine for the peer benchmark
 * (bench/peers/run.py), driven line by line on stdin so that the
 * orchestrator can interleave engines round-robin (each engine loads once,
 * then runs K times per turn):
 *
 *   dlc_worker compiled MODEL.so SYMBOL INPUT.bin   a --shared object, called
 *                                                   through its descriptor
 *   dlc_worker blas|interp MODEL.onnx INPUT.bin [THREADS]
 *                                                   dlc_interp_run on the graph
 *                                                   as loaded (as `dlc bench`)
 *   INPUT.bin: input 0 as raw float32, C order.
 *   stdin:  "run K"      -> stdout: K run times in ms, one line
 *           "out PATH"   -> writes output 0 as raw float32, prints "ok"
 *
 * The compiled engine writes into buffers allocated once; the interpreter
 * engines allocate their outputs inside a run (part of their cost, as in
 * `dlc bench`). Build: see bench/peers/run.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend/frontend.h"
#include "interp/interp.h"
#include "runtime/dlcrt.h"

extern void openblas_set_num_threads(int n) __attribute__((weak));

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *alloc_aligned(size_t bytes, size_t align) {
  if (align < 64)
    align = 64;
  return aligned_alloc(align, (bytes + align - 1) / align * align + align);
}

static int read_floats(const char *path, float *x, int64_t n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t got = fread(x, sizeof(float), (size_t)n, f);
  fclose(f);
  return got == (size_t)n ? 0 : -1;
}

static int write_floats(const char *path, const float *y, int64_t n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t put = fwrite(y, sizeof(float), (size_t)n, f);
  return fclose(f) == 0 && put == (size_t)n ? 0 : -1;
}

/* One engine behind two calls: run once, and where output 0 lies. */
typedef struct engine {
  /* compiled */
  const struct dlc_model *m;
  const float *ins[1];
  float **ys;
  void *ws;
  /* interpreter */
  dlc_graph *g;
  dlc_engine kind;
  dlc_tensor in, out[16];
  int have_out;
} engine;

static int engine_run(engine *e) {
  if (e->m) {
    int st = e->m->run(e->ins, e->ys, e->ws);
    if (st)
      fprintf(stderr, "dlc_worker: run: %s\n", dlcrt_status_message(st));
    return st;
  }
  if (e->have_out)
    dlc_interp_free_tensors(e->out, (int)e->g->outputs.n);
  dlc_diag d;
  dlc_diag_init(&d, "dlc_worker");
  dlc_status st = dlc_interp_run(e->g, e->kind, &e->in, 1, e->out, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  e->have_out = st == DLC_OK;
  return st != DLC_OK;
}

static int open_compiled(engine *e, char **argv) {
  void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "dlc_worker: %s\n", dlerror());
    return -1;
  }
  const struct dlc_model *m = dlsym(h, argv[3]);
  if (!m || m->abi_version != DLCRT_ABI_VERSION || m->n_inputs != 1) {
    fprintf(stderr, "dlc_worker: %s: no usable descriptor\n", argv[3]);
    return -1;
  }
  float *x = alloc_aligned((size_t)m->inputs[0].numel * sizeof(float), 64);
  if (read_floats(argv[4], x, m->inputs[0].numel))
    return -1;
  e->m = m;
  e->ins[0] = x;
  e->ys = calloc((size_t)m->n_outputs, sizeof *e->ys);
  for (int j = 0; j < m->n_outputs; j++)
    e->ys[j] = alloc_aligned((size_t)m->outputs[j].numel * sizeof(float), 64);
  e->ws = m->workspace_size
              ? alloc_aligned(m->workspace_size, m->workspace_align)
              : NULL;
  return 0;
}

static int open_interp(engine *e, char **argv, int argc) {
  if (!dlc_engine_from_name(argv[1], &e->kind))
    return -1;
  if (openblas_set_num_threads)
    openblas_set_num_threads(argc > 4 ? atoi(argv[4]) : 1);
  dlc_diag d;
  dlc_diag_init(&d, argv[2]);
  dlc_status st = dlc_frontend_load(argv[2], &e->g, &d);
  if (st != DLC_OK)
    dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  if (st != DLC_OK || e->g->inputs.n != 1)
    return -1;
  e->in = e->g->inputs.items[0]->type;
  e->in.data = malloc(dlc_tensor_nbytes(&e->in));
  return read_floats(argv[3], e->in.data, dlc_tensor_numel(&e->in));
}

static int write_output(const engine *e, const char *path) {
  if (e->m)
    return write_floats(path, e->ys[0], e->m->outputs[0].numel);
  return write_floats(path, e->out[0].data, dlc_tensor_numel(&e->out[0]));
}

int main(int argc, char **argv) {
  engine e = {0};
  int bad = argc < 4;
  if (!bad && strcmp(argv[1], "compiled") == 0)
    bad = argc != 5 || open_compiled(&e, argv);
  else if (!bad)
    bad = open_interp(&e, argv, argc);
  if (bad) {
    fprintf(stderr,
            "usage: dlc_worker compiled MODEL.so SYMBOL INPUT.bin\n"
            "       dlc_worker blas|interp MODEL INPUT.bin [THREADS]\n");
    return 1;
  }
  if (engine_run(&e))
    return 1;
  printf("ready\n");
  fflush(stdout);
  char line[4096], path[4000];
  int k;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "run %d", &k) == 1) {
      for (int i = 0; i < k; i++) {
        double t0 = now_ms();
        if (engine_run(&e))
          return 1;
        printf(i ? " %.6f" : "%.6f", now_ms() - t0);
      }
      printf("\n");
    } else if (sscanf(line, "out %3999s", path) == 1) {
      if (write_output(&e, path))
        return 1;
      printf("ok\n");
    } else {
      break;
    }
    fflush(stdout);
  }
  return 0;
}
