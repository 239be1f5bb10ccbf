// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.SimScheduler;

/**
 * The receiver's write pipeline: blocks are written in the order handed over while the next is
 * read, from a fixed pool of chunk buffers. One implementation runs on threads (what ships), one in
 * the simulation's virtual time, its writes scheduler events; the receiver cannot tell them apart.
 */
public interface Pipeline extends AutoCloseable {
    /** A free buffer to read the next block into; waits for one. */
    ByteBuffer takeFree() throws IOException;

    /** Hands a block over; {@code data} null writes zeros. The buffer returns to the pool once written. */
    void submit(Disk target, long sector, long sectorCount, ByteBuffer data, long offsetBytes) throws IOException;

    /** Waits until every block handed over is written. */
    void drain() throws IOException;

    /** The most buffers lent, queued or being written at once so far; -1 when not counted. */
    default int peakBusyBuffers() {
        return -1;
    }

    /** Stops, after writing the blocks already handed over. */
    @Override
    void close();

    /** Makes the pipelines of a receiver. */
    @FunctionalInterface
    interface Factory {
        /** A pipeline of {@code buffers} chunk buffers that writes and forces by {@code policies}. */
        Pipeline create(int buffers, int chunkSizeBytes, ReceiverPolicies policies);

        /** As above, by blkmig's policies but for applying zero blocks by {@code zeroWrite}. */
        default Pipeline create(int buffers, int chunkSizeBytes, ReceiverPolicies.ZeroWrite zeroWrite) {
            return create(buffers, chunkSizeBytes, ReceiverPolicies.BLKMIG.with(zeroWrite));
        }

        /** The shipped pipeline: a writer thread and a writeback thread. */
        Factory THREADS = threads(WritePipeline.WRITEBACK_EVERY_BYTES);

        /** The threaded pipeline, its targets forced every {@code writebackEveryBytes} written. */
        static Factory threads(long writebackEveryBytes) {
            return (buffers, chunk, policies) -> new WritePipeline(buffers, chunk, writebackEveryBytes, policies);
        }

        /** The pipeline in virtual time: each write takes {@code writeNanos} of the scheduler's time. */
        static Factory virtual(SimScheduler scheduler, long writeNanos, long writebackEveryBytes) {
            return (buffers, chunk, policies) -> new VirtualPipeline(scheduler, writeNanos, buffers, chunk, writebackEveryBytes,
                    policies);
        }
    }
}
