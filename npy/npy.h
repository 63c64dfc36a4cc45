/* npy.h — reading and writing numpy's .npy files, the format `dlc run` takes
 * its inputs in and writes its outputs to (users check results with numpy).
 *
 * Supported: format versions 1.0, 2.0 and 3.0; C order (fortran_order False)
 * only; little-endian dtypes '<f4' (float32), '<i8' (int64), '<i4' (int32),
 * '<f2' (float16), '|u1' (uint8), '|i1' (int8) and '|b1' (bool, read as uint8
 * holding 0/1); rank 0 to DLC_MAX_RANK. Everything else is refused with a
 * message saying what was found. A reader never reads past the end of the
 * file or allocates more than the file can hold, whatever the header claims.
 *
 * Problems go to d as "PATH: WHERE: what" (WHERE is "header" or "data"),
 * whatever file d was initialised with. */
#ifndef DLC_NPY_H
#define DLC_NPY_H

#include "ir/ir.h"

/* Reads a whole .npy file. On success *out holds dtype, shape and data;
 * data is malloc'd (non-NULL even for zero elements; free: free()). On
 * failure *out is zeroed (data NULL) and the reason is in d. */
dlc_status dlc_npy_read(const char *path, dlc_tensor *out, dlc_diag *d);

/* Writes t (type and data) as a version 1.0 .npy file (2.0 if the header
 * does not fit in 64 KiB). t->dtype must be one of the supported dtypes;
 * uint8 is written as '|u1'. The file appears whole or not at all: it is
 * written to a temporary beside path and renamed (ir/outfiles.h). */
dlc_status dlc_npy_write(const char *path, const dlc_tensor *t, dlc_diag *d);
/* The same, written to path directly, messages naming `shown`: for callers
 * that commit several files together (a dlc_outfiles set). */
dlc_status dlc_npy_write_as(const char *path, const char *shown,
                            const dlc_tensor *t, dlc_diag *d);

#endif /* DLC_NPY_H */
