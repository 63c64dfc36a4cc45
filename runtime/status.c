/* status.c — the messages of the DLCRT_ status codes that generated run
 * functions and the runtime return. */
#include "dlcrt.h"

const char *dlcrt_status_message(int status) {
  switch (status) {
  case DLCRT_OK:
    return "ok";
  case DLCRT_ERR_ARGUMENT:
    return "a NULL input, output or workspace pointer";
  case DLCRT_ERR_CPU:
    return "this CPU lacks instruction-set features the model was compiled "
           "for (recompile with --cpu for this machine)";
  case DLCRT_ERR_BATCH:
    return "batch size out of range (n >= 1 for a symbolic batch, "
           "n == 1 for a model compiled with fixed shapes)";
  case DLCRT_ERR_ALIGN:
    return "workspace not aligned as the model requires";
  case DLCRT_ERR_NOMEM:
    return "out of memory";
  case DLCRT_ERR_ABI:
    return "model descriptor of an unknown ABI version";
  case DLCRT_ERR_THREADS:
    return "the thread pool could not start";
  default:
    return "unknown status";
  }
}
