#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sparse disks, blkmig and QEMU 7.2 side by side on the same images: raw images of 4 and 64 GiB (by
# default), each holding 64 MiB of random data in 64 pieces of 1 MiB that straddle two chunks.
#   blkmig: `blkmig send --zero-blocks` -> `blkmig receive` over 127.0.0.1 through the launcher (its
#     flags: -Xmx128m, C1 only, serial GC; default bandwidth 1 GiB/s), onto a target it creates.
#   QEMU 7.2: migrate -b between two QEMUs with the zero-blocks capability, onto a sparse target made
#     by truncate, at its default bandwidth (128 MiB/s) and at 1 GiB/s (blkmig's default).
# Times. blkmig "end to end": from launching `blkmig send` (its JVM's start included) until
# `blkmig receive` has exited, the target forced to disk; the receiver is already listening, as
# QEMU's destination waits with -incoming. "+rx start" adds the receiver's own launch (to
# listening). QEMU: from its migrate command until the source reports completed (as
# bench/throughput.sh), and "from start" from starting both QEMUs until the destination completed.
# Each run prints peak RSS of both sides (GNU time; QEMU's VmHWM) and the target's allocated size,
# and compares the target with the source (bench/sparse_cmp.py); QEMU's medians count only the runs
# whose target came out identical. The page cache is dropped before each method and the script
# waits BLKMIG_BENCH_SETTLE_S (5 s), as bench/throughput.sh does (see BENCHMARKS.md for why).
# QEMU reads every hole, at most its bandwidth's worth of chunks per second: a QEMU run still going
# after BLKMIG_BENCH_QEMU_TIMEOUT_S (120 s) is cancelled, reported as such, and that setting is not run
# again on that size (no correct run can then be faster than the limit).
# Needs root (to drop the cache), QEMU 7.2 and GNU time. Usage: bench/sparse.sh [runs] [GiB...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4 64)
command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86 (apt-get install -y qemu-system-x86 qemu-utils)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 2; }
./blkmig --version >/dev/null   # builds the jar if needed
work=$(mktemp -d /var/tmp/blkmig-sparse.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
settle_s=${BLKMIG_BENCH_SETTLE_S:-5}
qemu_timeout_s=${BLKMIG_BENCH_QEMU_TIMEOUT_S:-120}
cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; sleep "$settle_s"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { python3 -c "print('%.3f' % ($2 - $1))"; }
alloc_mib() { echo $(( $(stat -c %b "$1") * 512 / 1048576 )); }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
unset BLKMIG_JAVA_OPTS   # the launcher's own flags for send and receive

declare -A r
summary=()
for gib in "${sizes[@]}"; do
  src=$work/src.img dst=$work/dst.img
  rm -f "$src"; truncate -s "${gib}G" "$src"
  for i in $(seq 0 63); do
    dd if=/dev/urandom of="$src" bs=4096 count=256 seek=$(( i * (gib << 18) / 64 + 128 )) conv=notrunc status=none
  done
  src_mib=$(alloc_mib "$src")
  echo "== ${gib} GiB raw image, ${src_mib} MiB allocated (64 pieces of 1 MiB of random data)"
  for run in $(seq "$runs"); do
    # blkmig
    rm -f "$dst" "$work/rx.err"; cold
    p=$(port)
    t0=$(now)
    /usr/bin/time -f "%M" -o "$work/rx.rss" ./blkmig receive --listen "$p" --target "drive0=$dst:${gib}G" \
      > "$work/rx.out" 2> "$work/rx.err" &
    rx=$!
    until grep -q listening "$work/rx.err" 2>/dev/null; do sleep 0.002; done
    t1=$(now)
    /usr/bin/time -f "%M" -o "$work/tx.rss" ./blkmig send --source "drive0=$src" --connect "127.0.0.1:$p" --zero-blocks \
      > "$work/tx.out"
    wait "$rx"
    t2=$(now)
    same=$(python3 bench/sparse_cmp.py "$src" "$dst" || true)
    e2e=$(secs "$t1" "$t2"); all=$(secs "$t0" "$t2")
    txr=$(( $(cat "$work/tx.rss") / 1024 )); rxr=$(( $(cat "$work/rx.rss") / 1024 ))
    r[b,$gib,$run]=$e2e; r[ball,$gib,$run]=$all; r[btx,$gib,$run]=$txr; r[brx,$gib,$run]=$rxr
    r[balloc,$gib,$run]=$(alloc_mib "$dst"); r[bok,$gib,$run]=$same
    echo "run $run blkmig: end to end $e2e s (+rx start: $all s), target $same, allocated ${r[balloc,$gib,$run]} MiB," \
      "peak RSS sender $txr MiB, receiver $rxr MiB"
    sed 's/^/    /' "$work/tx.out" | head -1; sed 's/^/    /' "$work/rx.out"

    # QEMU 7.2 with zero-blocks, at its default and at 1 GiB/s; a setting that did not complete within
    # the time limit is not run again on this size (it reads every hole: its time grows with the disk)
    for bw in 0 $((1 << 30)); do
      k=q$bw
      if [ -n "${r[${k}timeout,$gib]:-}" ]; then
        r[$k,$gib,$run]=nan; r[${k}all,$gib,$run]=nan; r[${k}ok,$gib,$run]="not run"
        continue
      fi
      rm -f "$dst"; cold
      truncate -s "${gib}G" "$dst"
      read -r st t from srss drss < <(python3 bench/qemu_migrate.py "$src" "$dst" "$bw" "$(port)" --zero-blocks --details \
        "--timeout=$qemu_timeout_s")
      if [ "$st" = timeout ]; then
        r[${k}timeout,$gib]=1
        same="not compared: cancelled after ${qemu_timeout_s} s"
      else
        same=$(python3 bench/sparse_cmp.py "$src" "$dst" || true)
      fi
      r[$k,$gib,$run]=$t; r[${k}all,$gib,$run]=$from; r[${k}ok,$gib,$run]=$same
      r[${k}tx,$gib,$run]=$((srss / 1024)); r[${k}rx,$gib,$run]=$((drss / 1024)); r[${k}alloc,$gib,$run]=$(alloc_mib "$dst")
      echo "run $run QEMU 7.2 max-bandwidth $([ "$bw" = 0 ] && echo default || echo 1G): QEMU says $st after $t s" \
        "(from start $from s), target $same, allocated ${r[${k}alloc,$gib,$run]} MiB, peak RSS source $((srss / 1024)) MiB," \
        "destination $((drss / 1024)) MiB"
    done
  done
  col() { local v=(); for x in $(seq "$runs"); do v+=("${r[$1,$gib,$x]}"); done; median "${v[@]}"; }
  # QEMU's figures count only the runs whose target came out identical
  qcol() {
    local v=(); for x in $(seq "$runs"); do [ "${r[${1}ok,$gib,$x]}" = identical ] && v+=("${r[$2,$gib,$x]}"); done
    if [ ${#v[@]} -gt 0 ]; then median "${v[@]}"; else echo nan; fi
  }
  qok() {
    local n=0; for x in $(seq "$runs"); do [ "${r[${1}ok,$gib,$x]}" = identical ] && n=$((n + 1)); done
    echo "$n of $runs${r[${1}timeout,$gib]:+, did not complete within $qemu_timeout_s s}"
  }
  bok=0; for x in $(seq "$runs"); do [ "${r[bok,$gib,$x]}" = identical ] && bok=$((bok + 1)); done
  b=$(col b); q0=$(qcol q0 q0); q1=$(qcol q$((1 << 30)) q$((1 << 30)))
  best=$(python3 -c "v=[x for x in (float('$q0'), float('$q1')) if x == x]; print(min(v) if v else float('nan'))")
  summary+=("$(printf '%s GiB | %s s (+rx start %s s) | %s / %s MiB | %s MiB | %s of %s | %s s (from start %s s), identical %s | %s s (from start %s s), identical %s | %s / %s MiB | %s MiB | %s' \
    "$gib" "$b" "$(col ball)" "$(col btx)" "$(col brx)" "$(col balloc)" "$bok" "$runs" \
    "$q0" "$(qcol q0 q0all)" "$(qok q0)" "$q1" "$(qcol q$((1 << 30)) q$((1 << 30))all)" "$(qok q$((1 << 30)))" \
    "$(qcol q0 q0tx)" "$(qcol q0 q0rx)" "$(qcol q0 q0alloc)" \
    "$(python3 -c "b=float('$b'); q=float('$best'); t='${r[q0timeout,$gib]:-}${r[q$((1 << 30))timeout,$gib]:-}'
print('%.1fx' % (q / b) if q == q else ('> %.0fx (QEMU did not complete within $qemu_timeout_s s)' % ($qemu_timeout_s / b)) if t else 'none (no identical QEMU run)')")")")
  echo "   source allocated: $src_mib MiB"
done
echo
echo "medians of $runs runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "size | blkmig end to end | blkmig peak RSS send / receive | blkmig target allocated | blkmig identical | QEMU default | QEMU 1G | QEMU peak RSS src / dst (default) | QEMU target allocated | QEMU's best / blkmig"
for line in "${summary[@]}"; do echo "$line"; done
