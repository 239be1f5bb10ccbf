// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.sender.MigrationResult;

/**
 * A migration gives up only with a reason the sender cannot make up, by the liveness model that
 * {@link Convergence} shares.
 */
final class JustifiedNonConvergence extends GaveUp {
    @Override
    public String id() {
        return "justified-non-convergence";
    }

    @Override
    public String promise() {
        return "a migration gave up only when the guest re-dirtied chunks (as the history measures them) as fast as the"
                + " migration carries them (less the share its reads leave unfilled, " + Liveness.SPREAD_SDS + " standard"
                + " deviations above the expected), its downtime budget held fewer than " + Liveness.MARGIN + " chunks, a fault"
                + " struck, or the link was the bottleneck and convergence was not expected";
    }

    @Override
    Verdict judge(MigrationResult m, Liveness l) {
        Cause excuse = l.excuse();
        return switch (excuse) {
            case NONE -> Verdict.fail(this, Cause.GAVE_UP_UNJUSTIFIED, m.reason() + ", though " + l.figures())
                    .at(m.endNanos());
            case NOT_COMPLETED -> Verdict.pass(this);
            default -> Verdict.pass(this, excuse, excuse.text + ": " + l.figures());
        };
    }
}
