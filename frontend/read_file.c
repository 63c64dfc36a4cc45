/* read_file.c — reading a whole model or weight file into memory, shared by
 * the JSON and ONNX readers and the loader. */
#include <errno.h>
#include <stdlib.h>

#include "frontend/frontend_impl.h"

unsigned char *dlc_fe_read_file(const char *path, size_t *size, int *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = errno;
    return NULL;
  }
  /* Read in growing chunks rather than trusting a size from stat: the file
   * may be a pipe or change under us. */
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap + 1);
  DLC_ASSERT(buf != NULL);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
      DLC_ASSERT(buf != NULL);
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  bool bad = ferror(f);
  int e = errno;
  fclose(f);
  if (bad) {
    free(buf);
    *err = e ? e : EIO;
    return NULL;
  }
  buf[n] = 0;
  *size = n;
  return buf;
}
