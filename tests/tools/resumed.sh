#!/usr/bin/env bash
# resumed.sh TRAINER-COMMAND... -- ARGS...
# Runs the trainer for 1 step with ARGS, saving its state, then execs it again with ARGS resuming
# from that state: what a resumed run measures (e.g. its peak RSS: loading the state must not
# add a buffer of the state's size to the planned peak).
set -euo pipefail
cmd=()
while [[ $# -gt 0 && $1 != -- ]]; do cmd+=("$1"); shift; done
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${cmd[@]}" "$@" --steps 1 --save "$tmp/state" > "$tmp/first.log" 2>&1 || { cat "$tmp/first.log"; exit 1; }
"${cmd[@]}" "$@" --save "$tmp/state" --resume
