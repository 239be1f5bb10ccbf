// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.protocol;

/** Constants of the block migration wire format (docs/PROTOCOL.md, "Records"). */
public final class Wire {
    private Wire() {}

    public static final int SECTOR_SIZE_BYTES = 512;
    public static final int SECTOR_SHIFT = 9;
    /** QEMU's chunk: the unit of transfer and of dirty tracking. */
    public static final int QEMU_CHUNK_SIZE_BYTES = 1 << 20;
    public static final int MIN_CHUNK_SIZE_BYTES = SECTOR_SIZE_BYTES;
    public static final int MAX_CHUNK_SIZE_BYTES = 16 << 20;

    /** Every record starts with a be64 header: value << 9 | flags. */
    public static final int HEADER_BYTES = 8;

    public static final int FLAG_DEVICE_BLOCK = 0x01;
    public static final int FLAG_EOS = 0x02;
    public static final int FLAG_PROGRESS = 0x04;
    public static final int FLAG_ZERO_BLOCK = 0x08;
    /** Bits 0x10..0x100: unused by the protocol, so a receiver must reject them. */
    public static final int FLAGS_RESERVED = 0x1f0;
    public static final int FLAGS_MASK = 0x1ff;

    public static final int MAX_DEVICE_NAME_BYTES = 255;
    /** The header keeps 55 bits for the value (value << 9). */
    public static final long MAX_HEADER_VALUE = (1L << 55) - 1;

    /** Checks a chunk size is a power of two within the supported range; returns it. */
    public static int checkChunkSize(int chunkSizeBytes) {
        if (chunkSizeBytes < MIN_CHUNK_SIZE_BYTES || chunkSizeBytes > MAX_CHUNK_SIZE_BYTES
                || Integer.bitCount(chunkSizeBytes) != 1) {
            throw new IllegalArgumentException("chunk size must be a power of two from "
                    + MIN_CHUNK_SIZE_BYTES + " to " + MAX_CHUNK_SIZE_BYTES + " bytes: " + chunkSizeBytes);
        }
        return chunkSizeBytes;
    }

    public static int sectorsPerChunk(int chunkSizeBytes) {
        return chunkSizeBytes >>> SECTOR_SHIFT;
    }
}
