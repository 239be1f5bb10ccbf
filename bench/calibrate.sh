#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Calibration of the qemu-7.2 profile against the real QEMU 7.2: the same grid on both sides, and
# per cell how often each lost data, the real rate's 95% interval (Wilson) and whether the model's
# rate lies inside it.
# Usage: bench/calibrate.sh [options] [real runs per cell, default 5] [model seeds per cell, default 200]
#   --disks "D ..."       disk descriptions (bench/calib_disk.py): random:SIZE, sparse:SIZE:NxPIECE;
#                         the words random and sparse stand for random:256M and sparse:4G:64x1M
#   --bandwidths "B ..."  max-bandwidth in MiB/s (default 96 128 160 256)
#   --runs N, --seeds N   as the two positional arguments; --seed S: the model's first seed (1)
#   --real-results FILE   append each real run to FILE (one tab-separated line); with --model-only
#                         the real side's counts are read from FILE (lines of several runs pool)
#   --model-results FILE  append each model cell to FILE; with --real-only its counts are read from FILE
#   --real-only, --model-only; both: the table of the two files, nothing run
# Environment (as before): CALIBRATE_BANDWIDTHS, CALIBRATE_DISKS, CALIBRATE_LATENCY (the model's read
# latency, used with CALIBRATE_TIMING=none; default the measured 1 MiB pread64 from the page cache,
# p10-p90: uniform:76us-616us for random data, uniform:65us-693us for a disk with holes; FIDELITY.md),
# CALIBRATE_TIMING (the model's scenario key timing=, default qemu-measured; none: the ideal world's), BLKMIG_BENCH_SETTLE_S (seconds of wait before each real run,
# default 5: see BENCHMARKS.md), CALIBRATE_TRACE=1 (trace each real run and print its 100 ms windows).
# Real side, per run: the disk made from its description (bench/calib_disk.py, new random data each
# disk), a source QEMU with no guest, max-bandwidth, zero-blocks where the disk has holes, migrate -b
# "exec:cat > STREAM", the target rebuilt with `blkmig receive --input STREAM` and compared by SHA-256.
# "Lost data": QEMU said completed and the target differs; runs where QEMU did not complete are
# counted apart. Model side: `blkmig sweep --profile qemu-7.2`, the seeds whose 'identical' fails;
# its disk has the description's layout (scenario key layout=).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5; seeds=200; first_seed=1; results=""; mresults=""; do_real=1; do_model=1
bandwidths=${CALIBRATE_BANDWIDTHS:-96 128 160 256}
disks=${CALIBRATE_DISKS:-random sparse}
pos=()
while [ $# -gt 0 ]; do
  case $1 in
    --disks) disks=$2; shift 2 ;;
    --bandwidths) bandwidths=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --seed) first_seed=$2; shift 2 ;;
    --real-results) results=$2; shift 2 ;;
    --model-results) mresults=$2; shift 2 ;;
    --real-only) do_model=0; shift ;;
    --model-only) do_real=0; shift ;;
    -*) echo "bench/calibrate.sh: unknown option $1" >&2; exit 2 ;;
    *) pos+=("$1"); shift ;;
  esac
done
[ ${#pos[@]} -ge 1 ] && runs=${pos[0]}
[ ${#pos[@]} -ge 2 ] && seeds=${pos[1]}
# a 1 MiB pread64 of data, and of a disk mostly holes, p10-p90 (perf, 2026-12-06 18:42-18:53; FIDELITY.md);
# with timing=qemu-measured the reads take the measured run's times instead (QemuTiming)
latency_data=${CALIBRATE_LATENCY:-uniform:76us-616us}
latency_holes=${CALIBRATE_LATENCY:-uniform:65us-693us}
timing=${CALIBRATE_TIMING:-qemu-measured}
settle_s=${BLKMIG_BENCH_SETTLE_S:-5}
[[ "$runs" =~ ^[0-9]+$ && "$seeds" =~ ^[1-9][0-9]*$ && "$first_seed" =~ ^[0-9]+$ ]] \
  || { echo "usage: bench/calibrate.sh [options] [runs >= 0] [seeds >= 1]" >&2; exit 2; }
[ $do_real = 1 ] || [ -n "$results" ] || runs=0
if [ $do_real = 1 ] && [ "$runs" -gt 0 ]; then
  command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86 (apt-get install -y qemu-system-x86 qemu-utils)" >&2; exit 2; }
fi
./blkmig --version >/dev/null   # builds the jar if needed
work=$(mktemp -d /var/tmp/blkmig-calib.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

expand() { case $1 in random) echo random:256M ;; sparse) echo sparse:4G:64x1M ;; *) echo "$1" ;; esac; }
grid=""
for d in $disks; do grid="$grid $(expand "$d")"; python3 bench/calib_disk.py "$(expand "$d")" > /dev/null; done

echo "calibration: real QEMU 7.2 against the model's qemu-7.2 profile"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "QEMU:     $(qemu-system-x86_64 --version 2>/dev/null | head -1 || echo none)"
echo "grid:     disks$grid; max-bandwidth ${bandwidths} MiB/s; $([ $do_real = 1 ] && echo "$runs real runs" || echo "real runs from $results"), $([ $do_model = 1 ] && echo "$seeds model seeds (from $first_seed)" || echo "model seeds from ${mresults:-nowhere}") per cell"
echo "command:  $(env | grep -E '^(CALIBRATE_|BLKMIG_BENCH_SETTLE_S=)' | sort | tr '\n' ' ')bench/calibrate.sh --disks \"$disks\" --bandwidths \"$bandwidths\" --seed $first_seed$([ $do_real = 1 ] || echo ' --model-only')$([ $do_model = 1 ] || echo ' --real-only')$([ -n "$results" ] && echo " --real-results $results") $runs $seeds"
echo "real:     qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -m 32M -S -drive file=IMG,format=raw,if=none,id=drive0 -device virtio-blk-pci,drive=drive0 -qmp unix:SOCK,server=on,wait=off"
echo "          migrate-set-parameters max-bandwidth; migrate-set-capabilities zero-blocks (disks with holes); migrate -b \"exec:cat > STREAM\";"
echo "          blkmig receive --input STREAM --target drive0=TARGET:SIZE; SHA-256 against the source; ${settle_s} s settle before each run"
echo "model:    blkmig sweep --profile qemu-7.2 --seeds $seeds --seed $first_seed --scenario LINE (below); $([ "$timing" = none ] && echo "latency ${latency_data} (random) or ${latency_holes} (holes)" || echo "reads and loop: timing=$timing (one measured run of its kind per seed)"), RAM 33288K:2%:0 (8,322 pages, as QEMU -m 32M migrates), workload none, layout= the description's"
echo

class() { # k n -> never / sometimes / always (n = 0: unknown)
  if [ "$2" -eq 0 ]; then echo unknown; elif [ "$1" -eq 0 ]; then echo never; elif [ "$1" -eq "$2" ]; then echo always; else echo sometimes; fi
}
wilson() { # k n -> "lo hi" (percent, 95%)
  awk -v k="$1" -v n="$2" 'BEGIN { if (n == 0) { print 0, 100; exit } z = 1.959964; p = k / n; d = 1 + z * z / n;
    c = (p + z * z / (2 * n)) / d; h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
    lo = c - h; hi = c + h; if (lo < 0) lo = 0; if (hi > 1) hi = 1; printf "%.1f %.1f\n", 100 * lo, 100 * hi }'
}

declare -a rows
for desc in $grid; do
  read -r size_bytes layout zero <<< "$(python3 bench/calib_disk.py "$desc")"
  src=$work/disk.img
  for bw in $bandwidths; do
    lost=0; failed=0; ok=0
    if [ $do_real = 1 ] && [ "$runs" -gt 0 ]; then
      python3 bench/calib_disk.py "$desc" "$src"
      want=$(sha256sum < "$src" | cut -d' ' -f1)
      for run in $(seq "$runs"); do
        rm -f "$work/stream" "$work/target.img"
        cat "$src" > /dev/null   # the source in the page cache, as after its creation
        sleep "$settle_s"
        rm -f "$work/trace"
        load=$(cut -d' ' -f1 /proc/loadavg)
        res=$(QEMU_TRACE=$([ "${CALIBRATE_TRACE:-0}" = 1 ] && echo "$work/trace") python3 bench/qemu_exec_migrate.py "$src" $((bw << 20)) "$([ "$zero" = true ] && echo 1 || echo 0)" \
          "$work/stream" 2> "$work/drive.err") || res="not-driven nan"
        read -r st t <<< "$res"
        if [ "$st" != completed ]; then
          failed=$((failed + 1)); verdict="not rebuilt (QEMU $st$([ -s "$work/drive.err" ] && echo ": $(tail -1 "$work/drive.err")"))"; v=failed
        else
          if ./blkmig receive --input "$work/stream" --target "drive0=$work/target.img:$size_bytes" > "$work/rx.out" 2>&1 \
              && [ "$(sha256sum < "$work/target.img" | cut -d' ' -f1)" = "$want" ]; then
            ok=$((ok + 1)); verdict=identical; v=identical
          else
            lost=$((lost + 1)); verdict="DIFFERS ($(tail -1 "$work/rx.out"))"; v=lost
          fi
        fi
        echo "real  $desc ${bw}M run $run: QEMU $st after $t s, $(stat -c %s "$work/stream" 2>/dev/null || echo 0) bytes of stream, target $verdict (load $load)"
        [ -n "$results" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$desc" "$bw" "$(date -u +%FT%TZ)" "$st" "$t" "$v" "$load" >> "$results"
        if [ -s "$work/trace" ]; then python3 bench/qemu_trace_summary.py "$work/trace" 8 | sed 's/^/        /'; fi
      done
      rm -f "$work/stream" "$work/target.img" "$work/trace" "$src"
    elif [ -n "$results" ] && [ -f "$results" ]; then
      read -r lost ok failed <<< "$(awk -F'\t' -v d="$desc" -v b="$bw" '$1 == d && $2 == b { if ($6 == "lost") l++; else if ($6 == "identical") o++; else f++ }
        END { print l + 0, o + 0, f + 0 }' "$results")"
    fi
    n=$((lost + ok))
    mk=0; mcl="not run"; model=0
    latency=$([ "$zero" = true ] && echo "$latency_holes" || echo "$latency_data")
    line="devices=drive0:$size_bytes;content=1;workload=none@0[8-128];bandwidth=${bw}M;downtime=300ms;latency=$latency;chunk=1M"
    line="$line;zero-blocks=$zero;shared-base=false;alloc=60;faults=none;ram=33288K:2%:0;layout=$layout"
    [ "$timing" = none ] || line="$line;timing=$timing"
    if [ $do_model = 1 ]; then
      model=1
      # a 256 MiB disk keeps its stream in memory, twice when a seed is rerun for determinism
      BLKMIG_JAVA_OPTS="-Xmx4g" ./blkmig sweep --profile qemu-7.2 --seeds "$seeds" --seed "$first_seed" --scenario "$line" \
        > "$work/sweep.out" 2> "$work/sweep.err" || true
      grep -q '^failed any' "$work/sweep.out" || { echo "sweep failed: $(cat "$work/sweep.err")" >&2; exit 1; }
      mk=$(awk '/^failed identical/ {print $3}' "$work/sweep.out"); mk=${mk:-0}
      echo "model $desc ${bw}M: $line"
      sed 's/^/        /' "$work/sweep.out" | grep -vE 'failing seed [23]:'
      [ -n "$mresults" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$desc" "$bw" "$seeds" "$first_seed" "$mk" "$line" >> "$mresults"
      mcl=$(class "$mk" "$seeds")
    elif [ -n "$mresults" ] && [ -f "$mresults" ] && awk -F'\t' -v d="$desc" -v b="$bw" '$1 == d && $2 == b { f = 1 } END { exit !f }' "$mresults"; then
      read -r seeds mk <<< "$(awk -F'\t' -v d="$desc" -v b="$bw" '$1 == d && $2 == b { s = $3; k = $5 } END { print s, k }' "$mresults")"
      model=1; mcl=$(class "$mk" "$seeds")
    fi
    read -r lo hi <<< "$(wilson "$lost" "$n")"
    rc=$(class "$lost" "$n")
    if [ "$n" -eq 0 ] || [ $model = 0 ]; then inside="n/a"; agree="n/a"; else
      inside=$(awk -v k="$mk" -v s="$seeds" -v lo="$lo" -v hi="$hi" 'BEGIN { r = 100 * k / s; print (r >= lo - 1e-9 && r <= hi + 1e-9) ? "yes" : "NO" }')
      agree=$([ "$rc" = "$mcl" ] && echo yes || echo NO)
    fi
    rows+=("$(printf '%-18s %5s | %3d/%-3d %5.1f%% [%5.1f-%5.1f] %-9s (%d not completed) | %4d/%-4d %5.1f%% %-9s | %-6s | %s' \
      "$desc" "$bw" "$lost" "$n" "$(awk -v k="$lost" -v n="$n" 'BEGIN { print n ? 100 * k / n : 0 }')" "$lo" "$hi" "$rc" "$failed" \
      "$mk" "$seeds" "$(awk -v k="$mk" -v s="$seeds" 'BEGIN { print 100 * k / s }')" "$mcl" "$inside" "$agree")")
  done
done

echo
printf '%-18s %5s | %-55s | %-26s | %-6s | %s\n' "disk" "MiB/s" "real QEMU 7.2: lost/completed, rate [95% Wilson], class" \
  "model: lost/seeds, class" "inside" "class agrees"
for r in "${rows[@]}"; do echo "$r"; done
