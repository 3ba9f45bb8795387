#!/usr/bin/env bash
# The largest MobileNet v1 and ResNet-18 (224x224) batches whose plans fit in a Pi 3's free RAM,
# found by the planner and then run on this host under that memory limit.
#   bench/runtime/fit-ram.sh [--ram BYTES] [--models mobilenet_v1,resnet18] [--from N] [--step N]
# For each model and batch (from --from, up by --step) it asks the planner for the least-memory
# optimal plan (--budget least) and its predicted peak RSS (arena + params block + what the process needs around
# them, planner/off_arena.h); the largest batch predicted to fit in RAM (default 900000000 bytes)
# is baked into a trainer, with a store-all trainer of the same batch beside it. Both run two
# steps on synthetic 224x224 images inside a memory cgroup limited to RAM (cgroup v1 or v2;
# needs root), or under `prlimit --as` where no cgroup can be made (address space: stricter).
# The optimal one must finish; the store-all one should be killed by the limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ram=900000000 models=mobilenet_v1,resnet18 from=64 step=4
while [[ $# -gt 0 ]]; do
  case $1 in
    --ram|--models|--from|--step) [[ $# -ge 2 ]] || { echo "fit-ram.sh: $1 needs a value" >&2; exit 2; }
      v=$2; k=${1#--}; printf -v "$k" '%s' "$v"; shift 2 ;;
    *) echo "fit-ram.sh: unknown option '$1' (--ram BYTES, --models A,B, --from N, --step N)" >&2; exit 2 ;;
  esac
done
[[ $ram =~ ^[0-9]+$ && $from =~ ^[0-9]+$ && $step =~ ^[1-9][0-9]*$ ]] \
  || { echo "fit-ram.sh: --ram, --from and --step want plain integers (bytes, batches)" >&2; exit 2; }
plan=build/host/planner/plan
[[ -x $plan ]] || { echo "fit-ram.sh: build the host preset first (cmake --preset host && cmake --build --preset host)" >&2; exit 1; }

# least MODEL BATCH -> "bytes predicted_peak" of the least-memory optimal plan ("- -" if none)
least() {
  local msg arena params peak
  msg=$("$plan" --model "$1" --batch "$2" --policy optimal --budget least --target host --out /dev/null 2>&1 || true)
  arena=$(sed -n 's/.*: arena \([0-9]*\) bytes.*/\1/p' <<<"$msg" | head -1)
  params=$(sed -n 's/.*, params \([0-9]*\) bytes.*/\1/p' <<<"$msg" | head -1)
  peak=$(sed -n 's/.*predicted peak RSS \([0-9]*\) bytes.*/\1/p' <<<"$msg" | head -1)
  [[ -n $arena && -n $params && -n $peak ]] || { echo "- -"; return; }
  echo "$((arena + params)) $peak"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

configs=()
IFS=, read -ra model_list <<<"$models"
for model in "${model_list[@]}"; do
  best=
  for (( b = from; ; b += step )); do
    read -r budget peak <<<"$(least "$model" "$b")"
    [[ $budget != - && -n $peak ]] || { echo "fit-ram.sh: the planner gave no plan for $model batch $b" >&2; exit 1; }
    printf '%-13s batch %4d: least-memory plan %s MiB, predicted peak RSS %s MiB (%s)\n' "$model" "$b" \
      "$(mib "$budget")" "$(mib "$peak")" "$( (( peak <= ram )) && echo fits || echo "does not fit")"
    (( peak <= ram )) || break
    best=$b
  done
  [[ -n $best ]] || { echo "fit-ram.sh: $model does not fit at batch $from; try a smaller --from" >&2; exit 1; }
  configs+=("$model:$best:least")
  echo "$model: largest batch predicted to fit in $ram bytes: $best"
done

echo "== building the trainers (build/host, EDGETRAIN_FIT_CONFIGS=$(IFS=';'; echo "${configs[*]}"))"
cmake --preset host "-DEDGETRAIN_FIT_CONFIGS=$(IFS=';'; echo "${configs[*]}")" > build/fit-ram.log 2>&1 \
  && cmake --build --preset host --target fit-ram >> build/fit-ram.log 2>&1 || { tail -20 build/fit-ram.log; exit 1; }

# A memory cgroup limited to $ram holding only the run (v2 unified or v1 memory controller).
cg=
for root in /sys/fs/cgroup /sys/fs/cgroup/memory; do
  if [[ -w $root && ( -e $root/cgroup.subtree_control || -e $root/memory.limit_in_bytes ) ]]; then
    dir=$root/edgetrain-fit-$$
    if mkdir "$dir" 2>/dev/null; then
      if [[ -e $dir/memory.max ]]; then echo "$ram" > "$dir/memory.max"; echo 0 > "$dir/memory.swap.max" 2>/dev/null || true
      elif [[ -e $dir/memory.limit_in_bytes ]]; then echo "$ram" > "$dir/memory.limit_in_bytes"
        echo "$ram" > "$dir/memory.memsw.limit_in_bytes" 2>/dev/null || true
      else rmdir "$dir"; continue; fi
      cg=$dir; break
    fi
  fi
done
trap '[[ -n $cg ]] && rmdir "$cg" 2>/dev/null || true' EXIT
if [[ -n $cg ]]; then echo "== limit: memory cgroup $cg at $ram bytes"; else echo "== limit: no writable memory cgroup; prlimit --as=$ram (address space)"; fi

limited() {  # limited COMMAND...: runs COMMAND under the limit
  if [[ -n $cg ]]; then bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$cg" "$@"
  else prlimit --as="$ram" -- "$@"; fi
}

printf '\n%-13s %5s  %-10s  %-20s  %-14s  %s\n' model batch plan "arena+params MiB" "predicted MiB" "result"
for config in "${configs[@]}"; do
  IFS=: read -r model batch budget <<<"$config"
  for policy in optimal store-all; do
    bin=build/host/bench/runtime/fit-$model-b$batch-$policy
    status=0
    out=$(limited "$bin" --synthetic "$batch" --steps 2 --log-every 1 --eval-images 1 2>&1) || status=$?
    # The plan's own numbers (the trainer's output is lost when the limit kills it).
    read -r bytes predicted < <(/usr/bin/python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["plans"][0]
print(p["arena_bytes"] + p["params_bytes"], p.get("predicted_peak_bytes", 0))' "$bin.gen.json" 2>/dev/null \
      || echo "- -")
    if (( status == 0 )); then
      result="ran 2 steps, $(grep -o 'peak RSS [0-9.]* MiB' <<<"$out" | tail -1 || true) (VmHWM)"
    elif (( status == 137 )); then
      result="killed by the memory limit (SIGKILL)"
    else
      result="failed (exit $status): $(grep -v '^\s*$' <<<"$out" | tail -1 | cut -c1-60 || true)"
    fi
    printf '%-13s %5d  %-10s  %-20s  %-14s  %s\n' "$model" "$batch" "$policy" \
      "$([[ $bytes != - ]] && mib "$bytes" || echo -)" "$([[ $predicted != - ]] && mib "$predicted" || echo -)" "$result"
  done
done
