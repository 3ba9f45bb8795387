#!/usr/bin/env bash
# crash-safety.sh TRAINER-COMMAND...
# Kills a trainer that saves its state after every step with SIGKILL at random moments (so some
# kills land mid-save), five times over, and checks each time that the state file on disk is
# whole: it loads, and training resumes from it.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
state=$tmp/state.bin
common=(--synthetic 96 --eval-images 32 --log-every 1000 --save "$state" --save-every 1)
RANDOM=7  # the kill times replay
for round in 1 2 3 4 5; do
  resume=()
  [[ -e $state ]] && resume=(--resume)
  "$@" "${common[@]}" "${resume[@]}" --steps 1000000 > "$tmp/run.log" 2>&1 &
  pid=$!
  sleep "$((1 + round / 3)).$((RANDOM % 10))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  [[ -e $state ]] || { echo "FAIL: round $round: no state file after the kill"; cat "$tmp/run.log"; exit 1; }
  if ! "$@" "${common[@]}" --resume --steps 1 > "$tmp/check.log" 2>&1; then
    echo "FAIL: round $round: the state left by the kill does not load:"
    cat "$tmp/check.log"
    exit 1
  fi
  echo "round $round: $(grep -o 'resumed from .*' "$tmp/check.log")"
done
echo "ok: 5 kills, the state always loaded"
