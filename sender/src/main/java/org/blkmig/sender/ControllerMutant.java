// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

/** Seeded bugs of the migration controller, for the tests to catch. Never on by default. */
public enum ControllerMutant {
    /** The final copy runs with the guest still writing: writes after a chunk was sent are lost. */
    GUEST_NOT_STOPPED("the guest is not stopped before the final copy") {
        @Override
        GuestControl guest(GuestControl real) {
            return GuestControl.NONE;
        }
    },
    GIVE_UP_AFTER_ONE_STALL("the controller gives up after one slice without a new low of pending data") {
        @Override
        int maxStallSlices(int configured) {
            return 1;
        }
    },
    /**
     * Completion waits for the stall counter: the guest is stopped only once pending data has not
     * shrunk for half the stall limit, though it was under the threshold long before.
     */
    COMPLETE_WHEN_STALLED("the guest is stopped only after pending data stopped shrinking for half the stall limit") {
        @Override
        int completionStallSlices(int maxStallSlices) {
            return maxStallSlices / 2;
        }
    },
    /** The completion threshold doubled: the guest stops with up to twice the downtime limit's worth left. */
    STOP_WITH_TWICE_THE_LIMIT("the guest is stopped with up to twice the downtime limit's worth of data left") {
        @Override
        long thresholdBytes(long computed) {
            return 2 * computed;
        }
    };

    public final String description;

    ControllerMutant(String description) {
        this.description = description;
    }

    /** The slices without progress the controller waits for before it gives up. */
    int maxStallSlices(int configured) {
        return configured;
    }

    /** The slices without a new low of pending data the controller waits for before it may complete. */
    int completionStallSlices(int maxStallSlices) {
        return 0;
    }

    /** The completion threshold the controller uses instead of the one it computed. */
    long thresholdBytes(long computed) {
        return computed;
    }

    /** The guest control the controller uses instead of the real one. */
    GuestControl guest(GuestControl real) {
        return real;
    }
}
