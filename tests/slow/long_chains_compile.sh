#!/bin/sh
# long_chains_compile.sh BUILD_DIR SOURCE_DIR — issue 10 item 7: 200,000-node
# chains of the fixture ops (scripts/gen_chain.py: MatMul+Sigmoid, Conv+Relu,
# Concat+Slice+Tanh) compile at -O2 and give a non-empty object. Label
# "slow": ctest's TIMEOUT (generous, CMakeLists.txt) is the only clock here;
# the measured times belong to docs/reliability.md, not to a test. A
# quadratic stage comes back as a timeout (the planner alone took more
# than 120 s before it was fixed).
set -eu
build=$1
src=$2
work=$(mktemp -d /tmp/dlc-chain-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "long_chains_compile: $*" >&2; exit 1; }

for kind in matmul conv concat; do
  python3 "$src/scripts/gen_chain.py" 200000 "$work/$kind.json" --kind "$kind"
  "$build/dlc" "$work/$kind.json" -o "$work/$kind.o" -O2 ||
    fail "$kind: dlc exited with status $?"
  [ -s "$work/$kind.o" ] || fail "$kind: no object written"
  rm -f "$work/$kind.o" "$work/$kind.h"
done
