// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender.strategy;

import org.blkmig.sender.MigrationResult;

/**
 * A decision of the controller's phase machine: after each slice, how much the guest's writes are
 * slowed during the next one. A slowdown of 1 is full speed; 4 means a write comes four times
 * later than the guest's workload would issue it (a vCPU throttled at 75%, as QEMU's auto-converge
 * does for RAM). The controller applies the slowdown returned, and {@link #slowdownAtEnd} when the
 * migration ends, whatever its outcome.
 */
@FunctionalInterface
public interface GuestThrottle {
    /** Full speed throughout. */
    GuestThrottle NONE = new GuestThrottle() {
        @Override
        public double slowdown(MigrationResult.SliceFigures slice, int stalledSlices, double currentSlowdown) {
            return 1;
        }
    };

    /**
     * The slowdown for the next slice, from the slice just ended (bytes sent, pending and dirty bytes,
     * threshold, dirty chunks read), the slices in a row without a new low of pending data, and the
     * slowdown in force; at least 1.
     */
    double slowdown(MigrationResult.SliceFigures slice, int stalledSlices, double currentSlowdown);

    /**
     * Whether, once the bulk pass is done, each guest write waits until the writes before it were sent
     * (a write-blocking mirror, blockdev-mirror's copy-mode=write-blocking): the dirty set cannot grow.
     */
    default boolean mirrorsWrites() {
        return false;
    }

    /** With {@link #mirrorsWrites}: whether a waiting write may go, given the dirty bytes and the chunks read but unsent. */
    default boolean mirrorReleases(long dirtyBytes, int chunksUnsent) {
        return dirtyBytes == 0 && chunksUnsent == 0;
    }

    /** The slowdown left when the migration ends: full speed, the guest runs on unhindered. */
    default double slowdownAtEnd(double currentSlowdown) {
        return 1;
    }
}
