#!/usr/bin/env bash
# bench/planner/torchvision.sh [PLAN] [BATCH] [SIZE]
# torchvision's classification CNNs at full size, exported as a user would
# (tests/onnx/export_torchvision.py --full SIZE: eval and training exports at opset 13, random
# weights, 10 classes), planned by PLAN (default build/host/planner/plan) at BATCH (32) and
# SIZE x SIZE (224): whether each export imports, and the training step's memory (arena + weights
# + optimizer state) of the store-all plan against the optimal policy's least-memory plan, with
# the recomputation that costs (extra forward time, FLOP model). The models: FULL in
# export_torchvision.py. An export torch.onnx itself cannot write, or one we refuse, says why.
# Needs Debian's python3-torch and python3-torchvision (toolchains/install-deps.sh --goldens).
# Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
plan=${1:-build/host/planner/plan}
batch=${2:-32}
size=${3:-224}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
[[ -x $plan ]] || { echo "torchvision.sh: no planner at $plan (cmake --build --preset host)" >&2; exit 1; }
echo "exporting torchvision models at ${size}x${size} into $dir ..." >&2
/usr/bin/python3 tests/onnx/export_torchvision.py "$dir" --full "$size" 2>/dev/null | sed 's/^/  /' >&2

total() {  # total <plan output> -> "MiB" of the plan line
  sed -n 's/.*total \([0-9.]*\) MiB.*/\1/p' <<<"$1" | head -1
}
forward() {
  sed -n 's/.*, +\([0-9.]*\)% forward time.*/\1/p' <<<"$1" | head -1
}
echo "| model | eval export | training export | store-all (MiB) | least memory (MiB) | saved | extra forward |"
echo "|---|---|---|---:|---:|---:|---:|"
models=$(cd tests/onnx && /usr/bin/python3 -c 'import export_torchvision as e; print(*e.FULL)')
for model in $models; do
  status=()
  for mode in eval train; do
    file=$dir/$model-$mode-13.onnx
    if [[ -f $file.failed ]]; then
      status+=("torch.onnx.export fails: $(cat "$file.failed")")
    elif out=$("$plan" --onnx "$file" --batch 1 --out "$dir/probe.gen.cc" 2>&1); then
      status+=("imports")
    else
      status+=("refused: $(grep -o "node '.*" <<<"$out" | head -1)")
    fi
  done
  row="| $model | ${status[0]} | ${status[1]} |"
  if [[ ${status[1]} == imports ]]; then
    all=$("$plan" --onnx "$dir/$model-train-13.onnx" --batch "$batch" --policy store-all --out "$dir/a.gen.cc" 2>&1)
    least=$("$plan" --onnx "$dir/$model-train-13.onnx" --batch "$batch" --policy optimal --budget least \
            --out "$dir/b.gen.cc" 2>&1)
    a=$(total "$all") b=$(total "$least")
    row+=" $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }') | +$(forward "$least")% |"
  else
    row+=" | | | |"
  fi
  echo "$row"
done
