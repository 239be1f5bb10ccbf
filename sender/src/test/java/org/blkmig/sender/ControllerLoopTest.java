// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The controller's loop against a sender whose answers the test sets ({@link StepIo} for time): each
 * iterate spends the whole slice's budget, so a slice is one iterate and ends exactly on time, and
 * the threshold is that budget times downtime over slice length. Its edges are then exact.
 */
class ControllerLoopTest {
    static final long MS = 1_000_000;
    static final long BANDWIDTH = 10_000_000; // 1,000,000 bytes a 100 ms slice

    final StepIo io = new StepIo();
    final SenderStats stats = new SenderStats();
    final BlockMigrationSender sender = mock(BlockMigrationSender.class);

    /** Pending bytes the sender reports, given the threshold. */
    interface Pending {
        long bytes(long thresholdBytes);
    }

    ControllerLoopTest() throws IOException {
        when(sender.stats()).thenReturn(stats);
        when(sender.iterate(any())).thenAnswer(inv -> {
            SliceBudget b = inv.getArgument(0);
            b.consume(b.remainingBytes());
            return true;
        });
    }

    void pending(Pending p) {
        when(sender.pendingBytes(anyLong())).thenAnswer(inv -> p.bytes(inv.getArgument(0)));
    }

    static ControllerOptions options(int stallSlices, long maxSlices) {
        // downtime = one slice: the threshold is one slice's budget
        return ControllerOptions.defaults().withBandwidth(BANDWIDTH).withMaxDowntime(100 * MS).withLimits(stallSlices, maxSlices);
    }

    @Test
    void eachSliceIsAnnouncedRunsOneIterateAndTheSliceLimitIsExact() {
        pending(t -> 50_000_000);
        when(sender.bulkCompleted()).thenReturn(false);
        MigrationController c = new MigrationController(options(1, 3), io);
        List<Integer> announced = new ArrayList<>();
        c.onSliceStart(announced::add);
        MigrationResult r = c.run(sender, GuestControl.NONE);
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, r.outcome());
        assertTrue(r.reason().contains("no completion within 3 slices"), "stalls count only after the bulk pass: " + r.reason());
        assertEquals(List.of(0, 1, 2), announced);
        assertEquals(3, r.slices().size());
        assertTrue(r.slices().stream().allMatch(MigrationResult.SliceFigures::bulkPhase));
        try {
            // a slice whose budget is spent waits for its end, and the next iterate is the next slice's
            verify(sender, times(3)).iterate(any());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (MigrationResult.SliceFigures f : r.slices()) {
            assertEquals(100 * MS, f.endNanos() - f.startNanos());
            assertEquals(1_000_000, f.bytesSent());
        }
    }

    @Test
    void afterTheBulkPassSlicesAreDirtyAndAStallEndsTheMigration() {
        pending(t -> 50_000_000);
        when(sender.bulkCompleted()).thenReturn(true);
        MigrationResult r = new MigrationController(options(2, 10), io).run(sender, GuestControl.NONE);
        assertTrue(r.reason().contains("did not shrink for 2 slices"), r.reason());
        assertEquals(3, r.slices().size());
        assertTrue(r.slices().stream().noneMatch(MigrationResult.SliceFigures::bulkPhase));
    }

    @Test
    void pendingEqualToTheThresholdDoesNotComplete() {
        // after the first slice the threshold is 1,000,000 bytes; the sender reports exactly that
        pending(t -> t == 0 ? 50_000_000 : t);
        when(sender.bulkCompleted()).thenReturn(false);
        MigrationResult r = new MigrationController(options(1, 4), io).run(sender, GuestControl.NONE);
        assertEquals(1_000_000, r.slices().get(0).thresholdBytes());
        assertEquals(MigrationResult.Outcome.DID_NOT_CONVERGE, r.outcome(), r.reason());
        pending(t -> t == 0 ? 50_000_000 : t - 1);
        MigrationResult under = new MigrationController(options(1, 4), new StepIo()).run(sender, GuestControl.NONE);
        assertEquals(MigrationResult.Outcome.COMPLETED, under.outcome(), under.reason());
    }

    @Test
    void sendingExactlyTheByteLimitIsNotMoreThanIt() throws IOException {
        pending(t -> 50_000_000);
        when(sender.bulkCompleted()).thenReturn(false);
        doAnswer(inv -> {
            SliceBudget b = inv.getArgument(0);
            b.consume(b.remainingBytes());
            stats.bytesSent += 1000;
            return true;
        }).when(sender).iterate(any());
        ControllerOptions o = options(1, 3).withMaxBytesSent(2000);
        MigrationResult r = new MigrationController(o, io).run(sender, GuestControl.NONE);
        assertTrue(r.reason().contains("more than the limit of 2000"), r.reason());
        assertEquals(3, r.slices().size(), "2000 bytes after two slices is the limit, not more");
    }

    @Test
    void theRamsPendingBytesAreAddedToTheSlicesFigure() {
        pending(t -> 3_000_000);
        when(sender.bulkCompleted()).thenReturn(false);
        ControllerOptions o = options(1, 1).withRam(new RamModel.Settings(40L * RamModel.PAGE_SIZE_BYTES, 100, 0));
        MigrationResult r = new MigrationController(o, io).run(sender, GuestControl.NONE);
        assertEquals(3_000_000 + 40L * RamModel.PAGE_SIZE_BYTES, r.slices().get(0).pendingBytes());
    }

    @Test
    void theDowntimeIsTheTransferOfTheFinalCopyAndTheRamAtTheBandwidth() throws IOException {
        pending(t -> 0);
        when(sender.bulkCompleted()).thenReturn(true);
        doAnswer(inv -> {
            stats.bytesSent += 500_000;
            return null;
        }).when(sender).complete();
        int pages = 10;
        ControllerOptions o = options(1, 10).withRam(new RamModel.Settings((long) pages * RamModel.PAGE_SIZE_BYTES, 100, 0));
        // the RAM's pages keep pending above 0 in slice 0; its threshold lets slice 1 complete
        MigrationResult r = new MigrationController(o, io).run(sender, GuestControl.NONE);
        assertEquals(MigrationResult.Outcome.COMPLETED, r.outcome(), r.reason());
        long downtimeBytes = 500_000 + (long) pages * RamModel.DATA_PAGE_WIRE_BYTES;
        assertEquals(downtimeBytes, io.transferredBytes);
        assertEquals((long) (downtimeBytes * 1e9 / BANDWIDTH), r.downtimeNanos());
    }

    @Test
    void theCompleteWhenStalledMutantStopsTheGuestOnlyAfterHalfTheStallLimit() {
        pending(t -> 0); // nothing left to send from the first check on
        when(sender.bulkCompleted()).thenReturn(true);
        boolean[] stopped = {false};
        MigrationResult prompt = new MigrationController(options(6, 20), io).run(sender, () -> stopped[0] = true);
        assertEquals(MigrationResult.Outcome.COMPLETED, prompt.outcome(), prompt.reason());
        assertEquals(0, prompt.slices().size(), "the first check completes");
        assertTrue(stopped[0]);
        // the slice that first sees pending at 0 is a new low; each slice after it counts one without:
        // 3 of them (half the stall limit of 6) and the fourth slice's first check completes
        stopped[0] = false;
        StepIo late = new StepIo();
        MigrationResult r = new MigrationController(options(6, 20).withMutants(java.util.Set.of(ControllerMutant.COMPLETE_WHEN_STALLED)),
                late).run(sender, () -> stopped[0] = true);
        assertEquals(MigrationResult.Outcome.COMPLETED, r.outcome(), r.reason());
        assertEquals(4, r.slices().size());
        assertEquals(400 * MS, r.guestStoppedNanos());
        assertTrue(stopped[0]);
    }
}
