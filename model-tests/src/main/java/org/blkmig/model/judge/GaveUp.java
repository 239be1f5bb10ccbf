// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.sender.MigrationResult;

/**
 * A liveness property of a migration that gave up (ended DID_NOT_CONVERGE): any other run passes,
 * and a run the harness's data limit stopped while it could still converge is inconclusive. The
 * rest is the property's own question to the shared {@link Liveness} model.
 */
abstract class GaveUp extends NamedProperty {
    @Override
    public final Verdict judge(Facts f) {
        MigrationResult m = f.run().migration();
        if (m.outcome() != MigrationResult.Outcome.DID_NOT_CONVERGE) {
            return Verdict.pass(this);
        }
        Liveness l = f.liveness();
        if (l.inconclusive()) {
            return Verdict.inconclusive(this, Cause.DATA_LIMIT_REACHED, "the harness's data or time limit ended the run: "
                    + l.figures());
        }
        return judge(m, l);
    }

    /** The verdict on a migration that gave up, decided by the liveness model. */
    abstract Verdict judge(MigrationResult gaveUp, Liveness l);
}
