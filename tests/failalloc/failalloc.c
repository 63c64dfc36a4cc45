/* failalloc.c — the counting, failing allocator of the failing-allocation
 * build (failalloc.h): compiled into libdlc only with -DDLC_FAILALLOC=ON,
 * and without the macros, so that it reaches the C library's allocator. */
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include "tests/failalloc/failalloc.h"

static long fail_at, calls;
static bool failed;

void dlc_failalloc_set(long n) {
  fail_at = n;
  calls = 0;
  failed = false;
}

long dlc_failalloc_count(void) { return calls; }

bool dlc_failalloc_failed(void) { return failed; }

/* Counts one call; true when it is the one to fail. With
 * DLC_FAILALLOC_TRACE set, the failing call's stack goes to stderr (to find
 * the site behind a failing run of the test). */
static bool fail_now(void) {
  if (++calls != fail_at)
    return false;
  failed = true;
  if (getenv("DLC_FAILALLOC_TRACE")) {
    void *frames[16];
    backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
  }
  return true;
}

void *dlc_failalloc_malloc(size_t n) { return fail_now() ? NULL : malloc(n); }

void *dlc_failalloc_calloc(size_t n, size_t size) {
  return fail_now() ? NULL : calloc(n, size);
}

void *dlc_failalloc_realloc(void *p, size_t n) {
  return fail_now() ? NULL : realloc(p, n);
}

void *dlc_failalloc_aligned_alloc(size_t align, size_t n) {
  return fail_now() ? NULL : aligned_alloc(align, n);
}

char *dlc_failalloc_strdup(const char *s) {
  return fail_now() ? NULL : strdup(s);
}
