#!/usr/bin/env bash
# Data-parallel training on this host, and a model of R Raspberry Pi 3s on 100 Mbit/s Ethernet.
#   bench/runtime/data_parallel.sh [--steps N] [--batch B] [--pi-step-ms MODEL=MS ...]
#                                  [--pi-profile FILE.json ...]
# For MobileNet v1 and ResNet-18 at 224x224 (--data-parallel store-all plans): one rank with 2
# threads at batch B against two ranks with 1 thread each at B/2 (the same global batch, the
# same 2 cores): step time, images/s, the gradient bytes each rank averages per step, the
# allreduce time on the communication thread and the time backward waited for it (the rest was
# hidden); and the two ranks again with --sync-bn (BatchNorm's statistics averaged over the
# ranks inside the step: its reductions and the time they took). Then, from the measured bytes: the ring allreduce's wire bytes per rank,
# 2 (R-1)/R x bytes, and their time on a Pi 3's 100 Mbit/s NIC (12.5 MB/s) for R = 1, 2, 4, 8.
# With --pi-step-ms MODEL=MS (a Pi 3's measured step time at batch B: the sweep, or a device
# profile), also the cluster's images/s if none of that time is hidden (the bound; what is hidden
# behind backward only adds). --pi-profile FILE takes that step time from a device profile
# (firmware-tools/profile.sh --batches B on a Pi: its model's run at batch B). No Pi was
# reachable for this benchmark: without either the Pi rows show the communication alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=4 batch=16
declare -A pi_ms
profiles=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --pi-step-ms) pi_ms[${2%%=*}]=${2#*=}; shift 2 ;;
    --pi-profile) profiles+=("$2"); shift 2 ;;
    *) echo "data_parallel.sh: unknown option '$1' (--steps N, --batch B, --pi-step-ms MODEL=MS, --pi-profile FILE)" >&2; exit 2 ;;
  esac
done
(( batch % 2 == 0 )) || { echo "data_parallel.sh: --batch must be even (two ranks take half each)" >&2; exit 2; }
[[ -x build/host/planner/plan ]] || { echo "data_parallel.sh: build the host preset first" >&2; exit 1; }
if [[ $batch != 16 ]]; then
  echo "data_parallel.sh: the dp-bench trainers hold batches 8 and 16 (bench/runtime/CMakeLists.txt)" >&2; exit 2
fi
for f in "${profiles[@]}"; do  # "MODEL MS": the profile's step time at the benchmark's batch
  read -r m t < <(/usr/bin/python3 - "$f" "$batch" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
runs = [r for r in p['runs'] if r['batch'] == int(sys.argv[2])]
if p.get('format') != 'edgetrain-device-profile' or not runs:
    sys.exit(f"data_parallel.sh: {sys.argv[1]} is no device profile with a run at batch {sys.argv[2]} "
             f"(firmware-tools/profile.sh --batches {sys.argv[2]})")
print(p['model'], runs[0]['step_ms'])
PY
  ) || exit 1
  pi_ms[$m]=$t
done
echo "== building the benchmark trainers (dp-bench)"
cmake --build --preset host --target dp-bench > build/dp-bench.log 2>&1 || { tail -20 build/dp-bench.log; exit 1; }
mpirun=$(command -v mpirun.openmpi || command -v mpirun)
flags=(--oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
[[ $(id -u) == 0 ]] && flags=(--allow-run-as-root "${flags[@]}")

run() {  # run MODEL RANKS THREADS BATCH [FLAG] -> "step_ms img_s bytes allreduce_ms blocked_ms sync_n sync_ms"
  local out
  out=$("$mpirun" "${flags[@]}" -np "$2" "build/host/bench/runtime/dpbench-$1" --synthetic "$((4 * $4 * $2))" \
        --steps $((steps + 1)) --batch "$4" --threads "$3" --log-every 1 --eval-images 1 --check-every 1000 ${5:-} 2>&1) \
    || { echo "FAILED: $out" >&2; echo "- - - - - - -"; return; }
  # The median step over the steady steps (the first sizes XNNPACK's region), the global img/s.
  local img_s
  img_s=$(echo "$out" | awk '/^step/ && ++n > 1 { print $5 }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  local comm
  comm=$(echo "$out" | sed -n 's/^communication: [0-9.]* buckets, \([0-9]*\) bytes.*allreduce \([0-9.]*\) ms\/step, waited for \([0-9.]*\) ms.*/\1 \2 \3/p')
  [[ -n $comm ]] || comm="0 0 0"
  local sync
  sync=$(echo "$out" | sed -n 's/^SyncBatchNorm: \([0-9.]*\) reductions.*step: \([0-9.]*\) ms\/step/\1 \2/p')
  comm="$comm ${sync:-0 0}"
  awk -v i="$img_s" -v b="$(( $4 * $2 ))" -v c="$comm" 'BEGIN { printf "%.0f %.1f %s\n", b / i * 1000, i, c }'
}

echo
echo "| model | ranks x threads | batch per rank | step (ms) | images/s | gradient bytes per step | allreduce (ms/step) | waited (ms/step) | hidden | SyncBatchNorm reductions (ms/step) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A grad_bytes
for model in mobilenet_v1 resnet18; do
  for config in "1 2 $batch" "2 1 $((batch / 2))" "2 1 $((batch / 2)) --sync-bn"; do
    read -r ranks threads b flag <<<"$config"
    read -r ms img bytes reduce blocked sync_n sync_ms <<<"$(run "$model" "$ranks" "$threads" "$b" "$flag")"
    hidden="-" sync="-"
    [[ -n $flag ]] && sync="$sync_n ($sync_ms)"
    if [[ $ranks -gt 1 ]]; then
      grad_bytes[$model]=$bytes
      hidden=$(awk -v r="$reduce" -v w="$blocked" 'BEGIN { h = r > 0 ? 1 - w / r : 1; if (h < 0) h = 0; printf "%.0f%%", 100 * h }')
    fi
    echo "| $model | $ranks x $threads${flag:+ $flag} | $b | $ms | $img | $bytes | $reduce | $blocked | $hidden | $sync |"
  done
done

echo
echo "Model: R Pi 3s, 100 Mbit/s Ethernet (12.5 MB/s), ring allreduce: each rank sends 2 (R-1)/R x the gradient bytes."
echo
echo "| model | R | wire bytes per rank per step | communication (ms/step) | Pi step (ms) | images/s, nothing hidden |"
echo "|---|---:|---:|---:|---:|---:|"
for model in mobilenet_v1 resnet18; do
  for r in 1 2 4 8; do
    awk -v m="$model" -v r="$r" -v g="${grad_bytes[$model]:-0}" -v t="${pi_ms[$model]:-}" -v b="$batch" 'BEGIN {
      wire = 2 * (r - 1) / r * g; ms = wire / 12.5e6 * 1000
      step = t == "" ? "not measured" : t; ips = t == "" ? "-" : sprintf("%.1f", r * b / ((t + ms) / 1000))
      printf "| %s | %d | %.0f | %.0f | %s | %s |\n", m, r, wire, ms, step, ips }'
  done
done
