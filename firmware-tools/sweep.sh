#!/usr/bin/env bash
# sweep.sh: the batch-size experiment on the Pi. For a model, batch sizes and policies it gets a
# bundle with one trainer per policy (each carrying a plan per batch), deploys it once, runs every
# (policy, batch) on the device under a memory cap of the device RAM, and records peak RSS
# (VmHWM, printed by the trainer), arena, predicted bytes (arena + params block), step time and
# img/s, or oom when the run fails. Writes <out>/sweep.csv, <out>/memory.png, <out>/speed.png,
# and prints the largest batch that fits per policy. Rows already in the CSV are skipped, so an
# interrupted sweep resumes where it stopped.
#
#   sweep.sh [device flags] --model M --batches 4,16,64 --policies store-all,optimal
#         [--plan-args '--image 32 --budget 300MiB'] [--bundle FILE] [--ram 900MiB]
#         [--steps 4] [--trainer-args '--threads 4'] [--out DIR] [--hosts PI1,PI2,... [--ranks R]]
#
# With --hosts, each run is a data-parallel job of R ranks (default: one per host listed; R of
# them, the first ones, with --ranks R), one rank per Pi, through run.sh --hosts: the plans are
# made with --data-parallel and the trainers are MPI ranks; batch is each rank's (the global
# batch is R x batch), peak RSS is rank 0's and img/s the cluster's. Its CSV goes to
# build/sweep/<model>-<R>ranks by default (a directory holds one rank count's rows).
#
# Without --bundle it cross-builds one: `cmake --preset pi3 -B build/sweep-pi3
# -DEDGETRAIN_SWEEP=...` then the sweep-requested target (firmware-tools/CMakeLists.txt).
# The bundle goes to <dir>/sweep on the device, next to a deployed edgetrain/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
dev_tool=sweep dev_multi_host=1
source "$here/lib/device.sh"

model= batches= policies= plan_args= bundle= ram= steps=4 trainer_args= out= ranks=
dev_take_flags 'model|batches|policies|plan-args|bundle|ram|steps|trainer-args|out|ranks' "$@"
dev_parse_args "${devargs[@]}"
ranks=${ranks:-${#dev_hosts[@]}}
[[ $ranks =~ ^[1-9][0-9]*$ ]] || dev_die "--ranks wants a positive integer, got '$ranks'"
(( dev_cluster || ranks == 1 )) || dev_die "--ranks $ranks runs one rank per Pi: name them with --hosts PI1,PI2,..."
(( ranks <= ${#dev_hosts[@]} )) || dev_die "--ranks $ranks but --hosts names ${#dev_hosts[@]} Pis (one rank per Pi)"
# deploy.sh and run.sh get the first R hosts (one host: a plain single-Pi sweep).
for i in "${!devargs[@]}"; do
  if [[ ${devargs[i]} == --hosts ]]; then
    if (( ranks == 1 )); then devargs[i]=--host; devargs[i + 1]=${dev_hosts[0]}
    else devargs[i + 1]=$(IFS=,; echo "${dev_hosts[*]:0:ranks}"); fi
  fi
done
if (( ranks > 1 )) && [[ " $plan_args " != *" --data-parallel "* ]]; then plan_args="${plan_args:+$plan_args }--data-parallel"; fi
(( ${#dev_rest[@]} == 0 )) || dev_die "unknown argument '${dev_rest[0]}' (see --help)"
[[ -n $model ]] || dev_die "--model is required (see --help)"
# --model and --out go into a gnuplot script (which can run system()) and file names: only
# characters that cannot end its quoted strings or lines.
[[ $model =~ ^[A-Za-z0-9_.-]+$ ]] || dev_die "--model may hold only letters, digits and _ . - (got ${model@Q})"
[[ $batches =~ ^[0-9]+(,[0-9]+)*$ ]] || dev_die "--batches wants e.g. 4,16,64, got '$batches'"
[[ $policies =~ ^[a-z-]+(,[a-z-]+)*$ ]] || dev_die "--policies wants e.g. store-all,optimal, got '$policies'"
[[ $steps =~ ^[0-9]+$ && $steps -ge 2 ]] || dev_die "--steps wants an integer >= 2 (the first step is warm-up), got '$steps'"
ram_bytes=$(dev_bytes "${ram:-${dev[ram]}}")
suffix=
(( ranks == 1 )) || suffix=-${ranks}ranks
out=${out:-$repo/build/sweep/$model$suffix}
[[ $out =~ ^[A-Za-z0-9_./+,:\ -]+$ ]] \
  || dev_die "the output directory may hold only letters, digits, spaces and _ . / + , : - (it goes into a gnuplot script): got ${out@Q}; pass another --out DIR"
mkdir -p "$out/logs"
if [[ -f $out/ranks && $(cat "$out/ranks") != "$ranks" ]]; then
  dev_die "$out holds a sweep over $(cat "$out/ranks") ranks, not $ranks: pass another --out"
fi
echo "$ranks" > "$out/ranks"
csv=$out/sweep.csv
IFS=, read -ra batch_list <<<"$batches"
IFS=, read -ra policy_list <<<"$policies"
read -ra trainer_extra <<<"$trainer_args"
say() { echo "sweep: $*"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

if [[ -z $bundle ]]; then
  build=$repo/build/sweep-pi3
  spec="$model;$batches;$policies${plan_args:+;${plan_args// /;}}"
  say "cross-building $model for batches $batches, policies $policies (in $build)"
  (cd "$repo" && cmake --preset pi3 -B "$build" "-DEDGETRAIN_SWEEP=$spec" > "$out/build.log" 2>&1 \
     && cmake --build "$build" --target sweep-requested >> "$out/build.log" 2>&1) \
    || dev_die "building the sweep bundle failed (see $out/build.log)"
  bundle=$build/sweep/requested.tar.gz
fi
[[ -f $bundle ]] || dev_die "no bundle at $bundle"
for p in "${policy_list[@]}"; do
  tar -tzf "$bundle" "edgetrain/edgetrain-train-$p" >/dev/null 2>&1 \
    || dev_die "$bundle has no edgetrain/edgetrain-train-$p (built for other policies?)"
done

header=model,policy,batch,status,peak_rss_bytes,arena_bytes,params_bytes,predicted_bytes,step_ms,img_per_s,ram_bytes,note
[[ -s $csv ]] || echo "$header" > "$csv"
[[ $(head -1 "$csv") == "$header" ]] || dev_die "$csv has another header: move it away or pass --out"
done_row() { grep -q "^$model,$1,$2,\(ok\|oom\),.*,$ram_bytes,[^,]*$" "$csv"; }

todo=0
for p in "${policy_list[@]}"; do for b in "${batch_list[@]}"; do done_row "$p" "$b" || todo=$((todo + 1)); done; done
total=$(( ${#policy_list[@]} * ${#batch_list[@]} ))
remote_dir=${dev[dir]}/sweep
if (( todo > 0 )); then
  say "$todo of $total runs to do (the others are in $csv); RAM cap $ram_bytes bytes"
  "$here/deploy.sh" "${devargs[@]}" --dir "$remote_dir" "$bundle"
else
  say "all $total runs are already in $csv"
fi

n=0
for p in "${policy_list[@]}"; do
  for b in "${batch_list[@]}"; do
    n=$((n + 1))
    if done_row "$p" "$b"; then say "[$n/$total] $p batch $b: already in the CSV"; continue; fi
    log=$out/logs/$p-b$b.log
    status=0
    "$here/run.sh" "${devargs[@]}" --dir "$remote_dir" --mem "$ram_bytes" -- "edgetrain/edgetrain-train-$p" \
      --batch "$b" --synthetic "$((b * ranks))" --steps "$steps" --log-every 1 --eval-images 1 --log-format json "${trainer_extra[@]}" \
      > "$log" 2>&1 || status=$?
    # Our own tools failing (connection lost, ...) is not a result: stop, and resume later.
    if grep -q '^\(run\|deploy\): error:' "$log"; then dev_die "$(grep '^\(run\|deploy\): error:' "$log" | head -1 | cut -d' ' -f3-)"; fi
    if grep -q 'plan it with --data-parallel' "$log"; then dev_die "$bundle's trainers are not data-parallel: build it with --plan-args '--data-parallel' (or without --bundle)"; fi
    row=$(/usr/bin/python3 - "$log" "$model" "$p" "$b" "$status" "$ram_bytes" "$ranks" <<'PY'
# One CSV row from the trainer's --log-format json lines; other lines (its error line on
# stderr, the shell's "Killed") only give the note of a failed run. img/s is the job's: of R x
# batch images per step.
import json, re, sys
log, model, policy, batch, status, ram = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ranks = int(sys.argv[7])
arena = params = rss = None
steps = imgs = 0
secs, note, cause = 0.0, '', ''
for line in open(log, errors='replace'):
    line = line.rstrip('\n')
    event = None
    if line.startswith('{'):
        try:
            event = json.loads(line)
        except ValueError:
            pass
    if isinstance(event, dict):
        kind = event.get('event')
        if kind == 'plan':
            arena, params = event['arena_bytes'], event['params_bytes']
        elif kind == 'step':
            steps += 1
            rss = event['peak_rss_bytes']
            if steps > 1 and event['img_per_s'] and event['img_per_s'] > 0:  # the first step is warm-up
                imgs += batch * ranks
                secs += batch * ranks / event['img_per_s']
        continue
    if re.search(r'error|Killed|Aborted|Segmentation', line):
        note = line.replace(',', ';')
    # An arena that could not be allocated is named in the error: keep its sizes.
    m = re.search(r'cannot allocate the (\d+)-byte arena and (\d+)-byte params', line)
    if m:
        arena, params = int(m.group(1)), int(m.group(2))
        cause = line.replace(',', ';')  # the reason, whichever rank's lines came last
note = cause or note
ok = status == 0 and steps > 0
if not ok and not note:
    note = f'exit status {status}'
ips = imgs / secs if secs > 0 else 0
cells = [model, policy, str(batch), 'ok' if ok else 'oom',
         str(rss) if steps else '', '' if arena is None else str(arena), '' if params is None else str(params),
         '' if arena is None else str(arena + params),
         f'{1000 * batch * ranks / ips:.1f}' if ips > 0 else '', f'{ips:.2f}' if ips > 0 else '', str(ram), '' if ok else note]
print(','.join(cells))
PY
)
    echo "$row" >> "$csv"
    IFS=, read -r _ _ _ st rss arena _ pred ms ips _ note <<<"$row"
    if [[ $st == ok ]]; then
      say "[$n/$total] $p batch $b: ok, peak RSS $(mib "$rss") MiB (predicted $(mib "$pred") MiB), $ips img/s, $ms ms/step"
    else
      say "[$n/$total] $p batch $b: OOM ($note)"
    fi
  done
done

# Plots: per policy, the runs that fitted (batch, peak MiB, predicted MiB, img/s) and the ones
# that ran out of memory (batch, predicted MiB), drawn at their predicted size with an x.
plot=$out/plot
mkdir -p "$plot"
mem_plots=() speed_plots=()
i=0
for p in "${policy_list[@]}"; do
  i=$((i + 1))
  for st in ok oom; do
    awk -F, -v model="$model" -v p="$p" -v ram="$ram_bytes" -v st="$st" \
      '$1 == model && $2 == p && $4 == st && $11 == ram && $8 != "" { print $3, $5 / 1048576, $8 / 1048576, $10 }' "$csv" \
      | sort -n > "$plot/$p.$st.dat"
  done
  if [[ -s $plot/$p.ok.dat ]]; then
    mem_plots+=("'$plot/$p.ok.dat' using 1:2 with linespoints lw 2 pt 7 lc $i title '$p: peak RSS'"
                "'$plot/$p.ok.dat' using 1:3 with linespoints dt 2 pt 6 lc $i title '$p: predicted (arena + params)'")
    speed_plots+=("'$plot/$p.ok.dat' using 1:4 with linespoints lw 2 pt 7 lc $i title '$p'")
  fi
  [[ -s $plot/$p.oom.dat ]] && mem_plots+=("'$plot/$p.oom.dat' using 1:3 with points pt 2 ps 2 lw 2 lc $i title '$p: out of memory (predicted)'")
done
if (( ${#mem_plots[@]} )); then
  where="on the device" xlabel="batch size"
  (( ranks == 1 )) || where="on $ranks Pis (data parallel)" xlabel="batch size per rank"
  ram_mib=$(awk -v r="$ram_bytes" 'BEGIN { printf "%.1f", r / 1048576 }')
  join() { local IFS=,; echo "$*"; }
  gnuplot <<GP || dev_die "gnuplot failed"
set terminal pngcairo size 800,500 font ",10" noenhanced
set logscale x 2
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel '$xlabel'
set key outside below maxrows 3
set grid
set output '$out/memory.png'
set title '$model $where: memory vs batch size (RAM cap $ram_mib MiB)'
set ylabel 'MiB'
set yrange [0:$ram_mib * 1.08]
plot $(join "${mem_plots[@]}"), $ram_mib with lines lw 2 lc rgb 'red' title 'device RAM ($ram_mib MiB)'
set output '$out/speed.png'
set title '$model $where: training speed vs batch size'
set ylabel 'images/s'
set yrange [0:*]
plot $(join "${speed_plots[@]}")
GP
  say "plots: $out/memory.png $out/speed.png"
fi
say "CSV: $csv"
for p in "${policy_list[@]}"; do
  best=$(awk -F, -v model="$model" -v p="$p" -v ram="$ram_bytes" \
    '$1 == model && $2 == p && $4 == "ok" && $11 == ram && $3 > m { m = $3 } END { print m + 0 }' "$csv")
  if (( best > 0 )); then say "largest batch that fits in $ram_bytes bytes, $p: $best"
  else say "largest batch that fits in $ram_bytes bytes, $p: none of $batches"; fi
done
