# Sourced helper of deploy, run, sweep and profile: which Pi to talk to, and ssh/scp to it with
# host-key checking on and no password ever (BatchMode: key or agent only, never a prompt).
#
# Settings come from a config file, then flags (flags win). The file is the one named by
# --config FILE, else $EDGETRAIN_DEVICE, else ~/.config/edgetrain/device.conf if it exists.
# One "key = value" per line, '#' starts a comment:
#   host = raspberrypi.local    # required
#   user = pi                   # default: pi
#   port = 22
#   key = ~/.ssh/id_ed25519     # private key; default: ssh's own choice (agent, ~/.ssh/id_*)
#   known_hosts = ~/.ssh/known_hosts   # must hold the Pi's host key (ssh-keyscan, then check it)
#   dir = edgetrain-run         # remote directory; relative paths are under the remote home
# launcher and memlimit are shell commands run ON THE DEVICE around every program: a config
# file is trusted like a script (use only your own).
#   launcher =                  # prefix for device binaries; empty on a Pi. The loopback test
#                               # "Pi" sets: qemu-aarch64 -cpu cortex-a53 -L <clean Pi OS root>
#   memlimit = prlimit --as={bytes} --   # prefix that caps a run's memory ({bytes} substituted);
#                               # under qemu: env QEMU_RESERVED_VA={bytes} (the guest's space)
#   ram = 900MiB                # the device RAM a sweep caps runs to and draws as a line
#   mpi_args = --mca pml ob1 --mca btl self,tcp --mca osc ^ucx   # mpirun's flags for run --hosts
#                               # (replaced, not added to, when set; e.g. add --mca btl_tcp_if_include eth0)
# Several Pis (deploy/run --hosts pi1,pi2,...): one user, port, key, known_hosts (a line for every
# Pi) and dir serve them all.

dev_tool=${dev_tool:-device}
dev_die() { echo "$dev_tool: error: $*" >&2; exit 1; }

declare -A dev=([user]=pi [port]=22 [dir]=edgetrain-run [memlimit]="prlimit --as={bytes} --" [ram]=900MiB
                [mpi_args]="--mca pml ob1 --mca btl self,tcp --mca osc ^ucx")
dev_config=

dev_read_config() {  # dev_read_config FILE
  local line key value n=0
  [[ -r $1 ]] || dev_die "cannot read device config '$1'"
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%%#*}
    [[ $line =~ ^[[:space:]]*$ ]] && continue
    [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]] \
      || dev_die "$1:$n: expected 'key = value', got '$line'"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    case $key in
      host|user|port|key|known_hosts|dir|launcher|memlimit|ram|mpi_args) dev[$key]=$value ;;
      *) dev_die "$1:$n: unknown key '$key' (known: host user port key known_hosts dir launcher memlimit ram mpi_args)" ;;
    esac
  done < "$1"
}

# dev_parse_args "$@": reads the device flags, leaves the other arguments in dev_rest.
# --hosts H1,H2,... (only where the tool sets dev_multi_host=1: deploy, run) fills dev_hosts and
# makes H1 the host and sets dev_cluster=1; otherwise dev_hosts is just the host, dev_cluster=0.
dev_usage_flags="[--config FILE] [--host H] [--user U] [--port P] [--key FILE] [--known-hosts FILE] [--dir DIR] [--launcher CMD]"
# dev_take_flags 'name|other-name|...' ARGS...: a tool's own flags. `--other-name VALUE` sets the
# variable other_name; -h/--help prints the calling script's header comment; every other
# argument is collected in the array devargs, for dev_parse_args.
dev_take_flags() {
  local flags="|$1|" k
  shift
  devargs=()
  while (( $# )); do
    if [[ $1 == -h || $1 == --help ]]; then
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
    fi
    if [[ $1 == --* && $flags == *"|${1#--}|"* ]]; then
      [[ $# -ge 2 ]] || dev_die "$1 needs a value"
      k=${1#--}
      printf -v "${k//-/_}" '%s' "$2"
      shift 2
    else
      devargs+=("$1")
      shift
    fi
  done
}

dev_parse_args() {
  local -A flags=()
  local hosts=
  dev_rest=()
  while (( $# )); do
    case $1 in
      --config) [[ $# -ge 2 ]] || dev_die "--config needs a file"; dev_config=$2; shift 2 ;;
      --hosts)
        [[ ${dev_multi_host:-0} == 1 ]] || dev_die "--hosts: only deploy.sh and run.sh take several hosts"
        [[ $# -ge 2 ]] || dev_die "--hosts needs a comma-separated list"
        hosts=$2; shift 2 ;;
      --host|--user|--port|--key|--known-hosts|--dir|--launcher|--memlimit|--ram)
        [[ $# -ge 2 ]] || dev_die "$1 needs a value"
        local k=${1#--}; flags[${k//-/_}]=$2; shift 2 ;;
      --) dev_rest+=("$@"); break ;;
      *) dev_rest+=("$1"); shift ;;
    esac
  done
  [[ -z $dev_config && -n ${EDGETRAIN_DEVICE:-} ]] && dev_config=$EDGETRAIN_DEVICE
  [[ -z $dev_config && -f ~/.config/edgetrain/device.conf ]] && dev_config=~/.config/edgetrain/device.conf
  [[ -n $dev_config ]] && dev_read_config "$dev_config"
  local k
  for k in "${!flags[@]}"; do dev[$k]=${flags[$k]}; done
  if [[ -n $hosts ]]; then
    [[ -z ${flags[host]:-} ]] || dev_die "--host and --hosts: give one of them"
    local name='[A-Za-z0-9][A-Za-z0-9._-]*'
    [[ $hosts =~ ^$name(,$name)*$ ]] \
      || dev_die "--hosts: bad list '$hosts' (host names or IPv4 addresses, comma-separated)"
    IFS=, read -ra dev_hosts <<<"$hosts"
    (( ${#dev_hosts[@]} == $(printf '%s\n' "${dev_hosts[@]}" | sort -u | wc -l) )) || dev_die "--hosts: a host is listed twice in '$hosts'"
    dev[host]=${dev_hosts[0]} dev_cluster=1
  fi
  [[ -n ${dev[host]:-} ]] || dev_die "no device: pass --host or a config file (--config FILE or \$EDGETRAIN_DEVICE); see firmware-tools/lib/device.sh"
  [[ ${dev[port]} =~ ^[0-9]+$ ]] || dev_die "port must be a number, got '${dev[port]}'"
  [[ ${dev[host]} != -* && ${dev[user]} != -* ]] || dev_die "host and user must not start with '-' (got host ${dev[host]@Q}, user ${dev[user]@Q})"
  dev[key]=${dev[key]:-} dev[known_hosts]=${dev[known_hosts]:-} dev[launcher]=${dev[launcher]:-}
  dev[key]=${dev[key]/#\~/$HOME} dev[known_hosts]=${dev[known_hosts]/#\~/$HOME}
  [[ -z ${dev[key]:-} || -r ${dev[key]} ]] || dev_die "cannot read ssh key '${dev[key]}'"
  [[ -z ${dev[known_hosts]} || -r ${dev[known_hosts]} ]] || dev_die "cannot read known_hosts file '${dev[known_hosts]}'"
  dev_target="${dev[user]}@${dev[host]}"
  [[ -n $hosts ]] || dev_hosts=("${dev[host]}") dev_cluster=0
  # StrictHostKeyChecking=yes: an unknown or changed host key is refused, never accepted.
  dev_ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10
                -o ServerAliveInterval=15 -o LogLevel=ERROR)
  [[ -n ${dev[known_hosts]} ]] && dev_ssh_opts+=(-o "UserKnownHostsFile=${dev[known_hosts]}" -o GlobalKnownHostsFile=/dev/null)
  [[ -n ${dev[key]:-} ]] && dev_ssh_opts+=(-i "${dev[key]}" -o IdentitiesOnly=yes)
  return 0
}

# dev_use_host H: the host dev_ssh, dev_scp, dev_check and dev_explain talk to (one of dev_hosts).
dev_use_host() { dev[host]=$1; dev_target="${dev[user]}@$1"; }

# One line saying why ssh failed, from its stderr.
dev_explain() {  # dev_explain STDERR_FILE
  local where="${dev[host]}:${dev[port]}" err
  err=$(cat "$1")
  case $err in
    *"REMOTE HOST IDENTIFICATION HAS CHANGED"*|*"Host key verification failed"*)
      if grep -q "IDENTIFICATION HAS CHANGED" "$1"; then
        echo "host key of $where does not match ${dev[known_hosts]:-~/.ssh/known_hosts} (refused: the device was reinstalled, or this is not your Pi)"
      else
        echo "host key of $where is not in ${dev[known_hosts]:-~/.ssh/known_hosts} or does not match it (refused; add it with ssh-keyscan after checking its fingerprint)"
      fi ;;
    *"Connection refused"*) echo "cannot reach $where: connection refused (is sshd running there?)" ;;
    *"timed out"*) echo "cannot reach $where: connection timed out" ;;
    *"No route to host"*|*"Network is unreachable"*) echo "cannot reach $where: no route to host" ;;
    *"Could not resolve hostname"*) echo "cannot reach $where: unknown host name '${dev[host]}'" ;;
    *"Permission denied"*) echo "$dev_target refused our key${dev[key]:+ ${dev[key]}} (is its public half in the Pi's ~/.ssh/authorized_keys?)" ;;
    *) echo "ssh to $where failed: $(grep -v '^\s*$' "$1" | tail -1)" ;;
  esac
}

# dev_ssh COMMAND: "--" ends ssh's options, so a host or user starting with "-" (a config's
# "host = -oProxyCommand=...") is a destination, never an option. Callers give only the remote
# command (stdin: redirect it, as ssh -n would).
dev_ssh() { ssh "${dev_ssh_opts[@]}" -p "${dev[port]}" -- "$dev_target" "$@"; }

# dev_scp LOCAL REMOTE_PATH: copies a local file to the device; "--" before the source and the
# target, so neither is read as an option.
dev_scp() { scp -q "${dev_ssh_opts[@]}" -P "${dev[port]}" -- "$1" "$dev_target:$2"; }

# dev_check: connects once and runs `true`; on failure dies with dev_explain's line.
dev_check() {
  local err
  err=$(mktemp)
  if ! dev_ssh true 2>"$err" </dev/null; then
    local why
    why=$(dev_explain "$err")
    rm -f "$err"
    dev_die "$why"
  fi
  rm -f "$err"
}

# The remote directory as a shell word: relative paths stay relative (to the remote home).
dev_dir_q() { printf '%q' "${dev[dir]}"; }

# dev_command [--mem BYTES] PROGRAM ARGS...: the remote shell command running a device binary of
# the deployed bundle from the remote directory, through memlimit and launcher.
dev_command() {
  local prefix=
  if [[ ${1:-} == --mem ]]; then prefix=${dev[memlimit]//\{bytes\}/$2}; shift 2; fi
  local cmd="cd $(dev_dir_q) && $prefix ${dev[launcher]:-}"
  local a
  for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
  echo "$cmd"
}

# Sizes like 900MiB, 1.5GB, 123456 -> bytes.
dev_bytes() {
  /usr/bin/python3 - "$1" <<'PY' || dev_die "bad size '$1' (use e.g. 900MiB, 1GB or bytes)"
import re, sys
m = re.fullmatch(r'\s*([0-9]*\.?[0-9]+)\s*(|B|KiB|MiB|GiB|KB|MB|GB|K|M|G)\s*', sys.argv[1])
if not m: sys.exit(1)
mult = {'': 1, 'B': 1, 'KiB': 2**10, 'MiB': 2**20, 'GiB': 2**30, 'K': 2**10, 'M': 2**20, 'G': 2**30,
        'KB': 10**3, 'MB': 10**6, 'GB': 10**9}[m.group(2)]
print(int(float(m.group(1)) * mult))
PY
}
