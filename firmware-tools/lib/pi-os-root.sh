# Sourced helper: a clean Raspberry Pi OS root (and one with openmpi-bin, below) for running aarch64 binaries under qemu-aarch64.
#   make_pi_os_root <sysroot> <dir>
# Unpacks into <dir> ONLY the arm64 libc6, libstdc++6 and libgcc-s1 that Raspberry Pi OS bookworm
# ships (the .debs toolchains/make-sysroot.sh keeps in <sysroot>/.debs): one consistent glibc and
# its loader, nothing else, so a bundle that runs there needs nothing the Pi lacks.
# Used by check-bundle.sh and by the loopback "Pi" of tests/firmware.
make_pi_os_root() {
  local sysroot=$1 dir=$2 p deb
  mkdir -p "$dir"
  for p in libc6 libstdc++6 libgcc-s1; do
    deb=$(compgen -G "$sysroot/.debs/${p}_*_arm64.deb") \
      || { echo "no $p arm64 .deb in $sysroot/.debs (run toolchains/make-sysroot.sh)" >&2; return 1; }
    dpkg-deb -x "$deb" "$dir" || return 1
  done
}

# What `sudo apt install openmpi-bin` puts on a Pi that the MPI trainers (edgetrain-train-mpi)
# load: Open MPI's libraries and plugins and the libraries they need. Bundles never carry these
# (make-bundle.sh leaves them out of an MPI binary's closure: Open MPI loads its plugins from the
# system's /usr/lib, and every Pi of a cluster needs openmpi-bin's orted anyway).
pi_os_openmpi_packages=(libopenmpi3 libpmix2 libmunge2 libhwloc15 libudev1 libevent-core-2.1-7
                        libevent-pthreads-2.1-7 libnl-3-200 zlib1g)

# add_openmpi_to_root <sysroot> <dir>: adds those packages (from <sysroot>/.debs) to a root made by
# make_pi_os_root: a Pi with openmpi-bin installed.
add_openmpi_to_root() {
  local sysroot=$1 dir=$2 p deb
  for p in "${pi_os_openmpi_packages[@]}"; do
    deb=$(compgen -G "$sysroot/.debs/${p}_*_arm64.deb") \
      || { echo "no $p arm64 .deb in $sysroot/.debs (run toolchains/make-sysroot.sh)" >&2; return 1; }
    dpkg-deb -x "$deb" "$dir" || return 1
  done
}

# openmpi_sonames <sysroot>: the library file names those packages hold, one a line.
openmpi_sonames() {
  local sysroot=$1 p deb
  for p in "${pi_os_openmpi_packages[@]}"; do
    deb=$(compgen -G "$sysroot/.debs/${p}_*_arm64.deb") \
      || { echo "no $p arm64 .deb in $sysroot/.debs (run toolchains/make-sysroot.sh)" >&2; return 1; }
    dpkg-deb -c "$deb" | awk '{print ($(NF-1) == "->") ? $(NF-2) : $NF}' | xargs -n1 basename \
      | grep -E '^lib.*\.so(\.[0-9.]+)?$'
  done | sort -u
}
