#!/usr/bin/env bash
# The planner CLI's --profile and --report, end to end.
#   plan-cli.sh CASE PLAN REPO
#   profile      the example x86 profile changes the optimal fashion_cnn schedule at 4 MiB
#   bad-profile  a malformed profile: one "plan: error: FILE:LINE: problem" line, exit 1
set -euo pipefail
case_=$1 plan=$2 repo=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile=$repo/planner/examples/fashion_cnn-x86-profile.json
common=(--model fashion_cnn --batch 32 --policy optimal --budget 4MiB)
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case_ in
  profile)
    "$plan" "${common[@]}" 2> "$work/flops.txt"
    "$plan" "${common[@]}" --profile "$profile" 2> "$work/measured.txt"
    cat "$work/flops.txt" "$work/measured.txt"
    grep -q "batch 32 timed from its batch-32 run: 22 ops matched, 0 unmatched, 10 of 10 forward ops measured" \
      "$work/measured.txt" || fail "no profile summary line"
    ops() { grep -o '[0-9]* train ops' "$1"; }
    [[ $(ops "$work/flops.txt") == "34 train ops" ]] || fail "FLOP-based schedule changed: $(ops "$work/flops.txt")"
    [[ $(ops "$work/measured.txt") == "32 train ops" ]] || fail "profiled schedule: $(ops "$work/measured.txt")"
    ;;
  bad-profile)
    sed '0,/"kind": "Relu"/s//"kind": "Relu7"/' "$profile" > "$work/bad.json"
    line=$(grep -n '"Relu7"' "$work/bad.json" | cut -d: -f1)
    status=0
    "$plan" "${common[@]}" --profile "$work/bad.json" 2> "$work/err.txt" || status=$?
    cat "$work/err.txt"
    [[ $status == 1 ]] || fail "exit status $status"
    [[ $(wc -l < "$work/err.txt") == 1 ]] || fail "not one line"
    grep -qx "plan: error: $work/bad.json:$line: unknown op kind 'Relu7'" "$work/err.txt" || fail "wrong message"
    printf '{"format": "edgetrain-device-profile", "version": 1, "model": "resnet18",\n "runs": []}\n' > "$work/empty.json"
    "$plan" "${common[@]}" --profile "$work/empty.json" 2> "$work/err.txt" && fail "accepted no runs"
    grep -qx "plan: error: $work/empty.json:2: \"runs\" is empty" "$work/err.txt" || fail "$(cat "$work/err.txt")"
    ;;
  *) fail "unknown case '$case_'" ;;
esac
echo "ok: $case_"
