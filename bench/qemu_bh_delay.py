#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The thread pool's timing of QEMU 7.2's bulk reads, from a QEMU trace and a perf record of the
   same run (no strace: its stop at each system call would be part of what is measured).
   QEMU_TRACE=TRACE QEMU_WRAPPER="bench/qemu_perf_wrap.sh PERF" bench/qemu_exec_migrate.py IMG BW ZERO STREAM
   qemu_bh_delay.py TRACE PERF [TRACE PERF ...]     (several runs pool)
   Prints:
   - 1 MiB pread64 duration (a worker's read: block/file-posix.c handle_aiocb_rw_linear);
   - the completion bottom half's delay: a worker's pread64 exit to thread_pool_complete of the
     read of that offset (util/thread-pool.c worker_thread's qemu_bh_schedule -> main loop ->
     thread_pool_completion_bh), the quantiles QemuTiming.MEASURED takes;
   - the same per bottom half: the first of a batch's reads to exit (the worker whose
     qemu_bh_schedule scheduled it) to the batch's first thread_pool_complete; a batch: completions
     run less than 20 us apart (the model draws this delay once per scheduled bottom half);
   - queue wait: thread_pool_submit to the worker's pread64 entry;
   - worker start-up: intervals between the clone3 calls of the worker chain (thread-pool.c
     do_spawn_thread; each new worker starts the next)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_timing import LINE, pct  # noqa: E402  (the trace's line format and quantile, one definition)

PERF = re.compile(r"\s*\S+\s+(\d+)\s+(?:\[\d+\]\s+)?(\d+\.\d+):\s+syscalls:(sys_\w+):\s*(.*)")
QS = [0, 10, 25, 50, 75, 90, 99, 100]


def show(name, xs, unit="ms", scale=1e3):
    if not xs:
        print("%-40s (none)" % name)
        return
    print("%-40s n=%-6d %s %s" % (name, len(xs), "  ".join("%s %.3f" % ("min" if q == 0 else "max" if q == 100 else "p%d" % q,
                                                                          pct(xs, q) * scale) for q in QS), unit))


def measure(trace, perf):
    """One run's figures: lists of seconds by name."""
    durations, delays, waits, spawns, batch_delays = [], [], [], [], []
    if True:
        offset = float(open(perf + ".clock").read())
        # the trace: each 1 MiB bulk read's offset (blk_co_preadv, then thread_pool_submit on the
        # same thread), its submission and its completion's run
        want_offset = {}
        submit, complete = {}, {}
        for line in open(trace, errors="replace"):
            m = LINE.match(line.strip())
            if not m:
                continue
            tid, t, name, rest = m.group(1), float(m.group(2)), m.group(3), m.group(4)
            if name == "blk_co_preadv" and "bytes 1048576" in rest:
                want_offset[tid] = int(re.search(r"offset (\d+)", rest).group(1))
            elif name == "thread_pool_submit" and tid in want_offset:
                req = re.search(r"req (0x[0-9a-f]+)", rest).group(1)
                submit[req] = (want_offset.pop(tid), t)
            elif name == "thread_pool_complete":
                req = re.search(r"req (0x[0-9a-f]+)", rest).group(1)
                if req in submit:
                    off, ts = submit.pop(req)
                    complete.setdefault(off, []).append((ts, t))
        # perf: pread64 of 1 MiB by offset, entry and exit (monotonic clock + offset = real time)
        out = subprocess.run(["perf", "script", "-i", perf, "--ns"], capture_output=True, text=True, check=True).stdout
        entered = {}
        reads = {}
        clones = []
        for line in out.splitlines():
            m = PERF.match(line)
            if not m:
                continue
            tid, t, ev, rest = m.group(1), float(m.group(2)) + offset, m.group(3), m.group(4)
            if ev == "sys_enter_pread64":
                count = int(re.search(r"count: (0x[0-9a-f]+)", rest).group(1), 16)
                pos = int(re.search(r"pos: (0x[0-9a-f]+)", rest).group(1), 16)
                if count == 1 << 20:
                    entered[tid] = (pos, t)
            elif ev == "sys_exit_pread64" and tid in entered:
                pos, te = entered.pop(tid)
                reads.setdefault(pos, []).append((te, t))
            elif ev == "sys_enter_clone3":
                clones.append(t)
        done = []   # (completion run, pread64 exit)
        for off, runs in complete.items():
            for (ts, tc), (te, tx) in zip(runs, reads.get(off, [])):
                durations.append(tx - te)
                delays.append(tc - tx)
                waits.append(te - ts)
                done.append((tc, tx))
        done.sort()
        batch = []
        for tc, tx in done + [(float("inf"), 0)]:
            if batch and tc - batch[-1][0] >= 20e-6:
                batch_delays.append(batch[0][0] - min(x for _, x in batch))
                batch = []
            batch.append((tc, tx))
        # the worker chain: clone3 calls after the first bulk submission
        first = min((ts for runs in complete.values() for ts, _ in runs), default=None)
        chain = [t for t in clones if first is not None and t >= first]
        spawns += [b - a for a, b in zip(chain, chain[1:]) if b - a < 0.1]
    return {"durations": durations, "delays": delays, "waits": waits, "spawns": spawns, "batch_delays": batch_delays}


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        sys.exit("usage: qemu_bh_delay.py TRACE PERF [TRACE PERF ...]")
    durations, delays, waits, spawns, batch_delays = [], [], [], [], []
    for trace, perf in zip(args[0::2], args[1::2]):
        r = measure(trace, perf)
        durations += r["durations"]
        delays += r["delays"]
        waits += r["waits"]
        spawns += r["spawns"]
        batch_delays += r["batch_delays"]
    print("runs: %d" % (len(args) // 2))
    show("1 MiB pread64", durations)
    show("pread64 exit -> thread_pool_complete", delays)
    show("bottom half: first exit -> batch run", batch_delays)
    show("thread_pool_submit -> pread64 entry", waits)
    show("worker start-up (clone3 intervals)", spawns)
    bad = sum(d < 0 for d in delays)
    if bad:
        print("warning: %d completions before their pread64's exit (clock offset?)" % bad)


if __name__ == "__main__":
    main()
