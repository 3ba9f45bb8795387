#!/usr/bin/env bash
# rss-guest-peak.sh COMMAND...
# Runs a command that starts an aarch64 program under qemu-aarch64 (the command itself, or a
# wrapper such as env/timeout that starts it) and prints, after its output, the most memory the
# guest held: "guest peak RSS N B", sampled every 20 ms from the emulator's /proc/PID/smaps as the
# resident bytes of the mappings below the emulator's own binary (qemu-user maps the guest low, at
# its guest_base, and itself and its libraries, heap and translation cache above). That is what a
# Pi would count as the program's RSS; VmHWM under QEMU adds the emulator (tens of MiB). A sample
# can miss a peak shorter than 20 ms, so this is a lower bound of the guest's peak.
# GUEST_RSS_INTERVAL=SECONDS samples less often (each sample reads the emulator's smaps, which
# slows a 2-core machine's emulator by up to a third at 20 ms; a long run's peak is long).
set -euo pipefail
"$@" &
pid=$!
peak=0
emulator() {  # the qemu-aarch64 process among $1 and its descendants
  local p=$1 child
  [[ $(readlink "/proc/$p/exe" 2>/dev/null) == *qemu-aarch64* ]] && { echo "$p"; return; }
  for child in $(pgrep -P "$p" 2>/dev/null); do emulator "$child"; done
}
guest_rss() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); is_qemu = $6 ~ /qemu-aarch64/
         if (is_qemu && limit == "") limit = r[1]; start = r[1]; next }
       /^Rss:/ { rss[start] = $2 }
       END { for (s in rss) if (limit == "" || length(s) < length(limit) || (length(s) == length(limit) && s < limit)) t += rss[s]
             print t * 1024 }' "/proc/$1/smaps" 2>/dev/null || echo 0
}
qemu=
while kill -0 "$pid" 2>/dev/null; do
  [[ -n $qemu ]] && kill -0 "$qemu" 2>/dev/null || qemu=$(emulator "$pid" | head -1)
  if [[ -n $qemu ]]; then
    now=$(guest_rss "$qemu")
    (( now > peak )) && peak=$now
  fi
  sleep "${GUEST_RSS_INTERVAL:-0.02}"
done
status=0
wait "$pid" || status=$?
echo "guest peak RSS $peak B"
exit $status
