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

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "setup: all packages present"
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
