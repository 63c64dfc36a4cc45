/* test_failalloc.c — every allocation libdlc makes while loading and
 * compiling a small model is made to fail, one at a time, as Lua's test
 * suite does with its failing allocator (built only with -DDLC_FAILALLOC=ON,
 * tests/failalloc/failalloc.h; scripts/test.sh's sanitizer build). For
 * N = 1, 2, ... a forked child compiles with the N-th allocation failing;
 * the walk ends at the first N the compilation never reaches. Each run must
 * end in one of:
 *   - success (the failure was absorbed),
 *   - a status with at least one diagnostic that says memory ran out, and
 *     under AddressSanitizer no leak (LeakSanitizer is run before the
 *     child exits),
 *   - DLC_ASSERT's abort, "assertion failed" (the allocations docs/design.md
 *     lists as aborting: tiny or fixed-size ones, the arena, vectors),
 * never a crash, a sanitizer report, or a status without a message. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "driver/driver.h"
#include "frontend/frontend.h"

#define DLC_FAILALLOC_IMPL /* the functions, not the macros */
#include "tests/failalloc/failalloc.h"

enum { EXIT_DONE = 0, EXIT_ABSORBED = 10, EXIT_REFUSED = 11,
       EXIT_SILENT = 12, MAX_WALK = 50000 };

/* Child: load + -O2 passes + schedule + codegen of model into out with
 * the n-th allocation failing; never returns. _exit, not exit: the test
 * runner's atexit handlers belong to the parent. */
static _Noreturn void compile_failing(const char *model, const char *out,
                                      long n) {
  dlc_driver_options o;
  dlc_driver_options_init(&o);
  o.codegen.output_path = out;
  dlc_diag d;
  dlc_diag_init(&d, model);
  dlc_failalloc_set(n);
  dlc_status st = dlc_driver_compile_file(model, &o, &d);
  bool failed = dlc_failalloc_failed();
  dlc_failalloc_set(0);
  int messages = dlc_diag_count(&d);
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
#if defined(__SANITIZE_ADDRESS__)
  __lsan_do_leak_check(); /* exits with LeakSanitizer's status on a leak */
#endif
  _exit(st == DLC_OK ? (failed ? EXIT_ABSORBED : EXIT_DONE)
        : messages > 0 ? EXIT_REFUSED : EXIT_SILENT);
}

typedef struct walk {
  long absorbed, refused, asserted;
} walk;

/* Reads fd to its end into buf (cut at size - 1). */
static void read_all(int fd, char *buf, size_t size) {
  size_t n = 0;
  ssize_t got;
  while ((got = read(fd, buf + n, size - 1 - n)) > 0 && n + (size_t)got <
         size - 1)
    n += (size_t)got;
  if (got > 0)
    n += (size_t)got;
  buf[n] = 0;
  char sink[4096];
  while (read(fd, sink, sizeof sink) > 0)
    ;
}

/* Runs the child for n; returns its exit code, or -1 after reporting a
 * run that did not end cleanly. */
static int run_one(const char *model, const char *out, long n, walk *w) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    compile_failing(model, out, n);
  }
  close(fds[1]);
  static char err[8192];
  read_all(fds[0], err, sizeof err);
  close(fds[0]);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  bool sanitizer = strstr(err, "Sanitizer") || strstr(err, "runtime error");
  if (WIFEXITED(status) && !sanitizer) {
    int code = WEXITSTATUS(status);
    w->absorbed += code == EXIT_ABSORBED;
    w->refused += code == EXIT_REFUSED;
    /* The model is valid: a refusal can only be about the memory (a failed
     * cJSON allocation once read as "malformed JSON"). */
    if (code == EXIT_REFUSED && !strstr(err, "memory") &&
        !strstr(err, "allocate"))
      cr_expect_fail("%s: allocation %ld failing: a refusal that does not "
                     "say why:\n%s", model, n, err);
    if (code == EXIT_DONE || code == EXIT_ABSORBED || code == EXIT_REFUSED)
      return code;
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && !sanitizer &&
      strstr(err, "assertion failed")) {
    w->asserted++;
    return SIGABRT;
  }
  cr_expect_fail("%s: allocation %ld failing: %s %d\n%s", model, n,
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                 err);
  return -1;
}

static void walk_model(const char *model) {
  char out[256];
  snprintf(out, sizeof out, "%s/failalloc-%d.o", DLC_BINARY_DIR, (int)getpid());
  walk w = {0};
  long n = 1;
  for (; n < MAX_WALK; n++)
    if (run_one(model, out, n, &w) == EXIT_DONE)
      break;
  unlink(out);
  cr_log_info("%s: %ld allocations: %ld failures absorbed, %ld refused with "
              "a message, %ld ended in DLC_ASSERT", model, n - 1, w.absorbed,
              w.refused, w.asserted);
  cr_expect_lt(n, MAX_WALK, "%s: the walk did not end", model);
  cr_expect_gt(n, 100, "%s: only %ld allocations: is the wrapper in?", model,
               n - 1);
  /* The model-sized allocations fail cleanly (docs/design.md): some runs
   * must be refusals, not aborts. */
  cr_expect_gt(w.refused, 0, "%s: no allocation failure was refused "
               "cleanly", model);
}

Test(failalloc, json_model_fails_cleanly_at_every_allocation,
     .timeout = 3000) {
  walk_model(DLC_SOURCE_DIR "/tests/fixtures/net_conv_bn_relu/model.json");
}

Test(failalloc, onnx_model_fails_cleanly_at_every_allocation,
     .timeout = 3000) {
  walk_model(DLC_SOURCE_DIR "/tests/onnx/convbn_op13.onnx");
}
