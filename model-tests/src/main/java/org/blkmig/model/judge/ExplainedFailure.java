// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.judge;

import org.blkmig.sender.MigrationResult;
import org.blkmig.simdisk.History;

/** A migration FAILED only on an injected fault the history records, and was CANCELLED only when the scenario cancelled it. */
final class ExplainedFailure extends NamedProperty {
    @Override
    public String id() {
        return "explained-failure";
    }

    @Override
    public String promise() {
        return "a migration FAILED only on an injected fault the history records, and was CANCELLED only when the"
                + " scenario cancelled it";
    }

    @Override
    public Verdict judge(Facts f) {
        MigrationResult m = f.run().migration();
        if (m.outcome() == MigrationResult.Outcome.FAILED && f.run().brokenInvariant() == null) {
            // a receiver that gave up first (its target failed, or a seeded bug) closed the connection: judged by
            // honest-completion, which needs it incomplete
            HistoryIndex h = f.history();
            boolean injected = h.linkFaultFired() || !f.run().receive().complete() && h.has(History.Kind.RECEIVER_CLOSED)
                    || h.readFailed();
            if (!injected) {
                return Verdict.fail(this, Cause.FAILED_WITHOUT_FAULT, "the migration FAILED with no injected fault in the"
                        + " history: " + m.reason()).at(m.endNanos());
            }
        }
        if (m.outcome() == MigrationResult.Outcome.CANCELLED && f.run().faults().cancelAtNanos() < 0) {
            return Verdict.fail(this, Cause.CANCELLED_WITHOUT_CANCEL, "the migration was CANCELLED though the scenario"
                    + " never cancels it");
        }
        return Verdict.pass(this);
    }
}
