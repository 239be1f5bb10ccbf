#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory bound on a large sparse disk: a 16 GiB image with 64 MiB of random data scattered over it,
# blkmig send --zero-blocks -> blkmig receive over 127.0.0.1, two JVMs with the launcher's flags
# (heap capped at 64 MiB as in bench/throughput.sh). Prints the time, the peak RSS of each process
# and whether the target is identical (cmp). Usage: bench/sparse.sh [GiB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_gib=${1:-16}
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 2; }
./blkmig --version >/dev/null   # builds the jar if needed
work=$(mktemp -d /var/tmp/blkmig-sparse.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
src=$work/src.img
truncate -s "${size_gib}G" "$src"
# 64 pieces of 1 MiB of random data spread over the image, each starting half a chunk in (4 KiB units)
for i in $(seq 0 63); do
  dd if=/dev/urandom of="$src" bs=4096 count=256 seek=$(( i * (size_gib << 18) / 64 + 128 )) conv=notrunc status=none
done
export BLKMIG_JAVA_OPTS="-Xmx64m -XX:MaxDirectMemorySize=64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/time -f "%M" -o "$work/rx.rss" ./blkmig receive --listen "$port" --target "drive0=$work/dst.img:${size_gib}G" \
  > "$work/rx.out" 2> "$work/rx.err" &
until grep -q listening "$work/rx.err" 2>/dev/null; do sleep 0.02; done
/usr/bin/time -f "%M" -o "$work/tx.rss" ./blkmig send --source "drive0=$src" --connect "127.0.0.1:$port" \
  --bandwidth 100G --zero-blocks > "$work/tx.out"
wait
cat "$work/rx.out"
cmp "$src" "$work/dst.img" && same=identical || same=DIFFERS
echo "sparse ${size_gib} GiB: target $same, allocated $(du -k "$work/dst.img" | cut -f1) KiB," \
  "peak RSS sender $(( $(cat "$work/tx.rss") / 1024 )) MiB, receiver $(( $(cat "$work/rx.rss") / 1024 )) MiB"
