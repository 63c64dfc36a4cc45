#!/bin/sh
# install_find_package.sh BUILD_DIR SOURCE_DIR — the install as a user meets
# it: `cmake --install` into a temporary prefix must give bin/dlc,
# lib/libdlcrt.a, include/dlcrt.h, the CMake package and dlcrt.pc; then
# examples/digits is built against that prefix alone, once with
# find_package(dlc) + dlc_add_model and once with pkg-config and a plain cc
# line, and both programs must classify the test digits as PyTorch did
# (353/360 correct: the oracle is the labels, not dlc's own output).
set -eu
build=$1
src=$2
work=$(mktemp -d /tmp/dlc-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
ex=$src/examples/digits
fail() { echo "install_find_package: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/p" >/dev/null
for f in bin/dlc lib/libdlcrt.a include/dlcrt.h lib/cmake/dlc/dlcConfig.cmake \
         lib/cmake/dlc/dlc_add_model.cmake lib/pkgconfig/dlcrt.pc; do
  [ -f "$work/p/$f" ] || fail "cmake --install did not write $f"
done
"$work/p/bin/dlc" --version | grep -q "^dlc $(head -n1 "$src/VERSION")\$" ||
  fail "installed dlc --version is not $(head -n1 "$src/VERSION")"

# find_package(dlc) + dlc_add_model, nothing from the build tree
cmake -S "$ex" -B "$work/app" -DCMAKE_PREFIX_PATH="$work/p" >/dev/null
cmake --build "$work/app" >/dev/null
[ -f "$work/app/dlc/digits/digits.h" ] || fail "dlc_add_model wrote no digits.h"
out=$("$work/app/digits" "$ex/test_images.npy" "$ex/test_labels.npy" 1)
echo "$out" | grep -q "353/360" || fail "CMake-built digits: $out"

# the pkg-config file
export PKG_CONFIG_PATH="$work/p/lib/pkgconfig"
mkdir "$work/pc"
"$work/p/bin/dlc" "$ex/digits.json" -o "$work/pc/digits.o"
# shellcheck disable=SC2046
cc -O2 -I"$work/pc" "$ex/main.c" "$work/pc/digits.o" \
  $(pkg-config --cflags --libs dlcrt) -o "$work/pc/digits"
out=$("$work/pc/digits" "$ex/test_images.npy" "$ex/test_labels.npy" 1)
echo "$out" | grep -q "353/360" || fail "pkg-config-built digits: $out"
echo "install_find_package: ok"
