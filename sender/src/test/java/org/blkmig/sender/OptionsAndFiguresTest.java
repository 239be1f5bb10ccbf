// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Disk;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SparseMemoryDisk;
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

    @Test
    void aPoolAllocatesTheKindOfBufferItWasAskedFor() {
        assertTrue(new BufferPool(4096, 1, true).take().isDirect());
        assertFalse(new BufferPool(4096, 1, false).take().isDirect());
    }

    @Test
    void ramPagesDirtiedAgainAreSentOnceAndThenNoLongerPending() {
        long second = 1_000_000_000L;
        RamModel ram = new RamModel(new RamModel.Settings(100L * RamModel.PAGE_SIZE_BYTES, 100, 10L * RamModel.PAGE_SIZE_BYTES), 0);
        assertEquals(100L * RamModel.PAGE_SIZE_BYTES, ram.pendingBytes(0));
        assertEquals(100L * RamModel.DATA_PAGE_WIRE_BYTES, ram.send(null, 0));
        assertEquals(0, ram.pendingBytes(0));
        assertEquals(10L * RamModel.PAGE_SIZE_BYTES, ram.pendingBytes(second), "10 pages a second dirtied again");
        assertEquals(10L * RamModel.DATA_PAGE_WIRE_BYTES, ram.send(null, second));
        assertEquals(0, ram.pendingBytes(second));
    }

    /** A disk of 64 sectors whose first {@code baseSectors} are the base's (unallocated), the rest data. */
    static Disk baseAndData(long baseSectors, long extentSectorsAtZero) {
        Disk disk = mock(Disk.class);
        when(disk.name()).thenReturn("d");
        when(disk.sizeBytes()).thenReturn(64L * 512);
        when(disk.sizeSectors()).thenReturn(64L);
        when(disk.allocation(anyLong(), anyLong())).thenAnswer(inv -> {
            long s = inv.getArgument(0);
            if (s < 0 || s >= 64) {
                throw new IllegalArgumentException("allocation asked past the end: sector " + s);
            }
            if (s == 0 && extentSectorsAtZero >= 0) {
                return new Disk.Allocation(Disk.State.UNALLOCATED, extentSectorsAtZero);
            }
            return s < baseSectors ? new Disk.Allocation(Disk.State.UNALLOCATED, baseSectors - s)
                    : new Disk.Allocation(Disk.State.DATA, 64 - s);
        });
        return disk;
    }

    @Test
    void theSharedBaseBulkCursorSkipsTheBasesExtentsAndStopsAtTheEnd() {
        DeviceSet set = new DeviceSet(List.of(new BlockDevice(baseAndData(32, -1))), 4096);
        MigratedDevice d = set.all().get(0);
        SenderPolicies.Allocation a = SenderPolicies.Allocation.HOLES_KNOWN_ZERO;
        assertEquals(32, set.nextBulkSector(d, true, a));
        assertEquals(0, set.nextBulkSector(d, false, a));
        DeviceSet all = new DeviceSet(List.of(new BlockDevice(baseAndData(64, -1))), 4096);
        assertEquals(64, all.nextBulkSector(all.all().get(0), true, a), "all in the base: nothing to read");
        d.bulkCursorSector = 64;
        assertEquals(64, set.nextBulkSector(d, true, a));
    }

    @Test
    // a guard only, not a measure: the broken loop never ends, and only another thread can give up on it
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anExtentOfNoSectorsIsReadNotSkippedForEver() {
        DeviceSet set = new DeviceSet(List.of(new BlockDevice(baseAndData(32, 0))), 4096);
        assertEquals(0, set.nextBulkSector(set.all().get(0), true, SenderPolicies.Allocation.HOLES_KNOWN_ZERO));
    }

    @Test
    void theBulkBytesLeftAreThoseBehindTheCursor() {
        DeviceSet set = new DeviceSet(List.of(new BlockDevice(new SparseMemoryDisk("a", 64L * 512)),
                new BlockDevice(new SparseMemoryDisk("b", 16L * 512))), 4096);
        assertEquals(80L * 512, set.remainingBulkBytes());
        set.all().get(0).bulkCursorSector = 24;
        set.all().get(1).bulkCursorSector = 24; // past b's end: nothing left there
        assertEquals(40L * 512, set.remainingBulkBytes());
    }

    @Test
    void blkmigsThresholdPlansWithTheRateLimitAtMostAndQemusWithWhatTheSliceMeasured() {
        // a slice may pass its budget by one block: measured 1.5x the rate limit
        assertEquals(100.0, ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT.bytesPerSecond(150, 100));
        assertEquals(80.0, ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT.bytesPerSecond(80, 100));
        assertEquals(150.0, ControllerOptions.Threshold.MEASURED.bytesPerSecond(150, 100));
        assertEquals(ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT, ControllerOptions.defaults().threshold());
        assertEquals(ControllerOptions.Threshold.MEASURED, Profile.QEMU_7_2.controller(ControllerOptions.defaults()).threshold());
        assertEquals(ControllerOptions.Threshold.MEASURED_AT_MOST_RATE_LIMIT,
                Profile.BLKMIG.controller(ControllerOptions.defaults().withThreshold(ControllerOptions.Threshold.MEASURED))
                        .threshold());
    }
}
