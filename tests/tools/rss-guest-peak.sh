#!/usr/bin/env bash
# rss-guest-peak.sh QEMU-COMMAND...
# Runs an aarch64 program under qemu-aarch64 and prints, after its output, the most memory its
# guest held: "guest peak RSS N B", sampled every 20 ms from /proc/PID/smaps as the resident bytes
# of the mappings below the emulator's own binary (qemu-user maps the guest low, at its
# guest_base, and itself and its libraries, heap and translation cache above). That is what a Pi
# would count as the program's RSS; VmHWM under QEMU adds the emulator (tens of MiB). A sample
# can miss a peak shorter than 20 ms, so this is a lower bound of the guest's peak.
set -euo pipefail
"$@" &
pid=$!
peak=0
guest_rss() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); is_qemu = $6 ~ /qemu-aarch64/
         if (is_qemu && limit == "") limit = r[1]; start = r[1]; next }
       /^Rss:/ { rss[start] = $2 }
       END { for (s in rss) if (limit == "" || length(s) < length(limit) || (length(s) == length(limit) && s < limit)) t += rss[s]
             print t * 1024 }' "/proc/$1/smaps" 2>/dev/null || echo 0
}
# qemu-aarch64 is the process itself (exec'd by "$@" when the command starts with it).
while kill -0 "$pid" 2>/dev/null; do
  now=$(guest_rss "$pid")
  (( now > peak )) && peak=$now
  sleep 0.02
done
status=0
wait "$pid" || status=$?
echo "guest peak RSS $peak B"
exit $status
