/* failalloc.h — forced into every source of libdlc (`-include`) when it is
 * built with -DDLC_FAILALLOC=ON, the failing-allocation test build (as
 * Lua's test suite builds its interpreter with an allocator that fails on
 * request): malloc, calloc, realloc, aligned_alloc and strdup become
 * wrappers that count their calls and fail the one dlc_failalloc_set
 * names. free is untouched. cJSON allocates through the same wrappers
 * (the JSON reader's cJSON hooks call malloc); LLVM and protobuf-c do not.
 * Not part of any normal build. */
#ifndef DLC_FAILALLOC_H
#define DLC_FAILALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* The n-th wrapped allocation from now on (1: the next) returns NULL; 0:
 * none. Resets the count. */
void dlc_failalloc_set(long n);
/* Wrapped allocations since the last dlc_failalloc_set. */
long dlc_failalloc_count(void);
/* Whether the chosen allocation has failed. */
bool dlc_failalloc_failed(void);

void *dlc_failalloc_malloc(size_t n);
void *dlc_failalloc_calloc(size_t n, size_t size);
void *dlc_failalloc_realloc(void *p, size_t n);
void *dlc_failalloc_aligned_alloc(size_t align, size_t n);
char *dlc_failalloc_strdup(const char *s);

#ifndef DLC_FAILALLOC_IMPL
#define malloc dlc_failalloc_malloc
#define calloc dlc_failalloc_calloc
#define realloc dlc_failalloc_realloc
#define aligned_alloc dlc_failalloc_aligned_alloc
#define strdup dlc_failalloc_strdup
#endif

#endif /* DLC_FAILALLOC_H */
