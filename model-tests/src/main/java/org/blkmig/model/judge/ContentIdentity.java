// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.blkmig.model.judge.oracle.OracleDecoder;
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
        Namer n = new Namer(firstSector);
        n.add(b);
        return n.identity();
    }

    /** The identity of the first {@code lengthBytes} of a DATA record's chunk, read where it lies. */
    public static long of(OracleDecoder.Rec r, int lengthBytes) {
        Namer n = new Namer(r.value());
        int left = lengthBytes;
        for (int i = 0; i < r.parts() && left > 0; i++) {
            ByteBuffer p = r.part(i);
            if (p.remaining() > left) {
                p.limit(p.position() + left);
            }
            left -= p.remaining();
            n.add(p);
        }
        return n.identity();
    }

    /**
     * Names sectors from bytes given in pieces (a block as it lies in a stream's buffers): a sector
     * split between two pieces is named from a copy of its bytes, exactly as if it were whole.
     */
    static final class Namer {
        private final Runs runs = new Runs();
        private final byte[] carry = new byte[SECTOR_BYTES];
        private int carriedBytes;
        private long sector;

        Namer(long firstSector) {
            this.sector = firstSector;
        }

        /** Names b's remaining bytes after those given before; b is unchanged. */
        void add(ByteBuffer b) {
            int pos = b.position();
            int end = b.limit();
            if (carriedBytes > 0) {
                int k = Math.min(SECTOR_BYTES - carriedBytes, end - pos);
                b.get(pos, carry, carriedBytes, k);
                carriedBytes += k;
                pos += k;
                if (carriedBytes < SECTOR_BYTES) {
                    return;
                }
                ByteBuffer whole = ByteBuffer.wrap(carry);
                name(whole, 0, whole);
                carriedBytes = 0;
            }
            ByteBuffer window = b.duplicate(); // moved over the sectors' fills: no view made per sector
            for (; pos + SECTOR_BYTES <= end; pos += SECTOR_BYTES) {
                name(b, pos, window);
            }
            if (pos < end) {
                b.get(pos, carry, 0, end - pos);
                carriedBytes = end - pos;
            }
        }

        private void name(ByteBuffer b, int pos, ByteBuffer window) {
            long id = b.getLong(pos);
            long at = b.getLong(pos + Long.BYTES);
            if (id == 0 && at == 0 && isFilled(b, window, pos + WriteContent.HEADER_BYTES, (byte) 0)) {
                runs.add(ZERO, 0, 1);
            } else if (at == sector && isFilled(b, window, pos + WriteContent.HEADER_BYTES, WriteContent.fillByte(id, sector))) {
                runs.add(WRITTEN, id, 1);
            } else {
                runs.add(OTHER, ContentHash.of(b.slice(pos, SECTOR_BYTES)), 1);
            }
            sector++;
        }

        /** The identity of the bytes given; a last partial sector is named by its bytes alone. */
        long identity() {
            if (carriedBytes > 0) {
                runs.add(OTHER, ContentHash.of(ByteBuffer.wrap(carry, 0, carriedBytes)), 1);
                carriedBytes = 0;
            }
            return runs.identity();
        }
    }

    /** A sector's fill for each fill byte, to compare a sector's tail against in one vectorised call. */
    private static final byte[][] FILLS = new byte[256][FILL_BYTES];
    private static final ByteBuffer[] FILL_VIEWS = new ByteBuffer[256]; // only compared against: never moved

    static {
        for (int v = 0; v < 256; v++) {
            Arrays.fill(FILLS[v], (byte) v);
            FILL_VIEWS[v] = ByteBuffer.wrap(FILLS[v]).asReadOnlyBuffer();
        }
    }

    private static boolean isFilled(ByteBuffer b, ByteBuffer window, int from, byte value) {
        if (b.hasArray()) {
            int at = b.arrayOffset() + from;
            return Arrays.mismatch(b.array(), at, at + FILL_BYTES, FILLS[value & 0xFF], 0, FILL_BYTES) < 0;
        }
        window.limit(window.capacity()).position(from).limit(from + FILL_BYTES);
        return window.mismatch(FILL_VIEWS[value & 0xFF]) < 0;
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
