#!/usr/bin/env bash
# freeze-cli.sh CASE PLAN SOURCE_DIR [TRAINER]: plan --freeze / --train-last / --from-state on the
# committed resnet_tiny.onnx (tests/golden/onnx/) and the zoo. Bad input: one error line, exit 1.
set -euo pipefail
case_name=$1 plan=$2 src=$3
onnx="$src/tests/golden/onnx/resnet_tiny.onnx"
expect="$src/tests/expect-error.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
frozen=(--freeze conv1 --freeze bn1 --freeze layer1)
case "$case_name" in
  unknown-layer) "$expect" "^plan: error: --freeze 'layer9' matches no layer of resnet_tiny \(close: layer1, layer2, .*plan --list-layers lists all 13\)$" \
                   "$plan" --onnx "$onnx" --batch 2 --freeze layer9 ;;
  unknown-zoo-layer) "$expect" "^plan: error: --freeze 'layer4.0.conv' matches no layer of resnet18 \(close: layer4.0.conv1, layer4.0.conv2" \
                       "$plan" --model resnet18 --image 64 --batch 2 --freeze layer4.0.conv ;;
  train-last-too-many) "$expect" "^plan: error: --train-last 14: resnet_tiny has 13 layers with parameters$" \
                         "$plan" --onnx "$onnx" --batch 2 --train-last 14 ;;
  train-last-zero) "$expect" "^plan: error: --train-last must be a positive integer" "$plan" --onnx "$onnx" --batch 2 --train-last 0 ;;
  all-frozen) "$expect" "^plan: error: nothing left to train: every layer of resnet_tiny is frozen$" \
                "$plan" --onnx "$onnx" --batch 2 "${frozen[@]}" --freeze layer2 --freeze fc ;;
  bn-above-trainable) "$expect" "^plan: error: frozen BatchNorm 'layer2.bn1' lies above trainable layer 'conv1'" \
                        "$plan" --onnx "$onnx" --batch 2 --freeze layer2 ;;
  from-state-alone) "$expect" "^plan: error: --from-state needs --weights-out STATE$" \
                      "$plan" --onnx "$onnx" --batch 2 "${frozen[@]}" --from-state "$tmp/x.state" ;;
  from-state-other-model)
    "$plan" --onnx "$src/tests/golden/onnx/mobilenet_v2_tiny.onnx" --batch 2 --weights-out "$tmp/m.state" 2> /dev/null
    "$expect" "state file '.*m.state' was saved for another model" \
      "$plan" --onnx "$onnx" --batch 2 "${frozen[@]}" --from-state "$tmp/m.state" --weights-out "$tmp/x.state"
    [[ ! -e "$tmp/x.state" ]] || { echo "FAIL: a state was written"; exit 1; } ;;
  trainer)
    # The trainer baked from the frozen plan refuses the unfrozen model's state as is (it holds
    # momentum for the frozen layers), starts from it once plan --from-state converted it,
    # trains, and its state goes back to ONNX with the same --freeze flags (not without them).
    trainer=$4
    "$plan" --onnx "$onnx" --batch 4 --weights-out "$tmp/unfrozen.state" 2> /dev/null
    "$expect" "holds [0-9]+ bytes of state, the plan needs [0-9]+" \
      "$trainer" --synthetic 16 --steps 1 --batch 4 --init-state "$tmp/unfrozen.state"
    "$plan" --onnx "$onnx" --batch 4 "${frozen[@]}" --from-state "$tmp/unfrozen.state" --weights-out "$tmp/ft.state"
    "$trainer" --synthetic 16 --steps 3 --batch 4 --log-every 1 --eval-images 8 --init-state "$tmp/ft.state" \
      --save "$tmp/trained.state"
    "$expect" "holds [0-9]+ bytes of state, the model needs [0-9]+" \
      "$plan" --onnx "$onnx" --export-weights "$tmp/trained.state" --out-onnx "$tmp/x.onnx"
    "$plan" --onnx "$onnx" "${frozen[@]}" --export-weights "$tmp/trained.state" --out-onnx "$tmp/trained.onnx"
    [[ $(stat -c %s "$tmp/trained.onnx") == $(stat -c %s "$onnx") ]]
    ! cmp -s "$onnx" "$tmp/trained.onnx" || { echo "FAIL: training changed nothing"; exit 1; }
    echo "ok: fine-tuned from the unfrozen state, exported" ;;
  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac
