#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lost write of FIDELITY.md, on the real QEMU 7.2, on purpose and repeated.
   A source QEMU with no guest migrates one disk of random data (migrate -b "exec:cat > STREAM")
   with downtime-limit 1 ms, as QemuConformanceTest does, while qemu-io writes on its monitor
   (human-monitor-command), one write every INTERVAL ms while the migration is 'active', up to
   WRITES, as the test does. After each run the stream's block records are read here: a run loses a
   write when the last copy of some chunk in the stream differs from the source image as QEMU left
   it. Per run: the writes (chunk, ms after migrate), which chunk lost what, and the order of that
   chunk's copies in the stream; at the end the failure rate with its 95% Wilson interval.
   qemu_lost_write.py [--runs 30] [--size-mib 6] [--bandwidth-mib 16] [--downtime-ms 1] [--accel tcg|kvm]
                      [--writes 8] [--interval-ms 150] [--first-ms 0] [--trace DIR] [--keep DIR]
   --first-ms: wait this long after 'migrate' before the first write (aims the writes at a moment).
   --event NAME adds a trace event (e.g. qemu_mutex_unlock, to see who releases the BQL).
   --trace DIR: QEMU's trace of block migration, block I/O, the thread pool and the monitor, one
   file per run (DIR/run-N.trace, kept for failed runs only); --keep DIR keeps failed runs' streams."""
import argparse, hashlib, json, math, os, random, re, shutil, socket, struct, subprocess, sys, tempfile, time

TRACE_EVENTS = ["migration_block_*", "migrate_pending", "migration_thread_low_pending", "migration_completion_vm_stop",
                "savevm_state_*", "thread_pool_submit", "thread_pool_complete", "blk_co_preadv", "blk_co_pwritev",
                "bdrv_co_pwritev_part", "file_paio_submit", "handle_hmp_command", "monitor_qmp_cmd_in_band",
                "runstate_set", "migration_rate_limit_pre", "migration_rate_limit_post", "vm_stop_flush_all",
                "savevm_section_start", "savevm_section_end", "migrate_set_state"]
CHUNK = 1 << 20
BLK_FLAG_DEVICE_BLOCK, BLK_FLAG_EOS, BLK_FLAG_PROGRESS, BLK_FLAG_ZERO_BLOCK = 0x01, 0x02, 0x04, 0x08


class Qmp:
    def __init__(self, sock_path, proc):
        for _ in range(1500):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock_path)
                self.f = s.makefile("rw")
                self.f.readline()
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("QEMU exited at start")
                time.sleep(0.02)
        else:
            raise SystemExit("QEMU's monitor did not come up")
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args} if args else {"execute": name}) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QEMU closed its monitor")
            r = json.loads(line)
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (name, r["error"].get("desc")))
            return r.get("return")


def block_records(stream_path):
    """The block section's DEVICE_BLOCK records in stream order: (chunk, sha256 of its 1 MiB or 'zero').
    The section offsets come from `blkmig decode`, which skips RAM and device state."""
    jar = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli", "target", "blkmig.jar")
    out = subprocess.run(["java", "-jar", jar, "decode", stream_path], capture_output=True, text=True).stdout
    offsets = [(m.group(1), int(m.group(2))) for m in re.finditer(r"SECTION (START|PART|END) block id=\d+.*?@(\d+)", out)]
    recs = []
    with open(stream_path, "rb") as f:
        data = f.read()
    for kind, at in offsets:
        p = at + 1 + 4  # type byte, section id
        if kind == "START":
            p += 1 + data[p] + 8  # idstr, instance id, version id
        while True:
            (word,) = struct.unpack(">Q", data[p:p + 8])
            p += 8
            flags = word & 0x1ff
            if flags & BLK_FLAG_EOS:
                break
            if flags & BLK_FLAG_DEVICE_BLOCK:
                n = data[p]
                p += 1 + n
                chunk = (word >> 9) * 512 // CHUNK
                if flags & BLK_FLAG_ZERO_BLOCK:
                    recs.append((chunk, "zero"))
                else:
                    recs.append((chunk, hashlib.sha256(data[p:p + CHUNK]).hexdigest()[:12]))
                    p += CHUNK
    return recs


def phases(trace_path):
    """Each qemu-io write's place in the trace, against the source's completion: 'before' the block
    section's completion (migration_block_save_complete), 'window' after it and before the migration's
    state became completed (the RAM section's completion and the device states run then; the disks are
    inactivated at its end), or 'after'."""
    block_done = completed = None
    hmp = []
    for line in open(trace_path, errors="replace"):
        m = re.match(r"(\d+)@(\d+\.\d+):(\S+) ?(.*)", line.strip())
        if not m:
            continue
        t, ev, rest = float(m.group(2)), m.group(3), m.group(4)
        if ev == "migration_block_save_complete":
            block_done = t
        elif ev == "migrate_set_state" and rest.endswith("completed"):
            completed = t
        elif ev == "handle_hmp_command" and "write" in rest:
            hmp.append(t)
    out = []
    for t in hmp:
        if block_done is None or t < block_done:
            out.append("before")
        elif completed is None or t < completed:
            out.append("window(+%.2f ms)" % ((t - block_done) * 1000))
        else:
            out.append("after")
    return out


def wilson(k, n, z=1.96):
    if n == 0:
        return 0.0, 1.0
    ph = k / n
    d = 1 + z * z / n
    c = (ph + z * z / (2 * n)) / d
    h = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def one_run(a, n, work, rng):
    img = os.path.join(work, "src.img")
    with open(img, "wb") as f:
        f.write(os.urandom(a.size_mib * CHUNK))
    stream = os.path.join(work, "stream")
    sock = os.path.join(work, "qmp.sock")
    trace = os.path.join(work, "trace")
    cmdline = ["qemu-system-x86_64", "-machine", "pc,accel=%s" % a.accel, "-nodefaults", "-display", "none", "-m", "32M", "-S",
               "-drive", "file=%s,format=raw,if=none,id=drive0" % img, "-device", "virtio-blk-pci,drive=drive0",
               "-qmp", "unix:%s,server=on,wait=off" % sock]
    if a.trace:
        with open(os.path.join(work, "events"), "w") as ev:
            ev.write("\n".join(TRACE_EVENTS + a.events) + "\n")
        cmdline += ["-msg", "timestamp=on", "-trace", "events=%s,file=%s" % (os.path.join(work, "events"), trace)]
    log = open(os.path.join(work, "qemu.log"), "w")
    p = subprocess.Popen(cmdline, stdout=log, stderr=subprocess.STDOUT)
    writes = []  # (chunk, offset, length, pattern, ms after migrate)
    status = "none"
    try:
        q = Qmp(sock, p)
        q.cmd("migrate-set-parameters", **{"max-bandwidth": a.bandwidth_mib << 20, "downtime-limit": a.downtime_ms})
        t0 = time.monotonic()
        q.cmd("migrate", uri="exec:cat > %s" % stream, blk=True, inc=False)
        time.sleep(a.first_ms / 1000)
        while True:
            status = q.cmd("query-migrate").get("status", "none")
            if status not in ("setup", "active"):
                break
            if len(writes) < a.writes and status == "active":
                off = rng.randrange(a.size_mib * CHUNK // 4096) * 4096
                length = 4096 * (1 + rng.randrange(16))
                length = min(length, a.size_mib * CHUNK - off)
                pat = 1 + rng.randrange(254)
                at = (time.monotonic() - t0) * 1000
                q.cmd("human-monitor-command", **{"command-line": 'qemu-io drive0 "write -P 0x%x %d %d"' % (pat, off, length)})
                writes.append((off // CHUNK, off, length, pat, at))
            time.sleep(a.interval_ms / 1000 if len(writes) < a.writes else 0.01)
        end_ms = (time.monotonic() - t0) * 1000
        try:
            q.cmd("quit")
        except (EOFError, OSError, RuntimeError):
            pass
        p.wait(timeout=30)
    except (EOFError, OSError):
        end_ms = float("nan")
        status = "died"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
    time.sleep(0.2)  # the exec: channel's cat writes what the pipe held
    if status != "completed":
        qlog = open(os.path.join(work, "qemu.log")).read().strip().splitlines()
        return status, writes, end_ms, None, (qlog[-1] if qlog else "")
    src = open(img, "rb").read()
    last = {}
    recs = block_records(stream)
    for i, (chunk, h) in enumerate(recs):
        last[chunk] = (i, h)
    lost = []
    for c in range(a.size_mib):
        want = hashlib.sha256(src[c * CHUNK:(c + 1) * CHUNK]).hexdigest()[:12]
        got = last.get(c, (None, "absent"))[1]
        if got != want:
            copies = [(i, h) for i, (cc, h) in enumerate(recs) if cc == c]
            lost.append((c, want, copies))
    return status, writes, end_ms, lost, recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--size-mib", type=int, default=6)
    ap.add_argument("--bandwidth-mib", type=int, default=16)
    ap.add_argument("--accel", default="tcg", help="tcg (as the tests run QEMU) or kvm (the control: no run_on_cpu in RAM's bitmap sync)")
    ap.add_argument("--downtime-ms", type=int, default=1)
    ap.add_argument("--writes", type=int, default=8)
    ap.add_argument("--interval-ms", type=int, default=150)
    ap.add_argument("--first-ms", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trace")
    ap.add_argument("--keep")
    ap.add_argument("--event", dest="events", action="append", default=[], help="one more trace event (repeatable)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    print("lost-write reproducer: accel %s, %d MiB random disk, max-bandwidth %d MiB/s, downtime-limit %d ms, up to %d qemu-io writes"
          " every %d ms from %d ms; %s; load average %s" % (a.accel, a.size_mib, a.bandwidth_mib, a.downtime_ms, a.writes,
                                                         a.interval_ms, a.first_ms,
                                                         subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                                                                        text=True).stdout.splitlines()[0],
                                                         " ".join(open("/proc/loadavg").read().split()[:3])))
    lost_runs = done = 0
    window_runs = []  # (lost, a write fell in the completion window, status) per traced run
    for n in range(1, a.runs + 1):
        work = tempfile.mkdtemp(prefix="blkmig-lostw-")
        try:
            status, writes, end_ms, lost, recs = one_run(a, n, work, rng)
            ws = " ".join("c%d@%.0f" % (w[0], w[4]) for w in writes)
            if a.trace and os.path.exists(os.path.join(work, "trace")):
                ph = phases(os.path.join(work, "trace"))
                ws += "; in the trace, against block_save_complete: " + " ".join(ph)
                window_runs.append((lost is not None and bool(lost), any(x.startswith("window") for x in ph), status))
            if lost is None:
                print("run %d: QEMU %s (%s); writes %s" % (n, status, recs, ws))
                continue
            done += 1
            if not lost:
                print("run %d: completed at %.0f ms, identical; writes (chunk@ms) %s" % (n, end_ms, ws))
                continue
            lost_runs += 1
            print("run %d: completed at %.0f ms, LOST; writes (chunk@ms) %s" % (n, end_ms, ws))
            for c, want, copies in lost:
                hits = [w for w in writes if w[0] == c or (w[1] + w[2] - 1) // CHUNK == c]
                print("   chunk %d: the source holds %s; the stream's copies (record#:sha) %s; writes there: %s" % (
                    c, want, " ".join("%d:%s" % x for x in copies),
                    ", ".join("0x%x at %d+%d, %.0f ms (%.0f ms before completion)" % (w[3], w[1], w[2], w[4], end_ms - w[4])
                              for w in hits)))
            print("   stream order: " + " ".join("%d" % c for c, _ in recs))
            if a.trace and os.path.exists(os.path.join(work, "trace")):
                os.makedirs(a.trace, exist_ok=True)
                shutil.copy(os.path.join(work, "trace"), os.path.join(a.trace, "run-%d.trace" % n))
            if a.keep:
                os.makedirs(a.keep, exist_ok=True)
                shutil.copy(os.path.join(work, "stream"), os.path.join(a.keep, "run-%d.stream" % n))
                shutil.copy(os.path.join(work, "src.img"), os.path.join(a.keep, "run-%d.src" % n))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        sys.stdout.flush()
    if window_runs:
        c = lambda lost, win: sum(1 for x in window_runs if x[2] == "completed" and x[0] == lost and x[1] == win)
        print("traced completed runs: lost with a write in the window %d, lost without %d, identical with a write in the"
              " window %d, identical without %d" % (c(True, True), c(True, False), c(False, True), c(False, False)))
    lo, hi = wilson(lost_runs, done)
    print("lost a write in %d of %d completed runs: %.0f%% (95%% Wilson interval %.0f%%-%.0f%%)" % (
        lost_runs, done, 100.0 * lost_runs / max(done, 1), 100 * lo, 100 * hi))


if __name__ == "__main__":
    main()
