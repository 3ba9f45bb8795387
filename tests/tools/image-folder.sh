#!/usr/bin/env bash
# image-folder.sh TRAINER-COMMAND...
# Trains a 3-channel plan (3 classes) on an image folder made by make-image-folder.py: the
# trainer names the folder's classes and sizes, warns once per bad file (the one it cannot list,
# the one it cannot decode) and counts them at the end, reports validation accuracy; an
# augmented run is bit-identical when repeated and across --stop-after/--resume, and differs
# from the center-crop run (the augmentation is applied).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
/usr/bin/python3 "$here/make-image-folder.py" "$tmp/photos"
common=(--data "$tmp/photos" --steps 8 --log-every 4 --threads 2 --seed 3)
run() {  # run NAME ARGS...: stdout in NAME.out, stderr in NAME.err
  local name=$1
  shift
  "${trainer[@]}" "${common[@]}" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" \
    || { cat "$tmp/$name.out" "$tmp/$name.err"; fail "run '$name' failed"; }
}
trainer=("$@")
run aug --augment --save "$tmp/aug.state"
grep -q "^image folder $tmp/photos: 3 classes (blue ... red), 25 training and 6 validation images (unreadable files skipped: see the warnings), random crops and mirrors$" "$tmp/aug.out" \
  || { cat "$tmp/aug.out"; fail "no 'image folder' line with 3 classes, 25 + 6 images"; }
grep -qE "^validation accuracy [0-9.]+% \([0-9]+ of 6 images\)$" "$tmp/aug.out" || { cat "$tmp/aug.out"; fail "no validation accuracy over 6 images"; }
grep -q "warning: image '$tmp/photos/train/red/junk.jpg' is neither JPEG nor PNG.*; skipped" "$tmp/aug.err" \
  || { cat "$tmp/aug.err"; fail "no warning naming junk.jpg"; }
grep -q "warning: image '$tmp/photos/train/green/cut.png' is a damaged PNG: .*; skipped" "$tmp/aug.err" \
  || { cat "$tmp/aug.err"; fail "no warning naming cut.png"; }
[[ $(grep -c "cut.png" "$tmp/aug.err") == 1 ]] || { cat "$tmp/aug.err"; fail "cut.png warned about more than once"; }
grep -q "warning: 2 image files could not be read and were skipped (named above)$" "$tmp/aug.err" \
  || { cat "$tmp/aug.err"; fail "no count of the skipped files at the end"; }
run again --augment --save "$tmp/again.state"
cmp "$tmp/aug.state" "$tmp/again.state" || fail "two augmented runs differ"
run split --augment --save "$tmp/split.state" --stop-after 3
run resume --augment --save "$tmp/split.state" --resume
cmp "$tmp/aug.state" "$tmp/split.state" || fail "an augmented run stopped at 3 and resumed differs from one run"
run center --save "$tmp/center.state"
grep -q "center crops$" "$tmp/center.out" || fail "the run without --augment does not say center crops"
cmp -s "$tmp/aug.state" "$tmp/center.state" && fail "--augment changed nothing"
echo "ok: image folder trains; 2 bad files warned and counted; augmented runs repeat and resume bit for bit"
