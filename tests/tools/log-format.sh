#!/usr/bin/env bash
# log-format.sh TRAINER-COMMAND...
# Runs the same short training twice, --log-format text and --log-format json (same seed, steps,
# synthetic data, --profile, --save, then a --resume), and checks that every JSON line parses
# (json.loads), that the text lines keep their format, and that both carry the same numbers:
# plan, losses (the text's 4 decimals), steps, arena, profile rows, accuracy, memory prediction;
# both runs save the same state bytes. Timings and peak RSS differ between runs: only sanity.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--synthetic 64 --steps 4 --log-every 2 --eval-images 64 --seed 3 --threads 2 --profile)
for fmt in text json; do
  "$@" "${common[@]}" --log-format "$fmt" --save "$tmp/$fmt.state" > "$tmp/$fmt.out" 2> "$tmp/$fmt.err" \
    || { echo "FAIL: the $fmt run failed:"; cat "$tmp/$fmt.err"; exit 1; }
  "$@" "${common[@]}" --steps 6 --log-format "$fmt" --save "$tmp/$fmt.state" --resume \
    > "$tmp/$fmt.resumed.out" 2> "$tmp/$fmt.resumed.err" \
    || { echo "FAIL: the $fmt resumed run failed:"; cat "$tmp/$fmt.resumed.err"; exit 1; }
done
cmp "$tmp/text.state" "$tmp/json.state" || { echo "FAIL: the text and json runs trained differently"; exit 1; }
/usr/bin/python3 - "$tmp" <<'PY'
import json, re, sys
tmp = sys.argv[1]

def parse(name):
    lines = open(f'{tmp}/{name}').read().splitlines()
    events = [json.loads(line) for line in lines]  # every stdout line is one JSON object
    assert all(isinstance(e, dict) and isinstance(e.get('event'), str) for e in events), lines
    return events

def of(events, kind):
    return [e for e in events if e['event'] == kind]

text = open(f'{tmp}/text.out').read().splitlines()
events = parse('json.out')
state = f'{tmp}/json.state'

# The text lines, in the formats they always had.
plan_re = r'plan (\S+) batch (\d+): arena (\d+) B \(lower bound (\d+) B\), params (\d+) B, (\d+) ops/step, (\d+) threads, (\d+) synthetic training images'
step_re = r'step +(\d+)/(\d+)  loss (\d+\.\d{4}) +(\d+\.\d) img/s  arena (\d+) B  peak RSS (\d+\.\d) MiB'
prof_re = r' *(\d+)  (\S+) +(\S+) +(\d+\.\d{3}) +(\d+\.\d)%'
eval_re = r'test accuracy (\d+\.\d\d)% \((\d+) of (\d+) images\)'
mem_re = r'peak RSS (\d+) B measured, (\d+) B predicted \(([+-]\d+\.\d\d)%\), XNNPACK region (\d+) B'
m = re.fullmatch(plan_re, text[0])
assert m, text[0]
steps_t = [re.fullmatch(step_re, l) for l in text if l.startswith('step ')]
assert len(steps_t) == 2 and all(steps_t), text
assert re.fullmatch(r' +op  kind +writes +ms/step  share', text[3]), text[3]
prof_t = [re.fullmatch(prof_re, l) for l in text[4:] if re.match(r' *\d+  ', l)]
assert prof_t and all(prof_t), text
assert re.fullmatch(r' +total +\d+\.\d{3}', text[-3]), text[-3]
ev_t = re.fullmatch(eval_re, text[-2])
mem_t = re.fullmatch(mem_re, text[-1])
assert ev_t and mem_t, text[-2:]

# The same numbers in the JSON lines.
assert [e['event'] for e in events][:4] == ['plan', 'step', 'step', 'saved'], events[:4]
assert [e['event'] for e in events][-3:] == ['profile_total', 'eval', 'memory'], events[-3:]
(plan,) = of(events, 'plan')
model, batch, arena, lower, params, ops, threads, images = m.groups()
assert plan == {'event': 'plan', 'model': model, 'batch': int(batch), 'arena_bytes': int(arena),
                'arena_lower_bound_bytes': int(lower), 'params_bytes': int(params), 'ops': int(ops),
                'optimizer': 'sgd', 'threads': int(threads), 'images': int(images), 'synthetic': True,
                'data': 'synthetic images', 'test_images': int(images), 'skipped_files': 0}, plan
steps_j = of(events, 'step')
assert len(steps_j) == 2
for t, j in zip(steps_t, steps_j):
    step, steps, loss, ips, arena_b, rss_mib = t.groups()
    assert (j['step'], j['steps'], j['arena_bytes']) == (int(step), int(steps), int(arena_b)), j
    assert isinstance(j['step'], int) and isinstance(j['loss'], float), j
    assert f"{j['loss']:.4f}" == loss, (j['loss'], loss)
    assert j['img_per_s'] > 0 and isinstance(j['peak_rss_bytes'], int), j
    assert abs(j['peak_rss_bytes'] / 2**20 - float(rss_mib)) < max(4, 0.2 * float(rss_mib)), (j, rss_mib)
assert of(events, 'saved') == [{'event': 'saved', 'step': 4, 'path': state}], of(events, 'saved')
prof_j = of(events, 'profile')
rows_t = sorted((int(g[0]), g[1], g[2]) for g in (r.groups() for r in prof_t))
rows_j = sorted((p['op'], p['kind'], p['writes']) for p in prof_j)
assert rows_t == rows_j and len(rows_j) == int(ops), (rows_t, rows_j)
ms = [p['ms_per_step'] for p in prof_j]
assert ms == sorted(ms, reverse=True) and min(ms) >= 0, ms  # slowest first, as the table
(total,) = of(events, 'profile_total')
assert total['ops'] == int(ops) and total['steps'] == 4, total
assert abs(sum(ms) - total['ms_per_step']) <= 1e-9 * total['ms_per_step'] + 1e-12, (sum(ms), total)
assert abs(sum(p['share'] for p in prof_j) - 1) < 1e-9, prof_j
(ev,) = of(events, 'eval')
accuracy, correct, imgs = ev_t.groups()
assert (ev['correct'], ev['images']) == (int(correct), int(imgs)), ev
assert f"{100 * ev['accuracy']:.2f}" == accuracy and ev['accuracy'] == ev['correct'] / ev['images'], ev
(mem,) = of(events, 'memory')
measured, predicted, error, region = mem_t.groups()
assert mem['predicted_peak_bytes'] == int(predicted) and mem['xnnpack_region_bytes'] == int(region), mem
assert mem['relative_error'] == (mem['peak_rss_bytes'] - mem['predicted_peak_bytes']) / mem['predicted_peak_bytes'], mem

# Resumed: the text says where it resumed, the JSON the same.
rtext = open(f'{tmp}/text.resumed.out').read().splitlines()
revents = parse('json.resumed.out')
assert rtext[1] == f'resumed from {tmp}/text.state at step 4', rtext[1]
assert revents[1] == {'event': 'resumed', 'path': state, 'step': 4}, revents[1]
assert [e['step'] for e in of(revents, 'step')] == [6] and of(revents, 'saved')[-1]['step'] == 6, revents
print(f"ok: {len(events)} JSON lines parse and match the text run "
      f"(losses {[s['loss'] for s in steps_j]}, {len(prof_j)} profile rows, accuracy {ev['accuracy']})")
PY
