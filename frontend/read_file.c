/* read_file.c — reading a whole model or weight file into memory, shared by
 * the JSON and ONNX readers and the loader, and opening the weight files a
 * model names without letting it escape its directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* True when the canonical path `real` is `base` or lies under it. */
static bool path_inside(const char *real, const char *base) {
  size_t n = strlen(base);
  if (strncmp(real, base, n) != 0)
    return false;
  return real[n] == '/' || (n > 0 && base[n - 1] == '/');
}

/* The lexical checks (no absolute path, no '..') stay in the readers, where
 * they name the offending text; this is the check on what the file system
 * says: a symbolic link, anywhere along the path, that leads out of the
 * directory is refused, and so is anything but a regular file (a FIFO would
 * block the reader, /dev/zero would never end). O_NONBLOCK keeps opening a
 * FIFO from waiting for a writer; O_NOFOLLOW refuses a final component
 * swapped for a link between realpath and open. */
int dlc_fe_open_inside(const char *base_dir, const char *rel, uint64_t *size,
                       const char **why) {
  char path[PATH_MAX], base[PATH_MAX], real[PATH_MAX];
  *why = NULL;
  if ((size_t)snprintf(path, sizeof path, "%s/%s", base_dir, rel) >=
      sizeof path) {
    *why = strerror(ENAMETOOLONG);
    return -1;
  }
  if (!realpath(base_dir, base) || !realpath(path, real)) {
    *why = strerror(errno);
    return -1;
  }
  if (!path_inside(real, base)) {
    *why = "it resolves (through a symbolic link) to a file outside the "
           "model's directory";
    return -1;
  }
  int fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *why = strerror(errno);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
    close(fd);
    return -1;
  }
  *size = (uint64_t)st.st_size;
  return fd;
}

unsigned char *dlc_fe_read_range(int fd, uint64_t offset, size_t n,
                                 int *err) {
  unsigned char *buf = malloc(n + 1);
  if (!buf) {
    *err = ENOMEM;
    return NULL;
  }
  size_t got = 0;
  while (got < n) {
    ssize_t k = pread(fd, buf + got, n - got, (off_t)(offset + got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      *err = k < 0 ? errno : EIO; /* 0: the file shrank under us */
      free(buf);
      return NULL;
    }
    got += (size_t)k;
  }
  buf[n] = 0;
  return buf;
}
