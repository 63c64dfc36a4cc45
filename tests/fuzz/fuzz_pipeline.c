/* fuzz_pipeline.c — libFuzzer harness for the front half of the compiler:
 * a JSON model read, verified, shape-inferred and run through every -O2
 * pass with the verifier after each (no code generation: far too slow per
 * input). Seeds: corpus/json. The structure-aware JSON mutator of
 * fuzz_json.c is not shared: byte mutations plus json.dict reach the passes
 * through the seed networks.
 * The target's body and its checks are in targets.h; scripts/fuzz.sh builds
 * and runs this, docs/fuzzing.md explains. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return dlc_fuzz_harness("fuzz_pipeline", dlc_fuzz_pipeline, data, size);
}
