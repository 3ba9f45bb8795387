#!/usr/bin/env bash
# make-bundle.sh <binary> <sysroot> <out.tar.gz> [more binaries...]: packs aarch64 binaries with
# the shared libraries Raspberry Pi OS lacks, as edgetrain/<binary>... + edgetrain/lib/. Which libraries is
# read from the ELF NEEDED entries, recursively; the ones the Pi already has (Debian's libc6,
# libstdc++6, libgcc-s1, listed by make-sysroot.sh in <sysroot>/.base-libs) are left out.
# A binary linking libmpi (edgetrain-train-mpi) gets no Open MPI library nor any of theirs: every
# Pi of a cluster installs openmpi-bin (the list: lib/pi-os-root.sh); the other binaries still get
# everything they need, so a single-Pi trainer runs on a Pi without Open MPI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pi-os-root.sh"

die() { echo "make-bundle.sh: $*" >&2; exit 1; }
[[ $# -ge 3 ]] || die "usage: make-bundle.sh <binary> <sysroot> <out.tar.gz> [more binaries...]"
bin=$1 sysroot=$2 out=$3
bins=("$bin" "${@:4}")
readelf=${READELF:-aarch64-linux-gnu-readelf}
command -v "$readelf" >/dev/null || die "$readelf not found: run toolchains/install-deps.sh"
for bin in "${bins[@]}"; do [[ -f $bin ]] || die "no binary at $bin"; done
[[ -f $sysroot/.base-libs ]] || die "$sysroot is not a sysroot from toolchains/make-sysroot.sh"

needed() { "$readelf" -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
in_sysroot() {
  local d
  for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
    [[ -e $sysroot/$d/$1 ]] && { echo "$sysroot/$d/$1"; return 0; }
  done
  return 1
}

# The bundled libraries are found through the binary's RPATH; it must be DT_RPATH, not RUNPATH,
# because only DT_RPATH also serves the libraries' own NEEDED (libXNNPACK -> libpthreadpool).
for bin in "${bins[@]}"; do
  "$readelf" -dW "$bin" | grep -q '(RPATH).*\[\$ORIGIN/lib\]' \
    || die "$bin has no DT_RPATH \$ORIGIN/lib: bundle it through edgetrain_bundle() in firmware-tools/CMakeLists.txt"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/edgetrain/lib"
cp "${bins[@]}" "$stage/edgetrain/"

mpi_libs=$(openmpi_sonames "$sysroot" 2>&1) || die "$mpi_libs"
declare -A seen=() bundled=() skip=() walked=()
for bin in "${bins[@]}"; do
  skip=() walked=()
  if needed "$bin" | grep -q '^libmpi\.so'; then
    for lib in $mpi_libs; do skip[$lib]=1; done
    echo "   $(basename "$bin"): Open MPI's libraries left to the Pi's openmpi-bin"
  fi
  mapfile -t queue < <(needed "$bin")
  while (( ${#queue[@]} )); do
    lib=${queue[0]} queue=("${queue[@]:1}")
    [[ -n ${walked[$lib]:-} || -n ${skip[$lib]:-} ]] && continue
    walked[$lib]=1 seen[$lib]=1
    grep -qxF "$lib" "$sysroot/.base-libs" && continue
    path=$(in_sysroot "$lib") || die "$lib (needed by $(basename "$bin") or its libraries) is not in $sysroot"
    if [[ -z ${bundled[$lib]:-} ]]; then
      echo "   bundling $lib"
      cp -L "$path" "$stage/edgetrain/lib/$lib"
      bundled[$lib]=1
    fi
    mapfile -t -O "${#queue[@]}" queue < <(needed "$path")
  done
done

mkdir -p "$(dirname "$out")"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -czf "$out.tmp" edgetrain
mv "$out.tmp" "$out"
echo "== make-bundle: $out ($(du -h "$out" | cut -f1)): ${#bins[@]} binaries + ${#seen[@]} NEEDED checked"
