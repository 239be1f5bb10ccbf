#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Testbed speed: scenarios per second of the default campaign mix, on one core and on both
# (two shards in parallel), and simulated bytes migrated per CPU-second. Usage: bench/campaign.sh [scenarios]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3000}
./blkmig --version >/dev/null
warm() { ./blkmig campaign --scenarios 300 --seed 99 >/dev/null; }   # page cache and class data
warm
echo "one core (taskset -c 0), $n scenarios:"
start=$(date +%s.%N)
taskset -c 0 ./blkmig campaign --scenarios "$n" --seed 1 | sed 's/^/  /'
one=$(python3 -c "print('%.1f' % ($n / ($(date +%s.%N) - $start)))")
echo "  wall, JVM start included: $one scenarios/s"
echo "both cores (shards 0/2 and 1/2 in parallel), $n scenarios:"
start=$(date +%s.%N)
./blkmig campaign --scenarios "$n" --seed 1 --shard 0/2 > /tmp/blkmig-shard0.out &
./blkmig campaign --scenarios "$n" --seed 1 --shard 1/2 > /tmp/blkmig-shard1.out
wait
sed 's/^/  /' /tmp/blkmig-shard0.out /tmp/blkmig-shard1.out
both=$(python3 -c "print('%.1f' % ($n / ($(date +%s.%N) - $start)))")
echo "  wall, JVM start included: $both scenarios/s"
echo "summary: $one scenarios/s on one core, $both on both; see the CPU lines for bytes migrated per CPU-second"
