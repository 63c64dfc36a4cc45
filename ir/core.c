/* core.c — the small shared machinery: internal asserts, the growable
 * vector, the per-graph arena, the diagnostics collector and the version. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

_Noreturn void dlc_assert_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "dlc: internal error: %s:%d: assertion failed: %s\n", file,
          line, what);
  abort();
}

void dlc_vec_grow_(void **items, size_t *cap, size_t item_size, size_t need) {
  if (need <= *cap)
    return;
  size_t ncap = *cap ? *cap * 2 : 8;
  while (ncap < need)
    ncap *= 2;
  void *p = realloc(*items, ncap * item_size);
  DLC_ASSERT(p != NULL);
  *items = p;
  *cap = ncap;
}

/* ------------------------------------------------------------ string set */

uint64_t dlc_hash_string(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

bool dlc_strset_add(dlc_strset *set, const char *s) {
  if ((set->count + 1) * 2 > set->cap) {
    dlc_strset old = *set;
    set->cap = old.cap ? old.cap * 2 : 64;
    set->slots = calloc(set->cap, sizeof *set->slots);
    DLC_ASSERT(set->slots != NULL);
    set->count = 0;
    for (size_t i = 0; i < old.cap; i++)
      if (old.slots[i])
        dlc_strset_add(set, old.slots[i]);
    free(old.slots);
  }
  size_t i = dlc_hash_string(s) & (set->cap - 1);
  for (; set->slots[i]; i = (i + 1) & (set->cap - 1))
    if (strcmp(set->slots[i], s) == 0)
      return false;
  set->slots[i] = s;
  set->count++;
  return true;
}

void dlc_strset_free(dlc_strset *set) {
  free(set->slots);
  set->slots = NULL;
  set->cap = set->count = 0;
}

/* ------------------------------------------------------------------ arena */

/* Blocks are chained; big requests get a block of their own so that a model
 * with large weights does not waste a block's tail. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, size;
  _Alignas(64) unsigned char data[];
} arena_block;

struct dlc_arena {
  arena_block *head;
};

enum { ARENA_BLOCK_SIZE = 64 * 1024, ARENA_ALIGN = 64 };

dlc_arena *dlc_arena_create(void) {
  dlc_arena *a = calloc(1, sizeof *a);
  DLC_ASSERT(a != NULL);
  return a;
}

void dlc_arena_destroy(dlc_arena *a) {
  if (!a)
    return;
  for (arena_block *b = a->head, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  free(a);
}

static arena_block *arena_new_block(size_t size) {
  arena_block *b = aligned_alloc(ARENA_ALIGN,
                                 (sizeof(arena_block) + size + ARENA_ALIGN - 1) /
                                     ARENA_ALIGN * ARENA_ALIGN);
  DLC_ASSERT(b != NULL);
  b->next = NULL;
  b->used = 0;
  b->size = size;
  return b;
}

void *dlc_arena_alloc(dlc_arena *a, size_t size) {
  size_t rounded = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
  DLC_ASSERT(rounded >= size);
  if (rounded == 0)
    rounded = ARENA_ALIGN;
  arena_block *b = a->head;
  if (!b || b->size - b->used < rounded) {
    if (rounded > ARENA_BLOCK_SIZE / 4) {
      /* Dedicated block, linked behind the current one. */
      arena_block *big = arena_new_block(rounded);
      big->used = rounded;
      if (b) {
        big->next = b->next;
        b->next = big;
      } else {
        a->head = big;
      }
      memset(big->data, 0, rounded);
      return big->data;
    }
    b = arena_new_block(ARENA_BLOCK_SIZE);
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += rounded;
  memset(p, 0, rounded);
  return p;
}

char *dlc_arena_strdup(dlc_arena *a, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s);
  char *p = dlc_arena_alloc(a, n + 1);
  memcpy(p, s, n + 1);
  return p;
}

char *dlc_arena_printf(dlc_arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  DLC_ASSERT(n >= 0);
  char *p = dlc_arena_alloc(a, (size_t)n + 1);
  vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

/* ------------------------------------------------------------ diagnostics */

void dlc_diag_init(dlc_diag *d, const char *file) {
  memset(d, 0, sizeof *d);
  d->file = file;
}

void dlc_diag_free(dlc_diag *d) {
  for (size_t i = 0; i < d->messages.n; i++)
    free(d->messages.items[i]);
  dlc_vec_free(&d->messages);
  d->dropped = 0;
}

void dlc_diag_verror(dlc_diag *d, const char *where, const char *fmt,
                     va_list ap) {
  if (!d)
    return;
  if (d->max_messages > 0 && (int)d->messages.n >= d->max_messages) {
    d->dropped++;
    return;
  }
  char what[1024];
  vsnprintf(what, sizeof what, fmt, ap);
  const char *file = d->file ? d->file : "dlc";
  size_t len = strlen(file) + (where ? strlen(where) : 0) + strlen(what) + 8;
  char *line = malloc(len);
  DLC_ASSERT(line != NULL);
  if (where && where[0])
    snprintf(line, len, "%s: %s: %s", file, where, what);
  else
    snprintf(line, len, "%s: %s", file, what);
  dlc_vec_push(&d->messages, line);
}

void dlc_diag_error(dlc_diag *d, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dlc_diag_verror(d, where, fmt, ap);
  va_end(ap);
}

int dlc_diag_count(const dlc_diag *d) {
  return d ? (int)d->messages.n + d->dropped : 0;
}

void dlc_diag_print(const dlc_diag *d, FILE *out) {
  for (size_t i = 0; i < d->messages.n; i++)
    fprintf(out, "%s\n", d->messages.items[i]);
  if (d->dropped)
    fprintf(out, "%s: %d more problems not shown\n",
            d->file ? d->file : "dlc", d->dropped);
}

bool dlc_diag_contains(const dlc_diag *d, const char *needle) {
  for (size_t i = 0; i < d->messages.n; i++)
    if (strstr(d->messages.items[i], needle))
      return true;
  return false;
}

const char *dlc_version(void) { return DLC_VERSION; }
