#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Throughput, side by side on one image: a socket copy with fsync (the machine's limit for this
# data path), blkmig send -> receive over plain TCP and over TLS 1.3 (two JVMs, file to file over
# 127.0.0.1, target forced to disk), and QEMU 7.2's own migrate -b between two QEMUs at 96 MiB/s and
# at its default.
# Each method is timed at the receiving side: from the connection until the data is on disk
# (QEMU: from its migrate command until it reports completed). Usage: bench/throughput.sh [MiB] [runs]
# blkmig runs as two JVMs with -Xmx64m and the serial GC, C1 only over plain TCP, C1 and C2 over TLS
# (the launcher's choice: AES-GCM's intrinsics are C2's); TLS uses credentials of `blkmig certs`.
# Environment: THROUGHPUT_METHODS (default "copy blkmig tls qemu"; QEMU is needed only for qemu),
# BLKMIG_JAR (run this jar with java instead of ./blkmig, which rebuilds the jar when sources changed).
# Before each method the page cache is dropped and the script waits BLKMIG_BENCH_SETTLE_S (5 s):
# on this VM the guest hands freed memory back to the host about 2 s after it is freed, and the
# first touch of such memory is slow, so without the wait a method's speed depended on how soon
# after the drop it started (a copy started at once ran 3x faster than one started 4 s later).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
methods=" ${THROUGHPUT_METHODS:-copy blkmig tls qemu} "
has() { [[ "$methods" == *" $1 "* ]]; }
! has qemu || command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86 (apt-get install -y qemu-system-x86 qemu-utils)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 2; }
# the launcher's flags for send and receive (C1 only, serial GC), with the heap at 64 MiB to show the memory bound;
# over TLS without C1-only, as the launcher gives --tls-creds
plain_opts="-Xmx64m -XX:MaxDirectMemorySize=64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
tls_opts="-Xmx64m -XX:MaxDirectMemorySize=64m -XX:+UseSerialGC"
bk() { # JVM options -> the blkmig command line
  if [ -n "${BLKMIG_JAR:-}" ]; then echo "java $1 -jar $BLKMIG_JAR"; else echo "env BLKMIG_JAVA_OPTS=$1 ./blkmig"; fi
}
if [ -z "${BLKMIG_JAR:-}" ]; then ./blkmig --version >/dev/null; fi   # builds the jar if needed
work=$(mktemp -d /var/tmp/blkmig-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
src=$work/src.img
head -c $((size_mib << 20)) /dev/urandom > "$src"
want=$(sha256sum < "$src" | cut -d' ' -f1)
bytes=$((size_mib << 20))
settle_s=${BLKMIG_BENCH_SETTLE_S:-5}
cold() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; sleep "$settle_s"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mbps() { python3 -c "t = float('$1'); print('%.1f' % ($bytes / t / 1e6) if t == t else 'none')"; }
same() { [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$want" ] && echo identical || echo DIFFERS; }
if has tls; then $(bk "$tls_opts") certs --dir "$work/creds" > /dev/null; fi

declare -A results
for run in $(seq "$runs"); do
  # 1. socket copy + fsync
  if has copy; then
  rm -f "$work/dst.img" "$work/copy.out"; cold
  p=$(port)
  python3 bench/socketcopy.py recv "$p" "$work/dst.img" > "$work/copy.out" &
  until grep -q listening "$work/copy.out" 2>/dev/null; do sleep 0.02; done
  python3 bench/socketcopy.py send "$p" "$src"; wait
  t=$(tail -1 "$work/copy.out"); results[copy,$run]=$t
  echo "run $run socket copy + fsync: $t s, $(mbps "$t") MB/s, $(same "$work/dst.img")"
  fi

  # 2. and 3. blkmig send -> receive, plain TCP and TLS 1.3 (the key: blkmig, tls)
  for m in blkmig tls; do
    has "$m" || continue
    if [ "$m" = tls ]; then cmd=$(bk "$tls_opts"); creds=(--tls-creds "$work/creds"); else cmd=$(bk "$plain_opts"); creds=(); fi
    rm -f "$work/dst.img" "$work/rx.err"; cold   # a stale rx.err would say "listening" before this receiver does
    p=$(port)
    /usr/bin/time -f "%M" -o "$work/rx.rss" $cmd receive --listen "$p" --target "drive0=$work/dst.img:${size_mib}M" "${creds[@]}" \
      > "$work/rx.out" 2> "$work/rx.err" &
    until grep -q listening "$work/rx.err" 2>/dev/null; do sleep 0.02; done
    /usr/bin/time -f "%M" -o "$work/tx.rss" $cmd send --source "drive0=$src" --connect "127.0.0.1:$p" --bandwidth 100G --threads 2 \
      "${creds[@]}" > "$work/tx.out"
    wait
    t=$(sed -n 's/.*(\([0-9.]*\) s, .*/\1/p' "$work/rx.out")
    results[$m,$run]=$t
    echo "run $run blkmig $([ "$m" = tls ] && echo "over TLS" || echo "plain TCP"): $t s, $(mbps "$t") MB/s, $(same "$work/dst.img"), RSS sender $(( $(cat "$work/tx.rss") / 1024 )) MiB, receiver $(( $(cat "$work/rx.rss") / 1024 )) MiB"
    results[${m}txrss,$run]=$(( $(cat "$work/tx.rss") / 1024 )); results[${m}rxrss,$run]=$(( $(cat "$work/rx.rss") / 1024 ))
  done

  # 4. and 5. QEMU 7.2 at 96 MiB/s and at its default (128 MiB/s)
  has qemu || continue
  for bw in $((96 << 20)) 0; do
    rm -f "$work/dst.img"; cold
    truncate -s "${size_mib}M" "$work/dst.img"
    read -r st t < <(python3 bench/qemu_migrate.py "$src" "$work/dst.img" "$bw" "$(port)")
    key=qemu$bw; results[$key,$run]=$t; results[${key}ok,$run]=$(same "$work/dst.img")
    echo "run $run QEMU 7.2 max-bandwidth $([ "$bw" = 0 ] && echo default || echo 96M): QEMU says $st after $t s, $(mbps "$t") MB/s, destination $(same "$work/dst.img")"
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
col() { local k=$1; local v=(); for r in $(seq "$runs"); do v+=("${results[$k,$r]}"); done; median "${v[@]}"; }
# QEMU's figures count only the runs whose destination came out identical: an early "completed"
# that left most of the disk unsent is a failure, not a fast run
qcol() {
  local k=$1; local v=(); for r in $(seq "$runs"); do [ "${results[${k}ok,$r]}" = identical ] && v+=("${results[$k,$r]}"); done
  if [ ${#v[@]} -gt 0 ]; then median "${v[@]}"; else echo nan; fi
}
qok() { local n=0; for r in $(seq "$runs"); do [ "${results[${1}ok,$r]}" = identical ] && n=$((n + 1)); done; echo "$n of $runs"; }
echo
echo "median of $runs runs, ${size_mib} MiB of random data, $(nproc) cores:"
if has copy; then c=$(col copy); echo "  socket copy + fsync           $(mbps "$c") MB/s"; fi
if has blkmig; then b=$(col blkmig); echo "  blkmig send -> receive        $(mbps "$b") MB/s   peak RSS sender $(col blkmigtxrss) MiB, receiver $(col blkmigrxrss) MiB"; fi
if has tls; then tl=$(col tls); echo "  blkmig over TLS 1.3           $(mbps "$tl") MB/s   peak RSS sender $(col tlstxrss) MiB, receiver $(col tlsrxrss) MiB"; fi
if has qemu; then
  q96=$(qcol qemu$((96 << 20))); q0=$(qcol qemu0)
  echo "  QEMU 7.2 at 96 MiB/s          $(mbps "$q96") MB/s   (destination identical in $(qok qemu$((96 << 20))) runs)"
  echo "  QEMU 7.2 at its default       $(mbps "$q0") MB/s   (destination identical in $(qok qemu0) runs)"
fi
if has copy && has blkmig; then python3 -c "print('  ratio blkmig / socket copy = %.2f' % ($c / $b))"; fi
if has blkmig && has tls; then python3 -c "print('  ratio TLS / plain TCP = %.2f' % ($b / $tl))"; fi
if has blkmig && has qemu; then
  python3 -c "print('  ratio blkmig / QEMU at 96 MiB/s = %.2f' % (float('$q96') / $b))" | sed 's/= nan/= none (no identical QEMU run)/'
fi
