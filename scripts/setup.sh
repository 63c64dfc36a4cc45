#!/bin/sh
# setup.sh — installs the Debian 12 packages dlc needs to build, test and
# benchmark. Safe to run any number of times: it installs only what is
# missing. As root it uses apt-get; otherwise it lists what to install.
set -eu

PACKAGES="build-essential cmake pkg-config llvm-19-dev clang-19 libclang-rt-19-dev
libcjson-dev libopenblas-dev libcriterion-dev
protobuf-c-compiler libprotobuf-c-dev libonnx-dev
python3-torch python3-torchvision python3-onnx python3-sklearn python3-numpy
gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user graphviz"

# The probes: what the tests really do with each tool, on a one-line program.
# A package list can be complete and a tool still unusable (the AArch64
# compiler without libc6-dev-arm64-cross, since Recommends are not installed).
probe() {
  dir=$(mktemp -d)
  bad=""
  printf '#include <stdio.h>\nint main(void) { return puts("ok") < 0; }\n' \
    >"$dir/probe.c"
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return (int)(d == NULL && n); }\n' \
    >"$dir/fuzz.c"
  cc -std=c11 -o "$dir/host" "$dir/probe.c" >"$dir/log" 2>&1 &&
    "$dir/host" >/dev/null || bad="$bad cc"
  # tests/test_codegen_abi.c links AArch64 programs statically and runs them
  # under qemu.
  if aarch64-linux-gnu-gcc -std=c11 -static -o "$dir/arm" "$dir/probe.c" \
    >"$dir/log" 2>&1; then
    qemu-aarch64 "$dir/arm" >/dev/null 2>&1 || bad="$bad qemu-aarch64"
  else
    bad="$bad aarch64-linux-gnu-gcc ($(grep -m 1 error "$dir/log"))"
  fi
  # scripts/fuzz.sh: libFuzzer with the sanitizers.
  clang-19 -fsanitize=fuzzer,address,undefined -o "$dir/fz" "$dir/fuzz.c" \
    >"$dir/log" 2>&1 || bad="$bad clang-19 -fsanitize=fuzzer"
  # The zoo tests and fixture scripts run the system Python, not PATH's.
  /usr/bin/python3 -c 'import torch, torchvision, onnx, sklearn, numpy' \
    >"$dir/log" 2>&1 || bad="$bad python3 ($(tail -n 1 "$dir/log"))"
  rm -rf "$dir"
  if [ -n "$bad" ]; then
    echo "setup: packages present, but these probes failed:$bad" >&2
    exit 1
  fi
}

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  probe
  echo "setup: all packages present, tools probed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages:$missing" >&2
  echo "setup: run as root, or: sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
probe
echo "setup: installed; tools probed"
