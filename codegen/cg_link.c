/* cg_link.c — turns the emitted object into a shared object by running the
 * system C compiler driver (`cc -shared`), so that `dlc run --engine
 * compiled` and the tests can dlopen a model. The driver's own messages are
 * captured and reported through the diagnostics, never printed. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen/cg.h"
#include "ir/outfiles.h"

/* Reads all of fd into buf (truncated to size-1), NUL-terminated. */
static void slurp(int fd, char *buf, size_t size) {
  size_t n = 0;
  char scratch[256];
  for (;;) {
    ssize_t r = read(fd, n + 1 < size ? buf + n : scratch,
                     n + 1 < size ? size - 1 - n : sizeof scratch);
    if (r <= 0)
      break;
    if (n + 1 < size)
      n += (size_t)r;
  }
  buf[n] = '\0';
}

bool cg_link_shared(const char *linker, const char *obj, const char *out,
                    const char *runtime_lib, bool need_libm, dlc_diag *d) {
  const char *cc = linker ? linker : "cc";
  const char *argv[12];
  int a = 0;
  argv[a++] = cc;
  argv[a++] = "-shared";
  argv[a++] = "-o";
  argv[a++] = out;
  argv[a++] = obj;
  if (runtime_lib)
    argv[a++] = runtime_lib;
  if (need_libm)
    argv[a++] = "-lm";
  argv[a++] = "-lpthread";
  argv[a] = NULL;
  int fds[2];
  if (pipe(fds) != 0) {
    dlc_diag_error(d, "", "cannot run '%s': no pipe", cc);
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execvp(cc, (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  dlc_tempfile_track_child(pid > 0 ? pid : 0); /* killed with us */
  char msg[1024];
  slurp(fds[0], msg, sizeof msg);
  close(fds[0]);
  int status = 0;
  bool reaped = pid > 0 && waitpid(pid, &status, 0) == pid;
  dlc_tempfile_track_child(0);
  if (!reaped || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char *nl = strchr(msg, '\n');
    if (nl)
      *nl = '\0';
    dlc_diag_error(d, "", "linking '%s' with '%s -shared' failed%s%s", out,
                   cc, *msg ? ": " : "", msg);
    return false;
  }
  return true;
}
