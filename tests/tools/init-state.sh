#!/usr/bin/env bash
# init-state.sh TRAINER-COMMAND...
# --init-state takes a state file's weights (and BatchNorm statistics) only: from a state saved
# at step 5, --steps 4 trains 4 steps from step 0 (it used to resume at step 5 and train none),
# the output says what it loaded and not that it resumed, and the new state is saved at step 4.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--synthetic 64 --eval-images 32 --log-every 1 --threads 2)
fail() { echo "FAIL: $*"; cat "$tmp/run.log"; exit 1; }
"$@" "${common[@]}" --steps 5 --save "$tmp/s5.state" > "$tmp/run.log" 2>&1 || fail "the first run failed"
"$@" "${common[@]}" --steps 4 --init-state "$tmp/s5.state" --save "$tmp/s4.state" > "$tmp/run.log" 2>&1 \
  || fail "the --init-state run failed"
grep -q "^initial weights and BatchNorm statistics from $tmp/s5.state (step 0, momentum zero)$" "$tmp/run.log" \
  || fail "no line saying what --init-state loaded"
! grep -q 'resumed' "$tmp/run.log" || fail "--init-state claims to resume"
[[ $(grep -cE '^step +[1-4]/4 ' "$tmp/run.log") == 4 ]] || fail "want 4 step lines (steps 1-4 of 4)"
# The saved position: u64 step at byte 24 of the header (runtime/contract/state_format.h).
step=$(od -An -t u8 -j 24 -N 8 "$tmp/s4.state" | tr -d ' ')
[[ $step == 4 ]] || fail "the state saved after --steps 4 is at step $step"
echo "ok: --init-state from a step-5 state trained steps 1-4 and saved step 4"
