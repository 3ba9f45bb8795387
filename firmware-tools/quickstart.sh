#!/usr/bin/env bash
# The main job, from a fresh Debian bookworm machine (as root): install dependencies, plan the
# Fashion-MNIST CNN, cross-build it for the Raspberry Pi 3, bundle it, and train it under
# qemu-aarch64 (Cortex-A53) on a clean Raspberry Pi OS root with the real Fashion-MNIST data.
#   firmware-tools/quickstart.sh [trainer flags...]  (default: --steps 300 --log-every 25 --eval-images 2000)
# The bundle it trains with is build/pi3/edgetrain-pi3.tar.gz, the same file you scp to a Pi.
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
(( ${#args[@]} )) || args=(--steps 300 --log-every 25 --eval-images 2000)
jobs=$(nproc)
say() { echo "== quickstart: $* (at $SECONDS s)"; }
quiet() {  # run a command, showing its output only if it fails
  local log
  log=$(mktemp)
  "$@" > "$log" 2>&1 || { cat "$log"; rm -f "$log"; return 1; }
  rm -f "$log"
}

say "installing dependencies (Debian packages)"
quiet toolchains/install-deps.sh
say "building the host planner"
quiet cmake --preset host
quiet cmake --build --preset host -j "$jobs" --target plan
say "making the arm64 sysroot from Debian's arm64 packages"
quiet toolchains/make-sysroot.sh build/sysroot-arm64
say "planning and cross-building for the Pi 3 (aarch64, cortex-a53)"
quiet cmake --preset pi3
quiet cmake --build --preset pi3 -j "$jobs" --target bundle
build/host/planner/plan --model fashion_cnn --batch 32 --target pi3 --out build/pi3/quickstart-plan.gen.cc \
  --json build/pi3/quickstart-plan.json
say "training under qemu-aarch64 on a clean Raspberry Pi OS root: ${args[*]}"
firmware-tools/check-bundle.sh --expect "test accuracy" build/pi3/edgetrain-pi3.tar.gz \
  build/sysroot-arm64 "${args[@]}"
say "done; the bundle for the Pi is build/pi3/edgetrain-pi3.tar.gz"
