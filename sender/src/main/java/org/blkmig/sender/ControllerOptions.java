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
        int maxStallSlices, long maxSlices, long maxBytesSent, Set<ControllerMutant> mutants, RamModel.Settings ram) {
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
    }

    public static ControllerOptions defaults() {
        return new ControllerOptions(DEFAULT_BANDWIDTH_BYTES_PER_SECOND, DEFAULT_MAX_DOWNTIME_NANOS, DEFAULT_SLICE_NANOS,
                30, 6000, 0, Set.of(), RamModel.Settings.NONE);
    }

    public ControllerOptions withBandwidth(long bytesPerSecond) {
        return new ControllerOptions(bytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices, maxBytesSent,
                mutants, ram);
    }

    public ControllerOptions withMaxDowntime(long nanos) {
        return new ControllerOptions(bandwidthBytesPerSecond, nanos, sliceNanos, maxStallSlices, maxSlices, maxBytesSent,
                mutants, ram);
    }

    public ControllerOptions withLimits(int stallSlices, long slices) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, stallSlices, slices, maxBytesSent,
                mutants, ram);
    }

    public ControllerOptions withMaxBytesSent(long bytes) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices, bytes,
                mutants, ram);
    }

    public ControllerOptions withMutants(Set<ControllerMutant> m) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, m, ram);
    }

    /** Guest RAM migrated beside the disks: its pending bytes enter the completion decision, its bytes the budget. */
    public ControllerOptions withRam(RamModel.Settings r) {
        return new ControllerOptions(bandwidthBytesPerSecond, maxDowntimeNanos, sliceNanos, maxStallSlices, maxSlices,
                maxBytesSent, mutants, r);
    }

    /** The transfer budget of one slice. */
    public long sliceBudgetBytes() {
        return Math.max(1, (long) (bandwidthBytesPerSecond * (sliceNanos / 1e9)));
    }
}
