#!/bin/sh
# runtime_cross_aarch64.sh BUILD_DIR SOURCE_DIR — the runtime on its own: its
# CMake project (runtime/) is configured with the AArch64 toolchain file and
# nothing but the cross C compiler, the digits model is compiled with
# --target aarch64-linux-gnu, linked with that libdlcrt.a by
# aarch64-linux-gnu-gcc and run under qemu-aarch64; it must classify the
# test digits as PyTorch did (353/360). The serial (DLCRT_THREADS=OFF) build,
# the one for bare metal, must need no pthreads.
set -eu
build=$1
src=$2
work=$(mktemp -d /tmp/dlc-cross-XXXXXX)
trap 'rm -rf "$work"' EXIT
ex=$src/examples/digits
fail() { echo "runtime_cross_aarch64: $*" >&2; exit 1; }

tc=$src/cmake/aarch64-linux-gnu.cmake
cmake -S "$src/runtime" -B "$work/rt" -DCMAKE_TOOLCHAIN_FILE="$tc" \
  -DDLC_WERROR=ON >/dev/null
cmake --build "$work/rt" >/dev/null
lib=$work/rt/libdlcrt.a
aarch64-linux-gnu-readelf -h "$lib" | grep -q "AArch64" ||
  fail "libdlcrt.a is not an AArch64 archive"

"$build/dlc" "$ex/digits.json" -o "$work/digits.o" --target aarch64-linux-gnu
aarch64-linux-gnu-gcc -O2 -static -I"$work" "$ex/main.c" "$work/digits.o" \
  "$lib" -lm -lpthread -o "$work/digits"
out=$(qemu-aarch64 "$work/digits" "$ex/test_images.npy" "$ex/test_labels.npy" 1)
echo "$out" | grep -q "353/360" || fail "digits under qemu-aarch64: $out"

cmake -S "$src/runtime" -B "$work/rt1" -DCMAKE_TOOLCHAIN_FILE="$tc" \
  -DDLCRT_THREADS=OFF -DDLC_WERROR=ON >/dev/null
cmake --build "$work/rt1" >/dev/null
if aarch64-linux-gnu-nm -u "$work/rt1/libdlcrt.a" | grep -q pthread; then
  fail "DLCRT_THREADS=OFF runtime still needs pthreads"
fi
echo "runtime_cross_aarch64: ok"
