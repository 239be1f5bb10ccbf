// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.blkmig.model.sim.GuardedDisk;
import org.junit.jupiter.api.Test;

/** Which blocks landed, told from write logs made by hand: the shapes a sparse receiver writes. */
class TargetWritesTest {
    /** 64 KiB chunks: 128 sectors. */
    static final long CHUNK_SECTORS = 128;

    static TargetWrites.Block data(long sector, long sentNanos) {
        return new TargetWrites.Block("d", sector, CHUNK_SECTORS, false, false, sentNanos);
    }

    static TargetWrites.Block zero(long sector, long sentNanos) {
        return new TargetWrites.Block("d", sector, CHUNK_SECTORS, true, true, sentNanos);
    }

    static GuardedDisk.Applied w(long sector, long sectors, boolean zero, long atNanos, long number) {
        return new GuardedDisk.Applied(sector, sectors, zero, atNanos, number);
    }

    static TargetWrites match(List<TargetWrites.Block> blocks, List<GuardedDisk.Applied> log, long writesAtForce) {
        return TargetWrites.match(blocks, Map.of("d", log), Map.of("d", writesAtForce), true, CHUNK_SECTORS);
    }

    @Test
    void aDataBlockWrittenAsZeroRunsAndDataIsApplied() {
        // its first 4 KiB (8 sectors) zero: a zero write, then data, then a hole punched at its end
        TargetWrites t = match(List.of(data(0, 10)), List.of(w(0, 8, true, 20, 1), w(8, 100, false, 20, 2),
                w(108, 20, true, 20, 3)), 3);
        assertTrue(t.landing(0).applied());
        assertEquals(20, t.landing(0).appliedNanos());
        assertEquals(3, t.landing(0).writes());
        assertTrue(t.landing(0).durable());
        assertEquals(0, t.unexplainedWrites());
    }

    @Test
    void zeroBlocksGatheredIntoOneZeroWriteAreEachApplied() {
        TargetWrites t = match(List.of(zero(0, 10), zero(128, 11), zero(256, 12)), List.of(w(0, 384, true, 30, 1)), 1);
        assertTrue(t.landings().stream().allMatch(TargetWrites.Landing::applied), t.landings().toString());
    }

    @Test
    void aDroppedZeroBlockIsNotCreditedWithTheNextDataBlocksWrites() {
        TargetWrites t = match(List.of(zero(0, 10), data(0, 50)), List.of(w(0, 128, false, 60, 1)), 1);
        assertFalse(t.landing(0).applied(), "the zero block's write was dropped");
        assertTrue(t.landing(1).applied());
    }

    @Test
    void aWriteBeforeTheBlockWasSentIsNotItsAndAGapLeavesItUnapplied() {
        TargetWrites early = match(List.of(data(0, 100)), List.of(w(0, 128, false, 60, 1)), 1);
        assertFalse(early.landing(0).applied());
        assertEquals(1, early.unexplainedWrites());
        TargetWrites gap = match(List.of(data(0, 10)), List.of(w(0, 8, false, 20, 1), w(16, 112, false, 20, 2)), 2);
        assertFalse(gap.landing(0).applied(), "sectors 8..15 never written");
    }

    @Test
    void aBlockWrittenAfterTheFinalFlushIsAppliedLate() {
        TargetWrites t = match(List.of(data(0, 10), data(128, 11)), List.of(w(0, 128, false, 20, 1), w(128, 128, false, 30, 2)),
                1);
        assertTrue(t.landing(0).durable() && !t.landing(0).afterFinalFlush());
        assertTrue(t.landing(1).applied() && t.landing(1).afterFinalFlush());
    }

    @Test
    void blocksOfOneChunkTakeItsWritesInStreamOrder() {
        TargetWrites t = match(List.of(data(0, 10), data(0, 20)), List.of(w(0, 128, false, 15, 1), w(0, 128, false, 25, 2)), 2);
        assertEquals(15, t.landing(0).appliedNanos());
        assertEquals(25, t.landing(1).appliedNanos());
    }
}
