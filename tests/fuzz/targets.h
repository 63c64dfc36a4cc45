/* targets.h — the bodies of dlc's fuzz targets, one per reader of untrusted
 * files (JSON models, .npy tensors, ONNX models), shared by the libFuzzer
 * harnesses (tests/fuzz/fuzz_*.c) and the Criterion regression test that
 * replays the corpus and every kept crasher (tests/test_fuzz_regressions.c).
 *
 * It is a header of static inline functions, not a .c file, because the
 * build makes each tests/fuzz/fuzz_*.c an executable of its own, linked with
 * libdlc only.
 *
 * Each target loads one input and checks the reader's contract (frontend.h,
 * npy.h, onnx.h): either the load fails, the output is NULL (or zeroed) and
 * the diagnostics say why, or it succeeds with no diagnostics and a result
 * that holds up (the graph verifies and prints; the tensor's bytes are all
 * readable and survive a write and a re-read). A broken contract is reported
 * as DLC_FUZZ_BROKEN with the reason in why[]; crashes and sanitizer findings
 * are left to the sanitizers. */
#ifndef DLC_FUZZ_TARGETS_H
#define DLC_FUZZ_TARGETS_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "npy/npy.h"
#include "frontend/onnx.h"
#include "ir/ir.h"
#include "passes/passes.h"

typedef enum dlc_fuzz_outcome {
  DLC_FUZZ_REJECTED, /* refused with a diagnostic: fine */
  DLC_FUZZ_LOADED,   /* loaded cleanly: fine */
  DLC_FUZZ_BROKEN,   /* the reader broke its contract: a bug (see why) */
} dlc_fuzz_outcome;

enum { DLC_FUZZ_WHY = 512 };

/* Sets why[] and returns DLC_FUZZ_BROKEN. */
static inline dlc_fuzz_outcome dlc_fuzz_broken(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline dlc_fuzz_outcome dlc_fuzz_broken(char *why, const char *fmt,
                                               ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, DLC_FUZZ_WHY, fmt, ap);
  va_end(ap);
  return DLC_FUZZ_BROKEN;
}

/* The first message of d, for why[]. */
static inline const char *dlc_fuzz_first(const dlc_diag *d) {
  if (d->messages.n)
    return d->messages.items[0];
  return d->dropped ? "(message dropped)" : "(no message)";
}

/* ------------------------------------------------------- the sandbox dir */

/* Inputs may name files beside the model (JSON buffers, ONNX external data).
 * Resolving them against a directory holding two small files lets the
 * fuzzer reach the code that opens, checks and slices them, without ever
 * reading anything of the host's: the readers refuse absolute uris and "..".
 * The files are those the committed test models name.
 *
 * The directory, $TMPDIR/dlc-fuzz-sandbox-UID (or under /tmp), is shared
 * and left in place: fuzzers end by crashing or by _Exit, so nothing
 * per-process would be cleaned up. Each process rewrites the two files
 * atomically (write a temporary, rename), so concurrent fuzzers and tests
 * never see them half written. */
static char dlc_fuzz_dir[512];

static inline void dlc_fuzz_die(const char *what, const char *path) {
  fprintf(stderr, "fuzz: cannot %s %s\n", what, path);
  abort();
}

static inline void dlc_fuzz_put_file(const char *name, const void *data,
                                     size_t n) {
  char tmp[600], path[600];
  snprintf(tmp, sizeof tmp, "%s/.%s-XXXXXX", dlc_fuzz_dir, name);
  snprintf(path, sizeof path, "%s/%s", dlc_fuzz_dir, name);
  int fd = mkstemp(tmp);
  if (fd < 0)
    dlc_fuzz_die("create", tmp);
  if (write(fd, data, n) != (ssize_t)n || close(fd) != 0 ||
      rename(tmp, path) != 0)
    dlc_fuzz_die("write", path);
}

static inline const char *dlc_fuzz_base_dir(void) {
  if (dlc_fuzz_dir[0])
    return dlc_fuzz_dir;
  const char *tmp = getenv("TMPDIR");
  snprintf(dlc_fuzz_dir, sizeof dlc_fuzz_dir, "%s/dlc-fuzz-sandbox-%u",
           tmp && tmp[0] ? tmp : "/tmp", (unsigned)getuid());
  if (mkdir(dlc_fuzz_dir, 0700) != 0 && errno != EEXIST)
    dlc_fuzz_die("create", dlc_fuzz_dir);
  unsigned char bytes[256];
  for (int i = 0; i < 256; i++)
    bytes[i] = (unsigned char)i;
  dlc_fuzz_put_file("sixteen.bin", bytes, 16); /* tests/bad_models: 0..15 */
  dlc_fuzz_put_file("external.data", bytes, sizeof bytes); /* tests/onnx */
  return dlc_fuzz_dir;
}

/* An anonymous file (created and unlinked at once, so it never outlives the
 * process) and a path that opens it: dlc_npy_read and dlc_npy_write take
 * paths. Linux's /proc/self/fd reopens the file itself, not a copy. */
typedef struct dlc_fuzz_file {
  int fd;
  char path[64];
} dlc_fuzz_file;

static inline dlc_fuzz_file *dlc_fuzz_scratch(int which) {
  static dlc_fuzz_file files[2] = {{-1, ""}, {-1, ""}};
  dlc_fuzz_file *f = &files[which];
  if (f->fd >= 0)
    return f;
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s/scratch-XXXXXX", dlc_fuzz_base_dir());
  f->fd = mkstemp(tmp);
  if (f->fd < 0)
    dlc_fuzz_die("create", tmp);
  unlink(tmp);
  snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
  return f;
}

/* Replaces the scratch file's contents with data. */
static inline const char *dlc_fuzz_scratch_put(int which, const void *data,
                                               size_t n) {
  dlc_fuzz_file *f = dlc_fuzz_scratch(which);
  if (ftruncate(f->fd, 0) != 0 ||
      (n && pwrite(f->fd, data, n, 0) != (ssize_t)n))
    dlc_fuzz_die("write", f->path);
  return f->path;
}

/* ------------------------------------------------------- graph readers */

/* Where a loaded graph is printed: the printer must walk every node and
 * value of whatever the reader accepted, but the text is not wanted. */
static inline FILE *dlc_fuzz_sink(void) {
  static FILE *sink;
  if (!sink)
    sink = fopen("/dev/null", "w");
  if (!sink) {
    fprintf(stderr, "fuzz: cannot open /dev/null\n");
    abort();
  }
  return sink;
}

/* The contract shared by the JSON and ONNX readers, checked after a load. */
static inline dlc_fuzz_outcome dlc_fuzz_check_graph(dlc_status st, dlc_graph *g,
                                                    dlc_diag *d, char *why) {
  if (st != DLC_OK) {
    if (g)
      return dlc_fuzz_broken(why, "status %d but the graph is not NULL", st);
    if (dlc_diag_count(d) == 0)
      return dlc_fuzz_broken(why, "status %d without a diagnostic", st);
    return DLC_FUZZ_REJECTED;
  }
  if (!g)
    return dlc_fuzz_broken(why, "status OK but no graph");
  if (dlc_diag_count(d) != 0)
    return dlc_fuzz_broken(why, "status OK with %d diagnostic(s), first: %s",
                           dlc_diag_count(d), dlc_fuzz_first(d));
  dlc_diag v;
  dlc_diag_init(&v, "<fuzz>");
  dlc_status vs = dlc_graph_verify(g, &v);
  dlc_fuzz_outcome out = DLC_FUZZ_LOADED;
  if (vs != DLC_OK)
    out = dlc_fuzz_broken(why, "loaded graph fails to verify: %s",
                          dlc_fuzz_first(&v));
  dlc_diag_free(&v);
  if (out == DLC_FUZZ_LOADED)
    dlc_graph_print(g, dlc_fuzz_sink());
  dlc_graph_destroy(g);
  return out;
}

/* A JSON model, through dlc_json_read_string as `dlc` reads it (the file
 * reader only adds reading the file). */
static inline dlc_fuzz_outcome dlc_fuzz_json(const uint8_t *data, size_t size,
                                             char *why) {
  dlc_diag d;
  dlc_diag_init(&d, "fuzz.json");
  dlc_graph *g = NULL;
  dlc_status st = dlc_json_read_string((const char *)data, size,
                                       dlc_fuzz_base_dir(), &g, &d);
  dlc_fuzz_outcome out = dlc_fuzz_check_graph(st, g, &d, why);
  dlc_diag_free(&d);
  return out;
}

/* An ONNX model, through dlc_onnx_read_bytes (dlc_onnx_read_file reads the
 * file and calls it with the file's directory). */
static inline dlc_fuzz_outcome dlc_fuzz_onnx(const uint8_t *data, size_t size,
                                             char *why) {
  dlc_diag d;
  dlc_diag_init(&d, "fuzz.onnx");
  dlc_graph *g = NULL;
  dlc_status st = dlc_onnx_read_bytes(data, size, dlc_fuzz_base_dir(), &g, &d);
  dlc_fuzz_outcome out = dlc_fuzz_check_graph(st, g, &d, why);
  dlc_diag_free(&d);
  return out;
}

/* The front half of the compiler on a JSON model: read, verify, infer
 * (the reader does both), then every -O2 pass with the verifier after each;
 * no codegen. The passes either keep the graph valid or refuse with a
 * diagnostic: a verifier failure after a pass, or a refusal without a
 * message, breaks the contract. */
static inline dlc_fuzz_outcome dlc_fuzz_pipeline(const uint8_t *data,
                                                 size_t size, char *why) {
  dlc_diag d;
  dlc_diag_init(&d, "fuzz.json");
  dlc_graph *g = NULL;
  dlc_status st = dlc_json_read_string((const char *)data, size,
                                       dlc_fuzz_base_dir(), &g, &d);
  dlc_fuzz_outcome out = st == DLC_OK ? DLC_FUZZ_LOADED : DLC_FUZZ_REJECTED;
  if (st == DLC_OK) {
    dlc_pass_options o = {.opt_level = 2, .verify_each = true};
    st = dlc_passes_run(g, &o, &d);
    if (st != DLC_OK && dlc_diag_count(&d) == 0)
      out = dlc_fuzz_broken(why, "the passes failed (%d) without a message",
                            st);
    else if (st != DLC_OK && dlc_diag_contains(&d, "after pass"))
      out = dlc_fuzz_broken(why, "a pass broke the graph: %s",
                            dlc_fuzz_first(&d));
    else if (st == DLC_OK)
      dlc_graph_print(g, dlc_fuzz_sink());
  }
  dlc_graph_destroy(g);
  dlc_diag_free(&d);
  return out;
}

/* ---------------------------------------------------------------- .npy */

static inline bool dlc_fuzz_tensor_zeroed(const dlc_tensor *t) {
  if (t->dtype != DLC_DT_UNDEFINED || t->rank != 0 || t->data)
    return false;
  for (int i = 0; i < DLC_MAX_RANK; i++)
    if (t->dims[i])
      return false;
  return true;
}

/* What dlc_npy_read promises of a tensor it returns. */
static inline dlc_fuzz_outcome
dlc_fuzz_check_tensor(const dlc_tensor *t, size_t file_size, char *why) {
  if (!t->data)
    return dlc_fuzz_broken(why, "status OK but data is NULL");
  if (dlc_dtype_size(t->dtype) == 0)
    return dlc_fuzz_broken(why, "status OK with dtype %d", (int)t->dtype);
  if (t->rank < 0 || t->rank > DLC_MAX_RANK)
    return dlc_fuzz_broken(why, "status OK with rank %d", t->rank);
  int64_t numel = dlc_tensor_numel(t);
  if (numel < 0)
    return dlc_fuzz_broken(why, "status OK with an invalid shape");
  size_t nbytes = dlc_tensor_nbytes(t);
  if (nbytes > file_size)
    return dlc_fuzz_broken(why, "%zu data bytes from a %zu-byte file", nbytes,
                           file_size);
  /* Reading every byte lets ASan check the buffer is as large as claimed. */
  volatile unsigned sum = 0;
  for (size_t i = 0; i < nbytes; i++)
    sum += ((const unsigned char *)t->data)[i];
  (void)sum;
  return DLC_FUZZ_LOADED;
}

/* Writes t back and reads it again: dtype, shape and bytes must survive. */
static inline dlc_fuzz_outcome dlc_fuzz_npy_round_trip(const dlc_tensor *t,
                                                       char *why) {
  dlc_diag d;
  dlc_diag_init(&d, "fuzz.npy");
  dlc_tensor back = {0};
  dlc_fuzz_outcome out = DLC_FUZZ_LOADED;
  const char *path = dlc_fuzz_scratch(1)->path;
  if (dlc_npy_write(path, t, &d) != DLC_OK)
    out = dlc_fuzz_broken(why, "cannot write back what was read: %s",
                          dlc_fuzz_first(&d));
  else if (dlc_npy_read(path, &back, &d) != DLC_OK)
    out = dlc_fuzz_broken(why, "cannot re-read what was written: %s",
                          dlc_fuzz_first(&d));
  else if (back.dtype != t->dtype || back.rank != t->rank ||
           memcmp(back.dims, t->dims, sizeof(int64_t) * (size_t)t->rank) ||
           memcmp(back.data, t->data, dlc_tensor_nbytes(t)))
    out = dlc_fuzz_broken(why, "write then read changed the tensor");
  free(back.data);
  dlc_diag_free(&d);
  return out;
}

/* A .npy file, through dlc_npy_read (it takes a path, so the input goes to
 * the scratch file first). */
static inline dlc_fuzz_outcome dlc_fuzz_npy(const uint8_t *data, size_t size,
                                            char *why) {
  const char *path = dlc_fuzz_scratch_put(0, data, size);
  dlc_diag d;
  dlc_diag_init(&d, "fuzz.npy");
  dlc_tensor t;
  memset(&t, 0xa5, sizeof t); /* the reader must zero it on failure */
  dlc_status st = dlc_npy_read(path, &t, &d);
  dlc_fuzz_outcome out;
  if (st != DLC_OK) {
    if (!dlc_fuzz_tensor_zeroed(&t))
      out = dlc_fuzz_broken(why, "status %d but the tensor is not zeroed", st);
    else if (dlc_diag_count(&d) == 0)
      out = dlc_fuzz_broken(why, "status %d without a diagnostic", st);
    else
      out = DLC_FUZZ_REJECTED;
  } else if (dlc_diag_count(&d) != 0) {
    out = dlc_fuzz_broken(why, "status OK with a diagnostic: %s",
                          dlc_fuzz_first(&d));
  } else {
    out = dlc_fuzz_check_tensor(&t, size, why);
    if (out == DLC_FUZZ_LOADED)
      out = dlc_fuzz_npy_round_trip(&t, why);
  }
  if (st == DLC_OK)
    free(t.data);
  dlc_diag_free(&d);
  return out;
}

/* ------------------------------------------------------------ harnesses */

typedef dlc_fuzz_outcome (*dlc_fuzz_target)(const uint8_t *data, size_t size,
                                            char *why);

/* The body of every LLVMFuzzerTestOneInput: a broken contract aborts, which
 * libFuzzer records as a crash and saves the input. */
static inline int dlc_fuzz_harness(const char *name, dlc_fuzz_target target,
                                   const uint8_t *data, size_t size) {
  char why[DLC_FUZZ_WHY];
  if (target(data, size, why) == DLC_FUZZ_BROKEN) {
    fprintf(stderr, "%s: contract broken: %s\n", name, why);
    abort();
  }
  return 0;
}

#endif /* DLC_FUZZ_TARGETS_H */
