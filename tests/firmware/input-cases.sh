#!/usr/bin/env bash
# input-cases.sh CASE: firmware-tools input refused before any connection or build.
#   sweep-unsafe-model  a --model that would close gnuplot's quoted string and call system()
#   sweep-unsafe-out    an --out with a newline (a new gnuplot command) or a quote
#   host-is-an-option   host = -oProxyCommand=...: refused, and ssh never runs it (with "--"
#                       before the destination it could not anyway)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fw=$repo/firmware-tools
expect_error=$repo/tests/expect-error.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sweep=("$fw/sweep.sh" --host 127.0.0.1 --port 1 --batches 4 --policies store-all --bundle /nonexistent.tar.gz)
case ${1:-} in
  sweep-unsafe-model)
    "$expect_error" "^sweep: error: --model may hold only letters, digits and _ \\. - \\(got " \
      "${sweep[@]}" --model "x'); system('touch $tmp/pwned'); print('" --out "$tmp/out"
    ;;
  sweep-unsafe-out)
    "$expect_error" "^sweep: error: the output directory may hold only .*got \\$'$tmp/o\\\\nsystem" \
      "${sweep[@]}" --model fashion_cnn --out "$tmp/o"$'\n'"system('touch $tmp/pwned')"
    "$expect_error" "^sweep: error: the output directory may hold only .*pass another --out DIR" \
      "${sweep[@]}" --model fashion_cnn --out "$tmp/it's"
    ;;
  host-is-an-option)
    for tool in deploy run; do
      "$expect_error" "^$tool: error: host and user must not start with '-'" \
        "$fw/$tool.sh" --host "-oProxyCommand=touch $tmp/pwned" --port 1 --shell true
      "$expect_error" "^$tool: error: host and user must not start with '-'" \
        "$fw/$tool.sh" --host 127.0.0.1 --user "-oProxyCommand=touch $tmp/pwned" --port 1 --shell true
    done
    # And below the check: ssh and scp get "--" before the destination, so even a target that
    # starts with '-' is a (bad) host name, never -oProxyCommand.
    (
      dev_tool=input-cases
      source "$fw/lib/device.sh"
      dev_parse_args --host 127.0.0.1 --port 1
      dev_ssh_opts+=(-o ConnectTimeout=2)
      dev_target="-oProxyCommand=touch $tmp/pwned"
      dev_ssh true </dev/null 2>/dev/null || true
      dev_scp /etc/hostname x 2>/dev/null || true
    )
    ;;
  *) echo "input-cases.sh: unknown case '${1:-}'" >&2; exit 2 ;;
esac
[[ ! -e $tmp/pwned ]] || fail "an injected command ran"
echo "ok: $1"
