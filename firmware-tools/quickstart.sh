#!/usr/bin/env bash
# The main job, from a fresh Debian bookworm machine (as root): install dependencies, plan
# fashion_net (Fashion-MNIST, 3.4 MB of weights) at batch 32 under the optimal policy's
# least-memory plan (it recomputes in backward), cross-build it for the Raspberry Pi 3, bundle
# it, and train it to about 90% test accuracy: the first steps with the host build of the same
# plan, the last ones and the whole 10,000-image test set with the aarch64 bundle under
# qemu-aarch64 (Cortex-A53) on a clean Raspberry Pi OS root. The state file carries the run
# from one to the other (same weights, same schedule).
#   firmware-tools/quickstart.sh [--emulator-steps N]   (default 64 of 2000; 2000: all on the emulator)
# The emulator trains fashion_net at about 20 images/s here (an epoch would be 50 min), the host
# at about 2500; a Pi 3 is a few times faster than the emulator.
# The bundle it trains with is build/pi3/edgetrain-quickstart-pi3.tar.gz, the same file you scp to a Pi.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=2000 emulator_steps=64
while [[ $# -gt 0 ]]; do
  case $1 in
    --emulator-steps) emulator_steps=${2:-}; shift 2 ;;
    *) echo "quickstart.sh: unknown argument '$1' (usage: quickstart.sh [--emulator-steps N])" >&2; exit 2 ;;
  esac
done
[[ $emulator_steps =~ ^[0-9]+$ ]] && (( emulator_steps >= 1 && emulator_steps <= steps )) \
  || { echo "quickstart.sh: --emulator-steps wants a number in [1, $steps], got '$emulator_steps'" >&2; exit 2; }
host_steps=$((steps - emulator_steps))
train=(--steps "$steps" --lr 0.05 --lr-schedule cosine --weight-decay 5e-4)
plan_args=(--model fashion_net --batch 32 --target pi3)
jobs=$(nproc)
say() { echo "== quickstart: $* (at $SECONDS s)"; }
quiet() {  # run a command, showing its output only if it fails
  local log
  log=$(mktemp)
  "$@" > "$log" 2>&1 || { cat "$log"; rm -f "$log"; return 1; }
  rm -f "$log"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'; }
field() { sed -n -E "s/.*$1 ([0-9]+) bytes.*/\\1/p" <<<"$2" | head -1; }

say "installing dependencies (Debian packages)"
quiet toolchains/install-deps.sh
say "building the planner and the host trainer"
quiet cmake --preset host
quiet cmake --build --preset host -j "$jobs" --target plan edgetrain-train-quickstart
say "making the arm64 sysroot from Debian's arm64 packages"
quiet toolchains/make-sysroot.sh build/sysroot-arm64
say "planning and cross-building for the Pi 3 (aarch64, cortex-a53)"
quiet cmake --preset pi3
quiet cmake --build --preset pi3 -j "$jobs" --target edgetrain-quickstart-pi3
bundle=build/pi3/edgetrain-quickstart-pi3.tar.gz

# The memory story: the plan baked into both trainers against storing every activation.
store_all=$(build/host/planner/plan "${plan_args[@]}" --json build/pi3/quickstart-store-all.json 2>&1)
least=$(build/host/planner/plan "${plan_args[@]}" --policy optimal --budget least \
          --json build/pi3/quickstart-plan.json 2>&1)
recomputed=$(grep -o '"name": *"[^"]*~r[0-9]*"' build/pi3/quickstart-plan.json | sed -E 's/.*"([^"~]*)~r[0-9]*"/\1/' \
             | sort -u | paste -sd, - | sed 's/,/, /g')
arena_sa=$(field arena "$store_all") arena=$(field arena "$least") params=$(field params "$least")
predicted=$(sed -n -E 's/.*predicted peak RSS ([0-9]+) bytes.*/\1/p' <<<"$least")
data_bytes=$(sed -n -E 's/.* ([0-9]+) reading the data.*/\1/p' <<<"$least")
say "the plan: fashion_net, batch 32, the optimal policy's least-memory plan"
echo "   activations (arena): $arena B, store-all needs $arena_sa B ($(percent "$arena" "$arena_sa")): recomputes ${recomputed:-nothing} in backward"
echo "   weights, momentum and gradients outside the arena: $params B"
echo "   predicted peak RSS on a Pi 3: $predicted B ($(mib "$predicted")), of which $data_bytes B while reading the data set into memory"

state=$PWD/build/quickstart.state
rm -f "$state"
if (( host_steps > 0 )); then
  say "part 1 ON THE HOST (x86-64 build of the same plan): steps 1-$host_steps of $steps"
  build/host/runtime/edgetrain-train-quickstart "${train[@]}" --stop-after "$host_steps" --log-every 250 \
    --eval-images 2000 --save "$state" | grep -v '^peak RSS'
  resume=(--resume)
else
  resume=()
fi
say "part 2 ON THE EMULATOR (the Pi bundle under qemu-aarch64 -cpu cortex-a53): steps $((host_steps + 1))-$steps, then the 10,000 test images"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The trainer's own "peak RSS" is the emulator process's (qemu's code and translation cache
# included, which a Pi does not have): relabelled, with the guest's own bytes after it.
GUEST_RSS_INTERVAL=0.2 firmware-tools/check-bundle.sh --guest-rss --expect "test accuracy" "$bundle" build/sysroot-arm64 \
  "${train[@]}" --log-every 16 --save "$state" "${resume[@]}" \
  | sed -u -E 's/^peak RSS ([0-9]+) B measured, .*/qemu-aarch64 process VmHWM \1 B (the emulator itself included, not a Pi figure)/' \
  | tee "$log"
guest=$(sed -n -E 's/^guest peak RSS ([0-9]+) B$/\1/p' "$log")
accuracy=$(grep -o 'test accuracy [0-9.]*%' "$log" | tail -1)
say "memory: the program's own peak under the emulator $guest B ($(mib "$guest"), sampled every 0.2 s), predicted for a Pi 3 $predicted B: $(percent "$guest" "$predicted")"
say "done: $accuracy on the emulator after $host_steps steps on the host and $emulator_steps on the emulator; the bundle for a Pi is $bundle"
