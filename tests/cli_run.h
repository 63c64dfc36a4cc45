/* cli_run.h — helpers for tests that run the `dlc` executable (cli_run.c). */
#ifndef DLC_TESTS_CLI_RUN_H
#define DLC_TESTS_CLI_RUN_H

/* The suite's temp dir, made by tmp_setup (a .init) and removed with what
 * the tests left in it (one level of subdirectories) by tmp_teardown. */
extern char tmp_dir[64];
void tmp_setup(void);
void tmp_teardown(void);
/* A path in the temp dir (ring of 16 static buffers). */
const char *tmp(const char *name);

typedef struct cli_result {
  int status; /* exit code, or 128 + signal if it crashed */
  char *out, *err;
} cli_result;

/* Runs DLC_EXE with args (NULL-terminated, program name excluded), stdout
 * and stderr captured. Free: cli_free. */
cli_result dlc(const char *const *args);
#define DLC(...) dlc((const char *const[]){__VA_ARGS__, NULL})
void cli_free(cli_result *r);
/* Expects exit status want; the message shows both streams. */
void expect_status(const cli_result *r, int want, const char *what);

#endif
