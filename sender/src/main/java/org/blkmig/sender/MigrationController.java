// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.blkmig.simdisk.Invariant;
import org.blkmig.simdisk.IoContext;

/**
 * Drives the sender like QEMU 7.2's migration thread: 100 ms slices with a budget of
 * bandwidth/10, the bandwidth measured each slice, threshold = bandwidth x max downtime, and
 * completion (guest stopped) once pending data is under the threshold. Ends with "did not
 * converge" when pending data stops shrinking, instead of looping for ever.
 *
 * <p>The loop is split into small methods, the hot ones (one iterate call, one slice's end)
 * apart from the rare ones (endings, messages): the JIT compiles each small method once, and an
 * ending first met late in a campaign recompiles a small method, not the whole migration.
 */
public final class MigrationController {
    /** Iterate calls per slice at most: a slice with nothing to wait for must still end. */
    private static final int MAX_ITERATES_PER_SLICE = 10_000;
    /** The same for a world whose loop takes time (QEMU's timing): the slice's end bounds it. */
    private static final int MAX_POLLS_PER_SLICE = 1_000_000;

    private final ControllerOptions options;
    private final IoContext io;
    // set by any thread; honoured at the next iterate or slice boundary, before the guest stops
    private volatile boolean cancelRequested;

    private IntConsumer sliceListener = slice -> {};

    /** Called as each slice begins, with its index: observers mark where slices begin (the simulation's stream). */
    public void onSliceStart(IntConsumer listener) {
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
        Migration m = new Migration(sender, realGuest);
        try {
            sender.setup();
            m.budget = new SliceBudget(options.sliceBudgetBytes());
            for (int slice = 0; ; slice++) {
                MigrationResult end = m.slice(slice);
                if (end != null) {
                    return end;
                }
            }
        } catch (IOException | RuntimeException e) {
            return m.failed(e);
        }
    }

    /** One run's state: the slices so far, the threshold, the stall count. */
    private final class Migration {
        final BlockMigrationSender sender;
        final GuestControl guest;
        final int maxStallSlices;
        final int completionStallSlices; // a seeded bug makes completion wait for the stall counter
        final long startNanos;
        final RamModel ram;
        final List<MigrationResult.SliceFigures> slices = new ArrayList<>();
        SliceBudget budget;
        long thresholdBytes;
        long minPendingBytes = Long.MAX_VALUE;
        int stalled;
        double slowdown = 1; // the strategy's throttle of the guest in force
        boolean mirroring; // the guest's writes wait for the strategy's mirror

        Migration(BlockMigrationSender sender, GuestControl realGuest) {
            GuestControl g = realGuest;
            int maxStall = options.maxStallSlices();
            int completionStall = 0;
            for (ControllerMutant m : options.mutants()) {
                g = m.guest(g);
                completionStall = Math.max(completionStall, m.completionStallSlices(maxStall));
                maxStall = m.maxStallSlices(maxStall);
            }
            this.sender = sender;
            this.guest = g;
            this.maxStallSlices = maxStall;
            this.completionStallSlices = completionStall;
            this.startNanos = io.nowNanos();
            this.ram = new RamModel(options.ram(), startNanos);
        }

        /** One slice: iterate calls until its end, then its figures; the run's result if it ends here, else null. */
        MigrationResult slice(int slice) throws IOException {
            sliceListener.accept(slice);
            long sliceStartNanos = io.nowNanos();
            long sliceEndNanos = sliceStartNanos + options.sliceNanos();
            budget.reset(options.sliceBudgetBytes());
            boolean bulkAtStart = !sender.bulkCompleted();
            long dirtyReadsBefore = sender.stats().dirtyChunksRead;
            MigrationResult end = iterateUntil(sliceEndNanos);
            if (end != null) {
                return end;
            }
            waitUntil(sliceEndNanos);
            if (cancelRequested) {
                return cancelled();
            }
            return endSlice(slice, sliceStartNanos, bulkAtStart, dirtyReadsBefore);
        }

        /** Iterate calls until the slice's end; the run's result if it completes or is cancelled, else null. */
        private MigrationResult iterateUntil(long sliceEndNanos) throws IOException {
            int maxIterates = io.pollsWhenIdle() ? MAX_POLLS_PER_SLICE : MAX_ITERATES_PER_SLICE;
            for (int i = 0; i < maxIterates && io.nowNanos() < sliceEndNanos; i++) {
                if (cancelRequested) {
                    return cancelled();
                }
                io.loopStep(IoContext.LoopPhase.LOOP_TAIL);
                // QEMU sums every section's pending bytes: RAM's can hide or reveal the block section's
                long pending = sender.pendingBytes(thresholdBytes) + ram.pendingBytes(io.nowNanos());
                if ((pending == 0 || pending < thresholdBytes) && stalled >= completionStallSlices) {
                    return complete();
                }
                io.loopStep(IoContext.LoopPhase.ITERATE_HEAD);
                iterate(sliceEndNanos);
            }
            return null;
        }

        /** One iterate call of the block section, then the RAM section's turn; waits if nothing moved. */
        private void iterate(long sliceEndNanos) throws IOException {
            boolean progressed = sender.iterate(budget);
            if (!mirroring && sender.bulkCompleted() && options.throttle().mirrorsWrites()) {
                mirroring = true;
                guest.mirror(() -> options.throttle().mirrorReleases(sender.dirtyBytes(), sender.chunksUnsent()));
            }
            // the RAM section iterates after the block section, with what is left of the budget, and
            // sends nothing while the block bulk pass runs (QEMU's ram_save_iterate: blk_mig_bulk_active)
            if (sender.bulkCompleted()) {
                progressed |= ram.send(budget, io.nowNanos()) > 0;
            }
            if (budget.exhausted()) {
                waitUntil(sliceEndNanos);
            } else if (!progressed && !io.pollsWhenIdle()) {
                io.pause(sliceEndNanos); // nothing to send or submit until a read completes (or time passes)
            }
        }

        private void waitUntil(long sliceEndNanos) throws IOException {
            while (io.nowNanos() < sliceEndNanos && !cancelRequested) {
                io.pause(sliceEndNanos);
            }
        }

        /** The slice's figures and new threshold; the run's result if a limit ends it here, else null. */
        private MigrationResult endSlice(int slice, long sliceStartNanos, boolean bulkAtStart, long dirtyReadsBefore) {
            long elapsedNanos = io.nowNanos() - sliceStartNanos;
            double bandwidth = budget.usedBytes() * 1e9 / elapsedNanos;
            // what the final copy may leave: the downtime limit's worth at the rate it will be carried
            long computed = (long) (options.threshold().bytesPerSecond(bandwidth, options.bandwidthBytesPerSecond())
                    * options.maxDowntimeNanos() / 1e9);
            Invariant.check(options.threshold() == ControllerOptions.Threshold.MEASURED
                    || computed <= (long) (options.bandwidthBytesPerSecond() * (options.maxDowntimeNanos() / 1e9)) + 1,
                    () -> "threshold " + computed + " above the rate limit's worth of downtime");
            long threshold = computed;
            for (ControllerMutant m : options.mutants()) {
                threshold = m.thresholdBytes(threshold);
            }
            thresholdBytes = threshold;
            long pendingNow = sender.pendingBytes(thresholdBytes) + ram.pendingBytes(io.nowNanos());
            slices.add(new MigrationResult.SliceFigures(slice, sliceStartNanos, io.nowNanos(), budget.usedBytes(), pendingNow,
                    sender.dirtyBytes(), thresholdBytes, bulkAtStart, sender.stats().dirtyChunksRead - dirtyReadsBefore,
                    sender.progressPercent()));
            if (sender.bulkCompleted()) {
                if (pendingNow < minPendingBytes) {
                    minPendingBytes = pendingNow;
                    stalled = 0;
                } else if (++stalled >= maxStallSlices) {
                    return stalledOut(pendingNow);
                }
            }
            throttle(slices.get(slices.size() - 1));
            if (options.maxBytesSent() > 0 && sender.stats().bytesSent > options.maxBytesSent()) {
                return overDataLimit();
            }
            if (slices.size() >= options.maxSlices()) {
                return notConverged("no completion within " + options.maxSlices() + " slices");
            }
            return null;
        }

        /** The strategy's throttle for the next slice (none: the guest is never told). */
        private void throttle(MigrationResult.SliceFigures figures) {
            double next = options.throttle().slowdown(figures, stalled, slowdown);
            Invariant.check(next >= 1 && !Double.isNaN(next), () -> "the strategy's throttle asked for a slowdown of " + next);
            if (next != slowdown) {
                slowdown = next;
                guest.throttle(next);
            }
        }

        /** The migration ended: the mirror lets the guest go, and the strategy's throttle says what is left of the slowdown. */
        private void releaseGuest() {
            if (mirroring) {
                mirroring = false;
                guest.mirror(null);
            }
            if (slowdown != 1) {
                slowdown = options.throttle().slowdownAtEnd(slowdown);
                guest.throttle(slowdown);
            }
        }

        private MigrationResult stalledOut(long pendingNow) {
            return notConverged("dirty data did not shrink for " + stalled + " slices (" + pendingNow + " bytes pending, threshold "
                    + thresholdBytes + ")");
        }

        private MigrationResult overDataLimit() {
            return notConverged("sent " + sender.stats().bytesSent + " bytes, more than the limit of " + options.maxBytesSent());
        }

        private MigrationResult complete() throws IOException {
            long stopped = io.nowNanos();
            guest.stop();
            long sentBefore = sender.stats().bytesSent;
            sender.complete();
            releaseGuest();
            long sentInDowntime = sender.stats().bytesSent - sentBefore + ram.send(null, io.nowNanos());
            io.awaitTransfer(sentInDowntime, options.bandwidthBytesPerSecond());
            long end = io.nowNanos();
            return new MigrationResult(MigrationResult.Outcome.COMPLETED, "completed", startNanos, stopped, end, end - stopped,
                    sender.stats().bytesSent, slices, sender.stats());
        }

        private MigrationResult cancelled() {
            sender.cancel();
            releaseGuest();
            return new MigrationResult(MigrationResult.Outcome.CANCELLED, "cancelled", startNanos, -1, io.nowNanos(), 0,
                    sender.stats().bytesSent, slices, sender.stats());
        }

        private MigrationResult notConverged(String why) {
            sender.cancel();
            releaseGuest();
            return new MigrationResult(MigrationResult.Outcome.DID_NOT_CONVERGE, "did not converge: " + why, startNanos, -1,
                    io.nowNanos(), 0, sender.stats().bytesSent, slices, sender.stats());
        }

        MigrationResult failed(Exception e) {
            sender.cancel();
            releaseGuest();
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            return new MigrationResult(MigrationResult.Outcome.FAILED, why, startNanos, -1, io.nowNanos(), 0,
                    sender.stats().bytesSent, slices, sender.stats());
        }
    }
}
