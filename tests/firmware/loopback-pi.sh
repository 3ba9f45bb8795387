#!/usr/bin/env bash
# loopback-pi.sh <sysroot> COMMAND...: runs COMMAND against a stand-in Raspberry Pi: Debian's
# OpenSSH server on 127.0.0.1 (a free port), as the current user, with a fresh host key and user
# key, key authentication only, whose "device" runs aarch64 binaries under
#   qemu-aarch64 -cpu cortex-a53 -L <clean Pi OS root>
# (the device config's launcher; the root is the one check-bundle.sh uses: firmware-tools/lib/
# pi-os-root.sh). Memory caps go through QEMU_RESERVED_VA, the guest's address space.
# With --host instead of <sysroot>, the "device" runs this machine's binaries directly (launcher
# empty, memlimit `prlimit --as={bytes} --`, as on a real Pi): the host build's tests use it.
# LOOPBACK_HOSTS=N (default 1) makes N "Pis" for the cluster tools (deploy/run --hosts): one sshd
# listening on 127.0.0.2 ... 127.0.0.<N+1> (all of 127/8 is loopback on Linux) at one port, so the
# config's port, user, key and known_hosts (one line per address) serve every host; the config's
# host is the first; the device root also holds Open MPI's libraries (what openmpi-bin installs on
# a Pi: pi-os-root.sh), and mpi_args keeps mpirun on lo.
# COMMAND gets EDGETRAIN_DEVICE (the device config file), LOOPBACK_DIR (the temp dir) and
# LOOPBACK_HOST_LIST (the hosts, comma-separated) in its environment. sshd is stopped and the temp dir removed when this script exits, however it exits.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$repo/firmware-tools/lib/pi-os-root.sh"
die() { echo "loopback-pi.sh: $*" >&2; exit 1; }
[[ $# -ge 2 ]] || die "usage: loopback-pi.sh <sysroot>|--host COMMAND..."
sysroot=$1
shift
host_mode=0
[[ $sysroot == --host ]] && host_mode=1
sshd=/usr/sbin/sshd
[[ -x $sshd ]] || die "no $sshd: install Debian's openssh-server (toolchains/install-deps.sh)"

work=$(mktemp -d /tmp/loopback-pi.XXXXXX)
chmod 700 "$work"
pid=
cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ssh-keygen -q -t ed25519 -N '' -C loopback-pi-host -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -C loopback-pi-user -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
nhosts=${LOOPBACK_HOSTS:-1}
[[ $nhosts =~ ^[1-9]$ ]] || die "LOOPBACK_HOSTS must be 1 to 9, got '$nhosts'"
hosts=(127.0.0.1)
(( nhosts == 1 )) || mapfile -t hosts < <(seq -f '127.0.0.%g' 2 $((nhosts + 1)))
if (( host_mode )); then
  launcher= memlimit="prlimit --as={bytes} --"
else
  make_pi_os_root "$sysroot" "$work/pi-root"
  (( nhosts == 1 )) || add_openmpi_to_root "$sysroot" "$work/pi-root"
  launcher="qemu-aarch64 -cpu cortex-a53 -L $work/pi-root" memlimit="env QEMU_RESERVED_VA={bytes}"
fi
mkdir -p "$work/home"
# Root's sshd wants its privilege-separation directory.
if [[ $(id -u) == 0 ]]; then mkdir -p -m 755 /run/sshd; fi

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for h in "${hosts[@]}"; do echo "ListenAddress $h:$port"; done > "$work/sshd_config"
cat >> "$work/sshd_config" <<CONF
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
# The temp dir's parents (/tmp) are world-writable, which StrictModes refuses.
StrictModes no
PrintMotd no
Subsystem sftp internal-sftp
CONF
"$sshd" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/${hosts[0]}/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || die "sshd exited: $(cat "$work/sshd.log")"
  sleep 0.1
done
for h in "${hosts[@]}"; do echo "[$h]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")"; done > "$work/known_hosts"
# Every rank and orted on this one machine: TCP and the out-of-band channel on lo only, and root
# may run mpirun (tests run as root; a Pi's user is not).
mpi_args="--allow-run-as-root --bind-to none --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca osc ^ucx"

cat > "$work/device.conf" <<CONF
# The loopback "Pi" (tests/firmware/loopback-pi.sh)
host = ${hosts[0]}
user = $(id -un)
port = $port
key = $work/user_key
known_hosts = $work/known_hosts
dir = $work/home/edgetrain-run
launcher = $launcher
memlimit = $memlimit
CONF
(( nhosts == 1 )) || echo "mpi_args = $mpi_args" >> "$work/device.conf"
list=$(IFS=,; echo "${hosts[*]}")
echo "== loopback-pi: sshd on $list port $port (pid $pid), device config $work/device.conf"
status=0
EDGETRAIN_DEVICE=$work/device.conf LOOPBACK_DIR=$work LOOPBACK_HOST_LIST=$list "$@" || status=$?
if (( status != 0 )) && [[ -s $work/sshd.log ]]; then
  echo "== loopback-pi: sshd log (last lines):"; tail -5 "$work/sshd.log"
fi
exit $status
