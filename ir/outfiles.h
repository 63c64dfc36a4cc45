/* outfiles.h — writing a command's output files all-or-nothing. Every
 * output (object, header, JSON and .bin, .npy) is written to a temporary
 * file in its own directory and renamed into place only when all of them
 * are complete, so that a failure, a full disk or a kill never leaves a
 * truncated file, loses the previous good one, or pairs a new object with a
 * stale header. Temporary files are removed on every error path and on
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGABRT (not on SIGKILL: nothing
 * can; the name then starts with '.' and ends in '.dlc-tmp-XXXXXX').
 *
 *   dlc_outfiles o;
 *   dlc_outfiles_init(&o);
 *   const char *t = dlc_outfiles_add(&o, "model.o", 0666, d);
 *   ... write t ... ; then dlc_outfiles_commit(&o, d) or _abort(&o).
 *
 * An existing destination that is not a regular file (/dev/null, a FIFO)
 * is written directly: renaming over it would destroy it. */
#ifndef DLC_IR_OUTFILES_H
#define DLC_IR_OUTFILES_H

#include <sys/types.h>

#include "ir/ir.h"

enum { DLC_OUTFILES_MAX = 64 };

typedef struct dlc_outfiles {
  int n;
  char *final[DLC_OUTFILES_MAX]; /* malloc'd */
  char *tmp[DLC_OUTFILES_MAX];   /* malloc'd; NULL: written directly */
} dlc_outfiles;

void dlc_outfiles_init(dlc_outfiles *o);
/* Adds the output `path` (created with mode & ~umask) and returns the path
 * to write instead (owned by o), or NULL with a diagnostic. */
const char *dlc_outfiles_add(dlc_outfiles *o, const char *path, int mode,
                             dlc_diag *d);
/* Renames every temporary into place, then frees o. On a failure the
 * temporaries not yet renamed are removed. */
bool dlc_outfiles_commit(dlc_outfiles *o, dlc_diag *d);
/* Removes every temporary and frees o. */
void dlc_outfiles_abort(dlc_outfiles *o);

/* Writes n bytes to path (created or truncated), checking every step:
 * false with "cannot write 'SHOWN': REASON" in d (shown: the destination
 * the user named, when path is its temporary). */
bool dlc_write_bytes(const char *path, const char *shown, const void *bytes,
                     size_t n, dlc_diag *d);

/* A temporary file of the process (not an output) that the signal handler
 * must remove too, e.g. the compiled engine's shared object until it is
 * loaded. At most DLC_OUTFILES_MAX at a time; path is copied. */
void dlc_tempfile_track(const char *path);
void dlc_tempfile_untrack(const char *path);
/* The child process writing tracked files, killed before they are removed
 * (one at a time; 0: none). */
void dlc_tempfile_track_child(pid_t pid);

#endif
