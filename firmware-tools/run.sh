#!/usr/bin/env bash
# run.sh [device flags] [--mem SIZE] [--] PROGRAM [ARGS...]: runs a program of the deployed bundle
# (a path relative to the remote dir, e.g. edgetrain/edgetrain-train) on the Pi, through the
# device's launcher, and streams its output; exits with its exit status.
# run.sh [device flags] --shell [--] 'COMMAND': runs a plain shell command in the remote dir instead.
# --mem SIZE caps the program's memory with the device's memlimit prefix (e.g. 900MiB).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dev_tool=run
source "$here/lib/device.sh"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  echo "usage: run.sh $dev_usage_flags [--mem SIZE] [--] PROGRAM [ARGS...]"
  echo "       run.sh $dev_usage_flags --shell [--] 'COMMAND'"
  exit 0
fi
dev_parse_args "$@"
set -- "${dev_rest[@]}"
shell=0 mem=()
while (( $# )); do
  case $1 in
    --shell) shell=1; shift ;;
    --mem) [[ $# -ge 2 ]] || dev_die "--mem needs a size"; mem=(--mem "$(dev_bytes "$2")"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
(( $# )) || dev_die "nothing to run (usage: run.sh [flags] [--] PROGRAM [ARGS...])"

dev_check
if (( shell )); then
  cmd="cd $(dev_dir_q) && $*"
else
  cmd=$(dev_command "${mem[@]}" "$@")
fi
# stdin is not forwarded (as ssh -n); output streams as the program writes it.
status=0
dev_ssh "$cmd" </dev/null || status=$?
(( status != 255 )) || dev_die "lost the connection to ${dev[host]}:${dev[port]} (or the program exited 255)"
exit $status
