// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk of whole 512-byte sectors. Reads and writes take sector ranges; buffers hold whole
 * sectors. Implementations document their locking; all are safe for concurrent use.
 */
public interface Disk extends AutoCloseable {
    int SECTOR_SIZE_BYTES = 512;

    /** How one range of sectors is backed, for shared-base (incremental) mode. */
    enum State { UNALLOCATED, DATA, ZERO }

    /** A run of sectors that share one allocation state. */
    record Allocation(State state, long sectorCount) {}

    String name();

    long sizeBytes();

    default long sizeSectors() {
        return sizeBytes() / SECTOR_SIZE_BYTES;
    }

    boolean readOnly();

    /** Reads {@code dst.remaining() / 512} sectors from {@code sector} into dst. */
    void read(long sector, ByteBuffer dst) throws IOException;

    /** Writes {@code src.remaining() / 512} sectors at {@code sector}. */
    void write(long sector, ByteBuffer src) throws IOException;

    /** Writes zeros; a disk may keep them as a hole or a zero cluster. */
    void writeZeros(long sector, long sectorCount) throws IOException;

    /**
     * The allocation state at {@code sector} and how many sectors from there (at most
     * {@code maxSectors}) share it: ZERO reads as zeros without being read (a hole of a sparse
     * file or memory disk, a zero cluster of a layer), UNALLOCATED shows a base through. A disk
     * that cannot tell is all DATA.
     */
    default Allocation allocation(long sector, long maxSectors) {
        return new Allocation(State.DATA, Math.min(maxSectors, sizeSectors() - sector));
    }

    /**
     * The file channel to send {@code sectorCount} sectors from {@code sector} through later,
     * without a copy: sector {@code s} lives at byte {@code s * 512} of it, and the data is taken
     * when it is sent. Asked for when the sender commits to the read (and clears the chunk's dirty
     * bit), so a disk that keeps a history can record that instant. Null if the disk is not a
     * plain file.
     */
    default java.nio.channels.FileChannel zeroCopySource(long sector, long sectorCount) {
        return null;
    }

    /** Forces written data to stable storage; a disk in memory has nothing to force. */
    default void force() throws IOException {}

    @Override
    default void close() throws IOException {}

    /** Checks a request lies inside the disk and is made of whole sectors; returns its sector count. */
    static long checkRange(Disk d, long sector, long bytes) {
        if (bytes % SECTOR_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("not whole sectors: " + bytes + " bytes");
        }
        long count = bytes / SECTOR_SIZE_BYTES;
        if (sector < 0 || count < 0 || sector > d.sizeSectors() - count) {
            throw new IllegalArgumentException("sectors " + sector + "+" + count + " outside " + d.name()
                    + " (" + d.sizeSectors() + " sectors)");
        }
        return count;
    }
}
