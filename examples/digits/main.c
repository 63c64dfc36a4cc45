/* main.c — the digits classifier as an application uses dlc: the model is
 * compiled ahead of time into digits.o + digits.h, this program links it with
 * libdlcrt.a and nothing else of dlc.
 *
 *   build/dlc examples/digits/digits.json -o build/digits/digits.o
 *   cc -O2 -Ibuild/digits examples/digits/main.c build/digits/digits.o \
 *      build/libdlcrt.a -lm -lpthread -o build/digits/digits
 *   build/digits/digits examples/digits/test_images.npy \
 *      examples/digits/test_labels.npy
 *
 * It reads the test images and labels (.npy; a minimal reader is below),
 * classifies all of them with one digits_run_batch call, prints the
 * accuracy, then times that call (median of repeated runs). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digits.h"

/* --------------------------------------------------------- a .npy reader
 * Enough of the format for numpy.save output: version 1-3 header, C order,
 * little-endian '<f4' or '<i8'. */
typedef struct npy {
  char descr[8];
  int rank;
  int64_t dims[8];
  int64_t count; /* elements */
  void *data;    /* malloc'd */
} npy;

/* The value text after 'key': in the header dict, or NULL. */
static const char *npy_field(const char *hdr, const char *key) {
  const char *p = strstr(hdr, key);
  return p ? strchr(p + strlen(key), ':') + 1 : NULL;
}

static int npy_parse_header(const char *hdr, npy *a) {
  const char *d = npy_field(hdr, "'descr'");
  const char *f = npy_field(hdr, "'fortran_order'");
  const char *s = npy_field(hdr, "'shape'");
  if (!d || !f || !s || sscanf(d, " '%7[^']'", a->descr) != 1 ||
      strncmp(f, " False", 6) != 0 || !(s = strchr(s, '(')))
    return -1;
  a->count = 1;
  for (s++; a->rank < 8;) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s)
      break;
    a->dims[a->rank++] = v;
    a->count *= v;
    s = end + strspn(end, ", ");
  }
  return 0;
}

static int npy_read(const char *path, npy *a) {
  memset(a, 0, sizeof *a);
  FILE *f = fopen(path, "rb");
  unsigned char pre[12];
  if (!f)
    return -1;
  int ok = fread(pre, 1, 10, f) == 10 && !memcmp(pre, "\x93NUMPY", 6);
  uint32_t len = pre[8] | (uint32_t)pre[9] << 8;
  if (ok && pre[6] >= 2) { /* versions 2 and 3: a 4-byte length */
    ok = fread(pre + 10, 1, 2, f) == 2;
    len |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
  }
  char *hdr = ok ? calloc(1, len + 1) : NULL;
  ok = hdr && fread(hdr, 1, len, f) == len && npy_parse_header(hdr, a) == 0;
  size_t size = !strcmp(a->descr, "<f4") ? 4 : !strcmp(a->descr, "<i8") ? 8 : 0;
  ok = ok && size && (a->data = malloc((size_t)a->count * size + 1)) &&
       fread(a->data, size, (size_t)a->count, f) == (size_t)a->count;
  free(hdr);
  fclose(f);
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------ the model */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Top-1 accuracy of the logits (n, classes) against the labels. */
static int64_t count_correct(const float *logits, const int64_t *labels,
                             int64_t n, int64_t classes) {
  int64_t correct = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; c++)
      if (logits[i * classes + c] > logits[i * classes + best])
        best = c;
    correct += best == labels[i];
  }
  return correct;
}

/* Median time of `repeat` digits_run_batch calls, in ms. */
static double time_runs(int64_t n, const float *const *in, float *const *out,
                        void *ws, int repeat) {
  double *t = malloc(sizeof *t * (size_t)repeat);
  for (int r = 0; r < repeat; r++) {
    double t0 = now_ms();
    digits_run_batch(n, in, out, ws);
    t[r] = now_ms() - t0;
  }
  qsort(t, (size_t)repeat, sizeof *t, cmp_double);
  double median = t[repeat / 2];
  free(t);
  return median;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s IMAGES.npy LABELS.npy [REPEAT]\n", argv[0]);
    return 2;
  }
  int repeat = argc > 3 ? atoi(argv[3]) : 100;
  npy images, labels;
  if (npy_read(argv[1], &images) || npy_read(argv[2], &labels) ||
      strcmp(images.descr, "<f4") || strcmp(labels.descr, "<i8") ||
      images.rank < 1 || images.count != images.dims[0] * DIGITS_INPUT0_SIZE ||
      labels.count != images.dims[0] || !DIGITS_BATCHED || repeat < 1) {
    fprintf(stderr, "%s: expected float32 images (N, 1, 8, 8), int64 labels "
            "(N) and a model compiled with a symbolic batch\n", argv[0]);
    return 1;
  }
  int64_t n = images.dims[0];
  uint64_t ws_size = digits_workspace_size(n);
  uint64_t round = (ws_size + DIGITS_WORKSPACE_ALIGN - 1) /
                   DIGITS_WORKSPACE_ALIGN * DIGITS_WORKSPACE_ALIGN;
  void *ws = aligned_alloc(DIGITS_WORKSPACE_ALIGN, round ? round : 64);
  float *logits = malloc(sizeof(float) * (size_t)(n * DIGITS_OUTPUT0_SIZE));
  const float *in[1] = {images.data};
  float *out[1] = {logits};
  int st = digits_run_batch(n, in, out, ws);
  if (st != DLCRT_OK) {
    fprintf(stderr, "%s: %s\n", argv[0], digits_status_message(st));
    return 1;
  }
  int64_t correct = count_correct(logits, labels.data, n, DIGITS_OUTPUT0_SIZE);
  printf("digits: %lld/%lld test images correct, accuracy %.2f%%\n",
         (long long)correct, (long long)n, 100.0 * (double)correct / (double)n);
  double ms = time_runs(n, in, out, ws, repeat);
  printf("compiled: %lld images in %.3f ms (median of %d runs), %.2f us per "
         "image\n", (long long)n, ms, repeat, 1e3 * ms / (double)n);
  free(ws);
  free(logits);
  free(images.data);
  free(labels.data);
  return 0;
}
