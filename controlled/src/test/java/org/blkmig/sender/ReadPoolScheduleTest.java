// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import org.blkmig.controlled.Schedules;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.ThreadMutant;
import org.blkmig.simdisk.ThreadPoolIoContext;
import org.junit.jupiter.api.Test;

/**
 * The sender's read path on real threads under Fray's scheduler: reads on the reader pool
 * (ThreadPoolIoContext), their completions racing the migration thread's submissions in the read
 * tracker, buffers from the pool reused, then a cancel with reads in flight. Whatever the schedule,
 * a block sent holds its chunk's data, the counts agree, and no buffer is leaked.
 */
class ReadPoolScheduleTest {
    static final int CHUNK = 4096;
    static final int SECTORS = CHUNK / 512;
    static final int SCHEDULES = 300;
    /** Searches per seeded bug, from seeds 1, 2, ...: the figures of TESTING.md. */
    static final int SEEDS = 10;

    static Block submit(ThreadPoolIoContext io, ReadTracker reads, BufferPool buffers, MigratedDevice d, long chunk) {
        Block b = new Block(d, chunk * SECTORS, chunk, SECTORS, buffers.take(), null);
        reads.submitting(b, true);
        io.submitRead(d.device, b.sector, b.buffer.duplicate().clear(), error -> reads.readDone(b, error));
        return b;
    }

    /** The block holds its chunk's bytes (chunk c is filled with c + 1). */
    static void assertHoldsItsChunk(Block b) {
        ByteBuffer data = b.buffer.duplicate().clear();
        for (int k = 0; k < CHUNK; k++) {
            assertEquals((byte) (b.chunk + 1), data.get(k), "block " + b + " sent before its data was read (byte " + k + ")");
        }
    }

    /**
     * The migration thread's side: two reads in flight (the pool's bound), the first completion sent
     * and its buffer reused for a third read, then a cancel while reads may still be in flight.
     */
    static Runnable readSendCancel(Set<ThreadMutant> mutants) {
        return () -> {
            SparseMemoryDisk source = new SparseMemoryDisk("drive0", 4L * CHUNK);
            for (int c = 0; c < 4; c++) {
                ByteBuffer fill = ByteBuffer.allocate(CHUNK);
                while (fill.hasRemaining()) {
                    fill.put((byte) (c + 1));
                }
                source.write((long) c * SECTORS, fill.flip());
            }
            MigratedDevice d = new MigratedDevice(0, new BlockDevice(source), new DirtyBitmap(source.sizeBytes(), CHUNK));
            ReadTracker reads = new ReadTracker(true, mutants);
            BufferPool buffers = new BufferPool(CHUNK, 2, false);
            int held;
            try (ThreadPoolIoContext io = new ThreadPoolIoContext(2, mutants)) {
                Block b0 = submit(io, reads, buffers, d, 0);
                Block b1 = submit(io, reads, buffers, d, 1);
                io.awaitUntil(() -> reads.isDone(b0) || reads.isDone(b1));
                Block first = reads.pollCompleted();
                assertNotNull(first, "a block completed but none is queued");
                assertHoldsItsChunk(first);
                buffers.release(first.buffer);
                submit(io, reads, buffers, d, 2);
                // every buffer taken is held by a read in flight or a block done and unsent
                assertEquals(reads.bufferedChunks(), buffers.inUse(), "buffers in use against reads in flight and queued");
                // the cancel: queued blocks dropped, their buffers freed; the rest is held by reads in flight
                held = reads.end(buffers);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // the pool has closed: the reads in flight at the cancel have all ended now
            try {
                reads.throwReadError(); // a violation in a completion on a reader thread surfaces here
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertTrue(held >= 0 && held <= 2, held + " buffers held at the cancel");
            assertEquals(0, reads.inFlight(), "reads still counted in flight after every read ended");
            assertEquals(0, reads.inFlight(d), "reads of the device still counted in flight after every read ended");
            assertEquals(0, buffers.allocated(), "the closed pool still counts buffers");
        };
    }

    @Test
    void readCompletionsRacingSubmissionsAndACancelKeepTheCountsUnderEverySchedule() {
        Schedules.Result r = Schedules.explore("read-pool", SCHEDULES, readSendCancel(Set.of()));
        assertFalse(r.found(), r::toString);
    }

    @Test
    void readCountTwoSectionsIsKilledByTheScheduler() {
        int[] needed = Schedules.schedulesToKill("read-count-two-sections", SEEDS, SCHEDULES,
                readSendCancel(Set.of(ThreadMutant.READ_COUNT_TWO_SECTIONS)));
        assertTrue(Arrays.stream(needed).allMatch(n -> n > 0), "the seeded bug survived a search: " + Arrays.toString(needed));
    }

    @Test
    void completionBeforeDataIsKilledByTheScheduler() {
        int[] needed = Schedules.schedulesToKill("completion-before-data", SEEDS, SCHEDULES,
                readSendCancel(Set.of(ThreadMutant.COMPLETION_BEFORE_DATA)));
        assertTrue(Arrays.stream(needed).allMatch(n -> n > 0), "the seeded bug survived a search: " + Arrays.toString(needed));
    }
}
