#!/usr/bin/env bash
# expect-error.sh REGEX COMMAND...
# Passes when COMMAND exits non-zero, writes exactly one line to stderr, and that line matches
# REGEX (extended grep syntax): the contract for bad input to every CLI of this project.
set -uo pipefail
[[ $# -ge 2 ]] || { echo "usage: expect-error.sh REGEX COMMAND..." >&2; exit 2; }
regex=$1
shift
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$@" > /dev/null 2> "$err"
status=$?
lines=$(wc -l < "$err")
if (( status == 0 )); then echo "FAIL: exit status 0 from: $*"; exit 1; fi
if (( status >= 128 )); then echo "FAIL: killed by signal $((status - 128)): $*"; cat "$err"; exit 1; fi
if (( lines != 1 )); then echo "FAIL: $lines lines on stderr (want 1):"; cat "$err"; exit 1; fi
if ! grep -qE -- "$regex" "$err"; then echo "FAIL: stderr does not match '$regex':"; cat "$err"; exit 1; fi
echo "ok (exit $status): $(cat "$err")"
