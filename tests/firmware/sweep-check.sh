#!/usr/bin/env bash
# sweep-check.sh BUNDLE: firmware-tools/sweep.sh against the loopback "Pi" (run under loopback-pi.sh)
# with the test bundle (fashion_cnn; batches 4, 16, 512; store-all and chen-sqrt) and a 56 MiB
# cap: batch 512 must be recorded as out of memory and the sweep go on; the CSV has one sane row
# per run; the PNGs are valid 800x500 images; a re-run redoes only the rows missing from the CSV.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $# == 1 || $# == 3 ]] || { echo "usage: sweep-check.sh BUNDLE [RAM_MIB BIG_BATCH]" >&2; exit 2; }
bundle=$1
# The loopback host device (--host) caps address space, not a guest's: other sizes there.
ram_mib=${2:-56} big=${3:-512}
ram_bytes=$((ram_mib << 20))
out=$LOOPBACK_DIR/sweep
fail() { echo "FAIL: $*" >&2; exit 1; }
sweep() {
  "$repo/firmware-tools/sweep.sh" --model fashion_cnn --batches "4,16,$big" --policies store-all,chen-sqrt \
    --bundle "$bundle" --ram "${ram_mib}MiB" --steps 3 --trainer-args '--threads 2' --out "$out" | tee "$out.log"
}

sweep
csv=$out/sweep.csv
[[ $(wc -l < "$csv") == 7 ]] || fail "want a header and 6 rows in $csv"
/usr/bin/python3 - "$csv" "$ram_bytes" "$big" <<'PY'
import csv, sys
rows = {(r['policy'], int(r['batch'])): r for r in csv.DictReader(open(sys.argv[1]))}
assert len(rows) == 6, rows.keys()
ram, big = int(sys.argv[2]), int(sys.argv[3])
for (policy, batch), r in rows.items():
    assert int(r['ram_bytes']) == ram, r
    arena, params, pred = int(r['arena_bytes']), int(r['params_bytes']), int(r['predicted_bytes'])
    assert pred == arena + params and params > 0, r
    if batch == big:
        assert r['status'] == 'oom' and 'cannot allocate' in r['note'], r
        continue
    assert r['status'] == 'ok', r
    rss, ips, ms = int(r['peak_rss_bytes']), float(r['img_per_s']), float(r['step_ms'])
    # Peak RSS covers the arena; under QEMU it also counts the emulator (tens of MiB, not GiB).
    assert pred < rss < ram, r
    # A sanity range (the host build of a small model runs thousands of img/s); step_ms is printed
    # to 0.1 ms, so the two agree within 10% or that rounding.
    assert 0.5 < ips < 1e6 and abs(ms - 1000 * batch / ips) < max(0.1 * ms, 0.06), r
# Each policy's arena grows with the batch. (Not "chen-sqrt below store-all": on this small
# model store-all keeps only 1-bit ReLU masks and max-pool taps for the backward, and chen-sqrt's
# recomputed segments, held with the gradient, peak higher.)
for p in ('store-all', 'chen-sqrt'):
    sizes = [int(rows[(p, b)]['arena_bytes']) for b in (4, 16, big)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1], (p, sizes)
print('csv ok')
PY
grep -q "largest batch that fits in $ram_bytes bytes, store-all: 16" "$out.log" || fail "no largest-batch line for store-all"
grep -q "largest batch that fits in $ram_bytes bytes, chen-sqrt: 16" "$out.log" || fail "no largest-batch line for chen-sqrt"
for png in memory speed; do
  /usr/bin/python3 - "$out/$png.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG signature'
pos, chunks = 8, []
while pos < len(data):  # walk every chunk, checking its CRC
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body), kind
    chunks.append(kind); pos += 12 + n
    if kind == b'IHDR': width, height = struct.unpack('>II', body[:8])
assert chunks[0] == b'IHDR' and chunks[-1] == b'IEND' and b'IDAT' in chunks, chunks
assert (width, height) == (800, 500), (width, height)
print(sys.argv[1], 'is a valid 800x500 PNG')
PY
done

# Interrupted sweep: drop a finished row; the re-run does only that one.
grep -v '^fashion_cnn,chen-sqrt,16,' "$csv" > "$csv.tmp" && mv "$csv.tmp" "$csv"
sweep
grep -q '1 of 6 runs to do' "$out.log" || fail "the re-run did not resume"
[[ $(grep -c 'already in the CSV' "$out.log") == 5 ]] || fail "want 5 skipped runs"
[[ $(wc -l < "$csv") == 7 && $(grep -c '^fashion_cnn,chen-sqrt,16,ok,' "$csv") == 1 ]] || fail "the missing row was not redone"
echo "ok: sweep"
