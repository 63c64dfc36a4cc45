/* accuracy.c — scores the digits classifier: reads the logits written by
 * `dlc run` and the labels, prints the test accuracy. Used by the README's
 * first quick-start command (scripts/quickstart.sh). */
#include <stdio.h>
#include <stdlib.h>

#include "npy/npy.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LOGITS.npy LABELS.npy\n", argv[0]);
    return 2;
  }
  dlc_diag d;
  dlc_diag_init(&d, NULL);
  dlc_tensor logits = {0}, labels = {0};
  d.file = argv[1];
  if (dlc_npy_read(argv[1], &logits, &d) != DLC_OK) {
    dlc_diag_print(&d, stderr);
    return 1;
  }
  d.file = argv[2];
  if (dlc_npy_read(argv[2], &labels, &d) != DLC_OK) {
    dlc_diag_print(&d, stderr);
    return 1;
  }
  if (logits.rank != 2 || labels.rank != 1 || labels.dims[0] != logits.dims[0] ||
      logits.dtype != DLC_DT_FLOAT32 || labels.dtype != DLC_DT_INT64) {
    fprintf(stderr, "%s: expected float32 logits (N, C) and int64 labels (N)\n",
            argv[0]);
    return 1;
  }
  int64_t n = logits.dims[0], classes = logits.dims[1], correct = 0;
  const float *l = logits.data;
  const int64_t *y = labels.data;
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t c = 1; c < classes; c++)
      if (l[i * classes + c] > l[i * classes + best])
        best = c;
    correct += best == y[i];
  }
  printf("digits: %lld/%lld test images correct, accuracy %.2f%%\n",
         (long long)correct, (long long)n, 100.0 * (double)correct / (double)n);
  free(logits.data);
  free(labels.data);
  dlc_diag_free(&d);
  return 0;
}
