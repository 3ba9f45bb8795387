#!/usr/bin/env bash
# data-formats.sh TRAINER-COMMAND...   (a 32x32x3, 10-class plan)
# The same 48 training and 16 test images (random, fixed seed) written as CIFAR-10 binary batches
# (label byte + R, G, B planes) and as 4-dimension IDX files (NHWC, gzip): the trainer picks each
# format by its files, and the two runs end in byte-identical states (the CIFAR reader's plane
# to NHWC conversion against pixels written directly).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
/usr/bin/python3 - "$tmp" <<'PY'
import gzip, os, random, struct, sys
root = sys.argv[1]
rng = random.Random(11)
os.makedirs(f"{root}/cifar/cifar-10-batches-bin")
os.makedirs(f"{root}/idx")
for split, count, cifar_files, idx_prefix in (("train", 48, ["data_batch_1.bin", "data_batch_2.bin"], "train"),
                                             ("test", 16, ["test_batch.bin"], "t10k")):
    images = [bytes(rng.randrange(256) for _ in range(32 * 32 * 3)) for _ in range(count)]  # HWC
    labels = [rng.randrange(10) for _ in range(count)]
    per_file = count // len(cifar_files)
    for f, name in enumerate(cifar_files):
        with open(f"{root}/cifar/cifar-10-batches-bin/{name}", "wb") as out:
            for i in range(f * per_file, (f + 1) * per_file):
                planes = b"".join(images[i][c::3] for c in range(3))
                out.write(bytes([labels[i]]) + planes)
    with gzip.open(f"{root}/idx/{idx_prefix}-images-idx3-ubyte.gz", "wb") as out:
        out.write(struct.pack(">IIIII", 0x804, count, 32, 32, 3) + b"".join(images))
    with gzip.open(f"{root}/idx/{idx_prefix}-labels-idx1-ubyte.gz", "wb") as out:
        out.write(struct.pack(">II", 0x801, count) + bytes(labels))
PY
common=(--steps 6 --log-every 3 --threads 2 --eval-images 16)
for fmt in cifar idx; do
  "$@" "${common[@]}" --data "$tmp/$fmt" --save "$tmp/$fmt.state" > "$tmp/$fmt.log" 2>&1 || { cat "$tmp/$fmt.log"; fail "training on $fmt failed"; }
  grep -q ", 48 training images$" "$tmp/$fmt.log" || { cat "$tmp/$fmt.log"; fail "$fmt: not 48 training images"; }
  grep -qE "^test accuracy [0-9.]+% \([0-9]+ of 16 images\)$" "$tmp/$fmt.log" || { cat "$tmp/$fmt.log"; fail "$fmt: no test accuracy over 16 images"; }
done
cmp "$tmp/cifar.state" "$tmp/idx.state" || fail "CIFAR-10 and IDX files of the same images train differently"
echo "ok: CIFAR-10 batches and 3-channel IDX files of the same images train to byte-identical states"
