// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.sender;

import java.util.List;

/** How a migration ended, with its figures. */
public record MigrationResult(Outcome outcome, String reason, long startNanos, long guestStoppedNanos, long endNanos,
        long downtimeNanos, long bytesSent, List<SliceFigures> slices, SenderStats sender) {
    public enum Outcome {
        /** The END payload went out: the target has everything. */
        COMPLETED,
        /** Dirty data did not shrink: stopped, the guest runs on, the target is incomplete. */
        DID_NOT_CONVERGE,
        /** An error (a read, the output) ended it: the target is incomplete. */
        FAILED,
        /** Cancelled on request: the guest runs on, the target is incomplete. */
        CANCELLED
    }

    /** One time slice: what was sent, what was pending at its end, the threshold it set. */
    public record SliceFigures(int index, long startNanos, long endNanos, long bytesSent, long pendingBytes, long dirtyBytes,
            long thresholdBytes, boolean bulkPhase, long dirtyChunksRead, long progressPercent) {}

    public boolean completed() {
        return outcome == Outcome.COMPLETED;
    }

    public long migrationNanos() {
        return endNanos - startNanos;
    }

    /** Dirty-phase slices: the rounds that resend what the guest dirtied. */
    public long dirtyRounds() {
        return slices.stream().filter(s -> !s.bulkPhase()).count();
    }
}
