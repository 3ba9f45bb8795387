#!/usr/bin/env bash
# make-sysroot.sh <dir>: unpacks Debian's arm64 runtime and -dev packages into <dir> for the pi3
# cross build and for running its binaries under qemu-aarch64. The packages are only downloaded
# and unpacked (dpkg -x), never installed: the amd64 and arm64 XNNPACK -dev packages conflict.
# Idempotent: a stamp file records what <dir> holds.
set -euo pipefail

die() { echo "make-sysroot.sh: $*" >&2; exit 1; }
[[ $# == 1 ]] || die "usage: make-sysroot.sh <dir>   (e.g. toolchains/make-sysroot.sh build/sysroot-arm64)"
dir=$1

# What Raspberry Pi OS itself has; make-bundle.sh ships none of their libraries, and
# check-bundle.sh runs the bundle on a root made of exactly these.
base=(libc6 libstdc++6 libgcc-s1)
# What the build links against; libc headers and crt files come from the cross toolchain's
# libc6-dev-arm64-cross (same glibc 2.36), so libc6-dev is deliberately absent.
extra=(libxnnpack0 libxnnpack-dev libcpuinfo0 libcpuinfo-dev libpthreadpool0 libpthreadpool-dev
       zlib1g zlib1g-dev libturbojpeg0 libturbojpeg0-dev libpng16-16 libpng-dev)
# Open MPI (cmake/Mpi.cmake): headers and libmpi.so (-dev: usr/lib/aarch64-linux-gnu/openmpi/
# {include,lib}; the /usr/include/<arch>/mpi alternatives link is made by its postinst, which
# dpkg -x never runs), libmpi and its MCA components, and what they load to start a rank under
# the host's amd64 mpirun: PMIx (libpmix2, which needs libmunge2), hwloc (libudev1), libevent,
# libnl (reachable_netlink: without it every rank prints a load error). Left out on purpose:
# libfabric, UCX, ibverbs (only the ofi, ucx and openib components need them, and the flags of
# edgetrain_add_mpi_test never open those; a bare mpirun prints one load error per component and
# rank), hwloc's plugins (X11, libxml2), openmpi-bin (the host's mpirun and orted start the ranks;
# help texts and openmpi-mca-params.conf come from the host's openmpi-common and openmpi-bin
# through qemu's -L fallback).
mpi=(libopenmpi-dev libopenmpi3 libpmix2 libmunge2 libhwloc15 libudev1 libevent-core-2.1-7
     libevent-pthreads-2.1-7 libnl-3-200)
arch_all=(doctest-dev)  # header-only; lets find_package(doctest) resolve inside the sysroot
want="${base[*]} ${extra[*]} ${mpi[*]} ${arch_all[*]}"

stamp="$dir/.edgetrain-sysroot"
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "== make-sysroot: $dir is up to date"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "must run as root (dpkg --add-architecture, apt-get update)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this script needs a Debian host"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "== make-sysroot: dpkg --add-architecture arm64"
  dpkg --add-architecture arm64
fi
echo "== make-sysroot: apt-get update"
# Third-party sources (e.g. amd64-only ones) may warn or fail; only Debian's arm64 index matters,
# and it is checked right after.
apt-get update -q >/dev/null || echo "make-sysroot: apt-get update reported errors; continuing" >&2
apt-cache show libxnnpack0:arm64 >/dev/null 2>&1 \
  || die "no arm64 package index after apt-get update: is Debian's mirror reachable?"

# Start clean only if the folder is ours (has a stamp) or empty, never wipe someone else's files.
if [[ -d $dir && -n $(ls -A "$dir") ]]; then
  [[ -f $stamp ]] || die "$dir exists, is not empty and has no $stamp: refusing to overwrite it"
  echo "== make-sysroot: package list changed, recreating $dir"
  rm -rf "$dir"
fi
mkdir -p "$dir/.debs"

qualified=()
for p in "${base[@]}" "${extra[@]}" "${mpi[@]}"; do qualified+=("$p:arm64"); done
echo "== make-sysroot: apt-get download ${#qualified[@]} arm64 + ${#arch_all[@]} arch:all packages"
# Sandbox user root: the _apt user may not be able to write into the build tree.
(cd "$dir/.debs" && apt-get download -q -o APT::Sandbox::User=root "${qualified[@]}" "${arch_all[@]}") \
  || die "apt-get download failed (package names above are bookworm's)"

for deb in "$dir"/.debs/*.deb; do
  echo "   unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$dir"
done

# Debian's -dev symlinks may be absolute (libz.so -> /lib/...); point them inside the sysroot.
find "$dir" -type l -lname '/*' | while read -r link; do
  ln -sfr "$dir$(readlink "$link")" "$link"
done

# Sonames the device already has, so make-bundle.sh knows what not to ship.
for p in "${base[@]}"; do
  dpkg-deb -c "$dir"/.debs/"${p}"_*_arm64.deb | awk '{print ($(NF-1) == "->") ? $(NF-2) : $NF}' | xargs -n1 basename \
    | grep -E '^(lib|ld-).*\.so(\.[0-9.]+)?$'
done | sort -u > "$dir/.base-libs"

[[ -e $dir/lib/ld-linux-aarch64.so.1 ]] || die "libc6:arm64 gave no lib/ld-linux-aarch64.so.1"
echo "$want" > "$stamp"
echo "== make-sysroot: done: $dir ($(du -sh "$dir" | cut -f1))"
