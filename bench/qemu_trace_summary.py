#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The completion decisions of a real QEMU 7.2 block migration, from its trace (QEMU_TRACE=FILE
   bench/qemu_exec_migrate.py ...). migration.c measures the bandwidth over windows of 100 ms and
   sets the threshold (bandwidth x downtime limit) at each window's end; the migration thread
   compares the pending bytes of all sections with the threshold in force before every iterate
   call, many times per window when it is not rate-limited. One line per window: its bytes sent,
   when it hit the rate limit, the threshold in force during it (set by the window before; 0 in
   the first), how many decisions it made, the smallest pending total among them split into the
   block section's and the rest (RAM), and whether one of them completed.
   qemu_trace_summary.py TRACE [MAX_WINDOWS]"""
import re
import sys

path = sys.argv[1]
max_windows = int(sys.argv[2]) if len(sys.argv) > 2 else 5
events = []
for line in open(path, errors="replace"):
    m = re.match(r"\d+@(\d+\.\d+):(\S+) ?(.*)", line.strip())
    if m:
        events.append((float(m.group(1)), m.group(2), m.group(3)))
if not events:
    raise SystemExit("no timestamped trace events in " + path)
t0 = events[0][0]


def ms(t):
    return (t - t0) * 1000


class Window:
    def __init__(self, start, threshold):
        self.start, self.threshold = start, threshold
        self.limited_at = None
        self.decisions = 0
        self.min_total = None
        self.min_block = None
        self.completed_at = None


print("window   start    end  rate-limited  sent bytes  threshold in force  decisions  smallest pending: block + RAM = total"
      "  -> outcome")


def show(n, w, end, sent):
    print("%6d  %6.1f  %5s  %12s  %10s  %18d  %9d  %10d + %d = %d  -> %s" % (
        n, ms(w.start), "%.1f" % ms(end) if end else "-", "%.1f ms" % ms(w.limited_at) if w.limited_at else "no",
        sent if sent is not None else "-", w.threshold, w.decisions, w.min_block or 0,
        (w.min_total - w.min_block) if w.min_total is not None else 0, w.min_total or 0,
        "COMPLETE at %.1f ms" % ms(w.completed_at) if w.completed_at else "iterate"))


w = Window(t0, 0)
n = 1
block = None
for t, ev, rest in events:
    if ev == "migration_rate_limit_pre" and w.limited_at is None:
        w.limited_at = t
    elif ev == "migration_block_save_pending":
        block = int(rest.split()[-1])
    elif ev == "migrate_pending":
        total = int(re.findall(r"\d+", rest)[0])
        w.decisions += 1
        if w.min_total is None or total < w.min_total:
            w.min_total, w.min_block = total, block if block is not None else 0
    elif ev == "migration_thread_low_pending":
        w.completed_at = t
        show(n, w, None, None)
        break
    elif ev == "migrate_transferred":
        x = re.findall(r"\d+", rest)
        show(n, w, t, int(x[0]))
        n += 1
        if n > max_windows:
            break
        w = Window(t, int(x[3]))
