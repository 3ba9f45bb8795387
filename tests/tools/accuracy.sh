#!/usr/bin/env bash
# accuracy.sh MIN_PERCENT TRAINER-COMMAND...
# Trains with the given command on the real Fashion-MNIST data and checks the final test
# accuracy it prints is at least MIN_PERCENT.
set -euo pipefail
min=$1
shift
out=$("$@" 2>&1) || { echo "$out"; echo "FAIL: the trainer failed"; exit 1; }
echo "$out" | grep -E '^(plan|step|test)'
acc=$(echo "$out" | sed -n 's/^test accuracy \([0-9.]*\)%.*/\1/p')
[[ -n $acc ]] || { echo "FAIL: no test accuracy line"; exit 1; }
if awk -v a="$acc" -v m="$min" 'BEGIN { exit !(a >= m) }'; then
  echo "ok: test accuracy $acc% >= $min%"
else
  echo "FAIL: test accuracy $acc% < $min%"
  exit 1
fi
