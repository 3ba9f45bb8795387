#!/usr/bin/env bash
# trainer-bad-input.sh CASE TRAINER-COMMAND...
# Makes the bad input CASE names in a temporary folder and checks, with expect-error.sh, that the
# trainer refuses it with one clear line naming the problem.
set -euo pipefail
case_name=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
real=/usr/share/datasets/fashion-mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
mkdir -p "$data"
cp "$real"/*.gz "$data"/
# big-endian u32s, as IDX headers are
be32() { for v in "$@"; do printf "\\x$(printf %02x $((v >> 24 & 255)))\\x$(printf %02x $((v >> 16 & 255)))\\x$(printf %02x $((v >> 8 & 255)))\\x$(printf %02x $((v & 255)))"; done; }

expect() { exec "$here/../expect-error.sh" "$@"; }
case $case_name in
  missing-data)
    expect "data folder '$tmp/none' does not exist" "$@" --data "$tmp/none" ;;
  missing-test-file)
    rm "$data"/t10k-*
    expect "cannot open data file '$data/t10k-images-idx3-ubyte.gz'" "$@" --data "$data" ;;
  no-class-folders)  # no IDX files: an image folder, without classes
    rm "$data"/*.gz
    expect "'$data' has no class folders: put the images in $data/<class>/\\*.jpg" "$@" --data "$data" ;;
  wrong-magic)
    { be32 2049 60000 28 28; head -c 100 /dev/zero; } | gzip > "$data/train-images-idx3-ubyte.gz"
    expect "train-images-idx3-ubyte.gz' has magic 0x00000801, expected 0x00000803" "$@" --data "$data" ;;
  truncated)
    gzip -dc "$real/t10k-labels-idx1-ubyte.gz" | head -c 5000 | gzip > "$data/t10k-labels-idx1-ubyte.gz"
    expect "t10k-labels-idx1-ubyte.gz' is truncated" "$@" --data "$data" ;;
  corrupt-gzip)
    head -c 3000 "$real/train-labels-idx1-ubyte.gz" > "$data/train-labels-idx1-ubyte.gz"
    expect "train-labels-idx1-ubyte.gz' is (corrupt|truncated)" "$@" --data "$data" ;;
  gzip-trailer-cut)  # every byte decompresses, but without the trailer nothing checks the CRC
    head -c -8 "$real/train-labels-idx1-ubyte.gz" > "$data/train-labels-idx1-ubyte.gz"
    expect "train-labels-idx1-ubyte.gz' is truncated \\(unexpected end of file after 60008 bytes\\): re-download it" \
      "$@" --data "$data" --steps 1 ;;
  gzip-bit-flipped-trailer-cut)  # a stored-block (uncompressed) gzip decodes a flipped bit silently
    /usr/bin/python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.compress(open(sys.argv[1], "rb").read(), compresslevel=0))' \
      <(gzip -dc "$real/t10k-labels-idx1-ubyte.gz") > "$tmp/stored.gz"
    /usr/bin/python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-100] ^= 1; sys.stdout.buffer.write(b[:-8])' \
      "$tmp/stored.gz" > "$data/t10k-labels-idx1-ubyte.gz"
    expect "t10k-labels-idx1-ubyte.gz' is truncated" "$@" --data "$data" --steps 1 ;;
  too-many-threads)
    expect "--threads 5000 is more than 4 per CPU \\(this machine has [0-9]+\\): pass at most" \
      "$@" --threads 5000 --steps 1 ;;
  save-dir-missing)  # found before any work, not at the first save after it
    expect "cannot save the training state to '$tmp/none/x.state': directory '$tmp/none' does not exist" \
      "$@" --save "$tmp/none/x.state" ;;
  save-is-directory)
    expect "cannot save the training state to '$tmp': it is a directory" "$@" --save "$tmp" ;;
  bad-log-format)
    expect "--log-format is text or json, got 'xml'" "$@" --log-format xml ;;
  corrupt-state)
    head -c 4000 /dev/urandom > "$tmp/state.bin"
    expect "'$tmp/state.bin' is not an edgetrain state file" "$@" --save "$tmp/state.bin" --resume --steps 1 ;;
  save-not-a-file)  # a rename over a pipe (or /dev/null) would replace it with a file
    mkfifo "$tmp/pipe"
    expect "cannot save the training state to '$tmp/pipe': not a regular file" "$@" --save "$tmp/pipe" --steps 1 ;;
  bad-flag)
    expect "--steps wants a number in \\[1, 1e\\+09\\], got '0'" "$@" --steps 0 ;;
  stop-after-past-steps)
    expect "--stop-after 20 is past --steps 10 \\(the run's length\\)" "$@" --steps 10 --stop-after 20 --save "$tmp/s" ;;
  stop-after-without-save)
    expect "--stop-after needs --save FILE" "$@" --steps 10 --stop-after 5 ;;
  unknown-batch)
    expect "no plan for batch 7 in this binary" "$@" --batch 7 ;;
  *) echo "trainer-bad-input.sh: unknown case '$case_name'" >&2; exit 2 ;;
esac
