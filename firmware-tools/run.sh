#!/usr/bin/env bash
# run.sh [device flags] [--mem SIZE] [--] PROGRAM [ARGS...]: runs a program of the deployed bundle
# (a path relative to the remote dir, e.g. edgetrain/edgetrain-train) on the Pi, through the
# device's launcher, and streams its output; exits with its exit status.
# run.sh [device flags] --shell [--] 'COMMAND': runs a plain shell command in the remote dir instead.
# --mem SIZE caps the program's memory with the device's memlimit prefix (e.g. 900MiB).
#
# run.sh [device flags] --hosts PI1,PI2,... [--ranks-per-host N] [--] PROGRAM [ARGS...]: one
# data-parallel job over several Pis (PROGRAM: an MPI trainer, edgetrain/edgetrain-train-mpi).
# ssh to PI1 runs Open MPI's mpirun there, which starts N ranks (default 1) on every Pi, rank 0
# on PI1, through ssh again: keys only (BatchMode), host keys checked against the entries of the
# Pis found in the config's known_hosts (copied to PI1 as <dir>/known_hosts: public keys only).
# Every Pi needs `sudo apt install openmpi-bin`, the same user, port and dir, and the bundle
# (deploy.sh --hosts). The hop from PI1 to the others uses a forwarded ssh agent: with `key` in
# the config, a private agent that holds only that key, for this run only; else yours (ssh-add).
# Each host is checked first, from here and from PI1: an unreachable Pi or an unknown host key
# is one error line naming it. mpirun's flags: mpi_args in the config (lib/device.sh). --mem
# caps every rank (the memlimit prefix goes before each rank's launcher).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dev_tool=run dev_multi_host=1
source "$here/lib/device.sh"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  echo "usage: run.sh $dev_usage_flags [--mem SIZE] [--] PROGRAM [ARGS...]"
  echo "       run.sh $dev_usage_flags --shell [--] 'COMMAND'"
  echo "       run.sh $dev_usage_flags --hosts PI1,PI2,... [--ranks-per-host N] [--] PROGRAM [ARGS...]"
  sed -n '/^# run.sh .*--hosts/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
dev_parse_args "$@"
set -- "${dev_rest[@]}"
shell=0 mem=() per_host=
while (( $# )); do
  case $1 in
    --shell) shell=1; shift ;;
    --mem) [[ $# -ge 2 ]] || dev_die "--mem needs a size"; mem=(--mem "$(dev_bytes "$2")"); shift 2 ;;
    --ranks-per-host) [[ $# -ge 2 ]] || dev_die "--ranks-per-host needs a number"; per_host=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
(( $# )) || dev_die "nothing to run (usage: run.sh [flags] [--] PROGRAM [ARGS...])"

if (( ! dev_cluster )); then
  [[ -z $per_host ]] || dev_die "--ranks-per-host needs --hosts"
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
fi
source "$here/lib/cluster.sh"
(( ! shell )) || dev_die "--shell runs on one Pi, not with --hosts"
per_host=${per_host:-1}
[[ $per_host =~ ^[1-9][0-9]?$ ]] || dev_die "--ranks-per-host must be 1 to 99, got '$per_host'"
cluster_run "$per_host" "${mem[@]}" "$@"
