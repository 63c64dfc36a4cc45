/* memory.c — aligned workspace allocation for applications; generated code
 * never allocates, the caller passes the workspace in. */
/* posix_memalign is POSIX, not C11: ask for it (the runtime builds alone,
 * without the top level's _DEFAULT_SOURCE). */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>

#include "dlcrt.h"

void *dlcrt_aligned_alloc(size_t size, size_t align) {
  void *p = NULL;
  if (align < sizeof(void *) || (align & (align - 1)) != 0)
    return NULL;
  /* posix_memalign (not C11 aligned_alloc): no size-multiple rule. */
  if (posix_memalign(&p, align, size ? size : 1) != 0)
    return NULL;
  return p;
}

void dlcrt_free(void *p) { free(p); }

void *dlcrt_workspace_create(const struct dlc_model *m, int64_t n) {
  if (!m || n < 1)
    return NULL;
  uint64_t size = m->workspace_size_batch ? m->workspace_size_batch(n)
                                          : m->workspace_size;
  if (size > (uint64_t)SIZE_MAX)
    return NULL;
  size_t align = m->workspace_align > DLCRT_ALIGN ? (size_t)m->workspace_align
                                                : DLCRT_ALIGN;
  return dlcrt_aligned_alloc((size_t)size, align);
}
