#!/usr/bin/env bash
# One training step of MobileNet v1 (224x224, batch 8 and 32) and ResNet-18 (batch 32 and 64):
# ours store-all, ours optimal (peak-RSS budgets in CMakeLists.txt), PyTorch 1.13 without and with
# checkpoint_sequential, side by side in one run, same thread count. Each configuration runs in
# its own process so its peak RSS (VmHWM) is its own.
#   bench/runtime/run.sh [--threads N] [--steps N] [--only MODEL:BATCH]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc) steps=3 only=
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "run.sh: unknown option '$1' (--threads N, --steps N, --only MODEL:BATCH)" >&2; exit 2 ;;
  esac
done
[[ -x build/host/planner/plan ]] || { echo "run.sh: build the host preset first (cmake --preset host && cmake --build --preset host)" >&2; exit 1; }
echo "== building the benchmark trainers"
cmake --build --preset host --target runtime-bench > build/runtime-bench.log 2>&1 || { tail -20 build/runtime-bench.log; exit 1; }

ours() {  # ours MODEL BATCH POLICY -> "step_ms peak_rss_mib arena_mib"
  local bin=build/host/bench/runtime/bench-$1-b$2-$3 out
  out=$("$bin" --synthetic "$2" --steps $((steps + 1)) --log-every 1 --eval-images 1 --threads "$threads" 2>&1) \
    || { echo "FAILED: $out" >&2; echo "- - -"; return; }
  # Median over the steady steps (the first one sizes XNNPACK's region); peak RSS and arena.
  local ms rss arena
  ms=$(echo "$out" | awk -v b="$2" '/^step/ && ++n > 1 { printf "%.0f\n", b / $5 * 1000 }' | sort -n \
       | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  rss=$(echo "$out" | awk '/^step/ { r = $12 } END { printf "%.0f", r }')
  arena=$(echo "$out" | awk '/^step/ { a = $8 } END { printf "%.0f", a / 1048576 }')
  echo "$ms $rss $arena"
}

printf '\n%-14s %5s | %-26s | %-26s | %-24s | %-24s\n' model batch "ours store-all ms/MiB" "ours optimal ms/MiB(arena)" \
  "torch ms/MiB" "torch ckpt(4) ms/MiB"
for config in mobilenet_v1:8 mobilenet_v1:32 resnet18:32 resnet18:64; do
  [[ -n $only && $only != "$config" ]] && continue
  model=${config%%:*} batch=${config##*:}
  read -r sa_ms sa_rss _ <<<"$(ours "$model" "$batch" store-all)"
  read -r op_ms op_rss op_arena <<<"$(ours "$model" "$batch" optimal)"
  t=$(/usr/bin/python3 bench/runtime/torch_step.py "$model" "$batch" "$threads" --steps "$steps")
  c=$(/usr/bin/python3 bench/runtime/torch_step.py "$model" "$batch" "$threads" --steps "$steps" --segments 4)
  field() { grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2; }
  printf '%-14s %5s | %9s ms %9s MiB  | %7s ms %7s MiB (%5s) | %8s ms %8s MiB | %8s ms %8s MiB\n' \
    "$model" "$batch" "$sa_ms" "$sa_rss" "$op_ms" "$op_rss" "$op_arena" \
    "$(field step_ms "$t")" "$(field peak_rss_mib "$t")" "$(field step_ms "$c")" "$(field peak_rss_mib "$c")"
done
