// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.blkmig.simdisk.IoContext;

/**
 * Drives the sender like QEMU 7.2's migration thread: 100 ms slices with a budget of
 * bandwidth/10, the bandwidth measured each slice, threshold = bandwidth x max downtime, and
 * completion (guest stopped) once pending data is under the threshold. Ends with "did not
 * converge" when pending data stops shrinking, instead of looping for ever.
 */
public final class MigrationController {
    /** Iterate calls per slice at most: a slice with nothing to wait for must still end. */
    private static final int MAX_ITERATES_PER_SLICE = 10_000;

    private final ControllerOptions options;
    private final IoContext io;
    // set by any thread; honoured at the next iterate or slice boundary, before the guest stops
    private volatile boolean cancelRequested;

    private java.util.function.IntConsumer sliceListener = slice -> {};

    /** Called as each slice begins, with its index: observers mark where slices begin (the simulation's stream). */
    public void onSliceStart(java.util.function.IntConsumer listener) {
        sliceListener = listener;
    }

    public MigrationController(ControllerOptions options, IoContext io) {
        this.options = options;
        this.io = io;
    }

    /** Asks the migration to stop; it ends CANCELLED unless the final copy has already begun. */
    public void cancel() {
        cancelRequested = true;
    }

    public MigrationResult run(BlockMigrationSender sender, GuestControl realGuest) {
        GuestControl guest = realGuest;
        int maxStallSlices = options.maxStallSlices();
        int completionStallSlices = 0; // a seeded bug makes completion wait for the stall counter
        for (ControllerMutant m : options.mutants()) {
            guest = m.guest(guest);
            completionStallSlices = Math.max(completionStallSlices, m.completionStallSlices(maxStallSlices));
            maxStallSlices = m.maxStallSlices(maxStallSlices);
        }
        long start = io.nowNanos();
        RamModel ram = new RamModel(options.ram(), start);
        List<MigrationResult.SliceFigures> slices = new ArrayList<>();
        long threshold = 0;
        long minPending = Long.MAX_VALUE;
        int stalled = 0;
        try {
            sender.setup();
            SliceBudget budget = new SliceBudget(options.sliceBudgetBytes());
            for (int slice = 0; ; slice++) {
                sliceListener.accept(slice);
                long sliceStart = io.nowNanos();
                long sliceEnd = sliceStart + options.sliceNanos();
                budget.reset(options.sliceBudgetBytes());
                boolean bulkAtStart = !sender.bulkCompleted();
                long dirtyReadsBefore = sender.stats().dirtyChunksRead;
                for (int i = 0; i < MAX_ITERATES_PER_SLICE && io.nowNanos() < sliceEnd; i++) {
                    if (cancelRequested) {
                        return cancelled(sender, start, slices);
                    }
                    // QEMU sums every section's pending bytes: RAM's can hide or reveal the block section's
                    long pending = sender.pendingBytes(threshold) + ram.pendingBytes(io.nowNanos());
                    if ((pending == 0 || pending < threshold) && stalled >= completionStallSlices) {
                        return complete(sender, ram, guest, start, slices);
                    }
                    boolean progressed = sender.iterate(budget);
                    // the RAM section iterates after the block section, with what is left of the budget, and
                    // sends nothing while the block bulk pass runs (QEMU's ram_save_iterate: blk_mig_bulk_active)
                    if (sender.bulkCompleted()) {
                        progressed |= ram.send(budget, io.nowNanos()) > 0;
                    }
                    if (budget.exhausted()) {
                        while (io.nowNanos() < sliceEnd && !cancelRequested) {
                            io.pause(sliceEnd);
                        }
                    } else if (!progressed) {
                        io.pause(sliceEnd); // nothing to send or submit until a read completes (or time passes)
                    }
                }
                while (io.nowNanos() < sliceEnd && !cancelRequested) {
                    io.pause(sliceEnd);
                }
                if (cancelRequested) {
                    return cancelled(sender, start, slices);
                }
                long elapsed = io.nowNanos() - sliceStart;
                double bandwidth = budget.usedBytes() * 1e9 / elapsed;
                threshold = (long) (bandwidth * options.maxDowntimeNanos() / 1e9);
                long pendingNow = sender.pendingBytes(threshold) + ram.pendingBytes(io.nowNanos());
                slices.add(new MigrationResult.SliceFigures(slice, sliceStart, io.nowNanos(), budget.usedBytes(), pendingNow,
                        sender.dirtyBytes(), threshold, bulkAtStart, sender.stats().dirtyChunksRead - dirtyReadsBefore,
                        sender.progressPercent()));
                if (sender.bulkCompleted()) {
                    if (pendingNow < minPending) {
                        minPending = pendingNow;
                        stalled = 0;
                    } else if (++stalled >= maxStallSlices) {
                        return notConverged(sender, start, slices, "dirty data did not shrink for " + stalled
                                + " slices (" + pendingNow + " bytes pending, threshold " + threshold + ")");
                    }
                }
                if (options.maxBytesSent() > 0 && sender.stats().bytesSent > options.maxBytesSent()) {
                    return notConverged(sender, start, slices, "sent " + sender.stats().bytesSent + " bytes, more than the limit of "
                            + options.maxBytesSent());
                }
                if (slices.size() >= options.maxSlices()) {
                    return notConverged(sender, start, slices, "no completion within " + options.maxSlices() + " slices");
                }
            }
        } catch (IOException | RuntimeException e) {
            sender.cancel();
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            return new MigrationResult(MigrationResult.Outcome.FAILED, why, start, -1,
                    io.nowNanos(), 0, sender.stats().bytesSent, slices, sender.stats());
        }
    }

    private MigrationResult complete(BlockMigrationSender sender, RamModel ram, GuestControl guest, long start,
            List<MigrationResult.SliceFigures> slices) throws IOException {
        long stopped = io.nowNanos();
        guest.stop();
        long sentBefore = sender.stats().bytesSent;
        sender.complete();
        long sentInDowntime = sender.stats().bytesSent - sentBefore + ram.send(null, io.nowNanos());
        io.awaitTransfer(sentInDowntime, options.bandwidthBytesPerSecond());
        long end = io.nowNanos();
        return new MigrationResult(MigrationResult.Outcome.COMPLETED, "completed", start, stopped, end, end - stopped,
                sender.stats().bytesSent, slices, sender.stats());
    }

    private MigrationResult cancelled(BlockMigrationSender sender, long start, List<MigrationResult.SliceFigures> slices) {
        sender.cancel();
        return new MigrationResult(MigrationResult.Outcome.CANCELLED, "cancelled", start, -1, io.nowNanos(), 0,
                sender.stats().bytesSent, slices, sender.stats());
    }

    private MigrationResult notConverged(BlockMigrationSender sender, long start,
            List<MigrationResult.SliceFigures> slices, String why) {
        sender.cancel();
        return new MigrationResult(MigrationResult.Outcome.DID_NOT_CONVERGE, "did not converge: " + why, start, -1,
                io.nowNanos(), 0, sender.stats().bytesSent, slices, sender.stats());
    }
}
