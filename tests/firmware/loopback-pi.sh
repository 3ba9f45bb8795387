#!/usr/bin/env bash
# loopback-pi.sh <sysroot> COMMAND...: runs COMMAND against a stand-in Raspberry Pi: Debian's
# OpenSSH server on 127.0.0.1 (a free port), as the current user, with a fresh host key and user
# key, key authentication only, whose "device" runs aarch64 binaries under
#   qemu-aarch64 -cpu cortex-a53 -L <clean Pi OS root>
# (the device config's launcher; the root is the one check-bundle.sh uses: firmware-tools/lib/
# pi-os-root.sh). Memory caps go through QEMU_RESERVED_VA, the guest's address space.
# With --host instead of <sysroot>, the "device" runs this machine's binaries directly (launcher
# empty, memlimit `prlimit --as={bytes} --`, as on a real Pi): the host build's tests use it.
# COMMAND gets EDGETRAIN_DEVICE (the device config file) and LOOPBACK_DIR (the temp dir) in its
# environment. sshd is stopped and the temp dir removed when this script exits, however it exits.
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
if (( host_mode )); then
  launcher= memlimit="prlimit --as={bytes} --"
else
  make_pi_os_root "$sysroot" "$work/pi-root"
  launcher="qemu-aarch64 -cpu cortex-a53 -L $work/pi-root" memlimit="env QEMU_RESERVED_VA={bytes}"
fi
mkdir -p "$work/home"
# Root's sshd wants its privilege-separation directory.
if [[ $(id -u) == 0 ]]; then mkdir -p -m 755 /run/sshd; fi

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
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
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || die "sshd exited: $(cat "$work/sshd.log")"
  sleep 0.1
done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")" > "$work/known_hosts"

cat > "$work/device.conf" <<CONF
# The loopback "Pi" (tests/firmware/loopback-pi.sh)
host = 127.0.0.1
user = $(id -un)
port = $port
key = $work/user_key
known_hosts = $work/known_hosts
dir = $work/home/edgetrain-run
launcher = $launcher
memlimit = $memlimit
CONF
echo "== loopback-pi: sshd on 127.0.0.1:$port (pid $pid), device config $work/device.conf"
status=0
EDGETRAIN_DEVICE=$work/device.conf LOOPBACK_DIR=$work "$@" || status=$?
if (( status != 0 )) && [[ -s $work/sshd.log ]]; then
  echo "== loopback-pi: sshd log (last lines):"; tail -5 "$work/sshd.log"
fi
exit $status
