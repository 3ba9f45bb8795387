# Sourced helper: a clean Raspberry Pi OS root for running aarch64 binaries under qemu-aarch64.
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
