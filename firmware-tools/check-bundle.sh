#!/usr/bin/env bash
# check-bundle.sh [--expect REGEX] [--guest-rss] <bundle.tar.gz> <sysroot> [args...]
# Checks that a bundle runs on a bare Raspberry Pi OS: (a) no GLIBC symbol version above the Pi's
# 2.36, (b) runs under qemu-aarch64 on a root holding ONLY Debian's arm64 libc6, libstdc++6 and
# libgcc-s1 (the .debs make-sysroot.sh keeps in <sysroot>/.debs), with no LD_LIBRARY_PATH, every
# other library coming from the bundle; (c) exits 0 and, with --expect, prints a matching line.
# The one executable run is the bundle's single-Pi trainer. MPI trainers in the bundle
# (edgetrain-train-mpi) are checked for (a) and for (b) on a root that also holds what
# `apt install openmpi-bin` brings (lib/pi-os-root.sh): they carry no Open MPI library.
# --guest-rss adds a last line "guest peak RSS N B": the program's own bytes, without the
# emulator's (lib/rss-guest-peak.sh), what a Pi would count.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pi-os-root.sh"

die() { echo "check-bundle.sh: FAIL: $*" >&2; exit 1; }
expect=
sampler=()
while [[ ${1:-} == --* ]]; do
  case $1 in
    --expect) expect=$2; shift 2 ;;
    --guest-rss) sampler=("$(dirname "${BASH_SOURCE[0]}")/lib/rss-guest-peak.sh"); shift ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || die "usage: check-bundle.sh [--expect REGEX] [--guest-rss] <bundle.tar.gz> <sysroot> [args...]"
tarball=$1 sysroot=$2
shift 2
readelf=${READELF:-aarch64-linux-gnu-readelf}
max_glibc=2.36

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root" "$work/device"
tar -C "$work/device" -xzf "$tarball" || die "cannot unpack $tarball"
mapfile -t all < <(find "$work/device/edgetrain" -maxdepth 1 -type f -perm -u+x | sort)
bins=() mpi_bins=()
for f in "${all[@]}"; do
  if "$readelf" -dW "$f" | grep -q '(NEEDED).*\[libmpi\.so'; then mpi_bins+=("$f"); else bins+=("$f"); fi
done
[[ ${#bins[@]} == 1 ]] || die "expected one executable without MPI in edgetrain/, found ${#bins[@]}"
bin=${bins[0]}

newest=$(for f in "${all[@]}" "$work"/device/edgetrain/lib/*; do "$readelf" -VW "$f"; done \
         | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/.*GLIBC_//' | sort -uV | tail -1)
[[ $(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -1) == "$max_glibc" ]] \
  || die "needs GLIBC_$newest, the Pi has $max_glibc"
echo "== check-bundle: newest glibc symbol version needed: GLIBC_$newest (<= $max_glibc)"

make_pi_os_root "$sysroot" "$work/root" 2>"$work/err" || die "$(cat "$work/err")"

# -L makes the guest's / the clean root; qemu falls back to host paths for files it lacks, so
# the loader's own report is checked: every library from the bundle or the clean root.
qemu=(env -u LD_LIBRARY_PATH timeout 1200 qemu-aarch64 -cpu cortex-a53 -L "$work/root")
check_loads() {  # check_loads ROOT WHAT BINARY
  local trace lib path
  trace=$(env -u LD_LIBRARY_PATH qemu-aarch64 -cpu cortex-a53 -L "$1" -E LD_TRACE_LOADED_OBJECTS=1 "$3") \
    || die "the loader failed for $(basename "$3"): $trace"
  while read -r lib _ path _; do
    [[ $path == "$work/device/edgetrain/lib/"* || -e $1$path ]] \
      || die "$(basename "$3"): $lib => ${path/#not/not found}: neither in the bundle nor in $2"
  done < <(grep '=>' <<<"$trace")
}
check_loads "$work/root" "the clean root" "$bin"
if (( ${#mpi_bins[@]} )); then
  cp -a "$work/root" "$work/mpi-root"
  add_openmpi_to_root "$sysroot" "$work/mpi-root" 2>"$work/err" || die "$(cat "$work/err")"
  for f in "${mpi_bins[@]}"; do check_loads "$work/mpi-root" "the clean root with openmpi-bin" "$f"; done
  echo "== check-bundle: $(basename -a "${mpi_bins[@]}" | paste -sd' '): loads on the clean root + openmpi-bin's libraries"
fi
echo "== check-bundle: running $(basename "$bin") $* on the clean root"
start=$SECONDS
# Streamed, so a long training run shows its progress lines as they come.
status=0
${sampler[@]+"${sampler[@]}"} "${qemu[@]}" "$bin" "$@" 2>&1 | tee "$work/log" || status=${PIPESTATUS[0]}
(( status == 0 )) || die "$(basename "$bin") exited with $status"
if [[ -n $expect ]]; then
  grep -qE "$expect" "$work/log" || die "no line matching '$expect' in the output"
fi
echo "== check-bundle: OK in $((SECONDS - start)) s"
