#!/usr/bin/env bash
# deploy-cases.sh CASE BUNDLE: one check of firmware-tools/deploy.sh and run against the loopback
# "Pi" (run it under loopback-pi.sh, which sets EDGETRAIN_DEVICE and LOOPBACK_DIR).
#   deploy-run        deploy the bundle, run the trainer there, see its progress lines streamed
#   wrong-host-key    a known_hosts entry for another key: refused, one clear line, nothing copied
#   unknown-host-key  an empty known_hosts: refused (never accepted on first use)
#   unreachable       a port nobody listens on: one clear line
#   missing-bundle    no bundle file: one clear line, before any connection
#   profile           profile --bundle: a device-profile JSON with every op timed, sane sizes
#   run-hosts         (under LOOPBACK_HOSTS=2) deploy --hosts, then run --hosts trains 2 ranks of
#                     edgetrain-train-mpi, one per "Pi"; a Pi missing from known_hosts or
#                     unreachable is refused in one line naming it, before anything is copied
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fw=$repo/firmware-tools
expect_error=$repo/tests/expect-error.sh
[[ $# == 2 ]] || { echo "usage: deploy-cases.sh CASE BUNDLE" >&2; exit 2; }
case=$1 bundle=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case in
  deploy-run)
    "$fw/deploy.sh" "$bundle"
    out=$("$fw/run.sh" -- edgetrain/edgetrain-train --synthetic 64 --steps 4 --log-every 2 --eval-images 32)
    echo "$out"
    grep -qE '^step +4/4 .* img/s .*peak RSS' <<<"$out" || fail "no progress line from the device"
    grep -q 'test accuracy' <<<"$out" || fail "the run did not finish"
    # The exit status comes back: a bad flag fails with the trainer's own error line.
    "$expect_error" "edgetrain-train: error: unknown flag '--nope'" "$fw/run.sh" -- edgetrain/edgetrain-train --nope 1
    # A plain shell command, and the bundle really unpacked where the config says.
    [[ $("$fw/run.sh" --shell 'ls edgetrain/edgetrain-train') == edgetrain/edgetrain-train ]] || fail "edgetrain/ not unpacked"
    if tar -tzf "$bundle" edgetrain/lib/ >/dev/null 2>&1; then  # the Pi bundle (the host one has no lib/)
      [[ $("$fw/run.sh" --shell 'ls edgetrain/lib | wc -l') -ge 3 ]] || fail "edgetrain/lib not unpacked"
    fi
    # --log-format json through run: every line of the device's output parses.
    "$fw/run.sh" -- edgetrain/edgetrain-train --synthetic 64 --steps 2 --log-every 1 --eval-images 32 --log-format json \
      | /usr/bin/python3 -c 'import json, sys; e = [json.loads(l)["event"] for l in sys.stdin]; assert e[0] == "plan" and e[-1] == "memory", e; print("json events:", *e)' \
      || fail "the device's --log-format json output does not parse"
    ;;
  wrong-host-key)
    ssh-keygen -q -t ed25519 -N '' -f "$LOOPBACK_DIR/other_key"
    port=$(sed -n 's/^port = //p' "$EDGETRAIN_DEVICE")
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$LOOPBACK_DIR/other_key.pub")" > "$LOOPBACK_DIR/wrong_known_hosts"
    "$expect_error" "deploy: error: host key of 127.0.0.1:$port does not match .*wrong_known_hosts .*refused" \
      "$fw/deploy.sh" --known-hosts "$LOOPBACK_DIR/wrong_known_hosts" "$bundle"
    "$expect_error" "run: error: host key of 127.0.0.1:$port does not match" \
      "$fw/run.sh" --known-hosts "$LOOPBACK_DIR/wrong_known_hosts" --shell true
    [[ ! -e $LOOPBACK_DIR/home/edgetrain-run ]] || fail "something was copied to a host with the wrong key"
    ;;
  unknown-host-key)
    : > "$LOOPBACK_DIR/empty_known_hosts"
    "$expect_error" "deploy: error: host key of 127.0.0.1:[0-9]+ is not in .*empty_known_hosts.*refused" \
      "$fw/deploy.sh" --known-hosts "$LOOPBACK_DIR/empty_known_hosts" "$bundle"
    ;;
  unreachable)
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$expect_error" "deploy: error: cannot reach 127.0.0.1:$port: connection refused" \
      "$fw/deploy.sh" --port "$port" "$bundle"
    "$expect_error" "run: error: cannot reach 127.0.0.1:$port: connection refused" \
      "$fw/run.sh" --port "$port" --shell true
    ;;
  missing-bundle)
    "$expect_error" "deploy: error: no bundle at /nonexistent/b.tar.gz \\(build it" \
      "$fw/deploy.sh" /nonexistent/b.tar.gz
    ;;
  profile)
    json=$LOOPBACK_DIR/profile.json
    "$fw/profile.sh" --bundle "$bundle" --batches 32 --steps 2 --trainer-args '--threads 2' --out "$json"
    /usr/bin/python3 - "$json" "$EDGETRAIN_DEVICE" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p['format'] == 'edgetrain-device-profile' and p['version'] == 1 and p['model'] == 'fashion_cnn', p
launcher = [l.split('=', 1)[1].strip() for l in open(sys.argv[2]) if l.startswith('launcher')][0]
if launcher:  # the QEMU "Pi"
    assert p['device']['emulated'] and p['device']['launcher'].startswith('qemu-aarch64'), p['device']
else:  # --host: this machine's binaries, run directly
    assert not p['device']['emulated'] and p['device']['launcher'] == '', p['device']
(run,) = p['runs']
assert run['batch'] == 32 and run['threads'] == 2 and run['arena_bytes'] > 0 and run['params_bytes'] > 0, run
assert run['peak_rss_bytes'] == run['arena_bytes'] + run['params_bytes'] + run['off_arena_bytes'], run
assert 0 < run['off_arena_bytes'] < 1 << 30, run
ops = run['ops']
assert [o['index'] for o in ops] == list(range(len(ops))) and len(ops) >= 20, ops
assert all(o['ms'] >= 0 and o['kind'] and o['writes'] for o in ops), ops
assert abs(sum(o['ms'] for o in ops) - run['step_ms']) < 0.01 * run['step_ms'] + 0.01 * len(ops), run['step_ms']
fit = p['off_arena_fit']
assert fit['per_image_bytes'] == 0 and fit['intercept_bytes'] == run['off_arena_bytes'], fit
print('profile ok:', len(ops), 'ops,', run['step_ms'], 'ms/step')
PY
    ;;
  run-hosts)
    hosts=$LOOPBACK_HOST_LIST port=$(sed -n 's/^port = //p' "$EDGETRAIN_DEVICE")
    [[ $hosts == 127.0.0.2,127.0.0.3 ]] || fail "run under LOOPBACK_HOSTS=2 (hosts: '$hosts')"
    # Refusals first: nothing may be copied anywhere.
    grep -v '^\[127.0.0.3\]' "$LOOPBACK_DIR/known_hosts" > "$LOOPBACK_DIR/partial_known_hosts"
    "$expect_error" "deploy: error: host key of 127.0.0.3:$port is not in .*partial_known_hosts.*refused" \
      "$fw/deploy.sh" --hosts "$hosts" --known-hosts "$LOOPBACK_DIR/partial_known_hosts" "$bundle"
    "$expect_error" "run: error: host key of 127.0.0.3:$port is not in .*partial_known_hosts.*refused" \
      "$fw/run.sh" --hosts "$hosts" --known-hosts "$LOOPBACK_DIR/partial_known_hosts" -- edgetrain/edgetrain-train-mpi
    "$expect_error" "run: error: cannot reach 127.0.0.4:$port: connection refused" \
      "$fw/run.sh" --hosts "$hosts,127.0.0.4" -- edgetrain/edgetrain-train-mpi
    [[ ! -e $LOOPBACK_DIR/home/edgetrain-run ]] || fail "something was copied although a host was refused"
    "$expect_error" "run: error: --hosts: bad list '127.0.0.2,,x'" "$fw/run.sh" --hosts 127.0.0.2,,x -- true
    "$expect_error" "run: error: --ranks-per-host must be 1 to 99, got '0'" \
      "$fw/run.sh" --hosts "$hosts" --ranks-per-host 0 -- true

    "$fw/deploy.sh" --hosts "$hosts" "$bundle"
    out=$("$fw/run.sh" --hosts "$hosts" -- edgetrain/edgetrain-train-mpi --synthetic 64 --steps 4 --log-every 2 --threads 1 --eval-images 32)
    echo "$out"
    grep -qE '^data parallel: 2 ranks' <<<"$out" || fail "not 2 ranks"
    grep -qE '^step +4/4 .* img/s' <<<"$out" || fail "no step line from rank 0"
    grep -qE '^communication: .*hidden' <<<"$out" || fail "no communication line"
    grep -qE '^test accuracy' <<<"$out" || fail "the run did not finish"
    [[ $(grep -c '^test accuracy' <<<"$out") == 1 ]] || fail "more than rank 0 printed"
    ;;
  *) echo "deploy-cases.sh: unknown case '$case'" >&2; exit 2 ;;
esac
echo "ok: $case"
