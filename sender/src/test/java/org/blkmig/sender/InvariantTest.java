// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;

/** The invariants of the read tracker and the buffer pool fire when their state is misused. */
class InvariantTest {
    static final int CHUNK = 64 * 1024;

    private static MigratedDevice device(int index) {
        BlockDevice d = new BlockDevice(new SparseMemoryDisk("drive" + index, 8L * CHUNK));
        return new MigratedDevice(index, d, d.createDirtyBitmap(CHUNK));
    }

    private static Block block(MigratedDevice d, long chunk) {
        return new Block(d, chunk * CHUNK / 512, chunk, CHUNK / 512, ByteBuffer.allocateDirect(CHUNK), null);
    }

    @Test
    void aReadCompletesOnceAndBlocksGoOutInCompletionOrder() throws IOException {
        ReadTracker t = new ReadTracker(true);
        MigratedDevice d = device(0);
        Block a = block(d, 1);
        Block b = block(d, 2);
        t.submitting(a, true);
        t.submitting(b, true);
        assertTrue(t.marked(d, 1));
        assertEquals(2, t.inFlight(d));
        t.readDone(b, null);
        t.readDone(a, null);
        assertFalse(t.marked(d, 1));
        assertSame(b, t.pollCompleted());
        assertSame(a, t.pollCompleted());
        assertNull(t.pollCompleted());
        assertTrue(t.noneInFlight());
        // a second completion of the same read is a bug, and the migration thread sees it too
        Invariant.Violation v = assertThrows(Invariant.Violation.class, () -> t.readDone(a, null));
        assertTrue(v.getMessage().contains("completion of drive0 chunk 1 in state SENT"), v.getMessage());
        assertSame(v, assertThrows(Invariant.Violation.class, t::throwReadError));
    }

    @Test
    void twoReadsOfAChunkBreakTheRuleWhenThePoliciesPromiseOne() {
        MigratedDevice d = device(0);
        ReadTracker strict = new ReadTracker(SenderPolicies.BLKMIG.oneReadPerChunk());
        strict.submitting(block(d, 3), true);
        Invariant.Violation v = assertThrows(Invariant.Violation.class, () -> strict.submitting(block(d, 3), true));
        assertTrue(v.getMessage().contains("2 reads of drive0 chunk 3 in flight"), v.getMessage());
        // the two-reads mutant's policies allow it: the bug is then the properties' to find
        ReadTracker loose = new ReadTracker(SenderMutant.TWO_READS_IN_FLIGHT.apply(SenderPolicies.BLKMIG).oneReadPerChunk());
        loose.submitting(block(d, 3), true);
        loose.submitting(block(d, 3), true);
        assertEquals(2, loose.inFlight(d));
    }

    @Test
    void aBlockIsTakenOnlyAfterItsRead() {
        ReadTracker t = new ReadTracker(true);
        MigratedDevice d = device(1);
        Block a = block(d, 0);
        t.submitting(a, true);
        assertFalse(t.isDone(a));
        assertThrows(Invariant.Violation.class, () -> t.take(a));
        assertThrows(Invariant.Violation.class, () -> t.submitting(a, true), "submitted twice");
    }

    @Test
    void theBufferPoolKeepsItsBoundAndItsCount() {
        BufferPool p = new BufferPool(CHUNK, 2, true);
        ByteBuffer a = p.take();
        ByteBuffer b = p.take();
        Invariant.Violation bound = assertThrows(Invariant.Violation.class, p::take);
        assertTrue(bound.getMessage().contains("buffer bound exceeded: 2 of 2"), bound.getMessage());
        p.release(a);
        Invariant.Violation twice = assertThrows(Invariant.Violation.class, () -> p.release(a));
        assertTrue(twice.getMessage().contains("given back twice"), twice.getMessage());
        assertThrows(Invariant.Violation.class, () -> p.release(ByteBuffer.allocateDirect(512)));
        assertEquals(1, p.inUse());
        assertEquals(2, p.peakInUse());
        assertEquals(1, p.close(), "b is still held");
        p.release(b); // after the end: ignored
        assertThrows(Invariant.Violation.class, p::take);
    }

    @Test
    void theEndCountsEveryHeldBufferAsAReadInFlight() {
        ReadTracker t = new ReadTracker(true);
        BufferPool p = new BufferPool(CHUNK, 4, true);
        MigratedDevice d = device(0);
        Block inFlight = new Block(d, 0, 0, CHUNK / 512, p.take(), null);
        Block queued = new Block(d, CHUNK / 512, 1, CHUNK / 512, p.take(), null);
        t.submitting(inFlight, true);
        t.submitting(queued, true);
        t.readDone(queued, null);
        assertEquals(1, t.end(p), "the queued block's buffer went back; the read in flight keeps its own");
        // a buffer held by nobody is a leak
        ReadTracker t2 = new ReadTracker(true);
        BufferPool p2 = new BufferPool(CHUNK, 4, true);
        p2.take();
        Invariant.Violation leak = assertThrows(Invariant.Violation.class, () -> t2.end(p2));
        assertTrue(leak.getMessage().contains("1 buffers held at the end, but 0 reads in flight"), leak.getMessage());
    }

    @Test
    void everyMutantIsOnePolicyAndTheListNamesIt() {
        for (SenderMutant m : SenderMutant.values()) {
            List<String> diff = m.apply(SenderPolicies.BLKMIG).differencesFrom(SenderPolicies.BLKMIG);
            assertEquals(1, diff.size(), m + ": " + diff);
        }
        assertThrows(IllegalArgumentException.class, () -> SenderPolicies.BLKMIG.with(java.time.DayOfWeek.MONDAY));
    }
}
