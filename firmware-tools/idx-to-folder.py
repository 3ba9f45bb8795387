#!/usr/bin/python3
"""idx-to-folder.py [--train N] [--val N] OUT [IDX-DIR]

Writes an IDX data set (default: Debian's Fashion-MNIST, /usr/share/datasets/fashion-mnist) as
an image folder, the layout edgetrain-train --data reads for your own photos:
OUT/train/<class>/<i>.png and OUT/val/<class>/<i>.png (the first N training and N test images,
default 6000 and 1000; gray PNGs written with zlib alone). Class folders are named by label
(0_tshirt ... for Fashion-MNIST), so their sorted order is the label order.
"""
import argparse
import gzip
import os
import struct
import zlib

FASHION = ["0_tshirt", "1_trouser", "2_pullover", "3_dress", "4_coat", "5_sandal", "6_shirt", "7_sneaker",
           "8_bag", "9_boot"]


def png(path, w, h, gray):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + gray[y * w:(y + 1) * w] for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xff
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[2])
    ap.add_argument("out")
    ap.add_argument("idx_dir", nargs="?", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train", type=int, default=6000)
    ap.add_argument("--val", type=int, default=1000)
    a = ap.parse_args()
    for split, prefix, count in (("train", "train", a.train), ("val", "t10k", a.val)):
        (n, h, w), pixels = read_idx(f"{a.idx_dir}/{prefix}-images-idx3-ubyte.gz")
        _, labels = read_idx(f"{a.idx_dir}/{prefix}-labels-idx1-ubyte.gz")
        names = FASHION if max(labels) < 10 else [str(c) for c in range(max(labels) + 1)]
        for name in names:
            os.makedirs(os.path.join(a.out, split, name), exist_ok=True)
        for i in range(min(count, n)):
            png(os.path.join(a.out, split, names[labels[i]], f"{i}.png"), w, h, pixels[i * h * w:(i + 1) * h * w])
        print(f"{split}: {min(count, n)} images in {os.path.join(a.out, split)}/<class>/")


main()
