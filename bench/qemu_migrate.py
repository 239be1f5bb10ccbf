#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QEMU 7.2's own block migration over 127.0.0.1: a source and a destination with no guest.
   qemu_migrate.py SRC_IMG DST_IMG MAX_BANDWIDTH(bytes/s, 0 = QEMU's default) PORT [--zero-blocks] [--details]
   prints: STATUS SECONDS (from the migrate command to the source's 'completed');
   with --details also: SECONDS_FROM_START (from starting both QEMUs until the destination completed)
   and the peak RSS (VmHWM, KiB) of the source and of the destination
   --zero-blocks sets the zero-blocks capability on the source; --timeout=S cancels a migration still
   running after S seconds and prints the status 'timeout'"""
import json, os, shutil, socket, subprocess, sys, tempfile, time

src, dst, bw, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
flags = sys.argv[5:]
timeout = next((float(f.split("=", 1)[1]) for f in flags if f.startswith("--timeout=")), 0)
work = tempfile.mkdtemp(prefix="blkmig-qemu-")
base = ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-nodefaults", "-display", "none", "-m", "32M", "-S"]


def start(img, name, extra):
    sock = os.path.join(work, name + ".sock")
    p = subprocess.Popen(base + ["-drive", "file=%s,format=raw,if=none,id=drive0" % img, "-device",
                                 "virtio-blk-pci,drive=drive0", "-qmp", "unix:%s,server=on,wait=off" % sock] + extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            f = s.makefile("rw")
            f.readline()
            q = (p, f)
            cmd(q, "qmp_capabilities")
            return q
        except OSError:
            time.sleep(0.02)
    raise SystemExit("QEMU did not start")


def cmd(q, name, **args):
    f = q[1]
    f.write(json.dumps({"execute": name, "arguments": args} if args else {"execute": name}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r


def status(q):
    return cmd(q, "query-migrate").get("return", {}).get("status", "none")


def peak_rss_kib(q):
    with open("/proc/%d/status" % q[0].pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


t_start = time.monotonic()
dst_q = start(dst, "dst", ["-incoming", "tcp:127.0.0.1:%d" % port])
src_q = start(src, "src", [])
if bw:
    cmd(src_q, "migrate-set-parameters", **{"max-bandwidth": bw})
if "--zero-blocks" in flags:
    cmd(src_q, "migrate-set-capabilities", capabilities=[{"capability": "zero-blocks", "state": True}])
t0 = time.monotonic()
cmd(src_q, "migrate", uri="tcp:127.0.0.1:%d" % port, blk=True, inc=False)
timed_out = False
while status(src_q) in ("setup", "active", "device", "none"):
    if timeout and time.monotonic() - t0 > timeout:
        cmd(src_q, "migrate_cancel")
        timed_out = True
        break
    time.sleep(0.005)
seconds = time.monotonic() - t0
st = "timeout" if timed_out else status(src_q)
for _ in range(0 if timed_out else 20000):
    if status(dst_q) in ("completed", "failed"):
        break
    time.sleep(0.001)
from_start = time.monotonic() - t_start
rss = (peak_rss_kib(src_q), peak_rss_kib(dst_q))
for q in (src_q, dst_q):
    try:
        cmd(q, "quit")
    except Exception:
        pass
    q[0].wait(timeout=30)
shutil.rmtree(work, ignore_errors=True)
if "--details" in flags:
    print(st, "%.3f" % seconds, "%.3f" % from_start, rss[0], rss[1])
else:
    print(st, "%.3f" % seconds)
