/* read_file.c — reading a whole model or weight file into memory, shared by
 * the JSON and ONNX readers and the loader, and opening the weight files a
 * model names without letting it escape its directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/frontend_impl.h"

unsigned char *dlc_fe_read_file(const char *path, size_t max, size_t *size,
                                int *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = errno;
    return NULL;
  }
  /* Read in growing chunks rather than trusting a size from stat: the file
   * may be a pipe or change under us. One byte past max is read to tell a
   * file of max bytes from a longer one. */
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
    if (got == 0 || (max > 0 && n > max))
      break;
  }
  bool bad = ferror(f);
  int e = errno;
  fclose(f);
  if (bad || (max > 0 && n > max)) {
    free(buf);
    *err = bad ? (e ? e : EIO) : EFBIG;
    return NULL;
  }
  buf[n] = 0;
  *size = n;
  return buf;
}

unsigned char *dlc_fe_read_model(const char *path, const dlc_load_limits *l,
                                 size_t *size, dlc_diag *d) {
  dlc_load_limits def;
  if (!l) {
    dlc_load_limits_init(&def);
    l = &def;
  }
  int64_t limit = l->max_input;
  struct stat st;
  if (stat(path, &st) != 0) {
    dlc_diag_error(d, NULL, "cannot read '%s': %s", path, strerror(errno));
    return NULL;
  }
  if (limit > 0 && S_ISREG(st.st_mode) && (int64_t)st.st_size > limit) {
    dlc_diag_error(d, NULL, "the file is %lld bytes, above the limit of %lld "
                   "(--max-input)", (long long)st.st_size, (long long)limit);
    return NULL;
  }
  int e = 0;
  size_t max = limit > 0 && (uint64_t)limit < SIZE_MAX ? (size_t)limit : 0;
  unsigned char *bytes = dlc_fe_read_file(path, max, size, &e);
  if (!bytes && e == EFBIG)
    dlc_diag_error(d, NULL, "the file holds more than %lld bytes, the limit "
                   "(--max-input)", (long long)limit);
  else if (!bytes)
    dlc_diag_error(d, NULL, "cannot read '%s': %s", path, strerror(e));
  return bytes;
}

/* ----------------------------------------------------------------- limits */

void dlc_load_limits_init(dlc_load_limits *l) {
  l->max_input = (int64_t)1 << DLC_DEFAULT_MAX_INPUT_LOG2;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  l->max_memory = pages > 0 && page > 0 && pages <= INT64_MAX / page
                      ? (int64_t)pages * page / 2
                      : (int64_t)8 << 30;
}

bool dlc_fe_budget_charge(dlc_fe_budget *b, int64_t bytes, dlc_diag *d,
                          const char *where, const char *what) {
  if (!b)
    return true;
  b->used = bytes > INT64_MAX - b->used ? INT64_MAX : b->used + bytes;
  if (b->limit <= 0 || b->used <= b->limit)
    return true;
  dlc_diag_error(d, where, "the model would take about %lld bytes in memory "
                 "(%s), above the limit of %lld (--max-memory)",
                 (long long)b->used, what, (long long)b->limit);
  return false;
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
