#!/usr/bin/env bash
# rss-prediction.sh TOLERANCE_PERCENT|report TRAINER-COMMAND...
# Runs a trainer whose plan carries the planner's peak-RSS prediction and compares the peak RSS
# (VmHWM) it measured at the end of the run with it. With a tolerance, fails unless
# |measured - predicted| <= TOLERANCE_PERCENT % of predicted; with `report` (QEMU, whose RSS
# includes the emulator) it prints the error and fails only if the run or its report fails.
set -euo pipefail
tolerance=$1
shift
out=$("$@" 2>&1) || { echo "$out"; echo "FAIL: the trainer failed"; exit 1; }
echo "$out" | grep -E '^(plan|step|peak|guest)'
line=$(echo "$out" | grep -E '^peak RSS [0-9]+ B measured, [0-9]+ B predicted') ||
  { echo "FAIL: no 'peak RSS ... measured, ... predicted' line (is the prediction in the plan?)"; exit 1; }
measured=$(echo "$line" | sed -E 's/^peak RSS ([0-9]+) B measured.*/\1/')
predicted=$(echo "$line" | sed -E 's/.* ([0-9]+) B predicted.*/\1/')
error=$(awk -v m="$measured" -v p="$predicted" 'BEGIN { printf "%+.2f", 100 * (m - p) / p }')
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
summary="measured $(mib "$measured"), predicted $(mib "$predicted"): error $error%"
if [[ $tolerance == report ]]; then
  echo "report: $summary, VmHWM including the emulator (not checked: see the test's comment)"
  guest=$(echo "$out" | sed -n -E 's/^guest peak RSS ([0-9]+) B$/\1/p')
  if [[ -n $guest ]]; then
    guest_error=$(awk -v m="$guest" -v p="$predicted" 'BEGIN { printf "%+.2f", 100 * (m - p) / p }')
    echo "report: guest only (rss-guest-peak.sh, sampled) $(mib "$guest"): error $guest_error%"
  fi
  exit 0
fi
if awk -v e="$error" -v t="$tolerance" 'BEGIN { exit !(e <= t && e >= -t) }'; then
  echo "ok: $summary, within ${tolerance}%"
else
  echo "FAIL: $summary, beyond ${tolerance}%"
  exit 1
fi
