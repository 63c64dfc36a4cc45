/* model.c — checks a compiled model's descriptor before a generic tool (or
 * an application that loads models at run time) drives it. */
#include "dlcrt.h"

int dlcrt_model_check(const struct dlc_model *m) {
  if (!m)
    return DLCRT_ERR_ARGUMENT;
  if (m->abi_version != DLCRT_ABI_VERSION)
    return DLCRT_ERR_ABI;
  if (!dlcrt_cpu_supports(m->cpu_features))
    return DLCRT_ERR_CPU;
  return DLCRT_OK;
}
