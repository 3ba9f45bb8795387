#!/usr/bin/env bash
# stop-after.sh TRAINER-COMMAND...
# --stop-after N ends a run at step N of --steps, saved; --resume then finishes it. The state at
# the end must be byte-identical to the uninterrupted run's (the cosine schedule included, so the
# stopped run must have used the full run's learning rates), and the stop says so in one line.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--synthetic 64 --eval-images 16 --log-every 1000 --threads 2 --steps 8 --lr-schedule cosine)
fail() { echo "FAIL: $*"; exit 1; }
"$@" "${common[@]}" --save "$tmp/whole.state" > "$tmp/whole.log" 2>&1 || { cat "$tmp/whole.log"; fail "the whole run failed"; }
"$@" "${common[@]}" --save "$tmp/split.state" --stop-after 3 > "$tmp/stop.log" 2>&1 || { cat "$tmp/stop.log"; fail "the stopped run failed"; }
grep -q "^stopped at step 3 of 8: the state is in $tmp/split.state; --resume continues the run$" "$tmp/stop.log" \
  || { cat "$tmp/stop.log"; fail "no 'stopped at step 3 of 8' line"; }
cmp -s "$tmp/whole.state" "$tmp/split.state" && fail "the stopped run's state equals the whole run's: it did not stop"
"$@" "${common[@]}" --save "$tmp/split.state" --resume > "$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "the resume failed"; }
grep -q "^resumed from $tmp/split.state at step 3$" "$tmp/resume.log" || { cat "$tmp/resume.log"; fail "did not resume at step 3"; }
cmp "$tmp/whole.state" "$tmp/split.state" || fail "stop at 3 + resume to 8 differs from 8 steps in one run"
echo "ok: --stop-after 3 then --resume to 8 is byte-identical to 8 steps in one run"
