// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.EnumSet;
import java.util.Set;
import org.blkmig.simdisk.Durations;

/**
 * The migration controller's settings. A migration that does not converge ends after
 * {@code maxStallSlices} slices without a new low of pending data, after {@code maxSlices}, or
 * once it has sent more than {@code maxBytesSent} (0: no such limit).
 */
public record ControllerOptions(long bandwidthBytesPerSecond, long maxDowntimeNanos, long sliceNanos,
        int maxStallSlices, long maxSlices, long maxBytesSent, Set<ControllerMutant> mutants, RamModel.Settings ram,
        Threshold threshold, org.blkmig.sender.strategy.GuestThrottle throttle) {

    /** The bandwidth the completion threshold (bandwidth x maximum downtime) is computed from. */
    public enum Threshold {
        /**
         * QEMU's: the bytes charged to the last slice over its duration. A slice may pass its budget
         * by one block, so this can exceed the rate limit at which the final copy is carried, and the
         * guest then stops with more than the downtime limit's worth left.
         */
        MEASURED,
        /** blkmig's: the measured bandwidth, at most the rate limit. */
        MEASURED_AT_MOST_RATE_LIMIT;

        double bytesPerSecond(double measured, long rateLimitBytesPerSecond) {
            return this == MEASURED ? measured : Math.min(measured, rateLimitBytesPerSecond);
        }
    }

    /** blkmig's threshold rule. */
    public ControllerOptions(long bandwidthBytesPerSecond, long maxDowntimeNanos, long sliceNanos, int maxStallSlices,
            long maxSlices, long maxBytesSent, Set<ControllerMutant> mutants, RamModel.Settings ram) {
        this(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices, maxBytesSent, mutants, ram,
                Threshold.MEASURED_AT_MOST_RATE_LIMIT, org.blkmig.sender.strategy.GuestThrottle.NONE);
    }
    /** QEMU's defaults: 128 MiB/s, 300 ms. */
    public static final long DEFAULT_BANDWIDTH_BYTES_PER_SECOND = 128L << 20;
    public static final long DEFAULT_MAX_DOWNTIME_NANOS = 300 * Durations.MILLI;
    public static final long DEFAULT_SLICE_NANOS = 100 * Durations.MILLI;

    public ControllerOptions {
        if (bandwidthBytesPerSecond <= 0 || maxDowntimeNanos < 0 || sliceNanos <= 0 || maxStallSlices < 1 || maxSlices < 1
                || maxBytesSent < 0) {
            throw new IllegalArgumentException("controller needs bandwidth > 0, downtime >= 0, slice > 0, limits >= 1");
        }
        mutants = mutants.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(mutants));
        java.util.Objects.requireNonNull(ram, "ram");
        java.util.Objects.requireNonNull(threshold, "threshold");
        java.util.Objects.requireNonNull(throttle, "throttle");
    }

    public static ControllerOptions defaults() {
        return new ControllerOptions(DEFAULT_BANDWIDTH_BYTES_PER_SECOND, DEFAULT_MAX_DOWNTIME_NANOS, DEFAULT_SLICE_NANOS,
                30, 6000, 0, Set.of(), RamModel.Settings.NONE);
    }

    public ControllerOptions withBandwidth(long bytesPerSecond) {
        return new ControllerOptions(bytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices, maxBytesSent,
                mutants, ram, threshold, throttle);
    }

    public ControllerOptions withMaxDowntime(long nanos) {
        return new ControllerOptions(bandwidthBytesPerSecond, nanos, sliceNanos, maxStallSlices, maxSlices, maxBytesSent,
                mutants, ram, threshold, throttle);
    }

    public ControllerOptions withLimits(int stallSlices, long slices) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, stallSlices, slices, maxBytesSent,
                mutants, ram, threshold, throttle);
    }

    public ControllerOptions withMaxBytesSent(long bytes) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices, bytes,
                mutants, ram, threshold, throttle);
    }

    public ControllerOptions withMutants(Set<ControllerMutant> m) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, m, ram, threshold, throttle);
    }

    /** Guest RAM migrated beside the disks: its pending bytes enter the completion decision, its bytes the budget. */
    public ControllerOptions withRam(RamModel.Settings r) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, mutants, r, threshold, throttle);
    }

    public ControllerOptions withThreshold(Threshold t) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, mutants, ram, t, throttle);
    }

    /** The strategy's decision how much to slow the guest, slice by slice. */
    public ControllerOptions withThrottle(org.blkmig.sender.strategy.GuestThrottle t) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, mutants, ram, threshold, t);
    }

    /** The transfer budget of one slice. */
    public long sliceBudgetBytes() {
        return Math.max(1, (long) (bandwidthBytesPerSecond * (sliceNanos / 1e9)));
    }
}
