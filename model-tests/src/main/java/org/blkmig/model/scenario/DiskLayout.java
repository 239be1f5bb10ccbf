// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.scenario;

import org.blkmig.simdisk.Sizes;

/**
 * Where a source disk's initial data lies. {@link #WORLD}: World's 64 KiB regions drawn from the
 * content seed (every campaign's). The other two are the calibration's real images
 * (bench/calib_disk.py makes them from the same words): {@code random}, data everywhere;
 * {@code pieces:NxPIECE}, N pieces of PIECE bytes, piece i at i * size/N + PIECE/2.
 */
public record DiskLayout(Kind kind, int pieceCount, long pieceBytes) {
    public enum Kind { WORLD, RANDOM, PIECES }

    public static final DiskLayout WORLD = new DiskLayout(Kind.WORLD, 0, 0);
    public static final DiskLayout RANDOM = new DiskLayout(Kind.RANDOM, 0, 0);

    public DiskLayout {
        if (kind == Kind.PIECES && (pieceCount < 1 || pieceBytes < 1)) {
            throw new IllegalArgumentException("layout pieces: need N >= 1 pieces of >= 1 byte");
        }
    }

    /** The first byte of piece {@code i} on a disk of {@code sizeBytes}. */
    public long pieceOffsetBytes(long sizeBytes, int i) {
        return i * (sizeBytes / pieceCount) + pieceBytes / 2;
    }

    public String spec() {
        return switch (kind) {
            case WORLD -> "world";
            case RANDOM -> "random";
            case PIECES -> "pieces:" + pieceCount + "x" + Sizes.format(pieceBytes);
        };
    }

    public static DiskLayout parse(String v) {
        if (v.equals("world")) {
            return WORLD;
        }
        if (v.equals("random")) {
            return RANDOM;
        }
        String[] p = v.split("[:x]");
        if (p.length != 3 || !p[0].equals("pieces")) {
            throw new IllegalArgumentException("scenario: layout '" + v + "': expected world, random or pieces:NxPIECE (pieces:64x1M)");
        }
        return new DiskLayout(Kind.PIECES, Integer.parseInt(p[1]), Sizes.parse(p[2]));
    }
}
