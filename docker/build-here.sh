#!/usr/bin/env bash
# build-here.sh: builds docker/Dockerfile on this machine without a Docker engine, then checks the
# bundle it made on a clean Pi OS root under QEMU (firmware-tools/check-bundle.sh).
#   1. base image: debootstrap a minimal bookworm and `podman import` it as debian:bookworm
#      (skipped when that image exists; no registry is reachable here)
#   2. `buildah bud --isolation chroot` of the unchanged Dockerfile
#   3. copy /out/edgetrain-pi3.tar.gz out of the image to build/docker/
#   4. check-bundle.sh on it, using the image's own sysroot .debs for the clean root
# Needs root and `toolchains/install-deps.sh --docker`.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "build-here.sh: $*" >&2; exit 1; }
stage() { echo "== build-here: $* (at $((SECONDS - t0)) s)"; }
t0=$SECONDS
base=docker.io/library/debian:bookworm
image=edgetrain-pi3
rootfs=build/docker/debootstrap-bookworm
out=build/docker/edgetrain-pi3.tar.gz
[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, buildah)"
for tool in debootstrap podman buildah qemu-aarch64; do
  command -v "$tool" >/dev/null || die "$tool not found: run toolchains/install-deps.sh --docker"
done

# The Debian mirror this machine already uses (the only one that may be reachable).
mirror() {
  local uri
  uri=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | tr -d ' ')
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p build/docker
if podman image exists "$base"; then
  stage "base image $base exists, reusing it"
else
  if [[ ! -f $rootfs/.complete ]]; then
    stage "debootstrap minbase bookworm from $(mirror)"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$(mirror)" > build/docker/debootstrap.log 2>&1 \
      || die "debootstrap failed, see build/docker/debootstrap.log"
    # debootstrap writes only `bookworm main`; updates and security come from the machine's files.
    mv "$rootfs/etc/apt/sources.list" "$rootfs/sources.list.debootstrap"
    copied=0
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      if [[ -f $f ]] && grep -qE '^[^#]*/debian(-security)?/?( |$)' "$f"; then cp "$f" "$rootfs$f"; copied=1; fi
    done
    if (( copied )); then rm "$rootfs/sources.list.debootstrap"
    else mv "$rootfs/sources.list.debootstrap" "$rootfs/etc/apt/sources.list"; fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    touch "$rootfs/.complete"
  fi
  stage "podman import as $base"
  tar -C "$rootfs" --numeric-owner --exclude=./.complete -cf - . \
    | podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                    --change 'CMD ["bash"]' - "$base" >/dev/null
fi

stage "buildah bud docker/Dockerfile (log: build/docker/bud.log)"
# --layers: reruns reuse the dependency and sysroot layers.
buildah bud --isolation chroot --pull=never --layers -f docker/Dockerfile -t "$image" . \
  > build/docker/bud.log 2>&1 || { tail -n 30 build/docker/bud.log >&2; die "buildah bud failed"; }

stage "copying /out/edgetrain-pi3.tar.gz out of $image"
ctr=$(buildah from --pull-never "$image")
trap 'buildah umount "$ctr" >/dev/null 2>&1; buildah rm "$ctr" >/dev/null 2>&1' EXIT
mnt=$(buildah mount "$ctr")
cp "$mnt/out/edgetrain-pi3.tar.gz" "$out"

stage "checking $out on a clean Pi OS root"
firmware-tools/check-bundle.sh --expect "test accuracy" "$out" "$mnt/src/build/sysroot-arm64" \
  --data /usr/share/datasets/fashion-mnist --steps 20 --log-every 10 --eval-images 500
stage "done: $out"
