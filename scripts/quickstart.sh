#!/bin/sh
# quickstart.sh — the README's first command: sets up, builds dlc, compiles
# the bundled example model (a small CNN on scikit-learn's 8x8 digits) to
# native code, builds the example application with a plain cc line, runs it
# on the 360 test images (accuracy and time), checks the result against the
# reference interpreter, and prints the compiled vs interpreter speed.
# DLC_BUILD_DIR chooses the build directory (default: build).
set -eu
cd "$(dirname "$0")/.."

scripts/setup.sh
build=${DLC_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
  --target dlc dlcrt digits_accuracy

ex=examples/digits
out=$build/examples/digits
mkdir -p "$out"
echo "== dlc $ex/digits.json -o $out/digits.o --cpu native =="
"$build/dlc" $ex/digits.json -o "$out/digits.o" --cpu native
echo "== cc $ex/main.c $out/digits.o $build/libdlcrt.a =="
cc -O2 -I"$out" $ex/main.c "$out/digits.o" "$build/libdlcrt.a" -lm -lpthread \
  -o "$out/digits"
"$out/digits" $ex/test_images.npy $ex/test_labels.npy

echo "== dlc run (reference interpreter), same accuracy =="
"$build/dlc" run $ex/digits.json --input $ex/test_images.npy \
  --output "$out/logits.npy" >/dev/null
"$build/digits_accuracy" "$out/logits.npy" $ex/test_labels.npy

echo "== dlc run --engine compiled --check =="
"$build/dlc" run $ex/digits.json --engine compiled --check \
  --input $ex/test_images.npy --output "$out/logits_compiled.npy"

echo "== dlc bench: compiled vs interpreter, batch 360 =="
"$build/dlc" bench $ex/digits.json --batch 360 --repeat 10 --engine compiled,interp,blas
