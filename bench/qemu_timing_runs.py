#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One timing profile per measured run of QEMU 7.2, for QemuTiming's measured runs: the machine's
   state (other jobs on its 2 cores, the heap's pages) holds for a run's second or two, so a
   simulated run takes one measured run's figures rather than the pool of all runs.
   QEMU_TRACE=TRACE QEMU_WRAPPER="bench/qemu_perf_wrap.sh PERF" bench/qemu_exec_migrate.py IMG BW ZERO STREAM
   qemu_timing_runs.py TRACE PERF [TRACE PERF ...]
   Prints per run (quantiles min, p10, p25, p50, p75, p90, p99, max, in ns):
   - reads: 1 MiB pread64 durations (perf; block/file-posix.c handle_aiocb_rw_linear on a worker);
   - bottom half: the first of a batch's pread64 exits to the batch's thread_pool_complete (perf and
     trace; util/thread-pool.c worker_thread qemu_bh_schedule -> thread_pool_completion_bh);
   - submission: two 1 MiB blk_co_preadv of one submission loop (trace; migration/block.c
     mig_save_device_bulk under the BQL -> thread_pool_submit_aio);
   - zero check: flush_blks's time per block sent, p50, for runs with zero-blocks (block.c blk_send:
     buffer_is_zero over a zero chunk), else 0;
   and, over all runs: the idle loop's phases are qemu_timing.py's, the worker start-up's p10-p90
   qemu_bh_delay.py's."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_bh_delay import measure  # noqa: E402
from qemu_timing import LINE, pct  # noqa: E402
QS = [0, 10, 25, 50, 75, 90, 99, 100]


def trace_figures(trace):
    submissions, per_block = [], []
    last_preadv = None
    flush_enter = None
    zero_blocks = False
    for line in open(trace, errors="replace"):
        m = LINE.match(line.strip())
        if not m:
            continue
        t, name, rest = float(m.group(2)), m.group(3), m.group(4)
        if name in ("migration_block_flush_blks", "migrate_pending", "migration_block_save"):
            last_preadv = None
        if name == "blk_co_preadv" and "bytes 1048576" in rest:
            if last_preadv is not None:
                submissions.append(t - last_preadv)
            last_preadv = t
        elif name == "migration_block_flush_blks":
            transferred = int(re.findall(r"\d+", rest)[-1])
            if rest.startswith("Enter"):
                flush_enter = (t, transferred)
            elif flush_enter and transferred > flush_enter[1]:
                per_block.append((t - flush_enter[0]) / (transferred - flush_enter[1]))
        elif name == "migration_thread_low_pending":
            break
    return submissions, per_block


def q(xs):
    v = [max(1, round(pct(xs, p) * 1e9)) for p in QS]
    for i in range(1, len(v)):
        v[i] = max(v[i], v[i - 1])
    return "{" + ", ".join("%d" % x for x in v) + "}"


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        sys.exit("usage: qemu_timing_runs.py TRACE PERF [TRACE PERF ...]")
    for trace, perf in zip(args[0::2], args[1::2]):
        r = measure(trace, perf)
        submissions, per_block = trace_figures(trace)
        zero = "sparse" in os.path.basename(trace)
        print("// %s: %d reads, %d bottom halves, %d submissions" % (os.path.basename(trace), len(r["durations"]),
                                                                   len(r["batch_delays"]), len(submissions)))
        print("run(%s,\n    %s,\n    %s,\n    %s)," % (round(pct(per_block, 50) * 1e9) if zero and per_block else 0,
                                                    q(r["durations"]), q(r["batch_delays"]), q(submissions)))


if __name__ == "__main__":
    main()
