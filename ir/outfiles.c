/* outfiles.c — all-or-nothing output files (see outfiles.h): temporaries
 * beside each destination, renamed into place together, removed on error
 * and on fatal signals. */
#include "ir/outfiles.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------- removal on fatal signals */

/* Slots the handler reads: a path is complete before its flag is set, and
 * the flag is cleared before the path is reused, so a handler running at
 * any point unlinks only whole paths (unlink is async-signal-safe). */
enum { N_TRACKED = DLC_OUTFILES_MAX + 8 };
static char tracked_path[N_TRACKED][PATH_MAX];
static volatile sig_atomic_t tracked_used[N_TRACKED];
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT};

/* A child writing a tracked file (the linker): killed and reaped first, so
 * that it cannot create the file again after it was removed. */
static volatile pid_t tracked_child;

static void on_fatal_signal(int sig) {
  pid_t child = tracked_child;
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
  }
  for (int i = 0; i < N_TRACKED; i++)
    if (tracked_used[i])
      unlink(tracked_path[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Only where nobody else handles the signal: an application's (or a
 * sanitizer's) handler is left alone. */
static void install_handlers(void) {
  static bool done;
  if (done)
    return;
  done = true;
  for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++) {
    struct sigaction old;
    if (sigaction(fatal_signals[i], NULL, &old) != 0 ||
        old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
      continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(fatal_signals[i], &sa, NULL);
  }
}

void dlc_tempfile_track(const char *path) {
  install_handlers();
  size_t n = strlen(path);
  for (int i = 0; i < N_TRACKED && n < PATH_MAX; i++)
    if (!tracked_used[i]) {
      memcpy(tracked_path[i], path, n + 1);
      tracked_used[i] = 1;
      return;
    }
}

void dlc_tempfile_track_child(pid_t pid) {
  install_handlers();
  tracked_child = pid;
}

void dlc_tempfile_untrack(const char *path) {
  for (int i = 0; i < N_TRACKED; i++)
    if (tracked_used[i] && strcmp(tracked_path[i], path) == 0) {
      tracked_used[i] = 0;
      return;
    }
}

/* ------------------------------------------------------------- outputs */

void dlc_outfiles_init(dlc_outfiles *o) { memset(o, 0, sizeof *o); }

/* DIR/.BASE.dlc-tmp-XXXXXX, created 0600 and then given mode & ~umask
 * (what a plain fopen of the destination would have given). */
static char *make_temp(const char *path, int mode, int *err) {
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  size_t n = strlen(path) + 32;
  char *t = malloc(n);
  if (!t) {
    *err = ENOMEM;
    return NULL;
  }
  snprintf(t, n, "%.*s.%s.dlc-tmp-XXXXXX", (int)dir_len, path,
           slash ? slash + 1 : path);
  int fd = mkstemp(t);
  if (fd < 0) {
    *err = errno;
    free(t);
    return NULL;
  }
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, (mode_t)mode & ~mask);
  close(fd);
  return t;
}

const char *dlc_outfiles_add(dlc_outfiles *o, const char *path, int mode,
                             dlc_diag *d) {
  DLC_ASSERT(o->n < DLC_OUTFILES_MAX);
  /* A symbolic link is written through, as fopen would: the temporary goes
   * beside its target, which the rename replaces. A link realpath cannot
   * follow (/proc/self/fd/N of an unlinked file) is written directly. */
  struct stat st;
  char real[PATH_MAX];
  bool link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
  bool resolved = link && realpath(path, real);
  bool direct =
      (link && !resolved) || (stat(path, &st) == 0 && !S_ISREG(st.st_mode));
  char *final = strdup(resolved ? real : path), *tmp = NULL;
  int err = ENOMEM;
  if (final && !direct)
    tmp = make_temp(final, mode, &err);
  if (!final || (!direct && !tmp)) {
    dlc_diag_error(d, "", "cannot write '%s': %s", path, strerror(err));
    free(final);
    return NULL;
  }
  if (tmp)
    dlc_tempfile_track(tmp);
  o->final[o->n] = final;
  o->tmp[o->n] = tmp;
  o->n++;
  return tmp ? tmp : final;
}

static void release(dlc_outfiles *o, int from) {
  for (int i = 0; i < o->n; i++) {
    if (o->tmp[i] && i >= from) {
      unlink(o->tmp[i]);
      dlc_tempfile_untrack(o->tmp[i]);
    }
    free(o->tmp[i]);
    free(o->final[i]);
  }
  dlc_outfiles_init(o);
}

bool dlc_outfiles_commit(dlc_outfiles *o, dlc_diag *d) {
  for (int i = 0; i < o->n; i++) {
    if (!o->tmp[i])
      continue;
    if (rename(o->tmp[i], o->final[i]) != 0) {
      dlc_diag_error(d, "", "cannot write '%s': %s", o->final[i],
                     strerror(errno));
      release(o, i);
      return false;
    }
    dlc_tempfile_untrack(o->tmp[i]);
  }
  release(o, o->n);
  return true;
}

void dlc_outfiles_abort(dlc_outfiles *o) { release(o, 0); }

bool dlc_write_bytes(const char *path, const char *shown, const void *bytes,
                     size_t n, dlc_diag *d) {
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(bytes, 1, n, f) == n;
  int err = errno;
  if (f && fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok)
    dlc_diag_error(d, "", "cannot write '%s': %s", shown,
                   strerror(err ? err : EIO));
  return ok;
}
