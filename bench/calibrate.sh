#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Calibration of the qemu-7.2 profile against the real QEMU 7.2: the same grid on both sides, and
# per cell how often each lost data.
#   disks: random  = 256 MiB of random data, zero-blocks off;
#          sparse  = a 4 GiB sparse raw image with 64 MiB of random data (64 pieces of 1 MiB, each
#                    straddling two chunks, as bench/sparse.sh lays them), zero-blocks on;
#   max-bandwidth: 96, 128, 160, 256 MiB/s.
# Real side, per run: a source QEMU with no guest (README's command line), max-bandwidth, the
# zero-blocks capability where the cell says so, migrate -b "exec:cat > STREAM", then the target
# rebuilt with `blkmig receive --input STREAM` and compared by SHA-256 with the source image.
# "Lost data": QEMU said completed and the target differs; runs where QEMU did not complete are
# counted apart. Model side: `blkmig sweep --profile qemu-7.2` of the same cell over many seeds,
# counting the seeds whose property 'identical' fails.
# Usage: bench/calibrate.sh [real runs per cell, default 5] [model seeds per cell, default 200]
# Environment: CALIBRATE_BANDWIDTHS (MiB/s, default "96 128 160 256"), CALIBRATE_DISKS (default
# "random sparse"), CALIBRATE_LATENCY (the model's read latency, default uniform:50us-500us),
# BLKMIG_BENCH_SETTLE_S (seconds of wait before each real run, default 5: see BENCHMARKS.md),
# CALIBRATE_TRACE=1 (trace each real run and print its 100 ms windows: bench/qemu_trace_summary.py).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
seeds=${2:-200}
bandwidths=${CALIBRATE_BANDWIDTHS:-96 128 160 256}
disks=${CALIBRATE_DISKS:-random sparse}
latency=${CALIBRATE_LATENCY:-uniform:50us-500us}
settle_s=${BLKMIG_BENCH_SETTLE_S:-5}
command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86 (apt-get install -y qemu-system-x86 qemu-utils)" >&2; exit 2; }
[[ "$runs" =~ ^[0-9]+$ && "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/calibrate.sh [runs >= 0] [seeds >= 1]" >&2; exit 2; }
./blkmig --version >/dev/null   # builds the jar if needed
work=$(mktemp -d /var/tmp/blkmig-calib.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "calibration: real QEMU 7.2 against the model's qemu-7.2 profile"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "QEMU:     $(qemu-system-x86_64 --version | head -1)"
echo "command:  $(env | grep -E '^(CALIBRATE_|BLKMIG_BENCH_SETTLE_S=)' | sort | tr '\n' ' ')bench/calibrate.sh $runs $seeds"
echo "real:     qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -m 32M -S -drive file=IMG,format=raw,if=none,id=drive0 -device virtio-blk-pci,drive=drive0 -qmp unix:SOCK,server=on,wait=off"
echo "          migrate-set-parameters max-bandwidth; migrate-set-capabilities zero-blocks (sparse); migrate -b \"exec:cat > STREAM\";"
echo "          blkmig receive --input STREAM --target drive0=TARGET:SIZE; SHA-256 against the source; ${settle_s} s settle before each run"
echo "model:    blkmig sweep --profile qemu-7.2 --seeds $seeds --scenario LINE (below); latency $latency, RAM 33288K:2%:0 (8,322 pages, as QEMU -m 32M migrates), workload none"
echo "          (the simulated disks are World's: at most 8 MiB of data in 64 KiB regions, not the real images' contents)"
echo

make_image() { # name -> path, size
  case $1 in
    random)
      head -c $((256 << 20)) /dev/urandom > "$work/random.img" ;;
    sparse)
      truncate -s 4G "$work/sparse.img"
      for i in $(seq 0 63); do
        dd if=/dev/urandom of="$work/sparse.img" bs=4096 count=256 seek=$(( i * (4 << 18) / 64 + 128 )) conv=notrunc status=none
      done ;;
  esac
}
size_of() { case $1 in random) echo 256M ;; sparse) echo 4G ;; esac; }
zero_of() { case $1 in random) echo false ;; sparse) echo true ;; esac; }
label_of() { case $1 in random) echo "256M random, zero-blocks off" ;; sparse) echo "4G sparse 64x1M, zero-blocks on" ;; esac; }
class() { # k n -> never / sometimes / always (n = 0: unknown)
  if [ "$2" -eq 0 ]; then echo unknown; elif [ "$1" -eq 0 ]; then echo never; elif [ "$1" -eq "$2" ]; then echo always; else echo sometimes; fi
}

declare -a rows
for disk in $disks; do
  make_image "$disk"
  src=$work/$disk.img
  size=$(size_of "$disk")
  want=$(sha256sum < "$src" | cut -d' ' -f1)
  for bw in $bandwidths; do
    lost=0; failed=0; ok=0; times=""
    for run in $(seq "$runs"); do
      rm -f "$work/stream" "$work/target.img"
      cat "$src" > /dev/null   # the source in the page cache, as after its creation
      sleep "$settle_s"
      rm -f "$work/trace"
      res=$(QEMU_TRACE=$([ "${CALIBRATE_TRACE:-0}" = 1 ] && echo "$work/trace") python3 bench/qemu_exec_migrate.py "$src" $((bw << 20)) "$([ "$(zero_of "$disk")" = true ] && echo 1 || echo 0)" \
        "$work/stream" 2> "$work/drive.err") || res="not-driven nan"
      read -r st t <<< "$res"
      if [ "$st" != completed ]; then
        failed=$((failed + 1)); verdict="not rebuilt (QEMU $st$([ -s "$work/drive.err" ] && echo ": $(tail -1 "$work/drive.err")"))"
      else
        if ./blkmig receive --input "$work/stream" --target "drive0=$work/target.img:$size" > "$work/rx.out" 2>&1 \
            && [ "$(sha256sum < "$work/target.img" | cut -d' ' -f1)" = "$want" ]; then
          ok=$((ok + 1)); verdict=identical
        else
          lost=$((lost + 1)); verdict="DIFFERS ($(tail -1 "$work/rx.out"))"
        fi
      fi
      times="$times $t"
      echo "real  $disk ${bw}M run $run: QEMU $st after $t s, $(stat -c %s "$work/stream" 2>/dev/null || echo 0) bytes of stream, target $verdict"
      if [ -s "$work/trace" ]; then python3 bench/qemu_trace_summary.py "$work/trace" 8 | sed 's/^/        /'; fi
    done
    rm -f "$work/stream" "$work/target.img" "$work/trace"
    line="devices=drive0:$size;content=1;workload=none@0[8-128];bandwidth=${bw}M;downtime=300ms;latency=$latency;chunk=1M"
    line="$line;zero-blocks=$(zero_of "$disk");shared-base=false;alloc=60;faults=none;ram=33288K:2%:0"
    # a 256 MiB disk keeps its stream in memory, twice when a seed is rerun for determinism
    BLKMIG_JAVA_OPTS="-Xmx4g" ./blkmig sweep --profile qemu-7.2 --seeds "$seeds" --scenario "$line" > "$work/sweep.out" 2> "$work/sweep.err" || true
    grep -q '^failed any' "$work/sweep.out" || { echo "sweep failed: $(cat "$work/sweep.err")" >&2; exit 1; }
    mk=$(awk '/^failed identical/ {print $3}' "$work/sweep.out"); mk=${mk:-0}
    mc=$(awk '/^outcome COMPLETED/ {print $3}' "$work/sweep.out"); mc=${mc:-0}
    echo "model $disk ${bw}M: $line"
    sed 's/^/        /' "$work/sweep.out" | grep -vE 'failing seed [23]:'
    rc=$(class "$lost" $((runs - failed))); mcl=$(class "$mk" "$seeds")
    agree=$([ "$rc" = unknown ] && echo "n/a" || { [ "$rc" = "$mcl" ] && echo yes || echo NO; })
    rows+=("$(printf '%-32s %4s | lost data in %d of %d runs (QEMU failed in %d) %-9s | lost data in %3d of %d seeds %-9s | %s' \
      "$(label_of "$disk")" "$bw" "$lost" "$runs" "$failed" "$rc" "$mk" "$seeds" "$mcl" "$agree")")
  done
  rm -f "$src"
done

echo
printf '%-32s %4s | %-52s | %-38s | %s\n' "disk" "MiB/s" "real QEMU 7.2 (class)" "model, qemu-7.2 profile (class)" "agree"
for r in "${rows[@]}"; do echo "$r"; done
