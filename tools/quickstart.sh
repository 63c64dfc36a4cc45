#!/bin/sh
# quickstart.sh — the README's first command: sets up, builds dlc, and runs
# the bundled example model (a small CNN on scikit-learn's 8x8 digits) on its
# 360 test images, printing the test accuracy.
set -eu
cd "$(dirname "$0")/.."

tools/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

out=build/examples/digits
mkdir -p "$out"
echo "== dlc run examples/digits/digits.json (reference interpreter) =="
build/dlc run examples/digits/digits.json \
  --input examples/digits/test_images.npy --output "$out/logits.npy"
build/digits_accuracy "$out/logits.npy" examples/digits/test_labels.npy
