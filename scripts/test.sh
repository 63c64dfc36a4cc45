#!/bin/sh
# test.sh — sets up, builds and runs the whole test suite: the normal build,
# then the same suite under AddressSanitizer + UBSan. This is the README's
# second quick-start command and what CI runs. Then each libFuzzer harness
# runs for DLC_FUZZ_SECONDS (default 60) on the committed corpus and any
# finding fails the run (scripts/fuzz.sh; DLC_FUZZ_SECONDS=0 skips it).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (release) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLC_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests (release) =="
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build (AddressSanitizer + UBSan) =="
# The sanitizer build also carries the failing allocator (tests/failalloc):
# its walk over every allocation checks the error paths for leaks.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDLC_SANITIZE=ON \
  -DDLC_FAILALLOC=ON >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests (AddressSanitizer + UBSan) =="
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j"$jobs")
fuzz_secs=${DLC_FUZZ_SECONDS:-60}
if [ "$fuzz_secs" -gt 0 ]; then
  echo "== fuzzing: $fuzz_secs s per harness =="
  scripts/fuzz.sh "$fuzz_secs"
fi
echo "== all tests passed ($root) =="
