#!/usr/bin/env bash
# The planner CLI's --profile and --report, end to end.
#   plan-cli.sh CASE PLAN REPO
#   profile      the example x86 profile changes the optimal fashion_cnn schedule at 3.66 MiB
#   bad-profile  a malformed profile: one "plan: error: FILE:LINE: problem" line, exit 1
#   report       --report DIR: report.md with the expected rows, pareto.png a PNG
#   report-no-gnuplot  without gnuplot on PATH: one clear error line, exit 1
#   out-fifo     --out to a pipe writes through it and leaves it a pipe
#   hostile-names  model names holding quotes, backslashes, newlines, */: one error line, no plan
#   temp-symlink   a symlink planted at the old temporary name <out>.tmp: its target untouched
#   bad-numbers    ' 8', 0x10MiB, duplicate JSON keys, a 2-D input to conv, 2^32 fc features
set -euo pipefail
case_=$1 plan=$2 repo=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profile=$repo/planner/examples/fashion_cnn-x86-profile.json
common=(--model fashion_cnn --batch 32 --policy optimal --budget 3.66MiB)
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case_ in
  profile)
    "$plan" "${common[@]}" 2> "$work/flops.txt"
    "$plan" "${common[@]}" --profile "$profile" 2> "$work/measured.txt"
    cat "$work/flops.txt" "$work/measured.txt"
    grep -q "batch 32 timed from its batch-32 run: 23 ops matched, 0 unmatched, 11 of 11 forward ops measured" \
      "$work/measured.txt" || fail "no profile summary line"
    ops() { grep -o '[0-9]* train ops' "$1"; }
    [[ $(ops "$work/flops.txt") == "32 train ops" ]] || fail "FLOP-based schedule changed: $(ops "$work/flops.txt")"
    [[ $(ops "$work/measured.txt") == "33 train ops" ]] || fail "profiled schedule: $(ops "$work/measured.txt")"
    ;;
  bad-profile)
    sed '0,/"kind": "Relu"/s//"kind": "Relu7"/' "$profile" > "$work/bad.json"
    line=$(grep -n '"Relu7"' "$work/bad.json" | cut -d: -f1)
    status=0
    "$plan" "${common[@]}" --profile "$work/bad.json" 2> "$work/err.txt" || status=$?
    cat "$work/err.txt"
    [[ $status == 1 ]] || fail "exit status $status"
    [[ $(wc -l < "$work/err.txt") == 1 ]] || fail "not one line"
    grep -qx "plan: error: $work/bad.json:$line: unknown op kind 'Relu7'" "$work/err.txt" || fail "wrong message"
    printf '{"format": "edgetrain-device-profile", "version": 1, "model": "resnet18",\n "runs": []}\n' > "$work/empty.json"
    "$plan" "${common[@]}" --profile "$work/empty.json" 2> "$work/err.txt" && fail "accepted no runs"
    grep -qx "plan: error: $work/empty.json:2: \"runs\" is empty" "$work/err.txt" || fail "$(cat "$work/err.txt")"
    ;;
  report)
    "$plan" "${common[@]}" --profile "$profile" --report "$work/r" 2> "$work/out.txt"
    cat "$work/out.txt"
    grep -qx "plan: report: $work/r/report.md, $work/r/pareto.png" "$work/out.txt" || fail "no report line"
    md=$work/r/report.md
    [[ -s $md && -s $work/r/pareto.png ]] || fail "report files missing"
    [[ $(head -c 8 "$work/r/pareto.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "not a PNG"
    # The profiled 3.66 MiB plan (see the profile case): the normalized image and conv2 recomputed
    # once, conv1 kept (by FLOPs conv1 is recomputed instead: 8x fewer FLOPs, the same measured time).
    for row in '^# Plan report: fashion_cnn, batch 32, optimal$' \
               '^\| # \| name \| op \| output shape \| bytes \| FLOPs \| kept or recomputed \|$' \
               '^\| 0 \| input.normalized \| Normalize \| 32x28x28x1 \| 100352 \| 25.1 k \| recomputed x1 \|$' \
               '^\| 1 \| conv1 \| Conv2d \| 32x28x28x16 \| 1605632 \| 7.23 M \| kept \|$' \
               '^\| 5 \| conv2 \| Conv2d \| 32x14x14x32 \| 802816 \| 57.80 M \| recomputed x1 \|$' \
               '^\| 10 \| loss \| SoftmaxCrossEntropy \| 1 \| 4 \| 1.6 k \| kept \|$' \
               '^## Checkpoints$' \
               '^\| policy \| member \| total bytes \| total \| step time vs store-all \|$' \
               '^\| store-all \| - \| 3935168 \| 3.8 MiB \| \+0.0% \|$' \
               '^\| uniform \| k=[0-9]+ \|' '^\| chen-sqrt \| len=[0-9]+ \|' '^\| seed \| k=[0-9]+ \|' \
               '^\| optimal \| m=[0-9]+ \| 3830848 \|'; do
      grep -qE -- "$row" "$md" || fail "no row matching '$row' in report.md"
    done
    [[ $(grep -c '^| [0-9]* | ' "$md") == 11 ]] || fail "want 11 layer rows"
    ;;
  out-fifo)  # --out to a pipe (or /dev/null) is written in place: a rename would replace it
    mkfifo "$work/pipe"
    timeout 60 cat "$work/pipe" > "$work/got" &
    "$plan" --model fashion_cnn --batch 2 --out "$work/pipe" 2> /dev/null
    wait
    [[ -p $work/pipe ]] || fail "the pipe was replaced by a file"
    grep -q kBakedPlans "$work/got" || fail "the plan did not go through the pipe"
    ;;
  report-no-gnuplot)
    mkdir "$work/bin"
    status=0
    PATH=$work/bin "$plan" "${common[@]}" --report "$work/r" 2> "$work/err.txt" || status=$?
    cat "$work/err.txt"
    [[ $status == 1 && $(wc -l < "$work/err.txt") == 1 ]] || fail "want one error line and exit 1"
    grep -q "^plan: error: --report draws pareto.png with gnuplot, which is not on PATH" "$work/err.txt" || fail "wrong message"
    ;;
  hostile-names)
    expect=$repo/tests/expect-error.sh
    for name in 'c\");\nint x = system(\"id\"); /* */' 'a\\b' 'a*/b'; do
      printf '{"name": "m", "input": [8, 8, 1], "classes": 2, "layers": [{"name": "%s", "type": "conv", "out": 2, "kernel": 3}, {"name": "g", "type": "global_avgpool"}, {"name": "f", "type": "fc", "out": 2}]}\n' "$name" > "$work/m.json"
      "$expect" "^plan: error: $work/m.json:1: layer name \".*\" holds '.*' \(names may hold only letters, digits, '\.' and '_'\)$" \
        "$plan" --model-file "$work/m.json" --batch 2 --out "$work/m.gen.cc" --json "$work/m.json.out" || fail "name $name"
      [[ ! -e $work/m.gen.cc && ! -e $work/m.json.out ]] || fail "a plan was written for name $name"
    done
    ;;
  temp-symlink)
    echo precious > "$work/victim"
    ln -s "$work/victim" "$work/p.gen.cc.tmp"
    ln -s "$work/victim" "$work/p.json.tmp"
    "$plan" --model fashion_cnn --batch 2 --out "$work/p.gen.cc" --json "$work/p.json" 2> /dev/null
    [[ $(cat "$work/victim") == precious ]] || fail "the plan was written through the planted symlink"
    [[ -f $work/p.gen.cc && ! -L $work/p.gen.cc ]] && grep -q kBakedPlans "$work/p.gen.cc" || fail "no plan"
    [[ -z $(find "$work" -name '*.tmp.*') ]] || fail "a temporary was left behind"
    ;;
  bad-numbers)
    expect=$repo/tests/expect-error.sh
    "$expect" "^plan: error: --batch must be a positive integer \(at most 1048576\), got ' 8'$" \
      "$plan" --model fashion_cnn --batch ' 8' --out "$work/x.gen.cc" || fail "--batch ' 8'"
    "$expect" "^plan: error: '0x10MiB' is not a byte size" \
      "$plan" --model fashion_cnn --batch 8 --budget 0x10MiB --out "$work/x.gen.cc" || fail "--budget 0x10MiB"
    printf '{"name": "m", "name": "n", "input": [8, 8, 1], "classes": 2, "layers": []}\n' > "$work/dup.json"
    "$expect" "^plan: error: $work/dup.json:1: key \"name\" appears twice in one object$" \
      "$plan" --model-file "$work/dup.json" --batch 2 --out "$work/x.gen.cc" || fail "duplicate key"
    printf '{"name": "m", "input": [8, 8, 1], "classes": 2, "layers": [{"name": "f", "type": "fc", "out": 4}, {"name": "c", "type": "conv", "out": 2, "kernel": 1}, {"name": "f2", "type": "fc", "out": 2}]}\n' > "$work/rank.json"
    "$expect" "^plan: error: $work/rank.json:1: c \(conv\) needs a 4-D input \[N, H, W, C\], got \[2, 4\] from 'f'$" \
      "$plan" --model-file "$work/rank.json" --batch 2 --out "$work/x.gen.cc" || fail "2-D into conv"
    printf '{"name": "m", "input": [4096, 4096, 1], "classes": 10, "layers": [{"name": "c", "type": "conv", "out": 256, "kernel": 1}, {"name": "fc", "type": "fc", "out": 10}]}\n' > "$work/big.json"
    "$expect" "^plan: error: $work/big.json:1: fc: input features \(\[2, 4096, 4096, 256\] flattened\) is 4294967296" \
      "$plan" --model-file "$work/big.json" --batch 2 --out "$work/x.gen.cc" || fail "2^32 features"
    ;;
  *) fail "unknown case '$case_'" ;;
esac
echo "ok: $case_"
