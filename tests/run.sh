#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine (as root):
#   1. install dependencies (Debian packages only)
#   2. host build: planner, runtime and every test (ctest)
#   3. host build under AddressSanitizer + UndefinedBehaviorSanitizer (ctest)
#   4. libFuzzer: every fuzz target for 60 s (clang, ASan+UBSan; tests/fuzz/run-libfuzzer.sh)
#   5. pi3 cross build: every test again as aarch64 binaries under qemu-aarch64 (ctest), plus the
#      bundle checks on a clean Raspberry Pi OS root
#   6. the Docker image: docker/Dockerfile built with buildah (no Docker engine), bundle run
# Prints the time of each stage. Options: --skip-docker, --skip-asan, --skip-fuzz (for quick
# local runs).
set -euo pipefail
cd "$(dirname "$0")/.."

skip_docker=0 skip_asan=0 skip_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --skip-docker) skip_docker=1 ;;
    --skip-asan) skip_asan=1 ;;
    --skip-fuzz) skip_fuzz=1 ;;
    *) echo "tests/run.sh: unknown option '$arg' (use --skip-docker, --skip-asan, --skip-fuzz)" >&2; exit 2 ;;
  esac
done

jobs=$(nproc)
timings=()
stage() {  # stage <name> <command...>
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=============== $name"
  "$@"
  timings+=("$(printf '%-34s %5d s' "$name" $((SECONDS - start)))")
}
run_preset() {  # configure, build and test one CMake preset
  cmake --preset "$1" > "build/$1.configure.log" 2>&1 || { cat "build/$1.configure.log"; return 1; }
  cmake --build --preset "$1" -j "$jobs"
  ctest --preset "$1" -j "$jobs"
}

mkdir -p build
stage "install dependencies" toolchains/install-deps.sh --docker
stage "host: build + tests" run_preset host
(( skip_asan )) || stage "host-asan: build + tests" run_preset host-asan
(( skip_fuzz )) || stage "libFuzzer: 60 s per target" tests/fuzz/run-libfuzzer.sh 60
stage "arm64 sysroot" toolchains/make-sysroot.sh build/sysroot-arm64
stage "pi3: build + tests under QEMU" run_preset pi3
(( skip_docker )) || stage "docker image (buildah) + bundle run" docker/build-here.sh

echo
echo "=============== stage timings"
printf '%s\n' "${timings[@]}"
echo "tests/run.sh: all stages passed"
