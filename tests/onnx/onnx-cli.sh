#!/usr/bin/env bash
# onnx-cli.sh CASE PLAN SOURCE_DIR: the planner CLI's ONNX paths on the committed files
# (tests/golden/onnx/). Bad files must give one error line naming the problem and exit 1.
set -euo pipefail
case_name=$1 plan=$2 src=$3
dir="$src/tests/golden/onnx"
expect="$src/tests/expect-error.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$case_name" in
  truncated) "$expect" "truncated.onnx: not an ONNX model \(the protobuf does not parse" "$plan" --onnx "$dir/truncated.onnx" --batch 2 ;;
  opset) "$expect" "opset7.onnx: opset 7 is not supported \(supported: 11 to 17" "$plan" --onnx "$dir/opset7.onnx" --batch 2 ;;
  unsupported-op) "$expect" "node '/act/LeakyRelu' \(LeakyRelu\): operator not supported \(supported: Conv, " "$plan" --onnx "$dir/unsupported_op.onnx" --batch 2 ;;
  unsupported-attribute) "$expect" "node '/conv/Conv' \(Conv\): dilations \[2, 2\] are not supported" "$plan" --onnx "$dir/dilated.onnx" --batch 2 ;;
  dynamic-shape) "$expect" "dynamic shapes are not supported: input 'image' dimension H is 'height'" "$plan" --onnx "$dir/dynamic_hw.onnx" --batch 2 ;;
  missing-file) "$expect" "cannot read '.*nonexistent.onnx'" "$plan" --onnx "$tmp/nonexistent.onnx" --batch 2 ;;
  not-onnx) "$expect" "not an ONNX model" "$plan" --onnx "$dir/make_onnx_goldens.py" --batch 2 ;;
  wrong-state)
    "$plan" --onnx "$dir/resnet_tiny.onnx" --batch 2 --weights-out "$tmp/r.state" 2> /dev/null
    "$expect" "state file '.*r.state' was saved for another model" \
      "$plan" --onnx "$dir/mobilenet_v2_tiny.onnx" --export-weights "$tmp/r.state" --out-onnx "$tmp/x.onnx"
    [[ ! -e "$tmp/x.onnx" ]] || { echo "FAIL: an export was written"; exit 1; } ;;
  round-trip)
    # Untrained weights go out exactly as they came in: the export is the same file, byte for byte.
    "$plan" --onnx "$dir/resnet_tiny.onnx" --batch 2,4 --out "$tmp/p.gen.cc" --weights-out "$tmp/r.state"
    "$plan" --onnx "$dir/resnet_tiny.onnx" --export-weights "$tmp/r.state" --out-onnx "$tmp/r.onnx"
    cmp "$dir/resnet_tiny.onnx" "$tmp/r.onnx"
    grep -q "kBakedPlans" "$tmp/p.gen.cc"
    echo "ok: state -> ONNX reproduces the file" ;;
  trainer)
    # onnx-cli.sh trainer PLAN SRC TRAINER STATE: the trainer baked from the ONNX plan starts
    # from its weights (a copy of the planner's state, resumed), trains, and the export differs
    # from the source only in its initializers' bytes, and passes onnx.checker.
    trainer=$4
    cp "$5" "$tmp/run.state"
    "$trainer" --synthetic 16 --steps 3 --batch 4 --log-every 1 --eval-images 8 --save "$tmp/run.state" --resume
    "$plan" --onnx "$dir/resnet_tiny.onnx" --export-weights "$tmp/run.state" --out-onnx "$tmp/trained.onnx"
    [[ $(stat -c %s "$tmp/trained.onnx") == $(stat -c %s "$dir/resnet_tiny.onnx") ]]
    ! cmp -s "$dir/resnet_tiny.onnx" "$tmp/trained.onnx" || { echo "FAIL: training changed nothing"; exit 1; }
    # ONNX's own checker (Debian's python3-onnx) accepts the export.
    /usr/bin/python3 -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' \
      "$tmp/trained.onnx"
    echo "ok: trained weights exported; onnx.checker accepts them" ;;
  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac
