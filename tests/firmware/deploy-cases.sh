#!/usr/bin/env bash
# deploy-cases.sh CASE BUNDLE: one check of firmware-tools/deploy and run against the loopback
# "Pi" (run it under loopback-pi.sh, which sets EDGETRAIN_DEVICE and LOOPBACK_DIR).
#   deploy-run        deploy the bundle, run the trainer there, see its progress lines streamed
#   wrong-host-key    a known_hosts entry for another key: refused, one clear line, nothing copied
#   unknown-host-key  an empty known_hosts: refused (never accepted on first use)
#   unreachable       a port nobody listens on: one clear line
#   missing-bundle    no bundle file: one clear line, before any connection
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fw=$repo/firmware-tools
expect_error=$repo/tests/expect-error.sh
[[ $# == 2 ]] || { echo "usage: deploy-cases.sh CASE BUNDLE" >&2; exit 2; }
case=$1 bundle=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case in
  deploy-run)
    "$fw/deploy" "$bundle"
    out=$("$fw/run" -- edgetrain/edgetrain-train --synthetic 64 --steps 4 --log-every 2 --eval-images 32)
    echo "$out"
    grep -qE '^step +4/4 .* img/s .*peak RSS' <<<"$out" || fail "no progress line from the device"
    grep -q 'test accuracy' <<<"$out" || fail "the run did not finish"
    # The exit status comes back: a bad flag fails with the trainer's own error line.
    "$expect_error" "edgetrain-train: error: unknown flag '--nope'" "$fw/run" -- edgetrain/edgetrain-train --nope 1
    # A plain shell command, and the bundle really unpacked where the config says.
    [[ $("$fw/run" --shell 'ls edgetrain/lib | wc -l') -ge 3 ]] || fail "edgetrain/lib not unpacked"
    ;;
  wrong-host-key)
    ssh-keygen -q -t ed25519 -N '' -f "$LOOPBACK_DIR/other_key"
    port=$(sed -n 's/^port = //p' "$EDGETRAIN_DEVICE")
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$LOOPBACK_DIR/other_key.pub")" > "$LOOPBACK_DIR/wrong_known_hosts"
    "$expect_error" "deploy: error: host key of 127.0.0.1:$port does not match .*wrong_known_hosts .*refused" \
      "$fw/deploy" --known-hosts "$LOOPBACK_DIR/wrong_known_hosts" "$bundle"
    "$expect_error" "run: error: host key of 127.0.0.1:$port does not match" \
      "$fw/run" --known-hosts "$LOOPBACK_DIR/wrong_known_hosts" --shell true
    [[ ! -e $LOOPBACK_DIR/home/edgetrain-run ]] || fail "something was copied to a host with the wrong key"
    ;;
  unknown-host-key)
    : > "$LOOPBACK_DIR/empty_known_hosts"
    "$expect_error" "deploy: error: host key of 127.0.0.1:[0-9]+ is not in .*empty_known_hosts.*refused" \
      "$fw/deploy" --known-hosts "$LOOPBACK_DIR/empty_known_hosts" "$bundle"
    ;;
  unreachable)
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$expect_error" "deploy: error: cannot reach 127.0.0.1:$port: connection refused" \
      "$fw/deploy" --port "$port" "$bundle"
    "$expect_error" "run: error: cannot reach 127.0.0.1:$port: connection refused" \
      "$fw/run" --port "$port" --shell true
    ;;
  missing-bundle)
    "$expect_error" "deploy: error: no bundle at /nonexistent/b.tar.gz \\(build it" \
      "$fw/deploy" /nonexistent/b.tar.gz
    ;;
  *) echo "deploy-cases.sh: unknown case '$case'" >&2; exit 2 ;;
esac
echo "ok: $case"
