#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Testbed speed: scenarios per second of a campaign mix on one core (taskset -c 0) and on both (two
# shards in parallel), MiB simulated per CPU-second and peak RSS. With --against COMMIT, the same
# figures for a jar built from that commit, runs alternating (this tree, then the reference) so that
# the ratio is measured side by side on a noisy machine.
# Usage: bench/campaign.sh [--against COMMIT [--same-flags]] [--scenarios N] [--rounds R] [--seed S] [extra campaign options]
#        bench/campaign.sh N        (as before: N scenarios, this tree only)
set -euo pipefail
cd "$(dirname "$0")/.."
n=3000; rounds=2; seed=1; against=""; same_flags=""; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --against) against=$2; shift 2 ;;
    --same-flags) same_flags=1; shift ;;
    --scenarios) n=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    [0-9]*) n=$1; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
./blkmig --version >/dev/null
jars=("this tree=cli/target/blkmig.jar")
# each jar runs with the JVM options its own launcher gives a campaign (./blkmig); --same-flags runs the
# reference with this tree's too, to tell the code's share of a ratio from the flags'
declare -A jopts
jopts[this tree]=$(BLKMIG_PRINT_JAVA_OPTS=1 ./blkmig campaign)
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
  launcher=$(git show "$sha:blkmig")
  if grep -q BLKMIG_PRINT_JAVA_OPTS <<<"$launcher"; then
    jopts[$sha]=$(cd "$(mktemp -d)" && printf '%s\n' "$launcher" > blkmig && mkdir -p cli/target && touch cli/target/blkmig.jar \
      && BLKMIG_PRINT_JAVA_OPTS=1 bash blkmig campaign)
  else
    jopts[$sha]="-Xmx3g" # what launchers before BLKMIG_PRINT_JAVA_OPTS gave the simulation commands
  fi
  if [ -n "$same_flags" ]; then
    jars+=("$sha+flags=$ref")
    jopts[$sha+flags]=${jopts[this tree]}
  fi
fi
for j in "${jars[@]}"; do echo "${j%%=*}: java ${jopts[${j%%=*}]}" >&2; done
# one run: prints "scenarios/s cpu-s mib-simulated peak-rss-mib"
one() { # name jar cores-spec shard-args...
  local name=$1 jar=$2 cpus=$3; shift 3
  local out; out=$(mktemp)
  local start; start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$out.time" taskset -c "$cpus" java ${jopts[$name]} -jar "$jar" campaign --scenarios "$n" \
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
warm() { java ${jopts[$1]} -jar "$2" campaign --scenarios 300 --seed 99 >/dev/null; }   # page cache and class data
for j in "${jars[@]}"; do warm "${j%%=*}" "${j#*=}"; done
declare -A one_s both_s mibcpu rss
for r in $(seq 1 "$rounds"); do
  for j in "${jars[@]}"; do
    name=${j%%=*}; jar=${j#*=}
    read -r run wall cpu mib peak < <(one "$name" "$jar" 0)
    o=$(python3 -c "print('%.1f' % ($run / $wall))")
    m=$(python3 -c "print('%.1f' % ($mib / $cpu))")
    # both cores: two shards in parallel, wall time of the slower
    t0=$(date +%s.%N)
    one "$name" "$jar" 0,1 --shard 0/2 > /tmp/blkmig-bench-s0 & one "$name" "$jar" 0,1 --shard 1/2 > /tmp/blkmig-bench-s1; wait
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
ratio() { # label this-tree-figures reference-figures
  python3 - "$@" <<'PY'
import sys, statistics
label, a, b = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print('  ratio this tree / %s: %.2fx (median of %d rounds)' % (label, statistics.median(a) / statistics.median(b), len(a)))
PY
}
if [ -n "$against" ]; then
  ratio "$sha, one core" "${one_s[this tree]}" "${one_s[$sha]}"
  ratio "$sha, both cores" "${both_s[this tree]}" "${both_s[$sha]}"
  if [ -n "$same_flags" ]; then
    ratio "$sha with this tree's JVM options, one core" "${one_s[this tree]}" "${one_s[$sha+flags]}"
  fi
fi
