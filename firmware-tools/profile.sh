#!/usr/bin/env bash
# profile: measures a trainer on the Pi and writes a device profile (JSON) for the planner.
# For each batch it runs `PROGRAM --batch B --synthetic B --steps S --profile` on the device,
# keeps every train op's time per step, the step time and the memory outside the arena
# (peak RSS - arena - params block), and fits that off-arena memory as a line in the batch size
# (least squares; with one batch, a constant). The file format is documented in README.md
# ("Device profile format").
#
#   profile.sh [device flags] [--bundle FILE] [--program edgetrain/edgetrain-train] [--batches 32]
#           [--steps 4] [--trainer-args '--threads 4'] --out PROFILE.json
#
# --bundle deploys FILE to <dir>/profile first and runs PROGRAM from there; without it, PROGRAM
# runs from the bundle `deploy.sh` put in <dir>. PROGRAM must carry a plan for each batch.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dev_tool=profile
source "$here/lib/device.sh"

bundle= program=edgetrain/edgetrain-train batches=32 steps=4 trainer_args= out=
dev_take_flags 'bundle|program|batches|steps|trainer-args|out' "$@"
dev_parse_args "${devargs[@]}"
(( ${#dev_rest[@]} == 0 )) || dev_die "unknown argument '${dev_rest[0]}' (see --help)"
[[ -n $out ]] || dev_die "--out PROFILE.json is required"
[[ $batches =~ ^[0-9]+(,[0-9]+)*$ ]] || dev_die "--batches wants e.g. 16,32, got '$batches'"
[[ $steps =~ ^[0-9]+$ && $steps -ge 1 ]] || dev_die "--steps wants a positive integer, got '$steps'"
IFS=, read -ra batch_list <<<"$batches"
read -ra trainer_extra <<<"$trainer_args"
dir_args=()
if [[ -n $bundle ]]; then
  dir_args=(--dir "${dev[dir]}/profile")
  "$here/deploy.sh" "${devargs[@]}" "${dir_args[@]}" "$bundle"
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for b in "${batch_list[@]}"; do
  echo "profile: $program batch $b, $steps steps"
  status=0
  "$here/run.sh" "${devargs[@]}" "${dir_args[@]}" -- "$program" --batch "$b" --synthetic "$b" \
    --steps "$steps" --log-every 1 --eval-images 1 --profile --log-format json "${trainer_extra[@]}" \
    > "$logs/$b.log" 2>&1 || status=$?
  (( status == 0 )) || dev_die "batch $b failed on the device: $(grep -v '^\s*$' "$logs/$b.log" | tail -1)"
done
# Which device this was: its CPU model and the launcher (non-empty: an emulator, not real timing).
cpu=$("$here/run.sh" "${devargs[@]}" --shell "grep -m1 -E '^(Model|model name)' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'" 2>/dev/null || true)

/usr/bin/python3 - "$out" "$logs" "$steps" "${dev[host]}" "${dev[launcher]:-}" "$cpu" "${batch_list[@]}" <<'PY'
import json, os, sys, time
out, logs, steps, host, launcher, cpu, batches = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:]

def events(path):  # the trainer's --log-format json lines; others (a launcher's warnings) skipped
    for line in open(path, errors='replace'):
        if line.startswith('{'):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict) and 'event' in e:
                yield e

runs = []
for b in batches:
    evs = list(events(os.path.join(logs, b + '.log')))
    plan = [e for e in evs if e['event'] == 'plan']
    rss = [e['peak_rss_bytes'] for e in evs if e['event'] == 'step']
    ops = [e for e in evs if e['event'] == 'profile']
    total = [e for e in evs if e['event'] == 'profile_total']
    if not (plan and rss and ops and total):
        sys.exit(f'profile: error: batch {b}: no plan, step, profile or profile_total event in the trainer output '
                 '(is the bundle older than --log-format json? deploy a new one)')
    plan = plan[0]
    model, peak = plan['model'], rss[-1]
    runs.append({'batch': plan['batch'], 'threads': plan['threads'], 'arena_bytes': plan['arena_bytes'],
                 'params_bytes': plan['params_bytes'], 'peak_rss_bytes': peak,
                 'off_arena_bytes': peak - plan['arena_bytes'] - plan['params_bytes'],
                 'step_ms': total[0]['ms_per_step'],
                 'ops': sorted(({'index': o['op'], 'kind': o['kind'], 'writes': o['writes'], 'ms': o['ms_per_step']}
                                for o in ops), key=lambda o: o['index'])})
# Off-arena bytes = intercept + per_image * batch, least squares over the runs.
xs, ys = [r['batch'] for r in runs], [r['off_arena_bytes'] for r in runs]
n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
sxx = sum((x - mx) ** 2 for x in xs)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
profile = {
    'format': 'edgetrain-device-profile', 'version': 1,
    'created': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
    'device': {'host': host, 'cpu': cpu, 'emulated': bool(launcher), 'launcher': launcher},
    'model': model, 'steps': steps,
    'off_arena_fit': {'intercept_bytes': round(my - slope * mx), 'per_image_bytes': round(slope), 'batches': xs},
    'runs': runs,
}
tmp = out + '.tmp'
with open(tmp, 'w') as f:
    json.dump(profile, f, indent=1)
    f.write('\n')
os.replace(tmp, out)
fit = profile['off_arena_fit']
print(f"profile: wrote {out}: {model}, batches {','.join(batches)}, {len(runs[0]['ops'])} ops; "
      f"off-arena memory {fit['intercept_bytes'] / 2**20:.1f} MiB + {fit['per_image_bytes'] / 1024:.1f} KiB per image")
PY
