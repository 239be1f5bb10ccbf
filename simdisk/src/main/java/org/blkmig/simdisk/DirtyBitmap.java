// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

/**
 * One bit per chunk: set by guest writes, cleared by the migration. Synchronized, so a guest
 * writer thread and the migration thread see each other's changes.
 */
public final class DirtyBitmap {
    private final int chunkSizeBytes;
    private final long chunkCount;
    private final long[] words;
    private long dirtyCount;

    public DirtyBitmap(long diskSizeBytes, int chunkSizeBytes) {
        this.chunkSizeBytes = chunkSizeBytes;
        this.chunkCount = (diskSizeBytes + chunkSizeBytes - 1) / chunkSizeBytes;
        if (chunkCount > (long) Integer.MAX_VALUE * 64) {
            throw new IllegalArgumentException("too many chunks: " + chunkCount);
        }
        this.words = new long[(int) ((chunkCount + 63) / 64)];
    }

    public int chunkSizeBytes() {
        return chunkSizeBytes;
    }

    public long chunkCount() {
        return chunkCount;
    }

    private void checkChunk(long chunk) {
        if (chunk < 0 || chunk >= chunkCount) {
            throw new IndexOutOfBoundsException("chunk " + chunk + " of " + chunkCount);
        }
    }

    public synchronized void set(long chunk) {
        checkChunk(chunk);
        long mask = 1L << chunk;
        int w = (int) (chunk >>> 6);
        if ((words[w] & mask) == 0) {
            words[w] |= mask;
            dirtyCount++;
            Invariant.check(dirtyCount <= chunkCount, "more dirty chunks than chunks");
        }
    }

    /** Sets every chunk that sectors [sector, sector + sectorCount) touch. */
    public synchronized void setSectors(long sector, long sectorCount) {
        if (sectorCount <= 0) {
            return;
        }
        long sectorsPerChunk = chunkSizeBytes / Disk.SECTOR_SIZE_BYTES;
        long first = sector / sectorsPerChunk;
        long last = (sector + sectorCount - 1) / sectorsPerChunk;
        for (long c = first; c <= last; c++) {
            set(c);
        }
    }

    public synchronized void clear(long chunk) {
        checkChunk(chunk);
        long mask = 1L << chunk;
        int w = (int) (chunk >>> 6);
        if ((words[w] & mask) != 0) {
            words[w] &= ~mask;
            dirtyCount--;
            Invariant.check(dirtyCount >= 0, "fewer than no dirty chunks");
        }
    }

    public synchronized boolean test(long chunk) {
        checkChunk(chunk);
        return (words[(int) (chunk >>> 6)] & (1L << chunk)) != 0;
    }

    /** The first dirty chunk at or after {@code from}, or -1. Skips clean words 64 chunks at a time. */
    public synchronized long nextDirty(long from) {
        if (from >= chunkCount) {
            return -1;
        }
        int w = (int) (Math.max(0, from) >>> 6);
        long word = words[w] & (-1L << from);
        while (true) {
            if (word != 0) {
                long chunk = (long) w * 64 + Long.numberOfTrailingZeros(word);
                return chunk < chunkCount ? chunk : -1;
            }
            if (++w == words.length) {
                return -1;
            }
            word = words[w];
        }
    }

    public synchronized long count() {
        return dirtyCount;
    }

    public synchronized void setAll() {
        for (long c = 0; c < chunkCount; c++) {
            set(c);
        }
    }
}
