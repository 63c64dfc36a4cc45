/* cli_helpers.h — running the built `dlc` (DLC_EXE) from a Criterion test:
 * a temp dir per suite (TestSuite(x, .init = tmp_setup, .fini =
 * tmp_teardown)), paths in it, and dlc spawned with stdout and stderr
 * captured. Header-only (static inline) so that only the tests that run the
 * command include it; shared by test_cli.c and test_hostile.c. */
#ifndef DLC_TEST_CLI_HELPERS_H
#define DLC_TEST_CLI_HELPERS_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

extern char **environ;

/* ------------------------------------------------------------ temp dir */

static char tmp_dir[64];

static inline void tmp_setup(void) {
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/dlc-test-cli-XXXXXX");
  cr_assert_not_null(mkdtemp(tmp_dir), "mkdtemp failed");
}

/* Removes the temp dir and what the tests left in it (one level of
 * subdirectories, as --output-dir makes). */
static inline void remove_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char path[512];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
        sizeof path)
      continue;
    if (remove(path) != 0 && depth > 0)
      remove_tree(path, depth - 1);
  }
  closedir(d);
  rmdir(dir);
}

static inline void tmp_teardown(void) { remove_tree(tmp_dir, 1); }

/* A path in the temp dir (ring of static buffers). */
static inline const char *tmp(const char *name) {
  static char paths[16][256];
  static int next;
  char *p = paths[next++ % 16];
  snprintf(p, 256, "%s/%s", tmp_dir, name);
  return p;
}

/* ------------------------------------------------------- running dlc */

typedef struct cli_result {
  int status; /* exit code, or 128 + signal if it crashed */
  char *out, *err;
} cli_result;

static inline void cli_free(cli_result *r) {
  free(r->out);
  free(r->err);
}

/* The environment for dlc: ours, with sanitizer reports given their own
 * exit status (99) so that a leak on an error path, which would otherwise
 * exit 1, cannot pass for the expected "bad input" status. */
static inline char **child_env(void) {
  static char *env[512];
  static char asan[1024];
  const char *old = getenv("ASAN_OPTIONS");
  snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sexitcode=99", old ? old : "",
           old && *old ? ":" : "");
  int n = 0;
  for (char **e = environ; *e && n < 510; e++)
    if (strncmp(*e, "ASAN_OPTIONS=", 13) != 0)
      env[n++] = *e;
  env[n++] = asan;
  env[n] = NULL;
  return env;
}

/* Runs DLC_EXE with args (NULL-terminated, program name excluded). */
static inline cli_result dlc(const char *const *args) {
  const char *argv[64] = {DLC_EXE};
  int n = 1;
  while (args[n - 1] && n < 63) {
    argv[n] = args[n - 1];
    n++;
  }
  argv[n] = NULL;
  char out_path[256], err_path[256];
  snprintf(out_path, sizeof out_path, "%s/.stdout", tmp_dir);
  snprintf(err_path, sizeof err_path, "%s/.stderr", tmp_dir);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc =
      posix_spawn(&pid, DLC_EXE, &fa, NULL, (char *const *)argv, child_env());
  posix_spawn_file_actions_destroy(&fa);
  cr_assert_eq(rc, 0, "cannot spawn %s", DLC_EXE);
  int ws;
  cr_assert_eq(waitpid(pid, &ws, 0), pid);
  cli_result r;
  r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  r.out = th_read_file(out_path, NULL);
  r.err = th_read_file(err_path, NULL);
  cr_assert(r.out && r.err);
  return r;
}

#define DLC(...) dlc((const char *const[]){__VA_ARGS__, NULL})

static inline void expect_status(const cli_result *r, int want,
                                 const char *what) {
  cr_expect_eq(r->status, want,
               "%s: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", what,
               r->status, want, r->out, r->err);
}

/* Every non-empty line of text starts with "FILE:" (FILE: WHERE: WHAT, or
 * FILE:LINE:COL: for malformed JSON); returns the number of lines. */
static inline int expect_lines_name_file(const char *text, const char *file,
                                         const char *what) {
  size_t flen = strlen(file);
  int lines = 0;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len > 0) {
      lines++;
      cr_expect(len > flen && !strncmp(p, file, flen) && p[flen] == ':',
                "%s: line does not start with '%s:': %.*s", what, file,
                (int)len, p);
    }
    p += len + (nl ? 1 : 0);
  }
  return lines;
}

/* Writes text to a file in the temp dir; returns its path. */
static inline const char *write_text(const char *name, const char *text) {
  const char *p = tmp(name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

#endif
