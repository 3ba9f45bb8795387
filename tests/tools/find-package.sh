#!/bin/sh
# find-package.sh BUILD EXAMPLES EMULATOR [cmake args...]: builds the examples as a project of
# their own, as an app outside this repo: once against `cmake --install BUILD` (a prefix in a
# temporary folder) and once against the build tree BUILD itself, each through
# find_package(edgetrain); then starts each app (under EMULATOR, if not empty) for its usage line.
set -eu
build=$1 examples=$2 emulator=$3
shift 3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cmake --install "$build" --prefix "$t/prefix" >"$t/log" 2>&1 || { cat "$t/log"; exit 1; }
for dir in "$t/prefix/lib/cmake/edgetrain" "$build"; do
  app="$t/app-$(basename "$dir")"
  if ! { cmake -S "$examples" -B "$app" -G Ninja -Dedgetrain_DIR="$dir" "$@" && cmake --build "$app"; } >"$t/log" 2>&1; then
    cat "$t/log"
    echo "FAIL: the examples do not build with edgetrain_DIR=$dir" >&2
    exit 1
  fi
  out=$($emulator "$app/edgetrain-finetune" 2>&1 || true)
  case "$out" in
    "usage: edgetrain-finetune DIR"*) echo "ok: edgetrain_DIR=$dir: built and started ($out)" ;;
    *) echo "FAIL: the app built with edgetrain_DIR=$dir printed: $out" >&2; exit 1 ;;
  esac
done
