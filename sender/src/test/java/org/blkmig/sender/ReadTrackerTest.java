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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.blkmig.simdisk.BlockDevice;
import org.blkmig.simdisk.DirtyBitmap;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.SparseMemoryDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read tracker's contract on its own: the in-flight marks the conflict policies look at, the
 * counts the submission rules see, completion order, and the misuse its invariants refuse. The
 * properties reach these only through whole migrations, where a wrong count often goes unseen.
 */
class ReadTrackerTest {
    static final int CHUNK = 4096;
    static final int SECTORS = CHUNK / 512;

    final MigratedDevice d0 = device(0, "drive0", 16);
    final MigratedDevice d1 = device(1, "drive1", 16);

    static MigratedDevice device(int index, String name, int chunks) {
        SparseMemoryDisk disk = new SparseMemoryDisk(name, (long) chunks * CHUNK);
        return new MigratedDevice(index, new BlockDevice(disk), new DirtyBitmap(disk.sizeBytes(), CHUNK));
    }

    static Block block(MigratedDevice d, long chunk) {
        return new Block(d, chunk * SECTORS, chunk, SECTORS, ByteBuffer.allocate(CHUNK), null);
    }

    @Test
    void marksAreSetBySubmissionAndClearedByCompletion() throws IOException {
        ReadTracker t = new ReadTracker(true);
        Block b = block(d0, 5);
        assertFalse(t.marked(d0, 5));
        assertFalse(t.anyMarked(d0, 0, 15));
        t.submitting(b, true);
        assertTrue(t.marked(d0, 5));
        assertFalse(t.marked(d1, 5), "marks are per device");
        assertFalse(t.marked(d0, 4));
        // the range is inclusive at both ends
        assertTrue(t.anyMarked(d0, 5, 5));
        assertTrue(t.anyMarked(d0, 0, 5));
        assertTrue(t.anyMarked(d0, 5, 9));
        assertFalse(t.anyMarked(d0, 0, 4));
        assertFalse(t.anyMarked(d0, 6, 15));
        assertFalse(t.anyMarked(d1, 0, 15));
        t.readDone(b, null);
        assertFalse(t.marked(d0, 5));
        assertFalse(t.anyMarked(d0, 0, 15));
        t.throwReadError(); // nothing failed
    }

    @Test
    void aDeviceNotSeenYetHasNothingInFlight() {
        ReadTracker t = new ReadTracker(true);
        assertFalse(t.anyMarked(d1, 0, 15));
        assertEquals(0, t.inFlight(d0));
        assertFalse(t.marked(device(3, "drive3", 4), 0));
    }

    @Test
    void aReadSubmittedWithoutAMarkLeavesNone() {
        ReadTracker t = new ReadTracker(true);
        t.submitting(block(d0, 3), false);
        assertFalse(t.marked(d0, 3));
        assertFalse(t.anyMarked(d0, 0, 15));
        assertEquals(1, t.inFlight(d0));
    }

    @Test
    void readsInFlightAreCountedPerDeviceAndPerChunk() {
        ReadTracker t = new ReadTracker(false);
        Block a = block(d0, 2);
        Block b = block(d0, 2); // a second read of the same chunk, allowed here
        Block c = block(d1, 7);
        t.submitting(a, true);
        t.submitting(b, true);
        t.submitting(c, true);
        assertEquals(2, t.inFlight(d0));
        assertEquals(1, t.inFlight(d1));
        assertEquals(3, t.inFlight());
        assertEquals(3, t.bufferedChunks());
        assertFalse(t.noneInFlight());
        t.readDone(a, null);
        assertEquals(1, t.inFlight(d0), "one read of chunk 2 is still in flight");
        assertEquals(2, t.inFlight());
        assertEquals(3, t.bufferedChunks(), "a completed block is buffered until it is sent");
        t.readDone(b, null);
        assertEquals(0, t.inFlight(d0));
        t.readDone(c, null);
        assertTrue(t.noneInFlight());
        assertEquals(0, t.inFlight());
        assertEquals(3, t.bufferedChunks());
        assertSame(a, t.pollCompleted());
        assertEquals(2, t.bufferedChunks());
    }

    @Test
    void blocksAreSentInCompletionOrderAndOnce() {
        ReadTracker t = new ReadTracker(true);
        Block a = block(d0, 0);
        Block b = block(d0, 1);
        Block c = block(d1, 0);
        t.submitting(a, true);
        t.submitting(b, true);
        t.submitting(c, true);
        assertFalse(t.isDone(a));
        t.readDone(c, null);
        t.readDone(a, null);
        assertTrue(t.isDone(a));
        assertFalse(t.isDone(b));
        assertSame(c, t.pollCompleted());
        assertFalse(t.isDone(c), "a sent block is no longer done-and-queued");
        assertSame(a, t.pollCompleted());
        assertNull(t.pollCompleted());
        t.readDone(b, null);
        assertSame(b, t.pollCompleted());
        assertNull(t.pollCompleted());
        assertEquals(Block.State.SENT, a.state);
    }

    @Test
    void takeRemovesOneQueuedBlockSoItIsNotSentTwice() {
        ReadTracker t = new ReadTracker(true);
        Block a = block(d0, 0);
        Block b = block(d0, 1);
        t.submitting(a, true);
        t.submitting(b, true);
        t.readDone(a, null);
        t.readDone(b, null);
        t.take(b);
        assertEquals(Block.State.SENT, b.state);
        assertEquals(1, t.bufferedChunks());
        assertSame(a, t.pollCompleted());
        assertNull(t.pollCompleted());
        assertThrows(Invariant.Violation.class, () -> t.take(b), "taken twice");
    }

    @Test
    void aBlockNotQueuedCannotBeTaken() {
        ReadTracker t = new ReadTracker(true);
        Block a = block(d0, 0);
        t.submitting(a, true);
        Invariant.Violation v = assertThrows(Invariant.Violation.class, () -> t.take(a));
        assertTrue(v.getMessage().contains("taken but not queued"), v.getMessage());
    }

    @Test
    void misuseBreaksAnInvariant() {
        ReadTracker once = new ReadTracker(true);
        Block a = block(d0, 4);
        once.submitting(a, true);
        assertTrue(assertThrows(Invariant.Violation.class, () -> once.submitting(a, true)).getMessage()
                .contains("submitted twice"));
        Invariant.Violation two = assertThrows(Invariant.Violation.class, () -> once.submitting(block(d0, 4), true));
        assertTrue(two.getMessage().contains("2 reads of drive0 chunk 4 in flight"), two.getMessage());
        // another chunk is fine
        once.submitting(block(d0, 5), true);
    }

    @Test
    void aCompletionWithoutItsReadIsAViolationTheMigrationThreadSeesToo() {
        ReadTracker t = new ReadTracker(true);
        Block stray = block(d0, 1);
        t.submitting(block(d0, 0), true);
        stray.state = Block.State.IN_FLIGHT; // claims a read that was never submitted
        Invariant.Violation v = assertThrows(Invariant.Violation.class, () -> t.readDone(stray, null));
        assertTrue(v.getMessage().contains("no read of it in flight"), v.getMessage());
        // a reader thread's violation is thrown again on the migration thread
        Invariant.Violation again = assertThrows(Invariant.Violation.class, t::throwReadError);
        assertSame(v, again);
        Block notInFlight = block(d0, 2);
        Invariant.Violation state = assertThrows(Invariant.Violation.class, () -> t.readDone(notInFlight, null));
        assertTrue(state.getMessage().contains("in state null"), state.getMessage());
        assertSame(v, assertThrows(Invariant.Violation.class, t::throwReadError), "the first violation is kept");
    }

    @Test
    void theFirstReadErrorIsKeptAndNamesItsBlock() {
        ReadTracker t = new ReadTracker(true);
        Block a = block(d0, 3);
        Block b = block(d1, 9);
        t.submitting(a, true);
        t.submitting(b, true);
        t.readDone(a, new IOException("EIO"));
        t.readDone(b, new IOException("second"));
        IOException e = assertThrows(IOException.class, t::throwReadError);
        assertEquals("read of drive0 sector " + 3 * SECTORS + " failed: EIO", e.getMessage());
        assertEquals("EIO", e.getCause().getMessage());
        assertEquals("EIO", a.error.getMessage());
        assertEquals("second", b.error.getMessage());
        // failed blocks still complete: their reads are no longer in flight
        assertTrue(t.noneInFlight());
        assertFalse(t.marked(d0, 3));
    }

    @Test
    void zeroCopyBlocksCountAsHeldChunksUntilSent(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("src.img");
        Files.write(f, new byte[16 * CHUNK]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ReadTracker t = new ReadTracker(true);
            BufferPool pool = new BufferPool(CHUNK, 8, false);
            SenderOptions limits = SenderOptions.defaults().withChunkSize(CHUNK).withBuffers(2, 2);
            SliceBudget budget = SliceBudget.unlimited();
            assertTrue(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
            Block z1 = new Block(d0, 0, 0, SECTORS, null, ch);
            Block z2 = new Block(d0, SECTORS, 1, SECTORS, null, ch);
            t.queueUnread(z1);
            assertTrue(assertThrows(Invariant.Violation.class, () -> t.queueUnread(z1)).getMessage().contains("queued twice"));
            // one chunk held of 2: BUDGETED may go on; the bound counts a zero-copy block as held
            assertTrue(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
            t.queueUnread(z2);
            assertFalse(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
            assertEquals(2, t.bufferedChunks(), "queued zero-copy blocks wait to be sent");
            assertSame(z1, t.pollCompleted());
            assertTrue(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool),
                    "a sent zero-copy block is no longer held");
            assertEquals(0, t.end(pool), "no read in flight holds a buffer");
        }
    }

    @Test
    void theSubmissionRulesSeeReadsInFlightAndBlocksDone() {
        ReadTracker t = new ReadTracker(true);
        BufferPool pool = new BufferPool(CHUNK, 8, false);
        SenderOptions limits = SenderOptions.defaults().withChunkSize(CHUNK).withBuffers(2, 4);
        SliceBudget budget = new SliceBudget(3L * CHUNK);
        Block a = new Block(d0, 0, 0, SECTORS, pool.take(), null);
        Block b = new Block(d0, SECTORS, 1, SECTORS, pool.take(), null);
        t.submitting(a, true);
        assertTrue(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
        t.submitting(b, true);
        // 2 reads in flight: the limit of reads in flight stops both rules
        assertFalse(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
        assertFalse(t.maySubmit(SenderPolicies.Submission.QEMU_7_2, budget, CHUNK, limits, pool));
        t.readDone(a, null);
        t.readDone(b, null);
        // 2 done, 8 KiB of 12 KiB: BUDGETED counts them against what is left, QEMU 7.2 against the whole slice
        assertTrue(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
        assertTrue(t.maySubmit(SenderPolicies.Submission.QEMU_7_2, budget, CHUNK, limits, pool));
        budget.consume(2L * CHUNK);
        assertFalse(t.maySubmit(SenderPolicies.Submission.BUDGETED, budget, CHUNK, limits, pool));
        assertTrue(t.maySubmit(SenderPolicies.Submission.QEMU_7_2, budget, CHUNK, limits, pool));
        // the end gives the queued blocks' buffers back
        assertEquals(0, t.end(pool));
        assertEquals(0, pool.inUse());
    }

    @Test
    void theEndCountsTheBuffersOfReadsStillInFlight() {
        ReadTracker t = new ReadTracker(true);
        BufferPool pool = new BufferPool(CHUNK, 8, false);
        Block a = new Block(d0, 0, 0, SECTORS, pool.take(), null);
        Block b = new Block(d0, SECTORS, 1, SECTORS, pool.take(), null);
        t.submitting(a, true);
        t.submitting(b, true);
        t.readDone(a, null);
        assertEquals(1, t.end(pool), "b's read still holds its buffer");
        assertNull(t.pollCompleted(), "the queue was dropped");
        // a buffer held by nobody at the end breaks the invariant
        ReadTracker leak = new ReadTracker(true);
        BufferPool leaky = new BufferPool(CHUNK, 8, false);
        leaky.take();
        Invariant.Violation v = assertThrows(Invariant.Violation.class, () -> leak.end(leaky));
        assertTrue(v.getMessage().contains("1 buffers held at the end, but 0 reads in flight"), v.getMessage());
    }

    /** The seeded real-thread bug keeps the counts on one thread: only a thread between its two sections loses one. */
    @Test
    void theTwoSectionsCompletionKeepsTheCountsOnOneThread() throws IOException {
        ReadTracker t = new ReadTracker(true, java.util.Set.of(org.blkmig.simdisk.ThreadMutant.READ_COUNT_TWO_SECTIONS));
        Block a = block(d0, 1);
        Block b = block(d0, 2);
        t.submitting(a, true);
        t.submitting(b, true);
        t.readDone(a, null);
        assertEquals(1, t.inFlight());
        assertEquals(1, t.inFlight(d0));
        t.readDone(b, null);
        assertTrue(t.noneInFlight());
        assertEquals(2, t.bufferedChunks());
    }
}
