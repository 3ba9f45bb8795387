#!/usr/bin/env bash
# Installs, from Debian's packages only, what this repo needs. Safe to re-run.
#   install-deps.sh               host build, pi3 cross build, QEMU tests, training data, plots,
#                                 ssh server + client for the loopback "Pi" of tests/firmware,
#                                 Open MPI (mpirun starts the MPI tests' ranks in both builds)
#   install-deps.sh --build-only  just what the pi3 cross build needs (used by docker/Dockerfile)
#   install-deps.sh --docker      also the tools docker/build-here.sh uses (no Docker engine)
#   install-deps.sh --goldens     also PyTorch (python3-torch, python3-torchvision), for the scripts
#                                 that make the committed goldens and ONNX files (tests never need it)
# The arm64 libraries are NOT installed here: toolchains/make-sysroot.sh unpacks them into the
# build tree, because Debian's amd64 and arm64 XNNPACK -dev packages cannot be co-installed.
set -euo pipefail

build=(build-essential cmake ninja-build g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
       qemu-user libxnnpack-dev libcpuinfo-dev libpthreadpool-dev doctest-dev zlib1g-dev
       file libonnx-dev libprotobuf-dev libturbojpeg0-dev libpng-dev)
extras=(dataset-fashion-mnist gnuplot-nox openssh-server openssh-client python3 python3-onnx
        clang libclang-rt-14-dev   # clang + libFuzzer for tests/fuzz/run-libfuzzer.sh
        libopenmpi-dev openmpi-bin)  # Open MPI: the host build's edgetrain::mpi, mpirun for tests/mpi
docker=(buildah podman debootstrap)
goldens=(python3-torch python3-torchvision python3-onnx)

pkgs=("${build[@]}")
want_extras=1
for arg in "$@"; do
  case "$arg" in
    --build-only) want_extras=0 ;;
    --docker) pkgs+=("${docker[@]}") ;;
    --goldens) pkgs+=("${goldens[@]}") ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --build-only, --docker, --goldens)" >&2; exit 2 ;;
  esac
done
(( want_extras )) && pkgs+=("${extras[@]}")

[[ $(id -u) == 0 ]] || { echo "install-deps.sh: must run as root (apt-get install)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
echo "== install-deps: apt-get update"
# A third-party source that is down must not block Debian's packages: install below fails
# clearly anyway if something we need is really missing.
apt-get update -q || echo "install-deps: apt-get update reported errors; continuing" >&2
echo "== install-deps: installing ${#pkgs[@]} packages: ${pkgs[*]}"
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
echo "== install-deps: done"
