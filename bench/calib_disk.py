#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A calibration disk from its description, the one the model's scenario gets too (layout=...):
     random:SIZE           SIZE bytes of random data (every chunk data)
     sparse:SIZE:NxPIECE   a sparse raw image of SIZE with N pieces of PIECE bytes of random data,
                           piece i at i * SIZE/N + PIECE/2: with PIECE = 1M each straddles two chunks
                           (sparse:4G:64x1M is bench/sparse.sh's and the first calibration's image)
   calib_disk.py DESCRIPTION PATH   writes the image
   calib_disk.py DESCRIPTION        prints: size in bytes, the scenario's layout value, zero-blocks
                                    (true where the disk has holes), one line"""
import os
import sys

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def size(s):
    return int(s[:-1]) * UNITS[s[-1]] if s[-1] in UNITS else int(s)


def parse(desc):
    """(size_bytes, [(offset, length) of data], layout value for the scenario line)"""
    p = desc.split(":")
    if p[0] == "random" and len(p) == 2:
        n = size(p[1])
        return n, [(0, n)], "random"
    if p[0] == "sparse" and len(p) == 3 and "x" in p[2]:
        n = size(p[1])
        count, piece = p[2].split("x")
        count, piece = int(count), size(piece)
        if count < 1 or piece < 1 or n // count < piece + piece // 2:
            raise SystemExit("calib_disk.py: %s: the pieces do not fit (each needs 1.5 x PIECE of its share)" % desc)
        return n, [(i * (n // count) + piece // 2, piece) for i in range(count)], "pieces:%dx%s" % (count, p[2].split("x")[1])
    raise SystemExit("calib_disk.py: '%s': expected random:SIZE or sparse:SIZE:NxPIECE" % desc)


def main():
    n, data, layout = parse(sys.argv[1])
    if len(sys.argv) == 2:
        print(n, layout, "false" if data == [(0, n)] else "true")
        return
    with open(sys.argv[2], "wb") as f:
        f.truncate(n)
        for off, length in data:
            f.seek(off)
            left = length
            while left:
                k = min(left, 8 << 20)
                f.write(os.urandom(k))
                left -= k


if __name__ == "__main__":
    main()
