#!/usr/bin/env bash
# Builds the fuzz targets against libFuzzer (clang, ASan + UBSan, UB fatal) in build/fuzz and runs
# each for a bounded time on a scratch copy of its seed corpus (tests/fuzz/corpus_<x>/ is never
# written), two at a time, one process each (no -jobs/-workers/-fork: a single in-process fuzzer
# per target, so a pair takes CI's two cores). Prints one row per target and exits 1 on any
# finding, with the reproducer and the command that replays it.
#   tests/fuzz/run-libfuzzer.sh [SECONDS] [TARGET...]    SECONDS per target, default 60
# TARGET: model_file, onnx, device_profile, idx, cifar, image, state (default: all). EDGETRAIN_FUZZ_SEED sets
# libFuzzer's -seed (default 1, printed); the same seed replays the same sequence of mutations.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "run-libfuzzer.sh: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2; }
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
(( ${#targets[@]} )) || targets=(model_file onnx device_profile idx cifar image state)
for t in "${targets[@]}"; do
  [[ -d tests/fuzz/corpus_$t ]] || { echo "run-libfuzzer.sh: unknown target '$t'" >&2; exit 2; }
done
seed=${EDGETRAIN_FUZZ_SEED:-1}
build=build/fuzz
scratch=$build/run
start=$SECONDS

# Debian: clang alone does not pull libFuzzer and the sanitizer runtimes (a Recommends).
if ! command -v clang++ > /dev/null ||
   [[ ! -e $(clang++ -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a ]]; then
  echo "run-libfuzzer.sh: needs clang with libFuzzer (Debian: apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi
echo "run-libfuzzer.sh: building ${targets[*]} in $build (clang, libFuzzer, ASan+UBSan)"
mkdir -p "$build"
if ! CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DEDGETRAIN_LIBFUZZER=ON -DEDGETRAIN_SANITIZE=ON > "$build/configure.log" 2>&1; then
  cat "$build/configure.log"; exit 1
fi
if ! cmake --build "$build" -j 2 --target "${targets[@]/%/_fuzz}" > "$build/build.log" 2>&1; then
  tail -50 "$build/build.log"; exit 1
fi
echo "run-libfuzzer.sh: built in $((SECONDS - start)) s; $seconds s per target, -seed=$seed"

# UB is fatal (-fno-sanitize-recover): print where it happened. Callers' settings win.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# fuzz_target T: one target's run; its report goes to $scratch/T/report, its table row to
# $scratch/T/row, and $scratch/T/failed exists on a finding.
fuzz_target() {
  local t=$1 bin=$build/tests/fuzz/${1}_fuzz dir=$scratch/$1
  rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/findings"
  cp tests/fuzz/corpus_"$t"/* "$dir/corpus/"
  local cmd=("$bin" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
             -print_final_stats=1 -artifact_prefix="$dir/findings/" "$dir/corpus")
  {
    echo "=== $t: ${cmd[*]}"
    local rc=0
    "${cmd[@]}" > "$dir/log" 2>&1 || rc=$?
    # libFuzzer's last stats line: "#<execs> <event> cov: C ft: F corp: UNITS/BYTES ..."
    local stats execs found finding
    stats=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)' "$dir/log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    [[ -n $execs ]] || execs=$(sed -E -n 's/^#([0-9]+).*/\1/p' <<< "$stats")
    field() { sed -E -n "s/.* $1: ([^ ]+).*/\\1/p" <<< "$stats"; }
    found=$(find "$dir/findings" -type f | sort | head -1)
    if [[ -n $found ]]; then
      touch "$dir/failed"
      finding=$found
      echo "$t: FINDING $found (log: $dir/log)"
      grep -E -m1 -A12 '^==[0-9]+==ERROR|runtime error:|^==[0-9]+== ERROR|deadly signal' "$dir/log" || tail -20 "$dir/log"
      echo "  replay:   $bin $found"
      echo "  minimise: $bin -minimize_crash=1 -runs=100000 -artifact_prefix=$dir/findings/min- $found"
    elif (( rc != 0 )); then
      touch "$dir/failed"
      finding="exit $rc, see $dir/log"
      tail -20 "$dir/log"
    else
      finding=0
    fi
    printf '%-15s %12s %16s %6s %7s  %s\n' "$t" "${execs:--}" "$(field corp)" "$(field cov)" "$(field ft)" "$finding" > "$dir/row"
  } > "$dir/report.tmp" 2>&1
  mv "$dir/report.tmp" "$dir/report"
}

# Two targets at a time: one per core of CI's two.
failed=0
for (( i = 0; i < ${#targets[@]}; i += 2 )); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    fuzz_target "$t" &
    pids+=($!)
  done
  wait "${pids[@]}" || failed=1
  for t in "${targets[@]:i:2}"; do
    cat "$scratch/$t/report"
    [[ -e $scratch/$t/failed ]] && failed=1
  done
done

echo
echo "libFuzzer, $seconds s per target, -seed=$seed (total $((SECONDS - start)) s with the build)"
printf '%-15s %12s %16s %6s %7s  %s\n' target executions "corpus units/B" cov ft findings
for t in "${targets[@]}"; do cat "$scratch/$t/row"; done
exit "$failed"
