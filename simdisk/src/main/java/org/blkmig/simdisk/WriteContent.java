// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Recognisable sector contents: each sector written by write W at sector S starts with W and S
 * (two big-endian longs), then a fill byte of both; a lost or stale write can be named by reading
 * one sector. Write id 0 is the initial content.
 */
public final class WriteContent {
    private WriteContent() {}

    public static final int HEADER_BYTES = 16;

    public static ByteBuffer make(long writeId, long sector, long sectorCount) {
        ByteBuffer b = ByteBuffer.allocate((int) (sectorCount * Disk.SECTOR_SIZE_BYTES));
        fill(b, writeId, sector, sectorCount);
        return b.flip();
    }

    public static void fill(ByteBuffer b, long writeId, long sector, long sectorCount) {
        if (b.hasArray() && b.order() == ByteOrder.BIG_ENDIAN) {
            fill(b.array(), b.arrayOffset() + b.position(), writeId, sector, sectorCount);
            b.position(b.position() + (int) (sectorCount * Disk.SECTOR_SIZE_BYTES));
            return;
        }
        byte[] tail = new byte[Disk.SECTOR_SIZE_BYTES - HEADER_BYTES];
        for (long s = 0; s < sectorCount; s++) {
            b.putLong(writeId).putLong(sector + s);
            java.util.Arrays.fill(tail, fillByte(writeId, sector + s));
            b.put(tail);
        }
    }

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** The same bytes straight into an array: a campaign writes gigabytes of them. */
    static void fill(byte[] a, int offset, long writeId, long sector, long sectorCount) {
        int at = offset;
        for (long s = 0; s < sectorCount; s++, at += Disk.SECTOR_SIZE_BYTES) {
            LONG_BE.set(a, at, writeId);
            LONG_BE.set(a, at + Long.BYTES, sector + s);
            java.util.Arrays.fill(a, at + HEADER_BYTES, at + Disk.SECTOR_SIZE_BYTES, fillByte(writeId, sector + s));
        }
    }

    /** The byte that fills the rest of sector {@code sector} as write {@code writeId} wrote it; never zero. */
    public static byte fillByte(long writeId, long sector) {
        long h = writeId * 0x9E3779B97F4A7C15L + sector;
        byte v = (byte) (h ^ (h >>> 29));
        return v == 0 ? 1 : v; // never zero: written sectors never look like holes
    }

    /** The write id a sector carries, or -1 if it does not look written by {@link #fill}. */
    public static long writeIdOf(ByteBuffer sectorData, long sector) {
        if (sectorData.remaining() < Disk.SECTOR_SIZE_BYTES) {
            return -1;
        }
        int p = sectorData.position();
        long id = sectorData.getLong(p);
        if (sectorData.getLong(p + 8) != sector) {
            return -1;
        }
        return sectorData.get(p + HEADER_BYTES) == fillByte(id, sector) ? id : -1;
    }
}
