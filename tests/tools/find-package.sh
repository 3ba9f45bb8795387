#!/bin/sh
# find-package.sh BUILD EXAMPLES [cmake args...] -- [emulator...]: builds the examples as a project of
# their own, as an app outside this repo: once against `cmake --install BUILD` (a prefix in a
# temporary folder) and once against the build tree BUILD itself, each through
# find_package(edgetrain); then starts each app (under the emulator command, if given) for its
# usage line.
set -eu
build=$1 examples=$2
shift 2
cmake_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args="$cmake_args $1"; shift; done
[ $# -gt 0 ] && shift  # the rest: the emulator
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cmake --install "$build" --prefix "$t/prefix" >"$t/log" 2>&1 || { cat "$t/log"; exit 1; }
for dir in "$t/prefix/lib/cmake/edgetrain" "$build"; do
  app="$t/app-$(basename "$dir")"
  if ! { cmake -S "$examples" -B "$app" -G Ninja -Dedgetrain_DIR="$dir" $cmake_args && cmake --build "$app"; } >"$t/log" 2>&1; then
    cat "$t/log"
    echo "FAIL: the examples do not build with edgetrain_DIR=$dir" >&2
    exit 1
  fi
  out=$("$@" "$app/edgetrain-finetune" 2>&1 || true)
  case "$out" in
    "usage: edgetrain-finetune DIR"*) echo "ok: edgetrain_DIR=$dir: built and started ($out)" ;;
    *) echo "FAIL: the app built with edgetrain_DIR=$dir printed: $out" >&2; exit 1 ;;
  esac
done
