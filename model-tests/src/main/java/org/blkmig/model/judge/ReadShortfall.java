// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import java.util.SplittableRandom;
import org.blkmig.model.scenario.Scenario;
import org.blkmig.simdisk.LatencyModel;
import org.blkmig.simdisk.SimIoContext;

/**
 * The share of the rate limit the sender's reads cannot fill, from the scenario alone (its latency
 * model, reads in flight, rate limit, slice and chunk size) and the simulated world's costs, never
 * from a run: {@code share}, its expectation, and {@code windowSpread}, the standard deviation of
 * the share over a window of the run's slices.
 *
 * <p>The slice mechanics of QEMU's block.c (docs/PROTOCOL.md): a slice's budget is {@code n}
 * chunks; reads are issued, {@code R} at a time at most, while those in flight and those read but
 * not sent fit what is left of it; each completed read is sent at once, which takes the migration
 * thread the chunk's time on the transport before it submits the next read; a slice whose budget
 * is spent idles to its end, and a slice that ends first loses what is left of its budget, while
 * its reads in flight go on and count in the next slice. These are run as a renewal process over
 * fixed slices, the latencies drawn from the scenario's latency model with a seed of the model's
 * own, so the figures are the same every time.
 *
 * <p>Why not a closed form: with one read in flight from a disk whose reads take 30 ms one time in
 * ten, a budget of 27 chunks a 100 ms slice takes 93 ms on average. A slice's time is then 30 ms
 * times a binomial count, far from normal; half the slices end first, and the read that crosses
 * the end is a 30 ms one 71% of the time (the longer a read, the likelier it spans an instant), so
 * the next slice starts 11 ms late on average; and each read waits for the previous chunk's 41 us
 * on the transport. A normal sum of latencies over a slice stretched by its overrun predicted
 * 13.1%; this gives 14.2%, and the simulated sender loses 14.2% over 4,923 slices. Over a 3 s
 * window the share spreads by 3.8 points about that.
 */
public record ReadShortfall(double share, double windowSpread) {
    /** Nothing lost: the reads fill every slice's budget. */
    public static final ReadShortfall NONE = new ReadShortfall(0, 0);

    /** About this many reads are drawn: the share's own error is then a small part of its spread. */
    static final int DRAWN_READS = 1 << 17;
    static final int MIN_WINDOWS = 32;
    static final int MAX_WINDOWS = 256;
    /** Windows after which a run whose reads filled every slice's budget stops, as nothing is lost (the shipped 16 reads). */
    static final int PILOT_WINDOWS = 4;
    private static final long SEED = 0x5EEDF00DL;

    /** The shortfall of the scenario's reads over windows of {@code windowSlices} slices. */
    public static ReadShortfall of(Scenario s, int windowSlices) {
        double sliceNanos = s.setup().sliceNanos();
        double budgetChunks = s.bandwidthBytesPerSecond() * sliceNanos / 1e9 / s.chunkSizeBytes();
        int capChunks = (int) Math.min(Integer.MAX_VALUE / 2, Math.max(1, Math.ceil(budgetChunks - 1e-9)));
        int readsInFlight = s.setup().readsInFlight();
        double sendNanos = s.chunkSizeBytes() * 1e9 / SimIoContext.TRANSPORT_BYTES_PER_SECOND;
        LatencyModel latency = s.latency();
        // every read at its longest still fills the budget within the slice: no slice ever ends first
        double worstNanos = Math.ceil((double) capChunks / readsInFlight) * latency.maxNanos()
                + capChunks * (sendNanos + SimIoContext.LOOKUP_COST_NANOS + SimIoContext.SUBMIT_COST_NANOS);
        if (worstNanos < sliceNanos) {
            return NONE;
        }
        // a slice reads its budget, or what its reads in flight can at their mean
        double sliceReads = Math.min(capChunks, readsInFlight * sliceNanos / (latency.meanNanos() + sendNanos));
        int windows = (int) Math.max(MIN_WINDOWS, Math.min(MAX_WINDOWS, DRAWN_READS / (sliceReads * windowSlices)));
        return simulate(latency, budgetChunks, capChunks, readsInFlight, sliceNanos, sendNanos, windowSlices, windows);
    }

    /**
     * Runs {@code windows + 1} windows of slices (the first, from an idle start, left out) and
     * returns the mean and the standard deviation of each window's share lost; {@link #NONE} if
     * no slice of the first {@value #PILOT_WINDOWS} ended before its budget was spent.
     */
    static ReadShortfall simulate(LatencyModel latency, double budgetChunks, int capChunks, int readsInFlight,
            double sliceNanos, double sendNanos, int windowSlices, int windows) {
        SplittableRandom random = new SplittableRandom(SEED);
        double[] doneNanos = new double[readsInFlight]; // when each read in flight (or read, not yet sent) completes
        int held = 0;
        double threadFreeNanos = 0; // the migration thread: sending a chunk and submitting a read take its time
        double sum = 0;
        double sumSquares = 0;
        boolean anEndedFirst = false;
        for (int w = 0; w <= windows; w++) {
            if (w == PILOT_WINDOWS && !anEndedFirst) {
                return NONE;
            }
            long sentChunks = 0;
            for (int k = 0; k < windowSlices; k++) {
                double startNanos = ((double) w * windowSlices + k) * sliceNanos;
                double endNanos = startNanos + sliceNanos;
                threadFreeNanos = Math.max(threadFreeNanos, startNanos);
                int sent = 0;
                while (true) {
                    // reads are issued while those held fit what is left of the budget
                    while (held < readsInFlight && sent + held < capChunks) {
                        threadFreeNanos += SimIoContext.LOOKUP_COST_NANOS;
                        doneNanos[held++] = threadFreeNanos + latency.drawNanos(random);
                        threadFreeNanos += SimIoContext.SUBMIT_COST_NANOS;
                    }
                    int first = -1;
                    for (int i = 0; i < held; i++) {
                        if (first < 0 || doneNanos[i] < doneNanos[first]) {
                            first = i;
                        }
                    }
                    // a slice that spent its budget idles to its end; one that ends first loses the rest
                    if (first < 0 || sent >= capChunks || doneNanos[first] >= endNanos) {
                        anEndedFirst |= sent < capChunks;
                        break;
                    }
                    threadFreeNanos = Math.max(threadFreeNanos, doneNanos[first]) + sendNanos;
                    doneNanos[first] = doneNanos[--held];
                    sent++;
                }
                sentChunks += sent;
            }
            if (w > 0) {
                double share = 1 - sentChunks / (budgetChunks * windowSlices);
                sum += share;
                sumSquares += share * share;
            }
        }
        double mean = sum / windows;
        double variance = Math.max(0, (sumSquares - windows * mean * mean) / (windows - 1));
        return new ReadShortfall(Math.max(0, mean), Math.sqrt(variance));
    }
}
