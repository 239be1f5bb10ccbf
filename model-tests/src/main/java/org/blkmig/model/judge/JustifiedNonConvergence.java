// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.sender.MigrationResult;

/**
 * A migration gives up only with a reason the sender cannot make up, by the liveness model that
 * {@link Convergence} shares.
 */
final class JustifiedNonConvergence extends NamedProperty {
    @Override
    public String id() {
        return "justified-non-convergence";
    }

    @Override
    public String promise() {
        return "a migration gave up only when the guest re-dirtied chunks (as the history measures them) as fast as the"
                + " migration carries them, its downtime budget held fewer than " + Liveness.MARGIN + " chunks, a fault"
                + " struck, or the link was the bottleneck and convergence was not expected";
    }

    @Override
    public Verdict judge(Facts f) {
        MigrationResult m = f.run().migration();
        if (m.outcome() != MigrationResult.Outcome.DID_NOT_CONVERGE) {
            return Verdict.pass(this);
        }
        Liveness l = f.liveness();
        if (l.inconclusive()) {
            return Verdict.inconclusive(this, Cause.DATA_LIMIT_REACHED, "the harness's data limit ended the run: "
                    + l.figures());
        }
        Cause excuse = l.excuse();
        return switch (excuse) {
            case NONE -> Verdict.fail(this, Cause.GAVE_UP_UNJUSTIFIED, m.reason() + ", though " + l.figures())
                    .at(m.endNanos());
            case NOT_COMPLETED -> Verdict.pass(this);
            default -> Verdict.pass(this, excuse, excuse.text + ": " + l.figures());
        };
    }
}
