#!/usr/bin/env bash
# deploy.sh [device flags] [BUNDLE]: copies a bundle to the Pi with scp and unpacks it there, into
# <dir>/edgetrain/ (replacing an older one). BUNDLE defaults to build/pi3/edgetrain-pi3.tar.gz.
# Device flags and the config file: see lib/device.sh (or --help).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dev_tool=deploy
source "$here/lib/device.sh"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  echo "usage: deploy.sh $dev_usage_flags [BUNDLE.tar.gz]"
  sed -n '/^# Settings/,/^$/p' "$here/lib/device.sh" | sed 's/^# \{0,1\}//'
  exit 0
fi
dev_parse_args "$@"
(( ${#dev_rest[@]} <= 1 )) || dev_die "one bundle at most, got: ${dev_rest[*]}"
bundle=${dev_rest[0]:-$here/../build/pi3/edgetrain-pi3.tar.gz}
[[ -f $bundle ]] || dev_die "no bundle at $bundle (build it: cmake --build --preset pi3 --target bundle)"
tar -tzf "$bundle" edgetrain/ >/dev/null 2>&1 || dev_die "$bundle is not an edgetrain bundle (no edgetrain/ inside)"

dev_check
dir=$(dev_dir_q)
dev_ssh "mkdir -p $dir" </dev/null || dev_die "cannot create ${dev[dir]} on ${dev[host]}"
# The remote path as scp sees it: relative to the remote home, as for ssh.
err=$(mktemp)
trap 'rm -f "$err"' EXIT
dev_scp "$bundle" "${dev[dir]}/edgetrain-bundle.tar.gz" 2>"$err" \
  || dev_die "copying the bundle failed: $(dev_explain "$err")"
dev_ssh "cd $dir && rm -rf edgetrain.new && mkdir edgetrain.new && tar -C edgetrain.new -xzf edgetrain-bundle.tar.gz && rm -rf edgetrain && mv edgetrain.new/edgetrain edgetrain && rmdir edgetrain.new" </dev/null \
  || dev_die "unpacking the bundle on ${dev[host]} failed"
echo "deploy: $(basename "$bundle") ($(stat -c %s "$bundle") bytes) -> $dev_target:${dev[dir]}/edgetrain/"
