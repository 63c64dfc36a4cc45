#!/bin/sh
# run.sh — dlc against ONNX Runtime and PyTorch on the model zoo, side by
# side in one interleaved run (bench/peers/README.md).
#
#   bench/peers/run.sh [BUILD_DIR] [run.py options...]
#
# BUILD_DIR (default: build) gets dlc (configured and built if missing),
# BUILD_DIR/peers/dlc_worker, onnxruntime-node under BUILD_DIR/peers/ort
# (npm install --ignore-scripts: its install script would try a download),
# the exported models under BUILD_DIR/peers/models, and results.json.
# Example: bench/peers/run.sh build --models resnet18 --rounds 5 --threads 1
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
[ $# -gt 0 ] && shift
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
OUT=$BUILD/peers
mkdir -p "$OUT/models" "$OUT/ort"

if [ ! -x "$BUILD/dlc" ] || [ ! -f "$BUILD/libdlc.a" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j2 --target dlc dlcrt
fi

cc -std=c11 -O2 -Wall -Wextra -D_DEFAULT_SOURCE -I"$SRC" \
  "$SRC/bench/peers/dlc_worker.c" "$BUILD/libdlc.a" "$BUILD/libdlc_onnx_pb.a" \
  "$BUILD/libdlcrt.a" -L/usr/lib/llvm-19/lib -lLLVM-19 -lcjson -lprotobuf-c \
  -lopenblas -lm -lpthread -ldl -o "$OUT/dlc_worker"

if [ ! -d "$OUT/ort/node_modules/onnxruntime-node" ]; then
  (cd "$OUT/ort" && npm init -y >/dev/null &&
   npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0)
fi

exec /usr/bin/python3 "$SRC/bench/peers/run.py" --dlc "$BUILD/dlc" \
  --worker "$OUT/dlc_worker" --ort-modules "$OUT/ort/node_modules" \
  --work "$OUT/models" --json "$OUT/results.json" "$@"
