#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QEMU 7.2's block migration into a file: a source QEMU with no guest, as README and PROTOCOL.md
   describe it, migrates its one disk with migrate -b "exec:cat > STREAM".
   qemu_exec_migrate.py IMG MAX_BANDWIDTH(bytes/s, 0 = QEMU's default) ZERO_BLOCKS(0|1) STREAM [TIMEOUT_S]
   prints: STATUS SECONDS (from the migrate command until QEMU left 'setup'/'active'/'device'),
   STATUS one of completed, failed, cancelled, timeout. Exit 0 whatever the status; 2 if QEMU
   could not be driven. QEMU is always stopped, and the stream is closed (its cat gone) on return.
   With QEMU_TRACE=FILE, QEMU writes the migration thread's decisions there (trace events of the
   log backend, timestamped): bench/qemu_trace_summary.py and bench/qemu_timing.py read them.
   QEMU_WRAPPER="CMD ARGS" runs QEMU under CMD (strace -f -ttt -T, for the system calls' timing)."""
import json, os, shutil, socket, subprocess, sys, tempfile, time

img, bw, zero_blocks, stream = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", os.path.abspath(sys.argv[4])
timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 300.0
work = tempfile.mkdtemp(prefix="blkmig-calib-")
sock = os.path.join(work, "qmp.sock")
# the command line of README/PROTOCOL.md, with QMP on a socket in place of -monitor stdio
cmdline = ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-nodefaults", "-display", "none", "-m", "32M", "-S",
           "-drive", "file=%s,format=raw,if=none,id=drive0" % img, "-device", "virtio-blk-pci,drive=drive0",
           "-qmp", "unix:%s,server=on,wait=off" % sock]
TRACE_EVENTS = ["migrate_pending", "migrate_transferred", "migration_block_save_pending", "migration_thread_low_pending",
                "migration_block_save", "migration_block_flush_blks", "migration_rate_limit_pre",
                "migration_thread_setup_complete", "thread_pool_submit", "thread_pool_complete",
                "blk_co_preadv", "migration_rate_limit_post"]
if os.environ.get("QEMU_TRACE"):
    with open(os.path.join(work, "events"), "w") as ev:
        ev.write("\n".join(TRACE_EVENTS) + "\n")
    cmdline += ["-msg", "timestamp=on", "-trace", "events=%s,file=%s" % (os.path.join(work, "events"),
                                                                        os.path.abspath(os.environ["QEMU_TRACE"]))]


# QEMU_WRAPPER="strace -f -ttt -T -e trace=clone3,preadv -o FILE": QEMU under a measuring tool
if os.environ.get("QEMU_WRAPPER"):
    cmdline = os.environ["QEMU_WRAPPER"].split() + cmdline


def opened_by_anyone(path):
    """Whether some process still has the file open (the exec: channel's cat writing the rest)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == path:
                    return True
        except OSError:
            continue
    return False


def main():
    log = open(os.path.join(work, "qemu.log"), "w")
    p = subprocess.Popen(cmdline, stdout=log, stderr=subprocess.STDOUT)
    try:
        f = None
        for _ in range(1500):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                f = s.makefile("rw")
                f.readline()
                break
            except OSError:
                if p.poll() is not None:
                    break
                time.sleep(0.02)
        if f is None:
            raise SystemExit("QEMU did not start: " + open(os.path.join(work, "qemu.log")).read().strip())

        def cmd(name, **args):
            f.write(json.dumps({"execute": name, "arguments": args} if args else {"execute": name}) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline())
                if "event" in r:
                    continue
                if "error" in r:
                    raise SystemExit("QMP %s: %s" % (name, r["error"].get("desc")))
                return r.get("return")

        cmd("qmp_capabilities")
        if bw:
            cmd("migrate-set-parameters", **{"max-bandwidth": bw})
        if zero_blocks:
            cmd("migrate-set-capabilities", capabilities=[{"capability": "zero-blocks", "state": True}])
        t0 = time.monotonic()
        cmd("migrate", uri="exec:cat > %s" % stream, blk=True, inc=False)
        status = "none"
        while time.monotonic() - t0 < timeout_s:
            status = cmd("query-migrate").get("status", "none")
            if status not in ("none", "setup", "active", "device", "pre-switchover"):
                break
            time.sleep(0.005)
        else:
            status = "timeout"
            cmd("migrate_cancel")
        seconds = time.monotonic() - t0
        try:
            cmd("quit")
        except (OSError, ValueError, SystemExit):
            pass
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
    # QEMU is gone; its cat may still be writing what the pipe held
    deadline = time.monotonic() + 60
    while opened_by_anyone(stream) and time.monotonic() < deadline:
        time.sleep(0.01)
    print(status, "%.3f" % seconds)


try:
    main()
except SystemExit as e:
    if isinstance(e.code, str):
        print("qemu_exec_migrate.py: " + e.code, file=sys.stderr)
        sys.exit(2)
    raise
