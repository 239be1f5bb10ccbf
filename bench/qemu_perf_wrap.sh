#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs a command (QEMU) under `perf record` of the system calls the timing needs, with no ptrace
# stops (strace stops each thread at each system call, which slows the very delays measured):
#   QEMU_WRAPPER="bench/qemu_perf_wrap.sh OUT" bench/qemu_exec_migrate.py ...
# writes OUT (perf.data: pread64 entries and exits, clone3 entries, CLOCK_MONOTONIC) and OUT.clock
# (CLOCK_REALTIME minus CLOCK_MONOTONIC in seconds, read just before: QEMU's trace log stamps
# events with the real-time clock). bench/qemu_bh_delay.py reads both with the QEMU trace.
set -euo pipefail
out=$1; shift
python3 -c 'import time; print("%.9f" % (time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC)))' > "$out.clock"
exec perf record -q -k mono -e syscalls:sys_enter_pread64,syscalls:sys_exit_pread64,syscalls:sys_enter_clone3 -o "$out" -- "$@"
