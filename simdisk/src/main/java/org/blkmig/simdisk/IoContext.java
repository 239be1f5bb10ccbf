// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.simdisk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * The seam between the migration and its world: time, asynchronous reads, and waiting. One
 * implementation runs in virtual time on one thread ({@link SimIoContext}), one on real threads
 * ({@link ThreadPoolIoContext}); the sender cannot tell them apart.
 */
public interface IoContext extends AutoCloseable {
    /** Runs once when a read has finished: {@code error} is null on success. */
    @FunctionalInterface
    interface ReadDone {
        void done(IOException error);
    }

    /**
     * Sees reads (the "hammer" workload writes into the chunk being read). The simulation also
     * tells when a read took its data and how long until it completes: the window in which a
     * write makes the read stale.
     */
    interface ReadListener {
        default void submitted(BlockDevice device, long sector, long sectorCount) {}

        default void sampled(BlockDevice device, long sector, long sectorCount, long nanosUntilCompletion) {}
    }

    long nowNanos();

    /**
     * Reads {@code dst.remaining() / 512} sectors of {@code device} into dst, later. The data is
     * taken at one instant between submission and completion. {@code done} runs on the
     * simulation thread, or on a pool thread in the real world.
     */
    void submitRead(BlockDevice device, long sector, ByteBuffer dst, ReadDone done);

    /**
     * Where the data of {@code device} lies from {@code sector} (see {@link Disk#allocation}), as
     * its disk tells at one instant, on the calling thread: a ZERO answer over a whole range means
     * it reads as zeros without being read. The simulation records such an answer as the instant
     * the range was known, and lets the lookup's time pass.
     */
    default Disk.Allocation allocation(BlockDevice device, long sector, long maxSectors) {
        return device.disk().allocation(sector, maxSectors);
    }

    /** Lets reads and guest writes go on until the condition holds. */
    void awaitUntil(BooleanSupplier condition) throws IOException;

    /** Lets time pass until the deadline or until something happened, whichever comes first. */
    void pause(long deadlineNanos) throws IOException;

    void addReadListener(ReadListener listener);

    /** Whether reads here fill direct buffers without a copy (files do); memory disks do as well with heap buffers. */
    default boolean prefersDirectBuffers() {
        return true;
    }

    /**
     * Lets pass the time that sending {@code bytes} at {@code bytesPerSecond} takes, for bytes a
     * sink took at once: virtual time must, real time already did (the default does nothing).
     */
    default void awaitTransfer(long bytes, long bytesPerSecond) throws IOException {}

    /**
     * The sender wrote {@code bytes} to its transport: virtual time lets pass what the write takes
     * (reads complete meanwhile, as they do while a real sender writes); real time already did.
     */
    default void wrote(long bytes) throws IOException {}

    /** Where QEMU's migration thread spends time between two decisions (see {@link QemuTiming}). */
    enum LoopPhase { LOOP_TAIL, ITERATE_HEAD, SUBMIT_LOOP, ZERO_CHECK }

    /** The migration thread reached the end of {@code phase}: a world with QEMU's timing lets its time pass. */
    default void loopStep(LoopPhase phase) {}

    /**
     * Whether the migration thread, with nothing to send or submit, checks again at once (QEMU's
     * thread does: hundreds of pending checks in a read-bound window) rather than waiting for a read.
     */
    default boolean pollsWhenIdle() {
        return false;
    }

    @Override
    default void close() {}
}
