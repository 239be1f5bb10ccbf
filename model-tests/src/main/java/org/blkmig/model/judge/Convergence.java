// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.sender.MigrationResult;

/**
 * A migration the liveness model expects to converge does not give up. It judges migrations that
 * ended DID_NOT_CONVERGE: one that FAILED or was CANCELLED is {@code explained-failure}'s.
 */
final class Convergence extends GaveUp {
    @Override
    public String id() {
        return "convergence";
    }

    @Override
    public String promise() {
        return "with the guest measurably re-dirtying chunks at <= 1/" + Liveness.MARGIN + " of what the migration carries,"
                + " a downtime budget of " + Liveness.MARGIN + "+ chunks and no faults (of reads or of the link), the"
                + " migration does not give up";
    }

    @Override
    Verdict judge(MigrationResult m, Liveness l) {
        if (l.expectedToConverge()) {
            return Verdict.fail(this, Cause.DID_NOT_CONVERGE, "ended " + m.outcome() + " (" + m.reason() + "), though "
                    + l.figures()).subject(m.outcome().name()).at(m.endNanos());
        }
        return Verdict.pass(this);
    }
}
