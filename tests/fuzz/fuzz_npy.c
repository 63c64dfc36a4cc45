/* fuzz_npy.c — libFuzzer harness for the .npy reader (npy/npy.c)
 * through dlc_npy_read on an unlinked scratch file, then a write and re-read
 * of what it accepts. Seeds: corpus/npy (fixture tensors of every dtype and
 * hand-made headers).
 * The target's body and its checks are in targets.h; scripts/fuzz.sh builds
 * and runs this, docs/fuzzing.md explains. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dlc_fuzz_harness("fuzz_npy", dlc_fuzz_npy, data, size);
}
