#!/usr/bin/env bash
# crash-safety.sh TRAINER-COMMAND...
# A trainer saving its state after every step (--save-every 1) is killed with SIGKILL at random
# points of a run of N steps (so some kills land mid-save), then resumed, until the run reaches N
# steps. After each kill the state file on disk must be whole (it loads); at the end it must be
# byte-identical to the state of an N-step run that was never killed.
# The kill points are steps (the state's step counter), not times, so the test does the same on
# a fast host, under ASan and under QEMU; a random 0-29 ms delay after the step is reached puts
# the kill anywhere in the next step or its save.
set -euo pipefail
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
state=$tmp/state.bin
steps=100  # kills in each tenth of the first 50, so the last lands well before the end
common=(--synthetic 96 --eval-images 32 --log-every 1000 --threads 2 --save-every 1 --steps "$steps")
# The step a state file holds: u64 at byte 24 of its header (runtime/contract/state_format.h); 0 if none.
state_step() { [[ -e $1 ]] && od -An -t u8 -j 24 -N 8 "$1" | tr -d ' ' || echo 0; }
fail() { echo "FAIL: $*"; exit 1; }
RANDOM=7  # the kill points replay
kills=0
for round in 1 2 3 4 5; do
  target=$(( (round - 1) * 10 + 1 + RANDOM % 9 ))  # steps 1-9, 11-19, ..., 41-49
  resume=()
  [[ -e $state ]] && resume=(--resume)
  "$@" "${common[@]}" --save "$state" "${resume[@]}" > "$tmp/run.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && (( $(state_step "$state") < target )); do sleep 0.01; done
  sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); else cat "$tmp/run.log"; fi
  wait "$pid" 2>/dev/null || true
  pid=
  [[ -e $state ]] || { cat "$tmp/run.log"; fail "round $round: no state file after the kill"; }
  # The state left by the kill loads (--steps 1: nothing more to train, no save).
  if ! "$@" "${common[@]}" --steps 1 --save "$state" --resume > "$tmp/check.log" 2>&1; then
    cat "$tmp/check.log"
    fail "round $round: the state left by the kill does not load"
  fi
  echo "round $round: killed at step $(state_step "$state") (target $target); $(grep -o 'resumed from .*' "$tmp/check.log")"
done
(( kills == 5 )) || fail "only $kills of 5 kills landed before the run ended"
"$@" "${common[@]}" --save "$state" --resume > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "the last resume failed"; }
"$@" "${common[@]}" --save "$tmp/straight.bin" > "$tmp/straight.log" 2>&1 || { cat "$tmp/straight.log"; fail "the uninterrupted run failed"; }
[[ $(state_step "$state") == "$steps" ]] || fail "the resumed run ended at step $(state_step "$state"), not $steps"
cmp "$state" "$tmp/straight.bin" || fail "after 5 kills and resumes the state differs from an uninterrupted $steps-step run"
echo "ok: 5 kills, the state always loaded, and the final state is byte-identical to an uninterrupted $steps-step run ($(stat -c %s "$state") bytes)"
