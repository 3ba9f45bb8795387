#!/usr/bin/python3
"""make-image-folder.py DIR: a small image folder for the trainer's tests, PNG files written with
zlib alone (no imaging library): DIR/train/{blue,green,red}/ with 8 images each and DIR/val/
with 2 each, 40x30 RGB noise tinted by the class (learnable), some of them grayscale (the loader
converts); plus two bad files the trainer must skip with a warning: train/red/junk.jpg (not an
image) and train/green/cut.png (a PNG whose pixel data is cut off).
"""
import os
import random
import struct
import sys
import zlib


def png(path, w, h, channels, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    color = {1: 0, 3: 2}[channels]
    raw = b"".join(b"\0" + bytes(pixels[y * w * channels:(y + 1) * w * channels]) for y in range(h))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)
    return data


def main(root):
    rng = random.Random(7)
    tint = {"blue": (0, 0, 1), "green": (0, 1, 0), "red": (1, 0, 0)}
    w, h = 40, 30
    for split, count in (("train", 8), ("val", 2)):
        for name, t in tint.items():
            d = os.path.join(root, split, name)
            os.makedirs(d, exist_ok=True)
            for i in range(count):
                px = []
                for _ in range(w * h):
                    px += [min(255, rng.randrange(0, 120) + 135 * c) for c in t]
                if i == 3:  # a grayscale file: the class shows as brightness
                    gray = [px[k] // 3 + px[k + 1] // 2 + px[k + 2] // 6 for k in range(0, len(px), 3)]
                    png(os.path.join(d, f"{i}.png"), w, h, 1, gray)
                else:
                    png(os.path.join(d, f"{i}.png"), w, h, 3, px)
    with open(os.path.join(root, "train", "red", "junk.jpg"), "wb") as f:
        f.write(b"this is not a JPEG file")
    noise = [rng.randrange(0, 256) for _ in range(w * h * 3)]  # incompressible: the cut is in IDAT
    whole = png(os.path.join(root, "train", "green", "cut.png"), w, h, 3, noise)
    with open(os.path.join(root, "train", "green", "cut.png"), "wb") as f:
        f.write(whole[:len(whole) // 2])


main(sys.argv[1])
