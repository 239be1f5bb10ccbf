#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Testbed speed: scenarios per second of a campaign mix on one core (taskset -c 0) and on both (two
# shards in parallel), MiB simulated per CPU-second and peak RSS. With --against COMMIT, the same
# figures for a jar built from that commit, runs alternating (this tree, then the reference) so that
# the ratio is measured side by side on a noisy machine.
# Usage: bench/campaign.sh [--against COMMIT] [--scenarios N] [--rounds R] [--seed S] [extra campaign options]
#        bench/campaign.sh N        (as before: N scenarios, this tree only)
set -euo pipefail
cd "$(dirname "$0")/.."
n=3000; rounds=2; seed=1; against=""; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --against) against=$2; shift 2 ;;
    --scenarios) n=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    [0-9]*) n=$1; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
./blkmig --version >/dev/null
jars=("this tree=cli/target/blkmig.jar")
if [ -n "$against" ]; then
  sha=$(git rev-parse --short=12 "$against^{commit}")
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/blkmig-bench
  ref=$cache/blkmig-$sha.jar
  if [ ! -f "$ref" ]; then
    echo "building the reference jar of $sha (mvn package, no install)..." >&2
    tmp=$(mktemp -d)
    git worktree add -q --detach "$tmp/src" "$sha"
    (cd "$tmp/src" && mvn -q -B -DskipTests -Djacoco.skip=true package -pl cli -am) >&2
    mkdir -p "$cache" && cp "$tmp/src/cli/target/blkmig.jar" "$ref"
    git worktree remove --force "$tmp/src" && rm -rf "$tmp"
  fi
  jars+=("$sha=$ref")
fi
# one run: prints "scenarios/s cpu-s mib-simulated peak-rss-mib"
one() { # jar cores-spec shard-args...
  local jar=$1 cpus=$2; shift 2
  local out; out=$(mktemp)
  local start; start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$out.time" taskset -c "$cpus" java -Xmx3g -jar "$jar" campaign --scenarios "$n" \
    --seed "$seed" "${extra[@]}" "$@" > "$out"
  local end; end=$(date +%s.%N)
  python3 - "$out" "$start" "$end" <<'PY'
import re, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
text = open(out).read()
run = sum(int(x) for x in re.findall(r': (\d+) run,', text))
mib = sum(float(x) for x in re.findall(r'([\d.]+) MiB simulated', text))
u, s, rss = open(out + '.time').read().split()
print('%d %.3f %.3f %.1f %.1f' % (run, end - start, float(u) + float(s), mib, int(rss) / 1024))
PY
  rm -f "$out" "$out.time"
}
warm() { java -Xmx3g -jar "$1" campaign --scenarios 300 --seed 99 >/dev/null; }   # page cache and class data
for j in "${jars[@]}"; do warm "${j#*=}"; done
declare -A one_s both_s mibcpu rss
for r in $(seq 1 "$rounds"); do
  for j in "${jars[@]}"; do
    name=${j%%=*}; jar=${j#*=}
    read -r run wall cpu mib peak < <(one "$jar" 0)
    o=$(python3 -c "print('%.1f' % ($run / $wall))")
    m=$(python3 -c "print('%.1f' % ($mib / $cpu))")
    # both cores: two shards in parallel, wall time of the slower
    t0=$(date +%s.%N)
    one "$jar" 0,1 --shard 0/2 > /tmp/blkmig-bench-s0 & one "$jar" 0,1 --shard 1/2 > /tmp/blkmig-bench-s1; wait
    t1=$(date +%s.%N)
    b=$(python3 -c "print('%.1f' % ($n / ($t1 - $t0)))")
    peak2=$(cat /tmp/blkmig-bench-s0 /tmp/blkmig-bench-s1 | awk '{ if ($5 > m) m = $5 } END { print m }')
    printf "round %d  %-14s one core %8s scenarios/s  both %8s scenarios/s  %8s MiB simulated/CPU-s  peak RSS %s/%s MiB\n" \
      "$r" "$name" "$o" "$b" "$m" "$peak" "$peak2"
    one_s[$name]+="$o "; both_s[$name]+="$b "; mibcpu[$name]+="$m "; rss[$name]+="$peak "
  done
done
echo "summary ($n scenarios, seed $seed, ${extra[*]:-default mix}; JVM start included; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
for j in "${jars[@]}"; do
  name=${j%%=*}
  echo "  $name: one core ${one_s[$name]}scenarios/s; both ${both_s[$name]}scenarios/s; ${mibcpu[$name]}MiB/CPU-s; peak RSS ${rss[$name]}MiB"
done
if [ -n "$against" ]; then
  python3 - "${one_s[this tree]}" "${one_s[$sha]}" <<'PY'
import sys, statistics
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
print('  ratio this tree / reference, one core: %.2fx (median of %d rounds)' % (statistics.median(a) / statistics.median(b), len(a)))
PY
fi
