#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The timing of QEMU 7.2's block migration, measured from its own trace: the parameters a model of
   its races needs, each with the QEMU source it comes from.
   qemu_timing.py TRACE...   (traces of QEMU_TRACE=FILE bench/qemu_exec_migrate.py, or of
                              CALIBRATE_TRACE=1 bench/calibrate.sh; several traces pool)
   Prints, over the bulk pass:
   - read service: a 1 MiB bulk read from submission (thread_pool_submit) to its completion being
     run (thread_pool_complete, in the main loop's bottom half): util/thread-pool.c
     thread_pool_submit_aio / worker_thread / thread_pool_completion_bh;
   - first completion: from the migration's first read submission to the first completion
     (workers started on demand, one after another: thread-pool.c spawn_thread / do_spawn_thread);
   - completion batches: completions run by one bottom half (events < 20 us apart), their size,
     and how often a batch runs them newest first (thread_pool_completion_bh walks pool->head,
     where thread_pool_submit_aio inserts at the head);
   - send time per block: flush_blks's time divided by the blocks it sent (migration/block.c
     flush_blks -> blk_send into the exec: pipe);
   - the migration thread's decisions: pending checks per 100 ms window and the time between two
     checks when not rate-limited (migration.c migration_iteration_run / migration_thread);
   - RAM's share: the non-block part of the pending total at a decision (ram.c ram_save_pending);
   - a bulk read's submission: the time between two 1 MiB blk_co_preadv of one submission loop (no
     flush or pending check between them) on the migration thread (block.c mig_save_device_bulk
     takes the BQL, blk_aio_preadv, thread-pool.c thread_pool_submit_aio), min to max;
   - the idle loop's phases (pending check, iterate, two flushes that send nothing, pending check):
     pending -> first flush, the first flush, first flush -> final flush (the submission loop),
     final flush -> next pending (migration.c migration_thread; block.c block_save_iterate)."""
import re
import statistics
import sys

LINE = re.compile(r"(\d+)@(\d+\.\d+):(\S+) ?(.*)")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def summary(name, xs, unit="ms", scale=1000.0):
    if not xs:
        print("%-44s (none)" % name)
        return
    v = [x * scale for x in xs]
    print("%-44s n=%-6d p10 %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f %s" % (
        name, len(v), pct(v, 10), pct(v, 50), pct(v, 90), pct(v, 99), max(v), unit))


def quantiles(name, xs, unit="us", scale=1e6):
    if not xs:
        print("%-44s (none)" % name)
        return
    v = [x * scale for x in xs]
    print("%-44s n=%-6d min %.1f  p10 %.1f  p25 %.1f  p50 %.1f  p75 %.1f  p90 %.1f  p99 %.1f  max %.1f %s" % (
        name, len(v), min(v), pct(v, 10), pct(v, 25), pct(v, 50), pct(v, 75), pct(v, 90), pct(v, 99), max(v), unit))


def main():
    submissions = []
    service, first, batch_sizes, send_per_block, gaps, per_window, ram = [], [], [], [], [], [], []
    head, first_flush, submit_loop, tail = [], [], [], []
    newest_first = batches_multi = 0
    for path in sys.argv[1:]:
        ev = []
        for line in open(path, errors="replace"):
            m = LINE.match(line.strip())
            if m:
                ev.append((float(m.group(2)), m.group(3), m.group(4), m.group(1)))
        submitted = {}   # req -> (time, submission index), migration reads only
        order = 0
        first_submit = None
        first_done = None
        pending_preadv = False
        batch = []
        last_complete = None
        flush_enter = None
        last_decision = None
        limited = False
        window_decisions = 0
        block_pending = 0
        bulk_over = False
        last_preadv = None
        for t, name, rest, tid in ev:
            if name in ("migration_block_flush_blks", "migrate_pending", "migration_block_save"):
                last_preadv = None
            if name == "blk_co_preadv" and "bytes 1048576" in rest:
                pending_preadv = True
                if last_preadv is not None and not bulk_over:
                    submissions.append(t - last_preadv)
                last_preadv = t
            elif name == "thread_pool_submit" and pending_preadv:
                pending_preadv = False
                req = re.search(r"req (0x[0-9a-f]+)", rest).group(1)
                submitted[req] = (t, order)
                order += 1
                if first_submit is None:
                    first_submit = t
            elif name == "thread_pool_complete":
                req = re.search(r"req (0x[0-9a-f]+)", rest).group(1)
                if req not in submitted:
                    continue
                ts, idx = submitted.pop(req)
                if not bulk_over:
                    service.append(t - ts)
                if first_done is None:
                    first_done = t
                    first.append(t - first_submit)
                if last_complete is not None and t - last_complete < 20e-6:
                    batch.append(idx)
                else:
                    if batch:
                        batch_sizes.append(len(batch))
                        if len(batch) > 1:
                            batches_multi += 1
                            newest_first += batch == sorted(batch, reverse=True)
                    batch = [idx]
                last_complete = t
            elif name == "migration_block_flush_blks":
                x = re.findall(r"\d+", rest)
                transferred = int(x[-1])
                if rest.startswith("Enter"):
                    flush_enter = (t, transferred)
                elif flush_enter and transferred > flush_enter[1]:
                    send_per_block.append((t - flush_enter[0]) / (transferred - flush_enter[1]))
            elif name == "migration_block_save_pending":
                block_pending = int(rest.split()[-1])
            elif name == "migrate_pending":
                total = int(re.findall(r"\d+", rest)[0])
                ram.append(total - block_pending)
                if last_decision is not None and not limited:
                    gaps.append(t - last_decision)
                last_decision = t
                limited = False
                window_decisions += 1
            elif name == "migration_rate_limit_pre":
                limited = True
            elif name == "migrate_transferred":
                per_window.append(window_decisions)
                window_decisions = 0
            elif name == "migration_thread_low_pending":
                bulk_over = True
        if batch:
            batch_sizes.append(len(batch))
        # idle loops: pending, iterate, flush Enter/Exit, flush Enter/Exit (nothing sent), pending
        seq = [(t, n, r) for t, n, r, _ in ev if n in ("migrate_pending", "migration_block_flush_blks", "migration_block_save")]
        shape = ["migrate_pending", "migration_block_save"] + ["migration_block_flush_blks"] * 4 + ["migrate_pending"]
        for k in range(len(seq) - 6):
            a = seq[k:k + 7]
            if [x[1] for x in a] == shape and len({re.findall(r"\d+", x[2])[-1] for x in a[2:6]}) == 1:
                head.append(a[2][0] - a[0][0])
                first_flush.append(a[3][0] - a[2][0])
                submit_loop.append(a[4][0] - a[3][0])
                tail.append(a[6][0] - a[5][0])
    print("traces: %d" % (len(sys.argv) - 1))
    summary("read service, submit -> completion run", service)
    summary("first completion after the first submit", first)
    summary("send time per block (flush_blks)", send_per_block)
    summary("time between two unlimited pending checks", gaps)
    quantiles("submission of one bulk read", submissions)
    summary("idle loop: pending check -> first flush", head, "us", 1e6)
    summary("idle loop: the first flush", first_flush, "us", 1e6)
    summary("idle loop: first flush -> final flush", submit_loop, "us", 1e6)
    summary("idle loop: final flush -> next pending check", tail, "us", 1e6)
    print("%-44s n=%-6d mean %.2f  max %d" % ("completions per bottom half", len(batch_sizes),
                                              statistics.mean(batch_sizes) if batch_sizes else 0, max(batch_sizes or [0])))
    print("%-44s %d of %d" % ("batches of 2+ run newest first", newest_first, batches_multi))
    print("%-44s p10 %s  p50 %s  p90 %s  max %s" % ("pending checks per 100 ms window", pct(per_window, 10),
                                                     pct(per_window, 50), pct(per_window, 90), max(per_window or [0])))
    print("%-44s min %d  p50 %d  max %d bytes" % ("RAM pending at a decision", min(ram or [0]), pct(ram, 50), max(ram or [0])))


if __name__ == "__main__":
    main()
