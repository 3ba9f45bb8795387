#!/usr/bin/env bash
# deploy.sh [device flags] [BUNDLE]: copies a bundle to the Pi with scp and unpacks it there, into
# <dir>/edgetrain/ (replacing an older one). BUNDLE defaults to build/pi3/edgetrain-pi3.tar.gz.
# Device flags and the config file: see lib/device.sh (or --help).
# deploy.sh [device flags] --hosts PI1,PI2,... [BUNDLE]: the same to every Pi of a cluster (same
# user, port, key, known_hosts and dir), one line per Pi; every Pi is checked before anything is
# copied, and the first failure stops it with a line naming that Pi.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dev_tool=deploy dev_multi_host=1
source "$here/lib/device.sh"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  echo "usage: deploy.sh $dev_usage_flags [--hosts PI1,PI2,...] [BUNDLE.tar.gz]"
  sed -n '/^# Settings/,/^$/p' "$here/lib/device.sh" | sed 's/^# \{0,1\}//'
  exit 0
fi
dev_parse_args "$@"
(( ${#dev_rest[@]} <= 1 )) || dev_die "one bundle at most, got: ${dev_rest[*]}"
bundle=${dev_rest[0]:-$here/../build/pi3/edgetrain-pi3.tar.gz}
[[ -f $bundle ]] || dev_die "no bundle at $bundle (build it: cmake --build --preset pi3 --target bundle)"
tar -tzf "$bundle" edgetrain/ >/dev/null 2>&1 || dev_die "$bundle is not an edgetrain bundle (no edgetrain/ inside)"

for h in "${dev_hosts[@]}"; do dev_use_host "$h"; dev_check; done
dir=$(dev_dir_q)
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for h in "${dev_hosts[@]}"; do
  dev_use_host "$h"
  dev_ssh "mkdir -p $dir" </dev/null || dev_die "cannot create ${dev[dir]} on $h"
  # The remote path as scp sees it: relative to the remote home, as for ssh.
  dev_scp "$bundle" "${dev[dir]}/edgetrain-bundle.tar.gz" 2>"$err" \
    || dev_die "copying the bundle failed: $(dev_explain "$err")"
  dev_ssh "cd $dir && rm -rf edgetrain.new && mkdir edgetrain.new && tar -C edgetrain.new -xzf edgetrain-bundle.tar.gz && rm -rf edgetrain && mv edgetrain.new/edgetrain edgetrain && rmdir edgetrain.new" </dev/null \
    || dev_die "unpacking the bundle on $h failed"
  echo "deploy: $(basename "$bundle") ($(stat -c %s "$bundle") bytes) -> $dev_target:${dev[dir]}/edgetrain/"
done
