// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.Set;
import org.blkmig.protocol.Wire;

/**
 * How the sender runs: its chunk size, its options, its limits and the policies of its algorithm.
 * {@code maxBufferedChunks} bounds the chunk buffers (reads in flight plus reads done but unsent),
 * so memory does not grow with the disk.
 */
public record SenderOptions(int chunkSizeBytes, boolean sharedBase, boolean zeroBlocks, int maxReadsInFlight,
        int maxBufferedChunks, SenderPolicies policies, boolean zeroCopy, byte undefinedTailByte) {
    /** What fills a buffer past a device's end by default: visible, and never mistaken for zeros. */
    public static final byte DEFAULT_UNDEFINED_TAIL_BYTE = (byte) 0xEE;

    public static final int DEFAULT_MAX_READS_IN_FLIGHT = 16;
    public static final int DEFAULT_MAX_BUFFERED_CHUNKS = 32;

    public SenderOptions {
        Wire.checkChunkSize(chunkSizeBytes);
        if (maxReadsInFlight < 1 || maxBufferedChunks < maxReadsInFlight) {
            throw new IllegalArgumentException("need 1 <= maxReadsInFlight <= maxBufferedChunks");
        }
        java.util.Objects.requireNonNull(policies, "policies");
    }

    public static SenderOptions defaults() {
        return new SenderOptions(Wire.QEMU_CHUNK_SIZE_BYTES, false, false, DEFAULT_MAX_READS_IN_FLIGHT,
                DEFAULT_MAX_BUFFERED_CHUNKS, SenderPolicies.BLKMIG, false, DEFAULT_UNDEFINED_TAIL_BYTE);
    }

    public SenderOptions withChunkSize(int bytes) {
        return new SenderOptions(bytes, sharedBase, zeroBlocks, maxReadsInFlight, maxBufferedChunks, policies, zeroCopy,
                undefinedTailByte);
    }

    public SenderOptions withSharedBase(boolean on) {
        return new SenderOptions(chunkSizeBytes, on, zeroBlocks, maxReadsInFlight, maxBufferedChunks, policies, zeroCopy,
                undefinedTailByte);
    }

    public SenderOptions withZeroBlocks(boolean on) {
        return new SenderOptions(chunkSizeBytes, sharedBase, on, maxReadsInFlight, maxBufferedChunks, policies, zeroCopy,
                undefinedTailByte);
    }

    public SenderOptions withBuffers(int readsInFlight, int bufferedChunks) {
        return new SenderOptions(chunkSizeBytes, sharedBase, zeroBlocks, readsInFlight, bufferedChunks, policies, zeroCopy,
                undefinedTailByte);
    }

    public SenderOptions withPolicies(SenderPolicies p) {
        return new SenderOptions(chunkSizeBytes, sharedBase, zeroBlocks, maxReadsInFlight, maxBufferedChunks, p, zeroCopy,
                undefinedTailByte);
    }

    /** These options with each seeded bug's broken policy in place. */
    public SenderOptions withMutants(Set<SenderMutant> mutants) {
        SenderPolicies p = policies;
        for (SenderMutant m : mutants) {
            p = m.apply(p);
        }
        return withPolicies(p);
    }

    /**
     * Chunks of file-backed disks are sent straight from the file when written out (zero copy):
     * their "read" is taken at send time, after the dirty bit was cleared. Not with zero blocks,
     * which must look at the data.
     */
    public SenderOptions withZeroCopy(boolean on) {
        return new SenderOptions(chunkSizeBytes, sharedBase, zeroBlocks, maxReadsInFlight, maxBufferedChunks, policies, on,
                undefinedTailByte);
    }

    /**
     * The bytes past a device's end in its last chunk's buffer: undefined on the wire (QEMU sends
     * uninitialised memory), so a model of QEMU draws them per run.
     */
    public SenderOptions withUndefinedTailByte(byte b) {
        return new SenderOptions(chunkSizeBytes, sharedBase, zeroBlocks, maxReadsInFlight, maxBufferedChunks, policies, zeroCopy,
                b);
    }

    /** A real QEMU speaks 1 MiB chunks only. */
    public void requireQemuCompatible() {
        if (chunkSizeBytes != Wire.QEMU_CHUNK_SIZE_BYTES) {
            throw new IllegalArgumentException("QEMU only speaks 1 MiB chunks; chunk size is " + chunkSizeBytes + " bytes");
        }
    }
}
