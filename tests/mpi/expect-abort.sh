#!/usr/bin/env bash
# expect-abort.sh <max-seconds> <regex> <command...>: passes when <command> (an mpirun whose job
# loses or hangs a rank) exits non-zero within <max-seconds> and prints a line matching <regex>
# (extended, grep -E). Prints the command's output and how long it took: the test's log is the
# record of what Open MPI says when a rank dies.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: expect-abort.sh <max-seconds> <regex> <command...>" >&2; exit 2; }
max=$1 regex=$2
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s%N)
status=0
"$@" >"$log" 2>&1 || status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$log"
echo "expect-abort.sh: exit status $status after $elapsed_ms ms"
(( status != 0 )) || { echo "expect-abort.sh: FAIL: the job exited 0" >&2; exit 1; }
(( elapsed_ms <= max * 1000 )) || { echo "expect-abort.sh: FAIL: took more than $max s" >&2; exit 1; }
grep -qE "$regex" "$log" || { echo "expect-abort.sh: FAIL: no line matching '$regex'" >&2; exit 1; }
