// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.blkmig.simdisk.Invariant;
import org.junit.jupiter.api.Test;

/** The sender's small value types at their edges: what they accept, refuse and compute. */
class OptionsAndFiguresTest {
    static final long MS = 1_000_000;

    static ControllerOptions controller(long bandwidth, long downtime, long slice, int stall, long slices, long maxBytes) {
        return new ControllerOptions(bandwidth, downtime, slice, stall, slices, maxBytes, Set.of(), RamModel.Settings.NONE);
    }

    @Test
    void controllerOptionsAcceptTheirSmallestValidValuesAndRefuseTheNextOnesDown() {
        controller(1, 0, 1, 1, 1, 0); // every bound at its edge
        assertThrows(IllegalArgumentException.class, () -> controller(0, 0, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> controller(1, -1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> controller(1, 0, 0, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> controller(1, 0, 1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> controller(1, 0, 1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> controller(1, 0, 1, 1, 1, -1));
    }

    @Test
    void senderLimitsNeedOneReadAndAtLeastAsManyBuffers() {
        SenderOptions o = SenderOptions.defaults().withBuffers(1, 1);
        assertEquals(1, o.maxReadsInFlight());
        assertEquals(3, SenderOptions.defaults().withBuffers(3, 3).maxBufferedChunks());
        assertThrows(IllegalArgumentException.class, () -> SenderOptions.defaults().withBuffers(0, 1));
        assertThrows(IllegalArgumentException.class, () -> SenderOptions.defaults().withBuffers(3, 2));
    }

    @Test
    void aSliceBudgetIsExhaustedExactlyAtItsLimit() {
        SliceBudget b = new SliceBudget(10);
        b.consume(9);
        assertFalse(b.exhausted());
        assertEquals(1, b.remainingBytes());
        b.consume(1);
        assertTrue(b.exhausted(), "10 of 10 bytes used");
        assertEquals(0, b.remainingBytes());
        b.reset(20);
        assertFalse(b.exhausted());
        assertEquals(0, b.usedBytes());
    }

    @Test
    void ramSettingsAcceptTheirBoundsAndRefuseBeyondThem() {
        new RamModel.Settings(0, 0, 0);
        new RamModel.Settings(1, 100, 0);
        assertThrows(IllegalArgumentException.class, () -> new RamModel.Settings(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RamModel.Settings(1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new RamModel.Settings(1, 101, 0));
        assertThrows(IllegalArgumentException.class, () -> new RamModel.Settings(1, 0, -1));
    }

    @Test
    void aMigrationResultsFiguresComeFromItsFields() {
        MigrationResult.SliceFigures bulk = new MigrationResult.SliceFigures(0, 0, 100 * MS, 10, 5, 0, 1, true, 0, 50);
        MigrationResult.SliceFigures dirty = new MigrationResult.SliceFigures(1, 100 * MS, 200 * MS, 10, 5, 5, 1, false, 2, 99);
        MigrationResult.SliceFigures dirty2 = new MigrationResult.SliceFigures(2, 200 * MS, 300 * MS, 10, 0, 0, 1, false, 1, 100);
        MigrationResult ok = new MigrationResult(MigrationResult.Outcome.COMPLETED, "completed", 5 * MS, 300 * MS, 320 * MS,
                20 * MS, 30, List.of(bulk, dirty, dirty2), new SenderStats());
        assertTrue(ok.completed());
        assertEquals(315 * MS, ok.migrationNanos());
        assertEquals(2, ok.dirtyRounds());
        for (MigrationResult.Outcome o : List.of(MigrationResult.Outcome.DID_NOT_CONVERGE, MigrationResult.Outcome.FAILED,
                MigrationResult.Outcome.CANCELLED)) {
            MigrationResult r = new MigrationResult(o, "x", 0, -1, MS, 0, 0, List.of(bulk), new SenderStats());
            assertFalse(r.completed(), o.toString());
            assertEquals(0, r.dirtyRounds());
        }
    }

    @Test
    void aBufferPoolReusesWithinItsBoundAndRefusesMisuse() {
        BufferPool p = new BufferPool(4096, 2, false);
        ByteBuffer a = p.take();
        ByteBuffer b = p.take();
        assertNotSame(a, b);
        assertEquals(2, p.allocated());
        assertEquals(2, p.inUse());
        Invariant.Violation bound = assertThrows(Invariant.Violation.class, p::take);
        assertTrue(bound.getMessage().contains("buffer bound exceeded: 2 of 2"), bound.getMessage());
        p.release(a);
        assertEquals(1, p.inUse());
        assertEquals(2, p.allocated(), "a buffer given back stays allocated");
        assertTrue(p.take() == a, "and is reused");
        p.release(a);
        assertThrows(Invariant.Violation.class, () -> p.release(a), "given back twice");
        assertThrows(Invariant.Violation.class, () -> p.release(ByteBuffer.allocate(100)), "not one of the pool's");
        assertEquals(2, p.peakInUse());
        assertEquals(1, p.close(), "b is still in use");
        assertEquals(0, p.allocated());
        Invariant.Violation closed = assertThrows(Invariant.Violation.class, p::take);
        assertTrue(closed.getMessage().contains("closed pool"), closed.getMessage());
        p.release(b); // a late read's buffer after the end goes with the pool
    }
}
