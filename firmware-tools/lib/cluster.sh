# Sourced by run.sh after lib/device.sh: one mpirun job over the Pis of dev_hosts (run --hosts).
#   cluster_run RANKS_PER_HOST [--mem BYTES] PROGRAM [ARGS...]
# mpirun runs on the first Pi and starts its orted on the others through ssh, as Open MPI's rsh
# launcher does, but with this project's ssh rules: keys only (BatchMode, the agent forwarded to
# the first Pi), host keys checked (StrictHostKeyChecking=yes) against a known_hosts holding only
# the cluster's entries, copied from here. Ranks start in the remote dir on every Pi (same user,
# port and dir everywhere), through the device's launcher.

# The known_hosts entries of every host (as ssh looks them up: "[host]:port" unless port 22), from
# the config's known_hosts or ~/.ssh/known_hosts; hashed entries are found too.
cluster_known_hosts() {  # cluster_known_hosts OUT_FILE
  local file=${dev[known_hosts]:-$HOME/.ssh/known_hosts} h name
  : > "$1"
  for h in "${dev_hosts[@]}"; do
    name=$h
    [[ ${dev[port]} == 22 ]] || name="[$h]:${dev[port]}"
    ssh-keygen -F "$name" -f "$file" 2>/dev/null | grep -v '^#' >> "$1" \
      || dev_die "host key of $name is not in $file (refused; add it with ssh-keyscan after checking its fingerprint)"
  done
}

# An agent for the hop from the first Pi: a private one holding only the config's key (killed on
# exit), else the caller's own.
cluster_agent() {
  if [[ -n ${dev[key]} ]]; then
    eval "$(ssh-agent -s)" >/dev/null || dev_die "cannot start ssh-agent"
    trap 'ssh-agent -k >/dev/null 2>&1 || true; rm -rf "$cluster_tmp"' EXIT
    ssh-add -q "${dev[key]}" </dev/null 2>"$cluster_tmp/err" \
      || dev_die "ssh-add ${dev[key]} failed (a key with a passphrase: load it into your own agent and drop key = from the config): $(head -1 "$cluster_tmp/err")"
  elif [[ -z ${SSH_AUTH_SOCK:-} ]]; then
    dev_die "no ssh agent for the hop between the Pis: set key = in the device config, or run ssh-agent and ssh-add"
  fi
}

cluster_run() {
  local per_host=$1 first=${dev_hosts[0]} h status prefix=
  shift
  if [[ ${1:-} == --mem ]]; then prefix=${dev[memlimit]//\{bytes\}/$2}; shift 2; fi
  cluster_tmp=$(mktemp -d)
  trap 'rm -rf "$cluster_tmp"' EXIT
  for h in "${dev_hosts[@]}"; do dev_use_host "$h"; dev_check; done
  cluster_known_hosts "$cluster_tmp/known_hosts"
  cluster_agent
  dev_use_host "$first"
  dev_ssh_opts+=(-o ForwardAgent=yes)

  # On the first Pi: the remote dir as an absolute path (the others have the same layout), the
  # cluster's known_hosts in it, and an mpirun.
  local abs
  status=0
  abs=$(dev_ssh "mkdir -p $(dev_dir_q) && cd $(dev_dir_q) && cat > known_hosts || exit 3; command -v mpirun >/dev/null || exit 4; pwd" \
        <"$cluster_tmp/known_hosts") || status=$?
  (( status != 3 )) || dev_die "cannot write ${dev[dir]}/known_hosts on $first"
  (( status != 4 )) || dev_die "no mpirun on $first: install Open MPI there (sudo apt install openmpi-bin)"
  (( status == 0 )) || dev_die "lost the connection to $first:${dev[port]}"
  [[ $abs == /* && $abs != *[[:space:]]* ]] || dev_die "the remote dir on $first is '$abs': use one without spaces"

  local rsh=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$abs/known_hosts"
             -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR -p "${dev[port]}" -l "${dev[user]}")
  # The hop from the first Pi to each other one, as mpirun will make it, and its orted.
  for h in "${dev_hosts[@]:1}"; do
    status=0
    dev_ssh "ssh ${rsh[*]} -- $h command -v orted >/dev/null" </dev/null 2>"$cluster_tmp/err" || status=$?
    if (( status == 255 )); then
      dev_use_host "$h"
      dev_die "from $first: $(dev_explain "$cluster_tmp/err")"
    fi
    (( status == 0 )) || dev_die "no orted on $h: install Open MPI there (sudo apt install openmpi-bin)"
  done

  local slots=() program=$1
  shift
  for h in "${dev_hosts[@]}"; do slots+=("$h:$per_host"); done
  # A program path relative to the remote dir is made absolute: orted on the other Pis looks
  # for it there (--wdir), not in the dir mpirun runs in.
  [[ $program == */* && $program != /* ]] && program=$abs/$program
  local cmd a
  cmd="cd $(printf '%q' "$abs") && exec mpirun ${dev[mpi_args]} --stdin none"
  cmd+=" --host $(IFS=,; echo "${slots[*]}") -np $((per_host * ${#dev_hosts[@]})) --wdir $(printf '%q' "$abs")"
  cmd+=" --mca plm_rsh_agent ssh --mca plm_rsh_args $(printf '%q' "${rsh[*]}") $prefix ${dev[launcher]}"
  for a in "$program" "$@"; do cmd+=" $(printf '%q' "$a")"; done
  status=0
  dev_ssh "$cmd" </dev/null || status=$?
  (( status != 255 )) || dev_die "lost the connection to $first:${dev[port]} (or the job exited 255)"
  return $status
}
