// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.WriteContent;

/**
 * A block's content identity for the judge, without hashing its bytes: every sector the simulated
 * world writes is recognisable (its write id, its own sector number, then a fill byte of both:
 * {@link WriteContent}), so a sector is named exactly by what it is: zeros, the sector written by
 * write W, or anything else (named by XXH64 of its bytes). A block's identity is a 64-bit mix of
 * its runs of equal names, so the history's replay can name what a read saw from write ids alone
 * ({@link ContentMap}) and never rebuild a disk's bytes. Every byte of a block is still checked:
 * one byte off makes a sector "anything else".
 */
public final class ContentIdentity {
    private ContentIdentity() {}

    static final int ZERO = 0;
    static final int WRITTEN = 1;
    static final int OTHER = 2;

    private static final int SECTOR_BYTES = Disk.SECTOR_SIZE_BYTES;
    private static final int FILL_BYTES = SECTOR_BYTES - WriteContent.HEADER_BYTES;

    /** The identity of b's remaining bytes, which hold the sectors from {@code firstSector} on; b is unchanged. */
    public static long of(ByteBuffer b, long firstSector) {
        Runs runs = new Runs();
        ByteBuffer fill = b.duplicate();
        int pos = b.position();
        int end = b.limit();
        long sector = firstSector;
        for (; pos + SECTOR_BYTES <= end; pos += SECTOR_BYTES, sector++) {
            long id = b.getLong(pos);
            long at = b.getLong(pos + Long.BYTES);
            if (id == 0 && at == 0 && isFilled(fill, pos + WriteContent.HEADER_BYTES, (byte) 0)) {
                runs.add(ZERO, 0, 1);
            } else if (at == sector && isFilled(fill, pos + WriteContent.HEADER_BYTES, WriteContent.fillByte(id, sector))) {
                runs.add(WRITTEN, id, 1);
            } else {
                runs.add(OTHER, ContentHash.of(b.slice(pos, SECTOR_BYTES)), 1);
            }
        }
        if (pos < end) { // a partial sector: only its bytes name it
            runs.add(OTHER, ContentHash.of(b.slice(pos, end - pos)), 1);
        }
        return runs.identity();
    }

    /** A sector's fill for each fill byte, to compare a sector's tail against in one vectorised call. */
    private static final byte[][] FILLS = new byte[256][FILL_BYTES];

    static {
        for (int v = 0; v < 256; v++) {
            Arrays.fill(FILLS[v], (byte) v);
        }
    }

    private static boolean isFilled(ByteBuffer b, int from, byte value) {
        byte[] pattern = FILLS[value & 0xFF];
        if (b.hasArray()) {
            int at = b.arrayOffset() + from;
            return Arrays.mismatch(b.array(), at, at + FILL_BYTES, pattern, 0, FILL_BYTES) < 0;
        }
        return b.slice(from, FILL_BYTES).mismatch(ByteBuffer.wrap(pattern)) < 0;
    }

    /** Mixes runs of equal sector names into one identity; the same sequence of names gives the same value. */
    static final class Runs {
        private long hash = 0x243F6A8885A308D3L;
        private int kind = -1;
        private long name;
        private long count;

        void add(int kind, long name, long sectors) {
            if (kind == this.kind && name == this.name) {
                count += sectors;
                return;
            }
            flush();
            this.kind = kind;
            this.name = name;
            this.count = sectors;
        }

        private void flush() {
            if (kind >= 0) {
                hash = mix(hash + kind);
                hash = mix(hash + name);
                hash = mix(hash + count);
            }
        }

        long identity() {
            flush();
            kind = -1;
            return hash;
        }

        /** SplitMix64's finaliser: a bijection with full avalanche. */
        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
