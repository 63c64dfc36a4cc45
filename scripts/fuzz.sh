#!/bin/sh
# fuzz.sh — builds dlc's libFuzzer harnesses (tests/fuzz/fuzz_*.c) with
# clang-19, ASan and UBSan in build-fuzz/, and runs each one in turn for
# SECONDS (default 60) on its seed corpus. Exits non-zero if any harness
# found a crash, a leak, undefined behaviour, a timeout or a broken reader
# contract; the input that did it is saved under build-fuzz/crashes/<reader>/.
# See docs/fuzzing.md.
#
#   scripts/fuzz.sh            every harness, 60 s each
#   scripts/fuzz.sh 30         every harness, 30 s each
#   scripts/fuzz.sh 600 json   only fuzz_json, 10 minutes
#
# Environment: DLC_FUZZ_BUILD overrides the build directory.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

secs=${1:-60}
case $secs in
'' | *[!0-9]*)
  echo "usage: scripts/fuzz.sh [SECONDS] [json|npy|onnx|pipeline ...]" >&2
  exit 2
  ;;
esac
[ $# -gt 0 ] && shift
readers=${*:-"json npy onnx pipeline"}

scripts/setup.sh
build=${DLC_FUZZ_BUILD:-$root/build-fuzz}

echo "== build (clang-19, libFuzzer, ASan + UBSan) in $build =="
# -O1 -g: what libFuzzer's documentation recommends, several times faster
# than -O0 while keeping stack traces readable.
CC=clang-19 CXX=clang++-19 cmake -S . -B "$build" -DDLC_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" >/dev/null
targets=""
for r in $readers; do
  if [ ! -f "tests/fuzz/fuzz_$r.c" ]; then
    echo "fuzz.sh: no harness tests/fuzz/fuzz_$r.c" >&2
    exit 2
  fi
  targets="$targets fuzz_$r"
done
# shellcheck disable=SC2086
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target $targets

# UBSan's checks are recoverable in this build: halt_on_error makes each
# finding a crash that libFuzzer saves.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"

# The .npy target writes each input to a file: keep that in memory.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi

failed=""
for r in $readers; do
  # Models are larger than tensors: room for a small network or an
  # initializer, but not so much that mutations are wasted on bulk.
  # ONNX gets 64 KiB: deeply nested subgraphs (30 KB for 3,000 levels)
  # must fit.
  case $r in
  npy) max_len=4096 ;;
  onnx) max_len=65536 ;;
  *) max_len=16384 ;;
  esac
  # The pipeline harness reads JSON models: the JSON seeds and dictionary.
  seeds=$r
  [ "$r" = pipeline ] && seeds=json
  dict=""
  [ -f "tests/fuzz/$seeds.dict" ] && dict="-dict=tests/fuzz/$seeds.dict"
  # New inputs go to the working corpus in the build dir; the committed
  # seeds (tests/fuzz/corpus/<reader>) are only read.
  work="$build/corpus/$r"
  crashes="$build/crashes/$r"
  mkdir -p "$work" "$crashes"
  echo "== fuzz_$r: $secs s (max_len $max_len) =="
  # shellcheck disable=SC2086
  if ! "$build/fuzz_$r" -max_total_time="$secs" -max_len="$max_len" \
    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" $dict "$work" "tests/fuzz/corpus/$seeds"; then
    failed="$failed $r"
  fi
done

if [ -n "$failed" ]; then
  echo "== fuzzing found problems in:$failed ==" >&2
  for r in $failed; do
    find "$build/crashes/$r" -type f >&2
  done
  echo "reproduce: $build/fuzz_READER FILE; minimise: add -minimize_crash=1" \
    "-runs=100000; keep it in tests/fuzz/crashers/READER/" >&2
  exit 1
fi
echo "== fuzzing found nothing ($secs s per harness: $readers) =="
