/* test_fuzz_regressions.c — replays every fuzzing input kept in the tree
 * through the fuzz targets (tests/fuzz/targets.h, the same code the libFuzzer
 * harnesses run), in the normal and the ASan builds:
 *
 *   tests/fuzz/corpus/<reader>/     the seeds, valid and invalid models
 *   tests/fuzz/crashers/<reader>/   inputs that once crashed a reader or
 *                                   broke its contract, kept once fixed
 *
 * Each input must load cleanly or be refused with a diagnostic; a crash or a
 * sanitizer report fails the test process. The file being replayed is
 * printed to stderr first, so a crash names its input. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/targets.h"
#include "helpers.h"

#define FUZZ_DIR DLC_SOURCE_DIR "/tests/fuzz"

typedef struct fuzz_reader {
  const char *name; /* the subdirectory of corpus/ and crashers/ */
  dlc_fuzz_target target;
} fuzz_reader;

static const fuzz_reader READERS[] = {
    {"json", dlc_fuzz_json},
    {"npy", dlc_fuzz_npy},
    {"onnx", dlc_fuzz_onnx},
    {"pipeline", dlc_fuzz_pipeline}, /* seeds: corpus/json */
};
#define N_READERS (sizeof READERS / sizeof READERS[0])

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir in name order (malloc'd; *n set). A missing
 * directory is empty: git keeps no empty crashers/<reader>/. */
static char **list_files(const char *dir, size_t *n) {
  *n = 0;
  DIR *dp = opendir(dir);
  if (!dp)
    return NULL;
  char **names = NULL;
  size_t cap = 0;
  for (struct dirent *e; (e = readdir(dp));) {
    if (e->d_name[0] == '.')
      continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 64;
      names = realloc(names, cap * sizeof *names);
      cr_assert_not_null(names);
    }
    names[(*n)++] = strdup(e->d_name);
  }
  closedir(dp);
  if (*n)
    qsort(names, *n, sizeof *names, cmp_names);
  return names;
}

/* Replays every file of dir through target; returns how many there were. */
static size_t replay_dir(const char *dir, dlc_fuzz_target target) {
  size_t n, loaded = 0;
  char **names = list_files(dir, &n);
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    fprintf(stderr, "replaying %s\n", path);
    size_t size = 0;
    char *bytes = th_read_file(path, &size);
    cr_assert_not_null(bytes, "cannot read %s", path);
    char why[DLC_FUZZ_WHY] = "";
    dlc_fuzz_outcome out = target((const uint8_t *)bytes, size, why);
    cr_expect_neq(out, DLC_FUZZ_BROKEN, "%s: the reader broke its contract: %s",
                  path, why);
    loaded += out == DLC_FUZZ_LOADED;
    free(bytes);
    free(names[i]);
  }
  free(names);
  if (n)
    cr_log_info("%s: %zu inputs, %zu loaded, the rest refused", dir, n, loaded);
  return n;
}

static size_t replay(const char *kind, const fuzz_reader *r) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/%s/%s", FUZZ_DIR, kind, r->name);
  return replay_dir(dir, r->target);
}

Test(fuzz_regressions, corpus_json_loads_or_is_refused_with_a_diagnostic) {
  size_t n = replay("corpus", &READERS[0]);
  cr_expect_gt(n, 10, "tests/fuzz/corpus/json: seed corpus missing");
}

Test(fuzz_regressions, corpus_npy_loads_or_is_refused_with_a_diagnostic) {
  size_t n = replay("corpus", &READERS[1]);
  cr_expect_gt(n, 10, "tests/fuzz/corpus/npy: seed corpus missing");
}

Test(fuzz_regressions, corpus_onnx_loads_or_is_refused_with_a_diagnostic) {
  size_t n = replay("corpus", &READERS[2]);
  cr_expect_gt(n, 10, "tests/fuzz/corpus/onnx: seed corpus missing");
}

/* One test per reader, so a crash names the reader it is about. */
/* The front half (read, infer, -O2 passes) on every JSON seed. */
Test(fuzz_regressions, corpus_json_survives_the_passes) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/corpus/json", FUZZ_DIR);
  cr_expect_gt(replay_dir(dir, dlc_fuzz_pipeline), 10);
}

Test(fuzz_regressions, crashers_pipeline_no_longer_crash) {
  replay("crashers", &READERS[3]);
}

Test(fuzz_regressions, crashers_json_no_longer_crash) {
  replay("crashers", &READERS[0]);
}

Test(fuzz_regressions, crashers_npy_no_longer_crash) {
  replay("crashers", &READERS[1]);
}

Test(fuzz_regressions, crashers_onnx_no_longer_crash) {
  replay("crashers", &READERS[2]);
}

/* A crasher filed under a name no target reads would never be replayed. */
Test(fuzz_regressions, every_crasher_dir_names_a_reader) {
  size_t n;
  char **names = list_files(FUZZ_DIR "/crashers", &n);
  for (size_t i = 0; i < n; i++) {
    bool known = false;
    for (size_t j = 0; j < N_READERS; j++)
      known = known || strcmp(names[i], READERS[j].name) == 0;
    cr_expect(known,
              "tests/fuzz/crashers/%s: not a reader's directory (json, npy, "
              "onnx): its inputs are never replayed",
              names[i]);
    free(names[i]);
  }
  free(names);
}
