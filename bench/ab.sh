#!/bin/sh
# ab.sh — two dlc builds side by side: `dlc bench --engine compiled` of each
# model with the old and the new dlc, interleaved (old, new, new, old, ...)
# for ROUNDS rounds, then the median over rounds of each build's per-run
# median, and new/old. For "no change in speed" claims of a restructuring;
# run on a quiet machine (uptime below 0.3 on 2 cores).
#
#   bench/ab.sh OLD_DLC NEW_DLC MODEL_DIR ROUNDS REPEAT model...
#   bench/ab.sh /work/base/build/dlc build/dlc build/tests/zoo/models 5 30 \
#       resnet18 mobilenet_v2 transformer_encoder
set -eu
old=$1 new=$2 dir=$3 rounds=$4 repeat=$5
shift 5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
run() { # build model -> per-run median in ms
  "$1" bench "$dir/$2_op13.onnx" --engine compiled --repeat "$repeat" --json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["median_ms"])'
}
echo "load before: $(uptime)"
for r in $(seq "$rounds"); do
  for m in "$@"; do
    if [ $((r % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
    for b in $order; do
      if [ "$b" = old ]; then bin=$old; else bin=$new; fi
      run "$bin" "$m" >> "$out/$m.$b"
    done
  done
done
echo "load after: $(uptime)"
printf '| model | old ms | new ms | new/old |\n|---|---:|---:|---:|\n'
for m in "$@"; do
  o=$(median < "$out/$m.old") n=$(median < "$out/$m.new")
  printf '| %s | %.3f | %.3f | %.3f |\n' "$m" "$o" "$n" \
    "$(echo "$n $o" | awk '{print $1/$2}')"
done
