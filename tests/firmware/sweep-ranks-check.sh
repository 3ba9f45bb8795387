#!/usr/bin/env bash
# sweep-ranks-check.sh BUNDLE: firmware-tools/sweep.sh --hosts --ranks 2 against two loopback
# "Pis" (run under LOOPBACK_HOSTS=2 loopback-pi.sh) with a data-parallel sweep bundle (fashion_cnn,
# batches 4 and 4096, store-all): batch 4 trains on 2 ranks under the cap, 4096 is recorded as
# out of memory; the CSV's img/s is the job's (2 x 4 images a step); the plots are drawn; more
# ranks than Pis, or another rank count's directory, are refused in one line.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
expect_error=$repo/tests/expect-error.sh
[[ $# == 1 ]] || { echo "usage: sweep-ranks-check.sh BUNDLE" >&2; exit 2; }
bundle=$1 out=$LOOPBACK_DIR/sweep-dp hosts=$LOOPBACK_HOST_LIST
fail() { echo "FAIL: $*" >&2; exit 1; }
sweep=("$repo/firmware-tools/sweep.sh" --model fashion_cnn --batches 4,4096 --policies store-all --bundle "$bundle"
       --ram 400MiB --steps 3 --trainer-args '--threads 1')

"$expect_error" "sweep: error: --ranks 3 but --hosts names 2 Pis" "${sweep[@]}" --hosts "$hosts" --ranks 3 --out "$out"
"${sweep[@]}" --hosts "$hosts" --ranks 2 --out "$out" | tee "$out.log"
/usr/bin/python3 - "$out/sweep.csv" <<'PY'
import csv, sys
rows = {int(r['batch']): r for r in csv.DictReader(open(sys.argv[1]))}
assert sorted(rows) == [4, 4096], rows
ok, big = rows[4], rows[4096]
assert ok['status'] == 'ok' and int(ok['predicted_bytes']) < int(ok['peak_rss_bytes']) < int(ok['ram_bytes']), ok
ips, ms = float(ok['img_per_s']), float(ok['step_ms'])
assert ips > 0 and abs(ms - 1000 * 8 / ips) <= 0.1 * ms + 0.1, ok  # 2 ranks x 4 images a step
assert big['status'] == 'oom' and 'cannot allocate' in big['note'], big
print('sweep over 2 ranks ok:', ips, 'img/s at batch 4 per rank;', big['note'])
PY
grep -q "largest batch that fits in $((400 << 20)) bytes, store-all: 4" "$out.log" || fail "no summary line"
[[ -s $out/memory.png && -s $out/speed.png ]] || fail "no plots"
"$expect_error" "sweep: error: .*sweep-dp holds a sweep over 2 ranks, not 1: pass another --out" \
  "${sweep[@]}" --out "$out"
echo "ok: sweep --ranks 2"
