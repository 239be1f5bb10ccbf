// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import java.util.List;
import org.blkmig.model.judge.Cause;
import org.blkmig.model.judge.Judge;
import org.blkmig.model.judge.Properties;
import org.blkmig.model.judge.Verdict;

/**
 * Names the way a run failed, from its verdicts' typed fields alone: the first failed property and
 * a cause read from all of them, the root first (chunks never sent, then a destination that
 * failed, then a stale block, then the first failure's own cause). Runs with the same key are the
 * same finding, whatever their sizes and seeds; a campaign reports one row per key.
 */
public final class Findings {
    private Findings() {}

    /** The key of a failed outcome: {@code property: cause}. */
    public static String key(Judge.Outcome o) {
        Verdict first = o.firstFailure().orElseThrow();
        return first.property().id() + ": " + cause(o.verdicts(), first);
    }

    static String cause(List<Verdict> verdicts, Verdict first) {
        if (failed(verdicts, Properties.CHUNK_COVERAGE, Cause.CHUNK_NEVER_SENT) != null) {
            return Cause.CHUNK_NEVER_SENT.text;
        }
        Verdict honest = failed(verdicts, Properties.HONEST_COMPLETION, null);
        if (honest != null && honest.cause() != Cause.WRITE_AFTER_COMPLETE) {
            return honest.cause() == Cause.DESTINATION_WRITE_CROSSES_END ? honest.cause().text
                    : honest.cause().text + ": " + honest.subject();
        }
        if (failed(verdicts, Properties.READ_HISTORY, Cause.STALE_BLOCK) != null) {
            return Cause.STALE_BLOCK.text;
        }
        return first.cause().text + (first.subject().isEmpty() ? "" : " (" + first.subject() + ")");
    }

    /** The failed verdict of {@code p} (with this cause, unless null), or null. */
    private static Verdict failed(List<Verdict> verdicts, org.blkmig.model.judge.Promise p, Cause cause) {
        for (Verdict v : verdicts) {
            if (!v.passed() && v.property() == p && (cause == null || v.cause() == cause)) {
                return v;
            }
        }
        return null;
    }
}
