// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.model.campaign;

import org.blkmig.model.judge.Checks;
import org.blkmig.model.judge.Judge;
import java.util.List;
import java.util.Locale;

/**
 * Names the way a run failed, from its verdicts alone: the first failed property and a cause read
 * from the evidence of all of them, the root first (chunks never sent, then a destination that
 * failed, then a stale block, then a lost write). Runs with the same key are the same finding, whatever their
 * sizes and seeds; a campaign reports one row per key.
 */
public final class Findings {
    private Findings() {}

    /** The key of a failed outcome: {@code property: cause}. */
    public static String key(Judge.Outcome o) {
        Checks.Verdict first = o.firstFailure().orElseThrow();
        return first.property().id + ": " + cause(o.verdicts(), first);
    }

    static String cause(List<Checks.Verdict> verdicts, Checks.Verdict first) {
        for (Checks.Verdict v : verdicts) {
            if (!v.passed() && v.property() == Checks.Property.CHUNK_COVERAGE) {
                return "completed with chunks never sent (early completion)";
            }
        }
        for (Checks.Verdict v : verdicts) {
            if (!v.passed() && v.property() == Checks.Property.HONEST_COMPLETION) {
                String says = afterSays(v.evidence());
                return says.contains("crosses its end")
                        ? "the destination failed: a block's write crosses the device's end (a partial last chunk)"
                        : "the destination did not complete what the source completed: " + shape(says);
            }
        }
        for (Checks.Verdict v : verdicts) {
            if (!v.passed() && v.property() == Checks.Property.READ_HISTORY && v.evidence().startsWith("stale block")) {
                return "a stale block sent after a newer one of its chunk";
            }
        }
        if (first.property() == Checks.Property.IDENTICAL && first.evidence().contains("source has guest write")) {
            return "a guest write is missing on the target";
        }
        return shape(first.evidence());
    }

    private static String afterSays(String evidence) {
        int i = evidence.indexOf("the receiver says ");
        return i < 0 ? evidence : evidence.substring(i + "the receiver says ".length());
    }

    /** The evidence without its numbers and names of places, so runs of one failure share it. */
    public static String shape(String evidence) {
        return shape(evidence, 12);
    }

    /** As {@link #shape(String)}, keeping up to {@code maxWords} words. */
    public static String shape(String evidence, int maxWords) {
        String s = evidence.replaceAll("drive[0-9]+", "DEV").replaceAll("-?[0-9]+", "#").replaceAll("\\s+", " ").trim();
        String[] words = s.split(" ");
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(words.length, maxWords))).toLowerCase(Locale.ROOT);
    }
}
