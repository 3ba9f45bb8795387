#!/usr/bin/env bash
# bit-identity.sh STEPS -- TRAINER-A... -- TRAINER-B...
# Trains the same model with two plans (say store-all and a checkpointed one) for STEPS steps on
# the same synthetic data, saves both states and compares them byte for byte: weights, momentum
# and BatchNorm running statistics must be identical (recomputation is exact; running statistics
# are updated once per step).
set -euo pipefail
steps=$1
shift
[[ $1 == -- ]] || { echo "usage: bit-identity.sh STEPS -- A... -- B..." >&2; exit 2; }
shift
a=() b=()
while [[ $# -gt 0 && $1 != -- ]]; do a+=("$1"); shift; done
shift
b=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # run <state> <trainer...>
  local state=$1
  shift
  "$@" --synthetic 8 --steps "$steps" --log-every 1 --eval-images 2 --save "$state" --threads 2 \
    > "$state.log" 2>&1 || { cat "$state.log"; exit 1; }
  grep -E '^plan |^step ' "$state.log"
}
run "$tmp/a.bin" "${a[@]}"
run "$tmp/b.bin" "${b[@]}"
if cmp "$tmp/a.bin" "$tmp/b.bin"; then
  echo "ok: identical state after $steps steps ($(stat -c %s "$tmp/a.bin") bytes)"
else
  echo "FAIL: the two plans' states differ after $steps steps"
  exit 1
fi
