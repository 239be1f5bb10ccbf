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

    /** The slowdown left when the migration ends: full speed, the guest runs on unhindered. */
    default double slowdownAtEnd(double currentSlowdown) {
        return 1;
    }
}
