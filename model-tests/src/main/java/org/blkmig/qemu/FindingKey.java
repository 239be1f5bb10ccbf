// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.qemu;

import java.util.List;
import org.blkmig.model.judge.Cause;
import org.blkmig.model.judge.Verdict;

/**
 * The name of a way a real run failed, from its verdicts' typed fields alone (property id, cause,
 * subject): runs with equal keys are one finding, whatever their sizes, seeds and QEMU's wording.
 */
public record FindingKey(String property, Cause cause, String subject) {

    public static FindingKey of(Verdict v) {
        return new FindingKey(v.property().id(), v.cause(), v.subject());
    }

    /** The first failed verdict's key; chunks never sent are the root of whatever else failed with them. */
    public static FindingKey of(List<Verdict> verdicts) {
        Verdict first = verdicts.stream().filter(v -> !v.passed()).findFirst().orElseThrow();
        boolean unsent = verdicts.stream().anyMatch(v -> !v.passed() && v.cause() == Cause.CHUNK_NEVER_SENT);
        return unsent ? new FindingKey(first.property().id(), Cause.CHUNK_NEVER_SENT, "") : of(first);
    }

    @Override
    public String toString() {
        return property + ": " + cause.text + (subject.isEmpty() ? "" : " (" + subject + ")");
    }
}
