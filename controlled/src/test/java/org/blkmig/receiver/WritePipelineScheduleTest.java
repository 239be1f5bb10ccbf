// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import org.blkmig.controlled.Schedules;
import org.blkmig.simdisk.BaseDisk;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.blkmig.simdisk.ThreadMutant;
import org.junit.jupiter.api.Test;

/**
 * The receiver's write pipeline (its writer and writeback threads) under Fray's scheduler, with a
 * target that fails: whatever the schedule, no deadlock, the failure reported with its block's
 * offset, no block after it written, and every buffer back in the pool.
 */
class WritePipelineScheduleTest {
    static final int CHUNK = 4096;
    static final int SECTORS = CHUNK / 512;
    static final int BLOCKS = 4;
    static final int SCHEDULES = 300;
    /** Searches for the seeded bug, from seeds 1, 2, ...: the figures of TESTING.md. */
    static final int SEEDS = 10;

    /** A memory target whose write of one block fails. */
    static final class FailingDisk extends BaseDisk {
        final SparseMemoryDisk disk = new SparseMemoryDisk("drive0", 16L * CHUNK);
        final long failSector;

        FailingDisk(long failSector) {
            super("drive0", 16L * CHUNK, false);
            this.failSector = failSector;
        }

        @Override
        public void read(long sector, ByteBuffer dst) throws IOException {
            disk.read(sector, dst);
        }

        @Override
        public void write(long sector, ByteBuffer src) throws IOException {
            if (sector == failSector) {
                throw new IOException("medium error");
            }
            disk.write(sector, src);
        }

        @Override
        public void writeZeros(long sector, long sectorCount) throws IOException {
            disk.writeZeros(sector, sectorCount);
        }
    }

    /**
     * The receiver's side: {@link #BLOCKS} blocks through 2 buffers, a writeback after every block,
     * the last block's write failing; then drain and close.
     */
    static Runnable receive(Set<ThreadMutant> mutants) {
        return () -> {
            long failing = BLOCKS - 1;
            FailingDisk target = new FailingDisk(failing * SECTORS);
            WritePipeline p = new WritePipeline(2, CHUNK, CHUNK, ReceiverPolicies.BLKMIG, mutants);
            WritePipeline.WriteFailed reported = null;
            try {
                for (int i = 0; i < BLOCKS; i++) {
                    ByteBuffer b = p.takeFree();
                    b.clear();
                    while (b.hasRemaining()) {
                        b.put((byte) (i + 1));
                    }
                    p.submit(target, (long) i * SECTORS, SECTORS, b.flip(), (long) i * CHUNK);
                }
                p.drain();
            } catch (WritePipeline.WriteFailed f) {
                reported = f;
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                p.close();
            }
            assertNotNull(reported, "the failed write of block " + failing + " was never reported");
            assertEquals(failing * CHUNK, reported.offsetBytes, reported.getMessage());
            assertEquals("write to 'drive0' at sector " + failing * SECTORS + " failed: medium error", reported.getMessage());
            // the blocks before the failure landed, in full
            for (int i = 0; i < failing; i++) {
                ByteBuffer got = ByteBuffer.allocate(CHUNK);
                target.disk.read((long) i * SECTORS, got);
                for (int k = 0; k < CHUNK; k++) {
                    assertEquals((byte) (i + 1), got.get(k), "block " + i + " byte " + k);
                }
            }
            assertEquals(2, freeBuffers(p), "a buffer leaked: every one must be back in the pool after close");
        };
    }

    /** The pool's free buffers (private: read here, not widened for a test). */
    static int freeBuffers(WritePipeline p) {
        try {
            Field f = WritePipeline.class.getDeclaredField("free");
            f.setAccessible(true);
            return ((Collection<?>) f.get(p)).size();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFailingTargetIsReportedWithoutDeadlockOrLeakUnderEverySchedule() {
        Schedules.Result r = Schedules.explore("write-pipeline", SCHEDULES, receive(Set.of()));
        assertFalse(r.found(), r::toString);
    }

    @Test
    void countedBeforeFailureIsKilledByTheScheduler() {
        int[] needed = Schedules.schedulesToKill("counted-before-failure", SEEDS, SCHEDULES,
                receive(Set.of(ThreadMutant.COUNTED_BEFORE_FAILURE)));
        assertTrue(Arrays.stream(needed).allMatch(n -> n > 0), "the seeded bug survived a search: " + Arrays.toString(needed));
    }
}
