#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compares two raw images of the same size without reading where both are holes: the union of
   their data extents (lseek SEEK_DATA/SEEK_HOLE, the kernel's answer) is compared byte for byte;
   everywhere else both read as zeros. Written apart from blkmig's own code.
   sparse_cmp.py A B   -> prints 'identical' or 'DIFFERS at byte N' (exit 0 / 1)"""
import os, sys


def extents(fd, size):
    out, pos = [], 0
    while pos < size:
        try:
            data = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: no data after pos
            break
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        out.append((data, hole))
        pos = hole
    return out


a, b = sys.argv[1], sys.argv[2]
fa, fb = os.open(a, os.O_RDONLY), os.open(b, os.O_RDONLY)
size = os.fstat(fa).st_size
if os.fstat(fb).st_size != size:
    print("DIFFERS in size: %d and %d bytes" % (size, os.fstat(fb).st_size))
    sys.exit(1)
ranges = sorted(extents(fa, size) + extents(fb, size))
step = 4 << 20
for start, end in ranges:
    pos = start
    while pos < end:
        n = min(step, end - pos)
        x, y = os.pread(fa, n, pos), os.pread(fb, n, pos)
        if x != y:
            i = next(i for i in range(n) if x[i] != y[i])
            print("DIFFERS at byte %d" % (pos + i))
            sys.exit(1)
        pos += n
print("identical")
